/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma_fence_array: a single fence standing for a set of other fences,
 * signalled when all of them (or, on request, the first of them) have
 * signalled.
 */

#ifndef __LINUX_DMA_FENCE_ARRAY_H
#define __LINUX_DMA_FENCE_ARRAY_H

#include <linux/dma-fence.h>
#include <linux/irq_work.h>

/**
 * struct dma_fence_array_cb - per-member callback slot of a fence array
 * @cb: callback registered on one member fence
 * @array: the array the member belongs to, set up by dma_fence_array_init()
 *
 * Internal to the array implementation; one slot exists for each member.
 */
struct dma_fence_array_cb {
	struct dma_fence_cb cb;
	struct dma_fence_array *array;
};

/**
 * struct dma_fence_array - a fence that aggregates other fences
 * @base: the aggregate fence itself, what users wait on and pass around
 * @lock: lock handed to dma_fence_init() for @base
 * @num_fences: number of member fences in @fences
 * @num_pending: members still to signal before @base may signal; drops
 *	below zero when more members signal than the array was waiting for
 * @fences: the member fences; the array owns this allocation and one
 *	reference to each member
 * @work: defers signalling @base out of a member's callback
 * @callbacks: one callback slot per member, @num_fences of them
 *
 * Members are never containers themselves: arrays and chains must be
 * flattened by the creator (see dma_fence_unwrap_merge()).
 */
struct dma_fence_array {
	struct dma_fence base;

	spinlock_t lock;	/* protects @base's callback list */
	unsigned int num_fences;
	atomic_t num_pending;
	struct dma_fence **fences;

	struct irq_work work;

	struct dma_fence_array_cb callbacks[] __counted_by(num_fences);
};

/**
 * to_dma_fence_array - downcast a fence to the array containing it
 * @fence: any fence, or NULL
 *
 * Context: Any context. The caller must hold a reference to @fence.
 * Return: the &struct dma_fence_array whose @base is @fence, or NULL when
 * @fence is NULL or not a fence array.
 */
static inline struct dma_fence_array *
to_dma_fence_array(struct dma_fence *fence)
{
	if (fence && dma_fence_is_array(fence))
		return container_of(fence, struct dma_fence_array, base);

	return NULL;
}

/**
 * dma_fence_array_for_each - visit the members of a fence array
 * @fence: loop cursor, set to each member in turn
 * @index: loop counter, set to the position of @fence in the array
 * @head: a fence array, or any other fence
 *
 * When @head is a &struct dma_fence_array the body runs once for each
 * member; for any other fence it runs exactly once, with @fence == @head.
 * No references are taken: the caller's reference to @head keeps the
 * members alive. Nested containers are not descended into; use
 * dma_fence_unwrap_for_each() for that.
 *
 * Context: Any context.
 */
#define dma_fence_array_for_each(fence, index, head)			\
	for (index = 0, fence = dma_fence_array_first(head);		\
	     fence;							\
	     ++(index), fence = dma_fence_array_next(head, index))

struct dma_fence_array *dma_fence_array_alloc(int num_fences);

void dma_fence_array_init(struct dma_fence_array *array, int num_fences,
			  struct dma_fence **fences, u64 context,
			  unsigned int seqno, bool signal_on_any);

struct dma_fence_array *dma_fence_array_create(int num_fences,
					       struct dma_fence **fences,
					       u64 context, unsigned int seqno,
					       bool signal_on_any);

bool dma_fence_match_context(struct dma_fence *fence, u64 context);

struct dma_fence *dma_fence_array_first(struct dma_fence *head);

struct dma_fence *dma_fence_array_next(struct dma_fence *head,
				       unsigned int index);

#endif
