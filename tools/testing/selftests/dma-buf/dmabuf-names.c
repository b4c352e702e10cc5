// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-names: kselftests of DMA_BUF_SET_NAME and where names show up.
 *
 * Standalone static build, as the QEMU harness does it:
 *
 *   gcc -static -O2 -Wall -Wextra -pthread -I<tree>/usr/include \
 *       -I<tree>/tools/testing/selftests -o <program> <this file>
 *
 * A dma-buf name is a string of at most 31 bytes that a process attaches
 * to a buffer for debugging. It appears in three places, each checked
 * here: the "name:" line of /proc/<pid>/fdinfo/<fd>, the link text of
 * /proc/<pid>/fd/<fd> ("/dmabuf:<name>") and the buffer's line in debugfs
 * bufinfo. The cases cover the length limit, bad pointers (exact errnos,
 * name unchanged afterwards), all three spellings of the request, and
 * renaming from several threads while others read the name back, where
 * every name read must be one that was written, whole.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "dmabuf-util.h"

#include "dmabuf-harness.h"

#define BUF_SIZE	(2 * page_size())
#define LINK_PREFIX	"/dmabuf:"

/*
 * bufinfo_name() - the name column of the bufinfo line describing the
 * buffer with inode number @ino, copied into @out (size @len). The line's
 * tab-separated columns are size, flags, mode, count, exporter, inode,
 * name. Returns 0, -ENOENT when no line has that inode, or -errno.
 */
static int bufinfo_name(unsigned long ino, char *out, size_t len)
{
	const size_t text_len = 1 << 16;
	char *text, *line, *end, *col[7];
	int n, i, ret = -ENOENT;

	text = malloc(text_len);
	if (!text)
		return -ENOMEM;
	n = read_text(BUFINFO_FILE, text, text_len);
	if (n < 0) {
		free(text);
		return n;
	}
	for (line = text; ret == -ENOENT && *line; line = end + 1) {
		end = strchrnul(line, '\n');
		col[0] = line;
		for (i = 1; i < 7; i++) {
			col[i] = memchr(col[i - 1], '\t', end - col[i - 1]);
			if (!col[i])
				break;
			col[i]++;
		}
		if (i == 7 && strtoul(col[5], NULL, 10) == ino) {
			snprintf(out, len, "%.*s", (int)(end - col[6]), col[6]);
			ret = 0;
		}
		if (!*end)
			break;
	}
	free(text);
	return ret;
}

/* inode_of() - inode number of @fd's file, or 0 on failure. */
static unsigned long inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

FIXTURE(named) {
	struct fd_snapshot fds_before;
	int bufs_before;
	int dmabuf;
	int memfd;
	bool have_bufinfo;
};

FIXTURE_SETUP(named)
{
	int fd;

	self->dmabuf = -1;
	self->memfd = -1;
	ASSERT_EQ(0, fd_snapshot_take(&self->fds_before));
	self->bufs_before = bufinfo_total();
	self->have_bufinfo = self->bufs_before >= 0;

	fd = dmabuf_new(SRC_UDMABUF, BUF_SIZE, &self->memfd);
	if (fd < 0)
		fd = dmabuf_new(SRC_SYSTEM_HEAP, BUF_SIZE, &self->memfd);
	if (fd == -ENOENT)
		SKIP(return, "neither " UDMABUF_DEV " nor " SYSTEM_HEAP_DEV);
	ASSERT_LE(0, fd) {
		TH_LOG("no dma-buf: %s", strerror(-fd));
	}
	self->dmabuf = fd;
}

FIXTURE_TEARDOWN(named)
{
	int n;

	if (self->dmabuf >= 0)
		close(self->dmabuf);
	if (self->memfd >= 0)
		close(self->memfd);
	n = fd_snapshot_diff(&self->fds_before);
	EXPECT_EQ(-1, n) {
		TH_LOG("descriptor %d open after the case but not before", n);
	}
	if (self->have_bufinfo)
		EXPECT_EQ(self->bufs_before,
			  bufinfo_settles_at(self->bufs_before));
}

/*
 * expect_name() - check that every place shows @name for @fd. An empty
 * @name means "no name": the link ends in ':' and fdinfo has no name line
 * or an empty one.
 */
static void expect_name(struct __test_metadata *_metadata, int fd,
			bool have_bufinfo, const char *name)
{
	char got[256], want[64];
	int ret;

	ret = fdinfo_field(fd, "name", got, sizeof(got));
	if (*name || ret != -ENOENT) {
		EXPECT_EQ(0, ret);
		EXPECT_STREQ(name, got);
	}

	snprintf(want, sizeof(want), LINK_PREFIX "%s", name);
	ASSERT_LT(0, fd_link(fd, got, sizeof(got)));
	EXPECT_STREQ(want, got);

	if (!have_bufinfo || !*name)
		return;
	ASSERT_EQ(0, bufinfo_name(inode_of(fd), got, sizeof(got)));
	EXPECT_STREQ(name, got);
}

/* A fresh buffer has no name. */
TEST_F(named, unnamed_by_default)
{
	char got[256];

	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "");
	if (self->have_bufinfo)
		EXPECT_EQ(0, bufinfo_name(inode_of(self->dmabuf), got,
					  sizeof(got)));
}

/* Names up to 31 bytes are taken whole. */
TEST_F(named, name_up_to_31_bytes)
{
	static const char * const names[] = {
		"x", "camera-preview", "0123456789abcdefghijklmnopqrstu",
	};
	unsigned int i;

	ASSERT_EQ((size_t)31, strlen(names[2]));
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME,
					  names[i]));
		expect_name(_metadata, self->dmabuf, self->have_bufinfo,
			    names[i]);
	}
}

/* 32 bytes or more (before the NUL): EINVAL, old name kept. */
TEST_F(named, name_too_long_einval)
{
	static const size_t lens[] = { 32, 33, 64, 4000 };
	char long_name[4001];
	unsigned int i;

	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "keep-me"));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		memset(long_name, 'L', lens[i]);
		long_name[lens[i]] = '\0';
		EXPECT_EQ(-EINVAL, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME,
						long_name)) {
			TH_LOG("length %zu", lens[i]);
		}
	}
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "keep-me");
}

/* Unreadable pointers: EFAULT, old name kept. */
TEST_F(named, name_bad_pointer_efault)
{
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "keep-me"));
	EXPECT_EQ(-EFAULT, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, NULL));
	EXPECT_EQ(-EFAULT, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME,
					page_unmapped()));
	EXPECT_EQ(-EFAULT, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME,
					(const char *)-4096L));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "keep-me");
}

/*
 * Strings at the end of a readable page followed by an unmapped one: a
 * NUL-terminated name that ends exactly there is fine; 31 bytes with no
 * NUL before the unmapped page are EFAULT; more than 31 readable non-NUL
 * bytes are EINVAL whatever follows.
 */
TEST_F(named, name_at_page_boundary)
{
	size_t pg = page_size();
	char *pages, *edge;

	pages = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(pages != MAP_FAILED);
	ASSERT_EQ(0, munmap(pages + pg, pg));
	edge = pages + pg;

	memcpy(edge - 6, "edge!", 6);
	EXPECT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, edge - 6));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "edge!");

	memset(edge - 31, 'u', 31);
	EXPECT_EQ(-EFAULT, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME,
					edge - 31));
	memset(edge - 48, 'v', 48);
	EXPECT_EQ(-EINVAL, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME,
					edge - 48));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "edge!");
	munmap(pages, pg);
}

/* The argument is only read, so a read-only page works. */
TEST_F(named, name_from_readonly_page)
{
	static const char name[] = "from-ro-page";
	void *ro = page_readonly(name, sizeof(name));

	ASSERT_TRUE(!!ro);
	EXPECT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, ro));
	munmap(ro, page_size());
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, name);
}

/* The empty string is accepted and shows as no name. */
TEST_F(named, empty_name)
{
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "before"));
	EXPECT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, ""));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "");
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "after"));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "after");
}

/*
 * DMA_BUF_SET_NAME, _A (32-bit argument size) and _B (64-bit) are all
 * accepted; on a 64-bit kernel the first is the same number as _B.
 */
TEST_F(named, all_request_spellings)
{
	if (sizeof(void *) == 8)
		EXPECT_EQ(DMA_BUF_SET_NAME_B, DMA_BUF_SET_NAME);
	EXPECT_NE(DMA_BUF_SET_NAME_A, DMA_BUF_SET_NAME_B);

	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "plain"));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "plain");
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME_A,
				  "spelling-a"));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "spelling-a");
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME_B,
				  "spelling-b"));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "spelling-b");
	EXPECT_EQ(-EINVAL, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME_A,
					"0123456789abcdefghijklmnopqrstuv"));
	EXPECT_EQ(-EFAULT, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME_B,
					NULL));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "spelling-b");
}

/* A rename replaces the old name, longer or shorter. */
TEST_F(named, rename_replaces)
{
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "first"));
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME,
				  "a-much-longer-second-name"));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo,
		    "a-much-longer-second-name");
	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "3rd"));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo, "3rd");
}

/*
 * The name belongs to the buffer: every fd of it shows the same name, and
 * another buffer keeps its own.
 */
TEST_F(named, name_belongs_to_buffer)
{
	int copy, other, memfd;

	ASSERT_EQ(0, buf_set_name(self->dmabuf, DMA_BUF_SET_NAME, "one"));
	copy = dup(self->dmabuf);
	ASSERT_LE(0, copy);
	other = dmabuf_new(self->memfd >= 0 ? SRC_UDMABUF : SRC_SYSTEM_HEAP,
			   BUF_SIZE, &memfd);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, buf_set_name(other, DMA_BUF_SET_NAME, "two"));

	expect_name(_metadata, copy, self->have_bufinfo, "one");
	ASSERT_EQ(0, buf_set_name(copy, DMA_BUF_SET_NAME, "one-renamed"));
	expect_name(_metadata, self->dmabuf, self->have_bufinfo,
		    "one-renamed");
	expect_name(_metadata, other, self->have_bufinfo, "two");

	close(copy);
	close(other);
	if (memfd >= 0)
		close(memfd);
}

/* Not a dma-buf: ENOTTY; closed: EBADF. */
TEST_F(named, name_on_wrong_fd)
{
	int memfd, closed;

	memfd = memfd_create("not-dmabuf", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	EXPECT_EQ(-ENOTTY, buf_set_name(memfd, DMA_BUF_SET_NAME, "x"));
	EXPECT_EQ(-ENOTTY, buf_set_name(memfd, DMA_BUF_SET_NAME_A, "x"));
	closed = memfd;
	close(memfd);
	EXPECT_EQ(-EBADF, buf_set_name(closed, DMA_BUF_SET_NAME, "x"));
}

/*
 * Concurrency: renamers cycle through names of different lengths, each
 * made of one letter repeated, so that a name read while another is
 * being written can be told apart from every name written (a torn or
 * freed string does not match). Readers use all three places.
 */
#define NR_RENAMERS	2
#define RACE_MS		2500

static const char * const race_names[] = {
	"a",
	"bbb",
	"ccccccc",
	"dddddddddddd",
	"eeeeeeeeeeeeeeeeee",
	"ffffffffffffffffffffffff",
	"ggggggggggggggggggggggggggggg",
	"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
};

enum race_reader { READ_FDINFO, READ_LINK, READ_BUFINFO, NR_READERS };

struct race {
	int fd;
	unsigned long ino;
	int stop;
	long renames[NR_RENAMERS];
	long reads[NR_READERS];
	long bad_reads;
	int errors;
	pthread_mutex_t lock;
	char first_bad[128];
};

struct race_thread {
	struct race *race;
	int index;
};

static bool race_name_known(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(race_names); i++)
		if (!strcmp(name, race_names[i]))
			return true;
	return false;
}

/* race_note_bad() - count a bad observation; keep the first one's text. */
static void race_note_bad(struct race *r, const char *what, const char *text)
{
	pthread_mutex_lock(&r->lock);
	if (!r->bad_reads++)
		snprintf(r->first_bad, sizeof(r->first_bad), "%s: '%.100s'",
			 what, text);
	pthread_mutex_unlock(&r->lock);
}

static void *race_renamer(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->race;
	unsigned int k = t->index;
	long n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		/* The two renamers walk the list in opposite directions. */
		k = t->index ? k + ARRAY_SIZE(race_names) - 1 : k + 1;
		if (buf_set_name(r->fd, DMA_BUF_SET_NAME,
				 race_names[k % ARRAY_SIZE(race_names)]))
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
		n++;
	}
	r->renames[t->index] = n;
	return NULL;
}

static void *race_reader(void *arg)
{
	static const char * const what[NR_READERS] = {
		"fdinfo", "readlink", "bufinfo",
	};
	struct race_thread *t = arg;
	struct race *r = t->race;
	char got[256];
	const char *name;
	long n = 0;
	int ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		name = got;
		switch (t->index) {
		case READ_FDINFO:
			ret = fdinfo_field(r->fd, "name", got, sizeof(got));
			break;
		case READ_LINK:
			ret = fd_link(r->fd, got, sizeof(got));
			if (ret > 0 && strncmp(got, LINK_PREFIX,
					       strlen(LINK_PREFIX)))
				ret = -EPROTO;
			else
				ret = ret < 0 ? ret : 0;
			name = got + strlen(LINK_PREFIX);
			break;
		default:
			ret = bufinfo_name(r->ino, got, sizeof(got));
			break;
		}
		if (ret) {
			snprintf(got, sizeof(got), "error %d", ret);
			race_note_bad(r, what[t->index], got);
		} else if (!race_name_known(name)) {
			race_note_bad(r, what[t->index], got);
		}
		n++;
	}
	r->reads[t->index] = n;
	return NULL;
}

TEST_F_TIMEOUT(named, concurrent_rename_and_read, 120)
{
	struct race_thread renamers[NR_RENAMERS], readers[NR_READERS];
	pthread_t tid[NR_RENAMERS + NR_READERS];
	int i, nr_readers, started = 0;
	struct race r;

	nr_readers = self->have_bufinfo ? NR_READERS : READ_BUFINFO;
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.lock, NULL);
	r.fd = self->dmabuf;
	r.ino = inode_of(self->dmabuf);
	ASSERT_EQ(0, buf_set_name(r.fd, DMA_BUF_SET_NAME, race_names[0]));

	for (i = 0; i < nr_readers; i++) {
		readers[i].race = &r;
		readers[i].index = i;
		if (pthread_create(&tid[started], NULL, race_reader,
				   &readers[i]))
			break;
		started++;
	}
	for (i = 0; i < NR_RENAMERS && started == nr_readers + i; i++) {
		renamers[i].race = &r;
		renamers[i].index = i;
		if (pthread_create(&tid[started], NULL, race_renamer,
				   &renamers[i]))
			break;
		started++;
	}
	usleep(RACE_MS * 1000);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	ASSERT_EQ(nr_readers + NR_RENAMERS, started);

	TH_LOG("renames %ld + %ld; reads fdinfo %ld, link %ld, bufinfo %ld",
	       r.renames[0], r.renames[1], r.reads[READ_FDINFO],
	       r.reads[READ_LINK], r.reads[READ_BUFINFO]);
	EXPECT_EQ(0, r.errors);
	EXPECT_EQ(0, r.bad_reads) {
		TH_LOG("first bad read: %s", r.first_bad);
	}
	for (i = 0; i < NR_RENAMERS; i++)
		EXPECT_LT(0, r.renames[i]);
	for (i = 0; i < nr_readers; i++)
		EXPECT_LT(0, r.reads[i]);
	pthread_mutex_destroy(&r.lock);
}

TEST_HARNESS_MAIN
