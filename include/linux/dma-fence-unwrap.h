/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma_fence_unwrap: iterate over the plain fences inside fence containers
 * (chains of arrays), and merge containers into one flat fence.
 */

#ifndef __LINUX_DMA_FENCE_UNWRAP_H
#define __LINUX_DMA_FENCE_UNWRAP_H

struct dma_fence;

/**
 * struct dma_fence_unwrap - position of dma_fence_unwrap_for_each()
 *
 * Treat as opaque; it is only meaningful between dma_fence_unwrap_first()
 * and the dma_fence_unwrap_next() call that returns NULL.
 */
struct dma_fence_unwrap {
	/**
	 * @chain: the chain node being visited, or the head fence when it is
	 * not a chain. The cursor owns a reference to it.
	 */
	struct dma_fence *chain;
	/**
	 * @array: the fence contained in @chain; a fence array or a plain
	 * fence. Borrowed from @chain, no reference of its own.
	 */
	struct dma_fence *array;
	/**
	 * @index: position of the fence last returned within @array
	 */
	unsigned int index;
};

/**
 * dma_fence_unwrap_for_each - visit every plain fence inside containers
 * @fence: loop cursor, each plain fence in turn
 * @cursor: a &struct dma_fence_unwrap holding the position
 * @head: a fence, a fence array, a chain node, or NULL
 *
 * Walks the chain starting at @head (see dma_fence_chain_for_each()) and
 * for each node visits the members of the array it contains, or the
 * contained fence itself when that is not an array. A plain @head is
 * visited alone. @fence is borrowed: take a reference to keep it beyond
 * the current iteration. While the loop runs, @cursor owns a reference to
 * the current chain node; a loop left with break must drop it with
 * dma_fence_put(@cursor->chain).
 *
 * Context: Any context. The caller must hold a reference to @head.
 */
#define dma_fence_unwrap_for_each(fence, cursor, head)			\
	for (fence = dma_fence_unwrap_first(head, cursor);		\
	     fence;							\
	     fence = dma_fence_unwrap_next(cursor))

struct dma_fence *dma_fence_unwrap_first(struct dma_fence *head,
					 struct dma_fence_unwrap *cursor);

struct dma_fence *dma_fence_unwrap_next(struct dma_fence_unwrap *cursor);

struct dma_fence *__dma_fence_unwrap_merge(unsigned int num_fences,
					   struct dma_fence **fences,
					   struct dma_fence_unwrap *cursors);

int dma_fence_dedup_array(struct dma_fence **fences, int num_fences);

/**
 * dma_fence_unwrap_merge - flatten fences and containers into one fence
 * @...: the fences to merge; containers and NULL are allowed
 *
 * Unwraps every argument, leaves out what has signalled and keeps only the
 * latest fence of each context. The result is a new reference to the only
 * fence left, a new unordered &struct dma_fence_array of those left, or a
 * signalled fence when none is left. The arguments keep their references.
 *
 * A macro so that the argument list and the iteration cursors live in the
 * caller's stack frame, sized at compile time.
 *
 * Context: Process context, may sleep (allocates with GFP_KERNEL).
 * Return: the merged fence, or NULL when out of memory.
 */
#define dma_fence_unwrap_merge(...)					\
	({								\
		struct dma_fence *__f[] = { __VA_ARGS__ };		\
		struct dma_fence_unwrap __c[ARRAY_SIZE(__f)];		\
									\
		__dma_fence_unwrap_merge(ARRAY_SIZE(__f), __f, __c);	\
	})

#endif /* __LINUX_DMA_FENCE_UNWRAP_H */
