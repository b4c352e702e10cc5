// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf attachments: devices joining a buffer, pinning it and mapping it
 * for DMA.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "dma-buf-internal.h"
#include "dma-buf-trace.h"

/**
 * DOC: dma-buf attachments
 *
 * A device that wants to use a buffer attaches to it once and then maps it
 * whenever it needs the DMA addresses. The attachment is where exporter
 * and importer meet: the exporter learns which device will access the
 * memory (and may refuse it, or place the buffer where that device can
 * reach it), the importer gets an &sg_table of DMA addresses for its
 * device.
 *
 * Mapping happens under the buffer's reservation lock. Importers come in
 * two kinds:
 *
 * * Static importers attach with dma_buf_attach(). Their mappings must
 *   stay valid until they unmap them, so the core waits for the
 *   exporter's %DMA_RESV_USAGE_KERNEL fences (a pending move, a clear)
 *   before handing out a mapping, and when the exporter is dynamic it pins
 *   the buffer and maps it once, at attach time.
 * * Dynamic importers attach with dma_buf_dynamic_attach() and a
 *   &dma_buf_attach_ops. They follow the buffer around: when the exporter
 *   moves it, they are told through &dma_buf_attach_ops.move_notify and
 *   map again; they synchronise with the move through the fences of the
 *   reservation object themselves. Only they may accept peer-to-peer
 *   addresses.
 *
 * A typical static importer::
 *
 *	attach = dma_buf_attach(dmabuf, dev);
 *	if (IS_ERR(attach))
 *		return PTR_ERR(attach);
 *	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
 *	if (IS_ERR(sgt)) {
 *		dma_buf_detach(dmabuf, attach);
 *		return PTR_ERR(sgt);
 *	}
 *	for_each_sgtable_dma_sg(sgt, sg, i)
 *		program_device(sg_dma_address(sg), sg_dma_len(sg));
 *	...
 *	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
 *	dma_buf_detach(dmabuf, attach);
 *
 * Importers only look at the DMA side of the table. With
 * CONFIG_DMABUF_DEBUG they get a copy of the exporter's table that holds
 * nothing else, so an importer that reaches for struct page fails at once
 * instead of on some other machine; the exporter gets its own table back
 * at unmap. The same option checks that the exporter hands out a fresh
 * table for each mapping.
 */

/*
 * Does mapping @m need explicit synchronisation for its device, and can
 * the core's DMA API fallback do it? Sets @m->need_sync and @m->unfit.
 * Requires: @sgt mapped for @dev. A device that never needs
 * synchronisation (the usual coherent device without bounce buffers) is
 * answered without looking at the segments. A table that is not a
 * page-backed streaming mapping (peer-to-peer bus addresses, entries
 * without struct page) is unfit for the fallback.
 */
static void mapping_check_sync(struct dma_buf_mapping *m, struct device *dev,
			       struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	m->need_sync = false;
	m->unfit = false;
	if (!dma_dev_need_sync(dev))
		return;
	for_each_sgtable_sg(sgt, sg, i)
		if (!sg_page(sg))
			m->unfit = true;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (sg_dma_is_bus_address(sg))
			m->unfit = true;
		else if (dma_need_sync(dev, sg_dma_address(sg)))
			m->need_sync = true;
	}
	if (m->unfit)
		m->need_sync = true;
}

/*
 * Fill @m->copy with everything of @src but its pages: one entry per CPU
 * entry of @src (@orig_nents of them, with their lengths), the DMA side
 * of its first @nents entries (address, length and the sg dma flags such
 * as SG_DMA_SWIOTLB and SG_DMA_BUS_ADDRESS), and the same two counts.
 * That is what the DMA API's sync calls read from a table mapped with
 * dma_map_sgtable(), so an importer syncing its copy syncs exactly what
 * the exporter mapped; the struct page links stay with the exporter.
 * Requires: @src mapped. Returns 0 or -ENOMEM; on success @m->copy owns
 * a scatterlist to free with sg_free_table().
 */
static int mapping_copy_dma_side(struct dma_buf_mapping *m,
				 struct sg_table *src)
{
	struct scatterlist *from, *to;
	unsigned int i;
	int ret;

	memset(&m->copy, 0, sizeof(m->copy));
	if (!src->orig_nents)
		return 0;

	ret = sg_alloc_table(&m->copy, src->orig_nents, GFP_KERNEL);
	if (ret)
		return ret;

	to = m->copy.sgl;
	for_each_sgtable_sg(src, from, i) {
		to->length = from->length;
		sg_dma_address(to) = sg_dma_address(from);
		sg_dma_len(to) = sg_dma_len(from);
#ifdef CONFIG_NEED_SG_DMA_FLAGS
		to->dma_flags = from->dma_flags;
#endif
		to = sg_next(to);
	}
	m->copy.nents = src->nents;
	return 0;
}

/*
 * Is @sgt a live mapping of any attachment of @dmabuf?
 * Requires: the reservation lock.
 */
static bool sgt_is_mapped(struct dma_buf *dmabuf, struct sg_table *sgt)
{
	struct dma_buf_attachment *a;
	struct dma_buf_mapping *m;

	list_for_each_entry(a, &dmabuf->attachments, node)
		list_for_each_entry(m, &to_attach_alloc(a)->mappings, node)
			if (m->imp_sgt && m->exp_sgt == sgt)
				return true;
	return false;
}

/**
 * dma_buf_find_mapping - look up the record of an importer's table
 * @attach: The attachment the table was mapped for.
 * @sgt: The table as the importer holds it.
 *
 * Context: The reservation lock, or an RCU read-side section for as long
 * as the result is used; the caller guarantees that @sgt stays mapped.
 * Return: The mapping record, or NULL when @sgt is not a live mapping of
 * @attach.
 */
struct dma_buf_mapping *dma_buf_find_mapping(struct dma_buf_attachment *attach,
					     struct sg_table *sgt)
{
	struct dma_buf_mapping *m;

	list_for_each_entry_rcu(m, &to_attach_alloc(attach)->mappings, node,
				dma_resv_held(attach->dmabuf->resv)) {
		/* Pairs with smp_store_release() in mapping_publish(). */
		if (smp_load_acquire(&m->imp_sgt) == sgt)
			return m;
	}
	return NULL;
}

/*
 * A record for a new mapping of @attach: the one allocated with the
 * attachment when it is free, otherwise a new one (only an importer that
 * holds several mappings of one attachment at once gets here).
 * Requires: reservation lock held. Returns NULL when out of memory.
 */
static struct dma_buf_mapping *mapping_record(struct dma_buf_attachment *attach)
{
	struct dma_buf_attach_alloc *alloc = to_attach_alloc(attach);
	struct dma_buf_mapping *m;

	if (!alloc->first.imp_sgt)
		return &alloc->first;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	return m;
}

/*
 * Make the filled-in record @m visible to lookups. The embedded record
 * is always on the list: setting @imp_sgt last (with release semantics)
 * is what publishes it.
 */
static void mapping_publish(struct dma_buf_attachment *attach,
			    struct dma_buf_mapping *m, struct sg_table *imp_sgt)
{
	if (m->embedded) {
		/* The record's fields before the table that finds it. */
		smp_store_release(&m->imp_sgt, imp_sgt);
	} else {
		m->imp_sgt = imp_sgt;
		list_add_rcu(&m->node, &to_attach_alloc(attach)->mappings);
	}
}

/* Give back a record that was never published. */
static void mapping_record_free(struct dma_buf_mapping *m)
{
	if (!m->embedded)
		kfree(m);
}

/*
 * Map @attach in direction @dir through the exporter and record it.
 * Requires: reservation lock held. Pins the buffer first when @pin is
 * set, and keeps that pin with the mapping. Returns the table the
 * importer is to use, or an ERR_PTR with nothing left behind.
 */
static struct sg_table *mapping_create(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir, bool pin)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	struct dma_buf_mapping *m;
	struct sg_table *sgt;
	long ret;

	m = mapping_record(attach);
	if (!m)
		return ERR_PTR(-ENOMEM);

	if (pin) {
		ret = dmabuf->ops->pin(attach);
		if (ret)
			goto err_free;
	}

	sgt = dmabuf->ops->map_dma_buf(attach, dir);
	if (!sgt)
		sgt = ERR_PTR(-ENOMEM);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_unpin;
	}

	/* A static importer uses the mapping as soon as it has it. */
	if (!dma_buf_attachment_is_dynamic(attach)) {
		ret = dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_KERNEL,
					    true, MAX_SCHEDULE_TIMEOUT);
		if (ret < 0)
			goto err_unmap;
	}

	if (IS_ENABLED(CONFIG_DMABUF_DEBUG)) {
		WARN_ONCE(sgt_is_mapped(dmabuf, sgt),
			  "dma-buf: %s handed out an sg_table that is still mapped\n",
			  dmabuf->exp_name);
		ret = mapping_copy_dma_side(m, sgt);
		if (ret)
			goto err_unmap;
	}
	m->exp_sgt = sgt;
	m->dir = dir;
	m->core_pinned = pin;
	atomic_set(&m->open_brackets, 0);
	mapping_check_sync(m, attach->dev, sgt);
	mapping_publish(attach, m,
			IS_ENABLED(CONFIG_DMABUF_DEBUG) ? &m->copy : sgt);
	return m->imp_sgt;

err_unmap:
	dmabuf->ops->unmap_dma_buf(attach, sgt, dir);
err_unpin:
	if (pin)
		dmabuf->ops->unpin(attach);
err_free:
	mapping_record_free(m);
	return ERR_PTR(ret);
}

/*
 * Undo mapping_create() for record @m.
 * Requires: reservation lock held; @m on @attach's list and in use.
 */
static void mapping_destroy(struct dma_buf_attachment *attach,
			    struct dma_buf_mapping *m)
{
	struct dma_buf *dmabuf = attach->dmabuf;

	if (IS_ENABLED(CONFIG_DMABUF_DEBUG))
		WARN_ONCE(atomic_read(&m->open_brackets),
			  "dma-buf: unmap while a device-access bracket is open\n");
	if (m->embedded)
		WRITE_ONCE(m->imp_sgt, NULL);
	else
		list_del_rcu(&m->node);
	dmabuf->ops->unmap_dma_buf(attach, m->exp_sgt, m->dir);
	m->exp_sgt = NULL;
	if (m->core_pinned)
		dmabuf->ops->unpin(attach);
	/*
	 * RCU readers in dma_buf_begin_access() may still be looking at the
	 * record itself, never at the copied entries.
	 */
	if (IS_ENABLED(CONFIG_DMABUF_DEBUG))
		sg_free_table(&m->copy);
	if (!m->embedded)
		kfree_rcu(m, rcu);
}

/**
 * dma_buf_dynamic_attach - attach a device to a buffer
 * @dmabuf: The buffer.
 * @dev: The device that will access it.
 * @importer_ops: The dynamic importer's operations, or NULL for a static
 *	importer.
 * @importer_priv: The importer's private data, stored in the attachment.
 *
 * Creates the attachment, lets the exporter check the device (and refuse
 * peer-to-peer access unless @importer_ops allows it) and adds it to the
 * buffer. When exactly one side is dynamic, the buffer is mapped in both
 * directions right here and that mapping is cached for the life of the
 * attachment; for a dynamic exporter it is also pinned, so a static
 * importer's addresses never move.
 *
 * Context: Process context; takes the reservation lock, which must not be
 * held.
 * Return: The attachment or an ERR_PTR(): -EINVAL for bad arguments,
 * -ENOMEM, or what the exporter's attach, pin or map callback returned.
 */
struct dma_buf_attachment *
dma_buf_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv)
{
	struct dma_buf_attach_alloc *alloc;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int ret;

	if (WARN_ON(!dmabuf || !dev))
		return ERR_PTR(-EINVAL);
	if (WARN_ON(importer_ops && !importer_ops->move_notify))
		return ERR_PTR(-EINVAL);

	alloc = kzalloc(sizeof(*alloc), GFP_KERNEL);
	if (!alloc)
		return ERR_PTR(-ENOMEM);
	attach = &alloc->attach;
	alloc->first.embedded = true;

	attach->dmabuf = dmabuf;
	attach->dev = dev;
	attach->importer_ops = importer_ops;
	attach->importer_priv = importer_priv;
	attach->peer2peer = importer_ops && importer_ops->allow_peer2peer;
	INIT_LIST_HEAD(&alloc->mappings);
	list_add(&alloc->first.node, &alloc->mappings);
	atomic_long_set(&alloc->dev_syncs, 0);

	if (dmabuf->ops->attach) {
		ret = dmabuf->ops->attach(dmabuf, attach);
		if (ret)
			goto err_free;
	}

	dma_resv_lock(dmabuf->resv, NULL);
	list_add(&attach->node, &dmabuf->attachments);
	if (dma_buf_attachment_is_dynamic(attach) != dma_buf_is_dynamic(dmabuf)) {
		bool pin = dma_buf_is_dynamic(dmabuf);

		sgt = mapping_create(attach, DMA_BIDIRECTIONAL, pin);
		if (IS_ERR(sgt)) {
			ret = PTR_ERR(sgt);
			list_del(&attach->node);
			dma_resv_unlock(dmabuf->resv);
			goto err_detach;
		}
		attach->sgt = sgt;
		attach->dir = DMA_BIDIRECTIONAL;
		alloc->core_pinned = pin;
	}
	dma_resv_unlock(dmabuf->resv);

	DMA_BUF_TRACE(dma_buf_dynamic_attach, dmabuf, attach,
		      dma_buf_attachment_is_dynamic(attach), dev);
	return attach;

err_detach:
	if (dmabuf->ops->detach)
		dmabuf->ops->detach(dmabuf, attach);
err_free:
	kfree(alloc);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_dynamic_attach, DMA_BUF);

/**
 * dma_buf_attach - attach a device to a buffer as a static importer
 * @dmabuf: The buffer.
 * @dev: The device that will access it.
 *
 * dma_buf_dynamic_attach() without importer operations: mappings of this
 * attachment stay where they are until they are unmapped.
 *
 * Context: Process context; takes the reservation lock.
 * Return: The attachment or an ERR_PTR().
 */
struct dma_buf_attachment *dma_buf_attach(struct dma_buf *dmabuf,
					  struct device *dev)
{
	return dma_buf_dynamic_attach(dmabuf, dev, NULL, NULL);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_attach, DMA_BUF);

/**
 * dma_buf_detach - detach a device from a buffer
 * @dmabuf: The buffer.
 * @attach: The attachment, from dma_buf_attach() or
 *	dma_buf_dynamic_attach() on @dmabuf.
 *
 * Undoes the cached mapping and the pin the core made for it, removes the
 * attachment and frees it. The importer must have unmapped everything it
 * mapped; what it left behind is unmapped here, with a warning.
 *
 * Context: Process context; takes the reservation lock.
 */
void dma_buf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct dma_buf_attach_alloc *alloc;
	const struct dma_buf_ops *ops;
	struct dma_buf_mapping *m, *tmp;

	if (WARN_ON(!dmabuf || !attach || attach->dmabuf != dmabuf))
		return;

	ops = dmabuf->ops;
	alloc = to_attach_alloc(attach);

	dma_resv_lock(dmabuf->resv, NULL);
	list_del(&attach->node);
	list_for_each_entry_safe(m, tmp, &alloc->mappings, node) {
		if (!m->imp_sgt)
			continue;
		WARN_ONCE(m->imp_sgt != attach->sgt,
			  "dma-buf: detach with a mapping still in use\n");
		mapping_destroy(attach, m);
	}
	attach->sgt = NULL;
	dma_resv_unlock(dmabuf->resv);

	if (ops->detach)
		ops->detach(dmabuf, attach);
	DMA_BUF_TRACE(dma_buf_detach, dmabuf, attach,
		      dma_buf_attachment_is_dynamic(attach), attach->dev);
	/* RCU readers of the embedded record may be finishing. */
	kfree_rcu(alloc, first.rcu);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_detach, DMA_BUF);

/**
 * dma_buf_pin - keep a buffer where it is
 * @attach: A dynamic attachment.
 *
 * For dynamic importers that need the buffer to stay put for a while,
 * for instance while it is scanned out. Undo with dma_buf_unpin(). Pins
 * are counted by the exporter, per attachment.
 *
 * Context: The reservation lock must be held.
 * Return: 0 on success (also when the exporter cannot move buffers at
 * all), or the exporter's error.
 */
int dma_buf_pin(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;

	WARN_ON_ONCE(!dma_buf_attachment_is_dynamic(attach));
	dma_resv_assert_held(dmabuf->resv);

	if (!dmabuf->ops->pin)
		return 0;
	return dmabuf->ops->pin(attach);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_pin, DMA_BUF);

/**
 * dma_buf_unpin - let the exporter move a buffer again
 * @attach: The dynamic attachment that pinned it with dma_buf_pin().
 *
 * Context: The reservation lock must be held.
 */
void dma_buf_unpin(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;

	WARN_ON_ONCE(!dma_buf_attachment_is_dynamic(attach));
	dma_resv_assert_held(dmabuf->resv);

	if (dmabuf->ops->unpin)
		dmabuf->ops->unpin(attach);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unpin, DMA_BUF);

/**
 * dma_buf_move_notify - tell dynamic importers that a buffer moves
 * @dmabuf: The buffer.
 *
 * Called by a dynamic exporter when it is about to move the buffer, after
 * it has added the fences of the move to the reservation object. Every
 * dynamic attachment's &dma_buf_attach_ops.move_notify runs before this
 * returns.
 *
 * Context: The reservation lock must be held.
 */
void dma_buf_move_notify(struct dma_buf *dmabuf)
{
	struct dma_buf_attachment *a;

	dma_resv_assert_held(dmabuf->resv);

	list_for_each_entry(a, &dmabuf->attachments, node) {
		/* Static importers are pinned; they never see a move. */
		if (!dma_buf_attachment_is_dynamic(a))
			continue;
		a->importer_ops->move_notify(a);
	}
}
EXPORT_SYMBOL_NS_GPL(dma_buf_move_notify, DMA_BUF);

/**
 * dma_buf_map_attachment - get the DMA addresses of a buffer for a device
 * @attach: The attachment of the device.
 * @dir: Direction of the transfers the device will do.
 *
 * Asks the exporter to map the buffer for @attach's device and returns the
 * table of DMA addresses. Use only its DMA side (for_each_sgtable_dma_sg(),
 * sg_dma_address(), sg_dma_len()); the pages belong to the exporter.
 *
 * For a static importer the mapping can be used at once: the exporter's
 * pending kernel work on the buffer has completed. A dynamic importer must
 * order its work after the %DMA_RESV_USAGE_KERNEL fences itself, and map
 * again after &dma_buf_attach_ops.move_notify.
 *
 * When the attachment has a cached mapping (see
 * &dma_buf_ops.cache_sgt_mapping) that mapping is returned; asking for a
 * direction it was not made for fails with -EBUSY.
 *
 * Context: Process context, may sleep; the reservation lock must be held.
 * Return: The table, to give back with dma_buf_unmap_attachment(), or an
 * ERR_PTR(): -EINVAL, -EBUSY, -ENOMEM, -ERESTARTSYS or the exporter's
 * error.
 */
struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	bool pin;

	might_sleep();
	if (WARN_ON(!attach || !attach->dmabuf))
		return ERR_PTR(-EINVAL);
	dmabuf = attach->dmabuf;
	dma_resv_assert_held(dmabuf->resv);

	if (attach->sgt) {
		if (attach->dir != dir && attach->dir != DMA_BIDIRECTIONAL)
			return ERR_PTR(-EBUSY);
		return attach->sgt;
	}

	/* Without move notifications nobody may see a dynamic buffer move. */
	pin = dma_buf_is_dynamic(dmabuf) &&
	      !IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY);
	sgt = mapping_create(attach, dir, pin);
	if (!IS_ERR(sgt) && dmabuf->ops->cache_sgt_mapping) {
		attach->sgt = sgt;
		attach->dir = dir;
	}
	return sgt;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_map_attachment, DMA_BUF);

/**
 * dma_buf_map_attachment_unlocked - dma_buf_map_attachment() taking the lock
 * @attach: The attachment of the device.
 * @dir: Direction of the transfers the device will do.
 *
 * Context: Process context; takes the reservation lock, which must not be
 * held.
 * Return: As dma_buf_map_attachment().
 */
struct sg_table *
dma_buf_map_attachment_unlocked(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct dma_resv *resv;
	struct sg_table *sgt;

	might_sleep();
	if (WARN_ON(!attach || !attach->dmabuf))
		return ERR_PTR(-EINVAL);
	resv = attach->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	sgt = dma_buf_map_attachment(attach, dir);
	dma_resv_unlock(resv);
	return sgt;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_map_attachment_unlocked, DMA_BUF);

/**
 * dma_buf_unmap_attachment - give back a mapping
 * @attach: The attachment it was made for.
 * @sgt: The table dma_buf_map_attachment() returned.
 * @dir: The direction it was mapped with.
 *
 * A cached mapping stays until the attachment is detached; everything
 * else goes back to the exporter now. A table the core does not know as
 * a mapping of @attach is a bug of the caller: it warns, and the table
 * still goes to the exporter's &dma_buf_ops.unmap_dma_buf (with the
 * unpin a mapping of a pinned dynamic buffer implies), as with 6.12.
 *
 * Context: Process context; the reservation lock must be held.
 */
void dma_buf_unmap_attachment(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	struct dma_buf_mapping *m;

	might_sleep();
	if (WARN_ON(!attach || !attach->dmabuf || !sgt))
		return;
	dma_resv_assert_held(attach->dmabuf->resv);

	if (attach->sgt == sgt)
		return;

	m = dma_buf_find_mapping(attach, sgt);
	if (WARN_ONCE(!m, "dma-buf: unmap of a table the core did not map\n")) {
		/*
		 * Still the exporter's to take back, as with 6.12; keeping it
		 * would leak it. The pin the map path took goes with it.
		 */
		attach->dmabuf->ops->unmap_dma_buf(attach, sgt, dir);
		if (dma_buf_is_dynamic(attach->dmabuf) &&
		    !IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY))
			attach->dmabuf->ops->unpin(attach);
		return;
	}
	WARN_ON_ONCE(m->dir != dir);
	mapping_destroy(attach, m);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unmap_attachment, DMA_BUF);

/**
 * dma_buf_unmap_attachment_unlocked - dma_buf_unmap_attachment() taking the lock
 * @attach: The attachment it was made for.
 * @sgt: The table dma_buf_map_attachment_unlocked() returned.
 * @dir: The direction it was mapped with.
 *
 * Context: Process context; takes the reservation lock, which must not be
 * held.
 */
void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *attach,
				       struct sg_table *sgt,
				       enum dma_data_direction dir)
{
	struct dma_resv *resv;

	might_sleep();
	if (WARN_ON(!attach || !attach->dmabuf || !sgt))
		return;
	resv = attach->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	dma_buf_unmap_attachment(attach, sgt, dir);
	dma_resv_unlock(resv);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_unmap_attachment_unlocked, DMA_BUF);
