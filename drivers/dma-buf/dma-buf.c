// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf: buffers shared between drivers and with userspace as files of
 * the dmabuf pseudo-filesystem.
 */

#include <kunit/visibility.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/pseudo_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <uapi/linux/dma-buf.h>
#include <uapi/linux/magic.h>

#include "dma-buf-internal.h"
#include "dma-buf-sysfs-stats.h"

#define CREATE_TRACE_POINTS
#include "dma-buf-trace.h"

/**
 * DOC: dma-buf overview
 *
 * A dma-buf is a buffer that one driver, the exporter, owns and lets
 * others use: other drivers (importers) that attach their devices and map
 * it, and userspace, which gets it as a file descriptor, passes it between
 * processes and hands it to other drivers' ioctls. Whoever holds the file
 * holds the buffer; the exporter's &dma_buf_ops.release runs when the last
 * reference is gone.
 *
 * An exporter wraps its buffer with dma_buf_export() and, to give it to
 * userspace, installs a descriptor with dma_buf_fd()::
 *
 *	DEFINE_DMA_BUF_EXPORT_INFO(info);
 *
 *	info.ops = &my_dmabuf_ops;
 *	info.size = obj->size;
 *	info.flags = O_RDWR;
 *	info.priv = obj;
 *	dmabuf = dma_buf_export(&info);
 *	if (IS_ERR(dmabuf))
 *		return PTR_ERR(dmabuf);
 *	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
 *	if (fd < 0)
 *		dma_buf_put(dmabuf);
 *
 * An importer turns a descriptor back into the buffer with dma_buf_get(),
 * attaches its device and maps it (see "dma-buf attachments"), and drops
 * its reference with dma_buf_put().
 *
 * Each buffer has a reservation object, its own or one the exporter
 * shares with its other objects. Its lock serialises mapping, pinning,
 * moving and kernel virtual mappings; its fences carry the implicit
 * synchronisation of the buffer.
 */

/**
 * DOC: dma-buf file interface
 *
 * The descriptor of a dma-buf supports:
 *
 * * close() and dup() like any file; the buffer lives as long as one of
 *   its descriptors, mappings or kernel references does.
 * * lseek() with offset 0 and %SEEK_END to learn the size (%SEEK_SET
 *   returns 0); any other use fails with EINVAL.
 * * mmap() when the exporter allows it, within the buffer. Accesses are
 *   bracketed with DMA_BUF_IOCTL_SYNC.
 * * poll() for the implicit fences: %EPOLLIN once no writer is pending,
 *   so that the buffer may be read, %EPOLLOUT once nobody is, so that it
 *   may be written.
 * * DMA_BUF_SET_NAME to give it a name for debugging, shown in fdinfo,
 *   in /sys/kernel/debug/dma_buf/bufinfo and in the link text of
 *   /proc/<pid>/fd/<n> ("/dmabuf:<name>").
 * * DMA_BUF_IOCTL_EXPORT_SYNC_FILE and DMA_BUF_IOCTL_IMPORT_SYNC_FILE to
 *   move between implicit and explicit synchronisation.
 *
 * /proc/<pid>/fdinfo/<n> shows the size, the number of file references,
 * the exporter's name and the buffer's name.
 */

/*
 * Private to this file: the buffer and the reservation object it uses when
 * the exporter provides none, allocated together.
 */
struct dma_buf_alloc {
	struct dma_buf dmabuf;
	struct dma_resv resv;
};

static struct vfsmount *dma_buf_mnt;
static atomic64_t dma_buf_next_ino = ATOMIC64_INIT(0);

#if IS_ENABLED(CONFIG_DEBUG_FS)
/*
 * Every live buffer, for bufinfo and dma_buf_iter_begin(); the lock is
 * taken before any reservation lock. A buffer is on the list from the end
 * of dma_buf_export() until its file's last reference is gone, so a file
 * reference taken under the lock keeps it there.
 */
static DEFINE_MUTEX(dma_buf_list_lock);
static LIST_HEAD(dma_buf_list);

static void dma_buf_list_add(struct dma_buf *dmabuf)
{
	mutex_lock(&dma_buf_list_lock);
	list_add_tail(&dmabuf->list_node, &dma_buf_list);
	mutex_unlock(&dma_buf_list_lock);
}

static void dma_buf_list_del(struct dma_buf *dmabuf)
{
	mutex_lock(&dma_buf_list_lock);
	list_del(&dmabuf->list_node);
	mutex_unlock(&dma_buf_list_lock);
}

/*
 * The first buffer from @pos on (the list head itself: from the start)
 * whose file still has references, with one more taken for the caller,
 * or NULL. Requires dma_buf_list_lock: a buffer whose last reference is
 * going stays listed, and its memory valid, until its release takes that
 * lock to unlink it.
 */
static struct dma_buf *dma_buf_list_get_from(struct list_head *pos)
{
	struct dma_buf *dmabuf;

	lockdep_assert_held(&dma_buf_list_lock);
	for (pos = pos->next; pos != &dma_buf_list; pos = pos->next) {
		dmabuf = list_entry(pos, struct dma_buf, list_node);
		if (get_file_active(&dmabuf->file))
			return dmabuf;
	}
	return NULL;
}

/**
 * dma_buf_iter_begin - start a walk over every live buffer
 *
 * For the BPF dma-buf iterator (as in mainline, which added both functions
 * in Linux 6.16): the walk sees every buffer exported and not yet released,
 * each one with a reference held, and none of the core's locks is held
 * between steps, so the caller may sleep and buffers may come and go
 * meanwhile. A buffer whose last reference is being dropped concurrently
 * is skipped. Continue with dma_buf_iter_next(); a walk stopped early
 * drops the reference of its current buffer with dma_buf_put().
 *
 * Context: Process context, may sleep; takes the core's buffer-list mutex,
 * so no reservation lock may be held.
 * Return: The first live buffer, with a reference the caller owns, or NULL
 * when there is none.
 */
struct dma_buf *dma_buf_iter_begin(void)
{
	struct dma_buf *dmabuf;

	mutex_lock(&dma_buf_list_lock);
	dmabuf = dma_buf_list_get_from(&dma_buf_list);
	mutex_unlock(&dma_buf_list_lock);
	return dmabuf;
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_iter_begin);

/**
 * dma_buf_iter_next - step a walk over every live buffer
 * @dmabuf: The current buffer, from dma_buf_iter_begin() or an earlier
 *	dma_buf_iter_next(); the walk's reference to it is dropped.
 *
 * Buffers exported after the walk passed their place in the list (new ones
 * go to its end) are seen; buffers released meanwhile are not.
 *
 * Context: Process context, may sleep; no reservation lock may be held.
 * Return: The next live buffer, with a reference the caller owns, or NULL
 * at the end of the walk.
 */
struct dma_buf *dma_buf_iter_next(struct dma_buf *dmabuf)
{
	struct dma_buf *next;

	/*
	 * The reference to @dmabuf keeps it listed while its successor is
	 * looked for; it is dropped only once the lock is released.
	 */
	mutex_lock(&dma_buf_list_lock);
	next = dma_buf_list_get_from(&dmabuf->list_node);
	mutex_unlock(&dma_buf_list_lock);
	dma_buf_put(dmabuf);
	return next;
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_iter_next);
#else
/* Without debugfs there is no list, as in 6.12, and no walk over it. */
static void dma_buf_list_add(struct dma_buf *dmabuf) { }
static void dma_buf_list_del(struct dma_buf *dmabuf) { }
#endif

static bool dma_buf_resv_is_embedded(struct dma_buf *dmabuf)
{
	return dmabuf->resv ==
	       &container_of(dmabuf, struct dma_buf_alloc, dmabuf)->resv;
}

/*
 * Copy the buffer's name into @buf (empty when it has none), consistently
 * against a concurrent DMA_BUF_SET_NAME.
 */
static void dma_buf_copy_name(struct dma_buf *dmabuf, char *buf, size_t len)
{
	buf[0] = '\0';
	spin_lock(&dmabuf->name_lock);
	if (dmabuf->name)
		strscpy(buf, dmabuf->name, len);
	spin_unlock(&dmabuf->name_lock);
}

/*
 * The dentry's name as /proc/<pid>/fd shows it. The dentry may outlive
 * the file (a d_path() in progress holds it), which is why the buffer is
 * only freed with the dentry.
 */
static char *dma_buf_dname(struct dentry *dentry, char *buffer, int buflen)
{
	struct dma_buf *dmabuf = dentry->d_fsdata;
	char name[DMA_BUF_NAME_LEN];

	name[0] = '\0';
	if (dmabuf)
		dma_buf_copy_name(dmabuf, name, sizeof(name));
	return dynamic_dname(buffer, buflen, "/%s:%s",
			     dentry->d_name.name, name);
}

/*
 * Last reference to the dentry, after the file's: free the buffer.
 * A dentry whose export failed half-way has no buffer attached.
 */
static void dma_buf_dentry_release(struct dentry *dentry)
{
	struct dma_buf *dmabuf = dentry->d_fsdata;

	if (!dmabuf)
		return;

	/* Each of these still holds a file reference when set up right. */
	WARN_ON_ONCE(dmabuf->vmapping_counter);
	WARN_ON_ONCE(dmabuf->cb_in.active || dmabuf->cb_out.active);
	WARN_ON_ONCE(!list_empty(&dmabuf->attachments));

	dma_buf_stats_teardown(dmabuf);
	dmabuf->ops->release(dmabuf);
	if (dma_buf_resv_is_embedded(dmabuf))
		dma_resv_fini(dmabuf->resv);
	module_put(dmabuf->owner);
	kfree(dmabuf->name);
	kfree(container_of(dmabuf, struct dma_buf_alloc, dmabuf));
}

static const struct dentry_operations dma_buf_dentry_ops = {
	.d_dname = dma_buf_dname,
	.d_release = dma_buf_dentry_release,
};

static int dma_buf_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, DMA_BUF_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->dops = &dma_buf_dentry_ops;
	return 0;
}

static struct file_system_type dma_buf_fs_type = {
	.name = "dmabuf",
	.init_fs_context = dma_buf_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int dma_buf_file_release(struct inode *inode, struct file *file)
{
	struct dma_buf *dmabuf = file->private_data;

	/* NULL when dma_buf_export() failed after creating the file. */
	if (dmabuf)
		dma_buf_list_del(dmabuf);
	return 0;
}

static int dma_buf_mmap_file(struct file *file, struct vm_area_struct *vma)
{
	struct dma_buf *dmabuf = file->private_data;
	unsigned long end;

	if (!dmabuf->ops->mmap)
		return -EINVAL;
	if (check_add_overflow(vma->vm_pgoff, vma_pages(vma), &end))
		return -EOVERFLOW;
	if (end > dmabuf->size >> PAGE_SHIFT)
		return -EINVAL;

	DMA_BUF_TRACE(dma_buf_mmap_internal, dmabuf);
	return dmabuf->ops->mmap(dmabuf, vma);
}

static loff_t dma_buf_llseek(struct file *file, loff_t offset, int whence)
{
	struct dma_buf *dmabuf = file->private_data;

	/* Only the size can be asked for; the position means nothing. */
	if (offset)
		return -EINVAL;
	if (whence == SEEK_END)
		return dmabuf->size;
	if (whence == SEEK_SET)
		return 0;
	return -EINVAL;
}

/**
 * DOC: dma-buf implicit fence polling
 *
 * poll() on a dma-buf reports %EPOLLIN when no %DMA_RESV_USAGE_WRITE
 * fence of its reservation object is pending and %EPOLLOUT when no fence
 * up to %DMA_RESV_USAGE_READ is. It does not wait for bookkeeping fences.
 *
 * Each direction owns one fence callback, &dma_buf.cb_in and
 * &dma_buf.cb_out. When a poller finds a pending fence it arms the
 * callback on it, and the callback wakes all pollers of the direction; the
 * next poll() looks again and arms on the next pending fence if there is
 * one. While a callback is armed the direction is reported as not ready
 * without looking at the fences, and the callback holds a reference to the
 * file, so a buffer cannot go away under it.
 */

/* Fence callback of a direction: wake the pollers, disarm, drop refs. */
static void dma_buf_poll_wake(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct dma_buf_poll_cb_t *dcb = container_of(cb, typeof(*dcb), cb);
	wait_queue_head_t *wq = dcb->poll;
	struct file *file = container_of(wq, struct dma_buf, poll)->file;
	unsigned long irqflags;
	__poll_t event;

	spin_lock_irqsave(&wq->lock, irqflags);
	event = dcb->active;
	dcb->active = 0;
	wake_up_locked_poll(wq, event);
	spin_unlock_irqrestore(&wq->lock, irqflags);

	/* The references dma_buf_poll_ready() handed to the callback. */
	dma_fence_put(fence);
	fput(file);
}

/*
 * Is direction @event ready? If not, make sure a callback will wake the
 * pollers when it may have become so.
 * Requires: reservation lock held, a file reference held by the caller.
 */
static bool dma_buf_poll_ready(struct dma_buf *dmabuf,
			       struct dma_buf_poll_cb_t *dcb,
			       enum dma_resv_usage usage, __poll_t event)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;

	spin_lock_irq(&dmabuf->poll.lock);
	if (dcb->active) {
		spin_unlock_irq(&dmabuf->poll.lock);
		return false;
	}
	dcb->active = event;
	spin_unlock_irq(&dmabuf->poll.lock);

	/* The callback owns this file reference and the fence's. */
	get_file(dmabuf->file);
	dma_resv_for_each_fence(&cursor, dmabuf->resv, usage, fence) {
		dma_fence_get(fence);
		if (!dma_fence_add_callback(fence, &dcb->cb, dma_buf_poll_wake))
			return false;
		dma_fence_put(fence);
	}

	/*
	 * Nothing pending. Another poller may have seen us armed and gone
	 * to sleep meanwhile: wake it while disarming.
	 */
	spin_lock_irq(&dmabuf->poll.lock);
	dcb->active = 0;
	wake_up_locked_poll(&dmabuf->poll, event);
	spin_unlock_irq(&dmabuf->poll.lock);
	fput(dmabuf->file);
	return true;
}

static __poll_t dma_buf_poll(struct file *file, poll_table *poll)
{
	struct dma_buf *dmabuf = file->private_data;
	__poll_t want, ready = 0;

	poll_wait(file, &dmabuf->poll, poll);

	want = poll_requested_events(poll) & (EPOLLIN | EPOLLOUT);
	if (!want)
		return 0;

	dma_resv_lock(dmabuf->resv, NULL);
	if ((want & EPOLLOUT) &&
	    dma_buf_poll_ready(dmabuf, &dmabuf->cb_out,
			       dma_resv_usage_rw(true), EPOLLOUT))
		ready |= EPOLLOUT;
	if ((want & EPOLLIN) &&
	    dma_buf_poll_ready(dmabuf, &dmabuf->cb_in,
			       dma_resv_usage_rw(false), EPOLLIN))
		ready |= EPOLLIN;
	dma_resv_unlock(dmabuf->resv);

	return ready;
}

/* DMA_BUF_SYNC_READ/WRITE bits to a DMA direction, DMA_NONE for none. */
static enum dma_data_direction dma_buf_sync_dir(u64 flags)
{
	switch (flags & DMA_BUF_SYNC_RW) {
	case DMA_BUF_SYNC_READ:
		return DMA_FROM_DEVICE;
	case DMA_BUF_SYNC_WRITE:
		return DMA_TO_DEVICE;
	case DMA_BUF_SYNC_RW:
		return DMA_BIDIRECTIONAL;
	default:
		return DMA_NONE;
	}
}

static long dma_buf_ioctl_sync(struct dma_buf *dmabuf,
			       const void __user *uarg)
{
	struct dma_buf_sync sync;
	enum dma_data_direction dir;

	if (copy_from_user(&sync, uarg, sizeof(sync)))
		return -EFAULT;
	if (sync.flags & ~DMA_BUF_SYNC_VALID_FLAGS_MASK)
		return -EINVAL;
	dir = dma_buf_sync_dir(sync.flags);
	if (dir == DMA_NONE)
		return -EINVAL;

	if (sync.flags & DMA_BUF_SYNC_END)
		return dma_buf_end_cpu_access(dmabuf, dir);
	return dma_buf_begin_cpu_access(dmabuf, dir);
}

/*
 * DMA_BUF_SET_NAME: replace the name; readers copy it under the same
 * lock, so they see the old or the new one, whole.
 */
static long dma_buf_set_name(struct dma_buf *dmabuf, const char __user *uname)
{
	const char *old;
	char *name;

	name = strndup_user(uname, DMA_BUF_NAME_LEN);
	if (IS_ERR(name))
		return PTR_ERR(name);

	spin_lock(&dmabuf->name_lock);
	old = dmabuf->name;
	dmabuf->name = name;
	spin_unlock(&dmabuf->name_lock);

	kfree(old);
	return 0;
}

#if IS_ENABLED(CONFIG_SYNC_FILE)
/* Flags of the sync_file ioctls: READ, WRITE or both, nothing else. */
static bool dma_buf_sync_file_flags_ok(u32 flags)
{
	return (flags & DMA_BUF_SYNC_RW) && !(flags & ~DMA_BUF_SYNC_RW);
}

static long dma_buf_export_sync_file(struct dma_buf *dmabuf,
				     void __user *uarg)
{
	struct dma_buf_export_sync_file arg;
	struct dma_fence *fence = NULL;
	struct sync_file *sync_file;
	enum dma_resv_usage usage;
	int fd, ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!dma_buf_sync_file_flags_ok(arg.flags))
		return -EINVAL;

	/* A reader waits for the writers, a writer for everybody. */
	usage = dma_resv_usage_rw(arg.flags & DMA_BUF_SYNC_WRITE);
	ret = dma_resv_get_singleton(dmabuf->resv, usage, &fence);
	if (ret)
		return ret;

	/* Nothing to wait for is expressed by an already signalled fence. */
	sync_file = sync_file_create(fence ?: dma_fence_get_stub());
	dma_fence_put(fence);
	if (!sync_file)
		return -ENOMEM;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_file;
	}

	/* Publish the descriptor only once the caller can learn it. */
	arg.fd = fd;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
		put_unused_fd(fd);
		goto err_file;
	}
	fd_install(fd, sync_file->file);
	return 0;

err_file:
	fput(sync_file->file);
	return ret;
}

static long dma_buf_import_sync_file(struct dma_buf *dmabuf,
				     const void __user *uarg)
{
	struct dma_buf_import_sync_file arg;
	struct dma_fence_unwrap iter;
	struct dma_fence *fence, *f;
	enum dma_resv_usage usage;
	unsigned int count = 0;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!dma_buf_sync_file_flags_ok(arg.flags))
		return -EINVAL;

	fence = sync_file_get_fence(arg.fd);
	if (!fence)
		return -EINVAL;

	usage = (arg.flags & DMA_BUF_SYNC_WRITE) ? DMA_RESV_USAGE_WRITE :
						   DMA_RESV_USAGE_READ;

	/* The reservation object holds plain fences, not containers. */
	dma_fence_unwrap_for_each(f, &iter, fence)
		count++;

	/*
	 * An empty sync file (every member already signalled and dropped)
	 * has nothing to add. The lock is not interruptible, as with 6.12:
	 * userspace never sees EINTR from this ioctl.
	 */
	ret = 0;
	if (count) {
		dma_resv_lock(dmabuf->resv, NULL);
		ret = dma_resv_reserve_fences(dmabuf->resv, count);
		if (!ret) {
			dma_fence_unwrap_for_each(f, &iter, fence)
				dma_resv_add_fence(dmabuf->resv, f, usage);
		}
		dma_resv_unlock(dmabuf->resv);
	}
	dma_fence_put(fence);
	return ret;
}
#endif

static long dma_buf_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct dma_buf *dmabuf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DMA_BUF_IOCTL_SYNC:
		return dma_buf_ioctl_sync(dmabuf, uarg);
	/* One of these is DMA_BUF_SET_NAME, depending on the word size. */
	case DMA_BUF_SET_NAME_A:
	case DMA_BUF_SET_NAME_B:
		return dma_buf_set_name(dmabuf, uarg);
#if IS_ENABLED(CONFIG_SYNC_FILE)
	case DMA_BUF_IOCTL_EXPORT_SYNC_FILE:
		return dma_buf_export_sync_file(dmabuf, uarg);
	case DMA_BUF_IOCTL_IMPORT_SYNC_FILE:
		return dma_buf_import_sync_file(dmabuf, uarg);
#endif
	default:
		return -ENOTTY;
	}
}

static void dma_buf_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct dma_buf *dmabuf = file->private_data;
	char name[DMA_BUF_NAME_LEN];

	dma_buf_copy_name(dmabuf, name, sizeof(name));

	seq_printf(m, "size:\t%zu\n", dmabuf->size);
	/* procfs holds a reference of its own while it shows this. */
	seq_printf(m, "count:\t%ld\n", file_count(dmabuf->file) - 1);
	seq_printf(m, "exp_name:\t%s\n", dmabuf->exp_name);
	if (name[0])
		seq_printf(m, "name:\t%s\n", name);
}

static const struct file_operations dma_buf_fops = {
	.release = dma_buf_file_release,
	.mmap = dma_buf_mmap_file,
	.llseek = dma_buf_llseek,
	.poll = dma_buf_poll,
	.unlocked_ioctl = dma_buf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = dma_buf_show_fdinfo,
};

/*
 * Is @file a dma-buf? Requires: a reference to @file.
 */
static bool is_dma_buf_file(struct file *file)
{
	return file->f_op == &dma_buf_fops;
}

/*
 * A new file of @size bytes on the dmabuf filesystem, opened with @flags.
 * Returns it with one reference, or an ERR_PTR().
 */
static struct file *dma_buf_new_file(size_t size, int flags)
{
	struct inode *inode;
	struct file *file;

	inode = alloc_anon_inode(dma_buf_mnt->mnt_sb);
	if (IS_ERR(inode))
		return ERR_CAST(inode);

	inode->i_size = size;
	inode_set_bytes(inode, size);
	/* Unique for the whole uptime: sysfs statistics are named by it. */
	inode->i_ino = atomic64_inc_return(&dma_buf_next_ino);

	file = alloc_file_pseudo(inode, dma_buf_mnt, "dmabuf", flags,
				 &dma_buf_fops);
	if (IS_ERR(file)) {
		iput(inode);
		return file;
	}
	file->f_flags = flags & (O_ACCMODE | O_NONBLOCK);
	return file;
}

/* Does @ops describe a usable exporter? Warns about the first flaw. */
static bool dma_buf_ops_valid(const struct dma_buf_ops *ops)
{
	if (WARN_ON(!ops || !ops->map_dma_buf || !ops->unmap_dma_buf ||
		    !ops->release))
		return false;
	/* A cached mapping would keep a movable buffer pinned forever. */
	if (WARN_ON(ops->cache_sgt_mapping && (ops->pin || ops->unpin)))
		return false;
	if (WARN_ON(!ops->pin != !ops->unpin))
		return false;
	/*
	 * Device access: the exporter's own hooks or the core's fallback,
	 * never one of each for the two halves of a bracket.
	 */
	if (WARN_ON(!ops->begin_access != !ops->end_access))
		return false;
	return true;
}

/**
 * dma_buf_export - make a buffer shareable
 * @exp_info: What the buffer is: its operations, size, file flags, private
 *	data, and optionally a reservation object to share. Declare it with
 *	DEFINE_DMA_BUF_EXPORT_INFO().
 *
 * Creates the &struct dma_buf and its file, and takes a reference to the
 * exporting module for the buffer's lifetime. The caller owns the one
 * reference: it passes it on with dma_buf_fd() or drops it with
 * dma_buf_put(), which ends in &dma_buf_ops.release.
 *
 * Context: Process context, may sleep.
 * Return: The buffer, or an ERR_PTR(): -EINVAL for a malformed
 * @exp_info, -ENOENT when the exporting module is going away, -ENOMEM,
 * or another error of the file creation.
 */
struct dma_buf *dma_buf_export(const struct dma_buf_export_info *exp_info)
{
	struct dma_buf_alloc *alloc;
	struct dma_buf *dmabuf;
	struct file *file;
	int ret;

	if (WARN_ON(!exp_info || !exp_info->priv) ||
	    !dma_buf_ops_valid(exp_info->ops))
		return ERR_PTR(-EINVAL);

	if (!try_module_get(exp_info->owner))
		return ERR_PTR(-ENOENT);

	alloc = kzalloc(sizeof(*alloc), GFP_KERNEL);
	if (!alloc) {
		ret = -ENOMEM;
		goto err_module;
	}
	dmabuf = &alloc->dmabuf;
	dmabuf->size = exp_info->size;
	dmabuf->ops = exp_info->ops;
	dmabuf->owner = exp_info->owner;
	dmabuf->exp_name = exp_info->exp_name;
	dmabuf->priv = exp_info->priv;
	INIT_LIST_HEAD(&dmabuf->attachments);
	spin_lock_init(&dmabuf->name_lock);
	init_waitqueue_head(&dmabuf->poll);
	dmabuf->cb_in.poll = &dmabuf->poll;
	dmabuf->cb_out.poll = &dmabuf->poll;
	if (exp_info->resv) {
		dmabuf->resv = exp_info->resv;
	} else {
		dmabuf->resv = &alloc->resv;
		dma_resv_init(dmabuf->resv);
	}

	file = dma_buf_new_file(exp_info->size, exp_info->flags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_free;
	}
	dmabuf->file = file;

	ret = dma_buf_stats_setup(dmabuf, file);
	if (ret)
		goto err_file;

	/* From here on, the last fput() frees the buffer. */
	file->private_data = dmabuf;
	file->f_path.dentry->d_fsdata = dmabuf;
	dma_buf_list_add(dmabuf);

	DMA_BUF_TRACE(dma_buf_export, dmabuf);
	return dmabuf;

err_file:
	/* Neither the file nor its dentry point at the buffer yet. */
	dma_buf_stats_teardown(dmabuf);
	fput(file);
err_free:
	if (dma_buf_resv_is_embedded(dmabuf))
		dma_resv_fini(dmabuf->resv);
	kfree(alloc);
err_module:
	module_put(exp_info->owner);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_export, DMA_BUF);

/**
 * dma_buf_get - the buffer behind a file descriptor
 * @fd: A descriptor of the calling process.
 *
 * Takes a reference; drop it with dma_buf_put().
 *
 * Context: Process context.
 * Return: The buffer, ERR_PTR(-EBADF) when @fd is not open, or
 * ERR_PTR(-EINVAL) when it is not a dma-buf.
 */
struct dma_buf *dma_buf_get(int fd)
{
	struct file *file = fget(fd);
	struct dma_buf *dmabuf;

	if (file && is_dma_buf_file(file)) {
		dmabuf = file->private_data;
		DMA_BUF_TRACE(dma_buf_get, dmabuf, fd);
		return dmabuf;
	}
	if (!file)
		return ERR_PTR(-EBADF);
	fput(file);
	return ERR_PTR(-EINVAL);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_get, DMA_BUF);

/**
 * dma_buf_put - drop a reference to a buffer
 * @dmabuf: The buffer.
 *
 * The buffer is released (&dma_buf_ops.release) once its last reference,
 * descriptor and mapping are gone; that may happen later, when the file
 * layer gets to it.
 *
 * Context: Any context where fput() may be called.
 */
void dma_buf_put(struct dma_buf *dmabuf)
{
	if (WARN_ON(!dmabuf || !dmabuf->file))
		return;

	/* Before the reference goes: it may be the last one. */
	DMA_BUF_TRACE(dma_buf_put, dmabuf);
	/* The file's reference count is the buffer's. */
	fput(dmabuf->file);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_put, DMA_BUF);

/**
 * dma_buf_fd - give a buffer a file descriptor
 * @dmabuf: The buffer; the caller's reference moves to the descriptor.
 * @flags: Descriptor flags such as O_CLOEXEC.
 *
 * On failure the caller keeps its reference.
 *
 * Context: Process context.
 * Return: The descriptor, -EINVAL for a bad @dmabuf, or the error of
 * get_unused_fd_flags() (-EMFILE).
 */
int dma_buf_fd(struct dma_buf *dmabuf, int flags)
{
	int fd = -EINVAL;

	if (dmabuf && dmabuf->file) {
		fd = get_unused_fd_flags(flags);
		if (fd >= 0) {
			/*
			 * Before the install: once installed, another thread
			 * may close the descriptor and free the buffer.
			 */
			DMA_BUF_TRACE(dma_buf_fd, dmabuf, fd);
			fd_install(fd, dmabuf->file);
		}
	}
	return fd;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_fd, DMA_BUF);

#ifdef CONFIG_DEBUG_FS
/* One buffer of bufinfo. Requires: dma_buf_list_lock and the resv lock. */
static void dma_buf_describe(struct seq_file *s, struct dma_buf *dmabuf)
{
	struct dma_buf_attachment *attach;
	char name[DMA_BUF_NAME_LEN];
	unsigned int n = 0;

	dma_buf_copy_name(dmabuf, name, sizeof(name));
	seq_printf(s, "%08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s\n",
		   dmabuf->size, dmabuf->file->f_flags, dmabuf->file->f_mode,
		   file_count(dmabuf->file), dmabuf->exp_name,
		   file_inode(dmabuf->file)->i_ino,
		   name[0] ? name : "<none>");
	dma_resv_describe(dmabuf->resv, s);

	/* 6.12's lines, byte for byte: tools parse them. */
	seq_puts(s, "\tAttached Devices:\n");
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		seq_printf(s, "\t%s\n", dev_name(attach->dev));
		n++;
	}
	seq_printf(s, "Total %u devices attached\n\n", n);
}

static int dma_buf_bufinfo_show(struct seq_file *s, void *unused)
{
	struct dma_buf *dmabuf;
	size_t bytes = 0;
	int ret, n = 0;

	ret = mutex_lock_interruptible(&dma_buf_list_lock);
	if (ret)
		return ret;

	seq_puts(s, "\nDma-buf Objects:\n");
	seq_puts(s, "size    \tflags   \tmode    \tcount   \texp_name\tino     \tname\n");
	list_for_each_entry(dmabuf, &dma_buf_list, list_node) {
		ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
		if (ret)
			goto out;
		dma_buf_describe(s, dmabuf);
		dma_resv_unlock(dmabuf->resv);
		bytes += dmabuf->size;
		n++;
	}
	seq_printf(s, "\nTotal %d objects, %zu bytes\n", n, bytes);
out:
	mutex_unlock(&dma_buf_list_lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(dma_buf_bufinfo);

static void dma_buf_init_debugfs(void)
{
	struct dentry *dir = debugfs_create_dir("dma_buf", NULL);

	debugfs_create_file("bufinfo", 0444, dir, NULL, &dma_buf_bufinfo_fops);
}
#else
static void dma_buf_init_debugfs(void) { }
#endif

static int __init dma_buf_init(void)
{
	int ret;

	ret = dma_buf_init_sysfs_statistics();
	if (ret)
		return ret;

	dma_buf_mnt = kern_mount(&dma_buf_fs_type);
	if (IS_ERR(dma_buf_mnt)) {
		dma_buf_uninit_sysfs_statistics();
		return PTR_ERR(dma_buf_mnt);
	}

	dma_buf_init_debugfs();
	return 0;
}
subsys_initcall(dma_buf_init);
