/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The table of benchmark operations, compiled once per implementation:
 * dmabuf-bench-ours.c and dmabuf-bench-upstream.c each include it once
 * and name their instance with DMABUF_BENCH_IMPL(). Both instances list
 * the same operations in the same order; an operation that only one tree
 * provides has a NULL run in the other.
 */

#ifndef _DMA_BUF_TESTS_DMABUF_BENCH_OPS_H
#define _DMA_BUF_TESTS_DMABUF_BENCH_OPS_H

#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-resv.h>

#include "dmabuf-bench.h"
#include "dmabuf-bench-fence.h"
#include "dmabuf-bench-resv.h"
#include "dmabuf-bench-buf.h"

/* Sizes of resv objects and of the N-fence merges. */
#define BENCH_RESV_SIZES	{ 1, 4, 64, 1024 }
#define BENCH_MERGE_SIZES	{ 2, 64, 1024 }

static const struct dmabuf_bench_op bench_ops[] = {
	{ "fence-init-signal", { 1 }, 4096, 0, bench_fence_init_signal },
	{ "fence-callback-signal", { 1, 8 }, 4096, 0, bench_fence_cb_signal },
	{ "fence-is-signaled", { 1 }, 16384, 0, bench_fence_is_signaled },
	{ "fence-wait-signaled", { 1 }, 16384, 0, bench_fence_wait_signaled },
	{ "fence-get-put", { 1 }, 16384, 0, bench_fence_get_put },
	{ "fence-enable-signal", { 1 }, 4096, 0, bench_fence_enable_signal },
	{ "array-signal-all", { 2, 16, 256 }, 4096, 0,
	  bench_array_signal_all },
	{ "array-signal-any", { 2, 16, 256 }, 4096, 0,
	  bench_array_signal_any },
	{ "chain-build", { 4, 64, 1024 }, 4096, 0, bench_chain_build_put },
	{ "chain-walk", { 4, 64, 1024 }, 16384, 0, bench_chain_walk },
	{ "chain-find-seqno", { 4, 64, 1024 }, 16384, 0,
	  bench_chain_find_seqno },
	/* Upstream's cost grows with N^2: few runs at 4096 links. */
	{ "chain-signal-enabled", { 16, 256, 4096 }, 4096, 3,
	  bench_chain_signal_enabled },
	{ "merge-contexts", BENCH_MERGE_SIZES, 8192, 0, bench_merge_contexts },
	{ "merge-one-context", BENCH_MERGE_SIZES, 8192, 0,
	  bench_merge_one_context },
	{ "sync-file-create", { 1 }, 1024, 0, bench_sync_file_create },
	{ "resv-add", BENCH_RESV_SIZES, 4096, 0, bench_resv_add },
	{ "resv-walk-unlocked", BENCH_RESV_SIZES, 16384, 0,
	  bench_resv_walk_unlocked },
	{ "resv-walk-locked", BENCH_RESV_SIZES, 16384, 0,
	  bench_resv_walk_locked },
	{ "resv-get-fences", BENCH_RESV_SIZES, 8192, 0,
	  bench_resv_get_fences },
	{ "resv-get-singleton", BENCH_RESV_SIZES, 8192, 0,
	  bench_resv_get_singleton },
	{ "resv-test-signaled", BENCH_RESV_SIZES, 16384, 0,
	  bench_resv_test_signaled },
	{ "resv-wait-signaled", BENCH_RESV_SIZES, 16384, 0,
	  bench_resv_wait_signaled },
	/* N is the number of pending fences; work counts adds. */
	{ "resv-churn", { 4, 64 }, 4096 * 64, 0, bench_resv_churn },
	{ "buf-export-put", { 1 }, 512, 0, bench_buf_export_put },
	{ "buf-attach-map", { 1 }, 2048, 0, bench_attach_map },
	{ "buf-map-unmap", { 1 }, 4096, 0, bench_map_unmap },
	{ "buf-cpu-access", { 1 }, 4096, 0, bench_cpu_access_pair },
	{ "buf-device-access-coherent", { 1 }, 8192, 0,
	  BENCH_DEVICE_ACCESS },
};

/* The structures drivers embed, in this implementation. */
static const struct dmabuf_bench_size bench_sizes[] = {
	{ "dma_fence", sizeof(struct dma_fence) },
	{ "dma_fence_array", sizeof(struct dma_fence_array) },
	{ "dma_fence_chain", sizeof(struct dma_fence_chain) },
	{ "dma_resv", sizeof(struct dma_resv) },
	{ "dma_buf", sizeof(struct dma_buf) },
	{ "dma_buf_attachment", sizeof(struct dma_buf_attachment) },
};

/*
 * Define @var, the implementation @label, whose @init and @exit (either
 * NULL) the runner calls around the setup of the operations.
 */
#define DMABUF_BENCH_IMPL(var, label, init_fn, exit_fn)			\
const struct dmabuf_bench_impl var = {					\
	.name = (label),						\
	.ops = bench_ops,						\
	.nops = ARRAY_SIZE(bench_ops),					\
	.sizes = bench_sizes,						\
	.nsizes = ARRAY_SIZE(bench_sizes),				\
	.init = (init_fn),						\
	.exit = (exit_fn),						\
	.setup = bench_buf_setup,					\
	.teardown = bench_buf_teardown,					\
}

#endif /* _DMA_BUF_TESTS_DMABUF_BENCH_OPS_H */
