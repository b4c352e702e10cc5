// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for dma_buf_begin_access() and dma_buf_end_access() on a
 * device whose DMA goes through swiotlb bounce buffers: the case where
 * the core's synchronisation is what makes device writes reach the CPU
 * and CPU writes reach the device.
 */

#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/irq_work.h>
#include <linux/preempt.h>
#include <linux/module.h>
#include <linux/swiotlb.h>

#include "dmabuf-helpers.h"

/**
 * DOC: dma-buf bounce-buffer KUnit suite
 *
 * With ``swiotlb=force`` on the kernel command line every streaming DMA
 * mapping of a dma-direct device is redirected to a bounce buffer: the
 * device reads and writes a copy, and the DMA API copies between the
 * copy and the real pages only when it is told to (map, unmap and the
 * sync calls). That makes the effect of dma_buf_begin_access() and
 * dma_buf_end_access() observable from a test, without hardware:
 *
 * * the "device" writes to the bounce buffer, found through the DMA
 *   address of the importer's table with dma_to_phys() and
 *   phys_to_virt();
 * * until dma_buf_end_access(), the CPU still reads the old bytes in the
 *   exporter's pages (directly and through dma_buf_vmap());
 * * a CPU write to the pages does not reach the bounce buffer until
 *   dma_buf_begin_access().
 *
 * Each scenario runs for a static and a dynamic importer, with the
 * DMA-only copy of CONFIG_DMABUF_DEBUG in the importer's hands, and
 * checks the core's count of synchronisations (attach_dev_syncs()); one
 * case makes the end call from a hard interrupt (an irq_work), as a
 * driver's completion handler would.
 * The first case proves that
 * bouncing is really in force and fails otherwise: the suite is
 * meaningless on a normal boot, so it is a module, loaded by the harness
 * in a guest booted with::
 *
 *	swiotlb=force
 *	modprobe dma-buf-bounce-test
 *
 * The core of a scenario::
 *
 *	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
 *	device_fill(imp, sgt, 0x22);
 *	KUNIT_EXPECT_EQ(test, texp_page_byte(t, 0), 0x11);
 *	dma_buf_end_access(imp->attach, sgt, DMA_FROM_DEVICE);
 *	KUNIT_EXPECT_EQ(test, texp_page_byte(t, 0), 0x22);
 */

MODULE_IMPORT_NS(DMA_BUF);

/* Bytes of the three phases of a scenario. */
#define BYTE_CPU_OLD	0x11
#define BYTE_DEVICE	0x22
#define BYTE_CPU_NEW	0x33

/* The memory the device really accesses for one entry of a DMA table. */
static u8 *device_view(struct device *dev, struct scatterlist *sg)
{
	return phys_to_virt(dma_to_phys(dev, sg_dma_address(sg)));
}

/* What the device does when it writes @val over the whole mapping. */
static void device_fill(struct timp *imp, struct sg_table *sgt, u8 val)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		memset(device_view(imp->dev, sg), val, sg_dma_len(sg));
}

/* Does the device read @val at both ends of every entry of the mapping? */
static bool device_sees(struct timp *imp, struct sg_table *sgt, u8 val)
{
	struct scatterlist *sg;
	unsigned int i;
	u8 *p;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		p = device_view(imp->dev, sg);
		if (READ_ONCE(p[0]) != val ||
		    READ_ONCE(p[sg_dma_len(sg) - 1]) != val)
			return false;
	}
	return true;
}

/* Does the CPU read @val at both ends of every page, directly? */
static bool cpu_sees(struct texp *t, u8 val)
{
	unsigned int i;
	u8 *p;

	for (i = 0; i < t->npages; i++) {
		p = page_address(t->pages[i]);
		if (READ_ONCE(p[0]) != val || READ_ONCE(p[PAGE_SIZE - 1]) != val)
			return false;
	}
	return true;
}

/* Does the CPU read @val at both ends of every page, through @map? */
static bool vmap_sees(struct texp *t, struct iosys_map *map, u8 val)
{
	u8 *p = map->vaddr;
	unsigned int i;

	for (i = 0; i < t->npages; i++)
		if (READ_ONCE(p[i * PAGE_SIZE]) != val ||
		    READ_ONCE(p[(i + 1) * PAGE_SIZE - 1]) != val)
			return false;
	return true;
}

/*
 * Abort the case unless dma-direct really bounces for @dev: a suite that
 * passes without bouncing would prove nothing.
 */
static void assert_bouncing(struct kunit *test, struct device *dev)
{
	KUNIT_ASSERT_TRUE_MSG(test, is_swiotlb_force_bounce(dev),
			      "boot with swiotlb=force to run this suite");
}

/*
 * The whole scenario on a mapping @sgt of @imp, made in both directions
 * after the pages were filled with BYTE_CPU_OLD: device write, CPU sees
 * it only after end_access; CPU write, device sees it only after
 * begin_access. @syncs is dev_syncs before the scenario.
 */
static void bounce_scenario(struct kunit *test, struct texp *t,
			    struct timp *imp, struct sg_table *sgt)
{
	long syncs = attach_dev_syncs(imp->attach);
	struct iosys_map map;

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(t->dmabuf, &map), 0);
	KUNIT_EXPECT_EQ(test, sgt_dma_bytes(sgt), t->dmabuf->size);
	KUNIT_EXPECT_TRUE(test, device_sees(imp, sgt, BYTE_CPU_OLD));

	/* Device to CPU. */
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_FROM_DEVICE), 0);
	device_fill(imp, sgt, BYTE_DEVICE);
	KUNIT_EXPECT_TRUE_MSG(test, cpu_sees(t, BYTE_CPU_OLD),
			      "device write visible before end_access");
	KUNIT_EXPECT_TRUE(test, vmap_sees(t, &map, BYTE_CPU_OLD));
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_TRUE_MSG(test, cpu_sees(t, BYTE_DEVICE),
			      "device write lost by end_access");
	KUNIT_EXPECT_TRUE(test, vmap_sees(t, &map, BYTE_DEVICE));
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach),
			syncs + 2);

	/* CPU to device. */
	texp_fill(t, BYTE_CPU_NEW);
	KUNIT_EXPECT_TRUE_MSG(test, device_sees(imp, sgt, BYTE_DEVICE),
			      "CPU write visible before begin_access");
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_TRUE_MSG(test, device_sees(imp, sgt, BYTE_CPU_NEW),
			      "CPU write not pushed by begin_access");
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_TO_DEVICE), 0);
	/* The device only read: the CPU's bytes are still the CPU's. */
	KUNIT_EXPECT_TRUE(test, cpu_sees(t, BYTE_CPU_NEW));
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach),
			syncs + 4);

	dma_buf_vunmap_unlocked(t->dmabuf, &map);
}

static void bouncing_is_in_force(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt, *exp_sgt;
	struct scatterlist *sg;
	unsigned int i, direct = 0;

	assert_bouncing(test, imp->dev);
	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));

	/* No DMA address of the exporter's table points at its pages. */
	exp_sgt = t->last_map_sgt;
	for_each_sgtable_dma_sg(exp_sgt, sg, i)
		if (dma_to_phys(imp->dev, sg_dma_address(sg)) ==
		    page_to_phys(sg_page(sg)) + sg->offset)
			direct++;
	KUNIT_EXPECT_EQ(test, direct, 0);
	KUNIT_EXPECT_TRUE(test, dma_need_sync(imp->dev,
					      sg_dma_address(sgt->sgl)));
	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void static_importer_of_static_exporter(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 3);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt;

	assert_bouncing(test, imp->dev);
	texp_fill(t, BYTE_CPU_OLD);
	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	if (IS_ENABLED(CONFIG_DMABUF_DEBUG))
		KUNIT_EXPECT_PTR_NE(test, sgt, t->last_map_sgt);
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach), 0);

	bounce_scenario(test, t, imp, sgt);

	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

/*
 * An importer that synchronises its own mapping with the DMA API (as
 * many do, instead of the brackets) sees the device's data under
 * CONFIG_DMABUF_DEBUG too: the copy it holds keeps everything the sync
 * calls read (counts, lengths, DMA addresses, sg dma flags).
 */
static void importer_syncs_its_own_mapping(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 3);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt, *exp_sgt;
	struct scatterlist *sg, *esg;
	unsigned int i;

	assert_bouncing(test, imp->dev);
	texp_fill(t, BYTE_CPU_OLD);
	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	exp_sgt = t->last_map_sgt;

	KUNIT_EXPECT_EQ(test, sgt->orig_nents, exp_sgt->orig_nents);
	KUNIT_EXPECT_EQ(test, sgt->nents, exp_sgt->nents);
	esg = exp_sgt->sgl;
	for_each_sgtable_sg(sgt, sg, i) {
		KUNIT_EXPECT_EQ(test, sg->length, esg->length);
		KUNIT_EXPECT_EQ(test, sg_dma_address(sg), sg_dma_address(esg));
		KUNIT_EXPECT_EQ(test, sg_dma_len(sg), sg_dma_len(esg));
		KUNIT_EXPECT_EQ(test, sg_dma_is_swiotlb(sg),
				sg_dma_is_swiotlb(esg));
		KUNIT_EXPECT_EQ(test, sg_dma_is_bus_address(sg),
				sg_dma_is_bus_address(esg));
		if (IS_ENABLED(CONFIG_DMABUF_DEBUG))
			KUNIT_EXPECT_NULL(test, sg_page(sg));
		esg = sg_next(esg);
	}

	/* The device writes; the importer's own sync makes it visible. */
	device_fill(imp, sgt, BYTE_DEVICE);
	KUNIT_EXPECT_TRUE(test, cpu_sees(t, BYTE_CPU_OLD));
	dma_sync_sgtable_for_cpu(imp->dev, sgt, DMA_FROM_DEVICE);
	KUNIT_EXPECT_TRUE_MSG(test, cpu_sees(t, BYTE_DEVICE),
			      "importer's sync_for_cpu skipped the bounce copy");

	/* And the CPU's writes reach the device through sync_for_device. */
	texp_fill(t, BYTE_CPU_NEW);
	dma_sync_sgtable_for_device(imp->dev, sgt, DMA_TO_DEVICE);
	KUNIT_EXPECT_TRUE_MSG(test, device_sees(imp, sgt, BYTE_CPU_NEW),
			      "importer's sync_for_device skipped the copy");

	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

/*
 * A table the core's fallback does not fit (here an entry without struct
 * page) still maps as with 6.12, but a device that needs
 * synchronisation gets -EOPNOTSUPP from the brackets unless the exporter
 * has its own hooks, which are then called as usual.
 */
static void unfit_table_needs_the_exporter_hooks(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct texp *h = texp_new(test, TEXP_ACCESS, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct timp *himp = timp_attach(test, h, "himp", NULL);
	struct sg_table *sgt;

	assert_bouncing(test, imp->dev);
	t->hide_first_page = true;
	h->hide_first_page = true;

	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_TO_DEVICE), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_FROM_DEVICE), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach), 0);
	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);

	sgt = timp_map(himp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(himp->attach, sgt,
						   DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(himp->attach, sgt,
						 DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&h->begin_access_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&h->end_access_calls), 1);
	timp_unmap(himp, sgt, DMA_BIDIRECTIONAL);

	timp_detach(imp);
	timp_detach(himp);
	texp_expect_idle(test, t);
	texp_expect_idle(test, h);
}

static void dynamic_importer_of_dynamic_exporter(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 3);
	struct timp *imp = timp_attach(test, t, "imp", &timp_dynamic_ops);
	struct sg_table *sgt;

	assert_bouncing(test, imp->dev);
	texp_fill(t, BYTE_CPU_OLD);
	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));

	bounce_scenario(test, t, imp, sgt);

	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void static_importer_of_dynamic_exporter(struct kunit *test)
{
	struct texp *t = texp_alloc(test, TEXP_DYNAMIC, 2);
	struct dma_buf_export_info info = {};
	struct timp *imp;
	struct sg_table *sgt;

	/* Mapped by the core at attach time: fill the pages before. */
	texp_fill(t, BYTE_CPU_OLD);
	texp_export_info(t, &info);
	t->dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->dmabuf);
	imp = timp_attach(test, t, "imp", NULL);
	assert_bouncing(test, imp->dev);
	KUNIT_EXPECT_TRUE(test, attach_core_pinned(imp->attach));

	sgt = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	bounce_scenario(test, t, imp, sgt);
	timp_unmap(imp, sgt, DMA_TO_DEVICE);

	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void one_way_mappings_sync_their_way(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *in, *out;

	assert_bouncing(test, imp->dev);
	texp_fill(t, BYTE_CPU_OLD);
	in = timp_map(imp, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(in));
	out = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(out));

	/* A capture into the pages, through the device-to-memory mapping. */
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, in,
						   DMA_FROM_DEVICE), 0);
	device_fill(imp, in, BYTE_DEVICE);
	KUNIT_EXPECT_TRUE(test, cpu_sees(t, BYTE_CPU_OLD));
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, in,
						 DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_TRUE(test, cpu_sees(t, BYTE_DEVICE));

	/* A scan-out of new CPU bytes, through the other mapping. */
	texp_fill(t, BYTE_CPU_NEW);
	KUNIT_EXPECT_FALSE(test, device_sees(imp, out, BYTE_CPU_NEW));
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, out,
						   DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_TRUE(test, device_sees(imp, out, BYTE_CPU_NEW));
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, out,
						 DMA_TO_DEVICE), 0);

	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach), 4);
	timp_unmap(imp, out, DMA_TO_DEVICE);
	timp_unmap(imp, in, DMA_FROM_DEVICE);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void exporter_hooks_replace_the_core_sync(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_ACCESS, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt;

	assert_bouncing(test, imp->dev);
	texp_fill(t, BYTE_CPU_OLD);
	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));

	/* The exporter's hooks do nothing: the pages stay as they were. */
	device_fill(imp, sgt, BYTE_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_TRUE(test, cpu_sees(t, BYTE_CPU_OLD));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->end_access_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, t->last_access_sgt, t->last_map_sgt);
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach), 0);

	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

/**
 * struct irq_end_access - dma_buf_end_access() from a hard interrupt
 * @work: the irq_work that makes the call
 * @imp: the importer
 * @sgt: its mapping
 * @ret: what the call returned
 * @in_irq: the call really ran in hard interrupt context
 */
struct irq_end_access {
	struct irq_work work;
	struct timp *imp;
	struct sg_table *sgt;
	int ret;
	bool in_irq;
};

/* Runs in hard interrupt context, like a driver's completion handler. */
static void irq_end_access_fn(struct irq_work *work)
{
	struct irq_end_access *call =
		container_of(work, struct irq_end_access, work);

	call->in_irq = in_hardirq();
	call->ret = dma_buf_end_access(call->imp->attach, call->sgt,
				       DMA_FROM_DEVICE);
}

static void end_access_from_a_hard_interrupt(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", &timp_dynamic_ops);
	struct irq_end_access call = { .imp = imp, .ret = -EINPROGRESS };

	assert_bouncing(test, imp->dev);
	texp_fill(t, BYTE_CPU_OLD);
	call.sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(call.sgt));

	device_fill(imp, call.sgt, BYTE_DEVICE);
	init_irq_work(&call.work, irq_end_access_fn);
	/* irq_work_queue() raises a self-IPI: the function runs in hardirq. */
	irq_work_queue(&call.work);
	irq_work_sync(&call.work);

	KUNIT_EXPECT_TRUE(test, call.in_irq);
	KUNIT_EXPECT_EQ(test, call.ret, 0);
	KUNIT_EXPECT_TRUE(test, cpu_sees(t, BYTE_DEVICE));
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach), 1);

	timp_unmap(imp, call.sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void buffer_holds_the_exporting_module(struct kunit *test)
{
	int before = module_refcount(THIS_MODULE);
	struct texp *t = texp_new(test, TEXP_STATIC, 1);

	KUNIT_EXPECT_PTR_EQ(test, t->dmabuf->owner, THIS_MODULE);
	KUNIT_EXPECT_EQ(test, module_refcount(THIS_MODULE), before + 1);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
	KUNIT_EXPECT_EQ(test, module_refcount(THIS_MODULE), before);
}

static struct kunit_case dma_buf_bounce_cases[] = {
	KUNIT_CASE(bouncing_is_in_force),
	KUNIT_CASE(static_importer_of_static_exporter),
	KUNIT_CASE(importer_syncs_its_own_mapping),
	KUNIT_CASE(unfit_table_needs_the_exporter_hooks),
	KUNIT_CASE(dynamic_importer_of_dynamic_exporter),
	KUNIT_CASE(static_importer_of_dynamic_exporter),
	KUNIT_CASE(one_way_mappings_sync_their_way),
	KUNIT_CASE(exporter_hooks_replace_the_core_sync),
	KUNIT_CASE(end_access_from_a_hard_interrupt),
	KUNIT_CASE(buffer_holds_the_exporting_module),
	{}
};

static struct kunit_suite dma_buf_bounce_suite = {
	.name = "dma-buf-bounce",
	.test_cases = dma_buf_bounce_cases,
};

kunit_test_suite(dma_buf_bounce_suite);

MODULE_DESCRIPTION("KUnit tests of dma-buf device access through bounce buffers");
MODULE_LICENSE("GPL");
