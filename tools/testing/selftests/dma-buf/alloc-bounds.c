// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc-bounds: kselftests that ask every uapi of the subsystem for the
 * largest count or size it accepts, and for more, where the kernel
 * allocates memory sized by that request.  Each request must either
 * succeed or fail with its precise errno; an allocator WARN on the way
 * fails the boot that runs this program (its log is judged).
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * Sites, one case each: SYNC_IOC_FILE_INFO and SYNC_IOC_MERGE of merged
 * files, DMA_BUF_IOCTL_IMPORT_SYNC_FILE / EXPORT_SYNC_FILE with them, the
 * sync/info debugfs file listing all their timelines, UDMABUF_CREATE and
 * UDMABUF_CREATE_LIST at and beyond their limits, DMA_HEAP_IOCTL_ALLOC of
 * the largest length and of more than a CMA area holds, and
 * DMA_BUF_SET_NAME with a name longer than the limit.
 *
 * The fence sets come from SET_FENCES sw_sync timelines (a timeline is a
 * fence context, and a merge keeps one fence per context), one fence
 * each, merged pairwise like a binary counter so that building costs
 * O(n log n).  The timelines stay open: closing one signals its fences.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"
/* TEST() hands every case a variant it has no use for. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/*
 * Fences in the set of the sync_file cases.  FILE_INFO's limit, 52,428
 * records (one 4 MiB kmalloc in 6.12), is beyond reach here: under TCG
 * with the debug kernel a fence on a timeline of its own costs about
 * 12 ms to make, so the cases that cross it are KUnit's (sync-file:
 * file_info_at_and_beyond_the_record_limit, dma-fence-unwrap:
 * merge_beyond_one_array_fails_quietly).
 */
#define SET_FENCES	256
/* Seconds a case with a set may take, building it included. */
#define SET_TIMEOUT	60
#define SYNC_INFO_FILE	"/sys/kernel/debug/sync/info"
#define RESERVED_HEAP	"/dev/dma_heap/reserved"
#define UDMABUF_PARAMS	"/sys/module/udmabuf/parameters/"

/* ---- helpers ---- */

/* now_ms() - monotonic milliseconds, for the timings the cases print. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* count_fences() - FILE_INFO's count of @fd (num_fences 0), or -errno. */
static long count_fences(int fd)
{
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	return info.num_fences;
}

/* A set of fences on timelines of their own, merged into one file. */
struct fence_set {
	int *timelines;
	int n;
	int fd;
};

/*
 * merge_top() - merge the two files on top of @stack (*@depth entries)
 * into one in their place.  Returns 0 or -errno.
 */
static int merge_top(int *stack, int *depth)
{
	int fd = sync_merge(stack[*depth - 2], stack[*depth - 1]);

	if (fd < 0)
		return fd;
	close(stack[*depth - 1]);
	close(stack[*depth - 2]);
	--*depth;
	stack[*depth - 1] = fd;
	return 0;
}

/*
 * set_build() - open @n timelines with one pending fence each and merge
 * all fences into set->fd.  Returns 0 or -errno; on failure whatever was
 * opened stays in @set for set_free().
 */
static int set_build(struct fence_set *set, int n)
{
	/* Pending merges: stack[i] holds 2^sizes[i] fences, sizes falling. */
	int stack[64], sizes[64], depth = 0;
	struct rlimit rl;
	int i, fd, ret;

	set->fd = -1;
	set->n = 0;
	set->timelines = calloc(n, sizeof(*set->timelines));
	if (!set->timelines)
		return -ENOMEM;

	rl.rlim_cur = n + 256;
	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;

	for (i = 0; i < n; i++) {
		fd = sw_timeline();
		if (fd < 0)
			return fd;
		set->timelines[set->n++] = fd;

		fd = sw_point(fd, 1);
		if (fd < 0)
			return fd;

		stack[depth] = fd;
		sizes[depth++] = 0;
		while (depth > 1 && sizes[depth - 1] == sizes[depth - 2]) {
			ret = merge_top(stack, &depth);
			if (ret)
				return ret;
			sizes[depth - 1]++;
		}
	}
	while (depth > 1) {
		ret = merge_top(stack, &depth);
		if (ret)
			return ret;
	}
	set->fd = depth ? stack[0] : -1;
	return 0;
}

/* set_free() - close the merged file and the timelines of @set. */
static void set_free(struct fence_set *set)
{
	int i;

	if (set->fd >= 0)
		close(set->fd);
	for (i = 0; i < set->n; i++)
		close(set->timelines[i]);
	free(set->timelines);
	set->fd = -1;
	set->n = 0;
	set->timelines = NULL;
}

/* read_long() - the number in file @path, or -1. */
static long read_long(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	fclose(f);
	return v;
}

/* meminfo_kb() - the value of @key in /proc/meminfo in KiB, or -1. */
static long meminfo_kb(const char *key)
{
	char line[128];
	size_t len = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* heap_alloc() - DMA_HEAP_IOCTL_ALLOC of @len on @heap: fd or -errno. */
static int heap_alloc(int heap, __u64 len)
{
	struct dma_heap_allocation_data req;

	memset(&req, 0, sizeof(req));
	req.len = len;
	req.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &req))
		return -errno;
	return req.fd;
}

/* memfd_of() - a sealable memfd of @size bytes, sealed against shrinking. */
static int memfd_of(size_t size)
{
	int fd = memfd_create("alloc-bounds", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* ---- sync_file and sw_sync ---- */

FIXTURE(fence_set) {
	struct fence_set set;
};

FIXTURE_SETUP(fence_set)
{
	long long t0 = now_ms();
	int ret;

	if (access(SW_SYNC_FILE, F_OK))
		SKIP(return, "%s", NO_SW_SYNC);
	ret = set_build(&self->set, SET_FENCES);
	ASSERT_EQ(0, ret) TH_LOG("building %d fences: %s", SET_FENCES,
				 strerror(-ret));
	ASSERT_EQ(SET_FENCES, count_fences(self->set.fd));
	ksft_print_msg("%d fences on as many timelines built in %lld ms\n",
		       SET_FENCES, now_ms() - t0);
}

FIXTURE_TEARDOWN(fence_set)
{
	set_free(&self->set);
}

/*
 * SYNC_IOC_FILE_INFO with room for every fence, which ours copies out
 * record by record, and with one record too few (EINVAL).
 */
TEST_F_TIMEOUT(fence_set, file_info_of_many_fences, SET_TIMEOUT)
{
	struct sync_fence_info *fi;
	struct sync_file_info info;
	int i;

	fi = calloc(SET_FENCES, sizeof(*fi));
	ASSERT_TRUE(!!fi);

	/* One record too few: EINVAL before anything is written. */
	memset(&info, 0, sizeof(info));
	info.num_fences = SET_FENCES - 1;
	info.sync_fence_info = (uintptr_t)fi;
	EXPECT_EQ(-1, ioctl(self->set.fd, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(EINVAL, errno);

	info.num_fences = SET_FENCES;
	EXPECT_EQ(0, ioctl(self->set.fd, SYNC_IOC_FILE_INFO, &info))
		TH_LOG("FILE_INFO: %s", strerror(errno));
	EXPECT_EQ(SET_FENCES, (int)info.num_fences);
	EXPECT_EQ(0, info.status);
	EXPECT_STREQ("merged", info.name);	/* sync_merge() names it */
	for (i = 0; i < SET_FENCES; i += SET_FENCES / 7) {
		EXPECT_STREQ("sw_sync", fi[i].driver_name);
		EXPECT_EQ(0, fi[i].status);
	}
	EXPECT_STREQ("sw_sync", fi[SET_FENCES - 1].driver_name);
	free(fi);
}

/*
 * SYNC_IOC_MERGE of the set with itself and with one more fence: the
 * merge collects twice the fences, keeps one per context, and succeeds.
 */
TEST_F_TIMEOUT(fence_set, merge_of_fence_sets, SET_TIMEOUT)
{
	int self_merged, more, tl, pt;

	self_merged = sync_merge(self->set.fd, self->set.fd);
	ASSERT_LE(0, self_merged) TH_LOG("%s", strerror(-self_merged));
	EXPECT_EQ(SET_FENCES, count_fences(self_merged));

	tl = sw_timeline();
	ASSERT_LE(0, tl);
	pt = sw_point(tl, 1);
	ASSERT_LE(0, pt);
	more = sync_merge(pt, self_merged);
	ASSERT_LE(0, more) TH_LOG("%s", strerror(-more));
	EXPECT_EQ(SET_FENCES + 1, count_fences(more));

	close(more);
	close(pt);
	close(tl);
	close(self_merged);
}

/*
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE of the set reserves a slot per
 * fence; EXPORT_SYNC_FILE then makes one array of all of them.
 */
TEST_F_TIMEOUT(fence_set, import_export_of_fence_set, SET_TIMEOUT)
{
	struct dma_buf_import_sync_file imp = { 0 };
	struct dma_buf_export_sync_file exp = { 0 };
	int memfd, buf;

	buf = dmabuf_from_memfd(getpagesize(), &memfd);
	if (buf < 0)
		SKIP(return, "no udmabuf: %s", strerror(-buf));

	imp.flags = DMA_BUF_SYNC_WRITE;
	imp.fd = self->set.fd;
	EXPECT_EQ(0, ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp))
		TH_LOG("IMPORT_SYNC_FILE: %s", strerror(errno));

	exp.flags = DMA_BUF_SYNC_READ;
	exp.fd = -1;
	EXPECT_EQ(0, ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp))
		TH_LOG("EXPORT_SYNC_FILE: %s", strerror(errno));
	if (exp.fd >= 0) {
		EXPECT_EQ(SET_FENCES, count_fences(exp.fd));
		close(exp.fd);
	}
	close(buf);
	close(memfd);
}

/* sync/info lists every timeline and fence, read in full. */
TEST_F_TIMEOUT(fence_set, sync_info_of_fence_set, SET_TIMEOUT)
{
	char chunk[65536];
	long long total = 0;
	ssize_t got;
	int fd;

	fd = open(SYNC_INFO_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "%s: %s", SYNC_INFO_FILE, strerror(errno));
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		total += got;
	EXPECT_EQ(0, got) TH_LOG("read: %s", strerror(errno));
	/* At least a line per timeline. */
	EXPECT_LT(SET_FENCES * 10LL, total);
	close(fd);
}

/* ---- udmabuf ---- */

FIXTURE(udmabuf) {
	int dev;
	long list_limit;
	long size_limit_mb;
};

FIXTURE_SETUP(udmabuf)
{
	self->dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0)
		SKIP(return, "%s: %s", UDMABUF_DEV, strerror(errno));
	self->list_limit = read_long(UDMABUF_PARAMS "list_limit");
	self->size_limit_mb = read_long(UDMABUF_PARAMS "size_limit_mb");
}

FIXTURE_TEARDOWN(udmabuf)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* UDMABUF_CREATE of size_limit_mb MiB succeeds, one page more is EINVAL. */
TEST_F(udmabuf, udmabuf_create_size_at_limit)
{
	struct udmabuf_create req;
	size_t size;
	int memfd, buf;

	if (self->size_limit_mb <= 0 || self->size_limit_mb > 256)
		SKIP(return, "size_limit_mb is %ld", self->size_limit_mb);
	size = (size_t)self->size_limit_mb << 20;
	memfd = memfd_of(size + getpagesize());
	ASSERT_LE(0, memfd);

	memset(&req, 0, sizeof(req));
	req.memfd = memfd;
	req.flags = UDMABUF_FLAGS_CLOEXEC;
	req.size = size;
	buf = ioctl(self->dev, UDMABUF_CREATE, &req);
	EXPECT_LE(0, buf) TH_LOG("%s", strerror(errno));
	if (buf >= 0)
		close(buf);

	req.size = size + getpagesize();
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE, &req));
	EXPECT_EQ(EINVAL, errno);
	close(memfd);
}

/* UDMABUF_CREATE of the largest page-aligned size: EINVAL. */
TEST_F(udmabuf, udmabuf_create_size_huge)
{
	struct udmabuf_create req;
	int memfd;

	memfd = memfd_of(getpagesize());
	ASSERT_LE(0, memfd);
	memset(&req, 0, sizeof(req));
	req.memfd = memfd;
	req.size = ~(__u64)(getpagesize() - 1);
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE, &req));
	EXPECT_EQ(EINVAL, errno);
	req.size = 1ULL << 62;
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE, &req));
	EXPECT_EQ(EINVAL, errno);
	close(memfd);
}

/* A list of list_limit one-page items succeeds; one more is EINVAL. */
TEST_F(udmabuf, udmabuf_list_count_at_limit)
{
	struct udmabuf_create_list *head;
	long n = self->list_limit;
	int memfd, buf;
	long i;

	if (n <= 0 || n > 65536)
		SKIP(return, "list_limit is %ld", n);
	memfd = memfd_of((n + 1) * getpagesize());
	ASSERT_LE(0, memfd);
	head = calloc(1, sizeof(*head) +
		      (n + 1) * sizeof(struct udmabuf_create_item));
	ASSERT_TRUE(!!head);
	head->flags = UDMABUF_FLAGS_CLOEXEC;
	for (i = 0; i <= n; i++) {
		head->list[i].memfd = memfd;
		head->list[i].offset = i * getpagesize();
		head->list[i].size = getpagesize();
	}

	head->count = n;
	buf = ioctl(self->dev, UDMABUF_CREATE_LIST, head);
	EXPECT_LE(0, buf) TH_LOG("%s", strerror(errno));
	if (buf >= 0)
		close(buf);

	head->count = n + 1;
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE_LIST, head));
	EXPECT_EQ(EINVAL, errno);
	free(head);
	close(memfd);
}

/* The largest count a list request can name: EINVAL, nothing copied. */
TEST_F(udmabuf, udmabuf_list_count_huge)
{
	struct udmabuf_create_list head;

	memset(&head, 0, sizeof(head));
	head.count = UINT32_MAX;
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE_LIST, &head));
	EXPECT_EQ(EINVAL, errno);
	head.count = INT32_MAX;
	EXPECT_EQ(-1, ioctl(self->dev, UDMABUF_CREATE_LIST, &head));
	EXPECT_EQ(EINVAL, errno);
}

/* ---- dma-heaps ---- */

/* The largest length on each heap: EINVAL (it rounds up to no page). */
TEST(heap_alloc_len_max)
{
	static const char * const heaps[] = { SYSTEM_HEAP_DEV, RESERVED_HEAP };
	unsigned int i, tried = 0;
	int heap;

	for (i = 0; i < 2; i++) {
		heap = open(heaps[i], O_RDONLY | O_CLOEXEC);
		if (heap < 0)
			continue;
		tried++;
		EXPECT_EQ(-EINVAL, heap_alloc(heap, UINT64_MAX))
			TH_LOG("%s", heaps[i]);
		close(heap);
	}
	if (!tried)
		SKIP(return, "no dma-heap");
}

/* More than the CMA area holds (but less than RAM): ENOMEM. */
TEST(heap_alloc_beyond_cma_area)
{
	long cma_kb = meminfo_kb("CmaTotal");
	int heap, fd;

	heap = open(RESERVED_HEAP, O_RDONLY | O_CLOEXEC);
	if (heap < 0 || cma_kb <= 0)
		SKIP(return, "no CMA heap");
	fd = heap_alloc(heap, ((__u64)cma_kb << 10) + getpagesize());
	EXPECT_EQ(-ENOMEM, fd);
	if (fd >= 0)
		close(fd);
	close(heap);
}

/* ---- dma-buf ---- */

/* DMA_BUF_SET_NAME with a name far longer than the limit: EINVAL. */
TEST(set_name_too_long)
{
	static char name[65536];
	int memfd, buf;

	buf = dmabuf_from_memfd(getpagesize(), &memfd);
	if (buf < 0)
		SKIP(return, "no udmabuf: %s", strerror(-buf));
	memset(name, 'n', sizeof(name) - 1);
	EXPECT_EQ(-1, ioctl(buf, DMA_BUF_SET_NAME_B, name));
	EXPECT_EQ(EINVAL, errno);
	/* The longest accepted: DMA_BUF_NAME_LEN - 1 characters. */
	name[31] = '\0';
	EXPECT_EQ(0, ioctl(buf, DMA_BUF_SET_NAME_B, name));
	close(buf);
	close(memfd);
}

TEST_HARNESS_MAIN
