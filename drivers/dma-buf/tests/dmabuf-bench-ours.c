// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark's operations compiled against this tree's implementation.
 */

#define DMABUF_BENCH_OURS
#include "dmabuf-bench-ops.h"

DMABUF_BENCH_IMPL(dmabuf_bench_ours, "ours", NULL, NULL);
