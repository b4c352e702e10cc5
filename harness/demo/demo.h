/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the demonstration programs of `make run` share: the kernel's
 * attribute shorthands spelt for userspace, sw_sync's ioctls (which have
 * no uapi header), FILE_INFO's names for a signalled fence, and fail().
 * Each program defines DEMO_PROG, its name, before including this.
 */
#ifndef DMABUF_DEMO_H
#define DMABUF_DEMO_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <linux/types.h>

#define __printf(fmt, args)	__attribute__((format(printf, fmt, args)))
#define __noreturn		__attribute__((noreturn))

#define SW_SYNC_PATH	"/sys/kernel/debug/sync/sw_sync"
#define BUFINFO_PATH	"/sys/kernel/debug/dma_buf/bufinfo"

/*
 * FILE_INFO's names for a fence that has signalled: its provider may have
 * freed the real ones, so the kernel no longer reads them.
 */
#define SIGNALLED_TIMELINE	"signaled-timeline"
#define SIGNALLED_DRIVER	"detached-driver"

/* sw_sync's create request and its increment. */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, __u32)

/*
 * fail() - report an unexpected result and end the demo with status 1.
 * Flushes the narrative first so the message lands after the last step.
 */
static __noreturn __printf(1, 2) void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, DEMO_PROG ": UNEXPECTED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#endif /* DMABUF_DEMO_H */
