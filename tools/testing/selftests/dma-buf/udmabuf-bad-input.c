// SPDX-License-Identifier: GPL-2.0-only
/*
 * udmabuf-bad-input: kselftests of /dev/udmabuf with input it must refuse,
 * and of the buffers it makes from input it must accept.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * Covered: unknown flags and nonzero padding, unaligned, empty, huge and
 * wrapping ranges, ranges past the end of the memfd, every seal rule,
 * descriptors that are closed or not memfds, list counts (zero, over
 * list_limit, huge, list_limit and size_limit_mb set to zero, negative or
 * huge values), bad user pointers, that the pages seen through the
 * dma-buf are the memfd's at the requested offsets (shmem and, where the
 * kernel has it, hugetlbfs), that failed requests leave no page pinned
 * and that concurrent DMA_BUF_IOCTL_SYNC calls are safe. After every case
 * the teardown checks that the set of open descriptors and the bufinfo
 * object count are what they were before it, and puts back the module
 * parameters a case changed.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include <linux/magic.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"

#define MEMFD_PAGES	16
#define MAX_KEPT	16
#define PARAM_DIR	"/sys/module/udmabuf/parameters/"
#define HUGE_2M		(2UL << 20)
#define HUGE_FREE	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif

/* ---- helpers ---- */

/* ub_create() - UDMABUF_CREATE. Returns the dma-buf fd or -errno. */
static int ub_create(int dev, __u32 memfd, __u32 flags, __u64 offset,
		     __u64 size)
{
	struct udmabuf_create req = {
		.memfd = memfd, .flags = flags, .offset = offset, .size = size,
	};
	int fd = ioctl(dev, UDMABUF_CREATE, &req);

	return fd < 0 ? -errno : fd;
}

/*
 * ub_create_list() - UDMABUF_CREATE_LIST with header @flags, @count and
 * the @n items @items (n may be smaller than count, to send a count the
 * list does not back). Returns the dma-buf fd or -errno.
 */
static int ub_create_list(int dev, __u32 flags, __u32 count,
			  const struct udmabuf_create_item *items, size_t n)
{
	struct udmabuf_create_list *req;
	int fd, err;

	req = calloc(1, sizeof(*req) + n * sizeof(*items));
	if (!req)
		return -ENOMEM;
	req->flags = flags;
	req->count = count;
	if (n)
		memcpy(req->list, items, n * sizeof(*items));
	fd = ioctl(dev, UDMABUF_CREATE_LIST, req);
	err = errno;
	free(req);
	return fd < 0 ? -err : fd;
}

/* item() - one list item without padding. */
static struct udmabuf_create_item item(int memfd, __u64 offset, __u64 size)
{
	struct udmabuf_create_item it = {
		.memfd = memfd, .offset = offset, .size = size,
	};

	return it;
}

/*
 * new_memfd() - a memfd of @size bytes created with @mfd_flags (plus
 * close-on-exec), then sealed with @seals unless that is 0. Returns the
 * fd or -errno.
 */
static int new_memfd(size_t size, unsigned int mfd_flags, unsigned int seals)
{
	int fd, err;

	fd = memfd_create("udmabuf-bad-input", mfd_flags | MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals))) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* param_get() - a udmabuf module parameter into *@val. 0 or -errno. */
static int param_get(const char *name, long *val)
{
	char path[128], text[32];
	int n;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	n = read_text(path, text, sizeof(text));
	if (n < 0)
		return n;
	*val = strtol(text, NULL, 10);
	return 0;
}

/* param_set() - write @val to a udmabuf module parameter. 0 or -errno. */
static int param_set(const char *name, long val)
{
	char path[128], text[32];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	n = snprintf(text, sizeof(text), "%ld\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* fill_pages() - page @i of @map (@n pages) gets byte (@seed + i) & 0xff. */
static void fill_pages(unsigned char *map, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		memset(map + i * page_size(), (seed + i) & 0xff, page_size());
}

/*
 * page_is() - does the page at @p hold byte @val everywhere? Returns 1 if
 * so, else 0.
 */
static int page_is(const unsigned char *p, unsigned char val)
{
	size_t i;

	for (i = 0; i < page_size(); i++)
		if (p[i] != val)
			return 0;
	return 1;
}

/* ---- fixture ---- */

/* Descriptors a case hands to the teardown to close. */
struct kept_fds {
	int fd[MAX_KEPT];
	unsigned int nr;
};

FIXTURE(ub) {
	struct fd_snapshot fds_before;
	int bufs_before;	/* bufinfo object count, <0 without debugfs */
	int dev;
	int memfd;		/* MEMFD_PAGES pages, sealed F_SEAL_SHRINK */
	size_t ps;
	long list_limit;	/* the parameters as found */
	long size_limit_mb;
	struct kept_fds kept;
};

FIXTURE_SETUP(ub)
{
	self->dev = -1;
	self->memfd = -1;
	self->kept.nr = 0;
	self->list_limit = LONG_MIN;
	self->size_limit_mb = LONG_MIN;
	self->ps = page_size();

	if (access(UDMABUF_DEV, F_OK))
		SKIP(return, UDMABUF_DEV " missing (CONFIG_UDMABUF)");
	ASSERT_EQ(0, fd_snapshot_take(&self->fds_before));
	self->bufs_before = bufinfo_total();

	self->dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->memfd = new_memfd(MEMFD_PAGES * self->ps, MFD_ALLOW_SEALING,
				F_SEAL_SHRINK);
	ASSERT_LE(0, self->memfd);
	if (param_get("list_limit", &self->list_limit))
		self->list_limit = LONG_MIN;
	if (param_get("size_limit_mb", &self->size_limit_mb))
		self->size_limit_mb = LONG_MIN;
}

FIXTURE_TEARDOWN(ub)
{
	unsigned int i;
	int n;

	if (self->list_limit != LONG_MIN)
		EXPECT_EQ(0, param_set("list_limit", self->list_limit));
	if (self->size_limit_mb != LONG_MIN)
		EXPECT_EQ(0, param_set("size_limit_mb", self->size_limit_mb));
	for (i = 0; i < self->kept.nr; i++)
		close(self->kept.fd[i]);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->dev >= 0)
		close(self->dev);
	if (self->dev < 0)
		return;		/* skipped before the snapshot */

	n = fd_snapshot_diff(&self->fds_before);
	EXPECT_EQ(-1, n) {
		TH_LOG("descriptor %d differs after the case", n);
	}
	if (self->bufs_before >= 0)
		EXPECT_EQ(self->bufs_before,
			  bufinfo_settles_at(self->bufs_before));
}

/* keep() - hand fd @fd (asserted valid) to the teardown; returns it. */
static int keep_fd(struct __test_metadata *_metadata, struct kept_fds *kept,
		   int fd)
{
	ASSERT_LE(0, fd) {
		TH_LOG("expected a descriptor, got %s", strerror(-fd));
	}
	ASSERT_GT((unsigned int)MAX_KEPT, kept->nr);
	kept->fd[kept->nr++] = fd;
	return fd;
}

#define keep(_metadata, self, fd) keep_fd(_metadata, &(self)->kept, fd)

/*
 * params_writable() - can both parameters be written? Tries by writing
 * back the values the setup read (@list_limit, @size_limit_mb).
 */
static int params_writable(long list_limit, long size_limit_mb)
{
	return list_limit != LONG_MIN && size_limit_mb != LONG_MIN &&
	       !param_set("list_limit", list_limit) &&
	       !param_set("size_limit_mb", size_limit_mb);
}

#define NO_PARAMS	"cannot write " PARAM_DIR "*"

/* map_shared() - map @len bytes of @fd at @off shared read-write. */
static unsigned char *map_shared(struct __test_metadata *_metadata, int fd,
				 size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	ASSERT_TRUE(p != MAP_FAILED) {
		TH_LOG("mmap: %s", strerror(errno));
	}
	return p;
}

/* ---- requests that work ---- */

/* Both requests; UDMABUF_FLAGS_CLOEXEC is honoured; size and name right. */
TEST_F(ub, create_and_cloexec)
{
	struct udmabuf_create_item it = item(self->memfd, 0, 2 * self->ps);
	char name[64];
	int fd;

	fd = ub_create(self->dev, self->memfd, UDMABUF_FLAGS_CLOEXEC, 0,
		       MEMFD_PAGES * self->ps);
	keep(_metadata, self, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ((long)(MEMFD_PAGES * self->ps), fdinfo_number(fd, "size"));
	ASSERT_EQ(0, fdinfo_field(fd, "exp_name", name, sizeof(name)));
	EXPECT_STREQ("udmabuf", name);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	if (self->bufs_before >= 0)
		EXPECT_EQ(self->bufs_before + 1, bufinfo_total());

	fd = keep(_metadata, self, ub_create(self->dev, self->memfd, 0,
					     self->ps, self->ps));
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ((long)self->ps, fdinfo_number(fd, "size"));

	fd = keep(_metadata, self, ub_create_list(self->dev,
						  UDMABUF_FLAGS_CLOEXEC, 1,
						  &it, 1));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	fd = keep(_metadata, self, ub_create_list(self->dev, 0, 1, &it, 1));
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ((long)(2 * self->ps), fdinfo_number(fd, "size"));
}

/* A list of exactly list_limit items is accepted. */
TEST_F(ub, list_at_list_limit)
{
	struct udmabuf_create_item *items;
	long limit = self->list_limit == LONG_MIN ? 1024 : self->list_limit;
	long i;
	int fd;

	if (limit <= 0 || limit > 4096)
		SKIP(return, "list_limit is %ld", limit);
	items = calloc(limit, sizeof(*items));
	ASSERT_TRUE(!!items);
	for (i = 0; i < limit; i++)
		items[i] = item(self->memfd, (i % MEMFD_PAGES) * self->ps,
				self->ps);
	fd = ub_create_list(self->dev, 0, limit, items, limit);
	free(items);
	keep(_metadata, self, fd);
	EXPECT_EQ(limit * (long)self->ps, fdinfo_number(fd, "size"));
}

/* ---- flags, padding, alignment ---- */

TEST_F(ub, unknown_flags_einval)
{
	DIFFERS_FROM_612("udmabuf-unknown-flags");
	static const __u32 bad[] = {
		0x2, 0x80000000u, 0xffffffffu, UDMABUF_FLAGS_CLOEXEC | 0x4,
	};
	struct udmabuf_create_item it = item(self->memfd, 0, self->ps);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, bad[i], 0,
					     self->ps));
		EXPECT_EQ(-EINVAL, ub_create_list(self->dev, bad[i], 1,
						  &it, 1));
	}
}

TEST_F(ub, list_pad_nonzero_einval)
{
	DIFFERS_FROM_612("udmabuf-list-padding");
	struct udmabuf_create_item its[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		its[0] = item(self->memfd, 0, self->ps);
		its[1] = item(self->memfd, self->ps, self->ps);
		its[2] = item(self->memfd, 2 * self->ps, self->ps);
		its[i].__pad = i == 2 ? 0x80000000u : 1;
		EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 3, its, 3));
	}
}

TEST_F(ub, unaligned_offset_or_size_einval)
{
	const __u64 ps = self->ps;
	const __u64 off[] = { 1, ps / 2, ps + 1, 2 * ps - 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(off); i++) {
		struct udmabuf_create_item its[2] = {
			item(self->memfd, 0, ps),
			item(self->memfd, off[i], ps),
		};

		EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0,
					     off[i], ps));
		EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0,
					     off[i]));
		EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 2, its, 2));
		its[1] = item(self->memfd, ps, off[i]);
		EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 2, its, 2));
	}
}

TEST_F(ub, size_zero_einval)
{
	struct udmabuf_create_item its[3] = {
		item(self->memfd, 0, self->ps),
		item(self->memfd, self->ps, 0),
		item(self->memfd, 2 * self->ps, self->ps),
	};

	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, 0));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, self->ps, 0));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 3, its, 3));
}

/* ---- sizes: limits and overflow ---- */

TEST_F(ub, huge_and_wrapping_sizes_einval)
{
	const __u64 ps = self->ps;
	const __u64 top = ~(__u64)0 & ~(ps - 1);	/* last page of u64 */
	struct udmabuf_create_item its[2];

	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, 1ULL << 63));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, top));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 1ULL << 63,
				     ps));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, top, ps));
	/* offset + size wraps to a small number */
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, top, 2 * ps));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, ps, top));
	/* sum of item sizes wraps */
	its[0] = item(self->memfd, 0, 1ULL << 63);
	its[1] = item(self->memfd, 0, 1ULL << 63);
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 2, its, 2));
	its[0] = item(self->memfd, 0, ps);
	its[1] = item(self->memfd, 0, top);
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 2, its, 2));
}

/* size_limit_mb: exactly the limit works, one page more does not. */
TEST_F(ub, size_limit_mb_bounds)
{
	const __u64 mb = 1 << 20;
	struct udmabuf_create_item its[2];
	int big;

	if (!params_writable(self->list_limit, self->size_limit_mb))
		SKIP(return, NO_PARAMS);
	big = new_memfd(2 * mb, MFD_ALLOW_SEALING, F_SEAL_SHRINK);
	keep(_metadata, self, big);
	ASSERT_EQ(0, param_set("size_limit_mb", 1));

	keep(_metadata, self, ub_create(self->dev, big, 0, 0, mb));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, big, 0, 0, mb + self->ps));
	its[0] = item(big, 0, mb / 2);
	its[1] = item(big, mb, mb / 2 + self->ps);
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 2, its, 2));
	its[1].size = mb / 2;
	keep(_metadata, self, ub_create_list(self->dev, 0, 2, its, 2));
}

/* size_limit_mb of zero, negative or huge never breaks the arithmetic. */
TEST_F(ub, size_limit_mb_extremes)
{
	DIFFERS_FROM_612("udmabuf-limit-params");
	const __u64 ps = self->ps;

	if (!params_writable(self->list_limit, self->size_limit_mb))
		SKIP(return, NO_PARAMS);
	ASSERT_EQ(0, param_set("size_limit_mb", 0));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, ps));
	ASSERT_EQ(0, param_set("size_limit_mb", -1));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, ps));
	ASSERT_EQ(0, param_set("size_limit_mb", INT_MIN));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, ps));

	ASSERT_EQ(0, param_set("size_limit_mb", INT_MAX));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, 1ULL << 62));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, 1ULL << 63));
	/* Within the limit but past the memfd: refused before allocating. */
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, 1ULL << 39));
	keep(_metadata, self, ub_create(self->dev, self->memfd, 0, 0, ps));
}

TEST_F(ub, range_past_memfd_end_einval)
{
	const __u64 ps = self->ps;
	struct udmabuf_create_item its[2] = {
		item(self->memfd, 0, ps),
		item(self->memfd, (MEMFD_PAGES - 1) * ps, 2 * ps),
	};

	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0,
				     (MEMFD_PAGES - 4) * ps, 8 * ps));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0,
				     MEMFD_PAGES * ps, ps));
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0,
				     (MEMFD_PAGES + 1) * ps));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 2, its, 2));
	/* The last page exactly is fine. */
	keep(_metadata, self, ub_create(self->dev, self->memfd, 0,
					(MEMFD_PAGES - 1) * ps, ps));
}

/* ---- list counts and list_limit ---- */

TEST_F(ub, list_count_einval)
{
	struct udmabuf_create_item it = item(self->memfd, 0, self->ps);
	long limit = self->list_limit == LONG_MIN ? 1024 : self->list_limit;

	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0, NULL, 0));
	/* Refused on the count alone: nothing backs these items. */
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, limit + 1, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0x7fffffffu, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0x80000000u, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0xffffffffu, &it, 1));
}

TEST_F(ub, list_limit_extremes)
{
	DIFFERS_FROM_612("udmabuf-limit-params");
	static const __u32 counts[] = { (1u << 28) - 1, 200000 };
	struct udmabuf_create_item it = item(self->memfd, 0, self->ps);
	unsigned int i;
	int ret;

	if (!params_writable(self->list_limit, self->size_limit_mb))
		SKIP(return, NO_PARAMS);
	ASSERT_EQ(0, param_set("list_limit", 0));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 1, &it, 1));
	ASSERT_EQ(0, param_set("list_limit", -1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 1, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0xffffffffu, &it, 1));
	ASSERT_EQ(0, param_set("list_limit", INT_MIN));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0x80000000u, &it, 1));

	ASSERT_EQ(0, param_set("list_limit", INT_MAX));
	keep(_metadata, self, ub_create_list(self->dev, 0, 1, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0x80000000u, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0xffffffffu, &it, 1));
	/* More items than the size limit has pages: refused up front. */
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0x7fffffffu, &it, 1));

	/*
	 * Both limits huge. Past the kernel's own page ceiling (2^28 - 1
	 * pages, whatever size_limit_mb says) a count is still refused up
	 * front; below it the kernel has to copy gigabytes of items (of
	 * which one exists) and must fail cleanly doing so.
	 */
	ASSERT_EQ(0, param_set("size_limit_mb", INT_MAX));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 0x7fffffffu, &it, 1));
	EXPECT_EQ(-EINVAL, ub_create_list(self->dev, 0, 1u << 28, &it, 1));
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		ret = ub_create_list(self->dev, 0, counts[i], &it, 1);
		EXPECT_TRUE(ret == -ENOMEM || ret == -EFAULT) {
			TH_LOG("count %u: got %d", counts[i], ret);
		}
	}
}

/* ---- user pointers and requests ---- */

TEST_F(ub, bad_pointers_efault)
{
	struct udmabuf_create_list *req;
	unsigned char *two;
	void *gone = page_unmapped();
	size_t ps = self->ps;

	ASSERT_TRUE(!!gone);
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE, gone));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE_LIST, gone));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* A header at the end of a page, its items on an unmapped one. */
	two = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(two != MAP_FAILED);
	ASSERT_EQ(0, munmap(two + ps, ps));
	req = (void *)(two + ps - sizeof(*req));
	req->flags = 0;
	req->count = 1;
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE_LIST, req));
	EXPECT_EQ(EFAULT, errno);
	/* ... and a list that starts mapped and runs off the end. */
	req = (void *)(two + ps - sizeof(*req) - sizeof(req->list[0]));
	req->flags = 0;
	req->count = 2;
	req->list[0] = item(self->memfd, 0, ps);
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE_LIST, req));
	EXPECT_EQ(EFAULT, errno);
	munmap(two, ps);
}

TEST_F(ub, unknown_request_enotty)
{
	char arg[64] = { 0 };

	EXPECT_EQ(-1, ioctl(self->dev, _IOW('u', 0x44, struct udmabuf_create),
			    arg));
	EXPECT_EQ(ENOTTY, errno);
	/* The right number with the wrong size is another request. */
	EXPECT_EQ(-1, ioctl(self->dev, _IOW('u', 0x42, __u64), arg));
	EXPECT_EQ(ENOTTY, errno);
}

/* ---- seals ---- */

TEST_F(ub, seal_rules)
{
	static const struct {
		unsigned int mfd_flags, seals;
		int err;
	} cases[] = {
		{ MFD_ALLOW_SEALING, 0, -EINVAL },	/* no F_SEAL_SHRINK */
		{ 0, 0, -EINVAL },			/* cannot be sealed */
		{ MFD_ALLOW_SEALING, F_SEAL_GROW, -EINVAL },
		{ MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_WRITE, -EINVAL },
		{ MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_FUTURE_WRITE,
		  -EINVAL },
		{ MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
		  0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int mfd = new_memfd(4 * self->ps, cases[i].mfd_flags,
				    cases[i].seals);
		struct udmabuf_create_item its[2] = {
			item(self->memfd, 0, self->ps),
			item(mfd, 0, self->ps),
		};
		int a, b, err_a, err_b;

		ASSERT_LE(0, mfd);
		a = ub_create(self->dev, mfd, 0, 0, 4 * self->ps);
		b = ub_create_list(self->dev, 0, 2, its, 2);
		err_a = a < 0 ? a : 0;
		err_b = b < 0 ? b : 0;
		EXPECT_EQ(cases[i].err, err_a) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(cases[i].err, err_b) {
			TH_LOG("case %u (list)", i);
		}
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
		close(mfd);
	}
}

/*
 * While a buffer holds the memfd's pages pinned, F_SEAL_WRITE cannot be
 * added (the seal waits for pins and gives up with EBUSY); once the
 * buffer is gone it can. This is also how the cases below see that a
 * failed request left nothing pinned.
 */
TEST_F(ub, pins_block_write_seal_until_close)
{
	int fd = ub_create(self->dev, self->memfd, 0, self->ps, self->ps);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, fcntl(self->memfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EBUSY, errno);
	close(fd);
	EXPECT_EQ(0, fcntl(self->memfd, F_ADD_SEALS, F_SEAL_WRITE));
	/* And a write-sealed memfd is now refused. */
	EXPECT_EQ(-EINVAL, ub_create(self->dev, self->memfd, 0, 0, self->ps));
}

/* Failing lists leave no page of their good items pinned. */
TEST_F(ub, failed_list_leaves_no_pins)
{
	DIFFERS_FROM_612("udmabuf-list-padding");
	const __u64 ps = self->ps;
	int closed = new_memfd(ps, MFD_ALLOW_SEALING, F_SEAL_SHRINK);
	int unsealed = new_memfd(ps, MFD_ALLOW_SEALING, 0);
	struct udmabuf_create_item its[3] = {
		item(self->memfd, 0, MEMFD_PAGES * ps),
		item(self->memfd, ps, 2 * ps),
	};
	int i;

	ASSERT_LE(0, closed);
	ASSERT_LE(0, unsealed);
	close(closed);
	for (i = 0; i < 4; i++) {
		int err;

		switch (i) {
		case 0:
			its[2] = item(closed, 0, ps);
			err = -EBADFD;
			break;
		case 1:
			its[2] = item(unsealed, 0, ps);
			err = -EINVAL;
			break;
		case 2:
			its[2] = item(self->memfd, MEMFD_PAGES * ps, ps);
			err = -EINVAL;
			break;
		default:
			its[2] = item(self->memfd, 0, ps);
			its[2].__pad = 1;
			err = -EINVAL;
			break;
		}
		EXPECT_EQ(err, ub_create_list(self->dev, 0, 3, its, 3)) {
			TH_LOG("case %d", i);
		}
	}
	close(unsealed);
	EXPECT_EQ(0, fcntl(self->memfd, F_ADD_SEALS, F_SEAL_WRITE)) {
		TH_LOG("pages still pinned: %s", strerror(errno));
	}
}

/* ---- descriptors that are not usable memfds ---- */

TEST_F(ub, not_a_memfd)
{
	const __u64 ps = self->ps;
	int pipefd[2], closed, buf, path_fd, tmp, tmp_err;
	char path[64];
	struct statfs sfs;

	closed = new_memfd(ps, MFD_ALLOW_SEALING, F_SEAL_SHRINK);
	ASSERT_LE(0, closed);
	close(closed);
	EXPECT_EQ(-EBADFD, ub_create(self->dev, closed, 0, 0, ps));
	EXPECT_EQ(-EBADFD, ub_create(self->dev, 0xffffffffu, 0, 0, ps));
	EXPECT_EQ(-EBADFD, ub_create(self->dev, 1u << 30, 0, 0, ps));

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	EXPECT_EQ(-EBADFD, ub_create(self->dev, pipefd[0], 0, 0, ps));
	EXPECT_EQ(-EBADFD, ub_create(self->dev, pipefd[1], 0, 0, ps));
	close(pipefd[0]);
	close(pipefd[1]);

	EXPECT_EQ(-EBADFD, ub_create(self->dev, self->dev, 0, 0, ps));
	buf = keep(_metadata, self, ub_create(self->dev, self->memfd, 0, 0,
					      4 * ps));
	EXPECT_EQ(-EBADFD, ub_create(self->dev, buf, 0, 0, ps));

	/* An O_PATH descriptor of the memfd itself is no file to pin. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->memfd);
	path_fd = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, path_fd);
	EXPECT_EQ(-EBADFD, ub_create(self->dev, path_fd, 0, 0, ps));
	close(path_fd);

	/* A regular tmpfs file: shmem, but it can never carry seals. */
	tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tmp < 0)
		SKIP(return, "no O_TMPFILE in /tmp: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(tmp, 4 * ps));
	ASSERT_EQ(0, fstatfs(tmp, &sfs));
	tmp_err = sfs.f_type == TMPFS_MAGIC ? -EINVAL : -EBADFD;
	EXPECT_EQ(tmp_err, ub_create(self->dev, tmp, 0, 0, ps));
	EXPECT_EQ(-1, fcntl(tmp, F_ADD_SEALS, F_SEAL_SHRINK));
	EXPECT_EQ(tmp_err, ub_create(self->dev, tmp, 0, 0, ps));
	close(tmp);
}

/* ---- the pages behind the buffer ---- */

/*
 * A buffer at an offset shows the memfd's pages there, both ways, through
 * mmap of the dma-buf at offset 0 and at a page offset.
 */
TEST_F(ub, data_shared_at_offset)
{
	const size_t ps = self->ps;
	unsigned char *mem, *buf, *part, byte;
	int fd, i;

	mem = map_shared(_metadata, self->memfd, MEMFD_PAGES * ps, 0);
	fill_pages(mem, MEMFD_PAGES, 1);
	fd = keep(_metadata, self, ub_create(self->dev, self->memfd, 0,
					     3 * ps, 5 * ps));
	buf = map_shared(_metadata, fd, 5 * ps, 0);
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(page_is(buf + i * ps, 4 + i)) {
			TH_LOG("buffer page %d", i);
		}

	/* Writes through either side show on the other. */
	memset(buf + 2 * ps, 0xa5, ps);
	EXPECT_TRUE(page_is(mem + 5 * ps, 0xa5));
	byte = 0x5a;
	ASSERT_EQ(1, pwrite(self->memfd, &byte, 1, 7 * ps + 17));
	EXPECT_EQ(0x5a, buf[4 * ps + 17]);

	/* A mapping of the dma-buf that starts at its page 2. */
	part = map_shared(_metadata, fd, 3 * ps, 2 * ps);
	EXPECT_TRUE(page_is(part, 0xa5));
	EXPECT_TRUE(page_is(part + ps, 7));
	EXPECT_EQ(0x5a, part[2 * ps + 17]);

	/* Neither a private mapping nor one past the end, nor growing. */
	EXPECT_TRUE(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0) ==
		    MAP_FAILED);
	EXPECT_TRUE(mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd, 4 * ps) ==
		    MAP_FAILED);
	EXPECT_TRUE(mremap(part, 3 * ps, 4 * ps, MREMAP_MAYMOVE) ==
		    MAP_FAILED);

	munmap(part, 3 * ps);
	munmap(buf, 5 * ps);
	munmap(mem, MEMFD_PAGES * ps);
}

/* The ranges of a list follow each other in list order, repeats too. */
TEST_F(ub, data_list_order)
{
	const size_t ps = self->ps;
	static const unsigned int want[] = { 11, 12, 1, 11, 16, 5, 6, 7 };
	struct udmabuf_create_item its[4] = {
		item(self->memfd, 10 * ps, 2 * ps),
		item(self->memfd, 0, ps),
		item(self->memfd, 10 * ps, ps),
		item(self->memfd, 15 * ps, ps),
	};
	struct udmabuf_create_item tail = item(self->memfd, 4 * ps, 3 * ps);
	struct udmabuf_create_item all[5];
	unsigned char *mem, *buf;
	unsigned int i;
	int fd;

	memcpy(all, its, sizeof(its));
	all[4] = tail;
	mem = map_shared(_metadata, self->memfd, MEMFD_PAGES * ps, 0);
	fill_pages(mem, MEMFD_PAGES, 1);
	fd = keep(_metadata, self, ub_create_list(self->dev, 0, 5, all, 5));
	EXPECT_EQ((long)(8 * ps), fdinfo_number(fd, "size"));
	buf = map_shared(_metadata, fd, 8 * ps, 0);
	for (i = 0; i < 8; i++)
		EXPECT_TRUE(page_is(buf + i * ps, want[i])) {
			TH_LOG("buffer page %u", i);
		}
	/* Page 11 of the memfd appears twice: one write, both places. */
	buf[17] = 0x33;
	EXPECT_EQ(0x33, buf[3 * ps + 17]);
	munmap(buf, 8 * ps);
	munmap(mem, MEMFD_PAGES * ps);
}

/*
 * hugetlbfs: a range that starts inside one 2 MiB folio and ends in the
 * next gives the right 4 KiB pages (the memfd is populated first, as a
 * memfd's owner does before sharing it).
 */
TEST_F(ub, hugetlb_range_across_folios)
{
	const size_t ps = self->ps, hp = HUGE_2M;
	unsigned char *mem, *buf;
	char text[32];
	size_t first = hp / ps - 2;	/* page index of the range start */
	unsigned int i;
	int mfd, fd;

	if (read_text(HUGE_FREE, text, sizeof(text)) < 0 || atol(text) < 2)
		SKIP(return, "fewer than two free 2 MiB hugepages");
	mfd = new_memfd(2 * hp, MFD_HUGETLB | MFD_ALLOW_SEALING,
			F_SEAL_SHRINK);
	if (mfd < 0)
		SKIP(return, "no hugetlb memfd: %s", strerror(-mfd));
	keep(_metadata, self, mfd);
	mem = map_shared(_metadata, mfd, 2 * hp, 0);
	fill_pages(mem, 2 * hp / ps, 0);

	fd = keep(_metadata, self, ub_create(self->dev, mfd, 0, first * ps,
					     4 * ps));
	buf = map_shared(_metadata, fd, 4 * ps, 0);
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(page_is(buf + i * ps, (first + i) & 0xff)) {
			TH_LOG("buffer page %u", i);
		}
	buf[ps + 1] = 0x77;
	EXPECT_EQ(0x77, mem[(first + 1) * ps + 1]);
	munmap(buf, 4 * ps);

	/* The same through a list: the tail of folio 1, the head of 0. */
	{
		struct udmabuf_create_item its[2] = {
			item(mfd, 2 * hp - ps, ps),
			item(mfd, 3 * ps, 2 * ps),
		};

		fd = keep(_metadata, self,
			  ub_create_list(self->dev, 0, 2, its, 2));
		buf = map_shared(_metadata, fd, 3 * ps, 0);
		EXPECT_TRUE(page_is(buf, (2 * hp / ps - 1) & 0xff));
		EXPECT_TRUE(page_is(buf + ps, 3));
		EXPECT_TRUE(page_is(buf + 2 * ps, 4));
		munmap(buf, 3 * ps);
	}
	munmap(mem, 2 * hp);
}

/* ---- CPU access brackets ---- */

#define SYNC_THREADS	8
#define SYNC_ROUNDS	12
#define SYNC_LOOPS	40

struct sync_race {
	pthread_barrier_t start;
	int fd;
	int errors;
	pthread_mutex_t lock;
};

static void *sync_race_fn(void *arg)
{
	struct sync_race *r = arg;
	int i, bad = 0;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < SYNC_LOOPS; i++) {
		if (buf_sync(r->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW))
			bad++;
		if (buf_sync(r->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW))
			bad++;
	}
	pthread_mutex_lock(&r->lock);
	r->errors += bad;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * Threads race into the first DMA_BUF_IOCTL_SYNC of fresh buffers, where
 * the CPU-access table is created; exactly one may survive (kmemleak at
 * the end of the boot would report a lost one).
 */
TEST_F(ub, sync_from_threads)
{
	pthread_t th[SYNC_THREADS];
	struct sync_race r = { .errors = 0 };
	int round, i;

	pthread_mutex_init(&r.lock, NULL);
	for (round = 0; round < SYNC_ROUNDS; round++) {
		r.fd = ub_create(self->dev, self->memfd, 0, 0,
				 MEMFD_PAGES * self->ps);
		ASSERT_LE(0, r.fd);
		pthread_barrier_init(&r.start, NULL, SYNC_THREADS);
		for (i = 0; i < SYNC_THREADS; i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, sync_race_fn,
						    &r));
		for (i = 0; i < SYNC_THREADS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&r.start);
		close(r.fd);
	}
	pthread_mutex_destroy(&r.lock);
	EXPECT_EQ(0, r.errors);
}

/*
 * An END bracket on a buffer that never had a START is refused with
 * EINVAL, as 6.12 does; once a START has run, END works, also a second
 * time.
 */
TEST_F(ub, sync_end_first)
{
	int fd = keep(_metadata, self, ub_create(self->dev, self->memfd, 0, 0,
						 self->ps));

	EXPECT_EQ(-EINVAL, buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(0, buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
}

TEST_HARNESS_MAIN
