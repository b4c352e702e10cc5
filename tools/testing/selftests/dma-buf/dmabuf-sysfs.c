// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-sysfs: userspace checks of /sys/kernel/dmabuf/buffers, the
 * per-buffer statistics of CONFIG_DMABUF_SYSFS_STATS.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o dmabuf-sysfs <this file>
 *
 * Every case runs once per exporter we can reach from userspace: udmabuf
 * (pages of a sealed memfd) and the system dma-heap; a missing device
 * skips its variant. The ABI checked (Documentation/ABI/testing/
 * sysfs-kernel-dmabuf-buffers): a live buffer has a directory named after
 * the inode number of its file, holding the read-only files exporter_name
 * and size and nothing else; the directory goes away with the last
 * reference to the buffer (fd or mapping); creating and removing it sends
 * no uevent.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

#include "dmabuf-harness.h"

#define BUFFERS_DIR	"/sys/kernel/dmabuf/buffers"
#define SEQNUM_PATH	"/sys/kernel/uevent_seqnum"
#define UDMABUF_DEV	"/dev/udmabuf"
#define SYSTEM_HEAP_DEV	"/dev/dma_heap/system"

/*
 * Helpers that talk to the kernel. They report failure as a negative errno
 * and never assert, so the tests decide what an error means.
 */

/*
 * udmabuf_alloc() - a dma-buf of @size bytes backed by a fresh memfd.
 * @size must be a multiple of the page size. The memfd is closed again;
 * the buffer keeps its pages. Returns the dma-buf fd or -errno.
 */
static int udmabuf_alloc(size_t size)
{
	struct udmabuf_create create = { 0 };
	int dev, memfd, buf = -1, err = 0;

	dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	memfd = memfd_create("dmabuf-sysfs", MFD_ALLOW_SEALING);
	if (memfd < 0) {
		err = -errno;
		goto out_dev;
	}
	/* udmabuf insists that the memfd can no longer shrink. */
	if (ftruncate(memfd, size) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		err = -errno;
		goto out_memfd;
	}
	create.memfd = memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.offset = 0;
	create.size = size;
	buf = ioctl(dev, UDMABUF_CREATE, &create);
	if (buf < 0)
		err = -errno;
out_memfd:
	close(memfd);
out_dev:
	close(dev);
	return err ? err : buf;
}

/* system_heap_alloc() - a dma-buf of @size bytes from the system heap. */
static int system_heap_alloc(size_t size)
{
	struct dma_heap_allocation_data data = { 0 };
	int heap, ret;

	heap = open(SYSTEM_HEAP_DEV, O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return -errno;
	data.len = size;
	data.fd_flags = O_RDWR | O_CLOEXEC;
	ret = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data);
	ret = ret < 0 ? -errno : (int)data.fd;
	close(heap);
	return ret;
}

/* buf_ino() - the inode number of the file behind @fd, or 0 on error. */
static unsigned long buf_ino(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	return st.st_ino;
}

/* entry_path() - build "<BUFFERS_DIR>/<ino>[/<file>]" into @path. */
static void entry_path(char *path, size_t len, unsigned long ino,
		       const char *file)
{
	if (file)
		snprintf(path, len, BUFFERS_DIR "/%lu/%s", ino, file);
	else
		snprintf(path, len, BUFFERS_DIR "/%lu", ino);
}

/*
 * entry_state() - does the directory of inode @ino exist?
 * Returns 1 when it is a directory, 0 when it is absent (ENOENT), -errno
 * on any other outcome.
 */
static int entry_state(unsigned long ino)
{
	char path[128];
	struct stat st;

	entry_path(path, sizeof(path), ino, NULL);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return S_ISDIR(st.st_mode) ? 1 : -ENOTDIR;
}

/*
 * read_text() - read the whole of the small file @path into @buf (a C
 * string of at most @len - 1 bytes). Returns the length read or -errno.
 */
static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* read_attr() - read_text() of the file @attr of the entry of @ino. */
static int read_attr(unsigned long ino, const char *attr, char *buf,
		     size_t len)
{
	char path[128];

	entry_path(path, sizeof(path), ino, attr);
	return read_text(path, buf, len);
}

/* read_seqnum() - the kernel's uevent sequence number, or -1 on error. */
static long long read_seqnum(void)
{
	char text[32];

	if (read_text(SEQNUM_PATH, text, sizeof(text)) <= 0)
		return -1;
	return strtoll(text, NULL, 10);
}

/*
 * The test functions below come out of the harness's macros, and TEST()
 * leaves its variant argument unused; that is not about the code of this
 * file, whose helpers above get the full warnings.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"

TEST(buffers_directory)
{
	struct stat st;

	if (stat(BUFFERS_DIR, &st) < 0)
		SKIP(return, BUFFERS_DIR " missing (needs CONFIG_DMABUF_SYSFS_STATS=y)");
	ASSERT_TRUE(S_ISDIR(st.st_mode));
}

FIXTURE(exporter) {
	size_t page;
};

/* One variant per exporter: how to allocate and the name it reports. */
FIXTURE_VARIANT(exporter) {
	const char *dev;
	const char *name;
	int (*alloc)(size_t size);
};

FIXTURE_VARIANT_ADD(exporter, udmabuf) {
	.dev = UDMABUF_DEV,
	.name = "udmabuf",
	.alloc = udmabuf_alloc,
};

FIXTURE_VARIANT_ADD(exporter, system_heap) {
	.dev = SYSTEM_HEAP_DEV,
	.name = "system",
	.alloc = system_heap_alloc,
};

FIXTURE_SETUP(exporter)
{
	if (access(BUFFERS_DIR, F_OK) < 0)
		SKIP(return, BUFFERS_DIR " missing (needs CONFIG_DMABUF_SYSFS_STATS=y)");
	if (access(variant->dev, R_OK) < 0)
		SKIP(return, "%s missing", variant->dev);
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(exporter)
{
}

/* The two files report the exporter's name and the size in bytes. */
TEST_F(exporter, attributes)
{
	char text[64], want[64];
	unsigned long ino;
	int fd;

	fd = variant->alloc(3 * self->page);
	ASSERT_LE(0, fd) TH_LOG("allocation failed: %s", strerror(-fd));
	ino = buf_ino(fd);
	ASSERT_NE(0UL, ino);
	ASSERT_EQ(1, entry_state(ino));

	ASSERT_LT(0, read_attr(ino, "size", text, sizeof(text)));
	snprintf(want, sizeof(want), "%zu\n", 3 * self->page);
	EXPECT_STREQ(want, text);

	ASSERT_LT(0, read_attr(ino, "exporter_name", text, sizeof(text)));
	snprintf(want, sizeof(want), "%s\n", variant->name);
	EXPECT_STREQ(want, text);

	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(0, entry_state(ino));
}

/* The directory holds exactly the two files, and neither is writable. */
TEST_F(exporter, read_only_contents)
{
	static const char * const attrs[] = { "exporter_name", "size" };
	int fd, seen = 0, others = 0;
	char path[128];
	struct dirent *de;
	unsigned long ino;
	struct stat st;
	unsigned int i;
	DIR *dir;

	fd = variant->alloc(self->page);
	ASSERT_LE(0, fd) TH_LOG("allocation failed: %s", strerror(-fd));
	ino = buf_ino(fd);
	ASSERT_NE(0UL, ino);

	entry_path(path, sizeof(path), ino, NULL);
	dir = opendir(path);
	ASSERT_TRUE(!!dir);
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (i = 0; i < 2; i++)
			if (!strcmp(de->d_name, attrs[i]))
				break;
		if (i < 2) {
			seen |= 1 << i;
		} else {
			TH_LOG("unexpected entry %s", de->d_name);
			others++;
		}
	}
	closedir(dir);
	EXPECT_EQ(3, seen);
	EXPECT_EQ(0, others);

	for (i = 0; i < 2; i++) {
		entry_path(path, sizeof(path), ino, attrs[i]);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(0444U, st.st_mode & 07777);
		/* sysfs refuses writers of a file without store, even root. */
		EXPECT_EQ(-1, open(path, O_WRONLY | O_CLOEXEC));
		EXPECT_EQ(EACCES, errno);
	}
	ASSERT_EQ(0, close(fd));
}

/* The entry lives exactly as long as the last reference to the buffer. */
TEST_F(exporter, last_reference)
{
	unsigned long ino;
	int fd, dup_fd;
	void *map;

	fd = variant->alloc(2 * self->page);
	ASSERT_LE(0, fd) TH_LOG("allocation failed: %s", strerror(-fd));
	ino = buf_ino(fd);
	ASSERT_NE(0UL, ino);

	dup_fd = dup(fd);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(1, entry_state(ino)) TH_LOG("entry gone with a dup open");

	map = mmap(NULL, 2 * self->page, PROT_READ, MAP_SHARED, dup_fd, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	ASSERT_EQ(0, close(dup_fd));
	EXPECT_EQ(1, entry_state(ino)) TH_LOG("entry gone with a mapping");

	/* The final fput runs before munmap() returns to us. */
	ASSERT_EQ(0, munmap(map, 2 * self->page));
	EXPECT_EQ(0, entry_state(ino)) TH_LOG("entry left after last unmap");
}

/* Two buffers get two directories that each describe their own buffer. */
TEST_F(exporter, distinct_entries)
{
	unsigned long ino_a, ino_b;
	char text[64], want[64];
	int a, b;

	a = variant->alloc(self->page);
	ASSERT_LE(0, a) TH_LOG("allocation failed: %s", strerror(-a));
	b = variant->alloc(4 * self->page);
	ASSERT_LE(0, b) TH_LOG("allocation failed: %s", strerror(-b));
	ino_a = buf_ino(a);
	ino_b = buf_ino(b);
	ASSERT_NE(0UL, ino_a);
	ASSERT_NE(0UL, ino_b);
	ASSERT_NE(ino_a, ino_b);

	ASSERT_LT(0, read_attr(ino_a, "size", text, sizeof(text)));
	snprintf(want, sizeof(want), "%zu\n", self->page);
	EXPECT_STREQ(want, text);
	ASSERT_LT(0, read_attr(ino_b, "size", text, sizeof(text)));
	snprintf(want, sizeof(want), "%zu\n", 4 * self->page);
	EXPECT_STREQ(want, text);

	ASSERT_EQ(0, close(a));
	EXPECT_EQ(0, entry_state(ino_a));
	EXPECT_EQ(1, entry_state(ino_b));
	ASSERT_EQ(0, close(b));
	EXPECT_EQ(0, entry_state(ino_b));
}

/*
 * Creating and removing entries sends no uevent, so the kernel's uevent
 * sequence number stays put. Something unrelated may send one while we
 * look, so a few rounds are allowed; a kernel that announces every buffer
 * moves the number in each of them.
 */
TEST_F(exporter, no_uevents)
{
	long long before, after = -1;
	int round, i, fd;

	if (access(SEQNUM_PATH, R_OK) < 0)
		SKIP(return, SEQNUM_PATH " missing");

	for (round = 0; round < 3; round++) {
		before = read_seqnum();
		ASSERT_LE(0, before);
		for (i = 0; i < 4; i++) {
			fd = variant->alloc(self->page);
			ASSERT_LE(0, fd) TH_LOG("allocation failed: %s",
						strerror(-fd));
			ASSERT_EQ(0, close(fd));
		}
		after = read_seqnum();
		if (after == before)
			break;
	}
	EXPECT_EQ(before, after) TH_LOG("uevents sent for dma-buf entries");
}

#pragma GCC diagnostic pop

TEST_HARNESS_MAIN
