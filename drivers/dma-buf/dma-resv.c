// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-resv: reservation objects, the per-buffer lock and the set of fences
 * of the device operations that still use the buffer.
 */

#include <linux/atomic.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-resv.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

/**
 * DOC: dma-resv overview
 *
 * A &struct dma_resv sits next to a buffer (usually embedded in its
 * &struct dma_buf, GEM or TTM object) and answers one question for every
 * driver that touches the buffer: which device operations on it are still
 * in flight, and what do they do with it? Each such operation is a
 * &struct dma_fence, recorded with an &enum dma_resv_usage that says
 * whether it is memory management, a write, a read, or bookkeeping only.
 * Asking for the fences of one usage also returns those of every more
 * binding usage.
 *
 * Changes are made with the object's &dma_resv.lock held, a ww_mutex of
 * reservation_ww_class so that many buffers can be locked in any order
 * within one &struct ww_acquire_ctx. Adding a fence cannot fail: by the
 * time a job's fence exists the job is usually committed, so the room for
 * it is reserved beforehand, when failing is still an option. Readers need
 * no lock at all; the fences are published under RCU and the unlocked
 * iterators take a reference on each fence they hand out.
 *
 * A submission path, in short::
 *
 *	ret = dma_resv_lock_interruptible(obj, NULL);
 *	if (ret)
 *		return ret;
 *	ret = dma_resv_reserve_fences(obj, 1);
 *	if (ret) {
 *		dma_resv_unlock(obj);
 *		return ret;
 *	}
 *	// set up the job; from here on it runs no matter what
 *	dma_resv_add_fence(obj, job->fence, DMA_RESV_USAGE_WRITE);
 *	dma_resv_unlock(obj);
 *
 * and someone who only wants to know what to wait for before reading::
 *
 *	struct dma_resv_iter cursor;
 *	struct dma_fence *fence;
 *
 *	dma_resv_iter_begin(&cursor, obj, DMA_RESV_USAGE_WRITE);
 *	dma_resv_for_each_fence_unlocked(&cursor, fence) {
 *		// the cursor holds a reference to fence here; the loop
 *		// may start over if obj changes, see
 *		// dma_resv_iter_is_restarted()
 *		dma_fence_wait(fence, false);
 *	}
 *	dma_resv_iter_end(&cursor);
 *
 * For that common case dma_resv_wait_timeout() does the loop already.
 */

/*
 * Wait-die rather than wound-wait: a transaction that finds an object held
 * by an older one backs off by itself, with -EDEADLK, instead of having
 * its locks taken away.
 */
struct ww_class reservation_ww_class =
	__WW_CLASS_INITIALIZER(reservation_ww_class, 1);
EXPORT_SYMBOL(reservation_ww_class);

/*
 * The fence array. Each slot packs a fence pointer and the usage the fence
 * was added with into one word: fences are at least pointer aligned, so the
 * two low bits of the address are free for the usage.
 *
 * Lifetime and concurrency rules:
 *
 *  - Only the holder of the object's lock changes a list that is published
 *    in &dma_resv.fences, and only in two ways: a slot below @count gets a
 *    different entry (the reference of the old fence is dropped right
 *    after), or a slot at @count is filled and @count grows. Slots never
 *    move and @count never shrinks, so a lockless reader walking slots
 *    0..count-1 of a snapshot does not skip fences that were there all
 *    along.
 *  - Anything else (dropping signalled fences, growing beyond @capacity,
 *    dma_resv_copy_fences()) builds a new list, publishes it, and frees the
 *    old one only after an RCU grace period.
 *  - The list holds one reference to the fence of every slot below @count.
 *    Slots from @count up own no reference; resv_list_rebuild() parks
 *    entries there only until it drops them.
 */
struct dma_resv_list {
	struct rcu_head rcu;
	/* Slots in use. Written with release, read with acquire. */
	u32 count;
	/* Slots allocated; fixed for the life of the list. */
	u32 capacity;
#ifdef CONFIG_DEBUG_MUTEXES
	/* Slots the current lock holder may fill; <= @capacity. */
	u32 reserved;
#endif
	unsigned long slot[] __counted_by(capacity);
};

#define RESV_USAGE_MASK		3UL
static_assert(DMA_RESV_USAGE_BOOKKEEP <= RESV_USAGE_MASK);
static_assert(__alignof__(struct dma_fence) > RESV_USAGE_MASK);

/* Smallest list worth allocating: most buffers never see more fences. */
#define RESV_MIN_SLOTS		4U

/* Largest list, chosen so that no allocation exceeds what kmalloc gives. */
#define RESV_MAX_SLOTS							\
	((u32)((KMALLOC_MAX_SIZE - sizeof(struct dma_resv_list)) /	\
	       sizeof(unsigned long)))

/* Pack @fence and @usage into a slot value. */
static inline unsigned long resv_entry(struct dma_fence *fence,
				       enum dma_resv_usage usage)
{
	return (unsigned long)fence | usage;
}

/* The fence of slot value @entry; no reference is taken. */
static inline struct dma_fence *resv_entry_fence(unsigned long entry)
{
	return (struct dma_fence *)(entry & ~RESV_USAGE_MASK);
}

/* The usage of slot value @entry. */
static inline enum dma_resv_usage resv_entry_usage(unsigned long entry)
{
	return entry & RESV_USAGE_MASK;
}

/* The published list of @obj, for the lock holder. May be NULL. */
static inline struct dma_resv_list *resv_list_locked(struct dma_resv *obj)
{
	return rcu_dereference_protected(obj->fences, dma_resv_held(obj));
}

/*
 * Allocate an empty list with room for at least @slots entries; the
 * capacity is raised to whatever the kmalloc bucket holds anyway. @slots
 * must not exceed RESV_MAX_SLOTS. Returns NULL when out of memory.
 */
static struct dma_resv_list *resv_list_alloc(unsigned int slots, gfp_t gfp)
{
	struct dma_resv_list *list;
	size_t bytes;

	bytes = kmalloc_size_roundup(struct_size(list, slot, slots));
	list = kmalloc(bytes, gfp);
	if (!list)
		return NULL;

	list->capacity = (bytes - offsetof(struct dma_resv_list, slot)) /
			 sizeof(list->slot[0]);
	list->count = 0;
#ifdef CONFIG_DEBUG_MUTEXES
	list->reserved = 0;
#endif
	return list;
}

/*
 * How many slots to ask for when a list must hold @need entries: at least
 * RESV_MIN_SLOTS, and half as much again above that, so that a buffer
 * collecting fences one submission at a time reallocates only now and
 * then. Never more than RESV_MAX_SLOTS; @need itself must not be.
 */
static unsigned int resv_list_target(unsigned int need)
{
	if (need <= RESV_MIN_SLOTS)
		return RESV_MIN_SLOTS;

	return min(need + need / 2, RESV_MAX_SLOTS);
}

/* Record that the lock holder may fill up to @slots slots of @list. */
static inline void resv_list_grant(struct dma_resv_list *list,
				   unsigned int slots)
{
#ifdef CONFIG_DEBUG_MUTEXES
	list->reserved = max(list->reserved, slots);
#endif
}

/*
 * Does the lock holder have a reserved slot left in @list (which may be
 * NULL)? Debug kernels count what dma_resv_reserve_fences() granted since
 * the lock was taken; others only look at the room there is.
 */
static inline bool resv_list_slot_reserved(struct dma_resv_list *list)
{
	if (!list)
		return false;
#ifdef CONFIG_DEBUG_MUTEXES
	return list->count < list->reserved;
#else
	return list->count < list->capacity;
#endif
}

/* Drop the references held by slots [@from, @to) of @list. */
static void resv_list_put_range(struct dma_resv_list *list, unsigned int from,
				unsigned int to)
{
	while (from < to)
		dma_fence_put(resv_entry_fence(list->slot[from++]));
}

/*
 * Drop the fences of a list that readers may still see, then free it
 * after a grace period. @list may be NULL. Dropping the references early
 * is fine: readers only ever take a fence with dma_fence_get_rcu(), and
 * fence memory itself outlives a grace period.
 */
static void resv_list_retire(struct dma_resv_list *list)
{
	if (!list)
		return;

	resv_list_put_range(list, 0, list->count);
	kfree_rcu(list, rcu);
}

/* Drop the fences of a list that was never published, and free it. */
static void resv_list_discard(struct dma_resv_list *list)
{
	if (!list)
		return;

	resv_list_put_range(list, 0, list->count);
	kfree(list);
}

/*
 * Fill slot @count of @list, which the caller made sure exists, with
 * @fence, whose reference passes to the list.
 *
 * The slot is written before @count is raised, with release semantics:
 * a reader that loads @count with acquire and then reads the slot sees
 * the new entry and, through it, a fully initialised fence.
 */
static void resv_list_append(struct dma_resv_list *list,
			     struct dma_fence *fence,
			     enum dma_resv_usage usage)
{
	u32 idx = list->count;

	WRITE_ONCE(list->slot[idx], resv_entry(fence, usage));
	/* Publish the slot; pairs with the acquire in resv_iter_restart(). */
	smp_store_release(&list->count, idx + 1);
}

/*
 * Put @fence, whose reference passes to the list, into the used slot @idx
 * of the published @list and drop the fence that was there.
 *
 * The release store orders the initialisation of @fence before its
 * publication, like rcu_assign_pointer(). The old fence is released only
 * afterwards, so a reader that fails to get a reference on it is
 * guaranteed to find the new entry when it looks at the slot again.
 */
static void resv_list_overwrite(struct dma_resv_list *list, unsigned int idx,
				struct dma_fence *fence,
				enum dma_resv_usage usage)
{
	struct dma_fence *old = resv_entry_fence(list->slot[idx]);

	/* Pairs with the address dependency of readers on the slot. */
	smp_store_release(&list->slot[idx], resv_entry(fence, usage));
	dma_fence_put(old);
}

/*
 * May the slot holding @entry be given to @fence, added with @usage?
 * Yes if it holds an earlier or the same fence of the same timeline whose
 * usage is not more binding than @usage, or a fence that has signalled.
 * The provider is asked about the latter (dma_fence_is_signaled()): a
 * fence that only learns it is done when polled must not keep its slot,
 * or a buffer fed by such a provider collects fences without bound.
 */
static bool resv_entry_reusable(unsigned long entry, struct dma_fence *fence,
				enum dma_resv_usage usage)
{
	struct dma_fence *old = resv_entry_fence(entry);

	if (old->context == fence->context &&
	    resv_entry_usage(entry) >= usage &&
	    dma_fence_is_later_or_same(fence, old))
		return true;

	return dma_fence_is_signaled(old);
}

/*
 * Find the first used slot of @list that @fence may take over, see
 * resv_entry_reusable(). Returns the slot index, or -1 when @fence needs
 * a new slot.
 */
static int resv_list_find_reusable(struct dma_resv_list *list,
				   struct dma_fence *fence,
				   enum dma_resv_usage usage)
{
	u32 i;

	for (i = 0; i < list->count; i++)
		if (resv_entry_reusable(list->slot[i], fence, usage))
			return i;

	return -1;
}

/**
 * dma_resv_init - set up a reservation object
 * @obj: the reservation object, usually embedded in a buffer object
 *
 * The object starts unlocked and without fences.
 *
 * Context: Any context.
 */
void dma_resv_init(struct dma_resv *obj)
{
	ww_mutex_init(&obj->lock, &reservation_ww_class);
	RCU_INIT_POINTER(obj->fences, NULL);
}
EXPORT_SYMBOL(dma_resv_init);

/**
 * dma_resv_fini - tear down a reservation object
 * @obj: the reservation object, unlocked and no longer used by anyone
 *
 * Drops the references to all fences still attached.
 *
 * Context: Process context.
 */
void dma_resv_fini(struct dma_resv *obj)
{
	/* Nobody else can look at @obj any more, so no lock is needed. */
	resv_list_retire(rcu_dereference_protected(obj->fences, true));
	RCU_INIT_POINTER(obj->fences, NULL);
	ww_mutex_destroy(&obj->lock);
}
EXPORT_SYMBOL(dma_resv_fini);

/*
 * Build a list for @obj that holds the unsignalled fences of @old (which
 * may be NULL) with room for @more further ones, and publish it in place
 * of @old. The references of the kept fences move over; those of the
 * signalled fences are dropped once the new list is visible.
 *
 * Signalled fences are parked at the top end of the new list's slots,
 * above anything that will be counted, until then: dropping them while
 * @old is still published would leave readers of @old finding dead
 * fences and retrying until the new list shows up.
 */
static int resv_list_rebuild(struct dma_resv *obj, struct dma_resv_list *old,
			     unsigned int more)
{
	u32 used = old ? old->count : 0;
	struct dma_resv_list *new;
	u32 i, parked;

	new = resv_list_alloc(resv_list_target(used + more), GFP_KERNEL);
	if (!new)
		return -ENOMEM;

	/* capacity >= used + more > used: live plus parked ones fit. */
	parked = new->capacity;
	for (i = 0; i < used; i++) {
		unsigned long entry = old->slot[i];

		if (dma_fence_is_signaled(resv_entry_fence(entry)))
			new->slot[--parked] = entry;
		else
			new->slot[new->count++] = entry;
	}
	resv_list_grant(new, new->count + more);

	/* Orders the filling of @new before its publication. */
	rcu_assign_pointer(obj->fences, new);

	resv_list_put_range(new, parked, new->capacity);
	if (old)
		kfree_rcu(old, rcu);

	return 0;
}

/**
 * dma_resv_reserve_fences - make room for fences to be added
 * @obj: the reservation object, locked by the caller
 * @num_fences: how many dma_resv_add_fence() calls are to follow
 *
 * Guarantees that the next @num_fences calls of dma_resv_add_fence() on
 * @obj find a slot, for as long as the caller keeps the lock. Reservations
 * do not add up: each call makes sure that @num_fences slots are free.
 * Unlocking gives the reservation up; debug kernels (CONFIG_DEBUG_MUTEXES)
 * check that it is made again after the next lock.
 *
 * When the list is full it is replaced by a bigger one, without the
 * fences that have signalled in the meantime. On failure @obj is left
 * exactly as it was.
 *
 * Context: Process context with @obj locked, may sleep (GFP_KERNEL).
 * Return: 0 on success, -EINVAL if @num_fences is zero (a caller bug),
 * -ENOMEM when out of memory.
 */
int dma_resv_reserve_fences(struct dma_resv *obj, unsigned int num_fences)
{
	struct dma_resv_list *list;
	u32 used;

	dma_resv_assert_held(obj);

	/* A request for no slot usually comes from a miscounting caller. */
	if (WARN_ON_ONCE(!num_fences))
		return -EINVAL;

	list = resv_list_locked(obj);
	used = list ? list->count : 0;
	if (num_fences > RESV_MAX_SLOTS - used)
		return -ENOMEM;

	if (list && used + num_fences <= list->capacity) {
		resv_list_grant(list, used + num_fences);
		return 0;
	}

	return resv_list_rebuild(obj, list, num_fences);
}
EXPORT_SYMBOL(dma_resv_reserve_fences);

#ifdef CONFIG_DEBUG_MUTEXES
/**
 * dma_resv_reset_max_fences - forget the slots reserved so far
 * @obj: the reservation object, locked by the caller
 *
 * Called by dma_resv_unlock() on kernels with CONFIG_DEBUG_MUTEXES, so that
 * a dma_resv_add_fence() after the next lock that was not preceded by
 * dma_resv_reserve_fences() is reported, even when the list happens to
 * have room.
 *
 * Context: Process context with @obj locked.
 */
void dma_resv_reset_max_fences(struct dma_resv *obj)
{
	struct dma_resv_list *list = resv_list_locked(obj);

	dma_resv_assert_held(obj);

	if (list)
		list->reserved = list->count;
}
EXPORT_SYMBOL(dma_resv_reset_max_fences);
#endif

/*
 * Slow path of dma_resv_add_fence() for a caller that did not reserve a
 * slot; @list is the published list or NULL, @fence a reference that is
 * consumed. The caller already warned, and no slot can be reused.
 *
 * The caller holds the reservation lock and may be in a fence signalling
 * critical section, so nothing here sleeps: neither waiting for @fence
 * (whose signalling may need this very lock) nor reclaim. In turn: a free
 * slot the reservation did not cover, a bigger list from the atomic
 * reserves. When even that fails @fence cannot be recorded; it is dropped
 * with an error naming it, which is what a driver that adds without
 * reserving risks (6.12 stops the machine with BUG_ON instead).
 */
static void resv_add_unreserved(struct dma_resv *obj,
				struct dma_resv_list *list,
				struct dma_fence *fence,
				enum dma_resv_usage usage)
{
	struct dma_resv_list *new;
	u32 used;

	if (list && list->count < list->capacity) {
		resv_list_append(list, fence, usage);
		return;
	}

	used = list ? list->count : 0;
	new = NULL;
	if (used < RESV_MAX_SLOTS)
		new = resv_list_alloc(resv_list_target(used + 1),
				      GFP_ATOMIC | __GFP_NOWARN);
	if (!new) {
		pr_err("dma-resv: no memory for a slot, fence %llu:%llu not recorded\n",
		       fence->context, fence->seqno);
		dma_fence_put(fence);
		return;
	}

	/* The same fences, so their references simply move over. */
	if (used)
		memcpy(new->slot, list->slot, used * sizeof(list->slot[0]));
	new->count = used;
	resv_list_grant(new, used + 1);
	resv_list_append(new, fence, usage);
	rcu_assign_pointer(obj->fences, new);
	if (list)
		kfree_rcu(list, rcu);
}

/**
 * dma_resv_add_fence - attach a fence to a reservation object
 * @obj: the reservation object, locked by the caller
 * @fence: the fence; @obj takes its own reference
 * @usage: what the operation of @fence does with the buffer
 *
 * If @obj already holds a fence that @fence makes redundant (an earlier
 * or the same fence of the same timeline, added with the same or a less
 * binding usage) or a fence that has signalled, @fence takes its slot.
 * Otherwise it needs one of the slots reserved with
 * dma_resv_reserve_fences() since the lock was taken. Adding without one
 * is a bug: it warns once, and the fence is recorded if a slot can be
 * found without sleeping (never by waiting for a fence under the lock).
 *
 * Containers (fence arrays and chains) must not be added; add their
 * members one by one instead, see dma_fence_unwrap_for_each(). One that is
 * added anyway is recorded as it is, after a warning.
 *
 * Context: Process context with @obj locked. Does not sleep and does not
 * allocate when a slot was reserved, so it may be used in fence signalling
 * critical sections.
 */
void dma_resv_add_fence(struct dma_resv *obj, struct dma_fence *fence,
			enum dma_resv_usage usage)
{
	struct dma_resv_list *list;
	int idx;

	dma_resv_assert_held(obj);

	WARN_ON_ONCE(dma_fence_is_container(fence));

	dma_fence_get(fence);

	list = resv_list_locked(obj);
	idx = list ? resv_list_find_reusable(list, fence, usage) : -1;
	if (idx >= 0) {
		resv_list_overwrite(list, idx, fence, usage);
		return;
	}

	if (WARN_ONCE(!resv_list_slot_reserved(list),
		      "dma-resv: fence added without dma_resv_reserve_fences()\n")) {
		resv_add_unreserved(obj, list, fence, usage);
		return;
	}

	resv_list_append(list, fence, usage);
}
EXPORT_SYMBOL(dma_resv_add_fence);

/**
 * dma_resv_replace_fences - swap the fences of one timeline for another
 * @obj: the reservation object, locked by the caller
 * @context: the timeline whose fences are to go
 * @fence: the fence put in their place; @obj takes its own references
 * @usage: the usage @fence is recorded with
 *
 * Every fence of @obj on timeline @context is replaced by @fence. This is
 * only correct if the operations of the replaced fences can no longer
 * reach the buffer once @fence has signalled; the typical case is a
 * preemption fence replaced by the fence of a page table update that
 * unmaps the buffer.
 *
 * Context: Process context with @obj locked. Does not sleep.
 */
void dma_resv_replace_fences(struct dma_resv *obj, u64 context,
			     struct dma_fence *fence,
			     enum dma_resv_usage usage)
{
	struct dma_resv_list *list;
	u32 i;

	dma_resv_assert_held(obj);

	list = resv_list_locked(obj);
	if (!list)
		return;

	for (i = 0; i < list->count; i++) {
		if (resv_entry_fence(list->slot[i])->context != context)
			continue;

		resv_list_overwrite(list, i, dma_fence_get(fence), usage);
	}
}
EXPORT_SYMBOL(dma_resv_replace_fences);

/*
 * Lockless walk.
 *
 * A pass takes a snapshot of the list pointer and its count under RCU and
 * visits slots 0..count-1. Slots may be overwritten while that happens;
 * the walk then sees the old or the new entry, both of which were valid
 * at some point. When the list itself is replaced, the pass starts over
 * on the new one and the cursor says so (is_restarted).
 *
 * All helpers below run inside rcu_read_lock(), which keeps the list of
 * the snapshot and the memory of every fence it names from being freed.
 */

/* Begin a new pass on the list @cursor->obj publishes now. */
static void resv_iter_restart(struct dma_resv_iter *cursor)
{
	struct dma_resv_list *list = rcu_dereference(cursor->obj->fences);

	cursor->fences = list;
	/* Pairs with the release in resv_list_append(). */
	cursor->num_fences = list ? smp_load_acquire(&list->count) : 0;
	cursor->index = 0;
	cursor->is_restarted = true;
}

/*
 * Has @cursor->obj replaced the list of the current pass? Only compares
 * pointers, so it is safe even on a cursor whose list is long gone.
 */
static bool resv_iter_stale(struct dma_resv_iter *cursor)
{
	return rcu_access_pointer(cursor->obj->fences) != cursor->fences;
}

/*
 * Reference the fence of @entry, just read from the slot @cursor stands
 * on. Fails when the fence is on its way out, or when the slot no longer
 * holds @entry once the reference is taken (fences from
 * SLAB_TYPESAFE_BY_RCU caches may be recycled under us; the reference
 * must be to the fence the slot names). Returns the fence or NULL.
 */
static struct dma_fence *resv_iter_grab(struct dma_resv_iter *cursor,
					unsigned long entry)
{
	struct dma_fence *fence = resv_entry_fence(entry);
	unsigned long now;

	if (!dma_fence_get_rcu(fence)) {
		/*
		 * The count reached zero after the slot was rewritten or the
		 * list replaced (see resv_list_overwrite() and
		 * resv_list_rebuild()); make sure the caller's next look at
		 * the slot and the list pointer sees that.
		 */
		smp_rmb();
		return NULL;
	}

	/* A successful increment is unordered; order it before the reload. */
	smp_mb__after_atomic();
	now = READ_ONCE(cursor->fences->slot[cursor->index]);
	if (now == entry)
		return fence;

	dma_fence_put(fence);
	return NULL;
}

/*
 * Drop the fence @cursor holds and move on to the next unsignalled fence
 * of the pass whose usage is selected, referencing it in @cursor->fence;
 * NULL there when the pass is through. Starts a new pass when the list
 * turns out to be replaced under a slot that changed.
 */
static void resv_iter_advance(struct dma_resv_iter *cursor)
{
	dma_fence_put(cursor->fence);
	cursor->fence = NULL;

	while (cursor->index < cursor->num_fences) {
		unsigned long entry;
		struct dma_fence *fence;

		/* Address dependency orders the fence reads after this. */
		entry = READ_ONCE(cursor->fences->slot[cursor->index]);
		fence = resv_entry_fence(entry);

		if (resv_entry_usage(entry) > cursor->usage ||
		    test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) {
			cursor->index++;
			continue;
		}

		fence = resv_iter_grab(cursor, entry);
		if (!fence) {
			/* Same slot again, or a new pass on a new list. */
			if (resv_iter_stale(cursor))
				resv_iter_restart(cursor);
			continue;
		}

		cursor->index++;
		if (dma_fence_is_signaled(fence)) {
			dma_fence_put(fence);
			continue;
		}

		cursor->fence = fence;
		cursor->fence_usage = resv_entry_usage(entry);
		return;
	}
}

/*
 * Advance @cursor, and keep starting over until a step completes on the
 * list that is still published; a fence found on a replaced list might
 * not be part of the object any more.
 */
static void resv_iter_settle(struct dma_resv_iter *cursor)
{
	for (;;) {
		resv_iter_advance(cursor);
		if (!resv_iter_stale(cursor))
			return;
		resv_iter_restart(cursor);
	}
}

/**
 * dma_resv_iter_first_unlocked - start a lockless walk
 * @cursor: a cursor prepared with dma_resv_iter_begin()
 *
 * Finds the first unsignalled fence whose usage the cursor selects. The
 * cursor keeps a reference to it until the next step or
 * dma_resv_iter_end(). Continue with dma_resv_iter_next_unlocked().
 *
 * Context: Any context that may call dma_fence_put(); no lock needed.
 * Return: the fence, or NULL if there is none.
 */
struct dma_fence *dma_resv_iter_first_unlocked(struct dma_resv_iter *cursor)
{
	rcu_read_lock();
	resv_iter_restart(cursor);
	resv_iter_settle(cursor);
	rcu_read_unlock();

	return cursor->fence;
}
EXPORT_SYMBOL(dma_resv_iter_first_unlocked);

/**
 * dma_resv_iter_next_unlocked - continue a lockless walk
 * @cursor: a cursor that dma_resv_iter_first_unlocked() was called on
 *
 * Drops the reference to the previous fence and finds the next one. When
 * the object's fences were replaced in the meantime, the walk starts over
 * from the first fence and dma_resv_iter_is_restarted() reports it.
 *
 * Context: Any context that may call dma_fence_put(); no lock needed.
 * Return: the fence, or NULL at the end of the walk.
 */
struct dma_fence *dma_resv_iter_next_unlocked(struct dma_resv_iter *cursor)
{
	rcu_read_lock();
	cursor->is_restarted = false;
	/* Checked first: the old list of the cursor may be gone already. */
	if (resv_iter_stale(cursor))
		resv_iter_restart(cursor);
	resv_iter_settle(cursor);
	rcu_read_unlock();

	return cursor->fence;
}
EXPORT_SYMBOL(dma_resv_iter_next_unlocked);

/*
 * The next fence of locked walk @cursor in @list whose usage the cursor
 * selects, signalled or not, or NULL at the end. No reference is taken:
 * the lock keeps the fence.
 */
static __always_inline struct dma_fence *
resv_iter_locked_step(struct dma_resv_iter *cursor, struct dma_resv_list *list)
{
	if (!list)
		return NULL;

	while (cursor->index < list->count) {
		unsigned long entry = list->slot[cursor->index++];

		if (resv_entry_usage(entry) <= cursor->usage) {
			cursor->fence_usage = resv_entry_usage(entry);
			return resv_entry_fence(entry);
		}
	}
	return NULL;
}

/*
 * The locked step after the caller reserved or copied fences mid-walk:
 * reported once, then the walk follows the new list.  Out of line and
 * reached by a tail call, so that the check costs the step a compare.
 */
static noinline __cold struct dma_fence *
resv_iter_relisted_step(struct dma_resv_iter *cursor,
			struct dma_resv_list *list)
{
	WARN_ONCE(1, "dma-resv: fence list reallocated during a locked walk\n");
	cursor->fences = list;
	return resv_iter_locked_step(cursor, list);
}

/**
 * dma_resv_iter_first - start a walk with the lock held
 * @cursor: a cursor prepared with dma_resv_iter_begin()
 *
 * Unlike the lockless walk this one also returns signalled fences, and
 * takes no references. The caller may replace fences in place while
 * walking (dma_resv_add_fence(), dma_resv_replace_fences()), but must not
 * reserve or copy fences until the walk is over. Continue with
 * dma_resv_iter_next().
 *
 * Context: The lock of the cursor's object must be held.
 * Return: the first fence whose usage the cursor selects, or NULL.
 */
struct dma_fence *dma_resv_iter_first(struct dma_resv_iter *cursor)
{
	struct dma_fence *fence;

	dma_resv_assert_held(cursor->obj);

	cursor->fences = resv_list_locked(cursor->obj);
	cursor->num_fences = 0;
	cursor->index = 0;
	fence = resv_iter_locked_step(cursor, cursor->fences);
	cursor->is_restarted = true;

	return fence;
}
EXPORT_SYMBOL_GPL(dma_resv_iter_first);

/**
 * dma_resv_iter_next - continue a walk with the lock held
 * @cursor: a cursor that dma_resv_iter_first() was called on
 *
 * Context: The lock of the cursor's object must be held.
 * Return: the next fence whose usage the cursor selects, or NULL at the
 * end of the walk.
 */
struct dma_fence *dma_resv_iter_next(struct dma_resv_iter *cursor)
{
	struct dma_resv_list *list = resv_list_locked(cursor->obj);

	dma_resv_assert_held(cursor->obj);

	cursor->is_restarted = false;
	/*
	 * The walk reads the published list, never a copy of its address
	 * that a reservation in the middle of the walk (a caller bug) may
	 * have freed: the walk then goes on at the same index of the new
	 * list (the old one's unsignalled fences, in order), and may miss
	 * fences but never reads freed memory.  The bug is reported once; the
	 * cursor then follows the new list.
	 */
	if (unlikely(list != cursor->fences))
		return resv_iter_relisted_step(cursor, list);
	return resv_iter_locked_step(cursor, list);
}
EXPORT_SYMBOL_GPL(dma_resv_iter_next);

/**
 * dma_resv_copy_fences - make one object's fences those of another
 * @dst: the reservation object to change, locked by the caller
 * @src: the reservation object to copy from; need not be locked
 *
 * Replaces all fences of @dst with the unsignalled fences of @src, each
 * with its usage. Slots reserved on @dst before are lost.
 *
 * Context: Process context with @dst locked, may sleep (GFP_KERNEL).
 * Return: 0 on success, -ENOMEM when out of memory; @dst is unchanged then.
 */
int dma_resv_copy_fences(struct dma_resv *dst, struct dma_resv *src)
{
	struct dma_resv_list *list = NULL;
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_assert_held(dst);

	dma_resv_iter_begin(&cursor, src, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			/* A new pass: start over, reusing the list if it fits. */
			if (list && list->capacity >= cursor.num_fences) {
				resv_list_put_range(list, 0, list->count);
				list->count = 0;
			} else {
				resv_list_discard(list);
				list = resv_list_alloc(resv_list_target(cursor.num_fences),
						       GFP_KERNEL);
				if (!list) {
					dma_resv_iter_end(&cursor);
					return -ENOMEM;
				}
			}
		}

		/* Private until published below; plain stores suffice. */
		list->slot[list->count++] =
			resv_entry(dma_fence_get(fence),
				   dma_resv_iter_usage(&cursor));
	}
	/* The last step started over and found nothing: @src is idle. */
	if (dma_resv_iter_is_restarted(&cursor)) {
		resv_list_discard(list);
		list = NULL;
	}
	dma_resv_iter_end(&cursor);

	if (list)
		resv_list_grant(list, list->count);

	/* rcu_replace_pointer() orders the filling of @list before. */
	list = rcu_replace_pointer(dst->fences, list, dma_resv_held(dst));
	resv_list_retire(list);

	return 0;
}
EXPORT_SYMBOL(dma_resv_copy_fences);

/* Drop the references of the first @n fences of @fences. */
static void resv_put_array(struct dma_fence **fences, unsigned int n)
{
	while (n)
		dma_fence_put(fences[--n]);
}

/**
 * dma_resv_get_fences - take a snapshot of the fences of an object
 * @obj: the reservation object; need not be locked
 * @usage: which fences to include, see &enum dma_resv_usage
 * @num_fences: set to the number of fences returned
 * @fences: set to a kmalloc'ed array of referenced fences, or to NULL
 *	when there are none
 *
 * Collects the unsignalled fences of @obj that @usage selects. The caller
 * owns the array and a reference to every fence in it, and releases them
 * with dma_fence_put() and kfree().
 *
 * Context: Process context, may sleep (GFP_KERNEL).
 * Return: 0 on success, -ENOMEM when out of memory, in which case
 * @num_fences is 0 and @fences NULL.
 */
int dma_resv_get_fences(struct dma_resv *obj, enum dma_resv_usage usage,
			unsigned int *num_fences, struct dma_fence ***fences)
{
	struct dma_fence **array = NULL;
	unsigned int n = 0, room = 0;
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			resv_put_array(array, n);
			n = 0;
			if (room < cursor.num_fences) {
				struct dma_fence **bigger;

				bigger = krealloc_array(array, cursor.num_fences,
							sizeof(*array),
							GFP_KERNEL);
				if (!bigger) {
					dma_resv_iter_end(&cursor);
					kfree(array);
					*num_fences = 0;
					*fences = NULL;
					return -ENOMEM;
				}
				array = bigger;
				room = cursor.num_fences;
			}
		}
		/* A pass returns at most num_fences fences: this fits. */
		array[n++] = dma_fence_get(fence);
	}
	/* The last step started over and found nothing: @obj is idle. */
	if (dma_resv_iter_is_restarted(&cursor)) {
		resv_put_array(array, n);
		n = 0;
	}
	dma_resv_iter_end(&cursor);

	if (!n) {
		kfree(array);
		array = NULL;
	}
	*num_fences = n;
	*fences = array;
	return 0;
}
EXPORT_SYMBOL_GPL(dma_resv_get_fences);

/**
 * dma_resv_get_singleton - one fence that stands for several
 * @obj: the reservation object; need not be locked
 * @usage: which fences to include, see &enum dma_resv_usage
 * @fence: set to the resulting fence, referenced, or to NULL
 *
 * With no unsignalled fence selected @fence is NULL, with one it is that
 * fence, and with more it is a new &struct dma_fence_array on a timeline
 * of its own that signals when all of them have signalled.
 *
 * The result must not be added back to @obj or to any reservation object
 * whose fences it contains: containers do not belong in a dma_resv, and a
 * fence array that ends up waiting on itself is never freed.
 *
 * Context: Process context, may sleep (GFP_KERNEL).
 * Return: 0 on success, -ENOMEM when out of memory.
 */
int dma_resv_get_singleton(struct dma_resv *obj, enum dma_resv_usage usage,
			   struct dma_fence **fence)
{
	struct dma_fence_array *array;
	struct dma_fence **fences;
	unsigned int count;
	int ret;

	*fence = NULL;

	ret = dma_resv_get_fences(obj, usage, &count, &fences);
	if (ret)
		return ret;

	if (count <= 1) {
		if (count)
			*fence = fences[0];
		kfree(fences);
		return 0;
	}

	array = dma_fence_array_create(count, fences,
				       dma_fence_context_alloc(1), 1, false);
	if (!array) {
		resv_put_array(fences, count);
		kfree(fences);
		return -ENOMEM;
	}

	*fence = &array->base;
	return 0;
}
EXPORT_SYMBOL_GPL(dma_resv_get_singleton);

/**
 * dma_resv_set_deadline - pass a deadline on to the fences of an object
 * @obj: the reservation object; need not be locked
 * @usage: which fences get the deadline, see &enum dma_resv_usage
 * @deadline: when the fences are needed, in CLOCK_MONOTONIC time
 *
 * Calls dma_fence_set_deadline() on every unsignalled fence selected.
 *
 * Context: Process context; may sleep only if the fence providers do.
 */
void dma_resv_set_deadline(struct dma_resv *obj, enum dma_resv_usage usage,
			   ktime_t deadline)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence)
		dma_fence_set_deadline(fence, deadline);
	dma_resv_iter_end(&cursor);
}
EXPORT_SYMBOL_GPL(dma_resv_set_deadline);

/**
 * dma_resv_wait_timeout - wait for the fences of an object
 * @obj: the reservation object; need not be locked
 * @usage: which fences to wait for, see &enum dma_resv_usage
 * @intr: whether a signal may end the wait
 * @timeout: longest time to wait in jiffies, MAX_SCHEDULE_TIMEOUT for no
 *	limit, or 0 to only test without waiting
 *
 * Context: Process context, may sleep. @obj may be locked by the caller,
 * but then the fences waited for must not need its lock to signal.
 * Return: the remaining jiffies (at least 1) once all selected fences
 * have signalled, 1 for a @timeout of 0 when nothing is pending, 0 when
 * the time ran out, or -ERESTARTSYS when @intr and a signal arrived.
 */
long dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage,
			   bool intr, unsigned long timeout)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	long left = timeout;
	long ret = timeout ? left : 1;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		ret = dma_fence_wait_timeout(fence, intr, left);
		if (ret <= 0)
			break;
		/* With no time to wait, a fence that made it returns 1. */
		if (left)
			left = ret;
	}
	dma_resv_iter_end(&cursor);

	return ret;
}
EXPORT_SYMBOL_GPL(dma_resv_wait_timeout);

/**
 * dma_resv_test_signaled - are all fences of an object signalled?
 * @obj: the reservation object; need not be locked
 * @usage: which fences to look at, see &enum dma_resv_usage
 *
 * Context: Any context that may call dma_fence_put().
 * Return: true if every fence selected by @usage has signalled, false if
 * at least one is still pending.
 */
bool dma_resv_test_signaled(struct dma_resv *obj, enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	bool idle;

	dma_resv_iter_begin(&cursor, obj, usage);
	idle = !dma_resv_iter_first_unlocked(&cursor);
	dma_resv_iter_end(&cursor);

	return idle;
}
EXPORT_SYMBOL_GPL(dma_resv_test_signaled);

/**
 * dma_resv_describe - print the fences of an object for debugfs
 * @obj: the reservation object, locked by the caller
 * @seq: where to print
 *
 * Prints one line per fence of usage READ or below, signalled or not:
 * its usage followed by dma_fence_describe()'s summary.
 *
 * Context: Process context with @obj locked.
 */
void dma_resv_describe(struct dma_resv *obj, struct seq_file *seq)
{
	static const char * const names[] = {
		[DMA_RESV_USAGE_KERNEL] = "kernel",
		[DMA_RESV_USAGE_WRITE] = "write",
		[DMA_RESV_USAGE_READ] = "read",
		[DMA_RESV_USAGE_BOOKKEEP] = "bookkeep",
	};
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_READ, fence) {
		seq_printf(seq, "\t%s fence:",
			   names[dma_resv_iter_usage(&cursor)]);
		dma_fence_describe(fence, seq);
	}
}
EXPORT_SYMBOL_GPL(dma_resv_describe);

#if IS_ENABLED(CONFIG_LOCKDEP)
/*
 * Teach lockdep at boot how reservation locks nest with memory management,
 * so that a driver taking them the wrong way round is reported the first
 * time it does, not only when two paths happen to race:
 *
 *   mmap_lock -> reservation lock -> fs_reclaim
 *             -> i_mmap_rwsem, mmu_notifier_invalidate_range_start
 *             -> waiting for a dma_fence
 *
 * Page faults on buffer mappings lock the buffer under mmap_lock; the
 * lock holder may allocate memory; reclaim (shrinkers, and MMU notifiers
 * on userptr buffers) may unmap buffers and wait for their fences. Since
 * __dma_fence_might_wait() is recorded inside reclaim, allocating with
 * GFP_KERNEL or taking a reservation lock inside a fence signalling
 * critical section (dma_fence_begin_signalling()) is reported as well.
 */

/* The reclaim end of the chain; called with a reservation lock held. */
static void __init resv_prime_reclaim(void)
{
	struct address_space mapping;

	/* The class of i_mmap_rwsem comes from this helper in fs/inode.c. */
	address_space_init_once(&mapping);

	fs_reclaim_acquire(GFP_KERNEL);

	/* Invalidating userptr buffers waits for their fences. */
#ifdef CONFIG_MMU_NOTIFIER
	lock_map_acquire(&__mmu_notifier_invalidate_range_start_map);
#endif
	__dma_fence_might_wait();
#ifdef CONFIG_MMU_NOTIFIER
	lock_map_release(&__mmu_notifier_invalidate_range_start_map);
#endif

	/* Shrinkers unmap the buffers they managed to trylock. */
	i_mmap_lock_write(&mapping);
	i_mmap_unlock_write(&mapping);

	fs_reclaim_release(GFP_KERNEL);
}

static int __init dma_resv_prime_lockdep(void)
{
	struct ww_acquire_ctx ctx;
	struct mm_struct *mm;
	struct dma_resv resv;

	/*
	 * A real mm, not init_mm: its mmap_lock has the lock class every
	 * process's mm gets from mm_alloc().
	 */
	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;

	dma_resv_init(&resv);
	mmap_read_lock(mm);

	ww_acquire_init(&ctx, &reservation_ww_class);
	/* Debug kernels may inject a back-off even without contention. */
	if (dma_resv_lock(&resv, &ctx) == -EDEADLK)
		dma_resv_lock_slow(&resv, &ctx);
	ww_acquire_done(&ctx);

	resv_prime_reclaim();

	dma_resv_unlock(&resv);
	ww_acquire_fini(&ctx);

	mmap_read_unlock(mm);
	dma_resv_fini(&resv);
	mmput(mm);

	return 0;
}
subsys_initcall(dma_resv_prime_lockdep);
#endif
