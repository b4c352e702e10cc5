// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the walk over every live buffer, dma_buf_iter_begin()
 * and dma_buf_iter_next(): what it visits, the references it holds, and
 * buffers released while it runs.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/module.h>

#include "dmabuf-helpers.h"

/**
 * DOC: dma-buf iterator KUnit suite
 *
 * The "dma-buf-iter" suite checks mainline's walk over all buffers (Linux
 * 6.16, made for the BPF dma-buf iterator) on buffers of the test
 * exporter: a walk visits every live buffer once, holds a reference to
 * the buffer it stands on and to no other, keeps that buffer alive after
 * everybody else dropped theirs, never returns a released buffer, and
 * stays correct while another thread releases buffers under it. Other
 * buffers of the system may be visited too; the cases count only their
 * own. The two functions are exported to test modules only (mainline
 * exports them to nobody), so the suite may be built in or as a module::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * A walk looks like this::
 *
 *	for (buf = dma_buf_iter_begin(); buf; buf = dma_buf_iter_next(buf))
 *		seen += buf->priv == t;
 */

MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Buffers of the concurrent-release case. */
#define ITER_RACE_BUFS	64

/* Index of @dmabuf among the @n exporters of @t, or -1 if not ours. */
static int iter_index(struct dma_buf *dmabuf, struct texp **t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (dmabuf->priv == t[i])
			return i;
	return -1;
}

static void walk_visits_each_live_buffer_once(struct kunit *test)
{
	struct texp *t[3];
	unsigned int seen[3] = {}, refs[3] = {}, i;
	struct dma_buf *buf;
	int k;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		t[i] = texp_new(test, TEXP_STATIC, 1);

	for (buf = dma_buf_iter_begin(); buf; buf = dma_buf_iter_next(buf)) {
		k = iter_index(buf, t, ARRAY_SIZE(t));
		if (k < 0)
			continue;
		seen[k]++;
		/* The case's reference and the walk's. */
		refs[k] = file_count(buf->file);
	}

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		KUNIT_EXPECT_EQ_MSG(test, seen[i], 1, "buffer %u", i);
		KUNIT_EXPECT_EQ_MSG(test, refs[i], 2, "buffer %u", i);
		/* The walk dropped its reference when it moved on. */
		KUNIT_EXPECT_EQ(test, file_count(t[i]->dmabuf->file), 1);
		KUNIT_EXPECT_EQ(test, texp_put(t[i]), 1);
	}
}

static void walk_skips_released_buffers(struct kunit *test)
{
	struct texp *gone = texp_new(test, TEXP_STATIC, 1);
	struct texp *live = texp_new(test, TEXP_STATIC, 1);
	unsigned int seen_gone = 0, seen_live = 0;
	struct dma_buf *buf;

	KUNIT_ASSERT_EQ(test, texp_put(gone), 1);
	for (buf = dma_buf_iter_begin(); buf; buf = dma_buf_iter_next(buf)) {
		seen_gone += buf->priv == gone;
		seen_live += buf->priv == live;
	}
	KUNIT_EXPECT_EQ(test, seen_gone, 0);
	KUNIT_EXPECT_EQ(test, seen_live, 1);
}

static void walk_keeps_its_buffer_alive(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_buf *buf;

	for (buf = dma_buf_iter_begin(); buf && buf->priv != t;
	     buf = dma_buf_iter_next(buf))
		;
	KUNIT_ASSERT_NOT_NULL(test, buf);

	/* Everybody else lets go: the walk's reference is the last. */
	t->put_done = true;
	dma_buf_put(t->dmabuf);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, atomic_read(&t->release_calls), 0);
	KUNIT_EXPECT_EQ(test, file_count(buf->file), 1);

	/* Moving on drops it, and the buffer goes. */
	while ((buf = dma_buf_iter_next(buf)))
		;
	KUNIT_EXPECT_TRUE(test, texp_wait_released(t, 1));
}

static void walk_stopped_early_is_undone_with_put(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_buf *buf;

	for (buf = dma_buf_iter_begin(); buf && buf->priv != t;
	     buf = dma_buf_iter_next(buf))
		;
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, file_count(buf->file), 2);
	dma_buf_put(buf);
	KUNIT_EXPECT_EQ(test, file_count(t->dmabuf->file), 1);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

/**
 * struct iter_release_job - a thread that drops buffers one by one
 * @t: the exporters whose buffers it drops, in order
 * @n: how many
 * @done: completed once every reference is dropped
 */
struct iter_release_job {
	struct texp **t;
	unsigned int n;
	struct completion done;
};

static int iter_release_fn(void *arg)
{
	struct iter_release_job *job = arg;
	unsigned int i;

	for (i = 0; i < job->n; i++) {
		dma_buf_put(job->t[i]->dmabuf);
		/* Leave the walker time to stand on the next victims. */
		if (i % 4 == 3)
			usleep_range(200, 400);
	}
	complete(&job->done);
	return 0;
}

static void walk_survives_concurrent_release(struct kunit *test)
{
	struct iter_release_job job = { .n = ITER_RACE_BUFS };
	unsigned long seen_in_walk[BITS_TO_LONGS(ITER_RACE_BUFS)];
	unsigned int walks = 0, dup = 0, dead = 0, i;
	struct task_struct *thread;
	struct dma_buf *buf;
	int k;

	job.t = kunit_kcalloc(test, job.n, sizeof(*job.t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, job.t);
	for (i = 0; i < job.n; i++) {
		job.t[i] = texp_new(test, TEXP_STATIC, 1);
		/* The thread drops the case's references. */
		job.t[i]->put_done = true;
	}
	init_completion(&job.done);

	thread = kthread_run(iter_release_fn, &job, "dmabuf-iter-release");
	if (IS_ERR(thread)) {
		for (i = 0; i < job.n; i++)
			dma_buf_put(job.t[i]->dmabuf);
		KUNIT_FAIL_AND_ABORT(test, "no thread: %ld", PTR_ERR(thread));
	}

	do {
		bitmap_zero(seen_in_walk, ITER_RACE_BUFS);
		for (buf = dma_buf_iter_begin(); buf;
		     buf = dma_buf_iter_next(buf)) {
			k = iter_index(buf, job.t, job.n);
			if (k < 0)
				continue;
			if (__test_and_set_bit(k, seen_in_walk))
				dup++;
			/* Whatever the thread did, the walk holds one. */
			if (file_count(buf->file) < 1 ||
			    atomic_read(&job.t[k]->release_calls))
				dead++;
		}
		walks++;
	} while (!completion_done(&job.done));
	wait_for_completion(&job.done);

	kunit_info(test, "%u walks while %u buffers were released\n", walks,
		   job.n);
	KUNIT_EXPECT_GE(test, walks, 1);
	KUNIT_EXPECT_EQ(test, dup, 0);
	KUNIT_EXPECT_EQ(test, dead, 0);
	for (i = 0; i < job.n; i++)
		KUNIT_EXPECT_TRUE_MSG(test, texp_wait_released(job.t[i], 1),
				      "buffer %u", i);

	/* A walk after the last release finds none of them. */
	k = 0;
	for (buf = dma_buf_iter_begin(); buf; buf = dma_buf_iter_next(buf))
		k += iter_index(buf, job.t, job.n) >= 0;
	KUNIT_EXPECT_EQ(test, k, 0);
}

static struct kunit_case dma_buf_iter_cases[] = {
	KUNIT_CASE(walk_visits_each_live_buffer_once),
	KUNIT_CASE(walk_skips_released_buffers),
	KUNIT_CASE(walk_keeps_its_buffer_alive),
	KUNIT_CASE(walk_stopped_early_is_undone_with_put),
	KUNIT_CASE(walk_survives_concurrent_release),
	{}
};

static struct kunit_suite dma_buf_iter_suite = {
	.name = "dma-buf-iter",
	.test_cases = dma_buf_iter_cases,
};

kunit_test_suite(dma_buf_iter_suite);

MODULE_DESCRIPTION("KUnit tests for the walk over all dma-bufs");
MODULE_LICENSE("GPL");
