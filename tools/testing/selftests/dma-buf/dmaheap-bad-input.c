// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaheap-bad-input: kselftests of DMA_HEAP_IOCTL_ALLOC on every heap
 * under /dev/dma_heap, with good requests and with every kind of request
 * the kernel must refuse.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * Valid requests of several sizes must give a zeroed, mappable buffer of
 * the page-rounded size whose fdinfo names the heap, and CPU access
 * brackets (DMA_BUF_IOCTL_SYNC) must work on it. Refused requests and
 * their errno: unknown fd_flags or heap_flags, a non-zero fd on input and
 * a size of 0 or one whose page rounding overflows (EINVAL); more bytes
 * than the machine has RAM (ENOMEM); unreadable or unwritable argument
 * memory (EFAULT, and then no descriptor and no buffer stay behind);
 * request numbers other than 0 (EINVAL, as in 6.12, which also takes the
 * size and direction of any number-0 request at face value); other file
 * types (ENOTTY).
 * Older and newer versions of the argument structure (shorter and longer
 * request sizes) are accepted. After every case the set of open
 * descriptors and the number of dma-buf objects in debugfs bufinfo must
 * be what they were before it.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"

#define HEAP_DIR	"/dev/dma_heap"
#define MAX_HEAPS	16

/* The request encoded for an argument of @size bytes, both directions. */
#define ALLOC_SIZED(size) \
	_IOC(_IOC_READ | _IOC_WRITE, DMA_HEAP_IOC_MAGIC, 0, (size))

FIXTURE(heaps) {
	char names[MAX_HEAPS][256];
	int fds[MAX_HEAPS];		/* open heap nodes */
	int n;
	struct fd_snapshot fds_before;
	int bufs_before;		/* bufinfo object count, <0 unknown */
};

/*
 * Open every heap node read-only and remember the descriptors and the
 * dma-buf count the case must end with.
 */
FIXTURE_SETUP(heaps)
{
	struct dirent *ent;
	char path[300];
	DIR *dir;

	self->n = 0;
	dir = opendir(HEAP_DIR);
	if (!dir)
		SKIP(return, "%s missing (CONFIG_DMABUF_HEAPS)", HEAP_DIR);
	while ((ent = readdir(dir)) && self->n < MAX_HEAPS) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(self->names[self->n], sizeof(self->names[0]), "%s",
			 ent->d_name);
		self->n++;
	}
	closedir(dir);
	if (!self->n)
		SKIP(return, "no heap in %s", HEAP_DIR);

	ASSERT_EQ(0, fd_snapshot_take(&self->fds_before));
	self->bufs_before = bufinfo_total();
	for (int i = 0; i < self->n; i++) {
		snprintf(path, sizeof(path), HEAP_DIR "/%s", self->names[i]);
		self->fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, self->fds[i]) {
			TH_LOG("open %s: %s", path, strerror(errno));
		}
	}
}

/* Close the heap nodes, then nothing of the case may remain. */
FIXTURE_TEARDOWN(heaps)
{
	int n;

	for (int i = 0; i < self->n; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	if (!self->n)
		return;
	n = fd_snapshot_diff(&self->fds_before);
	EXPECT_EQ(-1, n) {
		TH_LOG("descriptor %d differs after the case", n);
	}
	if (self->bufs_before >= 0)
		EXPECT_EQ(self->bufs_before,
			  bufinfo_settles_at(self->bufs_before));
}

/*
 * alloc_req() - DMA_HEAP_IOCTL_ALLOC on @heap with @req (fd set to 0).
 * Returns the new fd or -errno.
 */
static int alloc_req(int heap, __u64 len, __u32 fd_flags, __u64 heap_flags)
{
	struct dma_heap_allocation_data req = {
		.len = len,
		.fd_flags = fd_flags,
		.heap_flags = heap_flags,
	};

	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &req))
		return -errno;
	return req.fd;
}

/* raw_ioctl() - ioctl(@fd, @cmd, @arg): 0 or -errno. */
static int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * refused() - expect @got to be the error -@want; a descriptor that came
 * back by mistake is closed so that the leak checks stay meaningful.
 */
static void refused(struct __test_metadata *_metadata, const char *heap,
		    const char *what, int got, int want)
{
	if (got >= 0)
		close(got);
	EXPECT_EQ(-want, got) {
		TH_LOG("%s: %s: got %s, want %s", heap, what,
		       got >= 0 ? "a descriptor" : strerror(-got),
		       strerror(want));
	}
}

/*
 * check_no_leak() - the case so far left the descriptors and buffers of
 * the fixture's start (the heap nodes aside) as they were.
 */
#define check_no_leak(_metadata, self, heap, what) \
	leak_check(_metadata, &(self)->fds_before, (self)->bufs_before, \
		   (self)->fds, (self)->n, heap, what)

static void leak_check(struct __test_metadata *_metadata,
		       const struct fd_snapshot *before, int bufs_before,
		       const int *nodes, int n, const char *heap,
		       const char *what)
{
	struct fd_snapshot now;
	int i;

	/* The heap nodes are the only descriptors the case may add. */
	ASSERT_EQ(0, fd_snapshot_take(&now));
	for (i = 0; i < n; i++)
		now.open[nodes[i] / 8] &= ~(1u << (nodes[i] % 8));
	EXPECT_EQ(0, memcmp(&now, before, sizeof(now))) {
		TH_LOG("%s: %s: open descriptors changed", heap, what);
	}
	if (bufs_before >= 0)
		EXPECT_EQ(bufs_before, bufinfo_settles_at(bufs_before)) {
			TH_LOG("%s: %s: dma-buf count changed", heap, what);
		}
}

/* round_up_page() - @len rounded up to a whole number of pages. */
static __u64 round_up_page(__u64 len)
{
	__u64 ps = page_size();

	return (len + ps - 1) / ps * ps;
}

/*
 * check_buffer() - buffer @fd of @heap, asked for with @len bytes: its
 * size is @len rounded up to pages, fdinfo names the exporter, mapping
 * it shows zeroes, and data written inside CPU access brackets reads
 * back through a second mapping.
 */
static void check_buffer(struct __test_metadata *_metadata, const char *heap,
			 int fd, __u64 len)
{
	size_t size = round_up_page(len), i;
	unsigned char *p, *q;
	char name[64];
	off_t end;

	end = lseek(fd, 0, SEEK_END);
	EXPECT_EQ((off_t)size, end);
	EXPECT_EQ((long)size, fdinfo_number(fd, "size"));
	ASSERT_EQ(0, fdinfo_field(fd, "exp_name", name, sizeof(name)));
	EXPECT_STREQ(heap, name);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED) {
		TH_LOG("%s: mmap %zu bytes: %s", heap, size, strerror(errno));
	}
	ASSERT_EQ(0, buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	for (i = 0; i < size; i++)
		if (p[i])
			break;
	EXPECT_EQ(size, i) {
		TH_LOG("%s: byte %zu of a new %zu-byte buffer is %#x", heap,
		       i, size, i < size ? p[i] : 0);
	}
	for (i = 0; i < size; i += 512)
		p[i] = (unsigned char)(i / 512 + 1);
	ASSERT_EQ(0, buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));

	/* The last page alone, through a mapping at an offset. */
	q = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, fd,
		 size - page_size());
	ASSERT_TRUE(q != MAP_FAILED);
	ASSERT_EQ(0, buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(p[size - page_size()], q[0]);
	EXPECT_EQ(0, memcmp(p + size - page_size(), q, page_size()));
	ASSERT_EQ(0, buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(q, page_size());
	munmap(p, size);
}

/* Several sizes, aligned or not: the buffer has the rounded-up size. */
TEST_F(heaps, valid_sizes)
{
	const __u64 ps = page_size();
	const __u64 lens[] = {
		1, ps - 1, ps, ps + 1, 16 * ps, 16 * ps + 7, 256 * ps - 1,
		256 * ps + 17 * ps + 1, 3 << 20,
	};

	for (int h = 0; h < self->n; h++) {
		for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
			int fd = alloc_req(self->fds[h], lens[i],
					   O_RDWR | O_CLOEXEC, 0);

			ASSERT_LE(0, fd) {
				TH_LOG("%s: %llu bytes: %s", self->names[h],
				       (unsigned long long)lens[i],
				       strerror(-fd));
			}
			check_buffer(_metadata, self->names[h], fd, lens[i]);
			close(fd);
		}
		check_no_leak(_metadata, self, self->names[h], "sizes");
	}
}

/* Many buffers alive at once are independent and all zeroed. */
TEST_F(heaps, many_buffers)
{
	const size_t size = 8 * page_size();
	int fds[32];

	for (int h = 0; h < self->n; h++) {
		for (int i = 0; i < 32; i++) {
			unsigned char *p;

			fds[i] = alloc_req(self->fds[h], size, O_RDWR | O_CLOEXEC,
					   0);
			ASSERT_LE(0, fds[i]);
			p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fds[i], 0);
			ASSERT_TRUE(p != MAP_FAILED);
			EXPECT_EQ(0, p[size - 1]);
			memset(p, 0xa5, size);
			munmap(p, size);
		}
		if (self->bufs_before >= 0)
			EXPECT_EQ(self->bufs_before + 32, bufinfo_total());
		for (int i = 0; i < 32; i++)
			close(fds[i]);
		check_no_leak(_metadata, self, self->names[h], "32 buffers");
	}
}

/* The access mode and close-on-exec of fd_flags reach the new file. */
TEST_F(heaps, fd_flags_honoured)
{
	const size_t size = page_size();

	for (int h = 0; h < self->n; h++) {
		int fd = alloc_req(self->fds[h], size, O_RDONLY, 0);
		void *p;

		ASSERT_LE(0, fd);
		EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		EXPECT_TRUE(p == MAP_FAILED);
		EXPECT_EQ(EACCES, errno);
		if (p != MAP_FAILED)
			munmap(p, size);
		p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_TRUE(p != MAP_FAILED);
		EXPECT_EQ(0, ((unsigned char *)p)[0]);
		munmap(p, size);
		/*
		 * Private mappings as in 6.12: the system heap takes one of
		 * a single page, the CMA heap ("reserved") none.
		 */
		p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (!strcmp(self->names[h], "system")) {
			ASSERT_TRUE(p != MAP_FAILED);
			EXPECT_EQ(0, ((unsigned char *)p)[0]);
			munmap(p, size);
		} else {
			EXPECT_TRUE(p == MAP_FAILED);
			EXPECT_EQ(EINVAL, errno);
			if (p != MAP_FAILED)
				munmap(p, size);
		}
		close(fd);

		/* Of more than one page, neither heap takes one. */
		fd = alloc_req(self->fds[h], 2 * size, O_RDONLY, 0);
		ASSERT_LE(0, fd);
		p = mmap(NULL, 2 * size, PROT_READ, MAP_PRIVATE, fd, 0);
		EXPECT_TRUE(p == MAP_FAILED);
		EXPECT_EQ(EINVAL, errno);
		if (p != MAP_FAILED)
			munmap(p, 2 * size);
		close(fd);

		fd = alloc_req(self->fds[h], size, O_WRONLY | O_CLOEXEC, 0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(O_WRONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
		close(fd);
		check_no_leak(_metadata, self, self->names[h], "fd_flags");
	}
}

/* Every flag bit outside DMA_HEAP_VALID_FD_FLAGS is refused. */
TEST_F(heaps, unknown_fd_flags)
{
	for (int h = 0; h < self->n; h++) {
		for (int bit = 0; bit < 32; bit++) {
			__u32 flag = 1u << bit;
			char what[48];

			if (flag & DMA_HEAP_VALID_FD_FLAGS)
				continue;
			snprintf(what, sizeof(what), "fd_flags bit %d", bit);
			refused(_metadata, self->names[h], what,
				alloc_req(self->fds[h], page_size(),
					  O_RDWR | flag, 0), EINVAL);
		}
		refused(_metadata, self->names[h], "fd_flags ~0",
			alloc_req(self->fds[h], page_size(), ~0u, 0), EINVAL);
		check_no_leak(_metadata, self, self->names[h], "fd_flags");
	}
}

/* No heap flag is defined: every bit is refused. */
TEST_F(heaps, unknown_heap_flags)
{
	for (int h = 0; h < self->n; h++) {
		for (int bit = 0; bit < 64; bit++) {
			char what[48];

			snprintf(what, sizeof(what), "heap_flags bit %d", bit);
			refused(_metadata, self->names[h], what,
				alloc_req(self->fds[h], page_size(),
					  O_RDWR | O_CLOEXEC, 1ull << bit),
				EINVAL);
		}
		check_no_leak(_metadata, self, self->names[h], "heap_flags");
	}
}

/* The fd field is output only and must come in as 0. */
TEST_F(heaps, nonzero_input_fd)
{
	const __u32 fds[] = { 1, 3, 0x80000000u, 0xffffffffu };

	for (int h = 0; h < self->n; h++) {
		for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
			struct dma_heap_allocation_data req = {
				.len = page_size(),
				.fd = fds[i],
				.fd_flags = O_RDWR | O_CLOEXEC,
			};

			refused(_metadata, self->names[h], "input fd",
				raw_ioctl(self->fds[h], DMA_HEAP_IOCTL_ALLOC,
					  &req), EINVAL);
			EXPECT_EQ(fds[i], req.fd);
		}
		check_no_leak(_metadata, self, self->names[h], "input fd");
	}
}

/*
 * Sizes: 0 and sizes whose page rounding overflows are malformed
 * (EINVAL); sizes beyond the machine's RAM cannot be met (ENOMEM).
 */
TEST_F(heaps, bad_sizes)
{
	DIFFERS_FROM_612("heap-oversize-request");
	const __u64 ps = page_size();
	struct sysinfo si;
	__u64 ram;

	ASSERT_EQ(0, sysinfo(&si));
	ram = (__u64)si.totalram * si.mem_unit;
	for (int h = 0; h < self->n; h++) {
		int fd = self->fds[h];
		const char *name = self->names[h];

		refused(_metadata, name, "size 0",
			alloc_req(fd, 0, O_RDWR | O_CLOEXEC, 0), EINVAL);
		refused(_metadata, name, "size ~0",
			alloc_req(fd, ~0ull, O_RDWR | O_CLOEXEC, 0), EINVAL);
		refused(_metadata, name, "size wraps when rounded",
			alloc_req(fd, -ps + 1, O_RDWR | O_CLOEXEC, 0), EINVAL);
		refused(_metadata, name, "largest page multiple",
			alloc_req(fd, -ps, O_RDWR | O_CLOEXEC, 0), ENOMEM);
		refused(_metadata, name, "2^62 bytes",
			alloc_req(fd, 1ull << 62, O_RDWR | O_CLOEXEC, 0),
			ENOMEM);
		refused(_metadata, name, "RAM plus a page",
			alloc_req(fd, round_up_page(ram) + ps,
				  O_RDWR | O_CLOEXEC, 0), ENOMEM);
		check_no_leak(_metadata, self, name, "sizes");
	}
}

/*
 * Argument memory the kernel cannot read gives EFAULT before anything
 * is allocated; memory it cannot write back gives EFAULT after the
 * allocation, which must then be undone: no descriptor, no buffer.
 */
TEST_F(heaps, bad_pointers)
{
	struct dma_heap_allocation_data good = {
		.len = 4 * page_size(),
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	void *hole = page_unmapped();
	void *ro = page_readonly(&good, sizeof(good));
	char *edge;

	ASSERT_TRUE(!!hole);
	ASSERT_TRUE(!!ro);
	/* A structure that runs from a readable page into a hole. */
	edge = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(edge != MAP_FAILED);
	ASSERT_EQ(0, munmap(edge + page_size(), page_size()));
	edge += page_size() - 8;
	memcpy(edge, &good, 8);

	for (int h = 0; h < self->n; h++) {
		int fd = self->fds[h];
		const char *name = self->names[h];

		refused(_metadata, name, "NULL argument",
			raw_ioctl(fd, DMA_HEAP_IOCTL_ALLOC, NULL), EFAULT);
		refused(_metadata, name, "unmapped argument",
			raw_ioctl(fd, DMA_HEAP_IOCTL_ALLOC, hole), EFAULT);
		refused(_metadata, name, "argument crossing into a hole",
			raw_ioctl(fd, DMA_HEAP_IOCTL_ALLOC, edge), EFAULT);
		refused(_metadata, name, "kernel address",
			raw_ioctl(fd, DMA_HEAP_IOCTL_ALLOC,
				  (void *)(uintptr_t)0xffff800000000000ull),
			EFAULT);
		check_no_leak(_metadata, self, name, "unreadable argument");

		refused(_metadata, name, "read-only argument",
			raw_ioctl(fd, DMA_HEAP_IOCTL_ALLOC, ro), EFAULT);
		EXPECT_EQ(0u, ((struct dma_heap_allocation_data *)ro)->fd);
		check_no_leak(_metadata, self, name, "read-only argument");
	}
	munmap(edge - page_size() + 8, page_size());
	munmap(ro, page_size());
}

/*
 * Older (shorter) and newer (longer) versions of the structure work:
 * missing fields read as zero, unknown trailing bytes are left alone.
 */
TEST_F(heaps, structure_versions)
{
	struct {
		__u64 len;
		__u32 fd;
		__u32 fd_flags;
	} older;
	struct {
		struct dma_heap_allocation_data cur;
		__u64 extra[3];
	} newer;
	struct {
		__u64 len;
		__u32 fd;
	} oldest;

	for (int h = 0; h < self->n; h++) {
		int fd = self->fds[h];
		const char *name = self->names[h];

		memset(&older, 0, sizeof(older));
		older.len = page_size() + 1;
		older.fd_flags = O_RDWR | O_CLOEXEC;
		ASSERT_EQ(0, raw_ioctl(fd, ALLOC_SIZED(sizeof(older)),
				       &older));
		check_buffer(_metadata, name, older.fd, older.len);
		close(older.fd);

		memset(&newer, 0, sizeof(newer));
		newer.cur.len = 2 * page_size();
		newer.cur.fd_flags = O_RDWR | O_CLOEXEC;
		newer.extra[0] = 0xffffffffull;
		newer.extra[1] = 0x8888888888888888ull;
		newer.extra[2] = ~0ull;
		ASSERT_EQ(0, raw_ioctl(fd, ALLOC_SIZED(sizeof(newer)),
				       &newer));
		EXPECT_EQ(0xffffffffull, newer.extra[0]);
		EXPECT_EQ(0x8888888888888888ull, newer.extra[1]);
		EXPECT_EQ(~0ull, newer.extra[2]);
		check_buffer(_metadata, name, newer.cur.fd, newer.cur.len);
		close(newer.cur.fd);

		/* Just long enough to return the fd; no close-on-exec. */
		memset(&oldest, 0, sizeof(oldest));
		oldest.len = page_size();
		ASSERT_EQ(0, raw_ioctl(fd, ALLOC_SIZED(12), &oldest));
		EXPECT_EQ(0, fcntl(oldest.fd, F_GETFD) & FD_CLOEXEC);
		close(oldest.fd);
		check_no_leak(_metadata, self, name, "versions");
	}
}

/*
 * close_strays() - close every descriptor opened since @before (at most a
 * few) and return how many there were.
 */
static int close_strays(const struct fd_snapshot *before)
{
	int n = 0, fd;

	while (n < 8) {
		fd = fd_snapshot_diff(before);
		if (fd < 0 || fd >= FD_SNAP_MAX)
			break;
		close(fd);
		n++;
	}
	return n;
}

/*
 * Requests as 6.12 sees them: only the number picks the request (any
 * number but 0 is EINVAL, whatever the type), and the argument is read
 * and written back with the size and direction of the request, missing
 * fields reading as zero. A request that carries a length allocates even
 * when it cannot return the descriptor; the case closes those strays.
 */
TEST_F(heaps, bad_requests)
{
	struct dma_heap_allocation_data req;
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START };
	static const struct {
		unsigned long cmd;
		int err;
		int strays;
		const char *what;
	} cases[] = {
		{ ALLOC_SIZED(0), EINVAL, 0, "size 0" },
		{ ALLOC_SIZED(8), 0, 1, "too short for the fd" },
		{ ALLOC_SIZED(11), 0, 1, "fd cut short" },
		{ _IOC(_IOC_WRITE, DMA_HEAP_IOC_MAGIC, 0,
		       sizeof(struct dma_heap_allocation_data)),
		  0, 1, "write-only request" },
		{ _IOC(_IOC_READ, DMA_HEAP_IOC_MAGIC, 0,
		       sizeof(struct dma_heap_allocation_data)),
		  EINVAL, 0, "read-only request" },
		{ _IO(DMA_HEAP_IOC_MAGIC, 0), EINVAL, 0, "no direction" },
		{ _IOWR(DMA_HEAP_IOC_MAGIC, 1,
			struct dma_heap_allocation_data), EINVAL, 0,
		  "number 1" },
		{ _IOWR(DMA_HEAP_IOC_MAGIC, 0xff,
			struct dma_heap_allocation_data), EINVAL, 0,
		  "number 255" },
		{ _IOWR('b', 0, struct dma_heap_allocation_data), 0, 1,
		  "other type, number 0" },
		/* Number 0 too: its flags (START is 0) read as length 0. */
		{ DMA_BUF_IOCTL_SYNC, EINVAL, 0, "DMA_BUF_IOCTL_SYNC" },
		{ DMA_BUF_SET_NAME, EINVAL, 0, "DMA_BUF_SET_NAME" },
	};

	for (int h = 0; h < self->n; h++) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct fd_snapshot before;
			void *arg = &req;
			int got;

			memset(&req, 0, sizeof(req));
			req.len = page_size();
			req.fd_flags = O_RDWR | O_CLOEXEC;
			if (cases[i].cmd == DMA_BUF_IOCTL_SYNC)
				arg = &sync;
			ASSERT_EQ(0, fd_snapshot_take(&before));
			got = raw_ioctl(self->fds[h], cases[i].cmd, arg);
			EXPECT_EQ(-cases[i].err, got) {
				TH_LOG("%s: %s: got %s, want %s",
				       self->names[h], cases[i].what,
				       strerror(-got), strerror(cases[i].err));
			}
			EXPECT_EQ(cases[i].strays, close_strays(&before)) {
				TH_LOG("%s: %s: descriptors it made",
				       self->names[h], cases[i].what);
			}
		}
		check_no_leak(_metadata, self, self->names[h], "requests");
	}
}

/*
 * The heap node is only for DMA_HEAP_IOCTL_ALLOC; the request on other
 * kinds of files is refused, and the node itself cannot be read, seeked
 * or mapped.
 */
TEST_F(heaps, wrong_fd_types)
{
	struct dma_heap_allocation_data req = {
		.len = page_size(),
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int pipefd[2], null, buf;
	char byte;
	void *p;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);
	buf = alloc_req(self->fds[0], page_size(), O_RDWR | O_CLOEXEC, 0);
	ASSERT_LE(0, buf);

	refused(_metadata, "pipe", "ALLOC",
		raw_ioctl(pipefd[0], DMA_HEAP_IOCTL_ALLOC, &req), ENOTTY);
	refused(_metadata, "/dev/null", "ALLOC",
		raw_ioctl(null, DMA_HEAP_IOCTL_ALLOC, &req), ENOTTY);
	refused(_metadata, "dma-buf", "ALLOC",
		raw_ioctl(buf, DMA_HEAP_IOCTL_ALLOC, &req), ENOTTY);
	refused(_metadata, "closed fd", "ALLOC",
		raw_ioctl(FD_SNAP_MAX - 1, DMA_HEAP_IOCTL_ALLOC, &req), EBADF);
	EXPECT_EQ(0u, req.fd);
	close(buf);
	close(null);
	close(pipefd[0]);
	close(pipefd[1]);

	for (int h = 0; h < self->n; h++) {
		errno = 0;
		EXPECT_EQ(-1, read(self->fds[h], &byte, 1));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, lseek(self->fds[h], 0, SEEK_SET));
		EXPECT_EQ(ESPIPE, errno);
		p = mmap(NULL, page_size(), PROT_READ, MAP_SHARED,
			 self->fds[h], 0);
		EXPECT_TRUE(p == MAP_FAILED);
		if (p != MAP_FAILED)
			munmap(p, page_size());
		check_no_leak(_metadata, self, self->names[h], "fd types");
	}
}

/* Any access mode opens the node; allocation does not need write. */
TEST_F(heaps, node_access_modes)
{
	const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	char path[300];

	for (int h = 0; h < self->n; h++) {
		snprintf(path, sizeof(path), HEAP_DIR "/%s", self->names[h]);
		for (size_t i = 0; i < 3; i++) {
			int node = open(path, modes[i] | O_CLOEXEC);
			int fd;

			ASSERT_LE(0, node);
			fd = alloc_req(node, page_size(), O_RDWR | O_CLOEXEC, 0);
			EXPECT_LE(0, fd);
			if (fd >= 0)
				close(fd);
			close(node);
		}
		check_no_leak(_metadata, self, self->names[h], "node modes");
	}
}

TEST_HARNESS_MAIN
