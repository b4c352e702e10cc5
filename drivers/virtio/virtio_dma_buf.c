// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio dma-bufs: a dma-buf flavour that carries the UUID of the host
 * object it was exported from.
 */

#include <linux/bug.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/module.h>
#include <linux/virtio_dma_buf.h>

/**
 * DOC: virtio dma-bufs
 *
 * Several virtio devices of one guest (a GPU, a video decoder, ...) can
 * work on the same host resource. The guest cannot hand the memory from
 * one device to the other in a way the host understands; what the host
 * understands is the UUID under which the exporting device registered the
 * resource. A virtio dma-buf is an ordinary dma-buf whose exporter can also
 * be asked for that UUID, so an importing virtio driver that is handed a
 * dma-buf file descriptor can tell its own device which host object it
 * refers to.
 *
 * The subclass is recognised by its ops: every virtio dma-buf uses
 * virtio_dma_buf_attach() as &dma_buf_ops.attach, and the dma_buf_ops
 * sit inside a &struct virtio_dma_buf_ops that adds the UUID callback
 * (and an optional attach hook, since the attach slot is taken).
 *
 * Exporter::
 *
 *	static const struct virtio_dma_buf_ops my_ops = {
 *		.ops = {
 *			.attach = virtio_dma_buf_attach,
 *			.map_dma_buf = my_map,
 *			.unmap_dma_buf = my_unmap,
 *			.release = my_release,
 *		},
 *		.device_attach = my_device_attach,
 *		.get_uuid = my_get_uuid,
 *	};
 *
 *	exp_info.ops = &my_ops.ops;
 *	dmabuf = virtio_dma_buf_export(&exp_info);
 *
 * Importer::
 *
 *	if (!is_virtio_dma_buf(dmabuf))
 *		return -EINVAL;		// not a host object
 *	ret = virtio_dma_buf_get_uuid(dmabuf, &uuid);
 */

/*
 * The virtio callbacks around @ops. Requires: @ops is the @ops member of
 * a struct virtio_dma_buf_ops, which holds for every buffer that
 * is_virtio_dma_buf() accepts and every export virtio_dma_buf_export()
 * lets through.
 */
static const struct virtio_dma_buf_ops *
to_virtio_ops(const struct dma_buf_ops *ops)
{
	return container_of(ops, const struct virtio_dma_buf_ops, ops);
}

/**
 * virtio_dma_buf_export - export a virtio object as a virtio dma-buf
 * @exp_info: as for dma_buf_export(); @exp_info->ops must be the @ops
 *	member of a &struct virtio_dma_buf_ops
 *
 * Checks that the ops make a virtio dma-buf, then exports with
 * dma_buf_export(), whose rules and results apply unchanged.
 *
 * Context: Process context; may sleep.
 * Return: the new buffer, or ERR_PTR(-EINVAL) when @exp_info or its ops
 * are missing, when &dma_buf_ops.attach is not virtio_dma_buf_attach(), or
 * when &virtio_dma_buf_ops.get_uuid is missing; otherwise whatever
 * dma_buf_export() returns.
 */
struct dma_buf *virtio_dma_buf_export(const struct dma_buf_export_info *exp_info)
{
	const struct dma_buf_ops *ops = exp_info ? exp_info->ops : NULL;

	if (!ops || ops->attach != virtio_dma_buf_attach)
		return ERR_PTR(-EINVAL);
	/* Only now is @ops known to sit inside a virtio_dma_buf_ops. */
	if (!to_virtio_ops(ops)->get_uuid)
		return ERR_PTR(-EINVAL);

	return dma_buf_export(exp_info);
}
EXPORT_SYMBOL(virtio_dma_buf_export);

/**
 * virtio_dma_buf_attach - the &dma_buf_ops.attach of every virtio dma-buf
 * @dma_buf: the buffer being attached to
 * @attach: the new attachment
 *
 * Exporters put this function in &dma_buf_ops.attach and never call it
 * themselves; the dma-buf core calls it for each new attachment. It passes
 * the call on to &virtio_dma_buf_ops.device_attach when there is one.
 *
 * Context: Process context, from dma_buf_attach() and
 * dma_buf_dynamic_attach(); may sleep if the exporter's hook does.
 * Return: 0, or the negative errno of the device_attach hook, which makes
 * the attach fail with it.
 */
int virtio_dma_buf_attach(struct dma_buf *dma_buf,
			  struct dma_buf_attachment *attach)
{
	const struct virtio_dma_buf_ops *vops = to_virtio_ops(dma_buf->ops);

	return vops->device_attach ? vops->device_attach(dma_buf, attach) : 0;
}
EXPORT_SYMBOL(virtio_dma_buf_attach);

/**
 * is_virtio_dma_buf - tell whether a dma-buf is a virtio dma-buf
 * @dma_buf: any dma-buf
 *
 * Context: Any context.
 * Return: true when @dma_buf was exported with virtio_dma_buf_attach() as
 * its attach callback, false otherwise (and for a NULL @dma_buf, with a
 * warning).
 */
bool is_virtio_dma_buf(struct dma_buf *dma_buf)
{
	if (WARN_ON_ONCE(!dma_buf))
		return false;
	return dma_buf->ops->attach == virtio_dma_buf_attach;
}
EXPORT_SYMBOL(is_virtio_dma_buf);

/**
 * virtio_dma_buf_get_uuid - ask a virtio dma-buf's exporter for its UUID
 * @dma_buf: the buffer
 * @uuid: where to store the UUID
 *
 * Context: Process context; may sleep while the exporter waits for its
 * device.
 * Return: 0 with *@uuid set, the exporter's negative errno, or -EINVAL
 * when @dma_buf is not a virtio dma-buf (or an argument is NULL).
 */
int virtio_dma_buf_get_uuid(struct dma_buf *dma_buf, uuid_t *uuid)
{
	if (WARN_ON_ONCE(!uuid) || !is_virtio_dma_buf(dma_buf))
		return -EINVAL;
	return to_virtio_ops(dma_buf->ops)->get_uuid(dma_buf, uuid);
}
EXPORT_SYMBOL(virtio_dma_buf_get_uuid);

MODULE_DESCRIPTION("dma-bufs of virtio objects, with their UUIDs");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
