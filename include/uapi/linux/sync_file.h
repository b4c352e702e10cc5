/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Userspace interface of sync files: descriptors that stand for a fence,
 * i.e. for the completion of some device work.
 */

#ifndef _UAPI_LINUX_SYNC_H
#define _UAPI_LINUX_SYNC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct sync_merge_data - argument of SYNC_IOC_MERGE
 * @name: name given to the new sync file; the kernel uses at most 31
 *	characters and ignores the rest
 * @fd2: the second sync file; the first one is the descriptor the ioctl is
 *	issued on. Both may be the same descriptor.
 * @fence: filled in by the kernel: the new descriptor, close-on-exec
 * @flags: reserved, must be 0
 * @pad: reserved, must be 0
 *
 * The new sync file signals once the fences of both inputs have signalled.
 * Fences of one timeline are folded into the latest of them and fences
 * that have already signalled may be left out, so the result can describe
 * fewer fences than the two inputs together. The inputs are not changed.
 */
struct sync_merge_data {
	char	name[32];
	__s32	fd2;
	__s32	fence;		/* out */
	__u32	flags;
	__u32	pad;
};

/**
 * struct sync_fence_info - one fence described by SYNC_IOC_FILE_INFO
 * @obj_name: name of the timeline the fence belongs to, NUL-terminated;
 *	"signaled-timeline" once the fence has signalled, because its
 *	provider may have released the real name by then
 * @driver_name: name of the driver that provides the fence, NUL-terminated;
 *	"detached-driver" once the fence has signalled
 * @status: 1 when the fence signalled successfully, 0 while it is pending,
 *	a negative errno when the work behind it failed
 * @flags: reserved, always 0
 * @timestamp_ns: CLOCK_MONOTONIC time at which the fence signalled, in
 *	nanoseconds; 0 while @status is 0
 */
struct sync_fence_info {
	char	obj_name[32];	/* timeline */
	char	driver_name[32];
	__s32	status;
	__u32	flags;
	__u64	timestamp_ns;	/* 0 while pending */
};

/**
 * struct sync_file_info - argument of SYNC_IOC_FILE_INFO
 * @name: filled in by the kernel: the name given at merge time, or one
 *	made up from the fence's driver, timeline and sequence number
 * @status: filled in by the kernel: 0 while any fence is pending, else the
 *	error of a fence that failed, else 1
 * @flags: reserved, must be 0
 * @num_fences: on entry, the number of entries the array at
 *	@sync_fence_info has room for, or 0 to only ask how many there are;
 *	on return, the number of fences the sync file holds
 * @pad: reserved, must be 0
 * @sync_fence_info: user address of an array of &struct sync_fence_info,
 *	ignored when @num_fences is 0 on entry
 *
 * Callers usually issue the ioctl twice: first with @num_fences set to 0
 * to learn the count, then with an array that large. A non-zero
 * @num_fences smaller than the count is refused with EINVAL; a larger one
 * is fine, only the first @num_fences entries (as returned) are written.
 */
struct sync_file_info {
	char	name[32];
	__s32	status;
	__u32	flags;
	__u32	num_fences;	/* in: room, out: count */
	__u32	pad;

	__u64	sync_fence_info;
};

/**
 * struct sync_set_deadline - argument of SYNC_IOC_SET_DEADLINE
 * @deadline_ns: CLOCK_MONOTONIC time, in nanoseconds, by which the caller
 *	would like the fences to have signalled
 * @pad: reserved for later use, must be 0
 *
 * The deadline is a hint passed on to the drivers behind the fences, for
 * example so that they raise clocks in time for a display refresh. It does
 * not change when or whether the fences signal.
 */
struct sync_set_deadline {
	__u64	deadline_ns;	/* CLOCK_MONOTONIC */
	__u64	pad;
};

/* Type byte shared by every ioctl of sync files. */
#define SYNC_IOC_MAGIC		'>'

/*
 * Numbers 0 to 2 belonged to an older interface that has been removed;
 * they are not reused.
 */

/**
 * DOC: SYNC_IOC_MERGE
 *
 * Combine the sync file the ioctl is issued on with the one in
 * &sync_merge_data.fd2 into a third one, whose descriptor is returned in
 * &sync_merge_data.fence. Fails with ENOENT when fd2 is not a sync file
 * and with EINVAL when a reserved field is set.
 */
#define SYNC_IOC_MERGE		_IOWR(SYNC_IOC_MAGIC, 3, struct sync_merge_data)

/**
 * DOC: SYNC_IOC_FILE_INFO
 *
 * Describe a sync file and, on request, each fence in it: see
 * &struct sync_file_info.
 */
#define SYNC_IOC_FILE_INFO	_IOWR(SYNC_IOC_MAGIC, 4, struct sync_file_info)

/**
 * DOC: SYNC_IOC_SET_DEADLINE
 *
 * Tell the drivers behind a sync file by when its fences are wanted: see
 * &struct sync_set_deadline. Fences that have already signalled ignore it.
 */
#define SYNC_IOC_SET_DEADLINE	_IOW(SYNC_IOC_MAGIC, 5, struct sync_set_deadline)

#endif /* _UAPI_LINUX_SYNC_H: sync file uapi */
