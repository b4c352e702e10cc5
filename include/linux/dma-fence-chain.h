/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma_fence_chain: one point on a timeline built by linking fences, each
 * node signalling once its own fence and all earlier nodes have signalled.
 */

#ifndef __LINUX_DMA_FENCE_CHAIN_H
#define __LINUX_DMA_FENCE_CHAIN_H

#include <linux/dma-fence.h>
#include <linux/irq_work.h>
#include <linux/slab.h>

/**
 * struct dma_fence_chain - one node of a fence timeline
 * @base: the node as a fence; its seqno is the timeline point
 * @prev: the earlier part of the timeline, usually another chain node.
 *	Read under RCU; cleared or advanced with cmpxchg() once the nodes it
 *	points at have nothing left to wait for.
 * @prev_seqno: seqno of @prev when this node was linked to it. Kept even
 *	after @prev moves on, so that point lookups stay exact.
 * @fence: the fence this node adds to the timeline; never a chain
 * @lock: lock handed to dma_fence_init() for @base
 */
struct dma_fence_chain {
	struct dma_fence base;
	struct dma_fence __rcu *prev;
	u64 prev_seqno;
	struct dma_fence *fence;
	union {
		/**
		 * @work: runs after @cb fired, outside of the signalling
		 * fence's lock, to re-arm @cb further down the chain or to
		 * signal @base. Dead while @cb is armed.
		 */
		struct irq_work work;

		/**
		 * @cb: callback armed on the fence of the newest node that
		 * has not signalled yet, while signalling is enabled.
		 * Dead once it has fired, when @work takes its place.
		 */
		struct dma_fence_cb cb;
	};
	spinlock_t lock;	/* protects @base's callback list */
};

/**
 * to_dma_fence_chain - downcast a fence to the chain node containing it
 * @fence: any fence, or NULL
 *
 * Context: Any context. The caller must hold a reference to @fence.
 * Return: the &struct dma_fence_chain whose @base is @fence, or NULL when
 * @fence is NULL or not a chain node.
 */
static inline struct dma_fence_chain *
to_dma_fence_chain(struct dma_fence *fence)
{
	if (fence && dma_fence_is_chain(fence))
		return container_of(fence, struct dma_fence_chain, base);

	return NULL;
}

/**
 * dma_fence_chain_contained - the fence a chain node wraps
 * @fence: a chain node, any other fence, or NULL
 *
 * Context: Any context. No reference is taken: the returned fence lives at
 * least as long as the caller's reference to @fence.
 * Return: &dma_fence_chain.fence when @fence is a chain node, otherwise
 * @fence itself.
 */
static inline struct dma_fence *
dma_fence_chain_contained(struct dma_fence *fence)
{
	struct dma_fence_chain *node = to_dma_fence_chain(fence);

	return node ? node->fence : fence;
}

/**
 * dma_fence_chain_alloc - allocate memory for a chain node
 *
 * The node is uninitialised; pass it to dma_fence_chain_init(), or give it
 * back with dma_fence_chain_free(). This is a macro so that memory
 * allocation profiling charges the allocation to the caller; the result
 * is typed, so storing it in the wrong kind of pointer does not compile.
 *
 * Context: Process context, may sleep (GFP_KERNEL).
 * Return: the new node, or NULL when out of memory.
 */
#define dma_fence_chain_alloc()						\
	({								\
		struct dma_fence_chain *__new_chain_node =		\
			kmalloc(sizeof(*__new_chain_node), GFP_KERNEL); \
									\
		__new_chain_node;					\
	})

/**
 * dma_fence_chain_free - free a chain node that was never initialised
 * @chain: node from dma_fence_chain_alloc(), or NULL
 *
 * Only for nodes on which dma_fence_chain_init() has not been called: such
 * a node was never visible to anyone else, so it needs no RCU grace period.
 * An initialised node is a reference-counted fence and must be released
 * with dma_fence_put().
 *
 * Context: Any context.
 */
static inline void dma_fence_chain_free(struct dma_fence_chain *chain)
{
	kfree(chain);
}

/**
 * dma_fence_chain_for_each - walk a timeline from a node towards its start
 * @iter: loop cursor, a referenced fence
 * @head: where to start; a chain node or any other fence
 *
 * Visits @head first, then every earlier node whose fence has not signalled
 * yet (see dma_fence_chain_walk(), which also prunes the others). A fence
 * that is not a chain node is visited alone. The loop owns a reference to
 * @iter; code leaving the loop early must drop it with dma_fence_put().
 *
 * Context: Any context. The caller must hold a reference to @head.
 */
#define dma_fence_chain_for_each(iter, head)				\
	for (iter = dma_fence_get(head);				\
	     iter;							\
	     iter = dma_fence_chain_walk(iter))

struct dma_fence *dma_fence_chain_walk(struct dma_fence *fence);

int dma_fence_chain_find_seqno(struct dma_fence **pfence, uint64_t seqno);

void dma_fence_chain_init(struct dma_fence_chain *chain,
			  struct dma_fence *prev, struct dma_fence *fence,
			  uint64_t seqno);

#endif
