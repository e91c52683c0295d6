/* virtio-mmio version 2 register model (virtio 1.2 section 4.2.2). */
#include "hypervisor/virtio_mmio.h"

static void update_irq(struct vmmio_dev *d)
{
    /* Level semantics: the line is high exactly while some status bit is set. */
    d->ops->set_irq(d, d->int_status != 0);
}

static void reset(struct vmmio_dev *d)
{
    for (uint32_t q = 0; q < d->nqueues; q++)
        vq_reset(&d->vq[q]);
    d->status = 0;
    d->dev_features_sel = 0;
    d->drv_features_sel = 0;
    d->driver_features = 0;
    d->queue_sel = 0;
    d->shm_sel = 0;
    bool was_raised = d->int_status != 0;
    d->int_status = 0;
    if (d->ops->reset)
        d->ops->reset(d);
    if (was_raised)
        update_irq(d);
}

void vmmio_init(struct vmmio_dev *d)
{
    d->config_generation = 0;
    d->int_status = 0;
    reset(d);
}

void vmmio_raise(struct vmmio_dev *d, uint32_t bits)
{
    d->int_status |= bits;
    update_irq(d);
}

void vmmio_fail(struct vmmio_dev *d, const char *what)
{
    if (d->ops->fault)
        d->ops->fault(d, what);
    if (d->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    d->status |= VIRTIO_STATUS_NEEDS_RESET;
    vmmio_raise(d, VIRTIO_INT_CONFIG);
}

static struct virtq *cur_vq(struct vmmio_dev *d)
{
    return d->queue_sel < d->nqueues ? &d->vq[d->queue_sel] : 0;
}

static uint32_t read_queue_reg(struct vmmio_dev *d, uint32_t off)
{
    struct virtq *vq = cur_vq(d);
    if (!vq)
        return 0; /* QueueNumMax 0: no such queue */
    if (off == VMMIO_QUEUE_NUM_MAX)
        return d->queue_num_max;
    return vq->ready; /* VMMIO_QUEUE_READY */
}

static uint32_t read_reg(struct vmmio_dev *d, uint32_t off)
{
    switch (off) {
    case VMMIO_MAGIC:
        return VIRTIO_MMIO_MAGIC;
    case VMMIO_VERSION:
        return 2;
    case VMMIO_DEVICE_ID:
        return d->device_id;
    case VMMIO_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case VMMIO_DEVICE_FEATURES:
        return d->dev_features_sel == 0   ? (uint32_t)d->device_features
               : d->dev_features_sel == 1 ? (uint32_t)(d->device_features >> 32)
                                          : 0;
    case VMMIO_QUEUE_NUM_MAX:
    case VMMIO_QUEUE_READY:
        return read_queue_reg(d, off);
    case VMMIO_INTERRUPT_STATUS:
        return d->int_status;
    case VMMIO_STATUS:
        return d->status;
    case VMMIO_SHM_LEN_LOW:
    case VMMIO_SHM_LEN_HIGH:
        return 0xffffffff; /* no shared memory regions */
    case VMMIO_CONFIG_GENERATION:
        return d->config_generation;
    default:
        return 0; /* write-only and reserved registers read as zero */
    }
}

bool vmmio_read(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t *val)
{
    if (off >= VIRTIO_MMIO_CONFIG) {
        if (off + width > VIRTIO_MMIO_WINDOW || !IS_ALIGNED(off, width))
            return false;
        return d->ops->config_read(d, off - VIRTIO_MMIO_CONFIG, width, val);
    }
    if (width != 4 || !IS_ALIGNED(off, 4))
        return false;
    *val = read_reg(d, off);
    return true;
}

static void write_features(struct vmmio_dev *d, uint32_t val)
{
    /* Features are frozen once FEATURES_OK was accepted. */
    if (d->status & VIRTIO_STATUS_FEATURES_OK)
        return;
    if (d->drv_features_sel == 0)
        d->driver_features = (d->driver_features & ~0xffffffffULL) | val;
    else if (d->drv_features_sel == 1)
        d->driver_features = (d->driver_features & 0xffffffffULL) | ((uint64_t)val << 32);
}

static bool features_acceptable(const struct vmmio_dev *d)
{
    return (d->driver_features & ~d->device_features) == 0 &&
           vmmio_has_feature(d, VIRTIO_F_VERSION_1);
}

static void write_status(struct vmmio_dev *d, uint32_t val)
{
    if (val == 0) {
        reset(d);
        return;
    }
    uint32_t old = d->status;
    /* NEEDS_RESET belongs to the device: the driver can neither set nor clear it. */
    val = (val & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
    if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
        !features_acceptable(d))
        val &= ~VIRTIO_STATUS_FEATURES_OK; /* refuse: the driver reads it back and gives up */
    d->status = val;
    if ((val & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) && d->ops->driver_ok)
        d->ops->driver_ok(d);
}

static void set_addr(uint64_t *addr, bool high, uint32_t val)
{
    if (high)
        *addr = (*addr & 0xffffffffULL) | ((uint64_t)val << 32);
    else
        *addr = (*addr & ~0xffffffffULL) | val;
}

static void write_queue_ready(struct vmmio_dev *d, struct virtq *vq, uint32_t val)
{
    if (!val) {
        /* The driver has given the rings up: a chain taken from them must not complete into
         * whatever queue it sets up next (whose size may not even hold the chain's head). */
        if (vq->ready && d->ops->queue_stop)
            d->ops->queue_stop(d, d->queue_sel);
        vq->ready = false;
        return;
    }
    if (vq->ready)
        return;
    enum vq_err err = vq_enable(vq, d->mem, d->queue_num_max);
    if (err)
        vmmio_fail(d, vq_err_str(err));
}

static void write_queue_reg(struct vmmio_dev *d, uint32_t off, uint32_t val)
{
    struct virtq *vq = cur_vq(d);
    if (!vq)
        return;
    if (off == VMMIO_QUEUE_READY) {
        write_queue_ready(d, vq, val);
        return;
    }
    if (vq->ready)
        return; /* the spec forbids changing a live queue; ignore rather than corrupt it */
    switch (off) {
    case VMMIO_QUEUE_NUM:
        /* Saturate: an oversized value must still fail the QueueNumMax check. */
        vq->num = val > 0xffff ? 0xffff : (uint16_t)val;
        break;
    case VMMIO_QUEUE_DESC_LOW:
    case VMMIO_QUEUE_DESC_HIGH:
        set_addr(&vq->desc_ipa, off == VMMIO_QUEUE_DESC_HIGH, val);
        break;
    case VMMIO_QUEUE_DRIVER_LOW:
    case VMMIO_QUEUE_DRIVER_HIGH:
        set_addr(&vq->avail_ipa, off == VMMIO_QUEUE_DRIVER_HIGH, val);
        break;
    case VMMIO_QUEUE_DEVICE_LOW:
    case VMMIO_QUEUE_DEVICE_HIGH:
        set_addr(&vq->used_ipa, off == VMMIO_QUEUE_DEVICE_HIGH, val);
        break;
    }
}

static void write_reg(struct vmmio_dev *d, uint32_t off, uint32_t val)
{
    switch (off) {
    case VMMIO_DEVICE_FEATURES_SEL:
        d->dev_features_sel = val;
        break;
    case VMMIO_DRIVER_FEATURES:
        write_features(d, val);
        break;
    case VMMIO_DRIVER_FEATURES_SEL:
        d->drv_features_sel = val;
        break;
    case VMMIO_QUEUE_SEL:
        d->queue_sel = val;
        break;
    case VMMIO_QUEUE_NOTIFY:
        if (val < d->nqueues && d->vq[val].ready && vmmio_live(d))
            d->ops->queue_notify(d, val);
        break;
    case VMMIO_INTERRUPT_ACK:
        d->int_status &= ~val;
        update_irq(d);
        break;
    case VMMIO_STATUS:
        write_status(d, val);
        break;
    case VMMIO_SHM_SEL:
        d->shm_sel = val;
        break;
    case VMMIO_QUEUE_NUM:
    case VMMIO_QUEUE_READY:
    case VMMIO_QUEUE_DESC_LOW:
    case VMMIO_QUEUE_DESC_HIGH:
    case VMMIO_QUEUE_DRIVER_LOW:
    case VMMIO_QUEUE_DRIVER_HIGH:
    case VMMIO_QUEUE_DEVICE_LOW:
    case VMMIO_QUEUE_DEVICE_HIGH:
        write_queue_reg(d, off, val);
        break;
    default:
        break; /* read-only and reserved registers ignore writes */
    }
}

bool vmmio_write(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t val)
{
    if (off >= VIRTIO_MMIO_CONFIG) {
        if (off + width > VIRTIO_MMIO_WINDOW || !IS_ALIGNED(off, width))
            return false;
        return d->ops->config_write(d, off - VIRTIO_MMIO_CONFIG, width, val);
    }
    if (width != 4 || !IS_ALIGNED(off, 4))
        return false;
    write_reg(d, off, val);
    return true;
}
