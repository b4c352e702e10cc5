/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kselftest harness, as every program of this directory includes it,
 * with the DIFFERS_FROM_612() mark.
 *
 * 6.12's kselftest_harness.h leaves a parameter of its own unused, which
 * -Wextra reports: the header is compiled without that warning, and the
 * including file keeps it.  Each TEST_F() expands to a wrapper that keeps
 * a local across setjmp(); once gcc inlines a test body into it,
 * -Wclobbered may flag that harness local at -O2, and nothing of ours
 * lives across the setjmp(): that warning is off from here on.  A program
 * whose TEST() cases leave the harness's variant argument unused turns
 * -Wunused-parameter off itself, below its own helpers.
 */
#ifndef DMABUF_HARNESS_H
#define DMABUF_HARNESS_H

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#ifndef __clang__	/* gcc's warning; clang has no such group */
#pragma GCC diagnostic ignored "-Wclobbered"
#endif

#include "differs.h"

#endif /* DMABUF_HARNESS_H */
