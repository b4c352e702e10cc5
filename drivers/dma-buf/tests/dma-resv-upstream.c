// SPDX-License-Identifier: GPL-2.0-only
/*
 * The base kernel's dma-resv implementation, built under other names into
 * the benchmark module, next to this tree's.
 *
 * The harness copies the base kernel's drivers/dma-buf/dma-resv.c into the
 * build tree as drivers/dma-buf/tests/upstream-dma-resv.c; it is never part
 * of this repository. Without the copy this file only says so, by leaving
 * resv_bench_upstream NULL, and the benchmark measures this tree alone.
 */

/*
 * Every global symbol the copied file defines gets an up_ prefix, and so
 * does every use of it. The macros must be in force before the first
 * header that declares these names is read, so that the prototypes of
 * <linux/dma-resv.h>, and the inline helpers there which call them (such
 * as dma_resv_unlock()), are renamed too. Both copies work on the same
 * struct dma_resv and struct dma_resv_iter, whose layout is interface.
 */
#define reservation_ww_class		up_reservation_ww_class
#define dma_resv_init			up_dma_resv_init
#define dma_resv_fini			up_dma_resv_fini
#define dma_resv_reserve_fences		up_dma_resv_reserve_fences
#define dma_resv_reset_max_fences	up_dma_resv_reset_max_fences
#define dma_resv_add_fence		up_dma_resv_add_fence
#define dma_resv_replace_fences		up_dma_resv_replace_fences
#define dma_resv_iter_first_unlocked	up_dma_resv_iter_first_unlocked
#define dma_resv_iter_next_unlocked	up_dma_resv_iter_next_unlocked
#define dma_resv_iter_first		up_dma_resv_iter_first
#define dma_resv_iter_next		up_dma_resv_iter_next
#define dma_resv_copy_fences		up_dma_resv_copy_fences
#define dma_resv_get_fences		up_dma_resv_get_fences
#define dma_resv_get_singleton		up_dma_resv_get_singleton
#define dma_resv_wait_timeout		up_dma_resv_wait_timeout
#define dma_resv_set_deadline		up_dma_resv_set_deadline
#define dma_resv_test_signaled		up_dma_resv_test_signaled
#define dma_resv_describe		up_dma_resv_describe

#include <linux/export.h>
#include <linux/init.h>
#include <linux/module.h>

#include "dma-resv-bench.h"

/* Defined by the Makefile when the copy is there. */
#ifdef DMA_RESV_BENCH_UPSTREAM

/*
 * The exports of the copy stay: under their up_ names they clash with
 * nothing, and no module uses them.
 */

/*
 * The copy registers a lockdep-priming function as an initcall, which in a
 * module would become its init function. Declare it unused instead, so
 * the compiler drops it together with its references.
 */
#undef subsys_initcall
#define subsys_initcall(fn)	static int __init __maybe_unused fn(void)

#include "upstream-dma-resv.c"

static const struct resv_bench_impl upstream_impl =
	RESV_BENCH_IMPL("upstream");
const struct resv_bench_impl *const resv_bench_upstream = &upstream_impl;

#else

const struct resv_bench_impl *const resv_bench_upstream;

#endif
