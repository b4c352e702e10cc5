// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-fence core: fence set-up, signalling, completion callbacks, waiting,
 * lockdep annotations for the signalling path, and the stub fences.
 */

#include <linux/atomic.h>
#include <linux/dma-fence.h>
#include <linux/export.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define CREATE_TRACE_POINTS
#include <trace/events/dma_fence.h>

EXPORT_TRACEPOINT_SYMBOL(dma_fence_emit);
EXPORT_TRACEPOINT_SYMBOL(dma_fence_enable_signal);
EXPORT_TRACEPOINT_SYMBOL(dma_fence_signaled);

/**
 * DOC: dma-fence overview
 *
 * A &struct dma_fence stands for one piece of work, typically a batch of
 * commands run by some device, and moves from "pending" to "signalled"
 * exactly once, when that work is finished. Fences are how GPU, display,
 * media and camera drivers, and the objects that carry synchronisation to
 * userspace (reservation objects, sync_file descriptors, DRM syncobjs), say
 * to each other: do not touch this buffer before this has happened.
 *
 * Each fence lives on a timeline, its &dma_fence.context, handed out by
 * dma_fence_context_alloc(), and has a sequence number on it. Fences of one
 * timeline signal in sequence number order, which lets containers keep just
 * the most recent fence of each timeline (see dma_fence_is_later()).
 *
 * A fence is reference counted with dma_fence_get() and dma_fence_put(), and
 * its memory is only reclaimed an RCU grace period after the last reference
 * is gone. Code that finds a fence in an RCU-protected pointer can therefore
 * look at it under rcu_read_lock() and try to take a reference with
 * dma_fence_get_rcu() or dma_fence_get_rcu_safe().
 *
 * A consumer either sleeps in dma_fence_wait() or dma_fence_wait_timeout(),
 * or queues a &struct dma_fence_cb with dma_fence_add_callback(), which is
 * then called from the context that signals the fence. The provider, the
 * driver that owns the hardware, completes the fence with dma_fence_signal(),
 * after recording a failure with dma_fence_set_error() if there was one.
 *
 * A provider, in short::
 *
 *	static const struct dma_fence_ops ring_fence_ops = {
 *		.get_driver_name = ring_driver_name,
 *		.get_timeline_name = ring_timeline_name,
 *	};
 *
 *	job->fence = kzalloc(sizeof(*job->fence), GFP_KERNEL);
 *	dma_fence_init(job->fence, &ring_fence_ops, &ring->fence_lock,
 *		       ring->fence_context, ++ring->last_seqno);
 *	// publish job->fence (dma_resv, sync_file, ...), start the job
 *
 *	// later, from the completion interrupt
 *	if (job->hw_status != JOB_OK)
 *		dma_fence_set_error(job->fence, -EIO);
 *	dma_fence_signal(job->fence);
 *	dma_fence_put(job->fence);
 *
 * and a consumer::
 *
 *	fence = dma_fence_get(job_fence);
 *	left = dma_fence_wait_timeout(fence, true, msecs_to_jiffies(100));
 *	status = dma_fence_get_status(fence);
 *	dma_fence_put(fence);
 *	if (left < 0)
 *		return left;		// a signal arrived
 *	if (!left)
 *		return -ETIMEDOUT;
 *	return status < 0 ? status : 0;
 */

/**
 * DOC: dma-fence provider contract
 *
 * Fences cross driver boundaries: one driver waits for what another one
 * signals, and neither knows the other. That only works if every provider
 * keeps these rules.
 *
 * * A fence that others can see must signal in bounded time. It must not
 *   depend on anything userspace has yet to do; if the hardware hangs, the
 *   provider's timeout and reset handling has to signal the fence, with an
 *   error recorded by dma_fence_set_error().
 *
 * * The code that leads to signalling must not wait for memory reclaim
 *   (no GFP_KERNEL allocations), because reclaim may itself wait for
 *   fences, through shrinkers or MMU notifiers. It must not take locks that
 *   are held elsewhere around dma_fence_wait() either. Annotate that code
 *   as described in "dma-fence signalling annotations" and lockdep will
 *   check both rules.
 *
 * * Callbacks run where the fence is signalled, which may be a hard
 *   interrupt handler, with &dma_fence.lock held. They must not sleep and
 *   must not take &dma_fence.lock of the same fence.
 *
 * * The error, if any, is set before signalling. Once signalled, a fence
 *   never changes again apart from its reference count.
 *
 * * Names: the strings from &dma_fence_ops.get_driver_name and
 *   &dma_fence_ops.get_timeline_name must stay valid while the fence is
 *   unsignalled and for one RCU grace period after it signalled. A provider
 *   may free them, or let its module go, only after synchronize_rcu() or
 *   call_rcu() following the signal. Everybody else asks for the names with
 *   dma_fence_driver_name() and dma_fence_timeline_name() under
 *   rcu_read_lock(); those return fixed placeholder strings for a signalled
 *   fence and never call into the provider for it.
 *
 * * The memory of a fence stays readable for one RCU grace period after the
 *   last reference is dropped; dma_fence_free() takes care of that for the
 *   common case.
 */

/**
 * DOC: dma-fence deadlines
 *
 * A consumer that needs a fence by a certain time, typically the display
 * code waiting for rendering before the next vertical blank, can say so with
 * dma_fence_set_deadline(). It is only a hint: providers that implement
 * &dma_fence_ops.set_deadline may boost clocks or reorder work, others
 * ignore it, and nothing guarantees the fence will make it.
 */

/*
 * Context numbers are handed out from here and never reused. Zero is kept
 * back for the stub fences, so real timelines start at one.
 */
static atomic64_t dma_fence_next_context = ATOMIC64_INIT(1);

/*
 * The shared, always signalled stub fence, set up on first use under
 * dma_fence_stub_lock, which also serves as &dma_fence.lock of every stub.
 */
static DEFINE_SPINLOCK(dma_fence_stub_lock);
static struct dma_fence dma_fence_stub;

static const char *dma_fence_stub_name(struct dma_fence *fence)
{
	return "stub";
}

/*
 * dma_fence_stub_release - free a private stub.
 *
 * The global stub is a static object holding a reference of its own; its
 * count only reaches zero if somebody put more references than they got.
 * Warn about that instead of handing static memory to the allocator.
 */
static void dma_fence_stub_release(struct dma_fence *fence)
{
	if (WARN_ON_ONCE(fence == &dma_fence_stub))
		return;

	dma_fence_free(fence);
}

static const struct dma_fence_ops dma_fence_stub_ops = {
	.get_driver_name = dma_fence_stub_name,
	.get_timeline_name = dma_fence_stub_name,
	.release = dma_fence_stub_release,
};

/**
 * dma_fence_get_stub - get a reference to the shared signalled fence
 *
 * The stub is a fence on context 0 that was signalled when it was first
 * needed. Use it wherever an API wants a fence but there is nothing to wait
 * for.
 *
 * Context: Any context.
 * Return: the stub fence, with a new reference the caller must put.
 */
struct dma_fence *dma_fence_get_stub(void)
{
	unsigned long flags;

	spin_lock_irqsave(&dma_fence_stub_lock, flags);
	if (!dma_fence_stub.ops) {
		dma_fence_init(&dma_fence_stub, &dma_fence_stub_ops,
			       &dma_fence_stub_lock, 0, 0);
		/* There is nothing to arm behind a stub. */
		set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &dma_fence_stub.flags);
		dma_fence_signal_locked(&dma_fence_stub);
	}
	spin_unlock_irqrestore(&dma_fence_stub_lock, flags);

	return dma_fence_get(&dma_fence_stub);
}
EXPORT_SYMBOL(dma_fence_get_stub);

/**
 * dma_fence_allocate_private_stub - create a new, already signalled fence
 * @timestamp: the completion time to record in the fence
 *
 * Like dma_fence_get_stub(), but the fence is a separate object with its own
 * timestamp, for callers that need a distinct fence or a particular time.
 *
 * Context: Process context; may sleep to allocate memory.
 * Return: the new fence with one reference owned by the caller, or NULL if
 * memory ran out.
 */
struct dma_fence *dma_fence_allocate_private_stub(ktime_t timestamp)
{
	struct dma_fence *fence;

	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	if (!fence)
		return NULL;

	dma_fence_init(fence, &dma_fence_stub_ops, &dma_fence_stub_lock, 0, 0);
	set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags);
	dma_fence_signal_timestamp(fence, timestamp);

	return fence;
}
EXPORT_SYMBOL(dma_fence_allocate_private_stub);

/**
 * dma_fence_context_alloc - reserve timeline numbers
 * @num: how many consecutive contexts the caller wants, at least one
 *
 * Context numbers are unique for the lifetime of the system; a provider
 * normally reserves one per ring or queue when it creates it.
 *
 * Context: Any context.
 * Return: the first of @num consecutive new context numbers.
 */
u64 dma_fence_context_alloc(unsigned int num)
{
	WARN_ON_ONCE(!num);

	return atomic64_fetch_add(num, &dma_fence_next_context);
}
EXPORT_SYMBOL(dma_fence_context_alloc);

/*
 * dma_fence_names_retired - may the provider have freed the fence's names?
 *
 * Once @fence is signalled, its provider is allowed to release the name
 * strings after a grace period, so only a reader that still sees the fence
 * unsignalled inside its RCU read-side section may call into the ops. RCU
 * guarantees that such a reader finishes before a grace period that started
 * after the signal; no further ordering is needed.
 */
static bool dma_fence_names_retired(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

/**
 * dma_fence_driver_name - name the provider of a fence, safely
 * @fence: the fence, which the caller keeps alive (reference or RCU)
 *
 * Use this instead of calling &dma_fence_ops.get_driver_name directly. The
 * returned string may only be used until the caller's RCU read-side section
 * ends.
 *
 * Context: Inside rcu_read_lock() or another RCU read-side section, such as
 * a region with preemption disabled.
 * Return: the provider's name while @fence is unsignalled, the fixed string
 * "detached-driver" once it has signalled.
 */
const char *dma_fence_driver_name(struct dma_fence *fence)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(),
			 "fence driver name read outside an RCU read-side section");

	if (dma_fence_names_retired(fence))
		return "detached-driver";

	return fence->ops->get_driver_name(fence);
}
EXPORT_SYMBOL(dma_fence_driver_name);

/**
 * dma_fence_timeline_name - name the timeline of a fence, safely
 * @fence: the fence, which the caller keeps alive (reference or RCU)
 *
 * Use this instead of calling &dma_fence_ops.get_timeline_name directly.
 * The returned string may only be used until the caller's RCU read-side
 * section ends.
 *
 * Context: Inside rcu_read_lock() or another RCU read-side section, such as
 * a region with preemption disabled.
 * Return: the timeline's name while @fence is unsignalled, the fixed string
 * "signaled-timeline" once it has signalled.
 */
const char *dma_fence_timeline_name(struct dma_fence *fence)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(),
			 "fence timeline name read outside an RCU read-side section");

	if (dma_fence_names_retired(fence))
		return "signaled-timeline";

	return fence->ops->get_timeline_name(fence);
}
EXPORT_SYMBOL(dma_fence_timeline_name);

/**
 * DOC: dma-fence signalling annotations
 *
 * A deadlock between whoever waits for a fence and whoever has to signal it
 * rarely shows up in testing: the signalling runs in a worker, a scheduler
 * thread or an interrupt, the wait somewhere else, and both have to meet in
 * the wrong order. The classic case::
 *
 *	signalling worker:		waiting thread:
 *	  mutex_lock(&obj->lock);	  mutex_lock(&obj->lock);
 *	  ...				  dma_fence_wait(fence, false);
 *	  mutex_unlock(&obj->lock);	  mutex_unlock(&obj->lock);
 *	  dma_fence_signal(fence);
 *
 * The waiter sleeps holding obj->lock, which the worker needs before it can
 * signal, so neither moves.
 *
 * To make lockdep see such cycles, the ability to signal fences is modelled
 * as one global pseudo lock, "dma_fence_map":
 *
 * * dma_fence_begin_signalling() and dma_fence_end_signalling() bracket a
 *   signalling critical section and hold the map for reading. Shared
 *   holders may nest with each other in any order, which is right since
 *   nothing is really locked. The hold is a non-recursive read on purpose:
 *   lockdep only reports read-side inversions for that kind.
 *
 * * dma_fence_wait_timeout() takes and drops the map for writing through
 *   __dma_fence_might_wait(), so lockdep learns which locks are held while
 *   waiting for a fence. A lock that is also taken inside a signalling
 *   section closes a cycle and is reported as soon as both paths have run
 *   once, not only when they actually deadlock.
 *
 * * Sections nest: the outermost one takes the map and the inner ones only
 *   get a cookie telling dma_fence_end_signalling() to do nothing. In atomic
 *   context nothing is taken either; a blocking wait there is already
 *   caught by might_sleep(). That lets helpers shared with interrupt
 *   handlers be annotated too.
 *
 * * A wait inside a signalling section is tolerated by the annotation
 *   itself: the read hold is exchanged for the write acquisition and taken
 *   back afterwards. Any lock acquired since the section began and still
 *   held at that point is reported, so annotate with care.
 *
 * dma_fence_signal() annotates itself; its _timestamp and _locked variants
 * do not, as in 6.12.
 * Drivers should annotate everything from the moment a fence becomes
 * visible to others (added to a reservation object, a sync_file or a
 * syncobj) until it is signalled: the tail of the submission ioctl,
 * scheduler threads, completion workers, interrupt handlers. Paths that
 * only complete fences opportunistically, such as a shrinker, should not be
 * annotated. For example::
 *
 *	static void ring_retire_work(struct work_struct *work)
 *	{
 *		struct ring *ring = container_of(work, struct ring, retire);
 *		bool outer = dma_fence_begin_signalling();
 *
 *		// No GFP_KERNEL here, and no lock that anyone holds
 *		// around dma_fence_wait().
 *		ring_signal_completed(ring);	// calls dma_fence_signal()
 *
 *		dma_fence_end_signalling(outer);
 *	}
 *
 * Without CONFIG_LOCKDEP the annotations compile to nothing.
 */
#ifdef CONFIG_LOCKDEP
static struct lockdep_map dma_fence_lockdep_map = {
	.name = "dma_fence_map",
};

/* lock_is_held_type() wants this for a non-recursive shared holder. */
#define DMA_FENCE_MAP_READ	1

/**
 * dma_fence_begin_signalling - start a fence signalling critical section
 *
 * Marks the start of code that has to run for some published fence to
 * eventually signal; see "dma-fence signalling annotations" for the rules
 * this lets lockdep check. Pair every call with dma_fence_end_signalling().
 *
 * Context: Any context. Only process context sections are tracked; in
 * atomic context and inside another section this takes nothing.
 * Return: a cookie to pass to dma_fence_end_signalling().
 */
bool dma_fence_begin_signalling(void)
{
	/* Nested section: the outermost one already holds the map. */
	if (lock_is_held_type(&dma_fence_lockdep_map, DMA_FENCE_MAP_READ))
		return true;

	/*
	 * Atomic context, the in_atomic() test: a blocking wait here is
	 * already caught by might_sleep(), and taking the map for read from
	 * interrupts would force irq-safe rules onto every lock nested in a
	 * section.
	 */
	if (preempt_count())
		return true;

	lock_acquire_shared(&dma_fence_lockdep_map, 0, 0, NULL, _RET_IP_);
	return false;
}
EXPORT_SYMBOL(dma_fence_begin_signalling);

/**
 * dma_fence_end_signalling - end a fence signalling critical section
 * @cookie: the value dma_fence_begin_signalling() returned
 *
 * Context: The same context as the matching dma_fence_begin_signalling().
 */
void dma_fence_end_signalling(bool cookie)
{
	/* false means this section was the one that took the map. */
	if (!cookie)
		lock_release(&dma_fence_lockdep_map, _RET_IP_);
}
EXPORT_SYMBOL(dma_fence_end_signalling);

/**
 * __dma_fence_might_wait - tell lockdep the caller may wait for a fence
 *
 * Records the locks held right now as held across a fence wait. Called by
 * dma_fence_wait_timeout(); other code that can end up waiting for fences
 * (such as reservation object helpers) calls it to prime lockdep early.
 *
 * Context: Process context.
 */
void __dma_fence_might_wait(void)
{
	bool in_section;

	in_section = lock_is_held_type(&dma_fence_lockdep_map,
				       DMA_FENCE_MAP_READ);

	/*
	 * Inside a signalling section, trade the read hold for a write
	 * acquisition so that locks taken since the section started are
	 * recorded against the wait, then restore the read hold.
	 */
	if (in_section)
		lock_release(&dma_fence_lockdep_map, _THIS_IP_);

	lock_map_acquire(&dma_fence_lockdep_map);
	lock_map_release(&dma_fence_lockdep_map);

	if (in_section)
		lock_acquire_shared(&dma_fence_lockdep_map, 0, 0, NULL,
				    _THIS_IP_);
}
#endif

/*
 * dma_fence_run_callbacks - hand queued callbacks to their owners.
 *
 * Requires @fence->lock held and @fence already marked signalled; @pending
 * is a list private to the caller, taken off &dma_fence.cb_list. Every node
 * is reinitialised before its function runs, so dma_fence_remove_callback()
 * sees it as no longer queued, and the function may free its callback.
 */
static void dma_fence_run_callbacks(struct dma_fence *fence,
				    struct list_head *pending)
{
	struct dma_fence_cb *cb, *next;

	list_for_each_entry_safe(cb, next, pending, node) {
		INIT_LIST_HEAD(&cb->node);
		cb->func(fence, cb);
	}
}

/**
 * dma_fence_signal_timestamp_locked - signal a fence with a given time
 * @fence: the fence to complete
 * @timestamp: completion time in CLOCK_MONOTONIC
 *
 * Marks @fence signalled, records @timestamp, wakes dma_fence_wait() callers
 * and runs the callbacks queued with dma_fence_add_callback(). A fence only
 * signals once; later calls change nothing.
 *
 * Context: Any context; &dma_fence.lock of @fence must be held.
 * Return: 0 if this call signalled @fence, -EINVAL if it had already
 * signalled (or @fence is NULL).
 */
int dma_fence_signal_timestamp_locked(struct dma_fence *fence,
				      ktime_t timestamp)
{
	LIST_HEAD(pending);

	if (WARN_ON_ONCE(!fence))
		return -EINVAL;

	lockdep_assert_held(fence->lock);

	if (test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return -EINVAL;

	/*
	 * The timestamp overwrites cb_list: the callbacks move to @pending
	 * first; list_replace() leaves @pending empty if cb_list was.
	 * (@pending is a LIST_HEAD() all the same: its two stores cost less
	 * than the zeroing CONFIG_INIT_STACK_ALL_ZERO gives a bare one.)
	 */
	list_replace(&fence->cb_list, &pending);
	fence->timestamp = timestamp;

	/*
	 * Publish the timestamp before the bit that announces it; pairs with
	 * the acquire in dma_fence_timestamp().
	 */
	smp_mb__before_atomic();
	set_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags);

	trace_dma_fence_signaled(fence);
	dma_fence_run_callbacks(fence, &pending);

	return 0;
}
EXPORT_SYMBOL(dma_fence_signal_timestamp_locked);

/**
 * dma_fence_signal_locked - signal a fence now
 * @fence: the fence to complete
 *
 * Like dma_fence_signal_timestamp_locked(), stamped with the current time.
 *
 * Context: Any context; &dma_fence.lock of @fence must be held.
 * Return: 0 if this call signalled @fence, -EINVAL if it had already
 * signalled (or @fence is NULL).
 */
int dma_fence_signal_locked(struct dma_fence *fence)
{
	return dma_fence_signal_timestamp_locked(fence, ktime_get());
}
EXPORT_SYMBOL(dma_fence_signal_locked);

/*
 * dma_fence_signal_unlocked - take the fence lock and signal.
 *
 * Requires a non-NULL @fence whose lock the caller does not hold. Signals
 * with *@timestamp, or with the time read under the lock when @timestamp is
 * NULL. Not a signalling critical section by itself.
 * Return: as dma_fence_signal_timestamp_locked().
 */
static int dma_fence_signal_unlocked(struct dma_fence *fence,
				     const ktime_t *timestamp)
{
	unsigned long irqflags;
	int err;

	spin_lock_irqsave(fence->lock, irqflags);
	err = dma_fence_signal_timestamp_locked(fence, timestamp ? *timestamp :
						ktime_get());
	spin_unlock_irqrestore(fence->lock, irqflags);
	return err;
}

/**
 * dma_fence_signal_timestamp - signal a fence with a given time
 * @fence: the fence to complete, or NULL
 * @timestamp: completion time in CLOCK_MONOTONIC
 *
 * Takes &dma_fence.lock and does what dma_fence_signal_timestamp_locked()
 * describes. Unlike dma_fence_signal(), and like 6.12, this is not a
 * signalling critical section of its own: a caller that wants lockdep to
 * check its signalling path brackets it with dma_fence_begin_signalling().
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 * Return: 0 if this call signalled @fence, -EINVAL if it had already
 * signalled or @fence is NULL.
 */
int dma_fence_signal_timestamp(struct dma_fence *fence, ktime_t timestamp)
{
	return fence ? dma_fence_signal_unlocked(fence, &timestamp) : -EINVAL;
}
EXPORT_SYMBOL(dma_fence_signal_timestamp);

/**
 * dma_fence_signal - signal a fence now
 * @fence: the fence to complete, or NULL
 *
 * Takes &dma_fence.lock, marks @fence signalled with the current time, wakes
 * its waiters and runs its callbacks, inside a signalling critical section.
 * Only the first call on a fence has an effect.
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 * Return: 0 if this call signalled @fence, -EINVAL if it had already
 * signalled or @fence is NULL.
 */
int dma_fence_signal(struct dma_fence *fence)
{
	bool cookie;
	int ret;

	if (!fence)
		return -EINVAL;

	cookie = dma_fence_begin_signalling();
	ret = dma_fence_signal_unlocked(fence, NULL);
	dma_fence_end_signalling(cookie);

	return ret;
}
EXPORT_SYMBOL(dma_fence_signal);

/**
 * dma_fence_check_and_signal_locked - signal a fence unless it is done
 * @fence: the fence to complete
 *
 * Signals @fence as dma_fence_signal_locked() does and tells the caller
 * whether somebody else got there first. The flag is tested and set in one
 * atomic step, so of several callers exactly one sees false.
 *
 * Context: Any context; &dma_fence.lock of @fence must be held.
 * Return: true if @fence had already signalled (nothing changed), false if
 * this call signalled it.
 */
bool dma_fence_check_and_signal_locked(struct dma_fence *fence)
{
	/* The signalling helper fails exactly when the bit was already set. */
	return dma_fence_signal_timestamp_locked(fence, ktime_get()) != 0;
}
EXPORT_SYMBOL(dma_fence_check_and_signal_locked);

/**
 * dma_fence_check_and_signal - signal a fence unless it is done
 * @fence: the fence to complete
 *
 * Takes &dma_fence.lock and calls dma_fence_check_and_signal_locked(). As
 * in mainline, and unlike dma_fence_signal(), the call is not a signalling
 * critical section of its own (see dma_fence_begin_signalling()).
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 * Return: true if @fence had already signalled (nothing changed), false if
 * this call signalled it.
 */
bool dma_fence_check_and_signal(struct dma_fence *fence)
{
	unsigned long irqflags;
	bool done;

	spin_lock_irqsave(fence->lock, irqflags);
	done = dma_fence_check_and_signal_locked(fence);
	spin_unlock_irqrestore(fence->lock, irqflags);
	return done;
}
EXPORT_SYMBOL(dma_fence_check_and_signal);

/*
 * dma_fence_signal_abandoned - complete a fence nobody holds any more.
 *
 * Requires @fence unsignalled with callbacks still queued, and its last
 * reference gone: some driver got its reference counting wrong. Warn, then
 * signal with -EDEADLK so the callbacks run and learn that the fence
 * failed, rather than never hearing from it again.
 */
static void dma_fence_signal_abandoned(struct dma_fence *fence)
{
	unsigned long flags;

	rcu_read_lock();
	WARN(1, "dma_fence %s:%s:%llx:%llx released with callbacks pending\n",
	     dma_fence_driver_name(fence), dma_fence_timeline_name(fence),
	     fence->context, fence->seqno);
	rcu_read_unlock();

	spin_lock_irqsave(fence->lock, flags);
	fence->error = -EDEADLK;
	dma_fence_signal_locked(fence);
	spin_unlock_irqrestore(fence->lock, flags);
}

/**
 * dma_fence_release - destroy a fence whose last reference is gone
 * @kref: &dma_fence.refcount of the fence
 *
 * Called through dma_fence_put(); drivers do not call it directly. Hands the
 * fence to &dma_fence_ops.release, or to dma_fence_free() when the provider
 * has no release hook.
 *
 * Context: Any context.
 */
void dma_fence_release(struct kref *kref)
{
	void (*release)(struct dma_fence *fence);
	struct dma_fence *fence;

	fence = container_of(kref, struct dma_fence, refcount);

	rcu_read_lock();
	trace_dma_fence_destroy(fence);
	rcu_read_unlock();

	/* cb_list is only a list while the fence is unsignalled. */
	if (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags) &&
	    !list_empty(&fence->cb_list))
		dma_fence_signal_abandoned(fence);

	release = fence->ops->release ?: dma_fence_free;
	release(fence);
}
EXPORT_SYMBOL(dma_fence_release);

/**
 * dma_fence_free - free the memory of a fence after an RCU grace period
 * @fence: a fence allocated with kmalloc() and friends, with the
 *	&struct dma_fence at the start of the allocation
 *
 * The default release path, also usable from a provider's
 * &dma_fence_ops.release once it has torn down its own state.
 *
 * Context: Any context.
 */
void dma_fence_free(struct dma_fence *fence)
{
	kfree_rcu(fence, rcu);
}
EXPORT_SYMBOL(dma_fence_free);

/*
 * dma_fence_arm_locked - make sure the provider will signal @fence.
 *
 * Requires @fence->lock held. Calls &dma_fence_ops.enable_signaling the
 * first time only; if the provider answers that the work is already done,
 * signals the fence here.
 * Return: true if @fence is still pending and will be signalled later,
 * false if it has signalled (possibly just now).
 */
static __always_inline bool dma_fence_arm_locked(struct dma_fence *fence)
{
	bool armed_before;

	lockdep_assert_held(fence->lock);

	armed_before = test_and_set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					&fence->flags);

	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return false;

	if (armed_before || !fence->ops->enable_signaling)
		return true;

	trace_dma_fence_enable_signal(fence);
	if (fence->ops->enable_signaling(fence))
		return true;

	dma_fence_signal_locked(fence);
	return false;
}

/**
 * dma_fence_enable_sw_signaling - ask the provider to signal a fence
 * @fence: the fence that someone is going to wait for
 *
 * Calls &dma_fence_ops.enable_signaling if that has not happened yet and the
 * fence is still pending. Waits and dma_fence_add_callback() do this on
 * their own; this is for callers that only poll dma_fence_is_signaled().
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 */
void dma_fence_enable_sw_signaling(struct dma_fence *fence)
{
	unsigned long flags;

	/*
	 * A signalled fence never becomes pending again: all that is left
	 * to do is the flag that says signalling was asked for.
	 */
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) {
		if (!test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags))
			set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags);
		return;
	}

	spin_lock_irqsave(fence->lock, flags);
	dma_fence_arm_locked(fence);
	spin_unlock_irqrestore(fence->lock, flags);
}
EXPORT_SYMBOL(dma_fence_enable_sw_signaling);

/**
 * dma_fence_add_callback - get called when a fence signals
 * @fence: the fence to watch
 * @cb: caller-owned storage for the registration, usually embedded in a
 *	larger structure
 * @func: the function to call, see &dma_fence_func_t
 *
 * Queues @cb so that @func(@fence, @cb) runs when @fence signals, and makes
 * sure the provider will signal it. If @fence has signalled already,
 * nothing is queued and @func is not called; @cb is left initialised so
 * that dma_fence_remove_callback() on it is harmless.
 *
 * The caller must keep @cb valid until the callback has run or has been
 * removed. No reference to @fence is taken.
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 * Return: 0 if @cb was queued, -ENOENT if @fence had already signalled, or
 * -EINVAL (with a warning) for a NULL argument.
 */
int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func)
{
	unsigned long flags;
	bool queued;

	if (WARN_ON_ONCE(!fence || !cb || !func))
		return -EINVAL;

	/* Cheap early exit; the state is checked again under the lock. */
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		goto not_queued;

	spin_lock_irqsave(fence->lock, flags);
	queued = dma_fence_arm_locked(fence);
	if (queued) {
		cb->func = func;
		list_add_tail(&cb->node, &fence->cb_list);
	} else {
		INIT_LIST_HEAD(&cb->node);
	}
	spin_unlock_irqrestore(fence->lock, flags);

	return queued ? 0 : -ENOENT;

not_queued:
	/* An unqueued node reads as "not pending" to remove_callback. */
	INIT_LIST_HEAD(&cb->node);
	return -ENOENT;
}
EXPORT_SYMBOL(dma_fence_add_callback);

/**
 * dma_fence_get_status - report the outcome of a fence
 * @fence: the fence to query
 *
 * Like dma_fence_get_status_locked(), taking &dma_fence.lock itself.
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 * Return: 0 while @fence is pending, 1 once it has signalled successfully,
 * or the negative error it signalled with.
 */
int dma_fence_get_status(struct dma_fence *fence)
{
	unsigned long irqflags;
	int outcome;

	spin_lock_irqsave(fence->lock, irqflags);
	outcome = dma_fence_get_status_locked(fence);
	spin_unlock_irqrestore(fence->lock, irqflags);

	return outcome;
}
EXPORT_SYMBOL(dma_fence_get_status);

/**
 * dma_fence_remove_callback - withdraw a callback before it runs
 * @fence: the fence @cb was added to
 * @cb: the registration from dma_fence_add_callback()
 *
 * Once this returns, the callback is either withdrawn or has run to
 * completion, as the check is made under &dma_fence.lock, which the
 * signaller holds while running callbacks.
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 * Return: true if @cb was still queued and has been removed, false if it had
 * run already (or was never queued).
 */
bool dma_fence_remove_callback(struct dma_fence *fence,
			       struct dma_fence_cb *cb)
{
	unsigned long flags;
	bool queued;

	spin_lock_irqsave(fence->lock, flags);
	queued = !list_empty(&cb->node);
	if (queued)
		list_del_init(&cb->node);
	spin_unlock_irqrestore(fence->lock, flags);

	return queued;
}
EXPORT_SYMBOL(dma_fence_remove_callback);

/* A sleeping task, woken by the fence callback it queued. */
struct dma_fence_sleeper {
	struct dma_fence_cb cb;
	struct task_struct *task;
};

static void dma_fence_wake_sleeper(struct dma_fence *fence,
				   struct dma_fence_cb *cb)
{
	struct dma_fence_sleeper *sleeper =
		container_of(cb, struct dma_fence_sleeper, cb);

	wake_up_state(sleeper->task, TASK_NORMAL);
}

/**
 * dma_fence_default_wait - sleep on a fence with the core's callback
 * @fence: the fence to wait for
 * @intr: true to let signals interrupt the wait
 * @timeout: the longest time to wait, in jiffies, or MAX_SCHEDULE_TIMEOUT
 *
 * The wait used by dma_fence_wait_timeout() when the provider has no
 * &dma_fence_ops.wait. It makes sure signalling is enabled, queues a
 * callback that wakes the caller and sleeps until the fence signals, the
 * time runs out or (with @intr) a signal arrives. With a @timeout of zero it
 * only reports the current state.
 *
 * Context: Process context; may sleep. &dma_fence.lock of @fence must not
 * be held.
 * Return: the remaining jiffies (at least 1) if @fence signalled, 0 if the
 * time ran out first, -ERESTARTSYS if interrupted by a signal.
 */
signed long dma_fence_default_wait(struct dma_fence *fence, bool intr,
				   signed long timeout)
{
	unsigned int state = intr ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
	struct dma_fence_sleeper sleeper;
	unsigned long flags;
	signed long left = timeout;

	if (WARN_ON_ONCE(timeout < 0))
		return -EINVAL;

	/* Signalled already: nothing to arm, nothing to sleep on. */
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return timeout ?: 1;

	spin_lock_irqsave(fence->lock, flags);

	if (!dma_fence_arm_locked(fence))
		goto done;

	if (intr && signal_pending(current)) {
		left = -ERESTARTSYS;
		goto unlock;
	}

	if (!timeout)
		goto unlock;

	sleeper.task = current;
	sleeper.cb.func = dma_fence_wake_sleeper;
	list_add(&sleeper.cb.node, &fence->cb_list);

	/*
	 * The signaller sets the flag and calls our callback under the lock
	 * we drop only after setting the task state, so a wake-up cannot get
	 * lost between the check and schedule_timeout().
	 */
	while (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) {
		if (!left)
			break;
		if (intr && signal_pending(current)) {
			left = -ERESTARTSYS;
			break;
		}

		__set_current_state(state);
		spin_unlock_irqrestore(fence->lock, flags);
		left = schedule_timeout(left);
		spin_lock_irqsave(fence->lock, flags);
	}
	__set_current_state(TASK_RUNNING);

	if (!list_empty(&sleeper.cb.node))
		list_del(&sleeper.cb.node);

	if (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		goto unlock;
done:
	/* Signalled: never report 0, even if it happened at the deadline. */
	if (!left)
		left = 1;
unlock:
	spin_unlock_irqrestore(fence->lock, flags);
	return left;
}
EXPORT_SYMBOL(dma_fence_default_wait);

/*
 * dma_fence_find_signalled - look for a signalled fence in an array.
 *
 * Only reads the flags, so it is safe with the task state already set to
 * sleep. Stores the index of the first signalled fence in *@idx when @idx
 * is not NULL.
 * Return: true if one of the @count @fences has signalled.
 */
static bool dma_fence_find_signalled(struct dma_fence **fences, u32 count,
				     u32 *idx)
{
	u32 i;

	for (i = 0; i < count; i++) {
		if (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fences[i]->flags))
			continue;
		if (idx)
			*idx = i;
		return true;
	}

	return false;
}

/**
 * dma_fence_wait_any_timeout - sleep until one of several fences signals
 * @fences: the fences to wait for
 * @count: number of entries in @fences, at least one
 * @intr: true to let signals interrupt the wait
 * @timeout: the longest time to wait, in jiffies, or MAX_SCHEDULE_TIMEOUT
 * @idx: if not NULL, receives the index of a signalled fence on success
 *
 * Uses the core's callback mechanism for every fence, ignoring providers'
 * &dma_fence_ops.wait. With a @timeout of zero it only checks whether any
 * fence has signalled. The caller must hold references to all @fences.
 *
 * Context: Process context; may sleep. No &dma_fence.lock of the fences may
 * be held.
 * Return: the remaining jiffies (at least 1) if a fence signalled, 0 if the
 * time ran out first, -ERESTARTSYS if interrupted by a signal, -ENOMEM if
 * the wait could not be set up, or -EINVAL for bad arguments.
 */
signed long dma_fence_wait_any_timeout(struct dma_fence **fences,
				       u32 count, bool intr,
				       signed long timeout, u32 *idx)
{
	unsigned int state = intr ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
	struct dma_fence_sleeper *sleepers;
	signed long left = timeout;
	u32 queued;
	int err;

	if (WARN_ON_ONCE(!fences || !count || timeout < 0))
		return -EINVAL;

	if (!timeout) {
		for (queued = 0; queued < count; queued++) {
			if (!dma_fence_is_signaled(fences[queued]))
				continue;
			if (idx)
				*idx = queued;
			return 1;
		}
		return 0;
	}

	sleepers = kcalloc(count, sizeof(*sleepers), GFP_KERNEL);
	if (!sleepers)
		return -ENOMEM;

	for (queued = 0; queued < count; queued++) {
		sleepers[queued].task = current;
		err = dma_fence_add_callback(fences[queued],
					     &sleepers[queued].cb,
					     dma_fence_wake_sleeper);
		if (!err)
			continue;

		/* -ENOENT: this one has signalled, no need to sleep at all. */
		if (err != -ENOENT)
			left = err;
		else if (idx)
			*idx = queued;
		goto remove;
	}

	for (;;) {
		set_current_state(state);
		if (dma_fence_find_signalled(fences, count, idx)) {
			if (!left)
				left = 1;
			break;
		}
		if (!left)
			break;
		if (intr && signal_pending(current)) {
			left = -ERESTARTSYS;
			break;
		}
		left = schedule_timeout(left);
	}
	__set_current_state(TASK_RUNNING);

remove:
	while (queued--)
		dma_fence_remove_callback(fences[queued], &sleepers[queued].cb);
	kfree(sleepers);

	return left;
}
EXPORT_SYMBOL(dma_fence_wait_any_timeout);

/*
 * The provider's &dma_fence_ops.wait if it has one, else the core's. The
 * core's, by far the common case, is a direct call: no indirect branch
 * (and no retpoline) on every wait.
 */
static signed long dma_fence_provider_wait(struct dma_fence *fence, bool intr,
					   signed long timeout)
{
	signed long (*wait)(struct dma_fence *fence, bool intr,
			    signed long timeout) = fence->ops->wait;

	if (likely(!wait))
		return dma_fence_default_wait(fence, intr, timeout);
	return wait(fence, intr, timeout);
}

/**
 * dma_fence_wait_timeout - sleep until a fence signals, with a time limit
 * @fence: the fence to wait for
 * @intr: true to let signals interrupt the wait
 * @timeout: the longest time to wait, in jiffies, or MAX_SCHEDULE_TIMEOUT
 *
 * Enables signalling on @fence and sleeps in the provider's
 * &dma_fence_ops.wait, or in dma_fence_default_wait() when there is none.
 * A @timeout of zero only tests the fence. The wait is announced to lockdep
 * (see "dma-fence signalling annotations") even when it would not block.
 * The caller must hold a reference to @fence.
 *
 * Context: Process context; may sleep, even with a zero @timeout. No
 * &dma_fence.lock may be held.
 * Return: the remaining jiffies (at least 1) if @fence signalled, 0 if the
 * time ran out first, -ERESTARTSYS if @intr was set and a signal arrived, or
 * another negative errno from the provider's wait or for a bad @timeout.
 */
signed long dma_fence_wait_timeout(struct dma_fence *fence, bool intr,
				   signed long timeout)
{
	signed long ret;

	might_sleep();

	if (WARN_ON_ONCE(timeout < 0))
		return -EINVAL;

	__dma_fence_might_wait();

	dma_fence_enable_sw_signaling(fence);

	trace_dma_fence_wait_start(fence);
	ret = dma_fence_provider_wait(fence, intr, timeout);
	trace_dma_fence_wait_end(fence);

	return ret;
}
EXPORT_SYMBOL(dma_fence_wait_timeout);

/**
 * dma_fence_set_deadline - tell the provider when a fence is needed
 * @fence: the fence somebody is going to wait for
 * @deadline: the wanted completion time, CLOCK_MONOTONIC
 *
 * Passes the hint to &dma_fence_ops.set_deadline if the provider has one and
 * @fence is still pending; see "dma-fence deadlines".
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 */
void dma_fence_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	if (!fence->ops->set_deadline)
		return;
	if (dma_fence_is_signaled(fence))
		return;

	fence->ops->set_deadline(fence, deadline);
}
EXPORT_SYMBOL(dma_fence_set_deadline);

/**
 * dma_fence_describe - print a one-line summary of a fence
 * @fence: the fence to describe, kept alive by the caller
 * @seq: the seq_file to print to
 *
 * Prints the driver and timeline names, the sequence number and whether the
 * fence has signalled. Names are fetched the RCU-safe way, so a signalled
 * fence shows placeholders instead.
 *
 * Context: Any context in which @seq may be written; &dma_fence.lock of
 * @fence must not be held.
 */
void dma_fence_describe(struct dma_fence *fence, struct seq_file *seq)
{
	bool signalled = dma_fence_is_signaled(fence);

	rcu_read_lock();
	seq_printf(seq, "%s %s seq %llu %ssignalled\n",
		   dma_fence_driver_name(fence),
		   dma_fence_timeline_name(fence), fence->seqno,
		   signalled ? "" : "un");
	rcu_read_unlock();
}
EXPORT_SYMBOL(dma_fence_describe);

/**
 * dma_fence_init - set up a fence embedded in a provider structure
 * @fence: the fence to initialise
 * @ops: the provider's callbacks; get_driver_name and get_timeline_name
 *	are mandatory
 * @lock: the spinlock serialising this fence, see &dma_fence.lock
 * @context: the timeline, from dma_fence_context_alloc()
 * @seqno: position on that timeline, increasing with every new fence
 *
 * The fence starts unsignalled with one reference owned by the caller. Its
 * memory must come from an allocation that the provider's release hook (or
 * dma_fence_free()) frees no earlier than an RCU grace period after the
 * last reference is dropped.
 *
 * Context: Any context.
 */
void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    spinlock_t *lock, u64 context, u64 seqno)
{
	WARN_ON_ONCE(!lock);
	WARN_ON_ONCE(!ops || !ops->get_driver_name || !ops->get_timeline_name);

	fence->lock = lock;
	fence->ops = ops;
	INIT_LIST_HEAD(&fence->cb_list);
	fence->context = context;
	fence->seqno = seqno;
	fence->flags = 0;
	kref_init(&fence->refcount);
	fence->error = 0;

	trace_dma_fence_init(fence);
}
EXPORT_SYMBOL(dma_fence_init);
