// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the virtio dma-buf subclass: export checks, recognition
 * by ops, the UUID query and the device_attach hook.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/uuid.h>
#include <linux/virtio_dma_buf.h>

#include "dmabuf-helpers.h"

/**
 * DOC: virtio dma-buf tests
 *
 * A fake virtio exporter (one page, a fixed random UUID, counters on every
 * callback) and importers on KUnit devices check that
 * virtio_dma_buf_export() lets through exactly the ops 6.12 accepts, that
 * the subclass is told apart from other dma-bufs by its attach callback,
 * that the UUID reaches an importer who only has the buffer's file
 * descriptor, and that the device_attach hook runs for each attachment and
 * can refuse one without anything being left behind.
 *
 * Build it in with::
 *
 *	CONFIG_KUNIT=y
 *	CONFIG_VIRTIO_DMA_SHARED_BUFFER=y	(selected by DRM_VIRTIO_GPU)
 *	CONFIG_DMABUF_KUNIT_TEST=y
 *
 * A typical case::
 *
 *	struct vexp *v = vexp_new(test, &vexp_ops);
 *	uuid_t got;
 *
 *	KUNIT_EXPECT_EQ(test, virtio_dma_buf_get_uuid(v->dmabuf, &got), 0);
 *	KUNIT_EXPECT_TRUE(test, uuid_equal(&got, &v->uuid));
 */

MODULE_IMPORT_NS(DMA_BUF);

/**
 * struct vexp - the fake virtio exporter
 * @dmabuf: its buffer, NULL until exported or when the export failed
 * @uuid: the UUID it reports
 * @uuid_err: returned by get_uuid instead of the UUID when not zero
 * @attach_err: returned by device_attach when not zero
 * @put_done: the case dropped its reference to @dmabuf
 * @device_attach_calls: calls of device_attach
 * @get_uuid_calls: calls of get_uuid
 * @detach_calls: calls of detach
 * @map_calls: calls of map_dma_buf
 * @unmap_calls: calls of unmap_dma_buf
 * @release_calls: calls of release
 * @last_attach: attachment passed to the latest device_attach
 * @last_buf: buffer passed to the latest device_attach
 */
struct vexp {
	struct dma_buf *dmabuf;
	uuid_t uuid;
	int uuid_err;
	int attach_err;
	bool put_done;
	atomic_t device_attach_calls;
	atomic_t get_uuid_calls;
	atomic_t detach_calls;
	atomic_t map_calls;
	atomic_t unmap_calls;
	atomic_t release_calls;
	struct dma_buf_attachment *last_attach;
	struct dma_buf *last_buf;
};

static int vexp_device_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct vexp *v = dmabuf->priv;

	atomic_inc(&v->device_attach_calls);
	v->last_buf = dmabuf;
	v->last_attach = attach;
	return v->attach_err;
}

static int vexp_get_uuid(struct dma_buf *dmabuf, uuid_t *uuid)
{
	struct vexp *v = dmabuf->priv;

	atomic_inc(&v->get_uuid_calls);
	if (v->uuid_err)
		return v->uuid_err;
	uuid_copy(uuid, &v->uuid);
	return 0;
}

static void vexp_detach(struct dma_buf *dmabuf,
			struct dma_buf_attachment *attach)
{
	struct vexp *v = dmabuf->priv;

	atomic_inc(&v->detach_calls);
}

/*
 * Maps the one page of the buffer for the attached device. Returns a
 * table the caller gives back through vexp_unmap(), or an ERR_PTR.
 */
static struct sg_table *vexp_map(struct dma_buf_attachment *attach,
				 enum dma_data_direction dir)
{
	struct vexp *v = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	atomic_inc(&v->map_calls);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		goto err_free;
	sg_set_page(sgt->sgl, ZERO_PAGE(0), PAGE_SIZE, 0);
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void vexp_unmap(struct dma_buf_attachment *attach,
		       struct sg_table *sgt, enum dma_data_direction dir)
{
	struct vexp *v = attach->dmabuf->priv;

	atomic_inc(&v->unmap_calls);
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void vexp_release(struct dma_buf *dmabuf)
{
	struct vexp *v = dmabuf->priv;

	atomic_inc(&v->release_calls);
}

#define VEXP_BUF_OPS(attach_fn)				\
	{						\
		.attach = attach_fn,			\
		.detach = vexp_detach,			\
		.map_dma_buf = vexp_map,		\
		.unmap_dma_buf = vexp_unmap,		\
		.release = vexp_release,		\
	}

/* A complete virtio exporter. */
static const struct virtio_dma_buf_ops vexp_ops = {
	.ops = VEXP_BUF_OPS(virtio_dma_buf_attach),
	.device_attach = vexp_device_attach,
	.get_uuid = vexp_get_uuid,
};

/* device_attach is optional. */
static const struct virtio_dma_buf_ops vexp_ops_no_hook = {
	.ops = VEXP_BUF_OPS(virtio_dma_buf_attach),
	.get_uuid = vexp_get_uuid,
};

/* Refused: no UUID callback. */
static const struct virtio_dma_buf_ops vexp_ops_no_uuid = {
	.ops = VEXP_BUF_OPS(virtio_dma_buf_attach),
	.device_attach = vexp_device_attach,
};

/* Refused: the attach slot is not virtio_dma_buf_attach(). */
static const struct virtio_dma_buf_ops vexp_ops_no_attach = {
	.ops = VEXP_BUF_OPS(NULL),
	.device_attach = vexp_device_attach,
	.get_uuid = vexp_get_uuid,
};

static int vexp_own_attach(struct dma_buf *dmabuf,
			   struct dma_buf_attachment *attach)
{
	return vexp_device_attach(dmabuf, attach);
}

/* Refused: an attach callback of its own. */
static const struct virtio_dma_buf_ops vexp_ops_own_attach = {
	.ops = VEXP_BUF_OPS(vexp_own_attach),
	.device_attach = vexp_device_attach,
	.get_uuid = vexp_get_uuid,
};

/*
 * Plain dma-buf ops, deliberately not inside a virtio_dma_buf_ops: code
 * that treated them as one would read past this object, which KASAN
 * reports.
 */
static const struct dma_buf_ops plain_ops = VEXP_BUF_OPS(NULL);

/*
 * Let the deferred final fput() of @v's buffer run. Returns true once the
 * exporter has seen its release, false after TEXP_RELEASE_WAIT_MS.
 */
static bool vexp_wait_released(struct vexp *v)
{
	return fput_settle(atomic_read(&v->release_calls) != 0);
}

/*
 * KUnit action: drop the case's reference unless it did, wait for the
 * release, then free the exporter. A buffer that is never released keeps
 * its exporter, so the leak stays a leak (kmemleak reports it).
 */
static void vexp_teardown(void *arg)
{
	struct vexp *v = arg;

	if (v->dmabuf) {
		if (!v->put_done)
			dma_buf_put(v->dmabuf);
		if (!vexp_wait_released(v)) {
			pr_err("virtio-dma-buf-test: buffer never released\n");
			return;
		}
	}
	kfree(v);
}

/*
 * Allocate a KUnit-managed exporter with a random UUID and try to export
 * with @ops (a virtio export unless @plain). Returns the exporter; its
 * @dmabuf holds the buffer, and @err (when not NULL) the export's errno.
 */
static struct vexp *vexp_try(struct kunit *test, const struct dma_buf_ops *ops,
			     bool plain, int *err)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct vexp *v;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vexp_teardown,
							v), 0);
	uuid_gen(&v->uuid);
	info.ops = ops;
	info.size = PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = v;
	dmabuf = plain ? dma_buf_export(&info) : virtio_dma_buf_export(&info);
	if (err)
		*err = PTR_ERR_OR_ZERO(dmabuf);
	if (!IS_ERR(dmabuf))
		v->dmabuf = dmabuf;
	return v;
}

/* A virtio export that must succeed; aborts the case otherwise. */
static struct vexp *vexp_new(struct kunit *test,
			     const struct virtio_dma_buf_ops *vops)
{
	int err;
	struct vexp *v = vexp_try(test, &vops->ops, false, &err);

	KUNIT_ASSERT_EQ(test, err, 0);
	return v;
}

static void export_accepts_virtio_ops(struct kunit *test)
{
	struct vexp *v = vexp_new(test, &vexp_ops);
	struct vexp *bare = vexp_new(test, &vexp_ops_no_hook);

	KUNIT_EXPECT_TRUE(test, is_virtio_dma_buf(v->dmabuf));
	KUNIT_EXPECT_TRUE(test, is_virtio_dma_buf(bare->dmabuf));
	KUNIT_EXPECT_PTR_EQ(test, v->dmabuf->ops, &vexp_ops.ops);
	KUNIT_EXPECT_EQ(test, v->dmabuf->size, (size_t)PAGE_SIZE);
	/* Exporting calls none of the virtio hooks. */
	KUNIT_EXPECT_EQ(test, atomic_read(&v->device_attach_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->get_uuid_calls), 0);
}

static void export_refuses_incomplete_ops(struct kunit *test)
{
	static const struct {
		const char *why;
		const struct dma_buf_ops *ops;
	} bad[] = {
		{ "no get_uuid", &vexp_ops_no_uuid.ops },
		{ "NULL attach", &vexp_ops_no_attach.ops },
		{ "own attach", &vexp_ops_own_attach.ops },
		{ "plain ops", &plain_ops },
		{ "no ops", NULL },
	};
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vexp *v = vexp_try(test, bad[i].ops, false, &err);

		KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "%s", bad[i].why);
		KUNIT_EXPECT_NULL_MSG(test, v->dmabuf, "%s", bad[i].why);
		KUNIT_EXPECT_EQ(test, atomic_read(&v->device_attach_calls), 0);
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(virtio_dma_buf_export(NULL)), -EINVAL);
}

static void uuid_round_trip(struct kunit *test)
{
	struct vexp *v = vexp_new(test, &vexp_ops);
	struct dma_buf *got;
	uuid_t uuid;
	int fd;

	uuid_copy(&uuid, &uuid_null);
	KUNIT_EXPECT_EQ(test, virtio_dma_buf_get_uuid(v->dmabuf, &uuid), 0);
	KUNIT_EXPECT_TRUE(test, uuid_equal(&uuid, &v->uuid));
	KUNIT_EXPECT_FALSE(test, uuid_is_null(&uuid));

	/*
	 * An importer that only has the file descriptor gets the same. The
	 * descriptor owns a reference of its own, which close_fd() drops.
	 */
	get_dma_buf(v->dmabuf);
	fd = dma_buf_fd(v->dmabuf, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(v->dmabuf);
	KUNIT_ASSERT_GE(test, fd, 0);
	got = dma_buf_get(fd);
	close_fd(fd);
	KUNIT_ASSERT_FALSE(test, IS_ERR(got));
	KUNIT_EXPECT_PTR_EQ(test, got, v->dmabuf);
	KUNIT_EXPECT_TRUE(test, is_virtio_dma_buf(got));
	uuid_copy(&uuid, &uuid_null);
	KUNIT_EXPECT_EQ(test, virtio_dma_buf_get_uuid(got, &uuid), 0);
	KUNIT_EXPECT_TRUE(test, uuid_equal(&uuid, &v->uuid));
	dma_buf_put(got);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->get_uuid_calls), 2);

	/* The exporter's error comes back unchanged. */
	v->uuid_err = -EAGAIN;
	KUNIT_EXPECT_EQ(test, virtio_dma_buf_get_uuid(v->dmabuf, &uuid),
			-EAGAIN);
}

static void plain_dma_buf_is_not_virtio(struct kunit *test)
{
	int err;
	struct vexp *v = vexp_try(test, &plain_ops, true, &err);
	uuid_t uuid;

	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_FALSE(test, is_virtio_dma_buf(v->dmabuf));
	uuid_copy(&uuid, &v->uuid);
	KUNIT_EXPECT_EQ(test, virtio_dma_buf_get_uuid(v->dmabuf, &uuid),
			-EINVAL);
	KUNIT_EXPECT_TRUE(test, uuid_equal(&uuid, &v->uuid));
	KUNIT_EXPECT_EQ(test, atomic_read(&v->get_uuid_calls), 0);
}

static void attach_calls_device_attach(struct kunit *test)
{
	struct vexp *v = vexp_new(test, &vexp_ops);
	struct device *dev = kunit_dma_device(test, "virtio-imp");
	struct dma_buf_attachment *attach, *second;
	struct sg_table *sgt;

	attach = dma_buf_attach(v->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	KUNIT_EXPECT_EQ(test, atomic_read(&v->device_attach_calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, v->last_attach, attach);
	KUNIT_EXPECT_PTR_EQ(test, v->last_buf, v->dmabuf);
	KUNIT_EXPECT_PTR_EQ(test, attach->dev, dev);

	/* Each attachment gets its own call. */
	second = dma_buf_attach(v->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(second));
	KUNIT_EXPECT_EQ(test, atomic_read(&v->device_attach_calls), 2);
	KUNIT_EXPECT_PTR_EQ(test, v->last_attach, second);
	dma_buf_detach(v->dmabuf, second);

	/* The attachment works like any other. */
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	KUNIT_EXPECT_EQ(test, sgt->nents, 1U);
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(v->dmabuf, attach);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->detach_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->map_calls),
			atomic_read(&v->unmap_calls));
}

static void attach_without_hook(struct kunit *test)
{
	struct vexp *v = vexp_new(test, &vexp_ops_no_hook);
	struct device *dev = kunit_dma_device(test, "virtio-imp");
	struct dma_buf_attachment *attach;

	attach = dma_buf_attach(v->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	KUNIT_EXPECT_EQ(test, atomic_read(&v->device_attach_calls), 0);
	dma_buf_detach(v->dmabuf, attach);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->detach_calls), 1);
}

static void device_attach_error_refuses_attach(struct kunit *test)
{
	struct vexp *v = vexp_new(test, &vexp_ops);
	struct device *dev = kunit_dma_device(test, "virtio-imp");
	struct dma_buf_attachment *attach;
	bool none;

	v->attach_err = -ENODEV;
	attach = dma_buf_attach(v->dmabuf, dev);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(attach), -ENODEV);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->device_attach_calls), 1);
	/* Nothing of the refused attachment is left. */
	KUNIT_EXPECT_EQ(test, atomic_read(&v->detach_calls), 0);
	dma_resv_lock(v->dmabuf->resv, NULL);
	none = list_empty(&v->dmabuf->attachments);
	dma_resv_unlock(v->dmabuf->resv);
	KUNIT_EXPECT_TRUE(test, none);

	/* The refusal was the hook's: the next attach goes through. */
	v->attach_err = 0;
	attach = dma_buf_attach(v->dmabuf, dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	dma_buf_detach(v->dmabuf, attach);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->detach_calls), 1);
}

static void release_after_last_reference(struct kunit *test)
{
	struct vexp *v = vexp_new(test, &vexp_ops);

	v->put_done = true;
	dma_buf_put(v->dmabuf);
	KUNIT_EXPECT_TRUE(test, vexp_wait_released(v));
	KUNIT_EXPECT_EQ(test, atomic_read(&v->release_calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->device_attach_calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->get_uuid_calls), 0);
}

static struct kunit_case virtio_dma_buf_cases[] = {
	KUNIT_CASE(export_accepts_virtio_ops),
	KUNIT_CASE(export_refuses_incomplete_ops),
	KUNIT_CASE(uuid_round_trip),
	KUNIT_CASE(plain_dma_buf_is_not_virtio),
	KUNIT_CASE(attach_calls_device_attach),
	KUNIT_CASE(attach_without_hook),
	KUNIT_CASE(device_attach_error_refuses_attach),
	KUNIT_CASE(release_after_last_reference),
	{}
};

static struct kunit_suite virtio_dma_buf_suite = {
	.name = "virtio-dma-buf",
	.test_cases = virtio_dma_buf_cases,
};

kunit_test_suite(virtio_dma_buf_suite);

MODULE_DESCRIPTION("KUnit tests of virtio dma-bufs");
MODULE_LICENSE("GPL");
