// SPDX-License-Identifier: GPL-2.0-only
/*
 * sync-file-uapi: kselftests of the sync_file and sw_sync ioctls fed with
 * input they must refuse, and of the edges of the input they must accept.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * Covered: SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO and SYNC_IOC_SET_DEADLINE on
 * a sync_file; SW_SYNC_IOC_CREATE_FENCE, SW_SYNC_IOC_INC and
 * SW_SYNC_GET_DEADLINE on a timeline. Each gets flags or padding it does
 * not know, user pointers it cannot use, descriptors of the wrong kind and
 * array sizes that do not fit, and must answer with the errno of the 6.12
 * ABI. A merge request with any flags or pad bit set is EINVAL (the uapi
 * header only says they should be zero). Beyond errors: merging thousands
 * of fences, a file with itself, closing a timeline under live fences,
 * poll(), names at their size limit and the deadline round trip.
 *
 * After every case the teardown checks that the process holds exactly the
 * descriptors it held before, and that every timeline the case created is
 * gone from /sys/kernel/debug/sync/info, so a leaked fence or timeline
 * reference fails the case that leaked it.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "dmabuf-util.h"

/*
 * Userspace tests the include guards of the uapi headers by name, so they
 * are 6.12's: the installed names, or the _UAPI ones of the raw tree.
 */
#if !defined(_LINUX_SYNC_H) && !defined(_UAPI_LINUX_SYNC_H)
#error "linux/sync_file.h: include guard is not 6.12's _LINUX_SYNC_H"
#endif
#ifndef _DMA_BUF_UAPI_H_
#error "linux/dma-buf.h: include guard is not 6.12's _DMA_BUF_UAPI_H_"
#endif
#if !defined(_LINUX_DMABUF_POOL_H) && !defined(_UAPI_LINUX_DMABUF_POOL_H)
#error "linux/dma-heap.h: include guard is not 6.12's _LINUX_DMABUF_POOL_H"
#endif
#if !defined(_LINUX_UDMABUF_H) && !defined(_UAPI_LINUX_UDMABUF_H)
#error "linux/udmabuf.h: include guard is not 6.12's _LINUX_UDMABUF_H"
#endif

#include "dmabuf-harness.h"

#define SYNC_INFO_FILE	"/sys/kernel/debug/sync/info"

/* Timelines take the comm of their creator as name; cases run under this. */
#define CASE_COMM	"sfu-case"

#define MAX_KEPT	32U
#define MANY_FENCES	4096

/*
 * Raw requests. Each returns 0 or -errno and leaves judging to the caller.
 */

/* merge_req() - SYNC_IOC_MERGE on @fd with the caller's @req. */
static int merge_req(int fd, void *req)
{
	return ioctl(fd, SYNC_IOC_MERGE, req) ? -errno : 0;
}

/* info_req() - SYNC_IOC_FILE_INFO on @fd with the caller's @info. */
static int info_req(int fd, void *info)
{
	return ioctl(fd, SYNC_IOC_FILE_INFO, info) ? -errno : 0;
}

/* create_req() - SW_SYNC_IOC_CREATE_FENCE on timeline @tl with @req. */
static int create_req(int tl, void *req)
{
	return ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, req) ? -errno : 0;
}

/* set_deadline() - SYNC_IOC_SET_DEADLINE of @ns (with @pad) on @fd. */
static int set_deadline(int fd, __u64 ns, __u64 pad)
{
	struct sync_set_deadline req = { .deadline_ns = ns, .pad = pad };

	return ioctl(fd, SYNC_IOC_SET_DEADLINE, &req) ? -errno : 0;
}

/* get_deadline_req() - SW_SYNC_GET_DEADLINE on timeline @tl with @req. */
static int get_deadline_req(int tl, void *req)
{
	return ioctl(tl, SW_SYNC_GET_DEADLINE, req) ? -errno : 0;
}

/*
 * get_deadline() - the deadline sw_sync recorded for the fence of
 * sync_file @fence_fd, asked through timeline @tl, stored in *@ns.
 * Returns 0 or -errno.
 */
static int get_deadline(int tl, int fence_fd, __u64 *ns)
{
	struct sw_sync_get_deadline req = { .fence_fd = fence_fd };
	int ret;

	ret = get_deadline_req(tl, &req);
	if (!ret)
		*ns = req.deadline_ns;
	return ret;
}

/*
 * merge_named() - merge @fd1 and @fd2 with the 32 name bytes at @name
 * copied as they are (no terminator is added). Returns the fd or -errno.
 */
static int merge_named(int fd1, int fd2, const char *name)
{
	struct sync_merge_data req;
	int ret;

	memset(&req, 0, sizeof(req));
	memcpy(req.name, name, sizeof(req.name));
	req.fd2 = fd2;
	ret = merge_req(fd1, &req);
	return ret ? ret : req.fence;
}

/*
 * probe() - FILE_INFO of @fd without an array, into @info.
 * Returns the fence count or -errno.
 */
static int probe(int fd, struct sync_file_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	ret = info_req(fd, info);
	return ret ? ret : (int)info->num_fences;
}

/*
 * fill() - FILE_INFO of @fd into the array @fi announced as @room entries.
 * Returns the count reported back or -errno.
 */
static int fill(int fd, struct sync_file_info *info,
		struct sync_fence_info *fi, unsigned int room)
{
	int ret;

	memset(info, 0, sizeof(*info));
	info->num_fences = room;
	info->sync_fence_info = (__u64)(uintptr_t)fi;
	ret = info_req(fd, info);
	return ret ? ret : (int)info->num_fences;
}

/*
 * timelines_listed() - how many timelines called @name sync_debug lists
 * (lines "<name>: <value>" of the info file). Returns the count, or
 * -errno when the file cannot be read.
 */
static int timelines_listed(const char *name)
{
	const size_t len = 1 << 20;
	size_t nlen = strlen(name);
	char *text, *line;
	int n, hits = 0;

	text = malloc(len);
	if (!text)
		return -ENOMEM;
	n = read_text(SYNC_INFO_FILE, text, len);
	for (line = text; n >= 0 && line; line = strchr(line, '\n')) {
		while (*line == '\n')
			line++;
		if (!strncmp(line, name, nlen) && line[nlen] == ':')
			hits++;
	}
	free(text);
	return n < 0 ? n : hits;
}

/*
 * timelines_settle_at() - wait up to about two seconds for the count of
 * listed timelines called @name to reach @want (the last fence reference
 * may be dropped from an irq_work after a signal). Returns the last count.
 */
static int timelines_settle_at(const char *name, int want)
{
	int i, n = -ENOENT;

	for (i = 0; i < 200; i++) {
		n = timelines_listed(name);
		if (n < 0 || n == want)
			break;
		usleep(10000);
	}
	return n;
}

/*
 * A case's state. @tl is a timeline every case may use; @kept are the fds
 * the teardown closes. @fds and @timelines describe the process before the
 * case, for the leak checks of the teardown.
 */
struct sfu_case {
	struct fd_snapshot fds;
	int timelines;
	int tl;
	int kept[MAX_KEPT];
	unsigned int nr_kept;
};

FIXTURE(sfu) {
	struct sfu_case c;
};

FIXTURE_SETUP(sfu)
{
	self->c.tl = -1;
	self->c.nr_kept = 0;
	if (access(SW_SYNC_FILE, F_OK))
		SKIP(return, "%s", NO_SW_SYNC);

	ASSERT_EQ(0, prctl(PR_SET_NAME, (unsigned long)CASE_COMM, 0, 0, 0));
	ASSERT_EQ(0, fd_snapshot_take(&self->c.fds));
	self->c.timelines = timelines_listed(CASE_COMM);
	ASSERT_LE(0, self->c.timelines) {
		TH_LOG("cannot read %s", SYNC_INFO_FILE);
	}

	self->c.tl = sw_timeline();
	ASSERT_LE(0, self->c.tl);
}

FIXTURE_TEARDOWN(sfu)
{
	unsigned int i;

	for (i = 0; i < self->c.nr_kept; i++)
		close(self->c.kept[i]);
	if (self->c.tl >= 0)
		close(self->c.tl);

	EXPECT_EQ(-1, fd_snapshot_diff(&self->c.fds)) {
		TH_LOG("the case changed the set of open descriptors");
	}
	EXPECT_EQ(self->c.timelines,
		  timelines_settle_at(CASE_COMM, self->c.timelines)) {
		TH_LOG("a timeline of the case is still alive");
	}
}

/*
 * Asserting helpers for case bodies; every fd they return is kept for the
 * teardown to close.
 */

/* keep() - record @fd (or fail the case on -errno); returns @fd. */
static int keep(struct __test_metadata *_metadata, struct sfu_case *c,
		int fd)
{
	ASSERT_LE(0, fd) {
		TH_LOG("expected an fd, got %s", strerror(-fd));
	}
	ASSERT_GT(MAX_KEPT, c->nr_kept);
	c->kept[c->nr_kept++] = fd;
	return fd;
}

/* timeline() - a new kept timeline at value 0. */
static int timeline(struct __test_metadata *_metadata, struct sfu_case *c)
{
	return keep(_metadata, c, sw_timeline());
}

/* point() - a kept sync_file for point @value of timeline @tl. */
static int point(struct __test_metadata *_metadata, struct sfu_case *c,
		 int tl, unsigned int value)
{
	return keep(_metadata, c, sw_point(tl, value));
}

/* merged() - a kept sync_file merging @a and @b. */
static int merged(struct __test_metadata *_metadata, struct sfu_case *c,
		  int a, int b)
{
	return keep(_metadata, c, sync_merge(a, b));
}

/*
 * no_new_fd() - true when the set of open descriptors equals @snap: a
 * failed request must not leave a half-made fd behind.
 */
static bool no_new_fd(const struct fd_snapshot *snap)
{
	return fd_snapshot_diff(snap) == -1;
}

/* A merged file of three timelines, for the FILE_INFO cases. */
static int three_way(struct __test_metadata *_metadata, struct sfu_case *c)
{
	int t2 = timeline(_metadata, c);
	int t3 = timeline(_metadata, c);
	int ab;

	ab = merged(_metadata, c, point(_metadata, c, c->tl, 1),
		    point(_metadata, c, t2, 1));
	return merged(_metadata, c, ab, point(_metadata, c, t3, 1));
}

/* FILE_INFO: any flags or pad value is EINVAL, before anything else. */
TEST_F(sfu, info_flags_and_pad_einval)
{
	struct sync_file_info info;
	int f = point(_metadata, &self->c, self->c.tl, 1);

	memset(&info, 0, sizeof(info));
	info.flags = 1;
	EXPECT_EQ(-EINVAL, info_req(f, &info));
	memset(&info, 0, sizeof(info));
	info.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, info_req(f, &info));
	memset(&info, 0, sizeof(info));
	info.pad = 1;
	EXPECT_EQ(-EINVAL, info_req(f, &info));
	/* Checked before the array: a bad pointer does not change it. */
	memset(&info, 0, sizeof(info));
	info.pad = 1;
	info.num_fences = 1;
	info.sync_fence_info = (__u64)(uintptr_t)page_unmapped();
	EXPECT_EQ(-EINVAL, info_req(f, &info));
}

/*
 * num_fences 0 is a probe: it reports the count, the name and the status
 * and never looks at the array pointer. The exact count then fills it.
 */
TEST_F(sfu, info_probe_then_fill)
{
	struct sync_fence_info fi[3];
	struct sync_file_info info;
	int m = three_way(_metadata, &self->c), i;

	memset(&info, 0, sizeof(info));
	info.sync_fence_info = (__u64)(uintptr_t)page_unmapped();
	ASSERT_EQ(0, info_req(m, &info));
	EXPECT_EQ(3U, info.num_fences);
	EXPECT_EQ(0, info.status);
	EXPECT_STREQ("merged", info.name);

	memset(fi, 0x5a, sizeof(fi));
	ASSERT_EQ(3, fill(m, &info, fi, 3));
	EXPECT_EQ(0, info.status);
	EXPECT_STREQ("merged", info.name);
	for (i = 0; i < 3; i++) {
		EXPECT_STREQ("sw_sync", fi[i].driver_name);
		EXPECT_STREQ(CASE_COMM, fi[i].obj_name);
		EXPECT_EQ(0, fi[i].status);
		EXPECT_EQ(0U, fi[i].flags);
		EXPECT_EQ(0ULL, fi[i].timestamp_ns);
	}
}

/* Room for fewer entries than the file holds is EINVAL, array untouched. */
TEST_F(sfu, info_room_too_small_einval)
{
	struct sync_fence_info fi[3], pattern;
	struct sync_file_info info;
	int m = three_way(_metadata, &self->c);

	memset(fi, 0xa5, sizeof(fi));
	memset(&pattern, 0xa5, sizeof(pattern));
	EXPECT_EQ(-EINVAL, fill(m, &info, fi, 2));
	EXPECT_EQ(-EINVAL, fill(m, &info, fi, 1));
	EXPECT_EQ(0, memcmp(&fi[0], &pattern, sizeof(pattern)));
	EXPECT_EQ(0, memcmp(&fi[1], &pattern, sizeof(pattern)));
	EXPECT_EQ(0, memcmp(&fi[2], &pattern, sizeof(pattern)));
}

/*
 * Room for more entries than needed is fine: the real count comes back
 * and the spare entries are left as they were.
 */
TEST_F(sfu, info_room_larger_reports_count)
{
	struct sync_fence_info fi[8], pattern;
	struct sync_file_info info;
	int m = three_way(_metadata, &self->c), i;

	memset(fi, 0xa5, sizeof(fi));
	memset(&pattern, 0xa5, sizeof(pattern));
	ASSERT_EQ(3, fill(m, &info, fi, ARRAY_SIZE(fi)));
	for (i = 0; i < 3; i++)
		EXPECT_STREQ("sw_sync", fi[i].driver_name);
	for (i = 3; i < (int)ARRAY_SIZE(fi); i++)
		EXPECT_EQ(0, memcmp(&fi[i], &pattern, sizeof(pattern)));

	/* A single fence with a huge announced room. */
	ASSERT_EQ(1, fill(point(_metadata, &self->c, self->c.tl, 5), &info, fi,
			  0xffffffffu));
}

/* FILE_INFO with a request or an array the kernel cannot use: EFAULT. */
TEST_F(sfu, info_bad_pointers_efault)
{
	struct sync_file_info info, *ro;
	void *hole = page_unmapped();
	int m = three_way(_metadata, &self->c);

	ASSERT_TRUE(!!hole);
	EXPECT_EQ(-EFAULT, info_req(m, hole));
	EXPECT_EQ(-EFAULT, info_req(m, NULL));

	/* The array is unmapped. */
	memset(&info, 0, sizeof(info));
	info.num_fences = 3;
	info.sync_fence_info = (__u64)(uintptr_t)hole;
	EXPECT_EQ(-EFAULT, info_req(m, &info));

	/* The array is read-only. */
	memset(&info, 0, sizeof(info));
	ro = page_readonly(&info, sizeof(info));
	ASSERT_TRUE(!!ro);
	info.num_fences = 3;
	info.sync_fence_info = (__u64)(uintptr_t)ro;
	EXPECT_EQ(-EFAULT, info_req(m, &info));

	/* The request itself is read-only: the answer cannot be stored. */
	EXPECT_EQ(-EFAULT, info_req(m, ro));
	munmap(ro, page_size());
}

/* MERGE: any flags or pad value is EINVAL and makes no fd. */
TEST_F(sfu, merge_flags_and_pad_einval)
{
	struct sync_merge_data req;
	struct fd_snapshot snap;
	int a = point(_metadata, &self->c, self->c.tl, 1);
	int b = point(_metadata, &self->c, self->c.tl, 2);

	ASSERT_EQ(0, fd_snapshot_take(&snap));
	memset(&req, 0, sizeof(req));
	req.fd2 = b;
	req.flags = 1;
	EXPECT_EQ(-EINVAL, merge_req(a, &req));
	req.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, merge_req(a, &req));
	req.flags = 0;
	req.pad = 1;
	EXPECT_EQ(-EINVAL, merge_req(a, &req));
	req.pad = 0xffffffffu;
	EXPECT_EQ(-EINVAL, merge_req(a, &req));
	EXPECT_TRUE(no_new_fd(&snap));

	/* The same request with both cleared works. */
	req.pad = 0;
	ASSERT_EQ(0, merge_req(a, &req));
	keep(_metadata, &self->c, req.fence);
}

/*
 * MERGE with a request the kernel cannot read, or whose answer it cannot
 * store (read-only page): EFAULT, and no new descriptor stays open.
 */
TEST_F(sfu, merge_bad_pointers_efault)
{
	struct sync_merge_data req, *ro;
	struct fd_snapshot snap;
	int a = point(_metadata, &self->c, self->c.tl, 1);
	int b = point(_metadata, &self->c, self->c.tl, 2);

	ASSERT_EQ(0, fd_snapshot_take(&snap));
	EXPECT_EQ(-EFAULT, merge_req(a, NULL));
	EXPECT_EQ(-EFAULT, merge_req(a, page_unmapped()));

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "ro");
	req.fd2 = b;
	req.fence = -1;
	ro = page_readonly(&req, sizeof(req));
	ASSERT_TRUE(!!ro);
	EXPECT_EQ(-EFAULT, merge_req(a, ro));
	EXPECT_EQ(-1, ro->fence);
	munmap(ro, page_size());
	EXPECT_TRUE(no_new_fd(&snap));
}

/*
 * fd2 must be a sync_file: a negative, closed, memfd, dma-buf or timeline
 * descriptor is ENOENT in 6.12, and no fd is made.
 */
TEST_F(sfu, merge_fd2_not_sync_file_enoent)
{
	struct fd_snapshot snap;
	int a = point(_metadata, &self->c, self->c.tl, 1);
	int memfd, buf, backing, closed;

	memfd = keep(_metadata, &self->c, memfd_create("sfu", MFD_CLOEXEC));
	buf = dmabuf_new(SRC_UDMABUF, page_size(), &backing);
	if (buf < 0)
		buf = dmabuf_new(SRC_SYSTEM_HEAP, page_size(), &backing);
	if (buf >= 0)
		keep(_metadata, &self->c, buf);
	if (backing >= 0)
		keep(_metadata, &self->c, backing);
	/* The lowest free number, closed again: nothing is open there. */
	closed = dup(memfd);
	ASSERT_LE(0, closed);
	close(closed);

	ASSERT_EQ(0, fd_snapshot_take(&snap));
	EXPECT_EQ(-ENOENT, sync_merge(a, -1));
	EXPECT_EQ(-ENOENT, sync_merge(a, closed));
	EXPECT_EQ(-ENOENT, sync_merge(a, memfd));
	EXPECT_EQ(-ENOENT, sync_merge(a, self->c.tl));
	if (buf < 0)
		TH_LOG("no dma-buf exporter: dma-buf fd2 not tried");
	EXPECT_EQ(-ENOENT, buf < 0 ? -ENOENT : sync_merge(a, buf));
	EXPECT_TRUE(no_new_fd(&snap));
}

/*
 * sync_file requests sent to descriptors that are not sync_files reach
 * another driver's ioctl (or none) and are ENOTTY; sw_sync requests on a
 * sync_file are ENOTTY too.
 */
TEST_F(sfu, requests_on_wrong_fd_enotty)
{
	struct sw_sync_create_fence_data create;
	struct sync_file_info info;
	struct sync_merge_data req;
	int a = point(_metadata, &self->c, self->c.tl, 1);
	int memfd, buf, backing, targets[3], i, n = 0;
	__u32 one = 1;

	memfd = keep(_metadata, &self->c, memfd_create("sfu", MFD_CLOEXEC));
	targets[n++] = memfd;
	targets[n++] = self->c.tl;
	buf = dmabuf_new(SRC_UDMABUF, page_size(), &backing);
	if (buf < 0)
		buf = dmabuf_new(SRC_SYSTEM_HEAP, page_size(), &backing);
	if (backing >= 0)
		keep(_metadata, &self->c, backing);
	if (buf >= 0)
		targets[n++] = keep(_metadata, &self->c, buf);

	for (i = 0; i < n; i++) {
		memset(&req, 0, sizeof(req));
		req.fd2 = a;
		EXPECT_EQ(-ENOTTY, merge_req(targets[i], &req));
		memset(&info, 0, sizeof(info));
		EXPECT_EQ(-ENOTTY, info_req(targets[i], &info));
		EXPECT_EQ(-ENOTTY, set_deadline(targets[i], 1, 0));
	}

	memset(&create, 0, sizeof(create));
	EXPECT_EQ(-ENOTTY, create_req(a, &create));
	EXPECT_EQ(-1, ioctl(a, SW_SYNC_IOC_INC, &one));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(a, _IO(SYNC_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->c.tl, _IO('W', 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	/* The timeline did not move. */
	EXPECT_EQ(0, sync_status(a, NULL));
}

/* A file merged with itself holds its fence once and keeps the name. */
TEST_F(sfu, merge_with_itself)
{
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int a = point(_metadata, &self->c, self->c.tl, 2);
	char name[32];
	int m, mm;

	/* What follows the terminator is not part of the name. */
	memset(name, 'p', sizeof(name));
	memcpy(name, "self-merge", sizeof("self-merge"));
	m = keep(_metadata, &self->c, merge_named(a, a, name));
	ASSERT_EQ(1, fill(m, &info, fi, ARRAY_SIZE(fi)));
	EXPECT_STREQ("self-merge", info.name);
	EXPECT_STREQ(CASE_COMM, fi[0].obj_name);
	mm = merged(_metadata, &self->c, m, m);
	EXPECT_EQ(1, probe(mm, &info));

	ASSERT_EQ(0, sw_advance(self->c.tl, 1));
	EXPECT_EQ(0, sync_status(mm, NULL));
	ASSERT_EQ(0, sw_advance(self->c.tl, 1));
	EXPECT_EQ(1, sync_status(m, NULL));
	EXPECT_EQ(1, sync_status(mm, NULL));
}

/*
 * Merge names: 31 characters come back whole; 32 bytes without a
 * terminator come back cut to 31 and terminated.
 */
TEST_F(sfu, merge_names_at_the_limit)
{
	const char *full = "abcdefghijklmnopqrstuvwxyz01234";
	char raw[32];
	struct sync_file_info info;
	int a = point(_metadata, &self->c, self->c.tl, 1);
	int m;

	ASSERT_EQ(31U, strlen(full));
	memset(raw, 0, sizeof(raw));
	memcpy(raw, full, 31);
	m = keep(_metadata, &self->c, merge_named(a, a, raw));
	ASSERT_EQ(1, probe(m, &info));
	EXPECT_STREQ(full, info.name);

	memset(raw, 'x', sizeof(raw));
	m = keep(_metadata, &self->c, merge_named(a, a, raw));
	memset(&info, 0xff, sizeof(info));
	info.flags = 0;
	info.pad = 0;
	info.num_fences = 0;
	ASSERT_EQ(0, info_req(m, &info));
	EXPECT_EQ(31U, strnlen(info.name, sizeof(info.name)));
	EXPECT_EQ(0, memcmp(info.name, raw, 31));
}

/*
 * sw_sync ignores the point name; an unterminated one is harmless, and
 * the name FILE_INFO makes up for the file is terminated within its
 * 32 bytes even when driver and timeline names fill them.
 */
TEST_F(sfu, create_fence_unterminated_name)
{
	struct sw_sync_create_fence_data req;
	struct sync_fence_info fi;
	struct sync_file_info info;
	const char *comm = "fifteen-chars-x";
	int tl, f;

	ASSERT_EQ(15U, strlen(comm));
	ASSERT_EQ(0, prctl(PR_SET_NAME, (unsigned long)comm, 0, 0, 0));
	tl = sw_timeline();
	ASSERT_EQ(0, prctl(PR_SET_NAME, (unsigned long)CASE_COMM, 0, 0, 0));
	ASSERT_LE(0, tl);
	keep(_metadata, &self->c, tl);

	memset(&req, 'n', sizeof(req));
	req.value = 123456789;
	ASSERT_EQ(0, create_req(tl, &req));
	f = keep(_metadata, &self->c, req.fence);

	memset(&info, 0xff, sizeof(info));
	info.flags = 0;
	info.pad = 0;
	info.num_fences = 0;
	ASSERT_EQ(0, info_req(f, &info));
	EXPECT_GT(sizeof(info.name), strnlen(info.name, sizeof(info.name)));
	EXPECT_EQ(0, strncmp(info.name, "sw_sync-", 8)) {
		TH_LOG("name '%s'", info.name);
	}
	ASSERT_EQ(1, fill(f, &info, &fi, 1));
	EXPECT_STREQ(comm, fi.obj_name);
	EXPECT_STREQ("sw_sync", fi.driver_name);
	EXPECT_EQ(0, sync_status(f, NULL));

	/* The timeline of another comm is gone once closed (teardown). */
	ASSERT_EQ(1, timelines_listed(comm));
}

/*
 * CREATE_FENCE with a request it cannot read, or whose answer it cannot
 * store: EFAULT, no fd, and the point it made is released.
 */
TEST_F(sfu, create_fence_bad_pointers_efault)
{
	struct sw_sync_create_fence_data req, *ro;
	struct fd_snapshot snap;
	int p;

	ASSERT_EQ(0, fd_snapshot_take(&snap));
	EXPECT_EQ(-EFAULT, create_req(self->c.tl, NULL));
	EXPECT_EQ(-EFAULT, create_req(self->c.tl, page_unmapped()));

	memset(&req, 0, sizeof(req));
	req.value = 1;
	req.fence = -1;
	ro = page_readonly(&req, sizeof(req));
	ASSERT_TRUE(!!ro);
	EXPECT_EQ(-EFAULT, create_req(self->c.tl, ro));
	EXPECT_EQ(-1, ro->fence);
	munmap(ro, page_size());
	EXPECT_TRUE(no_new_fd(&snap));

	/* The timeline still works, and signalling finds no stray point. */
	p = point(_metadata, &self->c, self->c.tl, 1);
	EXPECT_EQ(0, sw_advance(self->c.tl, 1));
	EXPECT_EQ(1, sync_status(p, NULL));
}

/* INC with an unreadable step is EFAULT and the timeline stays put. */
TEST_F(sfu, inc_bad_pointer_efault)
{
	int a = point(_metadata, &self->c, self->c.tl, 1);

	EXPECT_EQ(-1, ioctl(self->c.tl, SW_SYNC_IOC_INC, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->c.tl, SW_SYNC_IOC_INC, page_unmapped()));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, sync_status(a, NULL));
	EXPECT_EQ(0, sw_advance(self->c.tl, 0));
	EXPECT_EQ(0, sync_status(a, NULL));
	EXPECT_EQ(0, sw_advance(self->c.tl, 1));
	EXPECT_EQ(1, sync_status(a, NULL));
}

/* SET_DEADLINE: a nonzero pad is EINVAL, an unreadable request EFAULT. */
TEST_F(sfu, set_deadline_bad_input)
{
	struct sync_set_deadline req = { .deadline_ns = 1 };
	int a = point(_metadata, &self->c, self->c.tl, 1);
	__u64 ns;

	EXPECT_EQ(-EINVAL, set_deadline(a, 1, 1));
	EXPECT_EQ(-EINVAL, set_deadline(a, 1, 1ULL << 63));
	EXPECT_EQ(-1, ioctl(a, SYNC_IOC_SET_DEADLINE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(a, SYNC_IOC_SET_DEADLINE, page_unmapped()));
	EXPECT_EQ(EFAULT, errno);
	/* None of those reached the fence. */
	EXPECT_EQ(-ENOENT, get_deadline(self->c.tl, a, &ns));
	EXPECT_EQ(0, ioctl(a, SYNC_IOC_SET_DEADLINE, &req));
}

/*
 * SW_SYNC_GET_DEADLINE: the in/out deadline and the pad must be zero
 * (EINVAL), fence_fd must be a sync_file (EINVAL) holding one sw_sync
 * point (EINVAL for a merged file), a point without a deadline is ENOENT,
 * and an unusable request is EFAULT.
 */
TEST_F(sfu, get_deadline_bad_input)
{
	struct sw_sync_get_deadline req, *ro;
	int b = timeline(_metadata, &self->c);
	int a = point(_metadata, &self->c, self->c.tl, 1);
	int a2 = point(_metadata, &self->c, self->c.tl, 2);
	int m = merged(_metadata, &self->c, a, point(_metadata, &self->c, b, 1));
	int memfd = keep(_metadata, &self->c, memfd_create("sfu", MFD_CLOEXEC));
	__u64 ns;

	ASSERT_EQ(0, set_deadline(a, 1000, 0));

	memset(&req, 0, sizeof(req));
	req.fence_fd = a;
	req.deadline_ns = 1;
	EXPECT_EQ(-EINVAL, get_deadline_req(self->c.tl, &req));
	req.deadline_ns = 0;
	req.pad = 1;
	EXPECT_EQ(-EINVAL, get_deadline_req(self->c.tl, &req));

	EXPECT_EQ(-EINVAL, get_deadline(self->c.tl, -1, &ns));
	EXPECT_EQ(-EINVAL, get_deadline(self->c.tl, memfd, &ns));
	EXPECT_EQ(-EINVAL, get_deadline(self->c.tl, self->c.tl, &ns));
	EXPECT_EQ(-EINVAL, get_deadline(self->c.tl, m, &ns));
	EXPECT_EQ(-ENOENT, get_deadline(self->c.tl, a2, &ns));

	EXPECT_EQ(-EFAULT, get_deadline_req(self->c.tl, NULL));
	EXPECT_EQ(-EFAULT, get_deadline_req(self->c.tl, page_unmapped()));
	memset(&req, 0, sizeof(req));
	req.fence_fd = a;
	ro = page_readonly(&req, sizeof(req));
	ASSERT_TRUE(!!ro);
	EXPECT_EQ(-EFAULT, get_deadline_req(self->c.tl, ro));
	munmap(ro, page_size());

	/* The well-formed request works. */
	ASSERT_EQ(0, get_deadline(self->c.tl, a, &ns));
	EXPECT_EQ(1000ULL, ns);
}

/*
 * SET_DEADLINE then GET_DEADLINE: the earliest deadline set is kept,
 * setting it on a merged file reaches every member, and setting one on a
 * signalled fence is accepted and ignored.
 */
TEST_F(sfu, deadline_round_trip)
{
	int b = timeline(_metadata, &self->c);
	int a1 = point(_metadata, &self->c, self->c.tl, 1);
	int b1 = point(_metadata, &self->c, b, 1);
	int m = merged(_metadata, &self->c, a1, b1);
	__u64 now = 0, ns = 0;
	struct timespec ts;

	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &ts));
	now = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;

	ASSERT_EQ(0, set_deadline(a1, now + 5000000, 0));
	ASSERT_EQ(0, get_deadline(self->c.tl, a1, &ns));
	EXPECT_EQ(now + 5000000, ns);

	/* A later deadline does not replace an earlier one. */
	ASSERT_EQ(0, set_deadline(a1, now + 9000000, 0));
	ASSERT_EQ(0, get_deadline(self->c.tl, a1, &ns));
	EXPECT_EQ(now + 5000000, ns);

	/* Through the merged file to both members. */
	ASSERT_EQ(0, set_deadline(m, now + 1000000, 0));
	ASSERT_EQ(0, get_deadline(self->c.tl, a1, &ns));
	EXPECT_EQ(now + 1000000, ns);
	ASSERT_EQ(0, get_deadline(b, b1, &ns));
	EXPECT_EQ(now + 1000000, ns);

	/* Signalled: accepted, the recorded value stays. */
	ASSERT_EQ(0, sw_advance(self->c.tl, 1));
	EXPECT_EQ(0, set_deadline(a1, now, 0));
	ASSERT_EQ(0, get_deadline(self->c.tl, a1, &ns));
	EXPECT_EQ(now + 1000000, ns);
}

/*
 * FILE_INFO status, as 6.12 reports it. With an array, the status is the
 * first member's, in the file's order, that is not success: here an error
 * (the member of the older timeline, first since a merge orders members by
 * context) ahead of a pending member. Without an array, it is the status
 * of the file's own fence, which is pending until every member is done.
 */
TEST_F(sfu, info_status_error_before_pending)
{
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int a = sw_timeline();
	int b, a1, b1, m;

	ASSERT_LE(0, a);
	b = timeline(_metadata, &self->c);
	a1 = point(_metadata, &self->c, a, 1);
	b1 = point(_metadata, &self->c, b, 1);
	m = merged(_metadata, &self->c, b1, a1);
	/*
	 * A first poll() arms the merged fence's signalling, so that it
	 * collects its members' errors (6.12 forgets them otherwise).
	 */
	EXPECT_EQ(0, poll_events(m, POLLIN, 0));
	/* Closing a timeline fails its pending points (6.12: -ENOENT). */
	close(a);

	ASSERT_EQ(2, fill(m, &info, fi, 2));
	ASSERT_GT(0, fi[0].status) {
		TH_LOG("the failed member is not first: %d %d", fi[0].status,
		       fi[1].status);
	}
	EXPECT_EQ(0, fi[1].status);
	EXPECT_EQ(fi[0].status, info.status);

	ASSERT_EQ(2, probe(m, &info));
	EXPECT_EQ(0, info.status);

	/* Once every member is done, both report the error. */
	ASSERT_EQ(0, sw_advance(b, 1));
	ASSERT_EQ(POLLIN, poll_events(m, POLLIN, 5000));
	ASSERT_EQ(2, fill(m, &info, fi, 2));
	EXPECT_EQ(fi[0].status, info.status);
	ASSERT_EQ(2, probe(m, &info));
	EXPECT_EQ(fi[0].status, info.status);
}

/*
 * A merged file that nobody polled or waited on, whose members are all
 * done and one of them failed, reports the failure. 6.12's fence array
 * collects its members' errors only once its signalling was enabled, and
 * otherwise reports success for the whole, hiding the failure.
 */
TEST_F(sfu, merged_failure_without_poll_is_reported)
{
	struct sync_file_info info;
	int a = sw_timeline();
	int b, a1, b1, m;

	DIFFERS_FROM_612("array-error-without-signalling");
	ASSERT_LE(0, a);
	b = timeline(_metadata, &self->c);
	a1 = point(_metadata, &self->c, a, 1);
	b1 = point(_metadata, &self->c, b, 1);
	m = merged(_metadata, &self->c, b1, a1);
	/* Closing a timeline fails its pending points with -ENOENT. */
	close(a);
	ASSERT_EQ(0, sw_advance(b, 1));

	ASSERT_EQ(2, probe(m, &info));
	EXPECT_EQ(-ENOENT, info.status);
}

/*
 * The same with the pending member first: 6.12 stops at the first status
 * that is not success, so the file reads pending although a later member
 * has failed.
 */
TEST_F(sfu, info_status_pending_before_error)
{
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int b = sw_timeline();
	int a1, b1, m;

	ASSERT_LE(0, b);
	a1 = point(_metadata, &self->c, self->c.tl, 1);
	b1 = point(_metadata, &self->c, b, 1);
	m = merged(_metadata, &self->c, a1, b1);
	close(b);

	ASSERT_EQ(2, fill(m, &info, fi, 2));
	EXPECT_EQ(0, fi[0].status);
	EXPECT_GT(0, fi[1].status);
	EXPECT_EQ(0, info.status);
	ASSERT_EQ(2, probe(m, &info));
	EXPECT_EQ(0, info.status);
}

/* A sync_file is opened with flags 0, as in 6.12: F_GETFL reads 0. */
TEST_F(sfu, file_status_flags_zero)
{
	int b = timeline(_metadata, &self->c);
	int a1 = point(_metadata, &self->c, self->c.tl, 1);
	int b1 = point(_metadata, &self->c, b, 1);
	int m = merged(_metadata, &self->c, a1, b1);

	EXPECT_EQ(0, fcntl(a1, F_GETFL));
	EXPECT_EQ(0, fcntl(m, F_GETFL));
	EXPECT_EQ(FD_CLOEXEC, fcntl(m, F_GETFD));
}

/*
 * GET_DEADLINE, as in 6.12, reads the deadline of a point of any sw_sync
 * timeline, not only of the one the request is made on.
 */
TEST_F(sfu, get_deadline_of_other_timeline)
{
	int b = timeline(_metadata, &self->c);
	int b1 = point(_metadata, &self->c, b, 1);
	__u64 ns = 0;

	ASSERT_EQ(0, set_deadline(b1, 4242, 0));
	ASSERT_EQ(0, get_deadline(self->c.tl, b1, &ns));
	EXPECT_EQ(4242ULL, ns);
	ASSERT_EQ(0, get_deadline(b, b1, &ns));
	EXPECT_EQ(4242ULL, ns);
}

/*
 * Closing a timeline with live points signals them with an error (6.12:
 * -ENOENT): FILE_INFO reports it for the file and each entry, poll()
 * reports them readable, and a merged file holding one takes the error
 * once its other members are done. An already signalled point keeps its
 * success.
 */
TEST_F(sfu, close_timeline_with_live_fences)
{
	int tl = sw_timeline(), b = timeline(_metadata, &self->c);
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	int p1, p2, p3, b1, m;

	ASSERT_LE(0, tl);
	p1 = point(_metadata, &self->c, tl, 1);
	p2 = point(_metadata, &self->c, tl, 2);
	p3 = point(_metadata, &self->c, tl, 3);
	b1 = point(_metadata, &self->c, b, 1);
	m = merged(_metadata, &self->c, p3, b1);
	ASSERT_EQ(0, sw_advance(tl, 1));
	ASSERT_EQ(1, sync_status(p1, NULL));
	ASSERT_EQ(0, close(tl));

	EXPECT_EQ(1, sync_status(p1, NULL));
	EXPECT_EQ(-ENOENT, sync_status(p2, NULL));
	EXPECT_EQ(-ENOENT, sync_status(p3, NULL));
	EXPECT_EQ(POLLIN, poll_events(p2, POLLIN, 0));
	ASSERT_EQ(1, fill(p2, &info, fi, 1));
	EXPECT_EQ(-ENOENT, info.status);
	EXPECT_EQ(-ENOENT, fi[0].status);
	EXPECT_NE(0ULL, fi[0].timestamp_ns);

	/* The merged file waits for b1, then reports the error. */
	EXPECT_EQ(0, sync_status(m, NULL));
	EXPECT_EQ(0, poll_events(m, POLLIN, 0));
	ASSERT_EQ(0, sw_advance(b, 1));
	EXPECT_EQ(POLLIN, poll_events(m, POLLIN, 1000));
	EXPECT_EQ(-ENOENT, sync_status(m, NULL));
	ASSERT_EQ(2, fill(m, &info, fi, 2));
	EXPECT_EQ(-ENOENT, info.status);
	/* One entry per member: p3 failed, b1 succeeded. */
	EXPECT_EQ(-ENOENT + 1, fi[0].status + fi[1].status);
	EXPECT_EQ(-ENOENT, fi[0].status < fi[1].status ? fi[0].status :
		  fi[1].status);

	/* New merges leave the finished points out altogether. */
	EXPECT_EQ(1, sync_status(keep(_metadata, &self->c, sync_merge(p1, p2)),
				 NULL));
}

/*
 * poll(): never readable before the signal (with or without a timeout),
 * woken by a signal from another process while asleep, readable from then
 * on every time, and never anything but POLLIN.
 */
TEST_F(sfu, poll_before_during_after)
{
	int a = point(_metadata, &self->c, self->c.tl, 1);
	struct timespec start;
	int status;
	pid_t pid;

	EXPECT_EQ(0, poll_events(a, POLLIN, 0));
	clock_gettime(CLOCK_MONOTONIC, &start);
	EXPECT_EQ(0, poll_events(a, POLLIN, 50));
	EXPECT_LE(45, elapsed_ms(&start));
	EXPECT_EQ(0, poll_events(a, POLLOUT, 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		_exit(sw_advance(self->c.tl, 1) ? 1 : 0);
	}
	EXPECT_EQ(POLLIN, poll_events(a, POLLIN, 10000));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	EXPECT_EQ(POLLIN, poll_events(a, POLLIN, 0));
	EXPECT_EQ(POLLIN, poll_events(a, POLLIN, -1));
	EXPECT_EQ(POLLIN, poll_events(a, POLLIN | POLLOUT, 0));
	EXPECT_EQ(1, sync_status(a, NULL));
}

/*
 * raise_fd_limit() - make room for @need descriptors. Returns 0 or -errno
 * (without CAP_SYS_RESOURCE the hard limit may be too low).
 */
static int raise_fd_limit(unsigned int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/*
 * merge_all() - merge the @n sync_files of @fds pairwise, round after
 * round, into one; every intermediate file and the inputs are closed.
 * Returns the fd of the result or -errno (the inputs are closed then too).
 */
static int merge_all(int *fds, unsigned int n)
{
	unsigned int i, out;
	int ret = 0, m;

	while (n > 1) {
		for (i = 0, out = 0; i < n; i += 2, out++) {
			if (i + 1 == n || ret) {
				fds[out] = fds[i];
				if (i + 1 < n)
					close(fds[i + 1]);
				continue;
			}
			m = sync_merge(fds[i], fds[i + 1]);
			close(fds[i]);
			close(fds[i + 1]);
			if (m < 0) {
				ret = m;
				m = -1;
			}
			fds[out] = m;
		}
		n = out;
	}
	if (ret && fds[0] >= 0)
		close(fds[0]);
	return ret ? ret : fds[0];
}

/*
 * 4096 timelines, one point each, merged in a tree: the result holds all
 * 4096 fences, reports them pending one by one, and turns readable only
 * with the last signal.
 */
TEST_F_TIMEOUT(sfu, merge_thousands_of_timelines, 600)
{
	int *tls = calloc(MANY_FENCES, sizeof(int));
	int *pts = calloc(MANY_FENCES, sizeof(int));
	struct sync_fence_info *fi;
	struct sync_file_info info;
	unsigned int i, pending;
	int m;

	ASSERT_TRUE(!!tls);
	ASSERT_TRUE(!!pts);
	fi = calloc(MANY_FENCES + 1, sizeof(*fi));
	ASSERT_TRUE(!!fi);
	if (raise_fd_limit(2 * MANY_FENCES + 64))
		SKIP(return, "cannot raise RLIMIT_NOFILE");

	for (i = 0; i < MANY_FENCES; i++) {
		tls[i] = sw_timeline();
		ASSERT_LE(0, tls[i]);
		pts[i] = sw_point(tls[i], 1);
		ASSERT_LE(0, pts[i]);
	}
	m = merge_all(pts, MANY_FENCES);
	ASSERT_LE(0, m);

	EXPECT_EQ(MANY_FENCES, probe(m, &info));
	EXPECT_EQ(0, info.status);
	EXPECT_EQ(-EINVAL, fill(m, &info, fi, MANY_FENCES - 1));
	ASSERT_EQ(MANY_FENCES, fill(m, &info, fi, MANY_FENCES + 1));
	EXPECT_EQ(0, info.status);
	for (i = 0, pending = 0; i < MANY_FENCES; i++)
		pending += fi[i].status == 0;
	EXPECT_EQ((unsigned int)MANY_FENCES, pending);

	/* All but the last timeline signal: still pending. */
	for (i = 0; i < MANY_FENCES - 1; i++)
		ASSERT_EQ(0, sw_advance(tls[i], 1));
	EXPECT_EQ(0, sync_status(m, NULL));
	EXPECT_EQ(0, poll_events(m, POLLIN, 0));
	ASSERT_EQ(MANY_FENCES, fill(m, &info, fi, MANY_FENCES));
	for (i = 0, pending = 0; i < MANY_FENCES; i++)
		pending += fi[i].status == 0;
	EXPECT_EQ(1U, pending);

	ASSERT_EQ(0, sw_advance(tls[MANY_FENCES - 1], 1));
	EXPECT_EQ(POLLIN, poll_events(m, POLLIN, 1000));
	EXPECT_EQ(1, sync_status(m, NULL));

	close(m);
	for (i = 0; i < MANY_FENCES; i++)
		close(tls[i]);
	free(fi);
	free(pts);
	free(tls);
}

/*
 * 4096 points of one timeline merged in a tree collapse into the latest
 * point alone.
 */
TEST_F_TIMEOUT(sfu, merge_thousands_of_points, 600)
{
	int *pts = calloc(MANY_FENCES, sizeof(int));
	struct sync_file_info info;
	unsigned int i;
	int m;

	ASSERT_TRUE(!!pts);
	if (raise_fd_limit(MANY_FENCES + 64))
		SKIP(return, "cannot raise RLIMIT_NOFILE");

	for (i = 0; i < MANY_FENCES; i++) {
		pts[i] = sw_point(self->c.tl, i + 1);
		ASSERT_LE(0, pts[i]);
	}
	m = merge_all(pts, MANY_FENCES);
	ASSERT_LE(0, m);
	EXPECT_EQ(1, probe(m, &info));

	ASSERT_EQ(0, sw_advance(self->c.tl, MANY_FENCES - 1));
	EXPECT_EQ(0, sync_status(m, NULL));
	ASSERT_EQ(0, sw_advance(self->c.tl, 1));
	EXPECT_EQ(1, sync_status(m, NULL));
	close(m);
	free(pts);
}

/*
 * sync_debug lists a timeline under the comm of its creator while it is
 * open, with its current value, and drops it once the last reference is.
 */
TEST_F(sfu, debugfs_lists_live_timelines)
{
	const char *comm = "sfu-listed";
	char *text, *line;
	int tl, p;

	ASSERT_EQ(0, prctl(PR_SET_NAME, (unsigned long)comm, 0, 0, 0));
	tl = sw_timeline();
	ASSERT_EQ(0, prctl(PR_SET_NAME, (unsigned long)CASE_COMM, 0, 0, 0));
	ASSERT_LE(0, tl);
	p = sw_point(tl, 9);
	ASSERT_LE(0, p);
	ASSERT_EQ(0, sw_advance(tl, 7));

	EXPECT_EQ(1, timelines_listed(comm));
	text = malloc(1 << 20);
	ASSERT_TRUE(!!text);
	ASSERT_LE(0, read_text(SYNC_INFO_FILE, text, 1 << 20));
	line = strstr(text, "sfu-listed:");
	ASSERT_TRUE(!!line);
	EXPECT_EQ(7, atoi(line + strlen("sfu-listed:")));
	free(text);

	/* The point keeps the timeline alive after its fd is closed. */
	close(tl);
	EXPECT_EQ(-ENOENT, sync_status(p, NULL));
	close(p);
	EXPECT_EQ(0, timelines_settle_at(comm, 0));
}

int main(int argc, char **argv)
{
	if (argc == 1 && access(SW_SYNC_FILE, F_OK)) {
		ksft_print_header();
		ksft_exit_skip("%s\n", NO_SW_SYNC);
	}
	return test_harness_run(argc, argv);
}
