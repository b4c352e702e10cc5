// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-uapi: kselftests of what a process can do with a dma-buf fd.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * Every case runs once on a udmabuf buffer (pages of a sealed memfd) and
 * once on a system-heap buffer, and covers one part of the fd interface:
 * DMA_BUF_IOCTL_SYNC, export and import of sync_files, poll(), llseek,
 * mmap and fdinfo, each with the inputs that must be refused and the exact
 * errno for them. Fences come from sw_sync timelines in debugfs. After
 * every case the teardown checks that the set of open descriptors and the
 * number of dma-buf objects listed in debugfs bufinfo are what they were
 * before it. Names (DMA_BUF_SET_NAME) are covered by dmabuf-names.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"

#define BUF_PAGES	4
#define NR_TL		3
#define MAX_KEPT	16

/* The fences side of a case, and every extra fd the teardown closes. */
struct fence_box {
	int tl[NR_TL];		/* sw_sync timelines, -1 without sw_sync */
	int kept[MAX_KEPT];
	unsigned int nr_kept;
};

FIXTURE(buf) {
	struct fd_snapshot fds_before;
	int bufs_before;	/* bufinfo object count, <0 without debugfs */
	size_t size;
	int dmabuf;
	int memfd;		/* udmabuf's backing memfd, else -1 */
	struct fence_box fb;
};

FIXTURE_VARIANT(buf) {
	enum dmabuf_source src;
	const char *exp_name;
};

FIXTURE_VARIANT_ADD(buf, udmabuf) {
	.src = SRC_UDMABUF,
	.exp_name = "udmabuf",
};

FIXTURE_VARIANT_ADD(buf, system_heap) {
	.src = SRC_SYSTEM_HEAP,
	.exp_name = "system",
};

FIXTURE_SETUP(buf)
{
	const char *dev = dmabuf_source_dev(variant->src);
	int i, fd;

	self->dmabuf = -1;
	self->memfd = -1;
	self->fb.nr_kept = 0;
	for (i = 0; i < NR_TL; i++)
		self->fb.tl[i] = -1;
	self->size = BUF_PAGES * page_size();

	if (access(dev, F_OK))
		SKIP(return, "%s missing", dev);
	ASSERT_EQ(0, fd_snapshot_take(&self->fds_before));
	self->bufs_before = bufinfo_total();

	fd = dmabuf_new(variant->src, self->size, &self->memfd);
	ASSERT_LE(0, fd) {
		TH_LOG("allocating from %s: %s", dev, strerror(-fd));
	}
	self->dmabuf = fd;

	if (access(SW_SYNC_FILE, F_OK))
		return;
	for (i = 0; i < NR_TL; i++) {
		self->fb.tl[i] = sw_timeline();
		ASSERT_LE(0, self->fb.tl[i]);
	}
}

/*
 * Closing the timelines signals whatever is still pending on them, which
 * also drops references that armed poll callbacks hold on a buffer.
 */
FIXTURE_TEARDOWN(buf)
{
	unsigned int i;
	int n;

	for (i = 0; i < self->fb.nr_kept; i++)
		close(self->fb.kept[i]);
	if (self->dmabuf >= 0)
		close(self->dmabuf);
	if (self->memfd >= 0)
		close(self->memfd);
	for (i = 0; i < NR_TL; i++)
		if (self->fb.tl[i] >= 0)
			close(self->fb.tl[i]);

	n = fd_snapshot_diff(&self->fds_before);
	EXPECT_EQ(-1, n) {
		TH_LOG("descriptor %d open after the case but not before", n);
	}
	if (self->bufs_before >= 0)
		EXPECT_EQ(self->bufs_before,
			  bufinfo_settles_at(self->bufs_before));
}

/* keep() - hand a new fd (asserted valid) to the teardown; returns it. */
static int keep(struct __test_metadata *_metadata, struct fence_box *fb,
		int fd)
{
	ASSERT_LE(0, fd) {
		TH_LOG("expected a descriptor, got %s", strerror(-fd));
	}
	ASSERT_GT((unsigned int)MAX_KEPT, fb->nr_kept);
	fb->kept[fb->nr_kept++] = fd;
	return fd;
}

/* pending() - a kept sync_file for point 1 of timeline @tl (unsignalled). */
static int pending(struct __test_metadata *_metadata, struct fence_box *fb,
		   int tl)
{
	return keep(_metadata, fb, sw_point(fb->tl[tl], 1));
}

/* exported() - a kept sync_file exported from @dmabuf with @flags. */
static int exported(struct __test_metadata *_metadata, struct fence_box *fb,
		    int dmabuf, __u32 flags)
{
	return keep(_metadata, fb, buf_export(dmabuf, flags));
}

/* signal_tl() - advance timeline @tl by one, signalling its point 1. */
static void signal_tl(struct __test_metadata *_metadata,
		      struct fence_box *fb, int tl)
{
	ASSERT_EQ(0, sw_advance(fb->tl[tl], 1));
}

/* map_buf() - map all @size bytes of @fd shared, read-write; asserts. */
static unsigned char *map_buf(struct __test_metadata *_metadata, int fd,
			      size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	ASSERT_TRUE(p != MAP_FAILED) {
		TH_LOG("mmap of the dma-buf: %s", strerror(errno));
	}
	return p;
}

/*
 * try_mmap() - map @len bytes of @fd at byte offset @off with the raw
 * system call (no library checks in between), and unmap again.
 * Returns 0 when the kernel accepted the mapping or the errno.
 */
static int try_mmap(int fd, size_t len, __u64 off)
{
#ifdef SYS_mmap2
	/*
	 * 32-bit callers: i386's SYS_mmap is old_mmap(), which takes a
	 * struct; mmap2 takes the offset in pages, so @off must be
	 * page-aligned (all callers' offsets are).
	 */
	long ret = syscall(SYS_mmap2, NULL, len, PROT_READ, MAP_SHARED, fd,
			   (unsigned long)(off / page_size()));
#else
	long ret = syscall(SYS_mmap, NULL, len, PROT_READ, MAP_SHARED, fd, off);
#endif

	if (ret == -1)
		return errno;
	munmap((void *)ret, len);
	return 0;
}

/*
 * A thread that signals a timeline after a delay, so the main thread can
 * be asleep in the kernel when the fence signals. @done is set just
 * before the signal, for the main thread to check what woke it.
 */
struct late_signal {
	pthread_t thread;
	int timeline;
	unsigned int delay_ms;
	int result;
};

static void *late_signal_fn(void *arg)
{
	struct late_signal *ls = arg;

	usleep(ls->delay_ms * 1000);
	ls->result = sw_advance(ls->timeline, 1);
	return NULL;
}

static int late_signal_start(struct late_signal *ls, int timeline,
			     unsigned int delay_ms)
{
	ls->timeline = timeline;
	ls->delay_ms = delay_ms;
	ls->result = -EINPROGRESS;
	return pthread_create(&ls->thread, NULL, late_signal_fn, ls);
}

/* late_signal_join() - wait for the thread; returns its sw_advance() result. */
static int late_signal_join(struct late_signal *ls)
{
	pthread_join(ls->thread, NULL);
	return ls->result;
}

/* ---- DMA_BUF_IOCTL_SYNC ---- */

/* Start/end brackets for reading, writing and both, around real access. */
TEST_F(buf, sync_brackets_read_write_rw)
{
	static const __u64 dirs[] = {
		DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_READ, DMA_BUF_SYNC_RW,
	};
	unsigned char *map = map_buf(_metadata, self->dmabuf, self->size);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		ASSERT_EQ(0, buf_sync(self->dmabuf,
				      DMA_BUF_SYNC_START | dirs[i]));
		if (dirs[i] & DMA_BUF_SYNC_WRITE)
			memset(map, 0x40 + i, self->size);
		else
			EXPECT_EQ((unsigned char)(0x40 + i - 1),
				  map[self->size - 1]);
		ASSERT_EQ(0, buf_sync(self->dmabuf,
				      DMA_BUF_SYNC_END | dirs[i]));
	}
	EXPECT_EQ(0x42, map[0]);
	munmap(map, self->size);
}

/* Any bit outside DMA_BUF_SYNC_VALID_FLAGS_MASK is refused. */
TEST_F(buf, sync_unknown_flags_einval)
{
	static const __u64 bad[] = {
		DMA_BUF_SYNC_RW | (1 << 3),
		DMA_BUF_SYNC_READ | DMA_BUF_SYNC_END | (1 << 8),
		DMA_BUF_SYNC_WRITE | (1ULL << 32),
		DMA_BUF_SYNC_RW | (1ULL << 63),
		~0ULL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, buf_sync(self->dmabuf, bad[i])) {
			TH_LOG("flags %#llx", (unsigned long long)bad[i]);
		}
}

/* START or END alone, without saying read or write, is refused. */
TEST_F(buf, sync_without_direction_einval)
{
	EXPECT_EQ(-EINVAL, buf_sync(self->dmabuf, DMA_BUF_SYNC_START));
	EXPECT_EQ(-EINVAL, buf_sync(self->dmabuf, DMA_BUF_SYNC_END));
}

/*
 * The argument is only read: an unreadable pointer gives EFAULT, a
 * read-only page is fine.
 */
TEST_F(buf, sync_argument_pointer)
{
	struct dma_buf_sync req = {
		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
	};
	void *ro;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->dmabuf, DMA_BUF_IOCTL_SYNC, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->dmabuf, DMA_BUF_IOCTL_SYNC,
			    page_unmapped()));
	EXPECT_EQ(EFAULT, errno);

	ro = page_readonly(&req, sizeof(req));
	ASSERT_TRUE(!!ro);
	EXPECT_EQ(0, ioctl(self->dmabuf, DMA_BUF_IOCTL_SYNC, ro));
	munmap(ro, page_size());
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

/* The dma-buf requests mean nothing to other files; closed fds: EBADF. */
TEST_F(buf, requests_on_wrong_or_closed_fd)
{
	int memfd, sf, closed;

	memfd = keep(_metadata, &self->fb, memfd_create("not-dmabuf", MFD_CLOEXEC));
	ASSERT_EQ(0, ftruncate(memfd, page_size()));
	EXPECT_EQ(-ENOTTY, buf_sync(memfd, DMA_BUF_SYNC_START |
					   DMA_BUF_SYNC_READ));
	EXPECT_EQ(-ENOTTY, buf_export(memfd, DMA_BUF_SYNC_READ));
	EXPECT_EQ(-ENOTTY, buf_import(memfd, -1, DMA_BUF_SYNC_READ));
	EXPECT_EQ(-ENOTTY, buf_set_name(memfd, DMA_BUF_SET_NAME, "x"));

	if (self->fb.tl[0] >= 0) {
		sf = pending(_metadata, &self->fb, 0);
		EXPECT_EQ(-ENOTTY, buf_sync(sf, DMA_BUF_SYNC_START |
					    DMA_BUF_SYNC_READ));
		EXPECT_EQ(-ENOTTY, buf_export(sf, DMA_BUF_SYNC_READ));
		EXPECT_EQ(-ENOTTY, buf_import(sf, sf, DMA_BUF_SYNC_READ));
		EXPECT_EQ(-ENOTTY, buf_sync(self->fb.tl[0], DMA_BUF_SYNC_START |
					    DMA_BUF_SYNC_READ));
	}

	closed = dup(self->dmabuf);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	EXPECT_EQ(-EBADF, buf_sync(closed, DMA_BUF_SYNC_START |
				   DMA_BUF_SYNC_READ));
	EXPECT_EQ(-EBADF, buf_export(closed, DMA_BUF_SYNC_READ));
	EXPECT_EQ(-EBADF, buf_import(closed, -1, DMA_BUF_SYNC_READ));
	EXPECT_EQ(-EBADF, buf_set_name(closed, DMA_BUF_SET_NAME, "x"));
	errno = 0;
	EXPECT_EQ(-1, lseek(closed, 0, SEEK_END));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(EBADF, try_mmap(closed, page_size(), 0));
}

/*
 * Request numbers the dma-buf does not know, including known numbers with
 * a different direction or argument size, fail with ENOTTY.
 */
TEST_F(buf, unknown_requests_enotty)
{
	static const unsigned long cmds[] = {
		_IOW(DMA_BUF_BASE, 4, __u64),
		_IOWR(DMA_BUF_BASE, 0xff, __u64),
		_IO(DMA_BUF_BASE, 0),
		_IOR(DMA_BUF_BASE, 0, struct dma_buf_sync),
		_IOW(DMA_BUF_BASE, 0, __u32),
		_IOW(DMA_BUF_BASE, 1, struct dma_buf_sync[2]),
		_IOW(DMA_BUF_BASE, 2, struct dma_buf_export_sync_file),
		_IOWR(DMA_BUF_BASE, 3, struct dma_buf_import_sync_file),
		_IOW('c', 0, struct dma_buf_sync),
	};
	__u64 arg[4] = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->dmabuf, cmds[i], arg)) {
			TH_LOG("request %#lx", cmds[i]);
		}
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("request %#lx", cmds[i]);
		}
	}
}

/*
 * SYNC_START waits for conflicting implicit fences: reading only for
 * writers, writing for everyone.
 */
TEST_F_TIMEOUT(buf, sync_start_waits_for_fences, 60)
{
	struct late_signal ls;
	struct timespec t0;
	int rd, wr;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	rd = pending(_metadata, &self->fb, 0);
	wr = pending(_metadata, &self->fb, 1);

	/* A pending reader holds up writers, not readers. */
	ASSERT_EQ(0, buf_import(self->dmabuf, rd, DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, sync_status(rd, NULL));
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

	ASSERT_EQ(0, late_signal_start(&ls, self->fb.tl[0], 300));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(1, sync_status(rd, NULL));
	EXPECT_LE(100, elapsed_ms(&t0));
	EXPECT_EQ(0, late_signal_join(&ls));
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

	/* A pending writer holds up readers too. */
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, late_signal_start(&ls, self->fb.tl[1], 300));
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(1, sync_status(wr, NULL));
	EXPECT_EQ(0, late_signal_join(&ls));
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

static void ignore_signal(int sig)
{
	(void)sig;
}

struct kicker {
	pthread_t thread;
	pthread_t target;
	int stop;
};

/* Keep interrupting @target until told to stop. */
static void *kicker_fn(void *arg)
{
	struct kicker *k = arg;

	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		usleep(20000);
		pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

/* A signal (handler without SA_RESTART) ends the wait with EINTR. */
TEST_F_TIMEOUT(buf, sync_start_wait_interrupted, 60)
{
	struct sigaction sa;
	struct kicker k;
	int wr;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	wr = pending(_metadata, &self->fb, 0);
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ignore_signal;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	k.target = pthread_self();
	k.stop = 0;
	ASSERT_EQ(0, pthread_create(&k.thread, NULL, kicker_fn, &k));

	EXPECT_EQ(-EINTR, buf_sync(self->dmabuf,
				   DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	pthread_join(k.thread, NULL);
	EXPECT_EQ(0, sync_status(wr, NULL));

	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	EXPECT_EQ(0, buf_sync(self->dmabuf,
			      DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
}

/* ---- DMA_BUF_IOCTL_EXPORT_SYNC_FILE ---- */

/*
 * Without fences every export is a signalled sync_file, close-on-exec and
 * ready for poll() at once.
 */
TEST_F(buf, export_idle_buffer_is_signalled)
{
	static const __u32 flags[] = {
		DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW,
	};
	unsigned int i;
	int sf;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		sf = exported(_metadata, &self->fb, self->dmabuf, flags[i]);
		EXPECT_EQ(1, sync_status(sf, NULL));
		EXPECT_EQ(POLLIN, poll_events(sf, POLLIN, 0));
		EXPECT_EQ(FD_CLOEXEC, fcntl(sf, F_GETFD) & FD_CLOEXEC);
	}
}

/* Zero flags, unknown bits or SYNC_END: EINVAL and no descriptor. */
TEST_F(buf, export_bad_flags_einval)
{
	static const __u32 bad[] = {
		0,
		DMA_BUF_SYNC_END,
		DMA_BUF_SYNC_READ | DMA_BUF_SYNC_END,
		DMA_BUF_SYNC_RW | (1u << 3),
		DMA_BUF_SYNC_WRITE | (1u << 31),
		~0u,
	};
	struct fd_snapshot snap;
	unsigned int i;

	ASSERT_EQ(0, fd_snapshot_take(&snap));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, buf_export(self->dmabuf, bad[i])) {
			TH_LOG("flags %#x", bad[i]);
		}
	EXPECT_EQ(-1, fd_snapshot_diff(&snap));
}

/* Unreadable argument: EFAULT and no descriptor. */
TEST_F(buf, export_unreadable_argument_efault)
{
	struct fd_snapshot snap;

	ASSERT_EQ(0, fd_snapshot_take(&snap));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
			    NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
			    page_unmapped()));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, fd_snapshot_diff(&snap));
}

/*
 * A read-only argument can be read but the new fd number cannot be
 * written back: EFAULT, and the sync_file must not stay installed (the
 * process could never learn its number). Tried on an idle buffer (stub
 * fence) and on a busy one (real fences).
 */
TEST_F(buf, export_unwritable_result_efault_no_fd)
{
	struct dma_buf_export_sync_file req = {
		.flags = DMA_BUF_SYNC_RW,
		.fd = -1,
	};
	struct fd_snapshot snap;
	int round, wr;
	void *ro;

	ro = page_readonly(&req, sizeof(req));
	ASSERT_TRUE(!!ro);
	for (round = 0; round < 2; round++) {
		if (round) {
			if (self->fb.tl[0] < 0)
				break;
			wr = pending(_metadata, &self->fb, 0);
			ASSERT_EQ(0, buf_import(self->dmabuf, wr,
						DMA_BUF_SYNC_WRITE));
		}
		ASSERT_EQ(0, fd_snapshot_take(&snap));
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->dmabuf,
				    DMA_BUF_IOCTL_EXPORT_SYNC_FILE, ro));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, fd_snapshot_diff(&snap)) {
			TH_LOG("round %d left a descriptor behind", round);
		}
	}
	munmap(ro, page_size());
}

/* A pending reader: READ export is signalled, WRITE export waits for it. */
TEST_F(buf, export_with_pending_reader)
{
	int rd, ex_r, ex_w, ex_rw;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	rd = pending(_metadata, &self->fb, 0);
	ASSERT_EQ(0, buf_import(self->dmabuf, rd, DMA_BUF_SYNC_READ));

	ex_r = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_READ);
	ex_w = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_WRITE);
	ex_rw = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_RW);
	EXPECT_EQ(1, sync_status(ex_r, NULL));
	EXPECT_EQ(0, sync_status(ex_w, NULL));
	EXPECT_EQ(0, sync_status(ex_rw, NULL));
	EXPECT_EQ(0, poll_events(ex_w, POLLIN, 0));

	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(1, sync_status(ex_w, NULL));
	EXPECT_EQ(1, sync_status(ex_rw, NULL));
	EXPECT_EQ(POLLIN, poll_events(ex_w, POLLIN, 0));
}

/* A pending writer: every export waits for it. */
TEST_F(buf, export_with_pending_writer)
{
	int wr, ex_r, ex_w;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	wr = pending(_metadata, &self->fb, 0);
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));

	ex_r = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_READ);
	ex_w = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_WRITE);
	EXPECT_EQ(0, sync_status(ex_r, NULL));
	EXPECT_EQ(0, sync_status(ex_w, NULL));

	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(1, sync_status(ex_r, NULL));
	EXPECT_EQ(1, sync_status(ex_w, NULL));
}

/* An export is a snapshot: fences added later are not part of it. */
TEST_F(buf, export_is_a_snapshot)
{
	int first, second, ex;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	first = pending(_metadata, &self->fb, 0);
	second = pending(_metadata, &self->fb, 1);
	ASSERT_EQ(0, buf_import(self->dmabuf, first, DMA_BUF_SYNC_WRITE));
	ex = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_RW);
	ASSERT_EQ(0, buf_import(self->dmabuf, second, DMA_BUF_SYNC_WRITE));

	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(1, sync_status(ex, NULL));
	EXPECT_EQ(0, poll_events(self->dmabuf, POLLIN, 0));
	signal_tl(_metadata, &self->fb, 1);
	EXPECT_EQ(POLLIN, poll_events(self->dmabuf, POLLIN, 0));
}

/* ---- DMA_BUF_IOCTL_IMPORT_SYNC_FILE and poll ---- */

/* Idle buffer: both directions ready, via poll() and via epoll. */
TEST_F(buf, poll_idle_buffer_ready)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	int ep;

	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	EXPECT_EQ(POLLIN, poll_events(self->dmabuf, POLLIN, 0));
	EXPECT_EQ(POLLOUT, poll_events(self->dmabuf, POLLOUT, 0));

	ep = keep(_metadata, &self->fb, epoll_create1(EPOLL_CLOEXEC));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->dmabuf, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ((__u32)(EPOLLIN | EPOLLOUT), ev.events);
}

/*
 * A pending fence imported as READ: EPOLLIN (no writer) but no EPOLLOUT
 * until it signals.
 */
TEST_F(buf, import_pending_read)
{
	int rd;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	rd = pending(_metadata, &self->fb, 0);
	ASSERT_EQ(0, buf_import(self->dmabuf, rd, DMA_BUF_SYNC_READ));

	EXPECT_EQ(POLLIN, poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	EXPECT_EQ(0, poll_events(self->dmabuf, POLLOUT, 0));
	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
}

/* A pending fence imported as WRITE (or RW) blocks both directions. */
TEST_F(buf, import_pending_write)
{
	int wr, rw;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	wr = pending(_metadata, &self->fb, 0);
	rw = pending(_metadata, &self->fb, 1);
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, buf_import(self->dmabuf, rw, DMA_BUF_SYNC_RW));

	EXPECT_EQ(0, poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(0, poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	signal_tl(_metadata, &self->fb, 1);
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
}

/* Importing a fence that has already signalled changes nothing visible. */
TEST_F(buf, import_signalled)
{
	int sf, ex;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	sf = pending(_metadata, &self->fb, 0);
	signal_tl(_metadata, &self->fb, 0);
	ASSERT_EQ(1, sync_status(sf, NULL));

	ASSERT_EQ(0, buf_import(self->dmabuf, sf, DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, buf_import(self->dmabuf, sf, DMA_BUF_SYNC_READ));
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	ex = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_RW);
	EXPECT_EQ(1, sync_status(ex, NULL));
}

/*
 * A sync_file merged from three timelines counts as all three fences: the
 * buffer is busy until the last of them signals.
 */
TEST_F(buf, import_merged_sync_file)
{
	unsigned int n = 0;
	int a, b, c, ab, abc, ex;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	a = pending(_metadata, &self->fb, 0);
	b = pending(_metadata, &self->fb, 1);
	c = pending(_metadata, &self->fb, 2);
	ab = keep(_metadata, &self->fb, sync_merge(a, b));
	abc = keep(_metadata, &self->fb, sync_merge(ab, c));
	ASSERT_EQ(0, sync_status(abc, &n));
	ASSERT_EQ(3u, n);

	ASSERT_EQ(0, buf_import(self->dmabuf, abc, DMA_BUF_SYNC_WRITE));
	ex = exported(_metadata, &self->fb, self->dmabuf, DMA_BUF_SYNC_READ);
	EXPECT_EQ(0, sync_status(ex, &n));
	EXPECT_EQ(3u, n);

	signal_tl(_metadata, &self->fb, 2);
	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(0, poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	EXPECT_EQ(0, sync_status(ex, NULL));
	signal_tl(_metadata, &self->fb, 1);
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	EXPECT_EQ(1, sync_status(ex, NULL));
}

/* Only sync_files can be imported; anything else (or nothing) is EINVAL. */
TEST_F(buf, import_not_a_sync_file_einval)
{
	struct fd_snapshot snap;
	int memfd, closed;

	memfd = keep(_metadata, &self->fb, memfd_create("not-sync", MFD_CLOEXEC));
	closed = dup(memfd);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));

	ASSERT_EQ(0, fd_snapshot_take(&snap));
	EXPECT_EQ(-EINVAL, buf_import(self->dmabuf, memfd, DMA_BUF_SYNC_READ));
	EXPECT_EQ(-EINVAL, buf_import(self->dmabuf, self->dmabuf,
				      DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(-EINVAL, buf_import(self->dmabuf, closed, DMA_BUF_SYNC_READ));
	EXPECT_EQ(-EINVAL, buf_import(self->dmabuf, -1, DMA_BUF_SYNC_READ));
	EXPECT_EQ(-EINVAL, buf_import(self->dmabuf, 1 << 30,
				      DMA_BUF_SYNC_WRITE));
	if (self->fb.tl[0] >= 0)
		EXPECT_EQ(-EINVAL, buf_import(self->dmabuf, self->fb.tl[0],
					      DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, fd_snapshot_diff(&snap));
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
}

/* Bad flags: EINVAL, and the fence is not added. */
TEST_F(buf, import_bad_flags_einval)
{
	static const __u32 bad[] = {
		0,
		DMA_BUF_SYNC_END,
		DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END,
		DMA_BUF_SYNC_READ | (1u << 5),
		~0u,
	};
	unsigned int i;
	int wr;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	wr = pending(_metadata, &self->fb, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, buf_import(self->dmabuf, wr, bad[i])) {
			TH_LOG("flags %#x", bad[i]);
		}
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
}

/* The argument is only read: unreadable is EFAULT, read-only is fine. */
TEST_F(buf, import_argument_pointer)
{
	struct dma_buf_import_sync_file req = { .flags = DMA_BUF_SYNC_WRITE };
	void *ro;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
			    NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
			    page_unmapped()));
	EXPECT_EQ(EFAULT, errno);

	if (self->fb.tl[0] < 0)
		return;
	req.fd = pending(_metadata, &self->fb, 0);
	ro = page_readonly(&req, sizeof(req));
	ASSERT_TRUE(!!ro);
	EXPECT_EQ(0, ioctl(self->dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, ro));
	munmap(ro, page_size());
	EXPECT_EQ(0, poll_events(self->dmabuf, POLLIN, 0));
	signal_tl(_metadata, &self->fb, 0);
	EXPECT_EQ(POLLIN, poll_events(self->dmabuf, POLLIN, 0));
}

/* A poll() sleeping on a busy buffer wakes up when another thread signals. */
TEST_F_TIMEOUT(buf, poll_wakes_on_signal, 60)
{
	struct late_signal ls;
	int wr;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	wr = pending(_metadata, &self->fb, 0);
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));

	ASSERT_EQ(0, late_signal_start(&ls, self->fb.tl[0], 300));
	EXPECT_EQ(POLLIN, poll_events(self->dmabuf, POLLIN, 20000));
	EXPECT_EQ(1, sync_status(wr, NULL));
	EXPECT_EQ(0, late_signal_join(&ls));

	/* The same for POLLOUT behind a reader, re-arming after a timeout. */
	wr = keep(_metadata, &self->fb, sw_point(self->fb.tl[0], 2));
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, poll_events(self->dmabuf, POLLOUT, 50));
	ASSERT_EQ(0, late_signal_start(&ls, self->fb.tl[0], 300));
	EXPECT_EQ(POLLOUT, poll_events(self->dmabuf, POLLOUT, 20000));
	EXPECT_EQ(1, sync_status(wr, NULL));
	EXPECT_EQ(0, late_signal_join(&ls));
}

/* epoll: nothing while busy, both events once the fence signals. */
TEST_F_TIMEOUT(buf, epoll_wakes_on_signal, 60)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	struct late_signal ls;
	int ep, wr;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	wr = pending(_metadata, &self->fb, 0);
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));
	ep = keep(_metadata, &self->fb, epoll_create1(EPOLL_CLOEXEC));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->dmabuf, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	ASSERT_EQ(0, late_signal_start(&ls, self->fb.tl[0], 300));
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 20000));
	EXPECT_EQ(1, sync_status(wr, NULL));
	EXPECT_EQ(0, late_signal_join(&ls));
	/* Level-triggered: both are reported now, maybe over two waits. */
	if (ev.events != (EPOLLIN | EPOLLOUT)) {
		__u32 first = ev.events;

		EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 1000));
		ev.events |= first;
	}
	EXPECT_EQ((__u32)(EPOLLIN | EPOLLOUT), ev.events);
}

/*
 * Close the buffer while poll()/epoll have callbacks armed on its fences.
 * Nothing may crash, and once the fences signal the buffer must go away
 * (the teardown checks the bufinfo count; kmemleak checks the rest).
 */
TEST_F(buf, close_with_armed_poll)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	int wr, ep, other, memfd;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	wr = pending(_metadata, &self->fb, 0);
	ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(0, poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
	ASSERT_EQ(0, close(self->dmabuf));
	self->dmabuf = -1;
	signal_tl(_metadata, &self->fb, 0);

	/* The same with epoll, the epoll file still open at the signal. */
	other = dmabuf_new(variant->src, self->size, &memfd);
	ASSERT_LE(0, other);
	if (memfd >= 0)
		keep(_metadata, &self->fb, memfd);
	wr = keep(_metadata, &self->fb, sw_point(self->fb.tl[1], 1));
	ASSERT_EQ(0, buf_import(other, wr, DMA_BUF_SYNC_READ));
	ep = keep(_metadata, &self->fb, epoll_create1(EPOLL_CLOEXEC));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, other, &ev));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ((__u32)EPOLLIN, ev.events);
	ASSERT_EQ(0, close(other));
	signal_tl(_metadata, &self->fb, 1);
	epoll_wait(ep, &ev, 1, 0);

	/* And one left armed until the timeline dies in the teardown. */
	other = dmabuf_new(variant->src, self->size, &memfd);
	ASSERT_LE(0, other);
	if (memfd >= 0)
		keep(_metadata, &self->fb, memfd);
	wr = keep(_metadata, &self->fb, sw_point(self->fb.tl[2], 1));
	ASSERT_EQ(0, buf_import(other, wr, DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(0, poll_events(other, POLLOUT, 0));
	ASSERT_EQ(0, close(other));
}

/* ---- llseek ---- */

/* Only the size can be discovered: offset 0 from SEEK_END or SEEK_SET. */
TEST_F(buf, llseek_reports_size_only)
{
	static const struct {
		off_t off;
		int whence;
	} bad[] = {
		{ 0, SEEK_CUR }, { 1, SEEK_CUR }, { 4096, SEEK_SET },
		{ -4096, SEEK_END }, { 1, SEEK_END }, { -1, SEEK_SET },
		{ 0, SEEK_DATA }, { 0, SEEK_HOLE }, { 0, 5 },
	};
	unsigned int i;

	EXPECT_EQ((off_t)self->size, lseek(self->dmabuf, 0, SEEK_END));
	EXPECT_EQ(0, lseek(self->dmabuf, 0, SEEK_SET));
	EXPECT_EQ((off_t)self->size, lseek(self->dmabuf, 0, SEEK_END));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, lseek(self->dmabuf, bad[i].off, bad[i].whence));
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("offset %ld whence %d", (long)bad[i].off,
			       bad[i].whence);
		}
	}
}

/* ---- mmap ---- */

/*
 * The mapping shows the buffer's memory: for udmabuf the memfd's pages,
 * for the heap the same pages through a second mapping.
 */
TEST_F(buf, mmap_shares_memory)
{
	unsigned char *map = map_buf(_metadata, self->dmabuf, self->size);
	unsigned char *peer, *chunk;
	size_t i;

	chunk = malloc(self->size);
	ASSERT_TRUE(!!chunk);
	for (i = 0; i < self->size; i++)
		chunk[i] = (unsigned char)(i * 7 + 3);

	if (self->memfd >= 0) {
		ASSERT_EQ((ssize_t)self->size,
			  pwrite(self->memfd, chunk, self->size, 0));
		ASSERT_EQ(0, buf_sync(self->dmabuf, DMA_BUF_SYNC_START |
				      DMA_BUF_SYNC_READ));
		EXPECT_EQ(0, memcmp(map, chunk, self->size));
		ASSERT_EQ(0, buf_sync(self->dmabuf, DMA_BUF_SYNC_END |
				      DMA_BUF_SYNC_READ));

		ASSERT_EQ(0, buf_sync(self->dmabuf, DMA_BUF_SYNC_START |
				      DMA_BUF_SYNC_WRITE));
		memset(map + page_size(), 0x5a, page_size());
		ASSERT_EQ(0, buf_sync(self->dmabuf, DMA_BUF_SYNC_END |
				      DMA_BUF_SYNC_WRITE));
		ASSERT_EQ((ssize_t)page_size(),
			  pread(self->memfd, chunk, page_size(), page_size()));
		EXPECT_EQ(0x5a, chunk[0]);
		EXPECT_EQ(0x5a, chunk[page_size() - 1]);
	} else {
		peer = map_buf(_metadata, self->dmabuf, self->size);
		ASSERT_EQ(0, buf_sync(self->dmabuf, DMA_BUF_SYNC_START |
				      DMA_BUF_SYNC_RW));
		memcpy(map, chunk, self->size);
		EXPECT_EQ(0, memcmp(peer, chunk, self->size));
		ASSERT_EQ(0, buf_sync(self->dmabuf, DMA_BUF_SYNC_END |
				      DMA_BUF_SYNC_RW));
		munmap(peer, self->size);
	}
	free(chunk);
	munmap(map, self->size);
}

/* A mapping at a page offset starts at that page of the buffer. */
TEST_F(buf, mmap_at_offset)
{
	unsigned char *map = map_buf(_metadata, self->dmabuf, self->size);
	size_t last = self->size - page_size();
	unsigned char *tail;

	memset(map, 0x11, last);
	memset(map + last, 0x77, page_size());
	tail = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, self->dmabuf,
		    last);
	ASSERT_TRUE(tail != MAP_FAILED);
	EXPECT_EQ(0x77, tail[0]);
	EXPECT_EQ(0x77, tail[page_size() - 1]);
	munmap(tail, page_size());
	munmap(map, self->size);

	EXPECT_EQ(0, try_mmap(self->dmabuf, self->size - page_size(),
			      page_size()));
}

/* Any mapping reaching past the end of the buffer is EINVAL. */
TEST_F(buf, mmap_past_end_einval)
{
	size_t pg = page_size();

	EXPECT_EQ(EINVAL, try_mmap(self->dmabuf, self->size + pg, 0));
	EXPECT_EQ(EINVAL, try_mmap(self->dmabuf, pg, self->size));
	EXPECT_EQ(EINVAL, try_mmap(self->dmabuf, self->size, pg));
	EXPECT_EQ(EINVAL, try_mmap(self->dmabuf, 2 * pg, self->size - pg));
	EXPECT_EQ(EINVAL, try_mmap(self->dmabuf, pg, 1ULL << 40));
}

/*
 * A page offset so large that offset + length wraps is EOVERFLOW (the VFS
 * refuses it before the dma-buf sees it; on 64-bit the dma-buf's own
 * overflow check cannot be reached from mmap()).
 */
TEST_F(buf, mmap_offset_overflow)
{
#ifdef SYS_mmap2
	/*
	 * A 32-bit caller's largest page offset, 2^32 - 1, cannot wrap in
	 * the kernel's unsigned long: it is only past the end.
	 */
	EXPECT_EQ(EINVAL, try_mmap(self->dmabuf, page_size(),
				   0xffffffffULL * page_size()));
	EXPECT_EQ(EINVAL, try_mmap(self->dmabuf, self->size,
				   0xfffffffeULL * page_size()));
#else
	EXPECT_EQ(EOVERFLOW, try_mmap(self->dmabuf, page_size(),
				      -page_size()));
	EXPECT_EQ(EOVERFLOW, try_mmap(self->dmabuf, self->size,
				      -2 * page_size()));
#endif
}

/* ---- fdinfo ---- */

/* size, count and exp_name are shown; name only once one is set. */
TEST_F(buf, fdinfo_fields)
{
	char val[64];

	EXPECT_EQ((long)self->size, fdinfo_number(self->dmabuf, "size"));
	EXPECT_EQ(1, fdinfo_number(self->dmabuf, "count"));
	ASSERT_EQ(0, fdinfo_field(self->dmabuf, "exp_name", val, sizeof(val)));
	EXPECT_STREQ(variant->exp_name, val);
	EXPECT_EQ(-ENOENT, fdinfo_field(self->dmabuf, "name", val,
					sizeof(val)));
}

/* count follows the references to the file: dup()s and mappings. */
TEST_F(buf, fdinfo_count_follows_references)
{
	int d1, d2;
	void *map;

	d1 = dup(self->dmabuf);
	ASSERT_LE(0, d1);
	EXPECT_EQ(2, fdinfo_number(self->dmabuf, "count"));
	EXPECT_EQ(2, fdinfo_number(d1, "count"));
	d2 = fcntl(self->dmabuf, F_DUPFD_CLOEXEC, 100);
	ASSERT_LE(100, d2);
	EXPECT_EQ(3, fdinfo_number(d2, "count"));

	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->dmabuf, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	EXPECT_EQ(4, fdinfo_number(self->dmabuf, "count"));
	munmap(map, self->size);
	EXPECT_EQ(3, fdinfo_number(self->dmabuf, "count"));

	close(d2);
	EXPECT_EQ(2, fdinfo_number(d1, "count"));
	close(d1);
	EXPECT_EQ(1, fdinfo_number(self->dmabuf, "count"));
}

/* Each buffer is one bufinfo object, gone again once closed. */
TEST_F(buf, bufinfo_counts_objects)
{
	int before, other, memfd;

	before = bufinfo_total();
	if (before < 0)
		SKIP(return, BUFINFO_FILE " unreadable: %s", strerror(-before));
	ASSERT_LE(1, before);
	other = dmabuf_new(variant->src, self->size, &memfd);
	ASSERT_LE(0, other);
	EXPECT_EQ(before + 1, bufinfo_total());
	close(other);
	if (memfd >= 0)
		close(memfd);
	EXPECT_EQ(before, bufinfo_settles_at(before));
}

/* ---- the fence list behind bufinfo ---- */

/*
 * bufinfo_fences() - the number of fence lines ("\t<usage> fence: ...")
 * that debugfs bufinfo lists for the buffer behind @fd (found by its
 * exporter name and inode number), or -errno.
 */
static int bufinfo_fences(int fd, const char *exp_name)
{
	const size_t len = 1 << 20;
	char *text, *line, *end, ino[96];
	int n, count = -ENOENT;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	snprintf(ino, sizeof(ino), "\t%s\t%08lu\t", exp_name,
		 (unsigned long)st.st_ino);
	text = malloc(len);
	if (!text)
		return -ENOMEM;
	n = read_text(BUFINFO_FILE, text, len);
	if (n < 0) {
		free(text);
		return n;
	}
	for (line = text; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		if (count < 0) {
			/* The buffer's own line holds its inode number. */
			if (memmem(line, end - line, ino, strlen(ino)))
				count = 0;
		} else if (line[0] == '\t' && memmem(line, end - line,
							 " fence:", 7)) {
			count++;
		} else {
			break;
		}
		if (!*end)
			break;
	}
	free(text);
	return count;
}

/*
 * Importing the same pending fence 500 times keeps one entry: the
 * reservation object replaces a fence of the same context (6.12 does).
 */
TEST_F(buf, import_same_fence_does_not_grow)
{
	int wr, i, n;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	n = bufinfo_fences(self->dmabuf, variant->exp_name);
	if (n < 0)
		SKIP(return, BUFINFO_FILE " unreadable: %s", strerror(-n));
	EXPECT_EQ(0, n);

	wr = pending(_metadata, &self->fb, 0);
	for (i = 0; i < 500; i++)
		ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(1, bufinfo_fences(self->dmabuf, variant->exp_name));
	for (i = 0; i < 500; i++)
		ASSERT_EQ(0, buf_import(self->dmabuf, wr, DMA_BUF_SYNC_READ));
	EXPECT_GE(2, bufinfo_fences(self->dmabuf, variant->exp_name));
	signal_tl(_metadata, &self->fb, 0);
}

/*
 * An older fence of a context the buffer already holds a later fence of,
 * imported 500 times, takes one more slot at most (6.12 appends it once,
 * then replaces it with itself).
 */
TEST_F(buf, import_older_fence_does_not_grow)
{
	int older, newer, i, n;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	n = bufinfo_fences(self->dmabuf, variant->exp_name);
	if (n < 0)
		SKIP(return, BUFINFO_FILE " unreadable: %s", strerror(-n));

	older = keep(_metadata, &self->fb, sw_point(self->fb.tl[0], 1));
	newer = keep(_metadata, &self->fb, sw_point(self->fb.tl[0], 2));
	ASSERT_EQ(0, buf_import(self->dmabuf, newer, DMA_BUF_SYNC_WRITE));
	for (i = 0; i < 500; i++)
		ASSERT_EQ(0, buf_import(self->dmabuf, older,
					DMA_BUF_SYNC_WRITE));
	EXPECT_GE(2, bufinfo_fences(self->dmabuf, variant->exp_name));
	EXPECT_LE(1, bufinfo_fences(self->dmabuf, variant->exp_name));
	ASSERT_EQ(0, sw_advance(self->fb.tl[0], 2));
}

/*
 * A sync file whose fences have all signalled (here a merge of two
 * signalled points) imports without error, and leaves the buffer idle.
 */
TEST_F(buf, import_merge_of_signalled_fences)
{
	struct sync_merge_data merge = { .name = "signalled" };
	int a, b;

	if (self->fb.tl[0] < 0)
		SKIP(return, "%s", NO_SW_SYNC);
	a = keep(_metadata, &self->fb, sw_point(self->fb.tl[0], 1));
	b = keep(_metadata, &self->fb, sw_point(self->fb.tl[1], 1));
	signal_tl(_metadata, &self->fb, 0);
	signal_tl(_metadata, &self->fb, 1);
	merge.fd2 = b;
	ASSERT_EQ(0, ioctl(a, SYNC_IOC_MERGE, &merge));
	keep(_metadata, &self->fb, merge.fence);

	EXPECT_EQ(0, buf_import(self->dmabuf, merge.fence, DMA_BUF_SYNC_RW));
	EXPECT_EQ(POLLIN | POLLOUT,
		  poll_events(self->dmabuf, POLLIN | POLLOUT, 0));
}

TEST_HARNESS_MAIN
