// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases of a heap provider that is a module: it registers heaps and
 * reads them back only through the symbols the core exports in the
 * DMA_BUF_HEAP namespace.
 */

#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/module.h>

#include "../dma-heap-internal.h"
#include "dmabuf-helpers.h"

/**
 * DOC: modular dma-heap KUnit suite
 *
 * The "dma-heap-module" suite is a module of its own, built only as one,
 * because what it checks is that a heap provider outside the core image
 * can link: dma_heap_add(), dma_heap_get_drvdata() and dma_heap_get_name()
 * are exported in the DMA_BUF_HEAP namespace, as in mainline since Linux
 * 6.18 (the module fails to load, or to build, without them). Its heaps
 * are removed again at the end of each case through the core's test-only
 * exports, which a real provider does not have::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_HEAPS=y
 *	CONFIG_DMABUF_HEAP_MODULE_KUNIT_TEST=m
 *
 * A provider module looks like this::
 *
 *	MODULE_IMPORT_NS(DMA_BUF_HEAP);
 *
 *	heap = dma_heap_add(&info);
 *	pool = dma_heap_get_drvdata(heap);
 */

MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(DMA_BUF_HEAP);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define MOD_HEAP_NAME	"kunit-modular-heap"

/**
 * struct mod_heap_pool - the provider data of the suite's heaps
 * @test: the running case, for the test exporter
 * @allocs: calls of the allocate hook
 * @last_heap: heap of the latest allocate call
 * @last_len: length of the latest allocate call
 * @last_exp: exporter of the latest buffer handed out
 */
struct mod_heap_pool {
	struct kunit *test;
	unsigned int allocs;
	struct dma_heap *last_heap;
	unsigned long last_len;
	struct texp *last_exp;
};

/* Hands out a buffer of the test exporter, found through the drvdata. */
static struct dma_buf *mod_heap_allocate(struct dma_heap *heap,
					 unsigned long len, u32 fd_flags,
					 u64 heap_flags)
{
	struct mod_heap_pool *pool = dma_heap_get_drvdata(heap);
	struct texp *t;

	pool->allocs++;
	pool->last_heap = heap;
	pool->last_len = len;
	t = texp_new(pool->test, TEXP_STATIC, len >> PAGE_SHIFT);
	/* The caller of the allocation owns the reference now. */
	t->put_done = true;
	pool->last_exp = t;
	return t->dmabuf;
}

static const struct dma_heap_ops mod_heap_ops = {
	.allocate = mod_heap_allocate,
};

/* KUnit action: take a heap of the case away again. */
static void mod_heap_remove(void *heap)
{
	dma_heap_remove(heap);
}

/* Register a heap of @pool named @name, removed when the case ends. */
static struct dma_heap *mod_heap_add(struct kunit *test, const char *name,
				     struct mod_heap_pool *pool)
{
	struct dma_heap_export_info info = {
		.name = name,
		.ops = &mod_heap_ops,
		.priv = pool,
	};
	struct dma_heap *heap = dma_heap_add(&info);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, heap);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mod_heap_remove,
							heap), 0);
	return heap;
}

static void module_heap_keeps_name_and_drvdata(struct kunit *test)
{
	struct mod_heap_pool pool = { .test = test };
	struct dma_heap *heap = mod_heap_add(test, MOD_HEAP_NAME, &pool);
	struct dma_heap *found;

	KUNIT_EXPECT_PTR_EQ(test, dma_heap_get_drvdata(heap), &pool);
	KUNIT_EXPECT_STREQ(test, dma_heap_get_name(heap), MOD_HEAP_NAME);

	found = dma_heap_lookup(MOD_HEAP_NAME);
	KUNIT_EXPECT_PTR_EQ(test, found, heap);
	if (found)
		dma_heap_put(found);
}

static void module_heap_allocates_through_its_ops(struct kunit *test)
{
	struct mod_heap_pool pool = { .test = test };
	struct dma_heap *heap = mod_heap_add(test, MOD_HEAP_NAME, &pool);
	struct dma_buf *dmabuf;

	dmabuf = dma_heap_alloc_buffer(heap, 2 * PAGE_SIZE - 1, O_RDWR, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, pool.allocs, 1);
	KUNIT_EXPECT_PTR_EQ(test, pool.last_heap, heap);
	/* The core rounded the length up to pages. */
	KUNIT_EXPECT_EQ(test, pool.last_len, 2 * PAGE_SIZE);
	KUNIT_EXPECT_PTR_EQ(test, dmabuf, pool.last_exp->dmabuf);
	KUNIT_EXPECT_EQ(test, dmabuf->size, 2 * PAGE_SIZE);
	dma_buf_put(dmabuf);
	KUNIT_EXPECT_TRUE(test, texp_wait_released(pool.last_exp, 1));
}

static void module_heap_name_is_taken_once(struct kunit *test)
{
	struct mod_heap_pool pool = { .test = test };
	struct dma_heap_export_info info = {
		.name = MOD_HEAP_NAME,
		.ops = &mod_heap_ops,
		.priv = &pool,
	};

	mod_heap_add(test, MOD_HEAP_NAME, &pool);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_heap_add(&info)), -EINVAL);
}

static struct kunit_case dma_heap_module_cases[] = {
	KUNIT_CASE(module_heap_keeps_name_and_drvdata),
	KUNIT_CASE(module_heap_allocates_through_its_ops),
	KUNIT_CASE(module_heap_name_is_taken_once),
	{}
};

static struct kunit_suite dma_heap_module_suite = {
	.name = "dma-heap-module",
	.test_cases = dma_heap_module_cases,
};

kunit_test_suite(dma_heap_module_suite);

MODULE_DESCRIPTION("KUnit tests of a dma-heap provider built as a module");
MODULE_LICENSE("GPL");
