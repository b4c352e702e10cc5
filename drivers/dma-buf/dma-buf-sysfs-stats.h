/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf-sysfs-stats: the per-buffer directories under
 * /sys/kernel/dmabuf/buffers, as seen by the dma-buf core.
 */

#ifndef _DMA_BUF_SYSFS_STATS_H
#define _DMA_BUF_SYSFS_STATS_H

struct dma_buf;
struct file;

/**
 * dma_buf_init_sysfs_statistics - create /sys/kernel/dmabuf/buffers
 *
 * Called once by the dma-buf core while it initialises, before the first
 * buffer can be exported.
 *
 * Context: Process context, may sleep.
 * Return: 0 on success (and always without CONFIG_DMABUF_SYSFS_STATS),
 * -ENOMEM when the directories could not be created.
 */
#ifdef CONFIG_DMABUF_SYSFS_STATS
int dma_buf_init_sysfs_statistics(void);
#else
static inline int dma_buf_init_sysfs_statistics(void)
{
	return 0;
}
#endif

/**
 * dma_buf_uninit_sysfs_statistics - remove /sys/kernel/dmabuf
 *
 * Undoes dma_buf_init_sysfs_statistics(). Every buffer directory must have
 * been removed with dma_buf_stats_teardown() already.
 *
 * Context: Process context, may sleep.
 */
#ifdef CONFIG_DMABUF_SYSFS_STATS
void dma_buf_uninit_sysfs_statistics(void);
#else
static inline void dma_buf_uninit_sysfs_statistics(void) { }
#endif

/**
 * dma_buf_stats_setup - publish a new buffer in sysfs
 * @dmabuf: The buffer being exported; &dma_buf.sysfs_entry must be NULL.
 * @file: The buffer's file; its inode number names the directory.
 *
 * Creates /sys/kernel/dmabuf/buffers/<inode number>/ with the read-only
 * files exporter_name and size, read from @dmabuf, and stores the entry
 * in &dma_buf.sysfs_entry. No uevent is sent. On failure nothing is left
 * behind and &dma_buf.sysfs_entry stays NULL; the caller then gives up on
 * the export.
 *
 * Context: Process context, may sleep (allocates memory, takes sysfs
 * locks). Does not take the buffer's reservation lock, so the exporter may
 * hold its own locks around dma_buf_export().
 * Return: 0 on success (and always without CONFIG_DMABUF_SYSFS_STATS),
 * -ENOMEM when out of memory, or another negative errno from sysfs (for
 * instance -EEXIST when the name is taken).
 */
#ifdef CONFIG_DMABUF_SYSFS_STATS
int dma_buf_stats_setup(struct dma_buf *dmabuf, struct file *file);
#else
static inline int dma_buf_stats_setup(struct dma_buf *dmabuf,
				      struct file *file)
{
	return 0;
}
#endif

/**
 * dma_buf_stats_teardown - remove a buffer's sysfs directory
 * @dmabuf: The buffer being released.
 *
 * When this returns the directory is gone and no reader of its files is
 * still looking at @dmabuf, so the buffer may be freed. A buffer without
 * an entry (setup failed or never ran) is fine and left alone.
 *
 * Context: Process context, may sleep (waits for running sysfs reads).
 */
#ifdef CONFIG_DMABUF_SYSFS_STATS
void dma_buf_stats_teardown(struct dma_buf *dmabuf);
#else
static inline void dma_buf_stats_teardown(struct dma_buf *dmabuf) { }
#endif

#endif /* _DMA_BUF_SYSFS_STATS_H */
