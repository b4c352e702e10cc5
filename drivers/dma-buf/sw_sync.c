// SPDX-License-Identifier: GPL-2.0-only
/*
 * sw_sync: software timelines for testing explicit synchronisation.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include "sync_debug.h"

#define CREATE_TRACE_POINTS
#include "sync_trace.h"

/**
 * DOC: sw_sync
 *
 * sw_sync lets userspace (and tests) produce fences that no hardware backs.
 * Each open of debugfs ``sync/sw_sync`` creates a timeline: a 32-bit counter
 * that starts at zero and is named after the opening task. Through ioctls on
 * that file descriptor the owner
 *
 * * creates fences with %SW_SYNC_IOC_CREATE_FENCE; each is a point on the
 *   timeline that signals once the counter reaches its value, and comes
 *   back as a sync_file descriptor. Asking twice for the same pending value
 *   yields two files sharing one fence;
 * * advances the counter with %SW_SYNC_IOC_INC, which signals every point
 *   reached. The counter wraps around: a point is reached when it is not
 *   ahead of the counter in the sense of __dma_fence_is_later();
 * * reads back, with %SW_SYNC_GET_DEADLINE, the earliest deadline that a
 *   consumer set on one of its fences with dma_fence_set_deadline().
 *
 * Closing the timeline's file signals all its pending points with -ENOENT.
 * Fences handed out stay valid after that and keep the timeline's memory
 * alive until the last of them is gone.
 *
 * Userspace decides when these fences signal, so a careless user can stall
 * any driver waiting on them; this is a debugging and validation tool only.
 * A typical test::
 *
 *	int tl = open("/sys/kernel/debug/sync/sw_sync", O_RDWR);
 *	struct sw_sync_create_fence_data data = { .value = 1 };
 *	__u32 step = 1;
 *
 *	ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &data);
 *	// hand data.fence to a driver, poll it, ...
 *	ioctl(tl, SW_SYNC_IOC_INC, &step);	// data.fence signals now
 *	close(data.fence);
 *	close(tl);
 */

/*
 * The ioctl interface. It is not part of the exported uapi headers;
 * userspace carries its own copy of these definitions.
 */

/**
 * struct sw_sync_create_fence_data - argument of %SW_SYNC_IOC_CREATE_FENCE
 * @value: timeline value at which the new fence signals
 * @name: name suggested by userspace; not used by the kernel
 * @fence: out: the O_CLOEXEC sync_file descriptor holding the fence
 */
struct sw_sync_create_fence_data {
	__u32	value;
	char	name[32];
	__s32	fence;
};

/**
 * struct sw_sync_get_deadline - argument of %SW_SYNC_GET_DEADLINE
 * @deadline_ns: out: earliest deadline set on the fence, in CLOCK_MONOTONIC
 *	nanoseconds; must be zero on input
 * @pad: must be zero
 * @fence_fd: in: a sync_file holding a fence of this timeline
 */
struct sw_sync_get_deadline {
	__u64	deadline_ns;
	__u32	pad;
	__s32	fence_fd;
};

#define SW_SYNC_IOC_MAGIC	'W'

#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC		_IOW(SW_SYNC_IOC_MAGIC, 1, __u32)
#define SW_SYNC_GET_DEADLINE \
	_IOWR(SW_SYNC_IOC_MAGIC, 2, struct sw_sync_get_deadline)

/* Provider bit in &dma_fence.flags: &sync_pt.deadline holds a value. */
#define SW_SYNC_HAS_DEADLINE_BIT	DMA_FENCE_FLAG_USER_BITS

/*
 * Provider bit in &dma_fence.flags: the point sits on its timeline's tree
 * and list. Changed only under the timeline lock; read without it by the
 * release hook, see sync_pt_release().
 */
#define SW_SYNC_LINKED_BIT		(DMA_FENCE_FLAG_USER_BITS + 1)

static const struct dma_fence_ops sync_pt_ops;

/*
 * fence_to_sync_pt - the &struct sync_pt around @fence, or NULL if @fence
 * was not created by sw_sync.
 */
static struct sync_pt *fence_to_sync_pt(struct dma_fence *fence)
{
	if (fence->ops != &sync_pt_ops)
		return NULL;
	return container_of(fence, struct sync_pt, base);
}

/*
 * sync_timeline_alloc - create a timeline at value 0, named @name, with one
 * reference for the caller, and register it with sync_debug.
 * Returns NULL when out of memory.
 */
static struct sync_timeline *sync_timeline_alloc(const char *name)
{
	struct sync_timeline *obj = kzalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj)
		return NULL;

	kref_init(&obj->kref);
	strscpy(obj->name, name, sizeof(obj->name));
	obj->context = dma_fence_context_alloc(1);
	obj->pt_tree = RB_ROOT;
	INIT_LIST_HEAD(&obj->pt_list);
	spin_lock_init(&obj->lock);

	sync_timeline_debug_add(obj);
	return obj;
}

/* kref release of a timeline: unregister it, then free it. */
static void sync_timeline_destroy(struct kref *kref)
{
	struct sync_timeline *obj =
		container_of(kref, struct sync_timeline, kref);

	/* Nothing may still hang off the timeline, see sync_timeline_close(). */
	WARN_ON_ONCE(!list_empty(&obj->pt_list));

	sync_timeline_debug_remove(obj);
	kfree(obj);
}

/*
 * sync_timeline_put - drop one timeline reference. The last one frees the
 * timeline. Any context; must not be called with @obj->lock held.
 */
static void sync_timeline_put(struct sync_timeline *obj)
{
	kref_put(&obj->kref, sync_timeline_destroy);
}

/*
 * sync_pt_reached - whether the timeline has got as far as @pt. Reads the
 * value without the lock: callers either hold it or, like the core's
 * &dma_fence_ops.signaled calls, only need an eventually correct answer.
 */
static bool sync_pt_reached(struct sync_timeline *obj, struct sync_pt *pt)
{
	u32 now = READ_ONCE(obj->value);

	return !__dma_fence_is_later(pt->base.seqno, now, pt->base.ops);
}

/*
 * sync_pt_unlink - take @pt off @obj's tree and list. Requires @obj->lock
 * and @pt to be linked.
 *
 * The bit is cleared last, with release ordering, so that a release hook
 * that sees it clear without taking the lock also sees the unlinking done.
 */
static void sync_pt_unlink(struct sync_timeline *obj, struct sync_pt *pt)
{
	lockdep_assert_held(&obj->lock);

	rb_erase(&pt->node, &obj->pt_tree);
	RB_CLEAR_NODE(&pt->node);
	list_del_init(&pt->link);
	clear_bit_unlock(SW_SYNC_LINKED_BIT, &pt->base.flags);
}

/*
 * sync_timeline_retire_first - remove the first pending point of @obj and,
 * unless it is already dying, signal it with @error (0 for success).
 *
 * Requires @obj->lock and a non-empty list. Returns the point with an
 * extra reference that the caller must drop after unlocking (callbacks of
 * the signal may have run, so the reference must not be dropped under the
 * lock), or NULL if the point's last reference was already gone; its
 * release hook then finds it unlinked and just frees it.
 */
static struct sync_pt *sync_timeline_retire_first(struct sync_timeline *obj,
						  int error)
{
	struct sync_pt *pt;
	bool early;

	lockdep_assert_held(&obj->lock);

	pt = list_first_entry(&obj->pt_list, struct sync_pt, link);
	sync_pt_unlink(obj, pt);
	if (!dma_fence_get_rcu(&pt->base))
		return NULL;

	/* Only a misbehaving outsider can have signalled a linked point. */
	early = test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &pt->base.flags);
	if (error && !WARN_ON_ONCE(early))
		dma_fence_set_error(&pt->base, error);
	dma_fence_signal_locked(&pt->base);
	return pt;
}

/*
 * sync_pt_put_batch - drop the references sync_timeline_retire_first()
 * handed out, collected on @batch through &sync_pt.link. Call without the
 * timeline lock.
 */
static void sync_pt_put_batch(struct list_head *batch)
{
	struct sync_pt *pt, *tmp;

	list_for_each_entry_safe(pt, tmp, batch, link) {
		list_del_init(&pt->link);
		dma_fence_put(&pt->base);
	}
}

/*
 * sync_timeline_advance - add @step (at most INT_MAX, so that no pending
 * point is jumped over under the wrap-around comparison) to the timeline
 * value and signal every point that is now reached. Process context,
 * without @obj->lock.
 */
static void sync_timeline_advance(struct sync_timeline *obj, u32 step)
{
	LIST_HEAD(batch);
	struct sync_pt *pt;

	spin_lock_irq(&obj->lock);
	trace_sync_timeline(obj);
	/* Unsigned arithmetic: the value wraps around by design. */
	WRITE_ONCE(obj->value, (u32)obj->value + step);

	while (!list_empty(&obj->pt_list)) {
		pt = list_first_entry(&obj->pt_list, struct sync_pt, link);
		if (!sync_pt_reached(obj, pt))
			break;
		pt = sync_timeline_retire_first(obj, 0);
		if (pt)
			list_add_tail(&pt->link, &batch);
	}
	spin_unlock_irq(&obj->lock);

	sync_pt_put_batch(&batch);
}

/*
 * sync_timeline_close - fail every pending point with -ENOENT. Used when the
 * timeline's file goes away: nobody can advance the timeline any more.
 * Process context, without @obj->lock.
 */
static void sync_timeline_close(struct sync_timeline *obj)
{
	LIST_HEAD(batch);
	struct sync_pt *pt;

	spin_lock_irq(&obj->lock);
	while (!list_empty(&obj->pt_list)) {
		pt = sync_timeline_retire_first(obj, -ENOENT);
		if (pt)
			list_add_tail(&pt->link, &batch);
	}
	spin_unlock_irq(&obj->lock);

	sync_pt_put_batch(&batch);
}

static const char *sync_pt_driver_name(struct dma_fence *fence)
{
	return "sw_sync";
}

static const char *sync_pt_timeline_name(struct dma_fence *fence)
{
	return dma_fence_parent(fence)->name;
}

/*
 * sync_pt_signaled - &dma_fence_ops.signaled: a point is signalled once the
 * timeline value has caught up with it.
 */
static bool sync_pt_signaled(struct dma_fence *fence)
{
	return sync_pt_reached(dma_fence_parent(fence),
			       container_of(fence, struct sync_pt, base));
}

/*
 * sync_pt_enable_signaling - nothing to arm: INC and close walk the list of
 * pending points whether or not anybody waits.
 */
static bool sync_pt_enable_signaling(struct dma_fence *fence)
{
	return true;
}

static void sync_pt_value_str(struct dma_fence *fence, char *str, int size)
{
	snprintf(str, size, "%llu", fence->seqno);
}

static void sync_pt_timeline_value_str(struct dma_fence *fence, char *str,
				       int size)
{
	snprintf(str, size, "%d", READ_ONCE(dma_fence_parent(fence)->value));
}

/*
 * sync_pt_set_deadline - &dma_fence_ops.set_deadline: remember the earliest
 * deadline ever requested, for SW_SYNC_GET_DEADLINE. Any context.
 */
static void sync_pt_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct sync_pt *pt = container_of(fence, struct sync_pt, base);
	unsigned long flags;

	spin_lock_irqsave(fence->lock, flags);
	if (!test_and_set_bit(SW_SYNC_HAS_DEADLINE_BIT, &fence->flags) ||
	    ktime_before(deadline, pt->deadline))
		pt->deadline = deadline;
	spin_unlock_irqrestore(fence->lock, flags);
}

/*
 * sync_pt_free_rcu - RCU callback freeing a point and dropping its timeline
 * reference. The timeline, whose name and lock the point uses, thus
 * outlives the grace period after the point's last reference, and any RCU
 * reader still looking at the point can use both.
 */
static void sync_pt_free_rcu(struct rcu_head *rcu)
{
	struct dma_fence *fence = container_of(rcu, struct dma_fence, rcu);
	struct sync_timeline *obj = dma_fence_parent(fence);

	kfree(container_of(fence, struct sync_pt, base));
	sync_timeline_put(obj);
}

/*
 * sync_pt_release - &dma_fence_ops.release: unlink the point if it is still
 * pending, then free it after a grace period.
 *
 * Signalled points were unlinked by whoever signalled them, so for them the
 * timeline lock is not needed; that matters because the last reference of
 * such a point may well be dropped by a fence callback running under that
 * very lock. A pending point needs the lock; the linked bit is re-checked
 * under it because INC or close may be unlinking the point concurrently
 * (they skip points whose last reference is already gone).
 */
static void sync_pt_release(struct dma_fence *fence)
{
	struct sync_timeline *obj = dma_fence_parent(fence);
	struct sync_pt *pt = container_of(fence, struct sync_pt, base);
	unsigned long flags;

	if (test_bit_acquire(SW_SYNC_LINKED_BIT, &fence->flags)) {
		spin_lock_irqsave(&obj->lock, flags);
		if (test_bit(SW_SYNC_LINKED_BIT, &fence->flags))
			sync_pt_unlink(obj, pt);
		spin_unlock_irqrestore(&obj->lock, flags);
	}

	call_rcu(&fence->rcu, sync_pt_free_rcu);
}

static const struct dma_fence_ops sync_pt_ops = {
	.get_driver_name = sync_pt_driver_name,
	.get_timeline_name = sync_pt_timeline_name,
	.enable_signaling = sync_pt_enable_signaling,
	.signaled = sync_pt_signaled,
	.release = sync_pt_release,
	.fence_value_str = sync_pt_value_str,
	.timeline_value_str = sync_pt_timeline_value_str,
	.set_deadline = sync_pt_set_deadline,
};

/*
 * sync_timeline_link_pt - insert the new, pending @pt into @obj's tree and
 * list, unless a live point with the same value is pending already.
 *
 * Requires @obj->lock. Returns NULL when @pt was linked, or the existing
 * point with a new reference; @pt is then left untouched for the caller to
 * dispose of.
 */
static struct sync_pt *sync_timeline_link_pt(struct sync_timeline *obj,
					     struct sync_pt *pt)
{
	struct rb_node **slot = &obj->pt_tree.rb_node;
	struct rb_node *parent = NULL;
	struct rb_node *next;

	lockdep_assert_held(&obj->lock);

	while (*slot) {
		struct sync_pt *other = rb_entry(*slot, struct sync_pt, node);
		/* Pending points lie within 2^31 of each other: no ambiguity. */
		s32 delta = (s32)((u32)pt->base.seqno - (u32)other->base.seqno);

		parent = *slot;
		if (delta > 0) {
			slot = &parent->rb_right;
		} else if (delta < 0 || !dma_fence_get_rcu(&other->base)) {
			/* Dying duplicates are skipped: they leave soon. */
			slot = &parent->rb_left;
		} else {
			return other;
		}
	}

	rb_link_node(&pt->node, parent, slot);
	rb_insert_color(&pt->node, &obj->pt_tree);

	/* The list follows the tree: go in front of the in-order successor. */
	next = rb_next(&pt->node);
	if (next)
		list_add_tail(&pt->link,
			      &rb_entry(next, struct sync_pt, node)->link);
	else
		list_add_tail(&pt->link, &obj->pt_list);
	set_bit(SW_SYNC_LINKED_BIT, &pt->base.flags);
	return NULL;
}

/*
 * sync_pt_get - a fence signalling when @obj reaches @value, with one
 * reference for the caller: a new point, or the pending point already
 * waiting for that value. A point at or behind the current value is
 * created signalled. Process context. Returns NULL when out of memory.
 */
static struct sync_pt *sync_pt_get(struct sync_timeline *obj, u32 value)
{
	struct sync_pt *pt, *existing = NULL;

	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt)
		return NULL;

	kref_get(&obj->kref);	/* dropped by sync_pt_free_rcu() */
	dma_fence_init(&pt->base, &sync_pt_ops, &obj->lock, obj->context,
		       value);
	INIT_LIST_HEAD(&pt->link);
	RB_CLEAR_NODE(&pt->node);

	spin_lock_irq(&obj->lock);
	if (sync_pt_reached(obj, pt))
		dma_fence_signal_locked(&pt->base);
	else
		existing = sync_timeline_link_pt(obj, pt);
	spin_unlock_irq(&obj->lock);

	if (existing) {
		/* Never published: this releases it without the lock. */
		dma_fence_put(&pt->base);
		return existing;
	}
	return pt;
}

/* open() of debugfs sync/sw_sync: a fresh timeline per file. */
static int sw_sync_debugfs_open(struct inode *inode, struct file *file)
{
	char comm[TASK_COMM_LEN];
	struct sync_timeline *obj;

	get_task_comm(comm, current);
	obj = sync_timeline_alloc(comm);
	if (!obj)
		return -ENOMEM;

	file->private_data = obj;
	return 0;
}

/*
 * release() of a timeline file: fail what is still pending and drop the
 * file's reference. Points still referenced elsewhere keep the timeline.
 */
static int sw_sync_debugfs_release(struct inode *inode, struct file *file)
{
	struct sync_timeline *obj = file->private_data;

	sync_timeline_close(obj);
	sync_timeline_put(obj);
	return 0;
}

/*
 * sw_sync_new_sync_file - a sync_file holding the fence for @value on @obj.
 * Process context. Returns NULL when out of memory; on success the
 * sync_file owns the only reference the caller got.
 */
static struct sync_file *sw_sync_new_sync_file(struct sync_timeline *obj,
					       u32 value)
{
	struct sync_file *sync_file;
	struct sync_pt *pt;

	pt = sync_pt_get(obj, value);
	if (!pt)
		return NULL;

	/* sync_file_create() takes a reference of its own when it succeeds. */
	sync_file = sync_file_create(&pt->base);
	dma_fence_put(&pt->base);
	return sync_file;
}

/*
 * sw_sync_ioctl_create_fence - SW_SYNC_IOC_CREATE_FENCE. The descriptor is
 * installed only once the result has reached userspace, so a failure at
 * any step leaves no descriptor and no fence behind.
 */
static long sw_sync_ioctl_create_fence(struct sync_timeline *obj,
				       void __user *uarg)
{
	struct sw_sync_create_fence_data data;
	struct sync_file *sync_file;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	err = -EFAULT;
	if (copy_from_user(&data, uarg, sizeof(data)))
		goto out_fd;

	err = -ENOMEM;
	sync_file = sw_sync_new_sync_file(obj, data.value);
	if (!sync_file)
		goto out_fd;

	data.fence = fd;
	err = -EFAULT;
	if (copy_to_user(uarg, &data, sizeof(data))) {
		/* Drops the fence, and with it the point if nobody shares it. */
		fput(sync_file->file);
		goto out_fd;
	}

	fd_install(fd, sync_file->file);
	return 0;

out_fd:
	put_unused_fd(fd);
	return err;
}

/*
 * sw_sync_ioctl_inc - SW_SYNC_IOC_INC. Larger increments are applied in
 * steps of INT_MAX so that the wrap-around comparison sees every point
 * passed on the way.
 */
static long sw_sync_ioctl_inc(struct sync_timeline *obj, void __user *uarg)
{
	u32 step;

	if (copy_from_user(&step, uarg, sizeof(step)))
		return -EFAULT;

	while (step > INT_MAX) {
		sync_timeline_advance(obj, INT_MAX);
		step -= INT_MAX;
	}
	sync_timeline_advance(obj, step);
	return 0;
}

/*
 * sw_sync_read_deadline - copy @fence's deadline into @ns if one was set.
 * @fence must be a sw_sync point, of any timeline: its lock is its own
 * timeline's. Returns 0 or -ENOENT.
 */
static int sw_sync_read_deadline(struct dma_fence *fence, u64 *ns)
{
	struct sync_pt *pt = container_of(fence, struct sync_pt, base);
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(fence->lock, flags);
	if (test_bit(SW_SYNC_HAS_DEADLINE_BIT, &fence->flags)) {
		*ns = ktime_to_ns(pt->deadline);
		ret = 0;
	}
	spin_unlock_irqrestore(fence->lock, flags);
	return ret;
}

/*
 * sw_sync_ioctl_get_deadline - SW_SYNC_GET_DEADLINE: report the earliest
 * deadline set on a sw_sync fence. As in 6.12, the fence may belong to any
 * sw_sync timeline, not only to the one the ioctl was issued on.
 */
static long sw_sync_ioctl_get_deadline(struct sync_timeline *obj,
				       void __user *uarg)
{
	struct sw_sync_get_deadline data;
	struct dma_fence *fence;
	int ret;

	if (copy_from_user(&data, uarg, sizeof(data)))
		return -EFAULT;
	if (data.deadline_ns || data.pad)
		return -EINVAL;

	fence = sync_file_get_fence(data.fence_fd);
	if (!fence)
		return -EINVAL;

	if (fence_to_sync_pt(fence))
		ret = sw_sync_read_deadline(fence, &data.deadline_ns);
	else
		ret = -EINVAL;
	dma_fence_put(fence);
	if (ret)
		return ret;

	if (copy_to_user(uarg, &data, sizeof(data)))
		return -EFAULT;
	return 0;
}

static long sw_sync_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct sync_timeline *obj = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SW_SYNC_IOC_CREATE_FENCE:
		return sw_sync_ioctl_create_fence(obj, uarg);
	case SW_SYNC_IOC_INC:
		return sw_sync_ioctl_inc(obj, uarg);
	case SW_SYNC_GET_DEADLINE:
		return sw_sync_ioctl_get_deadline(obj, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations sw_sync_debugfs_fops = {
	.owner		= THIS_MODULE,
	.open		= sw_sync_debugfs_open,
	.release	= sw_sync_debugfs_release,
	.unlocked_ioctl	= sw_sync_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
