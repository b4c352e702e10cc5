// SPDX-License-Identifier: GPL-2.0-only
/*
 * fence-merge: userspace checks of sync_file merging and fence queries.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o fence-merge <this file>
 *
 * Each case opens three software timelines on the sw_sync debugfs file,
 * makes sync_files for points on them, merges those with SYNC_IOC_MERGE and
 * looks at the result through SYNC_IOC_FILE_INFO and poll(). The expected
 * values follow the 6.12 ABI: a merge keeps one fence per timeline (the
 * later one), leaves out fences that have already signalled, never nests
 * containers, and turns "nothing left to wait for" into one signalled stub
 * fence. Every case ends by checking that it left no descriptor open.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sync_file.h>
#include <linux/types.h>

#include "dmabuf-harness.h"

#define SW_SYNC_PATH	"/sys/kernel/debug/sync/sw_sync"
/* What FILE_INFO reports as the names of a fence that has signalled. */
#define SIGNALLED_TIMELINE	"signaled-timeline"
#define SIGNALLED_DRIVER	"detached-driver"
#define NO_SW_SYNC	SW_SYNC_PATH \
	" missing (needs CONFIG_SW_SYNC=y and debugfs mounted)"

/*
 * sw_sync lives in debugfs and has no uapi header, so its two ioctls are
 * spelled out here. Layout: seqno to create, point name, returned fd.
 */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, __u32)

/* sw_sync names a timeline after the comm of the task that opened it. */
enum { TL_A, TL_B, TL_C, NR_TIMELINES };
static const char * const timeline_names[NR_TIMELINES] = {
	"fm-A", "fm-B", "fm-C",
};

#define MAX_TRACKED_FDS	32

/*
 * Small helpers that talk to the kernel. They report failure as a negative
 * errno and never assert, so the tests decide what an error means.
 */

/*
 * open_timeline() - open a fresh sw_sync timeline called @name.
 * The task comm is switched to @name for the open() and restored after.
 * Returns the timeline fd (the caller closes it) or -errno.
 */
static int open_timeline(const char *name)
{
	char saved[16] = "";
	int fd, err;

	if (prctl(PR_GET_NAME, (unsigned long)saved, 0, 0, 0) ||
	    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0))
		return -errno;
	fd = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	err = errno;
	prctl(PR_SET_NAME, (unsigned long)saved, 0, 0, 0);

	return fd < 0 ? -err : fd;
}

/*
 * timeline_point() - make a sync_file for point @seqno of @timeline.
 * Returns the new sync_file fd (owned by the caller) or -errno.
 */
static int timeline_point(int timeline, unsigned int seqno)
{
	struct sw_sync_create_fence_data req;

	memset(&req, 0, sizeof(req));
	req.value = seqno;
	snprintf(req.name, sizeof(req.name), "pt-%u", seqno);
	if (ioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &req))
		return -errno;

	return req.fence;
}

/*
 * timeline_advance() - move @timeline forward by @steps, signalling every
 * point it reaches. Returns 0 or -errno.
 */
static int timeline_advance(int timeline, unsigned int steps)
{
	__u32 arg = steps;

	return ioctl(timeline, SW_SYNC_IOC_INC, &arg) ? -errno : 0;
}

/*
 * merge_raw() - issue SYNC_IOC_MERGE on @fd1 with a caller-built request.
 * On success @req->fence holds the new fd. Returns 0 or -errno.
 */
static int merge_raw(int fd1, struct sync_merge_data *req)
{
	return ioctl(fd1, SYNC_IOC_MERGE, req) ? -errno : 0;
}

/*
 * merge_pair() - merge @fd1 and @fd2 into a new sync_file named @name.
 * Returns the new fd (owned by the caller) or -errno.
 */
static int merge_pair(int fd1, int fd2, const char *name)
{
	struct sync_merge_data req;
	int ret;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	req.fd2 = fd2;
	ret = merge_raw(fd1, &req);

	return ret ? ret : req.fence;
}

/*
 * info_raw() - issue SYNC_IOC_FILE_INFO on @fd with a caller-built request.
 * Returns 0 or -errno.
 */
static int info_raw(int fd, struct sync_file_info *info)
{
	return ioctl(fd, SYNC_IOC_FILE_INFO, info) ? -errno : 0;
}

/*
 * probe_fences() - ask @fd how many fences it holds, without an array.
 * Fills @info (name, status, num_fences). Returns the count or -errno.
 */
static int probe_fences(int fd, struct sync_file_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	ret = info_raw(fd, info);

	return ret ? ret : (int)info->num_fences;
}

/*
 * list_fences() - probe @fd for its fence count, then fetch that many
 * entries into @out, which has room for @room of them.
 * Returns the number of entries written, -ENOSPC when @room is too small,
 * or -errno from the kernel.
 */
static int list_fences(int fd, struct sync_file_info *info,
		       struct sync_fence_info *out, unsigned int room)
{
	unsigned int count;
	int ret;

	ret = probe_fences(fd, info);
	if (ret < 0)
		return ret;
	count = ret;
	if (count > room)
		return -ENOSPC;

	memset(out, 0, sizeof(*out) * room);
	memset(info, 0, sizeof(*info));
	info->num_fences = count;
	info->sync_fence_info = (__u64)(uintptr_t)out;
	ret = info_raw(fd, info);

	return ret ? ret : (int)info->num_fences;
}

/*
 * file_status() - the status FILE_INFO reports for @fd as a whole:
 * 1 signalled, 0 pending, negative for an error (or -errno on failure).
 */
static int file_status(int fd)
{
	struct sync_file_info info;
	int ret;

	ret = probe_fences(fd, &info);

	return ret < 0 ? ret : info.status;
}

/*
 * wait_readable() - poll() @fd for input for up to @timeout_ms.
 * Returns 1 when it reported POLLIN, 0 on timeout, or -errno.
 */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;

	return ret && (pfd.revents & POLLIN) ? 1 : 0;
}

/*
 * count_open_fds() - how many descriptors this process has open, read
 * from /proc/self/fd (the directory's own fd is included, consistently).
 * Without procfs, probe each possible descriptor with F_GETFD instead.
 */
static int count_open_fds(void)
{
	struct dirent *ent;
	int n = 0;
	long fd, max;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (dir) {
		while ((ent = readdir(dir)))
			if (ent->d_name[0] != '.')
				n++;
		closedir(dir);
		return n;
	}

	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 0; fd < max; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/*
 * entries_named() - how many of the @n entries in @fi belong to the
 * timeline called @obj_name.
 */
static int entries_named(const struct sync_fence_info *fi, int n,
			 const char *obj_name)
{
	int i, hits = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(fi[i].obj_name, obj_name))
			hits++;
	return hits;
}

/* monotonic_ns() - CLOCK_MONOTONIC now, the clock fence timestamps use. */
static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * What a case works with: three timelines, the sync_file fds it made
 * (closed by the teardown), and the descriptor count before setup, which
 * the teardown compares against once everything is closed again.
 */
struct fence_env {
	int timeline[NR_TIMELINES];
	int kept[MAX_TRACKED_FDS];
	unsigned int nr_kept;
	int fds_before;
};

FIXTURE(fence) {
	struct fence_env env;
};

FIXTURE_SETUP(fence)
{
	struct fence_env *env = &self->env;
	int i, fd;

	for (i = 0; i < NR_TIMELINES; i++)
		env->timeline[i] = -1;
	env->nr_kept = 0;

	if (access(SW_SYNC_PATH, F_OK))
		SKIP(return, "%s", NO_SW_SYNC);

	env->fds_before = count_open_fds();
	ASSERT_GT(env->fds_before, 0);

	for (i = 0; i < NR_TIMELINES; i++) {
		fd = open_timeline(timeline_names[i]);
		ASSERT_LE(0, fd) {
			TH_LOG("opening %s: %s", SW_SYNC_PATH, strerror(-fd));
		}
		env->timeline[i] = fd;
	}
}

FIXTURE_TEARDOWN(fence)
{
	struct fence_env *env = &self->env;
	unsigned int i;

	for (i = 0; i < env->nr_kept; i++)
		close(env->kept[i]);
	for (i = 0; i < NR_TIMELINES; i++)
		if (env->timeline[i] >= 0)
			close(env->timeline[i]);

	EXPECT_EQ(env->fds_before, count_open_fds()) {
		TH_LOG("descriptors leaked by this case");
	}
}

/*
 * Helpers for test bodies: they assert, and hand every new fd to @env so
 * the teardown closes it.
 */

/* keep_fd() - record @fd for the teardown; returns @fd. */
static int keep_fd(struct __test_metadata *_metadata, struct fence_env *env,
		   int fd)
{
	ASSERT_LE(0, fd) {
		TH_LOG("expected a new fd, got error %s", strerror(-fd));
	}
	ASSERT_LT(env->nr_kept, ARRAY_SIZE(env->kept));
	env->kept[env->nr_kept++] = fd;
	return fd;
}

/* point() - a kept sync_file for point @seqno of timeline @tl. */
static int point(struct __test_metadata *_metadata, struct fence_env *env,
		 int tl, unsigned int seqno)
{
	return keep_fd(_metadata, env,
		       timeline_point(env->timeline[tl], seqno));
}

/* merged() - a kept sync_file merging @fd1 and @fd2. */
static int merged(struct __test_metadata *_metadata, struct fence_env *env,
		  int fd1, int fd2)
{
	return keep_fd(_metadata, env, merge_pair(fd1, fd2, "merged"));
}

/* advance() - move timeline @tl forward by @steps, asserting success. */
static void advance(struct __test_metadata *_metadata, struct fence_env *env,
		    int tl, unsigned int steps)
{
	ASSERT_EQ(0, timeline_advance(env->timeline[tl], steps));
}

/* Two points of one timeline merge into one fence: the later point. */
TEST_F(fence, same_timeline_keeps_later_point)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	int a1, a2, fwd, rev;

	a1 = point(_metadata, &self->env, TL_A, 1);
	a2 = point(_metadata, &self->env, TL_A, 2);
	fwd = keep_fd(_metadata, &self->env, merge_pair(a1, a2, "a1+a2"));
	rev = merged(_metadata, &self->env, a2, a1);

	ASSERT_EQ(1, list_fences(fwd, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_STREQ("a1+a2", info.name);
	EXPECT_EQ(0, info.status);
	EXPECT_STREQ("fm-A", fi[0].obj_name);
	EXPECT_STREQ("sw_sync", fi[0].driver_name);
	EXPECT_EQ(0, fi[0].status);
	EXPECT_EQ(0ULL, fi[0].timestamp_ns);
	ASSERT_EQ(1, list_fences(rev, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_STREQ("fm-A", fi[0].obj_name);

	/* Had the earlier point been kept, reaching 1 would signal these. */
	advance(_metadata, &self->env, TL_A, 1);
	EXPECT_EQ(1, file_status(a1));
	EXPECT_EQ(0, file_status(fwd));
	EXPECT_EQ(0, file_status(rev));
	EXPECT_EQ(0, wait_readable(fwd, 0));

	advance(_metadata, &self->env, TL_A, 1);
	EXPECT_EQ(1, file_status(fwd));
	EXPECT_EQ(1, file_status(rev));
	EXPECT_EQ(1, wait_readable(fwd, 0));
	EXPECT_EQ(1, wait_readable(rev, 0));
}

/*
 * With an empty merge name a sync_file holding one fence is named after
 * that fence: "<driver>-<timeline><context>-<seqno>". That exposes which
 * point a same-timeline merge kept.
 */
TEST_F(fence, unnamed_merge_is_named_after_kept_point)
{
	struct sync_file_info info;
	const char *dash;
	int a3, a5, m;

	a3 = point(_metadata, &self->env, TL_A, 3);
	a5 = point(_metadata, &self->env, TL_A, 5);
	m = keep_fd(_metadata, &self->env, merge_pair(a5, a3, ""));

	ASSERT_EQ(1, probe_fences(m, &info));
	EXPECT_EQ(0, strncmp(info.name, "sw_sync-fm-A", 12)) {
		TH_LOG("name is '%s'", info.name);
	}
	dash = strrchr(info.name, '-');
	ASSERT_TRUE(!!dash);
	EXPECT_STREQ("-5", dash);
}

/* A sync_file merged with itself still holds its single fence. */
TEST_F(fence, self_merge_holds_one_fence)
{
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int b1, m;

	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, b1, b1);

	ASSERT_EQ(1, list_fences(m, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_STREQ("fm-B", fi[0].obj_name);
	EXPECT_EQ(0, info.status);
}

/* Fences of two timelines both survive the merge. */
TEST_F(fence, two_timelines_give_two_fences)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	int a1, b1, m, i;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, a1, b1);

	ASSERT_EQ(2, probe_fences(m, &info));
	EXPECT_EQ(0, info.status);
	EXPECT_STREQ("merged", info.name);

	ASSERT_EQ(2, list_fences(m, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(0, info.status);
	EXPECT_EQ(1, entries_named(fi, 2, "fm-A"));
	EXPECT_EQ(1, entries_named(fi, 2, "fm-B"));
	for (i = 0; i < 2; i++) {
		EXPECT_STREQ("sw_sync", fi[i].driver_name);
		EXPECT_EQ(0, fi[i].status);
		EXPECT_EQ(0U, fi[i].flags);
		EXPECT_EQ(0ULL, fi[i].timestamp_ns);
	}
}

/* The fd returned by a merge is close-on-exec. */
TEST_F(fence, merged_fd_is_cloexec)
{
	int a1, b1, m, flags;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, a1, b1);

	flags = fcntl(m, F_GETFD);
	ASSERT_LE(0, flags);
	EXPECT_TRUE(flags & FD_CLOEXEC);
}

/*
 * Merging a merged file with a third timeline gives three plain sw_sync
 * fences, in either order: containers are unpacked, never nested.
 */
TEST_F(fence, merge_with_third_timeline_is_flat)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	int a1, b1, c1, ab, abc, cab, i;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	c1 = point(_metadata, &self->env, TL_C, 1);
	ab = merged(_metadata, &self->env, a1, b1);
	abc = merged(_metadata, &self->env, ab, c1);
	cab = merged(_metadata, &self->env, c1, ab);

	ASSERT_EQ(3, list_fences(abc, &info, fi, ARRAY_SIZE(fi)));
	for (i = 0; i < 3; i++)
		EXPECT_STREQ("sw_sync", fi[i].driver_name);
	EXPECT_EQ(1, entries_named(fi, 3, "fm-A"));
	EXPECT_EQ(1, entries_named(fi, 3, "fm-B"));
	EXPECT_EQ(1, entries_named(fi, 3, "fm-C"));

	ASSERT_EQ(3, list_fences(cab, &info, fi, ARRAY_SIZE(fi)));
	for (i = 0; i < 3; i++)
		EXPECT_STREQ("sw_sync", fi[i].driver_name);
	EXPECT_EQ(1, entries_named(fi, 3, "fm-C"));
}

/*
 * Two merged files sharing a timeline: the result has one fence per
 * timeline, and for the shared one it is the later point.
 */
TEST_F(fence, overlapping_merges_keep_latest_per_timeline)
{
	struct sync_fence_info fi[6];
	struct sync_file_info info;
	int a1, b1, b3, c1, x, y, xy;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	b3 = point(_metadata, &self->env, TL_B, 3);
	c1 = point(_metadata, &self->env, TL_C, 1);
	x = merged(_metadata, &self->env, a1, b1);
	y = merged(_metadata, &self->env, b3, c1);
	xy = merged(_metadata, &self->env, x, y);

	ASSERT_EQ(3, list_fences(xy, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(1, entries_named(fi, 3, "fm-B"));

	/* Everything in x signals; B@3 still holds the merge back. */
	advance(_metadata, &self->env, TL_A, 1);
	advance(_metadata, &self->env, TL_B, 1);
	advance(_metadata, &self->env, TL_C, 1);
	EXPECT_EQ(1, file_status(x));
	EXPECT_EQ(0, file_status(xy));
	EXPECT_EQ(0, wait_readable(xy, 0));

	advance(_metadata, &self->env, TL_B, 2);
	EXPECT_EQ(1, file_status(xy));
	EXPECT_EQ(1, wait_readable(xy, 0));
}

/* Fences that already signalled are left out of a merge. */
TEST_F(fence, signalled_member_is_dropped)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	int a1, b1, c1, bc, m1, m2;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	c1 = point(_metadata, &self->env, TL_C, 1);
	advance(_metadata, &self->env, TL_A, 1);
	ASSERT_EQ(1, file_status(a1));

	m1 = merged(_metadata, &self->env, a1, b1);
	ASSERT_EQ(1, list_fences(m1, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_STREQ("fm-B", fi[0].obj_name);
	EXPECT_EQ(0, fi[0].status);
	EXPECT_EQ(0, info.status);

	bc = merged(_metadata, &self->env, b1, c1);
	m2 = merged(_metadata, &self->env, bc, a1);
	ASSERT_EQ(2, list_fences(m2, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(0, entries_named(fi, 2, "fm-A"));
}

/*
 * Nothing left to wait for: the merge yields one private stub fence
 * (driver and timeline both "stub"), signalled, carrying the latest
 * timestamp of the inputs.
 */
TEST_F(fence, all_signalled_merge_gives_stub)
{
	DIFFERS_FROM_612("signalled-fence-names");
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	__u64 ts_a, ts_b, latest;
	int a1, b1, m, again;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	advance(_metadata, &self->env, TL_A, 1);
	advance(_metadata, &self->env, TL_B, 1);

	ASSERT_EQ(1, list_fences(a1, &info, fi, ARRAY_SIZE(fi)));
	ts_a = fi[0].timestamp_ns;
	ASSERT_EQ(1, list_fences(b1, &info, fi, ARRAY_SIZE(fi)));
	ts_b = fi[0].timestamp_ns;
	latest = ts_a > ts_b ? ts_a : ts_b;

	m = merged(_metadata, &self->env, a1, b1);
	ASSERT_EQ(1, probe_fences(m, &info));
	EXPECT_EQ(1, info.status);
	ASSERT_EQ(1, list_fences(m, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(1, info.status);
	/*
	 * The stub has signalled, so its names are not read: FILE_INFO
	 * reports the placeholders of dma_fence_timeline_name() and
	 * dma_fence_driver_name() (6.12's sync_file read the strings).
	 */
	EXPECT_STREQ(SIGNALLED_TIMELINE, fi[0].obj_name);
	EXPECT_STREQ(SIGNALLED_DRIVER, fi[0].driver_name);
	EXPECT_EQ(1, fi[0].status);
	EXPECT_EQ(latest, fi[0].timestamp_ns);
	EXPECT_EQ(1, wait_readable(m, 0));

	/* A stub merged with itself is again a single signalled stub. */
	again = merged(_metadata, &self->env, m, m);
	ASSERT_EQ(1, list_fences(again, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_STREQ(SIGNALLED_DRIVER, fi[0].driver_name);
	EXPECT_EQ(1, fi[0].status);
	EXPECT_EQ(latest, fi[0].timestamp_ns);
}

/* poll() on a pending merged file waits out its whole timeout. */
TEST_F(fence, poll_pending_merge_times_out)
{
	__u64 start;
	int a1, b1, m;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, a1, b1);

	EXPECT_EQ(0, wait_readable(m, 0));
	start = monotonic_ns();
	EXPECT_EQ(0, wait_readable(m, 50));
	EXPECT_LE(45000000ULL, monotonic_ns() - start);
}

/* One member signalled is not enough; the last one makes it readable. */
TEST_F(fence, poll_partial_signal_stays_pending)
{
	int a1, b1, m;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, a1, b1);

	advance(_metadata, &self->env, TL_A, 1);
	EXPECT_EQ(1, wait_readable(a1, 0));
	EXPECT_EQ(0, wait_readable(m, 0));
	EXPECT_EQ(0, wait_readable(m, 20));
	EXPECT_EQ(0, file_status(m));

	advance(_metadata, &self->env, TL_B, 1);
	EXPECT_EQ(1, wait_readable(m, 0));
	EXPECT_EQ(1, file_status(m));
}

/*
 * A poll() already asleep on the merged file is woken when another
 * process signals the last member (the callback path, not a re-check).
 */
TEST_F(fence, poll_sleeper_woken_by_last_signal)
{
	int a1, b1, m, status;
	pid_t child;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, a1, b1);
	advance(_metadata, &self->env, TL_A, 1);

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		usleep(100 * 1000);
		_exit(timeline_advance(self->env.timeline[TL_B], 1) ? 1 : 0);
	}

	EXPECT_EQ(1, wait_readable(m, 5000));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(1, file_status(m));
}

/*
 * FILE_INFO status goes 0 -> 1 and the timestamp from 0 to the moment of
 * signalling (CLOCK_MONOTONIC); the probe and the full query agree.
 */
TEST_F(fence, info_status_and_timestamp)
{
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	__u64 before, after;
	int c7;

	c7 = point(_metadata, &self->env, TL_C, 7);
	ASSERT_EQ(1, probe_fences(c7, &info));
	EXPECT_EQ(0, info.status);
	ASSERT_EQ(1, list_fences(c7, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(0, info.status);
	EXPECT_EQ(0, fi[0].status);
	EXPECT_EQ(0ULL, fi[0].timestamp_ns);
	EXPECT_STREQ("fm-C", fi[0].obj_name);
	EXPECT_STREQ("sw_sync", fi[0].driver_name);

	/* Short of the point: nothing changes. */
	advance(_metadata, &self->env, TL_C, 6);
	EXPECT_EQ(0, file_status(c7));

	before = monotonic_ns();
	advance(_metadata, &self->env, TL_C, 1);
	after = monotonic_ns();

	ASSERT_EQ(1, probe_fences(c7, &info));
	EXPECT_EQ(1, info.status);
	ASSERT_EQ(1, list_fences(c7, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(1, info.status);
	EXPECT_EQ(1, fi[0].status);
	EXPECT_NE(0ULL, fi[0].timestamp_ns);
	EXPECT_LE(before, fi[0].timestamp_ns);
	EXPECT_GE(after, fi[0].timestamp_ns);
}

/* In a half-signalled merge each entry reports its own state. */
TEST_F(fence, info_reports_each_member)
{
	DIFFERS_FROM_612("signalled-fence-names");
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	int a1, b1, m, i, done = 0;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, a1, b1);
	advance(_metadata, &self->env, TL_B, 1);

	ASSERT_EQ(2, list_fences(m, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(0, info.status);
	for (i = 0; i < 2; i++) {
		if (fi[i].status == 1) {
			/* B: signalled, so only placeholders for names. */
			EXPECT_STREQ(SIGNALLED_TIMELINE, fi[i].obj_name);
			EXPECT_STREQ(SIGNALLED_DRIVER, fi[i].driver_name);
			EXPECT_NE(0ULL, fi[i].timestamp_ns);
			done++;
		} else {
			EXPECT_STREQ("fm-A", fi[i].obj_name);
			EXPECT_STREQ("sw_sync", fi[i].driver_name);
			EXPECT_EQ(0, fi[i].status);
			EXPECT_EQ(0ULL, fi[i].timestamp_ns);
		}
	}
	EXPECT_EQ(1, done);
	EXPECT_EQ(0, file_status(m));
}

/*
 * Closing a timeline with points outstanding signals them with -ENOENT;
 * FILE_INFO reports that error as the status, and a merge drops the
 * point like any other signalled fence.
 */
TEST_F(fence, abandoned_point_reports_error)
{
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int a1, b1, m;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	close(self->env.timeline[TL_A]);
	self->env.timeline[TL_A] = -1;

	EXPECT_EQ(-ENOENT, file_status(a1));
	ASSERT_EQ(1, list_fences(a1, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_EQ(-ENOENT, fi[0].status);
	EXPECT_EQ(-ENOENT, info.status);
	EXPECT_EQ(1, wait_readable(a1, 0));

	m = merged(_metadata, &self->env, a1, b1);
	ASSERT_EQ(1, list_fences(m, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_STREQ("fm-B", fi[0].obj_name);
	EXPECT_EQ(0, info.status);
}

/* An fd2 that is not open at all is reported as ENOENT, not EBADF. */
TEST_F(fence, merge_closed_fd2_fails_enoent)
{
	struct sync_merge_data req;
	int a1, n;

	a1 = point(_metadata, &self->env, TL_A, 1);
	n = count_open_fds();

	memset(&req, 0, sizeof(req));
	req.fd2 = -1;
	req.fence = -1;
	EXPECT_EQ(-ENOENT, merge_raw(a1, &req));
	EXPECT_EQ(-1, req.fence);

	req.fd2 = 1000;
	EXPECT_EQ(-ENOENT, merge_raw(a1, &req));
	EXPECT_EQ(n, count_open_fds());
}

/* An fd2 that is open but not a sync_file is ENOENT as well. */
TEST_F(fence, merge_non_sync_file_fails_enoent)
{
	int a1, n, pipefd[2];

	a1 = point(_metadata, &self->env, TL_A, 1);
	ASSERT_EQ(0, pipe(pipefd));
	n = count_open_fds();

	EXPECT_EQ(-ENOENT, merge_pair(a1, pipefd[0], "pipe"));
	/* A sw_sync timeline is not a sync_file either. */
	EXPECT_EQ(-ENOENT, merge_pair(a1, self->env.timeline[TL_B], "timeline"));
	EXPECT_EQ(n, count_open_fds());

	close(pipefd[0]);
	close(pipefd[1]);
}

/* Non-zero flags or pad in a merge request are rejected. */
TEST_F(fence, merge_flags_or_pad_fail_einval)
{
	struct sync_merge_data req;
	int a1, b1, n;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	n = count_open_fds();

	memset(&req, 0, sizeof(req));
	req.fd2 = b1;
	req.flags = 1;
	EXPECT_EQ(-EINVAL, merge_raw(a1, &req));

	req.flags = 0;
	req.pad = 1;
	EXPECT_EQ(-EINVAL, merge_raw(a1, &req));
	EXPECT_EQ(n, count_open_fds());
}

/*
 * A merge whose result cannot be copied back (read-only request) fails
 * with EFAULT, and the fd and file it had prepared are released.
 */
TEST_F(fence, merge_unwritable_request_fails_efault)
{
	struct sync_merge_data *req;
	long page = sysconf(_SC_PAGESIZE);
	int a1, b1, n;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	req = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(req != MAP_FAILED);
	req->fd2 = b1;
	snprintf(req->name, sizeof(req->name), "read-only");
	ASSERT_EQ(0, mprotect(req, page, PROT_READ));
	n = count_open_fds();

	EXPECT_EQ(-EFAULT, merge_raw(a1, req));
	EXPECT_EQ(n, count_open_fds());
	munmap(req, page);
}

/* Non-zero flags or pad in a FILE_INFO request are rejected. */
TEST_F(fence, info_flags_or_pad_fail_einval)
{
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int a1, n;

	a1 = point(_metadata, &self->env, TL_A, 1);
	n = count_open_fds();

	memset(&info, 0, sizeof(info));
	info.flags = 1;
	EXPECT_EQ(-EINVAL, info_raw(a1, &info));

	memset(&info, 0, sizeof(info));
	info.pad = 1;
	EXPECT_EQ(-EINVAL, info_raw(a1, &info));

	memset(&info, 0, sizeof(info));
	info.flags = 1;
	info.num_fences = ARRAY_SIZE(fi);
	info.sync_fence_info = (__u64)(uintptr_t)fi;
	EXPECT_EQ(-EINVAL, info_raw(a1, &info));
	EXPECT_EQ(n, count_open_fds());
}

/*
 * num_fences smaller than the real count is EINVAL and nothing is written
 * to the array; the probe (num_fences == 0) never touches the pointer.
 */
TEST_F(fence, info_array_too_small_fails_einval)
{
	struct sync_fence_info fi[2], pattern;
	struct sync_file_info info;
	int a1, b1, c1, ab, abc, n;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	c1 = point(_metadata, &self->env, TL_C, 1);
	ab = merged(_metadata, &self->env, a1, b1);
	abc = merged(_metadata, &self->env, ab, c1);
	n = count_open_fds();

	memset(fi, 0xa5, sizeof(fi));
	memset(&pattern, 0xa5, sizeof(pattern));
	memset(&info, 0, sizeof(info));
	info.num_fences = 2;
	info.sync_fence_info = (__u64)(uintptr_t)fi;
	EXPECT_EQ(-EINVAL, info_raw(abc, &info));
	EXPECT_EQ(0, memcmp(&fi[0], &pattern, sizeof(pattern)));
	EXPECT_EQ(0, memcmp(&fi[1], &pattern, sizeof(pattern)));

	memset(&info, 0, sizeof(info));
	info.sync_fence_info = 16;
	EXPECT_EQ(0, info_raw(abc, &info));
	EXPECT_EQ(3U, info.num_fences);
	EXPECT_EQ(n, count_open_fds());
}

/* A FILE_INFO array the kernel cannot write to gives EFAULT. */
TEST_F(fence, info_unwritable_array_fails_efault)
{
	struct sync_file_info info;
	long page = sysconf(_SC_PAGESIZE);
	void *ro;
	int a1, b1, m, n;

	a1 = point(_metadata, &self->env, TL_A, 1);
	b1 = point(_metadata, &self->env, TL_B, 1);
	m = merged(_metadata, &self->env, a1, b1);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	n = count_open_fds();

	memset(&info, 0, sizeof(info));
	info.num_fences = 2;
	info.sync_fence_info = (__u64)(uintptr_t)ro;
	EXPECT_EQ(-EFAULT, info_raw(m, &info));
	EXPECT_EQ(n, count_open_fds());
	munmap(ro, page);
}

/* Commands a sync_file does not know are ENOTTY. */
TEST_F(fence, unknown_ioctl_fails_enotty)
{
	int a1;

	a1 = point(_metadata, &self->env, TL_A, 1);
	EXPECT_EQ(-1, ioctl(a1, _IO(SYNC_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
}

/*
 * Without sw_sync nothing here can run: say so once and exit with the
 * kselftest SKIP code, so the runner reports a skip rather than a pass.
 * With harness options (-l, -t, -f, ...) the harness takes over directly
 * and the fixture setup skips each selected case instead.
 */
int main(int argc, char **argv)
{
	if (argc == 1 && access(SW_SYNC_PATH, F_OK)) {
		ksft_print_header();
		ksft_exit_skip("%s\n", NO_SW_SYNC);
	}

	return test_harness_run(argc, argv);
}
