/*
 * The multiport device (hypervisor/virtio_multiport.c) with two zones wired by a link, each
 * driven by a small driver model that behaves like Linux's virtio_console: the control handshake
 * through the rings, transmit chains of 1-4 segments kept in flight until used, receive buffers
 * of random sizes re-posted as they are consumed. The hypervisor's side (link wake-ups, work for
 * a later exit) is a flag per zone that the test loop services in a random order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "hypervisor/virtio_multiport.h"
#include "tests/unit/ring_fixture.h"
#include "tests/unit/vcp_check.h"

#define QN 16        /* queue size the driver model uses: small, so that rings wrap often */
#define TX_SLOTS 4   /* chains in flight, descriptors 4k..4k+3 each */
#define TX_SLOT 8192 /* bytes of buffer per transmit slot */
#define RX_BUF 4096

enum { Q_RX0, Q_TX0, Q_CRX, Q_CTX, NQ };

struct zonef {
    struct vmp d;
    struct rf_ram *ram;
    struct rf_ring q[NQ];
    bool work;             /* a link wake-up or work_later: run vmp_work in a later "exit" */
    int faults;            /* rings the device found malformed */
    int refused;           /* control messages it refused */
    uint32_t refused_port; /* the port id the last refusal named */
    /* driver model */
    bool tx_busy[TX_SLOTS];
    uint32_t rx_len[QN]; /* length posted for receive buffer i */
    bool port_added, host_open, named;
    char name[40];
};

static struct link lnk;
static struct zonef *zf[2];
static uint32_t seed = 1;

static uint32_t rnd(uint32_t n)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % n;
}

/* ---- host callbacks ---- */

static void h_irq(void *ctx, bool level)
{
    (void)ctx;
    (void)level;
}

static void h_fault(void *ctx, const char *what)
{
    ((struct zonef *)ctx)->faults++;
    fprintf(stderr, "fault: %s\n", what);
}

static void h_refused(void *ctx, uint32_t port, const char *what)
{
    (void)what;
    ((struct zonef *)ctx)->refused++;
    ((struct zonef *)ctx)->refused_port = port;
}

static void h_later(void *ctx)
{
    ((struct zonef *)ctx)->work = true;
}

static void h_wake(struct link *l, uint32_t end)
{
    ((struct zonef *)l->end[end].owner)->work = true;
}

static const struct vmp_host host = {
    .set_irq = h_irq,
    .fault = h_fault,
    .refused = h_refused,
    .work_later = h_later,
    .link_wake = h_wake,
};

/* ---- driver model ---- */

static uint64_t qoff(int q)
{
    return 0x4000ULL * (uint64_t)q;
}

static uint64_t rx_buf(uint16_t i)
{
    return rf_buf_ipa(0x10000 + RX_BUF * (uint64_t)i);
}

static uint64_t tx_buf(uint16_t slot)
{
    return rf_buf_ipa(0x30000 + TX_SLOT * (uint64_t)slot);
}

static uint64_t ctl_buf(int q, uint16_t i)
{
    return rf_buf_ipa(0x50000 + 0x1000 * (uint64_t)(q == Q_CTX) + 0x40 * (uint64_t)i);
}

static void notify(struct zonef *z, uint32_t q)
{
    rf_wr(&z->d.mmio, RF_REG_QUEUE_NOTIFY, q);
}

static void post_rx(struct zonef *z, uint16_t i, uint32_t len)
{
    z->rx_len[i] = len;
    rf_desc(&z->q[Q_RX0], i, rx_buf(i), len, VRING_DESC_F_WRITE, 0);
    rf_avail_add(&z->q[Q_RX0], i);
}

/* A control message from the driver, in descriptor i of the control transmit queue. */
static void ctl_send(struct zonef *z, uint16_t i, uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t m[VCP_MSG_LEN];
    vcp_test_msg(m, id, event, value);
    rf_buf_fill(z->ram, ctl_buf(Q_CTX, i), m, sizeof(m));
    rf_desc(&z->q[Q_CTX], i, ctl_buf(Q_CTX, i), sizeof(m), 0, 0);
    rf_avail_add(&z->q[Q_CTX], i);
    notify(z, 3);
    /* Linux busy-waits: the message must be used when the notify returns. */
    uint32_t id_used, len;
    assert_int_not_equal(rf_used_idx(&z->q[Q_CTX]), z->q[Q_CTX].used_seen);
    rf_used_elem(&z->q[Q_CTX], z->q[Q_CTX].used_seen++, &id_used, &len);
    assert_int_equal(id_used, i);
}

/* Handle the device's control messages; reposts their buffers. */
static void ctl_receive(struct zonef *z)
{
    struct rf_ring *q = &z->q[Q_CRX];
    while (rf_used_idx(q) != q->used_seen) {
        uint32_t i, len;
        rf_used_elem(q, q->used_seen++, &i, &len);
        assert_true(len >= VCP_MSG_LEN);
        const uint8_t *b = rf_hva(z->ram, ctl_buf(Q_CRX, (uint16_t)i));
        uint32_t id = (uint32_t)b[0] | (uint32_t)b[1] << 8;
        uint16_t ev = (uint16_t)(b[4] | b[5] << 8), val = (uint16_t)(b[6] | b[7] << 8);
        assert_int_equal(id, 0);
        if (ev == VCP_DEVICE_ADD) {
            z->port_added = true;
            ctl_send(z, 1, 0, VCP_PORT_READY, 1);
        } else if (ev == VCP_PORT_NAME) {
            memcpy(z->name, b + VCP_MSG_LEN, len - VCP_MSG_LEN);
            z->name[len - VCP_MSG_LEN] = 0;
            z->named = true;
        } else if (ev == VCP_PORT_OPEN) {
            z->host_open = val;
        }
        rf_desc(q, (uint16_t)i, ctl_buf(Q_CRX, (uint16_t)i), 0x40, VRING_DESC_F_WRITE, 0);
        rf_avail_add(q, (uint16_t)i);
    }
}

static void service(struct zonef *z)
{
    if (z->work) {
        z->work = false;
        vmp_work(&z->d);
    }
}

static struct zonef *zone_new(const struct port_cfg *cfg)
{
    struct zonef *z = calloc(1, sizeof(*z));
    assert_non_null(z);
    z->ram = rf_ram_new();
    assert_true(vmp_init(&z->d, &z->ram->mem, cfg, 1, &host, z));
    assert_int_equal(rf_rd(&z->d.mmio, RF_REG_DEVICE_ID), 3);
    assert_int_equal(rf_rd(&z->d.mmio, RF_REG_CONFIG + 4), 1); /* max_nr_ports */
    uint32_t st = rf_negotiate(&z->d.mmio, (1ULL << VIRTIO_F_VERSION_1) | 2);
    assert_true(st & VIRTIO_STATUS_FEATURES_OK);
    for (int q = 0; q < NQ; q++) {
        rf_ring_init(&z->q[q], z->ram, QN, qoff(q));
        rf_queue_setup(&z->d.mmio, (uint32_t)q, &z->q[q]);
    }
    rf_driver_ok(&z->d.mmio);
    for (uint16_t i = 0; i < 8; i++) {
        rf_desc(&z->q[Q_CRX], i, ctl_buf(Q_CRX, i), 0x40, VRING_DESC_F_WRITE, 0);
        rf_avail_add(&z->q[Q_CRX], i);
    }
    notify(z, 2);
    ctl_send(z, 0, VCP_BAD_ID, VCP_DEVICE_READY, 1);
    for (int round = 0; round < 4; round++) {
        ctl_receive(z);
        service(z);
    }
    assert_true(z->port_added && z->named && z->host_open);
    return z;
}

static void zone_free(struct zonef *z)
{
    assert_true(rf_guards_intact(z->ram));
    rf_ram_free(z->ram);
    free(z);
}

static const struct port_cfg end0[] = {{.name = "link0", .kind = PORT_LINK, .link = &lnk}};
static const struct port_cfg end1[] = {{.name = "peer", .kind = PORT_LINK, .link = &lnk, .end = 1}};

static int setup(void **state)
{
    (void)state;
    memset(&lnk, 0, sizeof(lnk));
    zf[0] = zone_new(end0);
    zf[1] = zone_new(end1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zone_free(zf[0]);
    zone_free(zf[1]);
    return 0;
}

/* The byte stream a writer sends: position i carries this value. */
static uint8_t stream(uint64_t i)
{
    return (uint8_t)(i * 2654435761u >> 13);
}

struct flow {
    uint64_t sent;     /* stream bytes put in chains */
    uint64_t received; /* stream bytes the reader took, all checked */
};

/* Writer: a chain of 1-4 random segments in a free slot, notified. */
static bool write_chain(struct zonef *z, struct flow *f, uint32_t max_seg)
{
    uint16_t slot = (uint16_t)rnd(TX_SLOTS);
    if (z->tx_busy[slot])
        return false;
    uint32_t nseg = 1 + rnd(4), off = 0;
    for (uint32_t s = 0; s < nseg; s++) {
        uint32_t len = 1 + rnd(max_seg);
        uint8_t *p = rf_hva(z->ram, tx_buf(slot) + off);
        for (uint32_t k = 0; k < len; k++)
            p[k] = stream(f->sent + k);
        f->sent += len;
        uint16_t d = (uint16_t)(slot * 4 + s);
        rf_desc(&z->q[Q_TX0], d, tx_buf(slot) + off, len, s + 1 < nseg ? VRING_DESC_F_NEXT : 0,
                (uint16_t)(d + 1));
        off += len;
    }
    z->tx_busy[slot] = true;
    rf_avail_add(&z->q[Q_TX0], (uint16_t)(slot * 4));
    notify(z, 1);
    return true;
}

static void reclaim_tx(struct zonef *z)
{
    struct rf_ring *q = &z->q[Q_TX0];
    while (rf_used_idx(q) != q->used_seen) {
        uint32_t head, len;
        rf_used_elem(q, q->used_seen++, &head, &len);
        assert_int_equal(head % 4, 0);
        assert_true(z->tx_busy[head / 4]);
        z->tx_busy[head / 4] = false;
    }
}

/* Reader: take used receive buffers (checking every byte), post them again, notified. */
static void read_rx(struct zonef *z, struct flow *f)
{
    struct rf_ring *q = &z->q[Q_RX0];
    bool posted = false;
    while (rf_used_idx(q) != q->used_seen) {
        uint32_t i, len;
        rf_used_elem(q, q->used_seen++, &i, &len);
        assert_true(len > 0); /* an empty buffer reads as end of file in Linux */
        assert_true(len <= z->rx_len[i]);
        const uint8_t *p = rf_hva(z->ram, rx_buf((uint16_t)i));
        for (uint32_t k = 0; k < len; k++)
            assert_int_equal(p[k], stream(f->received + k));
        f->received += len;
        post_rx(z, (uint16_t)i, 1 + rnd(RX_BUF));
        posted = true;
    }
    if (posted)
        notify(z, 0);
}

static void open_port(struct zonef *z, bool open)
{
    ctl_send(z, 2, 0, VCP_PORT_OPEN, open);
}

/* Random interleaving of writer chains, reader buffers and deferred work, then a drain. */
static void run_flow(uint32_t steps, uint32_t max_seg, uint32_t reader_every)
{
    struct zonef *w = zf[0], *r = zf[1];
    struct flow f = {0};
    for (uint16_t i = 0; i < QN; i++)
        post_rx(r, i, 1 + rnd(RX_BUF));
    notify(r, 0);
    open_port(r, true);
    for (uint32_t step = 0; step < steps; step++) {
        switch (rnd(5)) {
        case 0:
            write_chain(w, &f, max_seg);
            break;
        case 1:
            reclaim_tx(w);
            break;
        case 2:
            if (rnd(reader_every) == 0)
                read_rx(r, &f);
            break;
        case 3:
            service(w);
            break;
        default:
            service(r);
            break;
        }
        assert_true(link_held(&lnk, 1) <= LINK_BUF);
        assert_true(f.received <= f.sent);
    }
    for (int i = 0; i < 100000 && f.received < f.sent; i++) {
        service(w);
        service(r);
        reclaim_tx(w);
        read_rx(r, &f);
    }
    reclaim_tx(w);
    assert_int_equal(f.received, f.sent);
    for (int s = 0; s < TX_SLOTS; s++)
        assert_false(w->tx_busy[s]);
    assert_int_equal(w->d.port[0].bytes_tx, f.sent);
    assert_int_equal(r->d.port[0].bytes_rx, f.sent);
    assert_int_equal(w->faults + r->faults, 0);
    assert_int_equal(w->refused + r->refused, 0);
}

static void test_handshake_names_and_opens_ports(void **state)
{
    (void)state;
    assert_string_equal(zf[0]->name, "link0");
    assert_string_equal(zf[1]->name, "peer");
    assert_null(vcp_check(&zf[0]->d.ctl));
    assert_false(vmp_guest_open(&zf[1]->d, 0));
    open_port(zf[1], true);
    assert_true(vmp_guest_open(&zf[1]->d, 0));
}

/* A refused message is reported with its whole 32-bit id: 65536 and 0xffffffff (Linux's
 * DEVICE_READY id) were reported as 0 and 65535. */
static void test_refused_message_names_its_whole_id(void **state)
{
    struct zonef *z = zf[0];
    (void)state;
    ctl_send(z, 0, 0x10000, VCP_PORT_OPEN, 1);
    assert_int_equal(z->refused, 1);
    assert_int_equal(z->refused_port, 0x10000);
    ctl_send(z, 0, VCP_BAD_ID, VCP_DEVICE_READY, 1);
    assert_int_equal(z->refused, 2);
    assert_int_equal(z->refused_port, VCP_BAD_ID);
    assert_false(vmp_guest_open(&z->d, 0)); /* not taken for port 0 */
}

static void test_link_small_chains_in_order(void **state)
{
    (void)state;
    run_flow(20000, 700, 1);
}

static void test_link_large_chains_slow_reader(void **state)
{
    (void)state;
    /* Chains up to 4 x 2 KiB against a reader that rarely reads: the ring fills, the writer's
     * chains wait half sent and are resumed from where they stopped. */
    run_flow(20000, 2048, 8);
}

/* Bytes written while the reader's port is closed wait on the link (up to its bound) and are
 * given to the reader only once it opens the port; the writer is held back meanwhile. */
static void test_closed_reader_holds_then_delivers(void **state)
{
    (void)state;
    struct zonef *w = zf[0], *r = zf[1];
    struct flow f = {0};
    for (uint16_t i = 0; i < QN; i++)
        post_rx(r, i, RX_BUF);
    notify(r, 0);
    for (int i = 0; i < 40; i++) {
        write_chain(w, &f, 2048);
        service(w);
        service(r);
        reclaim_tx(w);
    }
    assert_int_equal(rf_used_idx(&r->q[Q_RX0]), 0); /* nothing delivered to a closed port */
    assert_int_equal(link_held(&lnk, 1), LINK_BUF);
    assert_int_equal(w->d.port[0].bytes_tx, LINK_BUF);
    open_port(r, true);
    for (int i = 0; i < 1000 && f.received < f.sent; i++) {
        read_rx(r, &f);
        service(w);
        service(r);
        reclaim_tx(w);
    }
    assert_int_equal(f.received, f.sent);
}

/* A reset of the reader (its zone restarts) keeps what waits on the link for its next boot. */
static void test_reader_reset_keeps_link_bytes(void **state)
{
    (void)state;
    struct zonef *w = zf[0];
    struct flow f = {0};
    write_chain(w, &f, 100);
    service(w);
    uint32_t held = link_held(&lnk, 1);
    assert_int_equal(held, f.sent);
    vmmio_init(&zf[1]->d.mmio);
    assert_false(vmp_guest_open(&zf[1]->d, 0));
    assert_int_equal(link_held(&lnk, 1), held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_names_and_opens_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_message_names_its_whole_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_small_chains_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_large_chains_slow_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_reader_holds_then_delivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_reset_keeps_link_bytes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
