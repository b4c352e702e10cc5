// SPDX-License-Identifier: GPL-2.0-only
/*
 * fd-exhaustion: every uapi request that hands out a new descriptor, made
 * when the process has no descriptor left to take.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * The requests (DMA_HEAP_IOCTL_ALLOC, UDMABUF_CREATE and _CREATE_LIST,
 * SYNC_IOC_MERGE, sw_sync's CREATE_FENCE, DMA_BUF_IOCTL_EXPORT_SYNC_FILE)
 * build an object first or reserve the descriptor first; either way,
 * with RLIMIT_NOFILE at the lowest free descriptor number they must fail
 * with EMFILE, as 6.12's do, and drop what they built: no buffer left in
 * debugfs bufinfo, no descriptor, the source objects still usable and the
 * same request working again once the limit is back.
 */
#define _GNU_SOURCE
#include <sys/resource.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"
/* TEST() hands every case a variant it has no use for. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define BUF_SIZE	(4 * page_size())

/* The request under test: its result, -errno on failure. */
typedef int (*fd_request)(void *arg);

/*
 * no_fd_left() - lower RLIMIT_NOFILE to the lowest free descriptor number,
 * so that no new descriptor can be had. The old limit goes to @saved.
 * Returns 0 or -errno.
 */
static int no_fd_left(struct rlimit *saved)
{
	struct rlimit rl;
	int lowest;

	if (getrlimit(RLIMIT_NOFILE, saved))
		return -errno;
	lowest = dup(0);
	if (lowest < 0)
		return -errno;
	close(lowest);
	rl = *saved;
	rl.rlim_cur = lowest;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/*
 * without_fds() - @req(@arg) with no descriptor to take, then the limit
 * back. Returns @req's result, or -EPERM if the limit could not be set.
 */
static int without_fds(fd_request req, void *arg)
{
	struct rlimit saved;
	int ret;

	if (no_fd_left(&saved))
		return -EPERM;
	ret = req(arg);
	if (setrlimit(RLIMIT_NOFILE, &saved))
		return -EPERM;
	return ret;
}

/*
 * check_request() - the whole case: @req fails with EMFILE and leaves the
 * descriptor table and bufinfo as they were; afterwards it succeeds, and
 * its descriptor is closed again.
 */
static void check_request(struct __test_metadata *_metadata, fd_request req,
			  void *arg)
{
	struct fd_snapshot fds;
	int objects, fd;

	ASSERT_EQ(0, fd_snapshot_take(&fds));
	objects = bufinfo_total();

	EXPECT_EQ(-EMFILE, without_fds(req, arg));
	EXPECT_EQ(-1, fd_snapshot_diff(&fds));
	if (objects >= 0)
		EXPECT_EQ(objects, bufinfo_settles_at(objects));

	fd = req(arg);
	ASSERT_LE(0, fd) TH_LOG("again with descriptors: %s", strerror(-fd));
	close(fd);
	if (objects >= 0)
		EXPECT_EQ(objects, bufinfo_settles_at(objects));
}

/* ---- dma-heap ---- */

static int heap_alloc(void *arg)
{
	struct dma_heap_allocation_data req;

	memset(&req, 0, sizeof(req));
	req.len = BUF_SIZE;
	req.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(*(int *)arg, DMA_HEAP_IOCTL_ALLOC, &req))
		return -errno;
	return req.fd;
}

TEST(heap_alloc_without_fds)
{
	int heap = open(SYSTEM_HEAP_DEV, O_RDONLY | O_CLOEXEC);

	if (heap < 0)
		SKIP(return, "%s missing (CONFIG_DMABUF_HEAPS_SYSTEM)",
		     SYSTEM_HEAP_DEV);
	check_request(_metadata, heap_alloc, &heap);
	close(heap);
}

/* ---- udmabuf ---- */

struct udmabuf_args {
	int dev;
	int memfd;
};

static int udmabuf_create(void *arg)
{
	struct udmabuf_args *a = arg;
	struct udmabuf_create req;
	int fd;

	memset(&req, 0, sizeof(req));
	req.memfd = a->memfd;
	req.flags = UDMABUF_FLAGS_CLOEXEC;
	req.size = BUF_SIZE;
	fd = ioctl(a->dev, UDMABUF_CREATE, &req);
	return fd < 0 ? -errno : fd;
}

static int udmabuf_create_list(void *arg)
{
	struct udmabuf_args *a = arg;
	struct udmabuf_create_list *list;
	int fd, i;

	list = calloc(1, sizeof(*list) + 2 * sizeof(list->list[0]));
	if (!list)
		return -ENOMEM;
	list->flags = UDMABUF_FLAGS_CLOEXEC;
	list->count = 2;
	for (i = 0; i < 2; i++) {
		list->list[i].memfd = a->memfd;
		list->list[i].offset = i * (BUF_SIZE / 2);
		list->list[i].size = BUF_SIZE / 2;
	}
	fd = ioctl(a->dev, UDMABUF_CREATE_LIST, list);
	fd = fd < 0 ? -errno : fd;
	free(list);
	return fd;
}

FIXTURE(udmabuf) {
	struct udmabuf_args a;
};

FIXTURE_SETUP(udmabuf)
{
	self->a.memfd = -1;
	self->a.dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->a.dev < 0)
		SKIP(return, "%s missing (CONFIG_UDMABUF)", UDMABUF_DEV);
	self->a.memfd = memfd_create("fd-exhaustion",
				     MFD_ALLOW_SEALING | MFD_CLOEXEC);
	ASSERT_LE(0, self->a.memfd);
	ASSERT_EQ(0, ftruncate(self->a.memfd, BUF_SIZE));
	ASSERT_EQ(0, fcntl(self->a.memfd, F_ADD_SEALS, F_SEAL_SHRINK));
}

FIXTURE_TEARDOWN(udmabuf)
{
	if (self->a.memfd >= 0)
		close(self->a.memfd);
	if (self->a.dev >= 0)
		close(self->a.dev);
}

TEST_F(udmabuf, create_without_fds)
{
	check_request(_metadata, udmabuf_create, &self->a);
}

TEST_F(udmabuf, create_list_without_fds)
{
	check_request(_metadata, udmabuf_create_list, &self->a);
}

/* ---- sync_file and sw_sync ---- */

struct fence_args {
	int timeline;
	int a, b;
	int buf;
};

static int sw_create_fence(void *arg)
{
	return sw_point(((struct fence_args *)arg)->timeline, 7);
}

static int merge(void *arg)
{
	struct fence_args *f = arg;

	return sync_merge(f->a, f->b);
}

static int export_sync_file(void *arg)
{
	return buf_export(((struct fence_args *)arg)->buf,
			  DMA_BUF_SYNC_WRITE);
}

FIXTURE(fences) {
	struct fence_args f;
	int memfd;
};

FIXTURE_SETUP(fences)
{
	self->f.timeline = -1;
	self->f.a = -1;
	self->f.b = -1;
	self->f.buf = -1;
	self->memfd = -1;
	if (access(SW_SYNC_FILE, F_OK))
		SKIP(return, "%s", NO_SW_SYNC);
	self->f.timeline = sw_timeline();
	ASSERT_LE(0, self->f.timeline);
	self->f.a = sw_point(self->f.timeline, 1);
	ASSERT_LE(0, self->f.a);
	self->f.b = sw_point(self->f.timeline, 2);
	ASSERT_LE(0, self->f.b);
}

FIXTURE_TEARDOWN(fences)
{
	int *fd[] = { &self->f.buf, &self->memfd, &self->f.a, &self->f.b,
		      &self->f.timeline };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fd); i++)
		if (*fd[i] >= 0)
			close(*fd[i]);
}

TEST_F(fences, sw_sync_create_fence_without_fds)
{
	check_request(_metadata, sw_create_fence, &self->f);
	/* The timeline still signals what it had. */
	EXPECT_EQ(0, sw_advance(self->f.timeline, 2));
	EXPECT_EQ(1, sync_status(self->f.b, NULL));
}

TEST_F(fences, merge_without_fds)
{
	check_request(_metadata, merge, &self->f);
	/* Both sources are untouched. */
	EXPECT_EQ(0, sync_status(self->f.a, NULL));
	EXPECT_EQ(0, sw_advance(self->f.timeline, 2));
	EXPECT_EQ(1, sync_status(self->f.a, NULL));
	EXPECT_EQ(1, sync_status(self->f.b, NULL));
}

TEST_F(fences, export_sync_file_without_fds)
{
	self->f.buf = dmabuf_new(SRC_UDMABUF, BUF_SIZE, &self->memfd);
	if (self->f.buf == -ENOENT)
		self->f.buf = dmabuf_new(SRC_SYSTEM_HEAP, BUF_SIZE,
					 &self->memfd);
	if (self->f.buf < 0)
		SKIP(return, "no dma-buf exporter (udmabuf or system heap)");
	/* A pending fence in the buffer, so the export has one to carry. */
	ASSERT_EQ(0, buf_import(self->f.buf, self->f.a, DMA_BUF_SYNC_WRITE));
	check_request(_metadata, export_sync_file, &self->f);
	EXPECT_EQ(0, poll_events(self->f.buf, POLLOUT, 0));
	EXPECT_EQ(0, sw_advance(self->f.timeline, 1));
	EXPECT_EQ(POLLOUT, poll_events(self->f.buf, POLLOUT, 1000));
}

TEST_HARNESS_MAIN
