/*
 * Split virtqueue, device side (virtio 1.2 section 2.7). Every guest-controlled value is copied
 * into EL2 memory before it is checked, and a chain is validated whole before the device acts on
 * any byte of it, so a malformed ring never produces partial effects.
 */
#ifndef HV_VIRTQUEUE_H
#define HV_VIRTQUEUE_H

#include "hypervisor/guest_mem.h"

#define VQ_MAX_SIZE 256 /* QueueNumMax offered to drivers; bounds chain length too */

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

enum vq_err {
    VQ_OK = 0,
    VQ_ERR_NUM_ZERO,
    VQ_ERR_NUM_NOT_POW2,
    VQ_ERR_NUM_TOO_BIG,
    VQ_ERR_RING_ALIGN,
    VQ_ERR_RING_RANGE,
    VQ_ERR_AVAIL_AHEAD,
    VQ_ERR_HEAD_RANGE,
    VQ_ERR_NEXT_RANGE,
    VQ_ERR_LOOP,
    VQ_ERR_BUF_RANGE,
    VQ_ERR_DIRECTION,
    VQ_ERR_INDIRECT,
    VQ_ERR_COUNT
};

const char *vq_err_str(enum vq_err e);

/* What the device expects of a chain's buffers. */
enum vq_dir {
    VQ_DIR_READ,  /* device reads (TX): every descriptor must be device-readable */
    VQ_DIR_WRITE, /* device writes (RX): every descriptor must be device-writable */
};

struct vq_seg {
    uint8_t *hva;
    uint32_t len;
};

struct vq_chain {
    uint16_t head;
    uint16_t nseg;
    uint32_t total;
    struct vq_seg seg[VQ_MAX_SIZE];
};

struct virtq {
    /* Driver-programmed configuration (transport registers). */
    uint16_t num;
    uint64_t desc_ipa, avail_ipa, used_ipa;
    bool ready;
    /* Device state, valid while ready. */
    volatile struct vring_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[num] */
    volatile uint8_t *used;   /* flags, idx, ring[num] of {u32 id, u32 len} */
    uint16_t last_avail;
    uint16_t used_idx;
    const struct guest_mem *mem; /* the zone's RAM, for gmem_sync around ring accesses */
};

/* Forget everything the driver programmed (device reset). */
void vq_reset(struct virtq *vq);

/* Check num and ring placement when the driver sets QueueReady=1; maps the rings on success. */
enum vq_err vq_enable(struct virtq *vq, const struct guest_mem *m, uint16_t num_max);

/* Does the driver have a chain waiting? Fails when avail.idx ran ahead by more than num. */
enum vq_err vq_has_avail(struct virtq *vq, bool *avail);

/*
 * Take the next available chain and validate it whole. Returns VQ_OK with a chain, VQ_OK with
 * chain->nseg == 0 when none is available, or an error. On a chain-level error (bad next, loop,
 * range, direction) *head_valid tells whether chain->head may still be completed with length 0.
 */
enum vq_err vq_pop(struct virtq *vq, const struct guest_mem *m, enum vq_dir dir,
                   struct vq_chain *chain, bool *head_valid);

/*
 * Walk and validate the chain at head again: a device that could not finish a chain in one exit
 * keeps only its head and where it stopped, and walks it anew when it resumes (the driver may not
 * change a chain it made available; if it does, it gets what it wrote, and nothing else breaks).
 */
enum vq_err vq_walk(struct virtq *vq, const struct guest_mem *m, enum vq_dir dir, uint16_t head,
                    struct vq_chain *chain);

/* Return a chain to the driver; len is the number of bytes the device wrote. */
void vq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* After pushing: does the driver want an interrupt (VRING_AVAIL_F_NO_INTERRUPT clear)? */
bool vq_want_interrupt(struct virtq *vq);

#endif
