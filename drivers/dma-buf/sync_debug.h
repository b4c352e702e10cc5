/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interface between sw_sync.c and sync_debug.c: the software
 * timeline, its points, and the registry that debugfs sync/info prints.
 */

#ifndef _DMA_BUF_SYNC_DEBUG_H
#define _DMA_BUF_SYNC_DEBUG_H

#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/sync_file.h>
#include <uapi/linux/sync_file.h>

/**
 * struct sync_timeline - a software timeline driven from userspace
 * @kref: references: one for the debugfs file that created the timeline,
 *	one for every &struct sync_pt until that point's memory is freed
 * @name: the creator's command name, shown by sync/info and in traces
 * @context: the fence context of all points on this timeline
 * @value: the last value reached; 32-bit and allowed to wrap around
 * @pt_tree: the unsignalled points, sorted by sequence number
 * @pt_list: the same points in the same order, for cheap in-order walks
 * @lock: protects @value, @pt_tree and @pt_list; it is also the
 *	&dma_fence.lock of every point on the timeline
 * @sync_timeline_list: entry in the sync_debug registry of timelines
 *
 * A point is on @pt_tree and @pt_list from its creation until it is
 * signalled or its last reference is dropped, whichever comes first; both
 * unlink it under @lock. Pending points always lie less than 2^31 ahead
 * of @value, so comparing them as 32-bit sequence numbers orders them.
 */
struct sync_timeline {
	struct kref		kref;		/* file + one per point */
	char			name[32];	/* creator's comm */

	/* The fields from here to @lock are guarded by @lock. */
	u64			context;	/* fence context, fixed */
	int			value;		/* wraps around */
	struct rb_root		pt_tree;	/* pending, by seqno */
	struct list_head	pt_list;	/* pending, in order */
	spinlock_t		lock;		/* see above; fence lock */

	struct list_head	sync_timeline_list;	/* registry entry */
};

/**
 * dma_fence_parent - find the timeline a sw_sync fence belongs to
 * @fence: a fence created by sw_sync, i.e. embedded in a &struct sync_pt
 *
 * Every point uses its timeline's lock as &dma_fence.lock, which is how
 * the timeline is found. Only valid for sw_sync fences.
 *
 * Context: Any context; the caller keeps @fence alive.
 * Return: the &struct sync_timeline that @fence was created on.
 */
static inline struct sync_timeline *dma_fence_parent(struct dma_fence *fence)
{
	return container_of(fence->lock, struct sync_timeline, lock);
}

/**
 * struct sync_pt - one fence on a &struct sync_timeline
 * @base: the fence; its seqno is the timeline value that signals it
 * @link: entry in &sync_timeline.pt_list while unsignalled
 * @node: node in &sync_timeline.pt_tree while unsignalled
 * @deadline: earliest deadline requested through dma_fence_set_deadline(),
 *	valid once the provider's "has deadline" flag bit is set
 */
struct sync_pt {
	struct dma_fence	base;		/* lock: the timeline's */
	struct list_head	link;		/* under the timeline lock */
	struct rb_node		node;		/* under the timeline lock */
	ktime_t			deadline;	/* under the fence lock */
};

extern const struct file_operations sw_sync_debugfs_fops;

/**
 * sync_timeline_debug_add - make a timeline visible in debugfs sync/info
 * @obj: a newly created timeline
 *
 * Context: Any context; takes the registry spinlock with interrupts
 * disabled.
 */
void sync_timeline_debug_add(struct sync_timeline *obj);

/**
 * sync_timeline_debug_remove - hide a timeline from debugfs sync/info
 * @obj: a timeline that was added and is about to be freed
 *
 * Once this returns no sync/info reader looks at @obj any more.
 *
 * Context: Any context; takes the registry spinlock with interrupts
 * disabled.
 */
void sync_timeline_debug_remove(struct sync_timeline *obj);

#endif /* _DMA_BUF_SYNC_DEBUG_H */
