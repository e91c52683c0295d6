/*
 * virtio-mmio transport, version 2 only (virtio 1.2 section 4.2.2), as a register model that
 * knows nothing of traps or interrupts controllers: the zone glue feeds it decoded accesses and
 * receives interrupt-line changes through ops.
 */
#ifndef HV_VIRTIO_MMIO_H
#define HV_VIRTIO_MMIO_H

#include "hypervisor/virtqueue.h"

#define VIRTIO_MMIO_WINDOW 0x200
#define VIRTIO_MMIO_MAGIC 0x74726976  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4c4d4548 /* "HEML": our vendor id, any value is legal */
#define VIRTIO_MMIO_CONFIG 0x100

/* Register offsets in the window (virtio 1.2 section 4.2.2). */
enum vmmio_reg {
    VMMIO_MAGIC = 0x000,
    VMMIO_VERSION = 0x004,
    VMMIO_DEVICE_ID = 0x008,
    VMMIO_VENDOR_ID = 0x00c,
    VMMIO_DEVICE_FEATURES = 0x010,
    VMMIO_DEVICE_FEATURES_SEL = 0x014,
    VMMIO_DRIVER_FEATURES = 0x020,
    VMMIO_DRIVER_FEATURES_SEL = 0x024,
    VMMIO_QUEUE_SEL = 0x030,
    VMMIO_QUEUE_NUM_MAX = 0x034,
    VMMIO_QUEUE_NUM = 0x038,
    VMMIO_QUEUE_READY = 0x044,
    VMMIO_QUEUE_NOTIFY = 0x050,
    VMMIO_INTERRUPT_STATUS = 0x060,
    VMMIO_INTERRUPT_ACK = 0x064,
    VMMIO_STATUS = 0x070,
    VMMIO_QUEUE_DESC_LOW = 0x080,
    VMMIO_QUEUE_DESC_HIGH = 0x084,
    VMMIO_QUEUE_DRIVER_LOW = 0x090,
    VMMIO_QUEUE_DRIVER_HIGH = 0x094,
    VMMIO_QUEUE_DEVICE_LOW = 0x0a0,
    VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
    VMMIO_SHM_SEL = 0x0ac,
    VMMIO_SHM_LEN_LOW = 0x0b0,
    VMMIO_SHM_LEN_HIGH = 0x0b4,
    VMMIO_SHM_BASE_LOW = 0x0b8,
    VMMIO_SHM_BASE_HIGH = 0x0bc,
    VMMIO_QUEUE_RESET = 0x0c0,
    VMMIO_CONFIG_GENERATION = 0x0fc,
};

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_INT_VRING 1
#define VIRTIO_INT_CONFIG 2

#define VIRTIO_F_VERSION_1 32

struct vmmio_dev;

struct vmmio_ops {
    /* Device config space, offset relative to 0x100; width 1, 2 or 4. false = bad access. */
    bool (*config_read)(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t *val);
    bool (*config_write)(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t val);
    void (*queue_notify)(struct vmmio_dev *d, uint32_t q);
    void (*reset)(struct vmmio_dev *d);
    /* The driver disabled queue q (QueueReady 1 -> 0): forget work in flight on it. Optional. */
    void (*queue_stop)(struct vmmio_dev *d, uint32_t q);
    void (*driver_ok)(struct vmmio_dev *d);
    void (*set_irq)(struct vmmio_dev *d, bool level);
    /* One line describing a device fault; the caller rate-limits. */
    void (*fault)(struct vmmio_dev *d, const char *what);
};

struct vmmio_dev {
    /* Set by the device model before use. */
    const struct vmmio_ops *ops;
    void *priv;
    const struct guest_mem *mem;
    uint32_t device_id;
    uint64_t device_features;
    struct virtq *vq; /* nqueues of them, the device model's storage */
    uint32_t nqueues;
    uint16_t queue_num_max;
    /* Register state. */
    uint32_t status;
    uint32_t dev_features_sel;
    uint32_t drv_features_sel;
    uint64_t driver_features;
    uint32_t queue_sel;
    uint32_t int_status;
    uint32_t config_generation;
    uint32_t shm_sel;
};

void vmmio_init(struct vmmio_dev *d);

/* Register access; off within the 0x200 window, width in bytes. false = inject an abort. */
bool vmmio_read(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t *val);
bool vmmio_write(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t val);

/* Raise interrupt status bits (VIRTIO_INT_*) and drive the line. */
void vmmio_raise(struct vmmio_dev *d, uint32_t bits);

/* A malformed ring: DEVICE_NEEDS_RESET, a configuration-change interrupt, one fault report. */
void vmmio_fail(struct vmmio_dev *d, const char *what);

static inline bool vmmio_live(const struct vmmio_dev *d)
{
    return (d->status & VIRTIO_STATUS_DRIVER_OK) && !(d->status & VIRTIO_STATUS_NEEDS_RESET);
}

static inline bool vmmio_has_feature(const struct vmmio_dev *d, unsigned bit)
{
    return (d->driver_features >> bit) & 1;
}

#endif
