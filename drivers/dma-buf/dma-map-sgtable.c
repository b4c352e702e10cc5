// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_map_sgtable(), compiled as part of kernel/dma/mapping.c.
 *
 * This file is not built on its own: the tree preparation
 * (harness/prepare.py) takes the base kernel's dma_map_sgtable() out of
 * kernel/dma/mapping.c and includes this file in its place, because the
 * only way into the DMA layer that reports why a scatterlist mapping
 * failed is that file's static __dma_map_sg_attrs(). Everything it needs
 * is declared by the time the include is reached.
 */

/**
 * DOC: dma_map_sgtable in the DMA-mapping core
 *
 * dma_map_sg_attrs() folds every failure into a return of zero, but
 * callers of dma_map_sgtable() are promised an errno that tells them
 * whether to retry, give up, or report a peer-to-peer problem (NVMe turns
 * -EREMOTEIO into its own status, for instance). So this one function of
 * the sg_table family lives inside the DMA-mapping core, where the
 * mapping's own errno is still at hand; the rest are inline in
 * <linux/dma-sgtable.h>.
 *
 * From a driver it is used like any other DMA API call::
 *
 *	ret = dma_map_sgtable(dev, sgt, DMA_TO_DEVICE, 0);
 *	if (ret)
 *		return ret;	// -EINVAL, -ENOMEM, -EIO or -EREMOTEIO
 */

int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
		    enum dma_data_direction dir, unsigned long attrs)
{
	int segments;

	segments = __dma_map_sg_attrs(dev, sgt->sgl, sgt->orig_nents, dir,
				      attrs);
	if (segments < 0)
		return segments;
	/*
	 * Zero segments is a failure the DMA layer already warned about (a
	 * device without a DMA mask); do not report it as an empty success.
	 */
	if (!segments)
		return -EIO;
	sgt->nents = segments;
	return 0;
}
EXPORT_SYMBOL_GPL(dma_map_sgtable);
