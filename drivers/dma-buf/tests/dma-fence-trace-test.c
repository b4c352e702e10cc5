// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the dma_fence tracepoints: which calls fire which event,
 * how often, in which order, and which fence names an event gets to see.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/trace.h>
#include <linux/trace_events.h>
#include <linux/tracepoint.h>
#include <trace/events/dma_fence.h>

#include "fence-helpers.h"

/**
 * DOC: dma-fence tracepoint KUnit suite
 *
 * The "dma-fence-trace" suite hooks a probe of its own onto each of the
 * seven dma_fence tracepoints (emit, init, destroy, enable_signal, signaled,
 * wait_start and wait_end) and checks that the fence core fires each one
 * exactly where its contract says: init from dma_fence_init(), destroy from
 * the put that drops the last reference, enable_signal when the provider is
 * first asked to signal, signaled once when the fence completes, wait_start
 * and wait_end around every dma_fence_wait_timeout(), and emit whenever a
 * driver fires it.
 *
 * Any other fence in the system may be traced while a case runs, so the
 * probe logs only fences on the context that the running case allocated.
 * With each event it logs the seqno and the names returned, inside the
 * probe, by dma_fence_driver_name() and dma_fence_timeline_name(): the
 * provider's names while the fence is pending, "detached-driver" and
 * "signaled-timeline" from the moment it has signalled, which is what the
 * trace records of the same events contain, except the record of
 * dma_fence_signaled: it carries the provider's real names, read inside
 * the signalling path. One case reads that record itself, through an
 * ftrace export. A case compares the complete log of its fence, event by
 * event, with the one it expects.
 *
 * Four of the tracepoints are not exported to modules, so the suite must be
 * built in, on a kernel with tracepoints; otherwise its one case skips::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *	CONFIG_FTRACE=y
 *	CONFIG_ENABLE_DEFAULT_TRACERS=y
 *
 * A case looks like this::
 *
 *	static const struct want_event want[] = {
 *		{ FEV_INIT, NAMES_LIVE },
 *		{ FEV_SIGNALED, NAMES_RETIRED },
 *		{ FEV_DESTROY, NAMES_RETIRED },
 *	};
 *	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 1);
 *
 *	dma_fence_signal(f);
 *	dma_fence_put(f);
 *	expect_events(test, 1, want, ARRAY_SIZE(want));
 */

#if IS_ENABLED(CONFIG_TRACEPOINTS) && IS_BUILTIN(CONFIG_DMABUF_KUNIT_TEST)

/* Longest time any step of a case waits for another thread. */
#define TRACE_WAIT_LIMIT	(10 * HZ)

/* Longest fence name kept; every name used here is shorter. */
#define TRACE_NAME_LEN		32

/* Events one case may log; no case comes close. */
#define TRACE_LOG_LEN		16

/**
 * enum fence_event - what the log can hold
 * @FEV_EMIT: tracepoint dma_fence_emit
 * @FEV_INIT: tracepoint dma_fence_init
 * @FEV_DESTROY: tracepoint dma_fence_destroy
 * @FEV_ENABLE_SIGNAL: tracepoint dma_fence_enable_signal
 * @FEV_SIGNALED: tracepoint dma_fence_signaled
 * @FEV_WAIT_START: tracepoint dma_fence_wait_start
 * @FEV_WAIT_END: tracepoint dma_fence_wait_end
 * @FEV_PROVIDER_WAIT: not a tracepoint: the &dma_fence_ops.wait hook of
 *	trace_ops_wait ran, logged to show where the wait events fall
 */
enum fence_event {
	FEV_EMIT,
	FEV_INIT,
	FEV_DESTROY,
	FEV_ENABLE_SIGNAL,
	FEV_SIGNALED,
	FEV_WAIT_START,
	FEV_WAIT_END,
	FEV_PROVIDER_WAIT,
};

static const char * const fence_event_names[] = {
	[FEV_EMIT] = "emit",
	[FEV_INIT] = "init",
	[FEV_DESTROY] = "destroy",
	[FEV_ENABLE_SIGNAL] = "enable_signal",
	[FEV_SIGNALED] = "signaled",
	[FEV_WAIT_START] = "wait_start",
	[FEV_WAIT_END] = "wait_end",
	[FEV_PROVIDER_WAIT] = "provider-wait",
};

/* Printable name of @event, also for values outside the enum. */
static const char *fence_event_name(enum fence_event event)
{
	if ((unsigned int)event >= ARRAY_SIZE(fence_event_names))
		return "?";
	return fence_event_names[event];
}

/**
 * struct fence_tracepoint - how to hook the probe onto one tracepoint
 * @event: what the probe logs when this tracepoint fires
 * @attach: the tracepoint's register_trace_*() function
 * @detach: the tracepoint's unregister_trace_*() function
 */
struct fence_tracepoint {
	enum fence_event event;
	int (*attach)(void (*probe)(void *data, struct dma_fence *fence),
		      void *data);
	int (*detach)(void (*probe)(void *data, struct dma_fence *fence),
		      void *data);
};

#define FENCE_TRACEPOINT(ev, tp) {			\
	.event = (ev),					\
	.attach = register_trace_##tp,			\
	.detach = unregister_trace_##tp,		\
}

static const struct fence_tracepoint fence_tracepoints[] = {
	FENCE_TRACEPOINT(FEV_EMIT, dma_fence_emit),
	FENCE_TRACEPOINT(FEV_INIT, dma_fence_init),
	FENCE_TRACEPOINT(FEV_DESTROY, dma_fence_destroy),
	FENCE_TRACEPOINT(FEV_ENABLE_SIGNAL, dma_fence_enable_signal),
	FENCE_TRACEPOINT(FEV_SIGNALED, dma_fence_signaled),
	FENCE_TRACEPOINT(FEV_WAIT_START, dma_fence_wait_start),
	FENCE_TRACEPOINT(FEV_WAIT_END, dma_fence_wait_end),
};

/**
 * struct logged_event - one event as the probe saw it
 * @event: which event
 * @seqno: &dma_fence.seqno of the fence
 * @driver: dma_fence_driver_name() of the fence at that moment
 * @timeline: dma_fence_timeline_name() of the fence at that moment
 */
struct logged_event {
	enum fence_event event;
	u64 seqno;
	char driver[TRACE_NAME_LEN];
	char timeline[TRACE_NAME_LEN];
};

struct fence_trace_log;

/**
 * struct fence_tap - what the probe gets as data from one tracepoint
 * @log: the log to write to
 * @event: the event that tracepoint stands for
 */
struct fence_tap {
	struct fence_trace_log *log;
	enum fence_event event;
};

/**
 * struct fence_trace_log - events of the running case's fences
 * @lock: serialises the fields below it; taken with interrupts off, inside
 *	whatever fence lock the tracepoint's caller holds
 * @context: fence context of the running case; other fences are ignored
 * @len: valid entries in @events
 * @lost: events that did not fit
 * @events: the events, oldest first
 * @wait_started: completed by each wait_start event of the case's context
 * @taps: probe data, one per entry of fence_tracepoints
 */
struct fence_trace_log {
	/* Guards @context, @len, @lost and @events; see above. */
	spinlock_t lock;
	u64 context;
	unsigned int len;
	unsigned int lost;
	struct logged_event events[TRACE_LOG_LEN];
	struct completion wait_started;
	struct fence_tap taps[ARRAY_SIZE(fence_tracepoints)];
};

/* One log for the suite: its cases run one after the other. */
static struct fence_trace_log trace_log;

/* Copy of the log that expect_events() checks, out of the lock. */
static struct logged_event trace_snapshot[TRACE_LOG_LEN];

/*
 * Log @event of @fence if @fence is on the running case's context. Callable
 * from any context, also with a fence lock held; the caller must be inside
 * an RCU read-side section (a region without preemption counts), as the
 * name helpers require. Also completes @log->wait_started on wait_start.
 */
static void trace_log_add(struct fence_trace_log *log,
			  struct dma_fence *fence, enum fence_event event)
{
	struct logged_event *entry;
	unsigned long flags;
	bool ours;

	spin_lock_irqsave(&log->lock, flags);
	ours = fence->context == log->context;
	if (ours && log->len < ARRAY_SIZE(log->events)) {
		entry = &log->events[log->len++];
		entry->event = event;
		entry->seqno = fence->seqno;
		/* Read now: the answer changes once the fence signals. */
		strscpy(entry->driver, dma_fence_driver_name(fence));
		strscpy(entry->timeline, dma_fence_timeline_name(fence));
	} else if (ours) {
		log->lost++;
	}
	spin_unlock_irqrestore(&log->lock, flags);

	if (ours && event == FEV_WAIT_START)
		complete(&log->wait_started);
}

/*
 * The probe on every dma_fence tracepoint; @data is that tracepoint's
 * &struct fence_tap. Runs with preemption disabled, so the name helpers may
 * be called.
 */
static void fence_trace_probe(void *data, struct dma_fence *fence)
{
	struct fence_tap *tap = data;

	trace_log_add(tap->log, fence, tap->event);
}

/*
 * Unhook the probe from the first @count tracepoints of fence_tracepoints
 * and wait until no call of it can still be running. May sleep.
 */
static void fence_trace_detach(struct fence_trace_log *log,
			       unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		fence_tracepoints[i].detach(fence_trace_probe, &log->taps[i]);
	tracepoint_synchronize_unregister();
}

/* Hook the probe onto every dma_fence tracepoint for the whole suite. */
static int fence_trace_suite_init(struct kunit_suite *suite)
{
	struct fence_trace_log *log = &trace_log;
	unsigned int i;
	int err;

	spin_lock_init(&log->lock);
	init_completion(&log->wait_started);
	log->context = dma_fence_context_alloc(1);
	log->len = 0;
	log->lost = 0;

	for (i = 0; i < ARRAY_SIZE(fence_tracepoints); i++) {
		log->taps[i].log = log;
		log->taps[i].event = fence_tracepoints[i].event;
		err = fence_tracepoints[i].attach(fence_trace_probe,
						  &log->taps[i]);
		if (err) {
			pr_err("dma-fence-trace: cannot hook %s: %d\n",
			       fence_event_name(fence_tracepoints[i].event),
			       err);
			fence_trace_detach(log, i);
			return err;
		}
	}
	return 0;
}

static void fence_trace_suite_exit(struct kunit_suite *suite)
{
	fence_trace_detach(&trace_log, ARRAY_SIZE(fence_tracepoints));
}

/* Give the case a context of its own and an empty log. */
static int fence_trace_case_init(struct kunit *test)
{
	struct fence_trace_log *log = &trace_log;
	u64 context = dma_fence_context_alloc(1);
	unsigned long flags;

	spin_lock_irqsave(&log->lock, flags);
	log->context = context;
	log->len = 0;
	log->lost = 0;
	spin_unlock_irqrestore(&log->lock, flags);
	reinit_completion(&log->wait_started);
	return 0;
}

/*
 * A mock fence on the running case's context, with one reference owned by
 * the caller. Aborts the case when out of memory.
 */
static struct dma_fence *trace_fence_new(struct kunit *test,
					 const struct dma_fence_ops *ops,
					 u64 seqno)
{
	u64 context;
	unsigned long flags;

	spin_lock_irqsave(&trace_log.lock, flags);
	context = trace_log.context;
	spin_unlock_irqrestore(&trace_log.lock, flags);

	return mock_fence_new(test, ops, context, seqno);
}

/* Number of events logged so far; any context, takes the log lock. */
static unsigned int trace_log_len(void)
{
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&trace_log.lock, flags);
	len = trace_log.len;
	spin_unlock_irqrestore(&trace_log.lock, flags);
	return len;
}

/* Which names an expected event should have seen. */
#define NAMES_LIVE	false
#define NAMES_RETIRED	true

/**
 * struct want_event - one entry of the log a case expects
 * @event: the event
 * @retired: the fence had signalled, so the names are the placeholders
 */
struct want_event {
	enum fence_event event;
	bool retired;
};

/*
 * Check that the case's log holds exactly the @n events of @want, in that
 * order, all of the fence with @seqno, each with the expected names. Dumps
 * the log when its length is off. Runs in the case's thread; may be called
 * several times per case, with a growing prefix of one array.
 */
static void expect_events(struct kunit *test, u64 seqno,
			  const struct want_event *want, unsigned int n)
{
	struct logged_event *got = trace_snapshot;
	unsigned int len, lost, i;
	unsigned long flags;

	spin_lock_irqsave(&trace_log.lock, flags);
	len = trace_log.len;
	lost = trace_log.lost;
	memcpy(got, trace_log.events, len * sizeof(*got));
	spin_unlock_irqrestore(&trace_log.lock, flags);

	KUNIT_EXPECT_EQ(test, lost, 0);
	KUNIT_EXPECT_EQ_MSG(test, len, n, "wrong number of events logged");
	if (len != n) {
		for (i = 0; i < len; i++)
			kunit_info(test, "logged %u: %s seqno %llu %s/%s\n", i,
				   fence_event_name(got[i].event),
				   got[i].seqno, got[i].driver,
				   got[i].timeline);
	}

	for (i = 0; i < min(len, n); i++) {
		const char *driver = want[i].retired ? "detached-driver" :
						       MOCK_DRIVER_NAME;
		const char *timeline = want[i].retired ? "signaled-timeline" :
							 MOCK_TIMELINE_NAME;

		KUNIT_EXPECT_STREQ_MSG(test, fence_event_name(got[i].event),
				       fence_event_name(want[i].event),
				       "event %u", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].seqno, seqno, "event %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, got[i].driver, driver,
				       "driver name of event %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, got[i].timeline, timeline,
				       "timeline name of event %u", i);
	}
}

static void init_fires_once_with_provider_names(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_DESTROY, NAMES_LIVE },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 11);

	expect_events(test, 11, want, 1);
	dma_fence_put(f);
	expect_events(test, 11, want, 2);
}

static void enable_sw_signaling_fires_enable_signal_once(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_ENABLE_SIGNAL, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_full, 1);

	dma_fence_enable_sw_signaling(f);
	dma_fence_enable_sw_signaling(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(f)->enable_calls), 1);
	expect_events(test, 1, want, 2);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void enable_signal_silent_without_provider_hook(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_DESTROY, NAMES_LIVE },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 1);

	dma_fence_enable_sw_signaling(f);
	KUNIT_EXPECT_TRUE(test, test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT,
					 &f->flags));
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void enable_signal_silent_once_signalled(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_full, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	dma_fence_enable_sw_signaling(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(f)->enable_calls), 0);
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void refused_enable_signals_right_away(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_ENABLE_SIGNAL, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_full, 1);

	to_mock_fence(f)->enable_ok = false;
	dma_fence_enable_sw_signaling(f);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void signal_fires_signaled_once_with_placeholders(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 5);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), -EINVAL);
	expect_events(test, 5, want, 2);
	dma_fence_put(f);
	expect_events(test, 5, want, ARRAY_SIZE(want));
}

/**
 * struct log_len_probe - a fence callback that notes the log's length
 * @cb: the callback handed to dma_fence_add_callback()
 * @len: trace_log_len() when the callback ran
 * @calls: runs of the callback
 */
struct log_len_probe {
	struct dma_fence_cb cb;
	unsigned int len;
	unsigned int calls;
};

/* Fence callback of &struct log_len_probe; runs under the fence lock. */
static void note_log_len(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct log_len_probe *probe = container_of(cb, struct log_len_probe,
						   cb);

	probe->len = trace_log_len();
	probe->calls++;
}

static void signaled_fires_before_callbacks_run(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 1);
	struct log_len_probe probe = {};

	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(f, &probe.cb,
						     note_log_len), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	KUNIT_EXPECT_EQ(test, probe.calls, 1);
	/* init and signaled were both logged when the callback ran. */
	KUNIT_EXPECT_EQ(test, probe.len, 2);
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void provider_completion_fires_signaled(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_full, 1);

	WRITE_ONCE(to_mock_fence(f)->hw_done, true);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void wait_events_bracket_wait_on_signalled_fence(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_WAIT_START, NAMES_RETIRED },
		{ FEV_WAIT_END, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(f, false, HZ), 0);
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void zero_timeout_wait_fires_start_and_end(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_ENABLE_SIGNAL, NAMES_LIVE },
		{ FEV_WAIT_START, NAMES_LIVE },
		{ FEV_WAIT_END, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_full, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, false, 0), 0);
	expect_events(test, 1, want, 4);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void timed_out_wait_fires_wait_end(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_WAIT_START, NAMES_LIVE },
		{ FEV_WAIT_END, NAMES_LIVE },
		{ FEV_DESTROY, NAMES_LIVE },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 1);

	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, true, 1), 0);
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

/*
 * &dma_fence_ops.wait of trace_ops_wait: logs that it ran, then answers as
 * mock_wait() does. Process context, as dma_fence_wait_timeout() calls it.
 */
static signed long trace_logging_wait(struct dma_fence *fence, bool intr,
				      signed long timeout)
{
	rcu_read_lock();
	trace_log_add(&trace_log, fence, FEV_PROVIDER_WAIT);
	rcu_read_unlock();
	return mock_wait(fence, intr, timeout);
}

/* mock_ops_wait with a wait hook that shows up in the log. */
static const struct dma_fence_ops trace_ops_wait = {
	.get_driver_name = mock_driver_name,
	.get_timeline_name = mock_timeline_name,
	.wait = trace_logging_wait,
	.release = mock_release,
};

static void wait_events_bracket_provider_wait(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_WAIT_START, NAMES_LIVE },
		{ FEV_PROVIDER_WAIT, NAMES_LIVE },
		{ FEV_WAIT_END, NAMES_LIVE },
		{ FEV_DESTROY, NAMES_LIVE },
	};
	struct dma_fence *f = trace_fence_new(test, &trace_ops_wait, 1);

	to_mock_fence(f)->wait_ret = 7;
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(f, true, HZ), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(f)->wait_calls), 1);
	dma_fence_put(f);
	expect_events(test, 1, want, ARRAY_SIZE(want));
}

static void destroy_fires_only_from_final_put(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_DESTROY, NAMES_LIVE },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 3);

	dma_fence_get(f);
	dma_fence_get(f);
	dma_fence_put(f);
	dma_fence_put(f);
	expect_events(test, 3, want, 1);
	dma_fence_put(f);
	expect_events(test, 3, want, ARRAY_SIZE(want));
}

static void emit_fires_when_driver_fires_it(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_EMIT, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 9);

	trace_dma_fence_emit(f);
	expect_events(test, 9, want, 2);
	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);
	dma_fence_put(f);
	expect_events(test, 9, want, ARRAY_SIZE(want));
}

/**
 * struct late_signal - state of the thread that signals a waited-for fence
 * @fence: the fence, kept alive by the case until the thread is done
 * @saw_wait_start: the wait_start event came before the thread gave up
 */
struct late_signal {
	struct dma_fence *fence;
	bool saw_wait_start;
};

/*
 * Job body: wait, at most TRACE_WAIT_LIMIT, until the case's fence logs
 * wait_start, then signal it. Signals in any case, so that the waiter is
 * released even when the event never comes.
 */
static void signal_after_wait_start(struct fence_job *job)
{
	struct late_signal *ls = job->data;

	ls->saw_wait_start =
		wait_for_completion_timeout(&trace_log.wait_started,
					    TRACE_WAIT_LIMIT) != 0;
	dma_fence_signal(ls->fence);
}

static void lifecycle_fires_events_in_order(struct kunit *test)
{
	static const struct want_event want[] = {
		{ FEV_INIT, NAMES_LIVE },
		{ FEV_ENABLE_SIGNAL, NAMES_LIVE },
		{ FEV_WAIT_START, NAMES_LIVE },
		{ FEV_SIGNALED, NAMES_RETIRED },
		{ FEV_WAIT_END, NAMES_RETIRED },
		{ FEV_DESTROY, NAMES_RETIRED },
	};
	struct dma_fence *f = trace_fence_new(test, &mock_ops_full, 2);
	struct late_signal ls = { .fence = f };
	struct fence_job job = { .fn = signal_after_wait_start, .data = &ls };
	signed long left;
	int err;

	err = fence_job_start(&job, -1);
	if (err) {
		dma_fence_put(f);
		KUNIT_FAIL(test, "cannot start the signalling thread: %d", err);
		return;
	}
	left = dma_fence_wait_timeout(f, false, TRACE_WAIT_LIMIT);
	fence_job_finish(&job);

	KUNIT_EXPECT_GT(test, left, 0);
	KUNIT_EXPECT_TRUE(test, ls.saw_wait_start);
	dma_fence_put(f);
	expect_events(test, 2, want, ARRAY_SIZE(want));
}

#if IS_ENABLED(CONFIG_EVENT_TRACING)
/**
 * struct signaled_record - the layout of a dma_fence_signaled trace record
 * @ent: the header every trace record starts with
 * @driver_loc: where the driver name lies: offset from the record's start
 *	in the low 16 bits, length with the NUL in the high 16 bits
 * @timeline_loc: the same for the timeline name
 * @context: &dma_fence.context, truncated
 * @seqno: &dma_fence.seqno, truncated
 */
struct signaled_record {
	struct trace_entry ent;
	u32 driver_loc;
	u32 timeline_loc;
	unsigned int context;
	unsigned int seqno;
};

/**
 * struct record_catch - the names of the record an ftrace export caught
 * @lock: guards the fields below it; taken with interrupts off
 * @context: truncated context of the fence whose record is wanted
 * @seen: records of that context caught (one per trace instance that has
 *	the event enabled: the boot may have enabled it globally)
 * @wrong: records of that context whose names are not the provider's
 * @driver: driver name of the last such record
 * @timeline: timeline name of the last such record
 */
struct record_catch {
	/* Guards the fields below. */
	spinlock_t lock;
	unsigned int context;
	unsigned int seen;
	unsigned int wrong;
	char driver[TRACE_NAME_LEN];
	char timeline[TRACE_NAME_LEN];
};

static struct record_catch record_catch = {
	.lock = __SPIN_LOCK_UNLOCKED(record_catch.lock),
};

/* Copy the string at @loc of the @size bytes of @rec into @dst. */
static void record_copy_str(char *dst, const void *rec, unsigned int size,
			    u32 loc)
{
	unsigned int off = loc & 0xffff, len = loc >> 16;

	if (!len || off + len > size) {
		strscpy(dst, "<bad location>", TRACE_NAME_LEN);
		return;
	}
	strscpy(dst, rec + off, min_t(unsigned int, len, TRACE_NAME_LEN));
}

/*
 * ftrace export hook: sees every event record before it is committed.
 * Only this case's event is enabled by it; records of other fences, or of
 * other events someone else enabled, do not match the context or are too
 * short to be ours.
 */
static void record_catch_write(struct trace_export *export, const void *entry,
			       unsigned int size)
{
	const struct signaled_record *rec = entry;
	unsigned long flags;

	if (size < sizeof(*rec))
		return;

	spin_lock_irqsave(&record_catch.lock, flags);
	if (rec->context == record_catch.context) {
		record_catch.seen++;
		record_copy_str(record_catch.driver, entry, size,
				rec->driver_loc);
		record_copy_str(record_catch.timeline, entry, size,
				rec->timeline_loc);
		if (strcmp(record_catch.driver, MOCK_DRIVER_NAME) ||
		    strcmp(record_catch.timeline, MOCK_TIMELINE_NAME))
			record_catch.wrong++;
	}
	spin_unlock_irqrestore(&record_catch.lock, flags);
}

static struct trace_export record_export = {
	.write = record_catch_write,
	.flags = TRACE_EXPORT_EVENT,
};

/*
 * The record of dma_fence_signaled, as a tracer stores it, holds the
 * provider's own names, not the placeholders that the name helpers give
 * from the moment the bit is set: tools follow a fence to its end by them.
 */
static void signaled_record_carries_provider_names(struct kunit *test)
{
	struct dma_fence *f = trace_fence_new(test, &mock_ops_plain, 5);
	struct trace_array *tr;
	unsigned int seen, wrong;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&record_catch.lock, flags);
	record_catch.context = lower_32_bits(f->context);
	record_catch.seen = 0;
	record_catch.wrong = 0;
	record_catch.driver[0] = '\0';
	record_catch.timeline[0] = '\0';
	spin_unlock_irqrestore(&record_catch.lock, flags);

	/* A trace instance of our own leaves the boot's tracing alone. */
	tr = trace_array_get_by_name("dma-fence-kunit", NULL);
	if (!tr)
		dma_fence_put(f);
	KUNIT_ASSERT_NOT_NULL(test, tr);
	err = register_ftrace_export(&record_export);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, trace_array_set_clr_event(tr, "dma_fence",
							"dma_fence_signaled",
							true), 0);

	KUNIT_EXPECT_EQ(test, dma_fence_signal(f), 0);

	trace_array_set_clr_event(tr, "dma_fence", "dma_fence_signaled", false);
	if (!err)
		unregister_ftrace_export(&record_export);
	trace_array_put(tr);
	trace_array_destroy(tr);
	dma_fence_put(f);

	spin_lock_irqsave(&record_catch.lock, flags);
	seen = record_catch.seen;
	wrong = record_catch.wrong;
	spin_unlock_irqrestore(&record_catch.lock, flags);
	KUNIT_ASSERT_GE_MSG(test, seen, 1U, "no record of the fence's signal");
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0U, "last record: %s/%s",
			    record_catch.driver, record_catch.timeline);
	KUNIT_EXPECT_STREQ(test, record_catch.driver, MOCK_DRIVER_NAME);
	KUNIT_EXPECT_STREQ(test, record_catch.timeline, MOCK_TIMELINE_NAME);
}
#else
static void signaled_record_carries_provider_names(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_EVENT_TRACING");
}
#endif

static struct kunit_case dma_fence_trace_cases[] = {
	KUNIT_CASE(init_fires_once_with_provider_names),
	KUNIT_CASE(enable_sw_signaling_fires_enable_signal_once),
	KUNIT_CASE(enable_signal_silent_without_provider_hook),
	KUNIT_CASE(enable_signal_silent_once_signalled),
	KUNIT_CASE(refused_enable_signals_right_away),
	KUNIT_CASE(signal_fires_signaled_once_with_placeholders),
	KUNIT_CASE(signaled_fires_before_callbacks_run),
	KUNIT_CASE(provider_completion_fires_signaled),
	KUNIT_CASE(wait_events_bracket_wait_on_signalled_fence),
	KUNIT_CASE(zero_timeout_wait_fires_start_and_end),
	KUNIT_CASE(timed_out_wait_fires_wait_end),
	KUNIT_CASE(wait_events_bracket_provider_wait),
	KUNIT_CASE(destroy_fires_only_from_final_put),
	KUNIT_CASE(emit_fires_when_driver_fires_it),
	KUNIT_CASE(lifecycle_fires_events_in_order),
	KUNIT_CASE(signaled_record_carries_provider_names),
	{}
};

static struct kunit_suite dma_fence_trace_suite = {
	.name = "dma-fence-trace",
	.suite_init = fence_trace_suite_init,
	.suite_exit = fence_trace_suite_exit,
	.init = fence_trace_case_init,
	.test_cases = dma_fence_trace_cases,
};

#else /* no tracepoints, or built as a module */

static void tracepoints_unavailable(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_TRACEPOINTS and a built-in suite");
}

static struct kunit_case dma_fence_trace_cases[] = {
	KUNIT_CASE(tracepoints_unavailable),
	{}
};

static struct kunit_suite dma_fence_trace_suite = {
	.name = "dma-fence-trace",
	.test_cases = dma_fence_trace_cases,
};

#endif

kunit_test_suite(dma_fence_trace_suite);

MODULE_DESCRIPTION("KUnit tests for the dma_fence tracepoints");
MODULE_LICENSE("GPL");
