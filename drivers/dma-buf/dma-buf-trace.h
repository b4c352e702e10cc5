/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How the dma-buf core and its heaps emit the events of
 * <trace/events/dma_buf.h>. dma-buf.c defines CREATE_TRACE_POINTS before
 * including this header; every other file includes it plainly.
 */

#ifndef __DMA_BUF_TRACE_H
#define __DMA_BUF_TRACE_H

#include <linux/dma-buf.h>
#include <linux/kconfig.h>
#include <linux/spinlock.h>

#endif /* __DMA_BUF_TRACE_H */

/* Outside the guard, so that CREATE_TRACE_POINTS reaches it once. */
#include <trace/events/dma_buf.h>

#ifndef DMA_BUF_TRACE
/**
 * DMA_BUF_TRACE - emit a dma_buf event with the buffer's name lock held
 * @event: the event's name without the trace_ prefix, e.g. dma_buf_put
 * @buf: the &struct dma_buf the event is about; it must stay alive for
 *	the call (the caller holds a reference)
 * @...: the event's arguments after the buffer
 *
 * No event records &dma_buf.name (the field was dropped from mainline's
 * events before they were merged), but mainline emits every one of them
 * under &dma_buf.name_lock and so does this core: a probe attached to the
 * tracepoint (a BPF program, a module) may read the name, which is only
 * stable under that lock. With lockdep the lock is taken even while the
 * event is off, so that lockdep learns where it nests from every boot,
 * not only from traced ones; otherwise a disabled event costs one static
 * branch.
 *
 * Context: Where the event is emitted; &dma_buf.name_lock must not be held.
 */
#define DMA_BUF_TRACE(event, buf, ...)					\
	do {								\
		struct dma_buf *__trace_buf = (buf);			\
									\
		if (IS_ENABLED(CONFIG_LOCKDEP) ||			\
		    trace_##event##_enabled()) {			\
			spin_lock(&__trace_buf->name_lock);		\
			trace_##event(__trace_buf, ##__VA_ARGS__);	\
			spin_unlock(&__trace_buf->name_lock);		\
		}							\
	} while (0)
#endif
