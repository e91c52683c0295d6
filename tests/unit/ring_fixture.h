/*
 * Shared host-test fixtures: a malloc'd "guest RAM" with guard zones on both sides, a driver-side
 * view of a split virtqueue laid out in that RAM, and helpers that program a virtio-mmio device
 * through its registers the way a driver would.
 *
 * Everything here is static inline so each test binary takes only what it uses.
 */
#ifndef TESTS_UNIT_RING_FIXTURE_H
#define TESTS_UNIT_RING_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hypervisor/virtio_mmio.h"
#include "hypervisor/virtqueue.h"

/* ---- guest RAM --------------------------------------------------------------------------- */

#define RF_IPA_BASE 0x40000000ULL
#define RF_RAM_SIZE 0x100000ULL /* 1 MiB */
#define RF_RAM_END (RF_IPA_BASE + RF_RAM_SIZE)
#define RF_GUARD 0x1000ULL     /* host bytes either side of the zone, must stay untouched */
#define RF_GUARD_BYTE 0xa5

/* Layout used by the helpers (offsets from RF_IPA_BASE). */
#define RF_Q0_OFF 0x0000ULL  /* desc +0, avail +0x1000, used +0x2000 */
#define RF_Q1_OFF 0x4000ULL
#define RF_BUF_OFF 0x10000ULL /* buffers from here on */

struct rf_ram {
    uint8_t *alloc; /* guard | RAM | guard */
    struct guest_mem mem;
};

static inline struct rf_ram *rf_ram_new(void)
{
    struct rf_ram *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->alloc = aligned_alloc(4096, RF_RAM_SIZE + 2 * RF_GUARD);
    assert_non_null(r->alloc);
    memset(r->alloc, RF_GUARD_BYTE, RF_GUARD);
    memset(r->alloc + RF_GUARD, 0, RF_RAM_SIZE);
    memset(r->alloc + RF_GUARD + RF_RAM_SIZE, RF_GUARD_BYTE, RF_GUARD);
    r->mem.ipa_base = RF_IPA_BASE;
    r->mem.size = RF_RAM_SIZE;
    r->mem.hva = r->alloc + RF_GUARD;
    return r;
}

static inline void rf_ram_free(struct rf_ram *r)
{
    if (!r)
        return;
    free(r->alloc);
    free(r);
}

static inline uint8_t *rf_hva(const struct rf_ram *r, uint64_t ipa)
{
    return r->mem.hva + (ipa - RF_IPA_BASE);
}

static inline bool rf_guards_intact(const struct rf_ram *r)
{
    for (uint64_t i = 0; i < RF_GUARD; i++)
        if (r->alloc[i] != RF_GUARD_BYTE || r->alloc[RF_GUARD + RF_RAM_SIZE + i] != RF_GUARD_BYTE)
            return false;
    return true;
}

/* Snapshot of the whole allocation (guards included) to prove an operation wrote nothing. */
static inline uint8_t *rf_snapshot(const struct rf_ram *r)
{
    uint8_t *s = malloc(RF_RAM_SIZE + 2 * RF_GUARD);
    assert_non_null(s);
    memcpy(s, r->alloc, RF_RAM_SIZE + 2 * RF_GUARD);
    return s;
}

static inline void rf_assert_unchanged(const struct rf_ram *r, uint8_t *snap)
{
    assert_memory_equal(snap, r->alloc, RF_RAM_SIZE + 2 * RF_GUARD);
    free(snap);
}

/* ---- driver view of a split ring ---------------------------------------------------------- */

struct rf_ring {
    struct rf_ram *ram;
    uint16_t num;
    uint64_t desc, avail, used; /* IPAs */
    uint16_t avail_idx;         /* the driver's copy of avail.idx */
    uint16_t used_seen;         /* next used.idx the driver expects to consume */
};

static inline void rf_ring_init(struct rf_ring *q, struct rf_ram *ram, uint16_t num, uint64_t off)
{
    q->ram = ram;
    q->num = num;
    q->desc = RF_IPA_BASE + off;
    q->avail = RF_IPA_BASE + off + 0x1000;
    q->used = RF_IPA_BASE + off + 0x2000;
    q->avail_idx = 0;
    q->used_seen = 0;
    memset(rf_hva(ram, q->desc), 0, 0x3000);
}

static inline void rf_desc(struct rf_ring *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                           uint16_t next)
{
    struct vring_desc d = {.addr = addr, .len = len, .flags = flags, .next = next};
    memcpy(rf_hva(q->ram, q->desc + 16ULL * i), &d, sizeof(d));
}

static inline void rf_avail_set_idx(struct rf_ring *q, uint16_t idx)
{
    q->avail_idx = idx;
    memcpy(rf_hva(q->ram, q->avail + 2), &idx, 2);
}

static inline void rf_avail_set_flags(struct rf_ring *q, uint16_t flags)
{
    memcpy(rf_hva(q->ram, q->avail), &flags, 2);
}

/* Put head in the next avail slot without publishing it. */
static inline void rf_avail_put(struct rf_ring *q, uint16_t slot_idx, uint16_t head)
{
    memcpy(rf_hva(q->ram, q->avail + 4 + 2ULL * (slot_idx % q->num)), &head, 2);
}

/* Make one more chain (starting at head) available. */
static inline void rf_avail_add(struct rf_ring *q, uint16_t head)
{
    rf_avail_put(q, q->avail_idx, head);
    rf_avail_set_idx(q, (uint16_t)(q->avail_idx + 1));
}

static inline uint16_t rf_used_idx(const struct rf_ring *q)
{
    uint16_t v;
    memcpy(&v, rf_hva(q->ram, q->used + 2), 2);
    return v;
}

static inline uint16_t rf_used_flags(const struct rf_ring *q)
{
    uint16_t v;
    memcpy(&v, rf_hva(q->ram, q->used), 2);
    return v;
}

static inline void rf_set_used_idx(struct rf_ring *q, uint16_t idx)
{
    memcpy(rf_hva(q->ram, q->used + 2), &idx, 2);
    q->used_seen = idx;
}

/* Used element for (free-running) used index idx. */
static inline void rf_used_elem(const struct rf_ring *q, uint16_t idx, uint32_t *id, uint32_t *len)
{
    uint8_t *e = rf_hva(q->ram, q->used + 4 + 8ULL * (idx % q->num));
    memcpy(id, e, 4);
    memcpy(len, e + 4, 4);
}

/* Consume the next used element, asserting it is there and matches. */
static inline void rf_expect_used(struct rf_ring *q, uint32_t id, uint32_t len)
{
    uint32_t got_id, got_len;
    assert_int_not_equal(rf_used_idx(q), q->used_seen);
    rf_used_elem(q, q->used_seen, &got_id, &got_len);
    assert_int_equal(got_id, id);
    assert_int_equal(got_len, len);
    q->used_seen++;
}

/* Buffers: IPA of byte off within the buffer area, and its host address. */
static inline uint64_t rf_buf_ipa(uint64_t off)
{
    return RF_IPA_BASE + RF_BUF_OFF + off;
}

static inline void rf_buf_fill(struct rf_ram *r, uint64_t ipa, const void *src, size_t len)
{
    memcpy(rf_hva(r, ipa), src, len);
}

/* Program a virtqueue struct directly (what the transport does) and enable it. */
static inline void rf_vq_program(struct virtq *vq, const struct rf_ring *q)
{
    vq_reset(vq);
    vq->num = q->num;
    vq->desc_ipa = q->desc;
    vq->avail_ipa = q->avail;
    vq->used_ipa = q->used;
}

/* ---- virtio-mmio register access ---------------------------------------------------------- */

enum {
    RF_REG_MAGIC = 0x000,
    RF_REG_VERSION = 0x004,
    RF_REG_DEVICE_ID = 0x008,
    RF_REG_VENDOR_ID = 0x00c,
    RF_REG_DEVICE_FEATURES = 0x010,
    RF_REG_DEVICE_FEATURES_SEL = 0x014,
    RF_REG_DRIVER_FEATURES = 0x020,
    RF_REG_DRIVER_FEATURES_SEL = 0x024,
    RF_REG_QUEUE_SEL = 0x030,
    RF_REG_QUEUE_NUM_MAX = 0x034,
    RF_REG_QUEUE_NUM = 0x038,
    RF_REG_QUEUE_READY = 0x044,
    RF_REG_QUEUE_NOTIFY = 0x050,
    RF_REG_INTERRUPT_STATUS = 0x060,
    RF_REG_INTERRUPT_ACK = 0x064,
    RF_REG_STATUS = 0x070,
    RF_REG_QUEUE_DESC_LOW = 0x080,
    RF_REG_QUEUE_DESC_HIGH = 0x084,
    RF_REG_QUEUE_DRIVER_LOW = 0x090,
    RF_REG_QUEUE_DRIVER_HIGH = 0x094,
    RF_REG_QUEUE_DEVICE_LOW = 0x0a0,
    RF_REG_QUEUE_DEVICE_HIGH = 0x0a4,
    RF_REG_SHM_SEL = 0x0ac,
    RF_REG_SHM_LEN_LOW = 0x0b0,
    RF_REG_SHM_LEN_HIGH = 0x0b4,
    RF_REG_CONFIG_GENERATION = 0x0fc,
    RF_REG_CONFIG = 0x100,
};

static inline uint32_t rf_rd(struct vmmio_dev *d, uint32_t off)
{
    uint32_t v = 0xdeadbeef;
    assert_true(vmmio_read(d, off, 4, &v));
    return v;
}

static inline void rf_wr(struct vmmio_dev *d, uint32_t off, uint32_t val)
{
    assert_true(vmmio_write(d, off, 4, val));
}

/* Feature negotiation as a driver does it; returns Status as read back after FEATURES_OK. */
static inline uint32_t rf_negotiate(struct vmmio_dev *d, uint64_t features)
{
    rf_wr(d, RF_REG_STATUS, VIRTIO_STATUS_ACK);
    rf_wr(d, RF_REG_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    rf_wr(d, RF_REG_DRIVER_FEATURES_SEL, 0);
    rf_wr(d, RF_REG_DRIVER_FEATURES, (uint32_t)features);
    rf_wr(d, RF_REG_DRIVER_FEATURES_SEL, 1);
    rf_wr(d, RF_REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
    rf_wr(d, RF_REG_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return rf_rd(d, RF_REG_STATUS);
}

/* Program queue sel with the driver ring q through the registers, without QueueReady. */
static inline void rf_queue_program(struct vmmio_dev *d, uint32_t sel, uint32_t num, uint64_t desc,
                                    uint64_t avail, uint64_t used)
{
    rf_wr(d, RF_REG_QUEUE_SEL, sel);
    rf_wr(d, RF_REG_QUEUE_NUM, num);
    rf_wr(d, RF_REG_QUEUE_DESC_LOW, (uint32_t)desc);
    rf_wr(d, RF_REG_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    rf_wr(d, RF_REG_QUEUE_DRIVER_LOW, (uint32_t)avail);
    rf_wr(d, RF_REG_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    rf_wr(d, RF_REG_QUEUE_DEVICE_LOW, (uint32_t)used);
    rf_wr(d, RF_REG_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
}

static inline void rf_queue_setup(struct vmmio_dev *d, uint32_t sel, const struct rf_ring *q)
{
    rf_queue_program(d, sel, q->num, q->desc, q->avail, q->used);
    rf_wr(d, RF_REG_QUEUE_READY, 1);
    assert_int_equal(rf_rd(d, RF_REG_QUEUE_READY), 1);
}

static inline void rf_driver_ok(struct vmmio_dev *d)
{
    rf_wr(d, RF_REG_STATUS,
          VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
              VIRTIO_STATUS_DRIVER_OK);
}

#endif
