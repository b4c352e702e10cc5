// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dma-buf benchmark's runner: this tree's implementation and the base
 * kernel's, built into the same module, timed in turns.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "dmabuf-bench.h"

/**
 * DOC: dma-buf benchmark
 *
 * The "dmabuf-bench" suite measures the hot paths of the subsystem
 * (fences, arrays, chains, merges, sync_file, the reservation object,
 * attaching, mapping and CPU access of buffers) twice in the same boot:
 * in this tree, and in the base kernel's code, which the harness copies
 * into the build tree under renamed symbols (dmabuf-bench-upstream.c).
 * The operations are one text compiled twice, so both sides run the same
 * loops and differ only in the implementation they call.
 *
 * For each operation and each size N it prints one line::
 *
 *	dmabuf-bench: op=resv-add n=64 reps=64 runs=7 ours=41.2 upstream=55.0 ratio=74.9%
 *
 * ours and upstream are the cost of one operation (one repetition of the
 * loop, see the operation's comment) in nanoseconds: the median of @runs
 * runs, the implementations taking turns run by run, each run repeating
 * the operation @reps times, less what reading the clock costs. Booted
 * with QEMU's -icount shift=0 the guest clock advances one nanosecond
 * per instruction, and the same figures count guest instructions. It
 * also prints the size of each structure drivers embed, for both, and
 * expects ours to be no larger.
 *
 * The suite never fails on a figure, only when an operation reports an
 * error. Without the base kernel's copy only this tree is measured.
 * Parameters: runs (default 7), only (run just the named operation),
 * scale (multiply the work of every run) and smoke (one repetition, one
 * run, the smallest N: proves that every operation still works). Load
 * it with::
 *
 *	CONFIG_DMABUF_BENCH=m
 *	modprobe dmabuf-bench runs=9 only=resv-add
 */

static unsigned int runs = 7;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "runs per implementation and size (default 7)");

static char *only;
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "measure only the operation of this name");

static unsigned int scale = 1;
module_param(scale, uint, 0444);
MODULE_PARM_DESC(scale, "multiply the work of every run (default 1)");

static bool smoke;
module_param(smoke, bool, 0444);
MODULE_PARM_DESC(smoke, "one repetition of each operation at its smallest size");

#define BENCH_MAX_RUNS		31
#define BENCH_CLOCK_PAIRS	63

/* What the suite shares between its cases, set up by bench_suite_init(). */
static struct {
	struct device *dev;
	void **slots;
	void **more;
	u64 clock_ns;
	bool ours_up;
	bool upstream_up;
} bench;

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n samples, sorting them. */
static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

/* What one empty measured section costs: the median of many. */
static u64 clock_overhead(void)
{
	u64 v[BENCH_CLOCK_PAIRS];
	struct dmabuf_bench_time t;
	unsigned int i;

	for (i = 0; i < BENCH_CLOCK_PAIRS; i++) {
		t.ns = 0;
		t.sections = 0;
		bench_start(&t);
		bench_stop(&t);
		v[i] = t.ns;
	}
	return median(v, BENCH_CLOCK_PAIRS);
}

/*
 * One run of @op of @impl: the time of its measured sections less the
 * clock's share, or a negative errno in *@err.
 */
static u64 run_once(const struct dmabuf_bench_op *op, unsigned int n,
		    unsigned int reps, int *err)
{
	struct dmabuf_bench_ctx ctx = {
		.dev = bench.dev,
		.slots = bench.slots,
		.more = bench.more,
	};
	struct dmabuf_bench_time t = { };
	u64 clock;

	/*
	 * Let the frees that earlier runs left to RCU happen now, not in
	 * the middle of this run's measured loops: they would land in the
	 * figures of whichever implementation happened to run next.
	 */
	if (!smoke) {
		kvfree_rcu_barrier();
		rcu_barrier();
	}
	*err = op->run(&ctx, n, reps, &t);
	clock = t.sections * bench.clock_ns;
	return t.ns > clock ? t.ns - clock : 0;
}

/* Format tenths as "12.3" into @buf. */
static const char *tenths(char *buf, size_t len, u64 v)
{
	u32 frac;
	u64 whole = div_u64_rem(v, 10, &frac);

	snprintf(buf, len, "%llu.%u", whole, frac);
	return buf;
}

/*
 * Measure @op of both implementations at size @n and print the line.
 * @up is the upstream operation or NULL.
 */
static void bench_size(struct kunit *test, const struct dmabuf_bench_op *ours,
		       const struct dmabuf_bench_op *up, unsigned int n)
{
	u64 s_ours[BENCH_MAX_RUNS], s_up[BENCH_MAX_RUNS];
	unsigned int k, nruns, reps;
	char a[24], b[24], r[24];
	u64 m_ours, m_up = 0;
	int err;

	nruns = smoke ? 1 : min(ours->runs ?: runs, BENCH_MAX_RUNS);
	reps = smoke ? 1 : max(1U, ours->work * scale / n);
	for (k = 0; k < nruns; k++) {
		/* Alternate who goes first, so neither always runs warm. */
		if (up && (k & 1)) {
			s_up[k] = run_once(up, n, reps, &err);
			KUNIT_ASSERT_EQ_MSG(test, err, 0, "upstream n=%u", n);
		}
		s_ours[k] = run_once(ours, n, reps, &err);
		KUNIT_ASSERT_EQ_MSG(test, err, 0, "ours n=%u", n);
		if (up && !(k & 1)) {
			s_up[k] = run_once(up, n, reps, &err);
			KUNIT_ASSERT_EQ_MSG(test, err, 0, "upstream n=%u", n);
		}
		cond_resched();
	}

	/* Per operation, in tenths. */
	m_ours = div_u64(median(s_ours, nruns) * 10, reps);
	if (up)
		m_up = div_u64(median(s_up, nruns) * 10, reps);
	kunit_info(test,
		   "dmabuf-bench: op=%s n=%u reps=%u runs=%u ours=%s upstream=%s ratio=%s%s\n",
		   ours->name, n, reps, nruns, tenths(a, sizeof(a), m_ours),
		   up ? tenths(b, sizeof(b), m_up) : "-",
		   up && m_up ? tenths(r, sizeof(r),
				       div64_u64(m_ours * 1000, m_up)) : "-",
		   up && m_up ? "%" : "");
}

/* KUnit parameters: the index of each operation, named after it. */
static const void *bench_op_gen(const void *prev, char *desc)
{
	const struct dmabuf_bench_op *ops = dmabuf_bench_ours.ops;
	const struct dmabuf_bench_op *op;

	op = prev ? (const struct dmabuf_bench_op *)prev + 1 : ops;
	for (; op < ops + dmabuf_bench_ours.nops; op++) {
		if (only && strcmp(only, op->name))
			continue;
		strscpy(desc, op->name, KUNIT_PARAM_DESC_SIZE);
		return op;
	}
	return NULL;
}

static void bench_op(struct kunit *test)
{
	const struct dmabuf_bench_op *ours = test->param_value;
	const struct dmabuf_bench_op *up = NULL;
	unsigned int i, idx = ours - dmabuf_bench_ours.ops;

	KUNIT_ASSERT_TRUE(test, bench.ours_up);
	if (bench.upstream_up &&
	    !WARN_ON(dmabuf_bench_upstream->nops != dmabuf_bench_ours.nops)) {
		up = &dmabuf_bench_upstream->ops[idx];
		KUNIT_ASSERT_STREQ(test, up->name, ours->name);
		if (!up->run)
			up = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(ours->sizes) && ours->sizes[i]; i++) {
		KUNIT_ASSERT_LE(test, ours->sizes[i], DMABUF_BENCH_MAX_N);
		bench_size(test, ours, up, ours->sizes[i]);
		if (smoke)
			break;
	}
}

static void bench_struct_sizes(struct kunit *test)
{
	const struct dmabuf_bench_impl *up = dmabuf_bench_upstream;
	const struct dmabuf_bench_impl *ours = &dmabuf_bench_ours;
	unsigned int i;

	for (i = 0; i < ours->nsizes; i++) {
		size_t theirs = up ? up->sizes[i].size : 0;

		if (up)
			KUNIT_ASSERT_STREQ(test, up->sizes[i].name,
					   ours->sizes[i].name);
		kunit_info(test, "dmabuf-bench: sizeof(struct %s) ours=%zu upstream=%zu\n",
			   ours->sizes[i].name, ours->sizes[i].size, theirs);
		if (up)
			KUNIT_EXPECT_LE_MSG(test, ours->sizes[i].size, theirs,
					    "struct %s grew",
					    ours->sizes[i].name);
	}
	if (!up)
		kunit_skip(test, "no copy of the base kernel's files was built");
}

/* Set up @impl: its init, then its operations' setup. */
static int impl_up(const struct dmabuf_bench_impl *impl)
{
	int ret = impl->init ? impl->init() : 0;

	if (ret)
		return ret;
	ret = impl->setup();
	if (ret && impl->exit)
		impl->exit();
	return ret;
}

/* Undo impl_up(). */
static void impl_down(const struct dmabuf_bench_impl *impl)
{
	impl->teardown();
	if (impl->exit)
		impl->exit();
}

static void bench_suite_exit(struct kunit_suite *suite)
{
	if (bench.upstream_up)
		impl_down(dmabuf_bench_upstream);
	if (bench.ours_up)
		impl_down(&dmabuf_bench_ours);
	if (!IS_ERR_OR_NULL(bench.dev))
		root_device_unregister(bench.dev);
	kvfree(bench.more);
	kvfree(bench.slots);
	memset(&bench, 0, sizeof(bench));
}

static int bench_suite_init(struct kunit_suite *suite)
{
	int ret;

	bench.slots = kvcalloc(DMABUF_BENCH_MAX_N, sizeof(void *), GFP_KERNEL);
	bench.more = kvcalloc(DMABUF_BENCH_MAX_N, sizeof(void *), GFP_KERNEL);
	bench.dev = root_device_register("dmabuf-bench");
	ret = IS_ERR(bench.dev) ? PTR_ERR(bench.dev) : 0;
	/*
	 * A DMA mask, as every real importer sets: the DMA core then knows
	 * the device is coherent and needs no synchronisation.
	 */
	if (!ret) {
		bench.dev->dma_mask = &bench.dev->coherent_dma_mask;
		ret = dma_set_mask_and_coherent(bench.dev, DMA_BIT_MASK(64));
	}
	if (!ret && (!bench.slots || !bench.more))
		ret = -ENOMEM;
	if (!ret)
		ret = impl_up(&dmabuf_bench_ours);
	bench.ours_up = !ret;
	if (!ret && dmabuf_bench_upstream) {
		ret = impl_up(dmabuf_bench_upstream);
		bench.upstream_up = !ret;
	}
	if (ret) {
		bench_suite_exit(suite);
		return ret;
	}
	bench.clock_ns = clock_overhead();
	pr_info("dmabuf-bench: clock read pair %llu ns, upstream %s\n",
		bench.clock_ns, dmabuf_bench_upstream ? "built" : "absent");
	return 0;
}

static struct kunit_case dmabuf_bench_cases[] = {
	KUNIT_CASE(bench_struct_sizes),
	KUNIT_CASE_PARAM_ATTR(bench_op, bench_op_gen,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite dmabuf_bench_suite = {
	.name = "dmabuf-bench",
	.suite_init = bench_suite_init,
	.suite_exit = bench_suite_exit,
	.test_cases = dmabuf_bench_cases,
};

kunit_test_suite(dmabuf_bench_suite);

MODULE_DESCRIPTION("dma-buf benchmark: this tree against the base kernel's");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
/* The copy of dma-resv.c primes lockdep with mm_alloc() (never called here). */
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
