/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma_resv: the reservation object of a buffer, a ww_mutex plus the set of
 * fences that say which device operations on the buffer are still running.
 */

#ifndef __LINUX_DMA_RESV_H
#define __LINUX_DMA_RESV_H

#include <linux/dma-fence.h>
#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/ww_mutex.h>

struct seq_file;

/**
 * enum dma_resv_usage - what an operation does with a reserved buffer
 *
 * Every fence in a &struct dma_resv is tagged with one of these values.
 * They are ordered from the most to the least binding one:
 * KERNEL < WRITE < READ < BOOKKEEP. A query for a given usage returns the
 * fences tagged with that usage and with every smaller one, so asking for
 * READ fences also yields the WRITE and KERNEL fences, and asking for
 * BOOKKEEP yields everything.
 *
 * Adding a fence that is already present again with a smaller usage moves
 * it up (a BOOKKEEP fence may become READ, for instance). The opposite
 * never happens: a fence does not lose the usage it was added with.
 */
enum dma_resv_usage {
	/**
	 * @DMA_RESV_USAGE_KERNEL: Work the kernel's memory management does
	 * on the buffer, such as clearing it or moving it between domains
	 * with a copy engine.
	 *
	 * Every access to the buffer must wait for these fences first. The
	 * only exception is a buffer pinned in place beforehand, whose
	 * backing store cannot be moved under the accessor.
	 */
	DMA_RESV_USAGE_KERNEL,

	/**
	 * @DMA_RESV_USAGE_WRITE: A userspace submission that writes the
	 * buffer and takes part in implicit synchronisation.
	 */
	DMA_RESV_USAGE_WRITE,

	/**
	 * @DMA_RESV_USAGE_READ: A userspace submission that reads the buffer
	 * and takes part in implicit synchronisation.
	 */
	DMA_RESV_USAGE_READ,

	/**
	 * @DMA_RESV_USAGE_BOOKKEEP: Work that stays out of implicit
	 * synchronisation: preemption fences, page table updates, TLB
	 * flushes, explicitly synchronised submissions.
	 *
	 * Such a fence may later be raised to READ or WRITE, for example
	 * through dma_buf_import_sync_file(), once implicit synchronisation
	 * is wanted for it after all.
	 */
	DMA_RESV_USAGE_BOOKKEEP
};

/* Private to dma-resv.c: the RCU-published array of fences. */
struct dma_resv_list;

/**
 * struct dma_resv - reservation object of a buffer
 *
 * Ties together the lock that serialises everybody changing a buffer
 * (its placement, its backing store, the fences attached to it) and the
 * fences of the operations that are still using the buffer.
 *
 * It is the meeting point of drivers sharing a &struct dma_buf, where the
 * fences carry implicit synchronisation and let exporters move buffers
 * around, and it is the per-buffer lock of driver memory managers such as
 * TTM (&struct ttm_buffer_object) or GEM objects that embed one.
 */
struct dma_resv {
	/**
	 * @lock:
	 *
	 * Writer-side lock, a member of reservation_ww_class. Take it only
	 * through dma_resv_lock() and its variants, and release it with
	 * dma_resv_unlock(). Readers of the fences do not need it.
	 *
	 * Drivers commonly extend its coverage to their own per-buffer
	 * state, for instance the placement of the buffer, or hold it for
	 * the duration of a command submission.
	 */
	struct ww_mutex lock;

	/**
	 * @fences:
	 *
	 * The fences attached to the buffer, each with its
	 * &enum dma_resv_usage, or NULL when nothing was ever reserved.
	 *
	 * Changed only with @lock held and read under RCU by the unlocked
	 * iterators. Adding a fence must not fail once a submission is past
	 * its point of no return, so room is made in advance with
	 * dma_resv_reserve_fences() and then filled by dma_resv_add_fence().
	 */
	struct dma_resv_list __rcu *fences;
};

/* The wound/wait class shared by every reservation object's lock. */
extern struct ww_class reservation_ww_class;

/**
 * dma_resv_usage_rw - the usage to wait for before an implicit access
 * @write: true for an access that writes the buffer, false for a read
 *
 * A new writer must wait for earlier readers and writers, which means all
 * fences up to READ. A new reader only has to wait for earlier writers,
 * that is for the fences up to WRITE. See enum dma_resv_usage.
 *
 * Context: Any context.
 * Return: %DMA_RESV_USAGE_READ when @write is true, %DMA_RESV_USAGE_WRITE
 * otherwise.
 */
static inline enum dma_resv_usage dma_resv_usage_rw(bool write)
{
	if (write)
		return DMA_RESV_USAGE_READ;

	return DMA_RESV_USAGE_WRITE;
}

/*
 * Lockdep checks on the reservation lock. dma_resv_held() tells whether
 * lockdep has the caller holding it, for conditions that only exist with
 * lockdep, like the one of rcu_dereference_protected();
 * dma_resv_assert_held() complains when the caller does not hold it.
 */
#define dma_resv_held(obj) lockdep_is_held(&(obj)->lock.base)
#define dma_resv_assert_held(obj) lockdep_assert_held(&(obj)->lock.base)

/*
 * Debug kernels forget reserved fence slots at every unlock, to catch
 * callers that add fences without reserving them; see dma-resv.c.
 */
#ifdef CONFIG_DEBUG_MUTEXES
void dma_resv_reset_max_fences(struct dma_resv *obj);
#else
static inline void dma_resv_reset_max_fences(struct dma_resv *obj)
{
}
#endif

/**
 * dma_resv_lock - lock a reservation object
 * @obj: the object to lock
 * @ctx: acquire context of a multi-object transaction, or NULL
 *
 * Takes the writer-side lock. Unlocked readers keep running under RCU.
 *
 * With a &struct ww_acquire_ctx several objects can be locked in any
 * order; when this would deadlock against another context, the younger
 * one gets -EDEADLK, must unlock every object it holds and then wait for
 * @obj with dma_resv_lock_slow(). A NULL @ctx locks @obj on its own.
 * See ww_mutex_lock() and ww_acquire_init().
 *
 * Context: Process context, may sleep.
 * Return: 0 once locked, -EDEADLK as above, or -EALREADY when @ctx already
 * holds @obj.
 */
static inline int dma_resv_lock(struct dma_resv *obj,
				struct ww_acquire_ctx *ctx)
{
	return ww_mutex_lock(&obj->lock, ctx);
}

/**
 * dma_resv_lock_slow - lock a reservation object after backing off
 * @obj: the object the last dma_resv_lock() call reported -EDEADLK for
 * @ctx: the acquire context, which must hold no reservation lock now
 *
 * Sleeps until @obj is free and takes it; this cannot fail.
 *
 * Context: Process context, may sleep.
 */
static inline void dma_resv_lock_slow(struct dma_resv *obj,
				      struct ww_acquire_ctx *ctx)
{
	ww_mutex_lock_slow(&obj->lock, ctx);
}

/**
 * dma_resv_lock_interruptible - lock a reservation object, interruptibly
 * @obj: the object to lock
 * @ctx: acquire context of a multi-object transaction, or NULL
 *
 * Like dma_resv_lock(), but a signal ends the wait. After -EDEADLK use
 * dma_resv_lock_slow_interruptible().
 *
 * Context: Process context, may sleep.
 * Return: 0 once locked, -EINTR when interrupted by a signal, -EDEADLK or
 * -EALREADY as for dma_resv_lock().
 */
static inline int dma_resv_lock_interruptible(struct dma_resv *obj,
					      struct ww_acquire_ctx *ctx)
{
	return ww_mutex_lock_interruptible(&obj->lock, ctx);
}

/**
 * dma_resv_lock_slow_interruptible - back-off lock, interruptibly
 * @obj: the object the last locking call reported -EDEADLK for
 * @ctx: the acquire context, which must hold no reservation lock now
 *
 * The interruptible form of dma_resv_lock_slow().
 *
 * Context: Process context, may sleep.
 * Return: 0 once locked, -EINTR when interrupted by a signal.
 */
static inline int dma_resv_lock_slow_interruptible(struct dma_resv *obj,
						   struct ww_acquire_ctx *ctx)
{
	return ww_mutex_lock_slow_interruptible(&obj->lock, ctx);
}

/**
 * dma_resv_trylock - try to lock a reservation object without waiting
 * @obj: the object to lock
 *
 * No acquire context is involved: a failed attempt cannot deadlock, so
 * there is nothing to back off from.
 *
 * Context: Any context in which a mutex may be trylocked.
 * Return: true if the lock was taken, false if somebody else holds it.
 */
static inline bool __must_check dma_resv_trylock(struct dma_resv *obj)
{
	return ww_mutex_trylock(&obj->lock, NULL);
}

/**
 * dma_resv_unlock - unlock a reservation object
 * @obj: the reservation object, locked by the caller
 *
 * Fence slots reserved with dma_resv_reserve_fences() do not survive the
 * unlock; debug kernels check that they are reserved again next time.
 *
 * Context: Process context, with @obj locked by the caller.
 */
static inline void dma_resv_unlock(struct dma_resv *obj)
{
	dma_resv_reset_max_fences(obj);
	ww_mutex_unlock(&obj->lock);
}

/**
 * dma_resv_is_locked - is anybody holding the reservation lock?
 * @obj: the object to ask about
 *
 * Context: Any context. The answer may be stale by the time it is used.
 * Return: true if the lock is held, by whoever, false if it is free.
 */
static inline bool dma_resv_is_locked(struct dma_resv *obj)
{
	return ww_mutex_is_locked(&obj->lock);
}

/**
 * dma_resv_locking_ctx - acquire context the lock is held with
 * @obj: the object to ask about
 *
 * Meant for code that has to find out whether it already holds @obj as
 * part of its own transaction; TTM also uses it to find the context deep
 * in call chains that do not pass it along. Anything else should pass the
 * context explicitly instead.
 *
 * Context: Any context.
 * Return: the &struct ww_acquire_ctx that @obj was locked with, or NULL if
 * it is unlocked or was locked without a context.
 */
static inline struct ww_acquire_ctx *dma_resv_locking_ctx(struct dma_resv *obj)
{
	return READ_ONCE(obj->lock.ctx);
}

/**
 * struct dma_resv_iter - cursor of a walk over the fences of a dma_resv
 *
 * Drivers set it up with dma_resv_iter_begin() or dma_resv_for_each_fence()
 * and read it only through the dma_resv_iter_*() helpers; the members are
 * listed here because the cursor lives on the caller's stack.
 *
 * A walk without the lock (dma_resv_iter_first_unlocked() and
 * dma_resv_for_each_fence_unlocked()) starts over from the beginning when
 * the fences are replaced under it, so it can return a fence a second
 * time. Callers that count or collect fences must check
 * dma_resv_iter_is_restarted() and discard what they gathered so far.
 */
struct dma_resv_iter {
	/** @obj: the reservation object walked over */
	struct dma_resv *obj;

	/** @usage: only fences of this usage or a smaller one are visited */
	enum dma_resv_usage usage;

	/**
	 * @fence: the fence returned last; referenced by the cursor in an
	 * unlocked walk, dropped by the next step or dma_resv_iter_end()
	 */
	struct dma_fence *fence;

	/** @fence_usage: the usage @fence was added with */
	enum dma_resv_usage fence_usage;

	/** @index: position of the next slot to look at in @fences */
	u32 index;

	/**
	 * @fences: the fence array being walked; opaque, and in an unlocked
	 * walk possibly stale, so it must never be dereferenced by callers
	 */
	struct dma_resv_list *fences;

	/** @num_fences: number of slots of @fences taken into the walk */
	u32 num_fences;

	/** @is_restarted: the fence returned last is the first of a pass */
	bool is_restarted;
};

/**
 * dma_resv_iter_begin - prepare a cursor for a walk over a dma_resv
 * @cursor: the cursor, usually on the caller's stack
 * @obj: the reservation object to walk over
 * @usage: visit fences of this usage and of every smaller one
 *
 * An unlocked walk started here must be finished with dma_resv_iter_end(),
 * which drops the reference the cursor may still hold.
 *
 * Context: Any context.
 */
static inline void dma_resv_iter_begin(struct dma_resv_iter *cursor,
				       struct dma_resv *obj,
				       enum dma_resv_usage usage)
{
	cursor->fence = NULL;
	cursor->usage = usage;
	cursor->obj = obj;
}

/**
 * dma_resv_iter_end - finish a walk over a dma_resv
 * @cursor: the cursor set up by dma_resv_iter_begin()
 *
 * Drops the reference an unlocked walk holds on its current fence; after a
 * locked walk there is none and this does nothing.
 *
 * Context: Any context in which dma_fence_put() may be called.
 */
static inline void dma_resv_iter_end(struct dma_resv_iter *cursor)
{
	dma_fence_put(cursor->fence);
}

/**
 * dma_resv_iter_usage - usage of the fence the cursor stands on
 * @cursor: a cursor that has just returned a fence
 *
 * Context: Any context.
 * Return: the &enum dma_resv_usage the current fence was added with.
 */
static inline enum dma_resv_usage
dma_resv_iter_usage(struct dma_resv_iter *cursor)
{
	return cursor->fence_usage;
}

/**
 * dma_resv_iter_is_restarted - did the walk just start (over)?
 * @cursor: a cursor that has just returned a fence
 *
 * An unlocked walk starts over when the fences change under it. Anything
 * accumulated from earlier fences must then be thrown away.
 *
 * Context: Any context.
 * Return: true if the current fence is the first one of a pass over the
 * fences, false otherwise.
 */
static inline bool dma_resv_iter_is_restarted(struct dma_resv_iter *cursor)
{
	return cursor->is_restarted;
}

/* Stepping through the fences; see the kernel-doc in dma-resv.c. */
struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *cursor);
struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *cursor);
struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *cursor);
struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *cursor);

/**
 * dma_resv_for_each_fence_unlocked - walk the fences without the lock
 * @cursor: a cursor prepared with dma_resv_iter_begin()
 * @fence: set to each unsignalled fence in turn
 *
 * Visits the unsignalled fences selected by the cursor's usage under RCU,
 * without &dma_resv.lock. The body runs outside the RCU read section and
 * may sleep; the cursor holds a reference to @fence meanwhile. Finish with
 * dma_resv_iter_end().
 *
 * The walk starts over when the fences are replaced concurrently, see
 * dma_resv_iter_is_restarted(). Prefer dma_resv_for_each_fence() where the
 * lock is held anyway.
 */
#define dma_resv_for_each_fence_unlocked(cursor, fence)			\
	for (fence = dma_resv_iter_first_unlocked(cursor); fence;	\
	     fence = dma_resv_iter_next_unlocked(cursor))

/**
 * dma_resv_for_each_fence - walk the fences with the lock held
 * @cursor: a struct dma_resv_iter, set up by the macro itself
 * @obj: the reservation object, locked by the caller
 * @usage: visit fences of this usage and of every smaller one
 * @fence: set to each fence in turn, signalled ones included
 *
 * The lock keeps the fences alive, so no references are taken and no
 * dma_resv_iter_end() is needed afterwards.
 */
#define dma_resv_for_each_fence(cursor, obj, usage, fence)		\
	for (dma_resv_iter_begin(cursor, obj, usage),			\
	     fence = dma_resv_iter_first(cursor);			\
	     fence; fence = dma_resv_iter_next(cursor))

/* Life cycle of an object embedded in a buffer. */
void dma_resv_init(struct dma_resv *obj);
void dma_resv_fini(struct dma_resv *obj);

/* Changing the fences: the caller holds the lock of the object changed. */
int dma_resv_reserve_fences(struct dma_resv *obj, unsigned int num_fences);
void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
			enum dma_resv_usage usage);
void dma_resv_replace_fences(struct dma_resv *obj, u64 context,
			     struct dma_fence *fence,
			     enum dma_resv_usage usage);
int dma_resv_copy_fences(struct dma_resv *dst, struct dma_resv *src);

/* Looking at the fences: no lock needed, RCU is used internally. */
int dma_resv_get_fences(struct dma_resv *obj, enum dma_resv_usage usage,
			unsigned int *num_fences, struct dma_fence ***fences);
int dma_resv_get_singleton(struct dma_resv *obj, enum dma_resv_usage usage,
			   struct dma_fence **fence);
bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage);
void dma_resv_set_deadline(struct dma_resv *obj, enum dma_resv_usage usage,
			   ktime_t deadline);
long dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage,
			   bool intr, unsigned long timeout);

/* Debugfs helper; the caller holds the lock. */
void dma_resv_describe(struct dma_resv *obj, struct seq_file *seq);

#endif /* __LINUX_DMA_RESV_H */
