// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dma_buf_ops of the dma-heaps: one implementation for every heap
 * whose buffers are plain pages described by a scatterlist.
 */

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "heap-buffer.h"

/**
 * DOC: heap buffers
 *
 * The buffers of the system and the CMA heap differ only in where their
 * pages come from.  Once allocated, both stay in place until freed and
 * are described in full by one scatterlist, so everything the dma-buf
 * core asks of them is done here, once, on a &struct heap_buffer.
 *
 * A heap allocates and zeroes its memory, fills &heap_buffer.table with
 * it, then calls heap_buffer_init() and heap_buffer_export().  From then
 * on the buffer is served by the operations below, and when its last
 * reference is dropped the heap's &heap_buffer_ops.free hook gives the
 * memory back.
 *
 * - Each importer gets a private copy of the table, which it DMA-maps for
 *   its device; an attachment has at most one live mapping (-EBUSY).
 * - CPU access brackets invalidate or flush the kernel mapping, if there
 *   is one, and sync the live mapping of every importer.
 * - User space may map any page range of the buffer, shared mappings
 *   only.
 * - The kernel mapping of the whole buffer is made on first use, shared
 *   and counted, and removed with its last user.
 *
 * &heap_buffer.lock protects the importer list, whether each importer's
 * table is mapped, and the kernel mapping.  When the reservation lock is
 * held too (mapping, vmap) it is taken first.
 */

/**
 * struct heap_buffer_attachment - an importer's view of a heap buffer
 * @dev: the importer's device
 * @table: private copy of &heap_buffer.table; holds the DMA addresses for
 *	@dev while mapped
 * @node: entry in &heap_buffer.attachments
 * @mapped: @table is DMA-mapped (changes under &heap_buffer.lock)
 */
struct heap_buffer_attachment {
	struct device *dev;
	struct sg_table table;
	struct list_head node;
	bool mapped;
};

/*
 * Allocate @dst with as many entries as @src and copy the page, offset and
 * length of each; no DMA state is copied.  Returns 0, or -ENOMEM with
 * @dst not allocated.
 */
static int heap_buffer_copy_table(struct sg_table *dst,
				  const struct sg_table *src)
{
	struct scatterlist *from, *to;
	unsigned int i;

	if (sg_alloc_table(dst, src->orig_nents, GFP_KERNEL))
		return -ENOMEM;
	to = dst->sgl;
	for_each_sgtable_sg(src, from, i) {
		sg_set_page(to, sg_page(from), from->length, from->offset);
		to = sg_next(to);
	}
	return 0;
}

/*
 * dma_buf_ops.attach: give the importer its own table to map.  Takes the
 * buffer's lock.  Returns 0, or -ENOMEM with nothing allocated.
 */
static int heap_buffer_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct heap_buffer *buf = dmabuf->priv;
	struct heap_buffer_attachment *a;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	if (heap_buffer_copy_table(&a->table, &buf->table)) {
		kfree(a);
		return -ENOMEM;
	}
	a->dev = attach->dev;
	attach->priv = a;

	mutex_lock(&buf->lock);
	list_add(&a->node, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;
}

/*
 * dma_buf_ops.detach: forget the importer and free its table, which the
 * core has unmapped before (warns once if not).  Takes the buffer's lock.
 */
static void heap_buffer_detach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	struct heap_buffer *buf = dmabuf->priv;
	struct heap_buffer_attachment *a = attach->priv;

	mutex_lock(&buf->lock);
	list_del(&a->node);
	mutex_unlock(&buf->lock);

	WARN_ON_ONCE(a->mapped);
	sg_free_table(&a->table);
	kfree(a);
}

/*
 * Mark the table of @a mapped or unmapped.  Takes the buffer's lock, so
 * that a CPU access bracket sees either state but never a table half set
 * up or half torn down.
 */
static void heap_buffer_set_mapped(struct heap_buffer *buf,
				   struct heap_buffer_attachment *a,
				   bool mapped)
{
	mutex_lock(&buf->lock);
	a->mapped = mapped;
	mutex_unlock(&buf->lock);
}

/*
 * dma_buf_ops.map_dma_buf: DMA-map the attachment's table for its device,
 * one live mapping per attachment.  Requires the reservation lock (which
 * serialises map and unmap of an attachment); takes the buffer's lock
 * after it.  Returns the table, or an ERR_PTR(): -EBUSY when the
 * attachment is mapped already, or the DMA API's error.
 */
static struct sg_table *heap_buffer_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct heap_buffer *buf = attach->dmabuf->priv;
	struct heap_buffer_attachment *a = attach->priv;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	/* A second mapping would overwrite the DMA side of the first. */
	if (a->mapped)
		return ERR_PTR(-EBUSY);
	ret = dma_map_sgtable(a->dev, &a->table, dir, 0);
	if (ret)
		return ERR_PTR(ret);

	heap_buffer_set_mapped(buf, a, true);
	return &a->table;
}

/*
 * dma_buf_ops.unmap_dma_buf: undo heap_buffer_map().  Warns once, and
 * does nothing, for a table that is not the attachment's live mapping.
 * The mapping is withdrawn from CPU access brackets (under the buffer's
 * lock) before it is unmapped.
 */
static void heap_buffer_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *table,
			      enum dma_data_direction dir)
{
	struct heap_buffer *buf = attach->dmabuf->priv;
	struct heap_buffer_attachment *a = attach->priv;

	if (WARN_ON_ONCE(table != &a->table || !a->mapped))
		return;
	heap_buffer_set_mapped(buf, a, false);
	dma_unmap_sgtable(a->dev, table, dir, 0);
}

/*
 * Sync the live mapping of every importer of @buf, for the CPU when
 * @for_cpu is set, for the devices otherwise.  Requires the buffer's
 * lock, which keeps the list and the mapped flags stable.
 */
static void heap_buffer_sync_mapped(struct heap_buffer *buf,
				    enum dma_data_direction dir, bool for_cpu)
{
	struct heap_buffer_attachment *a;

	lockdep_assert_held(&buf->lock);
	list_for_each_entry(a, &buf->attachments, node) {
		if (!a->mapped)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->table, dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->table, dir);
	}
}

/*
 * dma_buf_ops.begin_cpu_access: make device writes visible to the CPU,
 * through the pages and through the kernel mapping.  Takes the buffer's
 * lock.  Returns 0.
 */
static int heap_buffer_begin_cpu(struct dma_buf *dmabuf,
				 enum dma_data_direction dir)
{
	struct heap_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (buf->vmap_count)
		invalidate_kernel_vmap_range(buf->vaddr, buf->len);
	heap_buffer_sync_mapped(buf, dir, true);
	mutex_unlock(&buf->lock);
	return 0;
}

/*
 * dma_buf_ops.end_cpu_access: hand what the CPU wrote, through the pages
 * or the kernel mapping, to every mapped device.  Takes the buffer's
 * lock.  Returns 0.
 */
static int heap_buffer_end_cpu(struct dma_buf *dmabuf,
			       enum dma_data_direction dir)
{
	struct heap_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (buf->vmap_count)
		flush_kernel_vmap_range(buf->vaddr, buf->len);
	heap_buffer_sync_mapped(buf, dir, false);
	mutex_unlock(&buf->lock);
	return 0;
}

/*
 * dma_buf_ops.mmap: map the buffer, from page vma->vm_pgoff on, one
 * remapping per table entry the range touches.  The range must lie within
 * the buffer.  Private (copy-on-write) mappings are taken as 6.12's heaps
 * take them: refused by a heap that sets &heap_buffer_ops.shared_mmap_only
 * (CMA), and otherwise accepted for a single page only (6.12's system heap
 * remaps page by page, which a private mapping of more than one page
 * fails).  Returns 0, -EINVAL for a range past the end or a private
 * mapping refused, or the error of the remapping (the core then tears the
 * vma down).
 */
static int heap_buffer_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct heap_buffer *buf = dmabuf->priv;
	unsigned long npages = buf->len >> PAGE_SHIFT;
	unsigned long skip = vma->vm_pgoff;
	unsigned long addr = vma->vm_start;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	if (vma->vm_pgoff >= npages ||
	    vma_pages(vma) > npages - vma->vm_pgoff)
		return -EINVAL;
	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) &&
	    (buf->ops->shared_mmap_only || vma_pages(vma) > 1))
		return -EINVAL;

	for_each_sgtable_sg(&buf->table, sg, i) {
		unsigned long count = sg->length >> PAGE_SHIFT;
		unsigned long size;

		if (addr >= vma->vm_end)
			break;
		/* Entries wholly before the start of the range. */
		if (skip >= count) {
			skip -= count;
			continue;
		}
		/* An entry is physically contiguous: one call covers it. */
		size = min((count - skip) << PAGE_SHIFT, vma->vm_end - addr);
		ret = remap_pfn_range(vma, addr,
				      page_to_pfn(sg_page(sg)) + skip, size,
				      vma->vm_page_prot);
		if (ret)
			return ret;
		addr += size;
		skip = 0;
	}
	return 0;
}

/*
 * Map every page of @buf, in order, into the kernel's vmalloc space.  The
 * page array vmap() needs is temporary.  Returns the address or NULL.
 */
static void *heap_buffer_map_kernel(struct heap_buffer *buf)
{
	unsigned long npages = buf->len >> PAGE_SHIFT, i = 0;
	struct sg_page_iter iter;
	struct page **pages;
	void *vaddr;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	for_each_sgtable_page(&buf->table, &iter, 0)
		pages[i++] = sg_page_iter_page(&iter);
	vaddr = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr;
}

/*
 * dma_buf_ops.vmap: the kernel mapping of the whole buffer, made for the
 * first user, shared with the others and counted.  Requires the
 * reservation lock; takes the buffer's lock after it.  Returns 0, or
 * -ENOMEM with nothing changed.
 */
static int heap_buffer_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct heap_buffer *buf = dmabuf->priv;
	int ret = 0;

	dma_resv_assert_held(dmabuf->resv);
	mutex_lock(&buf->lock);
	if (!buf->vmap_count) {
		buf->vaddr = heap_buffer_map_kernel(buf);
		if (!buf->vaddr)
			ret = -ENOMEM;
	}
	if (!ret) {
		buf->vmap_count++;
		iosys_map_set_vaddr(map, buf->vaddr);
	}
	mutex_unlock(&buf->lock);
	return ret;
}

/*
 * dma_buf_ops.vunmap: drop one user of the kernel mapping and remove the
 * mapping with the last.  Warns once, and changes nothing, when there is
 * no mapping or @map is not it.  Takes the buffer's lock.
 */
static void heap_buffer_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct heap_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!WARN_ON_ONCE(!buf->vmap_count || map->vaddr != buf->vaddr) &&
	    !--buf->vmap_count) {
		vunmap(buf->vaddr);
		buf->vaddr = NULL;
	}
	mutex_unlock(&buf->lock);
}

/*
 * Undo heap_buffer_init() and pass @buf to the heap's free hook, which
 * frees it.  @buf must be unused; no locks are held.
 */
static void heap_buffer_free(struct heap_buffer *buf)
{
	mutex_destroy(&buf->lock);
	buf->ops->free(buf);
}

/*
 * dma_buf_ops.release: the last reference is gone.  Warns once if an
 * importer or a kernel mapping remains (the core checks too), then frees
 * the buffer all the same.
 */
static void heap_buffer_release(struct dma_buf *dmabuf)
{
	struct heap_buffer *buf = dmabuf->priv;

	WARN_ON_ONCE(!list_empty(&buf->attachments) || buf->vmap_count);
	heap_buffer_free(buf);
}

static const struct dma_buf_ops heap_buffer_dma_buf_ops = {
	.attach = heap_buffer_attach,
	.detach = heap_buffer_detach,
	.map_dma_buf = heap_buffer_map,
	.unmap_dma_buf = heap_buffer_unmap,
	.begin_cpu_access = heap_buffer_begin_cpu,
	.end_cpu_access = heap_buffer_end_cpu,
	.mmap = heap_buffer_mmap,
	.vmap = heap_buffer_vmap,
	.vunmap = heap_buffer_vunmap,
	.release = heap_buffer_release,
};

/**
 * heap_buffer_init() - set up the shared part of a new heap buffer
 * @buf: the buffer, whose &heap_buffer.table the heap has filled
 * @ops: the heap's hooks; @ops->free is mandatory
 * @len: size of the buffer in bytes: a non-zero multiple of PAGE_SIZE,
 *	exactly what @buf->table covers
 *
 * Sets up the lock, the empty importer list and the absent kernel mapping;
 * does not touch @buf->table.  Allocates nothing and cannot fail.  Call it
 * right before heap_buffer_export(), which must follow: nothing else
 * undoes it.
 */
void heap_buffer_init(struct heap_buffer *buf,
		      const struct heap_buffer_ops *ops, unsigned long len)
{
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	buf->len = len;
	buf->vmap_count = 0;
	buf->vaddr = NULL;
	buf->ops = ops;
}

/**
 * heap_buffer_export() - turn a heap buffer into a dma-buf
 * @buf: a buffer set up by heap_buffer_init()
 * @heap: the heap it comes from, whose name becomes the exporter name
 * @fd_flags: flags of the dma-buf's file
 *
 * Takes @buf over whatever happens: on success the dma-buf owns it, and
 * the heap's free hook runs when the last reference is dropped; on
 * failure the hook has run before this returns.  May sleep; called
 * without locks.
 *
 * Return: the dma-buf, with one reference for the caller, or the ERR_PTR()
 * dma_buf_export() returned.
 */
struct dma_buf *heap_buffer_export(struct heap_buffer *buf,
				   struct dma_heap *heap, u32 fd_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;

	info.exp_name = dma_heap_get_name(heap);
	info.ops = &heap_buffer_dma_buf_ops;
	info.size = buf->len;
	info.flags = fd_flags;
	info.priv = buf;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf))
		heap_buffer_free(buf);
	return dmabuf;
}
