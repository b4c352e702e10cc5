/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the dma-fence KUnit suites: a mock fence provider that
 * records how the fence core calls into it, a callback probe, a helper that
 * runs one function in a kernel thread of its own, a driver that plays
 * two actions against each other on two CPUs, round after round, and the
 * expected-WARN brackets of the test harness.
 *
 * Every suite is its own module, so everything here is static inline and
 * each module carries its own copy.
 */

#ifndef _DMA_BUF_TESTS_FENCE_HELPERS_H
#define _DMA_BUF_TESTS_FENCE_HELPERS_H

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/printk.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

/**
 * expect_warn_begin() - open an expected-WARN bracket in the kernel log
 * @tag: name of the bracket, without spaces
 *
 * The harness excuses every WARNING between this line and the matching
 * expect_warn_end(), and fails the run if there is none: the bracket
 * proves that the warning fired.
 *
 * Context: Any context.
 */
static inline void expect_warn_begin(const char *tag)
{
	pr_info("dmabuf-expect-warn: begin %s\n", tag);
}

/**
 * expect_warn_end() - close the bracket opened by expect_warn_begin()
 * @tag: the same name
 *
 * Context: Any context.
 */
static inline void expect_warn_end(const char *tag)
{
	pr_info("dmabuf-expect-warn: end %s\n", tag);
}

#define MOCK_DRIVER_NAME	"kunit-fence-drv"
#define MOCK_TIMELINE_NAME	"kunit-timeline"

/**
 * struct mock_fence - fence of the test provider
 * @base: the fence handed to the code under test
 * @lock: lock passed to dma_fence_init() for @base
 * @enable_ok: what &dma_fence_ops.enable_signaling returns (default true)
 * @enable_error: error stored by enable_signaling when it returns false
 * @hw_done: what &dma_fence_ops.signaled reports; flip with WRITE_ONCE()
 * @wait_ret: what the &dma_fence_ops.wait override returns
 * @keep_memory: release leaves the memory to the test, which must kfree() it
 * @release_count: when set, incremented by every release of @base
 * @enable_calls: calls of enable_signaling so far
 * @signaled_calls: calls of signaled so far
 * @deadline_calls: calls of set_deadline so far
 * @wait_calls: calls of the wait override so far
 * @last_deadline: deadline passed by the latest set_deadline call
 * @last_wait_intr: @intr passed by the latest wait call
 * @last_wait_timeout: timeout passed by the latest wait call
 *
 * The knobs are set by the test before the fence is shared with anyone.
 */
struct mock_fence {
	struct dma_fence base;
	/* Protects @base as its &dma_fence.lock; nothing else. */
	spinlock_t lock;
	bool enable_ok;
	int enable_error;
	bool hw_done;
	signed long wait_ret;
	bool keep_memory;
	atomic_t *release_count;
	atomic_t enable_calls;
	atomic_t signaled_calls;
	atomic_t deadline_calls;
	atomic_t wait_calls;
	ktime_t last_deadline;
	bool last_wait_intr;
	signed long last_wait_timeout;
};

/**
 * to_mock_fence() - get the mock wrapping a fence
 * @fence: a fence created by mock_fence_alloc()
 *
 * Context: Any context.
 * Return: the &struct mock_fence that embeds @fence.
 */
static inline struct mock_fence *to_mock_fence(struct dma_fence *fence)
{
	return container_of(fence, struct mock_fence, base);
}

/* Both name hooks return constant strings, valid for the module's life. */
static inline const char *mock_driver_name(struct dma_fence *fence)
{
	return MOCK_DRIVER_NAME;
}

static inline const char *mock_timeline_name(struct dma_fence *fence)
{
	return MOCK_TIMELINE_NAME;
}

/*
 * Counts the call, then either accepts or refuses. A refusal may leave an
 * error behind, as the ops contract allows only in that case. Called by the
 * core with the fence lock held.
 */
static inline bool mock_enable_signaling(struct dma_fence *fence)
{
	struct mock_fence *mf = to_mock_fence(fence);

	atomic_inc(&mf->enable_calls);
	if (mf->enable_ok)
		return true;
	if (mf->enable_error)
		dma_fence_set_error(fence, mf->enable_error);
	return false;
}

/* Counts the call and reports the simulated hardware state. */
static inline bool mock_signaled(struct dma_fence *fence)
{
	struct mock_fence *mf = to_mock_fence(fence);

	atomic_inc(&mf->signaled_calls);
	return READ_ONCE(mf->hw_done);
}

/* Records the deadline; tests call it from one thread only. */
static inline void mock_set_deadline(struct dma_fence *fence,
				     ktime_t deadline)
{
	struct mock_fence *mf = to_mock_fence(fence);

	mf->last_deadline = deadline;
	atomic_inc(&mf->deadline_calls);
}

/* Records the arguments and returns the canned @wait_ret without sleeping. */
static inline signed long mock_wait(struct dma_fence *fence, bool intr,
				    signed long timeout)
{
	struct mock_fence *mf = to_mock_fence(fence);

	mf->last_wait_intr = intr;
	mf->last_wait_timeout = timeout;
	atomic_inc(&mf->wait_calls);
	return mf->wait_ret;
}

/*
 * Counts the release, then frees the mock through the default RCU-delayed
 * path unless the test asked to keep the memory (it then owns it).
 */
static inline void mock_release(struct dma_fence *fence)
{
	struct mock_fence *mf = to_mock_fence(fence);

	if (mf->release_count)
		atomic_inc(mf->release_count);
	if (!mf->keep_memory)
		dma_fence_free(fence);
}

/* Only the mandatory hooks: release falls back to dma_fence_free(). */
static const struct dma_fence_ops mock_ops_bare __maybe_unused = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
};

/* 32-bit seqno provider without optional hooks except release. */
static const struct dma_fence_ops mock_ops_plain __maybe_unused = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.release = mock_release,
};

/* Same as mock_ops_plain but comparing all 64 bits of the seqno. */
static const struct dma_fence_ops mock_ops_64 __maybe_unused = {
	.use_64bit_seqno = true,
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.release = mock_release,
};

/* Every optional hook but wait, each one counted. */
static const struct dma_fence_ops mock_ops_full __maybe_unused = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.enable_signaling = mock_enable_signaling,
	.signaled = mock_signaled,
	.set_deadline = mock_set_deadline,
	.release = mock_release,
};

/* A provider that overrides the wait. */
static const struct dma_fence_ops mock_ops_wait __maybe_unused = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.wait = mock_wait,
	.release = mock_release,
};

/**
 * mock_fence_alloc() - allocate and initialise a mock fence
 * @ops: one of the mock_ops_* tables
 * @context: fence context
 * @seqno: sequence number within @context
 *
 * The fence starts unsignalled with one reference, owned by the caller.
 * enable_signaling accepts unless &mock_fence.enable_ok is cleared.
 *
 * Context: Process context, may sleep.
 * Return: the new fence, or NULL when out of memory.
 */
static inline struct dma_fence *
mock_fence_alloc(const struct dma_fence_ops *ops, u64 context, u64 seqno)
{
	struct mock_fence *mf = kzalloc(sizeof(*mf), GFP_KERNEL);

	if (!mf)
		return NULL;

	spin_lock_init(&mf->lock);
	mf->enable_ok = true;
	dma_fence_init(&mf->base, ops, &mf->lock, context, seqno);
	return &mf->base;
}

/**
 * mock_fence_new() - mock_fence_alloc() that aborts the test case on failure
 * @test: the running test case
 * @ops: one of the mock_ops_* tables
 * @context: fence context
 * @seqno: sequence number within @context
 *
 * Context: The test case's own thread, may sleep.
 * Return: the new fence, with one reference owned by the caller.
 */
static inline struct dma_fence *mock_fence_new(struct kunit *test,
					       const struct dma_fence_ops *ops,
					       u64 context, u64 seqno)
{
	struct dma_fence *fence = mock_fence_alloc(ops, context, seqno);

	KUNIT_ASSERT_NOT_NULL(test, fence);
	return fence;
}

/**
 * struct cb_probe - a fence callback that records how it ran
 * @cb: the callback handed to dma_fence_add_callback()
 * @clock: optional counter shared by several probes to order their runs
 * @calls: number of runs
 * @order: value of @clock when the probe ran, -1 if it never ran
 * @saw_signalled: DMA_FENCE_FLAG_SIGNALED_BIT was set during the run
 * @saw_error: &dma_fence.error during the run
 */
struct cb_probe {
	struct dma_fence_cb cb;
	atomic_t *clock;
	atomic_t calls;
	int order;
	bool saw_signalled;
	int saw_error;
};

/**
 * cb_probe_init() - reset a probe before it is registered
 * @probe: the probe
 * @clock: shared ordering counter, or NULL
 *
 * Context: Any context; the probe must not be registered on a fence.
 */
static inline void cb_probe_init(struct cb_probe *probe, atomic_t *clock)
{
	probe->clock = clock;
	atomic_set(&probe->calls, 0);
	probe->order = -1;
	probe->saw_signalled = false;
	probe->saw_error = 0;
}

/**
 * cb_probe_func() - callback function for a &struct cb_probe
 * @fence: the fence that signalled
 * @cb: &cb_probe.cb
 *
 * Context: Whatever context the fence signals from, fence lock held. Does
 * not sleep and takes no lock.
 */
static inline void cb_probe_func(struct dma_fence *fence,
				 struct dma_fence_cb *cb)
{
	struct cb_probe *probe = container_of(cb, struct cb_probe, cb);

	probe->saw_signalled = test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					&fence->flags);
	probe->saw_error = fence->error;
	if (probe->clock)
		probe->order = atomic_inc_return(probe->clock) - 1;
	atomic_inc(&probe->calls);
}

/**
 * mock_fence_callbacks_idle() - tell whether a fence has no callback queued
 * @fence: a fence the caller holds a reference to
 *
 * Only meaningful while @fence is unsignalled: signalling reuses the list.
 *
 * Context: Process context; takes the fence lock.
 * Return: true if the fence's callback list is empty.
 */
static inline bool mock_fence_callbacks_idle(struct dma_fence *fence)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(fence->lock, flags);
	idle = list_empty(&fence->cb_list);
	spin_unlock_irqrestore(fence->lock, flags);
	return idle;
}

/**
 * struct fence_job - one function run in a kernel thread of its own
 * @fn: the function; it receives the job
 * @data: caller's state for @fn
 * @done: completed when @fn has returned
 */
struct fence_job {
	void (*fn)(struct fence_job *job);
	void *data;
	struct completion done;
};

/* Thread body: run the job, then signal completion and exit in one step. */
static inline int fence_job_thread(void *arg)
{
	struct fence_job *job = arg;

	job->fn(job);
	kthread_complete_and_exit(&job->done, 0);
}

/**
 * fence_job_start() - start @job->fn in a new kernel thread
 * @job: the job, which must stay valid until fence_job_finish() returns
 * @cpu: CPU to bind the thread to, or -1 to leave it unbound
 *
 * Context: Process context, may sleep.
 * Return: 0 when started, or a negative errno when no thread was created
 * (then @fn never runs and fence_job_finish() must not be called).
 */
static inline int fence_job_start(struct fence_job *job, int cpu)
{
	struct task_struct *task;

	init_completion(&job->done);
	task = kthread_create(fence_job_thread, job, "fence-kunit-job");
	if (IS_ERR(task))
		return PTR_ERR(task);
	if (cpu >= 0)
		kthread_bind(task, cpu);
	wake_up_process(task);
	return 0;
}

/**
 * fence_job_finish() - wait until a started job's function has returned
 * @job: a job started by fence_job_start()
 *
 * Context: Process context, sleeps.
 */
static inline void fence_job_finish(struct fence_job *job)
{
	wait_for_completion(&job->done);
}

/**
 * fence_other_cpu() - pick an online CPU other than the given one
 * @cpu: the CPU to avoid
 *
 * Context: Any context; the test VM does no CPU hotplug.
 * Return: another online CPU, or @cpu itself on a uniprocessor.
 */
static inline unsigned int fence_other_cpu(unsigned int cpu)
{
	unsigned int other = cpumask_any_but(cpu_online_mask, cpu);

	return other < nr_cpu_ids ? other : cpu;
}

/* Longest time one side of a race waits for the other before giving up. */
#define FENCE_RACE_STALL	(10 * HZ)

/**
 * struct fence_race - two actions played against each other, round by round
 * @prepare: side A, before each round: set the round's objects up; returning
 *	false ends the race
 * @act_a: side A's action of the round
 * @act_b: side B's action of the round
 * @settle: side A, after both actions returned: judge and clean up
 * @data: caller's state for the hooks
 * @max_rounds: most rounds to play
 * @budget: most wall time to play for, in jiffies
 * @rounds: rounds fully played (output)
 * @stalled: one side gave up waiting for the other (output)
 * @posted: last round side A has prepared
 * @arrived: last round side B has started
 * @finished: last round side B has finished
 * @stop: set once either side has quit
 * @a_done: completed when side A's thread is done
 * @b_done: completed when side B's thread is done
 *
 * Each round: A prepares and posts it, B announces it is about to act, both
 * act at once (one of them after a short random delay), B reports back, A
 * settles. The hooks run in the side threads
 * and must report problems in @data, not through KUnit assertions.
 */
struct fence_race {
	bool (*prepare)(struct fence_race *race);
	void (*act_a)(struct fence_race *race);
	void (*act_b)(struct fence_race *race);
	void (*settle)(struct fence_race *race);
	void *data;
	unsigned int max_rounds;
	unsigned long budget;
	unsigned int rounds;
	bool stalled;
	atomic_t posted;
	atomic_t arrived;
	atomic_t finished;
	atomic_t stop;
	struct completion a_done;
	struct completion b_done;
};

/*
 * Spin until @step reaches @round. Returns false, without waiting further,
 * when the race was stopped or the other side looks stuck. The acquire
 * read pairs with the release store of the other side, so everything that
 * side wrote before moving @step is visible once this returns true.
 */
static inline bool fence_race_await(struct fence_race *race, atomic_t *step,
				    int round)
{
	unsigned long give_up = jiffies + FENCE_RACE_STALL;

	while (atomic_read_acquire(step) < round) {
		if (atomic_read(&race->stop))
			return false;
		if (time_after(jiffies, give_up)) {
			WRITE_ONCE(race->stalled, true);
			atomic_set(&race->stop, 1);
			return false;
		}
		cpu_relax();
		cond_resched();
	}
	return true;
}

/* Longest time, in microseconds, a side may hold back before acting. */
#define FENCE_RACE_JITTER_US	200

/*
 * Hold back for a random short while. Without it the side that announces
 * itself last (B) nearly always acts first, by a few microseconds under
 * emulation; delaying A on even rounds and B on odd ones by up to
 * FENCE_RACE_JITTER_US spreads the rounds over both orders and overlaps.
 */
static inline void fence_race_jitter(unsigned int round, bool side_b)
{
	if ((round & 1) != side_b)
		return;
	udelay(get_random_u32_below(FENCE_RACE_JITTER_US));
}

/*
 * Side A: owns the objects of each round. When a round is abandoned half
 * way (stall), its objects are leaked on purpose: side B may still use them.
 */
static inline int fence_race_side_a(void *arg)
{
	struct fence_race *race = arg;
	unsigned long end = jiffies + race->budget;
	unsigned int round;

	for (round = 1; round <= race->max_rounds; round++) {
		if (round > 1 && time_after(jiffies, end))
			break;
		if (!race->prepare(race))
			break;
		atomic_set_release(&race->posted, round);
		if (!fence_race_await(race, &race->arrived, round))
			break;
		fence_race_jitter(round, false);
		race->act_a(race);
		if (!fence_race_await(race, &race->finished, round))
			break;
		race->settle(race);
		race->rounds = round;
	}
	atomic_set(&race->stop, 1);
	kthread_complete_and_exit(&race->a_done, 0);
}

/* Side B: acts on whatever round side A posted, until told to stop. */
static inline int fence_race_side_b(void *arg)
{
	struct fence_race *race = arg;
	int round;

	for (round = 1; fence_race_await(race, &race->posted, round); round++) {
		atomic_set_release(&race->arrived, round);
		fence_race_jitter(round, true);
		race->act_b(race);
		atomic_set_release(&race->finished, round);
	}
	kthread_complete_and_exit(&race->b_done, 0);
}

/**
 * fence_race_run() - play a race on two CPUs and wait for its end
 * @test: the running test case
 * @race: hooks, @data, @max_rounds and @budget filled in; the rest zeroed
 *
 * The sides are bound to two different online CPUs; on a uniprocessor both
 * share the only one and the race degrades to preemption interleavings.
 * Fails the test if a side stalled or not a single round was played.
 *
 * Context: The test case's own thread, sleeps until both sides are done.
 */
static inline void fence_race_run(struct kunit *test, struct fence_race *race)
{
	unsigned int cpu_a = cpumask_first(cpu_online_mask);
	unsigned int cpu_b = fence_other_cpu(cpu_a);
	struct task_struct *a, *b;

	atomic_set(&race->posted, 0);
	atomic_set(&race->arrived, 0);
	atomic_set(&race->finished, 0);
	atomic_set(&race->stop, 0);
	init_completion(&race->a_done);
	init_completion(&race->b_done);

	a = kthread_create(fence_race_side_a, race, "fence-race-a");
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	b = kthread_create(fence_race_side_b, race, "fence-race-b");
	if (IS_ERR(b)) {
		/* Never woken, so side A's body never runs. */
		kthread_stop(a);
		KUNIT_FAIL(test, "cannot create the second race thread");
		return;
	}
	kthread_bind(a, cpu_a);
	kthread_bind(b, cpu_b);
	wake_up_process(b);
	wake_up_process(a);

	wait_for_completion(&race->a_done);
	wait_for_completion(&race->b_done);

	KUNIT_EXPECT_FALSE_MSG(test, race->stalled,
			       "a race side waited too long for the other");
	KUNIT_EXPECT_GT(test, race->rounds, 0);
	if (cpu_a == cpu_b)
		kunit_info(test, "one CPU only: sides interleave by preemption\n");
}

#endif /* _DMA_BUF_TESTS_FENCE_HELPERS_H */
