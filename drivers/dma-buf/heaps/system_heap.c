// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "system" dma-heap: dma-bufs made of pages from the page allocator.
 */

#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "heap-buffer.h"

/**
 * DOC: system heap
 *
 * /dev/dma_heap/system hands out buffers built from ordinary pages.  To
 * keep scatterlists short and let IOMMUs use large mappings, a buffer is
 * assembled from the largest chunks the page allocator gives without
 * effort: 1 MiB (order 8) and 64 KiB (order 4) chunks are tried without
 * reclaim and without warnings, and only the 4 KiB remainder (order 0) may
 * make the allocator work hard.  Every page is zeroed before user space
 * sees it.  Buffers are not contiguous; each importer gets its own copy
 * of the page list to map for its device, and CPU access brackets sync
 * every mapped importer.
 *
 * User space::
 *
 *	struct dma_heap_allocation_data req = {
 *		.len = size,
 *		.fd_flags = O_RDWR | O_CLOEXEC,
 *	};
 *	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
 *
 *	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &req) == 0)
 *		use_buffer(req.fd);
 */

/* Reclaim-free attempt at a big chunk: fail fast and quietly. */
#define SYS_HEAP_GFP_BIG	(((GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | \
				   __GFP_NORETRY) & ~__GFP_RECLAIM) | __GFP_COMP)
/* Single pages: the allocator may reclaim to provide them. */
#define SYS_HEAP_GFP_PAGE	(GFP_HIGHUSER | __GFP_ZERO)

/* The chunk sizes tried, largest first, and how hard to try for each. */
static const struct {
	unsigned int order;
	gfp_t gfp;
} sys_heap_chunks[] = {
	{ .order = 8, .gfp = SYS_HEAP_GFP_BIG },
	{ .order = 4, .gfp = SYS_HEAP_GFP_BIG },
	{ .order = 0, .gfp = SYS_HEAP_GFP_PAGE },
};

/*
 * heap_buffer_ops.free: give every chunk of @buf back to the page
 * allocator, then free the chunk table and @buf itself.  @buf is unused.
 */
static void sys_heap_free(struct heap_buffer *buf)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&buf->table, sg, i)
		__free_pages(sg_page(sg), compound_order(sg_page(sg)));
	sg_free_table(&buf->table);
	kfree(buf);
}

static const struct heap_buffer_ops sys_heap_buffer_ops = {
	.free = sys_heap_free,
};

/*
 * One zeroed chunk of at most @left bytes and at most order *@max_order.
 * The largest size that succeeds becomes the new *@max_order, so that a
 * large buffer stops retrying sizes that already failed.  Returns the
 * first page of the chunk (compound for orders above 0) or NULL.
 */
static struct page *sys_heap_get_chunk(unsigned long left,
				       unsigned int *max_order)
{
	struct page *page;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sys_heap_chunks); i++) {
		unsigned int order = sys_heap_chunks[i].order;

		if (order > *max_order || left < (PAGE_SIZE << order))
			continue;
		page = alloc_pages(sys_heap_chunks[i].gfp, order);
		if (page) {
			*max_order = order;
			return page;
		}
	}
	return NULL;
}

/*
 * Fill @table with zeroed chunks for @len bytes, one entry per chunk.
 * Gives up with -EINTR when the task is being killed, -ENOMEM when memory
 * runs out; on failure everything allocated so far is freed again and
 * @table is left unallocated.
 */
static int sys_heap_fill(struct sg_table *table, unsigned long len)
{
	unsigned int max_order = sys_heap_chunks[0].order;
	unsigned long left = len;
	struct page *page, *next;
	struct scatterlist *sg;
	unsigned int count = 0;
	LIST_HEAD(got);
	int ret = 0;

	while (left) {
		/* Do not eat memory on behalf of a task that is dying. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		page = sys_heap_get_chunk(left, &max_order);
		if (!page) {
			ret = -ENOMEM;
			break;
		}
		list_add_tail(&page->lru, &got);
		left -= page_size(page);
		count++;
	}
	if (!ret && sg_alloc_table(table, count, GFP_KERNEL))
		ret = -ENOMEM;
	if (ret) {
		list_for_each_entry_safe(page, next, &got, lru)
			__free_pages(page, compound_order(page));
		return ret;
	}

	sg = table->sgl;
	list_for_each_entry_safe(page, next, &got, lru) {
		list_del(&page->lru);
		sg_set_page(sg, page, page_size(page), 0);
		sg = sg_next(sg);
	}
	return 0;
}

/*
 * dma_heap_ops.allocate: a new buffer of @len bytes (a page multiple
 * checked by the core) exported with @fd_flags.  Returns the buffer with
 * one reference for the caller, or an ERR_PTR() with nothing leaked.
 */
static struct dma_buf *sys_heap_allocate(struct dma_heap *heap,
					 unsigned long len, u32 fd_flags,
					 u64 heap_flags)
{
	struct heap_buffer *buf;
	int ret;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	ret = sys_heap_fill(&buf->table, len);
	if (ret) {
		kfree(buf);
		return ERR_PTR(ret);
	}

	heap_buffer_init(buf, &sys_heap_buffer_ops, len);
	/* From here on the buffer is freed through sys_heap_free(). */
	return heap_buffer_export(buf, heap, fd_flags);
}

static const struct dma_heap_ops sys_heap_ops = {
	.allocate = sys_heap_allocate,
};

/* Register the heap at boot.  Returns 0 or dma_heap_add()'s error. */
static int __init sys_heap_init(void)
{
	static const struct dma_heap_export_info info = {
		.name = "system",
		.ops = &sys_heap_ops,
	};

	return PTR_ERR_OR_ZERO(dma_heap_add(&info));
}
module_init(sys_heap_init);
