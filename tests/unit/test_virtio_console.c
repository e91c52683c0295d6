/* virtio console (hypervisor/virtio_console.c) driven through its virtio-mmio registers. */
#include <stdio.h>

#include "hypervisor/virtio_console.h"
#include "tests/unit/ring_fixture.h"

#define COLS 0x0150 /* both > 255 so byte order matters */
#define ROWS 0x0123
#define QN 8
#define Q_RX 0
#define Q_TX 1
#define TXBUF(off) rf_buf_ipa(0x0000 + (off))
#define RXBUF(off) rf_buf_ipa(0x8000 + (off))
#define FEAT_ALL                                                                                   \
    (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_CONSOLE_F_SIZE) | BIT(VIRTIO_CONSOLE_F_EMERG_WRITE))
#define FEAT_NOSIZE (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_CONSOLE_F_EMERG_WRITE))
#define ST_SETUP (VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)
#define ST_LIVE (ST_SETUP | VIRTIO_STATUS_DRIVER_OK)

struct rec {
    uint8_t out[(1 << 20) + 65536]; /* the biggest chain the fixture's RAM holds, and more */
    size_t out_len;
    int output_calls;
    size_t max_call;   /* the longest single output() */
    size_t room;       /* bytes output() still accepts when may_wait (SIZE_MAX: no limit) */
    int refused_calls; /* output() calls that took less than offered */
    int nowait_calls;  /* output() calls with may_wait false */
    int tx_later_calls;
    bool irq_level;
    int irq_calls;
    int faults;
    char last_fault[128];
    int input_space_calls;
};

struct ct {
    struct rf_ram *ram;
    struct rf_ring rx, tx;
    struct vcon *c;
    struct rec h;
};

static size_t h_output(void *ctx, const uint8_t *buf, size_t len, bool may_wait)
{
    struct rec *h = ctx;
    size_t n = len;
    if (may_wait && h->room != SIZE_MAX) {
        n = MIN(len, h->room);
        h->room -= n;
    }
    if (!may_wait)
        h->nowait_calls++;
    if (n < len)
        h->refused_calls++;
    assert_true(h->out_len + n <= sizeof(h->out));
    memcpy(h->out + h->out_len, buf, n);
    h->out_len += n;
    h->output_calls++;
    h->max_call = MAX(h->max_call, len);
    return n;
}

static void h_tx_later(void *ctx)
{
    struct rec *h = ctx;
    h->tx_later_calls++;
}

static void h_set_irq(void *ctx, bool level)
{
    struct rec *h = ctx;
    h->irq_level = level;
    h->irq_calls++;
}

static void h_fault(void *ctx, const char *what)
{
    struct rec *h = ctx;
    h->faults++;
    snprintf(h->last_fault, sizeof(h->last_fault), "%s", what);
}

static void h_input_space(void *ctx)
{
    struct rec *h = ctx;
    h->input_space_calls++;
}

static const struct vcon_host host = {
    .output = h_output,
    .tx_later = h_tx_later,
    .set_irq = h_set_irq,
    .fault = h_fault,
    .input_space = h_input_space,
};

static int setup(void **state)
{
    struct ct *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->ram = rf_ram_new();
    rf_ring_init(&t->rx, t->ram, QN, RF_Q0_OFF);
    rf_ring_init(&t->tx, t->ram, QN, RF_Q1_OFF);
    t->c = malloc(sizeof(*t->c));
    assert_non_null(t->c);
    memset(t->c, 0xcc, sizeof(*t->c)); /* vcon_init must not rely on zeroed memory */
    t->h.room = SIZE_MAX;
    vcon_init(t->c, &t->ram->mem, COLS, ROWS, &host, &t->h);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct ct *t = *state;
    assert_true(rf_guards_intact(t->ram));
    rf_ram_free(t->ram);
    free(t->c);
    free(t);
    return 0;
}

static struct vmmio_dev *D(struct ct *t)
{
    return &t->c->mmio;
}

static void drv_up(struct ct *t, uint64_t features)
{
    assert_int_equal(rf_negotiate(D(t), features), ST_SETUP);
    rf_queue_setup(D(t), Q_RX, &t->rx);
    rf_queue_setup(D(t), Q_TX, &t->tx);
    rf_driver_ok(D(t));
    assert_int_equal(rf_rd(D(t), RF_REG_STATUS), ST_LIVE);
}

static uint32_t int_status(struct ct *t)
{
    return rf_rd(D(t), RF_REG_INTERRUPT_STATUS);
}

static void ack_all(struct ct *t)
{
    rf_wr(D(t), RF_REG_INTERRUPT_ACK, int_status(t));
    assert_false(t->h.irq_level);
}

static void cfg_read(struct ct *t, uint32_t off, uint32_t width, uint32_t expect)
{
    uint32_t v = 0xdeadbeef;
    assert_true(vmmio_read(D(t), RF_REG_CONFIG + off, width, &v));
    assert_int_equal(v, expect);
}

/* One device-readable descriptor holding s, made available (not notified). */
static void tx_put(struct ct *t, uint16_t desc, uint64_t ipa, const char *s)
{
    rf_buf_fill(t->ram, ipa, s, strlen(s));
    rf_desc(&t->tx, desc, ipa, (uint32_t)strlen(s), 0, 0);
    rf_avail_add(&t->tx, desc);
}

static void tx_notify(struct ct *t)
{
    rf_wr(D(t), RF_REG_QUEUE_NOTIFY, Q_TX);
}

static void rx_notify(struct ct *t)
{
    rf_wr(D(t), RF_REG_QUEUE_NOTIFY, Q_RX);
}

/* One device-writable descriptor of len bytes, pre-filled with 0xee, made available. */
static void rx_post(struct ct *t, uint16_t desc, uint64_t ipa, uint32_t len)
{
    memset(rf_hva(t->ram, ipa), 0xee, len);
    rf_desc(&t->rx, desc, ipa, len, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->rx, desc);
}

static void push_str(struct ct *t, const char *s)
{
    for (; *s; s++)
        assert_true(vcon_input_push(t->c, (uint8_t)*s));
}

static void assert_output(struct ct *t, const char *s)
{
    assert_int_equal(t->h.out_len, strlen(s));
    assert_memory_equal(t->h.out, s, strlen(s));
}

/* ---- identification and config space ----------------------------------------------------- */

static void test_identity_and_features(void **state)
{
    struct ct *t = *state;
    assert_int_equal(rf_rd(D(t), RF_REG_MAGIC), VIRTIO_MMIO_MAGIC);
    assert_int_equal(rf_rd(D(t), RF_REG_VERSION), 2);
    assert_int_equal(rf_rd(D(t), RF_REG_DEVICE_ID), VIRTIO_ID_CONSOLE);
    rf_wr(D(t), RF_REG_DEVICE_FEATURES_SEL, 0);
    /* SIZE and EMERG_WRITE, not MULTIPORT */
    assert_int_equal(rf_rd(D(t), RF_REG_DEVICE_FEATURES), 0x5);
    rf_wr(D(t), RF_REG_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(rf_rd(D(t), RF_REG_DEVICE_FEATURES), 0x1); /* VERSION_1 */
    for (uint32_t q = 0; q < 2; q++) {
        rf_wr(D(t), RF_REG_QUEUE_SEL, q);
        assert_int_equal(rf_rd(D(t), RF_REG_QUEUE_NUM_MAX), VQ_MAX_SIZE);
        assert_int_equal(rf_rd(D(t), RF_REG_QUEUE_READY), 0);
    }
    rf_wr(D(t), RF_REG_QUEUE_SEL, 2);
    assert_int_equal(rf_rd(D(t), RF_REG_QUEUE_NUM_MAX), 0);
    assert_int_equal(rf_rd(D(t), RF_REG_STATUS), 0);
    assert_int_equal(int_status(t), 0);
    assert_int_equal(vcon_input_held(t->c), 0);
    assert_int_equal(vcon_input_space(t->c), VCON_INBUF);
}

static void test_config_space_reads(void **state)
{
    struct ct *t = *state;
    /* struct virtio_console_config { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; } */
    cfg_read(t, 0x0, 2, COLS);
    cfg_read(t, 0x2, 2, ROWS);
    cfg_read(t, 0x0, 4, COLS | (ROWS << 16));
    cfg_read(t, 0x0, 1, COLS & 0xff);
    cfg_read(t, 0x1, 1, COLS >> 8);
    cfg_read(t, 0x2, 1, ROWS & 0xff);
    cfg_read(t, 0x3, 1, ROWS >> 8);
    cfg_read(t, 0x4, 4, 1); /* max_nr_ports */
    cfg_read(t, 0x4, 2, 1);
    cfg_read(t, 0x6, 2, 0);
    cfg_read(t, 0x4, 1, 1);
    cfg_read(t, 0x8, 4, 0); /* emerg_wr reads as zero */
    cfg_read(t, 0xc, 4, 0); /* beyond the structure */
    cfg_read(t, 0xfc, 4, 0);
    /* the same after the driver is up */
    drv_up(t, FEAT_ALL);
    cfg_read(t, 0x0, 4, COLS | (ROWS << 16));
    /* 64-bit config access and misaligned ones are refused */
    uint32_t v;
    assert_false(vmmio_read(D(t), RF_REG_CONFIG, 8, &v));
    assert_false(vmmio_read(D(t), RF_REG_CONFIG + 1, 2, &v));
    assert_false(vmmio_read(D(t), RF_REG_CONFIG + 2, 4, &v));
    assert_int_equal(t->h.out_len, 0);
}

static void test_config_space_read_only(void **state)
{
    struct ct *t = *state;
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 0, 2, 0xffff));
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 2, 2, 0xffff));
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 4, 4, 0xffff));
    cfg_read(t, 0x0, 4, COLS | (ROWS << 16));
    cfg_read(t, 0x4, 4, 1);
    assert_int_equal(t->h.out_len, 0);
}

static void test_emerg_write_before_setup(void **state)
{
    struct ct *t = *state;
    assert_int_equal(rf_rd(D(t), RF_REG_STATUS), 0);
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 8, 1, 'A'));
    assert_output(t, "A");
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 8, 4, 0x11223342)); /* low byte only */
    assert_output(t, "AB");
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 8, 2, 0x4443));
    assert_output(t, "ABC");
    /* other bytes of emerg_wr and other fields do not print */
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 9, 1, 'x'));
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 0xa, 2, 'x'));
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 0, 1, 'x'));
    assert_output(t, "ABC");
    assert_int_equal(int_status(t), 0);
    assert_int_equal(t->h.faults, 0);
    /* during setup, live, and in NEEDS_RESET too */
    assert_int_equal(rf_negotiate(D(t), FEAT_ALL), ST_SETUP);
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 8, 1, 'D'));
    rf_queue_setup(D(t), Q_RX, &t->rx);
    rf_queue_setup(D(t), Q_TX, &t->tx);
    rf_driver_ok(D(t));
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 8, 1, 'E'));
    vmmio_fail(D(t), "test");
    assert_true(vmmio_write(D(t), RF_REG_CONFIG + 8, 1, '\n'));
    assert_output(t, "ABCDE\n");
    assert_int_equal(t->h.nowait_calls, 6); /* emergency writes never wait */
}

static void test_driver_ok_with_size_raises_config_irq(void **state)
{
    struct ct *t = *state;
    assert_int_equal(rf_negotiate(D(t), FEAT_ALL), ST_SETUP);
    rf_queue_setup(D(t), Q_RX, &t->rx);
    rf_queue_setup(D(t), Q_TX, &t->tx);
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
    rf_driver_ok(D(t));
    assert_int_equal(int_status(t), VIRTIO_INT_CONFIG);
    assert_true(t->h.irq_level);
    assert_int_equal(t->h.faults, 0);
    assert_int_equal(rf_rd(D(t), RF_REG_STATUS), ST_LIVE); /* not a NEEDS_RESET */
    ack_all(t);
}

static void test_driver_ok_without_size_no_irq(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
}

/* ---- transmit ---------------------------------------------------------------------------- */

static void test_tx_single(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    tx_put(t, 3, TXBUF(0), "hello");
    tx_notify(t);
    assert_output(t, "hello");
    assert_int_equal(rf_used_idx(&t->tx), 1);
    rf_expect_used(&t->tx, 3, 0);
    assert_int_equal(t->h.nowait_calls, 0); /* virtio TX may wait */
    assert_int_equal(t->h.tx_later_calls, 0);
    /* Completed inside the notify trap: no used-buffer interrupt (see tx_process). */
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
    ack_all(t);
    /* a notify with nothing new changes nothing */
    tx_notify(t);
    assert_output(t, "hello");
    assert_int_equal(int_status(t), 0);
}

static void test_tx_multi_segment_and_order(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_buf_fill(t->ram, TXBUF(0x200), "abc", 3);
    rf_buf_fill(t->ram, TXBUF(0x100), "defg", 4);
    rf_buf_fill(t->ram, TXBUF(0x300), "h", 1);
    rf_desc(&t->tx, 6, TXBUF(0x200), 3, VRING_DESC_F_NEXT, 1);
    rf_desc(&t->tx, 1, TXBUF(0x100), 4, VRING_DESC_F_NEXT, 4);
    rf_desc(&t->tx, 4, TXBUF(0x300), 1, 0, 0);
    rf_avail_add(&t->tx, 6);
    tx_put(t, 0, TXBUF(0x400), "-ij");
    tx_put(t, 2, TXBUF(0x500), "kl\n");
    tx_notify(t);
    assert_output(t, "abcdefgh-ijkl\n");
    assert_int_equal(rf_used_idx(&t->tx), 3);
    rf_expect_used(&t->tx, 6, 0);
    rf_expect_used(&t->tx, 0, 0);
    rf_expect_used(&t->tx, 2, 0);
    assert_int_equal(t->h.faults, 0);
}

static void test_tx_many_cycles_wrap_ring(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    char expect[3 * 40 + 1] = {0};
    for (int i = 0; i < 40; i++) { /* 5 trips round an 8-entry ring */
        char s[16];
        snprintf(s, sizeof(s), "%02u,", (unsigned)i);
        tx_put(t, (uint16_t)(i % QN), TXBUF(0x10 * (i % QN)), s);
        tx_notify(t);
        rf_expect_used(&t->tx, (uint32_t)(i % QN), 0);
        strcat(expect, s);
    }
    assert_output(t, expect);
}

static void test_tx_no_interrupt_flag(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_avail_set_flags(&t->tx, VRING_AVAIL_F_NO_INTERRUPT);
    tx_put(t, 0, TXBUF(0), "quiet");
    tx_notify(t);
    assert_output(t, "quiet");
    rf_expect_used(&t->tx, 0, 0);
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
}

static void assert_needs_reset(struct ct *t)
{
    assert_true(rf_rd(D(t), RF_REG_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(int_status(t) & VIRTIO_INT_CONFIG);
    assert_true(t->h.irq_level);
    assert_true(t->h.faults >= 1);
}

static void test_tx_head_out_of_range(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_avail_add(&t->tx, QN); /* head 8 in an 8-entry table */
    tx_notify(t);
    assert_needs_reset(t);
    assert_string_equal(t->h.last_fault, vq_err_str(VQ_ERR_HEAD_RANGE));
    assert_int_equal(rf_used_idx(&t->tx), 0); /* nothing can be completed */
    assert_int_equal(t->h.out_len, 0);
    /* a broken device ignores further notifies */
    tx_put(t, 0, TXBUF(0), "late");
    tx_notify(t);
    assert_int_equal(t->h.out_len, 0);
}

static void test_tx_writable_buffer(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_buf_fill(t->ram, TXBUF(0), "nope", 4);
    rf_desc(&t->tx, 5, TXBUF(0), 4, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->tx, 5);
    tx_notify(t);
    assert_needs_reset(t);
    assert_string_equal(t->h.last_fault, vq_err_str(VQ_ERR_DIRECTION));
    assert_int_equal(t->h.out_len, 0);
    /* the valid head is completed with length 0 so a polling driver does not hang */
    assert_int_equal(rf_used_idx(&t->tx), 1);
    rf_expect_used(&t->tx, 5, 0);
    assert_int_equal(int_status(t), VIRTIO_INT_CONFIG);
}

static void test_tx_chain_validated_before_output(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    tx_put(t, 0, TXBUF(0), "ok ");
    rf_buf_fill(t->ram, TXBUF(0x100), "AB", 2);
    rf_buf_fill(t->ram, TXBUF(0x200), "CD", 2);
    rf_desc(&t->tx, 1, TXBUF(0x100), 2, VRING_DESC_F_NEXT, 2);
    rf_desc(&t->tx, 2, TXBUF(0x200), 2, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->tx, 1);
    tx_notify(t);
    assert_output(t, "ok "); /* the first chain went out, nothing of the bad one */
    assert_needs_reset(t);
    rf_expect_used(&t->tx, 0, 0);
    rf_expect_used(&t->tx, 1, 0);
}

static void test_tx_loop_and_outside_ram(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_desc(&t->tx, 0, TXBUF(0), 4, VRING_DESC_F_NEXT, 0);
    rf_avail_add(&t->tx, 0);
    tx_notify(t);
    assert_needs_reset(t);
    assert_string_equal(t->h.last_fault, vq_err_str(VQ_ERR_LOOP));
    rf_expect_used(&t->tx, 0, 0);
    assert_int_equal(t->h.out_len, 0);

    rf_wr(D(t), RF_REG_STATUS, 0);
    rf_ring_init(&t->rx, t->ram, QN, RF_Q0_OFF);
    rf_ring_init(&t->tx, t->ram, QN, RF_Q1_OFF);
    drv_up(t, FEAT_NOSIZE);
    rf_desc(&t->tx, 0, RF_RAM_END - 2, 4, 0, 0);
    rf_avail_add(&t->tx, 0);
    tx_notify(t);
    assert_needs_reset(t);
    assert_string_equal(t->h.last_fault, vq_err_str(VQ_ERR_BUF_RANGE));
    rf_expect_used(&t->tx, 0, 0);
    assert_int_equal(t->h.out_len, 0);
}

static void test_reset_then_works_again(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_ALL);
    rf_avail_add(&t->tx, 0xffff);
    tx_notify(t);
    assert_needs_reset(t);

    rf_wr(D(t), RF_REG_STATUS, 0);
    assert_int_equal(rf_rd(D(t), RF_REG_STATUS), 0);
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
    for (uint32_t q = 0; q < 2; q++) {
        rf_wr(D(t), RF_REG_QUEUE_SEL, q);
        assert_int_equal(rf_rd(D(t), RF_REG_QUEUE_READY), 0);
    }
    int faults = t->h.faults;

    /* fresh rings, fresh setup */
    rf_ring_init(&t->rx, t->ram, QN, RF_Q0_OFF);
    rf_ring_init(&t->tx, t->ram, QN, RF_Q1_OFF);
    drv_up(t, FEAT_ALL);
    ack_all(t);
    tx_put(t, 0, TXBUF(0), "again");
    tx_notify(t);
    assert_output(t, "again");
    rf_expect_used(&t->tx, 0, 0);
    assert_int_equal(int_status(t), 0);
    assert_int_equal(t->h.faults, faults);
    push_str(t, "in");
    rx_post(t, 0, RXBUF(0), 8);
    rx_notify(t);
    rf_expect_used(&t->rx, 0, 2);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0)), "in", 2);
}

/* ---- receive ----------------------------------------------------------------------------- */

static void test_rx_held_until_buffer_posted(void **state)
{
    struct ct *t = *state;
    push_str(t, "hi"); /* before the driver exists */
    assert_int_equal(vcon_input_held(t->c), 2);
    assert_int_equal(vcon_input_space(t->c), VCON_INBUF - 2);
    drv_up(t, FEAT_NOSIZE);
    vcon_rx_deliver(t->c); /* no buffer posted */
    rx_notify(t);
    assert_int_equal(vcon_input_held(t->c), 2);
    assert_int_equal(rf_used_idx(&t->rx), 0);
    assert_int_equal(t->h.input_space_calls, 0);
    assert_int_equal(int_status(t), 0);

    rx_post(t, 2, RXBUF(0), 16);
    rx_notify(t);
    rf_expect_used(&t->rx, 2, 2);
    uint8_t *b = rf_hva(t->ram, RXBUF(0));
    assert_memory_equal(b, "hi", 2);
    assert_int_equal(b[2], 0xee); /* nothing beyond the used length */
    assert_int_equal(vcon_input_held(t->c), 0);
    assert_true(t->h.input_space_calls >= 1);
    assert_int_equal(int_status(t), VIRTIO_INT_VRING);
    assert_true(t->h.irq_level);
    assert_int_equal(t->h.faults, 0);
}

static void test_rx_deliver_with_buffer_waiting(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rx_post(t, 0, RXBUF(0), 16);
    rx_notify(t); /* nothing held: the buffer stays posted */
    assert_int_equal(rf_used_idx(&t->rx), 0);
    push_str(t, "key");
    vcon_rx_deliver(t->c); /* what the multiplexer calls after pushing */
    rf_expect_used(&t->rx, 0, 3);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0)), "key", 3);
}

static void test_rx_not_before_driver_ok(void **state)
{
    struct ct *t = *state;
    assert_int_equal(rf_negotiate(D(t), FEAT_NOSIZE), ST_SETUP);
    rf_queue_setup(D(t), Q_RX, &t->rx);
    rf_queue_setup(D(t), Q_TX, &t->tx);
    rx_post(t, 0, RXBUF(0), 16);
    push_str(t, "early");
    vcon_rx_deliver(t->c);
    assert_int_equal(rf_used_idx(&t->rx), 0);
    assert_int_equal(vcon_input_held(t->c), 5);
    rf_driver_ok(D(t));
    vcon_rx_deliver(t->c);
    rf_expect_used(&t->rx, 0, 5);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0)), "early", 5);
}

/* A driver that posts and notifies before DRIVER_OK (FreeBSD's vtcon posts its receive buffers
 * during attach): the notifies are not acted on then, but DRIVER_OK looks at both queues, so
 * held input and posted output move at once, not at the next keystroke or notify. */
static void test_driver_ok_scans_queues(void **state)
{
    struct ct *t = *state;
    assert_int_equal(rf_negotiate(D(t), FEAT_NOSIZE), ST_SETUP);
    rf_queue_setup(D(t), Q_RX, &t->rx);
    rf_queue_setup(D(t), Q_TX, &t->tx);
    push_str(t, "held");
    rx_post(t, 0, RXBUF(0), 16);
    rx_notify(t);
    tx_put(t, 0, TXBUF(0), "early out");
    tx_notify(t);
    assert_int_equal(rf_used_idx(&t->rx), 0);
    assert_int_equal(rf_used_idx(&t->tx), 0);
    assert_int_equal(t->h.out_len, 0);
    rf_driver_ok(D(t));
    rf_expect_used(&t->rx, 0, 4);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0)), "held", 4);
    assert_int_equal(rf_used_idx(&t->tx), 1);
    assert_output(t, "early out");
    assert_true(int_status(t) & VIRTIO_INT_VRING);
    assert_true(t->h.irq_level);
}

static void test_rx_partial_across_buffers(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rx_post(t, 4, RXBUF(0x000), 4);
    rx_post(t, 1, RXBUF(0x100), 4);
    rx_post(t, 7, RXBUF(0x200), 8);
    rx_post(t, 0, RXBUF(0x300), 4);
    push_str(t, "0123456789");
    vcon_rx_deliver(t->c);
    assert_int_equal(rf_used_idx(&t->rx), 3); /* the fourth buffer stays posted */
    rf_expect_used(&t->rx, 4, 4);
    rf_expect_used(&t->rx, 1, 4);
    rf_expect_used(&t->rx, 7, 2);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0x000)), "0123", 4);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0x100)), "4567", 4);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0x200)), "89\xee\xee", 4);
    assert_int_equal(*rf_hva(t->ram, RXBUF(0x300)), 0xee);
    assert_int_equal(vcon_input_held(t->c), 0);
    /* later input lands in the remaining buffer */
    push_str(t, "xyz");
    rx_notify(t);
    rf_expect_used(&t->rx, 0, 3);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0x300)), "xyz", 3);
}

static void test_rx_multi_segment_chain(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    memset(rf_hva(t->ram, RXBUF(0)), 0xee, 0x200);
    rf_desc(&t->rx, 3, RXBUF(0x100), 3, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 5);
    rf_desc(&t->rx, 5, RXBUF(0x000), 5, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&t->rx, 3);
    push_str(t, "abcdef");
    vcon_rx_deliver(t->c);
    rf_expect_used(&t->rx, 3, 6);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0x100)), "abc\xee", 4);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0x000)), "def\xee\xee\xee", 6);
}

static void test_rx_capacity_nothing_lost(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    uint8_t *expect = malloc(VCON_INBUF + 1000);
    assert_non_null(expect);
    size_t nexp = 0;
    for (uint32_t i = 0; i < VCON_INBUF; i++) {
        expect[nexp] = (uint8_t)(i * 7 + 3);
        assert_true(vcon_input_push(t->c, expect[nexp]));
        nexp++;
    }
    assert_int_equal(vcon_input_held(t->c), VCON_INBUF);
    assert_int_equal(vcon_input_space(t->c), 0);
    assert_false(vcon_input_push(t->c, 0x55)); /* refused, not overwritten */
    assert_int_equal(vcon_input_held(t->c), VCON_INBUF);
    assert_int_equal(t->h.input_space_calls, 0);

    /* drain in rounds of 8 x 100 bytes, pushing a little more each round (index wraps) */
    uint8_t *got = malloc(VCON_INBUF + 1000);
    assert_non_null(got);
    size_t ngot = 0;
    uint32_t extra = 0;
    while (vcon_input_held(t->c)) {
        for (uint16_t k = 0; k < QN; k++)
            rx_post(t, k, RXBUF(0x100ULL * k), 100);
        int calls = t->h.input_space_calls;
        vcon_rx_deliver(t->c);
        assert_true(t->h.input_space_calls > calls);
        while (rf_used_idx(&t->rx) != t->rx.used_seen) {
            uint32_t id, len;
            rf_used_elem(&t->rx, t->rx.used_seen, &id, &len);
            assert_true(id < QN);
            assert_true(len <= 100);
            memcpy(got + ngot, rf_hva(t->ram, RXBUF(0x100ULL * id)), len);
            ngot += len;
            t->rx.used_seen++;
        }
        /* buffers that received nothing remain posted: restart the ring state cleanly */
        if (t->rx.avail_idx != rf_used_idx(&t->rx))
            break;
        if (extra < 1000) {
            for (int j = 0; j < 100; j++, extra++) {
                expect[nexp] = (uint8_t)(0x80 + extra);
                assert_true(vcon_input_push(t->c, expect[nexp]));
                nexp++;
            }
        }
    }
    assert_int_equal(vcon_input_held(t->c), 0);
    assert_int_equal(ngot, nexp);
    assert_memory_equal(got, expect, nexp);
    assert_int_equal(vcon_input_space(t->c), VCON_INBUF);
    assert_int_equal(t->h.faults, 0);
    free(got);
    free(expect);
}

static void test_input_pop_and_space_callback(void **state)
{
    struct ct *t = *state;
    push_str(t, "ab");
    assert_int_equal(t->h.input_space_calls, 0); /* pushing never signals space */
    uint8_t b = 0;
    assert_true(vcon_input_pop(t->c, &b));
    assert_int_equal(b, 'a');
    assert_int_equal(t->h.input_space_calls, 1);
    assert_true(vcon_input_pop(t->c, &b));
    assert_int_equal(b, 'b');
    assert_int_equal(t->h.input_space_calls, 2);
    assert_false(vcon_input_pop(t->c, &b));
    assert_int_equal(vcon_input_held(t->c), 0);
}

static void test_rx_no_interrupt_flag(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_avail_set_flags(&t->rx, VRING_AVAIL_F_NO_INTERRUPT);
    rx_post(t, 0, RXBUF(0), 8);
    push_str(t, "z");
    vcon_rx_deliver(t->c);
    rf_expect_used(&t->rx, 0, 1);
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
}

static void test_rx_malformed_keeps_input(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_desc(&t->rx, 2, RXBUF(0), 8, 0 /* read-only: wrong for RX */, 0);
    rf_avail_add(&t->rx, 2);
    push_str(t, "keep");
    rx_notify(t);
    assert_needs_reset(t);
    assert_string_equal(t->h.last_fault, vq_err_str(VQ_ERR_DIRECTION));
    rf_expect_used(&t->rx, 2, 0);
    assert_int_equal(vcon_input_held(t->c), 4); /* the typed bytes are not lost */

    /* held input survives the reset and reaches the new driver */
    rf_wr(D(t), RF_REG_STATUS, 0);
    assert_int_equal(vcon_input_held(t->c), 4);
    rf_ring_init(&t->rx, t->ram, QN, RF_Q0_OFF);
    rf_ring_init(&t->tx, t->ram, QN, RF_Q1_OFF);
    drv_up(t, FEAT_NOSIZE);
    rx_post(t, 0, RXBUF(0x40), 8);
    rx_notify(t);
    rf_expect_used(&t->rx, 0, 4);
    assert_memory_equal(rf_hva(t->ram, RXBUF(0x40)), "keep", 4);
}

/*
 * Spec 2.7.10 (no EVENT_IDX): after the device writes to the used ring and avail.flags is 0, it
 * MUST send a used buffer notification. The TX error path does (test_tx_writable_buffer); the
 * RX one must as well when it completes the bad head with length 0.
 */
static void test_rx_malformed_completion_notifies(void **state)
{
    struct ct *t = *state;
    drv_up(t, FEAT_NOSIZE);
    rf_desc(&t->rx, 1, RXBUF(0), 8, 0 /* read-only: wrong for RX */, 0);
    rf_avail_add(&t->rx, 1);
    push_str(t, "k");
    vcon_rx_deliver(t->c);
    assert_needs_reset(t);
    rf_expect_used(&t->rx, 1, 0);
    assert_int_equal(int_status(t), VIRTIO_INT_CONFIG | VIRTIO_INT_VRING);
}

/* ---- transmit: the per-exit budget, a full host, resume --------------------------------- */

#define BQN 128 /* a transmit ring big enough for long chains and many small ones */
#define BIG_SEGS 16
/* The fixture has 1 MiB of guest RAM with the rings below RF_BUF_OFF: 16 x 64 KiB does not fit,
 * 16 x 60 KiB fills the rest of it exactly (the last byte of RAM included). */
#define BIG_SEG_LEN ((uint32_t)((RF_RAM_SIZE - RF_BUF_OFF) / BIG_SEGS))
#define CHAINS_PER_EXIT (VCON_TX_BUDGET / VCON_TX_CHAIN_COST)

_Static_assert(BIG_SEG_LEN >= 0xf000, "each segment is far bigger than one exit's budget");

static void drv_up_bq(struct ct *t)
{
    rf_ring_init(&t->tx, t->ram, BQN, RF_Q1_OFF);
    drv_up(t, FEAT_NOSIZE);
}

/* Pseudo-random bytes, so that a byte lost, repeated or reordered shows. */
static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (uint8_t)(x >> 24);
    }
}

/* One chain of nseg device-readable descriptors (first, first+1, ...), segment i of len[i]
 * bytes, the segments back to back in guest memory from ipa; made available, not notified. */
static void chain_put(struct ct *t, uint16_t first, uint16_t nseg, const uint32_t *len,
                      uint64_t ipa)
{
    for (uint16_t i = 0; i < nseg; i++) {
        bool last = i == nseg - 1;
        rf_desc(&t->tx, (uint16_t)(first + i), ipa, len[i], last ? 0 : VRING_DESC_F_NEXT,
                last ? 0 : (uint16_t)(first + i + 1));
        ipa += len[i];
    }
    rf_avail_add(&t->tx, first);
}

static void test_tx_budget_big_chain(void **state)
{
    struct ct *t = *state;
    drv_up_bq(t);
    uint32_t lens[BIG_SEGS];
    for (int i = 0; i < BIG_SEGS; i++)
        lens[i] = BIG_SEG_LEN;
    const size_t total = (size_t)BIG_SEGS * BIG_SEG_LEN;
    assert_true(TXBUF(total) == RF_RAM_END);
    uint8_t *src = rf_hva(t->ram, TXBUF(0));
    fill_pattern(src, total, 1);
    chain_put(t, 0, BIG_SEGS, lens, TXBUF(0));

    tx_notify(t);
    /* one exit: at most one budget's worth, and a request to go on later */
    assert_true(t->h.out_len > 0);
    assert_true(t->h.out_len <= VCON_TX_BUDGET);
    assert_int_equal(t->h.tx_later_calls, 1);
    assert_int_equal(rf_used_idx(&t->tx), 0);
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
    assert_int_equal(t->h.refused_calls, 0);
    assert_memory_equal(t->h.out, src, t->h.out_len);

    int resumes = 0;
    while (rf_used_idx(&t->tx) == 0) {
        size_t before = t->h.out_len;
        int later = t->h.tx_later_calls;
        vcon_tx_resume(t->c);
        resumes++;
        assert_true(resumes <= (int)(total / (VCON_TX_BUDGET / 2)));
        size_t moved = t->h.out_len - before;
        assert_true(moved > 0);
        assert_true(moved <= VCON_TX_BUDGET);
        if (rf_used_idx(&t->tx) == 0) {
            /* still going: exactly one more request, no interrupt yet */
            assert_int_equal(t->h.tx_later_calls, later + 1);
            assert_int_equal(int_status(t), 0);
        }
    }
    assert_true(resumes >= (int)((total - VCON_TX_BUDGET) / VCON_TX_BUDGET));
    assert_int_equal(t->h.out_len, total);
    assert_memory_equal(t->h.out, src, total); /* in order, nothing lost or repeated */
    assert_int_equal(rf_used_idx(&t->tx), 1);
    rf_expect_used(&t->tx, 0, 0);
    /* completed outside the notify trap: the driver needs the used-buffer interrupt */
    assert_int_equal(int_status(t), VIRTIO_INT_VRING);
    assert_true(t->h.irq_level);
    assert_int_equal(t->h.faults, 0);
    assert_int_equal(t->h.nowait_calls, 0);
    ack_all(t);

    /* nothing left: a resume does nothing and asks for nothing */
    int later = t->h.tx_later_calls;
    vcon_tx_resume(t->c);
    assert_int_equal(t->h.out_len, total);
    assert_int_equal(t->h.tx_later_calls, later);
    assert_int_equal(int_status(t), 0);
}

static void test_tx_short_chains_in_notify_no_interrupt(void **state)
{
    struct ct *t = *state;
    drv_up_bq(t);
    tx_put(t, 0, TXBUF(0), "one ");
    uint32_t lens[3] = {5, 1000, 7};
    uint8_t *src = rf_hva(t->ram, TXBUF(0x100));
    fill_pattern(src, 1012, 2);
    chain_put(t, 1, 3, lens, TXBUF(0x100));
    tx_notify(t);
    assert_int_equal(t->h.out_len, 4 + 1012);
    assert_memory_equal(t->h.out, "one ", 4);
    assert_memory_equal(t->h.out + 4, src, 1012);
    rf_expect_used(&t->tx, 0, 0);
    rf_expect_used(&t->tx, 1, 0);
    assert_int_equal(rf_used_idx(&t->tx), 2);
    assert_int_equal(int_status(t), 0);
    assert_false(t->h.irq_level);
    assert_int_equal(t->h.tx_later_calls, 0);
    /* and a resume with nothing to do neither sends nor interrupts */
    vcon_tx_resume(t->c);
    assert_int_equal(t->h.out_len, 4 + 1012);
    assert_int_equal(int_status(t), 0);
    assert_int_equal(t->h.tx_later_calls, 0);
}

static void test_tx_host_full_stops_then_resumes_exactly(void **state)
{
    struct ct *t = *state;
    drv_up_bq(t);
    uint32_t lens[3] = {1000, 1500, 700};
    uint8_t *src = rf_hva(t->ram, TXBUF(0));
    fill_pattern(src, 3200 + 6, 3);
    chain_put(t, 0, 3, lens, TXBUF(0));
    memcpy(src + 3200, "after!", 6);
    rf_desc(&t->tx, 3, TXBUF(3200), 6, 0, 0); /* a second chain behind it */
    rf_avail_add(&t->tx, 3);

    t->h.room = 1234; /* mid second segment */
    tx_notify(t);
    assert_int_equal(t->h.out_len, 1234);
    assert_memory_equal(t->h.out, src, 1234);
    assert_true(t->h.refused_calls >= 1);
    assert_int_equal(t->h.tx_later_calls, 0); /* the host wakes us, not the budget */
    assert_int_equal(rf_used_idx(&t->tx), 0);
    assert_int_equal(int_status(t), 0);

    /* still full: a resume and a fresh kick from the driver move nothing */
    vcon_tx_resume(t->c);
    tx_notify(t);
    assert_int_equal(t->h.out_len, 1234);
    assert_int_equal(t->h.tx_later_calls, 0);
    assert_int_equal(rf_used_idx(&t->tx), 0);

    /* a little room: exactly that much more, from exactly where it stopped */
    t->h.room = 1000;
    vcon_tx_resume(t->c);
    assert_int_equal(t->h.out_len, 2234);
    assert_memory_equal(t->h.out, src, 2234);
    assert_int_equal(rf_used_idx(&t->tx), 0);
    assert_int_equal(int_status(t), 0);

    /* room again: the rest, the chain completed outside the notify with an interrupt */
    t->h.room = SIZE_MAX;
    vcon_tx_resume(t->c);
    assert_int_equal(t->h.out_len, 3206);
    assert_memory_equal(t->h.out, src, 3206);
    assert_int_equal(rf_used_idx(&t->tx), 2);
    rf_expect_used(&t->tx, 0, 0);
    rf_expect_used(&t->tx, 3, 0);
    assert_int_equal(int_status(t), VIRTIO_INT_VRING);
    assert_int_equal(t->h.tx_later_calls, 0);
    assert_int_equal(t->h.faults, 0);
    ack_all(t);

    /* the same, finished by the driver's own kick: completed in the trap, no interrupt */
    uint32_t l2[2] = {300, 300};
    fill_pattern(rf_hva(t->ram, TXBUF(0x2000)), 600, 4);
    chain_put(t, 10, 2, l2, TXBUF(0x2000));
    t->h.room = 450;
    tx_notify(t);
    assert_int_equal(t->h.out_len, 3206 + 450);
    t->h.room = SIZE_MAX;
    tx_notify(t);
    assert_int_equal(t->h.out_len, 3206 + 600);
    assert_memory_equal(t->h.out + 3206, rf_hva(t->ram, TXBUF(0x2000)), 600);
    rf_expect_used(&t->tx, 10, 0);
    assert_int_equal(int_status(t), 0);
}

static void test_tx_many_tiny_chains_bounded_per_exit(void **state)
{
    struct ct *t = *state;
    drv_up_bq(t);
    enum { N = 100 };
    _Static_assert(N > CHAINS_PER_EXIT && N < BQN, "more chains than one exit may take");
    uint8_t expect[N];
    for (uint16_t i = 0; i < N; i++) {
        expect[i] = (uint8_t)(' ' + i % 90);
        rf_buf_fill(t->ram, TXBUF(i), &expect[i], 1);
        rf_desc(&t->tx, i, TXBUF(i), 1, 0, 0);
        rf_avail_add(&t->tx, i);
    }
    tx_notify(t);
    uint16_t done = rf_used_idx(&t->tx);
    assert_true(done > 0);
    assert_true(done <= CHAINS_PER_EXIT);
    assert_int_equal(t->h.tx_later_calls, 1);
    assert_int_equal(int_status(t), 0); /* the ones completed in the trap */
    int exits = 1;
    while (rf_used_idx(&t->tx) != N) {
        uint16_t before = rf_used_idx(&t->tx);
        vcon_tx_resume(t->c);
        exits++;
        uint16_t now = rf_used_idx(&t->tx);
        assert_true(now > before);
        assert_true(now - before <= CHAINS_PER_EXIT);
        assert_true(exits < 10);
    }
    assert_true(exits >= (N + CHAINS_PER_EXIT - 1) / CHAINS_PER_EXIT);
    for (uint16_t i = 0; i < N; i++)
        rf_expect_used(&t->tx, i, 0);
    assert_int_equal(t->h.out_len, N);
    assert_memory_equal(t->h.out, expect, N);
    assert_int_equal(int_status(t), VIRTIO_INT_VRING);
    assert_int_equal(t->h.faults, 0);
}

static void test_tx_reset_forgets_half_sent_chain(void **state)
{
    struct ct *t = *state;
    drv_up_bq(t);
    uint32_t lens[2] = {20000, 20000};
    fill_pattern(rf_hva(t->ram, TXBUF(0)), 40000, 5);
    chain_put(t, 0, 2, lens, TXBUF(0));
    tx_notify(t);
    size_t sent = t->h.out_len;
    assert_true(sent > 0 && sent < 40000);
    assert_int_equal(t->h.tx_later_calls, 1);

    rf_wr(D(t), RF_REG_STATUS, 0);
    vcon_tx_resume(t->c); /* the resume that was already on its way */
    assert_int_equal(t->h.out_len, sent);
    assert_int_equal(int_status(t), 0);

    /* a new driver, new rings: only its own bytes go out, nothing of the old chain */
    rf_ring_init(&t->rx, t->ram, QN, RF_Q0_OFF);
    drv_up_bq(t);
    tx_put(t, 5, TXBUF(0x20000), "fresh");
    tx_notify(t);
    assert_int_equal(t->h.out_len, sent + 5);
    assert_memory_equal(t->h.out + sent, "fresh", 5);
    assert_int_equal(rf_used_idx(&t->tx), 1);
    rf_expect_used(&t->tx, 5, 0);
    vcon_tx_resume(t->c);
    assert_int_equal(t->h.out_len, sent + 5);
    assert_int_equal(rf_used_idx(&t->tx), 1);
    assert_int_equal(t->h.faults, 0);
}

/* Found by tests/fuzz/fuzz_virtio_console: a chain half sent when the driver disables its queue
 * (QueueReady=0) belongs to rings the driver has given up. It must not go on into the queue the
 * driver sets up next, whose size may not even hold its head index. */
static void test_tx_queue_disable_forgets_half_sent_chain(void **state)
{
    struct ct *t = *state;
    drv_up_bq(t);
    uint32_t lens[2] = {20000, 20000};
    fill_pattern(rf_hva(t->ram, TXBUF(0)), 40000, 6);
    chain_put(t, 6, 2, lens, TXBUF(0));
    tx_notify(t);
    size_t sent = t->h.out_len;
    assert_true(sent > 0 && sent < 40000);
    assert_int_equal(t->h.tx_later_calls, 1);

    rf_wr(D(t), RF_REG_QUEUE_SEL, Q_TX);
    rf_wr(D(t), RF_REG_QUEUE_READY, 0);
    assert_int_equal(rf_rd(D(t), RF_REG_QUEUE_READY), 0);
    rf_ring_init(&t->tx, t->ram, 2, RF_Q1_OFF); /* a smaller queue: head 6 is out of its range */
    rf_queue_setup(D(t), Q_TX, &t->tx);
    vcon_tx_resume(t->c); /* the resume that was already on its way */
    assert_int_equal(t->h.out_len, sent);
    assert_int_equal(rf_used_idx(&t->tx), 0);

    tx_put(t, 1, TXBUF(0x20000), "fresh");
    tx_notify(t);
    assert_int_equal(t->h.out_len, sent + 5);
    assert_memory_equal(t->h.out + sent, "fresh", 5);
    assert_int_equal(rf_used_idx(&t->tx), 1);
    rf_expect_used(&t->tx, 1, 0);
    assert_int_equal(t->h.faults, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_identity_and_features),
        T(test_config_space_reads),
        T(test_config_space_read_only),
        T(test_emerg_write_before_setup),
        T(test_driver_ok_with_size_raises_config_irq),
        T(test_driver_ok_without_size_no_irq),
        T(test_tx_single),
        T(test_tx_multi_segment_and_order),
        T(test_tx_many_cycles_wrap_ring),
        T(test_tx_no_interrupt_flag),
        T(test_tx_head_out_of_range),
        T(test_tx_writable_buffer),
        T(test_tx_chain_validated_before_output),
        T(test_tx_loop_and_outside_ram),
        T(test_reset_then_works_again),
        T(test_rx_held_until_buffer_posted),
        T(test_rx_deliver_with_buffer_waiting),
        T(test_rx_not_before_driver_ok),
        T(test_driver_ok_scans_queues),
        T(test_rx_partial_across_buffers),
        T(test_rx_multi_segment_chain),
        T(test_rx_capacity_nothing_lost),
        T(test_input_pop_and_space_callback),
        T(test_rx_no_interrupt_flag),
        T(test_rx_malformed_keeps_input),
        T(test_rx_malformed_completion_notifies),
        T(test_tx_budget_big_chain),
        T(test_tx_short_chains_in_notify_no_interrupt),
        T(test_tx_host_full_stops_then_resumes_exactly),
        T(test_tx_many_tiny_chains_bounded_per_exit),
        T(test_tx_reset_forgets_half_sent_chain),
        T(test_tx_queue_disable_forgets_half_sent_chain),
    };
    return cmocka_run_group_tests_name("virtio_console", tests, NULL, NULL);
}
