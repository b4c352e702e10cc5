// SPDX-License-Identifier: GPL-2.0-only
/*
 * udmabuf: dma-bufs made of the pages of sealed memfds.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/iosys-map.h>
#include <linux/memfd.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/udmabuf.h>
#include <linux/vmalloc.h>

/**
 * DOC: udmabuf
 *
 * udmabuf lets a process share memory it already owns as a dma-buf: the
 * pages of one or more ranges of memfds (shmem or hugetlbfs) are pinned
 * and exported, in request order, as a single buffer. A virtual machine
 * monitor uses it to hand guest memory (a memfd) to host devices and
 * display servers without a copy. The memfd must be sealed against
 * shrinking, so that the pinned pages stay part of the file, and must stay
 * writable, since the buffer's users may write to it.
 *
 * The misc device /dev/udmabuf takes two requests, UDMABUF_CREATE (one
 * range) and UDMABUF_CREATE_LIST (up to ``list_limit`` ranges); a buffer
 * is at most ``size_limit_mb`` megabytes. Each returns a dma-buf fd::
 *
 *	int memfd = memfd_create("fb", MFD_ALLOW_SEALING);
 *	ftruncate(memfd, size);
 *	fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK);
 *
 *	struct udmabuf_create req = {
 *		.memfd = memfd, .flags = UDMABUF_FLAGS_CLOEXEC,
 *		.offset = 0, .size = size,
 *	};
 *	int buf = ioctl(open("/dev/udmabuf", O_RDWR), UDMABUF_CREATE, &req);
 *
 * The buffer keeps its pages pinned until its last reference is gone. It
 * can be mapped by importers (one DMA mapping per attachment), mmap()ed
 * and vmap()ed; DMA_BUF_IOCTL_SYNC brackets do cache maintenance through
 * a mapping made for the misc device, created on first use.
 */

static int list_limit = 1024;
module_param(list_limit, int, 0644);
MODULE_PARM_DESC(list_limit,
		 "Most ranges one UDMABUF_CREATE_LIST may name (default 1024)");

static int size_limit_mb = 64;
module_param(size_limit_mb, int, 0644);
MODULE_PARM_DESC(size_limit_mb,
		 "Largest buffer udmabuf creates, in MiB (default 64)");

/*
 * A hard ceiling on the pages of one buffer, whatever size_limit_mb says:
 * the per-page arrays below then stay under INT_MAX bytes (kvmalloc()'s
 * limit) and page counts fit the unsigned int that memfd_pin_folios(),
 * the scatterlist code and vmap() take.
 */
#define UDMABUF_MAX_PAGES	((pgoff_t)(INT_MAX / sizeof(struct page *)))

/* User-sized allocations: charged to the caller, failure is no event. */
#define UDMABUF_GFP		(GFP_KERNEL_ACCOUNT | __GFP_NOWARN)

/**
 * struct udmabuf - the exporter's private data of one buffer
 * @pages: The buffer's pages in buffer order, @nr_pages of them; each is a
 *	page of a pinned folio in @pins.
 * @nr_pages: Size of the buffer in pages.
 * @pins: Every folio pin this buffer took, @nr_pins of them (a folio
 *	appears once per range that reached it); released by unpin_folios().
 * @nr_pins: Number of valid entries of @pins.
 * @cpu_lock: Serialises the creation of @cpu_sgt.
 * @cpu_sgt: The table DMA_BUF_IOCTL_SYNC syncs, mapped for the misc device;
 *	NULL until the first CPU access. Set once under @cpu_lock and
 *	published with release semantics; freed with the buffer.
 */
struct udmabuf {
	struct page **pages;
	pgoff_t nr_pages;
	struct folio **pins;
	unsigned long nr_pins;
	struct mutex cpu_lock;	/* serialises creation of @cpu_sgt */
	struct sg_table *cpu_sgt;
};

static struct miscdevice udmabuf_misc;

/*
 * udmabuf_free() - release everything @ubuf owns except @ubuf->cpu_sgt
 * (which the caller has dealt with): the folio pins, the arrays and @ubuf.
 * Works on a partly built buffer: only the first @nr_pins pins are dropped.
 */
static void udmabuf_free(struct udmabuf *ubuf)
{
	if (ubuf->nr_pins)
		unpin_folios(ubuf->pins, ubuf->nr_pins);
	kvfree(ubuf->pins);
	kvfree(ubuf->pages);
	mutex_destroy(&ubuf->cpu_lock);
	kfree(ubuf);
}

/*
 * udmabuf_build_sgt() - a new sg_table over all pages of @ubuf (adjacent
 * pages merged up to @dev's segment limit), DMA-mapped for @dev in
 * direction @dir with @attrs. Returns the table, owned by the caller and
 * released with udmabuf_drop_sgt(), or an ERR_PTR().
 */
static struct sg_table *udmabuf_build_sgt(struct udmabuf *ubuf,
					  struct device *dev,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	unsigned int seg = ALIGN_DOWN(dma_get_max_seg_size(dev), PAGE_SIZE);
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);

	ret = sg_alloc_table_from_pages_segment(sgt, ubuf->pages,
						ubuf->nr_pages, 0,
						ubuf->nr_pages << PAGE_SHIFT,
						max_t(unsigned int, seg,
						      PAGE_SIZE),
						GFP_KERNEL);
	if (ret)
		goto err_free;

	ret = dma_map_sgtable(dev, sgt, dir, attrs);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

/*
 * udmabuf_drop_sgt() - undo udmabuf_build_sgt(): unmap @sgt from @dev with
 * the @dir and @attrs it was mapped with, then free it.
 */
static void udmabuf_drop_sgt(struct sg_table *sgt, struct device *dev,
			     enum dma_data_direction dir, unsigned long attrs)
{
	dma_unmap_sgtable(dev, sgt, dir, attrs);
	sg_free_table(sgt);
	kfree(sgt);
}

/* dma_buf_ops.map_dma_buf: a fresh mapping of every page for the importer. */
static struct sg_table *udmabuf_map(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir)
{
	return udmabuf_build_sgt(attach->dmabuf->priv, attach->dev, dir, 0);
}

/* dma_buf_ops.unmap_dma_buf: the mirror of udmabuf_map(). */
static void udmabuf_unmap(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	udmabuf_drop_sgt(sgt, attach->dev, dir, 0);
}

/*
 * udmabuf_cpu_table() - the table CPU-access brackets sync, created on
 * first use. It is mapped bidirectionally, so that a sync in any direction
 * matches the mapping, and without a CPU sync at map time (the brackets do
 * their own). Concurrent first callers are serialised by @cpu_lock, so
 * exactly one table is ever created. May sleep. Returns the table (owned
 * by @ubuf) or an ERR_PTR().
 */
static struct sg_table *udmabuf_cpu_table(struct udmabuf *ubuf)
{
	struct sg_table *sgt;

	/* Pairs with the smp_store_release() below: a table seen is whole. */
	sgt = smp_load_acquire(&ubuf->cpu_sgt);
	if (sgt)
		return sgt;

	mutex_lock(&ubuf->cpu_lock);
	sgt = ubuf->cpu_sgt;
	if (sgt)
		goto unlock;
	sgt = udmabuf_build_sgt(ubuf, udmabuf_misc.this_device,
				DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	if (IS_ERR(sgt))
		goto unlock;
	/* Lockless readers that see the pointer see a whole table. */
	smp_store_release(&ubuf->cpu_sgt, sgt);
unlock:
	mutex_unlock(&ubuf->cpu_lock);
	return sgt;
}

/* dma_buf_ops.begin_cpu_access: make device writes visible to the CPU. */
static int udmabuf_begin_cpu_access(struct dma_buf *dmabuf,
				    enum dma_data_direction dir)
{
	struct sg_table *sgt = udmabuf_cpu_table(dmabuf->priv);

	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	dma_sync_sgtable_for_cpu(udmabuf_misc.this_device, sgt, dir);
	return 0;
}

/*
 * dma_buf_ops.end_cpu_access: hand CPU writes back to the device side. As
 * in 6.12, this fails with -EINVAL until some begin_cpu_access created the
 * table: an end without any start has nothing to hand back.
 */
static int udmabuf_end_cpu_access(struct dma_buf *dmabuf,
				  enum dma_data_direction dir)
{
	struct udmabuf *ubuf = dmabuf->priv;
	/* Pairs with the smp_store_release() in udmabuf_cpu_table(). */
	struct sg_table *sgt = smp_load_acquire(&ubuf->cpu_sgt);

	if (!sgt)
		return -EINVAL;
	dma_sync_sgtable_for_device(udmabuf_misc.this_device, sgt, dir);
	return 0;
}

/*
 * udmabuf_fault() - insert the page behind the faulting address. The VMA
 * maps the dma-buf file, so vmf->pgoff counts pages from the buffer's
 * start; anything at or past the end gets SIGBUS.
 */
static vm_fault_t udmabuf_fault(struct vm_fault *vmf)
{
	struct udmabuf *ubuf = vmf->vma->vm_private_data;

	if (vmf->pgoff >= ubuf->nr_pages)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address,
			      page_to_pfn(ubuf->pages[vmf->pgoff]));
}

static const struct vm_operations_struct udmabuf_vm_ops = {
	.fault = udmabuf_fault,
};

/*
 * dma_buf_ops.mmap: shared mappings only (a private one would need
 * copy-on-write of pinned pages); pages are inserted on fault.
 */
static int udmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	vma->vm_ops = &udmabuf_vm_ops;
	vma->vm_private_data = dmabuf->priv;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

/* dma_buf_ops.vmap: the pages, in buffer order, in kernel virtual space. */
static int udmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct udmabuf *ubuf = dmabuf->priv;
	void *vaddr;

	dma_resv_assert_held(dmabuf->resv);

	vaddr = vmap(ubuf->pages, ubuf->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

/* dma_buf_ops.vunmap: the mirror of udmabuf_vmap(). */
static void udmabuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	dma_resv_assert_held(dmabuf->resv);
	vunmap(map->vaddr);
}

/* dma_buf_ops.release: the last reference is gone, nobody maps us. */
static void udmabuf_release(struct dma_buf *dmabuf)
{
	struct udmabuf *ubuf = dmabuf->priv;

	if (ubuf->cpu_sgt)
		udmabuf_drop_sgt(ubuf->cpu_sgt, udmabuf_misc.this_device,
				 DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	udmabuf_free(ubuf);
}

static const struct dma_buf_ops udmabuf_ops = {
	.cache_sgt_mapping = true,
	.map_dma_buf = udmabuf_map,
	.unmap_dma_buf = udmabuf_unmap,
	.release = udmabuf_release,
	.begin_cpu_access = udmabuf_begin_cpu_access,
	.end_cpu_access = udmabuf_end_cpu_access,
	.mmap = udmabuf_mmap,
	.vmap = udmabuf_vmap,
	.vunmap = udmabuf_vunmap,
};

/*
 * udmabuf_page_limit() - the most pages one buffer may have now:
 * size_limit_mb (read once; zero or negative allows nothing) capped at
 * UDMABUF_MAX_PAGES.
 */
static pgoff_t udmabuf_page_limit(void)
{
	int mb = READ_ONCE(size_limit_mb);
	u64 pages;

	if (mb <= 0)
		return 0;
	pages = ((u64)mb << 20) >> PAGE_SHIFT;
	return min_t(u64, pages, UDMABUF_MAX_PAGES);
}

/*
 * udmabuf_check_count() - may a list request name @count ranges? At least
 * one, at most list_limit (read once; zero or negative allows nothing),
 * and no more than the page limit, as every range has a page at least.
 * Returns 0 or -EINVAL.
 */
static int udmabuf_check_count(u32 count)
{
	int limit = READ_ONCE(list_limit);

	if (!count || limit <= 0 || count > (u32)limit ||
	    count > udmabuf_page_limit())
		return -EINVAL;
	return 0;
}

/*
 * udmabuf_check_items() - validate the @count ranges of @items before any
 * file is looked at: zero padding, page-aligned non-empty ranges that end
 * within a file's largest offset, and a total within the page limit. On
 * success stores that total in *@total and returns 0; else -EINVAL.
 */
static int udmabuf_check_items(const struct udmabuf_create_item *items,
			       u32 count, pgoff_t *total)
{
	pgoff_t limit = udmabuf_page_limit();
	pgoff_t sum = 0;
	u32 i;

	for (i = 0; i < count; i++) {
		const struct udmabuf_create_item *item = &items[i];
		u64 end, pages;

		if (item->__pad || !item->size)
			return -EINVAL;
		if (!PAGE_ALIGNED(item->offset) || !PAGE_ALIGNED(item->size))
			return -EINVAL;
		if (check_add_overflow(item->offset, item->size, &end) ||
		    end > MAX_LFS_FILESIZE)
			return -EINVAL;
		/* sum <= limit holds, so limit - sum cannot wrap. */
		pages = item->size >> PAGE_SHIFT;
		if (pages > limit - sum)
			return -EINVAL;
		sum += pages;
	}
	*total = sum;
	return 0;
}

/*
 * udmabuf_check_memfd() - is @file a memfd udmabuf may pin? It must be
 * shmem or hugetlbfs backed (-EBADFD otherwise, as for a file without
 * seal support), sealed against shrinking and not against writing
 * (-EINVAL otherwise). The caller holds the inode lock, so the seals
 * cannot change before the pages are pinned.
 */
static int udmabuf_check_memfd(struct file *file)
{
	long seals;

	if (!shmem_file(file) && !is_file_hugepages(file))
		return -EBADFD;

	seals = memfd_fcntl(file, F_GET_SEALS, 0);
	if (seals < 0)
		return -EBADFD;
	if (!(seals & F_SEAL_SHRINK) ||
	    (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EINVAL;
	return 0;
}

/*
 * udmabuf_pin_range() - pin the @npages pages of @memfd from byte @offset
 * (page aligned, range already validated) and append them to @ubuf's
 * pages. Every pin taken is recorded in @ubuf->pins before anything can
 * fail, so that udmabuf_free() drops it on any later error. @ubuf's arrays
 * have room for @npages more entries. Returns 0 or a negative errno
 * (-EINVAL for a range past the end of the file).
 */
static int udmabuf_pin_range(struct udmabuf *ubuf, struct file *memfd,
			     u64 offset, pgoff_t npages)
{
	struct folio **folios = ubuf->pins + ubuf->nr_pins;
	struct page **pages = ubuf->pages + ubuf->nr_pages;
	loff_t last = offset + ((u64)npages << PAGE_SHIFT) - 1;
	pgoff_t first_byte, done = 0;
	long nr, i;

	nr = memfd_pin_folios(memfd, offset, last, folios, npages,
			      &first_byte);
	if (nr < 0)
		return nr;
	ubuf->nr_pins += nr;

	/*
	 * The folios cover the range back to back; only the first one may
	 * start before @offset (a huge folio), by @first_byte bytes.
	 */
	for (i = 0; i < nr && done < npages; i++) {
		long idx = i ? 0 : first_byte >> PAGE_SHIFT;

		for (; idx < folio_nr_pages(folios[i]) && done < npages; idx++)
			pages[done++] = folio_page(folios[i], idx);
	}
	if (done != npages)
		return -EINVAL;

	ubuf->nr_pages += npages;
	return 0;
}

/*
 * udmabuf_use_item() - look up the memfd of @item and check it under its
 * inode lock (shared, which keeps memfd_add_seals() out until the pages
 * are pinned). With @ubuf NULL this is a dry run that only checks that the
 * range lies within the file; otherwise the range is pinned into @ubuf.
 * The fd reference is dropped before returning. Returns 0, -EBADFD for a
 * closed fd, -EINVAL for a range past the end of the file, or an error of
 * udmabuf_check_memfd() or udmabuf_pin_range().
 */
static int udmabuf_use_item(const struct udmabuf_create_item *item,
			    struct udmabuf *ubuf)
{
	struct file *memfd;
	struct inode *inode;
	int ret;

	memfd = fget(item->memfd);
	if (!memfd)
		return -EBADFD;
	inode = file_inode(memfd);

	inode_lock_shared(inode);
	ret = udmabuf_check_memfd(memfd);
	if (ret)
		goto unlock;
	if (ubuf)
		ret = udmabuf_pin_range(ubuf, memfd, item->offset,
					item->size >> PAGE_SHIFT);
	else if (item->offset + item->size > i_size_read(inode))
		ret = -EINVAL;
unlock:
	inode_unlock_shared(inode);

	fput(memfd);
	return ret;
}

/*
 * udmabuf_export() - wrap the fully built @ubuf into a dma-buf and install
 * an fd for it (O_CLOEXEC when @flags has UDMABUF_FLAGS_CLOEXEC). On
 * success the buffer owns @ubuf; on failure @ubuf is freed either way.
 * Returns the fd or a negative errno.
 */
static long udmabuf_export(struct udmabuf *ubuf, u32 flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	int fd;

	info.exp_name = "udmabuf";
	info.ops = &udmabuf_ops;
	info.size = ubuf->nr_pages << PAGE_SHIFT;
	info.flags = O_RDWR;
	info.priv = ubuf;

	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		udmabuf_free(ubuf);
		return PTR_ERR(dmabuf);
	}

	/* From here the release op frees @ubuf with the buffer. */
	fd = dma_buf_fd(dmabuf, flags & UDMABUF_FLAGS_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}

/*
 * udmabuf_create() - the common body of both requests: a buffer of the
 * @count ranges @items (kernel copies), flags @flags. Checks the whole
 * request, then every file, before pinning range by range and exporting.
 * Nothing stays pinned or allocated on failure. Returns the new dma-buf
 * fd or a negative errno.
 */
static long udmabuf_create(u32 flags, const struct udmabuf_create_item *items,
			   u32 count)
{
	struct udmabuf *ubuf;
	pgoff_t total;
	long ret;
	u32 i;

	if (flags & ~UDMABUF_FLAGS_CLOEXEC)
		return -EINVAL;
	ret = udmabuf_check_items(items, count, &total);
	if (ret)
		return ret;
	/*
	 * Refuse bad files before allocating arrays sized by the request;
	 * the pinning pass below checks every file again.
	 */
	for (i = 0; i < count; i++) {
		ret = udmabuf_use_item(&items[i], NULL);
		if (ret)
			return ret;
	}

	ubuf = kzalloc(sizeof(*ubuf), GFP_KERNEL_ACCOUNT);
	if (!ubuf)
		return -ENOMEM;
	mutex_init(&ubuf->cpu_lock);
	/* Each range pins at most one folio per page it covers. */
	ubuf->pages = kvmalloc_array(total, sizeof(*ubuf->pages), UDMABUF_GFP);
	ubuf->pins = kvmalloc_array(total, sizeof(*ubuf->pins), UDMABUF_GFP);
	if (!ubuf->pages || !ubuf->pins) {
		ret = -ENOMEM;
		goto err;
	}

	for (i = 0; i < count; i++) {
		ret = udmabuf_use_item(&items[i], ubuf);
		if (ret)
			goto err;
	}
	if (WARN_ON_ONCE(ubuf->nr_pages != total)) {
		ret = -EINVAL;
		goto err;
	}

	return udmabuf_export(ubuf, flags);

err:
	udmabuf_free(ubuf);
	return ret;
}

/* UDMABUF_CREATE: one range, handled as a list of one. */
static long udmabuf_ioctl_create(void __user *uarg)
{
	struct udmabuf_create req;
	struct udmabuf_create_item item = { };

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;

	item.memfd = req.memfd;
	item.offset = req.offset;
	item.size = req.size;
	return udmabuf_create(req.flags, &item, 1);
}

/* UDMABUF_CREATE_LIST: a header, then @count ranges copied in one go. */
static long udmabuf_ioctl_create_list(void __user *uarg)
{
	struct udmabuf_create_list head;
	struct udmabuf_create_item *items;
	long ret;

	if (copy_from_user(&head, uarg, sizeof(head)))
		return -EFAULT;
	if (head.flags & ~UDMABUF_FLAGS_CLOEXEC)
		return -EINVAL;
	ret = udmabuf_check_count(head.count);
	if (ret)
		return ret;

	items = memdup_array_user(uarg + sizeof(head), head.count,
				  sizeof(*items));
	if (IS_ERR(items))
		return PTR_ERR(items);

	ret = udmabuf_create(head.flags, items, head.count);
	kfree(items);
	return ret;
}

static long udmabuf_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case UDMABUF_CREATE:
		return udmabuf_ioctl_create((void __user *)arg);
	case UDMABUF_CREATE_LIST:
		return udmabuf_ioctl_create_list((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations udmabuf_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = udmabuf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice udmabuf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "udmabuf",
	.fops = &udmabuf_fops,
};

static int __init udmabuf_init(void)
{
	int ret;

	ret = misc_register(&udmabuf_misc);
	if (ret) {
		pr_err("udmabuf: cannot register the misc device: %d\n", ret);
		return ret;
	}

	/* The CPU-access tables are mapped for this device: any address. */
	ret = dma_coerce_mask_and_coherent(udmabuf_misc.this_device,
					   DMA_BIT_MASK(64));
	if (ret) {
		pr_err("udmabuf: cannot set the DMA mask: %d\n", ret);
		misc_deregister(&udmabuf_misc);
	}
	return ret;
}

static void __exit udmabuf_exit(void)
{
	misc_deregister(&udmabuf_misc);
}

module_init(udmabuf_init);
module_exit(udmabuf_exit);

MODULE_DESCRIPTION("dma-bufs made of the pages of sealed memfds");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
