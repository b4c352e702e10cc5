/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DMA mapping of a whole struct sg_table: map, unmap and the two
 * ownership hand-overs. <linux/dma-mapping.h> includes this header after
 * its scatterlist calls; include that one.
 */

#ifndef _LINUX_DMA_SGTABLE_H
#define _LINUX_DMA_SGTABLE_H

#include <linux/dma-mapping.h>

/**
 * DOC: DMA mapping of an sg_table
 *
 * The scatterlist calls of the DMA API take a list and a count, and the
 * count each of them wants is easy to get wrong: dma_map_sg_attrs() is
 * given the number of CPU entries and returns the number of DMA segments,
 * which may be smaller, while dma_unmap_sg_attrs() and the sync calls
 * must be given the CPU count again, never the segment count. A &struct
 * sg_table keeps both (@orig_nents for the CPU side, @nents for the DMA
 * side, see the sg_table iterators in <linux/sgtable-iter.h>), and the
 * calls below pass the right one:
 *
 * - dma_map_sgtable() maps the @orig_nents entries and stores the number
 *   of segments in @nents;
 * - dma_unmap_sgtable(), dma_sync_sgtable_for_cpu() and
 *   dma_sync_sgtable_for_device() hand the DMA layer the @orig_nents
 *   entries it mapped, whatever @nents says.
 *
 * Between dma_map_sgtable() and dma_unmap_sgtable() the device owns the
 * buffer. The CPU may touch it only between dma_sync_sgtable_for_cpu() and
 * the next dma_sync_sgtable_for_device(). Typical streaming use::
 *
 *	ret = dma_map_sgtable(dev, sgt, DMA_FROM_DEVICE, 0);
 *	if (ret)
 *		return ret;
 *	for_each_sgtable_dma_sg(sgt, sg, i)
 *		hw_add_segment(hw, sg_dma_address(sg), sg_dma_len(sg));
 *	hw_run_and_wait(hw);
 *	dma_sync_sgtable_for_cpu(dev, sgt, DMA_FROM_DEVICE);
 *	consume(sgt);
 *	dma_sync_sgtable_for_device(dev, sgt, DMA_FROM_DEVICE);
 *	...
 *	dma_unmap_sgtable(dev, sgt, DMA_FROM_DEVICE, 0);
 */

#ifdef CONFIG_HAS_DMA
/**
 * dma_map_sgtable - map the CPU side of a table for a device
 * @dev: the device that will do the DMA
 * @sgt: the table; its @orig_nents entries are mapped
 * @dir: the direction of the transfers
 * @attrs: DMA_ATTR_* flags, 0 for none
 *
 * On success the DMA segments are in the first @sgt->nents entries (walk
 * them with for_each_sgtable_dma_sg()) and the buffer belongs to the
 * device until dma_sync_sgtable_for_cpu() or dma_unmap_sgtable(). On
 * failure @sgt is left as it was.
 *
 * Context: Any context; does not sleep. The DMA layer may have to
 * allocate (atomically), which is one way to get -ENOMEM.
 * Return: 0 on success, or a negative errno: -EINVAL for a request that
 * can never succeed (bad alignment or arguments), -ENOMEM when the DMA
 * layer ran out of memory or address space (a later retry may work),
 * -EREMOTEIO when @dev cannot reach peer-to-peer memory in the table, and
 * -EIO for any other failure, including a device without a DMA mask.
 */
int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
		    enum dma_data_direction dir, unsigned long attrs);
#else
static inline int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
				  enum dma_data_direction dir,
				  unsigned long attrs)
{
	return -EOPNOTSUPP;
}
#endif

/**
 * dma_unmap_sgtable - undo dma_map_sgtable()
 * @dev: the device the table was mapped for
 * @sgt: the table
 * @dir: the direction it was mapped with
 * @attrs: DMA_ATTR_* flags, 0 for none
 *
 * Gives all @sgt->orig_nents entries back to the DMA layer, which needs
 * the count it was given at map time, and returns the buffer to the CPU.
 * @sgt->nents keeps its value but means nothing any more.
 *
 * Context: Any context; does not sleep.
 */
static inline void dma_unmap_sgtable(struct device *dev, struct sg_table *sgt,
				     enum dma_data_direction dir,
				     unsigned long attrs)
{
	dma_unmap_sg_attrs(dev, sgt->sgl, sgt->orig_nents, dir, attrs);
}

/**
 * dma_sync_sgtable_for_cpu - let the CPU access a mapped table's memory
 * @dev: the device the table is mapped for
 * @sgt: the table
 * @dir: the direction it was mapped with
 *
 * Makes what the device wrote visible to the CPU (cache maintenance, or a
 * copy out of bounce buffers) over all @sgt->orig_nents entries, and hands
 * the buffer to the CPU. Hand it back with dma_sync_sgtable_for_device()
 * before the device touches it again.
 *
 * Context: Any context; does not sleep.
 */
static inline void dma_sync_sgtable_for_cpu(struct device *dev,
					    struct sg_table *sgt,
					    enum dma_data_direction dir)
{
	dma_sync_sg_for_cpu(dev, sgt->sgl, sgt->orig_nents, dir);
}

/**
 * dma_sync_sgtable_for_device - give a mapped table's memory to the device
 * @dev: the device the table is mapped for
 * @sgt: the table
 * @dir: the direction it was mapped with
 *
 * Makes what the CPU wrote visible to the device over all @sgt->orig_nents
 * entries and hands the buffer back to the device, until the next
 * dma_sync_sgtable_for_cpu() or dma_unmap_sgtable().
 *
 * Context: Any context; does not sleep.
 */
static inline void dma_sync_sgtable_for_device(struct device *dev,
					       struct sg_table *sgt,
					       enum dma_data_direction dir)
{
	dma_sync_sg_for_device(dev, sgt->sgl, sgt->orig_nents, dir);
}

#endif /* _LINUX_DMA_SGTABLE_H */
