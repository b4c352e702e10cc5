// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit case that breaks the rules of dma_buf_begin_access() on purpose, so
 * that lockdep must report it.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

/**
 * DOC: dma-buf-access-lockdep-splat KUnit suite
 *
 * dma_buf_begin_access() and dma_buf_end_access() promise to be usable
 * between publishing a dma_fence and signalling it. They keep that promise
 * by running their body, exporter callbacks included, inside a dma-fence
 * signalling critical section. This module's exporter breaks the rule: its
 * &dma_buf_ops.begin_access takes the buffer's reservation lock. Lockdep
 * already knows (from the boot-time priming in dma-resv.c) that memory
 * reclaim, which may wait for fences, runs under reservation locks, so the
 * first call must produce a report of a circular dependency through
 * dma_fence_map, naming begin_access_takes_resv().
 *
 * As with the dma-fence splat module, the case passes and the harness
 * judges the report, in a boot of its own, because lockdep turns itself
 * off after the first report.
 */

struct bad_exporter {
	struct page *page;
};

static struct sg_table *bad_map(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct bad_exporter *be = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		goto err_free;
	sg_set_page(sgt->sgl, be->page, PAGE_SIZE, 0);
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void bad_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void bad_release(struct dma_buf *dmabuf)
{
	struct bad_exporter *be = dmabuf->priv;

	__free_page(be->page);
	kfree(be);
}

/* The rule breaker: a sleeping lock inside a signalling section. */
static noinline int begin_access_takes_resv(struct dma_buf_attachment *attach,
					    struct sg_table *sgt,
					    enum dma_data_direction dir)
{
	dma_resv_lock(attach->dmabuf->resv, NULL);
	dma_resv_unlock(attach->dmabuf->resv);
	return 0;
}

/* The other half of the pair, which dma_buf_export() insists on. */
static int end_access_nop(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	return 0;
}

static const struct dma_buf_ops bad_ops = {
	.map_dma_buf = bad_map,
	.unmap_dma_buf = bad_unmap,
	.release = bad_release,
	.begin_access = begin_access_takes_resv,
	.end_access = end_access_nop,
};

static void begin_access_op_taking_resv_is_reported(struct kunit *test)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf_attachment *attach;
	struct bad_exporter *be;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	struct device *dev;

	dev = kunit_device_register(test, "dmabuf-lockdep-importer");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);

	be = kzalloc(sizeof(*be), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, be);
	be->page = alloc_page(GFP_KERNEL);
	if (!be->page)
		kfree(be);
	KUNIT_ASSERT_NOT_NULL(test, be->page);

	info.ops = &bad_ops;
	info.size = PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = be;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		/* Not exported: release() will not run, free by hand. */
		__free_page(be->page);
		kfree(be);
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));

	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));

	KUNIT_EXPECT_EQ(test,
			dma_buf_begin_access(attach, sgt, DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test,
			dma_buf_end_access(attach, sgt, DMA_TO_DEVICE), 0);

	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, attach);
	dma_buf_put(dmabuf);
}

static struct kunit_case dma_buf_access_lockdep_cases[] = {
	KUNIT_CASE(begin_access_op_taking_resv_is_reported),
	{}
};

static struct kunit_suite dma_buf_access_lockdep_suite = {
	.name = "dma-buf-access-lockdep-splat",
	.test_cases = dma_buf_access_lockdep_cases,
};

kunit_test_suite(dma_buf_access_lockdep_suite);

MODULE_DESCRIPTION("KUnit case provoking a lockdep report in dma_buf_begin_access()");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_LICENSE("GPL");
