/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf: a buffer one driver (the exporter) hands to other drivers and to
 * userspace (the importers) as a file, with the hooks that let importers
 * map it for their devices and for the CPU.
 */

#ifndef __DMA_BUF_H__
#define __DMA_BUF_H__

#include <linux/atomic.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/wait.h>

struct device;
struct dma_buf;
struct dma_buf_attachment;

/**
 * struct dma_buf_ops - what an exporter implements for its buffers
 *
 * @map_dma_buf, @unmap_dma_buf and @release are mandatory, everything else
 * is optional. @pin and @unpin come as a pair; an exporter that has them is
 * a dynamic exporter, which may move its buffers while they are not pinned
 * and then tells dynamic importers through dma_buf_move_notify().
 *
 * Unless a callback says otherwise, the dma-buf core calls it with the
 * buffer's reservation lock (&dma_buf.resv) held.
 */
struct dma_buf_ops {
	/**
	 * @cache_sgt_mapping: Let the core keep the first mapping of every
	 * attachment until the attachment is detached, so that mapping it
	 * again costs nothing. Not allowed together with @pin.
	 */
	bool cache_sgt_mapping;

	/**
	 * @attach: Optional. Called when a device attaches, without the
	 * reservation lock held. May refuse the device, typically with
	 * -EBUSY when the backing store cannot be reached by it; the
	 * importer may then try to move the buffer elsewhere. An exporter
	 * must refuse to set up peer-to-peer access unless
	 * &dma_buf_attachment.peer2peer is set.
	 *
	 * Returns 0 on success, a negative errno otherwise.
	 */
	int (*attach)(struct dma_buf *dmabuf,
		      struct dma_buf_attachment *attach);

	/**
	 * @detach: Optional. Undoes @attach, without the reservation lock
	 * held.
	 */
	void (*detach)(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attach);

	/**
	 * @pin: Keep the backing store where it is until @unpin, on behalf
	 * of @attach. Called with the reservation lock held. Its presence
	 * makes the exporter dynamic.
	 *
	 * Returns 0 on success, a negative errno otherwise.
	 */
	int (*pin)(struct dma_buf_attachment *attach);

	/**
	 * @unpin: Undoes one @pin of the same attachment. Called with the
	 * reservation lock held.
	 */
	void (*unpin)(struct dma_buf_attachment *attach);

	/**
	 * @map_dma_buf: Mandatory. Map the buffer for the attached device
	 * and return an sg_table whose DMA side (sg_dma_address() and
	 * sg_dma_len() of the first &sg_table.nents entries) the device may
	 * use. Called with the reservation lock held. Importers must not
	 * look at the page side of the table; with CONFIG_DMABUF_DEBUG they
	 * cannot.
	 *
	 * A dynamic exporter may move the buffer after this returns unless
	 * it is pinned; it then adds a %DMA_RESV_USAGE_KERNEL fence for the
	 * move and calls dma_buf_move_notify(). Every returned table must be
	 * distinct while it is mapped.
	 *
	 * Returns the table or an ERR_PTR(); NULL is treated as -ENOMEM.
	 */
	struct sg_table * (*map_dma_buf)(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir);

	/**
	 * @unmap_dma_buf: Mandatory. Undoes @map_dma_buf for the table it
	 * returned. Called with the reservation lock held.
	 */
	void (*unmap_dma_buf)(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir);

	/**
	 * @release: Mandatory. The last reference to the buffer is gone;
	 * free the exporter's side of it. Called without locks.
	 */
	void (*release)(struct dma_buf *dmabuf);

	/**
	 * @begin_cpu_access: Optional. Make the buffer coherent for CPU
	 * access in the given direction, after the device work in the
	 * reservation object has completed. Called without the reservation
	 * lock; may take it, may sleep and may be interrupted.
	 *
	 * Returns 0 on success, a negative errno otherwise (-ERESTARTSYS,
	 * -EINTR and -EAGAIN are passed to userspace for a restart).
	 */
	int (*begin_cpu_access)(struct dma_buf *dmabuf,
				enum dma_data_direction dir);

	/**
	 * @end_cpu_access: Optional. CPU access in the given direction is
	 * over: write back what the CPU changed so that devices see it.
	 * Same context as @begin_cpu_access.
	 *
	 * Returns 0 on success, a negative errno otherwise.
	 */
	int (*end_cpu_access)(struct dma_buf *dmabuf,
			      enum dma_data_direction dir);

	/**
	 * @mmap: Optional. Map the buffer into a userspace VMA whose
	 * &vm_area_struct.vm_pgoff is the page offset into the buffer; the
	 * core has already checked that the range fits. Called without the
	 * reservation lock held. Coherency is handled through
	 * @begin_cpu_access and @end_cpu_access (DMA_BUF_IOCTL_SYNC).
	 *
	 * Returns 0 on success, a negative errno otherwise.
	 */
	int (*mmap)(struct dma_buf *dmabuf, struct vm_area_struct *vma);

	/**
	 * @vmap: Optional. Map the whole buffer into the kernel's address
	 * space and describe the mapping in @map. Called with the
	 * reservation lock held, only when no such mapping exists.
	 *
	 * Returns 0 on success, a negative errno otherwise.
	 */
	int (*vmap)(struct dma_buf *dmabuf, struct iosys_map *map);

	/**
	 * @vunmap: Optional. Remove the mapping made by @vmap. Called with
	 * the reservation lock held.
	 */
	void (*vunmap)(struct dma_buf *dmabuf, struct iosys_map *map);

	/**
	 * @begin_access: Optional. An importer's device is about to access
	 * the mapping @sgt (the table @map_dma_buf returned) in direction
	 * @dir. Only for exporters whose memory needs more than the DMA
	 * API's own synchronisation of the importer's mapping, which the
	 * core does when this hook is absent.
	 *
	 * Runs inside a dma-fence signalling critical section and possibly
	 * in interrupt context: it must not sleep, allocate memory or take
	 * the reservation lock.
	 *
	 * Returns 0 on success, a negative errno otherwise.
	 */
	int (*begin_access)(struct dma_buf_attachment *attach,
			    struct sg_table *sgt, enum dma_data_direction dir);

	/**
	 * @end_access: Optional. The device access announced by
	 * @begin_access is complete. Same rules as @begin_access.
	 *
	 * Returns 0 on success, a negative errno otherwise.
	 */
	int (*end_access)(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir);
};

/**
 * struct dma_buf - a shared buffer
 * @size: Size of the buffer in bytes; fixed for its whole life.
 * @file: The file that represents the buffer; its reference count is the
 *	buffer's.
 * @attachments: The &struct dma_buf_attachment of every attached device,
 *	protected by the reservation lock.
 * @ops: The exporter's operations.
 * @vmapping_counter: How many dma_buf_vmap() calls are not yet undone;
 *	protected by the reservation lock.
 * @vmap_ptr: The kernel mapping while @vmapping_counter is not zero.
 * @exp_name: Name of the exporter, for debugging.
 * @name: Name userspace gave the buffer with DMA_BUF_SET_NAME, or NULL;
 *	protected by @name_lock.
 * @name_lock: Protects @name against concurrent renames and readers.
 * @owner: The exporting module, referenced while the buffer exists.
 * @list_node: Entry in the core's list of all live buffers, for debugfs
 *	and dma_buf_iter_begin(); only with CONFIG_DEBUG_FS, as in 6.12
 *	(mainline keeps it in every configuration since Linux 6.16).
 * @priv: The exporter's private data.
 * @resv: The reservation object: the lock and the fences of the buffer.
 *	Embedded after the structure when the exporter provides none.
 * @poll: Wait queue of poll() on the file.
 * @cb_in: Fence callback state of a pending poll() for %EPOLLIN.
 * @cb_out: Fence callback state of a pending poll() for %EPOLLOUT.
 * @sysfs_entry: Statistics entry under /sys/kernel/dmabuf/buffers.
 *
 * Created by dma_buf_export(), referenced through its file with
 * get_dma_buf() and dma_buf_put(), freed when the last reference is gone.
 */
struct dma_buf {
	size_t size;
	struct file *file;
	struct list_head attachments;
	const struct dma_buf_ops *ops;
	unsigned int vmapping_counter;
	struct iosys_map vmap_ptr;
	const char *exp_name;
	const char *name;
	spinlock_t name_lock;	/* protects name */
	struct module *owner;	/* pinned while the buffer lives */
#if IS_ENABLED(CONFIG_DEBUG_FS)
	struct list_head list_node;	/* in the list of live buffers */
#endif
	void *priv;
	struct dma_resv *resv;	/* never NULL */
	wait_queue_head_t poll;

	/*
	 * A fence callback armed by poll(): @cb is the callback, @poll the
	 * wait queue to wake (&dma_buf.poll), @active the armed event or 0
	 * when no callback is pending, protected by the lock of @poll.
	 */
	struct dma_buf_poll_cb_t {
		struct dma_fence_cb cb;
		wait_queue_head_t *poll;	/* &dma_buf.poll */
		__poll_t active;
	} cb_in, cb_out;
#ifdef CONFIG_DMABUF_SYSFS_STATS
	/* The sysfs directory (@kobj) describing the buffer @dmabuf. */
	struct dma_buf_sysfs_entry {
		struct kobject kobj;	/* the directory */
		struct dma_buf *dmabuf;
	} *sysfs_entry;
#endif
};

/**
 * struct dma_buf_attach_ops - what a dynamic importer implements
 * @allow_peer2peer: The importer can handle DMA addresses that point into
 *	another device's memory (PCI BARs) and have no struct page behind
 *	them. Copied to &dma_buf_attachment.peer2peer.
 * @move_notify: Mandatory. Called with the reservation lock held when the
 *	exporter is about to move the buffer: mappings of the attachment
 *	become invalid once the %DMA_RESV_USAGE_KERNEL fences added for the
 *	move have signalled, and must be made again with
 *	dma_buf_map_attachment() before the next use. Not called for pinned
 *	buffers.
 *
 * Passed to dma_buf_dynamic_attach(). An importer with these ops may map
 * the buffer without pinning it.
 */
struct dma_buf_attach_ops {
	bool allow_peer2peer;	/* accepts addresses without struct page */
	void (*move_notify)(struct dma_buf_attachment *attach);
};

/**
 * struct dma_buf_attachment - one device's attachment to a buffer
 * @dmabuf: The buffer.
 * @dev: The attached device.
 * @node: Entry in &dma_buf.attachments.
 * @sgt: The cached mapping, when the core keeps one (see
 *	&dma_buf_ops.cache_sgt_mapping); private to the core.
 * @dir: Direction of the cached mapping; private to the core.
 * @peer2peer: The importer accepts peer-to-peer DMA addresses.
 * @importer_ops: The dynamic importer's operations, or NULL.
 * @importer_priv: The importer's private data.
 * @priv: The exporter's private data.
 *
 * Created by dma_buf_attach() or dma_buf_dynamic_attach(), freed by
 * dma_buf_detach(). The core keeps its own state of the attachment next
 * to it, not in it, so that the structure stays as small as 6.12's.
 */
struct dma_buf_attachment {
	struct dma_buf *dmabuf;
	struct device *dev;
	struct list_head node;	/* in &dma_buf.attachments */
	struct sg_table *sgt;
	enum dma_data_direction dir;	/* of @sgt */
	bool peer2peer;
	const struct dma_buf_attach_ops *importer_ops;
	void *importer_priv;
	void *priv;
};

/**
 * struct dma_buf_export_info - what dma_buf_export() needs
 * @exp_name: Name of the exporter, for debugging.
 * @owner: The exporting module.
 * @ops: The exporter's operations.
 * @size: Size of the buffer in bytes.
 * @flags: File flags of the buffer's file (O_RDWR, O_NONBLOCK, ...).
 * @resv: Reservation object to use, or NULL for one embedded in the
 *	buffer.
 * @priv: The exporter's private data; must not be NULL.
 *
 * Declare it with DEFINE_DMA_BUF_EXPORT_INFO() so that @exp_name and
 * @owner are right.
 */
struct dma_buf_export_info {
	const char *exp_name;
	struct module *owner;
	const struct dma_buf_ops *ops;	/* mandatory */
	size_t size;	/* in bytes */
	int flags;
	struct dma_resv *resv;
	void *priv;
};

/**
 * DEFINE_DMA_BUF_EXPORT_INFO - declare a &struct dma_buf_export_info
 * @name: Name of the variable.
 *
 * The exporter name is the module's name and the owner the module itself.
 */
#define DEFINE_DMA_BUF_EXPORT_INFO(name)				\
	struct dma_buf_export_info name = {				\
		.exp_name = KBUILD_MODNAME,				\
		.owner = THIS_MODULE,					\
	}

/**
 * get_dma_buf - take one more reference to a buffer
 * @dmabuf: The buffer, already referenced by the caller.
 *
 * Drop it with dma_buf_put().
 *
 * Context: Any context.
 */
static inline void get_dma_buf(struct dma_buf *dmabuf)
{
	get_file(dmabuf->file);
}

/**
 * dma_buf_is_dynamic - can the exporter move the buffer?
 * @dmabuf: The buffer.
 *
 * Context: Any context.
 * Return: True when the exporter implements &dma_buf_ops.pin.
 */
static inline bool dma_buf_is_dynamic(struct dma_buf *dmabuf)
{
	return !!dmabuf->ops->pin;
}

/**
 * dma_buf_attachment_is_dynamic - does the importer follow moves?
 * @attach: The attachment.
 *
 * Context: Any context.
 * Return: True when the attachment was made with importer ops.
 */
static inline bool
dma_buf_attachment_is_dynamic(struct dma_buf_attachment *attach)
{
	return !!attach->importer_ops;
}

/* Exporting and referencing buffers. */
struct dma_buf *dma_buf_export(const struct dma_buf_export_info *exp_info);
int dma_buf_fd(struct dma_buf *dmabuf, int flags);
void dma_buf_put(struct dma_buf *dmabuf);
struct dma_buf *dma_buf_get(int fd);

/* Attachments, pinning and DMA mappings. */
struct dma_buf_attachment *
dma_buf_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv);
struct dma_buf_attachment *dma_buf_attach(struct dma_buf *dmabuf,
					  struct device *dev);
void dma_buf_detach(struct dma_buf *dmabuf,
		    struct dma_buf_attachment *attach);
void dma_buf_unpin(struct dma_buf_attachment *attach);
int dma_buf_pin(struct dma_buf_attachment *attach);
void dma_buf_move_notify(struct dma_buf *dmabuf);
struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *attach,
					enum dma_data_direction dir);
struct sg_table *
dma_buf_map_attachment_unlocked(struct dma_buf_attachment *attach,
				enum dma_data_direction dir);
void dma_buf_unmap_attachment(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir);
void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *attach,
				       struct sg_table *sgt,
				       enum dma_data_direction dir);

/* CPU access: brackets, kernel and userspace mappings. */
int dma_buf_end_cpu_access(struct dma_buf *dmabuf,
			   enum dma_data_direction dir);
int dma_buf_begin_cpu_access(struct dma_buf *dmabuf,
			     enum dma_data_direction dir);
int dma_buf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma,
		 unsigned long pgoff);
int dma_buf_vmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map);
void dma_buf_vunmap_unlocked(struct dma_buf *dmabuf, struct iosys_map *map);
int dma_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map);
void dma_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map);

/* Device access by importers that need explicit synchronisation. */
int dma_buf_begin_access(struct dma_buf_attachment *attach,
			 struct sg_table *sgt, enum dma_data_direction dir);
int dma_buf_end_access(struct dma_buf_attachment *attach,
		       struct sg_table *sgt, enum dma_data_direction dir);

#if IS_ENABLED(CONFIG_DEBUG_FS)
/*
 * A walk over every live buffer (mainline's, for the BPF iterator). The
 * list it walks exists only with debugfs, as in 6.12's struct dma_buf.
 */
struct dma_buf *dma_buf_iter_begin(void);
struct dma_buf *dma_buf_iter_next(struct dma_buf *dmabuf);
#endif

#endif /* __DMA_BUF_H__ */
