// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite "sw-sync": the sw_sync debugfs timeline and sync/info.
 */

#include <kunit/test.h>
#include <linux/debugfs.h>
#include <linux/dma-fence.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include "../sync_debug.h"
#include "dmabuf-helpers.h"
#include "fence-helpers.h"

/**
 * DOC: sw-sync KUnit suite
 *
 * The suite drives sw_sync exactly as userspace does: it opens
 * ``sync/sw_sync`` and ``sync/info`` on a private mount of debugfs (the
 * suite runs before anything is mounted), passes ioctl arguments through
 * user memory from kunit_vm_mmap(), and gets sync_file descriptors in the
 * test thread's file table. The timeline behind an open file is its
 * &file.private_data, which lets the cases check the timeline's value,
 * pending list and reference count exactly::
 *
 *	struct file *tl = sws_open_timeline(test);
 *	int fd = sws_create(test, tl, 5);
 *
 *	sws_inc(test, tl, 5);		// the fence behind fd signals
 *	close_fd_now(fd);
 *	__fput_sync(tl);
 *
 * A kernel thread's last fput() would release the file from a work item,
 * so the cases drop files with __fput_sync() and descriptors with
 * close_fd_now(), whose release has run on return. Fence memory and the
 * timeline references it holds go away one RCU grace period after the
 * last put, so reference counts are read after rcu_barrier().
 */

/* The ioctl ABI, kept private by sw_sync.c just as in upstream. */
struct sws_create_arg {
	__u32	value;
	char	name[32];
	__s32	fence;
};

struct sws_deadline_arg {
	__u64	deadline_ns;
	__u32	pad;
	__s32	fence_fd;
};

#define SWS_IOC_CREATE_FENCE	_IOWR('W', 0, struct sws_create_arg)
#define SWS_IOC_INC		_IOW('W', 1, __u32)
#define SWS_IOC_GET_DEADLINE	_IOWR('W', 2, struct sws_deadline_arg)

/* Per-case state: the debugfs mount and one page of user memory. */
struct sws_ctx {
	struct vfsmount *mnt;
	void __user *ubuf;
};

/* Case init: mount debugfs privately and map a page of user memory. */
static int sws_init(struct kunit *test)
{
	struct file_system_type *type;
	struct sws_ctx *ctx;
	unsigned long addr;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;

	type = get_fs_type("debugfs");
	if (!type)
		return -ENODEV;
	ctx->mnt = kern_mount(type);
	module_put(type->owner);
	if (IS_ERR(ctx->mnt))
		return PTR_ERR(ctx->mnt);

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(addr) || !addr) {
		kern_unmount(ctx->mnt);
		return -ENOMEM;
	}
	ctx->ubuf = (void __user *)addr;
	test->priv = ctx;
	return 0;
}

static void sws_exit(struct kunit *test)
{
	struct sws_ctx *ctx = test->priv;

	kern_unmount(ctx->mnt);
}

/* Open @path below the debugfs mount; fails the case on error. */
static struct file *sws_open(struct kunit *test, const char *path, int flags)
{
	struct sws_ctx *ctx = test->priv;
	struct file *file;

	file = file_open_root_mnt(ctx->mnt, path, flags, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "open %s: %ld", path,
			       PTR_ERR(file));
	return file;
}

/* A new timeline, as if userspace opened sync/sw_sync. */
static struct file *sws_open_timeline(struct kunit *test)
{
	return sws_open(test, "sync/sw_sync", O_RDWR);
}

static struct sync_timeline *sws_timeline(struct file *tl)
{
	return tl->private_data;
}

static long sws_ioctl(struct file *tl, unsigned int cmd, void __user *arg)
{
	return tl->f_op->unlocked_ioctl(tl, cmd, (unsigned long)arg);
}

/* SW_SYNC_IOC_CREATE_FENCE at @value; returns the new descriptor. */
static int sws_create(struct kunit *test, struct file *tl, u32 value)
{
	struct sws_ctx *ctx = test->priv;
	struct sws_create_arg arg = { .value = value, .fence = -1 };

	strscpy(arg.name, "kunit-pt", sizeof(arg.name));
	KUNIT_ASSERT_EQ(test, copy_to_user(ctx->ubuf, &arg, sizeof(arg)), 0);
	KUNIT_ASSERT_EQ(test, sws_ioctl(tl, SWS_IOC_CREATE_FENCE, ctx->ubuf),
			0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&arg, ctx->ubuf, sizeof(arg)), 0);
	KUNIT_ASSERT_GE(test, arg.fence, 0);
	return arg.fence;
}

/* SW_SYNC_IOC_INC by @step, which must succeed. */
static void sws_inc(struct kunit *test, struct file *tl, u32 step)
{
	struct sws_ctx *ctx = test->priv;

	KUNIT_ASSERT_EQ(test, put_user(step, (u32 __user *)ctx->ubuf), 0);
	KUNIT_ASSERT_EQ(test, sws_ioctl(tl, SWS_IOC_INC, ctx->ubuf), 0);
}

/* SW_SYNC_GET_DEADLINE; returns the ioctl result, the deadline in @ns. */
static long sws_get_deadline(struct kunit *test, struct file *tl, int fd,
			     u64 ns_in, u32 pad, u64 *ns)
{
	struct sws_ctx *ctx = test->priv;
	struct sws_deadline_arg arg = {
		.deadline_ns = ns_in, .pad = pad, .fence_fd = fd,
	};
	long ret;

	KUNIT_ASSERT_EQ(test, copy_to_user(ctx->ubuf, &arg, sizeof(arg)), 0);
	ret = sws_ioctl(tl, SWS_IOC_GET_DEADLINE, ctx->ubuf);
	KUNIT_ASSERT_EQ(test, copy_from_user(&arg, ctx->ubuf, sizeof(arg)), 0);
	*ns = arg.deadline_ns;
	return ret;
}

/* The fence behind descriptor @fd, with a reference for the caller. */
static struct dma_fence *sws_fence(struct kunit *test, int fd)
{
	struct dma_fence *fence = sync_file_get_fence(fd);

	KUNIT_ASSERT_NOT_NULL(test, fence);
	return fence;
}

/* Whether @fence signalled, without giving &dma_fence_ops.signaled a go. */
static bool sws_signalled(struct dma_fence *fence)
{
	return test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags);
}

static unsigned int sws_pending(struct sync_timeline *obj)
{
	struct sync_pt *pt;
	unsigned int n = 0;

	spin_lock_irq(&obj->lock);
	list_for_each_entry(pt, &obj->pt_list, link)
		n++;
	spin_unlock_irq(&obj->lock);
	return n;
}

/* Timeline reference count once freed points have dropped theirs. */
static unsigned int sws_timeline_refs(struct sync_timeline *obj)
{
	rcu_barrier();
	return kref_read(&obj->kref);
}

/*
 * The lowest free descriptor number. Used before and after a failing
 * ioctl to show that it left no descriptor installed or reserved.
 */
static int sws_next_fd(struct kunit *test)
{
	int fd = get_unused_fd_flags(0);

	KUNIT_ASSERT_GE(test, fd, 0);
	put_unused_fd(fd);
	return fd;
}

#define SWS_INFO_SIZE	(16 * PAGE_SIZE)

/*
 * sws_info_fill - read sync/info below @mnt into @buf (SWS_INFO_SIZE bytes)
 * and NUL-terminate it. Usable from any kernel thread. Returns 0 or a
 * negative errno.
 */
static int sws_info_fill(struct vfsmount *mnt, char *buf)
{
	struct file *info;
	size_t len = 0;
	loff_t pos = 0;
	ssize_t n;

	info = file_open_root_mnt(mnt, "sync/info", O_RDONLY, 0);
	if (IS_ERR(info))
		return PTR_ERR(info);
	do {
		n = kernel_read(info, buf + len, SWS_INFO_SIZE - 1 - len, &pos);
		if (n > 0)
			len += n;
	} while (n > 0 && len < SWS_INFO_SIZE - 1);
	__fput_sync(info);
	buf[len] = '\0';
	return n < 0 ? n : 0;
}

/* The text of sync/info, NUL-terminated, freed with the case. */
static char *sws_read_info(struct kunit *test)
{
	struct sws_ctx *ctx = test->priv;
	char *buf;

	buf = kunit_kzalloc(test, SWS_INFO_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, sws_info_fill(ctx->mnt, buf), 0);
	return buf;
}

/* Whether descriptor @fd of this thread is close-on-exec. */
static bool sws_cloexec(int fd)
{
	bool set;

	rcu_read_lock();
	set = close_on_exec(fd, current->files);
	rcu_read_unlock();
	return set;
}

/* The timeline name sw_sync gives to timelines opened by this thread. */
#define sws_own_name(name)	get_task_comm(name, current)

/* Creating at or behind the current value gives a signalled fence. */
static void sws_create_signalled(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	struct dma_fence *f0, *f3;
	int fd0, fd3;

	KUNIT_EXPECT_EQ(test, obj->value, 0);
	KUNIT_EXPECT_EQ(test, kref_read(&obj->kref), 1);

	fd0 = sws_create(test, tl, 0);
	fd3 = sws_create(test, tl, 3);
	KUNIT_EXPECT_NE(test, fd0, fd3);
	KUNIT_EXPECT_TRUE(test, sws_cloexec(fd0));
	f0 = sws_fence(test, fd0);
	f3 = sws_fence(test, fd3);

	KUNIT_EXPECT_TRUE(test, sws_signalled(f0));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f0), 1);
	KUNIT_EXPECT_FALSE(test, sws_signalled(f3));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f3), 0);
	KUNIT_EXPECT_EQ(test, f0->context, f3->context);
	KUNIT_EXPECT_EQ(test, f3->seqno, 3);
	KUNIT_EXPECT_STREQ(test, f3->ops->get_driver_name(f3), "sw_sync");
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 1);
	/* The file plus one per point. */
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 3);
	/* Its sync_file and us. */
	KUNIT_EXPECT_EQ(test, kref_read(&f3->refcount), 2);

	dma_fence_put(f0);
	dma_fence_put(f3);
	close_fd_now(fd0);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 2);
	close_fd_now(fd3);
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 0);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(tl);
}

/* INC signals exactly the points it reaches, in order. */
static void sws_inc_signals_reached(struct kunit *test)
{
	static const u32 values[] = { 5, 1, 3, 2 };
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	struct dma_fence *f[ARRAY_SIZE(values)];
	int fd[ARRAY_SIZE(values)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		fd[i] = sws_create(test, tl, values[i]);
		f[i] = sws_fence(test, fd[i]);
	}
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 4);

	sws_inc(test, tl, 2);
	KUNIT_EXPECT_EQ(test, obj->value, 2);
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[1]));	/* 1 */
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[3]));	/* 2 */
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[2]));	/* 3 */
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[0]));	/* 5 */
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 2);

	sws_inc(test, tl, 0);
	KUNIT_EXPECT_EQ(test, obj->value, 2);
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[2]));

	sws_inc(test, tl, 1);
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[2]));
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[0]));
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 1);

	sws_inc(test, tl, 1);
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[0]));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f[0]));
	sws_inc(test, tl, 1);
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[0]));
	KUNIT_EXPECT_EQ(test, obj->value, 5);
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 0);

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		KUNIT_EXPECT_EQ(test, dma_fence_get_status(f[i]), 1);
		KUNIT_EXPECT_EQ(test, kref_read(&f[i]->refcount), 2);
		dma_fence_put(f[i]);
		close_fd_now(fd[i]);
	}
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(tl);
}

/* Two requests for the same pending value share one fence. */
static void sws_same_value_shared(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	int fd_a = sws_create(test, tl, 4);
	int fd_b = sws_create(test, tl, 4);
	int fd_c = sws_create(test, tl, 0);
	int fd_d = sws_create(test, tl, 0);
	struct dma_fence *a = sws_fence(test, fd_a);
	struct dma_fence *b = sws_fence(test, fd_b);
	struct dma_fence *c = sws_fence(test, fd_c);
	struct dma_fence *d = sws_fence(test, fd_d);

	KUNIT_EXPECT_PTR_EQ(test, a, b);
	/* Two sync_files, two lookups. */
	KUNIT_EXPECT_EQ(test, kref_read(&a->refcount), 4);
	/* Signalled points are never shared. */
	KUNIT_EXPECT_PTR_NE(test, c, d);
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 1);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 4);

	sws_inc(test, tl, 4);
	KUNIT_EXPECT_TRUE(test, sws_signalled(a));
	dma_fence_put(a);
	dma_fence_put(b);
	dma_fence_put(c);
	dma_fence_put(d);
	close_fd_now(fd_a);
	close_fd_now(fd_b);
	close_fd_now(fd_c);
	close_fd_now(fd_d);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(tl);
}

/* Values and points wrap around 2^32 as 32-bit sequence numbers do. */
static void sws_wrap(struct kunit *test)
{
	static const u32 values[] = {
		0x00000004,	/* after the wrap */
		0xfffffff8,	/* before the wrap */
		0x7fffffef,	/* as far ahead as possible: 2^31 - 1 */
		0x7ffffff0,	/* exactly 2^31 ahead: counts as behind */
		0xffffff00,	/* behind */
	};
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	struct dma_fence *f[ARRAY_SIZE(values)];
	int fd[ARRAY_SIZE(values)];
	struct sync_pt *pt;
	unsigned int i;

	sws_inc(test, tl, 0xfffffff0);
	KUNIT_EXPECT_EQ(test, (u32)obj->value, 0xfffffff0);

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		fd[i] = sws_create(test, tl, values[i]);
		f[i] = sws_fence(test, fd[i]);
	}
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[0]));
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[1]));
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[2]));
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[3]));
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[4]));

	/* Pending points are kept in timeline order, not numeric order. */
	KUNIT_ASSERT_EQ(test, sws_pending(obj), 3);
	pt = list_first_entry(&obj->pt_list, struct sync_pt, link);
	KUNIT_EXPECT_PTR_EQ(test, &pt->base, f[1]);
	pt = list_next_entry(pt, link);
	KUNIT_EXPECT_PTR_EQ(test, &pt->base, f[0]);
	pt = list_next_entry(pt, link);
	KUNIT_EXPECT_PTR_EQ(test, &pt->base, f[2]);

	sws_inc(test, tl, 0x10);		/* to 0 */
	KUNIT_EXPECT_EQ(test, obj->value, 0);
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[1]));
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[0]));
	sws_inc(test, tl, 3);
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[0]));
	sws_inc(test, tl, 1);
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[0]));
	KUNIT_EXPECT_FALSE(test, sws_signalled(f[2]));
	sws_inc(test, tl, 0x7fffffeb);
	KUNIT_EXPECT_EQ(test, obj->value, 0x7fffffef);
	KUNIT_EXPECT_TRUE(test, sws_signalled(f[2]));
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 0);

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		KUNIT_EXPECT_EQ(test, dma_fence_get_status(f[i]), 1);
		dma_fence_put(f[i]);
		close_fd_now(fd[i]);
	}
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(tl);
}

/*
 * An increment above INT_MAX is applied in INT_MAX steps, so points the
 * timeline passes on the way signal although the end value, compared as a
 * 32-bit sequence number, would be behind them.
 */
static void sws_inc_above_int_max(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	int fd_lo = sws_create(test, tl, 1);
	int fd_hi = sws_create(test, tl, INT_MAX);
	struct dma_fence *lo = sws_fence(test, fd_lo);
	struct dma_fence *hi = sws_fence(test, fd_hi);

	sws_inc(test, tl, U32_MAX);
	KUNIT_EXPECT_EQ(test, (u32)obj->value, U32_MAX);
	KUNIT_EXPECT_TRUE(test, sws_signalled(lo));
	KUNIT_EXPECT_TRUE(test, sws_signalled(hi));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(hi), 1);
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 0);

	dma_fence_put(lo);
	dma_fence_put(hi);
	close_fd_now(fd_lo);
	close_fd_now(fd_hi);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(tl);
}

/* Closing the timeline fails pending fences; they stay usable. */
static void sws_close_with_live_fences(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	char comm[TASK_COMM_LEN], expect[64];
	struct dma_fence *f1, *f2, *f0;
	int fd1, fd2, fd0;
	char *info;

	sws_own_name(comm);
	fd1 = sws_create(test, tl, 1);
	fd2 = sws_create(test, tl, 2);
	fd0 = sws_create(test, tl, 0);
	f1 = sws_fence(test, fd1);
	f2 = sws_fence(test, fd2);
	f0 = sws_fence(test, fd0);
	close_fd_now(fd1);
	close_fd_now(fd2);
	close_fd_now(fd0);
	KUNIT_EXPECT_EQ(test, kref_read(&f1->refcount), 1);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 4);

	__fput_sync(tl);

	KUNIT_EXPECT_TRUE(test, sws_signalled(f1));
	KUNIT_EXPECT_TRUE(test, sws_signalled(f2));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f1), -ENOENT);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f2), -ENOENT);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(f0), 1);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 3);
	KUNIT_EXPECT_EQ(test, kref_read(&f1->refcount), 1);

	/* Still valid fences: names, waits and callbacks behave. */
	KUNIT_EXPECT_STREQ(test, f1->ops->get_timeline_name(f1), comm);
	KUNIT_EXPECT_STREQ(test, f1->ops->get_driver_name(f1), "sw_sync");
	rcu_read_lock();
	KUNIT_EXPECT_STREQ(test, dma_fence_timeline_name(f2),
			   "signaled-timeline");
	rcu_read_unlock();
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(f1, false, HZ), 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f2));
	dma_fence_set_deadline(f2, ktime_get());

	/* The timeline is still listed, without pending points. */
	info = sws_read_info(test);
	snprintf(expect, sizeof(expect), "%s: 0\n\n", comm);
	KUNIT_EXPECT_NOT_NULL(test, strstr(info, expect));
	KUNIT_EXPECT_NULL(test, strstr(info, "fence active"));

	dma_fence_put(f1);
	dma_fence_put(f2);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	/* The last fence takes the timeline with it. */
	dma_fence_put(f0);
	rcu_barrier();
	info = sws_read_info(test);
	KUNIT_EXPECT_NULL(test, strstr(info, comm));
}

struct sws_waiter {
	struct dma_fence *fence;
	bool intr;
	long ret;
};

static void sws_waiter_fn(struct fence_job *job)
{
	struct sws_waiter *w = job->data;

	w->ret = dma_fence_wait_timeout(w->fence, w->intr, 30 * HZ);
}

/* Wait until @fence has a waiter (or any callback) queued. */
static bool sws_await_waiter(struct dma_fence *fence)
{
	unsigned long until = jiffies + 10 * HZ;

	while (mock_fence_callbacks_idle(fence)) {
		if (time_after(jiffies, until))
			return false;
		usleep_range(1000, 2000);
	}
	return true;
}

/* Closing the timeline wakes a thread waiting on one of its fences. */
static void sws_close_wakes_waiter(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	struct sws_waiter w[2];
	struct fence_job job[2];
	int fd = sws_create(test, tl, 10);
	struct dma_fence *fence = sws_fence(test, fd);
	unsigned int i;

	close_fd_now(fd);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		w[i].fence = fence;
		w[i].intr = i;
		w[i].ret = -1;
		job[i].fn = sws_waiter_fn;
		job[i].data = &w[i];
		KUNIT_ASSERT_EQ(test, fence_job_start(&job[i], -1), 0);
	}
	KUNIT_EXPECT_TRUE(test, sws_await_waiter(fence));
	/* Give the second waiter a moment too; the result holds either way. */
	msleep(20);
	KUNIT_EXPECT_FALSE(test, sws_signalled(fence));

	__fput_sync(tl);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		fence_job_finish(&job[i]);
		KUNIT_EXPECT_GT(test, w[i].ret, 0);
	}
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), -ENOENT);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 1);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	dma_fence_put(fence);
}

/* A sync_file descriptor for @fence, installed in our file table. */
static int sws_install_sync_file(struct kunit *test, struct dma_fence *fence)
{
	struct sync_file *sf;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	sf = sync_file_create(fence);
	if (!sf)
		put_unused_fd(fd);
	KUNIT_ASSERT_NOT_NULL(test, sf);
	fd_install(fd, sf->file);
	return fd;
}

/* SW_SYNC_GET_DEADLINE: argument checks and the earliest deadline. */
static void sws_deadline(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct file *other = sws_open_timeline(test);
	int fd = sws_create(test, tl, 5);
	int fd_other = sws_create(test, other, 5);
	struct dma_fence *stub = dma_fence_get_stub();
	int fd_stub = sws_install_sync_file(test, stub);
	struct dma_fence *fence = sws_fence(test, fd);
	u64 ns = 0;

	dma_fence_put(stub);

	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd, 0, 0, &ns),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, ns, 0);

	dma_fence_set_deadline(fence, ns_to_ktime(2000000));
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd, 0, 0, &ns), 0);
	KUNIT_EXPECT_EQ(test, ns, 2000000);
	dma_fence_set_deadline(fence, ns_to_ktime(3000000));
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd, 0, 0, &ns), 0);
	KUNIT_EXPECT_EQ(test, ns, 2000000);
	dma_fence_set_deadline(fence, ns_to_ktime(1000000));
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd, 0, 0, &ns), 0);
	KUNIT_EXPECT_EQ(test, ns, 1000000);

	/* Malformed requests. */
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd, 0, 1, &ns),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd, 1, 0, &ns),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, -1, 0, 0, &ns),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd_stub, 0, 0, &ns),
			-EINVAL);
	/* As in 6.12, a point of another sw_sync timeline is looked at. */
	KUNIT_EXPECT_EQ(test,
			sws_get_deadline(test, tl, fd_other, 0, 0, &ns),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, other, fd_other, 0, 0,
					       &ns), -ENOENT);
	KUNIT_EXPECT_EQ(test, sws_ioctl(tl, SWS_IOC_GET_DEADLINE, NULL),
			-EFAULT);

	/* The deadline stays readable once the fence has signalled. */
	sws_inc(test, tl, 5);
	KUNIT_EXPECT_TRUE(test, sws_signalled(fence));
	KUNIT_EXPECT_EQ(test, sws_get_deadline(test, tl, fd, 0, 0, &ns), 0);
	KUNIT_EXPECT_EQ(test, ns, 1000000);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);

	dma_fence_put(fence);
	close_fd_now(fd);
	close_fd_now(fd_other);
	close_fd_now(fd_stub);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(sws_timeline(tl)), 1);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(sws_timeline(other)), 1);
	__fput_sync(other);
	__fput_sync(tl);
}

/* Bad pointers and commands: exact errnos, nothing left behind. */
static void sws_bad_requests(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	struct sws_ctx *ctx = test->priv;
	int next = sws_next_fd(test);

	KUNIT_EXPECT_EQ(test, sws_ioctl(tl, SWS_IOC_INC, NULL), -EFAULT);
	KUNIT_EXPECT_EQ(test, sws_ioctl(tl, SWS_IOC_CREATE_FENCE, NULL),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, sws_ioctl(tl, _IO('W', 3), ctx->ubuf), -ENOTTY);
	KUNIT_EXPECT_EQ(test, sws_ioctl(tl, _IOW('W', 1, __u64), ctx->ubuf),
			-ENOTTY);
	KUNIT_EXPECT_EQ(test, obj->value, 0);
	KUNIT_EXPECT_EQ(test, sws_next_fd(test), next);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(tl);
}

/*
 * CREATE_FENCE whose result cannot be written back: -EFAULT, and neither a
 * descriptor nor a fence survives. The argument straddles a writable and a
 * read-only page, so reading it works and writing it fails.
 */
static void sws_create_efault(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	struct sync_timeline *obj = sws_timeline(tl);
	struct sws_create_arg __user *uarg;
	unsigned long base, ro;
	u32 value = 9;
	int next;

	base = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(base) || !base);
	ro = kunit_vm_mmap(test, NULL, base + PAGE_SIZE, PAGE_SIZE, PROT_READ,
			   MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0);
	KUNIT_ASSERT_EQ(test, ro, base + PAGE_SIZE);

	uarg = (void __user *)(ro - sizeof(u32));
	KUNIT_ASSERT_EQ(test, copy_to_user(&uarg->value, &value, sizeof(value)),
			0);
	KUNIT_ASSERT_NE(test, put_user(0, &uarg->fence), 0);

	next = sws_next_fd(test);
	KUNIT_EXPECT_EQ(test, sws_ioctl(tl, SWS_IOC_CREATE_FENCE, uarg),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, sws_next_fd(test), next);

	/* The point existed for a moment; it must be gone again. */
	fput_settle(!sws_pending(obj) && sws_timeline_refs(obj) == 1);
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 0);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(tl);
}

/* The content of sync/info follows the timeline. */
static void sws_info(struct kunit *test)
{
	struct file *tl = sws_open_timeline(test);
	char comm[TASK_COMM_LEN], expect[128];
	struct dma_fence *f7;
	int fd2, fd5, fd7;
	char *info;

	sws_own_name(comm);
	sws_inc(test, tl, 3);
	fd2 = sws_create(test, tl, 2);
	fd7 = sws_create(test, tl, 7);
	fd5 = sws_create(test, tl, 5);
	f7 = sws_fence(test, fd7);

	info = sws_read_info(test);
	KUNIT_EXPECT_EQ(test, strncmp(info, "objs:\n--------------\n", 21), 0);
	KUNIT_EXPECT_NOT_NULL(test,
			      strstr(info, "\nfences:\n--------------\n"));
	snprintf(expect, sizeof(expect),
		 "%s: 3\n  fence active: 5 / 3\n  fence active: 7 / 3\n\n",
		 comm);
	KUNIT_EXPECT_NOT_NULL(test, strstr(info, expect));

	sws_inc(test, tl, 2);
	info = sws_read_info(test);
	snprintf(expect, sizeof(expect), "%s: 5\n  fence active: 7 / 5\n\n",
		 comm);
	KUNIT_EXPECT_NOT_NULL(test, strstr(info, expect));
	KUNIT_EXPECT_NULL(test, strstr(info, "fence active: 5"));

	close_fd_now(fd2);
	close_fd_now(fd5);
	close_fd_now(fd7);
	__fput_sync(tl);
	info = sws_read_info(test);
	snprintf(expect, sizeof(expect), "%s: 5\n\n", comm);
	KUNIT_EXPECT_NOT_NULL(test, strstr(info, expect));

	dma_fence_put(f7);
	rcu_barrier();
	info = sws_read_info(test);
	KUNIT_EXPECT_NULL(test, strstr(info, comm));
}

#define SWS_STRESS_ROUNDS	1000

/* Shared state of the stress case. */
struct sws_stress {
	struct vfsmount *mnt;
	struct mm_struct *mm;
	u32 __user *ustep;
	struct file *tl;
	char *info_buf;
	atomic_t stop;
	unsigned int reads;
	int read_error;
};

/* Reader: dumps sync/info over and over while timelines come and go. */
static void sws_stress_reader(struct fence_job *job)
{
	struct sws_stress *st = job->data;

	while (!atomic_read(&st->stop) && !st->read_error) {
		st->read_error = sws_info_fill(st->mnt, st->info_buf);
		st->reads++;
		cond_resched();
	}
}

/*
 * Incrementer: advances the shared timeline one step at a time, reading
 * the step from the test's user memory, whose mm it borrows.
 */
static void sws_stress_inc(struct fence_job *job)
{
	struct sws_stress *st = job->data;

	kthread_use_mm(st->mm);
	while (!atomic_read(&st->stop))
		sws_ioctl(st->tl, SWS_IOC_INC, st->ustep);
	kthread_unuse_mm(st->mm);
}

/*
 * Fences created just ahead of a timeline that another thread advances, and
 * dropped at once, race their release against INC; whole timelines are
 * created and destroyed while sync/info is read. Nothing may leak, warn or
 * touch freed memory.
 */
static void sws_stress(struct kunit *test)
{
	struct sws_ctx *ctx = test->priv;
	struct sws_stress st = { .mnt = ctx->mnt, .mm = current->mm };
	struct fence_job reader, inc;
	struct sync_timeline *obj;
	unsigned long addr;
	unsigned int i;
	u32 one = 1;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr) || !addr);
	st.ustep = (u32 __user *)addr;
	KUNIT_ASSERT_EQ(test, copy_to_user(st.ustep, &one, sizeof(one)), 0);
	st.info_buf = kunit_kzalloc(test, SWS_INFO_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st.info_buf);

	st.tl = sws_open_timeline(test);
	obj = sws_timeline(st.tl);
	atomic_set(&st.stop, 0);
	reader.fn = sws_stress_reader;
	reader.data = &st;
	inc.fn = sws_stress_inc;
	inc.data = &st;
	KUNIT_ASSERT_EQ(test, fence_job_start(&reader, -1), 0);
	if (fence_job_start(&inc, -1)) {
		atomic_set(&st.stop, 1);
		fence_job_finish(&reader);
		KUNIT_FAIL(test, "no incrementer thread");
		return;
	}

	for (i = 0; i < SWS_STRESS_ROUNDS; i++) {
		struct file *tl2 = sws_open_timeline(test);
		u32 ahead = (u32)READ_ONCE(obj->value) + 1 + (i & 3);
		int fd = sws_create(test, st.tl, ahead);
		int fd2 = sws_create(test, tl2, 1);

		close_fd_now(fd);
		if (i & 1)
			__fput_sync(tl2);
		close_fd_now(fd2);
		if (!(i & 1))
			__fput_sync(tl2);
	}

	atomic_set(&st.stop, 1);
	fence_job_finish(&inc);
	fence_job_finish(&reader);
	KUNIT_EXPECT_EQ(test, st.read_error, 0);
	KUNIT_EXPECT_GT(test, st.reads, 0);
	KUNIT_EXPECT_EQ(test, sws_pending(obj), 0);
	KUNIT_EXPECT_EQ(test, sws_timeline_refs(obj), 1);
	__fput_sync(st.tl);
}

DEFINE_CASE_MM(sws_create_signalled)
DEFINE_CASE_MM(sws_inc_signals_reached)
DEFINE_CASE_MM(sws_same_value_shared)
DEFINE_CASE_MM(sws_wrap)
DEFINE_CASE_MM(sws_inc_above_int_max)
DEFINE_CASE_MM(sws_close_with_live_fences)
DEFINE_CASE_MM(sws_close_wakes_waiter)
DEFINE_CASE_MM(sws_deadline)
DEFINE_CASE_MM(sws_bad_requests)
DEFINE_CASE_MM(sws_create_efault)
DEFINE_CASE_MM(sws_info)
DEFINE_CASE_MM(sws_stress)

static struct kunit_case sws_cases[] = {
	KUNIT_CASE_MM(sws_create_signalled),
	KUNIT_CASE_MM(sws_inc_signals_reached),
	KUNIT_CASE_MM(sws_same_value_shared),
	KUNIT_CASE_MM(sws_wrap),
	KUNIT_CASE_MM(sws_inc_above_int_max),
	KUNIT_CASE_MM(sws_close_with_live_fences),
	KUNIT_CASE_MM(sws_close_wakes_waiter),
	KUNIT_CASE_MM(sws_deadline),
	KUNIT_CASE_MM(sws_bad_requests),
	KUNIT_CASE_MM(sws_create_efault),
	KUNIT_CASE_MM(sws_info),
	KUNIT_CASE_MM_SLOW(sws_stress),
	{}
};

static struct kunit_suite sws_suite = {
	.name = "sw-sync",
	.init = sws_init,
	.exit = sws_exit,
	.test_cases = sws_cases,
};

kunit_test_suite(sws_suite);

MODULE_DESCRIPTION("KUnit tests for sw_sync and sync_debug");
MODULE_LICENSE("GPL");
