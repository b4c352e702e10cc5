/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace event of the sw_sync software timeline (trace system sync_trace).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sync_trace
#undef TRACE_INCLUDE_PATH
/* sw_sync.o is built with -I$(src), see the Makefile. */
#define TRACE_INCLUDE_PATH .

#if !defined(_DMA_BUF_SYNC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DMA_BUF_SYNC_TRACE_H

#include <linux/tracepoint.h>
#include "sync_debug.h"

/*
 * sync_timeline - a timeline is about to be advanced.
 * Records the timeline's name and the value it had before the increment.
 * Emitted with &sync_timeline.lock held, so the value is consistent.
 */
TRACE_EVENT(sync_timeline,
	    TP_PROTO(struct sync_timeline *timeline),
	    TP_ARGS(timeline),
	    TP_STRUCT__entry(__string(name, timeline->name)
			     __field(u32, value)),
	    TP_fast_assign(__assign_str(name);
			   __entry->value = timeline->value;),
	    TP_printk("name=%s value=%d", __get_str(name), __entry->value)
);

#endif /* _DMA_BUF_SYNC_TRACE_H */

/* Outside the guard: define_trace.h reads this header several times. */
#include <trace/define_trace.h>
