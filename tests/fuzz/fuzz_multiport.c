/*
 * libFuzzer target: the multiport console device (hypervisor/virtio_multiport.c) of two zones
 * whose port 0 is one link (port_link.c) and port 1 a log, driven the way two hostile zones can
 * drive them: register reads and writes at any offset and width, writes anywhere in each zone's
 * RAM (descriptors, rings, buffers, control messages), and the deferred work that link wake-ups
 * and exhausted budgets ask for, run in any order. A driver-like setup operation takes the input
 * straight to a live device with its control handshake done, so that short inputs reach the
 * port paths.
 *
 * Invariants (abort when broken):
 *  - the interrupt line is high exactly while InterruptStatus is non-zero;
 *  - a link loses and invents nothing: what one zone's port took is what the other was given
 *    plus what waits on the link, in each direction, and what waits never exceeds LINK_BUF;
 *  - bytes reach a port's receive buffers only while the guest has it open;
 *  - the control state machine's invariants hold (tests/unit/vcp_check.h);
 *  - DEVICE_NEEDS_RESET stays until a reset.
 * ASan and UBSan watch every access; each zone's RAM is an exact-size heap block.
 */
#include "hypervisor/virtio_console.h"
#include "hypervisor/virtio_multiport.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/vcp_check.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x20000u
#define NZ 2
#define NPORTS 2
#define NQ (2 + 2 * NPORTS)
#define QNUM 8
/* Default layout: queue q's rings at q * 0x1000 (desc, avail +0x400, used +0x800), buffers
 * from 0x8000 (0x200 per descriptor slot of each queue). */
#define DESC(q) (RAM_BASE + 0x1000ULL * (q))
#define AVAIL(q) (DESC(q) + 0x400)
#define USED(q) (DESC(q) + 0x800)
#define BUF(q, i) (RAM_BASE + 0x8000 + 0x1000ULL * (q) + 0x200ULL * (i))

static const uint16_t named_regs[] = {
    VMMIO_DEVICE_FEATURES_SEL, VMMIO_DRIVER_FEATURES,  VMMIO_DRIVER_FEATURES_SEL,
    VMMIO_QUEUE_SEL,           VMMIO_QUEUE_NUM,        VMMIO_QUEUE_READY,
    VMMIO_QUEUE_NOTIFY,        VMMIO_INTERRUPT_ACK,    VMMIO_STATUS,
    VMMIO_QUEUE_DESC_LOW,      VMMIO_QUEUE_DRIVER_LOW, VMMIO_QUEUE_DEVICE_LOW,
};

struct zonef {
    struct vmp d;
    struct guest_mem mem;
    uint8_t *ram;
    bool line;
    bool work;
};

static struct zonef zf[NZ];
static struct link lnk;
static uint8_t logs[NZ][64];
static struct port_cfg cfg[NZ][NPORTS];

static void h_irq(void *ctx, bool level)
{
    ((struct zonef *)ctx)->line = level;
}

static void h_fault(void *ctx, const char *what)
{
    (void)ctx;
    FZ_CHECK(what && what[0]);
}

static void h_refused(void *ctx, uint32_t port, const char *what)
{
    (void)ctx;
    (void)port;
    FZ_CHECK(what && what[0]);
}

static void h_later(void *ctx)
{
    ((struct zonef *)ctx)->work = true;
}

static void h_wake(struct link *l, uint32_t end)
{
    FZ_CHECK(end < NZ);
    ((struct zonef *)l->end[end].owner)->work = true;
}

static const struct vmp_host host = {
    .set_irq = h_irq,
    .fault = h_fault,
    .refused = h_refused,
    .work_later = h_later,
    .link_wake = h_wake,
};

static void setup_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    for (int z = 0; z < NZ; z++) {
        zf[z].ram = fz_alloc(RAM_SIZE);
        zf[z].mem.ipa_base = RAM_BASE;
        zf[z].mem.size = RAM_SIZE;
        zf[z].mem.hva = zf[z].ram;
        cfg[z][0] =
            (struct port_cfg){.name = "link0", .kind = PORT_LINK, .link = &lnk, .end = (uint32_t)z};
        cfg[z][1] = (struct port_cfg){
            .name = "log", .kind = PORT_LOG, .log = logs[z], .log_size = sizeof(logs[z])};
    }
}

static void fresh(void)
{
    memset(&lnk, 0, sizeof(lnk));
    for (int z = 0; z < NZ; z++) {
        memset(zf[z].ram, 0, RAM_SIZE);
        zf[z].line = zf[z].work = false;
        FZ_CHECK(vmp_init(&zf[z].d, &zf[z].mem, cfg[z], NPORTS, &host, &zf[z]));
    }
}

static void wr(struct zonef *z, uint32_t off, uint32_t val)
{
    vmmio_write(&z->d.mmio, off, 4, val);
}

static void put16(struct zonef *z, uint64_t ipa, uint16_t v)
{
    memcpy(z->ram + (ipa - RAM_BASE), &v, 2);
}

static uint16_t get16(struct zonef *z, uint64_t ipa)
{
    uint16_t v;
    memcpy(&v, z->ram + (ipa - RAM_BASE), 2);
    return v;
}

/* One buffer of len bytes in slot i of queue q, made available (flags: device-writable or not). */
static void post(struct zonef *z, uint32_t q, uint16_t i, uint32_t len, uint16_t flags)
{
    struct vring_desc d = {.addr = BUF(q, i), .len = len, .flags = flags};
    memcpy(z->ram + (DESC(q) - RAM_BASE) + 16u * i, &d, sizeof(d));
    uint16_t idx = get16(z, AVAIL(q) + 2);
    put16(z, AVAIL(q) + 4 + 2u * (idx % QNUM), i);
    put16(z, AVAIL(q) + 2, (uint16_t)(idx + 1));
}

static void ctl_msg(struct zonef *z, uint16_t i, uint32_t id, uint16_t ev, uint16_t val)
{
    uint8_t m[VCP_MSG_LEN];
    vcp_test_msg(m, id, ev, val);
    memcpy(z->ram + (BUF(3, i) - RAM_BASE), m, sizeof(m));
    post(z, 3, i, sizeof(m), 0);
    wr(z, VMMIO_QUEUE_NOTIFY, 3);
}

/* A driver's way to a live device: features, every queue at the default layout, control
 * buffers, DEVICE_READY, PORT_READY for both ports, and the ports' receive buffers. */
static void op_setup(struct zonef *z, bool open_link)
{
    wr(z, VMMIO_STATUS, 0);
    wr(z, VMMIO_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    wr(z, VMMIO_DRIVER_FEATURES_SEL, 0);
    wr(z, VMMIO_DRIVER_FEATURES, 1u << VIRTIO_CONSOLE_F_MULTIPORT);
    wr(z, VMMIO_DRIVER_FEATURES_SEL, 1);
    wr(z, VMMIO_DRIVER_FEATURES, 1);
    wr(z, VMMIO_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    memset(z->ram, 0, 0x8000);
    for (uint32_t q = 0; q < NQ; q++) {
        wr(z, VMMIO_QUEUE_SEL, q);
        wr(z, VMMIO_QUEUE_NUM, QNUM);
        wr(z, VMMIO_QUEUE_DESC_LOW, (uint32_t)DESC(q));
        wr(z, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL(q));
        wr(z, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)USED(q));
        wr(z, VMMIO_QUEUE_READY, 1);
    }
    wr(z, VMMIO_STATUS,
       VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
           VIRTIO_STATUS_DRIVER_OK);
    for (uint16_t i = 0; i < QNUM; i++)
        post(z, 2, i, 0x40, VRING_DESC_F_WRITE);
    wr(z, VMMIO_QUEUE_NOTIFY, 2);
    ctl_msg(z, 0, VCP_BAD_ID, VCP_DEVICE_READY, 1);
    ctl_msg(z, 1, 0, VCP_PORT_READY, 1);
    ctl_msg(z, 2, 1, VCP_PORT_READY, 1);
    if (open_link)
        ctl_msg(z, 3, 0, VCP_PORT_OPEN, 1);
    for (uint16_t i = 0; i < QNUM; i++)
        post(z, 0, i, 0x200, VRING_DESC_F_WRITE);
    wr(z, VMMIO_QUEUE_NOTIFY, 0);
}

/* rx_before: each zone's link port's bytes given before the operation. One operation sends at
 * most one control message, so a port given bytes during it is still open after it. */
static void check(const uint64_t rx_before[NZ])
{
    for (int z = 0; z < NZ; z++) {
        struct zonef *f = &zf[z];
        FZ_CHECK(f->line == (f->d.mmio.int_status != 0));
        FZ_CHECK(vcp_check(&f->d.ctl) == NULL);
        FZ_CHECK(link_held(&lnk, (uint32_t)z) <= LINK_BUF);
        if (f->d.port[0].bytes_rx != rx_before[z])
            FZ_CHECK(vmp_guest_open(&f->d, 0));
    }
    for (int e = 0; e < NZ; e++) {
        const struct vmp_port *w = &zf[e].d.port[0], *r = &zf[1 - e].d.port[0];
        FZ_CHECK(w->bytes_tx == r->bytes_rx + link_held(&lnk, (uint32_t)(1 - e)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    setup_once();
    fresh();
    uint64_t rx[NZ] = {0};
    check(rx);
    for (int ops = 0; fz_more(&f) && ops < 400; ops++) {
        uint8_t op = fz_u8(&f);
        for (int i = 0; i < NZ; i++)
            rx[i] = zf[i].d.port[0].bytes_rx;
        struct zonef *z = &zf[op & 1];
        uint32_t needs_reset = z->d.mmio.status & VIRTIO_STATUS_NEEDS_RESET;
        bool reset = false;
        switch ((op >> 1) % 8) {
        case 0: { /* a named register, 32 bits */
            uint32_t reg = named_regs[fz_u8(&f) % ARRAY_SIZE(named_regs)];
            uint32_t val = fz_u32(&f);
            reset = reg == VMMIO_STATUS && val == 0;
            wr(z, reg, val);
            break;
        }
        case 1: { /* any access */
            uint32_t off = fz_u16(&f) % 0x200, width = 1u << (fz_u8(&f) % 4), val = fz_u32(&f);
            if (op & 0x80) {
                reset = off == VMMIO_STATUS && width == 4 && val == 0;
                vmmio_write(&z->d.mmio, off, width, val);
            } else {
                vmmio_read(&z->d.mmio, off, width, &val);
            }
            break;
        }
        case 2: { /* guest RAM */
            uint32_t off = fz_u16(&f) % RAM_SIZE;
            uint8_t b[16];
            size_t n = fz_bytes(&f, b, 1 + fz_u8(&f) % sizeof(b));
            n = n < RAM_SIZE - off ? n : RAM_SIZE - off;
            memcpy(z->ram + off, b, n);
            break;
        }
        case 3:
            reset = true;
            op_setup(z, op & 0x80);
            break;
        case 4: { /* a transmit chain on a port, notified */
            uint32_t port = fz_u8(&f) % NPORTS, q = port == 0 ? 1 : 2 * port + 3;
            uint16_t i = (uint16_t)(fz_u8(&f) % QNUM);
            uint8_t b[0x200];
            size_t n = fz_bytes(&f, b, 1 + fz_u16(&f) % sizeof(b));
            memcpy(z->ram + (BUF(q, i) - RAM_BASE), b, n);
            post(z, q, i, (uint32_t)n, 0);
            wr(z, VMMIO_QUEUE_NOTIFY, q);
            break;
        }
        case 5: { /* a control message */
            uint16_t i = (uint16_t)(4 + fz_u8(&f) % 4);
            uint32_t id = fz_u8(&f) % 4;
            uint16_t ev = fz_u8(&f) % 9, val = fz_u8(&f) % 3;
            ctl_msg(z, i, id, ev, val);
            break;
        }
        case 6: /* the work a wake-up or budget asked for, on this zone */
            if (z->work) {
                z->work = false;
                vmp_work(&z->d);
            }
            break;
        default: /* work whether asked for or not */
            vmp_work(&z->d);
            break;
        }
        if (!reset && needs_reset)
            FZ_CHECK(z->d.mmio.status & VIRTIO_STATUS_NEEDS_RESET);
        check(rx);
    }
    return 0;
}
