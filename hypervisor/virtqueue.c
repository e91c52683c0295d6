/* Split virtqueue walker: validation, chain collection and completion. */
#include "hypervisor/virtqueue.h"

static const char *const vq_err_names[VQ_ERR_COUNT] = {
    [VQ_OK] = "ok",
    [VQ_ERR_NUM_ZERO] = "QueueNum is zero",
    [VQ_ERR_NUM_NOT_POW2] = "QueueNum is not a power of two",
    [VQ_ERR_NUM_TOO_BIG] = "QueueNum above QueueNumMax",
    [VQ_ERR_RING_ALIGN] = "misaligned ring address",
    [VQ_ERR_RING_RANGE] = "ring outside zone RAM",
    [VQ_ERR_AVAIL_AHEAD] = "avail.idx ahead by more than the queue size",
    [VQ_ERR_HEAD_RANGE] = "head index out of range",
    [VQ_ERR_NEXT_RANGE] = "next index out of range",
    [VQ_ERR_LOOP] = "descriptor loop",
    [VQ_ERR_BUF_RANGE] = "buffer outside zone RAM",
    [VQ_ERR_DIRECTION] = "buffer direction wrong",
    [VQ_ERR_INDIRECT] = "indirect descriptor not negotiated",
};

const char *vq_err_str(enum vq_err e)
{
    return e < VQ_ERR_COUNT ? vq_err_names[e] : "unknown";
}

void vq_reset(struct virtq *vq)
{
    memset(vq, 0, sizeof(*vq));
}

static bool map_ring(const struct guest_mem *m, uint64_t ipa, uint64_t size, uint64_t align,
                     volatile void **out, enum vq_err *err)
{
    if (!IS_ALIGNED(ipa, align)) {
        *err = VQ_ERR_RING_ALIGN;
        return false;
    }
    uint8_t *p = gmem_translate(m, ipa, size);
    if (!p) {
        *err = VQ_ERR_RING_RANGE;
        return false;
    }
    *out = p;
    return true;
}

enum vq_err vq_enable(struct virtq *vq, const struct guest_mem *m, uint16_t num_max)
{
    uint16_t n = vq->num;
    enum vq_err err = VQ_OK;
    if (n == 0)
        return VQ_ERR_NUM_ZERO;
    if (n > num_max)
        return VQ_ERR_NUM_TOO_BIG;
    if (n & (n - 1))
        return VQ_ERR_NUM_NOT_POW2;
    volatile void *d, *a, *u;
    /* Sizes from spec 2.7: avail = 4 + 2n (+2 used_event), used = 4 + 8n (+2 avail_event). */
    if (!map_ring(m, vq->desc_ipa, 16ULL * n, 16, &d, &err) ||
        !map_ring(m, vq->avail_ipa, 6ULL + 2ULL * n, 2, &a, &err) ||
        !map_ring(m, vq->used_ipa, 6ULL + 8ULL * n, 4, &u, &err))
        return err;
    vq->desc = d;
    vq->avail = a;
    vq->used = u;
    vq->mem = m;
    vq->last_avail = 0;
    vq->used_idx = 0;
    vq->ready = true;
    return VQ_OK;
}

static uint16_t avail_idx_acquire(struct virtq *vq)
{
    gmem_sync(vq->mem, vq->avail, 4);
    uint16_t idx = vq->avail[1];
    /* Ring entries and descriptors the driver wrote before avail.idx must be seen after it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return idx;
}

enum vq_err vq_has_avail(struct virtq *vq, bool *avail)
{
    uint16_t idx = avail_idx_acquire(vq);
    uint16_t pending = (uint16_t)(idx - vq->last_avail);
    *avail = false;
    if (pending > vq->num)
        return VQ_ERR_AVAIL_AHEAD;
    *avail = pending != 0;
    return VQ_OK;
}

static enum vq_err check_desc(const struct vring_desc *d, const struct guest_mem *m,
                              enum vq_dir dir, struct vq_seg *seg)
{
    if (d->flags & VRING_DESC_F_INDIRECT)
        return VQ_ERR_INDIRECT;
    bool writable = (d->flags & VRING_DESC_F_WRITE) != 0;
    if (writable != (dir == VQ_DIR_WRITE))
        return VQ_ERR_DIRECTION;
    uint8_t *p = gmem_translate(m, d->addr, d->len);
    if (!p)
        return VQ_ERR_BUF_RANGE;
    seg->hva = p;
    seg->len = d->len;
    return VQ_OK;
}

static void copy_desc(struct virtq *vq, uint16_t i, struct vring_desc *out)
{
    /* One snapshot per descriptor: another vCPU may rewrite it while we look. */
    gmem_sync(vq->mem, &vq->desc[i], sizeof(vq->desc[i]));
    out->addr = vq->desc[i].addr;
    out->len = vq->desc[i].len;
    out->flags = vq->desc[i].flags;
    out->next = vq->desc[i].next;
}

enum vq_err vq_walk(struct virtq *vq, const struct guest_mem *m, enum vq_dir dir, uint16_t head,
                    struct vq_chain *chain)
{
    chain->head = head;
    chain->nseg = 0;
    chain->total = 0;
    if (head >= vq->num)
        return VQ_ERR_HEAD_RANGE;
    uint16_t i = head;
    for (;;) {
        struct vring_desc d;
        if (chain->nseg >= vq->num)
            return VQ_ERR_LOOP; /* more descriptors than the table holds: a cycle */
        copy_desc(vq, i, &d);
        enum vq_err err = check_desc(&d, m, dir, &chain->seg[chain->nseg]);
        if (err)
            return err;
        chain->total += d.len;
        chain->nseg++;
        if (!(d.flags & VRING_DESC_F_NEXT))
            return VQ_OK;
        if (d.next >= vq->num)
            return VQ_ERR_NEXT_RANGE;
        i = d.next;
    }
}

enum vq_err vq_pop(struct virtq *vq, const struct guest_mem *m, enum vq_dir dir,
                   struct vq_chain *chain, bool *head_valid)
{
    bool avail;
    *head_valid = false;
    chain->nseg = 0;
    chain->total = 0;
    enum vq_err err = vq_has_avail(vq, &avail);
    if (err || !avail)
        return err;
    volatile uint16_t *slot = &vq->avail[2 + (vq->last_avail & (vq->num - 1))];
    gmem_sync(vq->mem, slot, sizeof(*slot));
    uint16_t head = *slot;
    if (head >= vq->num)
        return VQ_ERR_HEAD_RANGE;
    vq->last_avail++;
    *head_valid = true;
    err = vq_walk(vq, m, dir, head, chain);
    if (err)
        chain->nseg = 0; /* nothing of a bad chain is used */
    return err;
}

void vq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
    volatile uint32_t *elem =
        (volatile uint32_t *)(vq->used + 4 + 8 * (vq->used_idx & (vq->num - 1)));
    elem[0] = head;
    elem[1] = len;
    gmem_sync(vq->mem, elem, 8);
    vq->used_idx++;
    /* The element (and the bytes written into the buffer) before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    ((volatile uint16_t *)vq->used)[1] = vq->used_idx;
    gmem_sync(vq->mem, vq->used, 4);
}

bool vq_want_interrupt(struct virtq *vq)
{
    /*
     * Full barrier: our used.idx store must be visible before we sample the driver's flags, or
     * the driver may re-enable interrupts after we read the old flag and wait forever.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    gmem_sync(vq->mem, vq->avail, 2);
    return !(vq->avail[0] & VRING_AVAIL_F_NO_INTERRUPT);
}
