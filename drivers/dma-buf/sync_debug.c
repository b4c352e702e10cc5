// SPDX-License-Identifier: GPL-2.0-only
/*
 * sync_debug: the debugfs "sync" directory and its registry of timelines.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>

#include "sync_debug.h"

/**
 * DOC: sync_debug
 *
 * sync_debug owns the debugfs directory ``sync``. It holds two files:
 * ``sw_sync``, whose every open creates a software timeline (see
 * sw_sync.c), and the read-only ``info``, which dumps every live timeline
 * with its unsignalled points. A second section, ``fences:``, follows; it
 * is always empty, since no sync_file lists itself there (6.12 prints the
 * same empty section, and tools that parse the file expect its header).
 *
 * Timelines enter the registry when created and leave it just before they
 * are freed. A reader of ``info`` walks the registry under its spinlock, so
 * a timeline cannot be freed while it is being printed::
 *
 *	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
 *	...
 *	sync_timeline_debug_add(obj);
 *	...
 *	sync_timeline_debug_remove(obj);
 *	kfree(obj);
 *
 * The output looks like this, one block per timeline (name and value),
 * one line per point (status, signal time if any, seqno / timeline value)::
 *
 *	objs:
 *	--------------
 *	my-test: 3
 *	  fence active: 5 / 3
 *
 *	fences:
 *	--------------
 */

static DEFINE_SPINLOCK(sync_registry_lock);	/* guards the list below */
static LIST_HEAD(sync_registry_timelines);

void sync_timeline_debug_add(struct sync_timeline *obj)
{
	unsigned long flags;

	spin_lock_irqsave(&sync_registry_lock, flags);
	list_add_tail(&obj->sync_timeline_list, &sync_registry_timelines);
	spin_unlock_irqrestore(&sync_registry_lock, flags);
}

void sync_timeline_debug_remove(struct sync_timeline *obj)
{
	unsigned long flags;

	spin_lock_irqsave(&sync_registry_lock, flags);
	list_del(&obj->sync_timeline_list);
	spin_unlock_irqrestore(&sync_registry_lock, flags);
}

/*
 * sync_status_name - word for a dma_fence_get_status() result.
 * Returns a static string.
 */
static const char *sync_status_name(int status)
{
	if (status > 0)
		return "signaled";
	return status ? "error" : "active";
}

/*
 * sync_show_fence - print one line describing @fence.
 *
 * @status is the fence's dma_fence_get_status() value, read by the caller
 * under whatever lock it holds. The caller keeps @fence alive and holds an
 * RCU read-side section (a spinlock counts) so that the provider's value
 * strings may be asked for.
 */
static void sync_show_fence(struct seq_file *s, struct dma_fence *fence,
			    int status)
{
	char seqno_str[64];
	char tl_str[64];

	seq_printf(s, "  fence %s", sync_status_name(status));

	if (test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags)) {
		struct timespec64 when = ktime_to_timespec64(fence->timestamp);

		seq_printf(s, "@%lld.%09ld", (s64)when.tv_sec, when.tv_nsec);
	}

	if (fence->ops->fence_value_str && fence->ops->timeline_value_str) {
		seqno_str[0] = '\0';
		fence->ops->fence_value_str(fence, seqno_str,
					    sizeof(seqno_str));
		if (seqno_str[0]) {
			tl_str[0] = '\0';
			fence->ops->timeline_value_str(fence, tl_str,
						       sizeof(tl_str));
			seq_printf(s, ": %s", seqno_str);
			if (tl_str[0])
				seq_printf(s, " / %s", tl_str);
		}
	}

	seq_putc(s, '\n');
}

/*
 * sync_show_timeline - print @obj's header line and its unsignalled points.
 * Called with the registry lock held (interrupts off), which keeps @obj
 * from being freed; takes @obj's own lock to walk its points.
 */
static void sync_show_timeline(struct seq_file *s, struct sync_timeline *obj)
{
	struct sync_pt *pt;

	lockdep_assert_held(&sync_registry_lock);

	spin_lock(&obj->lock);
	seq_printf(s, "%s: %d\n", obj->name, obj->value);
	list_for_each_entry(pt, &obj->pt_list, link)
		sync_show_fence(s, &pt->base,
				dma_fence_get_status_locked(&pt->base));
	spin_unlock(&obj->lock);
}

/* seq_file show callback of sync/info: the whole registry in one go. */
static int sync_info_show(struct seq_file *s, void *unused)
{
	struct sync_timeline *obj;

	seq_puts(s, "objs:\n--------------\n");
	spin_lock_irq(&sync_registry_lock);
	list_for_each_entry(obj, &sync_registry_timelines, sync_timeline_list) {
		sync_show_timeline(s, obj);
		seq_putc(s, '\n');
	}
	spin_unlock_irq(&sync_registry_lock);

	seq_puts(s, "fences:\n--------------\n");

	return 0;
}

static int sync_info_open(struct inode *inode, struct file *file)
{
	return single_open(file, sync_info_show, inode->i_private);
}

/*
 * Read through ->read_iter so that kernel_read() works too, which the
 * KUnit suite uses.
 */
static const struct file_operations sync_info_fops = {
	.owner		= THIS_MODULE,
	.open		= sync_info_open,
	.read_iter	= seq_read_iter,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/*
 * sync_debugfs_setup - create debugfs sync/{info,sw_sync}.
 *
 * Neither file is ever removed and both are built in, so the files need no
 * protection against removal while open: the _unsafe variant is enough.
 */
static int __init sync_debugfs_setup(void)
{
	struct dentry *dir = debugfs_create_dir("sync", NULL);

	debugfs_create_file_unsafe("info", 0444, dir, NULL, &sync_info_fops);
	debugfs_create_file_unsafe("sw_sync", 0644, dir, NULL,
				   &sw_sync_debugfs_fops);
	return 0;
}
late_initcall(sync_debugfs_setup);
