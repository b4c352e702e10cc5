// SPDX-License-Identifier: GPL-2.0-only
/*
 * fence-demo: a narrated walk through sync_file merging for `make run`.
 *
 * Static build, as the harness does it:
 *
 *   gcc -static -O2 -Wall -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o fence-demo <this file>
 *
 * Two software timelines (A and B) come from the sw_sync debugfs file.
 * Points on them are handed out as sync_files, merged with
 * SYNC_IOC_MERGE, and the timelines are then advanced step by step. After
 * every step the program prints, in plain sentences, what FILE_INFO and
 * poll() report, and checks it against what the 6.12 ABI promises.
 *
 * Exit status: 0 when every step went as expected; 1 at the first
 * unexpected result (explained on stderr); 2 when sw_sync is unavailable.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sync_file.h>
#include <linux/types.h>

#define DEMO_PROG "fence-demo"
#include "demo.h"

#define SYNC_INFO_PATH	"/sys/kernel/debug/sync/info"
#define MAX_ENTRIES	8

#define ARRAY_SIZE(arr)		(sizeof(arr) / sizeof((arr)[0]))

/* One sw_sync timeline: its name (= obj_name of its fences), fd, value. */
struct timeline {
	const char *name;
	int fd;
	unsigned int value;
};

/* What FILE_INFO said about one sync_file. */
struct snapshot {
	struct sync_file_info file;
	struct sync_fence_info entry[MAX_ENTRIES];
	int count;
};

/*
 * status_word() - a short human description of a fence status value:
 * "signalled", "pending", or "error: <strerror>" for a negative errno.
 * Returns @buf, which must hold at least 64 bytes.
 */
static const char *status_word(int status, char *buf, size_t len)
{
	if (status == 1)
		snprintf(buf, len, "signalled");
	else if (status == 0)
		snprintf(buf, len, "pending");
	else
		snprintf(buf, len, "error: %s", strerror(-status));
	return buf;
}

/*
 * ns_to_text() - format a CLOCK_MONOTONIC nanosecond stamp as seconds
 * since boot into @buf. Returns @buf.
 */
static const char *ns_to_text(__u64 ns, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%09llu s after boot",
		 (unsigned long long)(ns / 1000000000ULL),
		 (unsigned long long)(ns % 1000000000ULL));
	return buf;
}

/*
 * timeline_open() - open a sw_sync timeline and name it @tl->name.
 * sw_sync takes the name from the opener's comm, so the comm is switched
 * for the open() and restored after. Exits with status 2 if sw_sync is
 * missing, and fails on any other error.
 */
static void timeline_open(struct timeline *tl)
{
	char saved[16] = "";
	int err;

	if (prctl(PR_GET_NAME, (unsigned long)saved, 0, 0, 0) ||
	    prctl(PR_SET_NAME, (unsigned long)tl->name, 0, 0, 0))
		fail("cannot set the task name: %s", strerror(errno));
	tl->fd = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	err = errno;
	prctl(PR_SET_NAME, (unsigned long)saved, 0, 0, 0);

	if (tl->fd < 0 && err == ENOENT) {
		fprintf(stderr,
			"fence-demo: %s does not exist; the kernel needs CONFIG_SW_SYNC=y and debugfs mounted at /sys/kernel/debug\n",
			SW_SYNC_PATH);
		exit(2);
	}
	if (tl->fd < 0)
		fail("opening %s: %s", SW_SYNC_PATH, strerror(err));
	tl->value = 0;
}

/*
 * timeline_fence() - a new sync_file for point @seqno on @tl.
 * Returns the fd; the caller closes it.
 */
static int timeline_fence(struct timeline *tl, unsigned int seqno)
{
	struct sw_sync_create_fence_data req;

	memset(&req, 0, sizeof(req));
	req.value = seqno;
	snprintf(req.name, sizeof(req.name), "%s@%u", tl->name, seqno);
	if (ioctl(tl->fd, SW_SYNC_IOC_CREATE_FENCE, &req))
		fail("creating %s@%u: %s", tl->name, seqno, strerror(errno));
	return req.fence;
}

/* timeline_advance_to() - move @tl forward to @value, signalling points. */
static void timeline_advance_to(struct timeline *tl, unsigned int value)
{
	__u32 steps = value - tl->value;

	if (ioctl(tl->fd, SW_SYNC_IOC_INC, &steps))
		fail("advancing timeline %s: %s", tl->name, strerror(errno));
	tl->value = value;
}

/*
 * merge() - SYNC_IOC_MERGE of @fd1 and @fd2 into a file called @name.
 * Returns the new fd; the caller closes it.
 */
static int merge(int fd1, int fd2, const char *name)
{
	struct sync_merge_data req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	req.fd2 = fd2;
	if (ioctl(fd1, SYNC_IOC_MERGE, &req))
		fail("merging into \"%s\": %s", name, strerror(errno));
	return req.fence;
}

/*
 * snapshot_take() - FILE_INFO of @fd into @snap: first a probe with
 * num_fences = 0 for the count, then a second call that fills the array.
 */
static void snapshot_take(int fd, struct snapshot *snap)
{
	struct sync_file_info *info = &snap->file;
	unsigned int count;

	memset(snap, 0, sizeof(*snap));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, info))
		fail("FILE_INFO probe: %s", strerror(errno));
	count = info->num_fences;
	if (count > MAX_ENTRIES)
		fail("FILE_INFO reports %u fences, more than expected", count);

	memset(info, 0, sizeof(*info));
	info->num_fences = count;
	info->sync_fence_info = (__u64)(uintptr_t)snap->entry;
	if (ioctl(fd, SYNC_IOC_FILE_INFO, info))
		fail("FILE_INFO: %s", strerror(errno));
	snap->count = info->num_fences;
}

/* snapshot_print() - the FILE_INFO of @snap, one line per fence. */
static void snapshot_print(const struct snapshot *snap)
{
	char sbuf[64], tbuf[48];
	int i;

	printf("    FILE_INFO \"%s\": %s, %d fence%s\n", snap->file.name,
	       status_word(snap->file.status, sbuf, sizeof(sbuf)),
	       snap->count, snap->count == 1 ? "" : "s");
	for (i = 0; i < snap->count; i++) {
		const struct sync_fence_info *e = &snap->entry[i];

		printf("      obj_name=%-6s driver_name=%-8s status=%d (%s)",
		       e->obj_name, e->driver_name, e->status,
		       status_word(e->status, sbuf, sizeof(sbuf)));
		if (e->timestamp_ns)
			printf(" at %s",
			       ns_to_text(e->timestamp_ns, tbuf, sizeof(tbuf)));
		printf("\n");
	}
}

/* show() - take and print a snapshot of @fd; returns it in @snap. */
static void show(int fd, struct snapshot *snap)
{
	snapshot_take(fd, snap);
	snapshot_print(snap);
}

/* expect_count() - fail unless @snap holds exactly @want fences. */
static void expect_count(const struct snapshot *snap, int want)
{
	if (snap->count != want)
		fail("\"%s\" holds %d fences, expected %d", snap->file.name,
		     snap->count, want);
}

/* expect_status() - fail unless @snap reports overall status @want. */
static void expect_status(const struct snapshot *snap, int want)
{
	if (snap->file.status != want)
		fail("\"%s\" has status %d, expected %d", snap->file.name,
		     snap->file.status, want);
}

/*
 * expect_entry() - fail unless @snap has a fence of timeline @obj_name
 * from driver @driver with status @status, carrying a timestamp exactly
 * when it has signalled (status != 0). Returns that entry.
 *
 * Once a fence has signalled, FILE_INFO no longer reads its names (the
 * provider may have freed them) and reports SIGNALLED_TIMELINE and
 * SIGNALLED_DRIVER instead; Linux 6.12 still reports the real names.  A
 * signalled entry is looked for by either pair; of several, the one that
 * signalled last is returned.
 */
static const struct sync_fence_info *
expect_entry(const struct snapshot *snap, const char *obj_name,
	     const char *driver, int status)
{
	const struct sync_fence_info *e, *found = NULL;
	int i;

	for (i = 0; i < snap->count; i++) {
		e = &snap->entry[i];
		if (e->status != status)
			continue;
		if ((strcmp(e->obj_name, obj_name) ||
		     strcmp(e->driver_name, driver)) &&
		    (!status || strcmp(e->obj_name, SIGNALLED_TIMELINE) ||
		     strcmp(e->driver_name, SIGNALLED_DRIVER)))
			continue;
		if (!e->timestamp_ns != !status)
			fail("\"%s\": fence of %s has status %d but timestamp %llu",
			     snap->file.name, obj_name, e->status,
			     (unsigned long long)e->timestamp_ns);
		if (!found || e->timestamp_ns > found->timestamp_ns)
			found = e;
	}
	if (!found)
		fail("\"%s\" has no fence of timeline %s (%s) with status %d",
		     snap->file.name, obj_name, driver, status);
	return found;
}

/*
 * readable_within() - whether poll() on @fd reports POLLIN within
 * @timeout_ms milliseconds.
 */
static int readable_within(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		fail("poll: %s", strerror(errno));
	return ret > 0 && (pfd.revents & POLLIN);
}

/* elapsed_ms() - milliseconds of CLOCK_MONOTONIC since @start. */
static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* The sync_files the demo hands around; -1 when not made yet. */
struct demo {
	struct timeline a, b;
	int a1, a2, b1, b2;
	int a12, all, stub, only_b;
};

/* Step 1: two timelines and three points, all pending. */
static void make_points(struct demo *d)
{
	struct snapshot snap;

	timeline_open(&d->a);
	timeline_open(&d->b);
	printf("created timeline A and B (software timelines, both at 0)\n\n");

	d->a1 = timeline_fence(&d->a, 1);
	printf("fence A@1 (pending)\n");
	show(d->a1, &snap);
	expect_count(&snap, 1);
	expect_status(&snap, 0);
	expect_entry(&snap, "A", "sw_sync", 0);

	d->a2 = timeline_fence(&d->a, 2);
	printf("fence A@2 (pending)\n");
	show(d->a2, &snap);
	expect_entry(&snap, "A", "sw_sync", 0);

	d->b1 = timeline_fence(&d->b, 1);
	printf("fence B@1 (pending)\n");
	show(d->b1, &snap);
	expect_entry(&snap, "B", "sw_sync", 0);
}

/* Step 2: merge the three points; one fence per timeline remains. */
static void merge_points(struct demo *d)
{
	struct snapshot snap;

	d->a12 = merge(d->a1, d->a2, "A1+A2");
	d->all = merge(d->a12, d->b1, "A1+A2+B1");

	printf("\nmerged A@1 + A@2 -> 1 fence (one timeline: later point kept)\n");
	show(d->a12, &snap);
	expect_count(&snap, 1);

	printf("merged A@1 + A@2 + B@1 -> 2 fences (later fence of A kept)\n");
	show(d->all, &snap);
	expect_count(&snap, 2);
	expect_status(&snap, 0);
	expect_entry(&snap, "A", "sw_sync", 0);
	expect_entry(&snap, "B", "sw_sync", 0);
	if (readable_within(d->all, 100))
		fail("the merged fence polled readable while pending");
	printf("  poll() for 100 ms: timed out, as it should while pending\n");
}

/* Step 3: advance the timelines until the merged fence signals. */
static void advance_timelines(struct demo *d)
{
	const struct sync_fence_info *e;
	struct timespec start;
	struct snapshot snap;
	int status;
	long waited;
	char when[48];
	pid_t pid;

	printf("\nadvancing timeline A to 1 ...\n");
	timeline_advance_to(&d->a, 1);
	show(d->a1, &snap);
	e = expect_entry(&snap, "A", "sw_sync", 1);
	printf("  A@1 signalled at %s; from now on FILE_INFO shows placeholders\n"
	       "  for its names, which the provider may already have freed\n",
	       ns_to_text(e->timestamp_ns, when, sizeof(when)));
	show(d->all, &snap);
	expect_status(&snap, 0);
	expect_entry(&snap, "A", "sw_sync", 0);
	if (readable_within(d->all, 0))
		fail("merged fence signalled although it holds A@2, not A@1");
	printf("  merged fence still pending: it kept A@2, not A@1\n");

	printf("\nadvancing timeline A to 2 ...\n");
	timeline_advance_to(&d->a, 2);
	show(d->all, &snap);
	expect_status(&snap, 0);
	expect_entry(&snap, "A", "sw_sync", 1);
	expect_entry(&snap, "B", "sw_sync", 0);
	if (readable_within(d->all, 0))
		fail("merged fence signalled while B@1 is pending");
	printf("  merged fence still pending (A is done, B@1 is not)\n");

	printf("\nwaiting in poll() for the merged fence;\n");
	printf("another process advances timeline B to 1 in 300 ms ...\n");
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (!pid) {
		usleep(300000);
		timeline_advance_to(&d->b, 1);
		_exit(0);
	}
	if (!readable_within(d->all, 10000))
		fail("merged fence not readable after all members signalled");
	waited = elapsed_ms(&start);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("the process advancing B failed");
	d->b.value = 1;
	printf("  poll() woke up after %ld ms, when B@1 signalled\n", waited);
	show(d->all, &snap);
	expect_count(&snap, 2);
	expect_status(&snap, 1);
	expect_entry(&snap, "A", "sw_sync", 1);
	e = expect_entry(&snap, "B", "sw_sync", 1);
	printf("  merged fence signalled at %s (with B@1, its last member)\n",
	       ns_to_text(e->timestamp_ns, when, sizeof(when)));
	printf("  poll() reports it readable\n");
}

/*
 * show_debugfs() - print the kernel's own description of the live
 * timelines and their pending points (sync_debug's info file), if present.
 */
static void show_debugfs(void)
{
	char line[256];
	FILE *f;

	f = fopen(SYNC_INFO_PATH, "r");
	if (!f)
		return;
	printf("\nthe kernel's view, %s:\n", SYNC_INFO_PATH);
	while (fgets(line, sizeof(line), f))
		printf("    %s", line);
	fclose(f);
}

/* Step 4: merges involving signalled fences, and a vanishing timeline. */
static void corner_cases(struct demo *d)
{
	struct snapshot snap;

	d->stub = merge(d->a2, d->b1, "A2+B1 (both done)");
	printf("\nmerged A@2 + B@1, both signalled -> 1 fence: a signalled stub\n");
	show(d->stub, &snap);
	expect_count(&snap, 1);
	expect_status(&snap, 1);
	expect_entry(&snap, "stub", "stub", 1);

	d->b2 = timeline_fence(&d->b, 2);
	d->only_b = merge(d->a2, d->b2, "A2+B2");
	printf("\nmerged A@2 (signalled) + B@2 (pending) -> 1 fence (A@2 dropped)\n");
	show(d->only_b, &snap);
	expect_count(&snap, 1);
	expect_entry(&snap, "B", "sw_sync", 0);

	printf("\nclosing timeline B while B@2 is still pending ...\n");
	close(d->b.fd);
	d->b.fd = -1;
	show(d->b2, &snap);
	expect_status(&snap, -ENOENT);
	expect_entry(&snap, "B", "sw_sync", -ENOENT);
	if (!readable_within(d->only_b, 0))
		fail("merged fence not readable after its timeline went away");
	printf("  B@2 signalled with an error: a timeline that goes away fails its waiters\n");
}

/* close_all() - close every fd the demo opened. */
static void close_all(struct demo *d)
{
	int fds[] = { d->only_b, d->b2, d->stub, d->all, d->a12, d->b1,
		      d->a2, d->a1, d->b.fd, d->a.fd };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int main(void)
{
	struct demo d = {
		.a = { .name = "A", .fd = -1 },
		.b = { .name = "B", .fd = -1 },
		.a1 = -1, .a2 = -1, .b1 = -1, .b2 = -1,
		.a12 = -1, .all = -1, .stub = -1, .only_b = -1,
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fence-demo: merging sync_files whose fences come from sw_sync timelines\n\n");

	make_points(&d);
	merge_points(&d);
	show_debugfs();
	advance_timelines(&d);
	corner_cases(&d);
	close_all(&d);

	printf("\nfence-demo: all steps behaved as expected\n");
	return 0;
}
