/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to the dma-buf core: what its files share with each other.
 */

#ifndef __DMA_BUF_INTERNAL_H
#define __DMA_BUF_INTERNAL_H

#include <linux/container_of.h>
#include <linux/dma-buf.h>
#include <linux/rcupdate.h>

/**
 * struct dma_buf_mapping - one live mapping of an attachment
 * @node: Entry in &dma_buf_attach_alloc.mappings; added and removed under
 *	the reservation lock, walked under it or under RCU.
 * @rcu: Frees the record after RCU readers are done with it.
 * @exp_sgt: The table the exporter's map_dma_buf returned.
 * @imp_sgt: The table the importer holds: @exp_sgt, or @copy when
 *	CONFIG_DMABUF_DEBUG hides the pages from importers.
 * @copy: The DMA-only copy handed out under CONFIG_DMABUF_DEBUG.
 * @dir: Direction the mapping was made with.
 * @need_sync: The importer's device needs explicit synchronisation of
 *	this mapping (bounce buffers or caches that do not snoop); decided
 *	once, when the mapping is made.
 * @unfit: The table is not a page-backed streaming mapping (a segment
 *	holds a peer-to-peer bus address or an entry has no struct page, as
 *	with dma_map_resource()), so the core cannot synchronise it through
 *	the DMA API; only the exporter's access hooks can. Decided with
 *	@need_sync, and only for a device that needs synchronisation.
 * @open_brackets: Device-access brackets begun and not yet ended on this
 *	mapping; kept under CONFIG_DMABUF_DEBUG to catch an unmap inside one.
 * @core_pinned: The core pinned the buffer for this mapping and unpins
 *	it at unmap.
 * @embedded: The record allocated with the attachment: it stays on
 *	&dma_buf_attach_alloc.mappings for the attachment's life and is free
 *	while @imp_sgt is NULL, so that the usual one mapping per
 *	attachment allocates nothing on the map path.
 */
struct dma_buf_mapping {
	struct list_head node;
	struct rcu_head rcu;
	struct sg_table *exp_sgt;
	struct sg_table *imp_sgt;
	struct sg_table copy;
	enum dma_data_direction dir;
	bool need_sync;
	bool unfit;
	atomic_t open_brackets;
	bool core_pinned;
	bool embedded;
};

/**
 * struct dma_buf_attach_alloc - an attachment and the core's state of it
 * @attach: The attachment drivers see.
 * @mappings: Mappings of this attachment not yet unmapped; changed under
 *	the reservation lock and read under RCU.
 * @dev_syncs: How many times the core synchronised a mapping of this
 *	attachment for dma_buf_begin_access() or dma_buf_end_access();
 *	stays zero for devices that need no synchronisation.
 * @core_pinned: The core pinned the buffer for the cached mapping of a
 *	static importer.
 * @first: The mapping record of the first mapping, allocated with the
 *	attachment.
 *
 * Allocated together at attach time; to_attach_alloc() finds it.
 */
struct dma_buf_attach_alloc {
	struct dma_buf_attachment attach;
	struct list_head mappings;
	atomic_long_t dev_syncs;
	bool core_pinned;
	struct dma_buf_mapping first;
};

/**
 * to_attach_alloc - the core's state of an attachment
 * @attach: An attachment made by dma_buf_dynamic_attach().
 *
 * Return: The &struct dma_buf_attach_alloc around @attach.
 */
static inline struct dma_buf_attach_alloc *
to_attach_alloc(struct dma_buf_attachment *attach)
{
	return container_of(attach, struct dma_buf_attach_alloc, attach);
}

struct dma_buf_mapping *dma_buf_find_mapping(struct dma_buf_attachment *attach,
					     struct sg_table *sgt);

#endif /* __DMA_BUF_INTERNAL_H */
