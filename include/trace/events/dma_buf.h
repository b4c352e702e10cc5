/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace events of the dma-buf core: a buffer's export, its descriptors, the
 * references importers take and drop, its mappings into userspace and its
 * device attachments. The events, their fields and their output are
 * mainline's (Linux 7.0); drivers/dma-buf/dma-buf-trace.h says how the core
 * emits them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dma_buf

#if !defined(_TRACE_DMA_BUF_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DMA_BUF_H

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/tracepoint.h>

/* What every event records of the buffer itself. */
DECLARE_EVENT_CLASS(dma_buf,
		    TP_PROTO(struct dma_buf *dmabuf),
		    TP_ARGS(dmabuf),

		    TP_STRUCT__entry(__string(exp_name, dmabuf->exp_name)
				     __field(size_t, size)
				     __field(ino_t, ino)),

		    TP_fast_assign(__assign_str(exp_name);
				   __entry->size = dmabuf->size;
				   __entry->ino =
					file_inode(dmabuf->file)->i_ino;),

		    TP_printk("exp_name=%s size=%zu ino=%lu",
			      __get_str(exp_name), __entry->size,
			      __entry->ino));

/* The buffer, and a device that attaches to it or detaches from it. */
DECLARE_EVENT_CLASS(dma_buf_attach_dev,
		    TP_PROTO(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach,
			     bool is_dynamic, struct device *dev),
		    TP_ARGS(dmabuf, attach, is_dynamic, dev),

		    TP_STRUCT__entry(__string(dev_name, dev_name(dev))
				     __string(exp_name, dmabuf->exp_name)
				     __field(size_t, size)
				     __field(ino_t, ino)
				     __field(struct dma_buf_attachment *,
					     attach)
				     __field(bool, is_dynamic)),

		    TP_fast_assign(__assign_str(dev_name);
				   __assign_str(exp_name);
				   __entry->size = dmabuf->size;
				   __entry->ino =
					file_inode(dmabuf->file)->i_ino;
				   __entry->attach = attach;
				   __entry->is_dynamic = is_dynamic;),

		    TP_printk("exp_name=%s size=%zu ino=%lu attachment:%p is_dynamic=%d dev_name=%s",
			      __get_str(exp_name), __entry->size,
			      __entry->ino, __entry->attach,
			      __entry->is_dynamic, __get_str(dev_name)));

/* The buffer and a descriptor of it. */
DECLARE_EVENT_CLASS(dma_buf_fd,
		    TP_PROTO(struct dma_buf *dmabuf, int fd),
		    TP_ARGS(dmabuf, fd),

		    TP_STRUCT__entry(__string(exp_name, dmabuf->exp_name)
				     __field(size_t, size)
				     __field(ino_t, ino)
				     __field(int, fd)),

		    TP_fast_assign(__assign_str(exp_name);
				   __entry->size = dmabuf->size;
				   __entry->ino =
					file_inode(dmabuf->file)->i_ino;
				   __entry->fd = fd;),

		    TP_printk("exp_name=%s size=%zu ino=%lu fd=%d",
			      __get_str(exp_name), __entry->size,
			      __entry->ino, __entry->fd));

/* dma_buf_export() made the buffer. */
DEFINE_EVENT(dma_buf, dma_buf_export,
	     TP_PROTO(struct dma_buf *dmabuf), TP_ARGS(dmabuf));

/* mmap() of the buffer's own descriptor, before the exporter maps it. */
DEFINE_EVENT(dma_buf, dma_buf_mmap_internal,
	     TP_PROTO(struct dma_buf *dmabuf), TP_ARGS(dmabuf));

/* dma_buf_mmap(): a driver maps the buffer into a VMA of its own file. */
DEFINE_EVENT(dma_buf, dma_buf_mmap,
	     TP_PROTO(struct dma_buf *dmabuf), TP_ARGS(dmabuf));

/* dma_buf_put(), before the reference goes. */
DEFINE_EVENT(dma_buf, dma_buf_put,
	     TP_PROTO(struct dma_buf *dmabuf), TP_ARGS(dmabuf));

/* dma_buf_attach() or dma_buf_dynamic_attach() succeeded. */
DEFINE_EVENT(dma_buf_attach_dev, dma_buf_dynamic_attach,
	     TP_PROTO(struct dma_buf *dmabuf,
		      struct dma_buf_attachment *attach, bool is_dynamic,
		      struct device *dev),
	     TP_ARGS(dmabuf, attach, is_dynamic, dev));

/* dma_buf_detach(), after the exporter's detach hook. */
DEFINE_EVENT(dma_buf_attach_dev, dma_buf_detach,
	     TP_PROTO(struct dma_buf *dmabuf,
		      struct dma_buf_attachment *attach, bool is_dynamic,
		      struct device *dev),
	     TP_ARGS(dmabuf, attach, is_dynamic, dev));

/* A new descriptor of the buffer, just before it becomes visible. */
DEFINE_EVENT(dma_buf_fd, dma_buf_fd,
	     TP_PROTO(struct dma_buf *dmabuf, int fd), TP_ARGS(dmabuf, fd));

/* dma_buf_get() turned descriptor @fd into a reference. */
DEFINE_EVENT(dma_buf_fd, dma_buf_get,
	     TP_PROTO(struct dma_buf *dmabuf, int fd), TP_ARGS(dmabuf, fd));

#endif /* _TRACE_DMA_BUF_H */

/* Outside the guard: define_trace.h reads the events again. */
#include <trace/define_trace.h>
