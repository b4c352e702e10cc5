// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for dma-fence-unwrap: iterating through nested containers,
 * merging fences into one flat array, and deduplicating a fence table.
 */

#include <kunit/test.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "fence-helpers.h"

/**
 * DOC: dma-fence-unwrap KUnit suite
 *
 * The "dma-fence-unwrap" suite nests mock fences (see fence-helpers.h) in
 * arrays and chains and checks that dma_fence_unwrap_for_each() reaches
 * every leaf in order, that dma_fence_unwrap_merge() returns the smallest
 * equivalent fence (a flat array of the latest pending fence per context,
 * the single remaining fence itself, or a signalled stub), and that
 * dma_fence_dedup_array() keeps the latest fence of each context sorted by
 * context and puts the rest. Reference counts of the leaves show that no
 * reference is lost or leaked on the way.
 *
 * Typical shape of a case::
 *
 *	merged = dma_fence_unwrap_merge(chain_head, array);
 *	KUNIT_EXPECT_TRUE(test, dma_fence_is_array(merged));
 *	dma_fence_unwrap_for_each(f, &cursor, merged)
 *		...;
 */

#define SIGNAL_WAIT	(5 * HZ)

/* A pending mock fence on @ctx with @seqno; the caller owns it. */
static struct dma_fence *leaf_on(struct kunit *test, u64 ctx, u64 seqno)
{
	return mock_fence_new(test, &mock_ops_full, ctx, seqno);
}

/* A pending mock fence on a context of its own; the caller owns it. */
static struct dma_fence *leaf(struct kunit *test)
{
	return leaf_on(test, dma_fence_context_alloc(1), 1);
}

/*
 * An array over new references to the @n fences of @m; the caller owns the
 * array's only reference. Aborts the case when out of memory.
 */
static struct dma_fence *array_of(struct kunit *test, struct dma_fence **m,
				  int n)
{
	struct dma_fence **table = kmalloc_array(n, sizeof(*table),
						 GFP_KERNEL);
	struct dma_fence_array *array;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, table);
	for (i = 0; i < n; i++)
		table[i] = dma_fence_get(m[i]);
	array = dma_fence_array_create(n, table, dma_fence_context_alloc(1),
				       1, false);
	if (!array) {
		while (n--)
			dma_fence_put(table[n]);
		kfree(table);
	}
	KUNIT_ASSERT_NOT_NULL(test, array);
	return &array->base;
}

/*
 * A chain link after @prev holding @fence. Takes over both references and
 * returns the link's only reference.
 */
static struct dma_fence *link_after(struct kunit *test, struct dma_fence *prev,
				    struct dma_fence *fence, u64 seqno)
{
	struct dma_fence_chain *link = dma_fence_chain_alloc();

	KUNIT_ASSERT_NOT_NULL(test, link);
	dma_fence_chain_init(link, prev, fence, seqno);
	return &link->base;
}

/* Signal (if still pending) and drop each of the caller's @n references. */
static void retire(struct dma_fence **f, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
}

/*
 * Collect what dma_fence_unwrap_for_each() yields for @head into @out (at
 * most @max entries) and return how many fences it yielded in total.
 */
static int unwrap_into(struct dma_fence *head, struct dma_fence **out, int max)
{
	struct dma_fence_unwrap cursor;
	struct dma_fence *f;
	int n = 0;

	dma_fence_unwrap_for_each(f, &cursor, head) {
		if (n < max)
			out[n] = f;
		n++;
	}
	return n;
}

/* How many of the @n entries of @set are @f. */
static int count_in(struct dma_fence *f, struct dma_fence **set, int n)
{
	int i, hits = 0;

	for (i = 0; i < n; i++)
		hits += set[i] == f;
	return hits;
}

static void unwrap_of_plain_fence_yields_it_once(struct kunit *test)
{
	struct dma_fence *f = leaf(test);
	struct dma_fence *seen[2];

	KUNIT_EXPECT_EQ(test, unwrap_into(f, seen, 2), 1);
	KUNIT_EXPECT_PTR_EQ(test, seen[0], f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	retire(&f, 1);
}

static void unwrap_of_array_yields_members_in_order(struct kunit *test)
{
	struct dma_fence *m[3] = { leaf(test), leaf(test), leaf(test) };
	struct dma_fence *array = array_of(test, m, 3);
	struct dma_fence *seen[4];

	KUNIT_ASSERT_EQ(test, unwrap_into(array, seen, 4), 3);
	KUNIT_EXPECT_PTR_EQ(test, seen[0], m[0]);
	KUNIT_EXPECT_PTR_EQ(test, seen[1], m[1]);
	KUNIT_EXPECT_PTR_EQ(test, seen[2], m[2]);
	KUNIT_EXPECT_EQ(test, kref_read(&array->refcount), 1);

	dma_fence_put(array);
	retire(m, 3);
}

static void unwrap_of_chain_with_array_yields_every_leaf(struct kunit *test)
{
	struct dma_fence *x = leaf(test), *y = leaf(test);
	struct dma_fence *ab[2] = { leaf(test), leaf(test) };
	struct dma_fence *head, *seen[5];

	/* x <- [a, b] <- y, newest last. */
	head = link_after(test, NULL, dma_fence_get(x), 1);
	head = link_after(test, head, array_of(test, ab, 2), 2);
	head = link_after(test, head, dma_fence_get(y), 3);

	KUNIT_ASSERT_EQ(test, unwrap_into(head, seen, 5), 4);
	KUNIT_EXPECT_PTR_EQ(test, seen[0], y);
	KUNIT_EXPECT_PTR_EQ(test, seen[1], ab[0]);
	KUNIT_EXPECT_PTR_EQ(test, seen[2], ab[1]);
	KUNIT_EXPECT_PTR_EQ(test, seen[3], x);
	/* The cursor gave back every reference it took. */
	KUNIT_EXPECT_EQ(test, kref_read(&head->refcount), 1);

	dma_fence_put(head);
	KUNIT_EXPECT_EQ(test, kref_read(&x->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&ab[0]->refcount), 1);
	retire(ab, 2);
	retire(&y, 1);
	retire(&x, 1);
}

static void unwrap_skips_signalled_chain_links(struct kunit *test)
{
	struct dma_fence *f[3] = { leaf(test), leaf(test), leaf(test) };
	struct dma_fence *head = NULL, *seen[3];
	int i;

	for (i = 0; i < 3; i++)
		head = link_after(test, head, dma_fence_get(f[i]), i + 1);
	dma_fence_signal(f[1]);

	KUNIT_ASSERT_EQ(test, unwrap_into(head, seen, 3), 2);
	KUNIT_EXPECT_PTR_EQ(test, seen[0], f[2]);
	KUNIT_EXPECT_PTR_EQ(test, seen[1], f[0]);

	dma_fence_put(head);
	retire(f, 3);
}

static void merge_flattens_nested_containers(struct kunit *test)
{
	struct dma_fence *a = leaf(test);
	struct dma_fence *bc[2] = { leaf(test), leaf(test) };
	struct dma_fence *de[2] = { leaf(test), leaf(test) };
	struct dma_fence *all[5] = { a, bc[0], bc[1], de[0], de[1] };
	struct dma_fence *chain, *array, *merged, *f;
	struct dma_fence_array *flat;
	unsigned int index;
	int i;

	chain = link_after(test, NULL, dma_fence_get(a), 1);
	chain = link_after(test, chain, array_of(test, bc, 2), 2);
	array = array_of(test, de, 2);

	merged = dma_fence_unwrap_merge(chain, array);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	flat = to_dma_fence_array(merged);
	KUNIT_ASSERT_NOT_NULL(test, flat);
	KUNIT_EXPECT_EQ(test, flat->num_fences, 5);
	KUNIT_EXPECT_NE(test, merged->context, array->context);
	dma_fence_array_for_each(f, index, merged) {
		KUNIT_EXPECT_FALSE(test, dma_fence_is_container(f));
		KUNIT_EXPECT_EQ(test, count_in(f, all, 5), 1);
	}
	for (i = 0; i < 5; i++) {
		KUNIT_EXPECT_EQ(test, count_in(all[i], flat->fences, 5), 1);
		KUNIT_EXPECT_EQ(test, kref_read(&all[i]->refcount), 3);
	}

	dma_fence_put(merged);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&all[i]->refcount), 2);
	dma_fence_put(array);
	dma_fence_put(chain);
	retire(all, 5);
}

static void merge_drops_signalled_fences(struct kunit *test)
{
	struct dma_fence *f[3] = { leaf(test), leaf(test), leaf(test) };
	struct dma_fence *merged;
	struct dma_fence_array *flat;

	dma_fence_signal(f[0]);
	merged = dma_fence_unwrap_merge(f[0], f[1], f[2]);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	flat = to_dma_fence_array(merged);
	KUNIT_ASSERT_NOT_NULL(test, flat);
	KUNIT_EXPECT_EQ(test, flat->num_fences, 2);
	KUNIT_EXPECT_EQ(test, count_in(f[0], flat->fences, 2), 0);
	KUNIT_EXPECT_EQ(test, count_in(f[1], flat->fences, 2), 1);
	KUNIT_EXPECT_EQ(test, count_in(f[2], flat->fences, 2), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&f[0]->refcount), 1);

	dma_fence_put(merged);
	retire(f, 3);
}

/*
 * A merge of more pending fences than one fence array can hold (its
 * callback slots come from a single kmalloc) fails quietly with NULL, as
 * 6.12's fails with a WARN, and leaves every reference as it was. The
 * inputs are arrays of MERGE_PART fences each, handed to
 * __dma_fence_unwrap_merge() directly. About 131,000 fences: it took
 * 163 s in a loaded TCG guest with KASAN, hence KUNIT_CASE_SLOW, which
 * the boot option kunit.filter=speed>slow leaves out.
 */
#define MERGE_PART	1024

static void merge_beyond_one_array_fails_quietly(struct kunit *test)
{
	unsigned int n = KMALLOC_MAX_SIZE / sizeof(struct dma_fence_array_cb)
			 + 1;
	unsigned int parts = DIV_ROUND_UP(n, MERGE_PART);
	struct dma_fence_unwrap *cursors;
	struct dma_fence **leaves, **inputs;
	struct dma_fence *merged;
	u64 ctx = dma_fence_context_alloc(n);
	unsigned int i, in_part;

	leaves = kvcalloc(n, sizeof(*leaves), GFP_KERNEL);
	inputs = kcalloc(parts, sizeof(*inputs), GFP_KERNEL);
	cursors = kcalloc(parts, sizeof(*cursors), GFP_KERNEL);
	if (!leaves || !inputs || !cursors) {
		kvfree(leaves);
		kfree(inputs);
		kfree(cursors);
		KUNIT_FAIL_AND_ABORT(test, "out of memory");
	}
	for (i = 0; i < n; i++) {
		leaves[i] = mock_fence_alloc(&mock_ops_full, ctx + i, 1);
		if (!leaves[i])
			break;
	}
	KUNIT_EXPECT_EQ(test, i, n);
	n = i;
	parts = DIV_ROUND_UP(n, MERGE_PART);

	for (i = 0; i < parts; i++) {
		in_part = min(n - i * MERGE_PART, MERGE_PART);
		inputs[i] = array_of(test, &leaves[i * MERGE_PART], in_part);
	}

	merged = __dma_fence_unwrap_merge(parts, inputs, cursors);
	KUNIT_EXPECT_NULL(test, merged);
	dma_fence_put(merged);
	/* Each leaf is held by the test and its input array only. */
	KUNIT_EXPECT_EQ(test, kref_read(&leaves[0]->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&leaves[n - 1]->refcount), 2);

	for (i = 0; i < parts; i++)
		dma_fence_put(inputs[i]);
	retire(leaves, n);
	kvfree(leaves);
	kfree(inputs);
	kfree(cursors);
}

static void merge_keeps_latest_fence_per_context(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *x1 = leaf_on(test, ctx, 1);
	struct dma_fence *x3 = leaf_on(test, ctx, 3);
	struct dma_fence *x2 = leaf_on(test, ctx, 2);
	struct dma_fence *y = leaf(test);
	struct dma_fence *merged;
	struct dma_fence_array *flat;

	merged = dma_fence_unwrap_merge(x1, x3, y, x2);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	flat = to_dma_fence_array(merged);
	KUNIT_ASSERT_NOT_NULL(test, flat);
	KUNIT_EXPECT_EQ(test, flat->num_fences, 2);
	KUNIT_EXPECT_EQ(test, count_in(x3, flat->fences, 2), 1);
	KUNIT_EXPECT_EQ(test, count_in(y, flat->fences, 2), 1);
	/* The superseded fences are not kept referenced. */
	KUNIT_EXPECT_EQ(test, kref_read(&x1->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&x2->refcount), 1);

	dma_fence_put(merged);
	retire(&y, 1);
	retire(&x2, 1);
	retire(&x3, 1);
	retire(&x1, 1);
}

static void merge_follows_32bit_seqno_wrap(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *before = leaf_on(test, ctx, 0xffffffffULL);
	struct dma_fence *after = leaf_on(test, ctx, 2);
	struct dma_fence *merged;

	/* After the wrap, 2 is the later point of this 32-bit timeline. */
	merged = dma_fence_unwrap_merge(before, after);
	KUNIT_EXPECT_PTR_EQ(test, merged, after);
	KUNIT_EXPECT_EQ(test, kref_read(&after->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&before->refcount), 1);

	dma_fence_put(merged);
	retire(&after, 1);
	retire(&before, 1);
}

static void merge_with_one_pending_fence_returns_it(struct kunit *test)
{
	struct dma_fence *pending = leaf(test), *done = leaf(test);
	struct dma_fence *merged;

	dma_fence_signal(done);
	merged = dma_fence_unwrap_merge(done, pending);
	KUNIT_EXPECT_PTR_EQ(test, merged, pending);
	KUNIT_EXPECT_EQ(test, kref_read(&pending->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&done->refcount), 1);

	dma_fence_put(merged);
	retire(&done, 1);
	retire(&pending, 1);
}

static void merge_of_signalled_fences_returns_signalled_stub(struct kunit *test)
{
	struct dma_fence *early = leaf(test), *late = leaf(test);
	struct dma_fence *stub = dma_fence_get_stub();
	struct dma_fence *merged;

	dma_fence_signal_timestamp(late, ns_to_ktime(5000));
	dma_fence_signal_timestamp(early, ns_to_ktime(1000));
	merged = dma_fence_unwrap_merge(early, late);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	KUNIT_EXPECT_PTR_NE(test, merged, early);
	KUNIT_EXPECT_PTR_NE(test, merged, late);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(merged));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(merged), 1);
	/* It carries the time of the last of them to complete. */
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(merged), ns_to_ktime(5000));
	KUNIT_EXPECT_EQ(test, kref_read(&merged->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&early->refcount), 1);
	dma_fence_put(merged);

	/* Nothing pending at all: still a signalled fence, never NULL. */
	merged = dma_fence_unwrap_merge(stub);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(merged));
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(merged),
			dma_fence_timestamp(stub));
	dma_fence_put(merged);

	dma_fence_put(stub);
	retire(&late, 1);
	retire(&early, 1);
}

static void merged_array_signals_when_inputs_do(struct kunit *test)
{
	struct dma_fence *f[2] = { leaf(test), leaf(test) };
	struct dma_fence *merged;

	merged = dma_fence_unwrap_merge(f[0], f[1]);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_array(merged));
	dma_fence_enable_sw_signaling(merged);

	dma_fence_signal(f[1]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(merged));
	dma_fence_signal(f[0]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(merged, false,
						     SIGNAL_WAIT), 0);

	dma_fence_put(merged);
	retire(f, 2);
}

static void dedup_keeps_latest_per_context_sorted(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(3);
	struct dma_fence *c2s1 = leaf_on(test, ctx + 2, 1);
	struct dma_fence *c0s5 = leaf_on(test, ctx, 5);
	struct dma_fence *c2s3 = leaf_on(test, ctx + 2, 3);
	struct dma_fence *c0s4 = leaf_on(test, ctx, 4);
	struct dma_fence *c1s1 = leaf_on(test, ctx + 1, 1);
	struct dma_fence *mine[5] = { c2s1, c0s5, c2s3, c0s4, c1s1 };
	struct dma_fence *table[5];
	int i, n;

	for (i = 0; i < 5; i++)
		table[i] = dma_fence_get(mine[i]);

	n = dma_fence_dedup_array(table, 5);
	KUNIT_ASSERT_EQ(test, n, 3);
	KUNIT_EXPECT_PTR_EQ(test, table[0], c0s5);
	KUNIT_EXPECT_PTR_EQ(test, table[1], c1s1);
	KUNIT_EXPECT_PTR_EQ(test, table[2], c2s3);
	/* The table's references to the dropped fences were put. */
	KUNIT_EXPECT_EQ(test, kref_read(&c2s1->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&c0s4->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&c0s5->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&c1s1->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&c2s3->refcount), 2);

	for (i = 0; i < n; i++)
		dma_fence_put(table[i]);
	retire(mine, 5);
}

static void dedup_collapses_repeated_fence(struct kunit *test)
{
	struct dma_fence *f = leaf(test);
	struct dma_fence *table[3] = {
		dma_fence_get(f), dma_fence_get(f), dma_fence_get(f),
	};

	KUNIT_ASSERT_EQ(test, dma_fence_dedup_array(table, 3), 1);
	KUNIT_EXPECT_PTR_EQ(test, table[0], f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);

	dma_fence_put(table[0]);
	retire(&f, 1);
}

static void dedup_keeps_distinct_contexts_in_context_order(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(3);
	struct dma_fence *f[3] = {
		leaf_on(test, ctx + 2, 9), leaf_on(test, ctx, 9),
		leaf_on(test, ctx + 1, 9),
	};
	struct dma_fence *table[3];
	int i;

	for (i = 0; i < 3; i++)
		table[i] = dma_fence_get(f[i]);

	KUNIT_ASSERT_EQ(test, dma_fence_dedup_array(table, 3), 3);
	KUNIT_EXPECT_PTR_EQ(test, table[0], f[1]);
	KUNIT_EXPECT_PTR_EQ(test, table[1], f[2]);
	KUNIT_EXPECT_PTR_EQ(test, table[2], f[0]);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[i]->refcount), 2);

	for (i = 0; i < 3; i++)
		dma_fence_put(table[i]);
	retire(f, 3);
}

static void dedup_of_single_fence_keeps_it(struct kunit *test)
{
	struct dma_fence *f = leaf(test);
	struct dma_fence *table[1] = { dma_fence_get(f) };

	KUNIT_ASSERT_EQ(test, dma_fence_dedup_array(table, 1), 1);
	KUNIT_EXPECT_PTR_EQ(test, table[0], f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);

	dma_fence_put(table[0]);
	retire(&f, 1);
}

static void dedup_follows_32bit_seqno_wrap(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *before = leaf_on(test, ctx, 0xffffffffULL);
	struct dma_fence *after = leaf_on(test, ctx, 1);
	struct dma_fence *table[2] = {
		dma_fence_get(after), dma_fence_get(before),
	};

	KUNIT_ASSERT_EQ(test, dma_fence_dedup_array(table, 2), 1);
	KUNIT_EXPECT_PTR_EQ(test, table[0], after);
	KUNIT_EXPECT_EQ(test, kref_read(&before->refcount), 1);

	dma_fence_put(table[0]);
	retire(&after, 1);
	retire(&before, 1);
}

static struct kunit_case dma_fence_unwrap_cases[] = {
	KUNIT_CASE(unwrap_of_plain_fence_yields_it_once),
	KUNIT_CASE(unwrap_of_array_yields_members_in_order),
	KUNIT_CASE(unwrap_of_chain_with_array_yields_every_leaf),
	KUNIT_CASE(unwrap_skips_signalled_chain_links),
	KUNIT_CASE(merge_flattens_nested_containers),
	KUNIT_CASE(merge_drops_signalled_fences),
	KUNIT_CASE_SLOW(merge_beyond_one_array_fails_quietly),
	KUNIT_CASE(merge_keeps_latest_fence_per_context),
	KUNIT_CASE(merge_follows_32bit_seqno_wrap),
	KUNIT_CASE(merge_with_one_pending_fence_returns_it),
	KUNIT_CASE(merge_of_signalled_fences_returns_signalled_stub),
	KUNIT_CASE(merged_array_signals_when_inputs_do),
	KUNIT_CASE(dedup_keeps_latest_per_context_sorted),
	KUNIT_CASE(dedup_collapses_repeated_fence),
	KUNIT_CASE(dedup_keeps_distinct_contexts_in_context_order),
	KUNIT_CASE(dedup_of_single_fence_keeps_it),
	KUNIT_CASE(dedup_follows_32bit_seqno_wrap),
	{}
};

static struct kunit_suite dma_fence_unwrap_suite = {
	.name = "dma-fence-unwrap",
	.test_cases = dma_fence_unwrap_cases,
};

kunit_test_suite(dma_fence_unwrap_suite);

MODULE_DESCRIPTION("KUnit tests for dma-fence-unwrap");
MODULE_LICENSE("GPL");
