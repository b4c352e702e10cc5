// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit case that deliberately provokes lockdep's report of a dependency
 * cycle between a lock and dma-fence signalling.
 */

#include <kunit/test.h>
#include <linux/dma-fence.h>
#include <linux/module.h>
#include <linux/mutex.h>

#include "fence-helpers.h"

/**
 * DOC: dma-fence-lockdep-splat KUnit suite
 *
 * The signalling annotations exist so that lockdep can see a deadlock that
 * never needs to happen at run time to be real: one thread takes a lock on
 * the path that will signal a fence, another waits for that fence while
 * holding the same lock. Each thread alone is fine; together they can block
 * each other forever. This suite's single case plays both roles one after
 * the other in one thread, so nothing can actually block, and lockdep must
 * still record "lock inside a signalling section" followed by "wait while
 * holding the lock" and report a possible circular locking dependency.
 *
 * The case itself passes: the verdict is the report in the kernel log,
 * which the harness looks for. That is also why this is a module of its own,
 * loaded only in a dedicated boot and never together with other suites:
 * lockdep switches itself off after its first report, which would leave the
 * rest of a shared boot unchecked, and the report is exactly the kind of
 * log line that fails every other boot.
 *
 * The sequence, with A a mutex and f an already signalled fence::
 *
 *	bool in_section = dma_fence_begin_signalling();
 *	mutex_lock(&A);
 *	mutex_unlock(&A);
 *	dma_fence_end_signalling(in_section);
 *
 *	mutex_lock(&A);
 *	dma_fence_wait(f, false);
 *	mutex_unlock(&A);
 */

static void lock_in_signalling_path_then_wait_under_it(struct kunit *test)
{
	struct dma_fence *f;
	/* Stands for any lock a driver might take on its signalling path. */
	struct mutex a;
	signed long ret;
	bool cookie;

	f = mock_fence_new(test, &mock_ops_plain, dma_fence_context_alloc(1),
			   1);
	KUNIT_ASSERT_EQ(test, dma_fence_signal(f), 0);
	mutex_init(&a);

	/* The signalling side: A is taken on the way to a signal. */
	cookie = dma_fence_begin_signalling();
	mutex_lock(&a);
	mutex_unlock(&a);
	dma_fence_end_signalling(cookie);

	/*
	 * The waiting side: A is held across a wait. The fence is already
	 * signalled, so the wait returns at once, but it is still annotated
	 * as a wait and closes the cycle for lockdep.
	 */
	mutex_lock(&a);
	ret = dma_fence_wait(f, false);
	mutex_unlock(&a);

	KUNIT_EXPECT_EQ(test, ret, 0);
	mutex_destroy(&a);
	dma_fence_put(f);
}

static struct kunit_case dma_fence_lockdep_cases[] = {
	KUNIT_CASE(lock_in_signalling_path_then_wait_under_it),
	{}
};

static struct kunit_suite dma_fence_lockdep_suite = {
	.name = "dma-fence-lockdep-splat",
	.test_cases = dma_fence_lockdep_cases,
};

kunit_test_suite(dma_fence_lockdep_suite);

MODULE_DESCRIPTION("KUnit case provoking a dma-fence lockdep report");
MODULE_LICENSE("GPL");
