// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-heap core: a character device per registered heap, through which
 * user space allocates dma-bufs.
 */

#include <kunit/visibility.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kref.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/dma-heap.h>

#include "dma-buf-trace.h"
#include "dma-heap-internal.h"

/**
 * DOC: dma-heap core
 *
 * A heap is a named source of memory (plain pages, a contiguous area, ...)
 * that user space may allocate shareable buffers from without owning a
 * device driver.  Providers describe the heap with a
 * &struct dma_heap_export_info and register it once; the core creates the
 * device node /dev/dma_heap/<name> (class "dma_heap"), validates every
 * DMA_HEAP_IOCTL_ALLOC request and calls the provider's
 * &dma_heap_ops.allocate, which returns an exported &struct dma_buf.  The
 * core then installs the buffer's file as a new descriptor of the caller,
 * only after the descriptor number has reached user space.
 *
 * A provider, typically from an initcall::
 *
 *	static const struct dma_heap_ops my_heap_ops = {
 *		.allocate = my_heap_allocate,
 *	};
 *
 *	static int __init my_heap_init(void)
 *	{
 *		struct dma_heap_export_info info = {
 *			.name = "my_heap",
 *			.ops = &my_heap_ops,
 *			.priv = &my_pool,
 *		};
 *		struct dma_heap *heap = dma_heap_add(&info);
 *
 *		return PTR_ERR_OR_ZERO(heap);
 *	}
 *
 * and my_heap_allocate() finds its pool again with
 * dma_heap_get_drvdata(heap).
 *
 * A provider may be a module: dma_heap_add(), dma_heap_get_drvdata() and
 * dma_heap_get_name() are exported in the DMA_BUF_HEAP symbol namespace,
 * as in mainline since Linux 6.18, so the module says
 * MODULE_IMPORT_NS(DMA_BUF_HEAP). Heaps cannot be removed, so such a
 * module has no exit function and stays loaded once it registered a heap.
 *
 * Sizes: a request for 0 bytes, or for a size whose page-rounded value
 * does not fit in an unsigned long, is malformed and fails with -EINVAL;
 * a request for more bytes than the machine has RAM can never succeed and
 * fails with -ENOMEM before the provider is asked, instead of draining
 * memory first.  The argument's size and direction are taken from the
 * request number as 6.12 does, even when they are too short to carry the
 * new descriptor back.
 */

/* Number of heaps (and minors) the core can serve. */
#define DMA_HEAP_MAX_MINORS	128

/**
 * struct dma_heap - a registered heap
 * @name: node name, borrowed from the provider
 * @ops: the provider's operations
 * @priv: the provider's data
 * @ref: one reference for the registration, one per open file and per
 *	dma_heap_lookup(); the structure is freed when the last goes
 * @cdev: the character device, allocated separately so that it lives
 *	as long as the character-device layer still refers to it
 * @devt: device number of the node
 */
struct dma_heap {
	const char *name;
	const struct dma_heap_ops *ops;
	void *priv;
	struct kref ref;
	struct cdev *cdev;
	dev_t devt;
};

/*
 * dma_heap_lock serialises registration and removal and the lookup of a
 * heap by open(); the xarray maps a minor (relative to dma_heap_base) to
 * its heap.
 */
static DEFINE_MUTEX(dma_heap_lock);
static DEFINE_XARRAY_ALLOC(dma_heap_minors);
static dev_t dma_heap_base;
static bool dma_heap_ready;	/* set under dma_heap_lock by init */

/*
 * Node path below /dev for a heap device.  Called by the driver core;
 * returns a kmalloc'ed string it frees, or NULL when out of memory.
 */
static char *dma_heap_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "dma_heap/%s", dev_name(dev));
}

static const struct class dma_heap_class = {
	.name = "dma_heap",
	.devnode = dma_heap_devnode,
};

/* kref release: the last reference is gone, free the structure. */
static void dma_heap_free(struct kref *ref)
{
	kfree(container_of(ref, struct dma_heap, ref));
}

/*
 * The heap registered under @name, or NULL.  Requires dma_heap_lock; the
 * pointer stays valid only as long as the caller holds it.
 */
static struct dma_heap *dma_heap_find_locked(const char *name)
{
	struct dma_heap *heap;
	unsigned long minor;

	lockdep_assert_held(&dma_heap_lock);
	xa_for_each(&dma_heap_minors, minor, heap)
		if (!strcmp(heap->name, name))
			return heap;
	return NULL;
}

/*
 * The minor of @heap relative to dma_heap_base: its index in the xarray.
 */
static unsigned long dma_heap_index(const struct dma_heap *heap)
{
	return MINOR(heap->devt) - MINOR(dma_heap_base);
}

/*
 * open() of /dev/dma_heap/<name>: find the heap by the node's minor and
 * keep a reference to it in the file, dropped by release.  Takes
 * dma_heap_lock.  Returns 0, or -ENODEV when the heap has gone.
 */
static int dma_heap_open(struct inode *inode, struct file *file)
{
	unsigned long index = MINOR(inode->i_rdev) - MINOR(dma_heap_base);
	struct dma_heap *heap;

	mutex_lock(&dma_heap_lock);
	heap = xa_load(&dma_heap_minors, index);
	if (heap)
		kref_get(&heap->ref);
	mutex_unlock(&dma_heap_lock);
	if (!heap)
		return -ENODEV;

	file->private_data = heap;
	return nonseekable_open(inode, file);
}

/* release() of a heap file: drops the reference open() took. */
static int dma_heap_release(struct inode *inode, struct file *file)
{
	dma_heap_put(file->private_data);
	return 0;
}

/**
 * dma_heap_alloc_buffer() - validate a request and let the heap allocate
 * @heap: the heap
 * @len: requested size in bytes, rounded up to pages here
 * @fd_flags: flags for the buffer's file, within DMA_HEAP_VALID_FD_FLAGS
 * @heap_flags: heap flags, within DMA_HEAP_VALID_HEAP_FLAGS
 *
 * The allocation path of DMA_HEAP_IOCTL_ALLOC without the descriptor
 * handling; see the DOC section for the size rules.
 *
 * Context: Process context, may sleep.
 * Return: the new buffer, its single reference owned by the caller, or an
 * ERR_PTR(): -EINVAL for unknown flags, a zero size or one that cannot be
 * rounded up to pages, -ENOMEM for more than the RAM of the machine, or
 * the provider's error.
 */
struct dma_buf *dma_heap_alloc_buffer(struct dma_heap *heap, u64 len,
				      u32 fd_flags, u64 heap_flags)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;
	struct dma_buf *dmabuf;

	if (fd_flags & ~DMA_HEAP_VALID_FD_FLAGS)
		return ERR_PTR(-EINVAL);
	if (heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS)
		return ERR_PTR(-EINVAL);
	/* Largest length whose page-rounded value is an unsigned long. */
	if (!len || len > (u64)(ULONG_MAX & PAGE_MASK))
		return ERR_PTR(-EINVAL);
	len = PAGE_ALIGN(len);
	if (len > ram)
		return ERR_PTR(-ENOMEM);

	dmabuf = heap->ops->allocate(heap, len, fd_flags, heap_flags);
	/* Providers promise a buffer or an error, never NULL. */
	if (WARN_ON_ONCE(!dmabuf))
		return ERR_PTR(-ENOMEM);
	return dmabuf;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_alloc_buffer);

/* Argument sizes handled without an allocation. */
#define DMA_HEAP_ARG_ONSTACK	128

/*
 * DMA_HEAP_IOCTL_ALLOC with an argument of the size and direction that
 * @cmd encodes: user space may be built against a shorter or a longer
 * version of &struct dma_heap_allocation_data. As in 6.12, the whole
 * argument is read when @cmd says the kernel reads it, whatever the kernel
 * does not get from user space reads as zero, and the whole argument is
 * written back when @cmd says the kernel writes it (bytes beyond our
 * structure come back as they were read, or as zero). The new descriptor
 * is installed only once the copy back has succeeded, so a fault there
 * leaves no descriptor and frees the buffer. Returns 0 or -errno.
 */
static long dma_heap_ioctl_alloc(struct dma_heap *heap, unsigned int cmd,
				 void __user *uarg)
{
	union {
		struct dma_heap_allocation_data req;
		u8 bytes[DMA_HEAP_ARG_ONSTACK];
	} onstack = {};
	unsigned int size = _IOC_SIZE(cmd), in = 0, out = 0, need;
	struct dma_heap_allocation_data *req = &onstack.req;
	struct dma_buf *dmabuf;
	long ret = 0;
	int fd;

	if (_IOC_DIR(cmd) & _IOC_WRITE)
		in = size;
	if (_IOC_DIR(cmd) & _IOC_READ)
		out = size;
	need = max3(in, out, (unsigned int)sizeof(*req));
	if (need > sizeof(onstack)) {
		req = kzalloc(need, GFP_KERNEL);
		if (!req)
			return -ENOMEM;
	}

	if (copy_from_user(req, uarg, in)) {
		ret = -EFAULT;
		goto out;
	}
	if (req->fd) {
		ret = -EINVAL;
		goto out;
	}

	dmabuf = dma_heap_alloc_buffer(heap, req->len, req->fd_flags,
				       req->heap_flags);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto out;
	}

	fd = get_unused_fd_flags(req->fd_flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		ret = fd;
		goto out;
	}
	req->fd = fd;
	if (copy_to_user(uarg, req, out)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		ret = -EFAULT;
		goto out;
	}
	/* The event dma_buf_fd() would emit, before the buffer is visible. */
	DMA_BUF_TRACE(dma_buf_fd, dmabuf, fd);
	fd_install(fd, dmabuf->file);
out:
	if (req != &onstack.req)
		kfree(req);
	return ret;
}

/*
 * ioctl() of a heap file. Like 6.12, requests are told apart by number
 * only, and a number the heap does not know is refused with -EINVAL; the
 * type and the size are not checked (see dma_heap_ioctl_alloc() for how
 * the size is used). Returns the request's result.
 */
static long dma_heap_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	if (_IOC_NR(cmd) != _IOC_NR(DMA_HEAP_IOCTL_ALLOC))
		return -EINVAL;

	return dma_heap_ioctl_alloc(file->private_data, cmd,
				    (void __user *)arg);
}

static const struct file_operations dma_heap_fops = {
	.owner = THIS_MODULE,
	.open = dma_heap_open,
	.release = dma_heap_release,
	.unlocked_ioctl = dma_heap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * dma_heap_get_drvdata() - provider data of a heap
 * @heap: a registered heap
 *
 * Context: Any context.
 * Return: the &dma_heap_export_info.priv given to dma_heap_add().
 */
void *dma_heap_get_drvdata(struct dma_heap *heap)
{
	return heap->priv;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_get_drvdata, DMA_BUF_HEAP);

/**
 * dma_heap_get_name() - name of a heap
 * @heap: a registered heap
 *
 * Context: Any context.
 * Return: the &dma_heap_export_info.name given to dma_heap_add(), which
 * is also the name of its node under /dev/dma_heap/.
 */
const char *dma_heap_get_name(struct dma_heap *heap)
{
	return heap->name;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_get_name, DMA_BUF_HEAP);

/*
 * Create the character device and the device node of @heap, whose devt
 * is set.  Requires dma_heap_lock.  Returns 0, or -errno with nothing
 * created.
 */
static int dma_heap_publish(struct dma_heap *heap)
{
	struct device *dev;
	int ret;

	lockdep_assert_held(&dma_heap_lock);
	heap->cdev = cdev_alloc();
	if (!heap->cdev)
		return -ENOMEM;
	heap->cdev->owner = THIS_MODULE;
	heap->cdev->ops = &dma_heap_fops;
	ret = cdev_add(heap->cdev, heap->devt, 1);
	if (ret) {
		kobject_put(&heap->cdev->kobj);
		heap->cdev = NULL;
		return ret;
	}

	dev = device_create(&dma_heap_class, NULL, heap->devt, NULL, "%s",
			    heap->name);
	if (IS_ERR(dev)) {
		cdev_del(heap->cdev);
		heap->cdev = NULL;
		return PTR_ERR(dev);
	}
	return 0;
}

/*
 * Undo dma_heap_publish() and forget the minor: the node disappears and
 * later opens fail; files already open keep their reference.  Requires
 * dma_heap_lock.
 */
static void dma_heap_unpublish(struct dma_heap *heap)
{
	lockdep_assert_held(&dma_heap_lock);
	device_destroy(&dma_heap_class, heap->devt);
	cdev_del(heap->cdev);
	heap->cdev = NULL;
	xa_erase(&dma_heap_minors, dma_heap_index(heap));
}

/**
 * dma_heap_add() - register a heap and create its device node
 * @exp_info: name, operations and provider data of the heap
 *
 * Creates /dev/dma_heap/@exp_info->name.  The name string is borrowed and
 * must outlive the heap; heaps are never unregistered, so a provider that
 * is a module must never be unloaded once this succeeded.
 *
 * Context: Process context, may sleep; takes the core's registration
 * mutex.
 * Return: the new heap, or an ERR_PTR(): -EINVAL for missing operations
 * (with a warning: a provider bug), a missing or empty name or one that is
 * already registered, -ENODEV when the core failed to initialise, -EBUSY
 * when all heap minors are in use, -ENOMEM, or the error of the device
 * creation.
 */
struct dma_heap *dma_heap_add(const struct dma_heap_export_info *exp_info)
{
	struct dma_heap *heap;
	u32 index;
	int ret;

	if (WARN_ON_ONCE(!exp_info || !exp_info->ops ||
			 !exp_info->ops->allocate))
		return ERR_PTR(-EINVAL);
	if (!exp_info->name || !exp_info->name[0]) {
		pr_err("dma_heap: a heap needs a name\n");
		return ERR_PTR(-EINVAL);
	}

	heap = kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return ERR_PTR(-ENOMEM);
	heap->name = exp_info->name;
	heap->ops = exp_info->ops;
	heap->priv = exp_info->priv;
	kref_init(&heap->ref);

	mutex_lock(&dma_heap_lock);
	if (!dma_heap_ready) {
		ret = -ENODEV;
		goto unlock;
	}
	if (dma_heap_find_locked(heap->name)) {
		ret = -EINVAL;	/* the name is taken */
		goto unlock;
	}
	/* The heap is complete before open() can find it here. */
	ret = xa_alloc(&dma_heap_minors, &index, heap,
		       XA_LIMIT(0, DMA_HEAP_MAX_MINORS - 1), GFP_KERNEL);
	if (ret)
		goto unlock;
	heap->devt = MKDEV(MAJOR(dma_heap_base), MINOR(dma_heap_base) + index);
	ret = dma_heap_publish(heap);
	if (ret)
		xa_erase(&dma_heap_minors, index);
unlock:
	mutex_unlock(&dma_heap_lock);
	if (ret) {
		pr_err("dma_heap: cannot add heap %s: %d\n", heap->name, ret);
		kfree(heap);
		return ERR_PTR(ret);
	}
	return heap;
}
EXPORT_SYMBOL_NS_GPL(dma_heap_add, DMA_BUF_HEAP);

/**
 * dma_heap_lookup() - find a registered heap by name
 * @name: the heap's name
 *
 * For in-kernel tests, which cannot open the device node.
 *
 * Context: Process context, may sleep; takes the registration mutex.
 * Return: the heap with a reference the caller drops with dma_heap_put(),
 * or NULL when no heap has that name.
 */
struct dma_heap *dma_heap_lookup(const char *name)
{
	struct dma_heap *heap;

	mutex_lock(&dma_heap_lock);
	heap = dma_heap_find_locked(name);
	if (heap)
		kref_get(&heap->ref);
	mutex_unlock(&dma_heap_lock);
	return heap;
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_lookup);

/**
 * dma_heap_put() - drop a reference to a heap
 * @heap: the heap, from dma_heap_lookup() or held by an open file
 *
 * Context: Any context that may free memory.
 */
void dma_heap_put(struct dma_heap *heap)
{
	kref_put(&heap->ref, dma_heap_free);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_put);

/**
 * dma_heap_remove() - unregister a heap (tests only)
 * @heap: a heap from dma_heap_add(), whose registration reference this
 *	consumes
 *
 * Removes the device node and frees the name for reuse.  Files still open
 * keep the structure alive, and may still allocate through its operations,
 * so the provider's operations and name must outlive them; in-kernel tests
 * satisfy this by removing their heaps before user space runs.
 *
 * Context: Process context, may sleep; takes the registration mutex.
 */
void dma_heap_remove(struct dma_heap *heap)
{
	mutex_lock(&dma_heap_lock);
	dma_heap_unpublish(heap);
	mutex_unlock(&dma_heap_lock);
	dma_heap_put(heap);
}
EXPORT_SYMBOL_IF_KUNIT(dma_heap_remove);

/*
 * Reserve the device numbers and register the class before any provider
 * (module_init() runs after this subsys_initcall).  Returns 0 or -errno;
 * on failure dma_heap_add() refuses with -ENODEV.
 */
static int __init dma_heap_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&dma_heap_base, 0, DMA_HEAP_MAX_MINORS,
				  "dma_heap");
	if (ret)
		return ret;
	ret = class_register(&dma_heap_class);
	if (ret) {
		unregister_chrdev_region(dma_heap_base, DMA_HEAP_MAX_MINORS);
		return ret;
	}

	mutex_lock(&dma_heap_lock);
	dma_heap_ready = true;
	mutex_unlock(&dma_heap_lock);
	return 0;
}
subsys_initcall(dma_heap_init);
