// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_fence_array: one fence standing for a fixed set of fences.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/dma-fence-array.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>

/**
 * DOC: dma-fence-array overview
 *
 * A &struct dma_fence_array turns a set of fences into a single fence, so
 * that code which can only carry one fence (a sync_file, a reservation
 * object slot, a scheduler dependency) can carry all of them. By default
 * the array signals once every member has signalled; created with
 * @signal_on_any it signals as soon as the first member does. The first
 * error reported by a member before the array signals becomes the error of
 * the array.
 *
 * The array owns the pointer array passed in and one reference to each
 * member. Members must be plain fences: nest containers and operations on
 * them recurse, so flatten first with dma_fence_unwrap_merge().
 *
 * Typical use, waiting for two fences through one::
 *
 *	struct dma_fence **fences;
 *	struct dma_fence_array *array;
 *
 *	fences = kmalloc_array(2, sizeof(*fences), GFP_KERNEL);
 *	if (!fences)
 *		return -ENOMEM;
 *	fences[0] = dma_fence_get(a);
 *	fences[1] = dma_fence_get(b);
 *
 *	array = dma_fence_array_create(2, fences, dma_fence_context_alloc(1),
 *				       1, false);
 *	if (!array) {
 *		dma_fence_put(fences[0]);
 *		dma_fence_put(fences[1]);
 *		kfree(fences);
 *		return -ENOMEM;
 *	}
 *	// from here on the array owns fences[] and both references
 *	dma_fence_wait(&array->base, false);
 *	dma_fence_put(&array->base);
 *
 * Code that must not allocate when it builds the array (for example while
 * it is already committed to signalling a fence) allocates in advance with
 * dma_fence_array_alloc() and arms later with dma_fence_array_init().
 *
 * Signalling is lazy: callbacks on the members are only installed when
 * someone enables signalling on the array (waits on it, adds a callback).
 * Before that, dma_fence_is_signaled() on the array polls the members.
 */

/*
 * While the array has not signalled, base.error holds this positive marker
 * instead of 0. Member errors replace the marker with cmpxchg(), so the
 * first one wins; the marker is swapped for 0 ("sealed") when the array is
 * complete, after which no member can change the error any more. Nobody
 * outside looks at a fence's error before it has signalled, so the marker
 * is never seen.
 */
#define ARRAY_ERROR_OPEN 1

static const char *array_driver_name(struct dma_fence *fence)
{
	return "dma_fence_array";
}

static const char *array_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

/*
 * array_note_error - record a member's completion status in the array
 *
 * @error is the error of a member that has signalled; 0 is ignored. It
 * becomes the array's error only if no other member reported one first and
 * the array has not been sealed. Lock free; any context.
 */
static void array_note_error(struct dma_fence_array *array, int error)
{
	if (error)
		cmpxchg(&array->base.error, ARRAY_ERROR_OPEN, error);
}

/*
 * array_seal_error - freeze the array's error before it is signalled
 *
 * Called whenever the array is found to be complete, before it is marked
 * signalled. Idempotent; keeps an error already taken over from a member.
 */
static void array_seal_error(struct dma_fence_array *array)
{
	cmpxchg(&array->base.error, ARRAY_ERROR_OPEN, 0);
}

/*
 * array_member_done - account for one member that signalled
 *
 * Takes over the member's @error and counts it off @num_pending.
 * Return: true for the one caller whose member completes the array (the
 * count reaching exactly zero); that caller is responsible for getting the
 * array signalled. The error is sealed before returning true.
 *
 * atomic_dec_and_test() is fully ordered: the error noted just before is
 * visible to anyone who observes the decremented count (see
 * array_signaled()).
 */
static bool array_member_done(struct dma_fence_array *array, int error)
{
	array_note_error(array, error);

	if (!atomic_dec_and_test(&array->num_pending))
		return false;

	array_seal_error(array);
	return true;
}

/*
 * array_signal_work - signal a complete array from irq_work
 *
 * Queued by the member callback that completed the array; inherits that
 * callback's reference to the array and drops it here. The irq_work core
 * updates @work's flags once more after this returns, possibly after the
 * last reference is gone. That is safe because dma_fence_free() defers the
 * kfree() by an RCU grace period and irq_work runs in hard interrupt
 * context, which holds the grace period off. (On PREEMPT_RT irq_work runs
 * from a thread and this argument does not hold; upstream has the same
 * exposure.)
 */
static void array_signal_work(struct irq_work *work)
{
	struct dma_fence_array *array =
		container_of(work, struct dma_fence_array, work);

	dma_fence_signal(&array->base);
	dma_fence_put(&array->base);
}

/*
 * array_member_signaled - dma_fence_func_t installed on every member
 *
 * Runs with the member's lock held, holding the reference to the array
 * that was taken when the callback was installed. Signalling the array
 * from here would take the array's lock inside the member's lock, and the
 * array's own callbacks would run there too; instead the array is
 * signalled from irq_work, which consumes this callback's reference.
 */
static void array_member_signaled(struct dma_fence *member,
				  struct dma_fence_cb *cb)
{
	struct dma_fence_array_cb *slot =
		container_of(cb, struct dma_fence_array_cb, cb);
	struct dma_fence_array *array = slot->array;

	if (array_member_done(array, member->error))
		irq_work_queue(&array->work);
	else
		dma_fence_put(&array->base);
}

/*
 * array_enable_signaling - dma_fence_ops.enable_signaling
 *
 * Called by the fence core once, with the array's lock held. Installs a
 * callback on each member; each installed callback owns a reference to the
 * array, because the array can be signalled (and the core's reference to it
 * dropped) while callbacks on other members are still installed.
 * Return: false when the array turned out complete already, in which case
 * the core signals it; true when a callback will get it signalled.
 */
static bool array_enable_signaling(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	unsigned int i;

	if (atomic_read(&array->num_pending) <= 0) {
		/* Only an empty array gets here; see dma_fence_array_init(). */
		array_seal_error(array);
		return false;
	}

	for (i = 0; i < array->num_fences; i++) {
		struct dma_fence *member = array->fences[i];

		dma_fence_get(&array->base);
		if (!dma_fence_add_callback(member, &array->callbacks[i].cb,
					    array_member_signaled))
			continue;

		/* The member had signalled already: account for it here. */
		dma_fence_put(&array->base);
		if (array_member_done(array, member->error))
			return false;
	}

	return true;
}

/*
 * array_poll_members - tell whether an array without callbacks is complete
 *
 * Used before signalling is enabled. @pending is the number of members
 * that must have signalled. Takes over the errors of the members found
 * signalled on the way. (The upstream implementation ignores member errors
 * on this path and reports success; reporting them is the more useful and
 * the consistent choice, so this one does.)
 * Return: true if at least @pending members have signalled.
 */
static bool array_poll_members(struct dma_fence_array *array, int pending)
{
	unsigned int i;

	for (i = 0; i < array->num_fences && pending > 0; i++) {
		struct dma_fence *member = array->fences[i];

		if (!dma_fence_is_signaled(member))
			continue;

		array_note_error(array, member->error);
		pending--;
	}

	return pending <= 0;
}

/*
 * array_signaled - dma_fence_ops.signaled
 *
 * May be called with or without the array's lock held, concurrently with
 * enable_signaling and with member callbacks. Once signalling is enabled
 * the callbacks count @num_pending down and it is the truth; before that,
 * the members are polled.
 *
 * The count is read before the ENABLE_SIGNAL bit, with acquire semantics.
 * The core sets the bit (a fully ordered test_and_set_bit()) before
 * enable_signaling makes the first decrement, so a count that has already
 * been decremented is always paired with the bit seen set, and polling
 * always starts from the full, undecremented count.
 */
static bool array_signaled(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	int pending = atomic_read_acquire(&array->num_pending);
	bool complete;

	if (test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags))
		complete = pending <= 0;
	else
		complete = array_poll_members(array, pending);

	if (complete)
		array_seal_error(array);

	return complete;
}

/*
 * array_release - dma_fence_ops.release
 *
 * The last reference is gone, so no callback is installed any more (each
 * one owns a reference). Drops the member references and frees the array.
 */
static void array_release(struct dma_fence *fence)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	unsigned int i;

	for (i = 0; i < array->num_fences; i++)
		dma_fence_put(array->fences[i]);

	kfree(array->fences);
	dma_fence_free(fence);
}

/* dma_fence_ops.set_deadline: every member has to meet the deadline. */
static void array_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	unsigned int i;

	for (i = 0; i < array->num_fences; i++)
		dma_fence_set_deadline(array->fences[i], deadline);
}

/*
 * The operations of every fence array. Exported because
 * dma_fence_is_array() in the header recognises arrays by this address.
 */
const struct dma_fence_ops dma_fence_array_ops = {
	.get_driver_name = array_driver_name,
	.get_timeline_name = array_timeline_name,
	.enable_signaling = array_enable_signaling,
	.signaled = array_signaled,
	.release = array_release,
	.set_deadline = array_set_deadline,
};
EXPORT_SYMBOL(dma_fence_array_ops);

/**
 * dma_fence_array_alloc - allocate an array for later dma_fence_array_init()
 * @num_fences: number of members the array will hold
 *
 * The memory is zeroed and includes the per-member callback slots. Until
 * dma_fence_array_init() has been called it is not a fence yet and may be
 * released with kfree().
 *
 * Context: Process context, may sleep (GFP_KERNEL).
 * Return: the new array, or NULL when out of memory, when @num_fences is
 * negative, or when the array would exceed what one kmalloc gives
 * (%KMALLOC_MAX_SIZE bytes; refused without a report).
 */
struct dma_fence_array *dma_fence_array_alloc(int num_fences)
{
	struct dma_fence_array *array;

	size_t bytes;

	if (WARN_ON_ONCE(num_fences < 0))
		return NULL;

	/*
	 * The count may come from userspace (the fences of a buffer that
	 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE collects): more than one kmalloc
	 * can give fails quietly instead of making the page allocator warn.
	 */
	bytes = struct_size(array, callbacks, num_fences);
	if (bytes > KMALLOC_MAX_SIZE)
		return NULL;

	return kzalloc(bytes, GFP_KERNEL);
}
EXPORT_SYMBOL(dma_fence_array_alloc);

/**
 * dma_fence_array_init - turn preallocated memory into a fence array
 * @array: memory from dma_fence_array_alloc(@num_fences)
 * @num_fences: number of entries in @fences
 * @fences: the members, in an allocation that kfree() can release
 * @context: fence context of the array
 * @seqno: sequence number of the array within @context
 * @signal_on_any: signal when the first member signals, instead of the last
 *
 * Initialises @array as a fence. It takes ownership of @fences and of the
 * reference to each member held in it; all are released when the last
 * reference to the array is dropped. Does not allocate and cannot fail,
 * so it is usable where allocation is not allowed.
 *
 * Members must not be fence containers, and the array must not be empty;
 * either is a caller bug and warns. An empty array is signalled the first
 * time anybody looks at it.
 *
 * Context: Any context.
 */
void dma_fence_array_init(struct dma_fence_array *array, int num_fences,
			  struct dma_fence **fences, u64 context,
			  unsigned int seqno, bool signal_on_any)
{
	int needed;
	int i;

	if (WARN_ON_ONCE(num_fences <= 0 || !fences))
		num_fences = 0;

	/* __counted_by: the count must be set before callbacks[] is used. */
	array->num_fences = num_fences;
	array->fences = fences;

	spin_lock_init(&array->lock);
	dma_fence_init(&array->base, &dma_fence_array_ops, &array->lock,
		       context, seqno);
	init_irq_work(&array->work, array_signal_work);

	needed = signal_on_any ? min(num_fences, 1) : num_fences;
	atomic_set(&array->num_pending, needed);
	array->base.error = ARRAY_ERROR_OPEN;

	for (i = 0; i < num_fences; i++) {
		array->callbacks[i].array = array;
		/*
		 * A container as member would make every operation on the
		 * array recurse into it; callers must flatten instead.
		 */
		WARN_ON_ONCE(dma_fence_is_container(fences[i]));
	}
}
EXPORT_SYMBOL(dma_fence_array_init);

/**
 * dma_fence_array_create - allocate and initialise a fence array
 * @num_fences: number of entries in @fences
 * @fences: the members, in an allocation that kfree() can release
 * @context: fence context of the array
 * @seqno: sequence number of the array within @context
 * @signal_on_any: signal when the first member signals, instead of the last
 *
 * dma_fence_array_alloc() followed by dma_fence_array_init(); see there for
 * the rules on @fences. Ownership of @fences and of the member references
 * passes to the array only on success; on failure the caller still owns
 * both and must release them.
 *
 * Context: Process context, may sleep (GFP_KERNEL).
 * Return: the new array, or NULL when out of memory.
 */
struct dma_fence_array *dma_fence_array_create(int num_fences,
					       struct dma_fence **fences,
					       u64 context, unsigned int seqno,
					       bool signal_on_any)
{
	struct dma_fence_array *array = dma_fence_array_alloc(num_fences);

	if (array)
		dma_fence_array_init(array, num_fences, fences, context, seqno,
				     signal_on_any);

	return array;
}
EXPORT_SYMBOL(dma_fence_array_create);

/**
 * dma_fence_match_context - test whether a fence belongs to one context
 * @fence: a plain fence or a fence array
 * @context: the fence context to compare with
 *
 * For a fence array, every member is compared; containers are not
 * descended into any deeper.
 *
 * Context: Any context. The caller must hold a reference to @fence.
 * Return: true if @fence, or every member of the array @fence, is on
 * @context.
 */
bool dma_fence_match_context(struct dma_fence *fence, u64 context)
{
	struct dma_fence_array *array = to_dma_fence_array(fence);
	unsigned int i;

	if (!array)
		return fence->context == context;

	for (i = 0; i < array->num_fences; i++)
		if (array->fences[i]->context != context)
			return false;

	return true;
}
EXPORT_SYMBOL(dma_fence_match_context);

/**
 * dma_fence_array_first - start of dma_fence_array_for_each()
 * @head: a fence array, any other fence, or NULL
 *
 * Context: Any context. No reference is taken; the caller's reference to
 * @head keeps the result alive.
 * Return: the first member when @head is a fence array (NULL if it is
 * empty), @head itself for any other fence, NULL for NULL.
 */
struct dma_fence *dma_fence_array_first(struct dma_fence *head)
{
	struct dma_fence_array *array = to_dma_fence_array(head);

	if (!array)
		return head;

	return array->num_fences ? array->fences[0] : NULL;
}
EXPORT_SYMBOL(dma_fence_array_first);

/**
 * dma_fence_array_next - step of dma_fence_array_for_each()
 * @head: the fence passed to dma_fence_array_first()
 * @index: position of the member wanted
 *
 * Context: Any context. No reference is taken; the caller's reference to
 * @head keeps the result alive.
 * Return: member @index of the fence array @head, or NULL when @head is
 * not a fence array or has no such member.
 */
struct dma_fence *dma_fence_array_next(struct dma_fence *head,
				       unsigned int index)
{
	struct dma_fence_array *array = to_dma_fence_array(head);

	if (array && index < array->num_fences)
		return array->fences[index];

	return NULL;
}
EXPORT_SYMBOL(dma_fence_array_next);
