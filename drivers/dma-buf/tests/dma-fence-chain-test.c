// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases for dma_fence_chain: timeline and seqno rules of
 * dma_fence_chain_init(), walking with garbage collection of signalled
 * links, seqno lookup, completion, deadline forwarding, release of a very
 * long chain and a walk racing with the signalling of the links.
 */

#include <kunit/test.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-chain.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "fence-helpers.h"

/**
 * DOC: dma-fence-chain KUnit suite
 *
 * The "dma-fence-chain" suite builds chains over mock fences (see
 * fence-helpers.h), one link per mock, and checks what timeline users such
 * as syncobj rely on: a link joins the timeline of its predecessor only
 * when its seqno moves forward, walking drops links whose fence signalled
 * (and frees them), dma_fence_chain_find_seqno() lands on the link that
 * covers a point, and the chain signals once every fence in it did.
 * Reference counts of the contained fences tell exactly which links are
 * still alive.
 *
 * Typical shape of a case::
 *
 *	build_chain(test, leaf, 3, chain);	// seqnos 1..3, chain[2] is head
 *	dma_fence_signal(leaf[1]);
 *	dma_fence_chain_for_each(iter, chain[2])
 *		seen[n++] = iter->seqno;	// 3, 1
 */

#define LINKS		4
#define SIGNAL_WAIT	(5 * HZ)

/*
 * Wrap @fence in a new link after @prev with @seqno. Both references are
 * handed to the link; the caller gets the link's only reference.
 */
static struct dma_fence *add_link(struct kunit *test, struct dma_fence *prev,
				  struct dma_fence *fence, u64 seqno)
{
	struct dma_fence_chain *link = dma_fence_chain_alloc();

	KUNIT_ASSERT_NOT_NULL(test, link);
	dma_fence_chain_init(link, prev, fence, seqno);
	return &link->base;
}

/*
 * Create @n full-featured mock leaves and a chain over them with seqnos
 * 1..@n, oldest first. @leaf[i] keeps the caller's reference, @chain[i] is
 * a borrowed pointer to link i: only the head @chain[@n - 1] is referenced
 * by the caller, the others are held by their successor.
 */
static void build_chain(struct kunit *test, struct dma_fence **leaf, int n,
			struct dma_fence **chain)
{
	u64 ctx = dma_fence_context_alloc(n);
	struct dma_fence *head = NULL;
	int i;

	for (i = 0; i < n; i++) {
		leaf[i] = mock_fence_new(test, &mock_ops_full, ctx + i, 1);
		head = add_link(test, head, dma_fence_get(leaf[i]), i + 1);
		chain[i] = head;
	}
}

/* Signal every leaf still pending, then drop the caller's references. */
static void retire_leaves(struct dma_fence **leaf, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		dma_fence_signal(leaf[i]);
		dma_fence_put(leaf[i]);
	}
}

/* The link @link currently points back to (no reference taken). */
static struct dma_fence *prev_of(struct dma_fence *link)
{
	return rcu_access_pointer(to_dma_fence_chain(link)->prev);
}

static void init_without_prev_starts_a_new_timeline(struct kunit *test)
{
	struct dma_fence *leaf = mock_fence_new(test, &mock_ops_full,
						dma_fence_context_alloc(1), 1);
	struct dma_fence *a = add_link(test, NULL, dma_fence_get(leaf), 5);
	struct dma_fence *b = add_link(test, NULL, dma_fence_get(leaf), 5);
	struct dma_fence_chain *chain = to_dma_fence_chain(a);

	KUNIT_ASSERT_NOT_NULL(test, chain);
	KUNIT_EXPECT_EQ(test, a->seqno, 5);
	KUNIT_EXPECT_NE(test, a->context, leaf->context);
	KUNIT_EXPECT_NE(test, a->context, b->context);
	KUNIT_EXPECT_NULL(test, prev_of(a));
	KUNIT_EXPECT_EQ(test, chain->prev_seqno, 0);
	KUNIT_EXPECT_PTR_EQ(test, chain->fence, leaf);
	KUNIT_EXPECT_EQ(test, kref_read(&a->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&leaf->refcount), 3);

	KUNIT_EXPECT_TRUE(test, dma_fence_is_chain(a));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_container(a));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_array(a));
	KUNIT_EXPECT_NULL(test, to_dma_fence_chain(leaf));
	KUNIT_EXPECT_NULL(test, to_dma_fence_chain(NULL));
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_chain_contained(a), leaf);
	KUNIT_EXPECT_PTR_EQ(test, dma_fence_chain_contained(leaf), leaf);
	KUNIT_EXPECT_TRUE(test, dma_fence_chain_ops.use_64bit_seqno);

	dma_fence_put(b);
	dma_fence_put(a);
	KUNIT_EXPECT_EQ(test, kref_read(&leaf->refcount), 1);
	retire_leaves(&leaf, 1);
}

static void init_with_later_seqno_extends_the_timeline(struct kunit *test)
{
	struct dma_fence *leaf[1], *chain[1];
	struct dma_fence *head;

	build_chain(test, leaf, 1, chain);
	head = add_link(test, chain[0], dma_fence_get(leaf[0]), 3);

	KUNIT_EXPECT_EQ(test, head->context, chain[0]->context);
	KUNIT_EXPECT_EQ(test, head->seqno, 3);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(head)->prev_seqno, 1);
	KUNIT_EXPECT_PTR_EQ(test, prev_of(head), chain[0]);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_later(head, chain[0]));

	dma_fence_put(head);
	retire_leaves(leaf, 1);
}

static void init_with_stale_seqno_starts_a_new_context(struct kunit *test)
{
	struct dma_fence *leaf = mock_fence_new(test, &mock_ops_full,
						dma_fence_context_alloc(1), 1);
	struct dma_fence *old, *head;

	old = add_link(test, NULL, dma_fence_get(leaf), 5);
	head = add_link(test, old, dma_fence_get(leaf), 2);

	/* Still linked, but on a timeline of its own, never going back. */
	KUNIT_EXPECT_NE(test, head->context, old->context);
	KUNIT_EXPECT_EQ(test, head->seqno, 5);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(head)->prev_seqno, 0);
	KUNIT_EXPECT_PTR_EQ(test, prev_of(head), old);

	dma_fence_put(head);
	KUNIT_EXPECT_EQ(test, kref_read(&leaf->refcount), 1);
	retire_leaves(&leaf, 1);
}

static void init_after_plain_fence_starts_a_new_context(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(1);
	struct dma_fence *plain = mock_fence_new(test, &mock_ops_full, ctx, 10);
	struct dma_fence *leaf = mock_fence_new(test, &mock_ops_full, ctx, 11);
	struct dma_fence *head;

	head = add_link(test, dma_fence_get(plain), dma_fence_get(leaf), 3);
	KUNIT_EXPECT_NE(test, head->context, ctx);
	KUNIT_EXPECT_EQ(test, head->seqno, 3);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(head)->prev_seqno, 0);
	KUNIT_EXPECT_PTR_EQ(test, prev_of(head), plain);
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 2);

	dma_fence_put(head);
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 1);
	retire_leaves(&leaf, 1);
	retire_leaves(&plain, 1);
}

static void init_compares_seqnos_in_64_bit(struct kunit *test)
{
	struct dma_fence *leaf[1], *chain[1];
	struct dma_fence *head;

	/* In 32 bits, 0x100000000 would not be later than 1. */
	build_chain(test, leaf, 1, chain);
	head = add_link(test, chain[0], dma_fence_get(leaf[0]),
			0x100000000ULL);

	KUNIT_EXPECT_EQ(test, head->context, chain[0]->context);
	KUNIT_EXPECT_EQ(test, head->seqno, 0x100000000ULL);
	KUNIT_EXPECT_EQ(test, to_dma_fence_chain(head)->prev_seqno, 1);

	dma_fence_put(head);
	retire_leaves(leaf, 1);
}

static void iteration_visits_pending_links_newest_first(struct kunit *test)
{
	struct dma_fence *leaf[LINKS], *chain[LINKS];
	struct dma_fence *iter;
	int seen = 0;

	build_chain(test, leaf, LINKS, chain);
	dma_fence_chain_for_each(iter, chain[LINKS - 1]) {
		KUNIT_ASSERT_LT(test, seen, LINKS);
		KUNIT_EXPECT_PTR_EQ(test, iter, chain[LINKS - 1 - seen]);
		seen++;
	}
	KUNIT_EXPECT_EQ(test, seen, LINKS);
	/* A loop run to its end holds no reference any more. */
	KUNIT_EXPECT_EQ(test, kref_read(&chain[LINKS - 1]->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&chain[0]->refcount), 1);

	dma_fence_put(chain[LINKS - 1]);
	retire_leaves(leaf, LINKS);
}

static void walk_skips_and_frees_signalled_links(struct kunit *test)
{
	struct dma_fence *leaf[LINKS], *chain[LINKS];
	struct dma_fence *iter, *head;
	u64 seen[LINKS];
	int n = 0;

	build_chain(test, leaf, LINKS, chain);
	head = chain[LINKS - 1];
	dma_fence_signal(leaf[1]);
	dma_fence_signal(leaf[2]);

	dma_fence_chain_for_each(iter, head) {
		KUNIT_ASSERT_LT(test, n, LINKS);
		seen[n++] = iter->seqno;
	}
	KUNIT_ASSERT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, seen[0], 4);
	KUNIT_EXPECT_EQ(test, seen[1], 1);

	/* The head now points past the dead links, which are gone. */
	KUNIT_EXPECT_PTR_EQ(test, prev_of(head), chain[0]);
	KUNIT_EXPECT_EQ(test, kref_read(&leaf[1]->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&leaf[2]->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&leaf[0]->refcount), 2);

	dma_fence_put(head);
	retire_leaves(leaf, LINKS);
}

static void walk_keeps_head_even_when_signalled(struct kunit *test)
{
	struct dma_fence *leaf[2], *chain[2];
	struct dma_fence *iter;
	int n = 0;

	build_chain(test, leaf, 2, chain);
	dma_fence_signal(leaf[0]);
	dma_fence_signal(leaf[1]);

	dma_fence_chain_for_each(iter, chain[1]) {
		KUNIT_ASSERT_EQ(test, n, 0);
		KUNIT_EXPECT_PTR_EQ(test, iter, chain[1]);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_NULL(test, prev_of(chain[1]));
	KUNIT_EXPECT_EQ(test, kref_read(&leaf[0]->refcount), 1);

	dma_fence_put(chain[1]);
	retire_leaves(leaf, 2);
}

static void walk_of_plain_fence_ends_and_drops_reference(struct kunit *test)
{
	struct dma_fence *plain = mock_fence_new(test, &mock_ops_full,
						 dma_fence_context_alloc(1), 1);

	KUNIT_EXPECT_NULL(test, dma_fence_chain_walk(dma_fence_get(plain)));
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 1);
	retire_leaves(&plain, 1);
}

static void find_seqno_lands_on_covering_link(struct kunit *test)
{
	struct dma_fence *leaf[LINKS], *chain[LINKS];
	struct dma_fence *head, *f;
	int i;

	build_chain(test, leaf, LINKS, chain);
	head = chain[LINKS - 1];

	for (i = 1; i <= LINKS; i++) {
		f = dma_fence_get(head);
		KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, i), 0);
		KUNIT_EXPECT_PTR_EQ(test, f, chain[i - 1]);
		/* The reference moved from the head to the link found. */
		if (f != head)
			KUNIT_EXPECT_EQ(test, kref_read(&head->refcount), 1);
		KUNIT_EXPECT_EQ(test, kref_read(&f->refcount), 2);
		dma_fence_put(f);
	}

	dma_fence_put(head);
	retire_leaves(leaf, LINKS);
}

static void find_seqno_in_gap_picks_next_link(struct kunit *test)
{
	u64 ctx = dma_fence_context_alloc(3);
	struct dma_fence *leaf[3], *link[3];
	struct dma_fence *head = NULL, *f;
	int i;

	/* Links at seqnos 2, 4 and 6. */
	for (i = 0; i < 3; i++) {
		leaf[i] = mock_fence_new(test, &mock_ops_full, ctx + i, 1);
		head = add_link(test, head, dma_fence_get(leaf[i]), 2 * i + 2);
		link[i] = head;
	}

	f = dma_fence_get(head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 3), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, link[1]);
	dma_fence_put(f);

	f = dma_fence_get(head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 1), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, link[0]);
	dma_fence_put(f);

	f = dma_fence_get(head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 5), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, head);
	dma_fence_put(f);

	dma_fence_put(head);
	retire_leaves(leaf, 3);
}

static void find_seqno_of_signalled_point_yields_null(struct kunit *test)
{
	struct dma_fence *leaf[LINKS], *chain[LINKS];
	struct dma_fence *head, *f;

	build_chain(test, leaf, LINKS, chain);
	head = chain[LINKS - 1];
	dma_fence_signal(leaf[0]);
	dma_fence_signal(leaf[1]);

	/* Point 2 has passed: nothing to wait for, and no reference kept. */
	f = dma_fence_get(head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 2), 0);
	KUNIT_EXPECT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, kref_read(&head->refcount), 1);

	/* Point 3 is still pending. */
	f = dma_fence_get(head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 3), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, chain[2]);
	dma_fence_put(f);

	dma_fence_put(head);
	retire_leaves(leaf, LINKS);
}

static void find_seqno_beyond_head_returns_einval(struct kunit *test)
{
	struct dma_fence *leaf[LINKS], *chain[LINKS];
	struct dma_fence *head, *f;

	build_chain(test, leaf, LINKS, chain);
	head = chain[LINKS - 1];

	f = dma_fence_get(head);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, LINKS + 1),
			-EINVAL);
	/* Nothing moved and nothing was dropped. */
	KUNIT_EXPECT_PTR_EQ(test, f, head);
	KUNIT_EXPECT_EQ(test, kref_read(&head->refcount), 2);
	dma_fence_put(f);

	dma_fence_put(head);
	retire_leaves(leaf, LINKS);
}

static void find_seqno_zero_leaves_fence_alone(struct kunit *test)
{
	struct dma_fence *leaf[2], *chain[2];
	struct dma_fence *plain, *f;

	build_chain(test, leaf, 2, chain);
	f = dma_fence_get(chain[1]);
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, chain[1]);
	KUNIT_EXPECT_EQ(test, kref_read(&chain[1]->refcount), 2);
	dma_fence_put(f);

	/* Even a fence that is not a chain is accepted for point zero. */
	plain = leaf[0];
	f = plain;
	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, f, plain);

	dma_fence_put(chain[1]);
	retire_leaves(leaf, 2);
}

static void find_seqno_on_plain_fence_returns_einval(struct kunit *test)
{
	struct dma_fence *plain = mock_fence_new(test, &mock_ops_full,
						 dma_fence_context_alloc(1), 7);
	struct dma_fence *f = plain;

	KUNIT_EXPECT_EQ(test, dma_fence_chain_find_seqno(&f, 1), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, f, plain);
	KUNIT_EXPECT_EQ(test, kref_read(&plain->refcount), 1);
	retire_leaves(&plain, 1);
}

static void signals_once_every_contained_fence_did(struct kunit *test)
{
	struct dma_fence *leaf[3], *chain[3];
	struct dma_fence *head;
	struct cb_probe probe;

	build_chain(test, leaf, 3, chain);
	head = chain[2];
	cb_probe_init(&probe, NULL);
	KUNIT_ASSERT_EQ(test, dma_fence_add_callback(head, &probe.cb,
						     cb_probe_func), 0);

	/* Out of order: the head's own fence first, then the oldest. */
	dma_fence_signal(leaf[2]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(head));
	dma_fence_signal(leaf[0]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(head));
	dma_fence_signal(leaf[1]);

	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(head, false, SIGNAL_WAIT),
			0);
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 1);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(head), 1);

	dma_fence_put(head);
	retire_leaves(leaf, 3);
}

/* Callbacks armed on @fence now; 0 once it has signalled. */
static unsigned int armed_callbacks(struct dma_fence *fence)
{
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(fence->lock, flags);
	if (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
		n = list_count_nodes(&fence->cb_list);
	spin_unlock_irqrestore(fence->lock, flags);
	return n;
}

#define ENABLED_LINKS	64

/*
 * Wait until the irq_works of the links in @chain have settled, that is
 * until each of the @n links has its one callback armed again somewhere
 * among @leaf and @chain, or until SIGNAL_WAIT passed. Returns how many
 * are armed and, in @most, the largest number armed on one fence.
 */
static unsigned int settle_links(struct dma_fence **leaf,
				 struct dma_fence **chain, int n,
				 unsigned int *most)
{
	unsigned long timeout = jiffies + SIGNAL_WAIT;
	unsigned int total;
	int i;

	do {
		total = 0;
		*most = 0;
		for (i = 0; i < n; i++) {
			unsigned int a = armed_callbacks(leaf[i]);
			unsigned int b = armed_callbacks(chain[i]);

			total += a + b;
			*most = max3(*most, a, b);
		}
		if (total == n)
			break;
		cond_resched();
	} while (time_before(jiffies, timeout));

	return total;
}

/*
 * Every link enabled, leaves signalled newest first (upstream's
 * wait_backward pattern): each link must come to wait on its enabled
 * predecessor, not pile its callback onto the oldest pending leaf, which
 * is what makes the signalling of N links O(N^2). After each signal the
 * test waits for the links' irq_works to settle, so the result does not
 * depend on how soon they run; in the end no fence may carry more than
 * one callback.
 */
static void enabled_links_signalled_newest_first_stay_linear(struct kunit *test)
{
	struct dma_fence **leaf, **chain;
	unsigned int most;
	int i;

	leaf = kunit_kcalloc(test, ENABLED_LINKS, sizeof(*leaf), GFP_KERNEL);
	chain = kunit_kcalloc(test, ENABLED_LINKS, sizeof(*chain), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, leaf);
	KUNIT_ASSERT_NOT_NULL(test, chain);
	build_chain(test, leaf, ENABLED_LINKS, chain);
	/* Links are unlinked and freed as they complete: hold them all. */
	for (i = 0; i < ENABLED_LINKS - 1; i++)
		dma_fence_get(chain[i]);
	for (i = 0; i < ENABLED_LINKS; i++)
		dma_fence_enable_sw_signaling(chain[i]);

	for (i = ENABLED_LINKS - 1; i > 0; i--) {
		dma_fence_signal(leaf[i]);
		if (settle_links(leaf, chain, ENABLED_LINKS, &most) !=
		    ENABLED_LINKS) {
			KUNIT_FAIL(test, "links did not re-arm after leaf %d", i);
			break;
		}
	}
	KUNIT_EXPECT_EQ(test, most, 1);
	KUNIT_EXPECT_EQ(test, armed_callbacks(leaf[0]), 1);

	dma_fence_signal(leaf[0]);
	KUNIT_EXPECT_GT(test, dma_fence_wait_timeout(chain[ENABLED_LINKS - 1],
						     false, SIGNAL_WAIT), 0);
	for (i = 0; i < ENABLED_LINKS; i++) {
		KUNIT_EXPECT_EQ(test, dma_fence_get_status(chain[i]), 1);
		dma_fence_put(chain[i]);
	}
	retire_leaves(leaf, ENABLED_LINKS);
}

static void is_signaled_without_enabling_checks_every_link(struct kunit *test)
{
	struct dma_fence *leaf[3], *chain[3];
	struct dma_fence *head;

	build_chain(test, leaf, 3, chain);
	head = chain[2];

	dma_fence_signal(leaf[0]);
	dma_fence_signal(leaf[2]);
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(head));
	dma_fence_signal(leaf[1]);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(head));
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(head), 1);

	dma_fence_put(head);
	retire_leaves(leaf, 3);
}

static void add_callback_on_completed_chain_returns_enoent(struct kunit *test)
{
	struct dma_fence *leaf[2], *chain[2];
	struct cb_probe probe;

	build_chain(test, leaf, 2, chain);
	dma_fence_signal(leaf[0]);
	dma_fence_signal(leaf[1]);

	cb_probe_init(&probe, NULL);
	KUNIT_EXPECT_EQ(test, dma_fence_add_callback(chain[1], &probe.cb,
						     cb_probe_func), -ENOENT);
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(chain[1]));
	KUNIT_EXPECT_EQ(test, atomic_read(&probe.calls), 0);

	dma_fence_put(chain[1]);
	retire_leaves(leaf, 2);
}

static void set_deadline_reaches_every_pending_fence(struct kunit *test)
{
	struct dma_fence *leaf[3], *chain[3];
	ktime_t deadline = ktime_add_ms(ktime_get(), 8);
	int i;

	build_chain(test, leaf, 3, chain);
	dma_fence_signal(leaf[1]);

	dma_fence_set_deadline(chain[2], deadline);
	for (i = 0; i < 3; i++) {
		struct mock_fence *mf = to_mock_fence(leaf[i]);

		if (i == 1) {
			KUNIT_EXPECT_EQ(test, atomic_read(&mf->deadline_calls),
					0);
			continue;
		}
		KUNIT_EXPECT_EQ(test, atomic_read(&mf->deadline_calls), 1);
		KUNIT_EXPECT_EQ(test, mf->last_deadline, deadline);
	}

	dma_fence_put(chain[2]);
	retire_leaves(leaf, 3);
}

/*
 * Deep enough that releasing it by recursion, one stack frame per link,
 * would overflow any kernel stack hundreds of times over. The default is
 * bounded by time, not by the property: under QEMU TCG with KASAN, lockdep
 * and the dma_fence tracepoints on, a link costs about 0.1 ms to build and
 * 0.25 ms to release, so 100000 links take about 40 s, while a million take
 * over five minutes and trip the hung task detector (120 s), which watches
 * the KUnit runner waiting for the case. Pass
 * dma_fence_chain_test.long_chain_links=1000000 to run the full million.
 */
static unsigned int long_chain_links = 100000;
module_param(long_chain_links, uint, 0444);
MODULE_PARM_DESC(long_chain_links,
		 "Length of the chain released in one put (default 100000)");

static void long_chain_is_released_iteratively(struct kunit *test)
{
	struct dma_fence *leaf = mock_fence_new(test, &mock_ops_full,
						dma_fence_context_alloc(1), 1);
	struct dma_fence *head = NULL;
	ktime_t start, built, released;
	unsigned int i;

	start = ktime_get();
	for (i = 0; i < long_chain_links; i++) {
		struct dma_fence_chain *link = dma_fence_chain_alloc();

		if (!link)
			break;
		dma_fence_chain_init(link, head, dma_fence_get(leaf), i + 1);
		head = &link->base;
		if (!(i % 4096))
			cond_resched();
	}
	built = ktime_get();

	KUNIT_EXPECT_EQ(test, i, long_chain_links);
	KUNIT_EXPECT_EQ(test, kref_read(&leaf->refcount), i + 1);
	if (head)
		KUNIT_EXPECT_EQ(test, head->seqno, i);

	/* One put must unravel the whole chain without deep recursion. */
	dma_fence_put(head);
	released = ktime_get();
	KUNIT_EXPECT_EQ(test, kref_read(&leaf->refcount), 1);

	kunit_info(test, "%u links: built in %lld ms, released in %lld ms\n",
		   i, ktime_ms_delta(built, start),
		   ktime_ms_delta(released, built));
	retire_leaves(&leaf, 1);
}

/*
 * Race: side A signals the leaves of a fresh chain while side B walks it.
 * The walk must end, see links newest first, and leave the references of
 * every leaf intact once the chain is gone.
 */
#define WALK_LINKS	8

struct walk_race {
	u64 context;
	struct dma_fence *leaf[WALK_LINKS];
	struct dma_fence *head;
	u64 seqno;
	unsigned int round;
	unsigned int visited;
	bool order_ok;
	unsigned int bad;
	unsigned int partial_walks;
};

/* Build the round's chain; false (race ends) if out of memory. */
static bool walk_race_prepare(struct fence_race *race)
{
	struct walk_race *wr = race->data;
	struct dma_fence *head = NULL;
	int i;

	wr->round++;
	for (i = 0; i < WALK_LINKS; i++) {
		struct dma_fence_chain *link = dma_fence_chain_alloc();

		wr->leaf[i] = mock_fence_alloc(&mock_ops_plain,
					       wr->context + i, ++wr->seqno);
		if (!link || !wr->leaf[i]) {
			/* Leaks this round's objects; the case fails anyway. */
			dma_fence_chain_free(link);
			wr->bad++;
			return false;
		}
		dma_fence_chain_init(link, head, dma_fence_get(wr->leaf[i]),
				     i + 1);
		head = &link->base;
	}
	wr->head = head;
	return true;
}

/* Alternate oldest-first and newest-first signalling between rounds. */
static void walk_race_signal(struct fence_race *race)
{
	struct walk_race *wr = race->data;
	int i;

	for (i = 0; i < WALK_LINKS; i++) {
		int pick = wr->round & 1 ? i : WALK_LINKS - 1 - i;

		dma_fence_signal(wr->leaf[pick]);
	}
}

static void walk_race_walk(struct fence_race *race)
{
	struct walk_race *wr = race->data;
	struct dma_fence *iter;
	u64 last = U64_MAX;

	wr->visited = 0;
	wr->order_ok = true;
	dma_fence_chain_for_each(iter, wr->head) {
		if (iter->seqno >= last)
			wr->order_ok = false;
		last = iter->seqno;
		wr->visited++;
	}
}

/*
 * Judge the round: a walk bounded by the chain length in seqno order; a
 * second walk, with everything signalled, sees only the head; and once the
 * head is put every leaf is back to the one reference of the test.
 */
static void walk_race_settle(struct fence_race *race)
{
	struct walk_race *wr = race->data;
	struct dma_fence *iter;
	unsigned int after = 0;
	int i;

	if (!wr->order_ok || wr->visited < 1 || wr->visited > WALK_LINKS)
		wr->bad++;
	if (wr->visited > 1)
		wr->partial_walks++;

	dma_fence_chain_for_each(iter, wr->head)
		after++;
	if (after != 1)
		wr->bad++;

	dma_fence_put(wr->head);
	for (i = 0; i < WALK_LINKS; i++) {
		if (kref_read(&wr->leaf[i]->refcount) != 1)
			wr->bad++;
		dma_fence_put(wr->leaf[i]);
	}
}

static void race_walk_with_signalling_of_links(struct kunit *test)
{
	struct walk_race wr = {
		.context = dma_fence_context_alloc(WALK_LINKS),
	};
	struct fence_race race = {
		.prepare = walk_race_prepare,
		.act_a = walk_race_signal,
		.act_b = walk_race_walk,
		.settle = walk_race_settle,
		.data = &wr,
		.max_rounds = 1000,
		.budget = HZ,
	};

	fence_race_run(test, &race);
	KUNIT_EXPECT_EQ(test, wr.bad, 0);
	kunit_info(test, "%u rounds, %u walks saw more than the head\n",
		   race.rounds, wr.partial_walks);
}

static struct kunit_case dma_fence_chain_cases[] = {
	KUNIT_CASE(init_without_prev_starts_a_new_timeline),
	KUNIT_CASE(init_with_later_seqno_extends_the_timeline),
	KUNIT_CASE(init_with_stale_seqno_starts_a_new_context),
	KUNIT_CASE(init_after_plain_fence_starts_a_new_context),
	KUNIT_CASE(init_compares_seqnos_in_64_bit),
	KUNIT_CASE(iteration_visits_pending_links_newest_first),
	KUNIT_CASE(walk_skips_and_frees_signalled_links),
	KUNIT_CASE(walk_keeps_head_even_when_signalled),
	KUNIT_CASE(walk_of_plain_fence_ends_and_drops_reference),
	KUNIT_CASE(find_seqno_lands_on_covering_link),
	KUNIT_CASE(find_seqno_in_gap_picks_next_link),
	KUNIT_CASE(find_seqno_of_signalled_point_yields_null),
	KUNIT_CASE(find_seqno_beyond_head_returns_einval),
	KUNIT_CASE(find_seqno_zero_leaves_fence_alone),
	KUNIT_CASE(find_seqno_on_plain_fence_returns_einval),
	KUNIT_CASE(signals_once_every_contained_fence_did),
	KUNIT_CASE(enabled_links_signalled_newest_first_stay_linear),
	KUNIT_CASE(is_signaled_without_enabling_checks_every_link),
	KUNIT_CASE(add_callback_on_completed_chain_returns_enoent),
	KUNIT_CASE(set_deadline_reaches_every_pending_fence),
	KUNIT_CASE_SLOW(long_chain_is_released_iteratively),
	KUNIT_CASE_SLOW(race_walk_with_signalling_of_links),
	{}
};

static struct kunit_suite dma_fence_chain_suite = {
	.name = "dma-fence-chain",
	.test_cases = dma_fence_chain_cases,
};

kunit_test_suite(dma_fence_chain_suite);

MODULE_DESCRIPTION("KUnit tests for dma_fence_chain");
MODULE_LICENSE("GPL");
