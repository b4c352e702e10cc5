/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Timed loops of the dma-resv benchmark, written once against the plain
 * dma_resv API and compiled once per implementation: in dma-resv-bench.c
 * they call this tree's functions, in dma-resv-upstream.c, where every
 * dma_resv symbol is renamed by macro before any header is read, the same
 * text calls the base kernel's copy. Both instances make direct calls, so
 * neither side pays for an indirection the other does not.
 */

#ifndef _DMA_BUF_TESTS_DMA_RESV_BENCH_H
#define _DMA_BUF_TESTS_DMA_RESV_BENCH_H

#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/types.h>

/**
 * struct resv_bench_impl - one dma-resv implementation under measurement
 * @name: label in the report
 * @init: that implementation's dma_resv_init()
 * @fini: that implementation's dma_resv_fini()
 * @fill: resv_bench_fill() compiled against that implementation
 * @walk: resv_bench_walk() compiled against that implementation
 *
 * An object set up by one implementation must only ever be handed to the
 * functions of the same one: the fence array behind &dma_resv.fences is
 * private to each.
 */
struct resv_bench_impl {
	const char *name;
	void (*init)(struct dma_resv *obj);
	void (*fini)(struct dma_resv *obj);
	int (*fill)(struct dma_resv *obj, struct dma_fence **fences,
		    unsigned int n, u64 *ns);
	unsigned int (*walk)(struct dma_resv *obj, unsigned int reps,
			     u64 *ns);
};

/* This tree's implementation, defined in dma-resv-bench.c. */
extern const struct resv_bench_impl resv_bench_ours;

/*
 * The base kernel's implementation, defined in dma-resv-upstream.c; NULL
 * when the build tree holds no copy of it.
 */
extern const struct resv_bench_impl *const resv_bench_upstream;

/*
 * (Both loops below are unused in a file that only declares the missing
 * upstream copy.)
 *
 * Add @n fences to the empty, unlocked @obj the way a driver does: one
 * reservation and one add per fence, all with DMA_RESV_USAGE_READ. Only
 * the adds are timed, not taking and dropping the lock; the time goes to
 * @ns. The object takes its own references. Returns 0, or the error of
 * the reservation that failed (the fences before it stay added).
 */
static int __maybe_unused resv_bench_fill(struct dma_resv *obj,
					  struct dma_fence **fences,
					  unsigned int n, u64 *ns)
{
	unsigned int i;
	int ret = 0;
	u64 start;

	dma_resv_lock(obj, NULL);
	start = ktime_get_ns();
	for (i = 0; i < n; i++) {
		ret = dma_resv_reserve_fences(obj, 1);
		if (ret)
			break;
		dma_resv_add_fence(obj, fences[i], DMA_RESV_USAGE_READ);
	}
	*ns = ktime_get_ns() - start;
	dma_resv_unlock(obj);
	return ret;
}

/*
 * Walk all fences of the unlocked @obj @reps times with the unlocked
 * iterator; the time of all walks goes to @ns. Returns the number of
 * fences the last walk returned.
 */
static unsigned int __maybe_unused resv_bench_walk(struct dma_resv *obj,
						   unsigned int reps, u64 *ns)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int r, seen = 0;
	u64 start = ktime_get_ns();

	for (r = 0; r < reps; r++) {
		seen = 0;
		dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP);
		dma_resv_for_each_fence_unlocked(&cursor, fence)
			seen++;
		dma_resv_iter_end(&cursor);
	}
	*ns = ktime_get_ns() - start;
	return seen;
}

/* Initialiser of a &struct resv_bench_impl for the including file. */
#define RESV_BENCH_IMPL(label) {			\
	.name = (label),				\
	.init = dma_resv_init,				\
	.fini = dma_resv_fini,				\
	.fill = resv_bench_fill,			\
	.walk = resv_bench_walk,			\
}

#endif /* _DMA_BUF_TESTS_DMA_RESV_BENCH_H */
