/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-heap: the interface between the heap core and the memory providers
 * ("heaps") that hand out dma-bufs to user space.
 */
#ifndef _DMA_HEAPS_H
#define _DMA_HEAPS_H

#include <linux/types.h>

struct dma_buf;
struct dma_heap;

/**
 * struct dma_heap_ops - what a heap provider implements
 * @allocate: make a new dma-buf of @len bytes (a non-zero multiple of
 *	PAGE_SIZE, already checked by the core) whose file is opened with
 *	@fd_flags; @heap_flags is a subset of DMA_HEAP_VALID_HEAP_FLAGS.
 *	Called in process context, may sleep.  Returns the buffer with one
 *	reference owned by the caller, or an ERR_PTR(); never NULL.
 */
struct dma_heap_ops {
	struct dma_buf *(*allocate)(struct dma_heap *heap, unsigned long len,
				    u32 fd_flags, u64 heap_flags);
};

/**
 * struct dma_heap_export_info - description of a heap to register
 * @name: name of the device node /dev/dma_heap/@name; unique among heaps.
 *	The string is referenced, not copied: it must outlive the heap.
 * @ops: the provider's operations, @ops->allocate is mandatory
 * @priv: provider data, returned by dma_heap_get_drvdata()
 */
struct dma_heap_export_info {
	const char *name;
	const struct dma_heap_ops *ops;
	void *priv;
};

/* Registration and accessors; documented in drivers/dma-buf/dma-heap.c. */
struct dma_heap *dma_heap_add(const struct dma_heap_export_info *exp_info);
void *dma_heap_get_drvdata(struct dma_heap *heap);
const char *dma_heap_get_name(struct dma_heap *heap);

#endif /* _DMA_HEAPS_H */
