// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_fence_chain: timeline points built from linked fences.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/dma-fence-chain.h>
#include <linux/export.h>
#include <linux/minmax.h>
#include <linux/rcupdate.h>

/**
 * DOC: dma-fence-chain overview
 *
 * A &struct dma_fence_chain node appends one fence to a timeline. Each node
 * points to the previous point of the timeline (@prev, normally another
 * node) and carries a 64-bit sequence number, the timeline point. A node
 * signals when its own fence and the fences of all earlier nodes have
 * signalled, so waiting on one node waits for the timeline to reach that
 * point. This is what backs DRM timeline syncobjs, where userspace names
 * points by number and may wait for points whose fence is not there yet.
 *
 * Nodes whose fence has signalled are pruned from the chain as it is
 * walked, so a chain does not grow without bound as long as somebody looks
 * at it. Chains must only be linked through @prev: the fence a node wraps
 * must not itself be a node.
 *
 * Typical use, appending a fence to a timeline and looking up a point::
 *
 *	struct dma_fence_chain *node;
 *	struct dma_fence *f;
 *	int err;
 *
 *	node = dma_fence_chain_alloc();
 *	if (!node)
 *		return -ENOMEM;
 *	// the node takes over both references
 *	dma_fence_chain_init(node, dma_fence_get(timeline_head),
 *			     dma_fence_get(job_fence), point);
 *	// ... publish &node->base as the new timeline head
 *
 *	f = dma_fence_get(timeline_head);
 *	err = dma_fence_chain_find_seqno(&f, wanted_point);
 *	if (err) {
 *		dma_fence_put(f);
 *		return err;		// point not submitted yet
 *	}
 *	if (f)				// NULL: the point has signalled
 *		dma_fence_wait(f, true);
 *	dma_fence_put(f);
 *
 * Signalling a node needs no work from the fences it depends on: when
 * signalling is enabled a single callback is armed on the newest unsignalled
 * fence of the chain and moved down the chain from irq_work each time it
 * fires, until nothing is left to wait for. Once moved, it waits on an
 * earlier node with signalling enabled as a whole rather than on the
 * fences behind it, so signalling N enabled nodes costs O(N), whatever
 * the order their fences signal in.
 */

static const char *chain_driver_name(struct dma_fence *fence)
{
	return "dma_fence_chain";
}

static const char *chain_timeline_name(struct dma_fence *fence)
{
	return "unbound";
}

/*
 * chain_get_prev - take a reference to the current predecessor of @chain
 *
 * @chain->prev may be advanced concurrently by dma_fence_chain_walk() and
 * the fence it pointed to released; dma_fence_get_rcu_safe() only returns
 * a fence that was still @chain->prev after the reference was taken.
 * Return: a new reference to the predecessor, or NULL at the chain's end.
 */
static struct dma_fence *chain_get_prev(struct dma_fence_chain *chain)
{
	struct dma_fence *prev;

	rcu_read_lock();
	prev = dma_fence_get_rcu_safe(&chain->prev);
	rcu_read_unlock();

	return prev;
}

/*
 * chain_link_completed - does this part of the chain still need waiting for
 *
 * @link is a chain node or the plain fence at the end of a chain. Only its
 * own fence is considered, not the nodes behind it.
 * Return: true if the fence @link contributes has signalled.
 */
static bool chain_link_completed(struct dma_fence *link)
{
	return dma_fence_is_signaled(dma_fence_chain_contained(link));
}

/*
 * chain_skip_prev - unlink a completed predecessor from @chain
 *
 * @prev is a reference to what chain_get_prev() returned, and
 * chain_link_completed(@prev) holds. Replaces @chain->prev with whatever
 * @prev points to, unless another walker changed @chain->prev first; in
 * that case the other walker's result stands. Consumes the reference to
 * @prev.
 *
 * A successful cmpxchg() is fully ordered, so it publishes the new
 * predecessor to RCU readers as rcu_assign_pointer() would.
 */
static void chain_skip_prev(struct dma_fence_chain *chain,
			    struct dma_fence *prev)
{
	struct dma_fence_chain *prev_node = to_dma_fence_chain(prev);
	struct dma_fence *next = prev_node ? chain_get_prev(prev_node) : NULL;
	struct dma_fence *old;

	old = unrcu_pointer(cmpxchg(&chain->prev, RCU_INITIALIZER(prev),
				    RCU_INITIALIZER(next)));
	if (old == prev)
		dma_fence_put(prev);	/* @chain's link to @prev is gone */
	else
		dma_fence_put(next);	/* lost the race, @next is unused */

	dma_fence_put(prev);		/* the caller's reference */
}

/**
 * dma_fence_chain_walk - step from a chain node to the one before it
 * @fence: the current position, a referenced chain node or other fence
 *
 * Finds the predecessor of @fence that still has an unsignalled fence,
 * unlinking the completed predecessors met on the way from the chain (for
 * everyone, not only for this walk). The fence of @fence itself is not
 * looked at. This is the step of dma_fence_chain_for_each().
 *
 * The reference to @fence is consumed, whatever the result.
 *
 * Context: Any context; does not sleep. The caller's reference to @fence
 * is dropped, which may release it.
 * Return: a new reference to the next node or plain fence of the chain
 * that has not signalled, or NULL when there is none or @fence is not a
 * chain node.
 */
struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);
	struct dma_fence *prev = NULL;

	if (chain) {
		while ((prev = chain_get_prev(chain)) &&
		       chain_link_completed(prev))
			chain_skip_prev(chain, prev);
	}

	dma_fence_put(fence);
	return prev;
}
EXPORT_SYMBOL(dma_fence_chain_walk);

/**
 * dma_fence_chain_find_seqno - find the node to wait on for a timeline point
 * @pfence: in: a referenced chain node, the timeline head; out: the result
 * @seqno: the timeline point, 0 for "the head itself"
 *
 * Moves *@pfence down the chain to the oldest unsignalled node whose point
 * is at or after @seqno and that is still on the same timeline (context) as
 * the head. Waiting on the result is waiting for @seqno. Completed nodes met
 * on the way are unlinked as in dma_fence_chain_walk(). When everything up
 * to @seqno has signalled already, *@pfence becomes NULL. With @seqno 0,
 * nothing is done.
 *
 * On success the reference the caller held is replaced with one to the
 * result; on error *@pfence and its reference are left alone.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success; -EINVAL if *@pfence is not a chain node or @seqno
 * is beyond its point, i.e. not submitted yet.
 */
int dma_fence_chain_find_seqno(struct dma_fence **pfence, uint64_t seqno)
{
	struct dma_fence_chain *head;
	struct dma_fence *iter;

	if (!seqno)
		return 0;

	head = to_dma_fence_chain(*pfence);
	if (!head || head->base.seqno < seqno)
		return -EINVAL;

	dma_fence_chain_for_each(iter, &head->base) {
		struct dma_fence_chain *node = to_dma_fence_chain(iter);

		/*
		 * Stop at the first fence that no longer belongs to the
		 * timeline, or whose predecessor is already before @seqno:
		 * that node is the one which signals @seqno.
		 */
		if (!node || iter->context != head->base.context ||
		    node->prev_seqno < seqno)
			break;
	}

	*pfence = iter;
	dma_fence_put(&head->base);
	return 0;
}
EXPORT_SYMBOL(dma_fence_chain_find_seqno);

static void chain_signal_work(struct irq_work *work);

/*
 * chain_fence_signaled - dma_fence_func_t armed through chain_arm_callback()
 *
 * Runs under the lock of the fence that signalled, so it neither arms the
 * next callback nor signals the node here: both take other fence locks, of
 * possibly the same lock class or even the same lock. The node's irq_work
 * does it instead. @cb and @work share storage; @cb is dead once we are
 * called (the fence core has unlinked it and does not touch it again), so
 * it may be overwritten. The reference to @signaled taken when arming is
 * dropped here; the one to the node passes to the irq_work.
 */
static void chain_fence_signaled(struct dma_fence *signaled,
				 struct dma_fence_cb *cb)
{
	struct dma_fence_chain *chain =
		container_of(cb, struct dma_fence_chain, cb);

	init_irq_work(&chain->work, chain_signal_work);
	irq_work_queue(&chain->work);
	dma_fence_put(signaled);
}

/*
 * chain_wait_target - the fence @chain->cb should wait on for link @iter
 *
 * Normally the fence @iter contributes. With @may_nest, an earlier node
 * whose own signalling is enabled is waited on as a whole instead: it
 * signals exactly when its fence and all fences before it have, and its
 * own callback already follows them. Without this, every enabled node
 * would move its callback down the chain one fence at a time, and N
 * enabled nodes signalled newest first would cost O(N^2) re-arms; with
 * it each node waits on its enabled neighbour and the cost is O(N).
 * Arming on a node takes that node's lock, so only callers holding no
 * fence lock may nest (the irq_work, not enable_signaling).
 */
static struct dma_fence *chain_wait_target(struct dma_fence_chain *chain,
					   struct dma_fence *iter,
					   bool may_nest)
{
	if (may_nest && iter != &chain->base && dma_fence_is_chain(iter) &&
	    test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &iter->flags))
		return iter;

	return dma_fence_chain_contained(iter);
}

/*
 * chain_arm_callback - arm @chain->cb on the newest fence still pending
 * @chain: the node
 * @may_nest: no fence lock is held, see chain_wait_target()
 *
 * Walks from @chain towards the start of the timeline and installs the
 * callback on the first fence that has not signalled. While armed, the
 * callback owns a reference to @chain and one to the fence it is armed on.
 * Must not run while @chain->cb is armed or @chain->work is queued from
 * elsewhere: there is one callback per node.
 * Return: true if armed; false if every fence of the chain has signalled,
 * in which case no reference is kept.
 */
static bool chain_arm_callback(struct dma_fence_chain *chain, bool may_nest)
{
	struct dma_fence *iter;

	dma_fence_get(&chain->base);
	dma_fence_chain_for_each(iter, &chain->base) {
		struct dma_fence *f = chain_wait_target(chain, iter, may_nest);

		/* Referenced first: once armed, the callback may run at once. */
		dma_fence_get(f);
		if (!dma_fence_add_callback(f, &chain->cb,
					    chain_fence_signaled)) {
			dma_fence_put(iter);
			return true;
		}
		dma_fence_put(f);
	}
	dma_fence_put(&chain->base);

	return false;
}

/*
 * chain_signal_work - move the callback further down, or signal the node
 *
 * Queued by chain_fence_signaled(), whose reference to the node it
 * inherits and drops. Re-arming overwrites @work (it shares storage with
 * @cb) while the irq_work core still considers it running. After we
 * return, the core compare-and-exchanges @work's flags word against a
 * value with IRQ_WORK_BUSY (bit 1) set; arming stored an 8-byte aligned
 * list pointer over that word, so the exchange fails and @cb stays
 * intact. The core touching @work after the last reference is dropped is
 * covered as for fence arrays: the node is freed after an RCU grace
 * period.
 */
static void chain_signal_work(struct irq_work *work)
{
	struct dma_fence_chain *chain =
		container_of(work, struct dma_fence_chain, work);

	if (!chain_arm_callback(chain, true))
		dma_fence_signal(&chain->base);

	dma_fence_put(&chain->base);
}

/*
 * chain_enable_signaling - dma_fence_ops.enable_signaling
 *
 * Called once, with the node's lock held.
 * Return: false if the whole chain has signalled already (the core then
 * signals the node), true once a callback is armed.
 */
static bool chain_enable_signaling(struct dma_fence *fence)
{
	return chain_arm_callback(to_dma_fence_chain(fence), false);
}

/*
 * chain_signaled - dma_fence_ops.signaled
 *
 * Polls the fences of the whole chain; works whether signalling is enabled
 * or not, and prunes completed nodes as a side effect.
 * Return: true if the node's fence and those of all earlier nodes have
 * signalled.
 */
static bool chain_signaled(struct dma_fence *fence)
{
	struct dma_fence *iter;

	dma_fence_chain_for_each(iter, fence) {
		if (!chain_link_completed(iter)) {
			dma_fence_put(iter);
			return false;
		}
	}

	return true;
}

/*
 * chain_steal_prev - unlink an exclusively owned predecessor node
 *
 * Called from release, with @chain unreachable for anybody else. If
 * @chain holds the only reference to its predecessor and that predecessor
 * is a chain node, the predecessor's own link moves into @chain and the
 * predecessor is freed without recursing into the rest of the chain.
 * Return: true if a node was unlinked and freed, false if the predecessor
 * is shared, a plain fence, or absent.
 */
static bool chain_steal_prev(struct dma_fence_chain *chain)
{
	struct dma_fence *prev = rcu_dereference_protected(chain->prev, true);
	struct dma_fence_chain *prev_node = to_dma_fence_chain(prev);

	if (!prev_node || kref_read(&prev->refcount) != 1)
		return false;

	/*
	 * Whoever dropped the other references to @prev_node may have
	 * updated its @prev just before; refcount decrements have release
	 * semantics, and this makes the read below see those updates.
	 */
	smp_acquire__after_ctrl_dep();

	/*
	 * Plain accesses suffice: nobody else holds @prev_node. An RCU
	 * reader that still finds @prev_node can only take a transient
	 * reference, dropped again once it sees that the pointer it
	 * followed has moved on; it never reads @prev_node->prev.
	 */
	RCU_INIT_POINTER(chain->prev,
			 rcu_dereference_protected(prev_node->prev, true));
	RCU_INIT_POINTER(prev_node->prev, NULL);
	dma_fence_put(prev);

	return true;
}

/*
 * chain_release - dma_fence_ops.release
 *
 * A chain can be millions of nodes long, each one holding the only
 * reference to the one before it. Dropping them recursively would
 * overflow the stack, so the exclusively owned part of the chain is taken
 * apart node by node here; what is left is shared with somebody else and
 * only loses a reference.
 */
static void chain_release(struct dma_fence *fence)
{
	struct dma_fence_chain *chain = to_dma_fence_chain(fence);

	while (chain_steal_prev(chain))
		;

	dma_fence_put(rcu_dereference_protected(chain->prev, true));
	dma_fence_put(chain->fence);
	dma_fence_free(fence);
}

/* dma_fence_ops.set_deadline: forward to every fence still pending. */
static void chain_set_deadline(struct dma_fence *fence, ktime_t deadline)
{
	struct dma_fence *iter;

	dma_fence_chain_for_each(iter, fence)
		dma_fence_set_deadline(dma_fence_chain_contained(iter),
				       deadline);
}

/*
 * The operations of every chain node. Exported because
 * dma_fence_is_chain() in the header recognises nodes by this address;
 * chain seqnos are 64-bit points on a timeline.
 */
const struct dma_fence_ops dma_fence_chain_ops = {
	.use_64bit_seqno = true,
	.get_driver_name = chain_driver_name,
	.get_timeline_name = chain_timeline_name,
	.enable_signaling = chain_enable_signaling,
	.signaled = chain_signaled,
	.release = chain_release,
	.set_deadline = chain_set_deadline,
};
EXPORT_SYMBOL(dma_fence_chain_ops);

/**
 * dma_fence_chain_init - link a new node into a timeline
 * @chain: node from dma_fence_chain_alloc()
 * @prev: the current head of the timeline, or NULL to start a new one
 * @fence: the fence the node adds; must not be a chain node
 * @seqno: the timeline point of the new node
 *
 * The node takes over the caller's references to @prev and @fence.
 *
 * If @prev is a chain node and @seqno comes after its point, the node
 * continues the timeline of @prev: same fence context, and
 * &dma_fence_chain.prev_seqno records the point of @prev. Otherwise the
 * node starts a new context with prev_seqno 0; when @prev is a node,
 * the seqno is raised to the point of @prev if it was lower, so that a
 * node never claims an earlier point than what it waits for.
 *
 * Context: Any context.
 */
void dma_fence_chain_init(struct dma_fence_chain *chain,
			  struct dma_fence *prev, struct dma_fence *fence,
			  uint64_t seqno)
{
	struct dma_fence_chain *prev_node = to_dma_fence_chain(prev);
	u64 context;

	/* Nest chains through @prev only; flatten into an array instead. */
	WARN_ON_ONCE(fence && dma_fence_is_chain(fence));
	/* A node without a fence would oops on first use. */
	if (WARN_ON_ONCE(!fence))
		fence = dma_fence_get_stub();

	spin_lock_init(&chain->lock);
	RCU_INIT_POINTER(chain->prev, prev);
	chain->fence = fence;

	if (prev_node && __dma_fence_is_later(seqno, prev->seqno, prev->ops)) {
		context = prev->context;
		chain->prev_seqno = prev->seqno;
	} else {
		context = dma_fence_context_alloc(1);
		chain->prev_seqno = 0;
		if (prev_node)
			seqno = max(seqno, prev->seqno);
	}

	dma_fence_init(&chain->base, &dma_fence_chain_ops, &chain->lock,
		       context, seqno);
}
EXPORT_SYMBOL(dma_fence_chain_init);
