/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Userspace interface of dma-buf file descriptors: CPU access brackets,
 * buffer names and conversion between implicit and explicit fences.
 */

#ifndef _DMA_BUF_UAPI_H_
#define _DMA_BUF_UAPI_H_

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct dma_buf_sync - argument of DMA_BUF_IOCTL_SYNC
 *
 * A process that reads or writes a buffer through mmap() brackets every
 * such access with two calls: one with DMA_BUF_SYNC_START before touching
 * the memory and one with DMA_BUF_SYNC_END, with the same read/write bits,
 * afterwards. The first waits for device work that conflicts with the
 * access and makes the memory coherent for the CPU; the second makes the
 * CPU's writes visible to devices again. Skipping them works on coherent
 * hardware only, by accident.
 */
struct dma_buf_sync {
	/**
	 * @flags: DMA_BUF_SYNC_START or DMA_BUF_SYNC_END, combined with at
	 * least one of DMA_BUF_SYNC_READ (the CPU will read) and
	 * DMA_BUF_SYNC_WRITE (the CPU will write). DMA_BUF_SYNC_RW is both
	 * of the latter. Any other bit is refused with EINVAL.
	 */
	__u64 flags;
};

#define DMA_BUF_SYNC_READ      (1 << 0)	/* the CPU reads */
#define DMA_BUF_SYNC_WRITE     (2 << 0)	/* the CPU writes */
#define DMA_BUF_SYNC_RW        (DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE)
#define DMA_BUF_SYNC_START     (0 << 2)	/* access begins */
#define DMA_BUF_SYNC_END       (1 << 2)	/* access ends */
#define DMA_BUF_SYNC_VALID_FLAGS_MASK \
	(DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END)	/* every defined bit */

/* Longest name DMA_BUF_SET_NAME accepts, terminating NUL included. */
#define DMA_BUF_NAME_LEN	32	/* bytes */

/**
 * struct dma_buf_export_sync_file - argument of
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE
 *
 * Takes a snapshot of the buffer's implicit fences as a sync_file, so that
 * a process using explicit synchronisation can wait for exactly the work
 * that was queued on the buffer at the time of the call.
 */
struct dma_buf_export_sync_file {
	/**
	 * @flags: What the caller is going to do with the buffer.
	 * DMA_BUF_SYNC_READ alone: the sync_file signals once every writer
	 * has finished, like poll() for POLLIN. DMA_BUF_SYNC_WRITE (with or
	 * without DMA_BUF_SYNC_READ): it signals once every reader and
	 * writer has finished, like poll() for POLLOUT. At least one of the
	 * two is required and nothing else is allowed.
	 */
	__u32 flags;
	/** @fd: Out: the new sync_file, close-on-exec. */
	__s32 fd;
};

/**
 * struct dma_buf_import_sync_file - argument of
 * DMA_BUF_IOCTL_IMPORT_SYNC_FILE
 *
 * The reverse of export: makes the fences of a sync_file part of the
 * buffer's implicit synchronisation, for work that a process scheduled
 * explicitly.
 */
struct dma_buf_import_sync_file {
	/**
	 * @flags: How the fences take part. DMA_BUF_SYNC_READ alone: as
	 * readers, so later writers wait for them and later readers do not.
	 * DMA_BUF_SYNC_WRITE (with or without DMA_BUF_SYNC_READ): as a
	 * writer, so every later access waits for them. At least one of the
	 * two is required and nothing else is allowed.
	 */
	__u32 flags;
	/** @fd: In: the sync_file; the caller keeps it open. */
	__s32 fd;
};

#define DMA_BUF_BASE		'b'	/* ioctl type of dma-buf files */
#define DMA_BUF_IOCTL_SYNC	_IOW(DMA_BUF_BASE, 0, struct dma_buf_sync)

/*
 * DMA_BUF_SET_NAME takes a pointer to a NUL-terminated string of at most
 * DMA_BUF_NAME_LEN bytes. Its number was defined with a pointer-sized
 * argument, so 32-bit and 64-bit userspace see different values; the _A
 * and _B spellings name both, and the kernel accepts all of them.
 */
#define DMA_BUF_SET_NAME	_IOW(DMA_BUF_BASE, 1, const char *)
#define DMA_BUF_SET_NAME_A	_IOW(DMA_BUF_BASE, 1, __u32)	/* 32-bit */
#define DMA_BUF_SET_NAME_B	_IOW(DMA_BUF_BASE, 1, __u64)
#define DMA_BUF_IOCTL_EXPORT_SYNC_FILE	_IOWR(DMA_BUF_BASE, 2, struct dma_buf_export_sync_file)
#define DMA_BUF_IOCTL_IMPORT_SYNC_FILE	_IOW(DMA_BUF_BASE, 3, struct dma_buf_import_sync_file)

#endif
