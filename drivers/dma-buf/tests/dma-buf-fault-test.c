// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases that make the slab allocator refuse memory inside dma-resv
 * and the dma-fence containers, and check that nothing is lost or leaked.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/dma-fence-array.h>
#include <linux/dma-fence-chain.h>
#include <linux/dma-fence-unwrap.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#if IS_ENABLED(CONFIG_SYNC_FILE)
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/mman.h>
#include <linux/sync_file.h>
#include <uapi/linux/sync_file.h>
#endif

#include "dmabuf-helpers.h"
#include "fence-helpers.h"

/**
 * DOC: dma-buf allocation failure KUnit suite
 *
 * The "dma-buf-faults" suite proves that the out-of-memory paths of
 * dma-resv and of the dma-fence containers keep their promises when the
 * slab allocator really says no: the call reports -ENOMEM (or NULL), the
 * objects it was handed are exactly as before (same fences, same usage
 * classes, same reference counts), they keep working once memory is back,
 * and nothing stays allocated (kmemleak runs in the test guest).
 *
 * The failures come from failslab (CONFIG_FAILSLAB). Storing n in
 * &task_struct.fail_nth makes the n-th slab allocation the task attempts
 * from then on fail; every attempt counts the field down, and it stays at
 * zero once the failure has been delivered. Other tasks are not affected.
 * A case arms it with 1 right before the single call under test, reads it
 * back and clears it right after, and asserts that it had reached zero:
 * otherwise no allocation was refused and the case would pass without
 * having tested anything.
 *
 * The debug options of the test kernel allocate too, and those attempts
 * count: with kmemleak, each tracked allocation is followed by one for
 * kmemleak's record of it (kmemleak copes with that one failing). So when
 * the allocation of interest is not the first of the call, a case either
 * counts the attempts of the part before it on a dry run, with a budget
 * too large to run out, and arms one more; or it tries n = 1, 2, 3, ...
 * until the call no longer gets as far as the n-th attempt, checking the
 * outcome of each, which fails every allocation of the call once.
 *
 * failslab ignores allocations that may sleep unless told otherwise, and
 * by default prints a stack trace for each failure it injects. Both knobs
 * live in debugfs and have to be set from userspace before the module is
 * loaded::
 *
 *	echo N > /sys/kernel/debug/failslab/ignore-gfp-wait
 *	echo 0 > /sys/kernel/debug/failslab/verbose
 *	modprobe dma-buf-fault-test
 *
 * That is why the suite is a module of its own that cannot be built in:
 * built-in suites run during boot, before init could set anything. The
 * first case checks that GFP_KERNEL allocations can be made to fail, and
 * says which knob to set if not; a forgotten verbose setting shows up as
 * stack traces in the kernel log.
 *
 * Everything a case creates is released by KUnit deferred actions, so an
 * assertion that ends a case early leaks nothing. A case never asserts
 * while it holds a reservation lock, and it takes care of whatever the
 * call under test handed out before asserting anything about the call.
 *
 * The cases of the dma-buf core sweep export, attach (with the pin and
 * the cached mapping a static importer of a dynamic exporter gets),
 * map (with the DMA-only copy of CONFIG_DMABUF_DEBUG) and vmap, using
 * the test exporter of dmabuf-helpers.h: each refused allocation must
 * end in -ENOMEM with the exporter's callbacks balanced, no table or
 * pin left, and no reference to the buffer or the module gained.
 *
 * The sync_file cases sweep sync_file_create(), SYNC_IOC_MERGE and
 * SYNC_IOC_FILE_INFO (the ioctls with their arguments in user memory
 * mapped by kunit_vm_mmap() and faulted in before arming): every refused
 * allocation must end in -ENOMEM (or NULL) with no descriptor installed
 * and every fence reference count as before.
 *
 * A typical case::
 *
 *	obj = managed_resv(test);
 *	fill_resv(test, obj, &set);
 *	snapshot_refs(&set);
 *
 *	fault_arm(1);
 *	ret = dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got);
 *	left = fault_disarm();
 *	if (!ret)
 *		drop_table(got, n);
 *
 *	KUNIT_ASSERT_EQ(test, left, 0);
 *	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
 *	expect_refs_unchanged(test, &set);
 */

#define NUM_USAGES		(DMA_RESV_USAGE_BOOKKEEP + 1)

/* Most fences a &struct fence_set keeps track of. */
#define SET_MAX			8

/*
 * Slots asked for on top of the fences an object holds, so that the
 * reservation cannot fit in the list that the few adds of a case made it
 * grow to, and a new list (about 1 KiB, a slab allocation) is needed.
 */
#define GROW_SLOTS		64

/* Budget of a dry run that counts allocation attempts: never used up. */
#define COUNT_BUDGET		1000000U

/* Usage recorded for fences of a case that never go into an object. */
#define NO_RESV			DMA_RESV_USAGE_BOOKKEEP

/* Most values of n that a sweep tries before it gives up. */
#define SWEEP_MAX		32

/*
 * The same for the dma-buf core, whose export goes through the VFS (inode,
 * dentry, file) and sysfs, each with its own allocations.
 */
#define DMABUF_SWEEP_MAX	400

KUNIT_DEFINE_ACTION_WRAPPER(put_fence_action, dma_fence_put,
			    struct dma_fence *);
KUNIT_DEFINE_ACTION_WRAPPER(fini_resv_action, dma_resv_fini,
			    struct dma_resv *);

/*
 * Make the @nth slab allocation this task attempts from now on fail. Any
 * allocation, from anywhere: arm right before the call under test.
 */
static void fault_arm(unsigned int nth)
{
	WRITE_ONCE(current->fail_nth, nth);
}

/*
 * Stop injecting. Returns how many attempts the countdown was still short
 * of the failure: 0 when the armed attempt was made, and refused.
 */
static unsigned int fault_disarm(void)
{
	unsigned int left = READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return left;
}

/* Start counting the slab allocations of this task, failing none. */
static void count_start(void)
{
	fault_arm(COUNT_BUDGET);
}

/*
 * Stop counting. Returns the attempts made since count_start(), which the
 * case must check to be below COUNT_BUDGET (or else one was refused).
 */
static unsigned int count_stop(void)
{
	return COUNT_BUDGET - fault_disarm();
}

/*
 * A pending mock fence on a context of its own. KUnit drops the reference
 * it returns when the case ends; the caller must not.
 */
static struct dma_fence *managed_fence(struct kunit *test)
{
	struct dma_fence *fence;

	fence = mock_fence_new(test, &mock_ops_plain,
			       dma_fence_context_alloc(1), 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, put_fence_action,
							fence), 0);
	return fence;
}

/*
 * An initialised reservation object in KUnit-managed memory. It is
 * finalised when the case ends, so it must be unlocked by then.
 */
static struct dma_resv *managed_resv(struct kunit *test)
{
	struct dma_resv *obj = kunit_kzalloc(test, sizeof(*obj), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	dma_resv_init(obj);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fini_resv_action,
							obj), 0);
	return obj;
}

/* Drop a reference to each of the @n fences of @table, then free it. */
static void drop_table(struct dma_fence **table, unsigned int n)
{
	while (n)
		dma_fence_put(table[--n]);
	kfree(table);
}

/*
 * A fence array over new references to the @n fences of @members,
 * released by KUnit when the case ends. The caller's references to the
 * members are untouched.
 */
static struct dma_fence *managed_array(struct kunit *test,
				       struct dma_fence **members,
				       unsigned int n)
{
	struct dma_fence_array *array;
	struct dma_fence **table;
	unsigned int i;

	table = kmalloc_array(n, sizeof(*table), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, table);
	for (i = 0; i < n; i++)
		table[i] = dma_fence_get(members[i]);

	array = dma_fence_array_create(n, table, dma_fence_context_alloc(1),
				       1, false);
	if (!array)
		drop_table(table, n);
	KUNIT_ASSERT_NOT_NULL(test, array);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, put_fence_action,
							&array->base), 0);
	return &array->base;
}

/**
 * struct fence_set - fences of a case and what it expects of them
 * @fence: the fences, each with a KUnit-managed reference
 * @usage: the class each one is added to a reservation object with
 * @refs: the reference count of each at the latest snapshot_refs()
 * @n: entries in use
 */
struct fence_set {
	struct dma_fence *fence[SET_MAX];
	enum dma_resv_usage usage[SET_MAX];
	unsigned int refs[SET_MAX];
	unsigned int n;
};

/* Append a new managed fence with @usage to @set and return it. */
static struct dma_fence *set_new_fence(struct kunit *test,
				       struct fence_set *set,
				       enum dma_resv_usage usage)
{
	struct dma_fence *fence;

	KUNIT_ASSERT_LT(test, set->n, SET_MAX);
	fence = managed_fence(test);
	set->fence[set->n] = fence;
	set->usage[set->n] = usage;
	set->n++;
	return fence;
}

/* Append one new managed fence per usage class to @set. */
static void set_new_fence_per_usage(struct kunit *test, struct fence_set *set)
{
	unsigned int u;

	for (u = 0; u < NUM_USAGES; u++)
		set_new_fence(test, set, u);
}

/* Index of @fence in @set, or @set->n if it is not in there. */
static unsigned int set_index(const struct fence_set *set,
			      struct dma_fence *fence)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		if (set->fence[i] == fence)
			break;
	return i;
}

/* Record the reference count of every fence of @set. */
static void snapshot_refs(struct fence_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		set->refs[i] = kref_read(&set->fence[i]->refcount);
}

/* Every fence of @set has the reference count of the latest snapshot. */
static void expect_refs_unchanged(struct kunit *test,
				  const struct fence_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		KUNIT_EXPECT_EQ_MSG(test, kref_read(&set->fence[i]->refcount),
				    set->refs[i], "fence %u", i);
}

/*
 * Add every fence of @set to @obj with its usage, in one lock section.
 * The object takes references of its own.
 */
static void fill_resv(struct kunit *test, struct dma_resv *obj,
		      const struct fence_set *set)
{
	unsigned int i;
	int ret;

	KUNIT_ASSERT_EQ(test, dma_resv_lock(obj, NULL), 0);
	ret = dma_resv_reserve_fences(obj, set->n);
	for (i = 0; !ret && i < set->n; i++)
		dma_resv_add_fence(obj, set->fence[i], set->usage[i]);
	dma_resv_unlock(obj);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/*
 * Walk @obj under its lock and expect exactly the fences of @set, each
 * once and with its usage. @tolerated, unless NULL, may show up or not.
 * The walk only records; the expectations are checked after unlocking.
 */
static void expect_resv_holds(struct kunit *test, struct dma_resv *obj,
			      const struct fence_set *set,
			      struct dma_fence *tolerated)
{
	enum dma_resv_usage usage[SET_MAX] = {};
	unsigned int visits[SET_MAX] = {};
	struct dma_resv_iter cursor;
	unsigned int i, others = 0;
	struct dma_fence *fence;

	KUNIT_ASSERT_EQ(test, dma_resv_lock(obj, NULL), 0);
	dma_resv_for_each_fence(&cursor, obj, DMA_RESV_USAGE_BOOKKEEP, fence) {
		i = set_index(set, fence);
		if (i < set->n) {
			visits[i]++;
			usage[i] = dma_resv_iter_usage(&cursor);
		} else if (fence != tolerated) {
			others++;
		}
	}
	dma_resv_unlock(obj);

	for (i = 0; i < set->n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, visits[i], 1, "fence %u", i);
		if (visits[i])
			KUNIT_EXPECT_EQ_MSG(test, usage[i], set->usage[i],
					    "usage of fence %u", i);
	}
	KUNIT_EXPECT_EQ(test, others, 0);
}

/* failslab itself */

static void failslab_refuses_the_armed_allocation(struct kunit *test)
{
	unsigned int left, attempts;
	bool refused, granted;
	void *p;

	fault_arm(1);
	p = kmalloc(16, GFP_KERNEL);
	left = fault_disarm();
	refused = !p;
	kfree(p);

	KUNIT_ASSERT_EQ_MSG(test, left, 0,
			    "failslab skipped a GFP_KERNEL allocation: write N to /sys/kernel/debug/failslab/ignore-gfp-wait before loading");
	KUNIT_ASSERT_TRUE(test, refused);

	/* For the record: what one successful kmalloc() costs in attempts. */
	count_start();
	p = kmalloc(16, GFP_KERNEL);
	attempts = count_stop();
	granted = p;
	kfree(p);
	KUNIT_ASSERT_TRUE(test, granted);
	KUNIT_EXPECT_GE(test, attempts, 1);
	kunit_info(test, "one kmalloc() makes %u slab allocation attempt(s)\n",
		   attempts);
}

/* dma-resv */

static void reserve_enomem_keeps_every_fence(struct kunit *test)
{
	struct dma_resv *obj = managed_resv(test);
	struct fence_set set = {};
	struct dma_fence *done, *extra;
	unsigned int left;
	int ret;

	set_new_fence_per_usage(test, &set);
	done = set_new_fence(test, &set, DMA_RESV_USAGE_READ);
	fill_resv(test, obj, &set);
	/*
	 * Signalled only now, so that no add above could take its slot: a
	 * new list leaves it behind, a failed attempt must not.
	 */
	dma_fence_signal(done);
	extra = managed_fence(test);
	snapshot_refs(&set);

	KUNIT_ASSERT_EQ(test, dma_resv_lock(obj, NULL), 0);
	fault_arm(1);
	ret = dma_resv_reserve_fences(obj, set.n + GROW_SLOTS);
	left = fault_disarm();
	dma_resv_unlock(obj);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	expect_refs_unchanged(test, &set);
	expect_resv_holds(test, obj, &set, NULL);

	/* With memory back, the same reservation succeeds and is usable. */
	KUNIT_ASSERT_EQ(test, dma_resv_lock(obj, NULL), 0);
	ret = dma_resv_reserve_fences(obj, set.n + GROW_SLOTS);
	if (!ret)
		dma_resv_add_fence(obj, extra, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(obj);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/*
	 * Expect @extra where @done was in the set; whether the object
	 * still holds the signalled @done or dropped it is its own choice.
	 */
	set.fence[set.n - 1] = extra;
	set.usage[set.n - 1] = DMA_RESV_USAGE_WRITE;
	expect_resv_holds(test, obj, &set, done);
}

/*
 * dma_resv_add_fence() without a reserved slot is a driver bug that warns
 * once. It runs under the reservation lock, maybe in a fence signalling
 * critical section, so it must not sleep to recover: not to allocate, and
 * not to wait for the fence. Called here with preemption off, where any
 * sleep is reported: on an empty object the new list has to come from
 * the atomic reserves, and when even that allocation is refused the fence
 * is dropped, with its reference given back.
 */
static void add_unreserved_enomem_never_sleeps(struct kunit *test)
{
	struct dma_resv *obj = managed_resv(test);
	struct dma_fence *lost = managed_fence(test);
	struct dma_fence *kept = managed_fence(test);
	struct fence_set set = {};
	unsigned int left;

	KUNIT_ASSERT_EQ(test, dma_resv_lock(obj, NULL), 0);
	expect_warn_begin("resv-add-unreserved");
	fault_arm(1);
	preempt_disable();
	dma_resv_add_fence(obj, lost, DMA_RESV_USAGE_WRITE);
	preempt_enable();
	left = fault_disarm();
	expect_warn_end("resv-add-unreserved");

	/* With memory there, the same mistake records the fence. */
	preempt_disable();
	dma_resv_add_fence(obj, kept, DMA_RESV_USAGE_READ);
	preempt_enable();
	dma_resv_unlock(obj);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, kref_read(&lost->refcount), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&kept->refcount), 2);
	set.fence[0] = kept;
	set.usage[0] = DMA_RESV_USAGE_READ;
	set.n = 1;
	expect_resv_holds(test, obj, &set, NULL);
}

static void get_fences_enomem_hands_out_nothing(struct kunit *test)
{
	static struct dma_fence *poison[1];
	struct dma_resv *obj = managed_resv(test);
	struct dma_fence **got = poison;
	struct fence_set set = {};
	unsigned int left, n = 77;
	int ret;

	set_new_fence(test, &set, DMA_RESV_USAGE_KERNEL);
	set_new_fence(test, &set, DMA_RESV_USAGE_WRITE);
	set_new_fence(test, &set, DMA_RESV_USAGE_READ);
	fill_resv(test, obj, &set);
	snapshot_refs(&set);

	fault_arm(1);
	ret = dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got);
	left = fault_disarm();
	if (!ret)
		drop_table(got, n);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	/* As documented for Linux 6.12: nothing is handed out on failure. */
	KUNIT_EXPECT_EQ(test, n, 0);
	KUNIT_EXPECT_NULL(test, got);
	expect_refs_unchanged(test, &set);
	expect_resv_holds(test, obj, &set, NULL);

	ret = dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP, &n, &got);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, n, set.n);
	drop_table(got, n);
	expect_refs_unchanged(test, &set);
}

/*
 * Fill a new managed object with two pending fences, the least that makes
 * dma_resv_get_singleton() build a fence array, and snapshot them.
 */
static struct dma_resv *resv_needing_array(struct kunit *test,
					   struct fence_set *set)
{
	struct dma_resv *obj = managed_resv(test);

	set_new_fence(test, set, DMA_RESV_USAGE_WRITE);
	set_new_fence(test, set, DMA_RESV_USAGE_READ);
	fill_resv(test, obj, set);
	snapshot_refs(set);
	return obj;
}

/*
 * Call dma_resv_get_singleton() on @obj with the @nth allocation attempt
 * failing, and check that it failed cleanly: -ENOMEM, no fence handed out,
 * no reference gained or lost by the fences of @set.
 */
static void singleton_fails_cleanly(struct kunit *test, struct dma_resv *obj,
				    const struct fence_set *set,
				    unsigned int nth)
{
	struct dma_fence *single = NULL;
	unsigned int left;
	int ret;

	fault_arm(nth);
	ret = dma_resv_get_singleton(obj, DMA_RESV_USAGE_READ, &single);
	left = fault_disarm();
	if (!ret)
		dma_fence_put(single);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	if (ret)
		KUNIT_EXPECT_NULL(test, single);
	expect_refs_unchanged(test, set);
	expect_resv_holds(test, obj, set, NULL);
}

static void get_singleton_enomem_on_snapshot(struct kunit *test)
{
	struct fence_set set = {};
	struct dma_resv *obj = resv_needing_array(test, &set);

	singleton_fails_cleanly(test, obj, &set, 1);
}

/*
 * dma_resv_get_singleton() first takes a snapshot of the fences, as
 * dma_resv_get_fences() does, and only then allocates the array, holding
 * a reference to every fence of the snapshot. Failing that allocation is
 * the interesting case, so n is one more than the attempts a snapshot
 * of the same, unchanged object makes.
 */
static void get_singleton_enomem_on_array(struct kunit *test)
{
	struct fence_set set = {};
	struct dma_resv *obj = resv_needing_array(test, &set);
	struct dma_fence **got = NULL;
	unsigned int attempts, n = 0;
	int ret;

	count_start();
	ret = dma_resv_get_fences(obj, DMA_RESV_USAGE_READ, &n, &got);
	attempts = count_stop();
	if (!ret)
		drop_table(got, n);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, n, set.n);
	KUNIT_ASSERT_GE(test, attempts, 1);
	KUNIT_ASSERT_LT(test, attempts, COUNT_BUDGET);

	singleton_fails_cleanly(test, obj, &set, attempts + 1);
}

static void copy_fences_enomem_leaves_dst_unchanged(struct kunit *test)
{
	struct dma_resv *src = managed_resv(test);
	struct dma_resv *dst = managed_resv(test);
	struct fence_set from = {}, to = {};
	unsigned int left;
	int ret;

	set_new_fence(test, &from, DMA_RESV_USAGE_KERNEL);
	set_new_fence(test, &from, DMA_RESV_USAGE_READ);
	set_new_fence(test, &from, DMA_RESV_USAGE_BOOKKEEP);
	fill_resv(test, src, &from);
	set_new_fence(test, &to, DMA_RESV_USAGE_WRITE);
	set_new_fence(test, &to, DMA_RESV_USAGE_READ);
	fill_resv(test, dst, &to);
	snapshot_refs(&from);
	snapshot_refs(&to);

	KUNIT_ASSERT_EQ(test, dma_resv_lock(dst, NULL), 0);
	fault_arm(1);
	ret = dma_resv_copy_fences(dst, src);
	left = fault_disarm();
	dma_resv_unlock(dst);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	expect_refs_unchanged(test, &from);
	expect_refs_unchanged(test, &to);
	expect_resv_holds(test, dst, &to, NULL);
	expect_resv_holds(test, src, &from, NULL);

	/* With memory back the copy goes through. */
	KUNIT_ASSERT_EQ(test, dma_resv_lock(dst, NULL), 0);
	ret = dma_resv_copy_fences(dst, src);
	dma_resv_unlock(dst);
	KUNIT_ASSERT_EQ(test, ret, 0);
	expect_resv_holds(test, dst, &from, NULL);
}

/* dma-fence containers */

static void array_create_enomem_leaves_ownership_to_caller(struct kunit *test)
{
	struct dma_fence_array *array;
	struct fence_set set = {};
	struct dma_fence **table;
	unsigned int i, left;

	set_new_fence(test, &set, NO_RESV);
	set_new_fence(test, &set, NO_RESV);
	set_new_fence(test, &set, NO_RESV);
	table = kmalloc_array(set.n, sizeof(*table), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, table);
	for (i = 0; i < set.n; i++)
		table[i] = dma_fence_get(set.fence[i]);
	snapshot_refs(&set);

	fault_arm(1);
	array = dma_fence_array_create(set.n, table,
				       dma_fence_context_alloc(1), 1, false);
	left = fault_disarm();
	if (array) {
		/* The array owns the table and its references now. */
		dma_fence_put(&array->base);
	} else {
		/*
		 * Still ours: under KASAN, reading the table here would
		 * report it if the failed call had freed it.
		 */
		for (i = 0; i < set.n; i++)
			KUNIT_EXPECT_PTR_EQ(test, table[i], set.fence[i]);
		expect_refs_unchanged(test, &set);
		drop_table(table, set.n);
	}

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_NULL(test, array);
}

/*
 * Inputs of a merge that needs a new array: two plain fences and an array
 * of two more, all pending on contexts of their own. @set gets all five;
 * @inputs the three to pass.
 */
static void merge_inputs(struct kunit *test, struct fence_set *set,
			 struct dma_fence *inputs[3])
{
	inputs[0] = set_new_fence(test, set, NO_RESV);
	inputs[1] = set_new_fence(test, set, NO_RESV);
	set_new_fence(test, set, NO_RESV);
	set_new_fence(test, set, NO_RESV);
	inputs[2] = managed_array(test, &set->fence[2], 2);
	KUNIT_ASSERT_LT(test, set->n, SET_MAX);
	set->fence[set->n++] = inputs[2];
	snapshot_refs(set);
}

static void unwrap_merge_enomem_on_first_allocation(struct kunit *test)
{
	struct dma_fence *in[3], *merged;
	struct fence_set set = {};
	unsigned int left;

	merge_inputs(test, &set, in);

	fault_arm(1);
	merged = dma_fence_unwrap_merge(in[0], in[1], in[2]);
	left = fault_disarm();
	if (merged)
		dma_fence_put(merged);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_NULL(test, merged);
	expect_refs_unchanged(test, &set);
}

/*
 * The merge allocates a table of the pending fences, fills it with
 * references, and then allocates the array. To reach the second without
 * knowing how many attempts the debug options add in between, fail the
 * n-th attempt for n = 1, 2, ... until the merge makes fewer than n: then
 * every attempt has been refused once. Each try must end either in NULL
 * (a real allocation failed) or in a valid result (only debug bookkeeping
 * failed), and with the inputs' reference counts as before.
 */
static void unwrap_merge_enomem_at_every_allocation(struct kunit *test)
{
	unsigned int nth, left, attempts = 0, refused = 0;
	struct dma_fence *in[3], *merged;
	struct fence_set set = {};
	bool complete = false;

	merge_inputs(test, &set, in);

	for (nth = 1; nth <= SWEEP_MAX && !complete; nth++) {
		fault_arm(nth);
		merged = dma_fence_unwrap_merge(in[0], in[1], in[2]);
		left = fault_disarm();

		if (left) {
			/* Fewer than nth attempts: nothing was refused. */
			complete = true;
			attempts = nth - left;
			KUNIT_EXPECT_NOT_NULL(test, merged);
		} else if (!merged) {
			refused++;
		}
		if (merged) {
			KUNIT_EXPECT_TRUE(test, dma_fence_is_array(merged));
			dma_fence_put(merged);
		}
		expect_refs_unchanged(test, &set);
	}

	KUNIT_EXPECT_TRUE_MSG(test, complete, "still allocating after %u tries",
			      SWEEP_MAX);
	/* The table and the array, at least. */
	KUNIT_EXPECT_GE(test, refused, 2);
	kunit_info(test, "%u attempts, %u of them fatal to the merge\n",
		   attempts, refused);
}

static void unwrap_merge_of_signalled_enomem_on_stub(struct kunit *test)
{
	struct fence_set set = {};
	struct dma_fence *a, *b, *merged;
	unsigned int left;

	a = set_new_fence(test, &set, NO_RESV);
	b = set_new_fence(test, &set, NO_RESV);
	dma_fence_signal(a);
	dma_fence_signal(b);
	snapshot_refs(&set);

	/* Nothing pending: the result would be a new signalled stub. */
	fault_arm(1);
	merged = dma_fence_unwrap_merge(a, b);
	left = fault_disarm();
	if (merged)
		dma_fence_put(merged);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_NULL(test, merged);
	expect_refs_unchanged(test, &set);
}

static void private_stub_enomem_returns_null(struct kunit *test)
{
	struct dma_fence *stub;
	unsigned int left;

	fault_arm(1);
	stub = dma_fence_allocate_private_stub(ktime_get());
	left = fault_disarm();
	if (stub)
		dma_fence_put(stub);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_NULL(test, stub);
}

static void chain_alloc_enomem_returns_null(struct kunit *test)
{
	struct dma_fence_chain *node;
	unsigned int left;

	fault_arm(1);
	node = dma_fence_chain_alloc();
	left = fault_disarm();
	dma_fence_chain_free(node);

	KUNIT_ASSERT_EQ(test, left, 0);
	KUNIT_EXPECT_NULL(test, node);
}

/* dma-buf core */

/**
 * struct sweep - state of a sweep over the allocations of one call
 * @nth: the attempt to fail next
 * @left: what fault_disarm() returned after the latest try
 * @refused: tries in which the call failed
 * @complete: the latest try made fewer than @nth attempts
 */
struct sweep {
	unsigned int nth;
	unsigned int left;
	unsigned int refused;
	bool complete;
};

/* Start a sweep at the first attempt. */
static void sweep_start(struct sweep *sw)
{
	memset(sw, 0, sizeof(*sw));
	sw->nth = 1;
}

/* Is there a next try? Not once a try got through, nor past the budget. */
static bool sweep_more(const struct sweep *sw)
{
	return !sw->complete && sw->nth <= DMABUF_SWEEP_MAX;
}

/*
 * Judge one try of a sweep from the countdown it left and the call's
 * result @err (0 for success). Returns true when the call succeeded.
 */
static bool sweep_note(struct kunit *test, struct sweep *sw, int err)
{
	if (sw->left) {
		sw->complete = true;
		KUNIT_EXPECT_EQ_MSG(test, err, 0, "untouched call failed");
	} else if (err) {
		sw->refused++;
		KUNIT_EXPECT_EQ_MSG(test, err, -ENOMEM, "attempt %u", sw->nth);
	}
	return !err;
}

/* The end of a sweep: it got through, and refused something on the way. */
static void sweep_done(struct kunit *test, const struct sweep *sw)
{
	KUNIT_EXPECT_TRUE_MSG(test, sw->complete,
			      "still allocating after %u tries",
			      DMABUF_SWEEP_MAX);
	KUNIT_EXPECT_GE(test, sw->refused, 1);
	kunit_info(test, "%u attempts, %u of them fatal to the call\n",
		   sw->nth - 1 - sw->left, sw->refused);
}

static void export_enomem_at_every_allocation(struct kunit *test)
{
	struct texp *t = texp_alloc(test, TEXP_STATIC, 1);
	int mod_refs = module_refcount(THIS_MODULE);
	struct dma_buf_export_info info = {};
	struct dma_buf *dmabuf;
	struct sweep sw;
	int releases = 0;

	texp_export_info(t, &info);
	for (sweep_start(&sw); sweep_more(&sw); sw.nth++) {
		fault_arm(sw.nth);
		dmabuf = dma_buf_export(&info);
		sw.left = fault_disarm();
		if (sweep_note(test, &sw, PTR_ERR_OR_ZERO(dmabuf))) {
			t->dmabuf = dmabuf;
			texp_put(t);
			releases++;
			t->dmabuf = NULL;
			t->put_done = false;
		}
		/* A failed export leaves no buffer to release. */
		fput_settle(module_refcount(THIS_MODULE) == mod_refs);
		KUNIT_EXPECT_EQ(test, atomic_read(&t->release_calls), releases);
		KUNIT_EXPECT_EQ(test, module_refcount(THIS_MODULE), mod_refs);
	}
	sweep_done(test, &sw);
}

/* The exporter's side of a failed or undone attachment is balanced. */
static void expect_attach_undone(struct kunit *test, struct texp *t)
{
	KUNIT_EXPECT_EQ(test, atomic_read(&t->attach_calls),
			atomic_read(&t->detach_calls));
	KUNIT_EXPECT_TRUE(test, list_empty(&t->dmabuf->attachments));
	texp_expect_idle(test, t);
}

static void attach_enomem_at_every_allocation(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_DYNAMIC, 2);
	struct device *dev = kunit_dma_device(test, "imp");
	struct dma_buf_attachment *at;
	struct sweep sw;

	for (sweep_start(&sw); sweep_more(&sw); sw.nth++) {
		fault_arm(sw.nth);
		at = dma_buf_attach(t->dmabuf, dev);
		sw.left = fault_disarm();
		if (sweep_note(test, &sw, PTR_ERR_OR_ZERO(at))) {
			KUNIT_EXPECT_TRUE(test, attach_core_pinned(at));
			dma_buf_detach(t->dmabuf, at);
		}
		expect_attach_undone(test, t);
	}
	sweep_done(test, &sw);
	KUNIT_EXPECT_EQ(test, file_count(t->dmabuf->file), 1);
}

static void map_enomem_at_every_allocation(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 3);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	struct sg_table *sgt;
	struct sweep sw;

	for (sweep_start(&sw); sweep_more(&sw); sw.nth++) {
		fault_arm(sw.nth);
		sgt = dma_buf_map_attachment_unlocked(imp->attach,
						      DMA_BIDIRECTIONAL);
		sw.left = fault_disarm();
		if (sweep_note(test, &sw, PTR_ERR_OR_ZERO(sgt)))
			timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
		texp_expect_idle(test, t);
	}
	sweep_done(test, &sw);
	timp_detach(imp);
	expect_attach_undone(test, t);
}

/*
 * The core allocates nothing of its own on the map path (6.12 has no
 * ENOMEM there): a mapping costs the allocations of the exporter's
 * map_dma_buf and, with CONFIG_DMABUF_DEBUG, those of the one table of
 * the importer's copy. Both are counted, not assumed: with kmemleak, every
 * tracked allocation brings one for kmemleak's own record.
 */
static void map_allocates_only_what_the_exporter_does(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 3);
	struct timp *imp = timp_attach(test, t, "imp", NULL);
	unsigned int exporter, copy = 0, core, entries;
	struct sg_table *sgt, tmp;
	int ret = 0;

	dma_resv_lock(t->dmabuf->resv, NULL);
	count_start();
	sgt = t->dmabuf->ops->map_dma_buf(imp->attach, DMA_BIDIRECTIONAL);
	exporter = count_stop();
	entries = IS_ERR_OR_NULL(sgt) ? 0 : sgt->orig_nents;
	if (!IS_ERR_OR_NULL(sgt))
		t->dmabuf->ops->unmap_dma_buf(imp->attach, sgt,
					      DMA_BIDIRECTIONAL);
	dma_resv_unlock(t->dmabuf->resv);
	KUNIT_ASSERT_NE(test, entries, 0);

	if (IS_ENABLED(CONFIG_DMABUF_DEBUG)) {
		count_start();
		ret = sg_alloc_table(&tmp, entries, GFP_KERNEL);
		copy = count_stop();
		if (!ret)
			sg_free_table(&tmp);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(t->dmabuf->resv, NULL);
	count_start();
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	core = count_stop();
	dma_resv_unlock(t->dmabuf->resv);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(sgt));
	KUNIT_EXPECT_LT(test, core, COUNT_BUDGET);
	KUNIT_EXPECT_EQ(test, core, exporter + copy);
	timp_unmap(imp, sgt, DMA_BIDIRECTIONAL);
	timp_detach(imp);
	expect_attach_undone(test, t);
}

static void vmap_enomem_at_every_allocation(struct kunit *test)
{
	struct texp *t = texp_new(test, TEXP_STATIC, 2);
	struct iosys_map map;
	struct sweep sw;
	int ret;

	for (sweep_start(&sw); sweep_more(&sw); sw.nth++) {
		fault_arm(sw.nth);
		ret = dma_buf_vmap_unlocked(t->dmabuf, &map);
		sw.left = fault_disarm();
		if (sweep_note(test, &sw, ret)) {
			KUNIT_EXPECT_EQ(test, t->dmabuf->vmapping_counter, 1);
			dma_buf_vunmap_unlocked(t->dmabuf, &map);
		} else {
			KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
		}
		KUNIT_EXPECT_EQ(test, t->dmabuf->vmapping_counter, 0);
		KUNIT_EXPECT_TRUE(test,
				  iosys_map_is_null(&t->dmabuf->vmap_ptr));
	}
	sweep_done(test, &sw);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->vmap_calls),
			atomic_read(&t->vunmap_calls) + sw.refused);
}

#if IS_ENABLED(CONFIG_SYNC_FILE)
/* sync_file */

/* A sync file descriptor for @fence, closed by KUnit when the case ends. */
static void sf_close_action(void *fd)
{
	close_fd((unsigned int)(uintptr_t)fd);
}

static int sf_fd(struct kunit *test, struct dma_fence *fence)
{
	struct sync_file *sync_file = sync_file_create(fence);
	int fd;

	KUNIT_ASSERT_NOT_NULL(test, sync_file);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		fput(sync_file->file);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, sync_file->file);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sf_close_action,
							(void *)(uintptr_t)fd),
			0);
	return fd;
}

/* The descriptor number the next allocation would return. */
static int sf_next_fd(void)
{
	int fd = get_unused_fd_flags(0);

	if (fd >= 0)
		put_unused_fd(fd);
	return fd;
}

/*
 * @len bytes of user memory holding a copy of @src. Writing it faults the
 * pages in now, so no page-table or VMA allocation happens under an armed
 * failure later.
 */
static void __user *sf_user_copy(struct kunit *test, const void *src,
				 size_t len)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, addr, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, src, len), 0);
	return (void __user *)addr;
}

/* Issue a sync file ioctl on descriptor @fd, as the system call would. */
static long sf_ioctl(int fd, unsigned int cmd, void __user *arg)
{
	struct file *file = fget(fd);
	long ret;

	if (!file)
		return -EBADF;
	ret = file->f_op->unlocked_ioctl(file, cmd, (unsigned long)arg);
	fput(file);
	return ret;
}

static void sync_file_create_enomem_at_every_allocation(struct kunit *test)
{
	struct dma_fence *fence = managed_fence(test);
	struct sync_file *sync_file;
	struct sweep sw;

	for (sweep_start(&sw); sweep_more(&sw); sw.nth++) {
		fault_arm(sw.nth);
		sync_file = sync_file_create(fence);
		sw.left = fault_disarm();
		if (sweep_note(test, &sw, sync_file ? 0 : -ENOMEM)) {
			KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 2);
			__fput_sync(sync_file->file);
		}
		/* Back to the managed reference alone. */
		fput_settle(kref_read(&fence->refcount) == 1);
		KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), 1);
	}
	sweep_done(test, &sw);
}

static void sync_file_merge_enomem_at_every_allocation(struct kunit *test)
{
	struct dma_fence *a = managed_fence(test), *b = managed_fence(test);
	int fd_a = sf_fd(test, a), fd_b = sf_fd(test, b);
	struct sync_merge_data m = { .name = "merged", .fd2 = fd_b };
	struct sync_merge_data __user *u = sf_user_copy(test, &m, sizeof(m));
	struct sweep sw;
	int next;
	long ret;

	for (sweep_start(&sw); sweep_more(&sw); sw.nth++) {
		next = sf_next_fd();
		fault_arm(sw.nth);
		ret = sf_ioctl(fd_a, SYNC_IOC_MERGE, u);
		sw.left = fault_disarm();
		if (sweep_note(test, &sw, ret)) {
			KUNIT_ASSERT_EQ(test, copy_from_user(&m, u, sizeof(m)),
					0);
			KUNIT_EXPECT_EQ(test, m.fence, next);
			KUNIT_EXPECT_EQ(test, kref_read(&a->refcount), 3);
			close_fd(m.fence);
		}
		/* No descriptor and no reference left behind. */
		fput_settle(kref_read(&a->refcount) == 2 &&
			    kref_read(&b->refcount) == 2);
		KUNIT_EXPECT_EQ(test, sf_next_fd(), next);
		KUNIT_EXPECT_EQ(test, kref_read(&a->refcount), 2);
		KUNIT_EXPECT_EQ(test, kref_read(&b->refcount), 2);
	}
	sweep_done(test, &sw);
}

/*
 * SYNC_IOC_FILE_INFO copies each record out as it is made, so that no
 * allocation is sized by a count userspace chooses: it allocates nothing
 * at all, and an armed fault is still pending when the call returns.
 */
static void sync_file_info_allocates_nothing(struct kunit *test)
{
	struct dma_fence *a = managed_fence(test), *b = managed_fence(test);
	struct sync_fence_info entries[2] = {};
	void __user *uarr = sf_user_copy(test, entries, sizeof(entries));
	struct sync_file_info info = {
		.num_fences = 2,
		.sync_fence_info = (u64)(uintptr_t)uarr,
	};
	struct sync_file_info __user *u;
	struct sync_file_info back;
	struct dma_fence *merged;
	unsigned int left;
	long ret;
	int fd;

	merged = dma_fence_unwrap_merge(a, b);
	KUNIT_ASSERT_NOT_NULL(test, merged);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, put_fence_action,
							merged), 0);
	fd = sf_fd(test, merged);
	u = sf_user_copy(test, &info, sizeof(info));

	fault_arm(1);
	ret = sf_ioctl(fd, SYNC_IOC_FILE_INFO, u);
	left = fault_disarm();
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, left, 1U);
	KUNIT_ASSERT_EQ(test, copy_from_user(&back, u, sizeof(back)), 0);
	KUNIT_EXPECT_EQ(test, back.num_fences, 2U);
	KUNIT_EXPECT_EQ(test, back.status, 0);
	KUNIT_EXPECT_EQ(test, kref_read(&a->refcount), 2);
}
#endif /* CONFIG_SYNC_FILE */

#if IS_ENABLED(CONFIG_SYNC_FILE)
DEFINE_CASE_MM(sync_file_merge_enomem_at_every_allocation)
DEFINE_CASE_MM(sync_file_info_allocates_nothing)
#endif

static struct kunit_case dma_buf_fault_cases[] = {
	KUNIT_CASE(failslab_refuses_the_armed_allocation),
	KUNIT_CASE(reserve_enomem_keeps_every_fence),
	KUNIT_CASE(add_unreserved_enomem_never_sleeps),
	KUNIT_CASE(get_fences_enomem_hands_out_nothing),
	KUNIT_CASE(get_singleton_enomem_on_snapshot),
	KUNIT_CASE(get_singleton_enomem_on_array),
	KUNIT_CASE(copy_fences_enomem_leaves_dst_unchanged),
	KUNIT_CASE(array_create_enomem_leaves_ownership_to_caller),
	KUNIT_CASE(unwrap_merge_enomem_on_first_allocation),
	KUNIT_CASE(unwrap_merge_enomem_at_every_allocation),
	KUNIT_CASE(unwrap_merge_of_signalled_enomem_on_stub),
	KUNIT_CASE(private_stub_enomem_returns_null),
	KUNIT_CASE(chain_alloc_enomem_returns_null),
	KUNIT_CASE(export_enomem_at_every_allocation),
	KUNIT_CASE(attach_enomem_at_every_allocation),
	KUNIT_CASE(map_enomem_at_every_allocation),
	KUNIT_CASE(map_allocates_only_what_the_exporter_does),
	KUNIT_CASE(vmap_enomem_at_every_allocation),
#if IS_ENABLED(CONFIG_SYNC_FILE)
	KUNIT_CASE(sync_file_create_enomem_at_every_allocation),
	KUNIT_CASE_MM(sync_file_merge_enomem_at_every_allocation),
	KUNIT_CASE_MM(sync_file_info_allocates_nothing),
#endif
	{}
};

static struct kunit_suite dma_buf_fault_suite = {
	.name = "dma-buf-faults",
	.test_cases = dma_buf_fault_cases,
};

kunit_test_suite(dma_buf_fault_suite);

MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("KUnit tests of dma-buf allocation failure paths");
MODULE_LICENSE("GPL");
