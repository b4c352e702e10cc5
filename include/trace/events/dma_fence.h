/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of the dma-fence core, one per step in the life of a fence:
 * creation, emission to hardware, arming, waiting, completion, destruction.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dma_fence

#if !defined(_TRACE_DMA_FENCE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DMA_FENCE_H

#include <linux/tracepoint.h>

struct dma_fence;

/*
 * Every event records the same snapshot of a fence. The names come from
 * dma_fence_driver_name() and dma_fence_timeline_name(): a probe runs with
 * preemption disabled, which is an RCU read-side section for those helpers,
 * and a fence that has signalled is shown with placeholder names because its
 * provider may already have freed the real ones (dma_fence_signaled, below,
 * is the exception). Context and seqno are
 * truncated to 32 bits in the record.
 */
DECLARE_EVENT_CLASS(dma_fence,
		    TP_PROTO(struct dma_fence *fence),
		    TP_ARGS(fence),

		    TP_STRUCT__entry(__string(driver,
					      dma_fence_driver_name(fence))
				     __string(timeline,
					      dma_fence_timeline_name(fence))
				     __field(unsigned int, context)
				     __field(unsigned int, seqno)),

		    TP_fast_assign(__entry->context = fence->context;
				   __entry->seqno = fence->seqno;
				   __assign_str(driver);
				   __assign_str(timeline);),

		    TP_printk("driver=%s timeline=%s context=%u seqno=%u",
			      __get_str(driver), __get_str(timeline),
			      __entry->context, __entry->seqno));

/* A driver handed the work behind the fence to the hardware. */
DEFINE_EVENT(dma_fence, dma_fence_emit,
	     TP_PROTO(struct dma_fence *fence), TP_ARGS(fence));

/* dma_fence_init() set the fence up. */
DEFINE_EVENT(dma_fence, dma_fence_init,
	     TP_PROTO(struct dma_fence *fence), TP_ARGS(fence));

/* The last reference went away. */
DEFINE_EVENT(dma_fence, dma_fence_destroy,
	     TP_PROTO(struct dma_fence *fence), TP_ARGS(fence));

/* The provider was asked to signal the fence by itself. */
DEFINE_EVENT(dma_fence, dma_fence_enable_signal,
	     TP_PROTO(struct dma_fence *fence), TP_ARGS(fence));

/*
 * The same record, for the one event that fires from inside the signalling
 * path: the names come straight from the provider. The signaller holds
 * &dma_fence.lock, a spinlock, from before it set the signalled bit until
 * after this event. With preemption off, that is an RCU read-side section
 * which began while the fence was still pending, and a provider may free
 * its names only a grace period after the fence signalled, so they are
 * still valid here. Tools that follow a fence to its end need the real
 * names on this event.
 */
DECLARE_EVENT_CLASS(dma_fence_signalling,
		    TP_PROTO(struct dma_fence *fence),
		    TP_ARGS(fence),

		    TP_STRUCT__entry(__string(driver,
					      fence->ops->get_driver_name(fence))
				     __string(timeline,
					      fence->ops->get_timeline_name(fence))
				     __field(unsigned int, context)
				     __field(unsigned int, seqno)),

		    TP_fast_assign(__entry->context = fence->context;
				   __entry->seqno = fence->seqno;
				   __assign_str(driver);
				   __assign_str(timeline);),

		    TP_printk("driver=%s timeline=%s context=%u seqno=%u",
			      __get_str(driver), __get_str(timeline),
			      __entry->context, __entry->seqno));

/* The fence completed; its callbacks run right after this event. */
DEFINE_EVENT(dma_fence_signalling, dma_fence_signaled,
	     TP_PROTO(struct dma_fence *fence), TP_ARGS(fence));

/* dma_fence_wait_timeout() is about to block (or poll) on the fence. */
DEFINE_EVENT(dma_fence, dma_fence_wait_start,
	     TP_PROTO(struct dma_fence *fence), TP_ARGS(fence));

/* dma_fence_wait_timeout() returned, whatever the outcome. */
DEFINE_EVENT(dma_fence, dma_fence_wait_end,
	     TP_PROTO(struct dma_fence *fence), TP_ARGS(fence));

#endif /* _TRACE_DMA_FENCE_H, or multi-read */

/* Outside the guard: this expands the events under CREATE_TRACE_POINTS. */
#include <trace/define_trace.h>
