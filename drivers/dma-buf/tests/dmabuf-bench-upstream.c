// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark's operations compiled against the base kernel's
 * implementation.
 *
 * The harness copies the base kernel's dma-fence, dma-fence-array,
 * dma-fence-chain, dma-fence-unwrap, dma-resv, dma-buf and sync_file
 * sources and their headers into upstream/ of the build tree (never into
 * this repository) and generates upstream/rename.h, which gives every
 * global symbol they define a bench_up_ prefix. The Makefile builds this
 * file and the copies with upstream/include ahead of the kernel's headers
 * and with upstream-prelude.h forced in first, so that the operations
 * below call the copies and see their structure layouts. Without the
 * copies this file only says so, and the runner measures this tree alone.
 */

#include "dmabuf-bench.h"

#ifdef DMABUF_BENCH_UPSTREAM

#include "dmabuf-bench-ops.h"

#ifdef CONFIG_DMABUF_SYSFS_STATS
#include "upstream/dma-buf-sysfs-stats.h"

/*
 * The copy of dma-buf.c calls the sysfs statistics, which are not copied:
 * a second "dmabuf/buffers" directory cannot exist. Both sides of the
 * comparison are meant to run with CONFIG_DMABUF_SYSFS_STATS off; with it
 * on, the base's side skips the statistics.
 */
int dma_buf_init_sysfs_statistics(void)
{
	return 0;
}

void dma_buf_uninit_sysfs_statistics(void)
{
}

int dma_buf_stats_setup(struct dma_buf *dmabuf, struct file *file)
{
	return 0;
}

void dma_buf_stats_teardown(struct dma_buf *dmabuf)
{
}
#endif

/* With the copy's dma_buf_init() and dma_buf_deinit() (upstream-prelude.h). */
static DMABUF_BENCH_IMPL(bench_upstream_impl, "upstream",
			 bench_upstream_init_dma_buf_init,
			 bench_upstream_exit_dma_buf_deinit);
const struct dmabuf_bench_impl *const dmabuf_bench_upstream =
	&bench_upstream_impl;

#else

const struct dmabuf_bench_impl *const dmabuf_bench_upstream;

#endif
