// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark of the reservation object: this tree's implementation and the
 * base kernel's, built into the same module, timed side by side.
 */

#include <kunit/test.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "dma-resv-bench.h"
#include "fence-helpers.h"

/**
 * DOC: dma-resv benchmark
 *
 * The "dma-resv-bench" suite reports what two operations cost, in
 * nanoseconds, for this tree's dma-resv and for the base kernel's, which
 * dma-resv-upstream.c builds into the same module under renamed symbols:
 *
 * - filling an empty object to N fences, one dma_resv_reserve_fences() and
 *   one dma_resv_add_fence() per fence (reported per fence added), and
 * - one full unlocked walk, dma_resv_for_each_fence_unlocked(), over an
 *   object holding N fences (reported per walk and per fence),
 *
 * for N = 1, 4, 64 and 1024 pending fences on distinct contexts. Each
 * figure is the median of several runs, the two implementations taking
 * turns run by run, and every run covers about a thousand fences so that
 * the small sizes are not just clock noise. Time is read with
 * ktime_get_ns(); the cost of reading it is measured first and subtracted.
 *
 * The suite never fails on a figure: it passes once both implementations
 * did what they were asked, and it is skipped for the base kernel when the
 * build tree holds no copy of its dma-resv.c. The test kernel carries
 * KASAN, lockdep and friends and runs under emulation, so the figures are
 * for comparing the two implementations, not for quoting.
 *
 * Load it with::
 *
 *	CONFIG_DMABUF_BENCH=m
 *	insmod dma-resv-benchmark.ko
 */

const struct resv_bench_impl resv_bench_ours = RESV_BENCH_IMPL("ours");

#define BENCH_RUNS		7
#define BENCH_MAX_FENCES	1024
/* Fences added in one timed fill run, whatever the object size. */
#define BENCH_FILL_OPS		1024
/* Fences visited in one timed walk run, whatever the object size. */
#define BENCH_WALK_OPS		4096
/* Clock read pairs the overhead estimate is the median of. */
#define BENCH_CLOCK_PAIRS	63

static const unsigned int bench_sizes[] = { 1, 4, 64, BENCH_MAX_FENCES };

/**
 * struct bench - what all measurements of a case share
 * @fences: %BENCH_MAX_FENCES pending fences on distinct contexts
 * @objs: %BENCH_FILL_OPS reservation objects, set up per run
 * @impls: the implementations measured, ours first
 * @nimpls: entries in @impls
 * @clock_ns: cost of one pair of ktime_get_ns() calls
 */
struct bench {
	struct dma_fence **fences;
	struct dma_resv *objs;
	const struct resv_bench_impl *impls[2];
	unsigned int nimpls;
	u64 clock_ns;
};

/* Ascending order of two u64 samples, for sort(). */
static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n samples; sorts @v in place. */
static u64 median_u64(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

/* Median cost of reading the clock twice in a row. */
static u64 clock_pair_ns(void)
{
	u64 v[BENCH_CLOCK_PAIRS];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		u64 start = ktime_get_ns();

		v[i] = ktime_get_ns() - start;
	}
	return median_u64(v, ARRAY_SIZE(v));
}

/*
 * Release what bench_setup() allocated; safe on a half set up @b. A kunit
 * action, so that an aborted case does not leak the fences.
 */
static void bench_teardown(void *data)
{
	struct bench *b = data;
	unsigned int i;

	for (i = 0; b->fences && i < BENCH_MAX_FENCES; i++)
		dma_fence_put(b->fences[i]);
	kfree(b->fences);
	kvfree(b->objs);
}

/*
 * Allocate the case's state, its fences and objects, pick the
 * implementations and time the clock. The state belongs to the case
 * (kunit-managed), and so does its teardown. Aborts the case on failure.
 */
static struct bench *bench_setup(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(BENCH_MAX_FENCES);
	struct bench *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	/* Registered after the allocation, so it runs before its release. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bench_teardown,
							b), 0);
	b->fences = kcalloc(BENCH_MAX_FENCES, sizeof(*b->fences), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->fences);
	b->objs = kvcalloc(BENCH_FILL_OPS, sizeof(*b->objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->objs);
	for (i = 0; i < BENCH_MAX_FENCES; i++) {
		b->fences[i] = mock_fence_alloc(&mock_ops_bare, ctx + i, 1);
		KUNIT_ASSERT_NOT_NULL(test, b->fences[i]);
	}

	b->impls[b->nimpls++] = &resv_bench_ours;
	if (resv_bench_upstream)
		b->impls[b->nimpls++] = resv_bench_upstream;
	else
		kunit_info(test, "no upstream-dma-resv.c in the build tree: measuring ours only\n");
	b->clock_ns = clock_pair_ns();
	kunit_info(test, "%u runs per figure, clock read pair %llu ns\n",
		   BENCH_RUNS, b->clock_ns);
	return b;
}

/* @ns less the clock overhead of @sections timed sections, floored at 0. */
static u64 net_ns(const struct bench *b, u64 ns, unsigned int sections)
{
	u64 overhead = b->clock_ns * sections;

	return ns > overhead ? ns - overhead : 0;
}

/*
 * One timed fill run: BENCH_FILL_OPS / @n fresh objects of @impl, each
 * filled with @n fences. Returns nanoseconds per fence added, or U64_MAX
 * if a reservation failed.
 */
static u64 fill_run(struct bench *b, const struct resv_bench_impl *impl,
		    unsigned int n)
{
	unsigned int i, nobj = BENCH_FILL_OPS / n;
	u64 total = 0, ns;
	int ret = 0;

	for (i = 0; i < nobj; i++)
		impl->init(&b->objs[i]);
	for (i = 0; i < nobj && !ret; i++) {
		ret = impl->fill(&b->objs[i], b->fences, n, &ns);
		total += ns;
	}
	for (i = 0; i < nobj; i++)
		impl->fini(&b->objs[i]);
	if (ret)
		return U64_MAX;
	return div_u64(net_ns(b, total, nobj), nobj * n);
}

/*
 * One timed walk run over @obj, which @impl filled with @n fences.
 * Returns nanoseconds per full walk, or U64_MAX if a walk did not return
 * exactly @n fences.
 */
static u64 walk_run(struct bench *b, const struct resv_bench_impl *impl,
		    struct dma_resv *obj, unsigned int n)
{
	unsigned int reps = max(1U, BENCH_WALK_OPS / n);
	u64 ns;

	if (impl->walk(obj, reps, &ns) != n)
		return U64_MAX;
	return div_u64(net_ns(b, ns, 1), reps);
}

/* ours/upstream in percent, or 0 when upstream took no measurable time. */
static u64 ratio_pct(u64 ours, u64 upstream)
{
	return upstream ? div64_u64(ours * 100, upstream) : 0;
}

/* Close a case: skipped for upstream when there was nothing to compare. */
static void bench_finish(struct kunit *test, const struct bench *b)
{
	if (b->nimpls < 2)
		kunit_mark_skipped(test, "base kernel's dma-resv.c not copied into the build tree");
}

static void bench_add_fence(struct kunit *test)
{
	u64 samples[2][BENCH_RUNS], med[2];
	struct bench *b;
	unsigned int s, r, k;

	b = bench_setup(test);
	for (s = 0; s < ARRAY_SIZE(bench_sizes); s++) {
		unsigned int n = bench_sizes[s];

		for (r = 0; r < BENCH_RUNS; r++) {
			/* Take turns on which one runs first. */
			for (k = 0; k < b->nimpls; k++) {
				unsigned int j = (k + r) % b->nimpls;

				samples[j][r] = fill_run(b, b->impls[j], n);
			}
		}
		for (k = 0; k < b->nimpls; k++) {
			/* Sorted now: a failed run would come last. */
			med[k] = median_u64(samples[k], BENCH_RUNS);
			KUNIT_EXPECT_NE_MSG(test, samples[k][BENCH_RUNS - 1],
					    U64_MAX, "%s: reservation failed",
					    b->impls[k]->name);
		}
		if (b->nimpls < 2) {
			kunit_info(test, "reserve+add, N=%4u: ours %6llu ns/fence\n",
				   n, med[0]);
			continue;
		}
		kunit_info(test, "reserve+add, N=%4u: ours %6llu ns/fence, upstream %6llu ns/fence, ours/upstream %3llu%%\n",
			   n, med[0], med[1], ratio_pct(med[0], med[1]));
	}
	bench_finish(test, b);
}

static void bench_unlocked_walk(struct kunit *test)
{
	u64 samples[2][BENCH_RUNS], med[2];
	struct bench *b;
	unsigned int s, r, k;
	u64 fill_ns;

	b = bench_setup(test);
	for (s = 0; s < ARRAY_SIZE(bench_sizes); s++) {
		unsigned int n = bench_sizes[s];
		int ret = 0;

		/* One object per implementation, filled outside the timing. */
		for (k = 0; k < b->nimpls; k++) {
			b->impls[k]->init(&b->objs[k]);
			ret |= b->impls[k]->fill(&b->objs[k], b->fences, n,
						 &fill_ns);
		}
		for (r = 0; r < BENCH_RUNS && !ret; r++) {
			for (k = 0; k < b->nimpls; k++) {
				unsigned int j = (k + r) % b->nimpls;

				samples[j][r] = walk_run(b, b->impls[j],
							 &b->objs[j], n);
			}
		}
		for (k = 0; k < b->nimpls; k++)
			b->impls[k]->fini(&b->objs[k]);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "filling to %u failed", n);

		for (k = 0; k < b->nimpls; k++) {
			/* Sorted now: a failed run would come last. */
			med[k] = median_u64(samples[k], BENCH_RUNS);
			KUNIT_EXPECT_NE_MSG(test, samples[k][BENCH_RUNS - 1],
					    U64_MAX, "%s: walk missed fences",
					    b->impls[k]->name);
		}
		if (b->nimpls < 2) {
			kunit_info(test, "unlocked walk, N=%4u: ours %8llu ns/walk (%llu ns/fence)\n",
				   n, med[0], div_u64(med[0], n));
			continue;
		}
		kunit_info(test, "unlocked walk, N=%4u: ours %8llu ns/walk (%llu ns/fence), upstream %8llu ns/walk (%llu ns/fence), ours/upstream %3llu%%\n",
			   n, med[0], div_u64(med[0], n), med[1],
			   div_u64(med[1], n), ratio_pct(med[0], med[1]));
	}
	bench_finish(test, b);
}

static struct kunit_case dma_resv_bench_cases[] = {
	KUNIT_CASE_SLOW(bench_add_fence),
	KUNIT_CASE_SLOW(bench_unlocked_walk),
	{}
};

static struct kunit_suite dma_resv_bench_suite = {
	.name = "dma-resv-bench",
	.test_cases = dma_resv_bench_cases,
};

kunit_test_suite(dma_resv_bench_suite);

MODULE_DESCRIPTION("Benchmark of dma-resv against the base kernel's version");
MODULE_LICENSE("GPL");
