// SPDX-License-Identifier: GPL-2.0-only
/*
 * compat-uapi: every ioctl of dma-buf, sync_file, sw_sync, udmabuf and
 * dma-heap with its argument, and every pointer inside the argument, in
 * the upper half of the 32-bit address space (at or above 0x80000000).
 *
 * Standalone static build, as the QEMU harness does it (twice: as a
 * 64-bit program, and with -m32 for the compat entry points):
 *
 *   gcc [-m32] -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * Built with -m32 and run on a 64-bit kernel (IA32_EMULATION), each
 * request goes through the file's compat_ioctl; a pointer with bit 31
 * set is where a sign extension instead of a zero extension between the
 * 32-bit caller and the kernel would show.  The 64-bit build runs the same
 * cases through the native entry points, so both must give the same
 * results (and the oracle boot checks them against 6.12).  When the
 * harness sets DMABUF_TEST_BITS, the first case checks that the program
 * really has that word size.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/utsname.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"

/* Where the high pages are tried, all with bit 31 set. */
#define HIGH_FIRST	0xa0000000UL
#define HIGH_STEP	0x01000000UL
#define HIGH_TRIES	64
#define HIGH_PAGES	4

/*
 * high_pages() - @n read-write anonymous pages at a fixed address in
 * [0xa0000000, 0xe0000000), never replacing a mapping. Returns the
 * address or NULL.
 */
static void *high_pages(size_t n)
{
	unsigned long addr = HIGH_FIRST;
	int i;

	for (i = 0; i < HIGH_TRIES; i++, addr += HIGH_STEP) {
		void *p = mmap((void *)addr, n * page_size(),
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS |
			       MAP_FIXED_NOREPLACE, -1, 0);

		if (p == (void *)addr)
			return p;
		if (p != MAP_FAILED)
			munmap(p, n * page_size());
	}
	return NULL;
}

/* ptr_u64() - a user pointer as a __u64 field wants it: zero-extended. */
static __u64 ptr_u64(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/*
 * ptr_u64_signext() - the same pointer as a buggy 32-bit caller (or a
 * kernel that treated the value as signed) would widen it. With bit 31
 * set this is an address no process can have mapped.
 */
static __u64 ptr_u64_signext(const void *p)
{
	return (__u64)(__s64)(__s32)(uintptr_t)p;
}

FIXTURE(compat) {
	char *high;	/* HIGH_PAGES pages at or above 0x80000000 */
	int tl;		/* a sw_sync timeline at 0 */
	int memfd;	/* 4 pages, sealed against shrinking */
	int buf;	/* a udmabuf over memfd */
};

FIXTURE_SETUP(compat)
{
	self->tl = -1;
	self->memfd = -1;
	self->buf = -1;
	self->high = high_pages(HIGH_PAGES);
	ASSERT_TRUE(!!self->high);
	ASSERT_LE(0x80000000UL, (unsigned long)(uintptr_t)self->high);
	self->tl = sw_timeline();
	ASSERT_LE(0, self->tl);
	self->buf = dmabuf_from_memfd(4 * page_size(), &self->memfd);
	ASSERT_LE(0, self->buf);
}

FIXTURE_TEARDOWN(compat)
{
	if (self->buf >= 0)
		close(self->buf);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->tl >= 0)
		close(self->tl);
	if (self->high)
		munmap(self->high, HIGH_PAGES * page_size());
}

/* hi() - byte @off of the high area, with its page zeroed first. */
static void *hi(struct _test_data_compat *self, size_t page, size_t off)
{
	char *p = self->high + page * page_size();

	memset(p, 0, page_size());
	return p + off;
}

/*
 * The program has the word size the harness built it with, and runs on
 * a 64-bit kernel: as a 32-bit program every request below takes the
 * compat path. DMA_BUF_SET_NAME is the request of that word size.
 */
TEST_F(compat, caller_word_size)
{
	const char *want = getenv("DMABUF_TEST_BITS");
	struct utsname u;

	ASSERT_EQ(0, uname(&u));
	/* A 64-bit kernel, which a 32-bit caller reaches through compat. */
	EXPECT_TRUE(!strcmp(u.machine, "x86_64") ||
		    !strcmp(u.machine, "aarch64"))
		TH_LOG("kernel machine %s", u.machine);
	if (want && *want)
		ASSERT_EQ(atoi(want), (int)(8 * sizeof(void *)));
	EXPECT_EQ(sizeof(void *) == 4 ? DMA_BUF_SET_NAME_A :
		  DMA_BUF_SET_NAME_B, DMA_BUF_SET_NAME);
	TH_LOG("%zu-bit caller, high area at %p", 8 * sizeof(void *),
	       self->high);
}

/* All three spellings of SET_NAME take a name stored at a high address. */
TEST_F(compat, set_name_variants)
{
	static const struct {
		unsigned long cmd;
		const char *name;
	} req[] = {
		{ DMA_BUF_SET_NAME, "compat-native" },
		{ DMA_BUF_SET_NAME_A, "compat-name-a" },
		{ DMA_BUF_SET_NAME_B, "compat-name-b" },
	};
	char got[64], *name;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(req); i++) {
		/* The string ends right at the end of its page. */
		name = hi(self, 0, page_size() - strlen(req[i].name) - 1);
		memcpy(name, req[i].name, strlen(req[i].name) + 1);
		EXPECT_EQ(0, buf_set_name(self->buf, req[i].cmd, name));
		ASSERT_EQ(0, fdinfo_field(self->buf, "name", got,
					  sizeof(got)));
		EXPECT_STREQ(req[i].name, got);
	}
	/* A high address with nothing mapped: EFAULT, name kept. */
	munmap(self->high + 3 * page_size(), page_size());
	EXPECT_EQ(-EFAULT, buf_set_name(self->buf, DMA_BUF_SET_NAME,
					self->high + 3 * page_size()));
	ASSERT_EQ(0, fdinfo_field(self->buf, "name", got, sizeof(got)));
	EXPECT_STREQ(req[ARRAY_SIZE(req) - 1].name, got);
}

/* DMA_BUF_IOCTL_SYNC with its struct at a high address. */
TEST_F(compat, buf_sync)
{
	struct dma_buf_sync *s = hi(self, 1, page_size() - sizeof(*s));

	s->flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
	EXPECT_EQ(0, ioctl(self->buf, DMA_BUF_IOCTL_SYNC, s));
	s->flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	EXPECT_EQ(0, ioctl(self->buf, DMA_BUF_IOCTL_SYNC, s));
	s->flags = DMA_BUF_SYNC_START;	/* neither read nor write */
	EXPECT_EQ(-1, ioctl(self->buf, DMA_BUF_IOCTL_SYNC, s));
	EXPECT_EQ(EINVAL, errno);
	s->flags = 1ULL << 32 | DMA_BUF_SYNC_RW;	/* upper half of the u64 */
	EXPECT_EQ(-1, ioctl(self->buf, DMA_BUF_IOCTL_SYNC, s));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * EXPORT_SYNC_FILE and IMPORT_SYNC_FILE with their structs at a high
 * address: a pending fence imported for writing is what a reader's
 * export then waits for.
 */
TEST_F(compat, export_import_sync_file)
{
	struct dma_buf_export_sync_file *ex = hi(self, 0, 0);
	struct dma_buf_import_sync_file *im = hi(self, 1, 0);
	int pt;

	ex->flags = DMA_BUF_SYNC_RW;
	ex->fd = -1;
	ASSERT_EQ(0, ioctl(self->buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, ex));
	ASSERT_LE(0, ex->fd);
	EXPECT_EQ(1, sync_status(ex->fd, NULL));
	close(ex->fd);

	pt = sw_point(self->tl, 1);
	ASSERT_LE(0, pt);
	im->flags = DMA_BUF_SYNC_WRITE;
	im->fd = pt;
	EXPECT_EQ(0, ioctl(self->buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, im));
	close(pt);

	ex->flags = DMA_BUF_SYNC_READ;
	ex->fd = -1;
	ASSERT_EQ(0, ioctl(self->buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, ex));
	ASSERT_LE(0, ex->fd);
	EXPECT_EQ(0, sync_status(ex->fd, NULL));
	ASSERT_EQ(0, sw_advance(self->tl, 1));
	EXPECT_EQ(1, sync_status(ex->fd, NULL));
	close(ex->fd);

	ex->flags = DMA_BUF_SYNC_RW | 0x10;
	EXPECT_EQ(-1, ioctl(self->buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, ex));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * sw_sync's CREATE_FENCE, INC and GET_DEADLINE, and sync_file's
 * SET_DEADLINE, each with its argument at a high address.
 */
TEST_F(compat, sw_sync_and_deadline)
{
	struct sw_sync_create_fence_data *cf = hi(self, 0, 0);
	struct sync_set_deadline *sd = hi(self, 1, 0);
	struct sw_sync_get_deadline *gd = hi(self, 2, 0);
	__u32 *inc = (__u32 *)(self->high + 3 * page_size() - sizeof(*inc));
	int fence;

	cf->value = 2;
	snprintf(cf->name, sizeof(cf->name), "compat-pt");
	cf->fence = -1;
	ASSERT_EQ(0, ioctl(self->tl, SW_SYNC_IOC_CREATE_FENCE, cf));
	fence = cf->fence;
	ASSERT_LE(0, fence);

	sd->deadline_ns = 0x123456789ULL;	/* needs both halves */
	EXPECT_EQ(0, ioctl(fence, SYNC_IOC_SET_DEADLINE, sd));
	gd->fence_fd = fence;
	ASSERT_EQ(0, ioctl(self->tl, SW_SYNC_GET_DEADLINE, gd));
	EXPECT_EQ(0x123456789ULL, gd->deadline_ns);

	*inc = 1;
	EXPECT_EQ(0, ioctl(self->tl, SW_SYNC_IOC_INC, inc));
	EXPECT_EQ(0, sync_status(fence, NULL));
	EXPECT_EQ(0, ioctl(self->tl, SW_SYNC_IOC_INC, inc));
	EXPECT_EQ(1, sync_status(fence, NULL));
	close(fence);
}

/*
 * MERGE and FILE_INFO with the structs and FILE_INFO's fence array at
 * high addresses; the array pointer is a __u64 the caller zero-extends.
 * Sign-extended, or with bits above 31 set, it points where a 32-bit
 * process has nothing: EFAULT, never a write to the truncated address.
 */
TEST_F(compat, merge_and_file_info)
{
	struct sync_merge_data *md = hi(self, 0, 0);
	struct sync_file_info *info = hi(self, 1, 0);
	struct sync_fence_info *fi = hi(self, 2, 0);
	int a, b, m;

	a = sw_point(self->tl, 1);
	b = sw_point(self->tl, 2);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	/* Two points of one timeline merge into the later one. */
	snprintf(md->name, sizeof(md->name), "compat-merge");
	md->fd2 = b;
	ASSERT_EQ(0, ioctl(a, SYNC_IOC_MERGE, md));
	m = md->fence;
	ASSERT_LE(0, m);

	ASSERT_EQ(0, ioctl(m, SYNC_IOC_FILE_INFO, info));
	EXPECT_STREQ("compat-merge", info->name);
	ASSERT_EQ(1U, info->num_fences);
	EXPECT_EQ(0, info->status);

	info->sync_fence_info = ptr_u64(fi);
	ASSERT_EQ(0, ioctl(m, SYNC_IOC_FILE_INFO, info));
	EXPECT_EQ(1U, info->num_fences);
	EXPECT_STREQ("sw_sync", fi[0].driver_name);
	EXPECT_EQ(0, fi[0].status);

	memset(fi, 0x5a, sizeof(*fi));
	info->sync_fence_info = ptr_u64_signext(fi);
	EXPECT_EQ(-1, ioctl(m, SYNC_IOC_FILE_INFO, info));
	EXPECT_EQ(EFAULT, errno);
	info->sync_fence_info = ptr_u64(fi) | 1ULL << 32;
	EXPECT_EQ(-1, ioctl(m, SYNC_IOC_FILE_INFO, info));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0x5a, ((unsigned char *)fi)[0]);

	ASSERT_EQ(0, sw_advance(self->tl, 2));
	info->num_fences = 1;
	info->sync_fence_info = ptr_u64(fi);
	ASSERT_EQ(0, ioctl(m, SYNC_IOC_FILE_INFO, info));
	EXPECT_EQ(1, info->status);
	EXPECT_EQ(1, fi[0].status);
	EXPECT_NE(0ULL, fi[0].timestamp_ns);
	close(m);
	close(b);
	close(a);
}

/* UDMABUF_CREATE and UDMABUF_CREATE_LIST with their structs high up. */
TEST_F(compat, udmabuf_create_and_list)
{
	struct udmabuf_create *c = hi(self, 0, 0);
	struct udmabuf_create_list *l = hi(self, 1, 0);
	size_t ps = page_size();
	int dev, fd;

	dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);

	c->memfd = self->memfd;
	c->flags = UDMABUF_FLAGS_CLOEXEC;
	c->offset = ps;
	c->size = 2 * ps;
	fd = ioctl(dev, UDMABUF_CREATE, c);
	ASSERT_LE(0, fd);
	EXPECT_EQ((off_t)(2 * ps), lseek(fd, 0, SEEK_END));
	close(fd);

	/* An offset only the upper half of the u64 makes too large. */
	c->offset = 1ULL << 32;
	EXPECT_EQ(-1, ioctl(dev, UDMABUF_CREATE, c));
	EXPECT_EQ(EINVAL, errno);

	l->flags = UDMABUF_FLAGS_CLOEXEC;
	l->count = 3;
	l->list[0] = (struct udmabuf_create_item){ self->memfd, 0, 0, ps };
	l->list[1] = (struct udmabuf_create_item){ self->memfd, 0, 3 * ps,
						   ps };
	l->list[2] = (struct udmabuf_create_item){ self->memfd, 0, ps,
						   2 * ps };
	fd = ioctl(dev, UDMABUF_CREATE_LIST, l);
	ASSERT_LE(0, fd);
	EXPECT_EQ((off_t)(4 * ps), lseek(fd, 0, SEEK_END));
	close(fd);

	l->list[1].size = 1ULL << 32 | ps;
	EXPECT_EQ(-1, ioctl(dev, UDMABUF_CREATE_LIST, l));
	EXPECT_EQ(EINVAL, errno);
	close(dev);
}

/* DMA_HEAP_IOCTL_ALLOC with its struct at a high address. */
TEST_F(compat, heap_alloc)
{
	struct dma_heap_allocation_data *d = hi(self, 2, 0);
	size_t ps = page_size();
	int heap;

	heap = open(SYSTEM_HEAP_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, heap);
	d->len = 3 * ps;
	d->fd_flags = O_RDWR | O_CLOEXEC;
	ASSERT_EQ(0, ioctl(heap, DMA_HEAP_IOCTL_ALLOC, d));
	ASSERT_LE(0, (int)d->fd);
	EXPECT_EQ((off_t)(3 * ps), lseek(d->fd, 0, SEEK_END));
	close(d->fd);

	d->fd = 0;
	d->heap_flags = 1ULL << 32;	/* no heap flag exists */
	EXPECT_EQ(-1, ioctl(heap, DMA_HEAP_IOCTL_ALLOC, d));
	EXPECT_EQ(EINVAL, errno);
	close(heap);
}

/*
 * A request number no file knows is refused the same way through either
 * entry point: -ENOTTY, except for a heap, which refuses every unknown
 * number with -EINVAL (as 6.12 does).
 */
TEST_F(compat, unknown_requests)
{
	__u64 *arg = hi(self, 0, 0);
	int pt, dev, heap;

	pt = sw_point(self->tl, 1);
	ASSERT_LE(0, pt);
	dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	heap = open(SYSTEM_HEAP_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, heap);

	EXPECT_EQ(-1, ioctl(self->buf, _IOW(DMA_BUF_BASE, 9, __u64), arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(pt, _IOWR(SYNC_IOC_MAGIC, 9, __u64), arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->tl, _IOW('W', 9, __u64), arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(dev, _IOW('u', 9, __u64), arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(heap, _IOWR(DMA_HEAP_IOC_MAGIC, 9, __u64), arg));
	EXPECT_EQ(EINVAL, errno);

	close(heap);
	close(dev);
	close(pt);
}

TEST_HARNESS_MAIN
