/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Marks for the cases that pin a deliberate difference from Linux 6.12.
 *
 * The differential boot (make check's boot-oracle) runs every kselftest of
 * this directory on the unmodified 6.12 base kernel.  A case that is meant
 * to fail there calls DIFFERS_FROM_612() first thing in its body, naming
 * the id of its row in the README's "Differences from 6.12" table.  The
 * harness then requires the case to pass on our kernel and to fail on the
 * base; an unmarked case that fails on the base, a marked one that passes
 * there, and a mark naming no row of the table all fail make check.
 */
#ifndef DMABUF_DIFFERS_H
#define DMABUF_DIFFERS_H

#include <stdio.h>

/* The line the harness looks for, before the case's TAP result line. */
#define DIFFERS_FROM_612(row) do {					\
	printf("# differs-from-6.12: %s\n", (row));			\
	fflush(stdout);							\
} while (0)

#endif /* DMABUF_DIFFERS_H */
