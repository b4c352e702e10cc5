/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * udmabuf: turn pages of sealed memfds into a dma-buf.
 *
 * Userspace opens /dev/udmabuf and asks it, with one of the two requests
 * below, for a dma-buf whose pages are the pages of one or more ranges of
 * memfds (shmem or hugetlbfs).  Each memfd must be sealed against
 * shrinking (F_SEAL_SHRINK) and must not be sealed against writing
 * (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE).  Offsets and sizes are multiples of
 * the page size.  Both requests return the new dma-buf's file descriptor.
 */
#ifndef _UAPI_LINUX_UDMABUF_H
#define _UAPI_LINUX_UDMABUF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The requests of /dev/udmabuf; the structures follow. */
#define UDMABUF_CREATE       _IOW('u', 0x42, struct udmabuf_create)
#define UDMABUF_CREATE_LIST  _IOW('u', 0x43, struct udmabuf_create_list)

/**
 * struct udmabuf_create_item - one range of a UDMABUF_CREATE_LIST request
 */
struct udmabuf_create_item {
	/** @memfd: File descriptor of the memfd. */
	__u32 memfd;
	/** @__pad: Reserved, must be zero. */
	__u32 __pad;
	/** @offset: Start of the range in the memfd; page aligned. */
	__u64 offset;
	/** @size: Length of the range in bytes; page aligned, not zero. */
	__u64 size;
};

/**
 * struct udmabuf_create - argument of UDMABUF_CREATE: one memfd range
 */
struct udmabuf_create {
	/** @memfd: File descriptor of the memfd. */
	__u32 memfd;
	/** @flags: UDMABUF_FLAGS_* bits; any other bit is refused. */
	__u32 flags;
	/** @offset: Start of the range in the memfd; page aligned. */
	__u64 offset;
	/** @size: Length of the range in bytes; page aligned, not zero. */
	__u64 size;
};

/* The only flag: open the returned dma-buf descriptor with O_CLOEXEC. */
#define UDMABUF_FLAGS_CLOEXEC	0x01

/**
 * struct udmabuf_create_list - argument of UDMABUF_CREATE_LIST
 *
 * The buffer holds the ranges back to back, in the order of @list.
 */
struct udmabuf_create_list {
	/** @flags: UDMABUF_FLAGS_* bits; any other bit is refused. */
	__u32 flags;
	/**
	 * @count: Number of entries in @list: at least one, at most the
	 * list_limit module parameter.
	 */
	__u32 count;
	/** @list: The ranges. */
	struct udmabuf_create_item list[];
};

#endif /* _UAPI_LINUX_UDMABUF_H: udmabuf uapi */
