// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runner for upstream's sync kselftest cases (tools/testing/selftests/sync
 * of the base tree, compiled in at build time, never committed here).
 *
 * Upstream's own main() also runs two ping-pong stress cases, where two
 * threads hand a timeline back and forth 2^16 times (or 2^12 times among
 * several producers).  Every hand-over is a cross-CPU wake-up, which costs
 * milliseconds under QEMU TCG, so those two cases alone take more than 15
 * minutes there.  This runner runs every other case, each in a child
 * process as upstream does, and reports TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest.h"
#include "synctest.h"

struct peer_case {
	const char *name;
	int (*fn)(void);
};

static const struct peer_case cases[] = {
	{ "test_alloc_timeline", test_alloc_timeline },
	{ "test_alloc_fence", test_alloc_fence },
	{ "test_alloc_fence_negative", test_alloc_fence_negative },
	{ "test_fence_one_timeline_wait", test_fence_one_timeline_wait },
	{ "test_fence_one_timeline_merge", test_fence_one_timeline_merge },
	{ "test_fence_merge_same_fence", test_fence_merge_same_fence },
	{ "test_fence_multi_timeline_wait", test_fence_multi_timeline_wait },
	{ "test_merge_stress_random_merge", test_merge_stress_random_merge },
};

/* Run one case in a child; true when it exited with status 0. */
static int run_in_child(const struct peer_case *c)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		exit(c->fn());
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	struct stat st;
	unsigned int i;

	ksft_print_header();
	if (stat("/sys/kernel/debug/sync/sw_sync", &st))
		ksft_exit_skip("no /sys/kernel/debug/sync/sw_sync\n");
	ksft_set_plan(ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		ksft_test_result(run_in_child(&cases[i]), "%s\n", cases[i].name);
	ksft_finished();
}
