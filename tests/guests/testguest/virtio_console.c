#include "virtio_console.h"

#include "arch.h"
#include "mmio.h"
#include "util.h"
#include "virtio_mmio.h"
#include "virtq.h"

#define RX_BUFS 16
#define RX_BUF_SIZE 256
#define TX_CHUNK 512    /* bytes per TX descriptor / notify */
#define FIFO_SIZE 8192u /* power of two; > RX_BUFS * RX_BUF_SIZE so a full batch fits */
#define CFG_COLS (VIRTIO_MMIO_CONFIG + 0x0)
#define CFG_ROWS (VIRTIO_MMIO_CONFIG + 0x2)
#define CFG_EMERG_WR (VIRTIO_MMIO_CONFIG + 0x8)
#define CFG_END_EMERG (CFG_EMERG_WR + 4) /* region must extend this far for emerg */
#define CFG_END_SIZE (CFG_ROWS + 2)

#define RX_QUEUE 0
#define TX_QUEUE 1

static struct virtq_mem rx_mem, tx_mem;
static struct vqueue rxq = {.mem = &rx_mem, .index = RX_QUEUE};
static struct vqueue txq = {.mem = &tx_mem, .index = TX_QUEUE};
static uint8_t rx_bufs[RX_BUFS][RX_BUF_SIZE] __attribute__((aligned(64)));
static uint8_t tx_buf[TX_CHUNK] __attribute__((aligned(64)));
static uint32_t tx_len;
/* A raw transmit chain (vcon_tx_chain_start) and what became of it. */
static enum { CHAIN_NONE, CHAIN_PENDING, CHAIN_DONE, CHAIN_LOST } chain_state;
static unsigned rx_posted; /* RX descriptors in use: min(RX_BUFS, rxq.num) */

/* Input FIFO: produced by vcon_poll_rx, consumed by vcon_getc (free-running indices). */
static uint8_t fifo[FIFO_SIZE];
static uint32_t fifo_head, fifo_tail;

static struct vcon_info info;
static uintptr_t base;
static int ready;

struct vqueue *vcon_queue(unsigned index)
{
    return index == RX_QUEUE ? &rxq : index == TX_QUEUE ? &txq : 0;
}

uintptr_t vcon_base(void)
{
    return base;
}

const struct vcon_info *vcon_get_info(void)
{
    return &info;
}

static uint32_t reg_read(uint32_t off)
{
    return vdev_read(base, off);
}

static void reg_write(uint32_t off, uint32_t v)
{
    vdev_write(base, off, v);
}

int vcon_probe(uint64_t addr)
{
    return vdev_probe(addr, VIRTIO_ID_CONSOLE);
}

/* ---- emergency output (config space write, no rings involved) ---- */

int vcon_has_emerg(void)
{
    return base && (info.features & VIRTIO_CONSOLE_F_EMERG_WRITE);
}

static void emerg_raw(char c)
{
    mmio_write32(base + CFG_EMERG_WR, (uint8_t)c);
}

void vcon_emerg_putc(char c)
{
    if (vcon_has_emerg())
        emerg_raw(c);
}

/* Used for setup failures, where emerg may be offered but not (yet) negotiated. */
static void emerg_puts_if_offered(const char *s)
{
    if (!(info.offered & VIRTIO_CONSOLE_F_EMERG_WRITE) || info.size < CFG_END_EMERG)
        return;
    while (*s)
        emerg_raw(*s++);
}

static _Noreturn void setup_failed(const char *why)
{
    ready = 0;
    emerg_puts_if_offered("virtio-console: ");
    emerg_puts_if_offered(why);
    emerg_puts_if_offered("\r\n");
    reg_write(VIRTIO_MMIO_STATUS, reg_read(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
    halt();
}

/* ---- device setup ---- */

static void device_reset(void)
{
    if (vdev_reset(base))
        setup_failed("reset timed out");
}

/* Features we understand; config-space ones only if the DT region covers the field. */
static uint64_t wanted_features(void)
{
    uint64_t want = VIRTIO_F_VERSION_1;

    if (info.size >= CFG_END_SIZE)
        want |= VIRTIO_CONSOLE_F_SIZE;
    if (info.size >= CFG_END_EMERG)
        want |= VIRTIO_CONSOLE_F_EMERG_WRITE;
    return want; /* never MULTIPORT: we drive port 0 through queues 0/1 only */
}

static void negotiate(uint32_t *status)
{
    info.offered = vdev_features(base);
    if (!(info.offered & VIRTIO_F_VERSION_1))
        setup_failed("device does not offer VIRTIO_F_VERSION_1");
    info.features = info.offered & wanted_features();
    if (vdev_set_features(base, info.features, status)) {
        info.features = 0;
        setup_failed("device refused our features (FEATURES_OK not set)");
    }
}

static void queue_setup(struct vqueue *q)
{
    const char *why = vq_setup(base, q);

    if (why)
        setup_failed(why);
}

/* ---- ring helpers ---- */

static uint16_t used_idx(const struct vqueue *q)
{
    return vq_used_idx(q);
}

static void publish_avail(struct vqueue *q)
{
    vq_publish(q);
}

static void notify(const struct vqueue *q)
{
    vq_notify(base, q);
}

static void rx_queue_buffer(uint16_t id)
{
    struct virtq_desc *d = &rxq.mem->desc[id];

    /* Rewritten every time so a scribbled descriptor cannot persist. */
    d->addr = (uint64_t)(uintptr_t)rx_bufs[id];
    d->len = RX_BUF_SIZE;
    d->flags = VIRTQ_DESC_F_WRITE;
    d->next = 0;
    rxq.mem->avail.ring[rxq.avail_idx % rxq.num] = id;
    rxq.avail_idx++;
}

static void rx_post_all(void)
{
    rx_posted = MIN(RX_BUFS, rxq.num);
    for (uint16_t i = 0; i < rx_posted; i++)
        rx_queue_buffer(i);
    publish_avail(&rxq);
}

static void device_setup(void)
{
    uint32_t status = 0;

    ready = 0;
    tx_len = 0;
    if (chain_state == CHAIN_PENDING)
        chain_state = CHAIN_LOST; /* gone with the old rings */
    device_reset();
    status |= VIRTIO_STATUS_ACKNOWLEDGE;
    reg_write(VIRTIO_MMIO_STATUS, status);
    status |= VIRTIO_STATUS_DRIVER;
    reg_write(VIRTIO_MMIO_STATUS, status);
    negotiate(&status);
    queue_setup(&rxq);
    queue_setup(&txq);
    /* We poll TX completion; ask the device not to interrupt for it. */
    txq.mem->avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    rx_post_all();
    status |= VIRTIO_STATUS_DRIVER_OK;
    reg_write(VIRTIO_MMIO_STATUS, status);
    info.rx_num = rxq.num;
    info.tx_num = txq.num;
    ready = 1;
    notify(&rxq); /* notifications are only allowed after DRIVER_OK */
}

void vcon_init(uint64_t addr, uint64_t size)
{
    base = (uintptr_t)addr;
    info.base = addr;
    info.size = size;
    device_setup();
}

/* Handles DEVICE_NEEDS_RESET: the device gave up on us (e.g. it found a malformed ring). */
static int check_needs_reset(void)
{
    const char *msg = "device needs reset\r\n";

    if (!(reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET))
        return 0;
    while (*msg)
        vcon_emerg_putc(*msg++);
    device_setup();
    info.resets++;
    return 1;
}

/* ---- hooks for the hostile test commands (hostile.c) ---- */

int vcon_recover(void)
{
    return check_needs_reset();
}

void vcon_reinit(void)
{
    device_setup();
}

uint32_t vcon_reg_read(uint32_t off)
{
    return reg_read(off);
}

/*
 * The first steps of device_setup(), except that the queue `index` is programmed with what
 * adjust() makes of our values before QueueReady is written. Stops right after that write:
 * the console is unusable until vcon_recover() or vcon_reinit().
 */
void vcon_setup_until_queue(unsigned index, vcon_queue_adjust_fn adjust, void *ctx)
{
    uint32_t status = 0;
    struct vqueue *q = vcon_queue(index);
    uint32_t max, num;
    uint64_t desc, avail, used;

    ready = 0;
    tx_len = 0;
    if (chain_state == CHAIN_PENDING)
        chain_state = CHAIN_LOST;
    device_reset();
    status |= VIRTIO_STATUS_ACKNOWLEDGE;
    reg_write(VIRTIO_MMIO_STATUS, status);
    status |= VIRTIO_STATUS_DRIVER;
    reg_write(VIRTIO_MMIO_STATUS, status);
    negotiate(&status);
    /* Queues before the sabotaged one are set up properly. */
    for (unsigned i = 0; i < index; i++)
        queue_setup(vcon_queue(i));
    reg_write(VIRTIO_MMIO_QUEUE_SEL, q->index);
    max = reg_read(VIRTIO_MMIO_QUEUE_NUM_MAX);
    num = vq_pow2_floor(MIN(max, VIRTQ_MAX_SIZE));
    memset(q->mem, 0, sizeof(*q->mem));
    desc = (uint64_t)(uintptr_t)q->mem->desc;
    avail = (uint64_t)(uintptr_t)&q->mem->avail;
    used = (uint64_t)(uintptr_t)&q->mem->used;
    adjust(ctx, max, &num, &desc, &avail, &used);
    reg_write(VIRTIO_MMIO_QUEUE_NUM, num);
    reg_write(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    reg_write(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    reg_write(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    reg_write(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* ---- receive ---- */

static uint32_t fifo_space(void)
{
    return FIFO_SIZE - (fifo_head - fifo_tail);
}

static void fifo_push(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fifo[(fifo_head + i) % FIFO_SIZE] = p[i];
    fifo_head += n;
}

int vcon_getc(void)
{
    uint8_t c;

    if (fifo_head == fifo_tail)
        return -1;
    c = fifo[fifo_tail % FIFO_SIZE];
    fifo_tail++;
    return c;
}

/* Takes one used RX element; returns 0 if it must wait for FIFO space. */
static int rx_take_one(void)
{
    const volatile struct virtq_used_elem *e = &rxq.mem->used.ring[rxq.last_used % rxq.num];
    uint32_t id = e->id;
    uint32_t len = e->len; /* read each field once: the device may rewrite the ring */

    if (len > RX_BUF_SIZE)
        len = RX_BUF_SIZE;

    if (id >= rx_posted) { /* not a buffer we posted: drop the element */
        info.rx_dropped++;
        rxq.last_used++;
        return 1;
    }
    if (fifo_space() < len)
        return 0; /* stays in the used ring; the device holds further input meanwhile */
    fifo_push(rx_bufs[id], len);
    rx_queue_buffer((uint16_t)id);
    rxq.last_used++;
    return 1;
}

void vcon_poll_rx(void)
{
    uint16_t used, start;

    if (!ready)
        return;
    used = used_idx(&rxq);
    if (used == rxq.last_used)
        return;
    dmb_ishld(); /* read used.idx before the elements it covers */
    start = rxq.avail_idx;
    while (rxq.last_used != used && rx_take_one())
        ;
    if (rxq.avail_idx != start) {
        publish_avail(&rxq);
        notify(&rxq);
    }
}

void vcon_irq(uint32_t intid)
{
    uint32_t status;

    (void)intid;
    info.irqs++;
    if (!ready)
        return;
    status = reg_read(VIRTIO_MMIO_INTERRUPT_STATUS);
    /* Acknowledge before looking at the rings: anything newer raises a new interrupt. */
    if (status)
        reg_write(VIRTIO_MMIO_INTERRUPT_ACK, status);
    if (status & VIRTIO_INT_CONFIG_CHANGE)
        check_needs_reset();
    vcon_poll_rx();
}

/* ---- transmit ---- */

static int tx_sleep; /* vcon_set_tx_sleep(): wait for TX completion in wfi, not by polling */

void vcon_set_tx_sleep(int on)
{
    tx_sleep = on;
}

int vcon_tx_sleep(void)
{
    return tx_sleep;
}

/* ">=": a device that over-reports used.idx must not make us spin forever */
static int tx_done(uint16_t outstanding)
{
    return (uint16_t)(used_idx(&txq) - txq.last_used) >= outstanding;
}

/*
 * Sleep until the device may have used more: ask for the used-buffer interrupt, look once more
 * (a completion before the flag was seen has no interrupt), then wfi, which a pending interrupt
 * ends even though IRQs are masked here. The interrupt is acknowledged at the device afterwards
 * so that its level drops (an RX interrupt acknowledged with it is harmless: console_getc polls
 * the receive ring before it waits).
 */
static void tx_sleep_once(uint16_t outstanding)
{
    txq.mem->avail.flags = 0;
    __asm__ volatile("dmb ish" : : : "memory"); /* flag store before the used.idx load */
    if (!tx_done(outstanding))
        wfi();
    txq.mem->avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    reg_write(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
}

/* Waits until the device has used everything we made available. */
static int tx_wait(void)
{
    uint16_t outstanding = (uint16_t)(txq.avail_idx - txq.last_used);

    for (;;) {
        if (tx_done(outstanding)) {
            dmb_ishld();
            txq.last_used = txq.avail_idx;
            return 0;
        }
        /* Not done yet: make sure the device has not given up on the ring. */
        if (reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
            return -1;
        if (tx_sleep)
            tx_sleep_once(outstanding);
        else
            cpu_relax();
    }
}

static struct vcon_tx_stall stall;

void vcon_tx_stall_reset(void)
{
    memset(&stall, 0, sizeof(stall));
}

const struct vcon_tx_stall *vcon_tx_stall_get(void)
{
    return &stall;
}

/* A chain the device did not use within its notify: it is holding our output back. */
static void note_stall(void)
{
    uint64_t now = counter_read();

    if (!stall.count) {
        stall.first_ticks = now;
        stall.first_bytes = stall.bytes;
    }
    stall.last_ticks = now;
    stall.last_bytes = stall.bytes;
    stall.count++;
}

/* One descriptor per chunk, waited for synchronously, so descriptor 0 is always free. */
static int tx_submit(const uint8_t *buf, uint32_t len)
{
    struct virtq_desc *d = &txq.mem->desc[0];
    int err;

    d->addr = (uint64_t)(uintptr_t)buf;
    d->len = len;
    d->flags = 0;
    d->next = 0;
    txq.mem->avail.ring[txq.avail_idx % txq.num] = 0;
    txq.avail_idx++;
    publish_avail(&txq);
    notify(&txq);
    if (!tx_done((uint16_t)(txq.avail_idx - txq.last_used)))
        note_stall();
    err = tx_wait();
    if (!err)
        stall.bytes += len;
    return err;
}

void vcon_flush(void)
{
    uint32_t len = tx_len;

    if (!ready || !len)
        return;
    /* A raw chain still holds descriptor 0 (and more): let the device finish it first. */
    if (chain_state == CHAIN_PENDING && tx_wait() == 0)
        chain_state = CHAIN_DONE;
    tx_len = 0;
    /* After a reset recovery the chunk was lost with the old ring: send it once more. */
    if (tx_submit(tx_buf, len) && check_needs_reset())
        tx_submit(tx_buf, len);
}

int vcon_notify_bench(uint64_t n, uint8_t byte)
{
    static uint8_t one __attribute__((aligned(64)));

    vcon_flush();
    if (!ready)
        return -1;
    one = byte;
    for (uint64_t i = 0; i < n; i++) {
        if (tx_submit(&one, 1))
            return -1;
    }
    return 0;
}

void vcon_write(const void *buf, size_t len)
{
    const uint8_t *p = buf;

    if (!ready)
        return;
    while (len) {
        uint32_t n = (uint32_t)MIN(len, (size_t)(TX_CHUNK - tx_len));

        memcpy(tx_buf + tx_len, p, n);
        tx_len += n;
        p += n;
        len -= n;
        if (tx_len == TX_CHUNK)
            vcon_flush();
    }
}

/* ---- raw transmit chain (hostile bigchain) ---- */

int vcon_tx_chain_start(uint64_t addr, uint32_t seg_len, unsigned n, uint64_t *notified_at)
{
    struct virtq_desc *d = txq.mem->desc;

    vcon_flush(); /* afterwards nothing is outstanding: descriptors 0..num-1 are all free */
    if (!ready || n == 0 || n > txq.num || chain_state == CHAIN_PENDING)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        d[i].addr = addr + (uint64_t)i * seg_len;
        d[i].len = seg_len;
        d[i].flags = i + 1 < n ? VIRTQ_DESC_F_NEXT : 0;
        d[i].next = i + 1 < n ? (uint16_t)(i + 1) : 0;
    }
    txq.mem->avail.ring[txq.avail_idx % txq.num] = 0; /* head: descriptor 0 */
    txq.avail_idx++;
    chain_state = CHAIN_PENDING;
    publish_avail(&txq);
    *notified_at = counter_read();
    notify(&txq);
    return 0;
}

int vcon_tx_chain_poll(void)
{
    switch (chain_state) {
    case CHAIN_PENDING:
        /* same test as tx_wait(): the chain is the only outstanding element */
        if ((uint16_t)(used_idx(&txq) - txq.last_used) < (uint16_t)(txq.avail_idx - txq.last_used))
            return 0;
        dmb_ishld();
        txq.last_used = txq.avail_idx;
        chain_state = CHAIN_NONE;
        return 1;
    case CHAIN_DONE: /* completed by a vcon_flush() meanwhile */
        chain_state = CHAIN_NONE;
        return 1;
    case CHAIN_LOST:
        chain_state = CHAIN_NONE;
        return -1;
    default:
        return -1;
    }
}

/* ---- config space ---- */

void vcon_size(uint16_t *cols, uint16_t *rows)
{
    uint32_t gen;

    *cols = 0;
    *rows = 0;
    if (!base || !(info.features & VIRTIO_CONSOLE_F_SIZE))
        return;
    /* Retry until both fields come from the same configuration generation. */
    do {
        gen = reg_read(VIRTIO_MMIO_CONFIG_GENERATION);
        *cols = mmio_read16(base + CFG_COLS);
        *rows = mmio_read16(base + CFG_ROWS);
    } while (gen != reg_read(VIRTIO_MMIO_CONFIG_GENERATION));
}
