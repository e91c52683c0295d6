/* virtio-mmio v2 register model (hypervisor/virtio_mmio.c) with a recording fake device. */
#include <stdio.h>

#include "tests/unit/ring_fixture.h"

#define DEV_ID 42
#define QMAX 16
/* low half: bits 0 and 3; high half: VERSION_1 (32), 35 and 36 */
#define DEV_FEATURES (BIT(0) | BIT(3) | BIT(VIRTIO_F_VERSION_1) | BIT(35) | BIT(36))
#define ST_SETUP (VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)
#define ST_LIVE (ST_SETUP | VIRTIO_STATUS_DRIVER_OK)

struct fake {
    struct vmmio_dev d;
    struct virtq vq[2];
    struct rf_ram *ram;
    struct rf_ring q0, q1;
    /* recorded */
    int irq_calls;
    bool irq_level;
    int notifies;
    uint32_t notify_q[16];
    int resets;
    int driver_oks;
    int faults;
    char last_fault[128];
    int cfg_reads, cfg_writes;
    uint32_t cfg_off, cfg_width, cfg_val;
    bool cfg_result;
};

static struct fake *F(struct vmmio_dev *d)
{
    return d->priv;
}

static bool fk_config_read(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t *val)
{
    struct fake *f = F(d);
    f->cfg_reads++;
    f->cfg_off = off;
    f->cfg_width = width;
    *val = 0xc0000000u | (off << 8) | width;
    return f->cfg_result;
}

static bool fk_config_write(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t val)
{
    struct fake *f = F(d);
    f->cfg_writes++;
    f->cfg_off = off;
    f->cfg_width = width;
    f->cfg_val = val;
    return f->cfg_result;
}

static void fk_queue_notify(struct vmmio_dev *d, uint32_t q)
{
    struct fake *f = F(d);
    if (f->notifies < 16)
        f->notify_q[f->notifies] = q;
    f->notifies++;
}

static void fk_reset(struct vmmio_dev *d)
{
    F(d)->resets++;
}

static void fk_driver_ok(struct vmmio_dev *d)
{
    F(d)->driver_oks++;
}

static void fk_set_irq(struct vmmio_dev *d, bool level)
{
    F(d)->irq_calls++;
    F(d)->irq_level = level;
}

static void fk_fault(struct vmmio_dev *d, const char *what)
{
    struct fake *f = F(d);
    f->faults++;
    snprintf(f->last_fault, sizeof(f->last_fault), "%s", what);
}

static const struct vmmio_ops fake_ops = {
    .config_read = fk_config_read,
    .config_write = fk_config_write,
    .queue_notify = fk_queue_notify,
    .reset = fk_reset,
    .driver_ok = fk_driver_ok,
    .set_irq = fk_set_irq,
    .fault = fk_fault,
};

static void clear_records(struct fake *f)
{
    f->irq_calls = 0;
    f->notifies = 0;
    f->resets = 0;
    f->driver_oks = 0;
    f->faults = 0;
    f->last_fault[0] = 0;
    f->cfg_reads = f->cfg_writes = 0;
    f->cfg_off = f->cfg_width = f->cfg_val = 0xffffffff;
}

static int setup(void **state)
{
    struct fake *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->ram = rf_ram_new();
    rf_ring_init(&f->q0, f->ram, 8, RF_Q0_OFF);
    rf_ring_init(&f->q1, f->ram, QMAX, RF_Q1_OFF);
    f->d.ops = &fake_ops;
    f->d.priv = f;
    f->d.mem = &f->ram->mem;
    f->d.device_id = DEV_ID;
    f->d.device_features = DEV_FEATURES;
    f->d.vq = f->vq;
    f->d.nqueues = 2;
    f->d.queue_num_max = QMAX;
    f->cfg_result = true;
    vmmio_init(&f->d);
    clear_records(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fake *f = *state;
    assert_true(rf_guards_intact(f->ram));
    rf_ram_free(f->ram);
    free(f);
    return 0;
}

/* Negotiate, set up both queues, DRIVER_OK. */
static void bring_up(struct fake *f)
{
    assert_int_equal(rf_negotiate(&f->d, BIT(VIRTIO_F_VERSION_1) | BIT(0)), ST_SETUP);
    rf_queue_setup(&f->d, 0, &f->q0);
    rf_queue_setup(&f->d, 1, &f->q1);
    rf_driver_ok(&f->d);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_LIVE);
    assert_int_equal(f->driver_oks, 1);
}

/* ---- identification and features --------------------------------------------------------- */

static void test_identity(void **state)
{
    struct fake *f = *state;
    assert_int_equal(rf_rd(&f->d, RF_REG_MAGIC), 0x74726976);
    assert_int_equal(rf_rd(&f->d, RF_REG_VERSION), 2);
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_ID), DEV_ID);
    assert_int_equal(rf_rd(&f->d, RF_REG_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_CONFIG_GENERATION), 0);
    /* read-only registers ignore writes */
    rf_wr(&f->d, RF_REG_MAGIC, 0);
    rf_wr(&f->d, RF_REG_VERSION, 1);
    rf_wr(&f->d, RF_REG_DEVICE_ID, 7);
    rf_wr(&f->d, RF_REG_INTERRUPT_STATUS, 3);
    assert_int_equal(rf_rd(&f->d, RF_REG_MAGIC), 0x74726976);
    assert_int_equal(rf_rd(&f->d, RF_REG_VERSION), 2);
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_ID), DEV_ID);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), 0);
}

static void test_misc_registers(void **state)
{
    struct fake *f = *state;
    /* no shared memory regions: length reads as -1 */
    rf_wr(&f->d, RF_REG_SHM_SEL, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_SHM_LEN_LOW), 0xffffffff);
    assert_int_equal(rf_rd(&f->d, RF_REG_SHM_LEN_HIGH), 0xffffffff);
    /* write-only and reserved registers read as zero */
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_NOTIFY), 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_ACK), 0);
    assert_int_equal(rf_rd(&f->d, 0x0f0), 0);
    rf_wr(&f->d, 0x0f0, 0x12345678);
    assert_int_equal(rf_rd(&f->d, 0x0f0), 0);
}

static void test_device_features_halves(void **state)
{
    struct fake *f = *state;
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_FEATURES), 0x00000009); /* sel 0 after reset */
    rf_wr(&f->d, RF_REG_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_FEATURES), 0x00000019);
    rf_wr(&f->d, RF_REG_DEVICE_FEATURES_SEL, 2);
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_FEATURES), 0);
    rf_wr(&f->d, RF_REG_DEVICE_FEATURES_SEL, 0xffffffff);
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_FEATURES), 0);
    rf_wr(&f->d, RF_REG_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_FEATURES), 0x00000009);
}

static void test_driver_features_halves(void **state)
{
    struct fake *f = *state;
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 0);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0x9);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 1);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0x11);
    assert_int_equal(f->d.driver_features, 0x0000001100000009ULL);
    /* rewriting one half leaves the other alone */
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 0);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0x1);
    assert_int_equal(f->d.driver_features, 0x0000001100000001ULL);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 1);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0x1);
    assert_int_equal(f->d.driver_features, 0x0000000100000001ULL);
    /* selectors beyond 1 select nothing */
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 2);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0xffffffff);
    assert_int_equal(f->d.driver_features, 0x0000000100000001ULL);
    assert_true(vmmio_has_feature(&f->d, VIRTIO_F_VERSION_1));
    assert_true(vmmio_has_feature(&f->d, 0));
    assert_false(vmmio_has_feature(&f->d, 3));
}

static void test_features_ok_accepted(void **state)
{
    struct fake *f = *state;
    assert_int_equal(rf_negotiate(&f->d, BIT(VIRTIO_F_VERSION_1) | BIT(3) | BIT(36)), ST_SETUP);
    assert_int_equal(f->d.driver_features, BIT(VIRTIO_F_VERSION_1) | BIT(3) | BIT(36));
    assert_int_equal(f->faults, 0);
}

static void test_features_ok_accepted_full_set(void **state)
{
    struct fake *f = *state;
    assert_int_equal(rf_negotiate(&f->d, DEV_FEATURES), ST_SETUP);
}

static void test_features_ok_refused_not_subset(void **state)
{
    struct fake *f = *state;
    /* bit 1 is not offered */
    assert_int_equal(rf_negotiate(&f->d, BIT(VIRTIO_F_VERSION_1) | BIT(1)),
                     VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    rf_wr(&f->d, RF_REG_STATUS, 0);
    /* bit 63 (high half) is not offered either */
    assert_int_equal(rf_negotiate(&f->d, BIT(VIRTIO_F_VERSION_1) | BIT(63)),
                     VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
}

static void test_features_ok_refused_without_version1(void **state)
{
    struct fake *f = *state;
    assert_int_equal(rf_negotiate(&f->d, BIT(0) | BIT(3)),
                     VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    rf_wr(&f->d, RF_REG_STATUS, 0);
    assert_int_equal(rf_negotiate(&f->d, 0), VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
}

static void test_features_frozen_after_features_ok(void **state)
{
    struct fake *f = *state;
    uint64_t want = BIT(VIRTIO_F_VERSION_1) | BIT(0);
    assert_int_equal(rf_negotiate(&f->d, want), ST_SETUP);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 0);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0xffffffff);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 1);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0);
    assert_int_equal(f->d.driver_features, want);
    assert_true(vmmio_has_feature(&f->d, VIRTIO_F_VERSION_1));
    rf_driver_ok(&f->d);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 0xffffffff);
    assert_int_equal(f->d.driver_features, want);
}

/* ---- status ------------------------------------------------------------------------------ */

static void test_status_reads_back(void **state)
{
    struct fake *f = *state;
    rf_wr(&f->d, RF_REG_STATUS, VIRTIO_STATUS_ACK);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), VIRTIO_STATUS_ACK);
    rf_wr(&f->d, RF_REG_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES_SEL, 1);
    rf_wr(&f->d, RF_REG_DRIVER_FEATURES, 1);
    rf_wr(&f->d, RF_REG_STATUS, ST_SETUP);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_SETUP);
    rf_wr(&f->d, RF_REG_STATUS, ST_LIVE);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_LIVE);
    rf_wr(&f->d, RF_REG_STATUS, ST_LIVE | VIRTIO_STATUS_FAILED);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_LIVE | VIRTIO_STATUS_FAILED);
    assert_int_equal(f->driver_oks, 1); /* once, on the transition */
}

static void test_driver_cannot_set_needs_reset(void **state)
{
    struct fake *f = *state;
    rf_wr(&f->d, RF_REG_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), VIRTIO_STATUS_ACK);
    assert_false(f->irq_level);
}

static void test_needs_reset_sticky_until_reset(void **state)
{
    struct fake *f = *state;
    bring_up(f);
    vmmio_fail(&f->d, "test");
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_LIVE | VIRTIO_STATUS_NEEDS_RESET);
    assert_false(vmmio_live(&f->d));
    rf_wr(&f->d, RF_REG_STATUS, ST_LIVE);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_LIVE | VIRTIO_STATUS_NEEDS_RESET);
    rf_wr(&f->d, RF_REG_STATUS, VIRTIO_STATUS_ACK);
    assert_true(rf_rd(&f->d, RF_REG_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    rf_wr(&f->d, RF_REG_STATUS, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), 0);
}

static void test_fail_raises_config_interrupt_once(void **state)
{
    struct fake *f = *state;
    bring_up(f);
    vmmio_fail(&f->d, "first");
    assert_true(f->faults >= 1);
    assert_string_equal(f->last_fault, "first");
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
    assert_true(f->irq_level);
    rf_wr(&f->d, RF_REG_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
    assert_false(f->irq_level);
    /* already in NEEDS_RESET: no second configuration-change interrupt */
    vmmio_fail(&f->d, "second");
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), 0);
    assert_false(f->irq_level);
    assert_true(rf_rd(&f->d, RF_REG_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

/* ---- queues ------------------------------------------------------------------------------ */

static void test_queue_num_max_and_sel(void **state)
{
    struct fake *f = *state;
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_NUM_MAX), QMAX);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 1);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_NUM_MAX), QMAX);
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 2);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_NUM_MAX), 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 0xffffffff);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_NUM_MAX), 0);
}

static void test_queue_addresses_low_high(void **state)
{
    struct fake *f = *state;
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 1);
    rf_wr(&f->d, RF_REG_QUEUE_NUM, 4);
    rf_wr(&f->d, RF_REG_QUEUE_DESC_LOW, 0x12345000);
    rf_wr(&f->d, RF_REG_QUEUE_DESC_HIGH, 0x9);
    rf_wr(&f->d, RF_REG_QUEUE_DRIVER_HIGH, 0xa);
    rf_wr(&f->d, RF_REG_QUEUE_DRIVER_LOW, 0x23456002);
    rf_wr(&f->d, RF_REG_QUEUE_DEVICE_LOW, 0x34567004);
    rf_wr(&f->d, RF_REG_QUEUE_DEVICE_HIGH, 0xffffffff);
    assert_int_equal(f->d.vq[1].num, 4);
    assert_int_equal(f->d.vq[1].desc_ipa, 0x0000000912345000ULL);
    assert_int_equal(f->d.vq[1].avail_ipa, 0x0000000a23456002ULL);
    assert_int_equal(f->d.vq[1].used_ipa, 0xffffffff34567004ULL);
    /* rewriting one half keeps the other */
    rf_wr(&f->d, RF_REG_QUEUE_DESC_LOW, 0x40000000);
    assert_int_equal(f->d.vq[1].desc_ipa, 0x0000000940000000ULL);
    rf_wr(&f->d, RF_REG_QUEUE_DESC_HIGH, 0);
    assert_int_equal(f->d.vq[1].desc_ipa, 0x40000000ULL);
    rf_wr(&f->d, RF_REG_QUEUE_DEVICE_HIGH, 0);
    assert_int_equal(f->d.vq[1].used_ipa, 0x34567004ULL);
    /* queue 0 untouched */
    assert_int_equal(f->d.vq[0].num, 0);
    assert_int_equal(f->d.vq[0].desc_ipa, 0);
    assert_int_equal(f->d.vq[0].avail_ipa, 0);
    assert_int_equal(f->d.vq[0].used_ipa, 0);
}

static void test_queue_num_saturates(void **state)
{
    struct fake *f = *state;
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 0);
    rf_wr(&f->d, RF_REG_QUEUE_NUM, 0x10008); /* must not truncate to a legal 8 */
    assert_int_equal(f->d.vq[0].num, 0xffff);
}

static void test_queue_regs_ignored_for_missing_queue(void **state)
{
    struct fake *f = *state;
    rf_queue_program(&f->d, 2, 8, f->q0.desc, f->q0.avail, f->q0.used);
    rf_wr(&f->d, RF_REG_QUEUE_READY, 1);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
    assert_int_equal(f->faults, 0);
    for (int q = 0; q < 2; q++) {
        assert_int_equal(f->d.vq[q].num, 0);
        assert_int_equal(f->d.vq[q].desc_ipa, 0);
        assert_false(f->d.vq[q].ready);
    }
}

static void test_queue_ready_reads_0_then_1(void **state)
{
    struct fake *f = *state;
    assert_int_equal(rf_negotiate(&f->d, BIT(VIRTIO_F_VERSION_1)), ST_SETUP);
    rf_queue_program(&f->d, 1, QMAX, f->q1.desc, f->q1.avail, f->q1.used);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
    rf_wr(&f->d, RF_REG_QUEUE_READY, 1);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 1);
    assert_true(f->d.vq[1].ready);
    assert_int_equal(f->faults, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_SETUP);
    /* queue 0 is still not ready */
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
    /* and queue 1 can be switched off again */
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 1);
    rf_wr(&f->d, RF_REG_QUEUE_READY, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
}

static void test_live_queue_config_ignored(void **state)
{
    struct fake *f = *state;
    bring_up(f);
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 0);
    rf_wr(&f->d, RF_REG_QUEUE_NUM, 2);
    rf_wr(&f->d, RF_REG_QUEUE_DESC_LOW, 0x50000000);
    rf_wr(&f->d, RF_REG_QUEUE_DEVICE_HIGH, 1);
    assert_int_equal(f->d.vq[0].num, 8);
    assert_int_equal(f->d.vq[0].desc_ipa, f->q0.desc);
    assert_int_equal(f->d.vq[0].used_ipa, f->q0.used);
}

struct bad_cfg {
    uint32_t num;
    uint64_t desc, avail, used;
    enum vq_err err;
};

static void test_queue_ready_bad_config_needs_reset(void **state)
{
    struct fake *f = *state;
    const uint64_t d = f->q0.desc, a = f->q0.avail, u = f->q0.used;
    const struct bad_cfg cases[] = {
        {0, d, a, u, VQ_ERR_NUM_ZERO},
        {6, d, a, u, VQ_ERR_NUM_NOT_POW2},
        {QMAX * 2, d, a, u, VQ_ERR_NUM_TOO_BIG},
        {0x10008, d, a, u, VQ_ERR_NUM_TOO_BIG},
        {8, d + 8, a, u, VQ_ERR_RING_ALIGN},
        {8, d, a + 1, u, VQ_ERR_RING_ALIGN},
        {8, d, a, u + 2, VQ_ERR_RING_ALIGN},
        {8, RF_RAM_END, a, u, VQ_ERR_RING_RANGE},
        {8, d, a | (1ULL << 32), u, VQ_ERR_RING_RANGE},
        {8, d, a, RF_IPA_BASE - 0x1000, VQ_ERR_RING_RANGE},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        rf_wr(&f->d, RF_REG_STATUS, 0);
        clear_records(f);
        assert_false(f->irq_level);
        assert_int_equal(rf_negotiate(&f->d, BIT(VIRTIO_F_VERSION_1)), ST_SETUP);
        rf_queue_program(&f->d, 0, cases[i].num, cases[i].desc, cases[i].avail, cases[i].used);
        rf_wr(&f->d, RF_REG_QUEUE_READY, 1);
        assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
        assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), ST_SETUP | VIRTIO_STATUS_NEEDS_RESET);
        assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
        assert_true(f->irq_level);
        assert_int_equal(f->faults, 1);
        assert_string_equal(f->last_fault, vq_err_str(cases[i].err));
    }
}

/* ---- interrupts -------------------------------------------------------------------------- */

static void test_interrupt_ack_level(void **state)
{
    struct fake *f = *state;
    vmmio_raise(&f->d, VIRTIO_INT_VRING);
    assert_true(f->irq_level);
    vmmio_raise(&f->d, VIRTIO_INT_CONFIG);
    assert_true(f->irq_level);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), 3);
    rf_wr(&f->d, RF_REG_INTERRUPT_ACK, VIRTIO_INT_VRING);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
    assert_true(f->irq_level);                            /* still a pending cause: line stays up */
    rf_wr(&f->d, RF_REG_INTERRUPT_ACK, VIRTIO_INT_VRING); /* acking a clear bit changes nothing */
    assert_true(f->irq_level);
    rf_wr(&f->d, RF_REG_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), 0);
    assert_false(f->irq_level);
    /* both at once */
    vmmio_raise(&f->d, VIRTIO_INT_VRING | VIRTIO_INT_CONFIG);
    assert_true(f->irq_level);
    rf_wr(&f->d, RF_REG_INTERRUPT_ACK, 3);
    assert_false(f->irq_level);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), 0);
}

/* ---- reset ------------------------------------------------------------------------------- */

static void test_reset_clears_everything(void **state)
{
    struct fake *f = *state;
    bring_up(f);
    rf_wr(&f->d, RF_REG_DEVICE_FEATURES_SEL, 1);
    rf_wr(&f->d, RF_REG_QUEUE_SEL, 1);
    vmmio_raise(&f->d, VIRTIO_INT_VRING);
    vmmio_fail(&f->d, "boom");
    assert_true(f->irq_level);
    clear_records(f);

    rf_wr(&f->d, RF_REG_STATUS, 0);
    assert_int_equal(f->resets, 1);
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_INTERRUPT_STATUS), 0);
    assert_false(f->irq_level);
    assert_true(f->irq_calls >= 1);
    assert_int_equal(f->d.driver_features, 0);
    assert_int_equal(rf_rd(&f->d, RF_REG_DEVICE_FEATURES), 0x9); /* selector back to 0 */
    for (uint32_t q = 0; q < 2; q++) {
        rf_wr(&f->d, RF_REG_QUEUE_SEL, q);
        assert_int_equal(rf_rd(&f->d, RF_REG_QUEUE_READY), 0);
        assert_false(f->d.vq[q].ready);
        assert_int_equal(f->d.vq[q].num, 0);
        assert_int_equal(f->d.vq[q].desc_ipa, 0);
        assert_int_equal(f->d.vq[q].avail_ipa, 0);
        assert_int_equal(f->d.vq[q].used_ipa, 0);
        assert_int_equal(f->d.vq[q].last_avail, 0);
        assert_int_equal(f->d.vq[q].used_idx, 0);
    }
    /* notify right after reset goes nowhere */
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->notifies, 0);

    /* and the device works again after a fresh setup */
    clear_records(f);
    bring_up(f);
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 1);
    assert_int_equal(f->notifies, 1);
    assert_int_equal(f->notify_q[0], 1);
    assert_int_equal(f->faults, 0);
}

static void test_reset_without_pending_interrupt(void **state)
{
    struct fake *f = *state;
    bring_up(f);
    clear_records(f);
    rf_wr(&f->d, RF_REG_STATUS, 0);
    assert_int_equal(f->resets, 1);
    assert_false(f->irq_level);
}

/* ---- access widths ----------------------------------------------------------------------- */

static void test_register_wrong_widths_refused(void **state)
{
    struct fake *f = *state;
    static const uint32_t widths[] = {1, 2, 8};
    static const uint32_t regs[] = {RF_REG_MAGIC, RF_REG_STATUS, RF_REG_QUEUE_SEL,
                                    RF_REG_INTERRUPT_ACK, RF_REG_CONFIG_GENERATION};
    for (size_t r = 0; r < ARRAY_SIZE(regs); r++)
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
            uint32_t v = 0;
            assert_false(vmmio_read(&f->d, regs[r], widths[w], &v));
            assert_false(vmmio_write(&f->d, regs[r], widths[w], 1));
        }
    /* misaligned 32-bit accesses */
    static const uint32_t mis[] = {0x001, 0x002, 0x003, 0x071, 0x072, 0x0fe};
    for (size_t i = 0; i < ARRAY_SIZE(mis); i++) {
        uint32_t v = 0;
        assert_false(vmmio_read(&f->d, mis[i], 4, &v));
        assert_false(vmmio_write(&f->d, mis[i], 4, 1));
    }
    /* none of the refused writes took effect */
    assert_int_equal(rf_rd(&f->d, RF_REG_STATUS), 0);
    assert_int_equal(f->d.queue_sel, 0);
    assert_int_equal(f->cfg_reads + f->cfg_writes, 0);
}

static void test_config_passthrough(void **state)
{
    struct fake *f = *state;
    struct {
        uint32_t off, width;
    } ok[] = {{0x100, 1}, {0x101, 1}, {0x100, 2}, {0x102, 2}, {0x100, 4},
              {0x104, 4}, {0x1fc, 4}, {0x1fe, 2}, {0x1ff, 1}};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        uint32_t v = 0;
        clear_records(f);
        assert_true(vmmio_read(&f->d, ok[i].off, ok[i].width, &v));
        assert_int_equal(f->cfg_reads, 1);
        assert_int_equal(f->cfg_off, ok[i].off - 0x100);
        assert_int_equal(f->cfg_width, ok[i].width);
        assert_int_equal(v, 0xc0000000u | ((ok[i].off - 0x100) << 8) | ok[i].width);
        assert_true(vmmio_write(&f->d, ok[i].off, ok[i].width, 0xabcd1234));
        assert_int_equal(f->cfg_writes, 1);
        assert_int_equal(f->cfg_off, ok[i].off - 0x100);
        assert_int_equal(f->cfg_width, ok[i].width);
        assert_int_equal(f->cfg_val, 0xabcd1234);
    }
    /* misaligned or running past the window: refused before reaching the device */
    struct {
        uint32_t off, width;
    } bad[] = {{0x101, 2}, {0x102, 4}, {0x103, 4}, {0x1fe, 4}, {0x1ff, 2}, {0x1fc, 8}};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        uint32_t v = 0;
        clear_records(f);
        assert_false(vmmio_read(&f->d, bad[i].off, bad[i].width, &v));
        assert_false(vmmio_write(&f->d, bad[i].off, bad[i].width, 1));
        assert_int_equal(f->cfg_reads + f->cfg_writes, 0);
    }
    /* the device may refuse too */
    f->cfg_result = false;
    uint32_t v;
    assert_false(vmmio_read(&f->d, 0x100, 4, &v));
    assert_false(vmmio_write(&f->d, 0x100, 4, 0));
}

/* ---- notify ------------------------------------------------------------------------------ */

static void test_notify_gating(void **state)
{
    struct fake *f = *state;
    assert_int_equal(rf_negotiate(&f->d, BIT(VIRTIO_F_VERSION_1)), ST_SETUP);
    rf_queue_setup(&f->d, 0, &f->q0);
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 0); /* before DRIVER_OK */
    assert_int_equal(f->notifies, 0);
    rf_driver_ok(&f->d);
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->notifies, 1);
    assert_int_equal(f->notify_q[0], 0);
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 1); /* queue 1 not ready */
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 2); /* no such queue */
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 0xffffffff);
    assert_int_equal(f->notifies, 1);
    vmmio_fail(&f->d, "x"); /* NEEDS_RESET: no more notifies */
    rf_wr(&f->d, RF_REG_QUEUE_NOTIFY, 0);
    assert_int_equal(f->notifies, 1);
}

static void test_driver_ok_callback_once(void **state)
{
    struct fake *f = *state;
    bring_up(f);
    rf_driver_ok(&f->d);
    rf_driver_ok(&f->d);
    assert_int_equal(f->driver_oks, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_identity),
        T(test_misc_registers),
        T(test_device_features_halves),
        T(test_driver_features_halves),
        T(test_features_ok_accepted),
        T(test_features_ok_accepted_full_set),
        T(test_features_ok_refused_not_subset),
        T(test_features_ok_refused_without_version1),
        T(test_features_frozen_after_features_ok),
        T(test_status_reads_back),
        T(test_driver_cannot_set_needs_reset),
        T(test_needs_reset_sticky_until_reset),
        T(test_fail_raises_config_interrupt_once),
        T(test_queue_num_max_and_sel),
        T(test_queue_addresses_low_high),
        T(test_queue_num_saturates),
        T(test_queue_regs_ignored_for_missing_queue),
        T(test_queue_ready_reads_0_then_1),
        T(test_live_queue_config_ignored),
        T(test_queue_ready_bad_config_needs_reset),
        T(test_interrupt_ack_level),
        T(test_reset_clears_everything),
        T(test_reset_without_pending_interrupt),
        T(test_register_wrong_widths_refused),
        T(test_config_passthrough),
        T(test_notify_gating),
        T(test_driver_ok_callback_once),
    };
    return cmocka_run_group_tests_name("virtio_mmio", tests, NULL, NULL);
}
