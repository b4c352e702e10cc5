// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the core dma_fence object: life cycle and references,
 * signalling, callbacks, waits, deadlines, stubs, debug output, the
 * signalling annotations and races between two CPUs.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "fence-helpers.h"

/**
 * DOC: dma-fence KUnit suite
 *
 * The "dma-fence" suite checks the contract of &struct dma_fence as a driver
 * and a waiter see it, one behaviour per case, against a mock provider whose
 * hooks count their calls (see fence-helpers.h). Cases assert exact return
 * values, errnos, reference counts, flag bits and timestamps. The race cases
 * run two kernel threads bound to different CPUs for a bounded number of
 * rounds and check that every round ended in one of the outcomes the
 * contract allows.
 *
 * Build it in, or as a module, with::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * A case looks like this::
 *
 *	struct dma_fence *f = mock_fence_new(test, &mock_ops_plain, ctx, 1);
 *
 *	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
 *	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), -EINVAL);
 *	dma_fence_put(f);
 */

/* Short, distinct timestamps for the explicit-timestamp cases. */
#define TS_FIRST	ns_to_ktime(123456789)
#define TS_SECOND	ns_to_ktime(987654321)

/*
 * Allocate a fresh context and a mock fence on it. The caller owns the one
 * reference; the test is aborted on allocation failure.
 */
static struct dma_fence *new_fence(struct kunit *test,
				   const struct dma_fence_ops *ops, u64 seqno)
{
	return mock_fence_new(test, ops, dma_fence_context_alloc(1), seqno);
}

/* True when [a, a + na) and [b, b + nb) share a value. */
static bool ranges_overlap(u64 a, u64 na, u64 b, u64 nb)
{
	return a < b + nb && b < a + na;
}

static void init_starts_unsignalled_with_one_reference(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = mock_fence_new(test, &mock_ops_plain, ctx, 7);

	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	KUNIT_EXPECT_PTR_EQ(test, f->ops, &mock_ops_plain);
	KUNIT_EXPECT_PTR_EQ(test, f->lock, &to_mock_fence(f)->lock);
	KUNIT_EXPECT_EQ(test, f->context, ctx);
	KUNIT_EXPECT_EQ(test, f->seqno, 7);
	KUNIT_EXPECT_EQ(test, f->flags, 0);
	KUNIT_EXPECT_EQ(test, f->error, 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_array(f));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_chain(f));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_container(f));
	dma_fence_put(f);
}

static void context_alloc_hands_out_disjoint_ranges(struct kunit *test)
{
	u64 a = dma_fence_context_alloc(1);
	u64 b = dma_fence_context_alloc(4);
	u64 c = dma_fence_context_alloc(1);

	KUNIT_EXPECT_FALSE(test, ranges_overlap(a, 1, b, 4));
	KUNIT_EXPECT_FALSE(test, ranges_overlap(a, 1, c, 1));
	KUNIT_EXPECT_FALSE(test, ranges_overlap(b, 4, c, 1));
}

static void is_later_wraps_32bit_seqno(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *old = mock_fence_new(test, &mock_ops_plain, ctx,
					       0xffffffffULL);
	struct dma_fence *young = mock_fence_new(test, &mock_ops_plain, ctx, 1);

	/* 1 follows 0xffffffff once the 32-bit counter wrapped. */
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(young, old));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later(old, young));
	/* Only the low 32 bits take part in the comparison. */
	KUNIT_EXPECT_FALSE(test, __dma_fence_is_later(0x100000003ULL, 5,
						      &mock_ops_plain));
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(5, 0x100000003ULL,
						     &mock_ops_plain));
	dma_fence_put(young);
	dma_fence_put(old);
}

static void is_later_compares_all_bits_of_64bit_seqno(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *low = mock_fence_new(test, &mock_ops_64, ctx, 1);
	struct dma_fence *mid = mock_fence_new(test, &mock_ops_64, ctx,
					       0xffffffffULL);
	struct dma_fence *high = mock_fence_new(test, &mock_ops_64, ctx,
						0x100000000ULL);

	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(mid, low));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later(low, mid));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(high, mid));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later(mid, high));
	KUNIT_EXPECT_TRUE(test, __dma_fence_is_later(0x100000003ULL, 5,
						     &mock_ops_64));
	dma_fence_put(high);
	dma_fence_put(mid);
	dma_fence_put(low);
}

static void is_later_or_same_accepts_only_identical_equal(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f = mock_fence_new(test, &mock_ops_plain, ctx, 4);
	struct dma_fence *twin = mock_fence_new(test, &mock_ops_plain, ctx, 4);
	struct dma_fence *next = mock_fence_new(test, &mock_ops_plain, ctx, 5);

	KUNIT_EXPECT_TRUE(test, dma_fence_is_later_or_same(f, f));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later_or_same(f, twin));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later_or_same(twin, f));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later_or_same(next, f));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_later_or_same(f, next));
	dma_fence_put(next);
	dma_fence_put(twin);
	dma_fence_put(f);
}

static void later_returns_pending_later_fence_or_null(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *first = mock_fence_new(test, &mock_ops_plain, ctx, 1);
	struct dma_fence *second = mock_fence_new(test, &mock_ops_plain, ctx, 2);

	KUNIT_EXPECT_PTR_EQ(test, dma_fence_later(first, second), second);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_later(second, first), second);

	/* The earlier one completing changes nothing. */
	dma_fence_signal(first);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_later(first, second), second);

	/* Once the later one is done, there is nothing left to wait for. */
	dma_fence_signal(second);
	KUNIT_EXPECT_NULL(test, dma_fence_later(first, second));
	KUNIT_EXPECT_NULL(test, dma_fence_later(second, first));
	dma_fence_put(second);
	dma_fence_put(first);
}

static void get_and_put_track_the_reference_count(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	atomic_t released = ATOMIC_INIT(0);

	to_mock_fence(f)->release_count = &released;

	KUNIT_EXPECT_PTR_EQ(test, dma_fence_get(f), f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_get(f), f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 3);
	dma_fence_put(f);
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 0);

	KUNIT_EXPECT_NULL(test, dma_fence_get(NULL));
	dma_fence_put(NULL);

	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 1);
}

static void get_rcu_takes_reference_on_live_fence(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_fence *got;

	rcu_read_lock();
	got = dma_fence_get_rcu(f);
	rcu_read_unlock();

	KUNIT_EXPECT_PTR_EQ(test, got, f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);
	dma_fence_put(got);
	dma_fence_put(f);
}

static void get_rcu_refuses_fence_with_zero_references(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct mock_fence *mf = to_mock_fence(f);
	atomic_t released = ATOMIC_INIT(0);
	struct dma_fence *got;

	/* Keep the memory past the release so the dead fence can be probed. */
	mf->keep_memory = true;
	mf->release_count = &released;
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 1);

	rcu_read_lock();
	got = dma_fence_get_rcu(f);
	rcu_read_unlock();

	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 0);
	kfree(mf);
}

static void get_rcu_safe_follows_the_published_pointer(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_fence __rcu *slot;
	struct dma_fence *got;

	RCU_INIT_POINTER(slot, f);
	rcu_read_lock();
	got = dma_fence_get_rcu_safe(&slot);
	rcu_read_unlock();
	KUNIT_EXPECT_PTR_EQ(test, got, f);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);
	dma_fence_put(got);

	RCU_INIT_POINTER(slot, NULL);
	rcu_read_lock();
	got = dma_fence_get_rcu_safe(&slot);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	dma_fence_put(f);
}

/* State shared with the thread that republishes the RCU slot. */
struct slot_swap {
	struct dma_fence __rcu **slot;
	struct dma_fence *replacement;
	atomic_t reader_in;
	bool saw_reader;
};

/*
 * Wait (bounded) for the reader to be about to look at the slot, give it a
 * few milliseconds of retrying on the dead fence, then publish the live one.
 */
static void slot_swap_fn(struct fence_job *job)
{
	struct slot_swap *swap = job->data;
	unsigned long give_up = jiffies + 5 * HZ;

	while (!atomic_read_acquire(&swap->reader_in) &&
	       time_before(jiffies, give_up))
		cpu_relax();
	swap->saw_reader = atomic_read(&swap->reader_in);
	mdelay(5);
	rcu_assign_pointer(*swap->slot, swap->replacement);
}

static void get_rcu_safe_retries_until_dead_fence_replaced(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *dead = mock_fence_new(test, &mock_ops_plain, ctx, 1);
	struct dma_fence *live = mock_fence_new(test, &mock_ops_plain, ctx, 2);
	struct dma_fence __rcu *slot;
	struct slot_swap swap = { .slot = &slot, .replacement = live };
	struct fence_job job = { .fn = slot_swap_fn, .data = &swap };
	struct dma_fence *got;
	unsigned int cpu, here;

	/*
	 * The slot still points at a fence whose last reference is gone, as
	 * when a reader races with a writer that is replacing the fence: the
	 * lookup must not return it and must pick up the new one.
	 */
	to_mock_fence(dead)->keep_memory = true;
	dma_fence_put(dead);
	RCU_INIT_POINTER(slot, dead);

	/*
	 * The reader spins until the writer has run, so the writer must
	 * never share its CPU: the reader stays where it is (a kernel
	 * without preemption would never let a writer on that CPU run).
	 */
	migrate_disable();
	here = raw_smp_processor_id();
	cpu = fence_other_cpu(here);
	if (cpu == here || fence_job_start(&job, cpu)) {
		migrate_enable();
		kfree(to_mock_fence(dead));
		dma_fence_put(live);
		if (cpu == here)
			kunit_skip(test, "needs a second CPU");
		KUNIT_FAIL_AND_ABORT(test, "cannot start the writer");
	}
	atomic_set_release(&swap.reader_in, 1);
	rcu_read_lock();
	got = dma_fence_get_rcu_safe(&slot);
	rcu_read_unlock();
	migrate_enable();
	fence_job_finish(&job);

	KUNIT_EXPECT_TRUE(test, swap.saw_reader);
	KUNIT_EXPECT_PTR_EQ(test, got, live);
	KUNIT_EXPECT_EQ(test, kref_read(&live->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&dead->refcount), 0);
	dma_fence_put(got);
	dma_fence_put(live);
	kfree(to_mock_fence(dead));
}

static void put_of_last_reference_calls_release_once(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	atomic_t released = ATOMIC_INIT(0);

	to_mock_fence(f)->release_count = &released;
	dma_fence_signal(f);
	dma_fence_get(f);
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 0);
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 1);
}

static void release_of_unsignalled_fence_without_callbacks(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct dma_fence *g = new_fence(test, &mock_ops_full, 1);
	atomic_t released = ATOMIC_INIT(0);

	/* Never signalled, and never asked to signal. */
	to_mock_fence(f)->release_count = &released;
	dma_fence_put(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 1);

	/* Signalling enabled, but no callback ever queued. */
	to_mock_fence(g)->release_count = &released;
	dma_fence_enable_sw_signaling(g);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(g)->enable_calls), 1);
	dma_fence_put(g);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 2);
}

/*
 * A provider that drops its last reference while a callback still waits
 * broke the contract: the core warns and signals the fence with -EDEADLK,
 * so that the waiter hears of it once instead of never (as 6.12 does).
 */
static void release_with_pending_callback_signals_edeadlk(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	atomic_t released = ATOMIC_INIT(0);
	struct cb_probe probe;

	to_mock_fence(f)->release_count = &released;
	cb_probe_init(&probe, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     cb_probe_func), 0);

	expect_warn_begin("release-with-pending-callback");
	dma_fence_put(f);
	expect_warn_end("release-with-pending-callback");

	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);
	KUNIT_EXPECT_TRUE(test, probe.saw_signalled);
	KUNIT_EXPECT_EQ(test, probe.saw_error, -EDEADLK);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 1);
}

static void release_without_release_hook_frees_fence(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_bare, 1);

	/* dma_fence_free() is the fallback; KASAN and kmemleak judge it. */
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	dma_fence_put(f);
}

static void signal_succeeds_once_then_returns_einval(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f->flags));
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					 &f->flags));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_fence_signal_timestamp(f, TS_FIRST),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), 1);
	dma_fence_put(f);
}

static void signal_of_null_fence_returns_einval(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, dma_fence_signal(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_fence_signal_timestamp(NULL, TS_FIRST),
			-EINVAL);
}

static void signal_stamps_current_monotonic_time(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	ktime_t before, after, stamp;

	before = ktime_get();
	KUNIT_ASSERT_EQ(test, dma_fence_signal(f), 0);
	after = ktime_get();

	stamp = dma_fence_timestamp(f);
	KUNIT_EXPECT_LE(test, ktime_compare(before, stamp), 0);
	KUNIT_EXPECT_LE(test, ktime_compare(stamp, after), 0);
	KUNIT_EXPECT_EQ(test, stamp, f->timestamp);
	dma_fence_put(f);
}

static void signal_locked_works_under_the_fence_lock(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	unsigned long flags;
	int first, second;

	spin_lock_irqsave(f->lock, flags);
	first = dma_fence_signal_locked(f);
	second = dma_fence_signal_locked(f);
	spin_unlock_irqrestore(f->lock, flags);

	KUNIT_EXPECT_EQ(test, first, 0);
	KUNIT_EXPECT_EQ(test, second, -EINVAL);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					 &f->flags));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), 1);
	dma_fence_put(f);
}

/* Mainline's check-and-signal (Linux 7.0): true means "was done already". */
static void check_and_signal_reports_who_signalled(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct cb_probe probe;

	cb_probe_init(&probe, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     cb_probe_func), 0);

	KUNIT_EXPECT_FALSE(test, dma_fence_check_and_signal(f));
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);
	KUNIT_EXPECT_TRUE(test, dma_fence_test_signaled_flag(f));
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					 &f->flags));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), 1);

	/* Later calls change nothing and say so. */
	KUNIT_EXPECT_TRUE(test, dma_fence_check_and_signal(f));
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);
	dma_fence_put(f);
}

static void check_and_signal_of_signalled_fence_keeps_it(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);

	KUNIT_ASSERT_EQ(test, dma_fence_signal_timestamp(f, TS_FIRST), 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_check_and_signal(f));
	/* The first signal's timestamp survives. */
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(f), TS_FIRST);
	dma_fence_put(f);
}

static void check_and_signal_locked_works_under_the_lock(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	unsigned long flags;
	bool first, second;

	spin_lock_irqsave(f->lock, flags);
	first = dma_fence_check_and_signal_locked(f);
	second = dma_fence_check_and_signal_locked(f);
	spin_unlock_irqrestore(f->lock, flags);

	KUNIT_EXPECT_FALSE(test, first);
	KUNIT_EXPECT_TRUE(test, second);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	dma_fence_put(f);
}

/* The flag test never asks the provider and never signals. */
static void test_signaled_flag_reads_only_the_flag(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct mock_fence *mf = to_mock_fence(f);

	WRITE_ONCE(mf->hw_done, true);
	KUNIT_EXPECT_FALSE(test, dma_fence_test_signaled_flag(f));
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->signaled_calls), 0);
	KUNIT_EXPECT_FALSE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					  &f->flags));

	/* dma_fence_is_signaled() asks, and latches the answer. */
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->signaled_calls), 1);
	KUNIT_EXPECT_TRUE(test, dma_fence_test_signaled_flag(f));
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->signaled_calls), 1);
	dma_fence_put(f);
}

static void signal_timestamp_records_given_time(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_signal_timestamp(f, TS_FIRST), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f->flags));
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					 &f->flags));
	KUNIT_EXPECT_EQ(test, f->timestamp, TS_FIRST);
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(f), TS_FIRST);

	/* A late second signal neither succeeds nor moves the stamp. */
	KUNIT_EXPECT_EQ(test, dma_fence_signal_timestamp(f, TS_SECOND),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(f), TS_FIRST);
	dma_fence_put(f);
}

static void signal_timestamp_locked_records_given_time(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	unsigned long flags;
	int first, second;

	spin_lock_irqsave(f->lock, flags);
	first = dma_fence_signal_timestamp_locked(f, TS_SECOND);
	second = dma_fence_signal_timestamp_locked(f, TS_FIRST);
	spin_unlock_irqrestore(f->lock, flags);

	KUNIT_EXPECT_EQ(test, first, 0);
	KUNIT_EXPECT_EQ(test, second, -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(f), TS_SECOND);
	dma_fence_put(f);
}

static void callbacks_run_once_in_registration_order(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct cb_probe probe[3];
	atomic_t clock = ATOMIC_INIT(0);
	int i;

	for (i = 0; i < ARRAY_SIZE(probe); i++) {
		cb_probe_init(&probe[i], &clock);
		KUNIT_EXPECT_EQ(test, dma_fence_add_callback(f, &probe[i].cb,
							     cb_probe_func), 0);
	}
	for (i = 0; i < ARRAY_SIZE(probe); i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&probe[i].calls), 0);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), -EINVAL);

	for (i = 0; i < ARRAY_SIZE(probe); i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&probe[i].calls), 1);
		KUNIT_EXPECT_EQ(test, probe[i].order, i);
	}
	dma_fence_put(f);
}

static void callback_observes_signalled_state_and_error(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct cb_probe probe;

	cb_probe_init(&probe, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     cb_probe_func), 0);
	dma_fence_set_error(f, -EIO);
	dma_fence_signal(f);

	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);
	KUNIT_EXPECT_TRUE(test, probe.saw_signalled);
	KUNIT_EXPECT_EQ(test, probe.saw_error, -EIO);
	dma_fence_put(f);
}

static void add_callback_to_signalled_fence_returns_enoent(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct cb_probe probe;

	dma_fence_signal(f);
	cb_probe_init(&probe, NULL);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     cb_probe_func), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 0);
	/* The refused callback is left in a state remove accepts. */
	KUNIT_EXPECT_FALSE(test, dma_fence_remove_callback(f, &probe.cb));
	dma_fence_put(f);
}

static void add_callback_enables_signaling_once(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct mock_fence *mf = to_mock_fence(f);
	struct cb_probe one, two;

	cb_probe_init(&one, NULL);
	cb_probe_init(&two, NULL);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(f, &one.cb,
						     cb_probe_func), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(f, &two.cb,
						     cb_probe_func), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->enable_calls), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					 &f->flags));

	dma_fence_signal(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&one.calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&two.calls), 1);
	dma_fence_put(f);
}

static void add_callback_fails_when_enable_signaling_fails(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct mock_fence *mf = to_mock_fence(f);
	struct cb_probe probe;

	/* The provider reports the fence already passed. */
	mf->enable_ok = false;
	cb_probe_init(&probe, NULL);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     cb_probe_func), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->enable_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f->flags));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), 1);
	dma_fence_put(f);
}

static void remove_pending_callback_returns_true(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct cb_probe gone, kept;

	cb_probe_init(&gone, NULL);
	cb_probe_init(&kept, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &gone.cb,
						     cb_probe_func), 0);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &kept.cb,
						     cb_probe_func), 0);

	KUNIT_EXPECT_TRUE(test, dma_fence_remove_callback(f, &gone.cb));
	/* A second removal finds nothing to remove. */
	KUNIT_EXPECT_FALSE(test, dma_fence_remove_callback(f, &gone.cb));

	dma_fence_signal(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&gone.calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&kept.calls), 1);
	dma_fence_put(f);
}

static void remove_callback_after_signal_returns_false(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct cb_probe probe;

	cb_probe_init(&probe, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     cb_probe_func), 0);
	dma_fence_signal(f);
	KUNIT_EXPECT_FALSE(test, dma_fence_remove_callback(f, &probe.cb));
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);
	dma_fence_put(f);
}

static void enable_sw_signaling_calls_provider_once(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct mock_fence *mf = to_mock_fence(f);

	dma_fence_enable_sw_signaling(f);
	dma_fence_enable_sw_signaling(f);

	KUNIT_EXPECT_EQ(test, atomic_read(&mf->enable_calls), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					 &f->flags));
	KUNIT_EXPECT_FALSE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					  &f->flags));
	dma_fence_signal(f);
	dma_fence_put(f);
}

static void enable_sw_signaling_skips_provider_when_signalled(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);

	dma_fence_signal(f);
	dma_fence_enable_sw_signaling(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(f)->enable_calls), 0);
	dma_fence_put(f);
}

static void enable_signaling_failure_signals_with_error(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct mock_fence *mf = to_mock_fence(f);

	mf->enable_ok = false;
	mf->enable_error = -ENODEV;
	dma_fence_enable_sw_signaling(f);

	KUNIT_EXPECT_EQ(test, atomic_read(&mf->enable_calls), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f->flags));
	KUNIT_EXPECT_EQ(test, f->error, -ENODEV);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), -ENODEV);
	dma_fence_put(f);
}

static void is_signaled_polls_provider_and_latches(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct mock_fence *mf = to_mock_fence(f);
	struct cb_probe probe;
	int polls;

	cb_probe_init(&probe, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     cb_probe_func), 0);

	polls = atomic_read(&mf->signaled_calls);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->signaled_calls), polls + 1);
	KUNIT_EXPECT_FALSE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					  &f->flags));

	/* The hardware finished: the poll itself completes the fence. */
	WRITE_ONCE(mf->hw_done, true);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->signaled_calls), polls + 2);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f->flags));
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);

	/* From now on the flag answers without asking the provider. */
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->signaled_calls), polls + 2);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), -EINVAL);
	dma_fence_put(f);
}

static void is_signaled_locked_completes_under_the_lock(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	unsigned long flags;
	bool before, after;

	spin_lock_irqsave(f->lock, flags);
	before = dma_fence_is_signaled_locked(f);
	WRITE_ONCE(to_mock_fence(f)->hw_done, true);
	after = dma_fence_is_signaled_locked(f);
	spin_unlock_irqrestore(f->lock, flags);

	KUNIT_EXPECT_FALSE(test, before);
	KUNIT_EXPECT_TRUE(test, after);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f->flags));
	dma_fence_put(f);
}

static void get_status_reports_pending_success_and_error(struct kunit *test)
{
	struct dma_fence *ok = new_fence(test, &mock_ops_plain, 1);
	struct dma_fence *bad = new_fence(test, &mock_ops_plain, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_get_status(ok), 0);
	dma_fence_signal(ok);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(ok), 1);

	/* An error is only reported once the fence is signalled. */
	dma_fence_set_error(bad, -ECANCELED);
	KUNIT_EXPECT_EQ(test, bad->error, -ECANCELED);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(bad), 0);
	dma_fence_signal(bad);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(bad), -ECANCELED);

	dma_fence_put(bad);
	dma_fence_put(ok);
}

static void get_status_locked_matches_unlocked(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	unsigned long flags;
	int pending, done;

	dma_fence_set_error(f, -ETIMEDOUT);
	spin_lock_irqsave(f->lock, flags);
	pending = dma_fence_get_status_locked(f);
	dma_fence_signal_locked(f);
	done = dma_fence_get_status_locked(f);
	spin_unlock_irqrestore(f->lock, flags);

	KUNIT_EXPECT_EQ(test, pending, 0);
	KUNIT_EXPECT_EQ(test, done, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), done);
	dma_fence_put(f);
}

static void get_status_polls_provider(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), 0);
	WRITE_ONCE(to_mock_fence(f)->hw_done, true);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f->flags));
	dma_fence_put(f);
}

static void wait_timeout_zero_polls_pending_fence(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, false, 0), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, true, 0), 0);
	/* A wait asks the provider to signal, once. */
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(f)->enable_calls), 1);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f));
	dma_fence_signal(f);
	dma_fence_put(f);
}

static void wait_timeout_zero_on_signalled_fence_returns_one(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);

	dma_fence_signal(f);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, false, 0), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, true, 0), 1);
	dma_fence_put(f);
}

static void wait_on_signalled_fence_keeps_whole_timeout(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);

	dma_fence_signal(f);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, false, HZ), HZ);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, true, HZ), HZ);
	KUNIT_EXPECT_EQ(test, dma_fence_wait(f, false), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_wait(f, true), 0);
	dma_fence_put(f);
}

static void wait_timeout_expires_on_unsignalled_fence(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, false, 2), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, true, 2), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f));
	/* The waiter took its callback with it. */
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(f));
	dma_fence_signal(f);
	dma_fence_put(f);
}

/* Signals a fence from a workqueue after a delay. */
struct late_signal {
	struct delayed_work work;
	struct dma_fence *fence;
};

static void late_signal_fn(struct work_struct *work)
{
	struct late_signal *ls = container_of(to_delayed_work(work),
					      struct late_signal, work);

	dma_fence_signal(ls->fence);
}

/*
 * Queue the signal of @fence in @ms milliseconds. The caller keeps a
 * reference to @fence until late_signal_finish().
 */
static void late_signal_arm(struct late_signal *ls, struct dma_fence *fence,
			    unsigned int ms)
{
	ls->fence = fence;
	INIT_DELAYED_WORK_ONSTACK(&ls->work, late_signal_fn);
	schedule_delayed_work(&ls->work, msecs_to_jiffies(ms));
}

/* Make sure the signal has been delivered, then retire the work item. */
static void late_signal_finish(struct late_signal *ls)
{
	flush_delayed_work(&ls->work);
	destroy_delayed_work_on_stack(&ls->work);
}

static void wait_wakes_when_fence_signals_later(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct late_signal ls;
	signed long ret;

	late_signal_arm(&ls, f, 20);
	ret = dma_fence_wait_timeout(f, false, 10 * HZ);
	late_signal_finish(&ls);

	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LE(test, ret, 10 * HZ);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	dma_fence_put(f);
}

/* Results gathered by the thread that waits with a signal pending. */
struct intr_wait {
	struct dma_fence *pending;
	struct dma_fence *done;
	bool had_signal;
	signed long intr_timeout;
	signed long intr_wait;
	signed long intr_any;
	signed long uninterruptible;
	signed long intr_done;
	bool idle_after;
};

/*
 * Runs in a kernel thread of its own: lets SIGUSR1 through, queues it to
 * itself, so every interruptible wait sees a pending signal from the start,
 * then clears the signal again before returning.
 */
static void intr_wait_fn(struct fence_job *job)
{
	struct intr_wait *iw = job->data;
	u32 idx = 0;

	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 1);
	iw->had_signal = signal_pending(current);

	iw->intr_timeout = dma_fence_wait_timeout(iw->pending, true, HZ);
	iw->intr_wait = dma_fence_wait(iw->pending, true);
	iw->intr_any = dma_fence_wait_any_timeout(&iw->pending, 1, true, HZ,
						  &idx);
	iw->uninterruptible = dma_fence_wait_timeout(iw->pending, false, 1);
	iw->intr_done = dma_fence_wait_timeout(iw->done, true, HZ);
	iw->idle_after = mock_fence_callbacks_idle(iw->pending);

	flush_signals(current);
	disallow_signal(SIGUSR1);
}

static void wait_interruptible_returns_erestartsys(struct kunit *test)
{
	struct dma_fence *pending = new_fence(test, &mock_ops_plain, 1);
	struct dma_fence *done = new_fence(test, &mock_ops_plain, 1);
	struct intr_wait iw = { .pending = pending, .done = done };
	struct fence_job job = { .fn = intr_wait_fn, .data = &iw };

	dma_fence_signal(done);
	KUNIT_ASSERT_EQ(test, fence_job_start(&job, -1), 0);
	fence_job_finish(&job);

	KUNIT_ASSERT_TRUE(test, iw.had_signal);
	KUNIT_EXPECT_EQ(test, iw.intr_timeout, -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, iw.intr_wait, -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, iw.intr_any, -ERESTARTSYS);
	/* A non-interruptible wait ignores the signal and times out. */
	KUNIT_EXPECT_EQ(test, iw.uninterruptible, 0);
	/* A fence already signalled wins over the pending signal. */
	KUNIT_EXPECT_EQ(test, iw.intr_done, HZ);
	KUNIT_EXPECT_TRUE(test, iw.idle_after);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(pending));

	dma_fence_signal(pending);
	dma_fence_put(done);
	dma_fence_put(pending);
}

static void wait_uses_provider_wait_override(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_wait, 1);
	struct mock_fence *mf = to_mock_fence(f);

	mf->wait_ret = 17;
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, true, 3 * HZ), 17);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->wait_calls), 1);
	KUNIT_EXPECT_TRUE(test, mf->last_wait_intr);
	KUNIT_EXPECT_EQ(test, mf->last_wait_timeout, 3 * HZ);

	/* dma_fence_wait() folds a positive result into 0... */
	KUNIT_EXPECT_EQ(test, dma_fence_wait(f, false), 0);
	KUNIT_EXPECT_FALSE(test, mf->last_wait_intr);
	KUNIT_EXPECT_EQ(test, mf->last_wait_timeout, MAX_SCHEDULE_TIMEOUT);

	/* ...and passes a provider's error through. */
	mf->wait_ret = -EIO;
	KUNIT_EXPECT_EQ(test, dma_fence_wait(f, true), -EIO);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, false, HZ), -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->wait_calls), 4);
	dma_fence_put(f);
}

static void default_wait_honours_timeout_and_state(struct kunit *test)
{
	struct dma_fence *pending = new_fence(test, &mock_ops_plain, 1);
	struct dma_fence *done = new_fence(test, &mock_ops_plain, 1);

	dma_fence_signal(done);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(pending, false, 0), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(pending, true, 1), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(done, false, 0), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_default_wait(done, true, 5), 5);
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(pending));

	dma_fence_signal(pending);
	dma_fence_put(done);
	dma_fence_put(pending);
}

/* Three fences on one context, seqnos 1..3; the caller puts them. */
static void make_three(struct kunit *test, const struct dma_fence_ops *ops,
		       struct dma_fence **f)
{
	u64 ctx = dma_fence_context_alloc(1);
	int i;

	for (i = 0; i < 3; i++)
		f[i] = mock_fence_new(test, ops, ctx, i + 1);
}

/* Signal and drop the three fences of make_three(). */
static void drop_three(struct dma_fence **f)
{
	int i;

	for (i = 0; i < 3; i++) {
		dma_fence_signal(f[i]);
		dma_fence_put(f[i]);
	}
}

static void wait_any_zero_timeout_with_all_pending_returns_zero(struct kunit *test)
{
	struct dma_fence *f[3];
	u32 idx = 99;

	make_three(test, &mock_ops_plain, f);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(f, 3, false, 0, &idx),
			0);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(f, 3, true, 0, NULL),
			0);
	drop_three(f);
}

static void wait_any_zero_timeout_reports_first_signalled(struct kunit *test)
{
	struct dma_fence *f[3];
	u32 idx = 99;

	make_three(test, &mock_ops_plain, f);
	dma_fence_signal(f[2]);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(f, 3, false, 0, &idx),
			1);
	KUNIT_EXPECT_EQ(test, idx, 2);

	dma_fence_signal(f[1]);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(f, 3, false, 0, &idx),
			1);
	KUNIT_EXPECT_EQ(test, idx, 1);

	/* The index is optional. */
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(f, 3, false, 0, NULL),
			1);
	drop_three(f);
}

static void wait_any_polls_provider_state(struct kunit *test)
{
	struct dma_fence *f[3];
	u32 idx = 99;

	make_three(test, &mock_ops_full, f);
	WRITE_ONCE(to_mock_fence(f[1])->hw_done, true);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(f, 3, false, 0, &idx),
			1);
	KUNIT_EXPECT_EQ(test, idx, 1);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &f[1]->flags));
	drop_three(f);
}

static void wait_any_with_signalled_member_returns_at_once(struct kunit *test)
{
	struct dma_fence *f[3];
	u32 idx = 99;
	signed long ret;

	make_three(test, &mock_ops_plain, f);
	dma_fence_signal(f[1]);
	ret = dma_fence_wait_any_timeout(f, 3, false, 5 * HZ, &idx);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_EQ(test, idx, 1);
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(f[0]));
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(f[2]));
	drop_three(f);
}

static void wait_any_wakes_on_later_signal(struct kunit *test)
{
	struct dma_fence *f[3];
	struct late_signal ls;
	u32 idx = 99;
	signed long ret;

	make_three(test, &mock_ops_plain, f);
	late_signal_arm(&ls, f[2], 20);
	ret = dma_fence_wait_any_timeout(f, 3, true, 10 * HZ, &idx);
	late_signal_finish(&ls);

	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_EQ(test, idx, 2);
	/* No waiter callback may stay behind on the fences still pending. */
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(f[0]));
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(f[1]));
	drop_three(f);
}

static void wait_any_times_out_when_nothing_signals(struct kunit *test)
{
	struct dma_fence *f[3];
	u32 idx = 99;
	int i;

	make_three(test, &mock_ops_plain, f);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_any_timeout(f, 3, false, 2, &idx),
			0);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(f[i]));
	drop_three(f);
}

static void set_deadline_reaches_pending_provider(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct mock_fence *mf = to_mock_fence(f);
	ktime_t deadline = ktime_add_ms(ktime_get(), 5);

	dma_fence_set_deadline(f, deadline);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->deadline_calls), 1);
	KUNIT_EXPECT_EQ(test, mf->last_deadline, deadline);

	/* A deadline in the past is passed on as well. */
	dma_fence_set_deadline(f, ns_to_ktime(1));
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->deadline_calls), 2);
	KUNIT_EXPECT_EQ(test, mf->last_deadline, ns_to_ktime(1));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f));
	dma_fence_signal(f);
	dma_fence_put(f);
}

static void set_deadline_skips_signalled_fence(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct dma_fence *plain = new_fence(test, &mock_ops_plain, 1);

	dma_fence_signal(f);
	dma_fence_set_deadline(f, ktime_get());
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(f)->deadline_calls),
			0);

	/* A provider without the hook is simply not told. */
	dma_fence_set_deadline(plain, ktime_get());
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(plain));

	dma_fence_signal(plain);
	dma_fence_put(plain);
	dma_fence_put(f);
}

static void get_stub_returns_one_shared_signalled_fence(struct kunit *test)
{
	struct dma_fence *a = dma_fence_get_stub();
	struct dma_fence *b = dma_fence_get_stub();
	struct cb_probe probe;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(a));
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT,
					 &a->flags));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(a), 1);
	KUNIT_EXPECT_GE(test, kref_read(&a->refcount), 2);
	cb_probe_init(&probe, NULL);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(a, &probe.cb,
						     cb_probe_func), -ENOENT);
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(a, true, 0), 1);
	dma_fence_put(b);
	dma_fence_put(a);
}

static void private_stub_carries_given_timestamp(struct kunit *test)
{
	struct dma_fence *a = dma_fence_allocate_private_stub(TS_FIRST);
	struct dma_fence *b, *shared;

	KUNIT_ASSERT_NOT_NULL(test, a);
	b = dma_fence_allocate_private_stub(TS_SECOND);
	KUNIT_ASSERT_NOT_NULL(test, b);
	shared = dma_fence_get_stub();

	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_PTR_NE(test, a, shared);
	KUNIT_EXPECT_EQ(test, kref_read(&a->refcount), 1);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(a));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(a), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(a), TS_FIRST);
	KUNIT_EXPECT_EQ(test, dma_fence_timestamp(b), TS_SECOND);

	dma_fence_put(shared);
	dma_fence_put(b);
	dma_fence_put(a);
}

/* Render dma_fence_describe() of @f into @buf, NUL-terminated. */
static void describe_into(struct dma_fence *f, char *buf, size_t size)
{
	struct seq_file seq = { .buf = buf, .size = size };

	memset(buf, 0, size);
	dma_fence_describe(f, &seq);
	buf[min(seq.count, size - 1)] = '\0';
}

static void describe_prints_names_seqno_and_state(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 42);
	char buf[160];

	describe_into(f, buf, sizeof(buf));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, MOCK_DRIVER_NAME));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, MOCK_TIMELINE_NAME));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "seq 42 "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "unsignalled"));

	dma_fence_signal(f);
	describe_into(f, buf, sizeof(buf));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "seq 42 signalled"));
	KUNIT_EXPECT_NULL(test, strstr(buf, "unsignalled"));
	dma_fence_put(f);
}

/* Copy both names of @f while the RCU read lock keeps them valid. */
static void read_names(struct dma_fence *f, char *drv, char *tl, size_t size)
{
	rcu_read_lock();
	strscpy(drv, dma_fence_driver_name(f), size);
	strscpy(tl, dma_fence_timeline_name(f), size);
	rcu_read_unlock();
}

static void names_come_from_provider_until_signalled(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	char drv[32], tl[32];

	read_names(f, drv, tl, sizeof(drv));
	KUNIT_EXPECT_STREQ(test, drv, MOCK_DRIVER_NAME);
	KUNIT_EXPECT_STREQ(test, tl, MOCK_TIMELINE_NAME);

	/* A signalled fence may outlive its provider: no more lookups. */
	dma_fence_signal(f);
	read_names(f, drv, tl, sizeof(drv));
	KUNIT_EXPECT_STREQ(test, drv, "detached-driver");
	KUNIT_EXPECT_STREQ(test, tl, "signaled-timeline");
	dma_fence_put(f);
}

static void begin_signalling_cookie_tracks_nesting(struct kunit *test)
{
	/* Held only to put the third begin into atomic context. */
	spinlock_t atomic_section;
	bool outer, inner, in_atomic_cookie;

	spin_lock_init(&atomic_section);
	outer = dma_fence_begin_signalling();
	inner = dma_fence_begin_signalling();
	dma_fence_end_signalling(inner);
	dma_fence_end_signalling(outer);

	spin_lock(&atomic_section);
	in_atomic_cookie = dma_fence_begin_signalling();
	dma_fence_end_signalling(in_atomic_cookie);
	spin_unlock(&atomic_section);

	/* Without lockdep the annotation is a no-op that always says true. */
	if (IS_ENABLED(CONFIG_LOCKDEP))
		KUNIT_EXPECT_FALSE(test, outer);
	else
		KUNIT_EXPECT_TRUE(test, outer);
	KUNIT_EXPECT_TRUE(test, inner);
	/* Lockdep can only tell atomic sections apart with a preempt count. */
	if (!IS_ENABLED(CONFIG_LOCKDEP) || IS_ENABLED(CONFIG_PREEMPT_COUNT))
		KUNIT_EXPECT_TRUE(test, in_atomic_cookie);
}

static void signal_and_wait_nest_in_signalling_section(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	signed long waited;
	bool cookie;
	int ret;

	cookie = dma_fence_begin_signalling();
	ret = dma_fence_signal(f);
	/* Waiting is allowed here as long as no other lock is held. */
	waited = dma_fence_wait_timeout(f, false, HZ);
	dma_fence_end_signalling(cookie);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, waited, HZ);
	dma_fence_put(f);
}

/*
 * Races. Each round gets a fresh fence from prepare; settle judges the
 * round against the contract and counts violations in @bad.
 */
struct callback_race {
	const struct dma_fence_ops *ops;
	u64 context;
	u64 seqno;
	struct dma_fence *fence;
	struct cb_probe probe;
	int ret_a;
	int ret_b;
	bool removed;
	signed long waited;
	unsigned int bad;
	unsigned int b_won;
};

#define RACE_ROUNDS	2000
#define RACE_BUDGET	(HZ)

/* New fence for the round, probe reset. False (race ends) if out of memory. */
static bool race_new_fence(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->fence = mock_fence_alloc(cr->ops, cr->context, ++cr->seqno);
	if (!cr->fence) {
		cr->bad++;
		return false;
	}
	cb_probe_init(&cr->probe, NULL);
	return true;
}

/* Like race_new_fence(), with the probe already queued on the fence. */
static bool race_new_fence_with_callback(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	if (!race_new_fence(race))
		return false;
	if (dma_fence_add_callback(cr->fence, &cr->probe.cb, cb_probe_func))
		cr->bad++;
	return true;
}

static void race_signal_a(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->ret_a = dma_fence_signal(cr->fence);
}

static void race_add_callback_b(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->ret_b = dma_fence_add_callback(cr->fence, &cr->probe.cb,
					   cb_probe_func);
}

/* Queued before the signal: ran exactly once. Refused: never ran. */
static void race_add_callback_settle(struct fence_race *race)
{
	struct callback_race *cr = race->data;
	int calls = atomic_read(&cr->probe.calls);

	if (cr->ret_a != 0)
		cr->bad++;
	else if (cr->ret_b == 0 && calls == 1)
		cr->b_won++;
	else if (cr->ret_b != -ENOENT || calls != 0)
		cr->bad++;
	dma_fence_put(cr->fence);
}

static void race_remove_callback_b(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->removed = dma_fence_remove_callback(cr->fence, &cr->probe.cb);
}

/* Removed: never ran. Not removed: ran exactly once. */
static void race_remove_callback_settle(struct fence_race *race)
{
	struct callback_race *cr = race->data;
	int calls = atomic_read(&cr->probe.calls);

	if (cr->ret_a != 0)
		cr->bad++;
	else if (cr->removed && calls == 0)
		cr->b_won++;
	else if (cr->removed || calls != 1)
		cr->bad++;
	dma_fence_put(cr->fence);
}

static void race_wait_b(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->waited = dma_fence_wait_timeout(cr->fence, false, 5 * HZ);
}

/*
 * The waiter must have come back because of the signal, not the timeout.
 * Less than the full timeout left means it really slept: that counts as
 * side B being first.
 */
static void race_wait_settle(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	if (cr->waited > 0 && cr->waited < 5 * HZ)
		cr->b_won++;
	if (cr->ret_a != 0 || cr->waited <= 0 ||
	    !dma_fence_is_signaled(cr->fence))
		cr->bad++;
	dma_fence_put(cr->fence);
}

static void race_signal_b(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->ret_b = dma_fence_signal(cr->fence);
}

/* Exactly one signaller wins, and the callback ran exactly once. */
static void race_double_signal_settle(struct fence_race *race)
{
	struct callback_race *cr = race->data;
	bool a_won = cr->ret_a == 0 && cr->ret_b == -EINVAL;
	bool b_won = cr->ret_b == 0 && cr->ret_a == -EINVAL;

	if (b_won)
		cr->b_won++;
	if ((!a_won && !b_won) || atomic_read(&cr->probe.calls) != 1)
		cr->bad++;
	dma_fence_put(cr->fence);
}

static void race_enable_b(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	dma_fence_enable_sw_signaling(cr->fence);
}

/* The provider was asked to enable signalling at most once. */
static void race_enable_settle(struct fence_race *race)
{
	struct callback_race *cr = race->data;
	int calls = atomic_read(&to_mock_fence(cr->fence)->enable_calls);

	if (calls == 1)
		cr->b_won++;
	if (cr->ret_a != 0 || calls > 1)
		cr->bad++;
	dma_fence_put(cr->fence);
}

static void race_check_and_signal_a(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->ret_a = dma_fence_check_and_signal(cr->fence);
}

static void race_check_and_signal_b(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	cr->ret_b = dma_fence_check_and_signal(cr->fence);
}

/* Exactly one caller learns it signalled; the callback ran once. */
static void race_check_and_signal_settle(struct fence_race *race)
{
	struct callback_race *cr = race->data;

	if (!cr->ret_b)
		cr->b_won++;
	if (cr->ret_a == cr->ret_b || atomic_read(&cr->probe.calls) != 1)
		cr->bad++;
	dma_fence_put(cr->fence);
}

/* Play one race of the callback family and check its tally. */
static void run_callback_race(struct kunit *test,
			      const struct dma_fence_ops *ops,
			      bool (*prepare)(struct fence_race *race),
			      void (*act_b)(struct fence_race *race),
			      void (*settle)(struct fence_race *race))
{
	struct callback_race cr = {
		.ops = ops,
		.context = dma_fence_context_alloc(1),
	};
	struct fence_race race = {
		.prepare = prepare,
		.act_a = race_signal_a,
		.act_b = act_b,
		.settle = settle,
		.data = &cr,
		.max_rounds = RACE_ROUNDS,
		.budget = RACE_BUDGET,
	};

	fence_race_run(test, &race);
	KUNIT_EXPECT_EQ(test, cr.bad, 0);
	kunit_info(test, "%u rounds, side B first in %u\n", race.rounds,
		   cr.b_won);
}

static void race_signal_with_add_callback(struct kunit *test)
{
	run_callback_race(test, &mock_ops_plain, race_new_fence,
			  race_add_callback_b, race_add_callback_settle);
}

static void race_signal_with_remove_callback(struct kunit *test)
{
	run_callback_race(test, &mock_ops_plain, race_new_fence_with_callback,
			  race_remove_callback_b, race_remove_callback_settle);
}

static void race_signal_with_wait(struct kunit *test)
{
	run_callback_race(test, &mock_ops_plain, race_new_fence,
			  race_wait_b, race_wait_settle);
}

static void race_signal_with_signal(struct kunit *test)
{
	run_callback_race(test, &mock_ops_plain, race_new_fence_with_callback,
			  race_signal_b, race_double_signal_settle);
}

static void race_check_and_signal_with_itself(struct kunit *test)
{
	struct callback_race cr = {
		.ops = &mock_ops_plain,
		.context = dma_fence_context_alloc(1),
	};
	struct fence_race race = {
		.prepare = race_new_fence_with_callback,
		.act_a = race_check_and_signal_a,
		.act_b = race_check_and_signal_b,
		.settle = race_check_and_signal_settle,
		.data = &cr,
		.max_rounds = RACE_ROUNDS,
		.budget = RACE_BUDGET,
	};

	fence_race_run(test, &race);
	KUNIT_EXPECT_EQ(test, cr.bad, 0);
	kunit_info(test, "%u rounds, side B signalled in %u\n", race.rounds,
		   cr.b_won);
}

static void race_signal_with_enable_signaling(struct kunit *test)
{
	run_callback_race(test, &mock_ops_full, race_new_fence,
			  race_enable_b, race_enable_settle);
}

static struct kunit_case dma_fence_cases[] = {
	KUNIT_CASE(init_starts_unsignalled_with_one_reference),
	KUNIT_CASE(context_alloc_hands_out_disjoint_ranges),
	KUNIT_CASE(is_later_wraps_32bit_seqno),
	KUNIT_CASE(is_later_compares_all_bits_of_64bit_seqno),
	KUNIT_CASE(is_later_or_same_accepts_only_identical_equal),
	KUNIT_CASE(later_returns_pending_later_fence_or_null),
	KUNIT_CASE(get_and_put_track_the_reference_count),
	KUNIT_CASE(get_rcu_takes_reference_on_live_fence),
	KUNIT_CASE(get_rcu_refuses_fence_with_zero_references),
	KUNIT_CASE(get_rcu_safe_follows_the_published_pointer),
	KUNIT_CASE(get_rcu_safe_retries_until_dead_fence_replaced),
	KUNIT_CASE(put_of_last_reference_calls_release_once),
	KUNIT_CASE(release_of_unsignalled_fence_without_callbacks),
	KUNIT_CASE(release_with_pending_callback_signals_edeadlk),
	KUNIT_CASE(release_without_release_hook_frees_fence),
	KUNIT_CASE(signal_succeeds_once_then_returns_einval),
	KUNIT_CASE(signal_of_null_fence_returns_einval),
	KUNIT_CASE(signal_stamps_current_monotonic_time),
	KUNIT_CASE(signal_locked_works_under_the_fence_lock),
	KUNIT_CASE(check_and_signal_reports_who_signalled),
	KUNIT_CASE(check_and_signal_of_signalled_fence_keeps_it),
	KUNIT_CASE(check_and_signal_locked_works_under_the_lock),
	KUNIT_CASE(test_signaled_flag_reads_only_the_flag),
	KUNIT_CASE(signal_timestamp_records_given_time),
	KUNIT_CASE(signal_timestamp_locked_records_given_time),
	KUNIT_CASE(callbacks_run_once_in_registration_order),
	KUNIT_CASE(callback_observes_signalled_state_and_error),
	KUNIT_CASE(add_callback_to_signalled_fence_returns_enoent),
	KUNIT_CASE(add_callback_enables_signaling_once),
	KUNIT_CASE(add_callback_fails_when_enable_signaling_fails),
	KUNIT_CASE(remove_pending_callback_returns_true),
	KUNIT_CASE(remove_callback_after_signal_returns_false),
	KUNIT_CASE(enable_sw_signaling_calls_provider_once),
	KUNIT_CASE(enable_sw_signaling_skips_provider_when_signalled),
	KUNIT_CASE(enable_signaling_failure_signals_with_error),
	KUNIT_CASE(is_signaled_polls_provider_and_latches),
	KUNIT_CASE(is_signaled_locked_completes_under_the_lock),
	KUNIT_CASE(get_status_reports_pending_success_and_error),
	KUNIT_CASE(get_status_locked_matches_unlocked),
	KUNIT_CASE(get_status_polls_provider),
	KUNIT_CASE(wait_timeout_zero_polls_pending_fence),
	KUNIT_CASE(wait_timeout_zero_on_signalled_fence_returns_one),
	KUNIT_CASE(wait_on_signalled_fence_keeps_whole_timeout),
	KUNIT_CASE(wait_timeout_expires_on_unsignalled_fence),
	KUNIT_CASE(wait_wakes_when_fence_signals_later),
	KUNIT_CASE(wait_interruptible_returns_erestartsys),
	KUNIT_CASE(wait_uses_provider_wait_override),
	KUNIT_CASE(default_wait_honours_timeout_and_state),
	KUNIT_CASE(wait_any_zero_timeout_with_all_pending_returns_zero),
	KUNIT_CASE(wait_any_zero_timeout_reports_first_signalled),
	KUNIT_CASE(wait_any_polls_provider_state),
	KUNIT_CASE(wait_any_with_signalled_member_returns_at_once),
	KUNIT_CASE(wait_any_wakes_on_later_signal),
	KUNIT_CASE(wait_any_times_out_when_nothing_signals),
	KUNIT_CASE(set_deadline_reaches_pending_provider),
	KUNIT_CASE(set_deadline_skips_signalled_fence),
	KUNIT_CASE(get_stub_returns_one_shared_signalled_fence),
	KUNIT_CASE(private_stub_carries_given_timestamp),
	KUNIT_CASE(describe_prints_names_seqno_and_state),
	KUNIT_CASE(names_come_from_provider_until_signalled),
	KUNIT_CASE(begin_signalling_cookie_tracks_nesting),
	KUNIT_CASE(signal_and_wait_nest_in_signalling_section),
	KUNIT_CASE_SLOW(race_signal_with_add_callback),
	KUNIT_CASE_SLOW(race_signal_with_remove_callback),
	KUNIT_CASE_SLOW(race_signal_with_wait),
	KUNIT_CASE_SLOW(race_signal_with_signal),
	KUNIT_CASE_SLOW(race_signal_with_enable_signaling),
	KUNIT_CASE_SLOW(race_check_and_signal_with_itself),
	{}
};

static struct kunit_suite dma_fence_suite = {
	.name = "dma-fence",
	.test_cases = dma_fence_cases,
};

kunit_test_suite(dma_fence_suite);

MODULE_DESCRIPTION("KUnit tests for the dma_fence core");
MODULE_LICENSE("GPL");
