// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the sg_table DMA calls and loops on a DMA layer that
 * merges, alone and under the dma-buf core.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "dmabuf-helpers.h"

/**
 * DOC: sg_table tests on a merging DMA layer
 *
 * dma-direct on x86 never merges entries, so on an ordinary test device
 * @nents always equals @orig_nents and a wrapper that passed the wrong
 * count would go unnoticed. The test device here gets DMA ops of its own
 * (which needs CONFIG_ARCH_HAS_DMA_OPS; x86 has it with GART_IOMMU): a
 * small DMA layer that, like an IOMMU, joins entries whose memory is
 * physically contiguous into one segment, places the bus at
 * %SGT_BUS_OFFSET so that DMA and physical addresses differ, and records
 * every list and count the DMA core hands it. It moves no data.
 *
 * The buffer is seven pages of one order-3 block, listed in the order
 * 0 1 2 3 5 6 4, one page per entry, so the layer must return three
 * segments: pages 0-3, pages 5-6 and page 4. The cases check every
 * wrapper against that (map and the loops see the right count, unmap and
 * the syncs hand back all seven entries), errno propagation, and the same
 * through the dma-buf core: an importer mapping with
 * dma_buf_map_attachment() (under CONFIG_DMABUF_DEBUG, a copy of the
 * segments), the device-access brackets, CPU access and unmap.
 *
 * Build it in with::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_GART_IOMMU=y		(for ARCH_HAS_DMA_OPS on x86)
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * A typical case::
 *
 *	struct sgt_ctx *c = test->priv;
 *	struct sg_table *sgt = sgt_table(test, c);
 *
 *	KUNIT_ASSERT_EQ(test, dma_map_sgtable(c->dev, sgt, DMA_TO_DEVICE, 0), 0);
 *	KUNIT_EXPECT_EQ(test, sgt->nents, SGT_SEGMENTS);
 */

MODULE_IMPORT_NS(DMA_BUF);

/* The merging layer's bus sees memory at this offset. */
#define SGT_BUS_OFFSET		BIT_ULL(40)
#define SGT_ORDER		3
#define SGT_ENTRIES		7
#define SGT_SEGMENTS		3U

/* Page of the block behind each entry. */
static const unsigned int sgt_layout[SGT_ENTRIES] = { 0, 1, 2, 3, 5, 6, 4 };

/* The segments the layer must make: first page and number of pages. */
static const struct {
	unsigned int first;
	unsigned int pages;
} sgt_expected[SGT_SEGMENTS] = { { 0, 4 }, { 5, 2 }, { 4, 1 } };

/**
 * struct sgt_ctx - one case's merging DMA layer, device and memory
 * @dev: the test device, using &sgt_dma_ops
 * @block: the order-%SGT_ORDER block the buffer's pages come from
 * @map_err: map_sg fails with this errno when not zero
 * @maps: calls of map_sg
 * @unmaps: calls of unmap_sg
 * @syncs_cpu: calls of sync_sg_for_cpu
 * @syncs_dev: calls of sync_sg_for_device
 * @live: lists mapped and not yet unmapped
 * @bad_lists: calls that got a list the layer did not map, or an entry
 *	without a page
 * @map_sgl: list of the latest map_sg
 * @map_nents: count passed to the latest map_sg
 * @unmap_sgl: list of the latest unmap_sg
 * @unmap_nents: count passed to the latest unmap_sg
 * @sync_sgl: list of the latest sync, either way
 * @sync_nents: count passed to the latest sync, either way
 * @sync_dir: direction of the latest sync, either way
 */
struct sgt_ctx {
	struct device *dev;
	struct page *block;
	int map_err;
	atomic_t maps;
	atomic_t unmaps;
	atomic_t syncs_cpu;
	atomic_t syncs_dev;
	atomic_t live;
	atomic_t bad_lists;
	struct scatterlist *map_sgl;
	int map_nents;
	struct scatterlist *unmap_sgl;
	int unmap_nents;
	struct scatterlist *sync_sgl;
	int sync_nents;
	enum dma_data_direction sync_dir;
};

/* Page @i of the case's block. */
static struct page *sgt_page(struct sgt_ctx *c, unsigned int i)
{
	return nth_page(c->block, i);
}

/* DMA address the layer gives page @i of the block. */
static dma_addr_t sgt_bus(struct sgt_ctx *c, unsigned int i)
{
	return page_to_phys(sgt_page(c, i)) + SGT_BUS_OFFSET;
}

/*
 * Count @sgl as bad unless it is the list the layer mapped last and each
 * of its @nents entries names a page. Safe in any context.
 */
static void sgt_check_list(struct sgt_ctx *c, struct scatterlist *sgl,
			   int nents)
{
	struct scatterlist *sg;
	int i;

	if (sgl != c->map_sgl)
		atomic_inc(&c->bad_lists);
	for_each_sg(sgl, sg, nents, i)
		if (!sg_page(sg))
			atomic_inc(&c->bad_lists);
}

/*
 * The layer's map_sg: one segment per run of physically contiguous
 * entries, up to the device's maximum segment size. Segment k is written
 * into entry k, which the loop has already read; entries past the last
 * segment are marked as carrying none.
 */
static int sgt_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct sgt_ctx *c = dev_get_drvdata(dev);
	unsigned int max = dma_get_max_seg_size(dev);
	struct scatterlist *sg, *seg = NULL;
	phys_addr_t next = 0;
	int i, segs = 0;

	atomic_inc(&c->maps);
	c->map_sgl = sgl;
	c->map_nents = nents;
	if (c->map_err)
		return c->map_err;

	for_each_sg(sgl, sg, nents, i) {
		phys_addr_t phys = sg_phys(sg);

		if (seg && phys == next && sg_dma_len(seg) + sg->length <= max) {
			sg_dma_len(seg) += sg->length;
		} else {
			seg = seg ? sg_next(seg) : sgl;
			sg_dma_address(seg) = phys + SGT_BUS_OFFSET;
			sg_dma_len(seg) = sg->length;
			segs++;
		}
		next = phys + sg->length;
	}
	for_each_sg(sgl, sg, nents, i) {
		if (i < segs)
			continue;
		sg_dma_address(sg) = DMA_MAPPING_ERROR;
		sg_dma_len(sg) = 0;
	}
	atomic_inc(&c->live);
	return segs;
}

static void sgt_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct sgt_ctx *c = dev_get_drvdata(dev);

	atomic_inc(&c->unmaps);
	sgt_check_list(c, sgl, nents);
	c->unmap_sgl = sgl;
	c->unmap_nents = nents;
	atomic_dec(&c->live);
}

/* Records the call; runs inside dma_buf_end_access(), so no sleeping. */
static void sgt_sync_for_cpu(struct device *dev, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir)
{
	struct sgt_ctx *c = dev_get_drvdata(dev);

	atomic_inc(&c->syncs_cpu);
	sgt_check_list(c, sgl, nents);
	c->sync_sgl = sgl;
	c->sync_nents = nents;
	c->sync_dir = dir;
}

/* Records the call; runs inside dma_buf_begin_access(), so no sleeping. */
static void sgt_sync_for_device(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir)
{
	struct sgt_ctx *c = dev_get_drvdata(dev);

	atomic_inc(&c->syncs_dev);
	sgt_check_list(c, sgl, nents);
	c->sync_sgl = sgl;
	c->sync_nents = nents;
	c->sync_dir = dir;
}

static const struct dma_map_ops sgt_dma_ops = {
	.map_sg = sgt_map_sg,
	.unmap_sg = sgt_unmap_sg,
	.sync_sg_for_cpu = sgt_sync_for_cpu,
	.sync_sg_for_device = sgt_sync_for_device,
};

/* KUnit action: give the block back. */
static void sgt_free_block(void *block)
{
	__free_pages(block, SGT_ORDER);
}

/*
 * Suite init: a device on the merging layer and the block of pages, both
 * released when the case ends. The device is set up in the order the DMA
 * core expects: ops first, so that setting the mask sees them and marks
 * the device as needing syncs.
 */
static int sgt_init(struct kunit *test)
{
	struct sgt_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->block = alloc_pages(GFP_KERNEL | __GFP_ZERO, SGT_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, c->block);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sgt_free_block,
							c->block), 0);
	c->dev = kunit_device_register(test, "sgt-merging");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->dev);
	dev_set_drvdata(c->dev, c);
	set_dma_ops(c->dev, &sgt_dma_ops);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(c->dev,
							DMA_BIT_MASK(64)), 0);
	KUNIT_ASSERT_TRUE(test, dma_need_sync(c->dev, sgt_bus(c, 0)));
	test->priv = c;
	return 0;
}

/* KUnit action: free a table made by sgt_table(). */
static void sgt_table_free(void *arg)
{
	struct sg_table *sgt = arg;

	sg_free_table(sgt);
	kfree(sgt);
}

/*
 * Build the %SGT_ENTRIES-entry table of the layout, one page per entry
 * (sg_alloc_table_from_pages() would merge them on the CPU side). With
 * @managed it is freed when the case ends; otherwise the caller owns it.
 * Returns the table or NULL.
 */
static struct sg_table *sgt_build(struct kunit *test, struct sgt_ctx *c,
				  bool managed)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return NULL;
	if (sg_alloc_table(sgt, SGT_ENTRIES, GFP_KERNEL)) {
		kfree(sgt);
		return NULL;
	}
	for_each_sg(sgt->sgl, sg, SGT_ENTRIES, i)
		sg_set_page(sg, sgt_page(c, sgt_layout[i]), PAGE_SIZE, 0);
	if (managed && kunit_add_action_or_reset(test, sgt_table_free, sgt))
		return NULL;
	return sgt;
}

/* A KUnit-managed table of the layout; aborts the case on failure. */
static struct sg_table *sgt_table(struct kunit *test, struct sgt_ctx *c)
{
	struct sg_table *sgt = sgt_build(test, c, true);

	KUNIT_ASSERT_NOT_NULL(test, sgt);
	return sgt;
}

/*
 * Expect the DMA side of @sgt to be exactly the segments of the layout,
 * walked with for_each_sgtable_dma_sg() and for_each_sgtable_dma_page().
 */
static void sgt_expect_segments(struct kunit *test, struct sgt_ctx *c,
				struct sg_table *sgt)
{
	struct sg_dma_page_iter diter;
	struct scatterlist *sg;
	unsigned int i, k, step = 0;

	KUNIT_EXPECT_EQ(test, sgt->nents, SGT_SEGMENTS);
	k = 0;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		KUNIT_ASSERT_LT(test, k, SGT_SEGMENTS);
		KUNIT_EXPECT_EQ(test, sg_dma_address(sg),
				sgt_bus(c, sgt_expected[k].first));
		KUNIT_EXPECT_EQ(test, sg_dma_len(sg),
				sgt_expected[k].pages * PAGE_SIZE);
		k++;
	}
	KUNIT_EXPECT_EQ(test, k, SGT_SEGMENTS);

	/* Page by page, the DMA side covers the layout in order. */
	for_each_sgtable_dma_page(sgt, &diter, 0) {
		KUNIT_ASSERT_LT(test, step, SGT_ENTRIES);
		KUNIT_EXPECT_EQ(test, sg_page_iter_dma_address(&diter),
				sgt_bus(c, sgt_layout[step]));
		step++;
	}
	KUNIT_EXPECT_EQ(test, step, SGT_ENTRIES);
}

static void map_merges_into_fewer_segments(struct kunit *test)
{
	struct sgt_ctx *c = test->priv;
	struct sg_table *sgt = sgt_table(test, c);

	KUNIT_EXPECT_EQ(test, sgt->nents, sgt->orig_nents);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(c->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	/* The layer was given every CPU entry and merged them. */
	KUNIT_EXPECT_EQ(test, atomic_read(&c->maps), 1);
	KUNIT_EXPECT_PTR_EQ(test, c->map_sgl, sgt->sgl);
	KUNIT_EXPECT_EQ(test, c->map_nents, SGT_ENTRIES);
	KUNIT_EXPECT_EQ(test, sgt->orig_nents, (unsigned int)SGT_ENTRIES);
	KUNIT_EXPECT_LT(test, sgt->nents, sgt->orig_nents);
	sgt_expect_segments(test, c, sgt);
	dma_unmap_sgtable(c->dev, sgt, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->live), 0);
}

static void cpu_loops_walk_every_entry(struct kunit *test)
{
	struct sgt_ctx *c = test->priv;
	struct sg_table *sgt = sgt_table(test, c);
	struct sg_page_iter piter;
	struct scatterlist *sg;
	unsigned int i, n;

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(c->dev, sgt, DMA_FROM_DEVICE,
					      0), 0);
	KUNIT_ASSERT_EQ(test, sgt->nents, SGT_SEGMENTS);

	/* Mapped or not, the CPU side is all seven entries. */
	n = 0;
	for_each_sgtable_sg(sgt, sg, i) {
		KUNIT_ASSERT_LT(test, n, SGT_ENTRIES);
		KUNIT_EXPECT_PTR_EQ(test, sg_page(sg),
				    sgt_page(c, sgt_layout[n]));
		KUNIT_EXPECT_EQ(test, sg->length, PAGE_SIZE);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, SGT_ENTRIES);

	n = 0;
	for_each_sgtable_page(sgt, &piter, 0) {
		KUNIT_ASSERT_LT(test, n, SGT_ENTRIES);
		KUNIT_EXPECT_PTR_EQ(test, sg_page_iter_page(&piter),
				    sgt_page(c, sgt_layout[n]));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, SGT_ENTRIES);

	/* A page offset skips that many pages of the buffer. */
	n = 5;
	for_each_sgtable_page(sgt, &piter, 5) {
		KUNIT_ASSERT_LT(test, n, SGT_ENTRIES);
		KUNIT_EXPECT_PTR_EQ(test, sg_page_iter_page(&piter),
				    sgt_page(c, sgt_layout[n]));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, SGT_ENTRIES);
	dma_unmap_sgtable(c->dev, sgt, DMA_FROM_DEVICE, 0);
}

static void dma_loops_walk_only_segments(struct kunit *test)
{
	struct sgt_ctx *c = test->priv;
	struct sg_table *sgt = sgt_table(test, c);
	struct sg_dma_page_iter diter;
	unsigned int n;

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(c->dev, sgt, DMA_BIDIRECTIONAL,
					      0), 0);
	sgt_expect_segments(test, c, sgt);

	/* Skipping four pages lands on the first page of segment two. */
	n = 4;
	for_each_sgtable_dma_page(sgt, &diter, 4) {
		KUNIT_ASSERT_LT(test, n, SGT_ENTRIES);
		KUNIT_EXPECT_EQ(test, sg_page_iter_dma_address(&diter),
				sgt_bus(c, sgt_layout[n]));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, SGT_ENTRIES);

	/* Two pages in, the walk starts inside segment one. */
	n = 2;
	for_each_sgtable_dma_page(sgt, &diter, 2) {
		KUNIT_ASSERT_LT(test, n, SGT_ENTRIES);
		KUNIT_EXPECT_EQ(test, sg_page_iter_dma_address(&diter),
				sgt_bus(c, sgt_layout[n]));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, SGT_ENTRIES);
	dma_unmap_sgtable(c->dev, sgt, DMA_BIDIRECTIONAL, 0);
}

static void unmap_and_syncs_give_back_all_entries(struct kunit *test)
{
	struct sgt_ctx *c = test->priv;
	struct sg_table *sgt = sgt_table(test, c);

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(c->dev, sgt, DMA_FROM_DEVICE,
					      0), 0);
	KUNIT_ASSERT_EQ(test, sgt->nents, SGT_SEGMENTS);

	dma_sync_sgtable_for_cpu(c->dev, sgt, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->syncs_cpu), 1);
	KUNIT_EXPECT_PTR_EQ(test, c->sync_sgl, sgt->sgl);
	KUNIT_EXPECT_EQ(test, c->sync_nents, SGT_ENTRIES);
	KUNIT_EXPECT_EQ(test, c->sync_dir, DMA_FROM_DEVICE);

	dma_sync_sgtable_for_device(c->dev, sgt, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->syncs_dev), 1);
	KUNIT_EXPECT_PTR_EQ(test, c->sync_sgl, sgt->sgl);
	KUNIT_EXPECT_EQ(test, c->sync_nents, SGT_ENTRIES);
	KUNIT_EXPECT_EQ(test, c->sync_dir, DMA_FROM_DEVICE);

	dma_unmap_sgtable(c->dev, sgt, DMA_FROM_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->unmaps), 1);
	KUNIT_EXPECT_PTR_EQ(test, c->unmap_sgl, sgt->sgl);
	KUNIT_EXPECT_EQ(test, c->unmap_nents, SGT_ENTRIES);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->live), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->bad_lists), 0);
}

static void map_errors_reach_the_caller(struct kunit *test)
{
	static const int errs[] = { -EINVAL, -ENOMEM, -EIO, -EREMOTEIO };
	struct sgt_ctx *c = test->priv;
	struct sg_table *sgt = sgt_table(test, c);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		c->map_err = errs[i];
		KUNIT_EXPECT_EQ(test, dma_map_sgtable(c->dev, sgt,
						      DMA_TO_DEVICE, 0),
				errs[i]);
		/* A failed map leaves the table as it was. */
		KUNIT_EXPECT_EQ(test, sgt->nents, (unsigned int)SGT_ENTRIES);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&c->maps), (int)ARRAY_SIZE(errs));
	KUNIT_EXPECT_EQ(test, atomic_read(&c->live), 0);

	/* Once the layer recovers, the same table maps. */
	c->map_err = 0;
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(c->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	KUNIT_EXPECT_EQ(test, sgt->nents, SGT_SEGMENTS);
	dma_unmap_sgtable(c->dev, sgt, DMA_TO_DEVICE, 0);
}

static void map_without_dma_mask_is_an_error(struct kunit *test)
{
	struct sgt_ctx *c = test->priv;
	struct sg_table *sgt = sgt_table(test, c);
	u64 *mask = c->dev->dma_mask;
	int ret;

	/*
	 * The DMA core warns and maps nothing; the wrapper must not turn
	 * that into success with zero segments.
	 */
	c->dev->dma_mask = NULL;
	expect_warn_begin("dma-map-sgtable-no-mask");
	ret = dma_map_sgtable(c->dev, sgt, DMA_TO_DEVICE, 0);
	expect_warn_end("dma-map-sgtable-no-mask");
	c->dev->dma_mask = mask;
	KUNIT_EXPECT_EQ(test, ret, -EIO);
	KUNIT_EXPECT_EQ(test, sgt->nents, (unsigned int)SGT_ENTRIES);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->maps), 0);
}

/**
 * struct sgt_exp - a dma-buf exporter of the layout's pages
 * @c: the case's DMA layer
 * @table: the exporter's table while an importer has it mapped
 * @table_dev: the device @table is mapped for
 * @released: calls of release
 */
struct sgt_exp {
	struct sgt_ctx *c;
	struct sg_table *table;
	struct device *table_dev;
	atomic_t released;
};

/* Builds the layout's table and maps it for the importer's device. */
static struct sg_table *sgt_exp_map(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir)
{
	struct sgt_exp *e = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	if (e->table)
		return ERR_PTR(-EBUSY);
	sgt = sgt_build(NULL, e->c, false);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret) {
		sgt_table_free(sgt);
		return ERR_PTR(ret);
	}
	e->table = sgt;
	e->table_dev = attach->dev;
	return sgt;
}

static void sgt_exp_unmap(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	struct sgt_exp *e = attach->dmabuf->priv;

	if (WARN_ON_ONCE(sgt != e->table))
		return;
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sgt_table_free(sgt);
	e->table = NULL;
}

/* The CPU hand-over of a heap-like exporter: sync its live mapping. */
static int sgt_exp_begin_cpu(struct dma_buf *dmabuf,
			     enum dma_data_direction dir)
{
	struct sgt_exp *e = dmabuf->priv;

	if (e->table)
		dma_sync_sgtable_for_cpu(e->table_dev, e->table, dir);
	return 0;
}

static int sgt_exp_end_cpu(struct dma_buf *dmabuf,
			   enum dma_data_direction dir)
{
	struct sgt_exp *e = dmabuf->priv;

	if (e->table)
		dma_sync_sgtable_for_device(e->table_dev, e->table, dir);
	return 0;
}

static void sgt_exp_release(struct dma_buf *dmabuf)
{
	struct sgt_exp *e = dmabuf->priv;

	atomic_inc(&e->released);
}

static const struct dma_buf_ops sgt_exp_ops = {
	.map_dma_buf = sgt_exp_map,
	.unmap_dma_buf = sgt_exp_unmap,
	.begin_cpu_access = sgt_exp_begin_cpu,
	.end_cpu_access = sgt_exp_end_cpu,
	.release = sgt_exp_release,
};

/* Expect the latest sync to have covered all of the exporter's entries. */
static void sgt_expect_synced(struct kunit *test, struct sgt_ctx *c,
			      struct sg_table *exp_sgt,
			      enum dma_data_direction dir)
{
	KUNIT_EXPECT_PTR_EQ(test, c->sync_sgl, exp_sgt->sgl);
	KUNIT_EXPECT_EQ(test, c->sync_nents, SGT_ENTRIES);
	KUNIT_EXPECT_EQ(test, c->sync_dir, dir);
}

static void dma_buf_import_through_merging_layer(struct kunit *test)
{
	struct sgt_ctx *c = test->priv;
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf_attachment *attach;
	struct sg_table *sgt, *exp_sgt;
	struct scatterlist *sg;
	struct dma_buf *dmabuf;
	struct sgt_exp *e;
	unsigned int i;

	e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	e->c = c;
	info.ops = &sgt_exp_ops;
	info.size = SGT_ENTRIES * PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = e;
	dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));

	attach = dma_buf_attach(dmabuf, c->dev);
	if (IS_ERR(attach)) {
		dma_buf_put(dmabuf);
		KUNIT_FAIL_AND_ABORT(test, "attach: %ld", PTR_ERR(attach));
	}
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(sgt));
	if (IS_ERR(sgt))
		goto detach;
	exp_sgt = e->table;
	KUNIT_ASSERT_NOT_NULL(test, exp_sgt);
	KUNIT_EXPECT_EQ(test, exp_sgt->nents, SGT_SEGMENTS);
	KUNIT_EXPECT_EQ(test, c->map_nents, SGT_ENTRIES);

	/* The importer sees the three segments, whatever table it holds. */
	sgt_expect_segments(test, c, sgt);
	if (IS_ENABLED(CONFIG_DMABUF_DEBUG)) {
		/*
		 * A copy without pages, with the exporter's counts: every
		 * CPU entry (for the DMA API's syncs) and the segments.
		 */
		KUNIT_EXPECT_PTR_NE(test, sgt, exp_sgt);
		KUNIT_EXPECT_EQ(test, sgt->orig_nents, SGT_ENTRIES);
		KUNIT_EXPECT_EQ(test, sgt->nents, SGT_SEGMENTS);
		for_each_sgtable_sg(sgt, sg, i)
			KUNIT_EXPECT_NULL(test, sg_page(sg));
	} else {
		KUNIT_EXPECT_PTR_EQ(test, sgt, exp_sgt);
	}

	/* The brackets sync the exporter's table, all seven entries. */
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(attach, sgt, DMA_TO_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->syncs_dev), 1);
	sgt_expect_synced(test, c, exp_sgt, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(attach, sgt, DMA_FROM_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->syncs_cpu), 1);
	sgt_expect_synced(test, c, exp_sgt, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(attach), 2L);

	/* CPU access through the exporter syncs the same way. */
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->syncs_cpu), 2);
	sgt_expect_synced(test, c, exp_sgt, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_FROM_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->syncs_dev), 2);
	sgt_expect_synced(test, c, exp_sgt, DMA_FROM_DEVICE);

	/* Unmap reaches the layer with the exporter's list and count. */
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_NULL(test, e->table);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->unmaps), 1);
	KUNIT_EXPECT_EQ(test, c->unmap_nents, SGT_ENTRIES);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->live), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->bad_lists), 0);
detach:
	dma_buf_detach(dmabuf, attach);
	dma_buf_put(dmabuf);
	fput_settle(atomic_read(&e->released));
	KUNIT_EXPECT_EQ(test, atomic_read(&e->released), 1);
}

static struct kunit_case sgtable_cases[] = {
	KUNIT_CASE(map_merges_into_fewer_segments),
	KUNIT_CASE(cpu_loops_walk_every_entry),
	KUNIT_CASE(dma_loops_walk_only_segments),
	KUNIT_CASE(unmap_and_syncs_give_back_all_entries),
	KUNIT_CASE(map_errors_reach_the_caller),
	KUNIT_CASE(map_without_dma_mask_is_an_error),
	KUNIT_CASE(dma_buf_import_through_merging_layer),
	{}
};

static struct kunit_suite sgtable_suite = {
	.name = "dma-sgtable",
	.init = sgt_init,
	.test_cases = sgtable_cases,
};

kunit_test_suite(sgtable_suite);

MODULE_DESCRIPTION("KUnit tests of the sg_table DMA calls and loops");
MODULE_LICENSE("GPL");
