// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-trace: the dma_buf trace events (mainline's, Linux 7.0) as a
 * user of tracefs sees them.  Each case enables events/dma_buf/ in a
 * tracing instance of its own, limited to this process, does what fires
 * them from userspace (a heap or udmabuf allocation: export and fd; mmap()
 * of the descriptor: mmap_internal; a PRIME import into vgem and the
 * release of the GEM object: get, dynamic_attach, puts, detach) and
 * checks the lines the instance's trace file shows for the buffer's inode.
 *
 * 6.12 has no dma_buf events: every case fails there, and is marked so.
 * Needs tracefs (CONFIG_FTRACE), the system heap, udmabuf and vgem.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm/drm.h>
#include <linux/dma-buf.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"

/* Where tracefs may be, in the order tried. */
static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

/* A trace file holds a few lines per case; a page of slack is plenty. */
#define TRACE_TEXT_LEN	(256 * 1024)

/* Write @text to @dir/@file; 0 or -errno. */
static int write_file(const char *dir, const char *file, const char *text)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

/* Is @path a directory? */
static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Does @dir hold a mounted tracefs? */
static int tracefs_at(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/instances", dir);
	return is_dir(path);
}

/*
 * The directory tracefs is mounted on, into @buf; mounts it on
 * /sys/kernel/tracing when it is nowhere yet.  0 or -ENOENT.
 */
static int find_tracefs(char *buf, size_t len)
{
	unsigned int i;

	if (!tracefs_at(tracefs_dirs[0]) && is_dir(tracefs_dirs[0]))
		mount("nodev", tracefs_dirs[0], "tracefs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(tracefs_dirs); i++) {
		if (tracefs_at(tracefs_dirs[i])) {
			snprintf(buf, len, "%s", tracefs_dirs[i]);
			return 0;
		}
	}
	return -ENOENT;
}

/* The inode number of descriptor @fd, which the events call ino. */
static unsigned long fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

FIXTURE(trace) {
	char tracefs[256];
	char inst[512];
	int have_inst;
	char *text;
};

FIXTURE_SETUP(trace)
{
	char name[64];

	self->have_inst = 0;
	self->text = calloc(1, TRACE_TEXT_LEN);
	ASSERT_TRUE(!!self->text);
	if (find_tracefs(self->tracefs, sizeof(self->tracefs)))
		SKIP(return, "no tracefs (CONFIG_FTRACE)");
	snprintf(name, sizeof(name), "dmabuf-trace-%d", getpid());
	snprintf(self->inst, sizeof(self->inst), "%s/instances/%s",
		 self->tracefs, name);
	ASSERT_EQ(0, mkdir(self->inst, 0755)) {
		TH_LOG("mkdir %s: %s", self->inst, strerror(errno));
	}
	self->have_inst = 1;
}

FIXTURE_TEARDOWN(trace)
{
	if (self->have_inst) {
		write_file(self->inst, "events/dma_buf/enable", "0");
		EXPECT_EQ(0, rmdir(self->inst));
	}
	free(self->text);
}

/*
 * Enable every dma_buf event of the instance for this process only.
 * Fails the case where the kernel has no such events (6.12).
 */
static int trace_on(struct __test_metadata *_metadata, const char *inst)
{
	char path[600], filter[64];

	snprintf(path, sizeof(path), "%s/events/dma_buf", inst);
	if (!is_dir(path)) {
		TH_LOG("%s missing: the kernel has no dma_buf events", path);
		return -1;
	}
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	if (write_file(inst, "events/dma_buf/filter", filter) ||
	    write_file(inst, "events/dma_buf/enable", "1")) {
		TH_LOG("cannot enable %s", path);
		return -1;
	}
	return 0;
}

/* Read the trace file of instance @inst into @text. */
static int trace_read(const char *inst, char *text)
{
	char path[600];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < TRACE_TEXT_LEN - 1 &&
	       (n = read(fd, text + len, TRACE_TEXT_LEN - 1 - len)) > 0)
		len += n;
	text[len] = '\0';
	close(fd);
	return 0;
}

/*
 * The events of inode @ino in the trace, in order, as "event args" lines
 * of @out: "export exp_name=system size=4096", "fd fd=5", ... (the ino
 * field dropped, the attachment pointer too).  Returns the count.
 */
static int events_of(const char *text, unsigned long ino, char *out,
		     size_t len)
{
	char want[40], line[512], *ev, *args, *p;
	const char *cur = text, *nl;
	size_t used = 0, n;
	int count = 0;

	snprintf(want, sizeof(want), " ino=%lu", ino);
	out[0] = '\0';
	for (; *cur; cur = nl + 1) {
		nl = strchr(cur, '\n');
		if (!nl)
			nl = cur + strlen(cur);
		n = nl - cur < (long)sizeof(line) - 1 ? (size_t)(nl - cur) :
			sizeof(line) - 1;
		memcpy(line, cur, n);
		line[n] = '\0';
		if (line[0] == '#')
			goto next;
		ev = strstr(line, " dma_buf_");
		p = strstr(line, want);
		/* The inode must be followed by the end or a space. */
		if (!ev || !p || (p[strlen(want)] && p[strlen(want)] != ' '))
			goto next;
		ev += strlen(" dma_buf_");
		args = strstr(ev, ": ");
		if (!args)
			goto next;
		*args = '\0';
		args += 2;
		/* Drop " ino=N" and the attachment pointer. */
		memmove(p, p + strlen(want), strlen(p + strlen(want)) + 1);
		p = strstr(args, " attachment:");
		if (p) {
			char *end = strchr(p + 1, ' ');

			memmove(p, end ? end : p + strlen(p),
				strlen(end ? end : p + strlen(p)) + 1);
		}
		used += snprintf(out + used, used < len ? len - used : 0,
				 "%s %s\n", ev, args);
		count++;
next:
		if (!*nl)
			break;
	}
	return count;
}

/* Expect exactly @want (lines "event args") for @ino in the trace. */
static void expect_trace(struct __test_metadata *_metadata,
			 const char *inst, char *text, unsigned long ino,
			 const char *want)
{
	static char got[8192];

	ASSERT_EQ(0, trace_read(inst, text));
	events_of(text, ino, got, sizeof(got));
	EXPECT_STREQ(want, got) {
		TH_LOG("trace of ino %lu:\n%s", ino, text);
	}
}

TEST_F(trace, heap_alloc_and_mmap_are_traced)
{
	char want[512];
	unsigned long ino;
	size_t size = 2 * getpagesize();
	void *p;
	int fd;

	DIFFERS_FROM_612("dma-buf-tracepoints");
	ASSERT_EQ(0, trace_on(_metadata, self->inst));
	if (access(SYSTEM_HEAP_DEV, R_OK))
		SKIP(return, SYSTEM_HEAP_DEV " missing");

	fd = dmabuf_from_heap(size);
	ASSERT_LE(0, fd);
	ino = fd_ino(fd);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	if (p != MAP_FAILED)
		munmap(p, size);
	close(fd);

	snprintf(want, sizeof(want),
		 "export exp_name=system size=%zu\n"
		 "fd exp_name=system size=%zu fd=%d\n"
		 "mmap_internal exp_name=system size=%zu\n",
		 size, size, fd, size);
	expect_trace(_metadata, self->inst, self->text, ino, want);
}

TEST_F(trace, udmabuf_create_is_traced)
{
	size_t size = getpagesize();
	char want[512];
	unsigned long ino;
	int fd, memfd;

	DIFFERS_FROM_612("dma-buf-tracepoints");
	ASSERT_EQ(0, trace_on(_metadata, self->inst));
	if (access(UDMABUF_DEV, R_OK))
		SKIP(return, UDMABUF_DEV " missing");

	fd = dmabuf_from_memfd(size, &memfd);
	ASSERT_LE(0, fd);
	ino = fd_ino(fd);
	close(fd);
	close(memfd);

	snprintf(want, sizeof(want),
		 "export exp_name=udmabuf size=%zu\n"
		 "fd exp_name=udmabuf size=%zu fd=%d\n", size, size, fd);
	expect_trace(_metadata, self->inst, self->text, ino, want);
}

TEST_F(trace, prime_import_and_release_are_traced)
{
	struct drm_prime_handle ph = { 0 };
	struct drm_gem_close gc = { 0 };
	size_t size = getpagesize();
	unsigned long ino;
	char want[1024];
	int drm, fd;

	DIFFERS_FROM_612("dma-buf-tracepoints");
	ASSERT_EQ(0, trace_on(_metadata, self->inst));
	drm = open_drm_driver("vgem");
	if (drm < 0 || access(SYSTEM_HEAP_DEV, R_OK)) {
		if (drm >= 0)
			close(drm);
		SKIP(return, "needs vgem (CONFIG_DRM_VGEM) and the system heap");
	}

	fd = dmabuf_from_heap(size);
	ASSERT_LE(0, fd);
	ino = fd_ino(fd);

	/*
	 * The import: dma_buf_get() of the descriptor, the attachment of
	 * vgem's device, then the put of dma_buf_get()'s reference (the
	 * GEM object and PRIME's handle cache keep references of their
	 * own, taken with get_dma_buf(), which fires nothing).
	 */
	ph.fd = fd;
	EXPECT_EQ(0, ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph));
	/*
	 * Closing the last handle drops the handle cache's reference and
	 * the one the object keeps for its handles; then the object's
	 * release detaches and drops the attachment's.
	 */
	gc.handle = ph.handle;
	EXPECT_EQ(0, ioctl(drm, DRM_IOCTL_GEM_CLOSE, &gc));
	close(drm);
	close(fd);

	snprintf(want, sizeof(want),
		 "export exp_name=system size=%zu\n"
		 "fd exp_name=system size=%zu fd=%d\n"
		 "get exp_name=system size=%zu fd=%d\n"
		 "dynamic_attach exp_name=system size=%zu is_dynamic=0 dev_name=vgem\n"
		 "put exp_name=system size=%zu\n"
		 "put exp_name=system size=%zu\n"
		 "put exp_name=system size=%zu\n"
		 "detach exp_name=system size=%zu is_dynamic=0 dev_name=vgem\n"
		 "put exp_name=system size=%zu\n",
		 size, size, fd, size, fd, size, size, size, size, size, size);
	expect_trace(_metadata, self->inst, self->text, ino, want);
}

TEST_HARNESS_MAIN
