// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-fuzz - a seeded, resource-aware fuzzer of the dma-buf uapi.
 *
 * Threads share pools of live descriptors (dma-bufs from udmabuf and every
 * dma-heap, sync_files, sw_sync timelines, memfds, epoll sets) and of
 * mappings, and draw operations on them from a weighted table: every
 * ioctl of dma-buf, sync_file, sw_sync, udmabuf and dma-heap, with good,
 * odd and hostile arguments (bad pointers, unaligned and huge values,
 * unknown flags, closed and wrong-type descriptors), mmap/munmap/touch,
 * poll/epoll, dup/close, fork and reads of the debug and stats files.
 * The pool lock covers the bookkeeping only, so closes race with ioctls
 * and timeline signals race with waits.
 *
 * It judges the kernel, not itself: at the end every descriptor and
 * mapping is released and the kernel's own accounting (debugfs bufinfo,
 * sync/info, /sys/kernel/dmabuf/buffers) must be back to what it was at
 * the start.  Crashes, warnings and leaks the kernel reports are judged by
 * the harness from the kernel log and kmemleak.
 *
 * Every operation draws its arguments from a generator seeded by
 * (seed, thread, index) alone, so a run is named by its seed and an
 * operation by "thread:index".  On a failure the run prints the seed and
 * each thread's last operations, re-runs the seed single-threaded (the
 * threads' operations interleaved round-robin) and, if that reproduces,
 * drops operations while the failure persists and prints the shortest
 * sequence found as a command line (--run).
 *
 *   dmabuf-fuzz [--seed N] [--ops N] [--threads N] [--trace]
 *   dmabuf-fuzz --seed N --ops N --threads N --replay   single-threaded
 *   dmabuf-fuzz --seed N --run 0:3,1:7,...              one sequence
 *   dmabuf-fuzz --self-test-leak ...   also keep a dma-buf descriptor open
 *                                      on purpose: the run must fail
 *
 * Exit status: 0 clean, 1 accounting not back to baseline, 2 usage or
 * setup error, 3 hang (watchdog).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/wait.h>

/* The sw_sync requests (sw_sync has no uapi header), device paths. */
#include "../dmabuf-util.h"

#define HEAP_DIR	"/dev/dma_heap"
#define SYNC_INFO	"/sys/kernel/debug/sync/info"
#define SYSFS_BUFS	"/sys/kernel/dmabuf/buffers"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif

typedef unsigned long long u64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- random numbers ---------------------------------------------------- */

static u64 mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	u64 s;
};

static u64 rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

/* Uniform in [0, n), n > 0. */
static unsigned int below(struct rng *r, unsigned int n)
{
	return (unsigned int)(rnd(r) % n);
}

static int one_in(struct rng *r, unsigned int n)
{
	return below(r, n) == 0;
}

/* @val, or one time in @n a random value instead. */
static u64 sometimes_rnd(struct rng *r, unsigned int n, u64 val)
{
	return one_in(r, n) ? rnd(r) : val;
}

/* One time in @n a random one of the low @bits bits, else 0. */
static u64 sometimes_bit(struct rng *r, unsigned int n, unsigned int bits)
{
	return one_in(r, n) ? 1ULL << below(r, bits) : 0;
}

static u64 op_seed(u64 seed, unsigned int t, unsigned int i)
{
	return mix64(mix64(seed) ^ ((u64)t << 40) ^ i);
}

/* ---- pools --------------------------------------------------------------- */

enum kind { K_BUF, K_SYNC, K_TL, K_MEMFD, K_EPOLL, NKINDS };

#define SLOTS		12
#define MAP_SLOTS	16

struct mapping {
	char *addr;
	size_t len;
	int prot;
	int refs;	/* touches in progress */
	int dead;	/* removed from the pool, unmapped by the last touch */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int pool[NKINDS][SLOTS];
static struct mapping maps[MAP_SLOTS];
static struct mapping *zombies[MAP_SLOTS * 4];	/* dead, still touched */

/* Descriptors kept open on purpose by --self-test-leak. */
static int leaked[64];
static int nleaked;
static int self_test_leak;

static void pool_init(void)
{
	int k, i;

	for (k = 0; k < NKINDS; k++)
		for (i = 0; i < SLOTS; i++)
			pool[k][i] = -1;
	memset(maps, 0, sizeof(maps));
}

/*
 * A live member of pool @k, searched from a random slot, or -1; with
 * @take it leaves the pool.
 */
static int pool_find(enum kind k, struct rng *r, int take)
{
	unsigned int s = below(r, SLOTS), i;
	int fd = -1;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < SLOTS; i++) {
		fd = pool[k][(s + i) % SLOTS];
		if (fd >= 0) {
			if (take)
				pool[k][(s + i) % SLOTS] = -1;
			break;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	return fd;
}

/* A live descriptor of @kind (no ownership: it may be closed meanwhile). */
static int pool_pick(enum kind k, struct rng *r)
{
	return pool_find(k, r, 0);
}

/* Store @fd; a full pool evicts (closes) a random member. */
static void pool_put(enum kind k, int fd, struct rng *r)
{
	unsigned int s = below(r, SLOTS), i;
	int old = -1;

	if (fd < 0)
		return;
	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < SLOTS; i++)
		if (pool[k][(s + i) % SLOTS] < 0)
			break;
	if (i == SLOTS)
		i = 0;
	old = pool[k][(s + i) % SLOTS];
	pool[k][(s + i) % SLOTS] = fd;
	pthread_mutex_unlock(&pool_lock);
	if (old >= 0)
		close(old);
}

/* Remove a member and hand it to the caller, who closes it. */
static int pool_take(enum kind k, struct rng *r)
{
	return pool_find(k, r, 1);
}

/* ---- shared state -------------------------------------------------------- */

static int udmabuf_dev = -1;
static int heap_fd[8];
static char heap_names[8][64];
static int nheaps;
static int have_sw_sync;
static long pagesz;
static uintptr_t unmapped_page;		/* a page nobody may access */

/* Shared between threads: accessed with __atomic builtins only. */
static int stop_all;
static unsigned long progress;
#define STOPPING()	__atomic_load_n(&stop_all, __ATOMIC_RELAXED)
#define SET_STOP(v)	__atomic_store_n(&stop_all, (v), __ATOMIC_RELAXED)
#define PROGRESS()	__atomic_load_n(&progress, __ATOMIC_RELAXED)
static int trace;

/* Per thread: a buffer whose end touches an inaccessible page. */
struct ctx {
	struct rng r;
	unsigned int tid;
	int in_child;
	char *edge;		/* pagesz bytes, followed by a hole */
};

static __thread sigjmp_buf touch_jmp;
static __thread sig_atomic_t touching;

static void fault_handler(int sig)
{
	if (touching)
		siglongjmp(touch_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static char *edge_alloc(void)
{
	char *p = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Inaccessible, not unmapped: an unmapped hole may be handed out
	 * by a later mmap(), and then a "bad" pointer is a good one (an
	 * ioctl that creates a descriptor succeeds and nobody keeps it).
	 */
	mprotect(p + pagesz, pagesz, PROT_NONE);
	return p;
}

/* A pointer that is wrong in one of several ways. */
static uintptr_t bad_ptr(struct ctx *c)
{
	switch (below(&c->r, 7)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return unmapped_page;
	case 3:
		return unmapped_page + 3;
	case 4:
		return (uintptr_t)0xffffffff81000000ULL;	/* kernel text */
	case 5:
		return (uintptr_t)-4096;
	default:	/* the last bytes before a hole */
		return (uintptr_t)(c->edge + pagesz - 1 - below(&c->r, 8));
	}
}

/*
 * The argument of an ioctl: @arg, or one time in @odds a bad pointer
 * instead (the coin is drawn first, then the pointer).
 */
static void *arg_or_bad(struct ctx *c, unsigned int odds, void *arg)
{
	return one_in(&c->r, odds) ? (void *)bad_ptr(c) : arg;
}

/* ioctl() as 0 or -errno. */
static int ioctl_err(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/*
 * An ioctl that makes a descriptor: @cmd on @fd with @arg, or one time in
 * @odds a bad pointer.  When @arg went in and the call succeeded, the
 * descriptor it stored at @out (inside @arg) goes to pool @k.
 */
static int ioctl_new_fd(struct ctx *c, unsigned int odds, int fd,
			unsigned long cmd, void *arg, const __s32 *out,
			enum kind k)
{
	void *p = arg_or_bad(c, odds, arg);
	int ret = ioctl_err(fd, cmd, p);

	if (!ret && p == arg)
		pool_put(k, *out, &c->r);
	return ret;
}

/*
 * A descriptor for an operation on @k: mostly a pool member, sometimes one
 * of another kind, a closed or never-opened number, or a standard stream.
 */
static int pick_fd(struct ctx *c, enum kind k)
{
	unsigned int n = below(&c->r, 100);

	int fd, i;

	if (n < 84)
		return pool_pick(k, &c->r);
	if (n < 94)
		return pool_pick(below(&c->r, NKINDS), &c->r);
	switch (below(&c->r, 4)) {
	case 0:
		return -1;
	case 1:
		return 100000;
	case 2:
		/*
		 * Whatever that number is now, but not a heap: like 6.12,
		 * a heap takes any request numbered 0 for an allocation
		 * and returns the new descriptor only when the request
		 * reads back (_IOC_READ) far enough.  DMA_BUF_IOCTL_SYNC
		 * sent to a heap thus makes a buffer whose descriptor
		 * nobody learns: the caller's mistake, not a kernel leak.
		 */
		fd = 3 + below(&c->r, 60);
		for (i = 0; i < nheaps; i++)
			if (fd == heap_fd[i])
				return -1;
		return fd;
	default:
		return below(&c->r, 3);
	}
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A size: mostly a few pages, sometimes unaligned, zero or absurd. */
static u64 rnd_size(struct ctx *c, unsigned int max_pages)
{
	switch (below(&c->r, 10)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(&c->r, pagesz * 4);
	case 2:
		return ~0ULL - below(&c->r, 2) * pagesz;
	case 3:
		return (u64)1 << (32 + below(&c->r, 31));
	default:
		return (u64)(1 + below(&c->r, max_pages)) * pagesz;
	}
}

/* ---- operations ---------------------------------------------------------- */

static int new_memfd(struct ctx *c)
{
	static const unsigned int seals[] = {
		F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_SEAL,
		F_SEAL_FUTURE_WRITE,
	};
	unsigned int flags = MFD_CLOEXEC, i, add = 0;
	int fd;

	if (!one_in(&c->r, 10))
		flags |= MFD_ALLOW_SEALING;
	if (one_in(&c->r, 30))
		flags |= MFD_HUGETLB;
	fd = memfd_create("fuzz", flags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, one_in(&c->r, 8) ? (off_t)below(&c->r, 8 * pagesz) :
		      (off_t)(1 + below(&c->r, 64)) * pagesz) < 0 &&
	    !one_in(&c->r, 4)) {
		close(fd);
		return -errno;
	}
	if (!one_in(&c->r, 6))
		add |= F_SEAL_SHRINK;
	for (i = 0; i < ARRAY_SIZE(seals); i++)
		if (one_in(&c->r, 6))
			add |= seals[i];
	fcntl(fd, F_ADD_SEALS, add);
	return fd;
}

static int op_memfd(struct ctx *c)
{
	int fd = new_memfd(c);

	if (fd < 0)
		return fd;
	pool_put(K_MEMFD, fd, &c->r);
	return 0;
}

/* A memfd from the pool, or a fresh one that the caller must close. */
static int some_memfd(struct ctx *c, int *fresh)
{
	int fd;

	*fresh = -1;
	if (!one_in(&c->r, 3)) {
		fd = pick_fd(c, K_MEMFD);
		if (fd >= 0)
			return fd;
	}
	fd = new_memfd(c);
	*fresh = fd;
	return fd;
}

static __u64 rnd_offset(struct ctx *c)
{
	switch (below(&c->r, 8)) {
	case 0:
		return below(&c->r, pagesz);		/* unaligned */
	case 1:
		return ~0ULL - below(&c->r, 4) * pagesz;
	case 2:
		return (u64)below(&c->r, 128) * pagesz;
	default:
		return (u64)below(&c->r, 4) * pagesz;
	}
}

static __u32 rnd_udmabuf_flags(struct ctx *c)
{
	if (one_in(&c->r, 8))
		return (__u32)rnd(&c->r);
	return one_in(&c->r, 2) ? UDMABUF_FLAGS_CLOEXEC : 0;
}

static int op_udmabuf_create(struct ctx *c)
{
	struct udmabuf_create req;
	int fresh, fd, ret;

	memset(&req, 0, sizeof(req));
	req.memfd = some_memfd(c, &fresh);
	if (one_in(&c->r, 20))
		req.memfd = (__u32)pick_fd(c, below(&c->r, NKINDS));
	req.flags = rnd_udmabuf_flags(c);
	req.offset = rnd_offset(c);
	req.size = rnd_size(c, 16);
	fd = ioctl(udmabuf_dev, UDMABUF_CREATE, arg_or_bad(c, 12, &req));
	ret = fd < 0 ? -errno : 0;
	if (fresh >= 0)
		close(fresh);
	pool_put(K_BUF, fd, &c->r);
	return ret;
}

static int op_udmabuf_list(struct ctx *c)
{
	unsigned int n = below(&c->r, 6), i, count;
	int fresh[6], fd, ret;
	struct udmabuf_create_list *req;
	size_t sz = sizeof(*req) + 8 * sizeof(req->list[0]);

	req = calloc(1, sz);
	if (!req)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		req->list[i].memfd = some_memfd(c, &fresh[i]);
		req->list[i].offset = one_in(&c->r, 3) ? rnd_offset(c) : 0;
		req->list[i].size = rnd_size(c, 8);
		req->list[i].__pad = sometimes_rnd(&c->r, 20, 0);
	}
	req->flags = rnd_udmabuf_flags(c);
	count = n;
	switch (below(&c->r, 12)) {
	case 0:
		count = 1025 + below(&c->r, 100000);
		break;
	case 1:
		count = ~0U - below(&c->r, 4);
		break;
	case 2:
		count = n + 1 + below(&c->r, 2);	/* past the items */
		break;
	}
	req->count = count;
	if (one_in(&c->r, 12)) {
		fd = ioctl(udmabuf_dev, UDMABUF_CREATE_LIST, bad_ptr(c));
	} else if (one_in(&c->r, 8)) {
		/* The list runs into a hole. */
		size_t room = sizeof(*req) + n * sizeof(req->list[0]);
		size_t cut = below(&c->r, 2) * 16;
		char *p;

		if (cut > room)
			cut = room;
		p = c->edge + pagesz - room + cut;
		if (room <= (size_t)pagesz) {
			memcpy(p, req, room - cut);
			fd = ioctl(udmabuf_dev, UDMABUF_CREATE_LIST, p);
		} else {
			fd = -1;
			errno = EINVAL;
		}
	} else {
		fd = ioctl(udmabuf_dev, UDMABUF_CREATE_LIST, req);
	}
	ret = fd < 0 ? -errno : 0;
	for (i = 0; i < n; i++)
		if (fresh[i] >= 0)
			close(fresh[i]);
	free(req);
	pool_put(K_BUF, fd, &c->r);
	return ret;
}

static int op_heap_alloc(struct ctx *c)
{
	unsigned char raw[48];
	struct dma_heap_allocation_data *d = (void *)raw;
	unsigned long cmd = DMA_HEAP_IOCTL_ALLOC;
	int hfd, ret;

	if (!nheaps)
		return -ENODEV;
	hfd = heap_fd[below(&c->r, nheaps)];
	memset(raw, 0, sizeof(raw));
	switch (below(&c->r, 12)) {
	case 0:		/* more than the machine has */
		d->len = (u64)1 << (40 + below(&c->r, 23));
		break;
	case 1:
		d->len = ~0ULL - below(&c->r, 2);
		break;
	case 2:
		d->len = below(&c->r, 3 * pagesz);
		break;
	case 3:
		d->len = (u64)(1 + below(&c->r, one_in(&c->r, 4) ? 1024 : 128))
			* pagesz;
		break;
	default:
		d->len = (u64)(1 + below(&c->r, 32)) * pagesz;
	}
	d->fd_flags = O_RDWR | O_CLOEXEC;
	if (one_in(&c->r, 4))
		d->fd_flags = one_in(&c->r, 2) ? O_RDONLY : O_WRONLY;
	d->fd_flags |= sometimes_bit(&c->r, 10, 32);
	d->heap_flags = sometimes_bit(&c->r, 10, 64);
	/* Junk in the field the kernel fills: ignored or refused. */
	d->fd = sometimes_rnd(&c->r, 10, 0);
	switch (below(&c->r, 10)) {
	case 0:		/* longer structure, zero tail */
		cmd = _IOWR(DMA_HEAP_IOC_MAGIC, 0x0, raw);
		break;
	case 1:		/* longer structure, non-zero tail */
		cmd = _IOWR(DMA_HEAP_IOC_MAGIC, 0x0, raw);
		raw[sizeof(raw) - 1 - below(&c->r, 16)] = 1;
		break;
	case 2:		/* shorter: no heap_flags */
		cmd = _IOWR(DMA_HEAP_IOC_MAGIC, 0x0, __u64[2]);
		break;
	case 3:
		cmd = _IOWR(DMA_HEAP_IOC_MAGIC, 1 + below(&c->r, 4), *d);
		break;
	}
	ret = ioctl_err(hfd, cmd, arg_or_bad(c, 12, raw));
	if (ret)
		return ret;
	pool_put(K_BUF, (int)d->fd, &c->r);
	return 0;
}

static int op_timeline(struct ctx *c)
{
	int fd;

	if (!have_sw_sync)
		return -ENODEV;
	fd = open(SW_SYNC_FILE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pool_put(K_TL, fd, &c->r);
	return 0;
}

static int op_fence(struct ctx *c)
{
	struct sw_sync_create_fence_data d;
	int tl = pick_fd(c, K_TL);

	memset(&d, 0, sizeof(d));
	switch (below(&c->r, 6)) {
	case 0:
		d.value = (__u32)rnd(&c->r);
		break;
	case 1:
		d.value = 0x7fffffffU + below(&c->r, 3);
		break;
	default:
		d.value = below(&c->r, 40);
	}
	if (one_in(&c->r, 3))
		memset(d.name, 'a' + below(&c->r, 26), sizeof(d.name));
	else
		snprintf(d.name, sizeof(d.name), "f%u", d.value);
	return ioctl_new_fd(c, 15, tl, SW_SYNC_IOC_CREATE_FENCE, &d, &d.fence,
			    K_SYNC);
}

static int op_inc(struct ctx *c)
{
	int tl = pick_fd(c, K_TL);
	__u32 step;

	switch (below(&c->r, 8)) {
	case 0:
		step = (__u32)rnd(&c->r);		/* wraps */
		break;
	case 1:
		step = 0x7fffffffU + below(&c->r, 3);
		break;
	case 2:
		step = 0;
		break;
	default:
		step = 1 + below(&c->r, 8);
	}
	return ioctl_err(tl, SW_SYNC_IOC_INC, arg_or_bad(c, 15, &step));
}

static int op_get_deadline(struct ctx *c)
{
	struct sw_sync_get_deadline d;
	int tl = pick_fd(c, K_TL);

	memset(&d, 0, sizeof(d));
	d.fence_fd = pick_fd(c, K_SYNC);
	d.pad = sometimes_rnd(&c->r, 8, 0);
	d.deadline_ns = sometimes_rnd(&c->r, 8, 0);
	return ioctl_err(tl, SW_SYNC_GET_DEADLINE, arg_or_bad(c, 12, &d));
}

static int op_merge(struct ctx *c)
{
	struct sync_merge_data d;
	int fd = pick_fd(c, K_SYNC);

	memset(&d, 0, sizeof(d));
	d.fd2 = one_in(&c->r, 4) ? fd : pick_fd(c, K_SYNC);
	snprintf(d.name, sizeof(d.name), "m%d", fd);
	if (one_in(&c->r, 5))
		memset(d.name, 'x', sizeof(d.name));	/* no NUL */
	d.flags = sometimes_rnd(&c->r, 10, 0);
	d.pad = sometimes_rnd(&c->r, 10, 0);
	return ioctl_new_fd(c, 12, fd, SYNC_IOC_MERGE, &d, &d.fence, K_SYNC);
}

static int op_file_info(struct ctx *c)
{
	struct sync_file_info info;
	struct sync_fence_info *arr = NULL;
	int fd = pick_fd(c, K_SYNC);
	int ret;

	memset(&info, 0, sizeof(info));
	info.flags = sometimes_rnd(&c->r, 10, 0);
	info.pad = sometimes_rnd(&c->r, 10, 0);
	info.sync_fence_info = sometimes_rnd(&c->r, 10, 0);
	if (one_in(&c->r, 3)) {
		/* Ask how many first, as a careful caller does. */
		if (ioctl(fd, SYNC_IOC_FILE_INFO, &info) < 0)
			return -errno;
	}
	switch (below(&c->r, 8)) {
	case 0:
		info.num_fences = below(&c->r, 4);
		break;
	case 1:
		info.num_fences = ~0U - below(&c->r, 3);
		break;
	case 2:
		info.num_fences = 1U << below(&c->r, 32);
		break;
	}
	switch (below(&c->r, 6)) {
	case 0:
		info.sync_fence_info = bad_ptr(c);
		break;
	case 1:		/* an array that runs into a hole */
		info.sync_fence_info = (uintptr_t)(c->edge + pagesz -
			(below(&c->r, 3) + 1) * sizeof(*arr) +
			below(&c->r, 2) * 8);
		break;
	default:
		if (info.num_fences && info.num_fences <= 4096) {
			arr = calloc(info.num_fences, sizeof(*arr));
			info.sync_fence_info = (uintptr_t)arr;
		}
	}
	ret = ioctl_err(fd, SYNC_IOC_FILE_INFO, arg_or_bad(c, 12, &info));
	free(arr);
	return ret;
}

static int op_set_deadline(struct ctx *c)
{
	struct sync_set_deadline d;
	int fd = pick_fd(c, K_SYNC);

	memset(&d, 0, sizeof(d));
	switch (below(&c->r, 4)) {
	case 0:
		d.deadline_ns = rnd(&c->r);
		break;
	case 1:
		d.deadline_ns = 0;
		break;
	default:
		d.deadline_ns = now_ns() + below(&c->r, 100000000);
	}
	d.pad = sometimes_rnd(&c->r, 8, 0);
	return ioctl_err(fd, SYNC_IOC_SET_DEADLINE, arg_or_bad(c, 12, &d));
}

static int op_buf_sync(struct ctx *c)
{
	struct dma_buf_sync s;
	int fd = pick_fd(c, K_BUF);

	s.flags = below(&c->r, 8);	/* READ, WRITE, END: every combination */
	s.flags |= sometimes_bit(&c->r, 8, 64);
	return ioctl_err(fd, DMA_BUF_IOCTL_SYNC, arg_or_bad(c, 12, &s));
}

static int op_set_name(struct ctx *c)
{
	static const unsigned long cmds[] = {
		DMA_BUF_SET_NAME, DMA_BUF_SET_NAME_A, DMA_BUF_SET_NAME_B,
	};
	unsigned long cmd = cmds[below(&c->r, 3)];
	int fd = pick_fd(c, K_BUF);
	unsigned int len;
	char *name;

	switch (below(&c->r, 5)) {
	case 0:
		return ioctl_err(fd, cmd, (void *)bad_ptr(c));
	case 1:		/* no NUL before the hole */
		len = 1 + below(&c->r, 80);
		name = c->edge + pagesz - len;
		memset(name, 'n', len);
		break;
	default:
		len = below(&c->r, one_in(&c->r, 4) ? 200 : 31);
		name = c->edge + pagesz - len - 1;
		memset(name, 'a' + below(&c->r, 26), len);
		name[len] = 0;
	}
	return ioctl_err(fd, cmd, name);
}

static int op_export_sync(struct ctx *c)
{
	struct dma_buf_export_sync_file d;
	int fd = pick_fd(c, K_BUF);

	d.flags = below(&c->r, 4);	/* none, READ, WRITE, RW */
	d.flags |= sometimes_bit(&c->r, 8, 32);
	d.fd = one_in(&c->r, 8) ? (__s32)rnd(&c->r) : -1;
	return ioctl_new_fd(c, 12, fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &d, &d.fd,
			    K_SYNC);
}

static int op_import_sync(struct ctx *c)
{
	struct dma_buf_import_sync_file d;
	int fd = pick_fd(c, K_BUF);

	d.flags = below(&c->r, 4);
	d.flags |= sometimes_bit(&c->r, 8, 32);
	d.fd = pick_fd(c, K_SYNC);
	return ioctl_err(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
			 arg_or_bad(c, 12, &d));
}

static int op_llseek(struct ctx *c)
{
	static const int whence[] = { SEEK_SET, SEEK_CUR, SEEK_END, 42 };
	int fd = pick_fd(c, K_BUF);
	off_t off = one_in(&c->r, 2) ? 0 : (off_t)(rnd(&c->r) >> 40);

	return lseek(fd, off, whence[below(&c->r, 4)]) < 0 ? -errno : 0;
}

static void map_release(struct mapping *m)
{
	munmap(m->addr, m->len);
	free(m);
}

/* Park a mapping that is still being touched; under the pool lock. */
static int zombie_add(struct mapping *m)
{
	int z;

	for (z = 0; z < MAP_SLOTS * 4; z++)
		if (!zombies[z]) {
			zombies[z] = m;
			return 1;
		}
	return 0;
}

static int op_mmap(struct ctx *c)
{
	int fd = pick_fd(c, K_BUF), prot, flags, i;
	size_t len = (1 + below(&c->r, 8)) * pagesz;
	off_t off = (off_t)below(&c->r, 3) * pagesz;
	struct mapping *m, *old = NULL;
	void *p;

	prot = one_in(&c->r, 3) ? PROT_READ : PROT_READ | PROT_WRITE;
	flags = one_in(&c->r, 5) ? MAP_PRIVATE : MAP_SHARED;
	if (one_in(&c->r, 10))
		off = below(&c->r, pagesz);
	p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return -errno;
	m = calloc(1, sizeof(*m));
	if (!m) {
		munmap(p, len);
		return -ENOMEM;
	}
	m->addr = p;
	m->len = len;
	m->prot = prot;
	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < MAP_SLOTS; i++)
		if (!maps[i].addr)
			break;
	if (i == MAP_SLOTS) {
		/* Evict a member; the last touch of it unmaps it. */
		i = below(&c->r, MAP_SLOTS);
		old = malloc(sizeof(*old));
		if (old) {
			*old = maps[i];
			old->dead = 1;
			if (old->refs) {
				if (!zombie_add(old))
					free(old);	/* stays mapped */
				old = NULL;
			}
		}
	}
	maps[i] = *m;
	pthread_mutex_unlock(&pool_lock);
	free(m);
	if (old)
		map_release(old);
	return 0;
}

/* Read or write a few bytes of @m; a fault is caught and returned. */
static __attribute__((noinline)) int touch_mem(const struct mapping *m,
					       int write, u64 where)
{
	int ret = 0, k;

	touching = 1;
	if (sigsetjmp(touch_jmp, 1)) {
		ret = -EFAULT;
	} else {
		for (k = 0; k < 4; k++) {
			size_t off = (size_t)(mix64(where + k) % m->len);

			if (write)
				__atomic_store_n(&m->addr[off], (char)k,
						 __ATOMIC_RELAXED);
			else
				(void)__atomic_load_n(&m->addr[off],
						      __ATOMIC_RELAXED);
		}
	}
	touching = 0;
	return ret;
}

/*
 * A pooled mapping, searched from a random slot: its index, returned with
 * the pool lock held, or -ENOENT (unlocked) when there is none.
 */
static int map_pick_locked(struct rng *r)
{
	unsigned int i = below(r, MAP_SLOTS), k;

	pthread_mutex_lock(&pool_lock);
	for (k = 0; k < MAP_SLOTS; k++)
		if (maps[(i + k) % MAP_SLOTS].addr)
			return (i + k) % MAP_SLOTS;
	pthread_mutex_unlock(&pool_lock);
	return -ENOENT;
}

/*
 * Touch a pooled mapping.  A touch holds a reference so that munmap by
 * another thread waits for it; the fuzzer's own SIGBUS/SIGSEGV (a mapping
 * of a descriptor that changed meanwhile) is caught and counted.
 */
static int op_touch(struct ctx *c)
{
	int i = map_pick_locked(&c->r), ret;
	struct mapping snap;
	unsigned int k;

	if (i < 0)
		return i;
	maps[i].refs++;
	snap = maps[i];
	pthread_mutex_unlock(&pool_lock);

	ret = touch_mem(&snap, (snap.prot & PROT_WRITE) && !one_in(&c->r, 3),
			rnd(&c->r));

	pthread_mutex_lock(&pool_lock);
	if (maps[i].addr == snap.addr && !maps[i].dead) {
		maps[i].refs--;
	} else {
		for (k = 0; k < MAP_SLOTS * 4; k++) {
			struct mapping *z = zombies[k];

			if (z && z->addr == snap.addr && !--z->refs) {
				zombies[k] = NULL;
				pthread_mutex_unlock(&pool_lock);
				map_release(z);
				return ret;
			}
		}
	}
	pthread_mutex_unlock(&pool_lock);
	return ret;
}

static int op_munmap(struct ctx *c)
{
	int i = map_pick_locked(&c->r);
	struct mapping *old;

	if (i < 0)
		return i;
	old = malloc(sizeof(*old));
	if (!old) {
		pthread_mutex_unlock(&pool_lock);
		return -ENOMEM;
	}
	*old = maps[i];
	old->dead = 1;
	maps[i].addr = NULL;
	if (old->refs) {
		if (!zombie_add(old))
			free(old);	/* stays mapped: harmless */
		pthread_mutex_unlock(&pool_lock);
		return 0;
	}
	pthread_mutex_unlock(&pool_lock);
	map_release(old);
	return 0;
}

static int op_poll(struct ctx *c)
{
	struct pollfd p[4];
	unsigned int n = 1 + below(&c->r, 4), i;
	static const enum kind kinds[] = { K_SYNC, K_SYNC, K_BUF, K_TL };

	for (i = 0; i < n; i++) {
		p[i].fd = pick_fd(c, kinds[below(&c->r, 4)]);
		p[i].events = POLLIN;
		if (one_in(&c->r, 3))
			p[i].events |= POLLOUT;
		if (one_in(&c->r, 6))
			p[i].events = (short)rnd(&c->r);
		p[i].revents = 0;
	}
	return poll(p, n, below(&c->r, 20)) < 0 ? -errno : 0;
}

static int op_epoll_new(struct ctx *c)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		return -errno;
	pool_put(K_EPOLL, fd, &c->r);
	return 0;
}

static int op_epoll_ctl(struct ctx *c)
{
	static const int ops[] = { EPOLL_CTL_ADD, EPOLL_CTL_ADD, EPOLL_CTL_MOD,
				   EPOLL_CTL_DEL };
	int ep = pick_fd(c, K_EPOLL);
	struct epoll_event ev;

	ev.events = EPOLLIN;
	if (one_in(&c->r, 2))
		ev.events |= EPOLLOUT;
	if (one_in(&c->r, 4))
		ev.events |= EPOLLET;
	if (one_in(&c->r, 6))
		ev.events |= EPOLLONESHOT;
	ev.data.u64 = rnd(&c->r);
	return epoll_ctl(ep, ops[below(&c->r, 4)],
			 pick_fd(c, below(&c->r, NKINDS)), &ev) < 0 ? -errno : 0;
}

static int op_epoll_wait(struct ctx *c)
{
	struct epoll_event ev[8];

	return epoll_wait(pick_fd(c, K_EPOLL), ev, 1 + below(&c->r, 8),
			  below(&c->r, 10)) < 0 ? -errno : 0;
}

static int op_dup(struct ctx *c)
{
	enum kind k = below(&c->r, NKINDS);
	int fd = pool_pick(k, &c->r), nfd;

	if (fd < 0)
		return -ENOENT;
	nfd = one_in(&c->r, 2) ? dup(fd) : fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0)
		return -errno;
	/* The number may have been reused meanwhile: then it is another kind. */
	pool_put(k, nfd, &c->r);
	return 0;
}

static int op_close(struct ctx *c)
{
	int fd = pool_take(below(&c->r, NKINDS), &c->r);

	if (fd < 0)
		return -ENOENT;
	return close(fd) < 0 ? -errno : 0;
}

static void read_file(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static int op_read_proc(struct ctx *c)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	switch (below(&c->r, 6)) {
	case 0:
	case 1:
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d",
			 pick_fd(c, below(&c->r, NKINDS)));
		read_file(path);
		break;
	case 2:
		d = opendir("/proc/self/fd");
		if (d) {
			while (readdir(d))
				;
			closedir(d);
		}
		break;
	case 3:
		read_file(BUFINFO_FILE);
		break;
	case 4:
		read_file(SYNC_INFO);
		break;
	default:
		d = opendir(SYSFS_BUFS);
		if (!d)
			return -errno;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || one_in(&c->r, 2))
				continue;
			snprintf(path, sizeof(path), SYSFS_BUFS "/%.32s/%s",
				 de->d_name,
				 one_in(&c->r, 2) ? "size" : "exporter_name");
			read_file(path);
		}
		closedir(d);
	}
	return 0;
}

/* An ioctl of ours with a pointer that is wrong, on any descriptor. */
static int op_bad_ioctl(struct ctx *c)
{
	static const unsigned long cmds[] = {
		DMA_BUF_IOCTL_SYNC, DMA_BUF_SET_NAME_A, DMA_BUF_SET_NAME_B,
		DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
		SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO, SYNC_IOC_SET_DEADLINE,
		SW_SYNC_IOC_CREATE_FENCE, SW_SYNC_IOC_INC, SW_SYNC_GET_DEADLINE,
		UDMABUF_CREATE, UDMABUF_CREATE_LIST, DMA_HEAP_IOCTL_ALLOC,
		_IOW(DMA_BUF_BASE, 0, __u32), _IOWR(DMA_BUF_BASE, 9, __u64),
		_IOWR(SYNC_IOC_MAGIC, 0, __u64), _IOWR('W', 7, __u64),
		_IOC(_IOC_NONE, DMA_BUF_BASE, 2, 0),
	};
	unsigned long cmd = cmds[below(&c->r, ARRAY_SIZE(cmds))];
	int fd;

	if (cmd == UDMABUF_CREATE || cmd == UDMABUF_CREATE_LIST)
		fd = one_in(&c->r, 2) ? udmabuf_dev :
			pick_fd(c, below(&c->r, NKINDS));
	else if (cmd == DMA_HEAP_IOCTL_ALLOC && nheaps && one_in(&c->r, 2))
		fd = heap_fd[below(&c->r, nheaps)];
	else
		fd = pick_fd(c, below(&c->r, NKINDS));
	return ioctl_err(fd, cmd, (void *)bad_ptr(c));
}

/*
 * --self-test-leak: keep a dma-buf open past the end, on purpose: a copy
 * of a pooled one, or a page of the first heap when the pool is empty.
 */
static int op_leak(struct ctx *c)
{
	struct dma_heap_allocation_data d = {
		.len = pagesz, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	int fd = pool_pick(K_BUF, &c->r), nfd;

	if (fd >= 0)
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	else if (nheaps && !ioctl(heap_fd[0], DMA_HEAP_IOCTL_ALLOC, &d))
		nfd = d.fd;
	else
		return -ENOENT;
	if (nfd < 0)
		return -errno;
	pthread_mutex_lock(&pool_lock);
	if (nleaked < 64)
		leaked[nleaked++] = nfd;
	pthread_mutex_unlock(&pool_lock);
	return 0;
}

static int op_fork(struct ctx *c);

struct op {
	const char *name;
	int (*fn)(struct ctx *c);
	unsigned int weight;
	int in_child;		/* may run in a forked child */
};

/* Weights: relative frequencies; fork and the file reads cost most. */
static struct op ops[] = {
	{ "udmabuf_create", op_udmabuf_create, 32, 1 },
	{ "udmabuf_create_list", op_udmabuf_list, 16, 1 },
	{ "heap_alloc", op_heap_alloc, 16, 1 },
	{ "memfd", op_memfd, 16, 1 },
	{ "timeline", op_timeline, 12, 1 },
	{ "fence", op_fence, 40, 1 },
	{ "inc", op_inc, 32, 1 },
	{ "get_deadline", op_get_deadline, 12, 1 },
	{ "merge", op_merge, 24, 1 },
	{ "file_info", op_file_info, 24, 1 },
	{ "set_deadline", op_set_deadline, 12, 1 },
	{ "buf_sync", op_buf_sync, 28, 0 },	/* may wait: not in children */
	{ "set_name", op_set_name, 16, 1 },
	{ "export_sync", op_export_sync, 20, 1 },
	{ "import_sync", op_import_sync, 20, 1 },
	{ "llseek", op_llseek, 8, 1 },
	{ "mmap", op_mmap, 16, 1 },
	{ "touch", op_touch, 24, 1 },
	{ "munmap", op_munmap, 12, 1 },
	{ "poll", op_poll, 20, 1 },
	{ "epoll_new", op_epoll_new, 8, 1 },
	{ "epoll_ctl", op_epoll_ctl, 16, 1 },
	{ "epoll_wait", op_epoll_wait, 12, 1 },
	{ "dup", op_dup, 12, 1 },
	{ "close", op_close, 40, 1 },
	{ "read_proc", op_read_proc, 4, 1 },
	{ "bad_ioctl", op_bad_ioctl, 16, 1 },
	{ "fork", op_fork, 1, 0 },
	{ "leak", op_leak, 0, 0 },	/* weight set by --self-test-leak */
};

#define NOPS	ARRAY_SIZE(ops)

static unsigned int total_weight;

/* Per operation: how often it ran, succeeded, and the time it took. */
static unsigned long op_runs[64], op_ok[64];
static u64 op_ns[64];

static void print_op_stats(void)
{
	unsigned int i;

	for (i = 0; i < NOPS; i++)
		if (op_runs[i])
			printf("FUZZ-STATS %-20s %8lu runs %8lu ok %8.3f ms/op\n",
			       ops[i].name, op_runs[i], op_ok[i],
			       op_ns[i] / 1e6 / op_runs[i]);
	if (self_test_leak)
		printf("FUZZ-STATS kept %d descriptors open on purpose\n",
		       nleaked);
}

static unsigned int pick_op(struct rng *r, int child)
{
	unsigned int w, i;

	for (;;) {
		w = below(r, total_weight);
		for (i = 0; i < NOPS; i++) {
			if (w < ops[i].weight)
				break;
			w -= ops[i].weight;
		}
		if (!child || ops[i].in_child)
			return i;
	}
}

/* A child shares the pools as they were, does a few operations, exits. */
static int op_fork(struct ctx *c)
{
	unsigned int n = 1 + below(&c->r, 4), i;
	int status;
	pid_t pid;

	pthread_mutex_lock(&pool_lock);
	pid = fork();
	pthread_mutex_unlock(&pool_lock);
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct ctx cc = *c;

		alarm(10);
		cc.in_child = 1;
		for (i = 0; i < n; i++)
			ops[pick_op(&cc.r, 1)].fn(&cc);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* ---- running ------------------------------------------------------------- */

#define LOG_LEN 48

struct oplog {
	unsigned int idx, op;
	int ret;
};

struct worker {
	pthread_t th;
	unsigned int tid;
	unsigned int nops;
	unsigned int done;
	struct oplog log[LOG_LEN];
};

static u64 seed = 1;

static int run_op(struct ctx *c, unsigned int t, unsigned int i,
		  unsigned int *which)
{
	unsigned int k;
	int ret;

	u64 t0;

	c->r.s = op_seed(seed, t, i);
	k = pick_op(&c->r, 0);
	t0 = now_ns();
	ret = ops[k].fn(c);
	__atomic_add_fetch(&op_ns[k], now_ns() - t0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&op_runs[k], 1, __ATOMIC_RELAXED);
	if (!ret)
		__atomic_add_fetch(&op_ok[k], 1, __ATOMIC_RELAXED);
	if (trace)
		printf("op %u:%u %s = %d\n", t, i, ops[k].name, ret);
	__atomic_add_fetch(&progress, 1, __ATOMIC_RELAXED);
	*which = k;
	return ret;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ctx c = { .tid = w->tid };
	unsigned int i, k;
	int ret;

	c.edge = edge_alloc();
	if (!c.edge)
		return NULL;
	for (i = 0; i < w->nops && !STOPPING(); i++) {
		ret = run_op(&c, w->tid, i, &k);
		w->log[i % LOG_LEN] = (struct oplog){ i, k, ret };
		w->done = i + 1;
	}
	munmap(c.edge, 2 * pagesz);
	return NULL;
}

/* Signal every pending point of every pooled timeline. */
static void drain_timelines(void)
{
	__u32 step = 0x7fffffff;
	int i, fd;

	for (i = 0; i < SLOTS; i++) {
		pthread_mutex_lock(&pool_lock);
		fd = pool[K_TL][i];
		pthread_mutex_unlock(&pool_lock);
		if (fd >= 0) {
			ioctl(fd, SW_SYNC_IOC_INC, &step);
			ioctl(fd, SW_SYNC_IOC_INC, &step);
		}
	}
}

static struct worker *workers;
static unsigned int nworkers;

static void print_oplog(void)
{
	unsigned int t, i, from;

	for (t = 0; t < nworkers; t++) {
		struct worker *w = &workers[t];

		from = w->done > LOG_LEN ? w->done - LOG_LEN : 0;
		printf("FUZZ-OPLOG thread %u: %u of %u ops done; last ones:\n",
		       t, w->done, w->nops);
		for (i = from; i < w->done; i++) {
			struct oplog *l = &w->log[i % LOG_LEN];

			printf("  %u:%u %s = %d\n", t, l->idx, ops[l->op].name,
			       l->ret);
		}
	}
	fflush(stdout);
}

/*
 * Watchdog: when no operation completed for a few seconds, signal every
 * timeline (a thread may wait for a point nobody else will reach); when
 * still nothing moves for long, report a hang with the op log.
 */
static unsigned int hang_s = 120;
static int with_signaller;

static void *watchdog_main(void *arg)
{
	unsigned long last = PROGRESS();
	unsigned int idle = 0;

	unsigned int ticks = 0;

	(void)arg;
	while (!STOPPING()) {
		usleep(200000);
		/* A sign of life every minute in long runs. */
		if (with_signaller && ++ticks % 300 == 0)
			printf("FUZZ-PROGRESS %lu ops after %u s\n", PROGRESS(),
			       ticks / 5);
		if (PROGRESS() != last) {
			last = PROGRESS();
			idle = 0;
			continue;
		}
		idle++;
		if (idle % (with_signaller ? 15 : 5) == 0)
			drain_timelines();
		if (idle >= hang_s * 5) {
			printf("FUZZ-HANG seed=%llu: no operation finished for %u s\n",
			       seed, hang_s);
			print_oplog();
			_exit(3);
		}
	}
	return NULL;
}

/*
 * Signaller: every few tens of milliseconds, every timeline jumps ahead,
 * so that a wait for a point far ahead (DMA_BUF_IOCTL_SYNC on a buffer
 * with an imported fence) ends soon, racing with the other threads.
 */
static void *signaller_main(void *arg)
{
	struct rng r = { seed ^ 0x5151 };

	(void)arg;
	while (!STOPPING()) {
		usleep(10000 + below(&r, 90000));
		drain_timelines();
	}
	return NULL;
}

static pthread_t wd_thread, sig_thread;

/*
 * A single-threaded replay runs without the signaller, so that it does
 * the same each time: only the watchdog signals, when the one thread is
 * blocked.
 */
static void start_helpers(int signaller)
{
	SET_STOP(0);
	with_signaller = signaller;
	pthread_create(&wd_thread, NULL, watchdog_main, NULL);
	if (signaller)
		pthread_create(&sig_thread, NULL, signaller_main, NULL);
}

static void stop_helpers(void)
{
	SET_STOP(1);
	if (with_signaller)
		pthread_join(sig_thread, NULL);
	pthread_join(wd_thread, NULL);
}

/* Close everything the pools hold and wait until unmapped. */
static void release_all(void)
{
	int k, i;

	drain_timelines();
	for (k = 0; k < NKINDS; k++)
		for (i = 0; i < SLOTS; i++)
			if (pool[k][i] >= 0) {
				close(pool[k][i]);
				pool[k][i] = -1;
			}
	for (i = 0; i < MAP_SLOTS; i++)
		if (maps[i].addr) {
			munmap(maps[i].addr, maps[i].len);
			maps[i].addr = NULL;
		}
	for (i = 0; i < MAP_SLOTS * 4; i++)
		if (zombies[i]) {
			map_release(zombies[i]);
			zombies[i] = NULL;
		}
}

/* ---- the kernel's accounting ----------------------------------------------- */

struct stats {
	long objects;		/* bufinfo "Total N objects" */
	long long bytes;
	long sysfs;		/* entries of /sys/kernel/dmabuf/buffers */
	long sync_lines;	/* lines of sync/info */
	char sync_text[8192];
};

static char *slurp(const char *path, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t r;
	int fd;

	*len = 0;
	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}

static void read_stats(struct stats *s)
{
	struct dirent *de;
	size_t len;
	char *t, *p;
	DIR *d;

	memset(s, 0, sizeof(*s));
	s->objects = -1;
	s->sysfs = -1;
	s->sync_lines = -1;
	t = slurp(BUFINFO_FILE, &len);
	if (t) {
		/* The last "Total" line; each buffer has one of its own. */
		for (p = strstr(t, "\nTotal "); p; p = strstr(p + 1, "\nTotal "))
			if (sscanf(p, "\nTotal %ld objects, %lld bytes",
				   &s->objects, &s->bytes) != 2)
				continue;
		free(t);
	}
	d = opendir(SYSFS_BUFS);
	if (d) {
		s->sysfs = 0;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				s->sysfs++;
		closedir(d);
	}
	t = slurp(SYNC_INFO, &len);
	if (t) {
		s->sync_lines = 0;
		for (p = t; *p; p++)
			s->sync_lines += *p == '\n';
		snprintf(s->sync_text, sizeof(s->sync_text), "%s", t);
		free(t);
	}
}

/*
 * Back to baseline: nothing more than there was.  Less is fine: what an
 * earlier run left behind may still be on its way out.
 */
static int stats_equal(const struct stats *a, const struct stats *b)
{
	return a->objects <= b->objects && a->bytes <= b->bytes &&
	       a->sysfs <= b->sysfs && a->sync_lines <= b->sync_lines;
}

/* What this process still has open, besides the standard streams. */
static void print_open_fds(void)
{
	char path[64], link[256];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	ssize_t n;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) < 3)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%.20s", de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		printf("FUZZ-FD %s -> %s\n", de->d_name, link);
	}
	if (d)
		closedir(d);
}

static struct stats baseline;
static unsigned int settle_ms = 5000;

/* Poll until the accounting is back to baseline; 0 if it is. */
static int check_baseline(int verbose)
{
	struct stats now;
	unsigned int waited = 0;

	for (;;) {
		read_stats(&now);
		if (stats_equal(&now, &baseline))
			return 0;
		if (waited >= settle_ms)
			break;
		usleep(100000);
		waited += 100;
	}
	if (verbose) {
		printf("FUZZ-LEAK after %u ms: ", settle_ms);
		printf("bufinfo %ld objects %lld bytes (baseline %ld, %lld), ",
		       now.objects, now.bytes, baseline.objects, baseline.bytes);
		printf("sysfs buffers %ld (baseline %ld), ", now.sysfs,
		       baseline.sysfs);
		printf("sync/info %ld lines (baseline %ld)\n", now.sync_lines,
		       baseline.sync_lines);
		if (strcmp(now.sync_text, baseline.sync_text))
			printf("FUZZ-LEAK sync/info now:\n%s\n", now.sync_text);
		print_open_fds();
		fflush(stdout);
	}
	return 1;
}

/* ---- replay and minimising --------------------------------------------- */

struct opid {
	unsigned int t, i;
};

/*
 * Run @n operations in order, single-threaded, in a child process; clean
 * up and compare with the baseline there.  0: clean, 1: not back to
 * baseline, 2: the child died or hung.
 */
static int trial(const struct opid *seq, size_t n, int verbose)
{
	pid_t pid;
	int status;

	/* What earlier runs left behind is not this sequence's doing. */
	read_stats(&baseline);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 2;
	if (!pid) {
		struct ctx c = { 0 };
		unsigned int k;
		size_t j;

		alarm(300);
		c.edge = edge_alloc();
		start_helpers(0);
		for (j = 0; j < n; j++) {
			int ret = run_op(&c, seq[j].t, seq[j].i, &k);

			if (verbose) {
				printf("  %u:%u %s = %d\n", seq[j].t, seq[j].i,
				       ops[k].name, ret);
				if (verbose > 1)
					print_open_fds();
			}
		}
		stop_helpers();
		release_all();
		_exit(check_baseline(verbose));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		return WEXITSTATUS(status);
	return 2;
}

static void print_seq(const char *tag, const struct opid *seq, size_t n)
{
	size_t j;

	printf("%s %zu ops: dmabuf-fuzz --seed %llu%s --run ", tag, n, seed,
	       self_test_leak ? " --self-test-leak" : "");
	for (j = 0; j < n; j++)
		printf("%s%u:%u", j ? "," : "", seq[j].t, seq[j].i);
	printf("\n");
	fflush(stdout);
}

/* Drop chunks of operations while the failure still reproduces. */
static size_t minimise(struct opid *seq, size_t n, int want)
{
	struct opid *tmp = malloc(n * sizeof(*tmp));
	size_t chunk = n / 2, at, m;
	unsigned int trials = 0;

	if (!tmp)
		return n;
	while (chunk >= 1 && trials < 400) {
		at = 0;
		while (at < n && trials < 400) {
			size_t end = at + chunk < n ? at + chunk : n;

			memcpy(tmp, seq, at * sizeof(*tmp));
			memcpy(tmp + at, seq + end, (n - end) * sizeof(*tmp));
			m = n - (end - at);
			trials++;
			if (m && trial(tmp, m, 0) == want) {
				memcpy(seq, tmp, m * sizeof(*tmp));
				n = m;
			} else {
				at = end;
			}
		}
		chunk /= 2;
	}
	printf("FUZZ-MINIMISE %u trials\n", trials);
	free(tmp);
	return n;
}

/* Re-run a seed single-threaded (round-robin over the threads' streams). */
static int replay(unsigned int threads, unsigned int per_thread)
{
	size_t n = (size_t)threads * per_thread, j = 0;
	struct opid *seq = malloc(n * sizeof(*seq));
	unsigned int i, t;
	int r;

	if (!seq)
		return 2;
	for (i = 0; i < per_thread; i++)
		for (t = 0; t < threads; t++)
			seq[j++] = (struct opid){ t, i };
	settle_ms = 500;
	r = trial(seq, n, 0);
	printf("FUZZ-REPLAY seed=%llu single-threaded, %zu ops: %s\n", seed, n,
	       r == 0 ? "clean" : r == 1 ? "not back to baseline" :
	       "the run died or hung");
	fflush(stdout);
	if (r) {
		n = minimise(seq, n, r);
		print_seq("FUZZ-MINIMAL", seq, n);
		printf("FUZZ-MINIMAL run:\n");
		trial(seq, n, 1);
	}
	free(seq);
	return r;
}

static int parse_run(const char *s, struct opid **out, size_t *n)
{
	size_t cap = 16;
	struct opid *seq = malloc(cap * sizeof(*seq));
	unsigned int t, i;
	int len;

	*n = 0;
	while (seq && sscanf(s, "%u:%u%n", &t, &i, &len) == 2) {
		if (*n == cap) {
			cap *= 2;
			seq = realloc(seq, cap * sizeof(*seq));
			if (!seq)
				return -1;
		}
		seq[(*n)++] = (struct opid){ t, i };
		s += len;
		if (*s == ',')
			s++;
	}
	*out = seq;
	return seq && !*s ? 0 : -1;
}

static void setup(void)
{
	struct dirent *de;
	struct sigaction sa;
	DIR *d;
	void *p;

	pagesz = sysconf(_SC_PAGESIZE);
	/* Kept mapped PROT_NONE for good, see edge_alloc(). */
	p = mmap(NULL, pagesz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p != MAP_FAILED)
		unmapped_page = (uintptr_t)p;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fault_handler;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	udmabuf_dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	have_sw_sync = access(SW_SYNC_FILE, R_OK | W_OK) == 0;
	d = opendir(HEAP_DIR);
	while (d && (de = readdir(d)) && nheaps < 8) {
		char path[128];
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), HEAP_DIR "/%.60s", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		snprintf(heap_names[nheaps], sizeof(heap_names[0]), "%.60s",
			 de->d_name);
		heap_fd[nheaps++] = fd;
	}
	if (d)
		closedir(d);
}

static void usage(void)
{
	fprintf(stderr,
		"dmabuf-fuzz [--seed N] [--ops N] [--threads N] [--trace]\n"
		"                   [--replay] [--run T:I,...] [--settle-ms N]\n"
		"                   [--hang-s N] [--self-test-leak]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long nops = 10000;
	unsigned int threads = 4, t, i, per;
	const char *run = NULL;
	int do_replay = 0, fail;
	time_t t0;

	for (i = 1; i < (unsigned int)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (unsigned int)argc ?
			argv[i + 1] : NULL;

		if (!strcmp(a, "--trace")) {
			trace = 1;
		} else if (!strcmp(a, "--replay")) {
			do_replay = 1;
		} else if (!strcmp(a, "--self-test-leak")) {
			self_test_leak = 1;
		} else if (v && !strcmp(a, "--seed")) {
			seed = strtoull(v, NULL, 0);
			i++;
		} else if (v && !strcmp(a, "--ops")) {
			nops = strtoull(v, NULL, 0);
			i++;
		} else if (v && !strcmp(a, "--threads")) {
			threads = strtoul(v, NULL, 0);
			i++;
		} else if (v && !strcmp(a, "--run")) {
			run = v;
			i++;
		} else if (v && !strcmp(a, "--settle-ms")) {
			settle_ms = strtoul(v, NULL, 0);
			i++;
		} else if (v && !strcmp(a, "--hang-s")) {
			hang_s = strtoul(v, NULL, 0);
			i++;
		} else {
			usage();
		}
	}
	if (!threads || threads > 64 || !nops)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (self_test_leak) {
		for (i = 0; i < NOPS; i++)
			if (ops[i].fn == op_leak)
				ops[i].weight = 8;
	}
	for (i = 0; i < NOPS; i++)
		total_weight += ops[i].weight;
	pool_init();
	setup();
	read_stats(&baseline);
	printf("FUZZ-START seed=%llu ops=%llu threads=%u heaps=%d ", seed,
	       nops, threads, nheaps);
	printf("udmabuf=%s sw_sync=%s ", udmabuf_dev >= 0 ? "yes" : "no",
	       have_sw_sync ? "yes" : "no");
	printf("baseline: %ld buffers, %ld sysfs, %ld sync/info lines\n",
	       baseline.objects, baseline.sysfs, baseline.sync_lines);
	for (i = 0; i < (unsigned int)nheaps; i++)
		printf("FUZZ-HEAP %s\n", heap_names[i]);

	per = (unsigned int)((nops + threads - 1) / threads);
	if (run) {
		struct opid *seq;
		size_t n;

		if (parse_run(run, &seq, &n))
			usage();
		fail = trial(seq, n, trace ? 2 : 1);
		printf("FUZZ-RUN %zu ops: %s\n", n, fail ? "FAILED" : "clean");
		return fail;
	}
	if (do_replay)
		return replay(threads, per) ? 1 : 0;

	t0 = time(NULL);
	workers = calloc(threads, sizeof(*workers));
	if (!workers)
		return 2;
	nworkers = threads;
	start_helpers(1);
	for (t = 0; t < threads; t++) {
		workers[t].tid = t;
		workers[t].nops = per;
		pthread_create(&workers[t].th, NULL, worker_main, &workers[t]);
	}
	for (t = 0; t < threads; t++)
		pthread_join(workers[t].th, NULL);
	stop_helpers();
	print_op_stats();
	release_all();
	fail = check_baseline(1);
	printf("FUZZ-DONE seed=%llu ops=%llu threads=%u time=%lds: %s\n", seed,
	       (unsigned long long)per * threads, threads,
	       (long)(time(NULL) - t0), fail ? "FAILED" : "clean");
	if (!fail)
		return 0;
	printf("FUZZ-FAIL seed=%llu: the kernel's accounting did not return to its baseline\n",
	       seed);
	print_oplog();
	/* The leaked descriptors must not count against the replay. */
	for (i = 0; i < (unsigned int)nleaked; i++)
		close(leaked[i]);
	nleaked = 0;
	check_baseline(0);
	replay(threads, per);
	return 1;
}
