// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf access brackets: CPU access from the kernel and from userspace
 * mappings, kernel virtual mappings, and device access by importers whose
 * devices need explicit cache or bounce-buffer synchronisation.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>

#include "dma-buf-internal.h"
#include "dma-buf-trace.h"

/**
 * DOC: dma-buf CPU access
 *
 * The CPU may read and write a buffer in three ways, each with its own
 * bracket so that the exporter can keep caches coherent with the devices:
 *
 * * Kernel code that touches the memory directly calls
 *   dma_buf_begin_cpu_access() before and dma_buf_end_cpu_access() after.
 *   The first waits for the device work that conflicts with the access.
 * * A kernel virtual mapping of the whole buffer comes from dma_buf_vmap().
 *   It is counted: every importer that asks gets the same mapping, and it
 *   goes away with the last dma_buf_vunmap().
 * * Userspace maps the file with mmap() (or a driver forwards its own mmap
 *   with dma_buf_mmap()) and brackets its accesses with DMA_BUF_IOCTL_SYNC,
 *   which ends up in the same begin/end calls.
 *
 * For instance::
 *
 *	ret = dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE);
 *	if (ret)
 *		return ret;
 *	dma_resv_lock(dmabuf->resv, NULL);
 *	ret = dma_buf_vmap(dmabuf, &map);
 *	if (!ret) {
 *		iosys_map_memcpy_from(dst, &map, 0, len);
 *		dma_buf_vunmap(dmabuf, &map);
 *	}
 *	dma_resv_unlock(dmabuf->resv);
 *	dma_buf_end_cpu_access(dmabuf, DMA_FROM_DEVICE);
 */

/**
 * dma_buf_begin_cpu_access - prepare a buffer for CPU access from the kernel
 * @dmabuf: The buffer.
 * @dir: DMA_FROM_DEVICE to read, DMA_TO_DEVICE to write,
 *	DMA_BIDIRECTIONAL for both.
 *
 * Lets the exporter prepare its caches for the CPU first, then waits until
 * the device work that conflicts with the access is done: the writers for
 * a read, everybody for a write. The order is 6.12's. An exporter that
 * needs its cache maintenance to follow the device's work waits in its
 * hook; one that only starts work there (a migration that adds a
 * %DMA_RESV_USAGE_KERNEL fence, say) can count on the core's wait to
 * cover it, since that wait comes after the hook.
 *
 * Context: Process context, may sleep and be interrupted; takes the
 * reservation lock only through the exporter.
 * Return: 0, -EINVAL for bad arguments, -ERESTARTSYS when interrupted, or
 * the exporter's error (then the core does not wait).
 */
int dma_buf_begin_cpu_access(struct dma_buf *dmabuf,
			     enum dma_data_direction dir)
{
	enum dma_resv_usage usage;
	long ret;

	if (WARN_ON(!dmabuf || !valid_dma_direction(dir)))
		return -EINVAL;
	might_lock(&dmabuf->resv->lock.base);

	if (dmabuf->ops->begin_cpu_access) {
		ret = dmabuf->ops->begin_cpu_access(dmabuf, dir);
		if (ret)
			return ret;
	}

	usage = dma_resv_usage_rw(dir == DMA_TO_DEVICE ||
				  dir == DMA_BIDIRECTIONAL);
	ret = dma_resv_wait_timeout(dmabuf->resv, usage, true,
				    MAX_SCHEDULE_TIMEOUT);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_begin_cpu_access, DMA_BUF);

/**
 * dma_buf_end_cpu_access - finish CPU access from the kernel
 * @dmabuf: The buffer.
 * @dir: The direction given to dma_buf_begin_cpu_access().
 *
 * Lets the exporter write back what the CPU changed, for the devices.
 *
 * Context: Process context, may sleep; takes the reservation lock only
 * through the exporter.
 * Return: 0, -EINVAL for bad arguments, or the exporter's error.
 */
int dma_buf_end_cpu_access(struct dma_buf *dmabuf,
			   enum dma_data_direction dir)
{
	if (WARN_ON(!dmabuf || !valid_dma_direction(dir)))
		return -EINVAL;
	might_lock(&dmabuf->resv->lock.base);

	if (dmabuf->ops->end_cpu_access)
		return dmabuf->ops->end_cpu_access(dmabuf, dir);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_end_cpu_access, DMA_BUF);

/**
 * dma_buf_mmap - map a buffer into a userspace VMA on behalf of a driver
 * @dmabuf: The buffer.
 * @vma: The VMA, set up by the caller's own mmap handler.
 * @pgoff: Offset into the buffer, in pages.
 *
 * Checks that the VMA fits in the buffer, makes the VMA refer to the
 * buffer's file instead of the caller's, and hands it to the exporter.
 *
 * Context: Process context, with the mmap lock of @vma's mm held.
 * Return: 0, -EINVAL when the exporter cannot mmap or the range is past the
 * end of the buffer, -EOVERFLOW when the range wraps, or the exporter's
 * error.
 */
int dma_buf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma,
		 unsigned long pgoff)
{
	unsigned long end;

	if (WARN_ON(!dmabuf || !vma))
		return -EINVAL;
	if (!dmabuf->ops->mmap)
		return -EINVAL;
	if (check_add_overflow(pgoff, vma_pages(vma), &end))
		return -EOVERFLOW;
	if (end > dmabuf->size >> PAGE_SHIFT)
		return -EINVAL;

	vma_set_file(vma, dmabuf->file);
	vma->vm_pgoff = pgoff;

	DMA_BUF_TRACE(dma_buf_mmap, dmabuf);
	return dmabuf->ops->mmap(dmabuf, vma);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_mmap, DMA_BUF);

/**
 * dma_buf_vmap - get a kernel virtual mapping of a whole buffer
 * @dmabuf: The buffer.
 * @map: Out: the mapping (cleared on failure).
 *
 * The first caller gets a new mapping from the exporter, later callers
 * the same one; each call is undone with dma_buf_vunmap().
 *
 * Context: Process context; the reservation lock must be held.
 * Return: 0, -EINVAL when the exporter cannot vmap, or its error.
 */
int dma_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct iosys_map fresh;
	int err;

	iosys_map_clear(map);
	if (WARN_ON(!dmabuf) || !dmabuf->ops->vmap)
		return -EINVAL;
	dma_resv_assert_held(dmabuf->resv);

	if (dmabuf->vmapping_counter) {
		if (WARN_ON_ONCE(iosys_map_is_null(&dmabuf->vmap_ptr)))
			return -EINVAL;
		dmabuf->vmapping_counter++;
		*map = dmabuf->vmap_ptr;
		return 0;
	}

	iosys_map_clear(&fresh);
	err = dmabuf->ops->vmap(dmabuf, &fresh);
	if (err)
		return err;
	if (WARN_ON_ONCE(iosys_map_is_null(&fresh)))
		return -EINVAL;

	dmabuf->vmapping_counter = 1;
	dmabuf->vmap_ptr = fresh;
	*map = dmabuf->vmap_ptr;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vmap, DMA_BUF);

/**
 * dma_buf_vunmap - undo one dma_buf_vmap()
 * @dmabuf: The buffer.
 * @map: The mapping dma_buf_vmap() returned.
 *
 * The exporter removes the mapping when its last user is gone.
 *
 * Context: Process context; the reservation lock must be held.
 */
void dma_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	if (WARN_ON(!dmabuf || !map))
		return;
	dma_resv_assert_held(dmabuf->resv);

	if (WARN_ON_ONCE(!dmabuf->vmapping_counter) ||
	    WARN_ON_ONCE(!iosys_map_is_equal(&dmabuf->vmap_ptr, map)))
		return;

	dmabuf->vmapping_counter--;
	if (!dmabuf->vmapping_counter) {
		/* The last user is gone: tear the mapping down. */
		if (dmabuf->ops->vunmap)
			dmabuf->ops->vunmap(dmabuf, map);
		iosys_map_clear(&dmabuf->vmap_ptr);
	}
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vunmap, DMA_BUF);

/**
 * dma_buf_vmap_unlocked - dma_buf_vmap() taking the reservation lock
 * @dmabuf: The buffer.
 * @map: Out: the mapping.
 *
 * Context: Process context; takes the reservation lock.
 * Return: As dma_buf_vmap().
 */
int dma_buf_vmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dma_resv *resv;
	int err;

	if (WARN_ON(!dmabuf)) {
		iosys_map_clear(map);
		return -EINVAL;
	}
	resv = dmabuf->resv;

	dma_resv_lock(resv, NULL);
	err = dma_buf_vmap(dmabuf, map);
	dma_resv_unlock(resv);
	return err;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vmap_unlocked, DMA_BUF);

/**
 * dma_buf_vunmap_unlocked - dma_buf_vunmap() taking the reservation lock
 * @dmabuf: The buffer.
 * @map: The mapping dma_buf_vmap_unlocked() returned.
 *
 * Context: Process context; takes the reservation lock.
 */
void dma_buf_vunmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dma_resv *resv;

	if (WARN_ON(!dmabuf))
		return;
	resv = dmabuf->resv;

	dma_resv_lock(resv, NULL);
	dma_buf_vunmap(dmabuf, map);
	dma_resv_unlock(resv);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_vunmap_unlocked, DMA_BUF);

/**
 * DOC: dma-buf device access
 *
 * dma_buf_begin_access() and dma_buf_end_access() bracket one device
 * transfer on a mapping an importer already holds, for devices whose view
 * of memory is not coherent with the CPU's: the CPU writes back its caches
 * (or fills the bounce buffer) before the device reads, and invalidates
 * them (or copies the bounce buffer back) after the device wrote.
 *
 * Mapping and unmapping around each transfer would do the same, but it
 * takes the reservation lock and allocates memory, and an importer that
 * publishes a dma_fence for the transfer cannot do either between
 * publishing the fence and signalling it. These two calls are built for
 * that window:
 *
 * * they take no lock that can sleep and allocate nothing, so they may be
 *   called from the interrupt handler that completes the transfer;
 * * they run inside dma_fence_begin_signalling(), so lockdep reports an
 *   exporter callback that waits for fences, takes the reservation lock
 *   or allocates with reclaim;
 * * when the exporter has no &dma_buf_ops.begin_access, the core
 *   synchronises the importer's mapping through the DMA API, for the
 *   importer's device: exporters carry no importer-specific coherency
 *   code, and a pair of devices is handled correctly whatever exports the
 *   buffer;
 * * whether a mapping needs synchronisation is decided once, when it is
 *   made; a coherent device pays a list lookup per call and nothing else
 *   (&dma_buf_attach_alloc.dev_syncs stays zero).
 *
 * An importer's completion path::
 *
 *	dma_buf_begin_access(attach, sgt, DMA_FROM_DEVICE);
 *	start_capture(dev, sgt);
 *	...
 *	irqreturn_t capture_done(int irq, void *data)
 *	{
 *		dma_buf_end_access(attach, sgt, DMA_FROM_DEVICE);
 *		dma_fence_signal(fence);
 *		return IRQ_HANDLED;
 *	}
 *
 * CPU access to the buffer still goes through dma_buf_begin_cpu_access()
 * and its friends; these calls only order the importer's device against
 * the CPU.
 *
 * What the core's fallback assumes of the exporter's table: a streaming
 * mapping of pages, made with dma_map_sgtable() for the importer's device
 * (what dma_sync_sgtable_for_device() and dma_sync_sgtable_for_cpu() may
 * be called on). Tables that are not (a segment with a peer-to-peer bus
 * address, SG_DMA_BUS_ADDRESS; an entry without struct page, as with
 * dma_map_resource() of device memory) need the exporter's own
 * &dma_buf_ops.begin_access and &dma_buf_ops.end_access. Mapping such a
 * table still works as with 6.12; when the importer's device needs
 * synchronisation and the exporter has no hooks, the brackets fail with
 * -EOPNOTSUPP instead of synchronising memory they cannot reach (the
 * decision is taken at map time, and costs nothing for a device that
 * never needs synchronisation, for which the brackets do nothing). An
 * exporter provides both hooks or neither: dma_buf_export() refuses half
 * a pair with a warning and -EINVAL.
 *
 * With CONFIG_DMABUF_DEBUG the core counts the open brackets of each
 * mapping and warns when an importer unmaps one while a bracket is open.
 *
 * Lockdep and interrupt context: in process context the brackets run
 * inside dma_fence_begin_signalling(), so lockdep records every lock an
 * exporter hook takes and every wait or reclaim-capable allocation it
 * makes as a dependency of fence signalling, and reports a cycle with the
 * reservation lock or dma_fence_wait(). In hard or soft interrupt
 * context, and with preemption disabled, dma_fence_begin_signalling()
 * annotates nothing (taking its map from interrupts would force
 * irq-safe rules on every lock used in a section): lockdep then checks
 * only the usual irq-safety of the locks the hook takes, and a hook that
 * sleeps is caught by might_sleep() with CONFIG_DEBUG_ATOMIC_SLEEP, not
 * by lockdep. A hook called only from interrupts is therefore never
 * checked against fence signalling; call it once from process context
 * (as the tests do) to have it checked. Lockdep also learns only from
 * the paths that ran in this boot.
 */

enum dma_buf_access_phase {
	DMA_BUF_ACCESS_BEGIN,
	DMA_BUF_ACCESS_END,
};

/*
 * Is a transfer in direction @dir allowed on a mapping made with @mapped?
 * A bidirectional mapping takes anything, others only their direction.
 */
static bool access_dir_fits(enum dma_data_direction mapped,
			    enum dma_data_direction dir)
{
	if (dir == DMA_NONE || !valid_dma_direction(dir))
		return false;
	return mapped == DMA_BIDIRECTIONAL || mapped == dir;
}

/*
 * Common body of dma_buf_begin_access() and dma_buf_end_access().
 * Requires: nothing; runs in any context. Returns 0 or a negative errno.
 */
static int dma_buf_device_access(struct dma_buf_attachment *attach,
				 struct sg_table *sgt,
				 enum dma_data_direction dir,
				 enum dma_buf_access_phase phase)
{
	const struct dma_buf_ops *ops;
	struct dma_buf_mapping *m;
	struct sg_table *exp_sgt;
	bool need_sync, unfit, cookie;
	int ret = 0;

	if (WARN_ON_ONCE(!attach || !attach->dmabuf || !sgt))
		return -EINVAL;
	ops = attach->dmabuf->ops;

	cookie = dma_fence_begin_signalling();
	rcu_read_lock();
	m = dma_buf_find_mapping(attach, sgt);
	if (WARN_ONCE(!m, "dma-buf: device access to an unmapped table\n")) {
		rcu_read_unlock();
		ret = -EINVAL;
		goto out;
	}
	if (WARN_ONCE(!access_dir_fits(m->dir, dir),
		      "dma-buf: device access in direction %d to a mapping made for %d\n",
		      dir, m->dir)) {
		rcu_read_unlock();
		ret = -EINVAL;
		goto out;
	}
	exp_sgt = m->exp_sgt;
	need_sync = m->need_sync;
	unfit = m->unfit;
	rcu_read_unlock();

	if (phase == DMA_BUF_ACCESS_BEGIN && ops->begin_access) {
		ret = ops->begin_access(attach, exp_sgt, dir);
	} else if (phase == DMA_BUF_ACCESS_END && ops->end_access) {
		ret = ops->end_access(attach, exp_sgt, dir);
	} else if (unfit) {
		/* Not page-backed: only the exporter could synchronise it. */
		ret = -EOPNOTSUPP;
	} else if (need_sync) {
		if (phase == DMA_BUF_ACCESS_BEGIN)
			dma_sync_sgtable_for_device(attach->dev, exp_sgt, dir);
		else
			dma_sync_sgtable_for_cpu(attach->dev, exp_sgt, dir);
		atomic_long_inc(&to_attach_alloc(attach)->dev_syncs);
	}

	/*
	 * The record lives as long as the mapping, which the importer keeps
	 * for the duration of the call.
	 */
	if (IS_ENABLED(CONFIG_DMABUF_DEBUG)) {
		if (phase == DMA_BUF_ACCESS_END)
			atomic_dec_if_positive(&m->open_brackets);
		else if (!ret)
			atomic_inc(&m->open_brackets);
	}
out:
	dma_fence_end_signalling(cookie);
	return ret;
}

/**
 * dma_buf_begin_access - make a mapping ready for a device transfer
 * @attach: The importer's attachment.
 * @sgt: The importer's table, from dma_buf_map_attachment().
 * @dir: Direction of the transfer; must fit the mapping's direction.
 *
 * Whatever the CPU wrote to the buffer becomes visible to the device, and
 * nothing the CPU still holds will overwrite what the device writes. Pair
 * with dma_buf_end_access() once the transfer has completed. The importer
 * guarantees that @sgt stays mapped for the duration of the call.
 *
 * Context: Any context, including hard interrupts and dma-fence
 * signalling critical sections; does not sleep or allocate.
 * Return: 0, -EINVAL when @sgt is not a mapping of @attach or @dir does
 * not fit it, -EOPNOTSUPP when the device needs synchronisation, the
 * exporter has no hooks and the table is not page-backed (see "Device
 * access by non-coherent importers"), or the exporter's error.
 */
int dma_buf_begin_access(struct dma_buf_attachment *attach,
			 struct sg_table *sgt, enum dma_data_direction dir)
{
	return dma_buf_device_access(attach, sgt, dir, DMA_BUF_ACCESS_BEGIN);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_begin_access, DMA_BUF);

/**
 * dma_buf_end_access - make a device transfer's results visible to the CPU
 * @attach: The importer's attachment.
 * @sgt: The importer's table, as given to dma_buf_begin_access().
 * @dir: The direction given to dma_buf_begin_access().
 *
 * Whatever the device wrote becomes visible to the CPU (and to CPU-side
 * copies such as bounce buffers' originals).
 *
 * Context: Any context, including hard interrupts and dma-fence
 * signalling critical sections; does not sleep or allocate.
 * Return: 0, -EINVAL when @sgt is not a mapping of @attach or @dir does
 * not fit it, -EOPNOTSUPP when the device needs synchronisation, the
 * exporter has no hooks and the table is not page-backed (see "Device
 * access by non-coherent importers"), or the exporter's error.
 */
int dma_buf_end_access(struct dma_buf_attachment *attach,
		       struct sg_table *sgt, enum dma_data_direction dir)
{
	return dma_buf_device_access(attach, sgt, dir, DMA_BUF_ACCESS_END);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_end_access, DMA_BUF);
