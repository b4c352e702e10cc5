// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for sync_file: creation, descriptors, names, the three
 * ioctls with real user memory, poll(), and FILE_INFO racing against
 * fences that signal and lose their names.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/sync_file.h>

#include "dmabuf-helpers.h"
#include "fence-helpers.h"

/**
 * DOC: sync_file KUnit suite
 *
 * The "sync-file" suite checks the in-kernel sync_file API and the file's
 * ioctls and poll() against the contract of include/linux/sync_file.h and
 * include/uapi/linux/sync_file.h. The ioctls are issued on the file's own
 * handler, or through vfs_ioctl(), with arguments in user memory that
 * kunit_vm_mmap() maps into the test thread, so copy_from_user() and
 * copy_to_user() really run, including their failures. Descriptors are
 * installed in the table the test thread shares with the other kernel
 * threads and closed again by KUnit actions.
 *
 * Every case checks exact errnos and fence reference counts; files
 * dropped in a kernel thread are released by the delayed-fput work, which
 * the cases flush before counting. A second mock provider,
 * &struct named_fence, keeps its names in heap memory and frees them one
 * RCU grace period after signalling, as a real provider may: KASAN turns
 * any read of a retired name into a report.
 *
 * Build it in with::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_SYNC_FILE=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * A typical case::
 *
 *	struct dma_fence *f = sft_fence(test);
 *	int fd = sft_fd(test, f);
 *	struct sync_merge_data __user *u = sft_user(test, sizeof(*u));
 *	struct sync_merge_data m = { .fd2 = fd };
 *
 *	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
 *	KUNIT_EXPECT_EQ(test, sft_ioctl_fd(fd, SYNC_IOC_MERGE, u), 0);
 */

/* Names the mock provider of fence-helpers.h reports. */
#define SFT_MOCK_NAME_PREFIX	MOCK_DRIVER_NAME "-" MOCK_TIMELINE_NAME

/* Fences per sync file in the signalling race. */
#define SFT_RACE_FENCES		8

/* Rounds of the signalling race, and its wall-time budget. */
#define SFT_RACE_ROUNDS		40
#define SFT_RACE_BUDGET		(3 * HZ)

static unsigned int sft_refs(struct dma_fence *fence)
{
	return kref_read(&fence->refcount);
}

/* A pending mock fence, dropped by KUnit when the case ends. */
KUNIT_DEFINE_ACTION_WRAPPER(sft_put_fence, dma_fence_put, struct dma_fence *);

static struct dma_fence *sft_fence_ops(struct kunit *test,
				       const struct dma_fence_ops *ops)
{
	struct dma_fence *fence;

	fence = mock_fence_new(test, ops, dma_fence_context_alloc(1), 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sft_put_fence,
							fence), 0);
	return fence;
}

static struct dma_fence *sft_fence(struct kunit *test)
{
	return sft_fence_ops(test, &mock_ops_plain);
}

/* Signal @fence, with @error first when that is non-zero. */
static void sft_signal(struct dma_fence *fence, int error)
{
	if (error)
		dma_fence_set_error(fence, error);
	dma_fence_signal(fence);
}

/*
 * A sync file for @fence, not installed. KUnit drops the file when the case
 * ends; sft_drop() does it earlier.
 */
KUNIT_DEFINE_ACTION_WRAPPER(sft_fput, fput, struct file *);

static struct sync_file *sft_sync_file(struct kunit *test,
				       struct dma_fence *fence)
{
	struct sync_file *sync_file = sync_file_create(fence);

	KUNIT_ASSERT_NOT_NULL(test, sync_file);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sft_fput,
							sync_file->file), 0);
	return sync_file;
}

/* Drop a file from sft_sync_file() now and wait for its release. */
static void sft_drop(struct kunit *test, struct sync_file *sync_file)
{
	kunit_remove_action(test, sft_fput, sync_file->file);
	__fput_sync(sync_file->file);
}

/* Closes a descriptor of the test thread's table when the case ends. */
static void sft_close_action(void *fd)
{
	close_fd((unsigned int)(uintptr_t)fd);
}

/* Take over an installed descriptor: KUnit closes it when the case ends. */
static void sft_own_fd(struct kunit *test, int fd)
{
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sft_close_action,
							(void *)(uintptr_t)fd),
			0);
}

/* Close a descriptor handed to sft_own_fd() now; wait for the release. */
static void sft_close(struct kunit *test, int fd)
{
	kunit_remove_action(test, sft_close_action, (void *)(uintptr_t)fd);
	close_fd_now(fd);
}

/* Install @file as a new close-on-exec descriptor owned by the case. */
static int sft_install(struct kunit *test, struct file *file)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd < 0)
		fput(file);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, file);
	sft_own_fd(test, fd);
	return fd;
}

/* A descriptor of a new sync file for @fence. */
static int sft_fd(struct kunit *test, struct dma_fence *fence)
{
	struct sync_file *sync_file = sync_file_create(fence);

	KUNIT_ASSERT_NOT_NULL(test, sync_file);
	return sft_install(test, sync_file->file);
}

/*
 * The descriptor the next get_unused_fd_flags() would return: unchanged
 * across a call means the call left no descriptor behind.
 */
static int sft_next_fd(void)
{
	int fd = get_unused_fd_flags(0);

	if (fd >= 0)
		put_unused_fd(fd);
	return fd;
}

/* The sync file open as @fd; borrowed, the descriptor keeps it alive. */
static struct sync_file *sft_lookup(struct kunit *test, int fd)
{
	struct file *file = fget(fd);
	struct sync_file *sync_file;

	KUNIT_ASSERT_NOT_NULL(test, file);
	sync_file = file->private_data;
	fput(file);
	return sync_file;
}

/* @len bytes of zeroed user memory, mapped into the test thread. */
static void __user *sft_user(struct kunit *test, size_t len)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, len, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, addr, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	return (void __user *)addr;
}

/*
 * Two pages of user memory, the first writable and the second read-only
 * (and so all zero). An argument that straddles the boundary can be read
 * by the kernel but not written back.
 */
static void __user *sft_user_half_writable(struct kunit *test)
{
	unsigned long addr, ro;

	addr = (unsigned long)sft_user(test, 2 * PAGE_SIZE);
	ro = kunit_vm_mmap(test, NULL, addr + PAGE_SIZE, PAGE_SIZE, PROT_READ,
			   MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0);
	KUNIT_ASSERT_EQ(test, ro, addr + PAGE_SIZE);
	return (void __user *)addr;
}

static int sft_put_user(void __user *dst, const void *src, size_t len)
{
	return copy_to_user(dst, src, len) ? -EFAULT : 0;
}

static int sft_get_user(void *dst, const void __user *src, size_t len)
{
	return copy_from_user(dst, src, len) ? -EFAULT : 0;
}

/* Issue an ioctl on the file's own handler, as the system call would. */
static long sft_ioctl(struct file *file, unsigned int cmd, void __user *arg)
{
	return file->f_op->unlocked_ioctl(file, cmd, (unsigned long)arg);
}

/* The same through the VFS, on a descriptor of the test thread. */
static long sft_ioctl_fd(int fd, unsigned int cmd, void __user *arg)
{
	struct file *file = fget(fd);
	long ret;

	if (!file)
		return -EBADF;
	ret = vfs_ioctl(file, cmd, (unsigned long)arg);
	fput(file);
	return ret;
}

/* A fence provider whose names live on the heap (see the DOC section). */

/**
 * struct named_fence - fence whose provider frees the names after signalling
 * @base: the fence
 * @lock: lock of @base
 * @driver: driver name, kmalloc'ed
 * @timeline: timeline name, kmalloc'ed
 * @retired: @driver and @timeline have been freed (and left dangling)
 */
struct named_fence {
	struct dma_fence base;
	spinlock_t lock;	/* of @base, nothing else */
	char *driver;
	char *timeline;
	bool retired;
};

static struct named_fence *to_named_fence(struct dma_fence *fence)
{
	return container_of(fence, struct named_fence, base);
}

static const char *named_fence_driver(struct dma_fence *fence)
{
	return to_named_fence(fence)->driver;
}

static const char *named_fence_timeline(struct dma_fence *fence)
{
	return to_named_fence(fence)->timeline;
}

/* Frees the names unless they were retired already, then the fence. */
static void named_fence_release(struct dma_fence *fence)
{
	struct named_fence *nf = to_named_fence(fence);

	if (!nf->retired) {
		kfree(nf->driver);
		kfree(nf->timeline);
	}
	dma_fence_free(fence);
}

static const struct dma_fence_ops named_fence_ops = {
	.get_driver_name = named_fence_driver,
	.get_timeline_name = named_fence_timeline,
	.release = named_fence_release,
};

/*
 * A pending named fence with one reference, owned by the caller. Names:
 * "sft-drv" and "sft-tl-<@index>".
 */
static struct dma_fence *named_fence_alloc(u64 context, unsigned int index)
{
	struct named_fence *nf = kzalloc(sizeof(*nf), GFP_KERNEL);

	if (!nf)
		return NULL;
	nf->driver = kstrdup("sft-drv", GFP_KERNEL);
	nf->timeline = kasprintf(GFP_KERNEL, "sft-tl-%u", index);
	if (!nf->driver || !nf->timeline) {
		kfree(nf->driver);
		kfree(nf->timeline);
		kfree(nf);
		return NULL;
	}
	spin_lock_init(&nf->lock);
	dma_fence_init(&nf->base, &named_fence_ops, &nf->lock, context, 1);
	return &nf->base;
}

/*
 * Free the names of signalled named fences as early as the contract lets
 * a provider: one grace period after the signal. The pointers are left
 * dangling on purpose. Sleeps; the caller holds references to the fences.
 */
static void named_fences_retire(struct dma_fence **fences, unsigned int n)
{
	unsigned int i;

	synchronize_rcu();
	for (i = 0; i < n; i++) {
		struct named_fence *nf = to_named_fence(fences[i]);

		if (WARN_ON_ONCE(!dma_fence_is_signaled(fences[i])))
			continue;
		kfree(nf->driver);
		kfree(nf->timeline);
		nf->retired = true;
	}
}

/*
 * A sync file for a new array of the @n fences in @fences, which stay the
 * caller's: the array takes references of its own. The file is dropped by
 * a KUnit action of the case.
 */
static struct sync_file *sft_array_file_of(struct kunit *test,
					   struct dma_fence **fences,
					   unsigned int n)
{
	struct dma_fence_array *array;
	struct dma_fence **members;
	struct sync_file *sync_file;
	unsigned int i;

	members = kcalloc(n, sizeof(*members), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, members);
	for (i = 0; i < n; i++)
		members[i] = dma_fence_get(fences[i]);
	array = dma_fence_array_create(n, members, dma_fence_context_alloc(1),
				       1, false);
	if (!array) {
		for (i = 0; i < n; i++)
			dma_fence_put(members[i]);
		kfree(members);
	}
	KUNIT_ASSERT_NOT_NULL(test, array);
	sync_file = sync_file_create(&array->base);
	dma_fence_put(&array->base);
	KUNIT_ASSERT_NOT_NULL(test, sync_file);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sft_fput,
							sync_file->file), 0);
	return sync_file;
}

/*
 * A sync file for a new array of @n fences of @ops on contexts of their
 * own; the fences are returned in @fences with one reference each that the
 * case's KUnit actions drop.
 */
static struct sync_file *sft_array_file(struct kunit *test,
					const struct dma_fence_ops *ops,
					struct dma_fence **fences,
					unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		fences[i] = sft_fence_ops(test, ops);
	return sft_array_file_of(test, fences, n);
}

/* Creation, lookup and names */

static void create_takes_own_reference(struct kunit *test)
{
	struct dma_fence *fence = sft_fence(test);
	struct sync_file *sync_file = sync_file_create(fence);
	struct file *file;

	KUNIT_ASSERT_NOT_NULL(test, sync_file);
	file = sync_file->file;
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
	KUNIT_EXPECT_PTR_EQ(test, sync_file->fence, fence);
	KUNIT_EXPECT_PTR_EQ(test, file->private_data, (void *)sync_file);
	KUNIT_EXPECT_STREQ(test, (const char *)file->f_path.dentry->d_name.name,
			   "sync_file");
	/* Opened with flags 0 as in 6.12, so F_GETFL reads 0. */
	KUNIT_EXPECT_EQ(test, file->f_flags, 0U);
	KUNIT_EXPECT_TRUE(test, file->f_mode & FMODE_READ);
	KUNIT_EXPECT_EQ(test, sync_file->user_name[0], '\0');
	KUNIT_EXPECT_EQ(test, sync_file->flags, 0UL);
	KUNIT_EXPECT_EQ(test, file_count(file), 1L);
	KUNIT_EXPECT_PTR_EQ(test, (void *)file->f_op->compat_ioctl,
			    (void *)compat_ptr_ioctl);

	/* The caller's reference is untouched by the file's release. */
	__fput_sync(file);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
}

static void create_of_null_warns(struct kunit *test)
{
	struct sync_file *sync_file;

	expect_warn_begin("sync-file-create-null");
	sync_file = sync_file_create(NULL);
	expect_warn_end("sync-file-create-null");
	KUNIT_EXPECT_NULL(test, sync_file);
	if (sync_file)
		fput(sync_file->file);
}

static void get_fence_returns_new_reference(struct kunit *test)
{
	struct dma_fence *fence = sft_fence(test);
	int fd = sft_fd(test, fence);
	struct dma_fence *got;

	KUNIT_EXPECT_TRUE(test, get_close_on_exec(fd));
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);

	got = sync_file_get_fence(fd);
	KUNIT_EXPECT_PTR_EQ(test, got, fence);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 3);
	dma_fence_put(got);

	/* The fence outlives the file with the reference it handed out. */
	got = sync_file_get_fence(fd);
	sft_close(test, fd);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(fd));
	dma_fence_put(got);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
}

static const struct file_operations sft_other_fops = {
	.owner = THIS_MODULE,
};

static void get_fence_rejects_other_descriptors(struct kunit *test)
{
	struct dma_fence *fence = sft_fence(test);
	struct file *other;
	int fd;

	KUNIT_EXPECT_NULL(test, sync_file_get_fence(-1));
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(INT_MAX));

	/* A descriptor number that is reserved but not open. */
	fd = get_unused_fd_flags(0);
	KUNIT_ASSERT_GE(test, fd, 0);
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(fd));
	put_unused_fd(fd);

	/* A closed sync file. */
	fd = sft_fd(test, fence);
	sft_close(test, fd);
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(fd));

	/* Another anonymous file, with private data that is no sync file. */
	other = anon_inode_getfile("sync_file", &sft_other_fops, fence, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	fd = sft_install(test, other);
	KUNIT_EXPECT_NULL(test, sync_file_get_fence(fd));
	KUNIT_EXPECT_EQ(test, file_count(other), 1L);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	sft_close(test, fd);
}

static void name_is_made_from_the_fence(struct kunit *test)
{
	struct dma_fence *fence = sft_fence(test);
	struct sync_file *sync_file = sft_sync_file(test, fence);
	char want[64], buf[64];
	char *ret;

	snprintf(want, sizeof(want), "%s%llu-%llu", SFT_MOCK_NAME_PREFIX,
		 fence->context, fence->seqno);
	ret = sync_file_get_name(sync_file, buf, sizeof(buf));
	KUNIT_EXPECT_PTR_EQ(test, ret, (char *)buf);
	KUNIT_EXPECT_STREQ(test, buf, want);

	/* Cut to fit, always terminated. */
	memset(buf, 'x', sizeof(buf));
	sync_file_get_name(sync_file, buf, 6);
	KUNIT_EXPECT_STREQ(test, buf, "kunit");
	KUNIT_EXPECT_EQ(test, buf[6], 'x');

	/* No room at all: the buffer is not touched. */
	memset(buf, 'x', sizeof(buf));
	KUNIT_EXPECT_PTR_EQ(test, sync_file_get_name(sync_file, buf, 0),
			    (char *)buf);
	KUNIT_EXPECT_EQ(test, buf[0], 'x');

	/* Once signalled, the provider's names are no longer used. */
	sft_signal(fence, 0);
	sync_file_get_name(sync_file, buf, sizeof(buf));
	snprintf(want, sizeof(want), "detached-driver-signaled-timeline%llu-%llu",
		 fence->context, fence->seqno);
	KUNIT_EXPECT_STREQ(test, buf, want);
}

static void name_survives_freed_provider_names(struct kunit *test)
{
	struct dma_fence *fence = named_fence_alloc(dma_fence_context_alloc(1),
						    3);
	struct sync_file *sync_file;
	char want[64], buf[64];

	KUNIT_ASSERT_NOT_NULL(test, fence);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sft_put_fence,
							fence), 0);
	sync_file = sft_sync_file(test, fence);

	snprintf(want, sizeof(want), "sft-drv-sft-tl-3%llu-1", fence->context);
	KUNIT_EXPECT_STREQ(test, sync_file_get_name(sync_file, buf,
						    sizeof(buf)), want);

	sft_signal(fence, -EIO);
	named_fences_retire(&fence, 1);
	KUNIT_EXPECT_TRUE(test, to_named_fence(fence)->retired);

	/* KASAN reports a use-after-free here if the names are read. */
	snprintf(want, sizeof(want), "detached-driver-signaled-timeline%llu-1",
		 fence->context);
	KUNIT_EXPECT_STREQ(test, sync_file_get_name(sync_file, buf,
						    sizeof(buf)), want);
}

/* SYNC_IOC_MERGE */

/* Merge through the first descriptor; returns the ioctl's result. */
static long sft_merge(struct kunit *test, int fd, int fd2, const char *name,
		      struct sync_merge_data __user *u,
		      struct sync_merge_data *out)
{
	struct sync_merge_data m = { .fd2 = fd2, .fence = -1 };
	long ret;

	strscpy(m.name, name);
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	ret = sft_ioctl_fd(fd, SYNC_IOC_MERGE, u);
	KUNIT_ASSERT_EQ(test, sft_get_user(out, u, sizeof(*out)), 0);
	if (!ret)
		sft_own_fd(test, out->fence);
	return ret;
}

static void merge_two_files(struct kunit *test)
{
	struct sync_merge_data __user *u = sft_user(test, sizeof(*u));
	struct dma_fence *a = sft_fence(test), *b = sft_fence(test);
	int fd_a = sft_fd(test, a), fd_b = sft_fd(test, b);
	struct sync_merge_data out;
	struct dma_fence_array *array;
	struct sync_file *merged;
	char buf[32];

	KUNIT_ASSERT_EQ(test, sft_merge(test, fd_a, fd_b, "both", u, &out), 0);
	KUNIT_EXPECT_GE(test, out.fence, 0);
	KUNIT_EXPECT_NE(test, out.fence, fd_a);
	KUNIT_EXPECT_NE(test, out.fence, fd_b);
	KUNIT_EXPECT_TRUE(test, get_close_on_exec(out.fence));
	KUNIT_EXPECT_STREQ(test, out.name, "both");
	KUNIT_EXPECT_EQ(test, out.fd2, fd_b);

	merged = sft_lookup(test, out.fence);
	KUNIT_EXPECT_STREQ(test, merged->user_name, "both");
	KUNIT_EXPECT_STREQ(test, sync_file_get_name(merged, buf, sizeof(buf)),
			   "both");
	array = to_dma_fence_array(merged->fence);
	KUNIT_ASSERT_NOT_NULL(test, array);
	KUNIT_EXPECT_EQ(test, array->num_fences, 2U);
	/* Each input: its own reference, its file's and the array's. */
	KUNIT_EXPECT_EQ(test, sft_refs(a), 3);
	KUNIT_EXPECT_EQ(test, sft_refs(b), 3);

	/* The inputs are unchanged and independent of the result. */
	KUNIT_EXPECT_PTR_EQ(test, sft_lookup(test, fd_a)->fence, a);
	sft_close(test, fd_a);
	sft_close(test, fd_b);
	KUNIT_EXPECT_EQ(test, sft_refs(a), 2);

	/* The result signals once both inputs have. */
	sft_signal(a, 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(merged->fence));
	sft_signal(b, 0);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(merged->fence));

	sft_close(test, out.fence);
	KUNIT_EXPECT_EQ(test, sft_refs(a), 1);
	KUNIT_EXPECT_EQ(test, sft_refs(b), 1);
}

static void merge_with_itself(struct kunit *test)
{
	struct sync_merge_data __user *u = sft_user(test, sizeof(*u));
	struct dma_fence *a = sft_fence(test);
	int fd = sft_fd(test, a);
	struct sync_merge_data out;

	KUNIT_ASSERT_EQ(test, sft_merge(test, fd, fd, "self", u, &out), 0);
	KUNIT_EXPECT_NE(test, out.fence, fd);
	/* One fence left after merging: the result holds it directly. */
	KUNIT_EXPECT_PTR_EQ(test, sft_lookup(test, out.fence)->fence, a);
	KUNIT_EXPECT_EQ(test, sft_refs(a), 3);
	sft_close(test, out.fence);
	sft_close(test, fd);
	KUNIT_EXPECT_EQ(test, sft_refs(a), 1);
}

static void merge_terminates_the_name(struct kunit *test)
{
	struct sync_merge_data __user *u = sft_user(test, sizeof(*u));
	struct dma_fence *a = sft_fence(test), *b = sft_fence(test);
	int fd_a = sft_fd(test, a), fd_b = sft_fd(test, b);
	struct sync_merge_data m = { .fd2 = fd_b }, out;
	struct sync_file *merged;
	char buf[40];

	memset(m.name, 'n', sizeof(m.name));
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	KUNIT_ASSERT_EQ(test, sft_ioctl_fd(fd_a, SYNC_IOC_MERGE, u), 0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&out, u, sizeof(out)), 0);
	sft_own_fd(test, out.fence);

	merged = sft_lookup(test, out.fence);
	KUNIT_EXPECT_EQ(test, strnlen(merged->user_name,
				      sizeof(merged->user_name)), 31UL);
	sync_file_get_name(merged, buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, strlen(buf), 31UL);
	KUNIT_EXPECT_EQ(test, out.name[31], '\0');

	/* An empty name falls back to the one made from the fence. */
	KUNIT_ASSERT_EQ(test, sft_merge(test, fd_a, fd_a, "", u, &out), 0);
	merged = sft_lookup(test, out.fence);
	sync_file_get_name(merged, buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, strncmp(buf, SFT_MOCK_NAME_PREFIX,
				      strlen(SFT_MOCK_NAME_PREFIX)), 0);
}

/* A merge that fails must leave no descriptor and no reference behind. */
static void sft_expect_merge_fails(struct kunit *test, int fd,
				   void __user *arg, long err,
				   struct dma_fence *a, unsigned int refs)
{
	int next = sft_next_fd();

	KUNIT_EXPECT_EQ(test, sft_ioctl_fd(fd, SYNC_IOC_MERGE, arg), err);
	KUNIT_EXPECT_EQ(test, sft_next_fd(), next);
	/* A merged file made before the failure is released by a worker. */
	fput_settle(sft_refs(a) == refs);
	KUNIT_EXPECT_EQ(test, sft_refs(a), refs);
}

static void merge_rejects_bad_arguments(struct kunit *test)
{
	struct sync_merge_data __user *u = sft_user(test, sizeof(*u));
	struct dma_fence *a = sft_fence(test), *b = sft_fence(test);
	int fd_a = sft_fd(test, a), fd_b = sft_fd(test, b);
	struct sync_merge_data m = { .fd2 = fd_b };
	struct file *other;
	int fd_other, closed;

	m.flags = 1;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	sft_expect_merge_fails(test, fd_a, u, -EINVAL, a, 2);

	m.flags = 0;
	m.pad = 0x80000000;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	sft_expect_merge_fails(test, fd_a, u, -EINVAL, a, 2);

	m.pad = 0;
	m.fd2 = -1;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	sft_expect_merge_fails(test, fd_a, u, -ENOENT, a, 2);

	closed = sft_fd(test, b);
	sft_close(test, closed);
	m.fd2 = closed;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	sft_expect_merge_fails(test, fd_a, u, -ENOENT, a, 2);

	other = anon_inode_getfile("sync_file", &sft_other_fops, NULL, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	fd_other = sft_install(test, other);
	m.fd2 = fd_other;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	sft_expect_merge_fails(test, fd_a, u, -ENOENT, a, 2);
	KUNIT_EXPECT_EQ(test, file_count(other), 1L);

	/* Unreadable argument. */
	sft_expect_merge_fails(test, fd_a, NULL, -EFAULT, a, 2);
	sft_expect_merge_fails(test, fd_a, (void __user *)TASK_SIZE, -EFAULT,
			       a, 2);
	KUNIT_EXPECT_EQ(test, sft_refs(b), 2);
	sft_close(test, fd_other);
}

static void merge_efault_on_result_leaves_nothing(struct kunit *test)
{
	void __user *mem = sft_user_half_writable(test);
	struct dma_fence *a = sft_fence(test), *b = sft_fence(test);
	int fd_a = sft_fd(test, a), fd_b = sft_fd(test, b);
	struct sync_merge_data m = { .fd2 = fd_b };
	/* name, fd2 and fence writable; flags and pad read-only zeroes. */
	size_t head = offsetof(struct sync_merge_data, flags);
	void __user *u = mem + PAGE_SIZE - head;

	strscpy(m.name, "lost");
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, head), 0);
	sft_expect_merge_fails(test, fd_a, u, -EFAULT, a, 2);
	KUNIT_EXPECT_EQ(test, sft_refs(b), 2);

	/* The same arguments work where they can be written back. */
	u = mem;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &m, sizeof(m)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl_fd(fd_a, SYNC_IOC_MERGE, u), 0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&m, u, sizeof(m)), 0);
	sft_own_fd(test, m.fence);
	KUNIT_EXPECT_EQ(test, sft_refs(a), 3);
}

/* SYNC_IOC_FILE_INFO */

static void file_info_probe_reports_count(struct kunit *test)
{
	struct sync_file_info __user *u = sft_user(test, sizeof(*u));
	struct dma_fence *fences[3];
	struct sync_file *sync_file;
	struct sync_file_info info = {};
	char want[32];

	sync_file = sft_array_file(test, &mock_ops_plain, fences, 3);
	/* The array pointer is ignored when no entries are asked for. */
	info.sync_fence_info = 16;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_FILE_INFO, u),
			0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&info, u, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, info.num_fences, 3U);
	KUNIT_EXPECT_EQ(test, info.status, 0);
	KUNIT_EXPECT_EQ(test, info.flags, 0U);
	KUNIT_EXPECT_EQ(test, info.sync_fence_info, 16ULL);
	sync_file_get_name(sync_file, want, sizeof(want));
	KUNIT_EXPECT_STREQ(test, info.name, want);

	sft_signal(fences[0], 0);
	sft_signal(fences[1], 0);
	sft_signal(fences[2], 0);
	info.num_fences = 0;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_FILE_INFO, u),
			0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&info, u, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, info.num_fences, 3U);
	KUNIT_EXPECT_EQ(test, info.status, 1);
}

static void file_info_describes_each_fence(struct kunit *test)
{
	struct sync_file_info __user *u = sft_user(test, sizeof(*u));
	struct sync_fence_info __user *uarr = sft_user(test, PAGE_SIZE);
	struct sync_fence_info got[4], spare;
	struct sync_file_info info = {};
	struct dma_fence *fences[3];
	struct sync_file *sync_file;

	sync_file = sft_array_file(test, &mock_ops_plain, fences, 3);
	sft_signal(fences[1], 0);
	sft_signal(fences[2], -ETIMEDOUT);

	/* Room for four: three are written, the fourth stays as it was. */
	memset(&spare, 0xa5, sizeof(spare));
	KUNIT_ASSERT_EQ(test, sft_put_user(&uarr[3], &spare, sizeof(spare)),
			0);
	info.num_fences = 4;
	info.sync_fence_info = (u64)(uintptr_t)uarr;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_FILE_INFO, u),
			0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&info, u, sizeof(info)), 0);
	KUNIT_ASSERT_EQ(test, sft_get_user(got, uarr, sizeof(got)), 0);

	KUNIT_EXPECT_EQ(test, info.num_fences, 3U);
	/* The first member that is not a success decides: pending here. */
	KUNIT_EXPECT_EQ(test, info.status, 0);

	KUNIT_EXPECT_STREQ(test, got[0].obj_name, MOCK_TIMELINE_NAME);
	KUNIT_EXPECT_STREQ(test, got[0].driver_name, MOCK_DRIVER_NAME);
	KUNIT_EXPECT_EQ(test, got[0].status, 0);
	KUNIT_EXPECT_EQ(test, got[0].flags, 0U);
	KUNIT_EXPECT_EQ(test, got[0].timestamp_ns, 0ULL);

	KUNIT_EXPECT_STREQ(test, got[1].obj_name, "signaled-timeline");
	KUNIT_EXPECT_STREQ(test, got[1].driver_name, "detached-driver");
	KUNIT_EXPECT_EQ(test, got[1].status, 1);
	KUNIT_EXPECT_EQ(test, got[1].timestamp_ns,
			(u64)ktime_to_ns(fences[1]->timestamp));
	KUNIT_EXPECT_NE(test, got[1].timestamp_ns, 0ULL);

	KUNIT_EXPECT_EQ(test, got[2].status, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, got[2].timestamp_ns,
			(u64)ktime_to_ns(fences[2]->timestamp));

	KUNIT_EXPECT_EQ(test, memcmp(&got[3], &spare, sizeof(spare)), 0);

	/* All signalled: the error shows. */
	sft_signal(fences[0], 0);
	info.num_fences = 3;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_FILE_INFO, u),
			0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&info, u, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, info.status, -ETIMEDOUT);
	KUNIT_ASSERT_EQ(test, sft_get_user(got, uarr, sizeof(got)), 0);
	KUNIT_EXPECT_EQ(test, got[0].status, 1);
}

/* Many pending mock fences on contexts of their own, for the limit case. */
struct sft_many {
	unsigned int n;
	struct dma_fence *fences[] __counted_by(n);
};

static void sft_many_put(void *arg)
{
	struct sft_many *many = arg;
	unsigned int i;

	for (i = 0; i < many->n; i++)
		dma_fence_put(many->fences[i]);
	kvfree(many);
}

/* @n fences, dropped by KUnit when the case ends. */
static struct sft_many *sft_many_fences(struct kunit *test, unsigned int n)
{
	u64 ctx = dma_fence_context_alloc(n);
	struct sft_many *many;
	unsigned int i;

	many = kvzalloc(struct_size(many, fences, n), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, many);
	for (i = 0; i < n; i++) {
		many->fences[i] = mock_fence_alloc(&mock_ops_plain, ctx + i, 1);
		if (!many->fences[i])
			break;
	}
	many->n = i;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sft_many_put,
							many), 0);
	KUNIT_ASSERT_EQ(test, many->n, n);
	return many;
}

/*
 * 6.12 describes all fences in one kmalloc'ed buffer, so a file with more
 * fences than KMALLOC_MAX_SIZE holds records gets ENOMEM (after a WARN).
 * Ours keeps that limit without the buffer: at the limit every record is
 * copied out, one beyond it is ENOMEM with nothing written and no WARN.
 */
static void file_info_at_and_beyond_the_record_limit(struct kunit *test)
{
	unsigned int max = KMALLOC_MAX_SIZE / sizeof(struct sync_fence_info);
	size_t bytes = array_size(max, sizeof(struct sync_fence_info));
	struct sync_file_info __user *u = sft_user(test, sizeof(*u));
	struct sync_fence_info __user *uarr = sft_user(test, PAGE_ALIGN(bytes));
	struct sync_file_info info = {};
	struct sync_fence_info got;
	struct sync_file *at, *beyond;
	struct sft_many *many;

	many = sft_many_fences(test, max + 1);
	at = sft_array_file_of(test, many->fences, max);
	beyond = sft_array_file_of(test, many->fences, max + 1);

	info.num_fences = max + 1;
	info.sync_fence_info = (u64)(uintptr_t)uarr;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(at->file, SYNC_IOC_FILE_INFO, u), 0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&info, u, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, info.num_fences, max);
	KUNIT_EXPECT_EQ(test, info.status, 0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&got, &uarr[max - 1], sizeof(got)),
			0);
	KUNIT_EXPECT_STREQ(test, got.driver_name, MOCK_DRIVER_NAME);
	KUNIT_EXPECT_EQ(test, got.status, 0);

	/* Beyond: ENOMEM, and the first record is not touched. */
	memset(&got, 0xa5, sizeof(got));
	KUNIT_ASSERT_EQ(test, sft_put_user(&uarr[0], &got, sizeof(got)), 0);
	info.num_fences = max + 1;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(beyond->file, SYNC_IOC_FILE_INFO, u),
			-ENOMEM);
	KUNIT_ASSERT_EQ(test, sft_get_user(&got, &uarr[0], sizeof(got)), 0);
	KUNIT_EXPECT_EQ(test, got.status, (s32)0xa5a5a5a5);
	/* The probe still reports the count. */
	info.num_fences = 0;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(beyond->file, SYNC_IOC_FILE_INFO, u),
			0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&info, u, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, info.num_fences, max + 1);
}

static void file_info_of_a_single_fence(struct kunit *test)
{
	struct sync_file_info __user *u = sft_user(test, sizeof(*u));
	struct sync_fence_info __user *uarr = sft_user(test, PAGE_SIZE);
	struct dma_fence *fence = sft_fence(test);
	int fd = sft_fd(test, fence);
	struct sync_file_info info = {
		.num_fences = 1,
		.sync_fence_info = (u64)(uintptr_t)uarr,
	};
	struct sync_fence_info got;

	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl_fd(fd, SYNC_IOC_FILE_INFO, u), 0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&info, u, sizeof(info)), 0);
	KUNIT_ASSERT_EQ(test, sft_get_user(&got, uarr, sizeof(got)), 0);
	KUNIT_EXPECT_EQ(test, info.num_fences, 1U);
	KUNIT_EXPECT_EQ(test, info.status, 0);
	KUNIT_EXPECT_EQ(test, got.status, 0);
	KUNIT_EXPECT_STREQ(test, got.obj_name, MOCK_TIMELINE_NAME);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
}

static void file_info_rejects_bad_arguments(struct kunit *test)
{
	struct sync_file_info __user *u = sft_user(test, sizeof(*u));
	struct sync_fence_info __user *uarr = sft_user_half_writable(test);
	struct sync_file_info info = {}, back;
	struct dma_fence *fences[2];
	struct sync_file *sync_file;
	struct file *file;

	sync_file = sft_array_file(test, &mock_ops_plain, fences, 2);
	file = sync_file->file;

	info.flags = 1;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(file, SYNC_IOC_FILE_INFO, u), -EINVAL);

	info.flags = 0;
	info.pad = 1;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(file, SYNC_IOC_FILE_INFO, u), -EINVAL);

	/* Room for one of two fences; nothing is written back. */
	info.pad = 0;
	info.num_fences = 1;
	info.sync_fence_info = (u64)(uintptr_t)uarr;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(file, SYNC_IOC_FILE_INFO, u), -EINVAL);
	KUNIT_ASSERT_EQ(test, sft_get_user(&back, u, sizeof(back)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&back, &info, sizeof(info)), 0);

	/* Entries that cannot be written. */
	info.num_fences = 2;
	info.sync_fence_info = 0;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(file, SYNC_IOC_FILE_INFO, u), -EFAULT);
	info.sync_fence_info = TASK_SIZE;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(file, SYNC_IOC_FILE_INFO, u), -EFAULT);
	/* Only the first entry lies in writable memory. */
	info.sync_fence_info = (u64)(uintptr_t)uarr + PAGE_SIZE -
			       sizeof(struct sync_fence_info);
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &info, sizeof(info)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(file, SYNC_IOC_FILE_INFO, u), -EFAULT);

	/* An unreadable argument. */
	KUNIT_EXPECT_EQ(test, sft_ioctl(file, SYNC_IOC_FILE_INFO, NULL),
			-EFAULT);

	KUNIT_EXPECT_EQ(test, sft_refs(fences[0]), 2);
	KUNIT_EXPECT_EQ(test, sft_refs(fences[1]), 2);
}

/* SYNC_IOC_SET_DEADLINE and other commands */

static void set_deadline_reaches_the_provider(struct kunit *test)
{
	struct sync_set_deadline __user *u = sft_user(test, sizeof(*u));
	struct dma_fence *fence = sft_fence_ops(test, &mock_ops_full);
	struct mock_fence *mf = to_mock_fence(fence);
	struct sync_file *sync_file = sft_sync_file(test, fence);
	struct sync_set_deadline dl = { .deadline_ns = 123456789 };

	KUNIT_ASSERT_EQ(test, sft_put_user(u, &dl, sizeof(dl)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_SET_DEADLINE,
					u), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->deadline_calls), 1);
	KUNIT_EXPECT_EQ(test, ktime_to_ns(mf->last_deadline), 123456789LL);

	dl.pad = 1;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &dl, sizeof(dl)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_SET_DEADLINE,
					u), -EINVAL);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_SET_DEADLINE,
					NULL), -EFAULT);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->deadline_calls), 1);

	/* A signalled fence no longer cares. */
	sft_signal(fence, 0);
	dl.pad = 0;
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &dl, sizeof(dl)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_SET_DEADLINE,
					u), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&mf->deadline_calls), 1);
}

static void set_deadline_reaches_every_member(struct kunit *test)
{
	struct sync_set_deadline __user *u = sft_user(test, sizeof(*u));
	struct sync_set_deadline dl = { .deadline_ns = 42 };
	struct dma_fence *fences[2];
	struct sync_file *sync_file;

	sync_file = sft_array_file(test, &mock_ops_full, fences, 2);
	KUNIT_ASSERT_EQ(test, sft_put_user(u, &dl, sizeof(dl)), 0);
	KUNIT_EXPECT_EQ(test, sft_ioctl(sync_file->file, SYNC_IOC_SET_DEADLINE,
					u), 0);
	KUNIT_EXPECT_EQ(test,
			atomic_read(&to_mock_fence(fences[0])->deadline_calls),
			1);
	KUNIT_EXPECT_EQ(test,
			atomic_read(&to_mock_fence(fences[1])->deadline_calls),
			1);
	KUNIT_EXPECT_EQ(test, ktime_to_ns(to_mock_fence(fences[1])->last_deadline),
			42LL);
}

static void unknown_commands_get_enotty(struct kunit *test)
{
	void __user *u = sft_user(test, PAGE_SIZE);
	struct dma_fence *fence = sft_fence(test);
	int fd = sft_fd(test, fence);
	struct file *file = fget(fd);
	static const unsigned int cmds[] = {
		_IO(SYNC_IOC_MAGIC, 0),
		_IOWR(SYNC_IOC_MAGIC, 2, struct sync_file_info),
		_IOWR(SYNC_IOC_MAGIC, 6, struct sync_file_info),
		/* The right number with the wrong size. */
		_IOWR(SYNC_IOC_MAGIC, 4, struct sync_fence_info),
		_IOW('W', 1, __u32),
	};
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, file);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		KUNIT_EXPECT_EQ(test, sft_ioctl(file, cmds[i], u), -ENOTTY);
		KUNIT_EXPECT_EQ(test, sft_ioctl_fd(fd, cmds[i], u), -ENOTTY);
	}
	fput(file);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 2);
}

/* poll() */

/**
 * struct sft_waiter - a wait queue entry that counts its wake-ups
 * @wait: the entry added to &sync_file.wq
 * @wakeups: number of wake-ups so far
 */
struct sft_waiter {
	struct wait_queue_entry wait;
	atomic_t wakeups;
};

/* Wake function: count, do not dequeue, wake nobody. */
static int sft_waiter_wake(struct wait_queue_entry *wait, unsigned int mode,
			   int sync, void *key)
{
	struct sft_waiter *w = container_of(wait, struct sft_waiter, wait);

	atomic_inc(&w->wakeups);
	return 0;
}

static void sft_waiter_add(struct sync_file *sync_file, struct sft_waiter *w)
{
	atomic_set(&w->wakeups, 0);
	init_waitqueue_func_entry(&w->wait, sft_waiter_wake);
	add_wait_queue(&sync_file->wq, &w->wait);
}

/*
 * What poll() of @sync_file's file reports now, as a plain number that
 * KUnit can compare (a __poll_t is a restricted type for sparse).
 */
static unsigned int sft_poll(struct sync_file *sync_file)
{
	return (__force unsigned int)vfs_poll(sync_file->file, NULL);
}

static unsigned int sft_events(__poll_t events)
{
	return (__force unsigned int)events;
}

static void poll_arms_callback_once_and_wakes(struct kunit *test)
{
	struct dma_fence *fence = sft_fence(test);
	struct sync_file *sync_file = sft_sync_file(test, fence);
	struct sft_waiter w;

	/* Nobody polled yet: no callback on the fence. */
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(fence));
	sft_waiter_add(sync_file, &w);

	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), 0U);
	KUNIT_EXPECT_TRUE(test, test_bit(POLL_ENABLED, &sync_file->flags));
	KUNIT_EXPECT_FALSE(test, mock_fence_callbacks_idle(fence));
	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.wakeups), 0);

	sft_signal(fence, -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.wakeups), 1);
	/* Readable once signalled, error or not. */
	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), sft_events(EPOLLIN));
	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), sft_events(EPOLLIN));
	KUNIT_EXPECT_EQ(test, atomic_read(&w.wakeups), 1);

	remove_wait_queue(&sync_file->wq, &w.wait);
	sft_drop(test, sync_file);
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
}

static void poll_of_signalled_fence_wakes_at_once(struct kunit *test)
{
	struct dma_fence *fence = sft_fence(test);
	struct sync_file *sync_file = sft_sync_file(test, fence);
	struct sft_waiter w;

	sft_signal(fence, 0);
	sft_waiter_add(sync_file, &w);
	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), sft_events(EPOLLIN));
	KUNIT_EXPECT_EQ(test, atomic_read(&w.wakeups), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(POLL_ENABLED, &sync_file->flags));
	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), sft_events(EPOLLIN));
	KUNIT_EXPECT_EQ(test, atomic_read(&w.wakeups), 1);
	remove_wait_queue(&sync_file->wq, &w.wait);
}

static void release_withdraws_pending_callback(struct kunit *test)
{
	struct dma_fence *fence = sft_fence(test);
	struct sync_file *sync_file = sft_sync_file(test, fence);

	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), 0U);
	KUNIT_EXPECT_FALSE(test, mock_fence_callbacks_idle(fence));

	/* The file goes first; signalling later must not touch it. */
	sft_drop(test, sync_file);
	KUNIT_EXPECT_TRUE(test, mock_fence_callbacks_idle(fence));
	KUNIT_EXPECT_EQ(test, sft_refs(fence), 1);
	sft_signal(fence, 0);
}

static void poll_reports_signalled_by_provider(struct kunit *test)
{
	struct dma_fence *fence = sft_fence_ops(test, &mock_ops_full);
	struct sync_file *sync_file = sft_sync_file(test, fence);

	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), 0U);
	/* The hardware finished; nobody called dma_fence_signal() yet. */
	WRITE_ONCE(to_mock_fence(fence)->hw_done, true);
	KUNIT_EXPECT_EQ(test, sft_poll(sync_file), sft_events(EPOLLIN));
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
					 &fence->flags));
}

/* FILE_INFO against signalling */

/**
 * struct sft_race - state shared by the reader and the signalling thread
 * @fences: the named fences of the round, signalled in order
 * @started: the signaller is about to begin
 */
struct sft_race {
	struct dma_fence *fences[SFT_RACE_FENCES];
	atomic_t started;
};

/* Signal every fence with small random pauses, then retire the names. */
static void sft_race_signaller(struct fence_job *job)
{
	struct sft_race *race = job->data;
	unsigned int i;

	atomic_set(&race->started, 1);
	for (i = 0; i < SFT_RACE_FENCES; i++) {
		udelay(get_random_u32_below(40));
		dma_fence_signal(race->fences[i]);
	}
	named_fences_retire(race->fences, SFT_RACE_FENCES);
}

/*
 * Check one FILE_INFO answer taken while fences signal. Names that are
 * not placeholders must be the right ones; a pending entry always carries
 * them, a signalled one has a timestamp.
 */
static void sft_race_check(struct kunit *test, struct sft_race *race,
			   const struct sync_file_info *info,
			   const struct sync_fence_info *got)
{
	bool pending = false;
	unsigned int i;
	char tl[32];

	/* No assertion here: the signaller still uses the caller's stack. */
	if (info->num_fences != SFT_RACE_FENCES) {
		KUNIT_FAIL(test, "FILE_INFO counted %u fences", info->num_fences);
		return;
	}
	for (i = 0; i < SFT_RACE_FENCES; i++) {
		snprintf(tl, sizeof(tl), "sft-tl-%u", i);
		if (!got[i].status) {
			pending = true;
			KUNIT_EXPECT_STREQ(test, got[i].obj_name, tl);
			KUNIT_EXPECT_STREQ(test, got[i].driver_name, "sft-drv");
			KUNIT_EXPECT_EQ(test, got[i].timestamp_ns, 0ULL);
			continue;
		}
		KUNIT_EXPECT_EQ(test, got[i].status, 1);
		KUNIT_EXPECT_EQ(test, got[i].timestamp_ns,
				(u64)ktime_to_ns(race->fences[i]->timestamp));
		if (strcmp(got[i].obj_name, "signaled-timeline"))
			KUNIT_EXPECT_STREQ(test, got[i].obj_name, tl);
		if (strcmp(got[i].driver_name, "detached-driver"))
			KUNIT_EXPECT_STREQ(test, got[i].driver_name, "sft-drv");
	}
	KUNIT_EXPECT_EQ(test, info->status, pending ? 0 : 1);
}

/*
 * Check a name of a sync file for fence 0 of a round, taken while the fence
 * signals. Driver and timeline names are looked up one after the other, so
 * the signal may fall between them: each half is either the real name or
 * its placeholder, independently.
 */
static void sft_race_check_name(struct kunit *test, struct dma_fence *fence,
				const char *name)
{
	static const char * const drivers[] = { "sft-drv", "detached-driver" };
	static const char * const timelines[] = {
		"sft-tl-0", "signaled-timeline"
	};
	unsigned int d, t;
	char want[64];

	for (d = 0; d < ARRAY_SIZE(drivers); d++) {
		for (t = 0; t < ARRAY_SIZE(timelines); t++) {
			snprintf(want, sizeof(want), "%s-%s%llu-1", drivers[d],
				 timelines[t], fence->context);
			if (!strcmp(name, want))
				return;
		}
	}
	KUNIT_FAIL(test, "unexpected name \"%s\"", name);
}

/* One round: a new array of named fences, read while they signal. */
static unsigned int sft_race_round(struct kunit *test,
				   struct sync_file_info __user *u,
				   struct sync_fence_info __user *uarr)
{
	struct sync_fence_info got[SFT_RACE_FENCES];
	struct sync_file *sync_file, *single;
	struct sync_file_info info;
	struct sft_race race = {};
	struct fence_job job;
	unsigned int i, reads = 0;
	char name[64];
	bool last;

	memset(got, 0, sizeof(got));
	memset(&info, 0, sizeof(info));
	for (i = 0; i < SFT_RACE_FENCES; i++) {
		race.fences[i] = named_fence_alloc(dma_fence_context_alloc(1),
						   i);
		KUNIT_ASSERT_NOT_NULL(test, race.fences[i]);
		KUNIT_ASSERT_EQ(test,
				kunit_add_action_or_reset(test, sft_put_fence,
							  race.fences[i]), 0);
	}
	sync_file = sft_array_file_of(test, race.fences, SFT_RACE_FENCES);
	single = sft_sync_file(test, race.fences[0]);

	job.fn = sft_race_signaller;
	job.data = &race;
	KUNIT_ASSERT_EQ(test, fence_job_start(&job, -1), 0);
	do {
		/* Decided first, so one more read follows the signaller. */
		last = completion_done(&job.done);
		memset(&info, 0, sizeof(info));
		info.num_fences = SFT_RACE_FENCES;
		info.sync_fence_info = (u64)(uintptr_t)uarr;
		if (sft_put_user(u, &info, sizeof(info)) ||
		    sft_ioctl(sync_file->file, SYNC_IOC_FILE_INFO, u) ||
		    sft_get_user(&info, u, sizeof(info)) ||
		    sft_get_user(got, uarr, sizeof(got))) {
			KUNIT_FAIL(test, "FILE_INFO failed during the race");
			break;
		}
		sft_race_check(test, &race, &info, got);
		sync_file_get_name(single, name, sizeof(name));
		sft_race_check_name(test, race.fences[0], name);
		reads++;
		cond_resched();
	} while (!last);
	fence_job_finish(&job);

	/* Everything signalled and retired: placeholders only. */
	for (i = 0; i < SFT_RACE_FENCES; i++) {
		KUNIT_EXPECT_EQ(test, got[i].status, 1);
		KUNIT_EXPECT_STREQ(test, got[i].obj_name, "signaled-timeline");
		KUNIT_EXPECT_STREQ(test, got[i].driver_name, "detached-driver");
	}
	KUNIT_EXPECT_EQ(test, info.status, 1);
	return reads;
}

static void file_info_races_with_signalling(struct kunit *test)
{
	struct sync_file_info __user *u = sft_user(test, sizeof(*u));
	struct sync_fence_info __user *uarr = sft_user(test, PAGE_SIZE);
	unsigned long end = jiffies + SFT_RACE_BUDGET;
	unsigned int round, reads = 0;

	for (round = 0; round < SFT_RACE_ROUNDS; round++) {
		if (round && time_after(jiffies, end))
			break;
		reads += sft_race_round(test, u, uarr);
	}
	kunit_info(test, "%u rounds, %u FILE_INFO reads\n", round, reads);
	KUNIT_EXPECT_GT(test, reads, round);
}

DEFINE_CASE_MM(merge_two_files)
DEFINE_CASE_MM(merge_with_itself)
DEFINE_CASE_MM(merge_terminates_the_name)
DEFINE_CASE_MM(merge_rejects_bad_arguments)
DEFINE_CASE_MM(merge_efault_on_result_leaves_nothing)
DEFINE_CASE_MM(file_info_probe_reports_count)
DEFINE_CASE_MM(file_info_describes_each_fence)
DEFINE_CASE_MM(file_info_of_a_single_fence)
DEFINE_CASE_MM(file_info_at_and_beyond_the_record_limit)
DEFINE_CASE_MM(file_info_rejects_bad_arguments)
DEFINE_CASE_MM(set_deadline_reaches_the_provider)
DEFINE_CASE_MM(set_deadline_reaches_every_member)
DEFINE_CASE_MM(unknown_commands_get_enotty)
DEFINE_CASE_MM(file_info_races_with_signalling)

static struct kunit_case sync_file_test_cases[] = {
	KUNIT_CASE(create_takes_own_reference),
	KUNIT_CASE(create_of_null_warns),
	KUNIT_CASE(get_fence_returns_new_reference),
	KUNIT_CASE(get_fence_rejects_other_descriptors),
	KUNIT_CASE(name_is_made_from_the_fence),
	KUNIT_CASE(name_survives_freed_provider_names),
	KUNIT_CASE_MM(merge_two_files),
	KUNIT_CASE_MM(merge_with_itself),
	KUNIT_CASE_MM(merge_terminates_the_name),
	KUNIT_CASE_MM(merge_rejects_bad_arguments),
	KUNIT_CASE_MM(merge_efault_on_result_leaves_nothing),
	KUNIT_CASE_MM(file_info_probe_reports_count),
	KUNIT_CASE_MM(file_info_describes_each_fence),
	KUNIT_CASE_MM(file_info_of_a_single_fence),
	KUNIT_CASE_MM(file_info_at_and_beyond_the_record_limit),
	KUNIT_CASE_MM(file_info_rejects_bad_arguments),
	KUNIT_CASE_MM(set_deadline_reaches_the_provider),
	KUNIT_CASE_MM(set_deadline_reaches_every_member),
	KUNIT_CASE_MM(unknown_commands_get_enotty),
	KUNIT_CASE(poll_arms_callback_once_and_wakes),
	KUNIT_CASE(poll_of_signalled_fence_wakes_at_once),
	KUNIT_CASE(release_withdraws_pending_callback),
	KUNIT_CASE(poll_reports_signalled_by_provider),
	KUNIT_CASE_MM(file_info_races_with_signalling),
	{}
};

static struct kunit_suite sync_file_test_suite = {
	.name = "sync-file",
	.test_cases = sync_file_test_cases,
};

kunit_test_suite(sync_file_test_suite);

MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("KUnit tests of sync_file");
MODULE_LICENSE("GPL");
