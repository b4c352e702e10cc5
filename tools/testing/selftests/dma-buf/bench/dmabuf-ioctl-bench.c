// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-ioctl-bench: time the hot dma-buf, dma-heap, udmabuf and sync_file
 * ioctls from userspace, so two kernels can be compared on the same machine.
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -pthread -I<uapi> <this file>
 * Usage: dmabuf-ioctl-bench [--smoke] [--reps-scale=F] [--only=NAME]
 *
 * Every (op, n) pair from the table below gets its own setup, a few
 * untimed warm-up ops, then RUNS timed runs of "reps" ops each. One op is
 * the ioctl(s) named in the table plus closing any fd they return. Output:
 *
 *   dmabuf-ioctl-bench: op=<name> n=<n> reps=<r> runs=<k> ns=<t> rate=<q>
 *
 * where t is the wall time (CLOCK_MONOTONIC) per op of the median run and
 * q = 1e9 / t ops per second. Lower ns is better; only compare numbers
 * taken on the same machine and with the same reps. A failing step prints
 * "op=<name> n=<n> FAILED: <step>: <error>" instead, the other ops still
 * run, and the exit status is 1. The last line counts ok and failed ops.
 * --smoke runs 3 reps once per op: it only proves every op still works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

/* sw_sync has no uapi header; these match drivers/dma-buf/sw_sync.c. */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

#define SW_SYNC_IOC_MAGIC	'W'
#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC		_IOW(SW_SYNC_IOC_MAGIC, 1, __u32)

#define PFX		"dmabuf-ioctl-bench: "
#define DEBUGFS		"/sys/kernel/debug"
#define SW_SYNC_PATH	DEBUGFS "/sync/sw_sync"
#define HEAP_PATH	"/dev/dma_heap/system"
#define UDMABUF_PATH	"/dev/udmabuf"
#define PAGE_BYTES	4096
#define MEMFD_PAGES	512
#define MAX_FENCES	64
#define RUNS		5
#define WARMUP		3

/* Everything one (op, n) pair owns; every fd is -1 when not open. */
struct ctx {
	int n;
	int tl[MAX_FENCES + 1];	/* sw_sync timelines, ntl of them open */
	int ntl;
	int a, b;		/* sync_files to merge / query */
	int sig;		/* a signalled sync_file */
	int heap, buf;		/* system heap, a 4 KiB dma-buf from it */
	int dev, memfd;		/* /dev/udmabuf and its backing memfd */
	struct sync_fence_info info[MAX_FENCES];
	const char *what;	/* failed step */
	int err;		/* errno of the failed step */
};

struct op_desc {
	const char *name;
	int n;
	int reps;
	int (*setup)(struct ctx *c);
	int (*op)(struct ctx *c);
	void (*teardown)(struct ctx *c);
};

/* Record step @what with the current errno as the failure; returns -1. */
static int fail(struct ctx *c, const char *what)
{
	c->what = what;
	c->err = errno ? errno : EIO;
	return -1;
}

/* Close *@fd if it is open and mark it closed. */
static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Put @c in its empty state for pair size @n: nothing open, no error. */
static void ctx_init(struct ctx *c, int n)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->a = -1;
	c->b = -1;
	c->sig = -1;
	c->heap = -1;
	c->buf = -1;
	c->dev = -1;
	c->memfd = -1;
}

/* Close everything @c holds, sync_files before their timelines. */
static void ctx_teardown(struct ctx *c)
{
	close_fd(&c->a);
	close_fd(&c->b);
	close_fd(&c->sig);
	close_fd(&c->buf);
	close_fd(&c->heap);
	close_fd(&c->memfd);
	close_fd(&c->dev);
	while (c->ntl > 0)
		close_fd(&c->tl[--c->ntl]);
}

/*
 * Open a new sw_sync timeline (each open is a new fence context) and keep
 * it in @c. Mounts debugfs once if sw_sync is not visible. Returns the fd
 * or -1 with the failure recorded.
 */
static int new_timeline(struct ctx *c)
{
	static int mount_tried;
	int fd;

	if (access(DEBUGFS "/sync", F_OK) && !mount_tried) {
		mount_tried = 1;
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	}
	if (c->ntl >= MAX_FENCES + 1) {
		errno = EMFILE;
		return fail(c, "too many timelines");
	}
	fd = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(c, "open " SW_SYNC_PATH);
	c->tl[c->ntl++] = fd;
	return fd;
}

/*
 * Create a sync_file for point @value on timeline @tl. Returns its fd
 * (owned by the caller) or -1 with the failure recorded.
 */
static int new_fence(struct ctx *c, int tl, __u32 value)
{
	struct sw_sync_create_fence_data d = {
		.value = value,
		.name = "bench",
	};

	if (ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &d))
		return fail(c, "SW_SYNC_IOC_CREATE_FENCE");
	return d.fence;
}

/* SYNC_IOC_MERGE @a and @b. Returns the new fd (caller's) or -1. */
static int merge(int a, int b)
{
	struct sync_merge_data m = { .name = "bench", .fd2 = b };

	if (ioctl(a, SYNC_IOC_MERGE, &m))
		return -1;
	return m.fence;
}

/*
 * Build a sync_file holding @count unsignalled fences, each on a new
 * timeline, by merging one fence at a time. Returns its fd (caller's) or
 * -1 with the failure recorded and nothing but timelines left open.
 */
static int build_file(struct ctx *c, int count)
{
	int fd = -1, tl, f, m, i;

	for (i = 0; i < count; i++) {
		tl = new_timeline(c);
		if (tl < 0)
			goto err;
		f = new_fence(c, tl, 1);
		if (f < 0)
			goto err;
		if (fd < 0) {
			fd = f;
			continue;
		}
		m = merge(fd, f);
		if (m < 0)
			fail(c, "SYNC_IOC_MERGE (setup)");
		close(f);
		if (m < 0)
			goto err;
		close(fd);
		fd = m;
	}
	return fd;
err:
	close_fd(&fd);
	return -1;
}

/* Allocate @bytes from the heap fd in @c. Returns the dma-buf fd or -1. */
static int heap_alloc(struct ctx *c, __u64 bytes)
{
	struct dma_heap_allocation_data d = {
		.len = bytes,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(c->heap, DMA_HEAP_IOCTL_ALLOC, &d))
		return fail(c, "DMA_HEAP_IOCTL_ALLOC");
	return d.fd;
}

/* Setup for sync-merge: two files of n/2 fences, n distinct timelines. */
static int setup_merge(struct ctx *c)
{
	c->a = build_file(c, c->n / 2);
	if (c->a < 0)
		return -1;
	c->b = build_file(c, c->n / 2);
	return c->b < 0 ? -1 : 0;
}

/* One op: merge the two prepared files, close the result. */
static int op_merge(struct ctx *c)
{
	int fd = merge(c->a, c->b);

	if (fd < 0)
		return fail(c, "SYNC_IOC_MERGE");
	close(fd);
	return 0;
}

/* Setup for sync-file-info: one file of n fences. */
static int setup_info(struct ctx *c)
{
	c->a = build_file(c, c->n);
	return c->a < 0 ? -1 : 0;
}

/* One op: SYNC_IOC_FILE_INFO of all n fences into the preallocated array. */
static int op_info(struct ctx *c)
{
	struct sync_file_info fi = {
		.num_fences = c->n,
		.sync_fence_info = (__u64)(uintptr_t)c->info,
	};

	if (ioctl(c->a, SYNC_IOC_FILE_INFO, &fi))
		return fail(c, "SYNC_IOC_FILE_INFO");
	if (fi.num_fences != (__u32)c->n) {
		errno = EPROTO;
		return fail(c, "SYNC_IOC_FILE_INFO fence count");
	}
	return 0;
}

/* Setup for heap-alloc-kib (and setup_buf): open the system heap. */
static int setup_heap(struct ctx *c)
{
	c->heap = open(HEAP_PATH, O_RDONLY | O_CLOEXEC);
	return c->heap < 0 ? fail(c, "open " HEAP_PATH) : 0;
}

/* Setup for the dma-buf ops: a 4 KiB system heap buffer in c->buf. */
static int setup_buf(struct ctx *c)
{
	if (setup_heap(c))
		return -1;
	c->buf = heap_alloc(c, PAGE_BYTES);
	return c->buf < 0 ? -1 : 0;
}

/* Setup for import-sync-file: setup_buf plus a signalled file in c->sig. */
static int setup_import(struct ctx *c)
{
	__u32 one = 1;
	int tl;

	if (setup_buf(c))
		return -1;
	tl = new_timeline(c);
	if (tl < 0)
		return -1;
	c->sig = new_fence(c, tl, 1);
	if (c->sig < 0)
		return -1;
	if (ioctl(tl, SW_SYNC_IOC_INC, &one))
		return fail(c, "SW_SYNC_IOC_INC");
	return 0;
}

/* One op: export a read/write sync_file from the buffer and close it. */
static int op_export(struct ctx *c)
{
	struct dma_buf_export_sync_file e = {
		.flags = DMA_BUF_SYNC_RW,
		.fd = -1,
	};

	if (ioctl(c->buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e))
		return fail(c, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
	close(e.fd);
	return 0;
}

/* One op: import the signalled sync_file into the buffer as a writer. */
static int op_import(struct ctx *c)
{
	struct dma_buf_import_sync_file im = {
		.flags = DMA_BUF_SYNC_WRITE,
		.fd = c->sig,
	};

	if (ioctl(c->buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im))
		return fail(c, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
	return 0;
}

/* One op: a DMA_BUF_IOCTL_SYNC start/end pair for read/write access. */
static int op_sync(struct ctx *c)
{
	struct dma_buf_sync s;

	s.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
	if (ioctl(c->buf, DMA_BUF_IOCTL_SYNC, &s))
		return fail(c, "DMA_BUF_IOCTL_SYNC start");
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	if (ioctl(c->buf, DMA_BUF_IOCTL_SYNC, &s))
		return fail(c, "DMA_BUF_IOCTL_SYNC end");
	return 0;
}

/* One op: allocate n KiB from the system heap and close the buffer. */
static int op_heap(struct ctx *c)
{
	int fd = heap_alloc(c, (__u64)c->n * 1024);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Setup for udmabuf-create: /dev/udmabuf and a shrink-sealed memfd. */
static int setup_udmabuf(struct ctx *c)
{
	c->dev = open(UDMABUF_PATH, O_RDWR | O_CLOEXEC);
	if (c->dev < 0)
		return fail(c, "open " UDMABUF_PATH);
	c->memfd = memfd_create("bench", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (c->memfd < 0)
		return fail(c, "memfd_create");
	if (ftruncate(c->memfd, (off_t)MEMFD_PAGES * PAGE_BYTES))
		return fail(c, "ftruncate");
	if (fcntl(c->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return fail(c, "F_ADD_SEALS");
	return 0;
}

/* One op: a udmabuf over the first n pages of the memfd, then close. */
static int op_udmabuf(struct ctx *c)
{
	struct udmabuf_create u = {
		.memfd = c->memfd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = 0,
		.size = (__u64)c->n * PAGE_BYTES,
	};
	int fd = ioctl(c->dev, UDMABUF_CREATE, &u);

	if (fd < 0)
		return fail(c, "UDMABUF_CREATE");
	close(fd);
	return 0;
}

/* The benchmark table; reps aim at 0.2-0.5 s per run under QEMU TCG. */
static const struct op_desc ops[] = {
	{ "sync-merge", 2, 1000, setup_merge, op_merge, ctx_teardown },
	{ "sync-merge", 64, 300, setup_merge, op_merge, ctx_teardown },
	{ "sync-file-info", 1, 2000, setup_info, op_info, ctx_teardown },
	{ "sync-file-info", 64, 2000, setup_info, op_info, ctx_teardown },
	{ "export-sync-file", 1, 2000, setup_buf, op_export, ctx_teardown },
	{ "import-sync-file", 1, 2000, setup_import, op_import, ctx_teardown },
	{ "dma-buf-sync", 1, 2000, setup_buf, op_sync, ctx_teardown },
	{ "heap-alloc-kib", 4, 1000, setup_heap, op_heap, ctx_teardown },
	{ "heap-alloc-kib", 8192, 20, setup_heap, op_heap, ctx_teardown },
	{ "udmabuf-create", 1, 500, setup_udmabuf, op_udmabuf, ctx_teardown },
	{ "udmabuf-create", 512, 100, setup_udmabuf, op_udmabuf, ctx_teardown },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC now, in nanoseconds. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort() order for doubles, ascending. */
static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/*
 * Set up, warm up and time one table entry with @reps ops per run and
 * @runs runs, print its result or FAILED line, tear down. Returns 0 when
 * every op succeeded, -1 otherwise.
 */
static int bench_one(const struct op_desc *d, int reps, int runs)
{
	double per_op[RUNS], t0;
	struct ctx c;
	int i, r, ret = -1;

	ctx_init(&c, d->n);
	errno = 0;
	if (d->setup(&c))
		goto out;
	for (i = 0; i < WARMUP; i++)
		if (d->op(&c))
			goto out;
	for (r = 0; r < runs; r++) {
		t0 = now_ns();
		for (i = 0; i < reps; i++)
			if (d->op(&c))
				goto out;
		per_op[r] = (now_ns() - t0) / reps;
	}
	qsort(per_op, runs, sizeof(per_op[0]), cmp_double);
	printf(PFX "op=%s n=%d reps=%d runs=%d ns=%.1f rate=%.0f\n",
	       d->name, d->n, reps, runs, per_op[runs / 2],
	       per_op[runs / 2] > 0 ? 1e9 / per_op[runs / 2] : 0.0);
	ret = 0;
out:
	if (ret)
		printf(PFX "op=%s n=%d FAILED: %s: %s\n", d->name, d->n,
		       c.what ? c.what : "unknown step", strerror(c.err));
	d->teardown(&c);
	return ret;
}

/* Print usage to stderr and return exit status 2. */
static int print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--smoke] [--reps-scale=F] [--only=NAME]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	double scale = 1.0;
	int smoke = 0, ok = 0, failed = 0, matched = 0, reps;
	size_t i;
	char *end;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			smoke = 1;
		} else if (!strncmp(argv[i], "--reps-scale=", 13)) {
			scale = strtod(argv[i] + 13, &end);
			if (*end || end == argv[i] + 13 || !(scale > 0) ||
			    scale > 1e5)
				return print_usage(argv[0]);
		} else if (!strncmp(argv[i], "--only=", 7)) {
			only = argv[i] + 7;
		} else {
			return print_usage(argv[0]);
		}
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		matched += !only || !strcmp(only, ops[i].name);
	if (!matched) {
		fprintf(stderr, PFX "no op named '%s'\n", only);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (only && strcmp(only, ops[i].name))
			continue;
		reps = smoke ? 3 : (int)(ops[i].reps * scale + 0.5);
		if (reps < 1)
			reps = 1;
		if (bench_one(&ops[i], reps, smoke ? 1 : RUNS))
			failed++;
		else
			ok++;
	}
	printf(PFX "done ok=%d failed=%d\n", ok, failed);
	return failed ? 1 : 0;
}
