// SPDX-License-Identifier: GPL-2.0-only
/*
 * fail-nth-sweep: every allocation on a dma-buf uapi path fails once.
 *
 * For each operation (one case each) the case writes n = 1, 2, 3, ... to
 * /proc/thread-self/fail-nth right before the system call, so that the
 * n-th fault-injectable allocation this thread attempts fails (slab
 * through failslab, pages through fail_page_alloc), and reads it back
 * right after: 0 means the failure was delivered. The sweep ends at the
 * first n the call no longer reaches. After each try it checks that
 *
 *   - a failed call returned ENOMEM (anything else is reported);
 *   - the call left no descriptor (the set of open fds), no dma-buf
 *     (bufinfo's object count and bytes, /sys/kernel/dmabuf/buffers), no
 *     fence, timeline or sync_file (lines of debugfs sync/info) behind;
 *   - the object it worked on still works;
 *
 * and at the end that the same call succeeds without a fault and that no
 * folio of a memfd stays pinned (F_SEAL_WRITE waits for pins and fails
 * with EBUSY). Leaked memory shows up in the test boot's kmemleak scan.
 *
 * Not part of /tests: the oracle boot runs /tests on the unmodified 6.12
 * kernel, and this program judges a kernel's error paths, not its uapi.
 * The guest installs it as /sweep/fail-nth-sweep and runs it after /tests
 * (harness/guest/init). It sets the fail_page_alloc knobs it needs and
 * puts them back; failslab's are set by init (ignore-gfp-wait=N,
 * verbose=0).
 *
 * When every case has run, the parent prints the table of the README's
 * "Allocation-failure sweep" section: per operation the allocations that
 * were failed, how many of those failures the call reported, and the
 * errnos seen.
 *
 * Build (static, as the harness does):
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "../dmabuf-util.h"
#include "../dmabuf-harness.h"
/* TEST() hands every case a variant it has no use for. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define SYNC_INFO	"/sys/kernel/debug/sync/info"
#define SYSFS_BUFS	"/sys/kernel/dmabuf/buffers"
#define HEAP_DIR	"/dev/dma_heap"
#define FPA		"/sys/kernel/debug/fail_page_alloc/"

/* Most tries of one sweep: far above what any operation needs. */
#define SWEEP_MAX	1500
/* Buffers of the sweep. */
#define BUF_SIZE	(64 * 1024)
#define HEAP_SIZE	(1024 * 1024)
#define CREATE_SIZE	(1024 * 1024)
/* Most operations of the table, distinct errnos kept per row. */
#define ROWS_MAX	48
#define ERRNOS_MAX	6
/* Seconds one case may take (under QEMU TCG with KASAN: up to 10). */
#define CASE_TIMEOUT	180

/**
 * struct row - what one sweep saw, for the table the parent prints
 * @op: operation
 * @failed: tries whose injected failure was delivered
 * @fatal: of those, the tries in which the call failed
 * @errnos: distinct errnos the failed calls returned
 * @nerrnos: entries of @errnos
 * @complete: the sweep reached an n the call no longer gets to
 */
struct row {
	char op[40];
	unsigned int failed;
	unsigned int fatal;
	int errnos[ERRNOS_MAX];
	unsigned int nerrnos;
	int complete;
};

/* Shared with the forked cases; the parent prints it at exit. */
static struct row *rows;
static unsigned int *nrows;
static struct timespec started;

/**
 * struct census - what the kernel holds that a failed call could leak
 * @fds: the open descriptors of this process
 * @bufs: bufinfo's object count (-1 without debugfs)
 * @bytes: bufinfo's byte count
 * @sysfs: entries of /sys/kernel/dmabuf/buffers (-1 without)
 * @sync_lines: lines of debugfs sync/info (-1 without)
 */
struct census {
	struct fd_snapshot fds;
	int bufs;
	unsigned long bytes;
	int sysfs;
	int sync_lines;
};

/**
 * struct op - the call a case sweeps, and how to judge it
 * @name: row of the table
 * @run: the call; 0 or -errno. What it creates on success goes in @ctx.
 * @undo: after a successful call: release what it created (may be NULL)
 * @usable: after a failed call: 0 when the object still works (may be NULL)
 * @none: the call allocates nothing: the sweep must fail nothing
 * @ctx: the state the three share
 */
struct op {
	const char *name;
	int (*run)(void *ctx);
	void (*undo)(void *ctx);
	int (*usable)(void *ctx);
	int none;
	void *ctx;
};

/* ---- fault injection ---- */

static int nth_fd = -1;

static int fault_open(void)
{
	if (nth_fd < 0)
		nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	return nth_fd;
}

/* Fail the @n-th fault-injectable allocation of this thread from now on. */
static int fault_arm(unsigned int n)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", n);

	return pwrite(nth_fd, num, len, 0) == len ? 0 : -errno;
}

/*
 * Stop injecting. Returns how many allocations the countdown was still
 * short of the failure (0: it was delivered), or -errno.
 */
static long fault_disarm(void)
{
	char num[16] = "";
	ssize_t n;

	n = pread(nth_fd, num, sizeof(num) - 1, 0);
	if (n <= 0 || pwrite(nth_fd, "0", 1, 0) != 1)
		return -EIO;
	return strtol(num, NULL, 10);
}

/* ---- debugfs knobs of fail_page_alloc ---- */

static const char *const fpa_knob[] = {
	"ignore-gfp-wait", "ignore-gfp-highmem", "min-order", "verbose",
};

static const char *const fpa_want[] = { "N", "N", "0", "0" };
static char fpa_saved[4][16];
static int fpa_set;

/* Let fail-nth reach every page allocation; no stack dumps. */
static void fpa_setup(void)
{
	char path[128];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), FPA "%s", fpa_knob[i]);
		if (read_text(path, fpa_saved[i], sizeof(fpa_saved[i])) < 0)
			return;
	}
	for (i = 0; i < 4; i++) {
		int fd;

		snprintf(path, sizeof(path), FPA "%s", fpa_knob[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, fpa_want[i], strlen(fpa_want[i])) < 0)
				fpa_saved[i][0] = '\0';
			close(fd);
		}
	}
	fpa_set = 1;
}

static void fpa_restore(void)
{
	char path[128];
	unsigned int i;

	for (i = 0; fpa_set && i < 4; i++) {
		int fd;

		if (!fpa_saved[i][0])
			continue;
		snprintf(path, sizeof(path), FPA "%s", fpa_knob[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, fpa_saved[i], strlen(fpa_saved[i])) < 0)
				perror(path);
			close(fd);
		}
	}
}

/* ---- census ---- */

static char text[1 << 17];

static void bufinfo_read(int *bufs, unsigned long *bytes)
{
	char *line;
	int n;

	*bufs = -1;
	*bytes = 0;
	n = read_text(BUFINFO_FILE, text, sizeof(text));
	for (line = text; n >= 0 && line; line = strchr(line, '\n')) {
		while (*line == '\n')
			line++;
		if (sscanf(line, "Total %d objects, %lu bytes", bufs,
			   bytes) == 2)
			break;
	}
}

static int count_lines(const char *path)
{
	int n = read_text(path, text, sizeof(text));
	int lines = 0;
	char *p;

	if (n < 0)
		return -1;
	for (p = text; *p; p++)
		lines += *p == '\n';
	return lines;
}

static int count_entries(const char *path)
{
	struct dirent *ent;
	int n = 0;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return -1;
	while ((ent = readdir(dir)))
		n += ent->d_name[0] != '.';
	closedir(dir);
	return n;
}

static void census_take(struct census *c)
{
	fd_snapshot_take(&c->fds);
	bufinfo_read(&c->bufs, &c->bytes);
	c->sysfs = count_entries(SYSFS_BUFS);
	c->sync_lines = count_lines(SYNC_INFO);
}

/*
 * What differs between @before and now, as text in @why (empty when
 * nothing). A buffer whose last reference goes with a fence callback may
 * be released a moment later, so a difference is looked at again for up
 * to a second before it counts.
 */
static void census_diff(const struct census *before, char *why, size_t len)
{
	struct census now;
	int i, fd;

	for (i = 0; i < 100; i++) {
		why[0] = '\0';
		census_take(&now);
		fd = fd_snapshot_diff(&before->fds);
		if (fd != -1)
			snprintf(why, len, "descriptor %d", fd);
		else if (now.bufs != before->bufs ||
			 now.bytes != before->bytes)
			snprintf(why, len, "bufinfo %d objects %lu bytes, was %d %lu",
				 now.bufs, now.bytes, before->bufs,
				 before->bytes);
		else if (now.sysfs != before->sysfs)
			snprintf(why, len, "sysfs stats %d buffers, was %d",
				 now.sysfs, before->sysfs);
		else if (now.sync_lines != before->sync_lines)
			snprintf(why, len, "sync/info %d lines, was %d",
				 now.sync_lines, before->sync_lines);
		if (!why[0])
			return;
		usleep(10000);
	}
}

/* ---- the table ---- */

static struct row *row_new(const char *op)
{
	struct row *r;

	if (!rows || *nrows >= ROWS_MAX)
		return NULL;
	r = &rows[__atomic_fetch_add(nrows, 1, __ATOMIC_SEQ_CST)];
	memset(r, 0, sizeof(*r));
	snprintf(r->op, sizeof(r->op), "%s", op);
	return r;
}

static void row_errno(struct row *r, int err)
{
	unsigned int i;

	for (i = 0; i < r->nerrnos; i++)
		if (r->errnos[i] == err)
			return;
	if (r->nerrnos < ERRNOS_MAX)
		r->errnos[r->nerrnos++] = err;
}

static void __attribute__((constructor)) table_init(void)
{
	void *p = mmap(NULL, sizeof(*rows) * ROWS_MAX + sizeof(*nrows),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return;
	rows = p;
	nrows = (unsigned int *)(rows + ROWS_MAX);
	clock_gettime(CLOCK_MONOTONIC, &started);
	fpa_setup();
}

/* Runs in the parent only: the cases leave their children by _exit(). */
static void __attribute__((destructor)) table_print(void)
{
	unsigned int i, j, failed = 0, fatal = 0;
	char errs[64];

	fpa_restore();
	if (!rows || !*nrows)
		return;
	printf("# %-36s %7s %7s  %s\n", "operation", "failed", "fatal",
	       "errnos");
	for (i = 0; i < *nrows; i++) {
		struct row *r = &rows[i];
		int len = 0;

		errs[0] = '\0';
		for (j = 0; j < r->nerrnos; j++)
			len += snprintf(errs + len, sizeof(errs) - len, "%s%s",
					j ? "," : "",
					strerrorname_np(r->errnos[j]) ?: "?");
		printf("# %-36s %7u %7u  %s%s\n", r->op, r->failed, r->fatal,
		       r->nerrnos ? errs : "-", r->complete ? "" : " (cut)");
		failed += r->failed;
		fatal += r->fatal;
	}
	printf("# %-36s %7u %7u\n", "total", failed, fatal);
	printf("# page allocations %s; the sweep took %ld ms\n",
	       fpa_set ? "failed too (fail_page_alloc)" :
	       "not failed (no CONFIG_FAIL_PAGE_ALLOC)",
	       elapsed_ms(&started));
}

/* ---- the sweep ---- */

/*
 * Sweep @op: fail its 1st, 2nd, ... allocation until it makes no more.
 * Each failure must be ENOMEM and leave nothing behind; the object must
 * stay usable; the call must succeed without a fault afterwards.
 */
static void sweep(struct __test_metadata *_metadata, const struct op *op)
{
	struct row *r = row_new(op->name);
	struct row local = {};
	struct census base;
	char why[160];
	unsigned int n;
	long left;
	int ret;

	if (!r)
		r = &local;
	ASSERT_LE(0, fault_open()) {
		TH_LOG("%s: %s (CONFIG_FAULT_INJECTION)", FAIL_NTH,
		       strerror(errno));
	}
	census_take(&base);
	for (n = 1; n <= SWEEP_MAX; n++) {
		ASSERT_EQ(0, fault_arm(n));
		ret = op->run(op->ctx);
		left = fault_disarm();
		ASSERT_LE(0, left);
		if (left) {
			/* The call made fewer than n allocations. */
			r->complete = 1;
			EXPECT_EQ(0, ret) {
				TH_LOG("%s: untouched call failed: %s",
				       op->name, strerror(-ret));
			}
			if (!ret && op->undo)
				op->undo(op->ctx);
			break;
		}
		r->failed++;
		if (!ret) {
			if (op->undo)
				op->undo(op->ctx);
		} else {
			r->fatal++;
			row_errno(r, -ret);
			EXPECT_EQ(-ENOMEM, ret) {
				TH_LOG("%s: allocation %u: %s", op->name, n,
				       strerror(-ret));
			}
		}
		census_diff(&base, why, sizeof(why));
		EXPECT_STREQ("", why) {
			TH_LOG("%s: allocation %u %s: left %s", op->name, n,
			       ret ? "refused" : "tolerated", why);
		}
		if (ret && op->usable) {
			int bad = op->usable(op->ctx);

			EXPECT_EQ(0, bad) {
				TH_LOG("%s: allocation %u: object unusable (%s)",
				       op->name, n, strerror(-bad));
			}
		}
		if (_metadata->exit_code == KSFT_FAIL)
			break;
	}
	EXPECT_TRUE(r->complete) {
		TH_LOG("%s: still allocating after %u tries", op->name,
		       SWEEP_MAX);
	}
	if (op->none) {
		EXPECT_EQ(0U, r->failed) {
			TH_LOG("%s: allocates after all", op->name);
		}
	} else {
		EXPECT_LE(1U, r->failed) {
			TH_LOG("%s: no allocation failed: fail-nth not working?",
			       op->name);
		}
	}
	/* Once more without a fault: it works, and leaves nothing. */
	ret = op->run(op->ctx);
	EXPECT_EQ(0, ret) {
		TH_LOG("%s: fault-free call failed: %s", op->name,
		       strerror(-ret));
	}
	if (!ret && op->undo)
		op->undo(op->ctx);
	census_diff(&base, why, sizeof(why));
	EXPECT_STREQ("", why) {
		TH_LOG("%s: after the fault-free call: %s", op->name, why);
	}
	TH_LOG("%s: %u allocations failed, %u fatal to the call", op->name,
	       r->failed, r->fatal);
}

/*
 * The fixture gives each case a time limit above the harness's default (a
 * sweep of a call that allocates per page, as 6.12's udmabuf does, makes
 * hundreds of tries), and checks the whole case: once it has closed
 * everything, a reference that a failed call leaked to the objects the
 * case made (a dma-buf, a fence, a timeline) keeps them alive, in bufinfo,
 * the sysfs stats or sync/info.
 */
FIXTURE(sweep) {
	struct census before;
};

FIXTURE_SETUP(sweep)
{
	ASSERT_LE(0, fault_open()) {
		TH_LOG("%s: %s (CONFIG_FAULT_INJECTION)", FAIL_NTH,
		       strerror(errno));
	}
	census_take(&self->before);
}

FIXTURE_TEARDOWN(sweep)
{
	char why[160];

	census_diff(&self->before, why, sizeof(why));
	EXPECT_STREQ("", why) {
		TH_LOG("once the case closed everything: %s", why);
	}
}

/* ---- objects ---- */

/*
 * A memfd of @size bytes, sealed against shrinking (as udmabuf wants), its
 * pages allocated now so that a sweep does not fail page-cache
 * allocations of shmem instead of those of the call.
 */
static int memfd_filled(size_t size)
{
	static char page[4096];
	size_t off;
	int fd;

	fd = memfd_create("sweep", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(page, 0x5a, sizeof(page));
	for (off = 0; off < size; off += sizeof(page))
		if (pwrite(fd, page, sizeof(page), off) != sizeof(page))
			goto fail;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))
		goto fail;
	return fd;
fail:
	close(fd);
	return -EIO;
}

/*
 * No folio of @memfd holds a reference beyond the page cache's: adding
 * F_SEAL_WRITE waits a little for pins to go and then fails with EBUSY.
 * The memfd takes no udmabuf after this.
 */
static int memfd_unpinned(int memfd)
{
	return fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE) ? -errno : 0;
}

/* A dma-buf works: its first page maps, reads back what was written. */
static int buf_works(int fd)
{
	unsigned char *p;
	int ret = 0;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Atomic accesses: the compiler must really touch the page. */
	__atomic_store_n(&p[1], 0xa5, __ATOMIC_RELAXED);
	if (__atomic_load_n(&p[1], __ATOMIC_RELAXED) != 0xa5)
		ret = -EIO;
	munmap(p, 4096);
	if (!ret && buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW))
		ret = -errno;
	if (!ret && buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW))
		ret = -errno;
	return ret;
}

/* A sync_file works: FILE_INFO answers. */
static int sync_works(int fd)
{
	int st = sync_status(fd, NULL);

	return st < 0 ? st : 0;
}

/**
 * struct ctx - state of one case
 * @buf: the dma-buf under test
 * @memfd: its memfd (udmabuf) or -1
 * @memfd2: a second memfd for list requests, or -1
 * @dev: the device an operation talks to (/dev/udmabuf, a heap, a timeline)
 * @sf: a sync_file under test
 * @sf2: a second sync_file
 * @tl2: a second sw_sync timeline
 * @out: the descriptor a successful call made
 * @map: the mapping a successful mmap made
 * @size: a size the operation uses
 * @cmd: the ioctl request where the case picks among several
 * @name: a name in touched user memory
 * @fdinfo: the fdinfo path of @buf
 */
struct ctx {
	int buf, memfd, memfd2, dev, sf, sf2, tl2, out;
	void *map;
	size_t size;
	unsigned long cmd;
	char name[32];
	char fdinfo[64];
};

static void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->buf = -1;
	c->memfd = -1;
	c->memfd2 = -1;
	c->dev = -1;
	c->sf = -1;
	c->sf2 = -1;
	c->tl2 = -1;
	c->out = -1;
}

static void ctx_close(struct ctx *c)
{
	int *fds[] = { &c->buf, &c->memfd, &c->memfd2, &c->dev, &c->sf,
		       &c->sf2, &c->tl2, &c->out };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* A udmabuf of BUF_SIZE over a filled memfd, into @c->buf and ->memfd. */
static int ctx_udmabuf(struct ctx *c)
{
	struct udmabuf_create req = {};
	int dev;

	c->memfd = memfd_filled(BUF_SIZE);
	if (c->memfd < 0)
		return c->memfd;
	dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	req.memfd = c->memfd;
	req.flags = UDMABUF_FLAGS_CLOEXEC;
	req.size = BUF_SIZE;
	c->buf = ioctl(dev, UDMABUF_CREATE, &req);
	close(dev);
	if (c->buf < 0)
		return -errno;
	snprintf(c->fdinfo, sizeof(c->fdinfo), "/proc/self/fdinfo/%d",
		 c->buf);
	return 0;
}

static void undo_close_out(void *p)
{
	struct ctx *c = p;

	close(c->out);
	c->out = -1;
}

static int usable_buf(void *p)
{
	return buf_works(((struct ctx *)p)->buf);
}

/**
 * struct sweep_case - a case: the operation it sweeps, the object it works on
 * @op: the operation; run_case() points its @ctx at the case's state
 * @setup: makes the object in a fresh state: 0, or 1 when the case skipped
 * @after: after the sweep, checks and releases before the state is closed
 *	   (may be NULL)
 * @cmd: the ioctl request, for an operation that takes one from the case
 * @size: the size the operation uses, if any (the state's @size at first)
 */
struct sweep_case {
	struct op op;
	int (*setup)(struct __test_metadata *_metadata, struct ctx *c,
		     const struct sweep_case *sc);
	void (*after)(struct __test_metadata *_metadata, struct ctx *c);
	unsigned long cmd;
	size_t size;
};

/* Run @sc in a fresh state: make its object, sweep, check, close it all. */
static void run_case(struct __test_metadata *_metadata,
		     const struct sweep_case *sc)
{
	struct op o = sc->op;
	struct ctx c;

	ctx_init(&c);
	c.size = sc->size;
	o.ctx = &c;
	if (!sc->setup(_metadata, &c, sc)) {
		sweep(_metadata, &o);
		if (sc->after)
			sc->after(_metadata, &c);
	}
	ctx_close(&c);
}

/*
 * SWEEP_CASE() - case @test of the fixture: run_case() of the struct
 * sweep_case that the other arguments initialise.
 */
#define SWEEP_CASE(test, ...)						\
	static const struct sweep_case test##_case = { __VA_ARGS__ };	\
	TEST_F_TIMEOUT(sweep, test, CASE_TIMEOUT)			\
	{								\
		run_case(_metadata, &test##_case);			\
	}

/* A udmabuf of BUF_SIZE (ctx_udmabuf()). */
static int setup_udmabuf(struct __test_metadata *_metadata, struct ctx *c,
			 const struct sweep_case *sc)
{
	ASSERT_EQ(0, ctx_udmabuf(c));
	return 0;
}

/* ---- dma-buf ---- */

static int run_sync_start(void *p)
{
	struct ctx *c = p;

	return buf_sync(c->buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW) ?
	       -errno : 0;
}

static void undo_sync_start(void *p)
{
	struct ctx *c = p;

	buf_sync(c->buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

static int run_set_name(void *p)
{
	struct ctx *c = p;

	return ioctl(c->buf, c->cmd, c->name) ? -errno : 0;
}

static int run_export_sync_file(void *p)
{
	struct ctx *c = p;
	struct dma_buf_export_sync_file req = { .flags = DMA_BUF_SYNC_RW,
						.fd = -1 };

	if (ioctl(c->buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req))
		return -errno;
	c->out = req.fd;
	return 0;
}

static int run_import_sync_file(void *p)
{
	struct ctx *c = p;
	struct dma_buf_import_sync_file req = { .flags = DMA_BUF_SYNC_WRITE,
						.fd = c->sf };

	return ioctl(c->buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &req) ? -errno : 0;
}

static int run_mmap(void *p)
{
	struct ctx *c = p;

	c->map = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->buf, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return -errno;
	}
	return 0;
}

/* Touch every page of the new mapping, then unmap it. */
static void undo_mmap(void *p)
{
	struct ctx *c = p;
	unsigned char *b = c->map;
	size_t off;

	for (off = 0; off < c->size; off += 4096)
		__atomic_fetch_add(&b[off], 1, __ATOMIC_RELAXED);
	munmap(c->map, c->size);
	c->map = NULL;
}

static int run_fdinfo(void *p)
{
	struct ctx *c = p;
	char info[512];
	int n;

	memset(info, 0, sizeof(info));
	n = read_text(c->fdinfo, info, sizeof(info));
	if (n < 0)
		return n;
	/* A short read would be a silent failure: it must be whole. */
	return strstr(info, "exp_name:") ? 0 : -EPROTO;
}

SWEEP_CASE(dmabuf_sync,
	   .op = { "dma-buf SYNC (udmabuf)", run_sync_start, undo_sync_start,
		   usable_buf },
	   .setup = setup_udmabuf)

/* A udmabuf; the name comes from the case's request. */
static int setup_set_name(struct __test_metadata *_metadata, struct ctx *c,
			  const struct sweep_case *sc)
{
	ASSERT_EQ(0, ctx_udmabuf(c));
	c->cmd = sc->cmd;
	snprintf(c->name, sizeof(c->name), "sweep-%lx", sc->cmd);
	return 0;
}

SWEEP_CASE(dmabuf_set_name,
	   .op = { "dma-buf SET_NAME", run_set_name, NULL, usable_buf },
	   .setup = setup_set_name, .cmd = DMA_BUF_SET_NAME)

SWEEP_CASE(dmabuf_set_name_a,
	   .op = { "dma-buf SET_NAME_A", run_set_name, NULL, usable_buf },
	   .setup = setup_set_name, .cmd = DMA_BUF_SET_NAME_A)

SWEEP_CASE(dmabuf_set_name_b,
	   .op = { "dma-buf SET_NAME_B", run_set_name, NULL, usable_buf },
	   .setup = setup_set_name, .cmd = DMA_BUF_SET_NAME_B)

SWEEP_CASE(dmabuf_export_sync_file,
	   .op = { "dma-buf EXPORT_SYNC_FILE", run_export_sync_file,
		   undo_close_out, usable_buf },
	   .setup = setup_udmabuf)

/*
 * A udmabuf and two timelines, a point at 1 on each (*@a, *@b, for the
 * caller to close). Returns 1 when the case skipped.
 */
static int setup_buf_two_points(struct __test_metadata *_metadata,
				struct ctx *c, int *a, int *b)
{
	ASSERT_EQ(0, ctx_udmabuf(c));
	c->dev = sw_timeline();
	c->tl2 = sw_timeline();
	if (c->dev < 0 || c->tl2 < 0)
		SKIP(return 1, NO_SW_SYNC);
	*a = sw_point(c->dev, 1);
	*b = sw_point(c->tl2, 1);
	ASSERT_LE(0, *a);
	ASSERT_LE(0, *b);
	return 0;
}

/* Both timelines reach their points. */
static void signal_both(struct __test_metadata *_metadata, struct ctx *c)
{
	ASSERT_EQ(0, sw_advance(c->dev, 1));
	ASSERT_EQ(0, sw_advance(c->tl2, 1));
}

static int setup_import(struct __test_metadata *_metadata, struct ctx *c,
			const struct sweep_case *sc)
{
	int a, b;

	if (setup_buf_two_points(_metadata, c, &a, &b))
		return 1;
	/* Fences of two timelines merged: the import unwraps the array. */
	c->sf = sync_merge(a, b);
	close(a);
	close(b);
	ASSERT_LE(0, c->sf);
	/* Signalled now, so that usable_buf()'s SYNC does not wait. */
	signal_both(_metadata, c);
	return 0;
}

SWEEP_CASE(dmabuf_import_sync_file,
	   .op = { "dma-buf IMPORT_SYNC_FILE", run_import_sync_file, NULL,
		   usable_buf },
	   .setup = setup_import)

/* A dma-buf still maps and holds what was written (no SYNC: it waits). */
static int usable_buf_map(void *p)
{
	struct ctx *c = p;
	unsigned char *b;
	int ret = 0;

	b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c->buf, 0);
	if (b == MAP_FAILED)
		return -errno;
	__atomic_store_n(&b[2], 0x3c, __ATOMIC_RELAXED);
	if (__atomic_load_n(&b[2], __ATOMIC_RELAXED) != 0x3c)
		ret = -EIO;
	munmap(b, 4096);
	return ret;
}

/*
 * Two pending writers of different timelines: the exported sync_file
 * needs a fence array (dma_resv_get_singleton()). They signal after the
 * sweep.
 */
static int setup_two_writers(struct __test_metadata *_metadata,
			     struct ctx *c, const struct sweep_case *sc)
{
	int a, b;

	if (setup_buf_two_points(_metadata, c, &a, &b))
		return 1;
	ASSERT_EQ(0, buf_import(c->buf, a, DMA_BUF_SYNC_WRITE));
	ASSERT_EQ(0, buf_import(c->buf, b, DMA_BUF_SYNC_READ));
	close(a);
	close(b);
	return 0;
}

SWEEP_CASE(dmabuf_export_sync_file_array,
	   .op = { "dma-buf EXPORT_SYNC_FILE (2 fences)",
		   run_export_sync_file, undo_close_out, usable_buf_map },
	   .setup = setup_two_writers, .after = signal_both)

SWEEP_CASE(dmabuf_mmap_udmabuf,
	   .op = { "dma-buf mmap (udmabuf)", run_mmap, undo_mmap,
		   usable_buf },
	   .setup = setup_udmabuf, .size = BUF_SIZE)

/* A buffer of BUF_SIZE from the system heap. */
static int setup_heap_buf(struct __test_metadata *_metadata, struct ctx *c,
			  const struct sweep_case *sc)
{
	c->buf = dmabuf_from_heap(BUF_SIZE);
	if (c->buf == -ENOENT)
		SKIP(return 1, SYSTEM_HEAP_DEV " missing");
	ASSERT_LE(0, c->buf);
	return 0;
}

SWEEP_CASE(dmabuf_mmap_heap,
	   .op = { "dma-buf mmap (system heap)", run_mmap, undo_mmap,
		   usable_buf },
	   .setup = setup_heap_buf, .size = BUF_SIZE)

/* A named udmabuf: its fdinfo has every line. */
static int setup_named(struct __test_metadata *_metadata, struct ctx *c,
		       const struct sweep_case *sc)
{
	ASSERT_EQ(0, ctx_udmabuf(c));
	ASSERT_EQ(0, buf_set_name(c->buf, DMA_BUF_SET_NAME, "named"));
	return 0;
}

SWEEP_CASE(dmabuf_fdinfo,
	   .op = { "dma-buf fdinfo read", run_fdinfo, NULL, usable_buf },
	   .setup = setup_named)

/* ---- sync_file ---- */

static int run_merge(void *p)
{
	struct ctx *c = p;
	struct sync_merge_data req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "sweep");
	req.fd2 = c->sf2;
	if (ioctl(c->sf, SYNC_IOC_MERGE, &req))
		return -errno;
	c->out = req.fence;
	return 0;
}

static int usable_sync(void *p)
{
	struct ctx *c = p;
	int ret = sync_works(c->sf);

	return ret ? ret : sync_works(c->sf2);
}

static int run_file_info(void *p)
{
	struct ctx *c = p;
	struct sync_fence_info fences[4];
	struct sync_file_info info;

	memset(fences, 0, sizeof(fences));
	memset(&info, 0, sizeof(info));
	info.num_fences = 4;
	info.sync_fence_info = (__u64)(uintptr_t)fences;
	if (ioctl(c->sf, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	return info.num_fences == 2 && fences[1].obj_name[0] ? 0 : -EPROTO;
}

/* FILE_INFO asking for the count only. */
static int run_file_info_count(void *p)
{
	struct ctx *c = p;
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(c->sf, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	return info.num_fences == 1 ? 0 : -EPROTO;
}

static int run_set_deadline(void *p)
{
	struct ctx *c = p;
	struct sync_set_deadline req = { .deadline_ns = 1000000000ULL };

	return ioctl(c->sf, SYNC_IOC_SET_DEADLINE, &req) ? -errno : 0;
}

/*
 * Two timelines, a pending point on each: sf and sf2. (Closing a timeline
 * signals its pending points with an error, so both stay open.)
 */
static int ctx_two_points(struct ctx *c)
{
	c->dev = sw_timeline();
	if (c->dev < 0)
		return c->dev;
	c->tl2 = sw_timeline();
	if (c->tl2 < 0)
		return c->tl2;
	c->sf = sw_point(c->dev, 5);
	c->sf2 = sw_point(c->tl2, 5);
	return c->sf < 0 ? c->sf : c->sf2 < 0 ? c->sf2 : 0;
}

static int setup_two_points(struct __test_metadata *_metadata, struct ctx *c,
			    const struct sweep_case *sc)
{
	if (ctx_two_points(c) == -ENOENT)
		SKIP(return 1, NO_SW_SYNC);
	ASSERT_LE(0, c->sf2);
	return 0;
}

SWEEP_CASE(sync_file_merge,
	   .op = { "sync_file MERGE", run_merge, undo_close_out,
		   usable_sync },
	   .setup = setup_two_points)

/* fd2 is the same file: merge a sync_file with itself. */
static int setup_same_file(struct __test_metadata *_metadata, struct ctx *c,
			   const struct sweep_case *sc)
{
	if (setup_two_points(_metadata, c, sc))
		return 1;
	close(c->sf2);
	c->sf2 = dup(c->sf);
	ASSERT_LE(0, c->sf2);
	close(c->sf2);
	c->sf2 = c->sf;
	return 0;
}

/* One descriptor in two places: closed once. */
static void after_same_file(struct __test_metadata *_metadata, struct ctx *c)
{
	c->sf2 = -1;
}

SWEEP_CASE(sync_file_merge_self,
	   .op = { "sync_file MERGE with itself", run_merge, undo_close_out,
		   usable_sync },
	   .setup = setup_same_file, .after = after_same_file)

/*
 * Two fences: the later point of the first timeline (a merge keeps one
 * fence per timeline) and the point of the second.
 */
static int setup_two_fences(struct __test_metadata *_metadata, struct ctx *c,
			    const struct sweep_case *sc)
{
	int merged, third;

	if (setup_two_points(_metadata, c, sc))
		return 1;
	third = sw_point(c->dev, 9);
	ASSERT_LE(0, third);
	merged = sync_merge(c->sf, c->sf2);
	ASSERT_LE(0, merged);
	c->out = sync_merge(merged, third);
	close(merged);
	close(third);
	ASSERT_LE(0, c->out);
	close(c->sf);
	c->sf = c->out;
	c->out = -1;
	return 0;
}

/*
 * FILE_INFO copies each record out as it is made (nothing sized by the
 * fence count is allocated), so it must fail nothing.
 */
SWEEP_CASE(sync_file_file_info,
	   .op = { "sync_file FILE_INFO", run_file_info, NULL, usable_sync,
		   1 },
	   .setup = setup_two_fences)

SWEEP_CASE(sync_file_file_info_count,
	   .op = { "sync_file FILE_INFO (count only)", run_file_info_count,
		   NULL, usable_sync, 1 },
	   .setup = setup_two_points)

SWEEP_CASE(sync_file_set_deadline,
	   .op = { "sync_file SET_DEADLINE", run_set_deadline, NULL,
		   usable_sync, 1 },
	   .setup = setup_two_points)

/* ---- sw_sync ---- */

static int run_timeline_open(void *p)
{
	struct ctx *c = p;

	c->out = sw_timeline();
	return c->out < 0 ? c->out : 0;
}

static int run_create_fence(void *p)
{
	struct ctx *c = p;

	c->out = sw_point(c->dev, 7);
	return c->out < 0 ? c->out : 0;
}

static int run_inc(void *p)
{
	struct ctx *c = p;

	return sw_advance(c->dev, 1);
}

static int run_get_deadline(void *p)
{
	struct ctx *c = p;
	struct sw_sync_get_deadline req = { .fence_fd = c->sf };

	if (ioctl(c->dev, SW_SYNC_GET_DEADLINE, &req))
		return -errno;
	return req.deadline_ns ? 0 : -EPROTO;
}

static int usable_timeline(void *p)
{
	struct ctx *c = p;
	int fd = sw_point(c->dev, 1000);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* A timeline in ->dev. */
static int setup_timeline(struct __test_metadata *_metadata, struct ctx *c,
			  const struct sweep_case *sc)
{
	c->dev = sw_timeline();
	if (c->dev < 0)
		SKIP(return 1, NO_SW_SYNC);
	return 0;
}

/* sw_sync is there; the sweep opens the timelines. */
static int setup_sw_sync(struct __test_metadata *_metadata, struct ctx *c,
			 const struct sweep_case *sc)
{
	if (setup_timeline(_metadata, c, sc))
		return 1;
	close(c->dev);
	c->dev = -1;
	return 0;
}

SWEEP_CASE(sw_sync_open,
	   .op = { "sw_sync open (timeline)", run_timeline_open,
		   undo_close_out, NULL },
	   .setup = setup_sw_sync)

SWEEP_CASE(sw_sync_create_fence,
	   .op = { "sw_sync CREATE_FENCE", run_create_fence, undo_close_out,
		   usable_timeline },
	   .setup = setup_timeline)

/* A point far ahead stays pending through the sweep's increments. */
static int setup_far_point(struct __test_metadata *_metadata, struct ctx *c,
			   const struct sweep_case *sc)
{
	if (setup_timeline(_metadata, c, sc))
		return 1;
	c->sf = sw_point(c->dev, 100000);
	ASSERT_LE(0, c->sf);
	return 0;
}

SWEEP_CASE(sw_sync_inc,
	   .op = { "sw_sync INC", run_inc, NULL, usable_timeline, 1 },
	   .setup = setup_far_point)

/* A point with a deadline. */
static int setup_deadline(struct __test_metadata *_metadata, struct ctx *c,
			  const struct sweep_case *sc)
{
	if (setup_timeline(_metadata, c, sc))
		return 1;
	c->sf = sw_point(c->dev, 3);
	ASSERT_LE(0, c->sf);
	ASSERT_EQ(0, run_set_deadline(c));
	return 0;
}

SWEEP_CASE(sw_sync_get_deadline,
	   .op = { "sw_sync GET_DEADLINE", run_get_deadline, NULL,
		   usable_timeline, 1 },
	   .setup = setup_deadline)

/* ---- udmabuf ---- */

static int run_udmabuf_create(void *p)
{
	struct ctx *c = p;
	struct udmabuf_create req = {};

	req.memfd = c->memfd;
	req.flags = UDMABUF_FLAGS_CLOEXEC;
	req.offset = 4096;
	req.size = c->size;
	c->out = ioctl(c->dev, UDMABUF_CREATE, &req);
	return c->out < 0 ? -errno : 0;
}

/* Two memfds, three ranges, as one list. */
static int run_udmabuf_create_list(void *p)
{
	struct ctx *c = p;
	struct {
		struct udmabuf_create_list head;
		struct udmabuf_create_item item[3];
	} req;

	memset(&req, 0, sizeof(req));
	req.head.flags = UDMABUF_FLAGS_CLOEXEC;
	req.head.count = 3;
	req.item[0].memfd = c->memfd;
	req.item[0].offset = 0;
	req.item[0].size = c->size / 2;
	req.item[1].memfd = c->memfd2;
	req.item[1].offset = 4096;
	req.item[1].size = c->size / 4;
	req.item[2].memfd = c->memfd;
	req.item[2].offset = c->size / 2;
	req.item[2].size = c->size / 2;
	c->out = ioctl(c->dev, UDMABUF_CREATE_LIST, &req);
	return c->out < 0 ? -errno : 0;
}

/* The new buffer works before it goes. */
static void undo_new_buf(void *p)
{
	struct ctx *c = p;

	if (buf_works(c->out))
		c->size = 0;	/* noticed by the case: it checks size */
	undo_close_out(p);
}

/* The memfds still make buffers. */
static int usable_memfds(void *p)
{
	struct ctx *c = p;
	int ret = run_udmabuf_create(c);

	if (!ret)
		undo_close_out(c);
	return ret;
}

/* /dev/udmabuf and two filled memfds to make buffers of the case's size. */
static int setup_memfds(struct __test_metadata *_metadata, struct ctx *c,
			const struct sweep_case *sc)
{
	c->dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (c->dev < 0)
		SKIP(return 1, UDMABUF_DEV " missing");
	c->memfd = memfd_filled(c->size + 4096);
	c->memfd2 = memfd_filled(c->size);
	ASSERT_LE(0, c->memfd);
	ASSERT_LE(0, c->memfd2);
	return 0;
}

static void after_memfds(struct __test_metadata *_metadata, struct ctx *c)
{
	EXPECT_EQ((size_t)CREATE_SIZE, c->size) {
		TH_LOG("a buffer made under faults did not work");
	}
	/* Every buffer is gone: no folio of either memfd is pinned. */
	EXPECT_EQ(0, memfd_unpinned(c->memfd));
	EXPECT_EQ(0, memfd_unpinned(c->memfd2));
}

SWEEP_CASE(udmabuf_create,
	   .op = { "udmabuf CREATE", run_udmabuf_create, undo_new_buf,
		   usable_memfds },
	   .setup = setup_memfds, .after = after_memfds, .size = CREATE_SIZE)

SWEEP_CASE(udmabuf_create_list,
	   .op = { "udmabuf CREATE_LIST", run_udmabuf_create_list,
		   undo_new_buf, usable_memfds },
	   .setup = setup_memfds, .after = after_memfds, .size = CREATE_SIZE)

/* ---- dma-heap ---- */

static int run_heap_alloc(void *p)
{
	struct ctx *c = p;
	struct dma_heap_allocation_data req;

	memset(&req, 0, sizeof(req));
	req.len = c->size;
	req.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(c->dev, DMA_HEAP_IOCTL_ALLOC, &req))
		return -errno;
	c->out = req.fd;
	return 0;
}

static long mem_free_kb(void)
{
	long kb = -1;

	if (read_text("/proc/meminfo", text, sizeof(text)) > 0) {
		char *p = strstr(text, "MemFree:");

		if (p)
			kb = strtol(p + 8, NULL, 10);
	}
	return kb;
}

/*
 * Every heap: the buffer is large enough that a heap needs several page
 * allocations, so that a failure in the middle has pages to give back.
 * Pages are not tracked by kmemleak: free memory before and after the
 * sweep must not differ by more than a few buffers' worth (slab memory
 * in KASAN's quarantine is the noise).
 */
TEST_F_TIMEOUT(sweep, dma_heap_alloc, CASE_TIMEOUT)
{
	struct dirent *ent;
	unsigned int heaps = 0;
	DIR *dir;

	dir = opendir(HEAP_DIR);
	if (!dir)
		SKIP(return, HEAP_DIR " missing");
	while ((ent = readdir(dir))) {
		char path[300], name[80];
		struct ctx c;
		struct op o = { name, run_heap_alloc, undo_new_buf, NULL, 0,
				&c };
		long before, after;

		if (ent->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "dma-heap ALLOC (%.40s)",
			 ent->d_name);
		snprintf(path, sizeof(path), HEAP_DIR "/%.200s", ent->d_name);
		ctx_init(&c);
		c.dev = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, c.dev);
		c.size = HEAP_SIZE;
		before = mem_free_kb();
		sweep(_metadata, &o);
		EXPECT_EQ((size_t)HEAP_SIZE, c.size) {
			TH_LOG("%s: a buffer made under faults did not work",
			       name);
		}
		ctx_close(&c);
		after = mem_free_kb();
		EXPECT_GT(after + 4 * HEAP_SIZE / 1024, before) {
			TH_LOG("%s: %ld KiB less free memory after the sweep",
			       name, before - after);
		}
		heaps++;
	}
	closedir(dir);
	EXPECT_LE(1U, heaps);
}

TEST_HARNESS_MAIN
