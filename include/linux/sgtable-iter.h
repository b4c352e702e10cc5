/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loops over a struct sg_table: its CPU side (the pages the table was
 * built from) and its DMA side (the segments a DMA mapping produced).
 * <linux/scatterlist.h> includes this header after its own scatterlist
 * loops; include that one.
 */

#ifndef _LINUX_SGTABLE_ITER_H
#define _LINUX_SGTABLE_ITER_H

#include <linux/scatterlist.h>

/**
 * DOC: sg_table iterators
 *
 * A &struct sg_table carries two counts because it describes the same
 * memory twice. @orig_nents is the number of entries the table was built
 * with: each entry names a page, an offset and a length, and together they
 * are the CPU's view of the buffer. @nents is what dma_map_sgtable() got
 * back from the DMA layer: the number of DMA segments, stored in the
 * sg_dma_address() and sg_dma_len() fields of the first @nents entries.
 * An IOMMU, or any DMA layer that can join neighbouring chunks, may hand
 * back fewer segments than it was given, so @nents can be smaller than
 * @orig_nents; the remaining entries then carry no DMA segment at all.
 * Before the table is mapped, and after it is unmapped, only the CPU side
 * means anything.
 *
 * The loops below pick the right count for each side, so callers need not:
 * for_each_sgtable_sg() and for_each_sgtable_page() walk the CPU side with
 * @orig_nents, for_each_sgtable_dma_sg() and for_each_sgtable_dma_page()
 * walk the DMA side with @nents. Walking DMA addresses with @orig_nents
 * reads entries that hold no segment, and walking pages with @nents skips
 * part of the buffer; both go unnoticed wherever the DMA layer never
 * merges, which is why the loops exist.
 *
 * Programming a device with the segments of a mapped table::
 *
 *	struct scatterlist *sg;
 *	unsigned int i;
 *
 *	for_each_sgtable_dma_sg(sgt, sg, i)
 *		hw_add_segment(hw, sg_dma_address(sg), sg_dma_len(sg));
 *
 * and clearing the pages behind the same table::
 *
 *	struct sg_page_iter piter;
 *
 *	for_each_sgtable_page(sgt, &piter, 0)
 *		clear_highpage(sg_page_iter_page(&piter));
 */

/**
 * for_each_sgtable_sg - walk the CPU side of a table, entry by entry
 * @sgt: the &struct sg_table
 * @sg: a &struct scatterlist pointer set to each entry in turn
 * @i: an integer variable counting the entries from zero
 *
 * Visits all @sgt->orig_nents entries, whether or not the table is
 * DMA-mapped. Use sg_page(), @sg->offset and @sg->length on them.
 */
#define for_each_sgtable_sg(sgt, sg, i) \
	for_each_sg((sgt)->sgl, sg, (sgt)->orig_nents, i)

/**
 * for_each_sgtable_dma_sg - walk the DMA segments of a mapped table
 * @sgt: the &struct sg_table, mapped with dma_map_sgtable()
 * @sg: a &struct scatterlist pointer set to the entry of each segment
 * @i: an integer variable counting the segments from zero
 *
 * Visits the first @sgt->nents entries, which hold the segments of the
 * mapping. Use only sg_dma_address() and sg_dma_len() on them: after a
 * merge an entry's page, offset and length no longer match its segment.
 */
#define for_each_sgtable_dma_sg(sgt, sg, i) \
	for_each_sg((sgt)->sgl, sg, (sgt)->nents, i)

/**
 * for_each_sgtable_page - walk the pages of a table, page by page
 * @sgt: the &struct sg_table
 * @piter: a &struct sg_page_iter pointer holding the position
 * @pgoffset: number of pages to skip at the start of the buffer
 *
 * Visits every page described by the @sgt->orig_nents entries, from page
 * @pgoffset of the buffer on; sg_page_iter_page() returns the current one.
 * See for_each_sg_page().
 */
#define for_each_sgtable_page(sgt, piter, pgoffset) \
	for_each_sg_page((sgt)->sgl, piter, (sgt)->orig_nents, pgoffset)

/**
 * for_each_sgtable_dma_page - walk a mapped table's DMA addresses by page
 * @sgt: the &struct sg_table, mapped with dma_map_sgtable()
 * @dma_iter: a &struct sg_dma_page_iter pointer holding the position
 * @pgoffset: number of pages to skip at the start of the mapping
 *
 * Visits each PAGE_SIZE step of the @sgt->nents DMA segments, from page
 * @pgoffset of the mapping on; sg_page_iter_dma_address() returns the DMA
 * address of the current step. See for_each_sg_dma_page().
 */
#define for_each_sgtable_dma_page(sgt, dma_iter, pgoffset) \
	for_each_sg_dma_page((sgt)->sgl, dma_iter, (sgt)->nents, pgoffset)

#endif /* _LINUX_SGTABLE_ITER_H */
