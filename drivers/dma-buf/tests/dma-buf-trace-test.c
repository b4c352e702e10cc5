// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the dma_buf tracepoints: which call of the core fires
 * which event, with which arguments, and that every event is fired with
 * the buffer's name lock held.
 */

#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>
#include <trace/events/dma_buf.h>

#include "dmabuf-helpers.h"

/**
 * DOC: dma-buf tracepoint KUnit suite
 *
 * The "dma-buf-trace" suite hooks a probe of its own onto each of the eight
 * dma_buf tracepoints (mainline's, Linux 7.0: export, fd, get, put,
 * mmap_internal, mmap, dynamic_attach and detach) and checks that the core
 * fires each one where mainline does: export once the buffer is complete,
 * fd for a new descriptor, get when dma_buf_get() resolves one, put before
 * dma_buf_put() lets its reference go, mmap_internal for an mmap() of the
 * buffer's own file, mmap for dma_buf_mmap(), dynamic_attach after an
 * attachment succeeded and detach after the exporter's detach hook. The
 * probe also records whether the buffer's &dma_buf.name_lock was held, as
 * a probe reading the name needs it to be.
 *
 * Other buffers may be traced while a case runs, so the probe logs only
 * events of buffers whose exporter is the case's. The tracepoints are not
 * exported to modules, so the suite must be built in; otherwise its one
 * case skips::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *	CONFIG_FTRACE=y
 *
 * A case looks like this::
 *
 *	struct texp *t = trace_texp_new(test, 1);
 *
 *	dma_buf_put(t->dmabuf);
 *	expect_events(test, "export put");
 */

MODULE_IMPORT_NS(DMA_BUF);

#if IS_ENABLED(CONFIG_TRACEPOINTS) && IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)

/* Events one case may log; no case comes close. */
#define BUF_TRACE_LOG_LEN	16

/**
 * struct buf_trace_entry - one event seen by the probe
 * @event: the tracepoint's name without the dma_buf_ prefix
 * @fd: the descriptor of an fd or get event, -1 otherwise
 * @attach: the attachment of an attach or detach event
 * @dev: the device of an attach or detach event
 * @is_dynamic: the is_dynamic argument of an attach or detach event
 * @name_locked: &dma_buf.name_lock was held while the probe ran
 */
struct buf_trace_entry {
	const char *event;
	int fd;
	struct dma_buf_attachment *attach;
	struct device *dev;
	bool is_dynamic;
	bool name_locked;
};

/**
 * struct buf_trace_log - what the probes saw during one case
 * @lock: protects the fields below; probes may run on any CPU
 * @priv: the &dma_buf.priv of the buffers the case traces, NULL for none
 * @len: entries used in @entries
 * @lost: events that did not fit
 * @entries: the events, in the order they fired
 */
struct buf_trace_log {
	/* Serialises probes on several CPUs and the case reading the log. */
	spinlock_t lock;
	void *priv;
	unsigned int len;
	unsigned int lost;
	struct buf_trace_entry entries[BUF_TRACE_LOG_LEN];
};

static struct buf_trace_log buf_log;

/*
 * Is the name lock of @dmabuf held? With lockdep: by this task. Without,
 * by anybody, which in these cases is the core emitting the event: the
 * probe records what it sees instead of asserting it.
 */
static bool name_lock_held(struct dma_buf *dmabuf)
{
	if (IS_ENABLED(CONFIG_LOCKDEP))
		return lockdep_is_held(&dmabuf->name_lock);
	return raw_spin_is_locked(&dmabuf->name_lock.rlock);
}

/* Log one event of @dmabuf if it belongs to the running case. */
static void buf_log_add(struct dma_buf *dmabuf, const char *event, int fd,
			struct dma_buf_attachment *attach, bool is_dynamic,
			struct device *dev)
{
	struct buf_trace_log *log = &buf_log;
	struct buf_trace_entry *e;
	bool locked = name_lock_held(dmabuf);
	unsigned long flags;

	spin_lock_irqsave(&log->lock, flags);
	if (log->priv && dmabuf->priv == log->priv) {
		if (log->len < BUF_TRACE_LOG_LEN) {
			e = &log->entries[log->len++];
			e->event = event;
			e->fd = fd;
			e->attach = attach;
			e->dev = dev;
			e->is_dynamic = is_dynamic;
			e->name_locked = locked;
		} else {
			log->lost++;
		}
	}
	spin_unlock_irqrestore(&log->lock, flags);
}

/* The probes, one per event class; @data is the event's short name. */
static void buf_probe(void *data, struct dma_buf *dmabuf)
{
	buf_log_add(dmabuf, data, -1, NULL, false, NULL);
}

static void buf_fd_probe(void *data, struct dma_buf *dmabuf, int fd)
{
	buf_log_add(dmabuf, data, fd, NULL, false, NULL);
}

static void buf_attach_probe(void *data, struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach,
			     bool is_dynamic, struct device *dev)
{
	buf_log_add(dmabuf, data, -1, attach, is_dynamic, dev);
}

/* How many of the tracepoints, in buf_trace_hook()'s order, are hooked. */
static unsigned int buf_hooked;

/*
 * Hook the probes onto the tracepoints (@on) or unhook those that are
 * hooked. Returns 0 or the first error, after which the tracepoints from
 * the failing one on stay unhooked.
 */
static int buf_trace_hook(bool on)
{
	unsigned int i = 0;
	int err = 0;

#define BUF_HOOK(event, probe)						\
	do {								\
		if (on && !err) {					\
			err = register_trace_dma_buf_##event(probe,	\
							     (void *)#event); \
			buf_hooked += !err;				\
		} else if (!on && i < buf_hooked) {			\
			unregister_trace_dma_buf_##event(probe,		\
							 (void *)#event); \
		}							\
		i++;							\
	} while (0)

	BUF_HOOK(export, buf_probe);
	BUF_HOOK(mmap_internal, buf_probe);
	BUF_HOOK(mmap, buf_probe);
	BUF_HOOK(put, buf_probe);
	BUF_HOOK(fd, buf_fd_probe);
	BUF_HOOK(get, buf_fd_probe);
	BUF_HOOK(dynamic_attach, buf_attach_probe);
	BUF_HOOK(detach, buf_attach_probe);
#undef BUF_HOOK
	if (!on) {
		buf_hooked = 0;
		tracepoint_synchronize_unregister();
	}
	return err;
}

static int buf_trace_suite_init(struct kunit_suite *suite)
{
	int err;

	spin_lock_init(&buf_log.lock);
	buf_hooked = 0;
	err = buf_trace_hook(true);
	if (err) {
		pr_err("dma-buf-trace: cannot hook the tracepoints: %d\n", err);
		buf_trace_hook(false);
	}
	return err;
}

static void buf_trace_suite_exit(struct kunit_suite *suite)
{
	buf_trace_hook(false);
}

/* Start every case with an empty log that traces no buffer yet. */
static int buf_trace_case_init(struct kunit *test)
{
	unsigned long flags;

	spin_lock_irqsave(&buf_log.lock, flags);
	buf_log.priv = NULL;
	buf_log.len = 0;
	buf_log.lost = 0;
	spin_unlock_irqrestore(&buf_log.lock, flags);
	return 0;
}

/* A test exporter whose buffer the log traces from its export on. */
static struct texp *trace_texp_new(struct kunit *test, enum texp_kind kind,
				   unsigned int npages)
{
	struct dma_buf_export_info info = {};
	struct texp *t = texp_alloc(test, kind, npages);
	struct dma_buf *dmabuf;
	unsigned long flags;

	spin_lock_irqsave(&buf_log.lock, flags);
	buf_log.priv = t;
	spin_unlock_irqrestore(&buf_log.lock, flags);

	texp_export_info(t, &info);
	dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	t->dmabuf = dmabuf;
	return t;
}

/*
 * Expect the log to hold exactly the events named in @want, separated by
 * spaces, in that order, each fired with the name lock held. Returns the
 * number of entries, so that a case can look at their arguments.
 */
static unsigned int expect_events(struct kunit *test, const char *want)
{
	char names[128], *cur = names, *name;
	unsigned int i = 0, n;
	unsigned long flags;

	spin_lock_irqsave(&buf_log.lock, flags);
	n = buf_log.len;
	spin_unlock_irqrestore(&buf_log.lock, flags);
	KUNIT_EXPECT_EQ(test, buf_log.lost, 0);

	strscpy(names, want, sizeof(names));
	while ((name = strsep(&cur, " "))) {
		if (i >= n) {
			KUNIT_FAIL(test, "event %u: %s missing", i, name);
			return n;
		}
		KUNIT_EXPECT_STREQ_MSG(test, buf_log.entries[i].event, name,
				       "event %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, buf_log.entries[i].name_locked,
				      "event %u (%s) without the name lock",
				      i, name);
		i++;
	}
	KUNIT_EXPECT_EQ_MSG(test, n, i, "more events than expected");
	return n;
}

static void export_then_put_fire_export_and_put(struct kunit *test)
{
	struct texp *t = trace_texp_new(test, TEXP_STATIC, 1);

	/* The buffer is complete when its export event fires. */
	KUNIT_EXPECT_EQ(test, expect_events(test, "export"), 1);
	KUNIT_EXPECT_EQ(test, texp_put(t), 1);
	expect_events(test, "export put");
}

static void fd_and_get_carry_the_descriptor(struct kunit *test)
{
	struct texp *t = trace_texp_new(test, TEXP_STATIC, 1);
	struct dma_buf *got;
	int fd;

	fd = dma_buf_fd(t->dmabuf, O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	t->put_done = true;

	got = dma_buf_get(fd);
	KUNIT_EXPECT_PTR_EQ(test, got, t->dmabuf);
	if (!IS_ERR(got))
		dma_buf_put(got);
	/* Neither a bad descriptor nor the descriptor's close fires. */
	KUNIT_EXPECT_TRUE(test, IS_ERR(dma_buf_get(-1)));
	close_fd(fd);
	KUNIT_EXPECT_TRUE(test, texp_wait_released(t, 1));

	if (expect_events(test, "export fd get put") == 4) {
		KUNIT_EXPECT_EQ(test, buf_log.entries[1].fd, fd);
		KUNIT_EXPECT_EQ(test, buf_log.entries[2].fd, fd);
	}
}

static void attach_and_detach_name_the_device(struct kunit *test)
{
	struct texp *t = trace_texp_new(test, TEXP_DYNAMIC, 1);
	struct timp *stat = timp_attach(test, t, "trace-static", NULL);
	struct timp *dyn = timp_attach(test, t, "trace-dynamic",
				       &timp_dynamic_ops);
	struct dma_buf_attachment *a_stat = stat->attach;
	struct dma_buf_attachment *a_dyn = dyn->attach;

	timp_detach(dyn);
	timp_detach(stat);

	if (expect_events(test, "export dynamic_attach dynamic_attach detach detach") != 5)
		return;
	KUNIT_EXPECT_PTR_EQ(test, buf_log.entries[1].attach, a_stat);
	KUNIT_EXPECT_PTR_EQ(test, buf_log.entries[1].dev, stat->dev);
	KUNIT_EXPECT_FALSE(test, buf_log.entries[1].is_dynamic);
	KUNIT_EXPECT_PTR_EQ(test, buf_log.entries[2].attach, a_dyn);
	KUNIT_EXPECT_PTR_EQ(test, buf_log.entries[2].dev, dyn->dev);
	KUNIT_EXPECT_TRUE(test, buf_log.entries[2].is_dynamic);
	KUNIT_EXPECT_PTR_EQ(test, buf_log.entries[3].attach, a_dyn);
	KUNIT_EXPECT_TRUE(test, buf_log.entries[3].is_dynamic);
	KUNIT_EXPECT_PTR_EQ(test, buf_log.entries[4].attach, a_stat);
	KUNIT_EXPECT_FALSE(test, buf_log.entries[4].is_dynamic);
}

static void failed_attach_fires_nothing(struct kunit *test)
{
	struct texp *t = trace_texp_new(test, TEXP_STATIC, 1);
	struct timp *imp;

	t->attach_err = -ENODEV;
	KUNIT_EXPECT_EQ(test, timp_try_attach(test, t, "trace-refused", NULL,
					      &imp), -ENODEV);
	expect_events(test, "export");
}

static void mmap_fires_internal_then_forwarded(struct kunit *test)
{
	struct texp *t = trace_texp_new(test, TEXP_STATIC, 2);
	struct mm_struct *mm;
	unsigned long addr, fwd_addr;
	struct texp *fwd;

	mm = enter_test_mm();
	KUNIT_ASSERT_NOT_NULL(test, mm);
	addr = vm_mmap(t->dmabuf->file, 0, PAGE_SIZE, PROT_READ, MAP_SHARED,
		       0);
	if (!IS_ERR_VALUE(addr))
		vm_munmap(addr, PAGE_SIZE);

	/*
	 * Another exporter that forwards its mmap to t's buffer with
	 * dma_buf_mmap(): only t's events are logged.
	 */
	fwd = texp_new(test, TEXP_STATIC, 1);
	fwd->mmap_target = t->dmabuf;
	fwd_addr = vm_mmap(fwd->dmabuf->file, 0, PAGE_SIZE, PROT_READ,
			   MAP_SHARED, 0);
	if (!IS_ERR_VALUE(fwd_addr))
		vm_munmap(fwd_addr, PAGE_SIZE);
	leave_test_mm(mm);

	KUNIT_EXPECT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_EXPECT_FALSE(test, IS_ERR_VALUE(fwd_addr));
	expect_events(test, "export mmap_internal mmap");
	KUNIT_EXPECT_EQ(test, texp_put(fwd), 1);
}

static struct kunit_case dma_buf_trace_cases[] = {
	KUNIT_CASE(export_then_put_fire_export_and_put),
	KUNIT_CASE(fd_and_get_carry_the_descriptor),
	KUNIT_CASE(attach_and_detach_name_the_device),
	KUNIT_CASE(failed_attach_fires_nothing),
	KUNIT_CASE(mmap_fires_internal_then_forwarded),
	{}
};

static struct kunit_suite dma_buf_trace_suite = {
	.name = "dma-buf-trace",
	.suite_init = buf_trace_suite_init,
	.suite_exit = buf_trace_suite_exit,
	.init = buf_trace_case_init,
	.test_cases = dma_buf_trace_cases,
};

#else /* no tracepoints, or built as a module */

static void tracepoints_unavailable(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_TRACEPOINTS and a built-in suite");
}

static struct kunit_case dma_buf_trace_cases[] = {
	KUNIT_CASE(tracepoints_unavailable),
	{}
};

static struct kunit_suite dma_buf_trace_suite = {
	.name = "dma-buf-trace",
	.test_cases = dma_buf_trace_cases,
};

#endif

kunit_test_suite(dma_buf_trace_suite);

MODULE_DESCRIPTION("KUnit tests for the dma_buf tracepoints");
MODULE_LICENSE("GPL");
