/*
 * Hostile test commands: the guest misbehaves on purpose so a system test can check that
 * the hypervisor contains it (only this zone's console is reset, only this zone gets an
 * abort, other zones keep running) and logs each fault once.
 *
 *   hostile ring CLASS|all  publish one malformed virtqueue, then recover through the
 *                           DEVICE_NEEDS_RESET path
 *   hostile peek IPA        32-bit read under fault catching
 *   hostile poke IPA        32-bit write under fault catching
 *   hostile ldp|stp|ldr-post|str-pre|ldr64 IPA
 *                           accesses the hypervisor cannot (or must not) emulate
 *   hostile addrs           all of the above over the sensitive addresses outside our RAM
 *   hostile spin MS         spin with DAIF fully masked
 *   hostile lr N            N enabled SPIs made pending at once (more than the hypervisor
 *                           has list registers), then waits for every one to be taken
 *   hostile prio N          N SPIs (2 to 16), each more urgent than the one before, made
 *                           pending at once; checks they are taken most urgent first
 *   hostile level K         after a key, the console's level-sensitive interrupt is EOId K
 *                           times without acknowledging the device: each EOI must bring it
 *                           back while the line is high
 *   hostile timer [MS]      the virtual timer ticking every millisecond for MS (default 100)
 *                           ms, its handler rewriting only CVAL (never CNTV_CTL)
 *   hostile cpuon           failing PSCI CPU_ON calls (self, unknown MPIDR, entry outside
 *                           RAM), each result printed; this zone must go on unharmed
 *   hostile cpuon race [N]  N CPU_ON calls back to back at the second vCPU, which counts each
 *                           start and turns itself off again: starts must equal successes,
 *                           per context id (the calls alternate between two)
 *   hostile nocache [N]     N pattern bytes sent with the data cache off (non-cacheable ring
 *                           and buffer accesses), then their crc32
 *   hostile reset-storm [off]  PSCI SYSTEM_RESET (or SYSTEM_OFF), to be raced against the
 *                           console's restart key by a test
 *   hostile bigchain [NDESC [SIZE]]
 *                           ONE transmit chain of NDESC descriptors of SIZE bytes each
 *                           (default 16 x 1 MiB) over a RAM buffer holding the flood
 *                           pattern, so the hypervisor can be checked for forwarding it
 *                           losslessly; prints its crc32 and the ticks from notify to used
 *   hostile ctl [flood N]   control messages the multiport device must refuse, each logged
 *                           once (hostile_ports.c); the device set up again afterwards
 *
 * Every command leaves the console working. Nothing is printed between publishing a
 * defect and the recovery: output queued then would be lost with the old rings.
 */
#include "hostile.h"

#include "arch.h"
#include "boot.h"
#include "console.h"
#include "crc32.h"
#include "exceptions.h"
#include "fdt.h"
#include "gic.h"
#include "hostile_ports.h"
#include "mmio.h"
#include "mmu.h"
#include "pattern.h"
#include "print.h"
#include "util.h"
#include "virtio_console.h"
#include "virtio_mmio.h"

#define RX_QUEUE 0
#define TX_QUEUE 1
#define VIRTQ_DESC_F_INDIRECT 4u

#define DEFAULT_RAM_BASE 0x40000000ull
#define DEFAULT_RAM_SIZE 0x04000000ull

/* How long to wait for the device to flag a defect and for the recovery to complete. */
#define FLAG_WAIT_MS 200
#define KEY_WAIT_MS 60000
#define RECOVER_WAIT_MS 2000

#define POKE_VALUE 0x484f5354u /* "HOST" */

#define BIGCHAIN_NDESC 16u
#define BIGCHAIN_SIZE 0x100000ull
#define BIGCHAIN_ALIGN 0x200000ull /* buffer placement and keep-out granularity: 2 MiB */
#define FDT_TOTALSIZE_OFF 4

static uint64_t ram_base, ram_size;
static uint8_t chain_buf[64] __attribute__((aligned(64))) = "hostile\r\n";

/* ---- helpers ---- */

static uint64_t ms_to_ticks(uint64_t ms)
{
    return ms * read_cntfrq_el0() / 1000;
}

static uint64_t ticks_to_us(uint64_t t)
{
    uint64_t f = read_cntfrq_el0();

    return f ? t * 1000000 / f : 0;
}

static int parse_hex(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    int digits = 0;

    s = skip_spaces(s);
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    for (;; s++, digits++) {
        unsigned d;

        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (*s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            break;
        if (digits == 16)
            return -1;
        v = (v << 4) | d;
    }
    s = skip_spaces(s);
    if (!digits || *s)
        return -1;
    *out = v;
    return 0;
}

static int find_memory(const struct fdt *f, const struct fdt_node *n, void *ctx)
{
    uint32_t len;
    const uint8_t *p = fdt_prop(f, n, "device_type", &len);
    uint64_t base, size;

    (void)ctx;
    if (n->depth != 1 || !p || len < 7 || memcmp(p, "memory", 7))
        return 0;
    if (fdt_reg(f, n, 0, &base, &size) || !size)
        return 0;
    ram_base = base;
    ram_size = size;
    return 1;
}

/* Our RAM from the device tree's memory node (QEMU virt's layout if that fails). */
static void learn_ram(void)
{
    struct fdt f;

    if (ram_size)
        return;
    if (fdt_init(&f, (uintptr_t)boot_get_info()->fdt) == 0)
        fdt_walk(&f, find_memory, 0);
    if (!ram_size) {
        ram_base = DEFAULT_RAM_BASE;
        ram_size = DEFAULT_RAM_SIZE;
    }
}

static int in_own_ram(uint64_t a)
{
    return a >= ram_base && a - ram_base < ram_size;
}

/* ---- malformed rings ---- */

enum ring_kind {
    KIND_TX,    /* defect published on the live TX queue, then notified */
    KIND_RX,    /* defect on the live RX queue; the device finds it when input arrives */
    KIND_SETUP, /* defect programmed during queue setup, found at QueueReady=1 */
};

struct ring_class {
    const char *name;
    enum ring_kind kind;
    void (*tx)(struct vqueue *q);
    vcon_queue_adjust_fn setup;
    const char *what;
};

static struct virtq_desc *qdesc(struct vqueue *q, unsigned i)
{
    return &q->mem->desc[i];
}

static void set_desc(struct vqueue *q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    struct virtq_desc *d = qdesc(q, i);

    d->addr = addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

static uint64_t buf_addr(void)
{
    return (uint64_t)(uintptr_t)chain_buf;
}

/* Puts head into the next avail slot and publishes it (like the driver's own path). */
static void publish_head(struct vqueue *q, uint16_t head)
{
    q->mem->avail.ring[q->avail_idx % q->num] = head;
    q->avail_idx++;
    dmb_ishst();
    *(volatile uint16_t *)&q->mem->avail.idx = q->avail_idx;
}

static void tx_head_range(struct vqueue *q)
{
    set_desc(q, 0, buf_addr(), 8, 0, 0);
    publish_head(q, q->num); /* first invalid index */
}

static void tx_next_range(struct vqueue *q)
{
    set_desc(q, 0, buf_addr(), 8, VIRTQ_DESC_F_NEXT, q->num);
    publish_head(q, 0);
}

static void tx_loop(struct vqueue *q)
{
    set_desc(q, 0, buf_addr(), 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc(q, 1, buf_addr() + 8, 8, VIRTQ_DESC_F_NEXT, 0);
    publish_head(q, 0);
}

static void tx_avail_ahead(struct vqueue *q)
{
    /* Everything before was consumed: the device's last_avail is our avail_idx. */
    set_desc(q, 0, buf_addr(), 8, 0, 0);
    q->avail_idx = (uint16_t)(q->avail_idx + q->num + 1);
    dmb_ishst();
    *(volatile uint16_t *)&q->mem->avail.idx = q->avail_idx;
}

static void tx_buf_range(struct vqueue *q)
{
    /* Where the next zone's RAM would be, as an IPA it is simply outside ours. */
    set_desc(q, 0, 0x50000000ull, 16, 0, 0);
    publish_head(q, 0);
}

static void tx_buf_end(struct vqueue *q)
{
    set_desc(q, 0, ram_base + ram_size - 8, 16, 0, 0); /* straddles the end of RAM */
    publish_head(q, 0);
}

static void tx_buf_wrap(struct vqueue *q)
{
    set_desc(q, 0, 0xfffffffffffffff8ull, 16, 0, 0); /* addr + len wraps to 8 */
    publish_head(q, 0);
}

static void tx_indirect(struct vqueue *q)
{
    set_desc(q, 1, buf_addr(), 8, 0, 0);
    set_desc(q, 0, (uint64_t)(uintptr_t)qdesc(q, 1), 16, VIRTQ_DESC_F_INDIRECT, 0);
    publish_head(q, 0);
}

static void tx_writable(struct vqueue *q)
{
    set_desc(q, 0, buf_addr(), 8, VIRTQ_DESC_F_WRITE, 0);
    publish_head(q, 0);
}

static void rx_readonly(struct vqueue *q)
{
    /* Every posted receive buffer becomes device-readable: whichever the device takes next
     * for input is wrong. (IRQs are masked, so the driver does not repost meanwhile.) */
    for (unsigned i = 0; i < q->num; i++) {
        struct virtq_desc *d = qdesc(q, i);

        if (d->flags & VIRTQ_DESC_F_WRITE)
            d->flags = 0;
    }
    dsb_st();
}

static void setup_align_desc(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc,
                             uint64_t *avail, uint64_t *used)
{
    (void)ctx, (void)max, (void)num, (void)avail, (void)used;
    *desc += 8; /* needs 16 */
}

static void setup_align_avail(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc,
                              uint64_t *avail, uint64_t *used)
{
    (void)ctx, (void)max, (void)num, (void)desc, (void)used;
    *avail += 1; /* needs 2 */
}

static void setup_align_used(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc,
                             uint64_t *avail, uint64_t *used)
{
    (void)ctx, (void)max, (void)num, (void)desc, (void)avail;
    *used += 2; /* needs 4 */
}

static void setup_ring_range(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc,
                             uint64_t *avail, uint64_t *used)
{
    (void)ctx, (void)max, (void)desc, (void)avail;
    /* used ring (4 + 8 * num + 2 bytes) starting 16 bytes before the end of RAM */
    *used = ram_base + ram_size - 16;
    if (*num < 4)
        *num = 4;
}

static void setup_num_zero(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc, uint64_t *avail,
                           uint64_t *used)
{
    (void)ctx, (void)max, (void)desc, (void)avail, (void)used;
    *num = 0;
}

static void setup_num_not_pow2(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc,
                               uint64_t *avail, uint64_t *used)
{
    (void)ctx, (void)max, (void)desc, (void)avail, (void)used;
    *num = 48; /* fits our rings and QueueNumMax, but is no power of two */
    if (*num > max)
        *num = max > 3 ? 3 : max + 1;
}

static void setup_num_too_big(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc,
                              uint64_t *avail, uint64_t *used)
{
    (void)ctx, (void)desc, (void)avail, (void)used;
    /* a power of two, so only the QueueNumMax check can refuse it */
    *num = 1;
    while (*num <= max && *num < 0x80000000u)
        *num <<= 1;
}

#define TX_CLASS(n, fn, w)                                                                         \
    {                                                                                              \
        n, KIND_TX, fn, 0, w                                                                       \
    }
#define SETUP_CLASS(n, fn, w)                                                                      \
    {                                                                                              \
        n, KIND_SETUP, 0, fn, w                                                                    \
    }

static const struct ring_class ring_classes[] = {
    TX_CLASS("head-range", tx_head_range, "TX head index = QueueNum"),
    TX_CLASS("next-range", tx_next_range, "TX descriptor next = QueueNum"),
    TX_CLASS("loop", tx_loop, "TX chain 0 -> 1 -> 0"),
    TX_CLASS("avail-ahead", tx_avail_ahead, "TX avail.idx ahead by QueueNum + 1"),
    TX_CLASS("buf-range", tx_buf_range, "TX buffer at IPA 0x50000000"),
    TX_CLASS("buf-end", tx_buf_end, "TX buffer straddling the end of RAM"),
    TX_CLASS("buf-wrap", tx_buf_wrap, "TX buffer at 2^64 - 8, 16 bytes"),
    TX_CLASS("indirect", tx_indirect, "TX indirect descriptor (not negotiated)"),
    TX_CLASS("tx-writable", tx_writable, "TX buffer marked device-writable"),
    {"rx-readonly", KIND_RX, rx_readonly, 0, "RX buffers marked device-readable"},
    SETUP_CLASS("align-desc", setup_align_desc, "TX descriptor table at 8 mod 16"),
    SETUP_CLASS("align-avail", setup_align_avail, "TX avail ring at an odd address"),
    SETUP_CLASS("align-used", setup_align_used, "TX used ring at 2 mod 4"),
    SETUP_CLASS("ring-range", setup_ring_range, "TX used ring straddling the end of RAM"),
    SETUP_CLASS("num-zero", setup_num_zero, "TX QueueNum 0"),
    SETUP_CLASS("num-not-pow2", setup_num_not_pow2, "TX QueueNum 48"),
    SETUP_CLASS("num-too-big", setup_num_too_big, "TX QueueNum 2 * QueueNumMax"),
};

static int wait_flagged(uint64_t ms)
{
    uint64_t end = counter_read() + ms_to_ticks(ms);

    uint64_t gap = ms_to_ticks(1), next;

    do {
        if (vcon_reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
            return 1;
        /* each read is a trap: poll about once a millisecond, not flat out */
        next = counter_read() + gap;
        while (counter_read() < next)
            cpu_relax();
    } while (counter_read() < end);
    return 0;
}

/* Lets the driver's interrupt path see the configuration change and re-initialise. */
static int wait_recovered(uint32_t resets0, uint64_t ms)
{
    uint64_t end = counter_read() + ms_to_ticks(ms);
    int ok = 0;

    irq_unmask();
    do {
        if (vcon_get_info()->resets != resets0) {
            ok = 1;
            break;
        }
        cpu_relax();
    } while (counter_read() < end);
    irq_mask();
    return ok;
}

/* Input the device held back while the RX ring was bad arrives after the reset: drop it. */
static unsigned drain_input(void)
{
    unsigned n = 0;

    vcon_poll_rx();
    while (vcon_getc() >= 0)
        n++;
    return n;
}

/* Returns 1 if the console was recovered through DEVICE_NEEDS_RESET. */
static int run_ring_class(const struct ring_class *c)
{
    uint32_t resets0 = vcon_get_info()->resets;
    uint32_t status = 0, isr = 0;
    int flagged, recovered = 0;
    unsigned dropped = 0;
    const char *why = "";

    kprintf("hostile ring %s: %s\r\n", c->name, c->what);
    console_flush();
    irq_mask();

    if (c->kind == KIND_SETUP) {
        vcon_setup_until_queue(TX_QUEUE, c->setup, 0);
        flagged = wait_flagged(FLAG_WAIT_MS);
    } else if (c->kind == KIND_TX) {
        struct vqueue *q = vcon_queue(TX_QUEUE);

        c->tx(q);
        dsb_st();
        mmio_write32(vcon_base() + VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
        flagged = wait_flagged(FLAG_WAIT_MS);
    } else {
        vcon_poll_rx(); /* take what already arrived, so every posted buffer is pending */
        c->tx(vcon_queue(RX_QUEUE));
        /* Only now ask for input: a key typed earlier would have found a good buffer. */
        kprintf("hostile ring %s: armed, press a key\r\n", c->name);
        console_flush();
        flagged = wait_flagged(KEY_WAIT_MS);
    }
    status = vcon_reg_read(VIRTIO_MMIO_STATUS);
    isr = vcon_reg_read(VIRTIO_MMIO_INTERRUPT_STATUS);

    if (!flagged) {
        why = "device did not set DEVICE_NEEDS_RESET";
        vcon_reinit();
    } else if (c->kind == KIND_SETUP) {
        /* The driver is mid-initialisation (no interrupt handling yet): check directly. */
        recovered = vcon_recover();
        if (!recovered)
            why = "recovery failed";
    } else {
        recovered = wait_recovered(resets0, RECOVER_WAIT_MS);
        if (!recovered) {
            why = "no configuration-change interrupt";
            if (!vcon_recover())
                vcon_reinit();
        }
    }
    if (c->kind == KIND_RX)
        dropped = drain_input();

    kprintf("hostile ring %s: device status=0x%x isr=0x%x", c->name, status, isr);
    if (c->kind == KIND_RX)
        kprintf(" discarded=%u", dropped);
    kputs("\r\n");
    if (recovered)
        kprintf("hostile ring %s: recovered\r\n", c->name);
    else
        kprintf("hostile ring %s: not recovered (%s)\r\n", c->name, why);
    console_flush();
    return recovered;
}

static void list_classes(void)
{
    kputs("classes:");
    for (unsigned i = 0; i < ARRAY_SIZE(ring_classes); i++)
        kprintf(" %s", ring_classes[i].name);
    kputs(" all\r\n");
}

static void cmd_ring(const char *args)
{
    unsigned ok = 0, n = 0;

    args = skip_spaces(args);
    if (str_eq(args, "all")) {
        for (unsigned i = 0; i < ARRAY_SIZE(ring_classes); i++, n++)
            ok += (unsigned)run_ring_class(&ring_classes[i]);
        kprintf("hostile ring all: %u of %u recovered\r\n", ok, n);
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(ring_classes); i++) {
        if (str_eq(args, ring_classes[i].name)) {
            run_ring_class(&ring_classes[i]);
            return;
        }
    }
    kputs("usage: hostile ring CLASS\r\n");
    list_classes();
}

/* ---- accesses the hypervisor must refuse ---- */

enum access_kind { ACC_PEEK, ACC_POKE, ACC_LDP, ACC_STP, ACC_LDR_POST, ACC_STR_PRE, ACC_LDR64 };

struct access_op {
    const char *name;
    enum access_kind kind;
    int write;
};

static const struct access_op access_ops[] = {
    {"peek", ACC_PEEK, 0},   {"poke", ACC_POKE, 1},         {"ldp", ACC_LDP, 0},
    {"stp", ACC_STP, 1},     {"ldr-post", ACC_LDR_POST, 0}, {"str-pre", ACC_STR_PRE, 1},
    {"ldr64", ACC_LDR64, 0},
};

/*
 * One access of the given kind at addr, with fault catching. Values read land in v[0..1];
 * *base_after gets the base register after a writeback form (unchanged if it faulted).
 */
static int do_access(enum access_kind k, uint64_t addr, uint64_t v[2], uint64_t *base_after,
                     struct fault_info *fi)
{
    uint64_t a = addr, x0 = 0, x1 = 0;
    uint32_t w0 = 0, w1 = 0;

    fault_catch_begin();
    switch (k) {
    case ACC_PEEK:
        w0 = mmio_read32(a);
        break;
    case ACC_POKE:
        mmio_write32(a, POKE_VALUE);
        break;
    case ACC_LDP:
        __asm__ volatile("ldp %w0, %w1, [%2]" : "+r"(w0), "+r"(w1) : "r"(a) : "memory");
        break;
    case ACC_STP:
        __asm__ volatile("stp %w0, %w0, [%1]" : : "r"(POKE_VALUE), "r"(a) : "memory");
        break;
    case ACC_LDR_POST:
        __asm__ volatile("ldr %w0, [%1], #4" : "+r"(w0), "+r"(a) : : "memory");
        break;
    case ACC_STR_PRE:
        a -= 4;
        __asm__ volatile("str %w1, [%0, #4]!" : "+r"(a) : "r"(POKE_VALUE) : "memory");
        break;
    case ACC_LDR64:
        __asm__ volatile("ldr %0, [%1]" : "+r"(x0) : "r"(a) : "memory");
        break;
    }
    v[0] = x0 | w0;
    v[1] = x1 | w1;
    *base_after = a;
    return fault_catch_end(fi);
}

/* Performs and reports one access; returns 1 if it was aborted. */
static int probe(const struct access_op *op, uint64_t addr)
{
    struct fault_info fi;
    uint64_t v[2], base_after;

    if (op->write && in_own_ram(addr)) {
        kprintf("hostile %s 0x%lx: refusing to write our own RAM\r\n", op->name,
                (unsigned long)addr);
        return 0;
    }
    console_flush(); /* the hypervisor's log line comes out between our lines */
    if (do_access(op->kind, addr, v, &base_after, &fi)) {
        kprintf("hostile %s 0x%lx: abort caught (esr=0x%lx, far=0x%lx)\r\n", op->name,
                (unsigned long)addr, (unsigned long)fi.esr, (unsigned long)fi.far);
        console_flush();
        return 1;
    }
    kprintf("hostile %s 0x%lx: no abort", op->name, (unsigned long)addr);
    if (!op->write)
        kprintf(", read 0x%lx", (unsigned long)v[0]);
    if (op->kind == ACC_LDP)
        kprintf(" 0x%lx", (unsigned long)v[1]);
    if (op->kind == ACC_LDR_POST || op->kind == ACC_STR_PRE)
        kprintf(", base 0x%lx", (unsigned long)base_after);
    kputs("\r\n");
    console_flush();
    return 0;
}

static void cmd_access(const struct access_op *op, const char *args)
{
    uint64_t addr;

    if (parse_hex(args, &addr)) {
        kprintf("usage: hostile %s IPA (hex)\r\n", op->name);
        return;
    }
    probe(op, addr);
}

/* IPAs outside our RAM that name something sensitive in the physical map. */
static const uint64_t sensitive_ipas[] = {
    0x44000000, /* first byte past our 64 MiB */
    0x4c000000, /* further beyond our RAM */
    0x50000000, /* linux0's RAM, as a PA */
    0x60000000, /* linux1's RAM, as a PA */
    0x70000000, /* our own RAM, as a PA */
    0x09000000, /* physical PL011 */
    0x08080000, /* GIC ITS */
    0x08010000, /* GICv2 CPU interface region, just past the distributor */
    0x080c0000, /* redistributor frame of a second vCPU (we have one) */
};

/* Accesses at the virtio window that the hypervisor must not emulate. */
static const struct {
    enum access_kind kind;
    uint32_t off;
} window_ops[] = {
    {ACC_LDP, VIRTIO_MMIO_MAGIC_VALUE},
    {ACC_LDR_POST, VIRTIO_MMIO_MAGIC_VALUE},
    {ACC_STP, 0x0f0}, /* reserved registers: harmless if wrongly emulated */
    {ACC_STR_PRE, 0x0f0},
    {ACC_LDR64, VIRTIO_MMIO_MAGIC_VALUE},
};

static const struct access_op *op_by_kind(enum access_kind k)
{
    for (unsigned i = 0; i < ARRAY_SIZE(access_ops); i++) {
        if (access_ops[i].kind == k)
            return &access_ops[i];
    }
    return &access_ops[0];
}

static void cmd_addrs(void)
{
    unsigned n = 0, aborted = 0;
    uint64_t t0, t1;

    t0 = counter_read();
    for (unsigned i = 0; i < ARRAY_SIZE(sensitive_ipas); i++) {
        aborted += (unsigned)probe(op_by_kind(ACC_PEEK), sensitive_ipas[i]);
        aborted += (unsigned)probe(op_by_kind(ACC_POKE), sensitive_ipas[i]);
        n += 2;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(window_ops); i++, n++)
        aborted += (unsigned)probe(op_by_kind(window_ops[i].kind), vcon_base() + window_ops[i].off);
    t1 = counter_read();
    kprintf("hostile addrs: %u accesses, %u aborted, %u not aborted, %lu us\r\n", n, aborted,
            n - aborted, (unsigned long)ticks_to_us(t1 - t0));
}

/* ---- masked spin ---- */

static void cmd_spin(const char *args)
{
    uint64_t ms, daif, end;

    if (parse_u64(args, &ms) || ms > 600000) {
        kputs("usage: hostile spin MS (decimal, at most 600000)\r\n");
        return;
    }
    console_flush();
    __asm__ volatile("mrs %0, daif" : "=r"(daif));
    __asm__ volatile("msr daifset, #0xf" : : : "memory");
    end = counter_read() + ms_to_ticks(ms);
    while (counter_read() < end)
        ;
    __asm__ volatile("msr daif, %0" : : "r"(daif) : "memory");
    kputs("hostile spin done\r\n");
}

/* ---- more pending interrupts than list registers ---- */

#define LR_FIRST_SPI 64 /* clear of the console's SPI (virtio-mmio, 48 and up on QEMU virt) */
#define LR_MAX 32
#define LR_WAIT_MS 2000

static volatile uint32_t lr_taken[LR_MAX];

static void lr_handler(uint32_t intid)
{
    if (intid >= LR_FIRST_SPI && intid < LR_FIRST_SPI + LR_MAX)
        lr_taken[intid - LR_FIRST_SPI]++;
}

/*
 * SPIs LR_FIRST_SPI.. LR_FIRST_SPI+n-1 pended with interrupts masked, so that all are pending
 * together when they are taken; then interrupts unmasked. Returns the DAIF to restore.
 */
static uint64_t pend_at_once(uint32_t n)
{
    uint64_t daif;

    console_flush();
    __asm__ volatile("mrs %0, daif" : "=r"(daif));
    __asm__ volatile("msr daifset, #2" : : : "memory");
    gic_set_pending_spis(LR_FIRST_SPI, n);
    __asm__ volatile("msr daifclr, #2" : : : "memory");
    return daif;
}

static void cmd_lr(const char *args)
{
    uint64_t n, t0, end;
    uint32_t got = 0, twice = 0;
    uint64_t daif;

    if (parse_u64(args, &n) || n < 1 || n > LR_MAX) {
        kprintf("usage: hostile lr N (1 to %u)\r\n", LR_MAX);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        lr_taken[i] = 0;
        if (gic_enable_spi(LR_FIRST_SPI + i, 1, lr_handler)) {
            kprintf("hostile lr: cannot enable SPI %u\r\n", LR_FIRST_SPI + i);
            return;
        }
    }
    daif = pend_at_once((uint32_t)n);
    t0 = counter_read();
    end = t0 + ms_to_ticks(LR_WAIT_MS);
    for (;;) {
        got = twice = 0;
        for (uint32_t i = 0; i < n; i++) {
            got += lr_taken[i] != 0;
            twice += lr_taken[i] > 1;
        }
        if (got == n || counter_read() >= end)
            break;
        cpu_relax();
    }
    __asm__ volatile("msr daif, %0" : : "r"(daif) : "memory");
    kprintf("hostile lr %lu: %u of %lu taken, %u more than once, %lu us\r\n", (unsigned long)n, got,
            (unsigned long)n, twice, (unsigned long)ticks_to_us(counter_read() - t0));
}

/* ---- priority order across more interrupts than list registers ---- */

#define PRIO_MAX 16      /* distinct priorities in 5 implemented bits, below the 0xff mask */
#define PRIO_LOWEST 0xf0 /* SPI LR_FIRST_SPI's; each next INTID is one step more urgent */
#define PRIO_STEP 8      /* a virtual CPU interface may implement only the top 5 bits */

static volatile uint32_t prio_order[PRIO_MAX];
static volatile uint32_t prio_count;

static void prio_handler(uint32_t intid)
{
    if (prio_count < PRIO_MAX)
        prio_order[prio_count] = intid;
    prio_count++;
}

/* 1 if the interrupts were taken most urgent first: INTIDs strictly descending. */
static int prio_descending(uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        if (prio_order[i] >= prio_order[i - 1])
            return 0;
    return 1;
}

static void cmd_prio(const char *args)
{
    uint64_t n, end, daif;

    if (parse_u64(args, &n) || n < 2 || n > PRIO_MAX) {
        kprintf("usage: hostile prio N (2 to %u)\r\n", PRIO_MAX);
        return;
    }
    prio_count = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t intid = LR_FIRST_SPI + i;
        if (gic_enable_spi(intid, 1, prio_handler) ||
            gic_set_spi_priority(intid, (uint8_t)(PRIO_LOWEST - PRIO_STEP * i))) {
            kprintf("hostile prio: cannot enable SPI %u\r\n", intid);
            return;
        }
    }
    daif = pend_at_once((uint32_t)n);
    end = counter_read() + ms_to_ticks(LR_WAIT_MS);
    while (prio_count < n && counter_read() < end)
        cpu_relax();
    __asm__ volatile("msr daif, %0" : : "r"(daif) : "memory");
    kprintf("hostile prio %lu: %u taken, order", (unsigned long)n, prio_count);
    for (uint32_t i = 0; i < prio_count && i < PRIO_MAX; i++)
        kprintf(" %u", prio_order[i]);
    kprintf(", %s\r\n",
            prio_count == n && prio_descending((uint32_t)n) ? "most urgent first" : "WRONG");
}

/* ---- a level-sensitive line still high after EOI ---- */

#define LEVEL_MAX 1000
#define LEVEL_KEY_MS 10000

static volatile uint32_t level_deliveries;
static uint32_t level_unacked; /* deliveries to leave unacknowledged at the device */

/*
 * The console's interrupt handler, except that the first level_unacked deliveries leave
 * InterruptStatus set: the device keeps its level-sensitive line high, so a GIC must deliver
 * the interrupt again as soon as it is EOId. Then the real handler acknowledges it.
 */
static void level_handler(uint32_t intid)
{
    if (++level_deliveries > level_unacked)
        vcon_irq(intid);
}

static void cmd_level(const char *args)
{
    const struct boot_info *b = boot_get_info();
    uint64_t k, end, daif;
    irq_handler_fn old;

    if (parse_u64(args, &k) || k < 1 || k > LEVEL_MAX) {
        kprintf("usage: hostile level K (1 to %u)\r\n", LEVEL_MAX);
        return;
    }
    if (!b->con_intid || b->con_edge) {
        kputs("hostile level: the console has no level-sensitive interrupt\r\n");
        return;
    }
    level_unacked = (uint32_t)k;
    level_deliveries = 0;
    kprintf("hostile level %lu: press a key\r\n", (unsigned long)k);
    console_flush();
    __asm__ volatile("mrs %0, daif" : "=r"(daif));
    __asm__ volatile("msr daifset, #2" : : : "memory");
    old = gic_set_handler(b->con_intid, level_handler);
    __asm__ volatile("msr daifclr, #2" : : : "memory");
    end = counter_read() + ms_to_ticks(LEVEL_KEY_MS);
    while (level_deliveries <= level_unacked && counter_read() < end)
        cpu_relax();
    __asm__ volatile("msr daifset, #2" : : : "memory");
    gic_set_handler(b->con_intid, old);
    __asm__ volatile("msr daif, %0" : : "r"(daif) : "memory");
    drain_input();
    kprintf("hostile level %lu: %u deliveries, %s\r\n", (unsigned long)k, level_deliveries,
            level_deliveries > level_unacked ? "delivered again while high" : "WRONG");
}

/* ---- a timer handler that only rewrites CVAL ---- */

#define VTIMER_PPI 27
#define CNTV_CTL_ENABLE 1u

static volatile uint32_t timer_ticks;
static uint64_t timer_period;

static void timer_handler(uint32_t intid)
{
    (void)intid;
    timer_ticks++;
    /* The next deadline only: CNTV_CTL is left as it is, as a guest may (the architecture
     * does not ask a handler to touch it). */
    write_cntv_cval_el0(read_cntv_cval_el0() + timer_period);
    isb();
}

static void cmd_timer(const char *args)
{
    uint64_t ms = 100, t0, end, daif;

    if (*skip_spaces(args) && (parse_u64(args, &ms) || ms < 1 || ms > 10000)) {
        kputs("usage: hostile timer [MS] (1 to 10000, default 100)\r\n");
        return;
    }
    console_flush();
    timer_ticks = 0;
    timer_period = ms_to_ticks(1);
    __asm__ volatile("mrs %0, daif" : "=r"(daif));
    __asm__ volatile("msr daifset, #2" : : : "memory");
    if (gic_enable_ppi(VTIMER_PPI, timer_handler)) {
        __asm__ volatile("msr daif, %0" : : "r"(daif) : "memory");
        kputs("hostile timer: no GIC\r\n");
        return;
    }
    t0 = counter_read();
    end = t0 + ms_to_ticks(ms);
    write_cntv_cval_el0(t0 + timer_period);
    write_cntv_ctl_el0(CNTV_CTL_ENABLE);
    isb();
    __asm__ volatile("msr daifclr, #2" : : : "memory");
    while (counter_read() < end)
        cpu_relax(); /* no exit of our own: only the timer's interrupts reach the hypervisor */
    __asm__ volatile("msr daifset, #2" : : : "memory");
    write_cntv_ctl_el0(0);
    isb();
    gic_ppi_wake(VTIMER_PPI, 0);
    __asm__ volatile("msr daif, %0" : : "r"(daif) : "memory");
    kprintf("hostile timer: %u ticks in %lu ms (period 1 ms)\r\n", timer_ticks, (unsigned long)ms);
}

/* ---- PSCI ---- */

#define PSCI_CPU_ON 0xc4000003u
#define PSCI_CPU_ON_32 0x84000003u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

static int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (int64_t)x0;
}

static void cmd_cpuon_race(const char *args);
static const char *match_word(const char *args, const char *word);

static void cmd_cpuon(const char *args)
{
    const char *rest = match_word(skip_spaces(args), "race");

    if (rest) {
        cmd_cpuon_race(rest);
        return;
    }
    static const struct {
        const char *what;
        uint64_t fn, mpidr, entry;
    } calls[] = {
        {"self", PSCI_CPU_ON, 0, 0}, /* entry 0: our own code */
        {"unknown mpidr", PSCI_CPU_ON, 0x7, 0},
        {"entry outside RAM", PSCI_CPU_ON, 0, 0x1000},
        {"self again", PSCI_CPU_ON, 0, 0},
        /* SMC32 convention: only the low halves count, so this is "self" again */
        {"self 32-bit high bits set", PSCI_CPU_ON_32, 0xdead000000000000ull, 0},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(calls); i++) {
        uint64_t entry = calls[i].entry ? calls[i].entry : (uint64_t)(uintptr_t)cmd_cpuon;
        if (calls[i].fn == PSCI_CPU_ON_32)
            entry |= 0xbeef000000000000ull;
        int64_t r = psci(calls[i].fn, calls[i].mpidr, entry, 0x5eed);
        kprintf("hostile cpuon %s: %ld\r\n", calls[i].what, (long)r);
    }
}

/* ---- CPU_ON racing CPU_OFF and itself ---- */

#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_ALREADY_ON (-4)
#define PSCI_ON_PENDING (-5)
#define AFFINITY_OFF 1
#define RACE_DEFAULT 200
#define RACE_MAX 100000
#define RACE_OFF_WAIT_MS 2000
#define SECOND_VCPU_MPIDR 1 /* the hypervisor's vMPIDR: Aff0 = vCPU index */

void secondary_count_and_off(void); /* start.S */

/* Two start counters, one per context id, written by the second vCPU with its MMU off: each
 * alone in its cache line. */
#define RACE_LINE_WORDS 16
static volatile uint32_t race_started[2][RACE_LINE_WORDS] __attribute__((aligned(64)));

static void race_counters_sync(void)
{
    for (unsigned i = 0; i < 2; i++)
        __asm__ volatile("dc civac, %0" : : "r"(race_started[i]) : "memory");
    __asm__ volatile("dsb sy" : : : "memory");
}

struct race_result {
    uint32_t ok[2], already_on, pending, other;
    int64_t first_other;
};

/*
 * n CPU_ON calls at the second vCPU, back to back: each start it gets counts itself and turns
 * itself off again, so calls land on a vCPU that is off, starting, running or stopping. The
 * calls alternate between two context ids (two counters): a failing call that touched the
 * start in flight would show as a start counted under the wrong one.
 */
static void race(uint64_t n, struct race_result *r)
{
    uint64_t entry = (uint64_t)(uintptr_t)secondary_count_and_off;

    for (uint64_t i = 0; i < n; i++) {
        uint64_t ctx = (uint64_t)(uintptr_t)race_started[i & 1];
        int64_t ret = psci(PSCI_CPU_ON, SECOND_VCPU_MPIDR, entry, ctx);
        if (ret == 0)
            r->ok[i & 1]++;
        else if (ret == PSCI_ALREADY_ON)
            r->already_on++;
        else if (ret == PSCI_ON_PENDING)
            r->pending++;
        else if (!r->other++)
            r->first_other = ret;
    }
}

static void cmd_cpuon_race(const char *args)
{
    uint64_t n = RACE_DEFAULT, end;
    struct race_result r = {0};
    int64_t aff;

    if (*skip_spaces(args) && (parse_u64(args, &n) || n < 1 || n > RACE_MAX)) {
        kprintf("usage: hostile cpuon race [N] (1 to %u, default %u)\r\n", RACE_MAX, RACE_DEFAULT);
        return;
    }
    race_started[0][0] = race_started[1][0] = 0;
    race_counters_sync();
    race(n, &r);
    end = counter_read() + ms_to_ticks(RACE_OFF_WAIT_MS);
    do
        aff = psci(PSCI_AFFINITY_INFO, SECOND_VCPU_MPIDR, 0, 0);
    while (aff != AFFINITY_OFF && counter_read() < end);
    race_counters_sync();
    kprintf("hostile cpuon race %lu: %u+%u started, %u+%u succeeded, %u already on, %u pending, "
            "%u other (first %ld), second vCPU %s\r\n",
            (unsigned long)n, race_started[0][0], race_started[1][0], r.ok[0], r.ok[1],
            r.already_on, r.pending, r.other, (long)r.first_other,
            aff == AFFINITY_OFF ? "off" : "not off");
}

/* ---- rings accessed with the data cache off ---- */

#define NOCACHE_DEFAULT 4096
#define NOCACHE_MAX (1u << 20)

static void cmd_nocache(const char *args)
{
    uint64_t n = NOCACHE_DEFAULT;
    uint32_t crc;

    if (*skip_spaces(args) && (parse_u64(args, &n) || n < 1 || n > NOCACHE_MAX)) {
        kprintf("usage: hostile nocache [N] (1 to %u, default %u)\r\n", NOCACHE_MAX,
                NOCACHE_DEFAULT);
        return;
    }
    console_flush();
    mmu_data_cache(0);
    crc = pattern_emit(n);
    console_flush();
    mmu_data_cache(1);
    kprintf("\r\nhostile nocache %lu: crc32=%08x\r\n", (unsigned long)n, crc);
}

static const char *match_word(const char *args, const char *word);

static void cmd_reset_storm(const char *args)
{
    int off = match_word(skip_spaces(args), "off") != 0;

    kprintf("hostile reset-storm: %s\r\n", off ? "SYSTEM_OFF" : "SYSTEM_RESET");
    console_flush();
    psci(off ? PSCI_SYSTEM_OFF : PSCI_SYSTEM_RESET, 0, 0, 0);
    kputs("hostile reset-storm: still running after the call\r\n");
}

/* ---- one big transmit chain ---- */

extern char _start[], __image_end[];

struct span {
    uint64_t lo, hi;
};

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return align_down(v + a - 1, a);
}

/*
 * What the buffer must stay clear of, rounded out to 2 MiB: our image (code, data, bss
 * with stack, rings and page tables) and the device tree (the hypervisor puts it in the
 * last 2 MiB of our RAM).
 */
static void keep_out(struct span out[2])
{
    const struct boot_info *b = boot_get_info();
    struct fdt f;
    uint64_t fdt_size = BIGCHAIN_ALIGN;

    out[0].lo = align_down(b->load_addr, BIGCHAIN_ALIGN);
    out[0].hi = align_up(b->load_addr + (uint64_t)(__image_end - _start), BIGCHAIN_ALIGN);
    if (fdt_init(&f, (uintptr_t)b->fdt) == 0) /* header checked: totalsize is sane */
        fdt_size = fdt_read_be32((const uint8_t *)(uintptr_t)b->fdt + FDT_TOTALSIZE_OFF);
    out[1].lo = align_down(b->fdt, BIGCHAIN_ALIGN);
    out[1].hi = align_up(b->fdt + fdt_size, BIGCHAIN_ALIGN);
}

/* Bytes free from a (2 MiB aligned) up to the next keep-out span or the end of RAM. */
static uint64_t free_at(uint64_t a, const struct span out[2])
{
    uint64_t end = ram_base + ram_size;

    if (a < ram_base || a >= end)
        return 0;
    for (unsigned i = 0; i < 2; i++) {
        if (a >= out[i].lo && a < out[i].hi)
            return 0;
        if (out[i].lo > a && out[i].lo < end)
            end = out[i].lo;
    }
    return end - a;
}

/* Lowest 2 MiB-aligned free place for len bytes; 0 if none (*most: the biggest that fits). */
static uint64_t place_buffer(uint64_t len, uint64_t *most)
{
    struct span out[2];
    uint64_t cand[3], best = 0;

    keep_out(out);
    cand[0] = align_up(ram_base, BIGCHAIN_ALIGN);
    cand[1] = out[0].hi;
    cand[2] = out[1].hi;
    *most = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(cand); i++) {
        uint64_t room = free_at(cand[i], out);

        if (room > *most)
            *most = room;
        if (room && room >= len && (!best || cand[i] < best))
            best = cand[i];
    }
    return best;
}

/* Next decimal word of *s into *v (unchanged if there is none); -1 if it is not a number. */
static int next_number(const char **s, uint64_t *v)
{
    const char *p = skip_spaces(*s);
    uint64_t n = 0;

    if (!*p)
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (p == skip_spaces(*s) || (*p && *p != ' '))
        return -1;
    *v = n;
    *s = p;
    return 0;
}

static void bigchain_usage(uint64_t most)
{
    kprintf("usage: hostile bigchain [NDESC [SIZE]]   (decimal; default %u x %lu; NDESC * SIZE "
            "at most %lu bytes)\r\n",
            BIGCHAIN_NDESC, (unsigned long)BIGCHAIN_SIZE, (unsigned long)most);
}

/*
 * Waits for the chain to be used with interrupts unmasked between the checks, so input
 * keeps arriving; each check runs masked, so a reset from the interrupt handler cannot
 * interleave with it. Returns what vcon_tx_chain_poll() returned last (1 or -1).
 */
static int bigchain_wait(uint64_t *used_at)
{
    uint64_t gap = ms_to_ticks(1), next = counter_read() + gap;
    int r;

    while ((r = vcon_tx_chain_poll()) == 0) {
        uint64_t now = counter_read();

        if (now >= next) {
            /* About once a millisecond (each register read is a trap): a device that gave
             * up on the ring, and input for a console without an interrupt. */
            next = now + gap;
            if (vcon_reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
                vcon_recover(); /* the chain is lost with the old rings: poll says so */
            vcon_poll_rx();
        }
        irq_unmask(); /* a pending console interrupt is taken here */
        cpu_relax();
        irq_mask();
    }
    *used_at = counter_read();
    return r;
}

static void cmd_bigchain(const char *args)
{
    uint64_t ndesc = BIGCHAIN_NDESC, size = BIGCHAIN_SIZE, most, total, addr, t0, t1;
    unsigned num = vcon_queue(TX_QUEUE)->num;
    uint32_t crc;

    place_buffer(0, &most); /* for the usage message */
    if (next_number(&args, &ndesc) || next_number(&args, &size) || *skip_spaces(args) || !ndesc ||
        !size || size > UINT32_MAX || ndesc > most / size) {
        bigchain_usage(most);
        return;
    }
    total = ndesc * size;
    if (ndesc > num) {
        kprintf("hostile bigchain: TX queue size %u < NDESC %lu\r\n", num, (unsigned long)ndesc);
        return;
    }
    addr = place_buffer(total, &most);
    if (!addr) {
        bigchain_usage(most);
        return;
    }
    pattern_fill((uint8_t *)(uintptr_t)addr, total);
    crc = crc32_final(crc32_update(CRC32_INIT, (const void *)(uintptr_t)addr, (size_t)total));
    dsb_ish(); /* the buffer is complete before the device can see the chain */

    kprintf("hostile bigchain: %lu x %lu bytes\r\n", (unsigned long)ndesc, (unsigned long)size);
    /* Flushes that line, so descriptors 0..NDESC-1 are free; nothing is printed until the
     * device has used the chain. */
    if (vcon_tx_chain_start(addr, (uint32_t)size, (unsigned)ndesc, &t0)) {
        kputs("hostile bigchain: console not ready\r\n");
        return;
    }
    if (bigchain_wait(&t1) < 0) {
        kprintf("hostile bigchain: chain lost, the console was reset (resets=%u)\r\n",
                vcon_get_info()->resets);
        return;
    }
    if (!pattern_ends_with_newline(total))
        kputs("\r\n");
    kprintf("hostile bigchain done crc32=%08x bytes=%lu ticks=%lu\r\n", crc, (unsigned long)total,
            (unsigned long)(t1 - t0));
}

/* ---- dispatch ---- */

static void usage(void)
{
    kputs("usage: hostile ring CLASS|all      malformed virtqueue, then reset recovery\r\n"
          "       hostile peek|poke IPA       32-bit access, aborts caught\r\n"
          "       hostile ldp|stp|ldr-post|str-pre|ldr64 IPA   undecodable accesses\r\n"
          "       hostile addrs               all accesses over sensitive IPAs\r\n"
          "       hostile spin MS             spin with interrupts masked\r\n"
          "       hostile lr N                N SPIs pending at once, each taken once?\r\n"
          "       hostile prio N              N SPIs of rising priority pending at once,\r\n"
          "                                   taken most urgent first?\r\n"
          "       hostile level K             the console's level line left high K times\r\n"
          "       hostile timer [MS]          1 ms ticks, the handler rewriting only CVAL\r\n"
          "       hostile cpuon               failing PSCI CPU_ON calls\r\n"
          "       hostile cpuon race [N]      N CPU_ON calls racing the second vCPU's CPU_OFF\r\n"
          "       hostile nocache [N]         N pattern bytes sent with the data cache off\r\n"
          "       hostile reset-storm [off]   PSCI SYSTEM_RESET (SYSTEM_OFF)\r\n"
          "       hostile bigchain [NDESC [SIZE]]   one TX chain of NDESC x SIZE pattern bytes\r\n"
          "                                   (default 16 x 1048576), then crc32 and ticks\r\n"
          "       hostile ctl [flood N]       control messages the ports device must refuse\r\n");
    list_classes();
}

/* Returns the rest of args after its first word if that word is word, else 0. */
static const char *match_word(const char *args, const char *word)
{
    size_t n = strlen(word);

    if (memcmp(args, word, n) || (args[n] && args[n] != ' '))
        return 0;
    return args + n;
}

void cmd_hostile(const char *args)
{
    const char *rest;

    learn_ram();
    args = skip_spaces(args);
    if ((rest = match_word(args, "ring"))) {
        cmd_ring(rest);
        return;
    }
    if ((rest = match_word(args, "addrs")) && !*skip_spaces(rest)) {
        cmd_addrs();
        return;
    }
    if ((rest = match_word(args, "bigchain"))) {
        cmd_bigchain(rest);
        return;
    }
    if ((rest = match_word(args, "spin"))) {
        cmd_spin(rest);
        return;
    }
    if ((rest = match_word(args, "lr"))) {
        cmd_lr(rest);
        return;
    }
    if ((rest = match_word(args, "prio"))) {
        cmd_prio(rest);
        return;
    }
    if ((rest = match_word(args, "level"))) {
        cmd_level(rest);
        return;
    }
    if ((rest = match_word(args, "timer"))) {
        cmd_timer(rest);
        return;
    }
    if ((rest = match_word(args, "cpuon"))) {
        cmd_cpuon(rest);
        return;
    }
    if ((rest = match_word(args, "nocache"))) {
        cmd_nocache(rest);
        return;
    }
    if ((rest = match_word(args, "ctl"))) {
        hostile_ctl(rest);
        return;
    }
    if ((rest = match_word(args, "reset-storm"))) {
        cmd_reset_storm(rest);
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(access_ops); i++) {
        if ((rest = match_word(args, access_ops[i].name))) {
            cmd_access(&access_ops[i], rest);
            return;
        }
    }
    usage();
}
