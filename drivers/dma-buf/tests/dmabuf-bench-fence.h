/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Benchmark operations on fences and their containers: dma_fence,
 * dma_fence_array, dma_fence_chain, dma_fence_unwrap_merge() and
 * sync_file. Compiled once per implementation (see dmabuf-bench.h); only
 * included by dmabuf-bench-ops.h.
 *
 * The fences the operations are measured on come from a provider that
 * does the least a driver can: no callbacks of its own, one lock shared by
 * all, released through the core's default. Fences are allocated in
 * batches outside the measured sections and dropped outside them too,
 * unless dropping is what is measured.
 */

#ifndef _DMA_BUF_TESTS_DMABUF_BENCH_FENCE_H
#define _DMA_BUF_TESTS_DMABUF_BENCH_FENCE_H

#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/file.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sync_file.h>

#include "dmabuf-bench.h"

/* Fences set up, measured and dropped together. */
#define BENCH_BATCH	64

static DEFINE_SPINLOCK(bench_fence_lock);

static const char *bench_fence_name(struct dma_fence *fence)
{
	return "dmabuf-bench";
}

static const struct dma_fence_ops bench_fence_ops = {
	.get_driver_name = bench_fence_name,
	.get_timeline_name = bench_fence_name,
};

/* Allocate, not initialise, @n fences into @f. Returns 0 or -ENOMEM. */
static int bench_fences_alloc(void **f, unsigned int n)
{
	struct dma_fence *fence;
	unsigned int i;

	for (i = 0; i < n; i++) {
		f[i] = kmalloc(sizeof(*fence), GFP_KERNEL);
		if (!f[i]) {
			while (i--)
				kfree(f[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Allocate and initialise @n unsignalled fences into @f, each on a context
 * of its own when @one_context is false, else seqnos 1..@n of one context.
 */
static int bench_fences_new(void **f, unsigned int n, bool one_context)
{
	u64 ctx = dma_fence_context_alloc(one_context ? 1 : n);
	unsigned int i;
	int ret;

	ret = bench_fences_alloc(f, n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		dma_fence_init(f[i], &bench_fence_ops, &bench_fence_lock,
			       one_context ? ctx : ctx + i,
			       one_context ? i + 1 : 1);
	return 0;
}

/* Signal and drop the @n fences in @f. */
static void bench_fences_put(void **f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
}

/* dma_fence_init() and dma_fence_signal() of a fresh fence. */
static int bench_fence_init_signal(struct dmabuf_bench_ctx *ctx,
				   unsigned int n, unsigned int reps,
				   struct dmabuf_bench_time *t)
{
	u64 context = dma_fence_context_alloc(1);
	unsigned int done, b, i;

	for (done = 0; done < reps; done += b) {
		b = min(reps - done, BENCH_BATCH);
		if (bench_fences_alloc(ctx->slots, b))
			return -ENOMEM;
		bench_start(t);
		for (i = 0; i < b; i++) {
			dma_fence_init(ctx->slots[i], &bench_fence_ops,
				       &bench_fence_lock, context, done + i + 1);
			dma_fence_signal(ctx->slots[i]);
		}
		bench_stop(t);
		for (i = 0; i < b; i++)
			dma_fence_put(ctx->slots[i]);
	}
	return 0;
}

static void bench_cb_func(struct dma_fence *fence, struct dma_fence_cb *cb)
{
}

/* @n callbacks added to a fresh fence, then the fence signalled. */
static int bench_fence_cb_signal(struct dmabuf_bench_ctx *ctx,
				 unsigned int n, unsigned int reps,
				 struct dmabuf_bench_time *t)
{
	struct dma_fence_cb *cbs;
	unsigned int done, b, i, k;
	int ret = 0;

	cbs = kcalloc(n, sizeof(*cbs), GFP_KERNEL);
	if (!cbs)
		return -ENOMEM;
	for (done = 0; done < reps && !ret; done += b) {
		b = min(reps - done, BENCH_BATCH);
		ret = bench_fences_new(ctx->slots, b, false);
		if (ret)
			break;
		bench_start(t);
		for (i = 0; i < b; i++) {
			for (k = 0; k < n; k++)
				ret |= dma_fence_add_callback(ctx->slots[i],
							      &cbs[k],
							      bench_cb_func);
			dma_fence_signal(ctx->slots[i]);
		}
		bench_stop(t);
		bench_fences_put(ctx->slots, b);
	}
	kfree(cbs);
	return ret;
}

/* dma_fence_is_signaled() on a signalled fence. */
static int bench_fence_is_signaled(struct dmabuf_bench_ctx *ctx,
				   unsigned int n, unsigned int reps,
				   struct dmabuf_bench_time *t)
{
	unsigned int i, seen = 0;
	struct dma_fence *f;

	if (bench_fences_new(ctx->slots, 1, false))
		return -ENOMEM;
	f = ctx->slots[0];
	dma_fence_signal(f);
	bench_start(t);
	for (i = 0; i < reps; i++)
		seen += dma_fence_is_signaled(f);
	bench_stop(t);
	dma_fence_put(f);
	return seen == reps ? 0 : -EINVAL;
}

/* dma_fence_wait() on a signalled fence. */
static int bench_fence_wait_signaled(struct dmabuf_bench_ctx *ctx,
				     unsigned int n, unsigned int reps,
				     struct dmabuf_bench_time *t)
{
	struct dma_fence *f;
	unsigned int i;
	long ret = 0;

	if (bench_fences_new(ctx->slots, 1, false))
		return -ENOMEM;
	f = ctx->slots[0];
	dma_fence_signal(f);
	bench_start(t);
	for (i = 0; i < reps && !ret; i++)
		ret = dma_fence_wait(f, false);
	bench_stop(t);
	dma_fence_put(f);
	return ret;
}

/* dma_fence_get() and dma_fence_put() of a live fence. */
static int bench_fence_get_put(struct dmabuf_bench_ctx *ctx, unsigned int n,
			       unsigned int reps, struct dmabuf_bench_time *t)
{
	struct dma_fence *f;
	unsigned int i;

	if (bench_fences_new(ctx->slots, 1, false))
		return -ENOMEM;
	f = ctx->slots[0];
	bench_start(t);
	for (i = 0; i < reps; i++)
		dma_fence_put(dma_fence_get(f));
	bench_stop(t);
	bench_fences_put(ctx->slots, 1);
	return 0;
}

/* dma_fence_enable_sw_signaling() of a fresh fence, then its signal. */
static int bench_fence_enable_signal(struct dmabuf_bench_ctx *ctx,
				     unsigned int n, unsigned int reps,
				     struct dmabuf_bench_time *t)
{
	unsigned int done, b, i;

	for (done = 0; done < reps; done += b) {
		b = min(reps - done, BENCH_BATCH);
		if (bench_fences_new(ctx->slots, b, false))
			return -ENOMEM;
		bench_start(t);
		for (i = 0; i < b; i++) {
			dma_fence_enable_sw_signaling(ctx->slots[i]);
			dma_fence_signal(ctx->slots[i]);
		}
		bench_stop(t);
		for (i = 0; i < b; i++)
			dma_fence_put(ctx->slots[i]);
	}
	return 0;
}

/*
 * An array over @n fresh fences, signalling enabled on it, then every
 * member signalled and the array dropped; with @any, signalled on any
 * member and only the first one signalled in the measured section.
 */
static int bench_array(struct dmabuf_bench_ctx *ctx, unsigned int n,
		       unsigned int reps, struct dmabuf_bench_time *t,
		       bool any)
{
	struct dma_fence_array *array;
	struct dma_fence **members;
	unsigned int r, i;
	int ret = 0;

	for (r = 0; r < reps && !ret; r++) {
		members = kmalloc_array(n, sizeof(*members), GFP_KERNEL);
		if (!members)
			return -ENOMEM;
		ret = bench_fences_new((void **)members, n, false);
		if (ret) {
			kfree(members);
			break;
		}
		/*
		 * The array owns @members and may free them once it is put:
		 * keep references of our own to signal the rest afterwards.
		 */
		for (i = 0; i < n; i++)
			ctx->slots[i] = dma_fence_get(members[i]);
		bench_start(t);
		array = dma_fence_array_create(n, members,
					       dma_fence_context_alloc(1), 1,
					       any);
		if (array) {
			dma_fence_enable_sw_signaling(&array->base);
			for (i = 0; i < (any ? 1 : n); i++)
				dma_fence_signal(ctx->slots[i]);
			if (!dma_fence_is_signaled(&array->base))
				ret = -EINVAL;
			dma_fence_put(&array->base);
		}
		bench_stop(t);
		if (!array) {
			bench_fences_put((void **)members, n);
			kfree(members);
			ret = -ENOMEM;
		}
		bench_fences_put(ctx->slots, n);
	}
	return ret;
}

static int bench_array_signal_all(struct dmabuf_bench_ctx *ctx,
				  unsigned int n, unsigned int reps,
				  struct dmabuf_bench_time *t)
{
	return bench_array(ctx, n, reps, t, false);
}

static int bench_array_signal_any(struct dmabuf_bench_ctx *ctx,
				  unsigned int n, unsigned int reps,
				  struct dmabuf_bench_time *t)
{
	return bench_array(ctx, n, reps, t, true);
}

/*
 * Build a chain of @n links over the fences in @leaf (one timeline, points
 * 1..@n). Returns the head, or NULL when out of memory (everything undone).
 */
static struct dma_fence *bench_chain_build(void **leaf, unsigned int n)
{
	struct dma_fence *head = NULL;
	struct dma_fence_chain *link;
	unsigned int i;

	for (i = 0; i < n; i++) {
		link = dma_fence_chain_alloc();
		if (!link) {
			dma_fence_put(head);
			return NULL;
		}
		dma_fence_chain_init(link, head, dma_fence_get(leaf[i]), i + 1);
		head = &link->base;
	}
	return head;
}

/* Building a chain of @n links (per link) and dropping it. */
static int bench_chain_build_put(struct dmabuf_bench_ctx *ctx,
				 unsigned int n, unsigned int reps,
				 struct dmabuf_bench_time *t)
{
	struct dma_fence *head;
	unsigned int r;

	if (bench_fences_new(ctx->more, n, false))
		return -ENOMEM;
	for (r = 0; r < reps; r++) {
		bench_start(t);
		head = bench_chain_build(ctx->more, n);
		dma_fence_put(head);
		bench_stop(t);
		if (!head)
			break;
	}
	bench_fences_put(ctx->more, n);
	return r == reps ? 0 : -ENOMEM;
}

/* A walk over all @n pending links of a chain (per link). */
static int bench_chain_walk(struct dmabuf_bench_ctx *ctx, unsigned int n,
			    unsigned int reps, struct dmabuf_bench_time *t)
{
	struct dma_fence *head, *iter;
	unsigned int r, seen = 0;

	if (bench_fences_new(ctx->more, n, false))
		return -ENOMEM;
	head = bench_chain_build(ctx->more, n);
	if (head) {
		bench_start(t);
		for (r = 0; r < reps; r++)
			dma_fence_chain_for_each(iter, head)
				seen++;
		bench_stop(t);
		dma_fence_put(head);
	}
	bench_fences_put(ctx->more, n);
	if (!head)
		return -ENOMEM;
	return seen == reps * n ? 0 : -EINVAL;
}

/* dma_fence_chain_find_seqno() of the oldest point of @n pending links. */
static int bench_chain_find_seqno(struct dmabuf_bench_ctx *ctx,
				  unsigned int n, unsigned int reps,
				  struct dmabuf_bench_time *t)
{
	struct dma_fence *head, *f;
	unsigned int r;
	int ret = 0;

	if (bench_fences_new(ctx->more, n, false))
		return -ENOMEM;
	head = bench_chain_build(ctx->more, n);
	if (head) {
		bench_start(t);
		for (r = 0; r < reps && !ret; r++) {
			f = dma_fence_get(head);
			ret = dma_fence_chain_find_seqno(&f, 1);
			if (!ret && (!f || f->seqno != 1))
				ret = -EINVAL;
			dma_fence_put(f);
		}
		bench_stop(t);
		dma_fence_put(head);
	}
	bench_fences_put(ctx->more, n);
	return head ? ret : -ENOMEM;
}

/*
 * Signalling @n links that all have signalling enabled, their fences
 * signalled newest first, until the head has signalled (per link).
 */
static int bench_chain_signal_enabled(struct dmabuf_bench_ctx *ctx,
				      unsigned int n, unsigned int reps,
				      struct dmabuf_bench_time *t)
{
	struct dma_fence *head, *iter;
	unsigned int r, i;
	long ret = 0;

	for (r = 0; r < reps && ret >= 0; r++) {
		if (bench_fences_new(ctx->more, n, false))
			return -ENOMEM;
		head = bench_chain_build(ctx->more, n);
		if (!head) {
			bench_fences_put(ctx->more, n);
			return -ENOMEM;
		}
		i = 0;
		dma_fence_chain_for_each(iter, head)
			ctx->slots[i++] = dma_fence_get(iter);
		bench_start(t);
		for (i = 0; i < n; i++)
			dma_fence_enable_sw_signaling(ctx->slots[i]);
		for (i = n; i--; )
			dma_fence_signal(ctx->more[i]);
		ret = dma_fence_wait_timeout(head, false, 60 * HZ);
		bench_stop(t);
		if (ret == 0)
			ret = -ETIMEDOUT;
		for (i = 0; i < n; i++)
			dma_fence_put(ctx->slots[i]);
		dma_fence_put(head);
		bench_fences_put(ctx->more, n);
	}
	return ret < 0 ? ret : 0;
}

/*
 * dma_fence_unwrap_merge() of @n pending fences, from @n contexts or
 * from one; the result dropped (per merge).
 */
static int bench_merge(struct dmabuf_bench_ctx *ctx, unsigned int n,
		       unsigned int reps, struct dmabuf_bench_time *t,
		       bool one_context)
{
	struct dma_fence_unwrap *cursors;
	struct dma_fence *merged;
	unsigned int r;
	int ret = 0;

	cursors = kmalloc_array(n, sizeof(*cursors), GFP_KERNEL);
	if (!cursors)
		return -ENOMEM;
	if (bench_fences_new(ctx->more, n, one_context)) {
		kfree(cursors);
		return -ENOMEM;
	}
	for (r = 0; r < reps && !ret; r++) {
		bench_start(t);
		merged = __dma_fence_unwrap_merge(n,
						  (struct dma_fence **)ctx->more,
						  cursors);
		dma_fence_put(merged);
		bench_stop(t);
		if (!merged)
			ret = -ENOMEM;
	}
	bench_fences_put(ctx->more, n);
	kfree(cursors);
	return ret;
}

static int bench_merge_contexts(struct dmabuf_bench_ctx *ctx, unsigned int n,
				unsigned int reps, struct dmabuf_bench_time *t)
{
	return bench_merge(ctx, n, reps, t, false);
}

static int bench_merge_one_context(struct dmabuf_bench_ctx *ctx,
				   unsigned int n, unsigned int reps,
				   struct dmabuf_bench_time *t)
{
	return bench_merge(ctx, n, reps, t, true);
}

/* sync_file_create() on a pending fence, then the file released. */
static int bench_sync_file_create(struct dmabuf_bench_ctx *ctx,
				  unsigned int n, unsigned int reps,
				  struct dmabuf_bench_time *t)
{
	struct sync_file *sf;
	unsigned int done, b, i;
	int ret = 0;

	if (bench_fences_new(ctx->more, 1, false))
		return -ENOMEM;
	for (done = 0; done < reps && !ret; done += b) {
		b = min(reps - done, BENCH_BATCH);
		bench_start(t);
		for (i = 0; i < b; i++) {
			sf = sync_file_create(ctx->more[0]);
			if (!sf) {
				ret = -ENOMEM;
				break;
			}
			fput(sf->file);
		}
		/* Kernel threads' last fput() is deferred: finish it. */
		flush_delayed_fput();
		bench_stop(t);
	}
	bench_fences_put(ctx->more, 1);
	return ret;
}

#endif /* _DMA_BUF_TESTS_DMABUF_BENCH_FENCE_H */
