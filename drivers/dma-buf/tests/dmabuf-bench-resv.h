/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Benchmark operations on the reservation object. Compiled once per
 * implementation (see dmabuf-bench.h); only included by
 * dmabuf-bench-ops.h, after dmabuf-bench-fence.h whose fence provider it
 * uses.
 *
 * Objects are allocated here, by each implementation's own sizeof, so
 * that neither depends on the other's layout. Unless the operation is
 * about something else, an object holds N pending fences of N contexts,
 * all with DMA_RESV_USAGE_READ.
 */

#ifndef _DMA_BUF_TESTS_DMABUF_BENCH_RESV_H
#define _DMA_BUF_TESTS_DMABUF_BENCH_RESV_H

#include <linux/dma-resv.h>
#include <linux/slab.h>

#include "dmabuf-bench.h"

/*
 * Add the @n fences in @f to the unlocked @obj as drivers do, one
 * reservation and one add per fence. Returns 0 or the reservation's error.
 */
static int bench_resv_fill(struct dma_resv *obj, void **f, unsigned int n)
{
	unsigned int i;
	int ret = 0;

	dma_resv_lock(obj, NULL);
	for (i = 0; i < n && !ret; i++) {
		ret = dma_resv_reserve_fences(obj, 1);
		if (!ret)
			dma_resv_add_fence(obj, f[i], DMA_RESV_USAGE_READ);
	}
	dma_resv_unlock(obj);
	return ret;
}

/*
 * A new object holding @n new pending fences (kept in ctx->more, with
 * the caller's references). Returns the object or NULL.
 */
static struct dma_resv *bench_resv_new(struct dmabuf_bench_ctx *ctx,
				       unsigned int n)
{
	struct dma_resv *obj = kmalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj)
		return NULL;
	if (bench_fences_new(ctx->more, n, false)) {
		kfree(obj);
		return NULL;
	}
	dma_resv_init(obj);
	if (bench_resv_fill(obj, ctx->more, n)) {
		dma_resv_fini(obj);
		kfree(obj);
		bench_fences_put(ctx->more, n);
		return NULL;
	}
	return obj;
}

/* Undo bench_resv_new(). */
static void bench_resv_free(struct dmabuf_bench_ctx *ctx,
			    struct dma_resv *obj, unsigned int n)
{
	dma_resv_fini(obj);
	kfree(obj);
	bench_fences_put(ctx->more, n);
}

/* Reserve and add, @n times into an empty object (per fence). */
static int bench_resv_add(struct dmabuf_bench_ctx *ctx, unsigned int n,
			  unsigned int reps, struct dmabuf_bench_time *t)
{
	struct dma_resv *obj;
	unsigned int r;
	int ret = 0;

	obj = kmalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return -ENOMEM;
	for (r = 0; r < reps && !ret; r++) {
		ret = bench_fences_new(ctx->more, n, false);
		if (ret)
			break;
		dma_resv_init(obj);
		bench_start(t);
		ret = bench_resv_fill(obj, ctx->more, n);
		bench_stop(t);
		dma_resv_fini(obj);
		bench_fences_put(ctx->more, n);
	}
	kfree(obj);
	return ret;
}

/* One unlocked walk over @n fences (per walk). */
static int bench_resv_walk_unlocked(struct dmabuf_bench_ctx *ctx,
				    unsigned int n, unsigned int reps,
				    struct dmabuf_bench_time *t)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	struct dma_resv *obj;
	unsigned int r, seen = 0;

	obj = bench_resv_new(ctx, n);
	if (!obj)
		return -ENOMEM;
	bench_start(t);
	for (r = 0; r < reps; r++) {
		dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP);
		dma_resv_for_each_fence_unlocked(&cursor, fence)
			seen++;
		dma_resv_iter_end(&cursor);
	}
	bench_stop(t);
	bench_resv_free(ctx, obj, n);
	return seen == reps * n ? 0 : -EINVAL;
}

/* One locked walk over @n fences, lock and unlock included (per walk). */
static int bench_resv_walk_locked(struct dmabuf_bench_ctx *ctx,
				  unsigned int n, unsigned int reps,
				  struct dmabuf_bench_time *t)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	struct dma_resv *obj;
	unsigned int r, seen = 0;

	obj = bench_resv_new(ctx, n);
	if (!obj)
		return -ENOMEM;
	bench_start(t);
	for (r = 0; r < reps; r++) {
		dma_resv_lock(obj, NULL);
		dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP,
					fence)
			seen++;
		dma_resv_unlock(obj);
	}
	bench_stop(t);
	bench_resv_free(ctx, obj, n);
	return seen == reps * n ? 0 : -EINVAL;
}

/* dma_resv_get_fences() of @n fences, the copies dropped (per call). */
static int bench_resv_get_fences(struct dmabuf_bench_ctx *ctx,
				 unsigned int n, unsigned int reps,
				 struct dmabuf_bench_time *t)
{
	struct dma_fence **fences;
	unsigned int r, i, count;
	struct dma_resv *obj;
	int ret = 0;

	obj = bench_resv_new(ctx, n);
	if (!obj)
		return -ENOMEM;
	bench_start(t);
	for (r = 0; r < reps && !ret; r++) {
		ret = dma_resv_get_fences(obj, DMA_RESV_USAGE_READ, &count,
					  &fences);
		if (ret)
			break;
		if (count != n)
			ret = -EINVAL;
		for (i = 0; i < count; i++)
			dma_fence_put(fences[i]);
		kfree(fences);
	}
	bench_stop(t);
	bench_resv_free(ctx, obj, n);
	return ret;
}

/*
 * dma_resv_get_singleton() of @n fences (per call): a reference to the
 * one fence, or an array built over all @n and dropped.
 */
static int bench_resv_get_singleton(struct dmabuf_bench_ctx *ctx,
				    unsigned int n, unsigned int reps,
				    struct dmabuf_bench_time *t)
{
	struct dma_fence *fence;
	struct dma_resv *obj;
	unsigned int r;
	int ret = 0;

	obj = bench_resv_new(ctx, n);
	if (!obj)
		return -ENOMEM;
	bench_start(t);
	for (r = 0; r < reps && !ret; r++) {
		ret = dma_resv_get_singleton(obj, DMA_RESV_USAGE_READ, &fence);
		if (!ret && !fence)
			ret = -EINVAL;
		dma_fence_put(fence);
	}
	bench_stop(t);
	bench_resv_free(ctx, obj, n);
	return ret;
}

/*
 * An object whose @n fences have all signalled; the fences were added
 * while pending, as both implementations replace signalled fences on add.
 */
static struct dma_resv *bench_resv_new_signaled(struct dmabuf_bench_ctx *ctx,
						unsigned int n)
{
	struct dma_resv *obj = bench_resv_new(ctx, n);
	unsigned int i;

	for (i = 0; obj && i < n; i++)
		dma_fence_signal(ctx->more[i]);
	return obj;
}

/* dma_resv_test_signaled() over @n signalled fences (per call). */
static int bench_resv_test_signaled(struct dmabuf_bench_ctx *ctx,
				    unsigned int n, unsigned int reps,
				    struct dmabuf_bench_time *t)
{
	struct dma_resv *obj;
	unsigned int r, yes = 0;

	obj = bench_resv_new_signaled(ctx, n);
	if (!obj)
		return -ENOMEM;
	bench_start(t);
	for (r = 0; r < reps; r++)
		yes += dma_resv_test_signaled(obj, DMA_RESV_USAGE_BOOKKEEP);
	bench_stop(t);
	bench_resv_free(ctx, obj, n);
	return yes == reps ? 0 : -EINVAL;
}

/* dma_resv_wait_timeout() over @n signalled fences (per call). */
static int bench_resv_wait_signaled(struct dmabuf_bench_ctx *ctx,
				    unsigned int n, unsigned int reps,
				    struct dmabuf_bench_time *t)
{
	struct dma_resv *obj;
	unsigned int r;
	long ret = 1;

	obj = bench_resv_new_signaled(ctx, n);
	if (!obj)
		return -ENOMEM;
	bench_start(t);
	for (r = 0; r < reps && ret > 0; r++)
		ret = dma_resv_wait_timeout(obj, DMA_RESV_USAGE_BOOKKEEP,
					    false, HZ);
	bench_stop(t);
	bench_resv_free(ctx, obj, n);
	return ret > 0 ? 0 : -EINVAL;
}

/*
 * Churn (per add): each add brings a fence of a fresh context, and fences
 * signal lazily, @n adds after their own, the way a busy buffer shared by
 * many short-lived contexts sees them. ctx->more is the ring of the @n
 * pending fences; each add signals and drops the oldest of them. The
 * object stays near @n fences.
 */
static int bench_resv_churn(struct dmabuf_bench_ctx *ctx, unsigned int n,
			    unsigned int reps, struct dmabuf_bench_time *t)
{
	unsigned int done, b, i, k = 0;
	struct dma_resv *obj;
	int ret = 0;

	obj = bench_resv_new(ctx, n);
	if (!obj)
		return -ENOMEM;
	for (done = 0; done < reps && !ret; done += b) {
		b = min(reps - done, BENCH_BATCH);
		ret = bench_fences_new(ctx->slots, b, false);
		if (ret)
			break;
		bench_start(t);
		dma_resv_lock(obj, NULL);
		for (i = 0; i < b; i++) {
			ret = dma_resv_reserve_fences(obj, 1);
			if (ret)
				break;
			dma_resv_add_fence(obj, ctx->slots[i],
					   DMA_RESV_USAGE_READ);
			dma_fence_signal(ctx->more[k]);
			dma_fence_put(ctx->more[k]);
			ctx->more[k] = ctx->slots[i];
			k = (k + 1) % n;
		}
		dma_resv_unlock(obj);
		bench_stop(t);
		if (ret)
			bench_fences_put(ctx->slots + i, b - i);
	}
	bench_resv_free(ctx, obj, n);
	return ret;
}

#endif /* _DMA_BUF_TESTS_DMABUF_BENCH_RESV_H */
