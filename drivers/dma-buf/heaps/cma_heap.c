// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CMA dma-heap: physically contiguous dma-bufs from the default
 * Contiguous Memory Allocator area.
 */

#include <linux/cma.h>
#include <linux/container_of.h>
#include <linux/dma-heap.h>
#include <linux/dma-map-ops.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "heap-buffer.h"

/**
 * DOC: CMA heap
 *
 * Devices without an IOMMU that need large buffers need them physically
 * contiguous.  This heap takes them from the default CMA area of the
 * machine (the one the firmware's reserved-memory or the cma= boot option
 * sets up, dev_get_cma_area(NULL)) and is named after that area, as
 * cma_get_name() reports it: with cma=<size> on the command line the node
 * is /dev/dma_heap/reserved.  Without a default area no heap is
 * registered.  Buffers are zeroed; they are aligned to their size, up to
 * CONFIG_CMA_ALIGNMENT.  Importers each get their own scatterlist (a
 * single entry in practice), and CPU access brackets sync every mapped
 * importer, as for the system heap.
 *
 * User space::
 *
 *	struct dma_heap_allocation_data req = {
 *		.len = 4 << 20,
 *		.fd_flags = O_RDWR | O_CLOEXEC,
 *	};
 *	int heap = open("/dev/dma_heap/reserved", O_RDONLY | O_CLOEXEC);
 *
 *	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &req) == 0)
 *		hand_to_device(req.fd);
 */

/**
 * struct cma_heap_buffer - one allocation of the CMA heap
 * @base: the state the shared dma-buf operations work on; its table
 *	describes the contiguous range
 * @cma: the area the pages came from
 * @first: first page of the range
 */
struct cma_heap_buffer {
	struct heap_buffer base;
	struct cma *cma;
	struct page *first;
};

/*
 * Longest scatterlist entry: entry lengths are unsigned int, and every
 * entry must hold whole pages.
 */
#define CMA_HEAP_MAX_SEGMENT	(UINT_MAX & PAGE_MASK)

/*
 * Entries a table of @len bytes (non-zero) needs.  Not DIV_ROUND_UP(): on
 * 32-bit machines @len plus a segment would wrap around.
 */
static unsigned int cma_heap_nents(unsigned long len)
{
	return (len - 1) / CMA_HEAP_MAX_SEGMENT + 1;
}

/*
 * heap_buffer_ops.free: free the table, give the range back to its area
 * and free the buffer.  The buffer is unused.
 */
static void cma_heap_free(struct heap_buffer *base)
{
	struct cma_heap_buffer *buf = container_of(base, struct cma_heap_buffer,
						   base);

	sg_free_table(&base->table);
	cma_release(buf->cma, buf->first, base->len >> PAGE_SHIFT);
	kfree(buf);
}

static const struct heap_buffer_ops cma_heap_buffer_ops = {
	.free = cma_heap_free,
	.shared_mmap_only = true,
};

/*
 * Zero the @npages pages from @first on, one at a time (they may be
 * highmem on 32-bit machines).  Returns 0, or -EINTR when the task is
 * being killed: zeroing a large buffer takes a while.
 */
static int cma_heap_clear(struct page *first, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		clear_highpage(nth_page(first, i));
		cond_resched();
	}
	return 0;
}

/*
 * Describe the @len bytes from @first on in @table, which sg_alloc_table()
 * made with cma_heap_nents(@len) entries: every entry but the last is as
 * long as an entry may be.
 */
static void cma_heap_describe(struct sg_table *table, struct page *first,
			      unsigned long len)
{
	unsigned long done = 0, seg;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(table, sg, i) {
		seg = min(len - done, CMA_HEAP_MAX_SEGMENT);
		sg_set_page(sg, nth_page(first, done >> PAGE_SHIFT), seg, 0);
		done += seg;
	}
}

/*
 * dma_heap_ops.allocate: a contiguous, zeroed buffer of @len bytes (a page
 * multiple checked by the core) from the heap's area, exported with
 * @fd_flags.  Returns it with one reference for the caller, or an
 * ERR_PTR() (-ENOMEM when the area has no such range, -EINTR when the task
 * is killed while the range is zeroed) with nothing leaked.
 */
static struct dma_buf *cma_heap_allocate(struct dma_heap *heap,
					 unsigned long len, u32 fd_flags,
					 u64 heap_flags)
{
	unsigned int align = min_t(unsigned int, get_order(len),
				   CONFIG_CMA_ALIGNMENT);
	unsigned long npages = len >> PAGE_SHIFT;
	struct cma_heap_buffer *buf;
	int ret;

	/*
	 * More than the whole area can never succeed: refused before
	 * anything is allocated, and without the allocator's report.
	 */
	if (len > cma_get_size(dma_heap_get_drvdata(heap)))
		return ERR_PTR(-ENOMEM);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->cma = dma_heap_get_drvdata(heap);

	/* The cheap allocation first, before the area is searched. */
	ret = sg_alloc_table(&buf->base.table, cma_heap_nents(len),
			     GFP_KERNEL);
	if (ret)
		goto free_buf;
	ret = -ENOMEM;
	buf->first = cma_alloc(buf->cma, npages, align, false);
	if (!buf->first)
		goto free_table;
	ret = cma_heap_clear(buf->first, npages);
	if (ret)
		goto release_range;
	cma_heap_describe(&buf->base.table, buf->first, len);

	heap_buffer_init(&buf->base, &cma_heap_buffer_ops, len);
	/* From here on the buffer is freed through cma_heap_free(). */
	return heap_buffer_export(&buf->base, heap, fd_flags);

release_range:
	cma_release(buf->cma, buf->first, npages);
free_table:
	sg_free_table(&buf->base.table);
free_buf:
	kfree(buf);
	return ERR_PTR(ret);
}

static const struct dma_heap_ops cma_heap_ops = {
	.allocate = cma_heap_allocate,
};

/*
 * Register the heap of the default CMA area, if the machine has one.
 * Returns 0 or dma_heap_add()'s error.
 */
static int __init cma_heap_init(void)
{
	struct dma_heap_export_info info = {
		.ops = &cma_heap_ops,
	};
	struct cma *area = dev_get_cma_area(NULL);

	if (!area)
		return 0;
	info.name = cma_get_name(area);
	info.priv = area;
	return PTR_ERR_OR_ZERO(dma_heap_add(&info));
}
module_init(cma_heap_init);
