/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sync_file: a fence wrapped in a file so that it can travel through
 * userspace as a descriptor.
 */

#ifndef _LINUX_SYNC_FILE_H
#define _LINUX_SYNC_FILE_H

#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct file;

/**
 * struct sync_file - the kernel side of a sync file descriptor
 * @file: the anonymous file; its &file.private_data points back here and
 *	its last fput() frees this structure
 * @user_name: name chosen by userspace in SYNC_IOC_MERGE, NUL-terminated;
 *	all zero for a sync file made by sync_file_create(), whose name is
 *	then derived from the fence on demand (see sync_file_get_name())
 * @sync_file_list: node for a debugfs listing of sync files; not used by
 *	the sync_file core itself
 * @wq: where poll() waits for @fence to signal
 * @flags: atomic bit flags, see %POLL_ENABLED
 * @fence: the fence the file stands for, set once at creation and owned
 *	(one reference) until the file is released
 * @cb: callback on @fence that wakes @wq, armed by the first poll()
 */
struct sync_file {
	struct file		*file;		/* owns this structure */
	char			user_name[32];
#ifdef CONFIG_DEBUG_FS
	struct list_head	sync_file_list;
#endif

	wait_queue_head_t	wq;		/* pollers */
	unsigned long		flags;

	struct dma_fence	*fence;		/* immutable, one reference */
	struct dma_fence_cb	cb;
};

/*
 * Bit number in &sync_file.flags: set by the first poll(), which from then
 * on owns @cb (queued on the fence or already run). Never cleared.
 */
#define POLL_ENABLED 0

struct sync_file *sync_file_create(struct dma_fence *fence);
struct dma_fence *sync_file_get_fence(int fd);
char *sync_file_get_name(struct sync_file *sync_file, char *buf, int len);

#endif /* _LINUX_SYNC_FILE_H */
