/* Split virtqueue walker (hypervisor/virtqueue.c) against rings built in malloc'd guest RAM. */
#include "tests/unit/ring_fixture.h"

#define NUM 8

struct vqt {
    struct rf_ram *ram;
    struct rf_ring q;
    struct virtq vq;
    struct vq_chain chain;
};

static int setup(void **state)
{
    struct vqt *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->ram = rf_ram_new();
    rf_ring_init(&t->q, t->ram, NUM, RF_Q0_OFF);
    rf_vq_program(&t->vq, &t->q);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct vqt *t = *state;
    assert_true(rf_guards_intact(t->ram));
    rf_ram_free(t->ram);
    free(t);
    return 0;
}

static void enable(struct vqt *t)
{
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, VQ_MAX_SIZE), VQ_OK);
    assert_true(t->vq.ready);
}

/* Reprogram the ring with another size (same placement) and enable it. */
static void enable_num(struct vqt *t, uint16_t num)
{
    rf_ring_init(&t->q, t->ram, num, RF_Q0_OFF);
    rf_vq_program(&t->vq, &t->q);
    enable(t);
}

/* vq_enable must fail with err and leave the queue not ready, without writing guest memory. */
static void expect_enable_err(struct vqt *t, uint16_t num_max, enum vq_err err)
{
    uint8_t *snap = rf_snapshot(t->ram);
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, num_max), err);
    assert_false(t->vq.ready);
    rf_assert_unchanged(t->ram, snap);
}

/*
 * vq_pop must fail with err; head_valid and (if valid) the head must match; guest memory (and the
 * guards around it) must be untouched: a bad chain produces no partial effects.
 */
static void expect_pop_err(struct vqt *t, enum vq_dir dir, enum vq_err err, bool head_valid,
                           uint16_t head)
{
    uint8_t *snap = rf_snapshot(t->ram);
    bool hv = !head_valid;
    assert_int_equal(vq_pop(&t->vq, &t->ram->mem, dir, &t->chain, &hv), err);
    assert_int_equal(hv, head_valid);
    if (head_valid)
        assert_int_equal(t->chain.head, head);
    rf_assert_unchanged(t->ram, snap);
}

static void pop_ok(struct vqt *t, enum vq_dir dir)
{
    bool hv = false;
    assert_int_equal(vq_pop(&t->vq, &t->ram->mem, dir, &t->chain, &hv), VQ_OK);
    assert_true(hv);
    assert_true(t->chain.nseg > 0);
}

/* ---- vq_enable ------------------------------------------------------------------------------ */

static void test_enable_ok_maps_rings(void **state)
{
    struct vqt *t = *state;
    t->vq.last_avail = 5;
    t->vq.used_idx = 7;
    enable(t);
    assert_ptr_equal(t->vq.desc, rf_hva(t->ram, t->q.desc));
    assert_ptr_equal(t->vq.avail, rf_hva(t->ram, t->q.avail));
    assert_ptr_equal(t->vq.used, rf_hva(t->ram, t->q.used));
    assert_int_equal(t->vq.last_avail, 0);
    assert_int_equal(t->vq.used_idx, 0);
}

static void test_enable_num_zero(void **state)
{
    struct vqt *t = *state;
    t->vq.num = 0;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_NUM_ZERO);
}

static void test_enable_num_not_pow2(void **state)
{
    struct vqt *t = *state;
    static const uint16_t bad[] = {3, 5, 6, 7, 12, 100, 255};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        t->vq.num = bad[i];
        expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_NUM_NOT_POW2);
    }
}

static void test_enable_num_too_big(void **state)
{
    struct vqt *t = *state;
    t->vq.num = 512;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_NUM_TOO_BIG);
    t->vq.num = 16;
    expect_enable_err(t, 8, VQ_ERR_NUM_TOO_BIG);
    t->vq.num = 0xffff; /* what the transport saturates oversized QueueNum values to */
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_NUM_TOO_BIG);
    /* QueueNumMax need not be a power of two: 8 > 7 even though 8 is a legal size */
    t->vq.num = 8;
    expect_enable_err(t, 7, VQ_ERR_NUM_TOO_BIG);
    t->vq.num = 4;
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, 7), VQ_OK);
}

static void test_enable_num_boundaries_ok(void **state)
{
    struct vqt *t = *state;
    static const uint16_t good[] = {1, 2, 4, 64, 256};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        rf_ring_init(&t->q, t->ram, good[i], RF_Q0_OFF);
        rf_vq_program(&t->vq, &t->q);
        assert_int_equal(vq_enable(&t->vq, &t->ram->mem, VQ_MAX_SIZE), VQ_OK);
    }
    /* num == num_max exactly */
    rf_vq_program(&t->vq, &t->q);
    t->vq.num = 8;
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, 8), VQ_OK);
}

static void test_enable_misaligned_desc(void **state)
{
    struct vqt *t = *state;
    static const uint64_t off[] = {1, 2, 4, 8};
    for (size_t i = 0; i < ARRAY_SIZE(off); i++) {
        t->vq.desc_ipa = t->q.desc + off[i];
        expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_ALIGN);
    }
}

static void test_enable_misaligned_avail(void **state)
{
    struct vqt *t = *state;
    t->vq.avail_ipa = t->q.avail + 1;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_ALIGN);
    /* 2-byte alignment is all the spec asks of the driver area */
    t->vq.avail_ipa = t->q.avail + 2;
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, VQ_MAX_SIZE), VQ_OK);
}

static void test_enable_misaligned_used(void **state)
{
    struct vqt *t = *state;
    t->vq.used_ipa = t->q.used + 2;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_ALIGN);
    t->vq.used_ipa = t->q.used + 1;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_ALIGN);
    /* 4-byte alignment is all the spec asks of the device area */
    t->vq.used_ipa = t->q.used + 4;
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, VQ_MAX_SIZE), VQ_OK);
}

static void test_enable_desc_outside_ram(void **state)
{
    struct vqt *t = *state;
    t->vq.desc_ipa = RF_IPA_BASE - 0x1000; /* below the zone */
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.desc_ipa = RF_RAM_END; /* just past it */
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.desc_ipa = RF_RAM_END - 16ULL * NUM + 16; /* straddles the end by one descriptor */
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.desc_ipa = 0xfffffffffffffff0ULL; /* would wrap the address space */
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.desc_ipa = 0; /* IPA 0 is not RAM here */
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.desc_ipa = RF_RAM_END - 16ULL * NUM; /* ends exactly at the end: fine */
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, VQ_MAX_SIZE), VQ_OK);
}

static void test_enable_avail_outside_ram(void **state)
{
    struct vqt *t = *state;
    /* avail ring is 6 + 2 * num bytes (flags, idx, ring[num], used_event) */
    uint64_t size = 6 + 2 * NUM;
    t->vq.avail_ipa = RF_RAM_END - size + 2;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.avail_ipa = RF_IPA_BASE - 2;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.avail_ipa = 0xfffffffffffffffeULL;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.avail_ipa = RF_RAM_END - size;
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, VQ_MAX_SIZE), VQ_OK);
}

static void test_enable_used_outside_ram(void **state)
{
    struct vqt *t = *state;
    /* used ring is 6 + 8 * num bytes: 70 for num 8, so the last 4-aligned fit is END - 72 */
    t->vq.used_ipa = RF_RAM_END - 68;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.used_ipa = RF_IPA_BASE - 4;
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.used_ipa = RF_IPA_BASE + (1ULL << 32); /* high half set: far above the zone */
    expect_enable_err(t, VQ_MAX_SIZE, VQ_ERR_RING_RANGE);
    t->vq.used_ipa = RF_RAM_END - 72;
    assert_int_equal(vq_enable(&t->vq, &t->ram->mem, VQ_MAX_SIZE), VQ_OK);
}

/* ---- good chains ------------------------------------------------------------------------- */

static void test_pop_empty(void **state)
{
    struct vqt *t = *state;
    enable(t);
    bool hv = true, avail = true;
    assert_int_equal(vq_has_avail(&t->vq, &avail), VQ_OK);
    assert_false(avail);
    t->chain.nseg = 99;
    assert_int_equal(vq_pop(&t->vq, &t->ram->mem, VQ_DIR_READ, &t->chain, &hv), VQ_OK);
    assert_int_equal(t->chain.nseg, 0);
    assert_false(hv);
    assert_int_equal(t->vq.last_avail, 0);
}

static void test_pop_single(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 3, rf_buf_ipa(0x100), 100, 0, 0);
    rf_avail_add(&t->q, 3);
    bool avail = false;
    assert_int_equal(vq_has_avail(&t->vq, &avail), VQ_OK);
    assert_true(avail);
    pop_ok(t, VQ_DIR_READ);
    assert_int_equal(t->chain.head, 3);
    assert_int_equal(t->chain.nseg, 1);
    assert_int_equal(t->chain.total, 100);
    assert_ptr_equal(t->chain.seg[0].hva, rf_hva(t->ram, rf_buf_ipa(0x100)));
    assert_int_equal(t->chain.seg[0].len, 100);
    assert_int_equal(t->vq.last_avail, 1);
    /* nothing more */
    bool hv = true;
    assert_int_equal(vq_pop(&t->vq, &t->ram->mem, VQ_DIR_READ, &t->chain, &hv), VQ_OK);
    assert_int_equal(t->chain.nseg, 0);
}

/* Issue 7, item 6b: a guest with its caches off gets cache maintenance around every ring and
 * buffer access (the avail index, slot and descriptor, the used element and index,
 * the flags); a guest with caches on gets none. */
static void pop_push_count_syncs(struct vqt *t, bool uncached, uint64_t *syncs)
{
    t->ram->mem.uncached = uncached;
    enable(t);
    rf_desc(&t->q, 3, rf_buf_ipa(0x100), 100, 0, 0);
    rf_avail_add(&t->q, 3);
    uint64_t before = gmem_test_syncs;
    pop_ok(t, VQ_DIR_READ);
    vq_push(&t->vq, t->chain.head, 0);
    (void)vq_want_interrupt(&t->vq);
    *syncs = gmem_test_syncs - before;
}

static void test_uncached_guest_gets_cache_maintenance(void **state)
{
    struct vqt *t = *state;
    uint64_t n;
    pop_push_count_syncs(t, true, &n);
    /* avail idx, slot, descriptor, used elem, used idx, flags; the buffer's bytes are synced by
     * the console as it reads or writes them (a budget's worth per exit, not the whole buffer) */
    assert_int_equal(n, 6);
    rf_expect_used(&t->q, 3, 0);
}

static void test_cached_guest_gets_none(void **state)
{
    struct vqt *t = *state;
    uint64_t n;
    pop_push_count_syncs(t, false, &n);
    assert_int_equal(n, 0);
}

static void test_pop_multi_segment(void **state)
{
    struct vqt *t = *state;
    enable(t);
    /* 5 -> 2 -> 7, device-writable, scattered buffers */
    rf_desc(&t->q, 5, rf_buf_ipa(0x3000), 10, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    rf_desc(&t->q, 2, rf_buf_ipa(0x1000), 200, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 7);
    rf_desc(&t->q, 7, rf_buf_ipa(0x8001), 3, VRING_DESC_F_WRITE, 1 /* ignored: no NEXT */);
    rf_avail_add(&t->q, 5);
    pop_ok(t, VQ_DIR_WRITE);
    assert_int_equal(t->chain.head, 5);
    assert_int_equal(t->chain.nseg, 3);
    assert_int_equal(t->chain.total, 213);
    assert_ptr_equal(t->chain.seg[0].hva, rf_hva(t->ram, rf_buf_ipa(0x3000)));
    assert_int_equal(t->chain.seg[0].len, 10);
    assert_ptr_equal(t->chain.seg[1].hva, rf_hva(t->ram, rf_buf_ipa(0x1000)));
    assert_int_equal(t->chain.seg[1].len, 200);
    assert_ptr_equal(t->chain.seg[2].hva, rf_hva(t->ram, rf_buf_ipa(0x8001)));
    assert_int_equal(t->chain.seg[2].len, 3);
}

static void test_pop_chain_of_full_table(void **state)
{
    struct vqt *t = *state;
    enable(t);
    /* A chain may use every descriptor of the table: 7 -> 6 -> ... -> 0 */
    for (uint16_t i = 0; i < NUM; i++)
        rf_desc(&t->q, i, rf_buf_ipa(0x100ULL * i), i + 1u, i ? VRING_DESC_F_NEXT : 0,
                (uint16_t)(i - 1));
    rf_avail_add(&t->q, NUM - 1);
    pop_ok(t, VQ_DIR_READ);
    assert_int_equal(t->chain.nseg, NUM);
    assert_int_equal(t->chain.total, NUM * (NUM + 1) / 2);
    for (uint16_t s = 0; s < NUM; s++) {
        assert_ptr_equal(t->chain.seg[s].hva, rf_hva(t->ram, rf_buf_ipa(0x100ULL * (NUM - 1 - s))));
        assert_int_equal(t->chain.seg[s].len, NUM - s);
    }
}

static void test_pop_buffer_bounds(void **state)
{
    struct vqt *t = *state;
    enable(t);
    /* last byte of RAM, and all of RAM, are legal buffers */
    rf_desc(&t->q, 0, RF_RAM_END - 1, 1, 0, 0);
    rf_desc(&t->q, 1, RF_IPA_BASE, (uint32_t)RF_RAM_SIZE, 0, 0);
    rf_avail_add(&t->q, 0);
    rf_avail_add(&t->q, 1);
    pop_ok(t, VQ_DIR_READ);
    assert_ptr_equal(t->chain.seg[0].hva, rf_hva(t->ram, RF_RAM_END - 1));
    pop_ok(t, VQ_DIR_READ);
    assert_ptr_equal(t->chain.seg[0].hva, t->ram->mem.hva);
    assert_int_equal(t->chain.total, RF_RAM_SIZE);
}

static void test_pop_in_avail_order(void **state)
{
    struct vqt *t = *state;
    enable(t);
    static const uint16_t heads[] = {6, 0, 3, 1};
    for (size_t i = 0; i < ARRAY_SIZE(heads); i++) {
        rf_desc(&t->q, heads[i], rf_buf_ipa(0x40ULL * heads[i]), 16 + heads[i], 0, 0);
        rf_avail_add(&t->q, heads[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(heads); i++) {
        pop_ok(t, VQ_DIR_READ);
        assert_int_equal(t->chain.head, heads[i]);
        assert_int_equal(t->chain.total, 16 + heads[i]);
    }
    bool hv;
    assert_int_equal(vq_pop(&t->vq, &t->ram->mem, VQ_DIR_READ, &t->chain, &hv), VQ_OK);
    assert_int_equal(t->chain.nseg, 0);
}

static void test_avail_exactly_num_pending(void **state)
{
    struct vqt *t = *state;
    enable(t);
    for (uint16_t i = 0; i < NUM; i++) {
        rf_desc(&t->q, i, rf_buf_ipa(0x10ULL * i), 8, 0, 0);
        rf_avail_add(&t->q, i);
    }
    for (uint16_t i = 0; i < NUM; i++) {
        pop_ok(t, VQ_DIR_READ);
        assert_int_equal(t->chain.head, i);
    }
}

/* ---- used ring ----------------------------------------------------------------------------- */

static void test_push_writes_only_elem_and_idx(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 4, rf_buf_ipa(0), 64, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->q, 4);
    pop_ok(t, VQ_DIR_WRITE);

    uint8_t *snap = rf_snapshot(t->ram);
    vq_push(&t->vq, 4, 37);
    /* expected: elem 0 = {4, 37}, used.idx = 1, nothing else */
    uint8_t *used = snap + RF_GUARD + (t->q.used - RF_IPA_BASE);
    uint32_t id = 4, len = 37;
    uint16_t idx = 1;
    memcpy(used + 4, &id, 4);
    memcpy(used + 8, &len, 4);
    memcpy(used + 2, &idx, 2);
    rf_assert_unchanged(t->ram, snap);
    assert_int_equal(t->vq.used_idx, 1);
    assert_int_equal(rf_used_flags(&t->q), 0);
    rf_expect_used(&t->q, 4, 37);
}

static void test_push_out_of_order(void **state)
{
    struct vqt *t = *state;
    enable(t);
    for (uint16_t i = 0; i < 3; i++) {
        rf_desc(&t->q, i, rf_buf_ipa(0x100ULL * i), 32, VRING_DESC_F_WRITE, 0);
        rf_avail_add(&t->q, i);
    }
    for (uint16_t i = 0; i < 3; i++)
        pop_ok(t, VQ_DIR_WRITE);
    vq_push(&t->vq, 2, 5);
    vq_push(&t->vq, 0, 0);
    vq_push(&t->vq, 1, 32);
    assert_int_equal(rf_used_idx(&t->q), 3);
    rf_expect_used(&t->q, 2, 5);
    rf_expect_used(&t->q, 0, 0);
    rf_expect_used(&t->q, 1, 32);
}

static void test_want_interrupt_honours_no_interrupt(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 8, 0, 0);
    rf_avail_add(&t->q, 0);
    pop_ok(t, VQ_DIR_READ);
    vq_push(&t->vq, 0, 0);
    assert_true(vq_want_interrupt(&t->vq));
    rf_avail_set_flags(&t->q, VRING_AVAIL_F_NO_INTERRUPT);
    assert_false(vq_want_interrupt(&t->vq));
    /* other (unknown) flag bits do not suppress */
    rf_avail_set_flags(&t->q, 0x8000);
    assert_true(vq_want_interrupt(&t->vq));
    rf_avail_set_flags(&t->q, 0);
    assert_true(vq_want_interrupt(&t->vq));
}

/* ---- 16-bit index wrap-around -------------------------------------------------------------- */

static void test_wrap_set_directly(void **state)
{
    struct vqt *t = *state;
    enable(t);
    const uint16_t start = 0xfffd;
    t->vq.last_avail = start;
    t->vq.used_idx = start;
    rf_avail_set_idx(&t->q, start);
    rf_set_used_idx(&t->q, start);

    for (uint16_t k = 0; k < 6; k++) {
        uint16_t head = (uint16_t)((k * 3) % NUM);
        rf_desc(&t->q, head, rf_buf_ipa(0x100ULL * k), 10u + k, 0, 0);
        rf_avail_add(&t->q, head);
        bool avail = false;
        assert_int_equal(vq_has_avail(&t->vq, &avail), VQ_OK);
        assert_true(avail);
        pop_ok(t, VQ_DIR_READ);
        assert_int_equal(t->chain.head, head);
        assert_int_equal(t->chain.total, 10u + k);
        assert_ptr_equal(t->chain.seg[0].hva, rf_hva(t->ram, rf_buf_ipa(0x100ULL * k)));
        vq_push(&t->vq, head, 100u + k);
        assert_int_equal(rf_used_idx(&t->q), (uint16_t)(start + k + 1));
        rf_expect_used(&t->q, head, 100u + k);
    }
    assert_int_equal(t->vq.last_avail, 3);
    assert_int_equal(t->vq.used_idx, 3);
    /* the element for used index 0xffff sits in slot 7, the one for 0x0000 in slot 0 */
    uint32_t id, len;
    rf_used_elem(&t->q, 0xffff, &id, &len);
    assert_int_equal(len, 102);
    rf_used_elem(&t->q, 0x0000, &id, &len);
    assert_int_equal(len, 103);
}

static void test_wrap_batch_across_zero(void **state)
{
    struct vqt *t = *state;
    enable(t);
    t->vq.last_avail = 0xfffc;
    rf_avail_set_idx(&t->q, 0xfffc);
    for (uint16_t k = 0; k < NUM; k++) { /* 8 pending: 0xfffc .. 0x0003 */
        rf_desc(&t->q, k, rf_buf_ipa(0x100ULL * k), 1u + k, 0, 0);
        rf_avail_add(&t->q, (uint16_t)(NUM - 1 - k));
    }
    assert_int_equal(t->q.avail_idx, 0x0004);
    for (uint16_t k = 0; k < NUM; k++) {
        pop_ok(t, VQ_DIR_READ);
        assert_int_equal(t->chain.head, NUM - 1 - k);
    }
    bool hv;
    assert_int_equal(vq_pop(&t->vq, &t->ram->mem, VQ_DIR_READ, &t->chain, &hv), VQ_OK);
    assert_int_equal(t->chain.nseg, 0);
    assert_int_equal(t->vq.last_avail, 0x0004);
}

static void test_wrap_driven_cycles(void **state)
{
    struct vqt *t = *state;
    enable_num(t, 4);
    const uint32_t cycles = 70000; /* beyond 65536: both indices wrap */
    for (uint32_t i = 0; i < cycles; i++) {
        uint16_t head = (uint16_t)(i % 4);
        uint32_t len = 1 + (i % 251);
        rf_desc(&t->q, head, rf_buf_ipa(0x100ULL * head), len, VRING_DESC_F_WRITE, 0);
        rf_avail_add(&t->q, head);
        bool hv = false;
        assert_int_equal(vq_pop(&t->vq, &t->ram->mem, VQ_DIR_WRITE, &t->chain, &hv), VQ_OK);
        assert_int_equal(t->chain.nseg, 1);
        assert_int_equal(t->chain.head, head);
        assert_int_equal(t->chain.total, len);
        vq_push(&t->vq, head, len - 1);
        rf_expect_used(&t->q, head, len - 1);
    }
    assert_int_equal(t->vq.last_avail, (uint16_t)cycles);
    assert_int_equal(rf_used_idx(&t->q), (uint16_t)cycles);
}

/* ---- malformed rings ----------------------------------------------------------------------- */

static void test_avail_ahead(void **state)
{
    struct vqt *t = *state;
    enable(t);
    for (uint16_t i = 0; i < NUM; i++)
        rf_desc(&t->q, i, rf_buf_ipa(0), 8, 0, 0);
    rf_avail_set_idx(&t->q, NUM + 1);
    bool avail = true;
    assert_int_equal(vq_has_avail(&t->vq, &avail), VQ_ERR_AVAIL_AHEAD);
    assert_false(avail);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_AVAIL_AHEAD, false, 0);
    assert_int_equal(t->chain.nseg, 0);
    assert_int_equal(t->vq.last_avail, 0);

    /* one behind last_avail is 65535 ahead */
    rf_avail_set_idx(&t->q, 0xffff);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_AVAIL_AHEAD, false, 0);

    /* across the wrap: last_avail 0xfffe, avail.idx 0x0007 is 9 ahead */
    t->vq.last_avail = 0xfffe;
    rf_avail_set_idx(&t->q, 0x0007);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_AVAIL_AHEAD, false, 0);
    /* ... and 0x0006 is exactly num ahead: fine */
    rf_avail_set_idx(&t->q, 0x0006);
    assert_int_equal(vq_has_avail(&t->vq, &avail), VQ_OK);
    assert_true(avail);
}

static void test_head_out_of_range(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_avail_add(&t->q, NUM);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_HEAD_RANGE, false, 0);
    assert_int_equal(t->chain.nseg, 0);
    assert_int_equal(t->vq.last_avail, 0);

    rf_avail_put(&t->q, 0, 0xffff);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_HEAD_RANGE, false, 0);
    assert_int_equal(t->vq.last_avail, 0);
}

static void test_next_out_of_range(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 1, rf_buf_ipa(0), 16, VRING_DESC_F_NEXT, NUM);
    rf_avail_add(&t->q, 1);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_NEXT_RANGE, true, 1);
    assert_int_equal(t->vq.last_avail, 1); /* consumed: the head can be completed */

    rf_desc(&t->q, 2, rf_buf_ipa(0), 16, VRING_DESC_F_NEXT, 0);
    rf_desc(&t->q, 0, rf_buf_ipa(0x100), 16, VRING_DESC_F_NEXT, 0xffff);
    rf_avail_add(&t->q, 2);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_NEXT_RANGE, true, 2);
    assert_int_equal(t->vq.last_avail, 2);
}

static void test_loop_two(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 16, VRING_DESC_F_NEXT, 1);
    rf_desc(&t->q, 1, rf_buf_ipa(0x10), 16, VRING_DESC_F_NEXT, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_LOOP, true, 0);
}

static void test_loop_self(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 5, rf_buf_ipa(0), 16, VRING_DESC_F_NEXT, 5);
    rf_avail_add(&t->q, 5);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_LOOP, true, 5);
}

static void test_loop_not_through_head(void **state)
{
    struct vqt *t = *state;
    enable(t);
    /* 0 -> 1 -> 2 -> 3 -> 1 */
    for (uint16_t i = 0; i < 4; i++)
        rf_desc(&t->q, i, rf_buf_ipa(0x10ULL * i), 16, VRING_DESC_F_NEXT, i == 3 ? 1 : i + 1);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_LOOP, true, 0);
}

static void test_loop_long(void **state)
{
    struct vqt *t = *state;
    enable_num(t, VQ_MAX_SIZE);
    /* a cycle through every one of the 256 descriptors */
    for (uint32_t i = 0; i < VQ_MAX_SIZE; i++)
        rf_desc(&t->q, (uint16_t)i, rf_buf_ipa(0x10ULL * i), 16,
                VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, (uint16_t)((i + 1) % VQ_MAX_SIZE));
    rf_avail_add(&t->q, 17);
    expect_pop_err(t, VQ_DIR_WRITE, VQ_ERR_LOOP, true, 17);
    /* the same table without the back edge is a valid 256-descriptor chain */
    rf_desc(&t->q, 16, rf_buf_ipa(0x10ULL * 16), 16, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->q, 17);
    pop_ok(t, VQ_DIR_WRITE);
    assert_int_equal(t->chain.nseg, VQ_MAX_SIZE);
    assert_int_equal(t->chain.total, 16 * VQ_MAX_SIZE);
}

static void test_buffer_outside_ram(void **state)
{
    struct vqt *t = *state;
    enable(t);
    struct {
        uint64_t addr;
        uint32_t len;
    } bad[] = {
        {RF_IPA_BASE - 16, 16},     /* wholly below */
        {RF_IPA_BASE - 1, 2},       /* straddles the start */
        {RF_RAM_END - 10, 11},      /* straddles the end by one byte */
        {RF_RAM_END, 1},            /* just past */
        {0, 64},                    /* IPA 0 */
        {RF_IPA_BASE, 0xffffffffu}, /* bigger than RAM */
        {0x140000000ULL, 4},        /* far above */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        rf_desc(&t->q, 0, bad[i].addr, bad[i].len, 0, 0);
        rf_avail_add(&t->q, 0);
        expect_pop_err(t, VQ_DIR_READ, VQ_ERR_BUF_RANGE, true, 0);
    }
}

static void test_buffer_wraps_address_space(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, 0xfffffffffffffff0ULL, 0x20, 0, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_BUF_RANGE, true, 0);
    /* wrapping so that the end lands inside the zone must not pass either */
    rf_desc(&t->q, 0, 0xffffffffffffff00ULL, 0x100 + (uint32_t)0x40000010, 0, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_BUF_RANGE, true, 0);
    rf_desc(&t->q, 0, 0xffffffffffffffffULL, 1, 0, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_BUF_RANGE, true, 0);
}

static void test_buffer_zero_length(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 0, 0, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_BUF_RANGE, true, 0);
    /* also as the second descriptor of a chain */
    rf_desc(&t->q, 1, rf_buf_ipa(0), 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    rf_desc(&t->q, 2, rf_buf_ipa(0x10), 0, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->q, 1);
    expect_pop_err(t, VQ_DIR_WRITE, VQ_ERR_BUF_RANGE, true, 1);
}

static void test_bad_buffer_later_in_chain(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 8, VRING_DESC_F_NEXT, 1);
    rf_desc(&t->q, 1, rf_buf_ipa(0x10), 8, VRING_DESC_F_NEXT, 2);
    rf_desc(&t->q, 2, RF_RAM_END - 4, 8, 0, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_BUF_RANGE, true, 0);
}

static void test_direction_readonly_for_write(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 8, 0, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_WRITE, VQ_ERR_DIRECTION, true, 0);
    /* writable then read-only */
    rf_desc(&t->q, 1, rf_buf_ipa(0), 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    rf_desc(&t->q, 2, rf_buf_ipa(0x10), 8, 0, 0);
    rf_avail_add(&t->q, 1);
    expect_pop_err(t, VQ_DIR_WRITE, VQ_ERR_DIRECTION, true, 1);
}

static void test_direction_writable_for_read(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 8, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_DIRECTION, true, 0);
    /* read-only then writable */
    rf_desc(&t->q, 1, rf_buf_ipa(0), 8, VRING_DESC_F_NEXT, 2);
    rf_desc(&t->q, 2, rf_buf_ipa(0x10), 8, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->q, 1);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_DIRECTION, true, 1);
}

static void test_indirect_refused(void **state)
{
    struct vqt *t = *state;
    enable(t);
    /* a perfectly plausible indirect table: still refused, nothing negotiated it */
    rf_desc(&t->q, 0, rf_buf_ipa(0), 32, VRING_DESC_F_INDIRECT, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_INDIRECT, true, 0);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->q, 0);
    expect_pop_err(t, VQ_DIR_WRITE, VQ_ERR_INDIRECT, true, 0);
    /* in the middle of a chain */
    rf_desc(&t->q, 3, rf_buf_ipa(0x100), 8, VRING_DESC_F_NEXT, 4);
    rf_desc(&t->q, 4, rf_buf_ipa(0x200), 16, VRING_DESC_F_INDIRECT, 0);
    rf_avail_add(&t->q, 3);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_INDIRECT, true, 3);
}

static void test_good_chain_after_bad_one(void **state)
{
    struct vqt *t = *state;
    enable(t);
    rf_desc(&t->q, 0, rf_buf_ipa(0), 8, VRING_DESC_F_WRITE, 0);
    rf_desc(&t->q, 1, rf_buf_ipa(0x40), 12, 0, 0);
    rf_avail_add(&t->q, 0);
    rf_avail_add(&t->q, 1);
    expect_pop_err(t, VQ_DIR_READ, VQ_ERR_DIRECTION, true, 0);
    pop_ok(t, VQ_DIR_READ);
    assert_int_equal(t->chain.head, 1);
    assert_int_equal(t->chain.total, 12);
}

static void test_reset_forgets(void **state)
{
    struct vqt *t = *state;
    enable(t);
    t->vq.last_avail = 9;
    vq_reset(&t->vq);
    assert_false(t->vq.ready);
    assert_int_equal(t->vq.num, 0);
    assert_int_equal(t->vq.desc_ipa, 0);
    assert_int_equal(t->vq.avail_ipa, 0);
    assert_int_equal(t->vq.used_ipa, 0);
    assert_int_equal(t->vq.last_avail, 0);
    assert_int_equal(t->vq.used_idx, 0);
    assert_null(t->vq.desc);
}

static void test_err_str(void **state)
{
    (void)state;
    assert_string_equal(vq_err_str(VQ_OK), "ok");
    for (int e = 1; e < VQ_ERR_COUNT; e++) {
        const char *s = vq_err_str((enum vq_err)e);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, "unknown");
        for (int f = 0; f < e; f++)
            assert_string_not_equal(s, vq_err_str((enum vq_err)f));
    }
    assert_string_equal(vq_err_str(VQ_ERR_COUNT), "unknown");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_enable_ok_maps_rings),
        T(test_enable_num_zero),
        T(test_enable_num_not_pow2),
        T(test_enable_num_too_big),
        T(test_enable_num_boundaries_ok),
        T(test_enable_misaligned_desc),
        T(test_enable_misaligned_avail),
        T(test_enable_misaligned_used),
        T(test_enable_desc_outside_ram),
        T(test_enable_avail_outside_ram),
        T(test_enable_used_outside_ram),
        T(test_pop_empty),
        T(test_pop_single),
        T(test_uncached_guest_gets_cache_maintenance),
        T(test_cached_guest_gets_none),
        T(test_pop_multi_segment),
        T(test_pop_chain_of_full_table),
        T(test_pop_buffer_bounds),
        T(test_pop_in_avail_order),
        T(test_avail_exactly_num_pending),
        T(test_push_writes_only_elem_and_idx),
        T(test_push_out_of_order),
        T(test_want_interrupt_honours_no_interrupt),
        T(test_wrap_set_directly),
        T(test_wrap_batch_across_zero),
        T(test_wrap_driven_cycles),
        T(test_avail_ahead),
        T(test_head_out_of_range),
        T(test_next_out_of_range),
        T(test_loop_two),
        T(test_loop_self),
        T(test_loop_not_through_head),
        T(test_loop_long),
        T(test_buffer_outside_ram),
        T(test_buffer_wraps_address_space),
        T(test_buffer_zero_length),
        T(test_bad_buffer_later_in_chain),
        T(test_direction_readonly_for_write),
        T(test_direction_writable_for_read),
        T(test_indirect_refused),
        T(test_good_chain_after_bad_one),
        T(test_reset_forgets),
        T(test_err_str),
    };
    return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
