// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf-sysfs-stats: one sysfs directory per exported dma-buf, under
 * /sys/kernel/dmabuf/buffers.
 */

#include <linux/bug.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "dma-buf-sysfs-stats.h"

/**
 * DOC: dma-buf sysfs statistics
 *
 * With CONFIG_DMABUF_SYSFS_STATS every live dma-buf shows up as a
 * directory /sys/kernel/dmabuf/buffers/<inode number>, named after the
 * inode of the buffer's file (the st_ino userspace gets from fstat() on a
 * dma-buf fd). It holds two read-only files: exporter_name, the
 * &dma_buf.exp_name of the exporter, and size, the size in bytes. Memory
 * accounting tools walk the directory to see who allocated what. The
 * interface is deprecated: creating a kobject on every export is costly,
 * and debugfs or fdinfo give the same answers.
 *
 * The directories are created on the export path, which is hot, so no
 * uevent is sent for them. The dma-buf core is the only caller::
 *
 *	// dma_buf_export(), before the buffer is visible to anyone
 *	ret = dma_buf_stats_setup(dmabuf, file);
 *	if (ret)
 *		goto fail;	// nothing to undo for the statistics
 *
 *	// release of the buffer's file, before the exporter frees it
 *	dma_buf_stats_teardown(dmabuf);
 *	dmabuf->ops->release(dmabuf);
 */

/* /sys/kernel/dmabuf and its subdirectory buffers, which holds the entries. */
static struct kset *dmabuf_top_kset;
static struct kset *dmabuf_buffers_kset;

/*
 * entry_to_dmabuf() - the buffer a directory describes.
 * @kobj must be the kobject of a live &struct dma_buf_sysfs_entry; sysfs
 * only calls show methods while the directory exists, i.e. before
 * dma_buf_stats_teardown() has returned, so the buffer is still allocated.
 */
static struct dma_buf *entry_to_dmabuf(struct kobject *kobj)
{
	return container_of(kobj, struct dma_buf_sysfs_entry, kobj)->dmabuf;
}

/* Show method of "exporter_name": the exporter's name and a newline. */
static ssize_t exporter_name_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", entry_to_dmabuf(kobj)->exp_name);
}

/* Show method of "size": the buffer size in bytes, in decimal. */
static ssize_t size_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%zu\n", entry_to_dmabuf(kobj)->size);
}

static struct kobj_attribute exporter_name_attribute = __ATTR_RO(exporter_name);
static struct kobj_attribute size_attribute = __ATTR_RO(size);

static struct attribute *dmabuf_entry_attrs[] = {
	&exporter_name_attribute.attr,
	&size_attribute.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dmabuf_entry);

/*
 * dmabuf_entry_release() - free an entry once its last kobject reference is
 * gone. Only the entry is freed; the buffer belongs to the dma-buf core.
 */
static void dmabuf_entry_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct dma_buf_sysfs_entry, kobj));
}

static const struct kobj_type dmabuf_entry_ktype = {
	.release = dmabuf_entry_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = dmabuf_entry_groups,
};

/*
 * no_uevent_filter() - uevent filter of both ksets: never send one.
 * Entries are added and removed with every buffer, far too often for udev.
 */
static int no_uevent_filter(const struct kobject *kobj)
{
	return 0;
}

static const struct kset_uevent_ops no_uevent_ops = {
	.filter = no_uevent_filter,
};

int dma_buf_stats_setup(struct dma_buf *dmabuf, struct file *file)
{
	struct dma_buf_sysfs_entry *entry;
	int ret;

	if (WARN_ON_ONCE(!dmabuf_buffers_kset || dmabuf->sysfs_entry))
		return -EINVAL;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	entry->dmabuf = dmabuf;

	/* A NULL parent puts the directory under the kset's own directory. */
	entry->kobj.kset = dmabuf_buffers_kset;
	ret = kobject_init_and_add(&entry->kobj, &dmabuf_entry_ktype, NULL,
				   "%lu", file_inode(file)->i_ino);
	if (ret) {
		/* Once initialised, only the release method may free it. */
		kobject_put(&entry->kobj);
		return ret;
	}

	dmabuf->sysfs_entry = entry;
	return 0;
}

void dma_buf_stats_teardown(struct dma_buf *dmabuf)
{
	struct dma_buf_sysfs_entry *entry = dmabuf->sysfs_entry;

	if (!entry)
		return;
	dmabuf->sysfs_entry = NULL;

	/*
	 * Remove the directory now rather than at the last put: removal waits
	 * for running show methods, and after it none can start, so nothing
	 * reads the buffer once we return, even if the kobject lives on.
	 */
	kobject_del(&entry->kobj);
	kobject_put(&entry->kobj);
}

int dma_buf_init_sysfs_statistics(void)
{
	dmabuf_top_kset = kset_create_and_add("dmabuf", &no_uevent_ops,
					      kernel_kobj);
	if (!dmabuf_top_kset)
		return -ENOMEM;

	dmabuf_buffers_kset = kset_create_and_add("buffers", &no_uevent_ops,
						  &dmabuf_top_kset->kobj);
	if (!dmabuf_buffers_kset) {
		kset_unregister(dmabuf_top_kset);
		dmabuf_top_kset = NULL;
		return -ENOMEM;
	}
	return 0;
}

void dma_buf_uninit_sysfs_statistics(void)
{
	kset_unregister(dmabuf_buffers_kset);
	kset_unregister(dmabuf_top_kset);
	dmabuf_buffers_kset = NULL;
	dmabuf_top_kset = NULL;
}
