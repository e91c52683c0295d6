/*
 * Helpers shared by the test guest's two virtio-mmio drivers (the console, virtio_console.c, and
 * the multiport device, vports.c): device reset and feature negotiation, queue programming and
 * the driver's side of a split ring. Every register access names the device's base, so both
 * drivers use the same code on their own windows.
 */
#ifndef TESTGUEST_VIRTQ_H
#define TESTGUEST_VIRTQ_H

#include <stdint.h>

struct virtq_mem;

/* One queue as the driver keeps it. */
struct vqueue {
    struct virtq_mem *mem;
    uint16_t index;     /* virtio queue number */
    uint16_t num;       /* QueueNum, a power of two */
    uint16_t avail_idx; /* next avail.idx we publish */
    uint16_t last_used; /* used.idx we have consumed up to */
};

uint32_t vdev_read(uintptr_t base, uint32_t off);
void vdev_write(uintptr_t base, uint32_t off, uint32_t v);
/* 1 if base is a version-2 virtio-mmio device with that device id. */
int vdev_probe(uint64_t base, uint32_t device_id);
/* Status 0, then waits until it reads 0 (a device may reset asynchronously); -1 if it never does.
 */
int vdev_reset(uintptr_t base);
uint64_t vdev_features(uintptr_t base);
/* Writes the driver features and FEATURES_OK into *status; -1 if the device refuses them. */
int vdev_set_features(uintptr_t base, uint64_t features, uint32_t *status);

uint16_t vq_pow2_floor(uint32_t v);
/* Programs queue q (at most VIRTQ_MAX_SIZE entries) and makes it ready; 0, or why not. */
const char *vq_setup(uintptr_t base, struct vqueue *q);
uint16_t vq_used_idx(const struct vqueue *q);
/* Makes all ring entries written so far visible, then publishes the new avail.idx. */
void vq_publish(struct vqueue *q);
void vq_notify(uintptr_t base, const struct vqueue *q);

#endif
