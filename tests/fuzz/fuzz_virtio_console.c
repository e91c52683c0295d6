/*
 * libFuzzer target: the virtio console (hypervisor/virtio_console.c) behind its virtio-mmio
 * transport (virtio_mmio.c) and the split-ring walker (virtqueue.c), driven the way a hostile
 * zone and the multiplexer can drive it: register reads and writes at any offset and width,
 * writes anywhere in the zone's RAM (descriptors, rings, buffers), keyboard bytes, receive
 * deliveries, transmit resumes, and a host that takes only part of the output.
 *
 * Two devices, each with its own RAM at the same IPA, so that a device confusing its memory or
 * state with another's shows: the one not being driven must stay byte for byte as it was.
 *
 * Invariants (abort when broken):
 *  - the interrupt line is high exactly while InterruptStatus is non-zero, after every operation;
 *  - every byte accepted by vcon_input_push comes out once, in order: into a receive buffer (the
 *    bytes there are compared), or through vcon_input_pop, or is still held;
 *  - a receive chain is filled as far as held input allows, never past its length;
 *  - transmit output comes from the chain in progress, at exactly where it stopped, and a chain
 *    is completed only when every byte of it went out; nothing goes out while the device is not
 *    live; the device never writes a transmit buffer;
 *  - a used element names a head within the queue size of the queue it goes to;
 *  - a live queue's size and ring placement are valid; DEVICE_NEEDS_RESET and negotiated
 *    features stay put until a reset; register accesses succeed exactly when they are legal.
 * ASan and UBSan watch every access; guest RAM is an exact-size heap block.
 */
#include "hypervisor/virtio_console.h"
#include "tests/fuzz/fuzz.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x10000u /* 64 KiB: room for rings and buffers, cheap to compare */
#define NDEV 2
#define NQ 2
#define Q_RX 0
#define Q_TX 1
/* Default ring layout of the helper operations: queue q at q * 0x3000, desc/avail/used. */
#define DEF_DESC(q) (RAM_BASE + 0x3000ULL * (q))
#define DEF_AVAIL(q) (DEF_DESC(q) + 0x1000)
#define DEF_USED(q) (DEF_DESC(q) + 0x2000)
#define ROOM_ALL SIZE_MAX

/* Registers a driver writes, so that short inputs reach them without guessing offsets. */
static const uint16_t named_regs[] = {
    VMMIO_DEVICE_FEATURES_SEL,
    VMMIO_DRIVER_FEATURES,
    VMMIO_DRIVER_FEATURES_SEL,
    VMMIO_QUEUE_SEL,
    VMMIO_QUEUE_NUM,
    VMMIO_QUEUE_READY,
    VMMIO_QUEUE_NOTIFY,
    VMMIO_INTERRUPT_ACK,
    VMMIO_STATUS,
    VMMIO_QUEUE_DESC_LOW,
    VMMIO_QUEUE_DESC_HIGH,
    VMMIO_QUEUE_DRIVER_LOW,
    VMMIO_QUEUE_DRIVER_HIGH,
    VMMIO_QUEUE_DEVICE_LOW,
    VMMIO_QUEUE_DEVICE_HIGH,
    VIRTIO_MMIO_CONFIG + 8 /* emerg_wr */,
};

struct dev {
    struct vcon c;
    struct guest_mem mem;
    uint8_t *ram;
    bool line;   /* the interrupt line as the device last drove it */
    size_t room; /* transmit bytes the host still takes (ROOM_ALL: any amount) */
    /* Model of held input: bytes accepted by vcon_input_push and not yet handed on. */
    uint8_t held[VCON_INBUF];
    uint32_t held_head, held_tail;
    uint64_t tx_chain_bytes; /* output since the current transmit chain began */
    bool reset_asked;        /* this operation wrote 0 to Status */
};

static struct dev devs[NDEV];
static uint32_t cur; /* the device the current operation drives */
/* The other device as it was when operations last moved away from it. */
static struct dev snap_dev;
static uint8_t snap_ram[RAM_SIZE];
static uint8_t written_map[RAM_SIZE];
static uint8_t wire[VCON_TX_BUDGET];
/* where transmit output is copied to, as the host would */ /* receive bytes written by one
                                                               completion, for overlaps */

static bool in_ram(const struct dev *d, const volatile void *p, uint64_t len)
{
    const volatile uint8_t *b = p;
    return b >= d->ram && len <= RAM_SIZE && b - d->ram <= (ptrdiff_t)(RAM_SIZE - len);
}

/* ---- the model of held input ---- */

static uint32_t model_held(const struct dev *d)
{
    return d->held_head - d->held_tail;
}

static uint8_t model_take(struct dev *d)
{
    FZ_CHECK(model_held(d) > 0); /* the device handed on a byte it was never given */
    return d->held[d->held_tail++ % VCON_INBUF];
}

/* ---- host callbacks ---- */

static size_t h_output(void *ctx, const uint8_t *buf, size_t len, bool may_wait)
{
    struct dev *d = ctx;
    FZ_CHECK(d == &devs[cur]);
    FZ_CHECK(len > 0);
    if (!may_wait) {
        FZ_CHECK(len == 1); /* emerg_wr: one byte, from the device's own copy */
        return len;
    }
    const struct vcon *c = &d->c;
    FZ_CHECK(vmmio_live(&c->mmio) && c->tx_active);
    FZ_CHECK(c->tx_seg < c->tx_chain.nseg);
    const struct vq_seg *s = &c->tx_chain.seg[c->tx_seg];
    FZ_CHECK(buf == s->hva + c->tx_off && len <= s->len - c->tx_off);
    FZ_CHECK(in_ram(d, buf, len));
    size_t n = len < d->room ? len : d->room;
    if (d->room != ROOM_ALL)
        d->room -= n;
    memcpy(wire, buf, n); /* read what the UART would: ASan checks every byte */
    d->tx_chain_bytes += n;
    return n;
}

static void h_tx_later(void *ctx)
{
    FZ_CHECK(ctx == &devs[cur]);
}

static void h_set_irq(void *ctx, bool level)
{
    struct dev *d = ctx;
    FZ_CHECK(d == &devs[cur]);
    d->line = level;
}

static void h_fault(void *ctx, const char *what)
{
    FZ_CHECK(ctx == &devs[cur]);
    FZ_CHECK(what && *what);
}

static void h_input_space(void *ctx)
{
    FZ_CHECK(ctx == &devs[cur]);
}

static const struct vcon_host host = {
    .output = h_output,
    .tx_later = h_tx_later,
    .set_irq = h_set_irq,
    .fault = h_fault,
    .input_space = h_input_space,
};

/* ---- completions: every used element the device writes passes here (-Wl,--wrap=vq_push) ---- */

void __real_vq_push(struct virtq *vq, uint16_t head, uint32_t len);
void __wrap_vq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* Receive: the chain must hold the next len held bytes, unless its buffers overlap each other
 * (a guest may do that; then only the count is checked). */
static void rx_completed(struct dev *d, uint32_t len)
{
    const struct vq_chain *ch = &d->c.chain;
    if (len == 0)
        return; /* a malformed chain given back empty */
    uint32_t held = vcon_input_held(&d->c);
    FZ_CHECK(len <= ch->total);
    FZ_CHECK(len == (ch->total < held + len ? ch->total : held + len));
    bool overlap = false;
    uint32_t left = len;
    for (uint16_t s = 0; s < ch->nseg && left; s++) {
        uint32_t k = ch->seg[s].len < left ? ch->seg[s].len : left;
        FZ_CHECK(in_ram(d, ch->seg[s].hva, k));
        for (uint32_t j = 0; j < k; j++) {
            size_t off = (size_t)(ch->seg[s].hva + j - d->ram);
            overlap |= written_map[off];
            written_map[off] = 1;
        }
        left -= k;
    }
    left = len;
    for (uint16_t s = 0; s < ch->nseg && left; s++) {
        uint32_t k = ch->seg[s].len < left ? ch->seg[s].len : left;
        for (uint32_t j = 0; j < k; j++) {
            uint8_t want = model_take(d);
            FZ_CHECK(overlap || ch->seg[s].hva[j] == want);
            written_map[ch->seg[s].hva + j - d->ram] = 0;
        }
        left -= k;
    }
}

/* Transmit: completed when every byte went out, or (an error) with nothing sent. */
static void tx_completed(struct dev *d, uint32_t len)
{
    const struct vcon *c = &d->c;
    FZ_CHECK(len == 0);
    if (c->tx_active) {
        FZ_CHECK(c->tx_seg == c->tx_chain.nseg);
        FZ_CHECK(d->tx_chain_bytes == c->tx_chain.total);
    } else {
        FZ_CHECK(d->tx_chain_bytes == 0);
    }
    d->tx_chain_bytes = 0;
}

void __wrap_vq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
    struct dev *d = &devs[cur];
    int q = vq == &d->c.mmio.vq[Q_RX] ? Q_RX : vq == &d->c.mmio.vq[Q_TX] ? Q_TX : -1;
    FZ_CHECK(q >= 0); /* a queue of this device, not the other's */
    FZ_CHECK(vq->ready && vmmio_live(&d->c.mmio));
    FZ_CHECK(head < vq->num);
    if (q == Q_RX)
        rx_completed(d, len);
    else
        tx_completed(d, len);
    __real_vq_push(vq, head, len);
}

/* ---- invariants after every operation ---- */

static void check_vq(const struct dev *d, const struct virtq *vq)
{
    if (!vq->ready)
        return;
    uint16_t n = vq->num;
    FZ_CHECK(n && !(n & (n - 1)) && n <= VQ_MAX_SIZE);
    FZ_CHECK(in_ram(d, vq->desc, 16ULL * n));
    FZ_CHECK(in_ram(d, vq->avail, 6ULL + 2ULL * n));
    FZ_CHECK(in_ram(d, vq->used, 6ULL + 8ULL * n));
}

static void check_tx_chain(const struct dev *d)
{
    const struct vcon *c = &d->c;
    if (!c->tx_active)
        return;
    FZ_CHECK(c->tx_chain.nseg <= VQ_MAX_SIZE);
    FZ_CHECK(c->tx_seg < c->tx_chain.nseg);
    FZ_CHECK(c->tx_off < c->tx_chain.seg[c->tx_seg].len);
    for (uint16_t s = 0; s < c->tx_chain.nseg; s++)
        FZ_CHECK(in_ram(d, c->tx_chain.seg[s].hva, c->tx_chain.seg[s].len));
}

static void check_dev(struct dev *d, uint32_t old_status, uint64_t old_features)
{
    const struct vmmio_dev *m = &d->c.mmio;
    FZ_CHECK(d->line == (m->int_status != 0));
    FZ_CHECK((m->int_status & ~(uint32_t)(VIRTIO_INT_VRING | VIRTIO_INT_CONFIG)) == 0);
    for (int q = 0; q < NQ; q++)
        check_vq(d, &m->vq[q]);
    check_tx_chain(d);
    FZ_CHECK(vcon_input_held(&d->c) == model_held(d));
    if (m->status & VIRTIO_STATUS_FEATURES_OK) {
        FZ_CHECK((m->driver_features & ~m->device_features) == 0);
        FZ_CHECK(vmmio_has_feature(m, VIRTIO_F_VERSION_1));
    }
    if (!d->reset_asked) {
        if (old_status & VIRTIO_STATUS_NEEDS_RESET)
            FZ_CHECK(m->status & VIRTIO_STATUS_NEEDS_RESET);
        if (old_status & VIRTIO_STATUS_FEATURES_OK)
            FZ_CHECK(m->driver_features == old_features);
    }
    d->reset_asked = false;
}

/* ---- operations ---- */

static bool access_legal(uint32_t off, uint32_t width)
{
    if (off >= VIRTIO_MMIO_CONFIG)
        return (width == 1 || width == 2 || width == 4) && off % width == 0 &&
               off + width <= VIRTIO_MMIO_WINDOW;
    return width == 4 && off % 4 == 0;
}

static void reg_write(struct dev *d, uint32_t off, uint32_t width, uint32_t val)
{
    bool reset = off == VMMIO_STATUS && width == 4 && val == 0;
    bool ok = vmmio_write(&d->c.mmio, off, width, val);
    FZ_CHECK(ok == access_legal(off, width));
    if (reset) {
        FZ_CHECK(!d->c.tx_active && d->c.mmio.status == 0 && d->c.mmio.int_status == 0);
        d->reset_asked = true;
    }
    /* A reset or a disabled queue forgets the chain in flight, and its bytes with it. */
    if (!d->c.tx_active)
        d->tx_chain_bytes = 0;
}

static void reg_read(struct dev *d, uint32_t off, uint32_t width)
{
    uint32_t val = 0;
    bool ok = vmmio_read(&d->c.mmio, off, width, &val);
    FZ_CHECK(ok == access_legal(off, width));
    if (!ok || width != 4)
        return;
    if (off == VMMIO_MAGIC)
        FZ_CHECK(val == VIRTIO_MMIO_MAGIC);
    else if (off == VMMIO_VERSION)
        FZ_CHECK(val == 2);
    else if (off == VMMIO_DEVICE_ID)
        FZ_CHECK(val == VIRTIO_ID_CONSOLE);
    else if (off == VMMIO_INTERRUPT_STATUS)
        FZ_CHECK(val == d->c.mmio.int_status);
    else if (off == VMMIO_STATUS)
        FZ_CHECK(val == d->c.mmio.status);
}

static uint32_t reg_value(struct fz *f)
{
    /* Half the time an address inside the zone's RAM: ring and buffer placement. */
    uint8_t mode = fz_u8(f);
    if (mode & 1)
        return (uint32_t)(RAM_BASE + fz_u16(f));
    if (mode & 2)
        return fz_u8(f);
    return fz_u32(f);
}

static void op_write(struct dev *d, struct fz *f)
{
    uint32_t off = fz_u16(f) % VIRTIO_MMIO_WINDOW;
    uint32_t width = 1u << (fz_u8(f) & 3);
    reg_write(d, off, width, fz_u32(f));
}

static void op_read(struct dev *d, struct fz *f)
{
    uint32_t off = fz_u16(f) % VIRTIO_MMIO_WINDOW;
    reg_read(d, off, 1u << (fz_u8(f) & 3));
}

static void op_named_write(struct dev *d, struct fz *f)
{
    uint32_t off = named_regs[fz_u8(f) % (sizeof(named_regs) / sizeof(named_regs[0]))];
    reg_write(d, off, off >= VIRTIO_MMIO_CONFIG ? 1 : 4, reg_value(f));
}

/* The guest writes its own RAM: anything, anywhere. */
static void op_mem(struct dev *d, struct fz *f)
{
    uint32_t off = fz_u16(f) % RAM_SIZE;
    uint8_t buf[32];
    size_t len = fz_bytes(f, buf, 1 + fz_u8(f) % sizeof(buf));
    if (len > RAM_SIZE - off)
        len = RAM_SIZE - off;
    memcpy(d->ram + off, buf, len);
}

/* Where the driver put queue q's ring part (programmed address if in RAM, else the default). */
static uint8_t *ring_part(struct dev *d, uint64_t ipa, uint64_t def, uint64_t size)
{
    uint8_t *p = gmem_translate(&d->mem, ipa, size);
    return p ? p : gmem_translate(&d->mem, def, size);
}

static uint16_t queue_num(const struct dev *d, uint32_t q)
{
    uint16_t n = d->c.mmio.vq[q].num;
    return n && n <= VQ_MAX_SIZE && !(n & (n - 1)) ? n : VQ_MAX_SIZE;
}

/* One descriptor, as a driver writes it: a buffer in RAM (mostly), flags, next. */
static void op_desc(struct dev *d, struct fz *f)
{
    uint32_t q = fz_u8(f) % NQ;
    uint16_t num = queue_num(d, q);
    uint16_t idx = fz_u8(f) % num;
    struct vring_desc desc;
    uint8_t mode = fz_u8(f);
    desc.addr = mode & 0x80 ? fz_u64(f) : RAM_BASE + fz_u16(f);
    desc.len = mode & 0x40 ? fz_u32(f) : fz_u8(f);
    desc.flags = mode & 7;
    desc.next = fz_u8(f);
    uint8_t *t = ring_part(d, d->c.mmio.vq[q].desc_ipa, DEF_DESC(q), 16ULL * num);
    memcpy(t + 16u * idx, &desc, sizeof(desc));
}

/* Make one more chain available: ring slot, then avail.idx. */
static void op_avail(struct dev *d, struct fz *f)
{
    uint32_t q = fz_u8(f) % NQ;
    uint16_t num = queue_num(d, q);
    uint16_t head = fz_u8(f);
    uint8_t *a = ring_part(d, d->c.mmio.vq[q].avail_ipa, DEF_AVAIL(q), 6ULL + 2ULL * num);
    uint16_t idx;
    memcpy(&idx, a + 2, 2);
    memcpy(a + 4 + 2u * (idx % num), &head, 2);
    idx++;
    memcpy(a + 2, &idx, 2);
}

static void op_input(struct dev *d, struct fz *f)
{
    uint8_t buf[16];
    size_t n = fz_bytes(f, buf, 1 + fz_u8(f) % sizeof(buf));
    for (size_t i = 0; i < n; i++) {
        bool room = vcon_input_space(&d->c) > 0;
        bool took = vcon_input_push(&d->c, buf[i]);
        FZ_CHECK(took == room);
        if (took)
            d->held[d->held_head++ % VCON_INBUF] = buf[i];
    }
}

/* The emulated PL011 reads held input while the virtio console is not live. */
static void op_pop(struct dev *d, struct fz *f)
{
    for (uint8_t n = 1 + fz_u8(f) % 8; n; n--) {
        uint8_t b;
        bool had = model_held(d) > 0;
        FZ_CHECK(vcon_input_pop(&d->c, &b) == had);
        if (had)
            FZ_CHECK(b == model_take(d));
    }
}

/* A whole driver bring-up: reset, features, both queues at the default layout, DRIVER_OK. */
static void op_setup(struct dev *d, struct fz *f)
{
    uint8_t m = fz_u8(f);
    uint32_t feat_lo = m & 1 ? (uint32_t)d->c.mmio.device_features : fz_u32(f);
    uint32_t num = 1u << (fz_u8(f) % 9);
    reg_write(d, VMMIO_STATUS, 4, 0);
    reg_write(d, VMMIO_STATUS, 4, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    reg_write(d, VMMIO_DRIVER_FEATURES_SEL, 4, 0);
    reg_write(d, VMMIO_DRIVER_FEATURES, 4, feat_lo);
    reg_write(d, VMMIO_DRIVER_FEATURES_SEL, 4, 1);
    reg_write(d, VMMIO_DRIVER_FEATURES, 4, 1); /* VERSION_1 */
    reg_write(d, VMMIO_STATUS, 4,
              VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    for (uint32_t q = 0; q < NQ; q++) {
        reg_write(d, VMMIO_QUEUE_SEL, 4, q);
        reg_write(d, VMMIO_QUEUE_NUM, 4, num);
        reg_write(d, VMMIO_QUEUE_DESC_LOW, 4, (uint32_t)DEF_DESC(q));
        reg_write(d, VMMIO_QUEUE_DESC_HIGH, 4, 0);
        reg_write(d, VMMIO_QUEUE_DRIVER_LOW, 4, (uint32_t)DEF_AVAIL(q));
        reg_write(d, VMMIO_QUEUE_DRIVER_HIGH, 4, 0);
        reg_write(d, VMMIO_QUEUE_DEVICE_LOW, 4, (uint32_t)DEF_USED(q));
        reg_write(d, VMMIO_QUEUE_DEVICE_HIGH, 4, 0);
        reg_write(d, VMMIO_QUEUE_READY, 4, 1);
    }
    if (!(m & 2))
        reg_write(d, VMMIO_STATUS, 4,
                  VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                      VIRTIO_STATUS_DRIVER_OK);
}

static void op_room(struct dev *d, struct fz *f)
{
    uint16_t r = fz_u16(f);
    d->room = r == 0xffff ? ROOM_ALL : r;
}

/* ---- the run ---- */

static void dev_init(uint32_t i)
{
    struct dev *d = &devs[i];
    uint8_t *ram = d->ram;
    memset(d, 0, sizeof(*d));
    d->ram = ram;
    memset(ram, 0, RAM_SIZE);
    d->mem = (struct guest_mem){.ipa_base = RAM_BASE, .size = RAM_SIZE, .hva = ram};
    d->room = ROOM_ALL;
    cur = i;
    vcon_init(&d->c, &d->mem, 80, 25, &host, d);
}

static void snapshot(uint32_t i)
{
    memcpy(&snap_dev, &devs[i], sizeof(snap_dev));
    memcpy(snap_ram, devs[i].ram, RAM_SIZE);
}

static void check_untouched(uint32_t i)
{
    FZ_CHECK(memcmp(&snap_dev, &devs[i], sizeof(snap_dev)) == 0);
    FZ_CHECK(memcmp(snap_ram, devs[i].ram, RAM_SIZE) == 0);
}

/* Operations now drive device i: the one they leave must be as it was when they left it. */
static void switch_to(uint32_t i)
{
    if (i == cur)
        return;
    check_untouched(i);
    snapshot(cur);
    cur = i;
}

typedef void (*op_fn)(struct dev *d, struct fz *f);

static void op_kick(struct dev *d, struct fz *f)
{
    (void)f;
    vcon_rx_deliver(&d->c);
}

static void op_resume(struct dev *d, struct fz *f)
{
    (void)f;
    vcon_tx_resume(&d->c);
}

static const op_fn ops[] = {
    op_write, op_read, op_named_write, op_mem,    op_desc, op_avail,
    op_input, op_pop,  op_kick,        op_resume, op_room, op_setup,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    for (uint32_t i = 0; i < NDEV; i++) {
        if (!devs[i].ram)
            devs[i].ram = fz_alloc(RAM_SIZE);
        dev_init(i);
    }
    cur = 0;
    snapshot(1);
    while (fz_more(&f)) {
        uint8_t b = fz_u8(&f);
        switch_to(b >> 7);
        struct dev *d = &devs[cur];
        uint32_t old_status = d->c.mmio.status;
        uint64_t old_features = d->c.mmio.driver_features;
        ops[(b & 0x7f) % (sizeof(ops) / sizeof(ops[0]))](d, &f);
        check_dev(d, old_status, old_features);
    }
    check_untouched(cur ^ 1);
    return 0;
}
