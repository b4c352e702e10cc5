// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the dma-heap core (registration, accessors, request
 * validation) and for the system heap's buffers as a kernel importer
 * sees them.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-heap.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/scatterlist.h>
#include <uapi/linux/dma-heap.h>

#include "../dma-heap-internal.h"

/**
 * DOC: dma-heap KUnit suites
 *
 * * "dma-heap": dma_heap_add() with valid, malformed and duplicate
 *   export information, dma_heap_get_name() and dma_heap_get_drvdata(),
 *   and the checks dma_heap_alloc_buffer() (the ioctl's allocation path)
 *   makes before and after calling a heap.  The heaps these cases
 *   register are removed again before the case ends (a test-only
 *   facility of the core), so user space never sees them.
 * * "dma-heap-system": buffers of the "system" heap seen by a kernel
 *   importer: size and exporter name, zeroed contents through vmap, the
 *   counted kernel mapping, attach and map for a device with a 64-bit DMA
 *   mask (the mapped addresses reach the buffer's data), CPU access
 *   brackets around a mapping, and one mapping per attachment.
 *
 * Build it in (the core does not export its functions) with::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_HEAPS=y
 *	CONFIG_DMABUF_HEAPS_SYSTEM=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * Two cases prove a provider bug warns; they bracket the warning with the
 * harness's expected-WARN lines and must be its first trigger in a boot.
 */

/* Expected-WARN bracket lines of the harness (see check-log.py). */
static void heap_test_expect_warn(const char *tag, bool begin)
{
	pr_info("dmabuf-expect-warn: %s %s\n", begin ? "begin" : "end", tag);
}

/**
 * struct heap_test_ctx - provider data of the test heaps
 * @calls: calls of the allocate operation
 * @len: its last @len argument
 * @fd_flags: its last @fd_flags argument
 * @result: what it returns
 */
struct heap_test_ctx {
	unsigned int calls;
	unsigned long len;
	u32 fd_flags;
	struct dma_buf *result;
};

/* dma_heap_ops.allocate of the test heaps: records and returns ->result. */
static struct dma_buf *heap_test_allocate(struct dma_heap *heap,
					  unsigned long len, u32 fd_flags,
					  u64 heap_flags)
{
	struct heap_test_ctx *ctx = dma_heap_get_drvdata(heap);

	ctx->calls++;
	ctx->len = len;
	ctx->fd_flags = fd_flags;
	return ctx->result;
}

static const struct dma_heap_ops heap_test_ops = {
	.allocate = heap_test_allocate,
};

static const struct dma_heap_ops heap_test_no_allocate_ops;

/* KUnit action: unregister a test heap the case added. */
static void heap_test_remove(void *heap)
{
	dma_heap_remove(heap);
}

/*
 * Register a heap called @name with the test operations and @ctx, removed
 * when the case ends.  Returns the heap; the case fails if it cannot.
 */
static struct dma_heap *heap_test_add(struct kunit *test, const char *name,
				      struct heap_test_ctx *ctx)
{
	struct dma_heap_export_info info = {
		.name = name,
		.ops = &heap_test_ops,
		.priv = ctx,
	};
	struct dma_heap *heap = dma_heap_add(&info);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, heap);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, heap_test_remove,
							heap), 0);
	return heap;
}

/* A heap reports the name and provider data it was registered with. */
static void heap_add_accessors(struct kunit *test)
{
	static const char name[] = "kunit-heap-accessors";
	struct heap_test_ctx ctx = {};
	struct dma_heap *heap, *found;

	heap = heap_test_add(test, name, &ctx);
	KUNIT_EXPECT_PTR_EQ(test, dma_heap_get_name(heap), (const char *)name);
	KUNIT_EXPECT_PTR_EQ(test, dma_heap_get_drvdata(heap), (void *)&ctx);

	found = dma_heap_lookup(name);
	KUNIT_EXPECT_PTR_EQ(test, found, heap);
	if (found)
		dma_heap_put(found);
	KUNIT_EXPECT_NULL(test, dma_heap_lookup("kunit-heap-nonexistent"));
}

/* A second heap of the same name is refused; the first is unaffected. */
static void heap_add_duplicate(struct kunit *test)
{
	struct heap_test_ctx first = {}, second = {};
	struct dma_heap_export_info info = {
		.name = "kunit-heap-dup",
		.ops = &heap_test_ops,
		.priv = &second,
	};
	struct dma_heap *heap, *found;
	char copy[] = "kunit-heap-dup";

	heap = heap_test_add(test, "kunit-heap-dup", &first);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
	/* Equal text in another string is the same name. */
	info.name = copy;
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);

	found = dma_heap_lookup("kunit-heap-dup");
	KUNIT_EXPECT_PTR_EQ(test, found, heap);
	if (found) {
		KUNIT_EXPECT_PTR_EQ(test, dma_heap_get_drvdata(found),
				    (void *)&first);
		dma_heap_put(found);
	}
	/* The system heap's name is taken as well. */
	info.name = "system";
	if (IS_ENABLED(CONFIG_DMABUF_HEAPS_SYSTEM))
		KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
}

/* Once a heap is removed its name can be registered again. */
static void heap_add_after_remove(struct kunit *test)
{
	struct heap_test_ctx ctx = {};
	struct dma_heap_export_info info = {
		.name = "kunit-heap-again",
		.ops = &heap_test_ops,
		.priv = &ctx,
	};
	struct dma_heap *heap;

	heap = dma_heap_add(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, heap);
	dma_heap_remove(heap);
	KUNIT_EXPECT_NULL(test, dma_heap_lookup("kunit-heap-again"));
	heap_test_add(test, "kunit-heap-again", &ctx);
}

/* Names must be present and non-empty (no warning: not a code bug). */
static void heap_add_bad_name(struct kunit *test)
{
	struct heap_test_ctx ctx = {};
	struct dma_heap_export_info info = {
		.ops = &heap_test_ops,
		.priv = &ctx,
	};

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
	info.name = "";
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
}

/*
 * Missing operations are a provider bug: warned about once, refused with
 * -EINVAL every time.
 */
static void heap_add_bad_ops(struct kunit *test)
{
	struct dma_heap_export_info info = {
		.name = "kunit-heap-bad-ops",
		.ops = &heap_test_no_allocate_ops,
	};

	heap_test_expect_warn("dma-heap-no-allocate", true);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
	heap_test_expect_warn("dma-heap-no-allocate", false);

	info.ops = NULL;
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(NULL)), -EINVAL);
	KUNIT_EXPECT_NULL(test, dma_heap_lookup("kunit-heap-bad-ops"));
}

/*
 * Requests the core refuses never reach the heap; valid ones arrive
 * rounded up to pages, with their fd_flags, and the heap's result comes
 * back unchanged.
 */
static void heap_alloc_checks(struct kunit *test)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;
	struct heap_test_ctx ctx = { .result = ERR_PTR(-ENOSPC) };
	struct dma_heap *heap = heap_test_add(test, "kunit-heap-checks", &ctx);
	struct dma_buf *ret;

	ret = dma_heap_alloc_buffer(heap, PAGE_SIZE, O_RDWR | O_NONBLOCK, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -EINVAL);
	ret = dma_heap_alloc_buffer(heap, PAGE_SIZE, O_RDWR, 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -EINVAL);
	ret = dma_heap_alloc_buffer(heap, 0, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -EINVAL);
	ret = dma_heap_alloc_buffer(heap, U64_MAX, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -EINVAL);
	ret = dma_heap_alloc_buffer(heap, (u64)PAGE_MASK + 1, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -EINVAL);
	ret = dma_heap_alloc_buffer(heap, (u64)PAGE_MASK, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -ENOMEM);
	ret = dma_heap_alloc_buffer(heap, ram + 1, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctx.calls, 0);

	ret = dma_heap_alloc_buffer(heap, PAGE_SIZE + 1, O_RDONLY | O_CLOEXEC,
				    0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ctx.calls, 1);
	KUNIT_EXPECT_EQ(test, ctx.len, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ctx.fd_flags, (u32)(O_RDONLY | O_CLOEXEC));

	ret = dma_heap_alloc_buffer(heap, ram, O_RDWR, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ctx.len, (unsigned long)ram);
}

/* A heap that returns NULL breaks its contract: warned, made -ENOMEM. */
static void heap_alloc_null_result(struct kunit *test)
{
	struct heap_test_ctx ctx = { .result = NULL };
	struct dma_heap *heap = heap_test_add(test, "kunit-heap-null", &ctx);
	struct dma_buf *ret;

	heap_test_expect_warn("dma-heap-null-buffer", true);
	ret = dma_heap_alloc_buffer(heap, PAGE_SIZE, O_RDWR, 0);
	heap_test_expect_warn("dma-heap-null-buffer", false);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ret), -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctx.calls, 1);
}

static struct kunit_case heap_core_cases[] = {
	KUNIT_CASE(heap_add_accessors),
	KUNIT_CASE(heap_add_duplicate),
	KUNIT_CASE(heap_add_after_remove),
	KUNIT_CASE(heap_add_bad_name),
	KUNIT_CASE(heap_add_bad_ops),
	KUNIT_CASE(heap_alloc_checks),
	KUNIT_CASE(heap_alloc_null_result),
	{}
};

static struct kunit_suite heap_core_suite = {
	.name = "dma-heap",
	.test_cases = heap_core_cases,
};

/* KUnit action: drop a buffer reference the case holds. */
static void heap_test_put_buf(void *dmabuf)
{
	dma_buf_put(dmabuf);
}

/*
 * A system-heap buffer of at least @len bytes, put when the case ends.
 * Skips the case without the system heap.
 */
static struct dma_buf *system_buf(struct kunit *test, u64 len)
{
	struct dma_heap *heap = dma_heap_lookup("system");
	struct dma_buf *dmabuf;

	if (!heap)
		kunit_skip(test, "no system heap");
	dmabuf = dma_heap_alloc_buffer(heap, len, O_RDWR | O_CLOEXEC, 0);
	dma_heap_put(heap);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, heap_test_put_buf,
							dmabuf), 0);
	return dmabuf;
}

/* A KUnit device that uses dma-direct with all 64 address bits. */
static struct device *heap_test_device(struct kunit *test, const char *name)
{
	struct device *dev = kunit_device_register(test, name);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);
	return dev;
}

/* Index of the first non-zero byte of @p[0..@len), or @len. */
static size_t first_nonzero(const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			break;
	return i;
}

/* The byte the cases write at offset @i of a buffer. */
static u8 heap_test_pattern(size_t i)
{
	return (u8)(i / PAGE_SIZE * 7 + i % 251 + 1);
}

/*
 * Buffers of several sizes have the rounded size, the heap's name as
 * exporter and zeroed contents; vmap is shared and counted.
 */
static void system_zeroed_and_vmap(struct kunit *test)
{
	static const u64 lens[] = { 1, PAGE_SIZE, 17 * PAGE_SIZE + 5,
				    (1 << 20) + 3 * PAGE_SIZE };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		struct dma_buf *dmabuf = system_buf(test, lens[i]);
		size_t size = PAGE_ALIGN(lens[i]);
		struct iosys_map map, again;

		KUNIT_EXPECT_EQ(test, dmabuf->size, size);
		KUNIT_EXPECT_STREQ(test, dmabuf->exp_name, "system");
		KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &map), 0);
		KUNIT_ASSERT_FALSE(test, map.is_iomem);
		KUNIT_EXPECT_EQ(test, first_nonzero(map.vaddr, size), size);
		KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &again), 0);
		KUNIT_EXPECT_PTR_EQ(test, again.vaddr, map.vaddr);
		dma_buf_vunmap_unlocked(dmabuf, &again);
		dma_buf_vunmap_unlocked(dmabuf, &map);
		KUNIT_EXPECT_EQ(test, dmabuf->vmapping_counter, 0);
	}
}

/*
 * An importer attaches and maps a buffer: the DMA segments cover it
 * exactly and lead to the data written through vmap; CPU access brackets
 * around the mapping succeed; a second mapping of the same attachment is
 * refused while the first is live.
 */
/*
 * The first of @len bytes at physical address @phys (what the device
 * sees) that differs from the pattern at @off, or SIZE_MAX.  Page by page
 * through kmap_local_page(): the system heap allocates highmem pages,
 * which a 32-bit kernel does not map permanently (phys_to_virt() is
 * wrong for them).
 */
static size_t heap_test_first_bad(phys_addr_t phys, size_t len, size_t off)
{
	size_t done = 0, j, n;
	const u8 *p;

	while (done < len) {
		n = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(phys));
		p = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
		for (j = 0; j < n; j++)
			if (p[offset_in_page(phys) + j] !=
			    heap_test_pattern(off + done + j))
				break;
		kunmap_local(p);
		if (j < n)
			return off + done + j;
		done += n;
		phys += n;
	}
	return SIZE_MAX;
}

static void system_attach_map(struct kunit *test)
{
	const size_t size = (1 << 20) + 5 * PAGE_SIZE;
	struct dma_buf *dmabuf = system_buf(test, size);
	struct device *dev = heap_test_device(test, "dma-heap-importer");
	struct dma_buf_attachment *attach;
	struct scatterlist *sg;
	struct sg_table *sgt;
	struct iosys_map map;
	size_t off = 0, bad = SIZE_MAX;
	unsigned int i;
	u8 *data;

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &map), 0);
	data = map.vaddr;
	for (off = 0; off < size; off++)
		data[off] = heap_test_pattern(off);
	dma_buf_vunmap_unlocked(dmabuf, &map);

	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	off = 0;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (bad == SIZE_MAX)
			bad = heap_test_first_bad(dma_to_phys(dev,
							      sg_dma_address(sg)),
						  sg_dma_len(sg), off);
		off += sg_dma_len(sg);
	}
	KUNIT_EXPECT_EQ(test, off, size);
	KUNIT_EXPECT_EQ(test, bad, SIZE_MAX);

	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_TO_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(dma_buf_map_attachment_unlocked(attach,
								DMA_TO_DEVICE)),
			-EBUSY);

	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	/* Unmapped, the attachment can be mapped again. */
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_TO_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_TO_DEVICE);
	dma_buf_detach(dmabuf, attach);
}

/*
 * Two importers, one mapped and one only attached, around CPU access
 * brackets in both directions; then detach in the other order.
 */
static void system_two_importers(struct kunit *test)
{
	struct dma_buf *dmabuf = system_buf(test, 64 * PAGE_SIZE);
	struct device *d1 = heap_test_device(test, "dma-heap-importer-1");
	struct device *d2 = heap_test_device(test, "dma-heap-importer-2");
	struct dma_buf_attachment *a1, *a2;
	struct sg_table *sgt;

	a1 = dma_buf_attach(dmabuf, d1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a1);
	a2 = dma_buf_attach(dmabuf, d2);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a2);
	sgt = dma_buf_map_attachment_unlocked(a1, DMA_FROM_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf,
						       DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf,
						     DMA_BIDIRECTIONAL), 0);

	dma_buf_detach(dmabuf, a2);
	dma_buf_unmap_attachment_unlocked(a1, sgt, DMA_FROM_DEVICE);
	dma_buf_detach(dmabuf, a1);
}

static struct kunit_case heap_system_cases[] = {
	KUNIT_CASE(system_zeroed_and_vmap),
	KUNIT_CASE(system_attach_map),
	KUNIT_CASE(system_two_importers),
	{}
};

static struct kunit_suite heap_system_suite = {
	.name = "dma-heap-system",
	.test_cases = heap_system_cases,
};

kunit_test_suites(&heap_core_suite, &heap_system_suite);

MODULE_DESCRIPTION("KUnit tests of the dma-heap core and the system heap");
MODULE_LICENSE("GPL");
