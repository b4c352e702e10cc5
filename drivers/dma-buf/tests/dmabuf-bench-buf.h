/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Benchmark operations on buffers. Compiled once per implementation (see
 * dmabuf-bench.h); only included by dmabuf-bench-ops.h.
 *
 * The exporter does the least one can: one page, whose table it built
 * once and hands out on every map without DMA-mapping it, and CPU access
 * callbacks that return at once. What is measured is the core's own path
 * between the importer and that exporter. The importer is the runner's
 * device, with a 64-bit DMA mask and no DMA operations: coherent, and
 * known to the DMA core to need no synchronisation, like a PCI device.
 */

#ifndef _DMA_BUF_TESTS_DMABUF_BENCH_BUF_H
#define _DMA_BUF_TESTS_DMABUF_BENCH_BUF_H

#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>

#include "dmabuf-bench.h"

/* The page of every buffer and its table, made by bench_buf_setup(). */
static struct page *bench_page;
static struct sg_table bench_sgt;

static struct sg_table *bench_map(struct dma_buf_attachment *attach,
				  enum dma_data_direction dir)
{
	return &bench_sgt;
}

static void bench_unmap(struct dma_buf_attachment *attach,
			struct sg_table *sgt, enum dma_data_direction dir)
{
}

static void bench_release(struct dma_buf *dmabuf)
{
}

static int bench_cpu_access(struct dma_buf *dmabuf,
			    enum dma_data_direction dir)
{
	return 0;
}

static const struct dma_buf_ops bench_buf_ops = {
	.map_dma_buf = bench_map,
	.unmap_dma_buf = bench_unmap,
	.release = bench_release,
	.begin_cpu_access = bench_cpu_access,
	.end_cpu_access = bench_cpu_access,
};

/* Allocate the page and its table. Returns 0 or -ENOMEM. */
static int bench_buf_setup(void)
{
	bench_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!bench_page)
		return -ENOMEM;
	if (sg_alloc_table_from_pages(&bench_sgt, &bench_page, 1, 0,
				      PAGE_SIZE, GFP_KERNEL)) {
		__free_page(bench_page);
		return -ENOMEM;
	}
	return 0;
}

/* Undo bench_buf_setup(). */
static void bench_buf_teardown(void)
{
	sg_free_table(&bench_sgt);
	__free_page(bench_page);
}

/* Export a one-page buffer. Returns it or an ERR_PTR(). */
static struct dma_buf *bench_buf_export(void)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);

	info.ops = &bench_buf_ops;
	info.priv = &bench_sgt;
	info.size = PAGE_SIZE;
	info.flags = O_RDWR;
	return dma_buf_export(&info);
}

/* dma_buf_export() and the last dma_buf_put(), release included. */
static int bench_buf_export_put(struct dmabuf_bench_ctx *ctx, unsigned int n,
				unsigned int reps, struct dmabuf_bench_time *t)
{
	unsigned int done, b, i;
	struct dma_buf *buf;
	int ret = 0;

	for (done = 0; done < reps && !ret; done += b) {
		b = min(reps - done, BENCH_BATCH);
		bench_start(t);
		for (i = 0; i < b; i++) {
			buf = bench_buf_export();
			if (IS_ERR(buf)) {
				ret = PTR_ERR(buf);
				break;
			}
			dma_buf_put(buf);
		}
		/* Kernel threads' last fput() is deferred: finish it. */
		flush_delayed_fput();
		bench_stop(t);
	}
	return ret;
}

/*
 * Run @body on a new buffer attached to ctx->dev, with @attach and @sgt
 * naming the attachment and, when @map, its mapping.
 */
static int bench_buf_with(struct dmabuf_bench_ctx *ctx, bool map,
			  int (*body)(struct dma_buf_attachment *attach,
				      struct sg_table *sgt,
				      unsigned int reps,
				      struct dmabuf_bench_time *t),
			  unsigned int reps, struct dmabuf_bench_time *t)
{
	struct dma_buf_attachment *attach;
	struct sg_table *sgt = NULL;
	struct dma_buf *buf;
	int ret;

	buf = bench_buf_export();
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	attach = dma_buf_attach(buf, ctx->dev);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto out_put;
	}
	if (map) {
		sgt = dma_buf_map_attachment_unlocked(attach,
						      DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt)) {
			ret = PTR_ERR(sgt);
			goto out_detach;
		}
	}
	ret = body(attach, sgt, reps, t);
	if (map)
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
out_detach:
	dma_buf_detach(buf, attach);
out_put:
	dma_buf_put(buf);
	flush_delayed_fput();
	return ret;
}

/* Map and unmap of an attachment, unlocked calls (per pair). */
static int bench_map_body(struct dma_buf_attachment *attach,
			  struct sg_table *unused, unsigned int reps,
			  struct dmabuf_bench_time *t)
{
	struct sg_table *sgt;
	unsigned int r;

	bench_start(t);
	for (r = 0; r < reps; r++) {
		sgt = dma_buf_map_attachment_unlocked(attach,
						      DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt))
			break;
		dma_buf_unmap_attachment_unlocked(attach, sgt,
						  DMA_BIDIRECTIONAL);
	}
	bench_stop(t);
	return r == reps ? 0 : PTR_ERR(sgt);
}

/* dma_buf_attach(), map, unmap and dma_buf_detach() (per attachment). */
static int bench_attach_map(struct dmabuf_bench_ctx *ctx, unsigned int n,
			    unsigned int reps, struct dmabuf_bench_time *t)
{
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	struct dma_buf *buf;
	unsigned int r;
	int ret = 0;

	buf = bench_buf_export();
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	bench_start(t);
	for (r = 0; r < reps && !ret; r++) {
		attach = dma_buf_attach(buf, ctx->dev);
		if (IS_ERR(attach)) {
			ret = PTR_ERR(attach);
			break;
		}
		sgt = dma_buf_map_attachment_unlocked(attach,
						      DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt))
			ret = PTR_ERR(sgt);
		else
			dma_buf_unmap_attachment_unlocked(attach, sgt,
							  DMA_BIDIRECTIONAL);
		dma_buf_detach(buf, attach);
	}
	bench_stop(t);
	dma_buf_put(buf);
	flush_delayed_fput();
	return ret;
}

/* Map and unmap on an existing attachment (per pair). */
static int bench_map_unmap(struct dmabuf_bench_ctx *ctx, unsigned int n,
			   unsigned int reps, struct dmabuf_bench_time *t)
{
	return bench_buf_with(ctx, false, bench_map_body, reps, t);
}

/* dma_buf_begin_cpu_access() and dma_buf_end_cpu_access() (per pair). */
static int bench_cpu_body(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, unsigned int reps,
			  struct dmabuf_bench_time *t)
{
	struct dma_buf *buf = attach->dmabuf;
	unsigned int r;
	int ret = 0;

	bench_start(t);
	for (r = 0; r < reps && !ret; r++) {
		ret = dma_buf_begin_cpu_access(buf, DMA_BIDIRECTIONAL);
		if (!ret)
			ret = dma_buf_end_cpu_access(buf, DMA_BIDIRECTIONAL);
	}
	bench_stop(t);
	return ret;
}

static int bench_cpu_access_pair(struct dmabuf_bench_ctx *ctx,
				 unsigned int n, unsigned int reps,
				 struct dmabuf_bench_time *t)
{
	return bench_buf_with(ctx, false, bench_cpu_body, reps, t);
}

#ifdef DMABUF_BENCH_OURS
/*
 * dma_buf_begin_access() and dma_buf_end_access() on a mapping of a
 * coherent device (per pair): what an importer that brackets its device
 * access pays when its device needs nothing. Only this tree has them.
 */
static int bench_dev_body(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, unsigned int reps,
			  struct dmabuf_bench_time *t)
{
	unsigned int r;
	int ret = 0;

	bench_start(t);
	for (r = 0; r < reps && !ret; r++) {
		ret = dma_buf_begin_access(attach, sgt, DMA_BIDIRECTIONAL);
		if (!ret)
			ret = dma_buf_end_access(attach, sgt,
						 DMA_BIDIRECTIONAL);
	}
	bench_stop(t);
	return ret;
}

static int bench_device_access(struct dmabuf_bench_ctx *ctx, unsigned int n,
			       unsigned int reps, struct dmabuf_bench_time *t)
{
	return bench_buf_with(ctx, true, bench_dev_body, reps, t);
}

#define BENCH_DEVICE_ACCESS	bench_device_access
#else
#define BENCH_DEVICE_ACCESS	NULL
#endif

#endif /* _DMA_BUF_TESTS_DMABUF_BENCH_BUF_H */
