// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_fence_unwrap: iterate through and merge fence containers.
 */

#include <linux/bug.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/export.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/sort.h>

/**
 * DOC: dma-fence-unwrap overview
 *
 * Fences travel wrapped: a timeline syncobj hands out &struct
 * dma_fence_chain nodes, a merged sync_file holds a &struct
 * dma_fence_array, and a chain node may wrap an array. Code that wants the
 * real fences behind such a container (to report them to userspace, to
 * wait natively on the ones it knows, or to merge them) uses
 * dma_fence_unwrap_for_each(), which visits every plain fence of a chain of
 * arrays in one loop.
 *
 * dma_fence_unwrap_merge() builds one fence out of several, possibly
 * wrapped, fences: it leaves out everything that has signalled and keeps
 * only the latest fence of each context, so the result stays small and
 * never nests containers.
 *
 * Typical use, merging two sync_file fences and listing the result::
 *
 *	struct dma_fence_unwrap iter;
 *	struct dma_fence *merged, *f;
 *
 *	merged = dma_fence_unwrap_merge(a->fence, b->fence);
 *	if (!merged)
 *		return -ENOMEM;
 *
 *	dma_fence_unwrap_for_each(f, &iter, merged)
 *		pr_info("%llu:%llu\n", f->context, f->seqno);
 *
 *	dma_fence_put(merged);
 */

/*
 * unwrap_enter - load the contents of the chain node the cursor is at
 *
 * @cursor->chain is a referenced chain node, a referenced plain fence, or
 * NULL. Positions the cursor on the first fence inside it. Chain nodes that
 * wrap an empty array are skipped, as they hold nothing to return.
 * Return: the first plain fence found, or NULL with the cursor's reference
 * dropped when the chain is exhausted.
 */
static struct dma_fence *unwrap_enter(struct dma_fence_unwrap *cursor)
{
	struct dma_fence *first;

	for (; cursor->chain;
	     cursor->chain = dma_fence_chain_walk(cursor->chain)) {
		cursor->array = dma_fence_chain_contained(cursor->chain);
		cursor->index = 0;

		first = dma_fence_array_first(cursor->array);
		if (first)
			return first;
	}

	cursor->array = NULL;
	return NULL;
}

/**
 * dma_fence_unwrap_first - start dma_fence_unwrap_for_each()
 * @head: the fence to unwrap, or NULL
 * @cursor: the iteration state to initialise
 *
 * Context: Any context. The caller must hold a reference to @head; the
 * cursor takes one of its own.
 * Return: the first plain fence inside @head, or NULL if there is none.
 * The returned fence is borrowed from the cursor.
 */
struct dma_fence *dma_fence_unwrap_first(struct dma_fence *head,
					 struct dma_fence_unwrap *cursor)
{
	cursor->chain = dma_fence_get(head);

	return unwrap_enter(cursor);
}
EXPORT_SYMBOL_GPL(dma_fence_unwrap_first);

/**
 * dma_fence_unwrap_next - step of dma_fence_unwrap_for_each()
 * @cursor: iteration state from dma_fence_unwrap_first()
 *
 * Moves to the next member of the current array, or else to the next
 * unsignalled chain node (see dma_fence_chain_walk()).
 *
 * Context: Any context; may drop the last reference to a chain node.
 * Return: the next plain fence, borrowed from the cursor, or NULL at the
 * end, when the cursor no longer holds any reference.
 */
struct dma_fence *dma_fence_unwrap_next(struct dma_fence_unwrap *cursor)
{
	struct dma_fence *next;

	next = dma_fence_array_next(cursor->array, ++cursor->index);
	if (next)
		return next;

	cursor->chain = dma_fence_chain_walk(cursor->chain);
	return unwrap_enter(cursor);
}
EXPORT_SYMBOL_GPL(dma_fence_unwrap_next);

/*
 * fence_order - sort() comparison for dma_fence_dedup_array()
 *
 * Orders by context, and within a context from the latest fence to the
 * earliest, so that each context's run starts with the fence to keep.
 */
static int fence_order(const void *pa, const void *pb)
{
	struct dma_fence *a = *(struct dma_fence * const *)pa;
	struct dma_fence *b = *(struct dma_fence * const *)pb;

	if (a->context != b->context)
		return a->context < b->context ? -1 : 1;

	if (dma_fence_is_later(a, b))
		return -1;
	if (dma_fence_is_later(b, a))
		return 1;

	return 0;
}

/**
 * dma_fence_dedup_array - keep only the latest fence of each context
 * @fences: array of referenced fences, modified in place
 * @num_fences: number of entries in @fences
 *
 * Sorts @fences by context and reduces it to one fence per context, the
 * latest one by seqno (dma_fence_is_later()); the references to the
 * fences dropped are put. Entries beyond the returned count are stale.
 * The order of the result is by context, not the original order.
 *
 * Context: Any context; does not sleep, but sorts the whole array.
 * Return: the number of fences left at the start of @fences.
 */
int dma_fence_dedup_array(struct dma_fence **fences, int num_fences)
{
	int kept, i;

	if (WARN_ON_ONCE(num_fences < 0))
		return 0;
	if (num_fences < 2)
		return num_fences;

	sort(fences, num_fences, sizeof(*fences), fence_order, NULL);

	kept = 1;
	for (i = 1; i < num_fences; i++) {
		if (fences[i]->context == fences[kept - 1]->context)
			dma_fence_put(fences[i]);
		else
			fences[kept++] = fences[i];
	}

	return kept;
}
EXPORT_SYMBOL_GPL(dma_fence_dedup_array);

/*
 * Most members a merged array may have: its callback slots are allocated
 * in one piece by kmalloc, which gives at most KMALLOC_MAX_SIZE bytes.
 */
#define DMA_FENCE_UNWRAP_MERGE_MAX					\
	((KMALLOC_MAX_SIZE - sizeof(struct dma_fence_array)) /		\
	 sizeof(struct dma_fence_array_cb))

/*
 * merge_collect - gather the unsignalled fences inside the merge inputs
 *
 * Unwraps each of the @num_fences inputs with its own cursor. Unsignalled
 * fences are stored, each with a new reference, into @out while there is
 * room for them (@out may be NULL with @room 0, to only count). The
 * completion time of the latest signalled fence seen is raised into
 * *@latest.
 * Return: the number of unsignalled fences found, which may exceed @room.
 */
static unsigned int merge_collect(unsigned int num_fences,
				  struct dma_fence **fences,
				  struct dma_fence_unwrap *cursors,
				  struct dma_fence **out, unsigned int room,
				  ktime_t *latest)
{
	unsigned int found = 0;
	struct dma_fence *f;
	unsigned int i;

	for (i = 0; i < num_fences; i++) {
		dma_fence_unwrap_for_each(f, &cursors[i], fences[i]) {
			if (dma_fence_is_signaled(f)) {
				ktime_t t = dma_fence_timestamp(f);

				if (ktime_after(t, *latest))
					*latest = t;
				continue;
			}

			if (found < room)
				out[found] = dma_fence_get(f);
			found++;
		}
	}

	return found;
}

/**
 * __dma_fence_unwrap_merge - implementation of dma_fence_unwrap_merge()
 * @num_fences: number of entries in @fences
 * @fences: the fences to merge; containers and NULL entries allowed
 * @cursors: scratch space, one iteration cursor per entry of @fences
 *
 * Use dma_fence_unwrap_merge() instead, which provides @cursors.
 *
 * Unsignalled fences are collected from all inputs and reduced to the
 * latest fence per context with dma_fence_dedup_array(). When none is
 * left, the result is a new, already signalled fence carrying the
 * completion time of the latest signalled input; errors of signalled
 * inputs are not carried over (as in Linux 6.12). When one is left, it is
 * returned itself. Otherwise a new &struct dma_fence_array on a new
 * context, signalling when all of them have signalled, is returned.
 *
 * Context: Process context, may sleep (allocates with GFP_KERNEL).
 * Return: a new reference to the merged fence, or NULL when out of memory
 * or when more fences are pending than one kmalloc'ed fence array can
 * hold (neither warns), in which case no reference is leaked and the
 * inputs keep theirs.
 */
struct dma_fence *__dma_fence_unwrap_merge(unsigned int num_fences,
					   struct dma_fence **fences,
					   struct dma_fence_unwrap *cursors)
{
	struct dma_fence_array *result;
	struct dma_fence **pending;
	ktime_t latest = 0;
	unsigned int count, found;
	int i, n;

	/* First count, then collect; fences only go from pending to done. */
	count = merge_collect(num_fences, fences, cursors, NULL, 0, &latest);
	if (!count)
		return dma_fence_allocate_private_stub(latest);

	/*
	 * @count comes from userspace through SYNC_IOC_MERGE and has no
	 * bound but memory: a request beyond what kmalloc can give fails
	 * quietly. The array must be kmalloc'ed, since the fence array
	 * frees it with kfree().
	 */
	pending = kmalloc_array(count, sizeof(*pending),
				GFP_KERNEL | __GFP_NOWARN);
	if (!pending)
		return NULL;

	found = merge_collect(num_fences, fences, cursors, pending, count,
			      &latest);
	/* A fence found done the first time cannot be pending again. */
	WARN_ON_ONCE(found > count);
	n = dma_fence_dedup_array(pending, min(found, count));

	if (n == 0 || n == 1) {
		struct dma_fence *single = n ? pending[0] :
			dma_fence_allocate_private_stub(latest);

		kfree(pending);
		return single;
	}

	/* An array with more members than kmalloc can hold is not tried. */
	result = NULL;
	if (n <= DMA_FENCE_UNWRAP_MERGE_MAX)
		result = dma_fence_array_create(n, pending,
						dma_fence_context_alloc(1), 1,
						false);
	if (result)
		return &result->base;

	for (i = 0; i < n; i++)
		dma_fence_put(pending[i]);
	kfree(pending);
	return NULL;
}
EXPORT_SYMBOL_GPL(__dma_fence_unwrap_merge);
