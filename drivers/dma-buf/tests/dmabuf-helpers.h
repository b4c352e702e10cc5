/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test doubles shared by the dma-buf core KUnit suites: a page-backed
 * exporter whose every callback is counted and can be told to fail, and
 * test importers on KUnit devices that can do DMA. The expected-WARN brackets
 * of the test harness come from fence-helpers.h.
 *
 * Each suite is built on its own (built in or as a module), so everything
 * here is static inline and each object carries its own copy.
 */

#ifndef _DMA_BUF_TESTS_DMABUF_HELPERS_H
#define _DMA_BUF_TESTS_DMABUF_HELPERS_H

#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "../dma-buf-internal.h"
#include "fence-helpers.h"

/* How often the core synchronised mappings of @attach for device access. */
static inline long attach_dev_syncs(struct dma_buf_attachment *attach)
{
	return atomic_long_read(&to_attach_alloc(attach)->dev_syncs);
}

/* Did the core pin the buffer for the cached mapping of @attach? */
static inline bool attach_core_pinned(struct dma_buf_attachment *attach)
{
	return to_attach_alloc(attach)->core_pinned;
}

/* Longest wait for the deferred final fput() of a buffer, in ms. */
#define TEXP_RELEASE_WAIT_MS	5000

/**
 * fput_settle() - wait until deferred file releases make a condition true
 * @cond: an expression over state that the releases change
 *
 * A kernel thread's final fput() queues the file for a shared worker, and
 * flush_delayed_fput() runs only the files that worker has not taken yet:
 * a release the worker began on another CPU may still be running when it
 * returns. Use this after code under test dropped a file itself; a case
 * that drops its own file uses __fput_sync() and needs no wait.
 *
 * Context: Process context, no locks held; sleeps.
 * Return: the value of @cond when it became true, or after
 * %TEXP_RELEASE_WAIT_MS of polling.
 */
#define fput_settle(cond)						\
({									\
	unsigned int __waited = 0;					\
	bool __met;							\
									\
	flush_delayed_fput();						\
	for (;;) {							\
		__met = (cond);						\
		if (__met || __waited >= TEXP_RELEASE_WAIT_MS)		\
			break;						\
		msleep(20);						\
		__waited += 20;						\
	}								\
	__met;								\
})

/**
 * close_fd_now() - close a descriptor of the case's table synchronously
 * @fd: the descriptor
 *
 * Like close_fd(), but the file's release has run when this returns if the
 * descriptor held its last reference: a kernel thread's fput() would hand
 * it to a worker, so this ends with __fput_sync().
 *
 * Context: Process context, no locks held; may sleep.
 * Return: 0, or -EBADF when @fd is not open.
 */
static inline int close_fd_now(unsigned int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return -EBADF;
	close_fd(fd);
	__fput_sync(file);
	return 0;
}

/**
 * enum texp_kind - which callbacks a test exporter offers
 * @TEXP_STATIC: everything but pin/unpin and the device-access hooks
 * @TEXP_CACHED: %TEXP_STATIC with &dma_buf_ops.cache_sgt_mapping set
 * @TEXP_DYNAMIC: %TEXP_STATIC plus pin and unpin
 * @TEXP_ACCESS: %TEXP_STATIC plus begin_access and end_access
 * @TEXP_BARE: only the mandatory map, unmap and release
 * @TEXP_NR_KINDS: number of kinds
 */
enum texp_kind {
	TEXP_STATIC,
	TEXP_CACHED,
	TEXP_DYNAMIC,
	TEXP_ACCESS,
	TEXP_BARE,
	TEXP_NR_KINDS
};

/**
 * struct texp - a test exporter and its buffer
 * @test: the case the exporter belongs to
 * @dmabuf: the exported buffer
 * @kind: the callbacks it offers
 * @npages: pages backing the buffer
 * @pages: the pages, one alloc_page() each
 * @put_done: the case has dropped its own reference to @dmabuf
 * @attach_err: returned by attach when not zero
 * @pin_err: returned by pin when not zero
 * @map_err: map_dma_buf returns ERR_PTR(@map_err) when not zero
 * @map_null: map_dma_buf returns NULL
 * @map_same: map_dma_buf hands out one table again and again
 * @device_memory: attach refuses importers without peer2peer
 * @vmap_err: returned by vmap when not zero
 * @vmap_empty: vmap reports success without filling in the map
 * @mmap_err: returned by mmap when not zero
 * @cpu_err: returned by begin_cpu_access and end_cpu_access when not zero
 * @access_err: returned by begin_access and end_access when not zero
 * @hide_first_page: map clears the struct page of the first entry of
 *	each table (as a table of dma_map_resource() addresses has none),
 *	unmap puts it back, so the table looks like one the core cannot
 *	synchronise; one such mapping at a time
 * @hidden_page: the page @hide_first_page took away
 * @cpu_migrate_fence: when set, begin_cpu_access adds it to the
 *	reservation object as a %DMA_RESV_USAGE_KERNEL fence and returns
 *	without waiting for it, as an exporter that migrates the buffer in
 *	the hook does
 * @cpu_migrate_seen_pending: @cpu_migrate_fence was still unsignalled
 *	when begin_cpu_access added it
 * @mmap_target: when set, mmap forwards the VMA to this buffer with
 *	dma_buf_mmap(), as a driver that exports someone else's memory does
 * @mmap_target_pgoff: page offset into @mmap_target for the forward
 * @attach_calls: calls of attach
 * @detach_calls: calls of detach
 * @pin_calls: calls of pin
 * @pin_fails: calls of pin that returned @pin_err
 * @unpin_calls: calls of unpin
 * @map_calls: calls of map_dma_buf
 * @map_fails: calls of map_dma_buf that returned an error or NULL
 * @unmap_calls: calls of unmap_dma_buf
 * @release_calls: calls of release
 * @vmap_calls: calls of vmap
 * @vunmap_calls: calls of vunmap
 * @mmap_calls: calls of mmap
 * @begin_cpu_calls: calls of begin_cpu_access
 * @end_cpu_calls: calls of end_cpu_access
 * @begin_access_calls: calls of begin_access
 * @end_access_calls: calls of end_access
 * @tables_live: tables allocated by map_dma_buf and not yet freed
 * @contract_errors: callbacks called against the documented contract
 * @last_map_sgt: table returned by the latest successful map_dma_buf
 * @last_map_dir: direction of the latest map_dma_buf
 * @last_unmap_sgt: table passed to the latest unmap_dma_buf
 * @last_unmap_dir: direction passed to the latest unmap_dma_buf
 * @last_cpu_dir: direction of the latest begin/end_cpu_access
 * @last_access_sgt: table passed to the latest begin/end_access
 * @last_access_dir: direction passed to the latest begin/end_access
 * @access_outside_section: begin/end_access ran outside a dma-fence
 *	signalling critical section at least once (seen with CONFIG_LOCKDEP)
 * @shared: the table handed out repeatedly under @map_same
 * @shared_refs: mappings of @shared not yet unmapped
 *
 * The case sets the knobs before the buffer is shared. Counters are
 * atomic because release may run in the delayed-fput worker and the
 * access hooks in any context.
 */
struct texp {
	struct kunit *test;
	struct dma_buf *dmabuf;
	enum texp_kind kind;
	unsigned int npages;
	struct page **pages;
	bool put_done;

	int attach_err;
	int pin_err;
	int map_err;
	bool map_null;
	bool map_same;
	bool device_memory;
	int vmap_err;
	bool vmap_empty;
	int mmap_err;
	int cpu_err;
	int access_err;
	bool hide_first_page;
	struct page *hidden_page;
	struct dma_fence *cpu_migrate_fence;
	bool cpu_migrate_seen_pending;
	struct dma_buf *mmap_target;
	unsigned long mmap_target_pgoff;

	atomic_t attach_calls;
	atomic_t detach_calls;
	atomic_t pin_calls;
	atomic_t pin_fails;
	atomic_t unpin_calls;
	atomic_t map_calls;
	atomic_t map_fails;
	atomic_t unmap_calls;
	atomic_t release_calls;
	atomic_t vmap_calls;
	atomic_t vunmap_calls;
	atomic_t mmap_calls;
	atomic_t begin_cpu_calls;
	atomic_t end_cpu_calls;
	atomic_t begin_access_calls;
	atomic_t end_access_calls;
	atomic_t tables_live;
	atomic_t contract_errors;

	struct sg_table *last_map_sgt;
	enum dma_data_direction last_map_dir;
	struct sg_table *last_unmap_sgt;
	enum dma_data_direction last_unmap_dir;
	enum dma_data_direction last_cpu_dir;
	struct sg_table *last_access_sgt;
	enum dma_data_direction last_access_dir;
	bool access_outside_section;
	struct sg_table *shared;
	unsigned int shared_refs;
};

/* The exporter of a buffer made by texp_new(). */
static inline struct texp *to_texp(struct dma_buf *dmabuf)
{
	return dmabuf->priv;
}

/* Counts the call; refuses on request, or a non-p2p importer of VRAM. */
static inline int texp_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct texp *t = to_texp(dmabuf);

	atomic_inc(&t->attach_calls);
	if (t->attach_err)
		return t->attach_err;
	if (t->device_memory && !attach->peer2peer)
		return -EOPNOTSUPP;
	attach->priv = t;
	return 0;
}

static inline void texp_detach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	atomic_inc(&to_texp(dmabuf)->detach_calls);
}

/* Called with the reservation lock held, which the exporter checks. */
static inline int texp_pin(struct dma_buf_attachment *attach)
{
	struct texp *t = to_texp(attach->dmabuf);

	if (!dma_resv_is_locked(attach->dmabuf->resv))
		atomic_inc(&t->contract_errors);
	atomic_inc(&t->pin_calls);
	if (t->pin_err)
		atomic_inc(&t->pin_fails);
	return t->pin_err;
}

static inline void texp_unpin(struct dma_buf_attachment *attach)
{
	struct texp *t = to_texp(attach->dmabuf);

	if (!dma_resv_is_locked(attach->dmabuf->resv))
		atomic_inc(&t->contract_errors);
	atomic_inc(&t->unpin_calls);
}

/*
 * Build and DMA-map a new table of all pages for @dev. Returns the table,
 * owned by the caller and counted in @tables_live, or an ERR_PTR.
 */
static inline struct sg_table *texp_new_table(struct texp *t,
					      struct device *dev,
					      enum dma_data_direction dir)
{
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, t->pages, t->npages, 0,
					(unsigned long)t->npages << PAGE_SHIFT,
					GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	atomic_inc(&t->tables_live);
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

/*
 * Fails, returns NULL, or maps the pages for the attached device. With
 * @map_same the first table is returned again for every later call until
 * all its mappings are gone.
 */
static inline struct sg_table *texp_map_pages(struct texp *t,
					      struct dma_buf_attachment *attach,
					      enum dma_data_direction dir)
{
	struct sg_table *sgt;

	if (t->map_err)
		return ERR_PTR(t->map_err);
	if (t->map_null)
		return NULL;
	if (t->map_same && t->shared) {
		t->shared_refs++;
		return t->shared;
	}

	sgt = texp_new_table(t, attach->dev, dir);
	if (!IS_ERR(sgt) && t->map_same) {
		t->shared = sgt;
		t->shared_refs = 1;
	}
	return sgt;
}

/* Counts the call and its failure, records the direction and result. */
static inline struct sg_table *texp_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct texp *t = to_texp(attach->dmabuf);
	struct sg_table *sgt;

	if (!dma_resv_is_locked(attach->dmabuf->resv))
		atomic_inc(&t->contract_errors);
	atomic_inc(&t->map_calls);
	t->last_map_dir = dir;
	sgt = texp_map_pages(t, attach, dir);
	if (IS_ERR_OR_NULL(sgt)) {
		atomic_inc(&t->map_fails);
		return sgt;
	}
	t->last_map_sgt = sgt;
	if (t->hide_first_page && sgt->orig_nents) {
		t->hidden_page = sg_page(sgt->sgl);
		sg_assign_page(sgt->sgl, NULL);
	}
	return sgt;
}

/* Counts the call and frees the table once no mapping uses it. */
static inline void texp_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	struct texp *t = to_texp(attach->dmabuf);

	if (!dma_resv_is_locked(attach->dmabuf->resv))
		atomic_inc(&t->contract_errors);
	atomic_inc(&t->unmap_calls);
	t->last_unmap_sgt = sgt;
	t->last_unmap_dir = dir;
	if (t->hide_first_page && sgt->orig_nents && !sg_page(sgt->sgl))
		sg_assign_page(sgt->sgl, t->hidden_page);
	if (sgt == t->shared) {
		if (--t->shared_refs)
			return;
		t->shared = NULL;
	}
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	atomic_dec(&t->tables_live);
}

/* The pages and @t are freed by texp_teardown(), not here. */
static inline void texp_release(struct dma_buf *dmabuf)
{
	atomic_inc(&to_texp(dmabuf)->release_calls);
}

static inline int texp_begin_cpu(struct dma_buf *dmabuf,
				 enum dma_data_direction dir)
{
	struct texp *t = to_texp(dmabuf);

	atomic_inc(&t->begin_cpu_calls);
	t->last_cpu_dir = dir;
	if (t->cpu_migrate_fence) {
		int ret;

		dma_resv_lock(dmabuf->resv, NULL);
		ret = dma_resv_reserve_fences(dmabuf->resv, 1);
		if (!ret) {
			t->cpu_migrate_seen_pending =
				!dma_fence_is_signaled(t->cpu_migrate_fence);
			dma_resv_add_fence(dmabuf->resv, t->cpu_migrate_fence,
					   DMA_RESV_USAGE_KERNEL);
		}
		dma_resv_unlock(dmabuf->resv);
		if (ret)
			return ret;
	}
	return t->cpu_err;
}

static inline int texp_end_cpu(struct dma_buf *dmabuf,
			       enum dma_data_direction dir)
{
	struct texp *t = to_texp(dmabuf);

	atomic_inc(&t->end_cpu_calls);
	t->last_cpu_dir = dir;
	return t->cpu_err;
}

/*
 * Forward the VMA to @mmap_target when set. Otherwise insert the pages the
 * VMA covers, from its page offset on. The core has promised that the
 * range fits; a range that does not is counted as a contract error and
 * refused instead of overrunning @pages.
 */
static inline int texp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct texp *t = to_texp(dmabuf);
	unsigned long i, n = vma_pages(vma);
	int ret;

	atomic_inc(&t->mmap_calls);
	if (t->mmap_err)
		return t->mmap_err;
	if (t->mmap_target)
		return dma_buf_mmap(t->mmap_target, vma, t->mmap_target_pgoff);
	if (vma->vm_pgoff > t->npages || n > t->npages - vma->vm_pgoff) {
		atomic_inc(&t->contract_errors);
		return -ERANGE;
	}
	for (i = 0; i < n; i++) {
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     t->pages[vma->vm_pgoff + i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Counts the call, then fails, lies, or maps all pages with vmap(). */
static inline int texp_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct texp *t = to_texp(dmabuf);
	void *vaddr;

	atomic_inc(&t->vmap_calls);
	if (t->vmap_err)
		return t->vmap_err;
	if (t->vmap_empty)
		return 0;
	vaddr = vmap(t->pages, t->npages, VM_MAP, PAGE_KERNEL);
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static inline void texp_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	atomic_inc(&to_texp(dmabuf)->vunmap_calls);
	vunmap(map->vaddr);
}

/*
 * Record whether an access hook runs inside a signalling section. With
 * lockdep, dma_fence_begin_signalling() returns false only when it opens
 * a new section: in process context with none open yet (in atomic context
 * it opens nothing and returns true).
 */
static inline void texp_note_section(struct texp *t)
{
	bool nested = dma_fence_begin_signalling();

	dma_fence_end_signalling(nested);
	if (IS_ENABLED(CONFIG_LOCKDEP) && !nested)
		WRITE_ONCE(t->access_outside_section, true);
}

/* Any context, no sleeping: only counts and records. */
static inline int texp_begin_access(struct dma_buf_attachment *attach,
				    struct sg_table *sgt,
				    enum dma_data_direction dir)
{
	struct texp *t = to_texp(attach->dmabuf);

	atomic_inc(&t->begin_access_calls);
	texp_note_section(t);
	WRITE_ONCE(t->last_access_sgt, sgt);
	WRITE_ONCE(t->last_access_dir, dir);
	return t->access_err;
}

static inline int texp_end_access(struct dma_buf_attachment *attach,
				  struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	struct texp *t = to_texp(attach->dmabuf);

	atomic_inc(&t->end_access_calls);
	texp_note_section(t);
	WRITE_ONCE(t->last_access_sgt, sgt);
	WRITE_ONCE(t->last_access_dir, dir);
	return t->access_err;
}

#define TEXP_COMMON_OPS					\
	.attach = texp_attach,				\
	.detach = texp_detach,				\
	.map_dma_buf = texp_map,			\
	.unmap_dma_buf = texp_unmap,			\
	.release = texp_release,			\
	.begin_cpu_access = texp_begin_cpu,		\
	.end_cpu_access = texp_end_cpu,			\
	.mmap = texp_mmap,				\
	.vmap = texp_vmap,				\
	.vunmap = texp_vunmap

/* One ops table per &enum texp_kind. */
static const struct dma_buf_ops texp_ops[TEXP_NR_KINDS] __maybe_unused = {
	[TEXP_STATIC] = {
		TEXP_COMMON_OPS,
	},
	[TEXP_CACHED] = {
		.cache_sgt_mapping = true,
		TEXP_COMMON_OPS,
	},
	[TEXP_DYNAMIC] = {
		.pin = texp_pin,
		.unpin = texp_unpin,
		TEXP_COMMON_OPS,
	},
	[TEXP_ACCESS] = {
		.begin_access = texp_begin_access,
		.end_access = texp_end_access,
		TEXP_COMMON_OPS,
	},
	[TEXP_BARE] = {
		.map_dma_buf = texp_map,
		.unmap_dma_buf = texp_unmap,
		.release = texp_release,
	},
};

/* Free the pages and the exporter itself; the buffer must be gone. */
static inline void texp_free(struct texp *t)
{
	unsigned int i;

	for (i = 0; i < t->npages; i++)
		if (t->pages[i])
			__free_page(t->pages[i]);
	kfree(t->pages);
	kfree(t);
}

/**
 * texp_wait_released() - let the deferred fput of a buffer run
 * @t: the exporter
 * @calls: number of release calls to wait for
 *
 * A kernel thread's final fput() is handed to a worker; flush it, then
 * give a worker that had already picked it up time to finish.
 *
 * Context: Process context, no locks held; sleeps.
 * Return: true once @t has seen at least @calls releases, false after
 * %TEXP_RELEASE_WAIT_MS without them.
 */
static inline bool texp_wait_released(struct texp *t, int calls)
{
	return fput_settle(atomic_read(&t->release_calls) >= calls);
}

/*
 * KUnit action of texp_new(): drop the case's reference unless it did,
 * wait for the release, and free the exporter. A buffer that does not go
 * away (a reference leaked by the code under test) keeps its exporter:
 * freeing it would turn the leak into a use-after-free, and kmemleak
 * reports the leak.
 */
static inline void texp_teardown(void *arg)
{
	struct texp *t = arg;

	if (!t->dmabuf) {
		texp_free(t);
		return;
	}
	if (!t->put_done) {
		t->put_done = true;
		dma_buf_put(t->dmabuf);
	}
	if (texp_wait_released(t, 1))
		texp_free(t);
	else
		pr_err("dmabuf-helpers: buffer %p never released\n", t->dmabuf);
}

/**
 * texp_alloc() - create a test exporter and its pages, not yet exported
 * @test: the running case
 * @kind: the callbacks to offer
 * @npages: size of the buffer in pages, at least one
 *
 * Page i is filled with the byte i + 1. Aborts the case on failure. The
 * exporter is freed when the case ends, after its buffer is released.
 *
 * Context: Process context, may sleep.
 * Return: the exporter, with &texp.dmabuf still NULL.
 */
static inline struct texp *texp_alloc(struct kunit *test,
				      enum texp_kind kind,
				      unsigned int npages)
{
	struct texp *t;
	unsigned int i;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->pages = kcalloc(npages, sizeof(*t->pages), GFP_KERNEL);
	if (!t->pages) {
		kfree(t);
		KUNIT_FAIL_AND_ABORT(test, "out of memory");
	}
	t->test = test;
	t->kind = kind;
	t->npages = npages;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, texp_teardown,
							t), 0);
	for (i = 0; i < npages; i++) {
		t->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, t->pages[i]);
		memset(page_address(t->pages[i]), i + 1, PAGE_SIZE);
	}
	return t;
}

/**
 * texp_export_info() - fill in the export info of a test exporter
 * @t: the exporter
 * @info: zeroed info to fill in
 *
 * Context: Any context.
 */
static inline void texp_export_info(struct texp *t,
				    struct dma_buf_export_info *info)
{
	info->exp_name = "kunit-texp";
	info->owner = THIS_MODULE;
	info->ops = &texp_ops[t->kind];
	info->size = (size_t)t->npages << PAGE_SHIFT;
	info->flags = O_RDWR;
	info->priv = t;
}

/**
 * texp_new() - create a test exporter and export its buffer
 * @test: the running case
 * @kind: the callbacks to offer
 * @npages: size of the buffer in pages
 *
 * The case owns the one reference to &texp.dmabuf; it may drop it with
 * texp_put(), or leave that to the end of the case.
 *
 * Context: Process context, may sleep.
 * Return: the exporter; the case is aborted on failure.
 */
static inline struct texp *texp_new(struct kunit *test, enum texp_kind kind,
				    unsigned int npages)
{
	struct dma_buf_export_info info = {};
	struct texp *t = texp_alloc(test, kind, npages);
	struct dma_buf *dmabuf;

	texp_export_info(t, &info);
	dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	t->dmabuf = dmabuf;
	return t;
}

/**
 * texp_put() - drop the case's reference and wait for the release
 * @t: the exporter
 *
 * Context: Process context, no locks held; sleeps.
 * Return: the number of release calls the exporter has seen.
 */
static inline int texp_put(struct texp *t)
{
	int before = atomic_read(&t->release_calls);

	t->put_done = true;
	dma_buf_put(t->dmabuf);
	texp_wait_released(t, before + 1);
	return atomic_read(&t->release_calls);
}

/**
 * texp_expect_idle() - expect nothing of an exporter to be in use
 * @test: the running case
 * @t: the exporter
 *
 * Every table the exporter made is freed, every successful map was
 * unmapped, every successful pin undone, and no callback was called against the rules.
 *
 * Context: Any context where KUnit expectations may be evaluated.
 */
static inline void texp_expect_idle(struct kunit *test, struct texp *t)
{
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 0);
	KUNIT_EXPECT_EQ(test,
			atomic_read(&t->map_calls) - atomic_read(&t->map_fails),
			atomic_read(&t->unmap_calls));
	KUNIT_EXPECT_EQ(test,
			atomic_read(&t->pin_calls) - atomic_read(&t->pin_fails),
			atomic_read(&t->unpin_calls));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->contract_errors), 0);
}

/**
 * texp_page_byte() - read the first byte of one backing page
 * @t: the exporter
 * @i: the page
 *
 * Context: Any context.
 * Return: the byte, read through the kernel's direct map.
 */
static inline u8 texp_page_byte(struct texp *t, unsigned int i)
{
	return READ_ONCE(*(u8 *)page_address(t->pages[i]));
}

/**
 * texp_fill() - set every byte of every backing page
 * @t: the exporter
 * @val: the byte
 *
 * Context: Any context.
 */
static inline void texp_fill(struct texp *t, u8 val)
{
	unsigned int i;

	for (i = 0; i < t->npages; i++)
		memset(page_address(t->pages[i]), val, PAGE_SIZE);
}

/**
 * texp_move() - move notification as a dynamic exporter would send it
 * @t: the exporter
 *
 * Context: Process context; takes the reservation lock.
 */
static inline void texp_move(struct texp *t)
{
	dma_resv_lock(t->dmabuf->resv, NULL);
	dma_buf_move_notify(t->dmabuf);
	dma_resv_unlock(t->dmabuf->resv);
}

/**
 * kunit_dma_device() - a device on the KUnit bus that can do DMA
 * @test: the running case
 * @name: name of the device, unique within the case
 *
 * The device has no DMA ops of its own, so it uses dma-direct, with all
 * 64 address bits; it is unregistered when the case ends.
 *
 * Context: Process context, may sleep.
 * Return: the device; the case is aborted on failure.
 */
static inline struct device *kunit_dma_device(struct kunit *test,
					      const char *name)
{
	struct device *dev = kunit_device_register(test, name);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);
	return dev;
}

#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
/* Each device has a coherence of its own (arm64, not x86). */
#define KUNIT_DMA_PER_DEVICE_COHERENCE 1
#endif

/**
 * kunit_dma_device_coherence() - kunit_dma_device() coherent or not
 * @test: the running case
 * @name: name of the device, unique within the case
 * @coherent: whether its DMA is coherent with the CPU's caches
 *
 * Where each device has a coherence of its own (arm64: a device-tree
 * node with or without "dma-coherent"), a KUnit device, which has no
 * firmware node, starts with the architecture's default, non-coherent on
 * arm64; this one gets @coherent, as firmware would give it. Elsewhere
 * (x86) every device is coherent and @coherent must be true.
 *
 * Context: Process context, may sleep.
 * Return: the device; the case is aborted on failure.
 */
static inline struct device *kunit_dma_device_coherence(struct kunit *test,
							const char *name,
							bool coherent)
{
	struct device *dev = kunit_dma_device(test, name);

#ifdef KUNIT_DMA_PER_DEVICE_COHERENCE
	dev->dma_coherent = coherent;
	/* Let dma-direct work out again whether it may skip syncs. */
	KUNIT_ASSERT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(64)), 0);
#endif
	KUNIT_ASSERT_EQ(test, dev_is_dma_coherent(dev), coherent);
	return dev;
}

/**
 * struct timp - a test importer
 * @test: the running case
 * @dev: its device
 * @dmabuf: the buffer it attached to
 * @attach: its attachment, NULL when detached
 * @moves: calls of its move_notify
 */
struct timp {
	struct kunit *test;
	struct device *dev;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	atomic_t moves;
};

/* Counts the notification; the resv lock must be held, as promised. */
static inline void timp_move_notify(struct dma_buf_attachment *attach)
{
	struct timp *imp = attach->importer_priv;

	atomic_inc(&imp->moves);
}

/* A dynamic importer that only takes memory with struct pages. */
static const struct dma_buf_attach_ops timp_dynamic_ops __maybe_unused = {
	.move_notify = timp_move_notify,
};

/* A dynamic importer that can also reach another device's memory. */
static const struct dma_buf_attach_ops timp_p2p_ops __maybe_unused = {
	.allow_peer2peer = true,
	.move_notify = timp_move_notify,
};

/* KUnit action: detach an importer the case left attached. */
static inline void timp_cleanup(void *arg)
{
	struct timp *imp = arg;

	if (imp->attach)
		dma_buf_detach(imp->dmabuf, imp->attach);
	imp->attach = NULL;
}

/**
 * timp_try_attach_dev() - timp_try_attach() with a device of the caller's
 * @test: the running case
 * @t: the exporter whose buffer to attach to
 * @dev: the importer's device, from kunit_dma_device() or
 *	kunit_dma_device_coherence()
 * @ops: importer ops for a dynamic importer, NULL for a static one
 * @imp: out: the importer, KUnit-managed; @imp->attach is set on success
 *
 * Context: Process context, may sleep.
 * Return: 0 or the error of dma_buf_dynamic_attach().
 */
static inline int timp_try_attach_dev(struct kunit *test, struct texp *t,
				      struct device *dev,
				      const struct dma_buf_attach_ops *ops,
				      struct timp **imp)
{
	struct dma_buf_attachment *attach;
	struct timp *i;

	i = kunit_kzalloc(test, sizeof(*i), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, i);
	i->test = test;
	i->dev = dev;
	i->dmabuf = t->dmabuf;
	*imp = i;

	attach = dma_buf_dynamic_attach(t->dmabuf, i->dev, ops, i);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	i->attach = attach;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, timp_cleanup,
							i), 0);
	return 0;
}

/**
 * timp_try_attach() - attach a new importer, returning what the core says
 * @test: the running case
 * @t: the exporter whose buffer to attach to
 * @name: name of the importer's device, unique within the case
 * @ops: importer ops for a dynamic importer, NULL for a static one
 * @imp: out: the importer, KUnit-managed; @imp->attach is set on success
 *
 * A successful attachment is detached when the case ends unless
 * timp_detach() did it before.
 *
 * Context: Process context, may sleep.
 * Return: 0 or the error of dma_buf_dynamic_attach().
 */
static inline int timp_try_attach(struct kunit *test, struct texp *t,
				  const char *name,
				  const struct dma_buf_attach_ops *ops,
				  struct timp **imp)
{
	return timp_try_attach_dev(test, t, kunit_dma_device(test, name), ops,
				   imp);
}

/**
 * timp_attach() - attach a new importer; abort the case on failure
 * @test: the running case
 * @t: the exporter whose buffer to attach to
 * @name: name of the importer's device, unique within the case
 * @ops: importer ops for a dynamic importer, NULL for a static one
 *
 * Context: Process context, may sleep.
 * Return: the attached importer.
 */
static inline struct timp *timp_attach(struct kunit *test, struct texp *t,
				       const char *name,
				       const struct dma_buf_attach_ops *ops)
{
	struct timp *imp;

	KUNIT_ASSERT_EQ(test, timp_try_attach(test, t, name, ops, &imp), 0);
	return imp;
}

/**
 * timp_detach() - detach an importer now
 * @imp: an importer from timp_attach()
 *
 * Context: Process context, may sleep.
 */
static inline void timp_detach(struct timp *imp)
{
	kunit_release_action(imp->test, timp_cleanup, imp);
}

/**
 * timp_map() - map the importer's attachment, taking the lock
 * @imp: the importer
 * @dir: direction
 *
 * Context: Process context, may sleep; takes the reservation lock.
 * Return: the table or an ERR_PTR, as the core returned it.
 */
static inline struct sg_table *timp_map(struct timp *imp,
					enum dma_data_direction dir)
{
	return dma_buf_map_attachment_unlocked(imp->attach, dir);
}

/**
 * timp_unmap() - unmap a table of the importer's attachment
 * @imp: the importer
 * @sgt: the table
 * @dir: direction it was mapped with
 *
 * Context: Process context, may sleep; takes the reservation lock.
 */
static inline void timp_unmap(struct timp *imp, struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	dma_buf_unmap_attachment_unlocked(imp->attach, sgt, dir);
}

/**
 * sgt_dma_bytes() - total length of the DMA side of a table
 * @sgt: the table
 *
 * Context: Any context.
 * Return: the sum of sg_dma_len() over its mapped entries.
 */
static inline size_t sgt_dma_bytes(struct sg_table *sgt)
{
	struct scatterlist *sg;
	size_t total = 0;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		total += sg_dma_len(sg);
	return total;
}

/**
 * enter_test_mm() - give the case's kernel thread an address space
 *
 * As a process has one, so that the case can mmap files.
 *
 * Context: Process context (a KUnit case's kernel thread).
 * Return: The mm, which the caller must hand to leave_test_mm() before
 * the case ends, or NULL when out of memory.
 */
static inline struct mm_struct *enter_test_mm(void)
{
	struct mm_struct *mm = mm_alloc();

	if (!mm)
		return NULL;
	mm->task_size = TASK_SIZE;
	arch_pick_mmap_layout(mm, &current->signal->rlim[RLIMIT_STACK]);
	kthread_use_mm(mm);
	return mm;
}

/**
 * leave_test_mm() - undo enter_test_mm()
 * @mm: What enter_test_mm() returned; every mapping in it goes with it.
 */
static inline void leave_test_mm(struct mm_struct *mm)
{
	kthread_unuse_mm(mm);
	mmput(mm);
}

/**
 * leave_case_mm() - release the address space kunit_vm_mmap() gave a case
 *
 * kunit_vm_mmap() attaches a new mm to the case's kernel thread the first
 * time it is called and leaves it attached, for the thread's exit to
 * release.  In 6.12 that exit keeps one count on it (the one
 * kthread_use_mm() took), so each case that mapped user memory leaks its
 * mm_struct, page tables and counters; kmemleak reports them where page
 * tables come from a slab (arm64), and they leak silently elsewhere.  A
 * case ends with this call, through DEFINE_CASE_MM(), to give the mm back
 * while its thread still runs.  Does nothing when the thread has no mm.
 *
 * Context: Process context, the case's own kernel thread.
 */
static inline void leave_case_mm(void)
{
	struct mm_struct *mm = current->mm;

	if (mm)
		leave_test_mm(mm);
}

/**
 * DEFINE_CASE_MM() - define FN_mm(), case @fn followed by leave_case_mm()
 * @fn: a KUnit case (with its suite's init, if any) that maps user memory
 *	with kunit_vm_mmap()
 *
 * List it with KUNIT_CASE_MM() (or KUNIT_CASE_MM_SLOW()), which keeps
 * @fn's name as the case's name.  A case that stops early on a failed
 * assertion still leaks its mm, as before.
 */
#define DEFINE_CASE_MM(fn)					\
	static void fn##_mm(struct kunit *test)			\
	{							\
		fn(test);					\
		leave_case_mm();				\
	}

/* KUNIT_CASE() for a case that DEFINE_CASE_MM() wrapped. */
#define KUNIT_CASE_MM(fn)					\
	{ .run_case = fn##_mm, .name = #fn,			\
	  .module_name = KBUILD_MODNAME }

/* KUNIT_CASE_SLOW() for a case that DEFINE_CASE_MM() wrapped. */
#define KUNIT_CASE_MM_SLOW(fn)					\
	{ .run_case = fn##_mm, .name = #fn,			\
	  .attr.speed = KUNIT_SPEED_SLOW,			\
	  .module_name = KBUILD_MODNAME }

#endif /* _DMA_BUF_TESTS_DMABUF_HELPERS_H */
