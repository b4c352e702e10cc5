// SPDX-License-Identifier: GPL-2.0-only
/*
 * prime-vgem: a dma-buf exported by one in-tree DRM driver (vgem) and
 * imported by another (vkms) through PRIME, with the exporter's own fences
 * seen through DMA_BUF_IOCTL_EXPORT_SYNC_FILE and userspace fences added
 * with DMA_BUF_IOCTL_IMPORT_SYNC_FILE.
 *
 * Needs CONFIG_DRM_VGEM, CONFIG_DRM_VKMS and CONFIG_SW_SYNC (debugfs).
 */
#define _GNU_SOURCE
/* DRM's mmap offsets lie above 4 GiB: a 32-bit build needs a 64-bit off_t. */
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
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

#include "dmabuf-util.h"

#include "dmabuf-harness.h"

#define BO_WIDTH	256
#define BO_HEIGHT	64
#define BO_BPP		32

/* A dumb buffer on @drm; returns 0 and fills handle/size/pitch. */
static int create_dumb(int drm, __u32 *handle, __u64 *size, __u32 *pitch)
{
	struct drm_mode_create_dumb req = {
		.width = BO_WIDTH, .height = BO_HEIGHT, .bpp = BO_BPP,
	};

	if (ioctl(drm, DRM_IOCTL_MODE_CREATE_DUMB, &req))
		return -errno;
	*handle = req.handle;
	*size = req.size;
	*pitch = req.pitch;
	return 0;
}

/* Map GEM @handle of @drm through its dumb-buffer mmap offset. */
static void *map_dumb(int drm, __u32 handle, size_t size)
{
	struct drm_mode_map_dumb req = { .handle = handle };
	void *p;

	if (ioctl(drm, DRM_IOCTL_MODE_MAP_DUMB, &req))
		return MAP_FAILED;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, drm,
		 req.offset);
	return p;
}

static int gem_close(int drm, __u32 handle)
{
	struct drm_gem_close req = { .handle = handle };

	return ioctl(drm, DRM_IOCTL_GEM_CLOSE, &req) ? -errno : 0;
}

/* The driver name of the first fence of sync_file @fd, into @buf. */
static int first_fence_driver(int fd, char *buf, size_t len)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	memset(fi, 0, sizeof(fi));
	info.num_fences = 4;
	info.sync_fence_info = (__u64)(unsigned long)fi;
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	if (!info.num_fences)
		return -ENOENT;
	snprintf(buf, len, "%s", fi[0].driver_name);
	return 0;
}

/*
 * Make a BO_WIDTH x BO_HEIGHT XRGB8888 framebuffer of @handle on DRM
 * device @drm and remove it again: 0, or -errno of the failing ioctl.
 */
static int framebuffer_on(int drm, __u32 handle, __u32 pitch)
{
	struct drm_mode_fb_cmd2 fb;

	memset(&fb, 0, sizeof(fb));
	fb.width = BO_WIDTH;
	fb.height = BO_HEIGHT;
	fb.pixel_format = 0x34325258;	/* DRM_FORMAT_XRGB8888 */
	fb.handles[0] = handle;
	fb.pitches[0] = pitch;
	if (ioctl(drm, DRM_IOCTL_MODE_ADDFB2, &fb))
		return -errno;
	return ioctl(drm, DRM_IOCTL_MODE_RMFB, &fb.fb_id) ? -errno : 0;
}

/*
 * The first CRTC of @drm, its first connector and that connector's
 * smallest mode: 0, or -errno of the failing ioctl (-ENOENT when the
 * device has no CRTC, connector or mode).
 */
static int first_output(int drm, __u32 *crtc, __u32 *connector,
			struct drm_mode_modeinfo *mode)
{
	struct drm_mode_modeinfo modes[64];
	struct drm_mode_get_connector gc;
	struct drm_mode_card_res res;
	__u32 crtcs[8], conns[8];
	unsigned int i, best;

	memset(&res, 0, sizeof(res));
	if (ioctl(drm, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return -errno;
	if (!res.count_crtcs || !res.count_connectors)
		return -ENOENT;
	res.count_crtcs = res.count_crtcs < 8 ? res.count_crtcs : 8;
	res.count_connectors = res.count_connectors < 8 ?
			       res.count_connectors : 8;
	res.count_fbs = 0;
	res.count_encoders = 0;
	res.crtc_id_ptr = (__u64)(unsigned long)crtcs;
	res.connector_id_ptr = (__u64)(unsigned long)conns;
	if (ioctl(drm, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return -errno;

	/*
	 * DRM probes the connector's modes only for a request that asks for
	 * none (count_modes 0), as libdrm's first call does; without fbdev
	 * emulation (the arm64 guest) nothing else has probed them.
	 */
	memset(&gc, 0, sizeof(gc));
	gc.connector_id = conns[0];
	if (ioctl(drm, DRM_IOCTL_MODE_GETCONNECTOR, &gc))
		return -errno;
	memset(&gc, 0, sizeof(gc));
	gc.connector_id = conns[0];
	gc.count_modes = 64;
	gc.modes_ptr = (__u64)(unsigned long)modes;
	if (ioctl(drm, DRM_IOCTL_MODE_GETCONNECTOR, &gc))
		return -errno;
	if (!gc.count_modes)
		return -ENOENT;
	best = 0;
	for (i = 1; i < gc.count_modes && i < 64; i++)
		if ((__u32)modes[i].hdisplay * modes[i].vdisplay <
		    (__u32)modes[best].hdisplay * modes[best].vdisplay)
			best = i;
	*crtc = crtcs[0];
	*connector = conns[0];
	*mode = modes[best];
	return 0;
}

FIXTURE(prime) {
	int vgem, vkms;
	__u32 handle;
	__u64 size;
	__u32 pitch;
	int buf;
	struct fd_snapshot fds;
	int objects;
};

FIXTURE_SETUP(prime)
{
	struct drm_prime_handle ph;

	self->vgem = -1;
	self->vkms = -1;
	self->buf = -1;
	ASSERT_EQ(0, fd_snapshot_take(&self->fds));
	self->objects = bufinfo_total();
	self->vgem = open_drm_driver("vgem");
	self->vkms = open_drm_driver("vkms");
	if (self->vgem < 0 || self->vkms < 0)
		SKIP(return, "needs vgem and vkms (CONFIG_DRM_VGEM, CONFIG_DRM_VKMS)");

	ASSERT_EQ(0, create_dumb(self->vgem, &self->handle, &self->size,
				 &self->pitch));
	memset(&ph, 0, sizeof(ph));
	ph.handle = self->handle;
	ph.flags = DRM_CLOEXEC | DRM_RDWR;
	ASSERT_EQ(0, ioctl(self->vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph));
	self->buf = ph.fd;
}

FIXTURE_TEARDOWN(prime)
{
	if (self->buf >= 0)
		close(self->buf);
	if (self->vgem >= 0)
		close(self->vgem);
	if (self->vkms >= 0)
		close(self->vkms);
	EXPECT_EQ(-1, fd_snapshot_diff(&self->fds));
	if (self->objects >= 0)
		EXPECT_EQ(self->objects, bufinfo_settles_at(self->objects));
}

/*
 * Does debugfs bufinfo list a device named @dev as attached?  6.12's
 * format: after each buffer, "\tAttached Devices:\n", then one
 * "\t<device name>\n" line per attachment, then "Total N devices
 * attached".
 */
static int bufinfo_lists_device(const char *dev)
{
	static const char head[] = "\tAttached Devices:\n";
	const size_t len = 1 << 16;
	size_t dlen = strlen(dev);
	char *text, *p;
	int n, found = 0;

	text = malloc(len);
	if (!text)
		return -ENOMEM;
	n = read_text(BUFINFO_FILE, text, len);
	if (n < 0) {
		free(text);
		return n;
	}
	for (p = strstr(text, head); p && !found; p = strstr(p, head)) {
		p += sizeof(head) - 1;
		while (*p == '\t' && !found) {
			found = !strncmp(p + 1, dev, dlen) && p[1 + dlen] == '\n';
			p = strchr(p, '\n');
			if (!p)
				break;
			p++;
		}
		if (!p)
			break;
	}
	free(text);
	return found;
}

/*
 * vgem's buffer: the CPU writes it through the dma-buf and vgem's own
 * mapping sees the data; vkms imports it through PRIME (a static
 * attachment in the dma-buf core, visible in bufinfo), builds a
 * framebuffer on it, and exporting vkms's handle gives back the very same
 * dma-buf.
 */
TEST_F(prime, vkms_imports_vgem_buffer)
{
	struct drm_prime_handle ph;
	unsigned char *src, *dst;
	struct stat a, b;
	char exp_name[64];
	size_t i;

	/* drm_gem_prime_export() exports on behalf of the drm core. */
	ASSERT_EQ(0, fdinfo_field(self->buf, "exp_name", exp_name,
				  sizeof(exp_name)));
	EXPECT_STREQ("drm", exp_name);

	src = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->buf, 0);
	ASSERT_TRUE(src != MAP_FAILED);
	ASSERT_EQ(0, buf_sync(self->buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	for (i = 0; i < self->size; i++)
		src[i] = (unsigned char)(i * 7 + 3);
	ASSERT_EQ(0, buf_sync(self->buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

	dst = map_dumb(self->vgem, self->handle, self->size);
	ASSERT_TRUE(dst != MAP_FAILED);
	for (i = 0; i < self->size; i++)
		if (dst[i] != (unsigned char)(i * 7 + 3))
			break;
	EXPECT_EQ(self->size, i);
	dst[17] = 0x5a;
	EXPECT_EQ(0x5a, src[17]);
	munmap(dst, self->size);
	munmap(src, self->size);

	/* vkms attaches and maps it through the dma-buf core. */
	EXPECT_EQ(0, bufinfo_lists_device("vkms"));
	memset(&ph, 0, sizeof(ph));
	ph.fd = self->buf;
	ASSERT_EQ(0, ioctl(self->vkms, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph));
	ASSERT_NE(0U, ph.handle);
	EXPECT_EQ(1, bufinfo_lists_device("vkms"));

	ASSERT_EQ(0, framebuffer_on(self->vkms, ph.handle, self->pitch));

	/* Re-exporting the import yields the original buffer. */
	ph.flags = DRM_CLOEXEC;
	ph.fd = -1;
	ASSERT_EQ(0, ioctl(self->vkms, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph));
	ASSERT_EQ(0, fstat(self->buf, &a));
	ASSERT_EQ(0, fstat(ph.fd, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	close(ph.fd);

	/* Closing vkms's handle detaches it. */
	EXPECT_EQ(0, gem_close(self->vkms, ph.handle));
	EXPECT_EQ(0, bufinfo_lists_device("vkms"));
	EXPECT_EQ(0, gem_close(self->vgem, self->handle));
}

/* vgem's own fences on the buffer, seen through EXPORT_SYNC_FILE. */
TEST_F(prime, vgem_fence_exported_as_sync_file)
{
	struct drm_vgem_fence_attach attach = {
		.handle = self->handle, .flags = VGEM_FENCE_WRITE,
	};
	struct drm_vgem_fence_signal sig = { 0 };
	char driver[32];
	unsigned int n;
	int rd, wr;

	ASSERT_EQ(POLLIN | POLLOUT, poll_events(self->buf, POLLIN | POLLOUT, 0));
	ASSERT_EQ(0, ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach));

	/* A pending writer: neither readable nor writable. */
	EXPECT_EQ(0, poll_events(self->buf, POLLIN | POLLOUT, 0));
	rd = buf_export(self->buf, DMA_BUF_SYNC_READ);
	ASSERT_LE(0, rd);
	wr = buf_export(self->buf, DMA_BUF_SYNC_WRITE);
	ASSERT_LE(0, wr);
	EXPECT_EQ(0, sync_status(rd, &n));
	EXPECT_EQ(1U, n);
	ASSERT_EQ(0, first_fence_driver(rd, driver, sizeof(driver)));
	EXPECT_STREQ("vgem", driver);
	EXPECT_EQ(0, sync_status(wr, NULL));

	sig.fence = attach.out_fence;
	ASSERT_EQ(0, ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig));
	EXPECT_EQ(1, sync_status(rd, NULL));
	EXPECT_EQ(1, sync_status(wr, NULL));
	EXPECT_EQ(POLLIN | POLLOUT, poll_events(self->buf, POLLIN | POLLOUT, 0));

	close(rd);
	close(wr);
	EXPECT_EQ(0, gem_close(self->vgem, self->handle));
}

/*
 * A userspace fence imported as a reader next to a reader fence of vgem:
 * both show up in an export for writing, readers are never blocked, and
 * the buffer is idle only once both have signalled. (vgem refuses a
 * writer fence while a reader is pending, as implicit sync demands.)
 */
TEST_F(prime, imported_reader_and_vgem_reader)
{
	struct drm_vgem_fence_attach attach = {
		.handle = self->handle, .flags = 0,
	};
	struct drm_vgem_fence_attach writer = {
		.handle = self->handle, .flags = VGEM_FENCE_WRITE,
	};
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_READ };
	struct drm_vgem_fence_signal sig = { 0 };
	unsigned int n;
	int tl, f, all;

	tl = sw_timeline();
	if (tl < 0)
		SKIP(goto out, NO_SW_SYNC);
	f = sw_point(tl, 1);
	ASSERT_LE(0, f);
	imp.fd = f;
	ASSERT_EQ(0, ioctl(self->buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp));
	close(f);
	/* A pending reader blocks writers only. */
	EXPECT_EQ(POLLIN, poll_events(self->buf, POLLIN | POLLOUT, 0));

	EXPECT_EQ(-1, ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &writer));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach));
	all = buf_export(self->buf, DMA_BUF_SYNC_WRITE);
	ASSERT_LE(0, all);
	EXPECT_EQ(0, sync_status(all, &n));
	EXPECT_EQ(2U, n);

	sig.fence = attach.out_fence;
	ASSERT_EQ(0, ioctl(self->vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig));
	EXPECT_EQ(0, sync_status(all, NULL));
	EXPECT_EQ(POLLIN, poll_events(self->buf, POLLIN | POLLOUT, 0));

	ASSERT_EQ(0, sw_advance(tl, 1));
	EXPECT_EQ(1, sync_status(all, NULL));
	EXPECT_EQ(POLLIN | POLLOUT, poll_events(self->buf, POLLIN | POLLOUT, 0));
	close(all);
	close(tl);
out:
	EXPECT_EQ(0, gem_close(self->vgem, self->handle));
}

/*
 * A udmabuf imported by vkms: the other exporter of ours that a DRM driver
 * attaches and maps (udmabuf's map_dma_buf and unmap_dma_buf), listed in
 * bufinfo while imported, detached when vkms's handle is closed.
 */
TEST_F(prime, vkms_imports_udmabuf)
{
	const size_t size = BO_WIDTH * BO_HEIGHT * (BO_BPP / 8);
	struct drm_prime_handle ph;
	int buf, memfd = -1;

	buf = dmabuf_from_memfd(size, &memfd);
	if (buf == -ENOENT)
		SKIP(return, "needs /dev/udmabuf (CONFIG_UDMABUF)");
	ASSERT_LE(0, buf);

	EXPECT_EQ(0, bufinfo_lists_device("vkms"));
	memset(&ph, 0, sizeof(ph));
	ph.fd = buf;
	ASSERT_EQ(0, ioctl(self->vkms, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph));
	ASSERT_NE(0U, ph.handle);
	EXPECT_EQ(1, bufinfo_lists_device("vkms"));

	ASSERT_EQ(0, framebuffer_on(self->vkms, ph.handle,
				    BO_WIDTH * (BO_BPP / 8)));

	EXPECT_EQ(0, gem_close(self->vkms, ph.handle));
	EXPECT_EQ(0, bufinfo_lists_device("vkms"));
	close(buf);
	close(memfd);
	EXPECT_EQ(0, gem_close(self->vgem, self->handle));
}

/*
 * vkms scans out a udmabuf: enabling the CRTC on a framebuffer of the
 * imported buffer makes vkms vmap it to compose (udmabuf's vmap), and
 * turning the CRTC off again vunmaps it.
 */
TEST_F(prime, vkms_scans_out_udmabuf)
{
	struct drm_mode_modeinfo mode;
	struct drm_prime_handle ph;
	struct drm_mode_fb_cmd2 fb;
	struct drm_mode_crtc set;
	__u32 crtc, connector;
	int buf, memfd = -1;
	size_t size;

	ASSERT_EQ(0, first_output(self->vkms, &crtc, &connector, &mode));
	size = (size_t)mode.hdisplay * mode.vdisplay * 4;
	size = (size + 4095) & ~(size_t)4095;
	buf = dmabuf_from_memfd(size, &memfd);
	if (buf == -ENOENT)
		SKIP(return, "needs /dev/udmabuf (CONFIG_UDMABUF)");
	ASSERT_LE(0, buf);

	memset(&ph, 0, sizeof(ph));
	ph.fd = buf;
	ASSERT_EQ(0, ioctl(self->vkms, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph));
	memset(&fb, 0, sizeof(fb));
	fb.width = mode.hdisplay;
	fb.height = mode.vdisplay;
	fb.pixel_format = 0x34325258;	/* DRM_FORMAT_XRGB8888 */
	fb.handles[0] = ph.handle;
	fb.pitches[0] = mode.hdisplay * 4;
	ASSERT_EQ(0, ioctl(self->vkms, DRM_IOCTL_MODE_ADDFB2, &fb));

	memset(&set, 0, sizeof(set));
	set.crtc_id = crtc;
	set.fb_id = fb.fb_id;
	set.set_connectors_ptr = (__u64)(unsigned long)&connector;
	set.count_connectors = 1;
	set.mode = mode;
	set.mode_valid = 1;
	EXPECT_EQ(0, ioctl(self->vkms, DRM_IOCTL_MODE_SETCRTC, &set));

	memset(&set, 0, sizeof(set));
	set.crtc_id = crtc;
	EXPECT_EQ(0, ioctl(self->vkms, DRM_IOCTL_MODE_SETCRTC, &set));

	EXPECT_EQ(0, ioctl(self->vkms, DRM_IOCTL_MODE_RMFB, &fb.fb_id));
	EXPECT_EQ(0, gem_close(self->vkms, ph.handle));
	EXPECT_EQ(0, bufinfo_lists_device("vkms"));
	close(buf);
	close(memfd);
	EXPECT_EQ(0, gem_close(self->vgem, self->handle));
}

TEST_HARNESS_MAIN
