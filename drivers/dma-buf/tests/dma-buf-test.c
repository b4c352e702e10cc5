// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the dma-buf core: export and the buffer's file,
 * attachments, mappings, CPU access (begin/end, vmap, mmap) and the
 * device-access brackets on a coherent device.
 */

#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/dcache.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>

#include "dmabuf-helpers.h"
#include "fence-helpers.h"

/**
 * DOC: dma-buf core KUnit suites
 *
 * Five suites check the dma-buf core against its contract, with the test
 * exporter and the test importers of dmabuf-helpers.h:
 *
 * * "dma-buf": export and its argument checks, the module reference, the
 *   buffer's file and descriptor, reference counting and the single
 *   release;
 * * "dma-buf-attach": static and dynamic importers, exporter refusals,
 *   peer-to-peer, pinning (by importers and by the core for a static
 *   importer of a dynamic exporter) and move notifications;
 * * "dma-buf-map": the importer's table (a DMA-only copy under
 *   CONFIG_DMABUF_DEBUG), cached mappings, exporter failures, the wait
 *   for kernel fences of static importers;
 * * "dma-buf-cpu-access": begin/end_cpu_access and their fence waits,
 *   vmap reference counting, mmap of the file and dma_buf_mmap() for a
 *   forwarding driver;
 * * "dma-buf-device-access": dma_buf_begin_access() and
 *   dma_buf_end_access() on a device that needs no synchronisation, on
 *   one whose DMA is not coherent (where the architecture has such
 *   devices: arm64), and with an exporter that brings its own hooks.
 *
 * Every case counts the exporter's callbacks and its live tables, so an
 * error path that leaks a mapping, a pin or a reference shows up as a
 * count that does not balance; kmemleak, scanned by the harness after
 * the boot, catches the rest. Cases that prove a warning fires bracket
 * it with the harness's expected-WARN lines; each such case is the
 * first to hit its warning site in the boot.
 *
 * Build it in with::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * A typical case::
 *
 *	struct texp *t = texp_new(test, TEXP_STATIC, 2);
 *	struct timp *imp = timp_attach(test, t, "imp", NULL);
 *	struct sg_table *sgt = timp_map(imp, DMA_BIDIRECTIONAL);
 *
 *	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
 *	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);
 *	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
 *	timp_detach(imp);
 *	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 0);
 *	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
 */

MODULE_IMPORT_NS(DMA_BUF);

/* How long a helper thread lets a waiter wait before it signals, in ms. */
#define LATE_SIGNAL_MS	50

KUNIT_DEFINE_ACTION_WRAPPER(signal_fence_action, dma_fence_signal,
			    struct dma_fence *);
KUNIT_DEFINE_ACTION_WRAPPER(put_fence_action, dma_fence_put,
			    struct dma_fence *);

/*
 * A pending mock fence, signalled and released by KUnit when the case
 * ends (in that order). The caller must not drop the reference.
 */
static struct dma_fence *managed_fence(struct kunit *test)
{
	struct dma_fence *f;

	f = mock_fence_new(test, &mock_ops_plain, dma_fence_context_alloc(1),
			   1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, put_fence_action,
							f), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							signal_fence_action,
							f), 0);
	return f;
}

/* Add @f to the buffer's reservation object with @usage. */
static void add_buf_fence(struct kunit *test, struct dma_buf *dmabuf,
			  struct dma_fence *f, enum dma_resv_usage usage)
{
	int ret;

	dma_resv_lock(dmabuf->resv, NULL);
	ret = dma_resv_reserve_fences(dmabuf->resv, 1);
	if (!ret)
		dma_resv_add_fence(dmabuf->resv, f, usage);
	dma_resv_unlock(dmabuf->resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/* Job: sleep LATE_SIGNAL_MS, then signal the fence in @job->data. */
static void late_signal_fn(struct fence_job *job)
{
	msleep(LATE_SIGNAL_MS);
	dma_fence_signal(job->data);
}

/*
 * Start a thread that signals @f after LATE_SIGNAL_MS. The caller must
 * call fence_job_finish() on @job before it goes out of scope.
 */
static void start_late_signal(struct kunit *test, struct fence_job *job,
			      struct dma_fence *f)
{
	job->fn = late_signal_fn;
	job->data = f;
	KUNIT_ASSERT_EQ(test, fence_job_start(job, -1), 0);
}

/**
 * struct signalled_call - a call made by a thread with a signal pending
 * @imp: importer to map, for signalled_map_fn()
 * @dmabuf: buffer, for signalled_begin_cpu_fn()
 * @sgt: what the map returned
 * @ret: what begin_cpu_access returned
 */
struct signalled_call {
	struct timp *imp;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	int ret;
};

/* Queue SIGUSR1 to the calling kernel thread, so that waits give up. */
static void raise_own_signal(void)
{
	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 1);
}

/* Undo raise_own_signal(). */
static void drop_own_signal(void)
{
	flush_signals(current);
	disallow_signal(SIGUSR1);
}

static void signalled_map_fn(struct fence_job *job)
{
	struct signalled_call *call = job->data;

	raise_own_signal();
	call->sgt = timp_map(call->imp, DMA_BIDIRECTIONAL);
	drop_own_signal();
}

static void signalled_begin_cpu_fn(struct fence_job *job)
{
	struct signalled_call *call = job->data;

	raise_own_signal();
	call->ret = dma_buf_begin_cpu_access(call->dmabuf, DMA_BIDIRECTIONAL);
	drop_own_signal();
}

/* Run @fn with @call in a thread of its own and wait for it. */
static void run_signalled(struct kunit *test,
			  void (*fn)(struct fence_job *job),
			  struct signalled_call *call)
{
	struct fence_job job = { .fn = fn, .data = call };

	KUNIT_ASSERT_EQ(test, fence_job_start(&job, -1), 0);
	fence_job_finish(&job);
}

/* Number of references to the buffer's file. */
static long buf_refs(struct dma_buf *dmabuf)
{
	return file_count(dmabuf->file);
}

/* Export failed as expected: nothing of the exporter was called. */
static void expect_export_refused(struct kunit *test,
				  const struct dma_buf_export_info *info,
				  const char *tag, int err)
{
	struct dma_buf *dmabuf;

	if (tag)
		expect_warn_begin(tag);
	dmabuf = dma_buf_export(info);
	if (tag)
		expect_warn_end(tag);
	KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(dmabuf), err, "%s", tag);
	if (!IS_ERR_OR_NULL(dmabuf))
		dma_buf_put(dmabuf);
}

/* "dma-buf": export, files, references */

static void export_makes_a_file_with_one_reference(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 3);
	struct dma_buf *dmabuf = t->dmabuf;

	KUNIT_EXPECT_EQ(test, dmabuf->size, 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, i_size_read(file_inode(dmabuf->file)),
			3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, buf_refs(dmabuf), 1);
	KUNIT_EXPECT_EQ(test, dmabuf->file->f_flags & O_ACCMODE, O_RDWR);
	KUNIT_EXPECT_PTR_EQ(test, dmabuf->priv, (void *)t);
	KUNIT_EXPECT_PTR_EQ(test, dmabuf->ops, &texp_ops[TEXP_STATIC]);
	KUNIT_EXPECT_STREQ(test, dmabuf->exp_name, "kunit-texp");
	KUNIT_EXPECT_TRUE(test, list_empty(&dmabuf->attachments));
	KUNIT_EXPECT_EQ(test, dmabuf->vmapping_counter, 0);
	KUNIT_EXPECT_NULL(test, dmabuf->name);
	KUNIT_EXPECT_FALSE(test, dma_buf_is_dynamic(dmabuf));

	/* The embedded reservation object is initialised and unlocked. */
	KUNIT_ASSERT_NOT_NULL(test, dmabuf->resv);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(dmabuf->resv));
	KUNIT_ASSERT_TRUE(test, dma_resv_trylock(dmabuf->resv));
	dma_resv_unlock(dmabuf->resv);

	/* Export calls nothing of the exporter. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->release_calls), 0);

	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

static void export_uses_the_given_resv(struct kunit *test)
{
	struct dma_buf_export_info info = {};
	struct texp *t = texp_alloc(test, TEXP_DYNAMIC, 1);
	struct dma_fence *f = managed_fence(test);
	struct dma_resv own;
	int locked;

	dma_resv_init(&own);
	texp_export_info(t, &info);
	info.resv = &own;
	t->dmabuf = dma_buf_export(&info);
	if (IS_ERR(t->dmabuf)) {
		dma_resv_fini(&own);
		KUNIT_FAIL_AND_ABORT(test, "export: %ld", PTR_ERR(t->dmabuf));
	}
	KUNIT_EXPECT_PTR_EQ(test, t->dmabuf->resv, &own);
	KUNIT_EXPECT_TRUE(test, dma_buf_is_dynamic(t->dmabuf));
	add_buf_fence(test, t->dmabuf, f, DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);

	/* The buffer is gone, the caller's object and its fence are not. */
	locked = dma_resv_lock(&own, NULL);
	if (!locked) {
		KUNIT_EXPECT_FALSE(test,
				   dma_resv_test_signaled(&own,
							  DMA_RESV_USAGE_WRITE));
		dma_resv_unlock(&own);
	}
	dma_resv_fini(&own);
	KUNIT_EXPECT_EQ(test, locked, 0);
}

static void export_refuses_malformed_info(struct kunit *test)
{
	static const struct dma_buf_ops no_map = {
		.unmap_dma_buf = texp_unmap, .release = texp_release,
	};
	static const struct dma_buf_ops no_unmap = {
		.map_dma_buf = texp_map, .release = texp_release,
	};
	static const struct dma_buf_ops no_release = {
		.map_dma_buf = texp_map, .unmap_dma_buf = texp_unmap,
	};
	static const struct dma_buf_ops cached_pin = {
		.cache_sgt_mapping = true, .pin = texp_pin,
		.unpin = texp_unpin, .map_dma_buf = texp_map,
		.unmap_dma_buf = texp_unmap, .release = texp_release,
	};
	static const struct dma_buf_ops pin_only = {
		.pin = texp_pin, .map_dma_buf = texp_map,
		.unmap_dma_buf = texp_unmap, .release = texp_release,
	};
	static const struct dma_buf_ops unpin_only = {
		.unpin = texp_unpin, .map_dma_buf = texp_map,
		.unmap_dma_buf = texp_unmap, .release = texp_release,
	};
	static const struct dma_buf_ops begin_access_only = {
		.begin_access = texp_begin_access, .map_dma_buf = texp_map,
		.unmap_dma_buf = texp_unmap, .release = texp_release,
	};
	static const struct dma_buf_ops end_access_only = {
		.end_access = texp_end_access, .map_dma_buf = texp_map,
		.unmap_dma_buf = texp_unmap, .release = texp_release,
	};
	static const struct {
		const char *tag;
		const struct dma_buf_ops *ops;
	} bad_ops[] = {
		{ "export-null-ops", NULL },
		{ "export-no-map", &no_map },
		{ "export-no-unmap", &no_unmap },
		{ "export-no-release", &no_release },
		{ "export-cache-with-pin", &cached_pin },
		{ "export-pin-without-unpin", &pin_only },
		{ "export-unpin-without-pin", &unpin_only },
		{ "export-begin-access-without-end", &begin_access_only },
		{ "export-end-access-without-begin", &end_access_only },
	};
	struct texp *t = texp_alloc(test, TEXP_STATIC, 1);
	struct dma_buf_export_info info = {};
	unsigned int i;

	expect_export_refused(test, NULL, "export-null-info", -EINVAL);

	texp_export_info(t, &info);
	info.priv = NULL;
	expect_export_refused(test, &info, "export-null-priv", -EINVAL);

	for (i = 0; i < ARRAY_SIZE(bad_ops); i++) {
		texp_export_info(t, &info);
		info.ops = bad_ops[i].ops;
		expect_export_refused(test, &info, bad_ops[i].tag, -EINVAL);
	}

	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, atomic_read(&t->release_calls), 0);
}

#if IS_ENABLED(CONFIG_MODULE_UNLOAD)
/*
 * A stand-in for an exporting module: the core only takes and drops
 * references to its owner, which needs no more than the state and the
 * reference count of a &struct module.
 */
static struct module *fake_owner(struct kunit *test, enum module_state state)
{
	struct module *mod = kunit_kzalloc(test, sizeof(*mod), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mod);
	strscpy(mod->name, "kunit_fake_owner", sizeof(mod->name));
	mod->state = state;
	/* A loaded module starts with one base reference. */
	atomic_set(&mod->refcnt, 1);
	return mod;
}

static void export_holds_a_module_reference(struct kunit *test)
{
	struct module *going = fake_owner(test, MODULE_STATE_GOING);
	struct module *live = fake_owner(test, MODULE_STATE_LIVE);
	struct texp *t = texp_alloc(test, TEXP_STATIC, 1);
	struct dma_buf_export_info info = {};
	int refs_before = module_refcount(live);

	texp_export_info(t, &info);
	info.owner = going;
	expect_export_refused(test, &info, NULL, -ENOENT);
	KUNIT_EXPECT_EQ(test, module_refcount(going), 0);

	info.owner = live;
	t->dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->dmabuf);
	KUNIT_EXPECT_PTR_EQ(test, t->dmabuf->owner, live);
	KUNIT_EXPECT_EQ(test, module_refcount(live), refs_before + 1);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
	KUNIT_EXPECT_EQ(test, module_refcount(live), refs_before);
}
#else
static void export_holds_a_module_reference(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_MODULE_UNLOAD");
}
#endif

static void fd_takes_over_the_reference(struct kunit *test)
{
	struct texp *a = texp_new(test, TEXP_STATIC, 1);
	struct texp *b = texp_new(test, TEXP_STATIC, 1);
	struct dma_buf *got;
	int fd_a, fd_b;

	fd_a = dma_buf_fd(a->dmabuf, O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd_a, 0);
	a->put_done = true;
	fd_b = dma_buf_fd(b->dmabuf, 0);
	if (fd_b < 0)
		close_fd(fd_a);
	KUNIT_ASSERT_GE(test, fd_b, 0);
	b->put_done = true;

	KUNIT_EXPECT_EQ(test, buf_refs(a->dmabuf), 1);
	KUNIT_EXPECT_TRUE(test, get_close_on_exec(fd_a));
	KUNIT_EXPECT_FALSE(test, get_close_on_exec(fd_b));

	got = dma_buf_get(fd_a);
	KUNIT_EXPECT_PTR_EQ(test, got, a->dmabuf);
	if (!IS_ERR(got)) {
		KUNIT_EXPECT_EQ(test, buf_refs(a->dmabuf), 2);
		dma_buf_put(got);
	}
	KUNIT_EXPECT_EQ(test, buf_refs(a->dmabuf), 1);

	close_fd(fd_a);
	close_fd(fd_b);
	KUNIT_EXPECT_TRUE(test, texp_wait_released(a, 1));
	KUNIT_EXPECT_TRUE(test, texp_wait_released(b, 1));
	KUNIT_EXPECT_EQ(test, atomic_read(&a->release_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->release_calls), 1);
}

static const struct file_operations not_a_dmabuf_fops = {
	.owner = THIS_MODULE,
};

static void fd_and_get_reject_bad_input(struct kunit *test)
{
	struct dma_buf fileless = {};
	struct file *other;
	struct dma_buf *got;
	int fd;

	KUNIT_EXPECT_EQ(test, dma_buf_fd(NULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, dma_buf_fd(&fileless, 0), -EINVAL);

	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_get(-1)), -EBADF);
	fd = get_unused_fd_flags(0);
	KUNIT_ASSERT_GE(test, fd, 0);
	put_unused_fd(fd);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_get(fd)), -EBADF);

	other = anon_inode_getfile("kunit-not-dmabuf", &not_a_dmabuf_fops,
				   NULL, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		fput(other);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, other);

	got = dma_buf_get(fd);
	KUNIT_EXPECT_EQ(test, PTR_ERR(got), -EINVAL);
	/* The failed get gave its reference back: only the table's is left. */
	KUNIT_EXPECT_EQ(test, file_count(other), 1);
	close_fd(fd);
}

static void put_of_null_warns(struct kunit *test)
{
	expect_warn_begin("put-null");
	dma_buf_put(NULL);
	expect_warn_end("put-null");
}

static void last_put_releases_exactly_once(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct dma_buf *dmabuf = t->dmabuf;

	get_dma_buf(dmabuf);
	get_dma_buf(dmabuf);
	KUNIT_EXPECT_EQ(test, buf_refs(dmabuf), 3);

	dma_buf_put(dmabuf);
	dma_buf_put(dmabuf);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, buf_refs(dmabuf), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->release_calls), 0);

	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
	/* Give a second, wrong, release every chance to happen. */
	msleep(20);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, atomic_read(&t->release_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 0);
}

static void file_name_shows_the_buffer_name(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_buf *dmabuf = t->dmabuf;
	char buf[64];
	char *name, *path;

	path = d_path(&dmabuf->file->f_path, buf, sizeof(buf));
	KUNIT_ASSERT_FALSE(test, IS_ERR(path));
	KUNIT_EXPECT_STREQ(test, path, "/dmabuf:");

	/* What DMA_BUF_SET_NAME stores; the core frees it at release. */
	name = kstrdup("kunit-name", GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, name);
	spin_lock(&dmabuf->name_lock);
	dmabuf->name = name;
	spin_unlock(&dmabuf->name_lock);

	path = d_path(&dmabuf->file->f_path, buf, sizeof(buf));
	KUNIT_ASSERT_FALSE(test, IS_ERR(path));
	KUNIT_EXPECT_STREQ(test, path, "/dmabuf:kunit-name");
}

static struct kunit_case dma_buf_export_cases[] = {
	KUNIT_CASE(export_makes_a_file_with_one_reference),
	KUNIT_CASE(export_uses_the_given_resv),
	KUNIT_CASE(export_refuses_malformed_info),
	KUNIT_CASE(export_holds_a_module_reference),
	KUNIT_CASE(fd_takes_over_the_reference),
	KUNIT_CASE(fd_and_get_reject_bad_input),
	KUNIT_CASE(put_of_null_warns),
	KUNIT_CASE(last_put_releases_exactly_once),
	KUNIT_CASE(file_name_shows_the_buffer_name),
	{}
};

static struct kunit_suite dma_buf_export_suite = {
	.name = "dma-buf",
	.test_cases = dma_buf_export_cases,
};

/* "dma-buf-attach" */

static void attach_static_importer(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct timp *a = timp_attach(test, t, "a", NULL);
	struct timp *b = timp_attach(test, t, "b", NULL);
	struct dma_buf_attachment *at = a->attach;
	struct dma_buf *dmabuf = t->dmabuf;

	KUNIT_EXPECT_PTR_EQ(test, at->dmabuf, dmabuf);
	KUNIT_EXPECT_PTR_EQ(test, at->dev, a->dev);
	KUNIT_EXPECT_NULL(test, at->importer_ops);
	KUNIT_EXPECT_FALSE(test, at->peer2peer);
	KUNIT_EXPECT_FALSE(test, dma_buf_attachment_is_dynamic(at));
	KUNIT_EXPECT_PTR_EQ(test, at->priv, (void *)t);
	KUNIT_EXPECT_NULL(test, at->sgt);
	KUNIT_EXPECT_FALSE(test, attach_core_pinned(at));
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(at), 0);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&dmabuf->attachments), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 0);
	/* Attachments hold no reference to the file. */
	KUNIT_EXPECT_EQ(test, buf_refs(dmabuf), 1);

	timp_detach(a);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 1);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&dmabuf->attachments));
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&dmabuf->attachments,
						   struct dma_buf_attachment,
						   node), b->attach);
	timp_detach(b);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 2);
	KUNIT_EXPECT_TRUE(test, list_empty(&dmabuf->attachments));
	texp_expect_idle(test, t);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

static void attach_rejects_bad_arguments(struct kunit *test)
{
	static const struct dma_buf_attach_ops no_move_notify = {
		.allow_peer2peer = true,
	};
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct device *dev = kunit_dma_device(test, "dev");
	struct dma_buf_attachment *at;

	expect_warn_begin("attach-null-dmabuf");
	at = dma_buf_attach(NULL, dev);
	expect_warn_end("attach-null-dmabuf");
	KUNIT_EXPECT_EQ(test, PTR_ERR(at), -EINVAL);

	expect_warn_begin("attach-null-dev");
	at = dma_buf_attach(t->dmabuf, NULL);
	expect_warn_end("attach-null-dev");
	KUNIT_EXPECT_EQ(test, PTR_ERR(at), -EINVAL);

	expect_warn_begin("attach-no-move-notify");
	at = dma_buf_dynamic_attach(t->dmabuf, dev, &no_move_notify, NULL);
	expect_warn_end("attach-no-move-notify");
	KUNIT_EXPECT_EQ(test, PTR_ERR(at), -EINVAL);

	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->dmabuf->attachments));
}

static void attach_refused_by_exporter_leaks_nothing(struct kunit *test)
{
	static const int errs[] = { -ENOMEM, -EIO, -EBUSY };
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	char name[16];
	struct timp *imp;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		t->attach_err = errs[i];
		snprintf(name, sizeof(name), "imp%u", i);
		KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, name, NULL, &imp),
				errs[i]);
		KUNIT_EXPECT_NULL(test, imp->attach);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls), ARRAY_SIZE(errs));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->dmabuf->attachments));
	KUNIT_EXPECT_EQ(test, buf_refs(t->dmabuf), 1);
	texp_expect_idle(test, t);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

static void dynamic_attach_records_the_importer(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *dyn = timp_attach(test, t, "dyn", &timp_dynamic_ops);
	struct timp *p2p = timp_attach(test, t, "p2p", &timp_p2p_ops);

	KUNIT_EXPECT_PTR_EQ(test, dyn->attach->importer_ops,
			    &timp_dynamic_ops);
	KUNIT_EXPECT_PTR_EQ(test, dyn->attach->importer_priv, (void *)dyn);
	KUNIT_EXPECT_TRUE(test, dma_buf_attachment_is_dynamic(dyn->attach));
	KUNIT_EXPECT_FALSE(test, dyn->attach->peer2peer);
	KUNIT_EXPECT_TRUE(test, p2p->attach->peer2peer);

	/* Both sides dynamic: nothing is pinned or mapped ahead of time. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 0);
	KUNIT_EXPECT_NULL(test, dyn->attach->sgt);
	KUNIT_EXPECT_FALSE(test, attach_core_pinned(dyn->attach));

	timp_detach(dyn);
	timp_detach(p2p);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 2);
	texp_expect_idle(test, t);
}

static void peer2peer_is_offered_only_by_willing_importers(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *imp;

	t->device_memory = true;
	KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, "static", NULL, &imp),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, "dyn",
					      &timp_dynamic_ops, &imp),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, "p2p", &timp_p2p_ops,
					      &imp), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 0);
	/* The static importer was refused before anything got pinned. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 0);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&t->dmabuf->attachments));
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void static_importer_of_dynamic_exporter_pins(struct kunit *test)
{
	static const enum dma_data_direction dirs[] = {
		DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE,
	};
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct dma_buf_attachment *at = imp->attach;
	struct sg_table *sgt;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);
	KUNIT_EXPECT_EQ(test, t->last_map_dir, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_TRUE(test, attach_core_pinned(at));
	KUNIT_ASSERT_NOT_NULL(test, at->sgt);

	/* Every direction gets the cached bidirectional mapping. */
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		sgt = timp_map(imp, dirs[i]);
		KUNIT_EXPECT_PTR_EQ(test, sgt, at->sgt);
		if (!IS_ERR(sgt))
			timp_unmap(imp, sgt, dirs[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unpin_calls), 0);

	timp_detach(imp);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unpin_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 1);
	texp_expect_idle(test, t);
}

static void dynamic_importer_of_static_exporter_is_mapped(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", &timp_dynamic_ops);
	struct sg_table *sgt;

	/*
	 * The exporter cannot follow moves, the importer could: the core
	 * maps once at attach time, without pinning (nothing to pin).
	 */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);
	KUNIT_EXPECT_FALSE(test, attach_core_pinned(imp->attach));
	KUNIT_ASSERT_NOT_NULL(test, imp->attach->sgt);
	sgt = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_EXPECT_PTR_EQ(test, sgt, imp->attach->sgt);
	if (!IS_ERR(sgt))
		timp_unmap(imp, sgt, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void static_importer_pin_failure_undoes_attach(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *imp;

	t->pin_err = -EIO;
	KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, "imp", NULL, &imp),
			-EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unpin_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->dmabuf->attachments));
	texp_expect_idle(test, t);
}

static void static_importer_map_failure_undoes_attach(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *imp;

	t->map_err = -EIO;
	KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, "a", NULL, &imp), -EIO);
	t->map_err = 0;
	t->map_null = true;
	KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, "b", NULL, &imp),
			-ENOMEM);

	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unpin_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 2);
	/* A failed map is not unmapped. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->dmabuf->attachments));
}

/* dma_buf_pin() under the lock, as importers must call it. */
static int pin_locked(struct dma_buf_attachment *at)
{
	int ret;

	dma_resv_lock(at->dmabuf->resv, NULL);
	ret = dma_buf_pin(at);
	dma_resv_unlock(at->dmabuf->resv);
	return ret;
}

static void unpin_locked(struct dma_buf_attachment *at)
{
	dma_resv_lock(at->dmabuf->resv, NULL);
	dma_buf_unpin(at);
	dma_resv_unlock(at->dmabuf->resv);
}

static void pin_and_unpin_reach_the_exporter(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct texp *s = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", &timp_dynamic_ops);
	struct timp *simp = timp_attach(test, s, "simp", &timp_dynamic_ops);

	KUNIT_EXPECT_EQ(test, pin_locked(imp->attach), 0);
	KUNIT_EXPECT_EQ(test, pin_locked(imp->attach), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 2);
	unpin_locked(imp->attach);
	unpin_locked(imp->attach);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unpin_calls), 2);

	t->pin_err = -ENOMEM;
	KUNIT_EXPECT_EQ(test, pin_locked(imp->attach), -ENOMEM);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls), 3);
	t->pin_err = 0;

	/* An exporter that cannot move needs no pin: success, no call. */
	KUNIT_EXPECT_EQ(test, pin_locked(simp->attach), 0);
	unpin_locked(simp->attach);

	timp_detach(imp);
	timp_detach(simp);
	texp_expect_idle(test, t);
	texp_expect_idle(test, s);
}

static void pin_of_static_attachment_warns(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	int ret;

	expect_warn_begin("pin-static-attachment");
	ret = pin_locked(imp->attach);
	expect_warn_end("pin-static-attachment");
	KUNIT_EXPECT_EQ(test, ret, 0);

	expect_warn_begin("unpin-static-attachment");
	unpin_locked(imp->attach);
	expect_warn_end("unpin-static-attachment");
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void move_notify_reaches_dynamic_importers_only(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *stat = timp_attach(test, t, "static", NULL);
	struct timp *dyn = timp_attach(test, t, "dyn", &timp_dynamic_ops);
	struct timp *p2p = timp_attach(test, t, "p2p", &timp_p2p_ops);

	texp_move(t);
	KUNIT_EXPECT_EQ(test, atomic_read(&stat->moves), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dyn->moves), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p2p->moves), 1);

	texp_move(t);
	KUNIT_EXPECT_EQ(test, atomic_read(&dyn->moves), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&p2p->moves), 2);

	timp_detach(dyn);
	texp_move(t);
	KUNIT_EXPECT_EQ(test, atomic_read(&stat->moves), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dyn->moves), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&p2p->moves), 3);

	/* The static importer's pinned mapping was left alone. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	timp_detach(stat);
	timp_detach(p2p);
	texp_expect_idle(test, t);
}

static void move_notify_requires_the_resv_lock(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *dyn = timp_attach(test, t, "dyn", &timp_dynamic_ops);

	expect_warn_begin("move-notify-unlocked");
	dma_buf_move_notify(t->dmabuf);
	expect_warn_end("move-notify-unlocked");
	timp_detach(dyn);
}

static void detach_rejects_bad_arguments(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct texp *other = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);

	expect_warn_begin("detach-null-dmabuf");
	dma_buf_detach(NULL, imp->attach);
	expect_warn_end("detach-null-dmabuf");

	expect_warn_begin("detach-null-attach");
	dma_buf_detach(t->dmabuf, NULL);
	expect_warn_end("detach-null-attach");

	expect_warn_begin("detach-wrong-buffer");
	dma_buf_detach(other->dmabuf, imp->attach);
	expect_warn_end("detach-wrong-buffer");

	/* Nothing happened: the attachment is still there and usable. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&other->detach_calls), 0);
	KUNIT_EXPECT_TRUE(test, list_is_singular(&t->dmabuf->attachments));
	timp_detach(imp);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 1);
}

static void detach_unmaps_a_forgotten_mapping(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt = timp_map(imp, DMA_TO_DEVICE);

	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 1);

	expect_warn_begin("detach-with-mapping");
	timp_detach(imp);
	expect_warn_end("detach-with-mapping");

	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 1);
	KUNIT_EXPECT_EQ(test, t->last_unmap_dir, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->detach_calls), 1);
	texp_expect_idle(test, t);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

static struct kunit_case dma_buf_attach_cases[] = {
	KUNIT_CASE(attach_static_importer),
	KUNIT_CASE(attach_rejects_bad_arguments),
	KUNIT_CASE(attach_refused_by_exporter_leaks_nothing),
	KUNIT_CASE(dynamic_attach_records_the_importer),
	KUNIT_CASE(peer2peer_is_offered_only_by_willing_importers),
	KUNIT_CASE(static_importer_of_dynamic_exporter_pins),
	KUNIT_CASE(dynamic_importer_of_static_exporter_is_mapped),
	KUNIT_CASE(static_importer_pin_failure_undoes_attach),
	KUNIT_CASE(static_importer_map_failure_undoes_attach),
	KUNIT_CASE(pin_and_unpin_reach_the_exporter),
	KUNIT_CASE(pin_of_static_attachment_warns),
	KUNIT_CASE(move_notify_reaches_dynamic_importers_only),
	KUNIT_CASE(move_notify_requires_the_resv_lock),
	KUNIT_CASE(detach_rejects_bad_arguments),
	KUNIT_CASE(detach_unmaps_a_forgotten_mapping),
	{}
};

static struct kunit_suite dma_buf_attach_suite = {
	.name = "dma-buf-attach",
	.test_cases = dma_buf_attach_cases,
};

/* "dma-buf-map" */

/*
 * @imp_sgt is what CONFIG_DMABUF_DEBUG promises the importer: a table of
 * its own with the DMA side of @exp_sgt and no pages.
 */
static void expect_dma_only_copy(struct kunit *test, struct sg_table *imp_sgt,
				 struct sg_table *exp_sgt)
{
	struct scatterlist *is, *es;
	unsigned int i;

	KUNIT_EXPECT_PTR_NE(test, imp_sgt, exp_sgt);
	KUNIT_ASSERT_EQ(test, imp_sgt->nents, exp_sgt->nents);
	KUNIT_EXPECT_EQ(test, imp_sgt->orig_nents, exp_sgt->nents);

	es = exp_sgt->sgl;
	for_each_sgtable_dma_sg(imp_sgt, is, i) {
		KUNIT_EXPECT_NULL_MSG(test, sg_page(is), "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, sg_dma_address(is),
				    sg_dma_address(es), "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, sg_dma_len(is), sg_dma_len(es),
				    "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, is->length, sg_dma_len(es),
				    "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, is->offset, 0, "entry %u", i);
		es = sg_next(es);
	}
}

static void map_gives_the_importer_a_dma_only_copy(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 4);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt, *exp_sgt;

	if (!IS_ENABLED(CONFIG_DMABUF_DEBUG))
		kunit_skip(test, "needs CONFIG_DMABUF_DEBUG");

	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	exp_sgt = t->last_map_sgt;
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);
	KUNIT_EXPECT_EQ(test, t->last_map_dir, DMA_BIDIRECTIONAL);
	expect_dma_only_copy(test, sgt, exp_sgt);
	KUNIT_EXPECT_EQ(test, sgt_dma_bytes(sgt), t->dmabuf->size);

	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, t->last_unmap_sgt, exp_sgt);
	KUNIT_EXPECT_EQ(test, t->last_unmap_dir, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void each_map_is_a_mapping_of_its_own(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *s1, *s2, *e1, *e2;

	s1 = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s1));
	e1 = t->last_map_sgt;
	s2 = timp_map(imp, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s2));
	e2 = t->last_map_sgt;

	KUNIT_EXPECT_PTR_NE(test, s1, s2);
	KUNIT_EXPECT_PTR_NE(test, e1, e2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 2);

	/* Unmapped out of order, each goes back as what it was. */
	timp_unmap(imp, s1, DMA_TO_DEVICE);
	KUNIT_EXPECT_PTR_EQ(test, t->last_unmap_sgt, e1);
	KUNIT_EXPECT_EQ(test, t->last_unmap_dir, DMA_TO_DEVICE);
	timp_unmap(imp, s2, DMA_FROM_DEVICE);
	KUNIT_EXPECT_PTR_EQ(test, t->last_unmap_sgt, e2);
	KUNIT_EXPECT_EQ(test, t->last_unmap_dir, DMA_FROM_DEVICE);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void cached_mapping_is_reused(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_CACHED, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct timp *bid = timp_attach(test, t, "bid", NULL);
	struct sg_table *s1, *s2, *busy;

	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 0);
	s1 = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s1));
	s2 = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_EXPECT_PTR_EQ(test, s1, s2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);

	busy = timp_map(imp, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(busy), -EBUSY);
	busy = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(busy), -EBUSY);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);

	/* Unmapping a cached table gives nothing back to the exporter. */
	timp_unmap(imp, s1, DMA_TO_DEVICE);
	timp_unmap(imp, s2, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	s2 = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_EXPECT_PTR_EQ(test, s1, s2);

	/* A bidirectional cached mapping serves every direction. */
	s1 = timp_map(bid, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s1));
	KUNIT_EXPECT_PTR_EQ(test, timp_map(bid, DMA_TO_DEVICE), s1);
	KUNIT_EXPECT_PTR_EQ(test, timp_map(bid, DMA_FROM_DEVICE), s1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 2);

	timp_detach(imp);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 1);
	KUNIT_EXPECT_EQ(test, t->last_unmap_dir, DMA_TO_DEVICE);
	timp_detach(bid);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 2);
	texp_expect_idle(test, t);
}

static void map_failures_of_the_exporter(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);

	t->map_null = true;
	KUNIT_EXPECT_EQ(test, PTR_ERR(timp_map(imp, DMA_TO_DEVICE)), -ENOMEM);
	t->map_null = false;
	t->map_err = -EIO;
	KUNIT_EXPECT_EQ(test, PTR_ERR(timp_map(imp, DMA_TO_DEVICE)), -EIO);
	t->map_err = -ENOSPC;
	KUNIT_EXPECT_EQ(test, PTR_ERR(timp_map(imp, DMA_FROM_DEVICE)),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 0);

	/* The failures left nothing behind: detach has nothing to undo. */
	timp_detach(imp);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

static void cached_map_failure_is_not_cached(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_CACHED, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt;

	t->map_err = -EIO;
	KUNIT_EXPECT_EQ(test, PTR_ERR(timp_map(imp, DMA_TO_DEVICE)), -EIO);
	KUNIT_EXPECT_NULL(test, imp->attach->sgt);
	t->map_err = 0;
	sgt = timp_map(imp, DMA_FROM_DEVICE);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 2);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void same_table_twice_warns_and_still_works(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *s1, *s2, *shared;

	if (!IS_ENABLED(CONFIG_DMABUF_DEBUG))
		kunit_skip(test, "needs CONFIG_DMABUF_DEBUG");

	t->map_same = true;
	s1 = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s1));
	shared = t->last_map_sgt;

	expect_warn_begin("map-same-table");
	s2 = timp_map(imp, DMA_BIDIRECTIONAL);
	expect_warn_end("map-same-table");
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s2));

	KUNIT_EXPECT_PTR_EQ(test, t->last_map_sgt, shared);
	KUNIT_EXPECT_PTR_NE(test, s1, s2);
	expect_dma_only_copy(test, s1, shared);
	expect_dma_only_copy(test, s2, shared);

	timp_unmap(imp, s1, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_PTR_EQ(test, t->last_unmap_sgt, shared);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 1);
	timp_unmap(imp, s2, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_PTR_EQ(test, t->last_unmap_sgt, shared);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 2);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void map_rejects_bad_arguments(struct kunit *test)
{
	struct dma_buf_attachment *orphan;
	struct sg_table *sgt;

	orphan = kunit_kzalloc(test, sizeof(*orphan), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, orphan);

	expect_warn_begin("map-null-attach");
	sgt = dma_buf_map_attachment(NULL, DMA_TO_DEVICE);
	expect_warn_end("map-null-attach");
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -EINVAL);

	expect_warn_begin("map-unlocked-null-attach");
	sgt = dma_buf_map_attachment_unlocked(NULL, DMA_TO_DEVICE);
	expect_warn_end("map-unlocked-null-attach");
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -EINVAL);

	expect_warn_begin("map-attach-without-buffer");
	sgt = dma_buf_map_attachment_unlocked(orphan, DMA_TO_DEVICE);
	expect_warn_end("map-attach-without-buffer");
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -EINVAL);
}

static void unmap_rejects_bad_arguments(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt;

	sgt = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));

	expect_warn_begin("unmap-null-table");
	timp_unmap(imp, NULL, DMA_TO_DEVICE);
	expect_warn_end("unmap-null-table");

	expect_warn_begin("unmap-null-attach");
	dma_buf_unmap_attachment_unlocked(NULL, sgt, DMA_TO_DEVICE);
	expect_warn_end("unmap-null-attach");

	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 1);
	timp_unmap(imp, sgt, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 1);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

/*
 * A table the core never handed out (here one the exporter made behind
 * the core's back) still reaches the exporter's unmap, with a warning,
 * as with 6.12: nothing of the exporter leaks.
 */
static void unmap_of_unknown_table_reaches_the_exporter(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt, *stranger;

	sgt = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));

	dma_resv_lock(t->dmabuf->resv, NULL);
	stranger = t->dmabuf->ops->map_dma_buf(imp->attach, DMA_TO_DEVICE);
	dma_resv_unlock(t->dmabuf->resv);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(stranger));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 2);

	expect_warn_begin("unmap-unknown-table");
	timp_unmap(imp, stranger, DMA_TO_DEVICE);
	expect_warn_end("unmap-unknown-table");
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, t->last_unmap_sgt, stranger);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 1);

	/* The core's own mapping is untouched. */
	timp_unmap(imp, sgt, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 2);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void static_map_waits_for_kernel_fences(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct dma_fence *kernel = managed_fence(test);
	struct dma_fence *write = managed_fence(test);
	struct fence_job job;
	struct sg_table *sgt;
	bool kernel_done, write_done;

	add_buf_fence(test, t->dmabuf, kernel, DMA_RESV_USAGE_KERNEL);
	add_buf_fence(test, t->dmabuf, write, DMA_RESV_USAGE_WRITE);

	start_late_signal(test, &job, kernel);
	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	kernel_done = dma_fence_is_signaled(kernel);
	write_done = dma_fence_is_signaled(write);
	fence_job_finish(&job);

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	/* Only the kernel fences stand between a static importer and use. */
	KUNIT_EXPECT_TRUE(test, kernel_done);
	KUNIT_EXPECT_FALSE(test, write_done);
	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void static_map_interrupted_leaks_nothing(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct dma_fence *kernel = managed_fence(test);
	struct signalled_call call = { .imp = imp };

	add_buf_fence(test, t->dmabuf, kernel, DMA_RESV_USAGE_KERNEL);
	run_signalled(test, signalled_map_fn, &call);

	KUNIT_EXPECT_EQ(test, PTR_ERR(call.sgt), -ERESTARTSYS);
	if (!IS_ERR_OR_NULL(call.sgt))
		timp_unmap(imp, call.sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(kernel));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->tables_live), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls),
			atomic_read(&t->unmap_calls));
	/* No mapping was left on the attachment: detach finds none. */
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void dynamic_map_does_not_wait(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *imp = timp_attach(test, t, "imp", &timp_dynamic_ops);
	struct dma_fence *kernel = managed_fence(test);
	struct sg_table *sgt;

	add_buf_fence(test, t->dmabuf, kernel, DMA_RESV_USAGE_KERNEL);
	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(kernel));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->map_calls), 1);
	/* With move notifications, a dynamic importer's map is not pinned. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pin_calls),
			IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) ? 0 : 1);
	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 1);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void locked_variants_under_the_callers_lock(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 2);
	struct timp *imp = timp_attach(test, t, "imp", &timp_dynamic_ops);
	struct dma_resv *resv = t->dmabuf->resv;
	struct iosys_map map;
	struct sg_table *sgt;
	int ret;

	dma_resv_lock(resv, NULL);
	sgt = dma_buf_map_attachment(imp->attach, DMA_FROM_DEVICE);
	if (!IS_ERR(sgt))
		dma_buf_unmap_attachment(imp->attach, sgt, DMA_FROM_DEVICE);
	ret = dma_buf_vmap(t->dmabuf, &map);
	if (!ret)
		dma_buf_vunmap(t->dmabuf, &map);
	dma_resv_unlock(resv);

	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vmap_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 1);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static struct kunit_case dma_buf_map_cases[] = {
	KUNIT_CASE(map_gives_the_importer_a_dma_only_copy),
	KUNIT_CASE(each_map_is_a_mapping_of_its_own),
	KUNIT_CASE(cached_mapping_is_reused),
	KUNIT_CASE(map_failures_of_the_exporter),
	KUNIT_CASE(cached_map_failure_is_not_cached),
	KUNIT_CASE(same_table_twice_warns_and_still_works),
	KUNIT_CASE(map_rejects_bad_arguments),
	KUNIT_CASE(unmap_rejects_bad_arguments),
	KUNIT_CASE(unmap_of_unknown_table_reaches_the_exporter),
	KUNIT_CASE(static_map_waits_for_kernel_fences),
	KUNIT_CASE(static_map_interrupted_leaks_nothing),
	KUNIT_CASE(dynamic_map_does_not_wait),
	KUNIT_CASE(locked_variants_under_the_callers_lock),
	{}
};

static struct kunit_suite dma_buf_map_suite = {
	.name = "dma-buf-map",
	.test_cases = dma_buf_map_cases,
};

/* "dma-buf-cpu-access" */

static void cpu_access_reaches_the_exporter(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct texp *bare = texp_new(test, TEXP_BARE, 1);

	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(t->dmabuf,
						       DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_cpu_calls), 1);
	KUNIT_EXPECT_EQ(test, t->last_cpu_dir, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(t->dmabuf,
						     DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->end_cpu_calls), 1);
	KUNIT_EXPECT_EQ(test, t->last_cpu_dir, DMA_TO_DEVICE);

	t->cpu_err = -EIO;
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(t->dmabuf,
						       DMA_BIDIRECTIONAL),
			-EIO);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(t->dmabuf,
						     DMA_BIDIRECTIONAL), -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_cpu_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->end_cpu_calls), 2);

	/* Without the hooks there is nothing to do, and nothing fails. */
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(bare->dmabuf,
						       DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(bare->dmabuf,
						     DMA_BIDIRECTIONAL), 0);
}

static void cpu_read_waits_for_writers_only(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_fence *reader = managed_fence(test);
	struct dma_fence *writer = managed_fence(test);
	struct fence_job job;
	bool writer_done, reader_done;
	int ret;

	add_buf_fence(test, t->dmabuf, reader, DMA_RESV_USAGE_READ);
	add_buf_fence(test, t->dmabuf, writer, DMA_RESV_USAGE_WRITE);

	start_late_signal(test, &job, writer);
	ret = dma_buf_begin_cpu_access(t->dmabuf, DMA_FROM_DEVICE);
	writer_done = dma_fence_is_signaled(writer);
	reader_done = dma_fence_is_signaled(reader);
	fence_job_finish(&job);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, writer_done);
	KUNIT_EXPECT_FALSE(test, reader_done);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_cpu_calls), 1);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(t->dmabuf,
						     DMA_FROM_DEVICE), 0);
}

static void cpu_write_waits_for_readers_too(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_fence *reader = managed_fence(test);
	struct fence_job job;
	bool reader_done;
	int ret;

	add_buf_fence(test, t->dmabuf, reader, DMA_RESV_USAGE_READ);

	start_late_signal(test, &job, reader);
	ret = dma_buf_begin_cpu_access(t->dmabuf, DMA_TO_DEVICE);
	reader_done = dma_fence_is_signaled(reader);
	fence_job_finish(&job);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, reader_done);
	KUNIT_EXPECT_EQ(test, t->last_cpu_dir, DMA_TO_DEVICE);
}

/*
 * An exporter that migrates in begin_cpu_access adds a KERNEL fence and
 * does not wait for it (TTM's way); the core must not return before it
 * signalled.
 */
static void cpu_access_waits_for_fences_the_hook_added(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_fence *migrate = managed_fence(test);
	struct fence_job job;
	bool done;
	int ret;

	t->cpu_migrate_fence = migrate;
	start_late_signal(test, &job, migrate);
	ret = dma_buf_begin_cpu_access(t->dmabuf, DMA_FROM_DEVICE);
	done = dma_fence_is_signaled(migrate);
	fence_job_finish(&job);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_cpu_calls), 1);
	/* The hook ran while the fence was pending, before the return. */
	KUNIT_EXPECT_TRUE(test, t->cpu_migrate_seen_pending);
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(t->dmabuf,
						     DMA_FROM_DEVICE), 0);
}

/* The exporter's error is returned as is, without the second wait. */
static void cpu_access_hook_error_skips_the_wait(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_fence *writer = managed_fence(test);

	t->cpu_err = -EIO;
	t->cpu_migrate_fence = writer;
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(t->dmabuf,
						       DMA_FROM_DEVICE), -EIO);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(writer));
}

static void cpu_access_wait_is_interruptible(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_fence *writer = managed_fence(test);
	struct signalled_call call = { .dmabuf = t->dmabuf };

	add_buf_fence(test, t->dmabuf, writer, DMA_RESV_USAGE_WRITE);
	run_signalled(test, signalled_begin_cpu_fn, &call);
	KUNIT_EXPECT_EQ(test, call.ret, -ERESTARTSYS);
	/* As with 6.12, the hook ran before the wait that was interrupted. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_cpu_calls), 1);
}

/*
 * 6.12's order: the exporter's hook first, then the wait. The hook thus
 * sees a writer that was already there still pending.
 */
static void cpu_access_hook_runs_before_the_wait(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct dma_fence *writer = managed_fence(test);
	struct fence_job job;
	bool done;
	int ret;

	add_buf_fence(test, t->dmabuf, writer, DMA_RESV_USAGE_WRITE);
	t->cpu_migrate_fence = writer;
	start_late_signal(test, &job, writer);
	ret = dma_buf_begin_cpu_access(t->dmabuf, DMA_FROM_DEVICE);
	done = dma_fence_is_signaled(writer);
	fence_job_finish(&job);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, t->cpu_migrate_seen_pending);
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(t->dmabuf,
						     DMA_FROM_DEVICE), 0);
}

static void cpu_access_rejects_null(struct kunit *test)
{
	int ret;

	expect_warn_begin("begin-cpu-null");
	ret = dma_buf_begin_cpu_access(NULL, DMA_TO_DEVICE);
	expect_warn_end("begin-cpu-null");
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);

	expect_warn_begin("end-cpu-null");
	ret = dma_buf_end_cpu_access(NULL, DMA_TO_DEVICE);
	expect_warn_end("end-cpu-null");
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
}

static void vmap_is_counted(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 3);
	struct dma_buf *dmabuf = t->dmabuf;
	struct iosys_map m1, m2;
	unsigned int i;
	u8 *p;

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &m1), 0);
	KUNIT_ASSERT_FALSE(test, iosys_map_is_null(&m1));
	KUNIT_EXPECT_FALSE(test, m1.is_iomem);
	KUNIT_EXPECT_EQ(test, dmabuf->vmapping_counter, 1);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&dmabuf->vmap_ptr, &m1));

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &m2), 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&m1, &m2));
	KUNIT_EXPECT_EQ(test, dmabuf->vmapping_counter, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vmap_calls), 1);

	/* The mapping shows the pages, in order. */
	p = m1.vaddr;
	for (i = 0; i < t->npages; i++)
		KUNIT_EXPECT_EQ_MSG(test, p[i * PAGE_SIZE + 7], i + 1,
				    "page %u", i);

	dma_buf_vunmap_unlocked(dmabuf, &m2);
	KUNIT_EXPECT_EQ(test, dmabuf->vmapping_counter, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&dmabuf->vmap_ptr, &m1));
	dma_buf_vunmap_unlocked(dmabuf, &m1);
	KUNIT_EXPECT_EQ(test, dmabuf->vmapping_counter, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 1);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&dmabuf->vmap_ptr));

	/* After the last vunmap, the next vmap asks the exporter again. */
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dmabuf, &m1), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vmap_calls), 2);
	dma_buf_vunmap_unlocked(dmabuf, &m1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 2);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

static void vmap_failure_changes_nothing(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct texp *bare = texp_new(test, TEXP_BARE, 1);
	struct iosys_map map;

	t->vmap_err = -ENOMEM;
	iosys_map_set_vaddr(&map, t);
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_unlocked(t->dmabuf, &map), -ENOMEM);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, t->dmabuf->vmapping_counter, 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&t->dmabuf->vmap_ptr));

	/* Failures are not remembered: the next call tries again. */
	t->vmap_err = 0;
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(t->dmabuf, &map), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vmap_calls), 2);
	KUNIT_EXPECT_EQ(test, t->dmabuf->vmapping_counter, 1);
	dma_buf_vunmap_unlocked(t->dmabuf, &map);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 1);

	iosys_map_set_vaddr(&map, t);
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_unlocked(bare->dmabuf, &map),
			-EINVAL);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, bare->dmabuf->vmapping_counter, 0);
}

static void vunmap_rejects_unbalanced_calls(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 1);
	struct iosys_map map, wrong;

	iosys_map_set_vaddr(&wrong, t);
	expect_warn_begin("vunmap-not-mapped");
	dma_buf_vunmap_unlocked(t->dmabuf, &wrong);
	expect_warn_end("vunmap-not-mapped");
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 0);

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(t->dmabuf, &map), 0);
	expect_warn_begin("vunmap-wrong-map");
	dma_buf_vunmap_unlocked(t->dmabuf, &wrong);
	expect_warn_end("vunmap-wrong-map");
	KUNIT_EXPECT_EQ(test, t->dmabuf->vmapping_counter, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 0);

	dma_buf_vunmap_unlocked(t->dmabuf, &map);
	KUNIT_EXPECT_EQ(test, t->dmabuf->vmapping_counter, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vunmap_calls), 1);
}

/* Shared read-write mmap of @npages of @file from page @pgoff. */
static long map_pages_of(struct file *file, unsigned long pgoff,
			 unsigned long npages)
{
	return vm_mmap(file, 0, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, pgoff * PAGE_SIZE);
}

/* First byte of page @i of the user mapping at @addr, or -1. */
static int user_byte(unsigned long addr, unsigned long i)
{
	u8 val;

	if (copy_from_user(&val, (void __user *)(addr + i * PAGE_SIZE), 1))
		return -1;
	return val;
}

/**
 * struct mmap_results - what an mmap case saw while it had an mm
 * @addr: result of the successful mmap
 * @bytes: first byte of each mapped page, read through the mapping
 * @wrote: a byte written through the mapping reached the page
 * @refs_mapped: references to the file while mapped
 * @past_end: result of an mmap that reaches past the end
 * @beyond: result of an mmap that starts past the end
 * @failing: result of an mmap the exporter refuses
 * @unsupported: result of an mmap of a buffer without mmap
 */
struct mmap_results {
	long addr;
	int bytes[2];
	bool wrote;
	long refs_mapped;
	long past_end;
	long beyond;
	long failing;
	long unsupported;
};

static void mmap_of_the_file_maps_the_pages(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 4);
	struct texp *bare = texp_new(test, TEXP_BARE, 1);
	struct mmap_results r = {};
	struct mm_struct *mm;
	u8 val = 0xa5;

	mm = enter_test_mm();
	KUNIT_ASSERT_NOT_NULL(test, mm);

	r.addr = map_pages_of(t->dmabuf->file, 1, 2);
	if (!IS_ERR_VALUE(r.addr)) {
		r.bytes[0] = user_byte(r.addr, 0);
		r.bytes[1] = user_byte(r.addr, 1);
		r.wrote = !copy_to_user((void __user *)r.addr + PAGE_SIZE + 9,
					&val, 1) &&
			  ((u8 *)page_address(t->pages[2]))[9] == val;
		r.refs_mapped = buf_refs(t->dmabuf);
		vm_munmap(r.addr, 2 * PAGE_SIZE);
	}
	r.past_end = map_pages_of(t->dmabuf->file, 3, 2);
	r.beyond = map_pages_of(t->dmabuf->file, 4, 1);
	t->mmap_err = -EIO;
	r.failing = map_pages_of(t->dmabuf->file, 0, 1);
	t->mmap_err = 0;
	r.unsupported = map_pages_of(bare->dmabuf->file, 0, 1);
	leave_test_mm(mm);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(r.addr), "mmap: %ld",
			       r.addr);
	KUNIT_EXPECT_EQ(test, r.bytes[0], 2);
	KUNIT_EXPECT_EQ(test, r.bytes[1], 3);
	KUNIT_EXPECT_TRUE(test, r.wrote);
	KUNIT_EXPECT_EQ(test, r.refs_mapped, 2);
	KUNIT_EXPECT_EQ(test, r.past_end, -EINVAL);
	KUNIT_EXPECT_EQ(test, r.beyond, -EINVAL);
	KUNIT_EXPECT_EQ(test, r.failing, -EIO);
	KUNIT_EXPECT_EQ(test, r.unsupported, -EINVAL);
	/* Out-of-range requests never reached the exporter. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mmap_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->contract_errors), 0);
	KUNIT_EXPECT_EQ(test, buf_refs(t->dmabuf), 1);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
}

static void dma_buf_mmap_for_a_forwarding_driver(struct kunit *test)
{
	struct texp *fwd = texp_new(test, TEXP_STATIC, 8);
	struct texp *t = texp_new(test, TEXP_STATIC, 4);
	struct texp *bare = texp_new(test, TEXP_BARE, 4);
	struct mmap_results r = {};
	struct mm_struct *mm;
	long fwd_refs = 0;
	int ret;

	expect_warn_begin("mmap-null");
	ret = dma_buf_mmap(NULL, NULL, 0);
	expect_warn_end("mmap-null");
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);

	mm = enter_test_mm();
	KUNIT_ASSERT_NOT_NULL(test, mm);

	/* fwd's mmap hands the VMA on to t, from t's page 2. */
	fwd->mmap_target = t->dmabuf;
	fwd->mmap_target_pgoff = 2;
	r.addr = map_pages_of(fwd->dmabuf->file, 0, 2);
	if (!IS_ERR_VALUE(r.addr)) {
		r.bytes[0] = user_byte(r.addr, 0);
		r.bytes[1] = user_byte(r.addr, 1);
		/* The VMA now holds t's file instead of fwd's. */
		r.refs_mapped = buf_refs(t->dmabuf);
		fwd_refs = buf_refs(fwd->dmabuf);
		vm_munmap(r.addr, 2 * PAGE_SIZE);
	}
	fwd->mmap_target_pgoff = 3;
	r.past_end = map_pages_of(fwd->dmabuf->file, 0, 2);
	fwd->mmap_target_pgoff = ULONG_MAX;
	r.beyond = map_pages_of(fwd->dmabuf->file, 0, 1);
	fwd->mmap_target = bare->dmabuf;
	fwd->mmap_target_pgoff = 0;
	r.unsupported = map_pages_of(fwd->dmabuf->file, 0, 1);
	leave_test_mm(mm);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(r.addr), "mmap: %ld",
			       r.addr);
	KUNIT_EXPECT_EQ(test, r.bytes[0], 3);
	KUNIT_EXPECT_EQ(test, r.bytes[1], 4);
	KUNIT_EXPECT_EQ(test, r.refs_mapped, 2);
	KUNIT_EXPECT_EQ(test, fwd_refs, 1);
	KUNIT_EXPECT_EQ(test, r.past_end, -EINVAL);
	KUNIT_EXPECT_EQ(test, r.beyond, -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, r.unsupported, -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&fwd->mmap_calls), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mmap_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->contract_errors), 0);
	KUNIT_EXPECT_EQ(test, buf_refs(t->dmabuf), 1);
	KUNIT_EXPECT_EQ(test, buf_refs(fwd->dmabuf), 1);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
	KUNIT_EXPECT_EQ(test, texp_put(fwd), 1);
}

static struct kunit_case dma_buf_cpu_cases[] = {
	KUNIT_CASE(cpu_access_reaches_the_exporter),
	KUNIT_CASE(cpu_read_waits_for_writers_only),
	KUNIT_CASE(cpu_write_waits_for_readers_too),
	KUNIT_CASE(cpu_access_waits_for_fences_the_hook_added),
	KUNIT_CASE(cpu_access_hook_error_skips_the_wait),
	KUNIT_CASE(cpu_access_wait_is_interruptible),
	KUNIT_CASE(cpu_access_hook_runs_before_the_wait),
	KUNIT_CASE(cpu_access_rejects_null),
	KUNIT_CASE(vmap_is_counted),
	KUNIT_CASE(vmap_failure_changes_nothing),
	KUNIT_CASE(vunmap_rejects_unbalanced_calls),
	KUNIT_CASE(mmap_of_the_file_maps_the_pages),
	KUNIT_CASE(dma_buf_mmap_for_a_forwarding_driver),
	{}
};

static struct kunit_suite dma_buf_cpu_suite = {
	.name = "dma-buf-cpu-access",
	.test_cases = dma_buf_cpu_cases,
};

/* "dma-buf-device-access" */

/* Skip a case that needs a device for which dma-direct does not bounce. */
static void require_no_bouncing(struct kunit *test, struct timp *imp)
{
	if (is_swiotlb_force_bounce(imp->dev))
		kunit_skip(test, "swiotlb=force: see the dma-buf-bounce suite");
}

/* Begin and end one transfer of each direction on @sgt; all must pass. */
static void access_every_direction(struct kunit *test, struct timp *imp,
				   struct sg_table *sgt)
{
	static const enum dma_data_direction dirs[] = {
		DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
							   dirs[i]), 0);
		KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
							 dirs[i]), 0);
	}
}

/*
 * Attach an importer whose device is coherent or not (see
 * kunit_dma_device_coherence()): before the attachment, as the core maps
 * for a static importer of a dynamic exporter right when it attaches.
 */
static struct timp *timp_attach_coherence(struct kunit *test, struct texp *t,
					  const char *name,
					  const struct dma_buf_attach_ops *ops,
					  bool coherent)
{
	struct device *dev = kunit_dma_device_coherence(test, name, coherent);
	struct timp *imp;

	KUNIT_ASSERT_EQ(test, timp_try_attach_dev(test, t, dev, ops, &imp), 0);
	return imp;
}

/*
 * Static, dynamic and core-pinned mappings for devices whose DMA is
 * @coherent or not: three transfers, a begin and an end each, and one
 * more pair with interrupts off, from where a driver's completion
 * interrupt would call it.  A coherent device's calls never synchronise;
 * a non-coherent one's each do: the CPU's caches are written back for the
 * device or dropped for the CPU (arch_sync_dma_for_device() and _for_cpu()
 * through dma-direct).
 */
static void check_device_access_syncs(struct kunit *test, bool coherent)
{
	struct texp *s = texp_new(test, TEXP_STATIC, 2);
	struct texp *d = texp_new(test, TEXP_DYNAMIC, 2);
	struct timp *stat = timp_attach_coherence(test, s, "static", NULL,
						  coherent);
	struct timp *dyn = timp_attach_coherence(test, d, "dyn",
						 &timp_dynamic_ops, coherent);
	struct timp *pinned = timp_attach_coherence(test, d, "pinned", NULL,
						    coherent);
	unsigned int per_call = coherent ? 0 : 1;
	struct sg_table *s1, *s2, *s3;

	require_no_bouncing(test, stat);
	s1 = timp_map(stat, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s1));
	s2 = timp_map(dyn, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s2));
	s3 = timp_map(pinned, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(s3));

	access_every_direction(test, stat, s1);
	access_every_direction(test, dyn, s2);
	access_every_direction(test, pinned, s3);
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(stat->attach), 6 * per_call);
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(dyn->attach), 6 * per_call);
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(pinned->attach), 6 * per_call);

	local_irq_disable();
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(stat->attach, s1,
						   DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(stat->attach, s1,
						 DMA_FROM_DEVICE), 0);
	local_irq_enable();
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(stat->attach), 8 * per_call);

	timp_unmap(stat, s1, DMA_BIDIRECTIONAL);
	timp_unmap(dyn, s2, DMA_BIDIRECTIONAL);
	timp_unmap(pinned, s3, DMA_BIDIRECTIONAL);
	timp_detach(stat);
	timp_detach(dyn);
	timp_detach(pinned);
	texp_expect_idle(test, s);
	texp_expect_idle(test, d);
}

static void coherent_device_needs_no_sync(struct kunit *test)
{
	check_device_access_syncs(test, true);
}

#ifdef KUNIT_DMA_PER_DEVICE_COHERENCE
/* Where a device's DMA can be non-coherent (arm64). */
static void noncoherent_device_syncs_each_call(struct kunit *test)
{
	check_device_access_syncs(test, false);
}
#endif

static void exporter_hooks_get_the_original_table(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_ACCESS, 2);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt, *exp_sgt;

	sgt = timp_map(imp, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	exp_sgt = t->last_map_sgt;

	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_access_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->end_access_calls), 0);
	KUNIT_EXPECT_PTR_EQ(test, t->last_access_sgt, exp_sgt);
	KUNIT_EXPECT_EQ(test, t->last_access_dir, DMA_TO_DEVICE);

	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->end_access_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, t->last_access_sgt, exp_sgt);
	KUNIT_EXPECT_EQ(test, t->last_access_dir, DMA_FROM_DEVICE);

	t->access_err = -EIO;
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_BIDIRECTIONAL), -EIO);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_BIDIRECTIONAL), -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_access_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->end_access_calls), 2);

	/* The exporter's hooks replace the core's own synchronisation. */
	KUNIT_EXPECT_EQ(test, attach_dev_syncs(imp->attach), 0);

	/*
	 * Every hook call ran inside a dma-fence signalling critical
	 * section, which is what lets lockdep check the hooks (see the
	 * dma-buf-access-lockdep-splat module for the report itself). The
	 * same probe outside the core does see no section.
	 */
	KUNIT_EXPECT_FALSE(test, t->access_outside_section);
	if (IS_ENABLED(CONFIG_LOCKDEP)) {
		bool nested = dma_fence_begin_signalling();

		dma_fence_end_signalling(nested);
		KUNIT_EXPECT_FALSE(test, nested);
	}
	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

/*
 * CONFIG_DMABUF_DEBUG catches an importer that unmaps while a bracket is
 * open; a closed bracket unmaps quietly.
 */
static void unmap_inside_an_access_bracket_warns(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_ACCESS, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt;

	if (!IS_ENABLED(CONFIG_DMABUF_DEBUG))
		kunit_skip(test, "needs CONFIG_DMABUF_DEBUG");

	sgt = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_TO_DEVICE), 0);
	timp_unmap(imp, sgt, DMA_TO_DEVICE);

	sgt = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_TO_DEVICE), 0);
	expect_warn_begin("unmap-in-access-bracket");
	timp_unmap(imp, sgt, DMA_TO_DEVICE);
	expect_warn_end("unmap-in-access-bracket");
	KUNIT_EXPECT_EQ(test, atomic_read(&t->unmap_calls), 2);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static void device_access_rejects_bad_arguments(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_ACCESS, 1);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table stranger = {};
	struct sg_table *sgt, *gone;
	int ret[3];

	sgt = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	gone = timp_map(imp, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(gone));
	timp_unmap(imp, gone, DMA_TO_DEVICE);

	expect_warn_begin("access-null-table");
	ret[0] = dma_buf_begin_access(imp->attach, NULL, DMA_TO_DEVICE);
	ret[1] = dma_buf_end_access(NULL, sgt, DMA_TO_DEVICE);
	expect_warn_end("access-null-table");
	KUNIT_EXPECT_EQ(test, ret[0], -EINVAL);
	KUNIT_EXPECT_EQ(test, ret[1], -EINVAL);

	expect_warn_begin("access-unknown-table");
	ret[0] = dma_buf_begin_access(imp->attach, &stranger, DMA_TO_DEVICE);
	ret[1] = dma_buf_end_access(imp->attach, gone, DMA_TO_DEVICE);
	expect_warn_end("access-unknown-table");
	KUNIT_EXPECT_EQ(test, ret[0], -EINVAL);
	KUNIT_EXPECT_EQ(test, ret[1], -EINVAL);

	expect_warn_begin("access-bad-direction");
	ret[0] = dma_buf_begin_access(imp->attach, sgt, DMA_NONE);
	ret[1] = dma_buf_begin_access(imp->attach, sgt, DMA_FROM_DEVICE);
	ret[2] = dma_buf_end_access(imp->attach, sgt, DMA_BIDIRECTIONAL);
	expect_warn_end("access-bad-direction");
	KUNIT_EXPECT_EQ(test, ret[0], -EINVAL);
	KUNIT_EXPECT_EQ(test, ret[1], -EINVAL);
	KUNIT_EXPECT_EQ(test, ret[2], -EINVAL);

	/* None of it reached the exporter; the right call still does. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_access_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->end_access_calls), 0);
	KUNIT_EXPECT_EQ(test, dma_buf_begin_access(imp->attach, sgt,
						   DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->begin_access_calls), 1);
	KUNIT_EXPECT_EQ(test, dma_buf_end_access(imp->attach, sgt,
						 DMA_TO_DEVICE), 0);
	timp_unmap(imp, sgt, DMA_TO_DEVICE);
	timp_detach(imp);
	texp_expect_idle(test, t);
}

static struct kunit_case dma_buf_device_access_cases[] = {
	KUNIT_CASE(coherent_device_needs_no_sync),
#ifdef KUNIT_DMA_PER_DEVICE_COHERENCE
	KUNIT_CASE(noncoherent_device_syncs_each_call),
#endif
	KUNIT_CASE(exporter_hooks_get_the_original_table),
	KUNIT_CASE(device_access_rejects_bad_arguments),
	KUNIT_CASE(unmap_inside_an_access_bracket_warns),
	{}
};

static struct kunit_suite dma_buf_device_access_suite = {
	.name = "dma-buf-device-access",
	.test_cases = dma_buf_device_access_cases,
};

kunit_test_suites(&dma_buf_export_suite, &dma_buf_attach_suite,
		  &dma_buf_map_suite, &dma_buf_cpu_suite,
		  &dma_buf_device_access_suite);

MODULE_DESCRIPTION("KUnit tests of the dma-buf core");
MODULE_LICENSE("GPL");
