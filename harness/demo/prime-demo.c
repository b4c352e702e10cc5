// SPDX-License-Identifier: GPL-2.0-only
/*
 * prime-demo: two real DRM drivers share one buffer, narrated for
 * `make run`.
 *
 * vgem allocates a dumb buffer and exports it through PRIME; the CPU
 * fills it through the dma-buf; vkms imports the same dma-buf (the
 * dma-buf core attaches and maps it for vkms's device) and puts a
 * framebuffer on it. vgem then attaches a write fence of its own to the
 * buffer's reservation object, which userspace sees through
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE and poll(); a software fence added with
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE keeps the buffer busy until userspace
 * signals it.
 *
 * Exit status: 0 when every step went as expected, 1 at the first
 * unexpected result (explained on stderr), 2 when vgem or vkms is missing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <drm/vgem_drm.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/types.h>

#define DEMO_PROG "prime-demo"
#include "demo.h"

#define WIDTH		128
#define HEIGHT		32
#define XRGB8888	0x34325258	/* fourcc 'XR24' */

/* ioctl() that must succeed; @what names the request in the message. */
static void must(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		fail("%s: %s", what, strerror(errno));
}

/* The /dev/dri/card* node driven by @driver, or exit(2). */
static int open_card(const char *driver)
{
	char path[300], name[32];
	struct drm_version v;
	struct dirent *de;
	DIR *dir;
	int fd;

	dir = opendir("/dev/dri");
	while (dir && (de = readdir(dir))) {
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
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, driver)) {
			printf("  %s drives %s\n", driver, path);
			closedir(dir);
			return fd;
		}
		close(fd);
	}
	if (dir)
		closedir(dir);
	fprintf(stderr, "prime-demo: no DRM card of %s\n", driver);
	exit(2);
}

/* poll() on the buffer right now, described in words; returns revents. */
static short show_poll(int buf)
{
	struct pollfd p = { .fd = buf, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		fail("poll: %s", strerror(errno));
	printf("    poll(): %s, %s\n",
	       p.revents & POLLIN ? "readable" : "not readable (writer busy)",
	       p.revents & POLLOUT ? "writable" : "not writable (fences busy)");
	return p.revents;
}

/* EXPORT_SYNC_FILE; prints what the new sync_file holds. */
static int export_fences(int buf, __u32 flags, unsigned int want)
{
	struct dma_buf_export_sync_file req = { .flags = flags, .fd = -1 };
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	unsigned int i;

	must(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req, "EXPORT_SYNC_FILE");
	memset(&info, 0, sizeof(info));
	memset(fi, 0, sizeof(fi));
	info.num_fences = 4;
	info.sync_fence_info = (__u64)(unsigned long)fi;
	must(req.fd, SYNC_IOC_FILE_INFO, &info, "SYNC_IOC_FILE_INFO");
	printf("    EXPORT_SYNC_FILE(%s) -> fd %d, %s, %u fence(s):",
	       flags == DMA_BUF_SYNC_READ ? "READ" : "WRITE", req.fd,
	       info.status ? "signalled" : "pending", info.num_fences);
	for (i = 0; i < info.num_fences && i < 4; i++)
		printf(" [%s]", fi[i].driver_name);
	printf("\n");
	if (info.num_fences != want)
		fail("expected %u fences in the export", want);
	return req.fd;
}

/* The bufinfo line of each device attached to a buffer, indented. */
static void show_attachments(void)
{
	char line[256];
	FILE *f = fopen(BUFINFO_PATH, "r");
	int n = 0, in_list = 0;

	if (!f)
		fail("%s: %s", BUFINFO_PATH, strerror(errno));
	/* Each device is a "\t<name>" line after "\tAttached Devices:". */
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "\tAttached Devices:\n")) {
			in_list = 1;
		} else if (in_list && line[0] == '\t') {
			printf("    bufinfo attachment:%s", line);
			n++;
		} else {
			in_list = 0;
		}
	}
	fclose(f);
	if (!n)
		printf("    bufinfo: no device attached to any buffer\n");
}

int main(void)
{
	struct drm_mode_create_dumb dumb = {
		.width = WIDTH, .height = HEIGHT, .bpp = 32,
	};
	struct drm_vgem_fence_attach vfence = { .flags = VGEM_FENCE_WRITE };
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	struct sw_sync_create_fence_data swf = {
		.value = 1, .name = "compositor",
	};
	struct dma_buf_sync sync = { 0 };
	struct drm_vgem_fence_signal sig = { 0 };
	struct drm_prime_handle ph = { 0 }, back = { 0 };
	struct drm_mode_fb_cmd2 fb = { 0 };
	struct drm_gem_close gc = { 0 };
	struct stat a, b;
	int vgem, vkms, buf, tl, rd, wr;
	unsigned char *cpu;
	__u32 one = 1;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("\n== PRIME: a vgem buffer shown by vkms, with implicit fences ==\n");
	vgem = open_card("vgem");
	vkms = open_card("vkms");

	must(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb, "vgem CREATE_DUMB");
	ph.handle = dumb.handle;
	ph.flags = DRM_CLOEXEC | DRM_RDWR;
	must(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph, "vgem HANDLE_TO_FD");
	buf = ph.fd;
	printf("  vgem exported a %ux%u dumb buffer (%llu bytes) as dma-buf fd %d\n",
	       WIDTH, HEIGHT, (unsigned long long)dumb.size, buf);

	cpu = mmap(NULL, dumb.size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	if (cpu == MAP_FAILED)
		fail("mmap of the dma-buf: %s", strerror(errno));
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
	must(buf, DMA_BUF_IOCTL_SYNC, &sync, "SYNC_START");
	for (i = 0; i < dumb.size; i += 4)
		*(__u32 *)(cpu + i) = 0x00ff8000 | (i / 4 % WIDTH);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	must(buf, DMA_BUF_IOCTL_SYNC, &sync, "SYNC_END");
	printf("  the CPU painted it through mmap() of the dma-buf, inside SYNC_START/END\n");

	ph.fd = buf;
	ph.handle = 0;
	must(vkms, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph, "vkms FD_TO_HANDLE");
	printf("  vkms imported fd %d as GEM handle %u; the dma-buf core attached vkms:\n",
	       buf, ph.handle);
	show_attachments();
	fb.width = WIDTH;
	fb.height = HEIGHT;
	fb.pixel_format = XRGB8888;
	fb.handles[0] = ph.handle;
	fb.pitches[0] = dumb.pitch;
	must(vkms, DRM_IOCTL_MODE_ADDFB2, &fb, "vkms ADDFB2");
	printf("  vkms made framebuffer %u on it\n", fb.fb_id);
	back.handle = ph.handle;
	back.flags = DRM_CLOEXEC;
	must(vkms, DRM_IOCTL_PRIME_HANDLE_TO_FD, &back, "vkms HANDLE_TO_FD");
	if (fstat(buf, &a) || fstat(back.fd, &b) || a.st_ino != b.st_ino)
		fail("vkms's export is not vgem's buffer");
	printf("  vkms's own export of the handle is the same dma-buf (inode %lu)\n",
	       (unsigned long)a.st_ino);
	close(back.fd);

	printf("\n  vgem attaches a write fence (a job still running on the buffer):\n");
	vfence.handle = dumb.handle;
	must(vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &vfence, "VGEM_FENCE_ATTACH");
	if (show_poll(buf) != 0)
		fail("poll must see the pending writer");
	rd = export_fences(buf, DMA_BUF_SYNC_READ, 1);

	printf("  userspace adds its own software fence as a writer (IMPORT_SYNC_FILE):\n");
	tl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	if (tl < 0)
		fail("%s: %s", SW_SYNC_PATH, strerror(errno));
	must(tl, SW_SYNC_IOC_CREATE_FENCE, &swf, "SW_SYNC_IOC_CREATE_FENCE");
	imp.fd = swf.fence;
	must(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp, "IMPORT_SYNC_FILE");
	close(swf.fence);
	wr = export_fences(buf, DMA_BUF_SYNC_READ, 2);

	printf("  vgem signals its fence:\n");
	sig.fence = vfence.out_fence;
	must(vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig, "VGEM_FENCE_SIGNAL");
	if (show_poll(buf) != 0)
		fail("the software writer must still keep the buffer busy");
	printf("  userspace signals the software fence:\n");
	must(tl, SW_SYNC_IOC_INC, &one, "SW_SYNC_IOC_INC");
	if (show_poll(buf) != (POLLIN | POLLOUT))
		fail("the buffer must be idle now");
	close(rd);
	close(wr);
	close(tl);

	must(vkms, DRM_IOCTL_MODE_RMFB, &fb.fb_id, "vkms RMFB");
	gc.handle = ph.handle;
	must(vkms, DRM_IOCTL_GEM_CLOSE, &gc, "vkms GEM_CLOSE");
	printf("  vkms let go of the buffer:\n");
	show_attachments();
	munmap(cpu, dumb.size);
	gc.handle = dumb.handle;
	must(vgem, DRM_IOCTL_GEM_CLOSE, &gc, "vgem GEM_CLOSE");
	close(buf);
	close(vkms);
	close(vgem);
	printf("  all handles and descriptors closed\n");
	return 0;
}
