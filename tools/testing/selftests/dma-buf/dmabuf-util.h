/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the dma-buf uapi kselftests.
 *
 * Everything here talks to the kernel and reports failure as a negative
 * errno without asserting, so that each test decides what an error means.
 * Buffers come from udmabuf (a sealed memfd turned into a dma-buf) or from
 * the system dma-heap; fences come from the sw_sync debugfs file; DRM
 * devices are found by driver name.
 */
#ifndef DMABUF_UTIL_H
#define DMABUF_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/sync_file.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

#define UDMABUF_DEV	"/dev/udmabuf"
#define SYSTEM_HEAP_DEV	"/dev/dma_heap/system"
#define SW_SYNC_FILE	"/sys/kernel/debug/sync/sw_sync"
#define BUFINFO_FILE	"/sys/kernel/debug/dma_buf/bufinfo"
#define NO_SW_SYNC	SW_SYNC_FILE " missing (CONFIG_SW_SYNC, debugfs)"

/* sw_sync has no uapi header; its requests are declared here. */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, __u32)

/*
 * Its third request, as 6.12 numbers it: the earliest deadline set on a
 * fence of the timeline (deadline_ns and pad zero on input).
 */
struct sw_sync_get_deadline {
	__u64 deadline_ns;
	__u32 pad;
	__s32 fence_fd;
};

#define SW_SYNC_GET_DEADLINE _IOWR('W', 2, struct sw_sync_get_deadline)

/* Which exporter a test buffer comes from. */
enum dmabuf_source {
	SRC_UDMABUF,
	SRC_SYSTEM_HEAP,
};

/*
 * dmabuf_from_memfd() - a dma-buf of @size bytes over a fresh sealed memfd.
 * On success the memfd is stored in *@memfd (caller closes it) and the
 * close-on-exec dma-buf fd is returned; otherwise -errno and nothing is
 * left open.
 */
static inline int dmabuf_from_memfd(size_t size, int *memfd)
{
	struct udmabuf_create req;
	int dev, mfd, buf, err;

	dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	mfd = memfd_create("dmabuf-test", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0)
		goto fail_dev;
	if (ftruncate(mfd, size) ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK))
		goto fail_memfd;

	memset(&req, 0, sizeof(req));
	req.memfd = mfd;
	req.flags = UDMABUF_FLAGS_CLOEXEC;
	req.offset = 0;
	req.size = size;
	buf = ioctl(dev, UDMABUF_CREATE, &req);
	if (buf < 0)
		goto fail_memfd;
	close(dev);
	*memfd = mfd;
	return buf;

fail_memfd:
	err = errno;
	close(mfd);
	errno = err;
fail_dev:
	err = errno;
	close(dev);
	return -err;
}

/*
 * dmabuf_from_heap() - a dma-buf of @size bytes from the system heap.
 * Returns the close-on-exec fd or -errno.
 */
static inline int dmabuf_from_heap(size_t size)
{
	struct dma_heap_allocation_data req;
	int heap, err;

	heap = open(SYSTEM_HEAP_DEV, O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.len = size;
	req.fd_flags = O_RDWR | O_CLOEXEC;
	err = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &req) ? errno : 0;
	close(heap);

	return err ? -err : (int)req.fd;
}

/*
 * dmabuf_new() - a buffer of @size bytes from @src. For udmabuf the backing
 * memfd lands in *@memfd, for the heap *@memfd is set to -1.
 * Returns the dma-buf fd or -errno.
 */
static inline int dmabuf_new(enum dmabuf_source src, size_t size, int *memfd)
{
	*memfd = -1;
	if (src == SRC_UDMABUF)
		return dmabuf_from_memfd(size, memfd);
	return dmabuf_from_heap(size);
}

/* dmabuf_source_dev() - the device node @src allocates from. */
static inline const char *dmabuf_source_dev(enum dmabuf_source src)
{
	return src == SRC_UDMABUF ? UDMABUF_DEV : SYSTEM_HEAP_DEV;
}

/*
 * Open-descriptor bookkeeping. A snapshot records which descriptors below
 * FD_SNAP_MAX are open (plus how many above), so that a test can prove a
 * failed call left exactly the same set behind, not merely as many.
 */
#define FD_SNAP_MAX	1024

struct fd_snapshot {
	unsigned char open[FD_SNAP_MAX / 8];
	int above;
};

/*
 * fd_snapshot_take() - fill @snap from /proc/self/fd, leaving out the
 * directory stream's own descriptor. Returns 0 or -errno.
 */
static inline int fd_snapshot_take(struct fd_snapshot *snap)
{
	struct dirent *ent;
	int self, fd;
	DIR *dir;

	memset(snap, 0, sizeof(*snap));
	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	self = dirfd(dir);
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] == '.')
			continue;
		fd = atoi(ent->d_name);
		if (fd == self)
			continue;
		if (fd >= FD_SNAP_MAX)
			snap->above++;
		else
			snap->open[fd / 8] |= 1u << (fd % 8);
	}
	closedir(dir);
	return 0;
}

/*
 * fd_snapshot_diff() - compare the open descriptors now with @before.
 * Returns the lowest descriptor that differs, FD_SNAP_MAX when only the
 * count above the bitmap differs, -1 when the sets are equal, or -2 when
 * no new snapshot could be taken.
 */
static inline int fd_snapshot_diff(const struct fd_snapshot *before)
{
	struct fd_snapshot now;
	int fd;

	if (fd_snapshot_take(&now))
		return -2;
	for (fd = 0; fd < FD_SNAP_MAX; fd++)
		if ((now.open[fd / 8] ^ before->open[fd / 8]) & (1u << (fd % 8)))
			return fd;

	return now.above == before->above ? -1 : FD_SNAP_MAX;
}

/*
 * read_text() - read up to @len - 1 bytes of the file at @path into @buf
 * and terminate it. Returns the byte count or -errno.
 */
static inline int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/*
 * bufinfo_total() - the object count of the "Total N objects, M bytes"
 * line at the end of debugfs bufinfo. Returns N, or -errno when the file
 * cannot be read, or -EPROTO when the line is missing.
 */
static inline int bufinfo_total(void)
{
	const size_t len = 1 << 16;
	char *text, *line;
	int n, count, total = -EPROTO;

	text = malloc(len);
	if (!text)
		return -ENOMEM;
	n = read_text(BUFINFO_FILE, text, len);
	if (n < 0)
		total = n;
	for (line = text; n >= 0 && line; line = strchr(line, '\n')) {
		unsigned long bytes;

		while (*line == '\n')
			line++;
		if (sscanf(line, "Total %d objects, %lu bytes",
			   &count, &bytes) == 2) {
			total = count;
			break;
		}
	}
	free(text);
	return total;
}

/*
 * bufinfo_settles_at() - wait up to about two seconds for the bufinfo
 * object count to reach @want (a file whose last reference is dropped by a
 * fence callback may be released a little later). Returns the last count
 * read, or -errno.
 */
static inline int bufinfo_settles_at(int want)
{
	int i, n = -ENOENT;

	for (i = 0; i < 200; i++) {
		n = bufinfo_total();
		if (n < 0 || n == want)
			break;
		usleep(10000);
	}
	return n;
}

/*
 * fdinfo_field() - copy the value of line "@key:\t<value>" of
 * /proc/self/fdinfo/@fd into @val (size @len). Returns 0, -ENOENT when the
 * line is absent, or -errno when fdinfo cannot be read.
 */
static inline int fdinfo_field(int fd, const char *key, char *val, size_t len)
{
	char path[64], text[4096], *line, *end;
	size_t klen = strlen(key);
	int n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	n = read_text(path, text, sizeof(text));
	if (n < 0)
		return n;
	for (line = text; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		if (!strncmp(line, key, klen) && line[klen] == ':' &&
		    line[klen + 1] == '\t') {
			line += klen + 2;
			snprintf(val, len, "%.*s", (int)(end - line), line);
			return 0;
		}
		if (!*end)
			break;
	}
	return -ENOENT;
}

/* fdinfo_number() - fdinfo field @key as a number, or -errno. */
static inline long fdinfo_number(int fd, const char *key)
{
	char val[64];
	int ret;

	ret = fdinfo_field(fd, key, val, sizeof(val));
	return ret ? ret : strtol(val, NULL, 10);
}

/*
 * fd_link() - the text of /proc/self/fd/@fd into @buf (size @len).
 * Returns its length or -errno.
 */
static inline int fd_link(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/*
 * sw_timeline() - a new sw_sync timeline at value 0. Returns its fd or
 * -errno.
 */
static inline int sw_timeline(void)
{
	int fd = open(SW_SYNC_FILE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * sw_point() - a sync_file for point @value of @timeline; it signals once
 * the timeline reaches @value. Returns the fd or -errno.
 */
static inline int sw_point(int timeline, unsigned int value)
{
	struct sw_sync_create_fence_data req;

	memset(&req, 0, sizeof(req));
	req.value = value;
	snprintf(req.name, sizeof(req.name), "pt%u", value);
	if (ioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &req))
		return -errno;
	return req.fence;
}

/* sw_advance() - move @timeline on by @steps. Returns 0 or -errno. */
static inline int sw_advance(int timeline, unsigned int steps)
{
	__u32 arg = steps;

	return ioctl(timeline, SW_SYNC_IOC_INC, &arg) ? -errno : 0;
}

/*
 * sync_status() - SYNC_IOC_FILE_INFO status of sync_file @fd: 1 signalled,
 * 0 pending, negative for a fence error. With @nfences non-NULL the number
 * of fences is stored there. Returns the status, or -errno on failure
 * (distinguishable only by the caller knowing no fence error is expected).
 */
static inline int sync_status(int fd, unsigned int *nfences)
{
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	if (nfences)
		*nfences = info.num_fences;
	return info.status;
}

/* sync_merge() - merge sync_files @a and @b. Returns the new fd or -errno. */
static inline int sync_merge(int a, int b)
{
	struct sync_merge_data req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "merged");
	req.fd2 = b;
	if (ioctl(a, SYNC_IOC_MERGE, &req))
		return -errno;
	return req.fence;
}

/*
 * poll_events() - one poll() of @fd for @events, waiting up to @ms.
 * Returns revents (0 on timeout) or -errno.
 */
static inline int poll_events(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	ret = poll(&pfd, 1, ms);
	if (ret < 0)
		return -errno;
	return ret ? pfd.revents : 0;
}

/* buf_sync() - DMA_BUF_IOCTL_SYNC with @flags. Returns 0 or -errno. */
static inline int buf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync req = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &req) ? -errno : 0;
}

/*
 * buf_export() - DMA_BUF_IOCTL_EXPORT_SYNC_FILE with @flags.
 * Returns the new sync_file fd or -errno.
 */
static inline int buf_export(int fd, __u32 flags)
{
	struct dma_buf_export_sync_file req = { .flags = flags, .fd = -1 };

	return ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req) ? -errno : req.fd;
}

/*
 * buf_import() - DMA_BUF_IOCTL_IMPORT_SYNC_FILE of sync_file @sync_fd with
 * @flags. Returns 0 or -errno.
 */
static inline int buf_import(int fd, int sync_fd, __u32 flags)
{
	struct dma_buf_import_sync_file req = { .flags = flags, .fd = sync_fd };

	return ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &req) ? -errno : 0;
}

/* buf_set_name() - set the name through request @cmd. 0 or -errno. */
static inline int buf_set_name(int fd, unsigned long cmd, const char *name)
{
	return ioctl(fd, cmd, name) ? -errno : 0;
}

/*
 * Special user pointers. page_unmapped() reserves an address range and
 * gives it back, so nothing is mapped there afterwards (nothing else in a
 * single-threaded test maps memory in between). page_readonly() returns a
 * page holding a copy of @len bytes of @data that the process can read
 * but not write; release it with munmap(p, page_size()).
 */
static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline void *page_unmapped(void)
{
	void *p = mmap(NULL, page_size(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, page_size());
	return p;
}

static inline void *page_readonly(const void *data, size_t len)
{
	void *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, data, len);
	if (mprotect(p, page_size(), PROT_READ)) {
		munmap(p, page_size());
		return NULL;
	}
	return p;
}

/* elapsed_ms() - milliseconds of CLOCK_MONOTONIC since @start. */
static inline long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Open the DRM primary node whose driver is called @want, or -1. */
static inline int open_drm_driver(const char *want)
{
	char name[64], path[300];
	struct drm_version v;
	struct dirent *de;
	int fd = -1;
	DIR *dir;

	dir = opendir("/dev/dri");
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, want))
			break;
		close(fd);
		fd = -1;
	}
	closedir(dir);
	return fd;
}

#endif /* DMABUF_UTIL_H */
