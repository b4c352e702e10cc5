// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for the reservation object: its lock in all variants, fence
 * slots and their reservation, usage classes, the locked and the unlocked
 * iterator, the helpers built on top of them, and unlocked readers racing
 * a writer on another CPU.
 */

#include <kunit/test.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/ww_mutex.h>

#include "fence-helpers.h"

/**
 * DOC: dma-resv KUnit suite
 *
 * The "dma-resv" suite checks &struct dma_resv against the documented
 * contract, one behaviour per case: every usage class against every query
 * class, reference counts after each add, replace, copy and teardown, the
 * wait/die back-off of the lock with an acquire context, and the results of
 * the unlocked helpers. Fences come from the mock provider of
 * fence-helpers.h, whose release hook counts, so a case can tell that a
 * fence the object let go of was really freed.
 *
 * The race cases play an unlocked reader on one CPU against a writer on the
 * other that adds, replaces, signals and reallocates, round after round.
 * The reader keeps a reference to everything it is handed; the round is
 * then judged: nothing foreign or dead was returned, no fence that stayed
 * in the object and pending for the whole round was skipped, and every
 * fence of the round was released once the object was gone.
 *
 * Build it in, or as a module, with::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * A case looks like this::
 *
 *	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
 *	struct dma_resv obj;
 *
 *	dma_resv_init(&obj);
 *	add_fence_to(test, &obj, f, DMA_RESV_USAGE_WRITE);
 *	KUNIT_EXPECT_FALSE(test, dma_resv_test_signaled(&obj,
 *							DMA_RESV_USAGE_READ));
 *	dma_resv_fini(&obj);
 *	dma_fence_put(f);
 */

#define NUM_USAGES	(DMA_RESV_USAGE_BOOKKEEP + 1)

/* Most fences a census below can tell apart. */
#define CENSUS_MAX	8

/*
 * A reservation no machine can satisfy: 2^30 slots of a pointer each are
 * 8 GiB, above both the largest slab and the INT_MAX limit of kvmalloc().
 * The implementation must refuse it quietly, by checking the size before
 * allocating or by allocating with __GFP_NOWARN; the page allocator would
 * otherwise warn about the order. (KUnit in 6.12 offers no way to make a
 * small allocation fail, so this is the failure the suite can provoke.)
 */
#define HUGE_RESERVATION	BIT(30)

/*
 * A mock fence on a context of its own. The caller owns the one reference;
 * the case is aborted on allocation failure.
 */
static struct dma_fence *new_fence(struct kunit *test,
				   const struct dma_fence_ops *ops, u64 seqno)
{
	return mock_fence_new(test, ops, dma_fence_context_alloc(1), seqno);
}

/* One new fence per usage class, fences[u] on a context of its own. */
static void new_fence_per_usage(struct kunit *test,
				const struct dma_fence_ops *ops,
				struct dma_fence *fences[NUM_USAGES])
{
	unsigned int u;

	for (u = 0; u < NUM_USAGES; u++)
		fences[u] = new_fence(test, ops, 100 + u);
}

/* Drop the caller's reference to each of @n fences. */
static void put_fences(struct dma_fence **fences, unsigned int n)
{
	while (n--)
		dma_fence_put(fences[n]);
}

/* Lock @obj without an acquire context; abort the case if that fails. */
static void lock_resv(struct kunit *test, struct dma_resv *obj)
{
	KUNIT_ASSERT_EQ(test, dma_resv_lock(obj, NULL), 0);
}

/*
 * Reserve one slot in the locked @obj and add @fence with @usage. The
 * object takes a reference of its own; the caller keeps its reference.
 */
static void add_locked(struct kunit *test, struct dma_resv *obj,
		       struct dma_fence *fence, enum dma_resv_usage usage)
{
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(obj, 1), 0);
	dma_resv_add_fence(obj, fence, usage);
}

/* add_locked() in a lock section of its own. */
static void add_fence_to(struct kunit *test, struct dma_resv *obj,
			 struct dma_fence *fence, enum dma_resv_usage usage)
{
	lock_resv(test, obj);
	add_locked(test, obj, fence, usage);
	dma_resv_unlock(obj);
}

/* Add fences[u] with usage u for every class, in one lock section. */
static void add_fence_per_usage(struct kunit *test, struct dma_resv *obj,
				struct dma_fence *fences[NUM_USAGES])
{
	unsigned int u;

	lock_resv(test, obj);
	for (u = 0; u < NUM_USAGES; u++)
		add_locked(test, obj, fences[u], u);
	dma_resv_unlock(obj);
}

/**
 * struct census - what one walk over a reservation object returned
 * @known: the fences the case added, told apart by index
 * @nknown: entries in @known, at most %CENSUS_MAX
 * @visits: how often each known fence was returned
 * @usage: usage the cursor reported at the latest visit of each fence
 * @total: fences returned, known or not
 * @foreign: fences returned that are not in @known
 * @restarts: fences returned with dma_resv_iter_is_restarted() set
 */
struct census {
	struct dma_fence *const *known;
	unsigned int nknown;
	unsigned int visits[CENSUS_MAX];
	enum dma_resv_usage usage[CENSUS_MAX];
	unsigned int total;
	unsigned int foreign;
	unsigned int restarts;
};

/* Start a census over the @n fences of @known. */
static void census_init(struct census *c, struct dma_fence *const *known,
			unsigned int n)
{
	memset(c, 0, sizeof(*c));
	c->known = known;
	c->nknown = min_t(unsigned int, n, CENSUS_MAX);
}

/* Account for @fence, returned by a cursor that reports @usage. */
static void census_note(struct census *c, struct dma_fence *fence,
			enum dma_resv_usage usage, bool restarted)
{
	unsigned int i;

	c->total++;
	if (restarted)
		c->restarts++;
	for (i = 0; i < c->nknown; i++) {
		if (c->known[i] == fence) {
			c->visits[i]++;
			c->usage[i] = usage;
			return;
		}
	}
	c->foreign++;
}

/* Census of a locked walk with @usage; @obj must be locked. */
static void census_locked(struct census *c, struct dma_resv *obj,
			  enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;

	dma_resv_for_each_fence(&cursor, obj, usage, f)
		census_note(c, f, dma_resv_iter_usage(&cursor),
			    dma_resv_iter_is_restarted(&cursor));
}

/* Census of an unlocked walk with @usage. */
static void census_unlocked(struct census *c, struct dma_resv *obj,
			    enum dma_resv_usage usage)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;

	dma_resv_iter_begin(&cursor, obj, usage);
	dma_resv_for_each_fence_unlocked(&cursor, f)
		census_note(c, f, dma_resv_iter_usage(&cursor),
			    dma_resv_iter_is_restarted(&cursor));
	dma_resv_iter_end(&cursor);
}

/* Number of fences a locked walk with @usage returns. */
static unsigned int count_locked(struct kunit *test, struct dma_resv *obj,
				 enum dma_resv_usage usage)
{
	struct census c;

	census_init(&c, NULL, 0);
	lock_resv(test, obj);
	census_locked(&c, obj, usage);
	dma_resv_unlock(obj);
	return c.total;
}

/*
 * Check a census of a quiet object: each fence i of @expected_usage (array
 * of c->nknown, negative for "must not be returned") returned exactly once
 * with that usage, nothing foreign, and the restart flag on the first fence
 * only.
 */
static void census_expect(struct kunit *test, const struct census *c,
			  const int *expected_usage)
{
	unsigned int i;

	for (i = 0; i < c->nknown; i++) {
		if (expected_usage[i] < 0) {
			KUNIT_EXPECT_EQ_MSG(test, c->visits[i], 0,
					    "fence %u returned", i);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, c->visits[i], 1,
				    "fence %u visits", i);
		if (c->visits[i])
			KUNIT_EXPECT_EQ_MSG(test, c->usage[i],
					    expected_usage[i],
					    "fence %u usage", i);
	}
	KUNIT_EXPECT_EQ(test, c->foreign, 0);
	KUNIT_EXPECT_EQ(test, c->restarts, c->total ? 1 : 0);
}

/* Usage u of fence u when it is included in a query with @query. */
static void usage_expectation(int expected[NUM_USAGES],
			      enum dma_resv_usage query)
{
	unsigned int u;

	for (u = 0; u < NUM_USAGES; u++)
		expected[u] = u <= query ? (int)u : -1;
}

/* True if @fence is among the @n entries of @fences. */
static bool fence_in(struct dma_fence *fence, struct dma_fence *const *fences,
		     unsigned int n)
{
	while (n--)
		if (fences[n] == fence)
			return true;
	return false;
}

/* A seq_file that prints into a caller's buffer, for describe. */
static void describe_into(struct dma_resv *obj, char *buf, size_t size)
{
	struct seq_file seq = { .buf = buf, .size = size };

	memset(buf, 0, size);
	dma_resv_describe(obj, &seq);
	buf[min(seq.count, size - 1)] = '\0';
}

/* Number of times @needle occurs in @haystack. */
static unsigned int count_substr(const char *haystack, const char *needle)
{
	unsigned int n = 0;

	while ((haystack = strstr(haystack, needle))) {
		n++;
		haystack += strlen(needle);
	}
	return n;
}

/*
 * Take every object of @objs under @ctx the way a driver must: on -EDEADLK
 * drop everything held, sleep on the contended object with the slow
 * variant, then take the others again. @slow is the object an earlier
 * -EDEADLK named (none held then), or NULL. Counts the back-offs in
 * @backoffs. Returns 0 with all held, or the error that ended it with
 * none held.
 */
static int lock_all(struct dma_resv **objs, unsigned int n,
		    struct ww_acquire_ctx *ctx, bool intr,
		    struct dma_resv *slow, unsigned int *backoffs)
{
	unsigned int i, j;
	int ret;

	for (;;) {
		if (slow && intr) {
			ret = dma_resv_lock_slow_interruptible(slow, ctx);
			if (ret)
				return ret;
		} else if (slow) {
			dma_resv_lock_slow(slow, ctx);
		}
		ret = 0;
		for (i = 0; i < n && !ret; i++) {
			if (objs[i] == slow)
				continue;
			ret = intr ? dma_resv_lock_interruptible(objs[i], ctx) :
				     dma_resv_lock(objs[i], ctx);
		}
		if (!ret)
			return 0;
		/* objs[i - 1] failed: drop what this pass took. */
		for (j = 0; j + 1 < i; j++)
			if (objs[j] != slow)
				dma_resv_unlock(objs[j]);
		if (slow)
			dma_resv_unlock(slow);
		if (ret != -EDEADLK)
			return ret;
		slow = objs[i - 1];
		(*backoffs)++;
	}
}

/* Unlock all @n objects of @objs. */
static void unlock_all(struct dma_resv **objs, unsigned int n)
{
	while (n--)
		dma_resv_unlock(objs[n]);
}

/* Life cycle */

static void init_leaves_object_empty_and_unlocked(struct kunit *test)
{
	struct dma_fence **array = NULL;
	struct dma_resv_iter cursor;
	struct dma_fence *single;
	unsigned int u, n = 1;
	struct dma_resv obj;

	dma_resv_init(&obj);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(&obj));
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(&obj));

	for (u = 0; u < NUM_USAGES; u++) {
		dma_resv_iter_begin(&cursor, &obj, u);
		KUNIT_EXPECT_NULL(test, dma_resv_iter_first_unlocked(&cursor));
		dma_resv_iter_end(&cursor);
		KUNIT_EXPECT_EQ(test, count_locked(test, &obj, u), 0);
		KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(&obj, u));
		KUNIT_EXPECT_EQ(test, dma_resv_get_fences(&obj, u, &n, &array),
				0);
		KUNIT_EXPECT_EQ(test, n, 0);
		kfree(array);
		array = NULL;
		single = ERR_PTR(-EINVAL);
		KUNIT_EXPECT_EQ(test, dma_resv_get_singleton(&obj, u, &single),
				0);
		KUNIT_EXPECT_NULL(test, single);
	}
	dma_resv_fini(&obj);
}

static void fini_drops_the_references_of_all_fences(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	atomic_t releases = ATOMIC_INIT(0);
	struct dma_resv obj;
	unsigned int u;

	new_fence_per_usage(test, &mock_ops_plain, f);
	for (u = 0; u < NUM_USAGES; u++)
		to_mock_fence(f[u])->release_count = &releases;

	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 2);

	/* The object is now the only owner; fini must free every fence. */
	put_fences(f, NUM_USAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), 0);
	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), NUM_USAGES);
}

/* Locking */

static void lock_and_unlock_without_context(struct kunit *test)
{
	struct dma_resv obj;

	dma_resv_init(&obj);
	lock_resv(test, &obj);
	KUNIT_EXPECT_TRUE(test, dma_resv_is_locked(&obj));
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(&obj));
	dma_resv_assert_held(&obj);
#ifdef CONFIG_LOCKDEP
	KUNIT_EXPECT_TRUE(test, dma_resv_held(&obj));
#endif
	dma_resv_unlock(&obj);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(&obj));
#ifdef CONFIG_LOCKDEP
	KUNIT_EXPECT_FALSE(test, dma_resv_held(&obj));
#endif

	KUNIT_EXPECT_EQ(test, dma_resv_lock_interruptible(&obj, NULL), 0);
	KUNIT_EXPECT_TRUE(test, dma_resv_is_locked(&obj));
	dma_resv_unlock(&obj);

	KUNIT_ASSERT_TRUE(test, dma_resv_trylock(&obj));
	KUNIT_EXPECT_TRUE(test, dma_resv_is_locked(&obj));
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(&obj));
	dma_resv_unlock(&obj);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(&obj));
	dma_resv_fini(&obj);
}

/* What a second thread saw of an object the case holds. */
struct contender {
	struct dma_resv *obj;
	bool trylock_ok;
	bool saw_locked;
	int intr_lock;
	signed long intr_wait;
	struct dma_resv *pending_obj;
};

/* Second thread: probe the held object without waiting for it. */
static void contender_trylock_fn(struct fence_job *job)
{
	struct contender *ct = job->data;

	ct->saw_locked = dma_resv_is_locked(ct->obj);
	ct->trylock_ok = dma_resv_trylock(ct->obj);
	if (ct->trylock_ok)
		dma_resv_unlock(ct->obj);
}

static void trylock_fails_while_another_thread_holds_lock(struct kunit *test)
{
	struct contender ct = {};
	struct fence_job job = { .fn = contender_trylock_fn, .data = &ct };
	struct dma_resv obj;

	dma_resv_init(&obj);
	ct.obj = &obj;
	lock_resv(test, &obj);
	KUNIT_ASSERT_EQ(test, fence_job_start(&job, -1), 0);
	fence_job_finish(&job);
	dma_resv_unlock(&obj);

	KUNIT_EXPECT_TRUE(test, ct.saw_locked);
	KUNIT_EXPECT_FALSE(test, ct.trylock_ok);

	/* Free again: now the other thread gets it. */
	KUNIT_ASSERT_EQ(test, fence_job_start(&job, -1), 0);
	fence_job_finish(&job);
	KUNIT_EXPECT_FALSE(test, ct.saw_locked);
	KUNIT_EXPECT_TRUE(test, ct.trylock_ok);
	dma_resv_fini(&obj);
}

/*
 * Second thread, with SIGUSR1 queued to itself: the interruptible lock of
 * the held object and an interruptible wait must both give up at once.
 */
static void contender_signalled_fn(struct fence_job *job)
{
	struct contender *ct = job->data;

	allow_signal(SIGUSR1);
	send_sig(SIGUSR1, current, 1);
	ct->intr_lock = dma_resv_lock_interruptible(ct->obj, NULL);
	if (!ct->intr_lock)
		dma_resv_unlock(ct->obj);
	ct->intr_wait = dma_resv_wait_timeout(ct->pending_obj,
					      DMA_RESV_USAGE_BOOKKEEP, true,
					      HZ);
	flush_signals(current);
	disallow_signal(SIGUSR1);
}

static void interruptible_calls_stop_on_signal(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct contender ct = {};
	struct fence_job job = { .fn = contender_signalled_fn, .data = &ct };
	struct dma_resv obj, pending;

	dma_resv_init(&obj);
	dma_resv_init(&pending);
	add_fence_to(test, &pending, f, DMA_RESV_USAGE_READ);
	ct.obj = &obj;
	ct.pending_obj = &pending;

	lock_resv(test, &obj);
	KUNIT_ASSERT_EQ(test, fence_job_start(&job, -1), 0);
	fence_job_finish(&job);
	dma_resv_unlock(&obj);

	KUNIT_EXPECT_EQ(test, ct.intr_lock, -EINTR);
	KUNIT_EXPECT_EQ(test, ct.intr_wait, -ERESTARTSYS);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f));

	dma_resv_fini(&pending);
	dma_resv_fini(&obj);
	dma_fence_put(f);
}

/* One pass of the case below, with the plain or interruptible variants. */
static void check_lock_with_context(struct kunit *test, struct dma_resv *a,
				    struct dma_resv *b, bool intr)
{
	struct dma_resv *objs[] = { a, b };
	struct ww_acquire_ctx ctx;
	unsigned int backoffs = 0;

	ww_acquire_init(&ctx, &reservation_ww_class);
	/* The first lock of a context is never refused. */
	KUNIT_ASSERT_EQ(test, intr ? dma_resv_lock_interruptible(a, &ctx) :
			dma_resv_lock(a, &ctx), 0);
	KUNIT_EXPECT_PTR_EQ(test, dma_resv_locking_ctx(a), &ctx);
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(b));
	KUNIT_EXPECT_EQ(test, dma_resv_lock(a, &ctx), -EALREADY);
	KUNIT_EXPECT_EQ(test, dma_resv_lock_interruptible(a, &ctx),
			-EALREADY);
	dma_resv_unlock(a);
	KUNIT_EXPECT_NULL(test, dma_resv_locking_ctx(a));

	/* With debug injection, the second may be refused: back off. */
	KUNIT_ASSERT_EQ(test, lock_all(objs, 2, &ctx, intr, NULL, &backoffs),
			0);
	ww_acquire_done(&ctx);
	KUNIT_EXPECT_PTR_EQ(test, dma_resv_locking_ctx(a), &ctx);
	KUNIT_EXPECT_PTR_EQ(test, dma_resv_locking_ctx(b), &ctx);
	unlock_all(objs, 2);
	ww_acquire_fini(&ctx);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(a));
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(b));
}

static void lock_with_context_records_it_and_refuses_relock(struct kunit *test)
{
	struct dma_resv a, b;

	dma_resv_init(&a);
	dma_resv_init(&b);
	check_lock_with_context(test, &a, &b, false);
	check_lock_with_context(test, &a, &b, true);
	dma_resv_fini(&b);
	dma_resv_fini(&a);
}

/**
 * struct backoff_case - two contexts fighting over two objects
 * @objs: objs[0] is held by the older context in the case's thread,
 *	objs[1] is taken first by the younger one in the job's thread
 * @intr: the younger side uses the interruptible variants
 * @tested: completed once the younger side has seen its -EDEADLK
 * @own_ret: younger side's lock of objs[1]
 * @conflict_ret: younger side's lock of objs[0], held by the older side
 * @signalled_ret: slow interruptible lock of objs[0] with a signal pending
 * @final_ret: lock_all() of both, starting with the slow lock of objs[0]
 * @backoffs: back-offs lock_all() needed beyond the first one
 * @ctx_seen: dma_resv_locking_ctx() named the younger context on both
 */
struct backoff_case {
	struct dma_resv *objs[2];
	bool intr;
	struct completion tested;
	int own_ret;
	int conflict_ret;
	int signalled_ret;
	int final_ret;
	unsigned int backoffs;
	bool ctx_seen;
};

/* Lock @obj under @ctx with the variant the case asks for; 0 or errno. */
static int backoff_lock(struct backoff_case *bc, struct dma_resv *obj,
			struct ww_acquire_ctx *ctx)
{
	return bc->intr ? dma_resv_lock_interruptible(obj, ctx) :
			  dma_resv_lock(obj, ctx);
}

/*
 * The younger side: holding objs[1], it asks for objs[0], which the older
 * side holds, and must be told to back off. It drops objs[1], checks that
 * a signal stops the interruptible slow lock, reports, then sleeps on
 * objs[0] until the older side lets go and takes both.
 */
static void backoff_younger_fn(struct fence_job *job)
{
	struct backoff_case *bc = job->data;
	struct dma_resv *contended = bc->objs[0];
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, &reservation_ww_class);
	bc->own_ret = backoff_lock(bc, bc->objs[1], &ctx);
	bc->conflict_ret = backoff_lock(bc, bc->objs[0], &ctx);
	if (!bc->conflict_ret)
		dma_resv_unlock(bc->objs[0]);
	if (!bc->own_ret)
		dma_resv_unlock(bc->objs[1]);

	if (bc->intr && bc->conflict_ret == -EDEADLK) {
		allow_signal(SIGUSR1);
		send_sig(SIGUSR1, current, 1);
		bc->signalled_ret =
			dma_resv_lock_slow_interruptible(contended, &ctx);
		flush_signals(current);
		disallow_signal(SIGUSR1);
		if (!bc->signalled_ret) {
			/* Wrongly granted: nothing left to back off from. */
			dma_resv_unlock(contended);
			contended = NULL;
		}
	}
	complete(&bc->tested);

	if (bc->conflict_ret != -EDEADLK) {
		ww_acquire_fini(&ctx);
		return;
	}
	/* Slow path on the contended object first, then the rest. */
	bc->final_ret = lock_all(bc->objs, 2, &ctx, bc->intr, contended,
				 &bc->backoffs);
	if (!bc->final_ret) {
		ww_acquire_done(&ctx);
		bc->ctx_seen = dma_resv_locking_ctx(bc->objs[0]) == &ctx &&
			       dma_resv_locking_ctx(bc->objs[1]) == &ctx;
		unlock_all(bc->objs, 2);
	}
	ww_acquire_fini(&ctx);
}

/*
 * Run the wait/die scenario: the case's thread takes objs[0] with an older
 * context, the younger one in a job takes objs[1] and then wants objs[0].
 */
static void run_backoff_case(struct kunit *test, bool intr)
{
	struct backoff_case bc = { .intr = intr };
	struct fence_job job = { .fn = backoff_younger_fn, .data = &bc };
	struct ww_acquire_ctx older;
	struct dma_resv a, b;
	unsigned long left;

	dma_resv_init(&a);
	dma_resv_init(&b);
	bc.objs[0] = &a;
	bc.objs[1] = &b;
	init_completion(&bc.tested);

	ww_acquire_init(&older, &reservation_ww_class);
	KUNIT_ASSERT_EQ(test, dma_resv_lock(&a, &older), 0);
	if (fence_job_start(&job, -1)) {
		dma_resv_unlock(&a);
		ww_acquire_fini(&older);
		KUNIT_FAIL(test, "cannot start the younger side");
		return;
	}
	left = wait_for_completion_timeout(&bc.tested, FENCE_RACE_STALL);
	/* Let the younger side go to sleep on the object before release. */
	msleep(20);
	dma_resv_unlock(&a);
	ww_acquire_fini(&older);
	fence_job_finish(&job);

	KUNIT_EXPECT_GT(test, left, 0);
	KUNIT_EXPECT_EQ(test, bc.own_ret, 0);
	KUNIT_EXPECT_EQ(test, bc.conflict_ret, -EDEADLK);
	if (intr)
		KUNIT_EXPECT_EQ(test, bc.signalled_ret, -EINTR);
	KUNIT_EXPECT_EQ(test, bc.final_ret, 0);
	KUNIT_EXPECT_TRUE(test, bc.ctx_seen);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(&a));
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(&b));
	dma_resv_fini(&b);
	dma_resv_fini(&a);
}

static void younger_context_backs_off_with_lock_slow(struct kunit *test)
{
	run_backoff_case(test, false);
}

static void younger_context_backs_off_with_slow_interruptible(struct kunit *test)
{
	run_backoff_case(test, true);
}

/* Usage classes */

static void usage_rw_makes_writers_wait_for_readers(struct kunit *test)
{
	/* A new write waits for readers and writers, a read for writers. */
	KUNIT_EXPECT_EQ(test, dma_resv_usage_rw(true), DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, dma_resv_usage_rw(false), DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_LT(test, DMA_RESV_USAGE_KERNEL, DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_LT(test, DMA_RESV_USAGE_WRITE, DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_LT(test, DMA_RESV_USAGE_READ, DMA_RESV_USAGE_BOOKKEEP);
}

static void usage_classes_filter_the_locked_walk(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	int expected[NUM_USAGES];
	struct dma_resv obj;
	struct census c;
	unsigned int q;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	lock_resv(test, &obj);
	for (q = 0; q < NUM_USAGES; q++) {
		census_init(&c, f, NUM_USAGES);
		census_locked(&c, &obj, q);
		usage_expectation(expected, q);
		census_expect(test, &c, expected);
		KUNIT_EXPECT_EQ(test, c.total, q + 1);
	}
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void usage_classes_filter_the_unlocked_walk(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	int expected[NUM_USAGES];
	struct dma_resv obj;
	struct census c;
	unsigned int q;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	for (q = 0; q < NUM_USAGES; q++) {
		census_init(&c, f, NUM_USAGES);
		census_unlocked(&c, &obj, q);
		usage_expectation(expected, q);
		census_expect(test, &c, expected);
		KUNIT_EXPECT_EQ(test, c.total, q + 1);
	}
	/* dma_resv_usage_rw() picks the classes implicit sync needs. */
	census_init(&c, f, NUM_USAGES);
	census_unlocked(&c, &obj, dma_resv_usage_rw(false));
	KUNIT_EXPECT_EQ(test, c.visits[DMA_RESV_USAGE_WRITE], 1);
	KUNIT_EXPECT_EQ(test, c.visits[DMA_RESV_USAGE_READ], 0);
	census_init(&c, f, NUM_USAGES);
	census_unlocked(&c, &obj, dma_resv_usage_rw(true));
	KUNIT_EXPECT_EQ(test, c.visits[DMA_RESV_USAGE_READ], 1);
	KUNIT_EXPECT_EQ(test, c.visits[DMA_RESV_USAGE_BOOKKEEP], 0);

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

/* Adding fences */

static void add_fence_takes_a_reference(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_resv obj;

	dma_resv_init(&obj);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_KERNEL);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);
	KUNIT_EXPECT_EQ(test, count_locked(test, &obj, DMA_RESV_USAGE_KERNEL),
			1);
	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	dma_fence_put(f);
}

static void add_later_fence_of_a_context_replaces_earlier(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[2];
	const int expected[] = { -1, DMA_RESV_USAGE_WRITE };
	atomic_t releases = ATOMIC_INIT(0);
	struct dma_resv obj;
	struct census c;

	f[0] = mock_fence_new(test, &mock_ops_plain, ctx, 1);
	f[1] = mock_fence_new(test, &mock_ops_plain, ctx, 2);
	to_mock_fence(f[0])->release_count = &releases;
	dma_resv_init(&obj);
	add_fence_to(test, &obj, f[0], DMA_RESV_USAGE_WRITE);
	add_fence_to(test, &obj, f[1], DMA_RESV_USAGE_WRITE);

	census_init(&c, f, 2);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	census_expect(test, &c, expected);
	lock_resv(test, &obj);
	census_init(&c, f, 2);
	census_locked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	census_expect(test, &c, expected);
	dma_resv_unlock(&obj);
	/* The object let go of the superseded fence at once. */
	KUNIT_EXPECT_EQ(test, kref_read(&f[0]->refcount), 1);
	dma_fence_put(f[0]);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), 1);

	dma_resv_fini(&obj);
	dma_fence_put(f[1]);
}

static void add_earlier_fence_keeps_later_of_same_context(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *f[2];
	struct dma_resv obj;
	struct census c;

	f[0] = mock_fence_new(test, &mock_ops_plain, ctx, 1);
	f[1] = mock_fence_new(test, &mock_ops_plain, ctx, 2);
	dma_resv_init(&obj);
	add_fence_to(test, &obj, f[1], DMA_RESV_USAGE_READ);
	add_fence_to(test, &obj, f[0], DMA_RESV_USAGE_READ);

	/* Whatever happens to the older one, the later one must stay. */
	census_init(&c, f, 2);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, c.visits[1], 1);
	KUNIT_EXPECT_LE(test, c.visits[0], 1);
	KUNIT_EXPECT_EQ(test, c.foreign, 0);
	KUNIT_EXPECT_FALSE(test, dma_resv_test_signaled(&obj,
							DMA_RESV_USAGE_READ));

	dma_resv_fini(&obj);
	put_fences(f, 2);
}

static void add_same_fence_twice_keeps_one_entry(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	const int expected[] = { DMA_RESV_USAGE_READ };
	struct dma_resv obj;
	struct census c;

	dma_resv_init(&obj);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_READ);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);

	census_init(&c, &f, 1);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	census_expect(test, &c, expected);

	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	dma_fence_put(f);
}

static void add_with_stronger_usage_promotes_the_fence(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	const int expected[] = { DMA_RESV_USAGE_READ };
	struct dma_resv obj;
	struct census c;

	dma_resv_init(&obj);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_BOOKKEEP);
	census_init(&c, &f, 1);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, c.total, 0);

	add_fence_to(test, &obj, f, DMA_RESV_USAGE_READ);
	census_init(&c, &f, 1);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_READ);
	census_expect(test, &c, expected);
	/* Promoted, not duplicated. */
	census_init(&c, &f, 1);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	census_expect(test, &c, expected);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);

	dma_resv_fini(&obj);
	dma_fence_put(f);
}

static void add_with_weaker_usage_never_degrades(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_resv obj;
	struct census c;

	dma_resv_init(&obj);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_WRITE);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_BOOKKEEP);

	census_init(&c, &f, 1);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_EQ(test, c.visits[0], 1);
	KUNIT_EXPECT_EQ(test, c.usage[0], DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_FALSE(test, dma_resv_test_signaled(&obj,
							DMA_RESV_USAGE_WRITE));

	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	dma_fence_put(f);
}

static void add_reuses_the_slot_of_a_signalled_fence(struct kunit *test)
{
	struct dma_fence *f[2];
	const int expected[] = { -1, DMA_RESV_USAGE_KERNEL };
	atomic_t releases = ATOMIC_INIT(0);
	struct dma_resv obj;
	struct census c;
	unsigned int i;

	f[0] = new_fence(test, &mock_ops_plain, 1);
	f[1] = new_fence(test, &mock_ops_plain, 1);
	to_mock_fence(f[0])->release_count = &releases;
	dma_resv_init(&obj);
	add_fence_to(test, &obj, f[0], DMA_RESV_USAGE_READ);
	dma_fence_signal(f[0]);
	dma_fence_put(f[0]);
	add_fence_to(test, &obj, f[1], DMA_RESV_USAGE_KERNEL);

	/* The signalled fence is gone even from the locked walk. */
	lock_resv(test, &obj);
	census_init(&c, f, 2);
	census_locked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	census_expect(test, &c, expected);
	dma_resv_unlock(&obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), 1);

	/* A stream of fences that signal keeps the object small. */
	for (i = 0; i < 64; i++) {
		struct dma_fence *g = new_fence(test, &mock_ops_plain, i);

		add_fence_to(test, &obj, g, DMA_RESV_USAGE_BOOKKEEP);
		dma_fence_signal(g);
		dma_fence_put(g);
	}
	KUNIT_EXPECT_LE(test, count_locked(test, &obj, DMA_RESV_USAGE_BOOKKEEP),
			2);

	dma_resv_fini(&obj);
	dma_fence_put(f[1]);
}

/*
 * Providers that never call dma_fence_signal() themselves and only answer
 * &dma_fence_ops.signaled when asked must not make an object grow: each
 * add asks, and takes the slot of a fence whose work is done. 100,000
 * submissions, each on a timeline of its own, each done by the time the
 * next one is added; the object never holds more than the latest.
 */
#define POLLED_CYCLES	100000

static void add_reuses_slots_of_fences_done_when_polled(struct kunit *test)
{
	atomic_t releases = ATOMIC_INIT(0);
	unsigned int i, most = 0;
	struct dma_resv obj;

	dma_resv_init(&obj);
	for (i = 0; i < POLLED_CYCLES; i++) {
		struct dma_fence *f = new_fence(test, &mock_ops_full, 1);

		to_mock_fence(f)->release_count = &releases;
		add_fence_to(test, &obj, f, DMA_RESV_USAGE_BOOKKEEP);
		/* The work completes; only a poll will notice. */
		WRITE_ONCE(to_mock_fence(f)->hw_done, true);
		KUNIT_ASSERT_FALSE(test, test_bit(DMA_FENCE_FLAG_SIGNALED_BIT,
						  &f->flags));
		dma_fence_put(f);
		/* A prime period, so no list capacity hides in the phase. */
		if (i % 97 == 0 || i == POLLED_CYCLES - 1)
			most = max(most, count_locked(test, &obj,
						      DMA_RESV_USAGE_BOOKKEEP));
	}
	KUNIT_EXPECT_EQ(test, most, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), POLLED_CYCLES - 1);
	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), POLLED_CYCLES);
}

/* Reserving slots */

static void reserve_covers_the_fences_added_after_it(struct kunit *test)
{
	struct dma_fence *f[12];
	struct dma_resv obj;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(f); i++)
		f[i] = new_fence(test, &mock_ops_plain, 1);
	dma_resv_init(&obj);

	lock_resv(test, &obj);
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, 4), 0);
	/* Asking again for what is already reserved is fine. */
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, 4), 0);
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, 2), 0);
	for (i = 0; i < 4; i++)
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, 5), 0);
	for (; i < 9; i++)
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(&obj);

	/* Slots do not outlive the lock section: reserve again. */
	lock_resv(test, &obj);
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, 3), 0);
	for (; i < ARRAY_SIZE(f); i++)
		dma_resv_add_fence(&obj, f[i], DMA_RESV_USAGE_KERNEL);
	dma_resv_unlock(&obj);

	/* Reserved but unused slots are not fences. */
	KUNIT_EXPECT_EQ(test, count_locked(test, &obj, DMA_RESV_USAGE_BOOKKEEP),
			ARRAY_SIZE(f));
	KUNIT_EXPECT_EQ(test, count_locked(test, &obj, DMA_RESV_USAGE_WRITE),
			8);
	for (i = 0; i < ARRAY_SIZE(f); i++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[i]->refcount), 2);

	dma_resv_fini(&obj);
	put_fences(f, ARRAY_SIZE(f));
}

#define MANY_FENCES	1024

static void reserve_and_fill_a_thousand_fences(struct kunit *test)
{
	struct dma_fence **f = kunit_kcalloc(test, MANY_FENCES, sizeof(*f),
					     GFP_KERNEL);
	u64 ctx = dma_fence_context_alloc(MANY_FENCES);
	struct dma_fence **got = NULL;
	atomic_t releases = ATOMIC_INIT(0);
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int i, n = 0, seen = 0;
	struct dma_resv obj;

	KUNIT_ASSERT_NOT_NULL(test, f);
	for (i = 0; i < MANY_FENCES; i++) {
		f[i] = mock_fence_new(test, &mock_ops_plain, ctx + i, 1);
		to_mock_fence(f[i])->release_count = &releases;
	}
	dma_resv_init(&obj);

	/* Half reserved up front, the other half one at a time. */
	lock_resv(test, &obj);
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(&obj, MANY_FENCES / 2),
			0);
	for (i = 0; i < MANY_FENCES / 2; i++)
		dma_resv_add_fence(&obj, f[i], i % NUM_USAGES);
	for (; i < MANY_FENCES; i++)
		add_locked(test, &obj, f[i], i % NUM_USAGES);
	dma_resv_unlock(&obj);

	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		if (fence->context - ctx < MANY_FENCES &&
		    dma_resv_iter_usage(&cursor) ==
		    (fence->context - ctx) % NUM_USAGES)
			seen++;
	}
	dma_resv_iter_end(&cursor);
	KUNIT_EXPECT_EQ(test, seen, MANY_FENCES);

	KUNIT_ASSERT_EQ(test, dma_resv_get_fences(&obj, DMA_RESV_USAGE_KERNEL,
						  &n, &got), 0);
	KUNIT_EXPECT_EQ(test, n, MANY_FENCES / NUM_USAGES);
	put_fences(got, n);
	kfree(got);

	put_fences(f, MANY_FENCES);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), 0);
	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), MANY_FENCES);
}

static void reserve_failure_leaves_the_object_intact(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES + 1];
	int expected[NUM_USAGES + 1];
	struct dma_resv obj;
	struct census c;
	unsigned int u;

	new_fence_per_usage(test, &mock_ops_plain, f);
	f[NUM_USAGES] = new_fence(test, &mock_ops_plain, 1);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	lock_resv(test, &obj);
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, HUGE_RESERVATION),
			-ENOMEM);
	/* Still usable in the same lock section. */
	add_locked(test, &obj, f[NUM_USAGES], DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(&obj);

	for (u = 0; u < NUM_USAGES; u++)
		expected[u] = u;
	expected[NUM_USAGES] = DMA_RESV_USAGE_BOOKKEEP;
	census_init(&c, f, NUM_USAGES + 1);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	census_expect(test, &c, expected);
	for (u = 0; u <= NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 2);

	/* Also on an object that has no fence array yet. */
	dma_resv_fini(&obj);
	dma_resv_init(&obj);
	lock_resv(test, &obj);
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, HUGE_RESERVATION),
			-ENOMEM);
	add_locked(test, &obj, f[0], DMA_RESV_USAGE_KERNEL);
	dma_resv_unlock(&obj);
	KUNIT_EXPECT_EQ(test, count_locked(test, &obj, DMA_RESV_USAGE_KERNEL),
			1);
	dma_resv_fini(&obj);

	for (u = 0; u <= NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 1);
	put_fences(f, NUM_USAGES + 1);
}

/* Replacing fences */

static void replace_fences_swaps_every_fence_of_context(struct kunit *test)
{
	struct dma_fence *f[3], *r;
	const int expected[] = { -1, DMA_RESV_USAGE_READ,
				 DMA_RESV_USAGE_BOOKKEEP };
	atomic_t releases = ATOMIC_INIT(0);
	struct dma_resv obj;
	struct census c;

	f[0] = new_fence(test, &mock_ops_plain, 1);
	f[1] = new_fence(test, &mock_ops_plain, 1);
	r = new_fence(test, &mock_ops_plain, 1);
	f[2] = r;
	to_mock_fence(f[0])->release_count = &releases;
	dma_resv_init(&obj);
	add_fence_to(test, &obj, f[0], DMA_RESV_USAGE_WRITE);
	add_fence_to(test, &obj, f[1], DMA_RESV_USAGE_READ);
	dma_fence_put(f[0]);

	lock_resv(test, &obj);
	dma_resv_replace_fences(&obj, f[0]->context, r,
				DMA_RESV_USAGE_BOOKKEEP);
	census_init(&c, f, 3);
	census_locked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(&obj);

	census_expect(test, &c, expected);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&r->refcount), 2);
	/* The replacement has the new usage: a read query skips it. */
	KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(&obj,
						       DMA_RESV_USAGE_WRITE));
	census_init(&c, f, 3);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, c.total, 1);
	KUNIT_EXPECT_EQ(test, c.visits[1], 1);

	dma_resv_fini(&obj);
	KUNIT_EXPECT_EQ(test, kref_read(&r->refcount), 1);
	dma_fence_put(f[1]);
	dma_fence_put(r);
}

static void replace_fences_without_match_changes_nothing(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_fence *r = new_fence(test, &mock_ops_plain, 1);
	struct dma_fence *both[] = { f, r };
	const int expected[] = { DMA_RESV_USAGE_WRITE, -1 };
	struct dma_resv obj;
	struct census c;

	/* On an object that never had fences. */
	dma_resv_init(&obj);
	lock_resv(test, &obj);
	dma_resv_replace_fences(&obj, f->context, r, DMA_RESV_USAGE_KERNEL);
	census_init(&c, both, 2);
	census_locked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(&obj);
	KUNIT_EXPECT_EQ(test, c.total, 0);

	add_fence_to(test, &obj, f, DMA_RESV_USAGE_WRITE);
	lock_resv(test, &obj);
	dma_resv_replace_fences(&obj, r->context, r, DMA_RESV_USAGE_KERNEL);
	census_init(&c, both, 2);
	census_locked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(&obj);
	census_expect(test, &c, expected);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);
	KUNIT_EXPECT_EQ(test, kref_read(&r->refcount), 1);

	dma_resv_fini(&obj);
	dma_fence_put(r);
	dma_fence_put(f);
}

/* Iterators */

static void locked_walk_flags_only_first_fence_restarted(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int n = 0;
	struct dma_resv obj;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);
	dma_fence_signal(f[DMA_RESV_USAGE_WRITE]);

	lock_resv(test, &obj);
	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_READ);
	for (fence = dma_resv_iter_first(&cursor); fence;
	     fence = dma_resv_iter_next(&cursor)) {
		KUNIT_EXPECT_EQ(test, dma_resv_iter_is_restarted(&cursor),
				n == 0);
		KUNIT_EXPECT_TRUE(test, fence_in(fence, f, NUM_USAGES));
		KUNIT_EXPECT_LE(test, dma_resv_iter_usage(&cursor),
				DMA_RESV_USAGE_READ);
		/* The lock keeps the fences; no reference is taken. */
		KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);
		n++;
	}
	dma_resv_iter_end(&cursor);
	dma_resv_unlock(&obj);
	/* The signalled one may or may not be listed: locked walks may. */
	KUNIT_EXPECT_GE(test, n, 2);
	KUNIT_EXPECT_LE(test, n, 3);

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

/*
 * A caller that reserves in the middle of a locked walk breaks the
 * contract: the list may be reallocated under the cursor. The walk must
 * not read the freed list; it goes on in the new one (and with
 * CONFIG_DMABUF_DEBUG says so once).
 */
static void locked_walk_survives_a_reservation_midway(struct kunit *test)
{
	struct dma_fence *f[2];
	struct dma_resv_iter cursor;
	struct dma_fence *first, *second;
	struct dma_resv obj;

	f[0] = new_fence(test, &mock_ops_plain, 1);
	f[1] = new_fence(test, &mock_ops_plain, 2);
	dma_resv_init(&obj);
	lock_resv(test, &obj);
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(&obj, 2), 0);
	dma_resv_add_fence(&obj, f[0], DMA_RESV_USAGE_WRITE);
	dma_resv_add_fence(&obj, f[1], DMA_RESV_USAGE_READ);

	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_READ);
	first = dma_resv_iter_first(&cursor);
	/* Far more than the list has room for: it is rebuilt. */
	KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, 256), 0);
	expect_warn_begin("resv-locked-walk-realloc");
	second = dma_resv_iter_next(&cursor);
	expect_warn_end("resv-locked-walk-realloc");
	KUNIT_EXPECT_PTR_EQ(test, first, f[0]);
	KUNIT_EXPECT_PTR_EQ(test, second, f[1]);
	KUNIT_EXPECT_NULL(test, dma_resv_iter_next(&cursor));
	dma_resv_iter_end(&cursor);
	dma_resv_unlock(&obj);

	dma_resv_fini(&obj);
	put_fences(f, 2);
}

static void unlocked_walk_holds_a_reference_outside_rcu(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int u, n = 0;
	struct dma_resv obj;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	for (fence = dma_resv_iter_first_unlocked(&cursor); fence;
	     fence = dma_resv_iter_next_unlocked(&cursor)) {
		KUNIT_EXPECT_TRUE(test, fence_in(fence, f, NUM_USAGES));
		/* Ours, the object's and the cursor's. */
		KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 3);
		KUNIT_EXPECT_EQ(test, dma_resv_iter_is_restarted(&cursor),
				n == 0);
		if (IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC))
			KUNIT_EXPECT_FALSE(test, rcu_read_lock_held());
		/* The body may sleep. */
		usleep_range(50, 100);
		n++;
	}
	dma_resv_iter_end(&cursor);
	KUNIT_EXPECT_EQ(test, n, NUM_USAGES);
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 2);

	/* Leaving early: iter_end drops the reference of the cursor. */
	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_for_each_fence_unlocked(&cursor, fence)
		break;
	KUNIT_EXPECT_NOT_NULL(test, fence);
	dma_resv_iter_end(&cursor);
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 2);

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void unlocked_walk_skips_nothing_pending(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	struct dma_resv obj;
	struct census c;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);
	dma_fence_signal(f[DMA_RESV_USAGE_KERNEL]);
	dma_fence_signal(f[DMA_RESV_USAGE_READ]);

	/* Signalled ones may be left out, pending ones never. */
	census_init(&c, f, NUM_USAGES);
	census_unlocked(&c, &obj, DMA_RESV_USAGE_BOOKKEEP);
	KUNIT_EXPECT_EQ(test, c.visits[DMA_RESV_USAGE_WRITE], 1);
	KUNIT_EXPECT_EQ(test, c.visits[DMA_RESV_USAGE_BOOKKEEP], 1);
	KUNIT_EXPECT_LE(test, c.visits[DMA_RESV_USAGE_KERNEL], 1);
	KUNIT_EXPECT_LE(test, c.visits[DMA_RESV_USAGE_READ], 1);
	KUNIT_EXPECT_EQ(test, c.foreign, 0);
	KUNIT_EXPECT_EQ(test, c.restarts, 1);

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

/*
 * The unlocked walk, interrupted half way by this very thread: a big
 * reservation (which needs a new fence array), one more fence and the
 * replacement of the fence the cursor is holding. Whether it restarts or
 * not, the fences present and pending all along must all come out once
 * after the last restart, and the held fence must stay alive.
 */
static void unlocked_walk_survives_changes_midway(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES + 2], *current_fence = NULL, *fence;
	struct dma_resv_iter cursor;
	unsigned int i, since_restart[NUM_USAGES + 2] = {}, restarts = 0;
	struct dma_resv obj;
	bool held_replaced = false;

	new_fence_per_usage(test, &mock_ops_plain, f);
	f[NUM_USAGES] = new_fence(test, &mock_ops_plain, 1);
	f[NUM_USAGES + 1] = new_fence(test, &mock_ops_plain, 1);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	dma_resv_iter_begin(&cursor, &obj, DMA_RESV_USAGE_BOOKKEEP);
	for (fence = dma_resv_iter_first_unlocked(&cursor); fence;
	     fence = dma_resv_iter_next_unlocked(&cursor)) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			memset(since_restart, 0, sizeof(since_restart));
			restarts++;
		}
		for (i = 0; i < ARRAY_SIZE(f); i++)
			if (f[i] == fence)
				since_restart[i]++;
		KUNIT_ASSERT_TRUE(test, fence_in(fence, f, ARRAY_SIZE(f)));
		KUNIT_ASSERT_LE(test, restarts, 8);
		if (held_replaced)
			continue;

		/* First fence: change the object under the cursor. */
		current_fence = fence;
		lock_resv(test, &obj);
		KUNIT_EXPECT_EQ(test, dma_resv_reserve_fences(&obj, 64), 0);
		dma_resv_add_fence(&obj, f[NUM_USAGES], DMA_RESV_USAGE_READ);
		dma_resv_replace_fences(&obj, current_fence->context,
					f[NUM_USAGES + 1],
					DMA_RESV_USAGE_BOOKKEEP);
		dma_resv_unlock(&obj);
		held_replaced = true;
		/* Ours and the cursor's; the object let go. */
		KUNIT_EXPECT_EQ(test, kref_read(&current_fence->refcount), 2);
	}
	dma_resv_iter_end(&cursor);

	KUNIT_ASSERT_TRUE(test, held_replaced);
	for (i = 0; i < NUM_USAGES; i++) {
		if (f[i] == current_fence)
			KUNIT_EXPECT_LE(test, since_restart[i], 1);
		else
			KUNIT_EXPECT_EQ_MSG(test, since_restart[i], 1,
					    "fence %u", i);
	}
	KUNIT_EXPECT_LE(test, since_restart[NUM_USAGES], 1);
	KUNIT_EXPECT_LE(test, since_restart[NUM_USAGES + 1], 1);
	kunit_info(test, "walk restarted %u time(s) after the change\n",
		   restarts - 1);

	/* After the changes, a fresh walk sees exactly the new state. */
	KUNIT_EXPECT_EQ(test, count_locked(test, &obj, DMA_RESV_USAGE_BOOKKEEP),
			NUM_USAGES + 1);
	KUNIT_EXPECT_EQ(test, kref_read(&current_fence->refcount), 1);

	dma_resv_fini(&obj);
	put_fences(f, ARRAY_SIZE(f));
}

/* Helpers on top of the unlocked walk */

static void get_fences_returns_referenced_matching_fences(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	struct dma_fence **got;
	struct dma_resv obj;
	unsigned int q, u, n;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	for (q = 0; q < NUM_USAGES; q++) {
		got = NULL;
		KUNIT_ASSERT_EQ(test, dma_resv_get_fences(&obj, q, &n, &got),
				0);
		KUNIT_ASSERT_EQ(test, n, q + 1);
		KUNIT_ASSERT_NOT_NULL(test, got);
		for (u = 0; u < NUM_USAGES; u++) {
			KUNIT_EXPECT_EQ(test, fence_in(f[u], got, n), u <= q);
			KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount),
					u <= q ? 3 : 2);
		}
		put_fences(got, n);
		kfree(got);
	}

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void get_singleton_of_none_one_and_many(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES], *single;
	struct dma_fence_array *array;
	struct dma_resv obj;
	unsigned int u, i;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_to(test, &obj, f[DMA_RESV_USAGE_READ], DMA_RESV_USAGE_READ);

	/* Nothing of that class: no fence at all. */
	single = ERR_PTR(-EINVAL);
	KUNIT_EXPECT_EQ(test, dma_resv_get_singleton(&obj, DMA_RESV_USAGE_WRITE,
						     &single), 0);
	KUNIT_EXPECT_NULL(test, single);

	/* One fence: that very fence, with a new reference. */
	KUNIT_ASSERT_EQ(test, dma_resv_get_singleton(&obj, DMA_RESV_USAGE_READ,
						     &single), 0);
	KUNIT_EXPECT_PTR_EQ(test, single, f[DMA_RESV_USAGE_READ]);
	KUNIT_EXPECT_EQ(test, kref_read(&f[DMA_RESV_USAGE_READ]->refcount), 3);
	dma_fence_put(single);

	/* Several: one array fence that holds them all. */
	lock_resv(test, &obj);
	for (u = 0; u < NUM_USAGES; u++)
		if (u != DMA_RESV_USAGE_READ)
			add_locked(test, &obj, f[u], u);
	dma_resv_unlock(&obj);
	KUNIT_ASSERT_EQ(test, dma_resv_get_singleton(&obj,
						     DMA_RESV_USAGE_BOOKKEEP,
						     &single), 0);
	KUNIT_ASSERT_NOT_NULL(test, single);
	array = to_dma_fence_array(single);
	KUNIT_ASSERT_NOT_NULL(test, array);
	KUNIT_EXPECT_EQ(test, array->num_fences, NUM_USAGES);
	for (i = 0; i < array->num_fences; i++)
		KUNIT_EXPECT_TRUE(test, fence_in(array->fences[i], f,
						 NUM_USAGES));
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 3);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(single));

	/* The array completes with the last of its fences. */
	for (u = 0; u < NUM_USAGES; u++)
		dma_fence_signal(f[u]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(single, false, HZ), 0);
	dma_fence_put(single);
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 2);

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void copy_fences_mirrors_source_and_drops_old(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES + 1];
	int expected[NUM_USAGES + 1];
	atomic_t releases = ATOMIC_INIT(0);
	struct dma_resv src, dst;
	struct census c;
	unsigned int u;

	new_fence_per_usage(test, &mock_ops_plain, f);
	f[NUM_USAGES] = new_fence(test, &mock_ops_plain, 1);
	to_mock_fence(f[NUM_USAGES])->release_count = &releases;
	dma_resv_init(&src);
	dma_resv_init(&dst);
	add_fence_per_usage(test, &src, f);
	add_fence_to(test, &dst, f[NUM_USAGES], DMA_RESV_USAGE_KERNEL);
	dma_fence_put(f[NUM_USAGES]);

	/* Only the destination is locked; the source is read unlocked. */
	lock_resv(test, &dst);
	KUNIT_ASSERT_EQ(test, dma_resv_copy_fences(&dst, &src), 0);
	census_init(&c, f, NUM_USAGES + 1);
	census_locked(&c, &dst, DMA_RESV_USAGE_BOOKKEEP);
	/* The copy takes further fences like any other object. */
	add_locked(test, &dst, f[DMA_RESV_USAGE_KERNEL],
		   DMA_RESV_USAGE_KERNEL);
	dma_resv_unlock(&dst);

	for (u = 0; u < NUM_USAGES; u++)
		expected[u] = u;
	expected[NUM_USAGES] = -1;
	census_expect(test, &c, expected);
	KUNIT_EXPECT_EQ(test, atomic_read(&releases), 1);
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 3);

	/* The source is unchanged. */
	census_init(&c, f, NUM_USAGES + 1);
	census_unlocked(&c, &src, DMA_RESV_USAGE_BOOKKEEP);
	census_expect(test, &c, expected);

	dma_resv_fini(&dst);
	dma_resv_fini(&src);
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_EQ(test, kref_read(&f[u]->refcount), 1);
	put_fences(f, NUM_USAGES);
}

static void copy_fences_from_empty_source_empties_dst(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_resv src, dst;

	dma_resv_init(&src);
	dma_resv_init(&dst);
	add_fence_to(test, &dst, f, DMA_RESV_USAGE_WRITE);

	lock_resv(test, &dst);
	KUNIT_EXPECT_EQ(test, dma_resv_copy_fences(&dst, &src), 0);
	dma_resv_unlock(&dst);
	KUNIT_EXPECT_EQ(test, count_locked(test, &dst, DMA_RESV_USAGE_BOOKKEEP),
			0);
	KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 1);
	KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(&dst,
						       DMA_RESV_USAGE_BOOKKEEP));

	/* And the emptied object takes fences again. */
	add_fence_to(test, &dst, f, DMA_RESV_USAGE_READ);
	KUNIT_EXPECT_EQ(test, count_locked(test, &dst, DMA_RESV_USAGE_READ), 1);

	dma_resv_fini(&dst);
	dma_resv_fini(&src);
	dma_fence_put(f);
}

static void test_signaled_follows_the_usage_classes(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	struct dma_resv obj;
	unsigned int done, q;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	/* Signal the classes one by one, strongest first. */
	for (done = 0; done <= NUM_USAGES; done++) {
		for (q = 0; q < NUM_USAGES; q++)
			KUNIT_EXPECT_EQ_MSG(test,
					    dma_resv_test_signaled(&obj, q),
					    q < done,
					    "%u signalled, query %u", done, q);
		if (done < NUM_USAGES)
			dma_fence_signal(f[done]);
	}

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void test_signaled_polls_the_provider(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_full, 1);
	struct dma_resv obj;

	dma_resv_init(&obj);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_WRITE);
	KUNIT_EXPECT_FALSE(test, dma_resv_test_signaled(&obj,
							DMA_RESV_USAGE_READ));
	/* The hardware finished; nobody has called dma_fence_signal(). */
	WRITE_ONCE(to_mock_fence(f)->hw_done, true);
	KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(&obj,
						       DMA_RESV_USAGE_READ));
	dma_resv_fini(&obj);
	dma_fence_put(f);
}

/* Waiting */

static void wait_timeout_zero_only_polls(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	struct dma_resv obj;
	unsigned int q;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	KUNIT_EXPECT_GT(test, dma_resv_wait_timeout(&obj,
						    DMA_RESV_USAGE_BOOKKEEP,
						    false, 0), 0);
	add_fence_per_usage(test, &obj, f);
	dma_fence_signal(f[DMA_RESV_USAGE_KERNEL]);
	dma_fence_signal(f[DMA_RESV_USAGE_WRITE]);

	for (q = 0; q < NUM_USAGES; q++) {
		long ret = dma_resv_wait_timeout(&obj, q, q & 1, 0);

		if (q <= DMA_RESV_USAGE_WRITE)
			KUNIT_EXPECT_GT_MSG(test, ret, 0, "query %u", q);
		else
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "query %u", q);
	}

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void wait_timeout_on_signalled_returns_time_left(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_resv obj;
	long ret;

	dma_resv_init(&obj);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_READ);
	dma_fence_signal(f);
	ret = dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP, true, HZ);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LE(test, ret, HZ);
	/* A fence of a class outside the query is not waited for. */
	dma_fence_put(f);
	f = new_fence(test, &mock_ops_plain, 1);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_BOOKKEEP);
	ret = dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_READ, false, HZ);
	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LE(test, ret, HZ);

	dma_resv_fini(&obj);
	dma_fence_put(f);
}

static void wait_timeout_expires_on_pending_fence(struct kunit *test)
{
	struct dma_fence *f = new_fence(test, &mock_ops_plain, 1);
	struct dma_resv obj;
	unsigned long start;

	dma_resv_init(&obj);
	add_fence_to(test, &obj, f, DMA_RESV_USAGE_KERNEL);
	start = jiffies;
	KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_KERNEL,
						    false, 2), 0);
	KUNIT_EXPECT_GE(test, jiffies - start, 2);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(f));

	dma_resv_fini(&obj);
	dma_fence_put(f);
}

/* Job that signals the fences of its array after a short sleep. */
static void late_signal_fn(struct fence_job *job)
{
	struct dma_fence **f = job->data;
	unsigned int i;

	for (i = 0; i < NUM_USAGES; i++) {
		usleep_range(4000, 6000);
		dma_fence_signal(f[i]);
	}
}

static void wait_timeout_wakes_when_all_fences_signal(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	struct fence_job job = { .fn = late_signal_fn, .data = f };
	struct dma_resv obj;
	unsigned int u;
	long ret;

	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	KUNIT_ASSERT_EQ(test, fence_job_start(&job, -1), 0);
	ret = dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_BOOKKEEP, true,
				    10 * HZ);
	fence_job_finish(&job);

	KUNIT_EXPECT_GT(test, ret, 0);
	KUNIT_EXPECT_LT(test, ret, 10 * HZ);
	for (u = 0; u < NUM_USAGES; u++)
		KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f[u]));

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void wait_timeout_reports_what_a_fence_wait_says(struct kunit *test)
{
	struct dma_fence *f[2];
	struct mock_fence *m0, *m1;
	struct dma_resv obj;

	f[0] = new_fence(test, &mock_ops_wait, 1);
	f[1] = new_fence(test, &mock_ops_wait, 1);
	m0 = to_mock_fence(f[0]);
	m1 = to_mock_fence(f[1]);
	dma_resv_init(&obj);
	add_fence_to(test, &obj, f[0], DMA_RESV_USAGE_WRITE);
	add_fence_to(test, &obj, f[1], DMA_RESV_USAGE_WRITE);

	/* Both waits succeed with time to spare: success, time left. */
	m0->wait_ret = 7;
	m1->wait_ret = 7;
	KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_WRITE,
						    true, 10), 7);
	KUNIT_EXPECT_EQ(test, atomic_read(&m0->wait_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&m1->wait_calls), 1);
	KUNIT_EXPECT_TRUE(test, m0->last_wait_intr);
	KUNIT_EXPECT_LE(test, m0->last_wait_timeout, 10);
	KUNIT_EXPECT_LE(test, m1->last_wait_timeout, 10);

	/* An interrupted wait ends it with -ERESTARTSYS. */
	m0->wait_ret = -ERESTARTSYS;
	m1->wait_ret = -ERESTARTSYS;
	KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_WRITE,
						    true, 10), -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, atomic_read(&m0->wait_calls) +
			atomic_read(&m1->wait_calls), 3);

	/* A wait that timed out ends it with 0. */
	m0->wait_ret = 0;
	m1->wait_ret = 0;
	KUNIT_EXPECT_EQ(test, dma_resv_wait_timeout(&obj, DMA_RESV_USAGE_WRITE,
						    false, 10), 0);
	KUNIT_EXPECT_FALSE(test, m0->last_wait_intr && m1->last_wait_intr);

	dma_resv_fini(&obj);
	put_fences(f, 2);
}

static void set_deadline_reaches_fences_of_query(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	ktime_t deadline = ns_to_ktime(123456789);
	struct dma_resv obj;
	unsigned int u;

	new_fence_per_usage(test, &mock_ops_full, f);
	dma_resv_init(&obj);
	add_fence_per_usage(test, &obj, f);

	dma_resv_set_deadline(&obj, DMA_RESV_USAGE_WRITE, deadline);
	for (u = 0; u < NUM_USAGES; u++) {
		struct mock_fence *mf = to_mock_fence(f[u]);

		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&mf->deadline_calls),
				    u <= DMA_RESV_USAGE_WRITE ? 1 : 0,
				    "fence %u", u);
		if (u <= DMA_RESV_USAGE_WRITE)
			KUNIT_EXPECT_EQ(test, ktime_to_ns(mf->last_deadline),
					ktime_to_ns(deadline));
	}

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

static void describe_lists_each_fence_with_its_usage(struct kunit *test)
{
	struct dma_fence *f[NUM_USAGES];
	const size_t size = 1024;
	char *buf = kunit_kzalloc(test, size, GFP_KERNEL);
	struct dma_resv obj;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	new_fence_per_usage(test, &mock_ops_plain, f);
	dma_resv_init(&obj);

	lock_resv(test, &obj);
	describe_into(&obj, buf, size);
	dma_resv_unlock(&obj);
	KUNIT_EXPECT_STREQ(test, buf, "");

	add_fence_per_usage(test, &obj, f);
	dma_fence_signal(f[DMA_RESV_USAGE_WRITE]);
	lock_resv(test, &obj);
	describe_into(&obj, buf, size);
	dma_resv_unlock(&obj);

	/* One line per fence: its class, then the fence's own summary. */
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "kernel"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "write"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "read"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "seq 100 unsignalled"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "seq 102 unsignalled"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, MOCK_DRIVER_NAME));
	KUNIT_EXPECT_GE(test, count_substr(buf, "\n"), 3);
	KUNIT_EXPECT_LE(test, count_substr(buf, "\n"), NUM_USAGES);
	kunit_info(test, "describe printed:\n%s", buf);

	dma_resv_fini(&obj);
	put_fences(f, NUM_USAGES);
}

/*
 * Races: an unlocked reader (side A) against a locked writer (side B).
 *
 * Each round starts from a fresh object holding base fences 0..5 with the
 * usages below. The writer then adds a later fence on the context of
 * fence 0 (superseding it), replaces the context of fence 1, signals
 * fence 2 and adds two fences on new contexts, with a reservation big
 * enough on odd rounds to need a new fence array. Fences 3, 4 and 5 stay
 * pending in the object all round long: whatever the reader does, it must
 * report them (those its usage covers), exactly once after its last
 * restart. Every fence is released by the object or the reader, so the
 * writer's replacements free memory the reader might still be looking at.
 */
enum {
	RR_SUPERSEDED,
	RR_REPLACED,
	RR_SIGNALLED,
	RR_STABLE_FIRST,
	RR_BASE = RR_STABLE_FIRST + 3,
	RR_SUCCESSOR = RR_BASE,
	RR_REPLACEMENT,
	RR_NEW_FIRST,
	RR_ALL = RR_NEW_FIRST + 2,
};

#define RR_SEEN_MAX	32
/* Longest pause of the walking reader per fence, in microseconds. */
#define RR_WALK_DELAY_US	40
#define RR_ROUNDS	400
#define RR_BUDGET	(3 * HZ)

static const enum dma_resv_usage rr_usage[RR_ALL] = {
	[RR_SUPERSEDED] = DMA_RESV_USAGE_READ,
	[RR_REPLACED] = DMA_RESV_USAGE_WRITE,
	[RR_SIGNALLED] = DMA_RESV_USAGE_KERNEL,
	[RR_STABLE_FIRST] = DMA_RESV_USAGE_KERNEL,
	[RR_STABLE_FIRST + 1] = DMA_RESV_USAGE_WRITE,
	[RR_STABLE_FIRST + 2] = DMA_RESV_USAGE_BOOKKEEP,
	[RR_SUCCESSOR] = DMA_RESV_USAGE_READ,
	[RR_REPLACEMENT] = DMA_RESV_USAGE_BOOKKEEP,
	[RR_NEW_FIRST] = DMA_RESV_USAGE_KERNEL,
	[RR_NEW_FIRST + 1] = DMA_RESV_USAGE_READ,
};

/* What the reader does in a round. */
enum rr_reader {
	RR_WALK,
	RR_GET_FENCES,
	RR_COPY,
	RR_SINGLETON,
	RR_TEST_AND_WAIT,
	RR_READERS,
};

/**
 * struct resv_race - state of the reader/writer race
 * @obj: the round's object
 * @fences: every fence of the round, for identity only (no reference)
 * @writer_refs: references to the writer's fences until it has added them
 * @releases: fences of the round released so far
 * @readers: reader kinds played in turn, @nreaders of them
 * @nreaders: entries in @readers
 * @reader: this round's reader
 * @usage: this round's query class
 * @seen: fences the reader reported since its last restart, referenced
 * @nseen: entries in @seen
 * @round: rounds prepared so far
 * @writer_steps: bumped by the writer whenever it takes or drops the lock
 * @overlapped: rounds in which the writer moved while the reader ran
 * @restarted: rounds in which the reader's walk restarted
 * @bad_setup: rounds that could not be set up or changed as planned
 * @bad_dead: fences handed out without a reference
 * @bad_foreign: fences handed out that the round never added
 * @bad_usage: fences reported with a class the query excludes
 * @bad_skip: stable fences missing after the last restart
 * @bad_dup: fences reported twice after the last restart
 * @bad_result: wrong return values, or more fences than could exist
 * @bad_leak: rounds that ended with a fence not released
 */
struct resv_race {
	struct dma_resv obj;
	struct dma_fence *fences[RR_ALL];
	struct dma_fence *writer_refs[RR_ALL];
	atomic_t releases;
	const enum rr_reader *readers;
	unsigned int nreaders;
	enum rr_reader reader;
	enum dma_resv_usage usage;
	struct dma_fence *seen[RR_SEEN_MAX];
	unsigned int nseen;
	unsigned int round;
	atomic_t writer_steps;
	unsigned int overlapped;
	unsigned int restarted;
	unsigned int bad_setup;
	unsigned int bad_dead;
	unsigned int bad_foreign;
	unsigned int bad_usage;
	unsigned int bad_skip;
	unsigned int bad_dup;
	unsigned int bad_result;
	unsigned int bad_leak;
};

/* True if @fence is one of the round's fences; never dereferences it. */
static bool rr_known(struct resv_race *rr, struct dma_fence *fence)
{
	return fence_in(fence, rr->fences, RR_ALL);
}

/* Drop the reader's references and forget what it saw. */
static void rr_forget(struct resv_race *rr)
{
	put_fences(rr->seen, rr->nseen);
	rr->nseen = 0;
}

/*
 * Record a fence the reader was handed, taking over @ref (a reference
 * the caller owns) or, if @ref is false, taking a reference of its own.
 */
static void rr_note(struct resv_race *rr, struct dma_fence *fence, bool ref)
{
	if (!rr_known(rr, fence)) {
		/* Not ours: do not even look at it. */
		rr->bad_foreign++;
		return;
	}
	if (!kref_read(&fence->refcount)) {
		rr->bad_dead++;
		return;
	}
	if (rr->nseen == RR_SEEN_MAX) {
		rr->bad_result++;
		if (ref)
			dma_fence_put(fence);
		return;
	}
	rr->seen[rr->nseen++] = ref ? fence : dma_fence_get(fence);
}

/* Free whatever prepare had allocated when it gives up half way. */
static void rr_drop_unadded(struct resv_race *rr, unsigned int n)
{
	put_fences(rr->fences, n);
}

/* Side A, before a round: a fresh object with the base fences. */
static bool rr_prepare(struct fence_race *race)
{
	struct resv_race *rr = race->data;
	u64 ctx = dma_fence_context_alloc(RR_ALL);
	unsigned int i;

	rr->round++;
	rr->reader = rr->readers[rr->round % rr->nreaders];
	rr->usage = (rr->round / rr->nreaders) % NUM_USAGES;
	if (rr->reader == RR_COPY)
		rr->usage = DMA_RESV_USAGE_BOOKKEEP;
	rr->nseen = 0;
	atomic_set(&rr->releases, 0);

	for (i = 0; i < RR_ALL; i++) {
		/* The successor shares fence 0's context, one seqno on. */
		u64 c = i == RR_SUCCESSOR ? ctx + RR_SUPERSEDED : ctx + i;
		struct dma_fence *f;

		f = mock_fence_alloc(&mock_ops_plain, c,
				     i == RR_SUCCESSOR ? 2 : 1);
		if (!f) {
			rr_drop_unadded(rr, i);
			rr->bad_setup++;
			return false;
		}
		to_mock_fence(f)->release_count = &rr->releases;
		rr->fences[i] = f;
		rr->writer_refs[i] = i >= RR_BASE ? f : NULL;
	}

	dma_resv_init(&rr->obj);
	dma_resv_lock(&rr->obj, NULL);
	if (dma_resv_reserve_fences(&rr->obj, RR_BASE)) {
		dma_resv_unlock(&rr->obj);
		dma_resv_fini(&rr->obj);
		rr_drop_unadded(rr, RR_ALL);
		rr->bad_setup++;
		return false;
	}
	for (i = 0; i < RR_BASE; i++) {
		dma_resv_add_fence(&rr->obj, rr->fences[i], rr_usage[i]);
		/* From now on the object is the only owner. */
		dma_fence_put(rr->fences[i]);
	}
	dma_resv_unlock(&rr->obj);
	return true;
}

/* Add one of the writer's fences and hand its reference to the object. */
static void rr_writer_add(struct resv_race *rr, unsigned int i)
{
	dma_resv_add_fence(&rr->obj, rr->fences[i], rr_usage[i]);
	dma_fence_put(rr->writer_refs[i]);
	rr->writer_refs[i] = NULL;
}

/* Writer's lock and unlock, counted so the reader can tell it moved. */
static void rr_writer_lock(struct resv_race *rr)
{
	dma_resv_lock(&rr->obj, NULL);
	atomic_inc(&rr->writer_steps);
}

static void rr_writer_unlock(struct resv_race *rr)
{
	atomic_inc(&rr->writer_steps);
	dma_resv_unlock(&rr->obj);
}

/* Side B: the writer, in two lock sections. */
static void rr_writer(struct fence_race *race)
{
	struct resv_race *rr = race->data;
	unsigned int slots = rr->round & 1 ? 64 : 2;

	rr_writer_lock(rr);
	if (dma_resv_reserve_fences(&rr->obj, slots)) {
		rr->bad_setup++;
		rr_writer_unlock(rr);
		return;
	}
	rr_writer_add(rr, RR_SUCCESSOR);
	dma_resv_replace_fences(&rr->obj, rr->fences[RR_REPLACED]->context,
				rr->fences[RR_REPLACEMENT],
				rr_usage[RR_REPLACEMENT]);
	dma_fence_put(rr->writer_refs[RR_REPLACEMENT]);
	rr->writer_refs[RR_REPLACEMENT] = NULL;
	rr_writer_unlock(rr);

	rr_writer_lock(rr);
	if (dma_resv_reserve_fences(&rr->obj, 2)) {
		rr->bad_setup++;
		rr_writer_unlock(rr);
		return;
	}
	/* The object still owns it: the lock keeps it alive. */
	dma_fence_signal(rr->fences[RR_SIGNALLED]);
	rr_writer_add(rr, RR_NEW_FIRST);
	rr_writer_add(rr, RR_NEW_FIRST + 1);
	rr_writer_unlock(rr);
}

/*
 * The unlocked walk, slowed down per fence so that it spans the writer's
 * lock sections more often.
 */
static void rr_read_walk(struct resv_race *rr)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int restarts = 0;

	dma_resv_iter_begin(&cursor, &rr->obj, rr->usage);
	dma_resv_for_each_fence_unlocked(&cursor, f) {
		if (dma_resv_iter_is_restarted(&cursor)) {
			rr_forget(rr);
			restarts++;
		}
		if (dma_resv_iter_usage(&cursor) > rr->usage)
			rr->bad_usage++;
		rr_note(rr, f, false);
		udelay(get_random_u32_below(RR_WALK_DELAY_US));
	}
	dma_resv_iter_end(&cursor);
	if (restarts > 1)
		rr->restarted++;
}

/* dma_resv_get_fences() of the query class. */
static void rr_read_get_fences(struct resv_race *rr)
{
	struct dma_fence **got = NULL;
	unsigned int i, n = 0;

	if (dma_resv_get_fences(&rr->obj, rr->usage, &n, &got)) {
		rr->bad_result++;
		return;
	}
	for (i = 0; i < n; i++)
		rr_note(rr, got[i], true);
	kfree(got);
}

/* dma_resv_copy_fences() into a private object, then a locked walk. */
static void rr_read_copy(struct resv_race *rr)
{
	const enum dma_resv_usage *usage = rr_usage;
	struct dma_resv_iter cursor;
	struct dma_resv dst;
	struct dma_fence *f;
	unsigned int i;

	dma_resv_init(&dst);
	dma_resv_lock(&dst, NULL);
	if (dma_resv_copy_fences(&dst, &rr->obj))
		rr->bad_result++;
	dma_resv_for_each_fence(&cursor, &dst, DMA_RESV_USAGE_BOOKKEEP, f) {
		rr_note(rr, f, false);
		/* The copy keeps each fence's class. */
		for (i = 0; i < RR_ALL; i++)
			if (rr->fences[i] == f &&
			    dma_resv_iter_usage(&cursor) != usage[i])
				rr->bad_usage++;
	}
	dma_resv_unlock(&dst);
	dma_resv_fini(&dst);
}

/* dma_resv_get_singleton(): one fence, or an array of several. */
static void rr_read_singleton(struct resv_race *rr)
{
	struct dma_fence_array *array;
	struct dma_fence *single = NULL;
	unsigned int i;

	if (dma_resv_get_singleton(&rr->obj, rr->usage, &single)) {
		rr->bad_result++;
		return;
	}
	if (!single)
		return;
	array = to_dma_fence_array(single);
	if (!array) {
		rr_note(rr, single, true);
		return;
	}
	for (i = 0; i < array->num_fences; i++)
		rr_note(rr, array->fences[i], false);
	dma_fence_put(single);
}

/* The stable fences keep the object busy, whatever the writer does. */
static void rr_read_test_and_wait(struct resv_race *rr)
{
	if (dma_resv_test_signaled(&rr->obj, rr->usage))
		rr->bad_skip++;
	if (dma_resv_wait_timeout(&rr->obj, rr->usage, false, 0) != 0)
		rr->bad_skip++;
}

/* Side A: the reader of the round. */
static void rr_reader(struct fence_race *race)
{
	struct resv_race *rr = race->data;
	int before = atomic_read(&rr->writer_steps);

	switch (rr->reader) {
	case RR_WALK:
		rr_read_walk(rr);
		break;
	case RR_GET_FENCES:
		rr_read_get_fences(rr);
		break;
	case RR_COPY:
		rr_read_copy(rr);
		break;
	case RR_SINGLETON:
		rr_read_singleton(rr);
		break;
	default:
		rr_read_test_and_wait(rr);
		break;
	}
	if (atomic_read(&rr->writer_steps) != before)
		rr->overlapped++;
}

/* Side A, after the round: judge the reader, tear down, count releases. */
static void rr_settle(struct fence_race *race)
{
	struct resv_race *rr = race->data;
	unsigned int i, j, hits;

	for (i = 0; i < rr->nseen; i++)
		for (j = i + 1; j < rr->nseen; j++)
			if (rr->seen[i] == rr->seen[j])
				rr->bad_dup++;
	if (rr->reader != RR_TEST_AND_WAIT) {
		for (i = RR_STABLE_FIRST; i < RR_BASE; i++) {
			if (rr_usage[i] > rr->usage)
				continue;
			hits = 0;
			for (j = 0; j < rr->nseen; j++)
				hits += rr->seen[j] == rr->fences[i];
			if (!hits)
				rr->bad_skip++;
		}
	}
	rr_forget(rr);
	dma_resv_fini(&rr->obj);
	/* Fences the writer never got to add (it gave up). */
	for (i = 0; i < RR_ALL; i++)
		if (rr->writer_refs[i])
			dma_fence_put(rr->writer_refs[i]);
	if (atomic_read(&rr->releases) != RR_ALL)
		rr->bad_leak++;
}

/* Play the race with the given readers in turn and check its tally. */
static void run_resv_race(struct kunit *test, const enum rr_reader *readers,
			  unsigned int nreaders)
{
	struct resv_race *rr = kunit_kzalloc(test, sizeof(*rr), GFP_KERNEL);
	struct fence_race race = {
		.prepare = rr_prepare,
		.act_a = rr_reader,
		.act_b = rr_writer,
		.settle = rr_settle,
		.max_rounds = RR_ROUNDS,
		.budget = RR_BUDGET,
	};

	KUNIT_ASSERT_NOT_NULL(test, rr);
	rr->readers = readers;
	rr->nreaders = nreaders;
	race.data = rr;

	fence_race_run(test, &race);
	KUNIT_EXPECT_EQ(test, rr->bad_setup, 0);
	KUNIT_EXPECT_EQ(test, rr->bad_dead, 0);
	KUNIT_EXPECT_EQ(test, rr->bad_foreign, 0);
	KUNIT_EXPECT_EQ(test, rr->bad_usage, 0);
	KUNIT_EXPECT_EQ(test, rr->bad_skip, 0);
	KUNIT_EXPECT_EQ(test, rr->bad_dup, 0);
	KUNIT_EXPECT_EQ(test, rr->bad_result, 0);
	KUNIT_EXPECT_EQ(test, rr->bad_leak, 0);
	kunit_info(test, "%u rounds, %u overlapping the writer, %u with a restarted walk\n",
		   race.rounds, rr->overlapped, rr->restarted);
}

static void race_unlocked_walk_with_writer(struct kunit *test)
{
	static const enum rr_reader walk_only[] = { RR_WALK };

	run_resv_race(test, walk_only, ARRAY_SIZE(walk_only));
}

static void race_unlocked_helpers_with_writer(struct kunit *test)
{
	static const enum rr_reader helpers[] = {
		RR_GET_FENCES, RR_COPY, RR_SINGLETON, RR_TEST_AND_WAIT,
	};

	run_resv_race(test, helpers, ARRAY_SIZE(helpers));
}

static struct kunit_case dma_resv_cases[] = {
	KUNIT_CASE(init_leaves_object_empty_and_unlocked),
	KUNIT_CASE(fini_drops_the_references_of_all_fences),
	KUNIT_CASE(lock_and_unlock_without_context),
	KUNIT_CASE(trylock_fails_while_another_thread_holds_lock),
	KUNIT_CASE(interruptible_calls_stop_on_signal),
	KUNIT_CASE(lock_with_context_records_it_and_refuses_relock),
	KUNIT_CASE(younger_context_backs_off_with_lock_slow),
	KUNIT_CASE(younger_context_backs_off_with_slow_interruptible),
	KUNIT_CASE(usage_rw_makes_writers_wait_for_readers),
	KUNIT_CASE(usage_classes_filter_the_locked_walk),
	KUNIT_CASE(usage_classes_filter_the_unlocked_walk),
	KUNIT_CASE(add_fence_takes_a_reference),
	KUNIT_CASE(add_later_fence_of_a_context_replaces_earlier),
	KUNIT_CASE(add_earlier_fence_keeps_later_of_same_context),
	KUNIT_CASE(add_same_fence_twice_keeps_one_entry),
	KUNIT_CASE(add_with_stronger_usage_promotes_the_fence),
	KUNIT_CASE(add_with_weaker_usage_never_degrades),
	KUNIT_CASE(add_reuses_the_slot_of_a_signalled_fence),
	KUNIT_CASE_SLOW(add_reuses_slots_of_fences_done_when_polled),
	KUNIT_CASE(reserve_covers_the_fences_added_after_it),
	KUNIT_CASE(reserve_and_fill_a_thousand_fences),
	KUNIT_CASE(reserve_failure_leaves_the_object_intact),
	KUNIT_CASE(replace_fences_swaps_every_fence_of_context),
	KUNIT_CASE(replace_fences_without_match_changes_nothing),
	KUNIT_CASE(locked_walk_flags_only_first_fence_restarted),
	KUNIT_CASE(locked_walk_survives_a_reservation_midway),
	KUNIT_CASE(unlocked_walk_holds_a_reference_outside_rcu),
	KUNIT_CASE(unlocked_walk_skips_nothing_pending),
	KUNIT_CASE(unlocked_walk_survives_changes_midway),
	KUNIT_CASE(get_fences_returns_referenced_matching_fences),
	KUNIT_CASE(get_singleton_of_none_one_and_many),
	KUNIT_CASE(copy_fences_mirrors_source_and_drops_old),
	KUNIT_CASE(copy_fences_from_empty_source_empties_dst),
	KUNIT_CASE(test_signaled_follows_the_usage_classes),
	KUNIT_CASE(test_signaled_polls_the_provider),
	KUNIT_CASE(wait_timeout_zero_only_polls),
	KUNIT_CASE(wait_timeout_on_signalled_returns_time_left),
	KUNIT_CASE(wait_timeout_expires_on_pending_fence),
	KUNIT_CASE(wait_timeout_wakes_when_all_fences_signal),
	KUNIT_CASE(wait_timeout_reports_what_a_fence_wait_says),
	KUNIT_CASE(set_deadline_reaches_fences_of_query),
	KUNIT_CASE(describe_lists_each_fence_with_its_usage),
	KUNIT_CASE_SLOW(race_unlocked_walk_with_writer),
	KUNIT_CASE_SLOW(race_unlocked_helpers_with_writer),
	{}
};

static struct kunit_suite dma_resv_suite = {
	.name = "dma-resv",
	.test_cases = dma_resv_cases,
};

kunit_test_suite(dma_resv_suite);

MODULE_DESCRIPTION("KUnit tests for the dma-buf reservation object");
MODULE_LICENSE("GPL");
