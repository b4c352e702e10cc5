// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-demo: a narrated walk through a dma-buf's life for `make run`.
 *
 * A buffer is exported by udmabuf over a sealed memfd, named, written by
 * the CPU through mmap() inside DMA_BUF_IOCTL_SYNC brackets, and then
 * made busy by a software fence imported with
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE. The program shows what poll(), fdinfo,
 * /proc/self/fd, debugfs and DMA_BUF_IOCTL_EXPORT_SYNC_FILE report before
 * and after the fence signals, and checks each against the 6.12 ABI.
 *
 * Exit status: 0 when every step went as expected, 1 at the first
 * unexpected result (explained on stderr), 2 when a needed device is
 * missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

#define DEMO_PROG "dmabuf-demo"
#include "demo.h"

#define BUF_SIZE	(64 * 1024)
#define DEMO_NAME	"demo-frame"

/* A close-on-exec dma-buf of BUF_SIZE bytes; the memfd goes to *memfd. */
static int make_buffer(int *memfd)
{
	struct udmabuf_create req = { 0 };
	int dev, buf;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fprintf(stderr, "dmabuf-demo: /dev/udmabuf: %s\n",
			strerror(errno));
		exit(2);
	}
	*memfd = memfd_create("demo-backing", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (*memfd < 0 || ftruncate(*memfd, BUF_SIZE) ||
	    fcntl(*memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		fail("preparing the memfd: %s", strerror(errno));

	req.memfd = *memfd;
	req.flags = UDMABUF_FLAGS_CLOEXEC;
	req.size = BUF_SIZE;
	buf = ioctl(dev, UDMABUF_CREATE, &req);
	if (buf < 0)
		fail("UDMABUF_CREATE: %s", strerror(errno));
	close(dev);
	return buf;
}

/* Print the dma-buf lines of /proc/self/fdinfo/<fd>, indented. */
static void show_fdinfo(int fd)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "size:", 5) || !strncmp(line, "count:", 6) ||
		    !strncmp(line, "exp_name:", 9) || !strncmp(line, "name:", 5))
			printf("      %s", line);
	fclose(f);
}

/* What poll() says right now, as "readable"/"writable" words. */
static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		fail("poll: %s", strerror(errno));
	printf("    poll(): %s, %s\n",
	       p.revents & POLLIN ? "readable (no writer pending)" :
				    "not readable (a writer is pending)",
	       p.revents & POLLOUT ? "writable (nobody pending)" :
				     "not writable (fences pending)");
	return p.revents;
}

/* Status of a sync_file: 1 signalled, 0 pending, <0 error; and count. */
static int sync_status(int fd, unsigned int *count)
{
	struct sync_file_info info = { 0 };

	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		fail("SYNC_IOC_FILE_INFO: %s", strerror(errno));
	*count = info.num_fences;
	return info.status;
}

/* EXPORT_SYNC_FILE with @flags; prints and returns the new fd. */
static int export_fence(int buf, __u32 flags, const char *what)
{
	struct dma_buf_export_sync_file req = { .flags = flags, .fd = -1 };
	unsigned int n;
	int st;

	if (ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req))
		fail("EXPORT_SYNC_FILE: %s", strerror(errno));
	st = sync_status(req.fd, &n);
	printf("    EXPORT_SYNC_FILE(%s): sync_file fd %d, %u fence(s), %s\n",
	       what, req.fd, n, st == 1 ? "signalled" :
				 st == 0 ? "pending" : "error");
	return req.fd;
}

/* Print the bufinfo block of the buffer called DEMO_NAME. */
static void show_bufinfo(void)
{
	char line[512];
	int on = 0;
	FILE *f;

	f = fopen(BUFINFO_PATH, "r");
	if (!f) {
		printf("    (no %s)\n", BUFINFO_PATH);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "\t" DEMO_NAME "\n"))
			on = 1;
		if (on)
			printf("      %s", line);
		if (on && !strncmp(line, "Total ", 6))
			break;
	}
	fclose(f);
}

int main(void)
{
	struct dma_buf_import_sync_file imp = { 0 };
	struct sw_sync_create_fence_data fd_req = { 0 };
	struct dma_buf_sync sync = { 0 };
	int memfd, buf, tl, out, stub;
	char link[64], target[128];
	unsigned int n, one = 1;
	unsigned char *p, check;
	ssize_t len;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("== dma-buf: a buffer shared through a file descriptor ==\n");

	printf("1. udmabuf exports %d KiB of a sealed memfd as a dma-buf\n",
	       BUF_SIZE / 1024);
	buf = make_buffer(&memfd);
	printf("    dma-buf fd %d, lseek(SEEK_END) says %lld bytes\n", buf,
	       (long long)lseek(buf, 0, SEEK_END));
	if (lseek(buf, 0, SEEK_END) != BUF_SIZE)
		fail("the size is wrong");
	show_fdinfo(buf);

	printf("2. DMA_BUF_SET_NAME gives it a name for debugging\n");
	if (ioctl(buf, DMA_BUF_SET_NAME, DEMO_NAME))
		fail("DMA_BUF_SET_NAME: %s", strerror(errno));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", buf);
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0)
		fail("readlink: %s", strerror(errno));
	target[len] = '\0';
	printf("    %s -> %s\n", link, target);
	if (strcmp(target, "/dmabuf:" DEMO_NAME))
		fail("the link should name the buffer");
	show_fdinfo(buf);

	printf("3. the CPU writes through mmap(), inside SYNC brackets\n");
	p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	if (p == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
	if (ioctl(buf, DMA_BUF_IOCTL_SYNC, &sync))
		fail("SYNC START: %s", strerror(errno));
	memset(p, 0xab, BUF_SIZE);
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	if (ioctl(buf, DMA_BUF_IOCTL_SYNC, &sync))
		fail("SYNC END: %s", strerror(errno));
	if (pread(memfd, &check, 1, BUF_SIZE - 1) != 1 || check != 0xab)
		fail("the memfd does not see the write");
	printf("    wrote 0xab everywhere; the memfd behind it reads 0x%02x\n",
	       check);
	munmap(p, BUF_SIZE);

	printf("4. nothing uses it yet\n");
	if (poll_now(buf) != (POLLIN | POLLOUT))
		fail("an idle buffer must be readable and writable");
	stub = export_fence(buf, DMA_BUF_SYNC_WRITE, "WRITE");
	close(stub);

	printf("5. a software fence joins it as a writer (IMPORT_SYNC_FILE)\n");
	tl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	if (tl < 0) {
		fprintf(stderr, "dmabuf-demo: %s: %s\n", SW_SYNC_PATH,
			strerror(errno));
		return 2;
	}
	fd_req.value = 1;
	snprintf(fd_req.name, sizeof(fd_req.name), "render-job");
	if (ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &fd_req))
		fail("SW_SYNC_IOC_CREATE_FENCE: %s", strerror(errno));
	imp.flags = DMA_BUF_SYNC_WRITE;
	imp.fd = fd_req.fence;
	if (ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp))
		fail("IMPORT_SYNC_FILE: %s", strerror(errno));
	close(fd_req.fence);
	if (poll_now(buf) != 0)
		fail("a buffer with a pending writer is neither");
	out = export_fence(buf, DMA_BUF_SYNC_READ, "READ");
	if (sync_status(out, &n) != 0 || n != 1)
		fail("the export must hold the pending writer");
	printf("    debugfs bufinfo for it:\n");
	show_bufinfo();

	printf("6. the job completes: the timeline advances by one\n");
	if (ioctl(tl, SW_SYNC_IOC_INC, &one))
		fail("SW_SYNC_IOC_INC: %s", strerror(errno));
	if (poll_now(buf) != (POLLIN | POLLOUT))
		fail("the buffer must be idle again");
	if (sync_status(out, &n) != 1)
		fail("the exported sync_file must have signalled");
	printf("    the sync_file exported in step 5 has signalled too\n");

	close(out);
	close(tl);
	close(buf);
	close(memfd);
	printf("dmabuf-demo: every step behaved as the dma-buf ABI says\n");
	return 0;
}
