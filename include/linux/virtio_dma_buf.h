/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-bufs exported by virtio drivers, which other virtio drivers can ask
 * for the UUID of the host object behind them.
 */

#ifndef __VIRTIO_DMA_BUF_H__
#define __VIRTIO_DMA_BUF_H__

#include <linux/dma-buf.h>
#include <linux/uuid.h>
#include <linux/virtio.h>

/**
 * struct virtio_dma_buf_ops - exporter callbacks of a virtio dma-buf
 * @ops: the ordinary dma-buf callbacks. @ops.attach must be
 *	virtio_dma_buf_attach(): that is how a virtio dma-buf is recognised.
 * @device_attach: optional; called by virtio_dma_buf_attach() for every
 *	new attachment, with the same arguments. An error refuses the
 *	attachment.
 * @get_uuid: required; stores the UUID of the exported object in its
 *	second argument and returns 0, or returns a negative errno. It may
 *	sleep, for instance until the device has acknowledged the UUID.
 *
 * Embed this structure in the exporter's own constant data and pass the
 * address of @ops to virtio_dma_buf_export().
 */
struct virtio_dma_buf_ops {
	struct dma_buf_ops ops;
	int (*device_attach)(struct dma_buf *dma_buf,
			     struct dma_buf_attachment *attach);
	int (*get_uuid)(struct dma_buf *dma_buf, uuid_t *uuid);
};

int virtio_dma_buf_attach(struct dma_buf *dma_buf,
			  struct dma_buf_attachment *attach);

struct dma_buf *virtio_dma_buf_export(const struct dma_buf_export_info *exp_info);
bool is_virtio_dma_buf(struct dma_buf *dma_buf);
int virtio_dma_buf_get_uuid(struct dma_buf *dma_buf, uuid_t *uuid);

#endif /* __VIRTIO_DMA_BUF_H__ */
