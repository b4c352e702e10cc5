// SPDX-License-Identifier: GPL-2.0-only
/*
 * sync_file: hands a dma_fence to userspace as a file descriptor and takes
 * it back, with the ioctls and poll() that such a descriptor supports.
 */

#include <linux/anon_inodes.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/dma-fence.h>
#include <linux/export.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/sync_file.h>

/**
 * DOC: sync_file overview
 *
 * A sync file is the form in which a &struct dma_fence crosses the
 * boundary between the kernel and userspace: an anonymous file that owns
 * one fence reference. A driver that starts some work returns such a
 * descriptor (an "out-fence"); userspace can poll() it, ask what it holds
 * (SYNC_IOC_FILE_INFO), merge it with others (SYNC_IOC_MERGE), attach a
 * deadline hint (SYNC_IOC_SET_DEADLINE), and pass it to another driver as
 * an "in-fence", which turns it back into a fence with
 * sync_file_get_fence() and waits for it before starting its own work.
 *
 * The fence of a sync file never changes. Merging creates a new sync file
 * whose fence is the flattened union of both inputs (see
 * dma_fence_unwrap_merge()); the inputs stay as they were.
 *
 * Handing out a fence, in an ioctl of a driver::
 *
 *	struct sync_file *sync_file;
 *	int fd;
 *
 *	fd = get_unused_fd_flags(O_CLOEXEC);
 *	if (fd < 0)
 *		return fd;
 *	sync_file = sync_file_create(job->done_fence);
 *	if (!sync_file) {
 *		put_unused_fd(fd);
 *		return -ENOMEM;
 *	}
 *	// From here on nothing may fail: fd_install() publishes the file.
 *	args->out_fence = fd;
 *	fd_install(fd, sync_file->file);
 *
 * Taking one in::
 *
 *	struct dma_fence *in = sync_file_get_fence(args->in_fence);
 *
 *	if (!in)
 *		return -EINVAL;
 *	err = my_job_add_dependency(job, in);	// consumes the reference
 *
 * Names of fences are only safe to read while the fence is unsignalled,
 * since a provider may free them once it has signalled. The sync file code
 * therefore reads them through dma_fence_driver_name() and
 * dma_fence_timeline_name() inside an RCU read-side section, and reports
 * placeholders for fences that have signalled.
 */

static const struct file_operations sync_file_fops;

/*
 * Wrap @fence in a new sync file, named @name when that is not NULL.
 * Consumes the caller's reference to @fence on success only; on failure
 * (NULL) the caller still owns it. The file is not installed anywhere: its
 * first holder is the caller, who publishes it with fd_install() or drops
 * it with fput().
 */
static struct sync_file *sync_file_wrap(struct dma_fence *fence,
					const char *name)
{
	struct sync_file *sync_file;
	struct file *file;

	sync_file = kzalloc(sizeof(*sync_file), GFP_KERNEL);
	if (!sync_file)
		return NULL;

	init_waitqueue_head(&sync_file->wq);
	/* Release may then remove the callback even if poll never ran. */
	INIT_LIST_HEAD(&sync_file->cb.node);
#ifdef CONFIG_DEBUG_FS
	INIT_LIST_HEAD(&sync_file->sync_file_list);
#endif
	if (name)
		strscpy(sync_file->user_name, name);
	sync_file->fence = fence;

	file = anon_inode_getfile("sync_file", &sync_file_fops, sync_file, 0);
	if (IS_ERR(file)) {
		kfree(sync_file);
		return NULL;
	}
	sync_file->file = file;
	return sync_file;
}

/**
 * sync_file_create() - wrap a fence in a new sync file
 * @fence: the fence; the sync file takes a reference of its own, the
 *	caller keeps its reference
 *
 * The new file is not yet reachable by userspace. Publish it with
 * fd_install(sync_file->file) once nothing else can fail, or drop it with
 * fput(sync_file->file), which also drops the fence reference.
 *
 * Context: Process context, may sleep (allocates with GFP_KERNEL).
 * Return: the new sync file, or NULL when out of memory or when @fence is
 * NULL (a driver bug, which also warns).
 */
struct sync_file *sync_file_create(struct dma_fence *fence)
{
	struct sync_file *sync_file;

	if (WARN_ON_ONCE(!fence))
		return NULL;

	sync_file = sync_file_wrap(dma_fence_get(fence), NULL);
	if (!sync_file)
		dma_fence_put(fence);
	return sync_file;
}
EXPORT_SYMBOL(sync_file_create);

/*
 * Return the sync file behind @file, or NULL when @file is NULL or some
 * other kind of file. Borrowed: valid while the caller holds @file.
 */
static struct sync_file *sync_file_of(struct file *file)
{
	if (!file || file->f_op != &sync_file_fops)
		return NULL;
	return file->private_data;
}

/**
 * sync_file_get_fence() - get the fence of a sync file descriptor
 * @fd: a descriptor of the calling task
 *
 * Context: Process context, may sleep.
 * Return: a new reference to the fence of the sync file open as @fd, which
 * the caller must drop with dma_fence_put(); NULL when @fd is not open or
 * is not a sync file.
 */
struct dma_fence *sync_file_get_fence(int fd)
{
	struct file *file = fget(fd);
	struct sync_file *sync_file = sync_file_of(file);
	struct dma_fence *fence = NULL;

	if (sync_file)
		fence = dma_fence_get(sync_file->fence);
	if (file)
		fput(file);
	return fence;
}
EXPORT_SYMBOL(sync_file_get_fence);

/**
 * sync_file_get_name() - describe a sync file in a short string
 * @sync_file: the sync file, which the caller keeps alive
 * @buf: where to write the name
 * @len: size of @buf in bytes
 *
 * The name is the one given in SYNC_IOC_MERGE if there was one, otherwise
 * "<driver>-<timeline><context>-<seqno>" made from the fence. Once the
 * fence has signalled, driver and timeline read "detached-driver" and
 * "signaled-timeline", since the provider may have freed its names by
 * then; the two are looked up one after the other, so a fence signalling
 * meanwhile may show one real name and one placeholder. The result is cut
 * to fit and always NUL-terminated when @len is positive; @buf is left
 * alone otherwise.
 *
 * Context: Any context; does not sleep.
 * Return: @buf.
 */
char *sync_file_get_name(struct sync_file *sync_file, char *buf, int len)
{
	struct dma_fence *fence = sync_file->fence;

	if (len <= 0)
		return buf;

	if (sync_file->user_name[0]) {
		strscpy(buf, sync_file->user_name, len);
		return buf;
	}

	/* The names are valid until the end of this read-side section. */
	rcu_read_lock();
	snprintf(buf, len, "%s-%s%llu-%llu", dma_fence_driver_name(fence),
		 dma_fence_timeline_name(fence), fence->context, fence->seqno);
	rcu_read_unlock();
	return buf;
}
EXPORT_SYMBOL(sync_file_get_name);

/*
 * Fence callback armed by the first poll(): wakes every poller. Runs with
 * the fence lock held, possibly in interrupt context.
 */
static void sync_file_fence_signalled(struct dma_fence *fence,
				      struct dma_fence_cb *cb)
{
	struct sync_file *sync_file = container_of(cb, struct sync_file, cb);

	wake_up_all(&sync_file->wq);
}

/*
 * Last reference to the file is gone. The fence callback, if armed, is
 * withdrawn first: dma_fence_remove_callback() returns only once a
 * concurrent run of it has finished, so the wait queue it touches can be
 * freed safely afterwards.
 */
static int sync_file_release(struct inode *inode, struct file *file)
{
	struct sync_file *sync_file = file->private_data;
	struct dma_fence *fence = sync_file->fence;

	if (test_bit(POLL_ENABLED, &sync_file->flags))
		dma_fence_remove_callback(fence, &sync_file->cb);
	kfree(sync_file);
	dma_fence_put(fence);
	return 0;
}

/*
 * Readable (EPOLLIN) once the fence has signalled, with or without error.
 * The fence callback costs the provider an interrupt or similar, so it is
 * only armed when someone polls, once per file. The poller registers on
 * the wait queue before the callback is armed and before the fence is
 * checked, so a signal that comes in between still wakes it.
 */
static __poll_t sync_file_poll(struct file *file, poll_table *wait)
{
	struct sync_file *sync_file = file->private_data;

	poll_wait(file, &sync_file->wq, wait);

	if (!test_and_set_bit(POLL_ENABLED, &sync_file->flags) &&
	    dma_fence_add_callback(sync_file->fence, &sync_file->cb,
				   sync_file_fence_signalled) < 0)
		wake_up_all(&sync_file->wq);	/* signalled already */

	return dma_fence_is_signaled(sync_file->fence) ? EPOLLIN : 0;
}

/*
 * SYNC_IOC_MERGE. The new descriptor becomes visible only after the result
 * has been copied out, so a failing copy leaves neither a descriptor nor a
 * file (and with it the merged fence) behind.
 */
static long sync_file_ioctl_merge(struct sync_file *sync_file,
				  void __user *uarg)
{
	struct sync_merge_data args;
	struct sync_file *merged, *other;
	struct dma_fence *fence;
	struct file *other_file;
	int fd;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;

	/*
	 * Both fields are reserved for extensions and must be zero: refusing
	 * anything else with EINVAL is deliberately strict (this interface
	 * promises nothing looser than 6.12 did), so that a later kernel can
	 * give them a meaning without old binaries tripping over it.
	 */
	if (args.flags || args.pad)
		return -EINVAL;

	other_file = fget(args.fd2);
	other = sync_file_of(other_file);
	if (!other) {
		if (other_file)
			fput(other_file);
		return -ENOENT;
	}

	fence = dma_fence_unwrap_merge(sync_file->fence, other->fence);
	fput(other_file);
	if (!fence)
		return -ENOMEM;

	/* Userspace need not terminate the name; cut it at the field end. */
	args.name[sizeof(args.name) - 1] = '\0';
	merged = sync_file_wrap(fence, args.name);
	if (!merged) {
		dma_fence_put(fence);
		return -ENOMEM;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		fput(merged->file);
		return fd;
	}

	args.fence = fd;
	if (copy_to_user(uarg, &args, sizeof(args))) {
		put_unused_fd(fd);
		fput(merged->file);
		return -EFAULT;
	}

	fd_install(fd, merged->file);
	return 0;
}

/*
 * Fold the status of one fence into the status of a whole sync file, which
 * starts at 1 and keeps the first member's status that is not success:
 * whichever of "pending" (0) and an error comes first in the file's order
 * is what the file reports, as 6.12 does.
 */
static int sync_file_fold_status(int so_far, int status)
{
	return so_far <= 0 ? so_far : status;
}

/*
 * Count the fences of @sync_file. A container only loses members it no
 * longer needs to report, so the count bounds any later walk.
 */
static u32 sync_file_count_fences(struct sync_file *sync_file)
{
	struct dma_fence_unwrap cursor;
	struct dma_fence *fence;
	u32 count = 0;

	dma_fence_unwrap_for_each(fence, &cursor, sync_file->fence)
		count++;
	return count;
}

/*
 * Fill @info for @fence, which the caller keeps alive. The names are
 * copied inside an RCU read-side section: a provider may free them once
 * the fence has signalled, and the helpers report placeholders from then
 * on. Reading them before the status means that an entry that says
 * "pending" always carries the real names.
 */
static void sync_file_describe_fence(struct dma_fence *fence,
				     struct sync_fence_info *info)
{
	rcu_read_lock();
	strscpy(info->obj_name, dma_fence_timeline_name(fence));
	strscpy(info->driver_name, dma_fence_driver_name(fence));
	rcu_read_unlock();

	info->status = dma_fence_get_status(fence);
	/* A non-zero status means signalled, so the timestamp is coming. */
	if (info->status)
		info->timestamp_ns = ktime_to_ns(dma_fence_timestamp(fence));
}

/*
 * Most records one SYNC_IOC_FILE_INFO reports: what fits in the largest
 * kmalloc, the limit of 6.12's implementation.
 */
#define SYNC_FILE_INFO_MAX	(KMALLOC_MAX_SIZE / sizeof(struct sync_fence_info))

/*
 * Describe at most @max fences of @sync_file into the user array @uinfos,
 * one entry at a time, and fold their states into *@status. Containers
 * only lose signalled members over time, never gain any, so @max from an
 * earlier count suffices; the bound is kept anyway. The count is chosen
 * by userspace (a merged file may hold any number of fences), so no
 * buffer sized by it is allocated: each entry goes through one on-stack
 * record. Stores the number written in *@written; returns 0 or -EFAULT.
 */
static int sync_file_describe_fences(struct sync_file *sync_file,
				     struct sync_fence_info __user *uinfos,
				     u32 max, u32 *written, int *status)
{
	struct sync_fence_info info;
	struct dma_fence_unwrap cursor;
	struct dma_fence *fence;
	int ret = 0;
	u32 n = 0;

	*status = 1;
	dma_fence_unwrap_for_each(fence, &cursor, sync_file->fence) {
		if (n == max) {
			/* Leaving the walk early: drop the cursor's hold. */
			dma_fence_put(cursor.chain);
			break;
		}
		memset(&info, 0, sizeof(info));
		sync_file_describe_fence(fence, &info);
		if (copy_to_user(&uinfos[n], &info, sizeof(info))) {
			dma_fence_put(cursor.chain);
			ret = -EFAULT;
			break;
		}
		*status = sync_file_fold_status(*status, info.status);
		n++;
	}
	*written = n;
	return ret;
}

/*
 * SYNC_IOC_FILE_INFO. With num_fences == 0 only the summary is reported
 * (name, count, and as status that of the file's own fence); otherwise the
 * array must have room for every fence (EINVAL), there must be at most
 * SYNC_FILE_INFO_MAX of them (ENOMEM), and the status is folded from the
 * members' as they are described.
 */
static long sync_file_ioctl_file_info(struct sync_file *sync_file,
				      void __user *uarg)
{
	struct sync_fence_info __user *uinfos;
	struct sync_file_info args;
	u32 count;
	int status;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.pad)
		return -EINVAL;

	count = sync_file_count_fences(sync_file);
	if (!args.num_fences) {
		status = dma_fence_get_status(sync_file->fence);
	} else {
		if (args.num_fences < count)
			return -EINVAL;
		/*
		 * 6.12 builds all records in one kmalloc'ed buffer, which
		 * fails beyond KMALLOC_MAX_SIZE; ours needs no buffer but
		 * keeps that limit and its ENOMEM, without the WARN.
		 */
		if (count > SYNC_FILE_INFO_MAX)
			return -ENOMEM;

		uinfos = u64_to_user_ptr(args.sync_fence_info);
		ret = sync_file_describe_fences(sync_file, uinfos, count,
						&count, &status);
		if (ret)
			return ret;
	}

	sync_file_get_name(sync_file, args.name, sizeof(args.name));
	args.status = status;
	args.num_fences = count;
	if (copy_to_user(uarg, &args, sizeof(args)))
		return -EFAULT;
	return 0;
}

/* SYNC_IOC_SET_DEADLINE: pass the hint on to every fence of the file. */
static long sync_file_ioctl_set_deadline(struct sync_file *sync_file,
					 void __user *uarg)
{
	struct sync_set_deadline args;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.pad)
		return -EINVAL;

	dma_fence_set_deadline(sync_file->fence, ns_to_ktime(args.deadline_ns));
	return 0;
}

/* Dispatch the ioctls of a sync file; unknown commands get ENOTTY. */
static long sync_file_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct sync_file *sync_file = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SYNC_IOC_MERGE:
		return sync_file_ioctl_merge(sync_file, uarg);
	case SYNC_IOC_FILE_INFO:
		return sync_file_ioctl_file_info(sync_file, uarg);
	case SYNC_IOC_SET_DEADLINE:
		return sync_file_ioctl_set_deadline(sync_file, uarg);
	default:
		return -ENOTTY;
	}
}

/* Every ioctl argument is a pointer, so compat only converts it. */
static const struct file_operations sync_file_fops = {
	.unlocked_ioctl	= sync_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= sync_file_poll,
	.release	= sync_file_release,
};
