/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-fence: completion objects shared between drivers that do DMA.
 *
 * The implementation and the rules for fence providers and consumers are
 * described in drivers/dma-buf/dma-fence.c.
 */

#ifndef __LINUX_DMA_FENCE_H
#define __LINUX_DMA_FENCE_H

#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

struct dma_fence;
struct dma_fence_cb;
struct dma_fence_ops;
struct seq_file;

/**
 * struct dma_fence - a single completion point on a driver timeline
 * @lock: provider-owned spinlock protecting @cb_list, the transition to the
 *	signalled state and the provider hooks that the core calls under it;
 *	usually one lock serves every fence of a timeline
 * @ops: the provider's callbacks, see &struct dma_fence_ops
 * @cb_list: callbacks queued with dma_fence_add_callback(); only meaningful
 *	while the fence is unsignalled
 * @timestamp: CLOCK_MONOTONIC time of completion; it takes over the storage
 *	of @cb_list when the fence signals and is valid once
 *	%DMA_FENCE_FLAG_TIMESTAMP_BIT is set; read it with
 *	dma_fence_timestamp()
 * @rcu: takes over the same storage once the last reference is gone, to
 *	defer freeing past concurrent RCU readers (see dma_fence_free())
 * @context: the timeline, a number from dma_fence_context_alloc()
 * @seqno: position on the timeline; later submissions get higher numbers
 * @flags: bits from &enum dma_fence_flag_bits, plus provider bits from
 *	%DMA_FENCE_FLAG_USER_BITS upwards
 * @refcount: references held; dropped with dma_fence_put()
 * @error: zero, or the negative errno recorded by dma_fence_set_error()
 *	before signalling
 *
 * A fence is embedded in a provider structure and initialised with
 * dma_fence_init(). It starts unsignalled and becomes signalled exactly once;
 * afterwards only its reference count changes. The memory of a fence may
 * still be read by RCU readers after the last reference is dropped, so it
 * must be freed no earlier than one RCU grace period later.
 */
struct dma_fence {
	spinlock_t *lock; /* provider's; serialises signalling and @cb_list */
	const struct dma_fence_ops *ops;
	/* One storage slot, three consecutive roles: see the member docs. */
	union {
		struct list_head cb_list; /* 1: while unsignalled */
		ktime_t timestamp; /* 2: once signalled */
		struct rcu_head rcu; /* 3: after the last put */
	};
	u64 context;
	u64 seqno; /* ordered within @context */
	unsigned long flags;
	struct kref refcount;
	int error; /* negative errno or 0 */
};

/**
 * enum dma_fence_flag_bits - core bit numbers in &dma_fence.flags
 * @DMA_FENCE_FLAG_SIGNALED_BIT: the fence has completed; set once, never
 *	cleared
 * @DMA_FENCE_FLAG_TIMESTAMP_BIT: &dma_fence.timestamp has been written
 * @DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT: somebody needs the fence to complete on
 *	its own, so &dma_fence_ops.enable_signaling has been called (or is
 *	about to be, under &dma_fence.lock)
 * @DMA_FENCE_FLAG_USER_BITS: the first bit number free for provider use
 */
enum dma_fence_flag_bits {
	DMA_FENCE_FLAG_SIGNALED_BIT = 0,
	DMA_FENCE_FLAG_TIMESTAMP_BIT = 1,
	DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT = 2,
	DMA_FENCE_FLAG_USER_BITS, /* keep last: provider bits start here */
};

/**
 * typedef dma_fence_func_t - prototype of a fence completion callback
 * @fence: the fence that has just signalled
 * @cb: the &struct dma_fence_cb that was registered
 *
 * Runs in the signaller's context with &dma_fence.lock of @fence held and
 * interrupts possibly disabled: it must not sleep and must not try to take
 * that lock again. The callback owns @cb from the moment it runs and may
 * free it.
 */
typedef void (*dma_fence_func_t)(struct dma_fence *fence,
				 struct dma_fence_cb *cb);

/**
 * struct dma_fence_cb - a registered completion callback
 * @node: link in &dma_fence.cb_list; empty when not queued
 * @func: the function called on completion
 *
 * Usually embedded in a larger structure and set up by
 * dma_fence_add_callback().
 */
struct dma_fence_cb {
	struct list_head node; /* protected by &dma_fence.lock */
	dma_fence_func_t func;
};

/**
 * struct dma_fence_ops - the provider side of a fence
 *
 * Only @get_driver_name and @get_timeline_name are mandatory.
 */
struct dma_fence_ops {
	/**
	 * @use_64bit_seqno:
	 *
	 * Set when &dma_fence.seqno of this provider counts with all 64 bits.
	 * When clear, only the low 32 bits are compared and they are allowed
	 * to wrap around (see __dma_fence_is_later()).
	 */
	bool use_64bit_seqno;

	/**
	 * @get_driver_name:
	 *
	 * Return a string naming the provider. Mandatory. The string must
	 * remain valid while the fence is unsignalled and for one RCU grace
	 * period after it signalled. Code other than the provider calls this
	 * only through dma_fence_driver_name().
	 */
	const char * (*get_driver_name)(struct dma_fence *fence);

	/**
	 * @get_timeline_name:
	 *
	 * Return a string naming the timeline (&dma_fence.context) of the
	 * fence. Mandatory, with the same lifetime rule as @get_driver_name;
	 * others call it through dma_fence_timeline_name().
	 */
	const char * (*get_timeline_name)(struct dma_fence *fence);

	/**
	 * @enable_signaling:
	 *
	 * Called once per fence, with &dma_fence.lock held and possibly with
	 * interrupts off, when the first waiter or callback shows up. Providers
	 * that only notice completion when asked (e.g. need to unmask an
	 * interrupt) arm that mechanism here. If the signalling path needs the
	 * fence to stay alive, take a reference here and drop it after
	 * signalling.
	 *
	 * Return false if the work is already done: the core then signals the
	 * fence itself. Return true otherwise; the provider then has to signal
	 * the fence later, in bounded time.
	 *
	 * Optional. Without it the provider signals every fence anyway.
	 */
	bool (*enable_signaling)(struct dma_fence *fence);

	/**
	 * @signaled:
	 *
	 * Peek at the hardware: return true if the work behind the fence has
	 * completed, in which case the core signals the fence. It may be
	 * called in any context, with or without &dma_fence.lock, and many
	 * times, so it has to be cheap and must not sleep.
	 *
	 * Optional.
	 */
	bool (*signaled)(struct dma_fence *fence);

	/**
	 * @wait:
	 *
	 * Replacement for dma_fence_default_wait(), with the same arguments
	 * and return convention as dma_fence_wait_timeout(). It must return
	 * -ERESTARTSYS on a signal only when @intr is true. New providers
	 * should not implement it; the default wait plus a timely signal is
	 * all that is needed.
	 *
	 * Optional.
	 */
	signed long (*wait)(struct dma_fence *fence, bool intr,
			    signed long timeout);

	/**
	 * @release:
	 *
	 * Called when the last reference is dropped, to tear down the provider
	 * structure. It must free the memory with an RCU delay, e.g. with
	 * dma_fence_free() or kfree_rcu(). When absent the core calls
	 * dma_fence_free().
	 *
	 * Optional.
	 */
	void (*release)(struct dma_fence *fence);

	/**
	 * @fence_value_str:
	 *
	 * Write a short text describing the point this fence waits for into
	 * @str, at most @size bytes including the terminator. Used by debug
	 * and sync_file info output.
	 *
	 * Optional.
	 */
	void (*fence_value_str)(struct dma_fence *fence, char *str, int size);

	/**
	 * @timeline_value_str:
	 *
	 * Like @fence_value_str, but describe the point the timeline of the
	 * fence has currently reached.
	 *
	 * Optional.
	 */
	void (*timeline_value_str)(struct dma_fence *fence, char *str,
				   int size);

	/**
	 * @set_deadline:
	 *
	 * Hint that somebody would like the fence to signal by @deadline
	 * (CLOCK_MONOTONIC), e.g. to make a display refresh. The provider
	 * may raise clocks or priorities; it may also ignore the hint. Called
	 * by dma_fence_set_deadline() for unsignalled fences only, possibly
	 * several times and from atomic context, so it must not sleep.
	 *
	 * Optional.
	 */
	void (*set_deadline)(struct dma_fence *fence, ktime_t deadline);
};

void dma_fence_init(struct dma_fence *fence, const struct dma_fence_ops *ops,
		    spinlock_t *lock, u64 context, u64 seqno);

void dma_fence_release(struct kref *kref);
void dma_fence_free(struct dma_fence *fence);
void dma_fence_describe(struct dma_fence *fence, struct seq_file *seq);

const char *dma_fence_driver_name(struct dma_fence *fence);
const char *dma_fence_timeline_name(struct dma_fence *fence);

/**
 * dma_fence_put - drop a reference to a fence
 * @fence: the fence, or NULL
 *
 * The last reference frees the fence through dma_fence_release().
 *
 * Context: Any context.
 */
static inline void dma_fence_put(struct dma_fence *fence)
{
	if (!fence)
		return;
	kref_put(&fence->refcount, dma_fence_release);
}

/**
 * dma_fence_get - take an additional reference to a fence
 * @fence: the fence, or NULL
 *
 * The caller must already own a reference, directly or through an object
 * that holds one; see dma_fence_get_rcu() for the lockless case.
 *
 * Context: Any context.
 * Return: @fence.
 */
static inline struct dma_fence *dma_fence_get(struct dma_fence *fence)
{
	if (!fence)
		return NULL;
	kref_get(&fence->refcount);
	return fence;
}

/**
 * dma_fence_get_rcu - try to reference a fence found without holding one
 * @fence: the fence, which must not be NULL
 *
 * Use when @fence was looked up in an RCU-protected place: its memory is
 * still there but its reference count may already have reached zero.
 *
 * Context: Any context, inside rcu_read_lock().
 * Return: @fence with a new reference, or NULL if it is being released.
 */
static inline struct dma_fence *dma_fence_get_rcu(struct dma_fence *fence)
{
	return kref_get_unless_zero(&fence->refcount) ? fence : NULL;
}

/**
 * dma_fence_get_rcu_safe - reference the fence currently held in a slot
 * @fencep: RCU-protected slot that other threads may update
 *
 * Loads the slot and takes a reference, retrying until the reference is
 * known to belong to the fence that is still installed. This is needed when
 * fences come from a SLAB_TYPESAFE_BY_RCU cache, where the object read may
 * have been freed and reused for another fence in the meantime.
 *
 * Context: Any context, inside rcu_read_lock().
 * Return: a referenced fence, or NULL if the slot is empty.
 */
static inline struct dma_fence *
dma_fence_get_rcu_safe(struct dma_fence __rcu **fencep)
{
	struct dma_fence *fence;

	for (;;) {
		fence = rcu_dereference(*fencep);
		if (!fence)
			return NULL;

		/* Refcount already zero: the slot is being replaced, reload. */
		if (!dma_fence_get_rcu(fence))
			continue;

		/*
		 * Only keep the reference if the slot still points at the
		 * same object. The barrier orders our refcount update before
		 * the reload, since a successful increment is unordered.
		 */
		smp_mb__after_atomic();
		if (rcu_access_pointer(*fencep) == fence)
			return rcu_pointer_handoff(fence);

		dma_fence_put(fence);
	}
}

/* Completing a fence: see the kernel-doc in dma-fence.c. */
int dma_fence_signal_timestamp_locked(struct dma_fence *fence,
				      ktime_t timestamp);
int dma_fence_signal_timestamp(struct dma_fence *fence, ktime_t timestamp);
int dma_fence_signal_locked(struct dma_fence *fence);
int dma_fence_signal(struct dma_fence *fence);
bool dma_fence_check_and_signal_locked(struct dma_fence *fence);
bool dma_fence_check_and_signal(struct dma_fence *fence);

/* Consumer side: callbacks, arming and the core wait. */
int dma_fence_add_callback(struct dma_fence *fence, struct dma_fence_cb *cb,
			   dma_fence_func_t func);
bool dma_fence_remove_callback(struct dma_fence *fence,
			       struct dma_fence_cb *cb);
void dma_fence_enable_sw_signaling(struct dma_fence *fence);
signed long dma_fence_default_wait(struct dma_fence *fence, bool intr,
				   signed long timeout);

#ifdef CONFIG_LOCKDEP
bool dma_fence_begin_signalling(void);
void dma_fence_end_signalling(bool cookie);
void __dma_fence_might_wait(void);
#else
/*
 * Without lockdep the signalling annotations have nothing to tell anybody;
 * they compile away. The documented versions live in dma-fence.c.
 */
static inline bool dma_fence_begin_signalling(void)
{
	return true;
}

static inline void dma_fence_end_signalling(bool cookie)
{
}

static inline void __dma_fence_might_wait(void)
{
}
#endif

/**
 * dma_fence_test_signaled_flag - read the signalled flag and nothing else
 * @fence: fence whose state is wanted
 *
 * Unlike dma_fence_is_signaled(), this neither asks the provider through
 * &dma_fence_ops.signaled nor signals anything: it only reports whether
 * somebody has signalled @fence already. The answer may be stale as soon as
 * it is returned when it is false; once true it stays true. Whoever relies
 * on a false answer must make sure by other means that the fence will be
 * signalled.
 *
 * Context: Any context.
 * Return: true if @fence has been signalled.
 */
static inline bool dma_fence_test_signaled_flag(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

/**
 * dma_fence_is_signaled_locked - test for completion, lock already held
 * @fence: fence whose state is wanted
 *
 * Like dma_fence_is_signaled(), for callers that hold &dma_fence.lock. When
 * the provider's &dma_fence_ops.signaled hook reports completion, the fence
 * is signalled here, which runs its callbacks.
 *
 * Context: Any context; &dma_fence.lock of @fence must be held.
 * Return: true if @fence has signalled.
 */
static inline bool
dma_fence_is_signaled_locked(struct dma_fence *fence)
{
	lockdep_assert_held(fence->lock);

	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return true;
	if (!fence->ops->signaled || !fence->ops->signaled(fence))
		return false;

	/* The hardware is done: publish that and run the callbacks now. */
	dma_fence_signal_locked(fence);
	return true;
}

/**
 * dma_fence_is_signaled - test for completion
 * @fence: fence whose state is wanted
 *
 * Checks the signalled flag and, when that is still clear, asks the provider
 * through &dma_fence_ops.signaled. A fence found complete that way is
 * signalled here, so its callbacks run from this call. Callers that need to
 * see errors should use dma_fence_get_status() instead.
 *
 * Context: Any context; &dma_fence.lock of @fence must not be held.
 * Return: true if @fence has signalled.
 */
static inline bool
dma_fence_is_signaled(struct dma_fence *fence)
{
	if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		return true;
	if (!fence->ops->signaled || !fence->ops->signaled(fence))
		return false;

	dma_fence_signal(fence);
	return true;
}

/**
 * __dma_fence_is_later - compare two sequence numbers of one timeline
 * @f1: the sequence number that might be later
 * @f2: the sequence number to compare against
 * @ops: the provider of the timeline, for &dma_fence_ops.use_64bit_seqno
 *
 * Timelines using 32-bit numbers wrap around, so their low halves are
 * compared as a signed distance: @f1 is later if it is less than 2^31
 * steps ahead of @f2, modulo 2^32.
 *
 * Context: Any context.
 * Return: true if @f1 comes after @f2.
 */
static inline bool __dma_fence_is_later(u64 f1, u64 f2,
					const struct dma_fence_ops *ops)
{
	s32 distance;

	if (ops->use_64bit_seqno)
		return f1 > f2;

	distance = (s32)(lower_32_bits(f1) - lower_32_bits(f2));
	return distance > 0;
}

/**
 * dma_fence_is_later - tell whether a fence completes after another one
 * @f1: the fence that might be later
 * @f2: the fence to compare against; must be on the same timeline
 *
 * Context: Any context.
 * Return: true if @f1 comes after @f2 on their common timeline, false if not
 * or if the two fences belong to different contexts (which also warns).
 */
static inline bool dma_fence_is_later(struct dma_fence *f1,
				      struct dma_fence *f2)
{
	if (WARN_ON_ONCE(f1->context != f2->context))
		return false;

	return __dma_fence_is_later(f1->seqno, f2->seqno, f1->ops);
}

/**
 * dma_fence_is_later_or_same - tell whether a fence is not before another
 * @f1: the fence that might be later or the same
 * @f2: the fence to compare against; must be on the same timeline
 *
 * Context: Any context.
 * Return: true if @f1 and @f2 are the same fence or @f1 comes after @f2.
 */
static inline bool dma_fence_is_later_or_same(struct dma_fence *f1,
					      struct dma_fence *f2)
{
	if (f1 == f2)
		return true;

	return dma_fence_is_later(f1, f2);
}

/**
 * dma_fence_later - pick the fence that still needs waiting for
 * @f1: a fence
 * @f2: another fence of the same timeline
 *
 * Neither fence gets an extra reference.
 *
 * Context: Any context; may signal the chosen fence (see
 * dma_fence_is_signaled()).
 * Return: the later of the two fences, or NULL if it has signalled already
 * (fences of one timeline complete in order, so the other one has too) or
 * if the fences are on different timelines.
 */
static inline struct dma_fence *dma_fence_later(struct dma_fence *f1,
						struct dma_fence *f2)
{
	struct dma_fence *last;

	if (WARN_ON_ONCE(f1->context != f2->context))
		return NULL;

	last = dma_fence_is_later(f1, f2) ? f1 : f2;
	if (dma_fence_is_signaled(last))
		return NULL;

	return last;
}

/**
 * dma_fence_get_status_locked - report the outcome of a fence, lock held
 * @fence: the fence to query
 *
 * Context: Any context; &dma_fence.lock of @fence must be held.
 * Return: 0 while @fence is pending, 1 once it has signalled successfully,
 * or the negative error it signalled with.
 */
static inline int dma_fence_get_status_locked(struct dma_fence *fence)
{
	if (!dma_fence_is_signaled_locked(fence))
		return 0;

	return fence->error ? fence->error : 1;
}

int dma_fence_get_status(struct dma_fence *fence);

/**
 * dma_fence_set_error - record that the work behind a fence failed
 * @fence: the fence, which must not have signalled yet
 * @error: a negative errno describing the failure
 *
 * Call this before dma_fence_signal(); consumers see the error through
 * dma_fence_get_status() once the fence has signalled. Warns when the fence
 * has already signalled or @error is not a valid negative errno.
 *
 * Context: Any context; normally called with &dma_fence.lock held or from
 * the only thread that can signal @fence.
 */
static inline void dma_fence_set_error(struct dma_fence *fence,
				       int error)
{
	WARN_ON_ONCE(test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags));
	WARN_ON_ONCE(!IS_ERR_VALUE((unsigned long)(long)error));

	fence->error = error;
}

/**
 * dma_fence_timestamp - read the completion time of a signalled fence
 * @fence: a fence that has signalled
 *
 * A signaller marks the fence signalled slightly before it stores the time,
 * so a reader that only saw the signalled bit may briefly have to wait here
 * for the timestamp to be published.
 *
 * Context: Any context.
 * Return: the CLOCK_MONOTONIC time at which @fence signalled, or the current
 * time (with a warning) if it has not signalled.
 */
static inline ktime_t dma_fence_timestamp(struct dma_fence *fence)
{
	bool signalled = test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);

	if (WARN_ON_ONCE(!signalled))
		return ktime_get();

	/*
	 * Acquire: pairs with the barrier the signaller issues between
	 * storing the timestamp and setting the bit that announces it.
	 */
	while (!test_bit_acquire(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags))
		cpu_relax();

	return fence->timestamp;
}

signed long dma_fence_wait_timeout(struct dma_fence *fence,
				   bool intr, signed long timeout);
signed long dma_fence_wait_any_timeout(struct dma_fence **fences,
				       u32 count,
				       bool intr, signed long timeout,
				       u32 *idx);

/**
 * dma_fence_wait - sleep until a fence signals
 * @fence: the fence to wait for
 * @intr: true to let signals interrupt the wait
 *
 * Waits without a time limit, see dma_fence_wait_timeout(). The caller must
 * hold a reference to @fence.
 *
 * Context: Process context; may sleep. Must not be called inside a fence
 * signalling critical section for a fence it may depend on.
 * Return: 0 once @fence has signalled, -ERESTARTSYS if @intr was set and a
 * signal arrived first, or another negative errno from the provider's wait.
 */
static inline signed long dma_fence_wait(struct dma_fence *fence, bool intr)
{
	signed long left;

	left = dma_fence_wait_timeout(fence, intr, MAX_SCHEDULE_TIMEOUT);

	/* With no time limit, a non-negative result can only mean "done". */
	return left < 0 ? left : 0;
}

void dma_fence_set_deadline(struct dma_fence *fence, ktime_t deadline);

struct dma_fence *dma_fence_get_stub(void);
struct dma_fence *dma_fence_allocate_private_stub(ktime_t timestamp);
u64 dma_fence_context_alloc(unsigned int num);

extern const struct dma_fence_ops dma_fence_array_ops;
extern const struct dma_fence_ops dma_fence_chain_ops;

/**
 * dma_fence_is_array - tell whether a fence is a &struct dma_fence_array
 * @fence: the fence to classify
 *
 * Context: Any context.
 * Return: true if @fence was created by dma_fence_array_create().
 */
static inline bool dma_fence_is_array(struct dma_fence *fence)
{
	return fence->ops == &dma_fence_array_ops;
}

/**
 * dma_fence_is_chain - tell whether a fence is a &struct dma_fence_chain
 * @fence: the fence to classify
 *
 * Context: Any context.
 * Return: true if @fence is a link of a fence chain.
 */
static inline bool dma_fence_is_chain(struct dma_fence *fence)
{
	return fence->ops == &dma_fence_chain_ops;
}

/**
 * dma_fence_is_container - tell whether a fence wraps other fences
 * @fence: the fence to classify
 *
 * Containers are unpacked with the dma_fence_unwrap helpers.
 *
 * Context: Any context.
 * Return: true if @fence is a fence array or a fence chain link.
 */
static inline bool dma_fence_is_container(struct dma_fence *fence)
{
	if (dma_fence_is_array(fence))
		return true;

	return dma_fence_is_chain(fence);
}

#endif /* __LINUX_DMA_FENCE_H: dma-fence core API */
