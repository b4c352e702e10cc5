/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dma-buf benchmark: what its runner and the two implementations
 * under measurement share.
 *
 * The operations are written once (dmabuf-bench-*.h) against the plain
 * dma-fence, dma-resv and dma-buf API and compiled twice: in
 * dmabuf-bench-ours.c against this tree, in dmabuf-bench-upstream.c
 * against a renamed copy of the base kernel's files. Nothing declared
 * here mentions a type of either implementation, so the runner can drive
 * both without knowing their layouts.
 */

#ifndef _DMA_BUF_TESTS_DMABUF_BENCH_H
#define _DMA_BUF_TESTS_DMABUF_BENCH_H

#include <linux/ktime.h>
#include <linux/types.h>

struct device;

/* The largest N of any operation; scratch arrays are this long. */
#define DMABUF_BENCH_MAX_N	4096

/**
 * struct dmabuf_bench_time - time spent in the measured sections of a run
 * @ns: Sum of the measured sections, in nanoseconds (under QEMU's
 *	-icount shift=0, in guest instructions).
 * @start: Start of the open section.
 * @sections: Number of sections measured; the runner subtracts what
 *	reading the clock twice costs, once per section.
 *
 * An operation measures only what it is about: the setup of its inputs
 * and the release of its outputs happen outside bench_start() and
 * bench_stop() where that can be separated.
 */
struct dmabuf_bench_time {
	u64 ns;
	u64 start;
	unsigned long sections;
};

/* Open a measured section. */
static inline void bench_start(struct dmabuf_bench_time *t)
{
	t->start = ktime_get_ns();
}

/* Close the measured section opened by bench_start(). */
static inline void bench_stop(struct dmabuf_bench_time *t)
{
	t->ns += ktime_get_ns() - t->start;
	t->sections++;
}

/**
 * struct dmabuf_bench_ctx - what the runner lends an implementation
 * @dev: A device to attach buffers to (coherent, no DMA ops).
 * @slots: DMABUF_BENCH_MAX_N pointers of scratch space.
 * @more: Another DMABUF_BENCH_MAX_N pointers.
 */
struct dmabuf_bench_ctx {
	struct device *dev;
	void **slots;
	void **more;
};

/**
 * struct dmabuf_bench_op - one measured operation
 * @name: Its name in the report.
 * @sizes: The values of N it is measured at, 0-terminated; N is 1 for
 *	an operation without one.
 * @work: Units of work per run: a run repeats the operation
 *	max(1, @work / N) times.
 * @runs: Runs per implementation, 0 for the runner's default.
 * @run: Repeat the operation @reps times at size @n, adding the time of
 *	the measured sections to @t. Returns 0 or a negative errno, and
 *	leaves nothing allocated either way. NULL for an implementation
 *	that does not have the operation.
 */
struct dmabuf_bench_op {
	const char *name;
	unsigned int sizes[4];
	unsigned int work;
	unsigned int runs;
	int (*run)(struct dmabuf_bench_ctx *ctx, unsigned int n,
		   unsigned int reps, struct dmabuf_bench_time *t);
};

/**
 * struct dmabuf_bench_size - sizeof a structure drivers embed
 * @name: The structure's tag.
 * @size: Its size in the implementation.
 */
struct dmabuf_bench_size {
	const char *name;
	size_t size;
};

/**
 * struct dmabuf_bench_impl - one implementation under measurement
 * @name: "ours" or "upstream".
 * @ops: Its operations, in the same order for every implementation.
 * @nops: Number of @ops.
 * @sizes: The sizes of its embeddable structures.
 * @nsizes: Number of @sizes.
 * @init: Called first, NULL if not needed (the base kernel's dma-buf.c
 *	mounts its file system here).
 * @exit: Called last, undoing @init; NULL if not needed.
 * @setup: Called once before its first operation, after @init.
 * @teardown: Called once after its last operation, before @exit.
 */
struct dmabuf_bench_impl {
	const char *name;
	const struct dmabuf_bench_op *ops;
	unsigned int nops;
	const struct dmabuf_bench_size *sizes;
	unsigned int nsizes;
	int (*init)(void);
	void (*exit)(void);
	int (*setup)(void);
	void (*teardown)(void);
};

extern const struct dmabuf_bench_impl dmabuf_bench_ours;
/* NULL when the build tree holds no copy of the base kernel's files. */
extern const struct dmabuf_bench_impl *const dmabuf_bench_upstream;

#endif /* _DMA_BUF_TESTS_DMABUF_BENCH_H */
