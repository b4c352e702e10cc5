// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for dma_fence_array: construction, ownership of the member
 * fences, all-or-any completion, error propagation, iteration, context
 * matching and deadline forwarding.
 */

#include <kunit/test.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "fence-helpers.h"

/**
 * DOC: dma-fence-array KUnit suite
 *
 * The "dma-fence-array" suite builds arrays over mock member fences (see
 * fence-helpers.h) and checks what a user of &struct dma_fence_array relies
 * on: the array owns the member references it was given, signals once all
 * (or, with signal_on_any, one) of its members did, reports the first
 * member error, and iterates like a single fence when handed a plain one.
 * Completion may be delivered from irq_work, so cases that expect the array
 * to signal wait for it with a bounded timeout.
 *
 * Typical shape of a case::
 *
 *	struct dma_fence **members = own_members(test, m, 3);
 *	struct dma_fence_array *array;
 *
 *	array = dma_fence_array_create(3, members, ctx, 1, false);
 *	dma_fence_enable_sw_signaling(&array->base);
 *	signal_all(m, 3);
 *	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false, HZ), 0);
 */

#define MEMBERS		3
/* Plenty for an irq_work to run, even under TCG with KASAN. */
#define SIGNAL_WAIT	(5 * HZ)

/*
 * Fill @m with @n pending full-featured mock fences, each on a context of
 * its own. The caller owns one reference to each.
 */
static void new_members(struct kunit *test, struct dma_fence **m, int n)
{
	u64 ctx = dma_fence_context_alloc(n);
	int i;

	for (i = 0; i < n; i++)
		m[i] = mock_fence_new(test, &mock_ops_full, ctx + i, 1);
}

/*
 * Build the kmalloc'ed fence table an array takes over: one new reference
 * to each of @m, so the caller keeps its own.
 */
static struct dma_fence **own_members(struct kunit *test,
				      struct dma_fence **m, int n)
{
	struct dma_fence **table = kmalloc_array(n, sizeof(*table),
						 GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, table);
	for (i = 0; i < n; i++)
		table[i] = dma_fence_get(m[i]);
	return table;
}

/* Create an array over new references to @m; abort the case on failure. */
static struct dma_fence_array *new_array(struct kunit *test,
					 struct dma_fence **m, int n,
					 bool signal_on_any)
{
	struct dma_fence **table = own_members(test, m, n);
	struct dma_fence_array *array;

	array = dma_fence_array_create(n, table, dma_fence_context_alloc(1),
				       1, signal_on_any);
	if (!array) {
		while (n--)
			dma_fence_put(table[n]);
		kfree(table);
	}
	KUNIT_ASSERT_NOT_NULL(test, array);
	return array;
}

/*
 * Signal whatever is still pending of @m and drop the caller's references.
 * Every case ends with it so that no member is released with the array's
 * callback still queued.
 */
static void retire_members(struct dma_fence **m, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		dma_fence_signal(m[i]);
		dma_fence_put(m[i]);
	}
}

static void create_takes_over_members_and_identity(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence **table;
	struct dma_fence_array *array;
	u64 ctx = dma_fence_context_alloc(1);
	int i;

	new_members(test, m, MEMBERS);
	table = own_members(test, m, MEMBERS);
	array = dma_fence_array_create(MEMBERS, table, ctx, 9, false);
	KUNIT_ASSERT_NOT_NULL(test, array);

	KUNIT_EXPECT_EQ(test, array->base.context, ctx);
	KUNIT_EXPECT_EQ(test, array->base.seqno, 9);
	KUNIT_EXPECT_EQ(test, array->num_fences, MEMBERS);
	KUNIT_EXPECT_PTR_EQ(test, array->fences, table);
	KUNIT_EXPECT_EQ(test, kref_read(&array->base.refcount), 1);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_array(&array->base));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_container(&array->base));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_chain(&array->base));
	KUNIT_EXPECT_PTR_EQ(test, to_dma_fence_array(&array->base), array);
	KUNIT_EXPECT_NULL(test, to_dma_fence_array(m[0]));
	KUNIT_EXPECT_NULL(test, to_dma_fence_array(NULL));
	for (i = 0; i < MEMBERS; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&m[i]->refcount), 2);

	/* Releasing the array drops exactly the references it was given. */
	dma_fence_put(&array->base);
	for (i = 0; i < MEMBERS; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&m[i]->refcount), 1);
	retire_members(m, MEMBERS);
}

static void pending_array_reports_status_zero(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;

	new_members(test, m, MEMBERS);
	array = new_array(test, m, MEMBERS, false);

	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), 0);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&array->base));
	KUNIT_EXPECT_EQ(test, dma_fence_wait_timeout(&array->base, false, 0),
			0);
	retire_members(m, MEMBERS);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false,
						     SIGNAL_WAIT), 0);
	dma_fence_put(&array->base);
}

static void signals_only_after_every_member(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;
	int i;

	new_members(test, m, MEMBERS);
	array = new_array(test, m, MEMBERS, false);
	dma_fence_enable_sw_signaling(&array->base);

	for (i = 0; i < MEMBERS - 1; i++) {
		dma_fence_signal(m[i]);
		KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&array->base));
	}
	dma_fence_signal(m[MEMBERS - 1]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false,
						     SIGNAL_WAIT), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), 1);
	KUNIT_EXPECT_EQ(test, array->base.error, 0);

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

static void signal_on_any_signals_after_first_member(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;

	new_members(test, m, MEMBERS);
	array = new_array(test, m, MEMBERS, true);
	dma_fence_enable_sw_signaling(&array->base);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&array->base));

	dma_fence_signal(m[1]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false,
						     SIGNAL_WAIT), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), 1);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(m[0]));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(m[2]));

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

static void reports_error_of_first_failed_member(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;

	new_members(test, m, MEMBERS);
	array = new_array(test, m, MEMBERS, false);
	dma_fence_enable_sw_signaling(&array->base);

	dma_fence_set_error(m[2], -EIO);
	dma_fence_signal(m[2]);
	dma_fence_set_error(m[0], -ENODEV);
	dma_fence_signal(m[0]);
	dma_fence_signal(m[1]);

	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false,
						     SIGNAL_WAIT), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), -EIO);
	KUNIT_EXPECT_EQ(test, array->base.error, -EIO);

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

static void signal_on_any_reports_error_of_that_member(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;

	new_members(test, m, MEMBERS);
	array = new_array(test, m, MEMBERS, true);
	dma_fence_enable_sw_signaling(&array->base);

	dma_fence_set_error(m[1], -EPIPE);
	dma_fence_signal(m[1]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false,
						     SIGNAL_WAIT), 0);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), -EPIPE);

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

static void enabling_after_members_signalled_completes_at_once(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;
	struct cb_probe probe;
	int i;

	new_members(test, m, MEMBERS);
	for (i = 0; i < MEMBERS; i++)
		dma_fence_signal(m[i]);
	array = new_array(test, m, MEMBERS, false);

	/* Nothing left to wait for: no callback can be queued. */
	cb_probe_init(&probe, NULL);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(&array->base, &probe.cb,
						     cb_probe_func), -ENOENT);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&array->base));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 0);

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

static void enabling_after_failed_members_reports_error(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;
	int i;

	new_members(test, m, MEMBERS);
	dma_fence_set_error(m[0], -EFAULT);
	for (i = 0; i < MEMBERS; i++)
		dma_fence_signal(m[i]);
	array = new_array(test, m, MEMBERS, false);

	dma_fence_enable_sw_signaling(&array->base);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&array->base));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&array->base), -EFAULT);

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

static void is_signaled_without_enabling_checks_members(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *all, *any;
	int i;

	new_members(test, m, MEMBERS);
	all = new_array(test, m, MEMBERS, false);
	any = new_array(test, m, MEMBERS, true);

	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&all->base));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&any->base));

	dma_fence_signal(m[0]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&all->base));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&any->base));

	for (i = 1; i < MEMBERS; i++)
		dma_fence_signal(m[i]);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&all->base));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(&all->base), 1);

	dma_fence_put(&any->base);
	dma_fence_put(&all->base);
	retire_members(m, MEMBERS);
}

static void callback_on_array_runs_once_members_complete(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;
	struct cb_probe probe;

	new_members(test, m, MEMBERS);
	array = new_array(test, m, MEMBERS, false);

	cb_probe_init(&probe, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(&array->base, &probe.cb,
						     cb_probe_func), 0);
	retire_members(m, MEMBERS);

	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false,
						     SIGNAL_WAIT), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);
	KUNIT_EXPECT_TRUE(test, probe.saw_signalled);
	KUNIT_EXPECT_EQ(test, probe.saw_error, 0);
	dma_fence_put(&array->base);
}

static void first_and_next_walk_members_in_order(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;
	struct dma_fence *f;
	unsigned int index, seen = 0;

	new_members(test, m, MEMBERS);
	array = new_array(test, m, MEMBERS, false);

	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_first(&array->base), m[0]);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_next(&array->base, 1), m[1]);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_next(&array->base, 2), m[2]);
	KUNIT_EXPECT_NULL(test, dma_fence_array_next(&array->base, MEMBERS));

	dma_fence_array_for_each(f, index, &array->base) {
		KUNIT_ASSERT_LT(test, seen, MEMBERS);
		KUNIT_EXPECT_EQ(test, index, seen);
		KUNIT_EXPECT_PTR_EQ(test, f, m[seen]);
		seen++;
	}
	KUNIT_EXPECT_EQ(test, seen, MEMBERS);
	/* Iterating takes no references. */
	KUNIT_EXPECT_EQ(test, kref_read(&m[0]->refcount), 2);

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

static void iterators_treat_plain_fence_as_one_member(struct kunit *test)
{
	struct dma_fence *plain = mock_fence_new(test, &mock_ops_plain,
						 dma_fence_context_alloc(1), 1);
	struct dma_fence *f;
	unsigned int index, seen = 0;

	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_first(plain), plain);
	KUNIT_EXPECT_NULL(test, dma_fence_array_next(plain, 1));
	KUNIT_EXPECT_NULL(test, dma_fence_array_first(NULL));

	dma_fence_array_for_each(f, index, plain) {
		KUNIT_ASSERT_EQ(test, seen, 0);
		KUNIT_EXPECT_EQ(test, index, 0);
		KUNIT_EXPECT_PTR_EQ(test, f, plain);
		seen++;
	}
	KUNIT_EXPECT_EQ(test, seen, 1);
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 1);
	dma_fence_put(plain);
}

static void match_context_requires_every_member_to_match(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(2);
	struct dma_fence *same[2], *mixed[2];
	struct dma_fence_array *uniform, *varied;

	same[0] = mock_fence_new(test, &mock_ops_full, ctx, 1);
	same[1] = mock_fence_new(test, &mock_ops_full, ctx, 2);
	mixed[0] = mock_fence_new(test, &mock_ops_full, ctx, 3);
	mixed[1] = mock_fence_new(test, &mock_ops_full, ctx + 1, 1);
	uniform = new_array(test, same, 2, false);
	varied = new_array(test, mixed, 2, false);

	KUNIT_EXPECT_TRUE(test, dma_fence_match_context(&uniform->base, ctx));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(&uniform->base,
							 ctx + 1));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(&varied->base, ctx));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(&varied->base,
							 ctx + 1));
	/* A plain fence is judged by its own context. */
	KUNIT_EXPECT_TRUE(test, dma_fence_match_context(mixed[1], ctx + 1));
	KUNIT_EXPECT_FALSE(test, dma_fence_match_context(mixed[1], ctx));

	dma_fence_put(&varied->base);
	dma_fence_put(&uniform->base);
	retire_members(mixed, 2);
	retire_members(same, 2);
}

static void alloc_and_init_build_a_working_array(struct kunit *test)
{
	struct dma_fence *m[2];
	struct dma_fence **table;
	struct dma_fence_array *array;
	u64 ctx = dma_fence_context_alloc(1);

	new_members(test, m, 2);
	array = dma_fence_array_alloc(2);
	KUNIT_ASSERT_NOT_NULL(test, array);
	table = own_members(test, m, 2);

	/* Initialising the preallocated array cannot fail. */
	dma_fence_array_init(array, 2, table, ctx, 4, false);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_array(&array->base));
	KUNIT_EXPECT_EQ(test, array->base.context, ctx);
	KUNIT_EXPECT_EQ(test, array->base.seqno, 4);
	KUNIT_EXPECT_EQ(test, array->num_fences, 2);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_array_first(&array->base), m[0]);

	dma_fence_enable_sw_signaling(&array->base);
	dma_fence_signal(m[0]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&array->base));
	dma_fence_signal(m[1]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(&array->base, false,
						     SIGNAL_WAIT), 0);

	dma_fence_put(&array->base);
	KUNIT_EXPECT_EQ(test, kref_read(&m[0]->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&m[1]->refcount), 1);
	retire_members(m, 2);
}

static void set_deadline_reaches_pending_members_only(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;
	ktime_t deadline = ktime_add_ms(ktime_get(), 16);

	new_members(test, m, MEMBERS);
	dma_fence_signal(m[1]);
	array = new_array(test, m, MEMBERS, false);

	dma_fence_set_deadline(&array->base, deadline);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(m[0])->deadline_calls),
			1);
	KUNIT_EXPECT_EQ(test, to_mock_fence(m[0])->last_deadline, deadline);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(m[1])->deadline_calls),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&to_mock_fence(m[2])->deadline_calls),
			1);
	KUNIT_EXPECT_EQ(test, to_mock_fence(m[2])->last_deadline, deadline);

	dma_fence_put(&array->base);
	retire_members(m, MEMBERS);
}

/*
 * A member count beyond one kmalloc (which userspace reaches through
 * EXPORT_SYNC_FILE on a buffer holding enough fences) yields NULL without
 * the page allocator's WARN; the test boot fails on any WARN.
 */
static void alloc_beyond_kmalloc_fails_quietly(struct kunit *test)
{
	int fit = (KMALLOC_MAX_SIZE - sizeof(struct dma_fence_array)) /
		  sizeof(struct dma_fence_array_cb);
	struct dma_fence_array *array;

	KUNIT_EXPECT_NULL(test, dma_fence_array_alloc(fit + 1));
	KUNIT_EXPECT_NULL(test, dma_fence_array_alloc(INT_MAX));

	/* Small counts are unaffected by the bound. */
	array = dma_fence_array_alloc(16);
	KUNIT_EXPECT_NOT_NULL(test, array);
	kfree(array);
}

static void release_of_unsignalled_array_drops_members(struct kunit *test)
{
	struct dma_fence *m[MEMBERS];
	struct dma_fence_array *array;
	atomic_t released = ATOMIC_INIT(0);
	int i;

	new_members(test, m, MEMBERS);
	for (i = 0; i < MEMBERS; i++)
		to_mock_fence(m[i])->release_count = &released;
	array = new_array(test, m, MEMBERS, false);

	/* Never enabled, so the array queued nothing on its members. */
	dma_fence_put(&array->base);
	for (i = 0; i < MEMBERS; i++)
		KUNIT_EXPECT_EQ(test, kref_read(&m[i]->refcount), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 0);

	retire_members(m, MEMBERS);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), MEMBERS);
}

static struct kunit_case dma_fence_array_cases[] = {
	KUNIT_CASE(create_takes_over_members_and_identity),
	KUNIT_CASE(pending_array_reports_status_zero),
	KUNIT_CASE(signals_only_after_every_member),
	KUNIT_CASE(signal_on_any_signals_after_first_member),
	KUNIT_CASE(reports_error_of_first_failed_member),
	KUNIT_CASE(signal_on_any_reports_error_of_that_member),
	KUNIT_CASE(enabling_after_members_signalled_completes_at_once),
	KUNIT_CASE(enabling_after_failed_members_reports_error),
	KUNIT_CASE(is_signaled_without_enabling_checks_members),
	KUNIT_CASE(callback_on_array_runs_once_members_complete),
	KUNIT_CASE(first_and_next_walk_members_in_order),
	KUNIT_CASE(iterators_treat_plain_fence_as_one_member),
	KUNIT_CASE(match_context_requires_every_member_to_match),
	KUNIT_CASE(alloc_and_init_build_a_working_array),
	KUNIT_CASE(set_deadline_reaches_pending_members_only),
	KUNIT_CASE(release_of_unsignalled_array_drops_members),
	KUNIT_CASE(alloc_beyond_kmalloc_fails_quietly),
	{}
};

static struct kunit_suite dma_fence_array_suite = {
	.name = "dma-fence-array",
	.test_cases = dma_fence_array_cases,
};

kunit_test_suite(dma_fence_array_suite);

MODULE_DESCRIPTION("KUnit tests for dma_fence_array");
MODULE_LICENSE("GPL");
