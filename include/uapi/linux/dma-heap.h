/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dma-heap: the request a process sends to /dev/dma_heap/<name> to get a
 * new dma-buf out of that heap.
 */
#ifndef _UAPI_LINUX_DMABUF_POOL_H
#define _UAPI_LINUX_DMABUF_POOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: dma-heap user interface
 *
 * Every heap registered in the kernel appears as a character device
 * /dev/dma_heap/<heap name>.  Opening it (read access is enough) and
 * issuing DMA_HEAP_IOCTL_ALLOC with a &struct dma_heap_allocation_data
 * hands back a new dma-buf file descriptor backed by memory of that heap.
 */

/*
 * Accepted in &dma_heap_allocation_data.fd_flags: the access mode of the
 * new descriptor and close-on-exec.  Anything else is refused.
 */
#define DMA_HEAP_VALID_FD_FLAGS (O_ACCMODE | O_CLOEXEC)

/* Accepted in &dma_heap_allocation_data.heap_flags: none are defined. */
#define DMA_HEAP_VALID_HEAP_FLAGS (0ull)

/* ioctl type of the heap requests. */
#define DMA_HEAP_IOC_MAGIC	'H'

/**
 * struct dma_heap_allocation_data - argument of DMA_HEAP_IOCTL_ALLOC
 * @len:	requested size in bytes; the kernel rounds it up to whole pages
 * @fd:		must be 0 on input; on success the new dma-buf descriptor
 * @fd_flags:	flags of the new descriptor, see DMA_HEAP_VALID_FD_FLAGS
 * @heap_flags:	heap-specific flags, see DMA_HEAP_VALID_HEAP_FLAGS
 */
struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

/**
 * DOC: DMA_HEAP_IOCTL_ALLOC - get a buffer from the heap
 *
 * Reads a &struct dma_heap_allocation_data, allocates a buffer of at least
 * @len bytes and writes the structure back with @fd set to a descriptor of
 * the new dma-buf.  Shorter or longer versions of the structure (encoded
 * in the request's size field) are accepted: missing trailing fields read
 * as zero, unknown trailing fields are ignored.
 */
#define DMA_HEAP_IOCTL_ALLOC \
	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct dma_heap_allocation_data)

#endif
