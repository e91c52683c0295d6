#include "virtq.h"

#include "arch.h"
#include "mmio.h"
#include "util.h"
#include "virtio_mmio.h"

#define RESET_POLL_LIMIT 1000000

uint32_t vdev_read(uintptr_t base, uint32_t off)
{
    return mmio_read32(base + off);
}

void vdev_write(uintptr_t base, uint32_t off, uint32_t v)
{
    mmio_write32(base + off, v);
}

int vdev_probe(uint64_t base, uint32_t device_id)
{
    if (vdev_read(base, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
        return 0;
    if (vdev_read(base, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_MODERN)
        return 0;
    return vdev_read(base, VIRTIO_MMIO_DEVICE_ID) == device_id;
}

int vdev_reset(uintptr_t base)
{
    vdev_write(base, VIRTIO_MMIO_STATUS, 0);
    for (int i = 0; i < RESET_POLL_LIMIT; i++) {
        if (vdev_read(base, VIRTIO_MMIO_STATUS) == 0)
            return 0;
    }
    return -1;
}

uint64_t vdev_features(uintptr_t base)
{
    uint64_t lo, hi;

    vdev_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    lo = vdev_read(base, VIRTIO_MMIO_DEVICE_FEATURES);
    vdev_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    hi = vdev_read(base, VIRTIO_MMIO_DEVICE_FEATURES);
    return (hi << 32) | lo;
}

int vdev_set_features(uintptr_t base, uint64_t features, uint32_t *status)
{
    vdev_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    vdev_write(base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    vdev_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    vdev_write(base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    *status |= VIRTIO_STATUS_FEATURES_OK;
    vdev_write(base, VIRTIO_MMIO_STATUS, *status);
    return (vdev_read(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) ? 0 : -1;
}

uint16_t vq_pow2_floor(uint32_t v)
{
    uint16_t p = 1;

    while ((uint32_t)p * 2 <= v)
        p *= 2;
    return p;
}

static void write_addr(uintptr_t base, uint32_t lo_reg, const void *p)
{
    uint64_t a = (uint64_t)(uintptr_t)p; /* identity map: VA == PA */

    vdev_write(base, lo_reg, (uint32_t)a);
    vdev_write(base, lo_reg + 4, (uint32_t)(a >> 32));
}

const char *vq_setup(uintptr_t base, struct vqueue *q)
{
    uint32_t max;

    vdev_write(base, VIRTIO_MMIO_QUEUE_SEL, q->index);
    if (vdev_read(base, VIRTIO_MMIO_QUEUE_READY) != 0)
        return "queue already ready after reset";
    max = vdev_read(base, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0)
        return "queue not available";
    /* Split rings are indexed modulo the size, which must be a power of two. */
    q->num = vq_pow2_floor(MIN(max, VIRTQ_MAX_SIZE));
    q->avail_idx = 0;
    q->last_used = 0;
    memset(q->mem, 0, sizeof(*q->mem));
    vdev_write(base, VIRTIO_MMIO_QUEUE_NUM, q->num);
    write_addr(base, VIRTIO_MMIO_QUEUE_DESC_LOW, q->mem->desc);
    write_addr(base, VIRTIO_MMIO_QUEUE_DRIVER_LOW, &q->mem->avail);
    write_addr(base, VIRTIO_MMIO_QUEUE_DEVICE_LOW, &q->mem->used);
    vdev_write(base, VIRTIO_MMIO_QUEUE_READY, 1);
    return 0;
}

uint16_t vq_used_idx(const struct vqueue *q)
{
    return *(volatile const uint16_t *)&q->mem->used.idx;
}

void vq_publish(struct vqueue *q)
{
    dmb_ishst();
    *(volatile uint16_t *)&q->mem->avail.idx = q->avail_idx;
}

void vq_notify(uintptr_t base, const struct vqueue *q)
{
    dsb_st(); /* ring updates must be observable before the device (or trap) sees this */
    vdev_write(base, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}
