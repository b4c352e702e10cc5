/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * heap-buffer: the dma-buf side of the buffers of the dma-heaps in this
 * directory, shared by all of them.  Internal to drivers/dma-buf/heaps/.
 */
#ifndef _DMA_HEAP_BUFFER_H
#define _DMA_HEAP_BUFFER_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct dma_buf;
struct dma_heap;
struct heap_buffer;

/**
 * struct heap_buffer_ops - what a heap provides for its buffers
 * @free: give back the memory &heap_buffer.table describes, free the table
 *	and the structure the &struct heap_buffer is embedded in.  Mandatory.
 *	Called once per buffer, without locks, when nothing uses it any more
 *	(no importer, no kernel mapping); may sleep.
 * @shared_mmap_only: refuse private (copy-on-write) mappings of the buffer
 *	with -EINVAL, as 6.12's CMA heap does.
 */
struct heap_buffer_ops {
	void (*free)(struct heap_buffer *buf);
	bool shared_mmap_only;
};

/**
 * struct heap_buffer - state of a heap buffer the shared dma-buf ops use
 * @lock: protects @attachments, the mapped state of every attachment,
 *	@vmap_count and @vaddr
 * @attachments: one entry per importer, see heap-buffer.c
 * @len: size in bytes, a non-zero multiple of PAGE_SIZE
 * @table: the buffer's memory, filled by the heap: page-aligned entries
 *	(offset 0, lengths in whole pages) covering exactly @len bytes.  CPU
 *	side only; this table itself is never DMA-mapped.
 * @vmap_count: users of @vaddr
 * @vaddr: kernel mapping of the whole buffer while @vmap_count > 0
 * @ops: the heap's hooks
 *
 * A heap embeds this in its own buffer structure (or uses it alone) and
 * reaches its own part from the hooks with container_of().
 */
struct heap_buffer {
	struct mutex lock;	/* guards the members documented above */
	struct list_head attachments;
	unsigned long len;
	struct sg_table table;
	unsigned int vmap_count;
	void *vaddr;
	const struct heap_buffer_ops *ops;
};

void heap_buffer_init(struct heap_buffer *buf,
		      const struct heap_buffer_ops *ops, unsigned long len);
struct dma_buf *heap_buffer_export(struct heap_buffer *buf,
				   struct dma_heap *heap, u32 fd_flags);

#endif /* _DMA_HEAP_BUFFER_H */
