/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-heap core functions that are not part of the heap provider interface:
 * the allocation path shared by the ioctl and in-kernel tests, and the
 * lookup and removal that only the KUnit suites use (the provider interface
 * of this kernel has no way to take a heap away again). With CONFIG_KUNIT
 * they are exported to test modules in the EXPORTED_FOR_KUNIT_TESTING
 * namespace.
 */
#ifndef _DMA_HEAP_INTERNAL_H
#define _DMA_HEAP_INTERNAL_H

#include <linux/types.h>

struct dma_buf;
struct dma_heap;

struct dma_buf *dma_heap_alloc_buffer(struct dma_heap *heap, u64 len,
				      u32 fd_flags, u64 heap_flags);
struct dma_heap *dma_heap_lookup(const char *name);
void dma_heap_put(struct dma_heap *heap);
void dma_heap_remove(struct dma_heap *heap);

#endif /* _DMA_HEAP_INTERNAL_H */
