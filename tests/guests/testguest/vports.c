#include "vports.h"

#include "arch.h"
#include "crc32.h"
#include "gic.h"
#include "mmio.h"
#include "util.h"
#include "virtio_console.h"
#include "virtio_mmio.h"
#include "virtq.h"

#define Q_CTL_RX 2
#define Q_CTL_TX 3
#define NQUEUES (2 + 2 * VPORTS_MAX)
#define CTL_BUFS 16
#define CTL_BUF_SIZE 64 /* a header and the longest name fit */
#define CTL_HDR 8       /* struct virtio_console_control: le32 id, le16 event, le16 value */
#define RX_BUFS 8       /* per port: receive buffers posted */
#define TX_SLOTS 4      /* per port: transmit chains in flight */
#define DATA_BUF_SIZE 4096
#define CFG_MAX_NR_PORTS (VIRTIO_MMIO_CONFIG + 4)
#define CTL_WAIT_MS 100       /* the device completes control chains inside the notify */
#define HANDSHAKE_WAIT_MS 500 /* every port announced and answered */
#define HANDSHAKE_QUIET_MS 50 /* nothing more coming: the ports announced are all there is */
#define WAIT_SLICE_MS 20      /* longest single sleep: time limits are checked in between */
#define VTIMER_PPI 27
#define CNTV_CTL_ENABLE 1u

struct rx_cursor {
    int valid; /* a used receive buffer partly taken */
    uint16_t id;
    uint32_t len, off;
};

static struct virtq_mem qmem[NQUEUES];
static struct vqueue queues[NQUEUES];
static uint8_t ctl_rx_buf[CTL_BUFS][CTL_BUF_SIZE] __attribute__((aligned(64)));
static uint8_t ctl_tx_buf[CTL_BUF_SIZE] __attribute__((aligned(64)));
static uint8_t rx_buf[VPORTS_MAX][RX_BUFS][DATA_BUF_SIZE] __attribute__((aligned(64)));
static uint8_t tx_buf[VPORTS_MAX][TX_SLOTS][DATA_BUF_SIZE] __attribute__((aligned(64)));
static uint32_t tx_len[VPORTS_MAX][TX_SLOTS];
static uint32_t rx_size = DATA_BUF_SIZE; /* bytes of each receive buffer posted */
static uint32_t tx_busy[VPORTS_MAX]; /* BIT(slot) while that transmit chain is with the device */
static struct rx_cursor rx_cur[VPORTS_MAX];
static int rx_posted[VPORTS_MAX];
static uint32_t ctl_posted, ctl_len; /* control receive buffers and their length */

static struct vport ports[VPORTS_MAX];
static struct vports_info info;
static uintptr_t base;

/* ---- small things ---- */

static uint32_t q_rx(uint32_t port)
{
    return port == 0 ? 0 : 2 * port + 2;
}

static uint32_t q_tx(uint32_t port)
{
    return q_rx(port) + 1;
}

static uint64_t ms_ticks(uint64_t ms)
{
    return ms * read_cntfrq_el0() / 1000;
}

static uint32_t get_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t get_le16(const uint8_t *b)
{
    return (uint16_t)(b[0] | b[1] << 8);
}

int vports_probe(uint64_t addr)
{
    return vdev_probe(addr, VIRTIO_ID_CONSOLE) &&
           (vdev_features((uintptr_t)addr) & VIRTIO_CONSOLE_F_MULTIPORT);
}

int vports_present(void)
{
    return base != 0;
}

const struct vports_info *vports_get_info(void)
{
    return &info;
}

const struct vport *vports_port(uint32_t id)
{
    return id < info.nports ? &ports[id] : 0;
}

int vports_find(const char *name)
{
    for (uint32_t i = 0; i < info.nports; i++) {
        if (ports[i].ready && str_eq(ports[i].name, name))
            return (int)i;
    }
    return -1;
}

void vports_irq(uint32_t intid)
{
    uint32_t status;

    (void)intid;
    info.irqs++;
    if (!base)
        return;
    /* Only acknowledged: the rings are looked at by whoever waits (see vports.h). */
    status = vdev_read(base, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (status)
        vdev_write(base, VIRTIO_MMIO_INTERRUPT_ACK, status);
}

/* ---- waiting ---- */

/* The virtual timer as a wake-up source while a transfer may sleep (no handler: a tick that is
 * taken is only acknowledged). */
static void wait_begin(void)
{
    if (info.intid)
        gic_ppi_wake(VTIMER_PPI, 1);
}

static void wait_end(void)
{
    if (info.intid)
        gic_ppi_wake(VTIMER_PPI, 0);
}

/*
 * One sleep, until an interrupt is pending or the deadline (at most WAIT_SLICE_MS away). The
 * caller looked at the rings just before, IRQs masked: anything the device did since raised
 * its interrupt, which ends the wfi even masked. The IRQs are then let in for a moment, so that
 * the device's (acknowledged at the device) and the timer's (deactivated) stop being pending.
 * Without an interrupt the wait is a poll.
 */
static void sleep_once(uint64_t deadline)
{
    uint64_t now = counter_read(), slice = ms_ticks(WAIT_SLICE_MS);

    if (!info.intid) {
        cpu_relax();
        return;
    }
    write_cntv_cval_el0(deadline > now && deadline - now < slice ? deadline : now + slice);
    write_cntv_ctl_el0(CNTV_CTL_ENABLE);
    isb();
    wfi();
    write_cntv_ctl_el0(0);
    isb();
    irq_unmask();
    irq_mask();
}

void vports_pause_ms(uint32_t ms)
{
    uint64_t end = counter_read() + ms_ticks(ms);

    wait_begin();
    while (counter_read() < end)
        sleep_once(end);
    wait_end();
}

static int needs_reset(void)
{
    return (vdev_read(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET) != 0;
}

/* ---- control queues ---- */

static void ctl_rx_queue(uint16_t id)
{
    struct vqueue *q = &queues[Q_CTL_RX];
    struct virtq_desc *d = &q->mem->desc[id];

    d->addr = (uint64_t)(uintptr_t)ctl_rx_buf[id];
    d->len = ctl_len;
    d->flags = VIRTQ_DESC_F_WRITE;
    d->next = 0;
    q->mem->avail.ring[q->avail_idx % q->num] = id;
    q->avail_idx++;
}

void vports_ctl_post(uint32_t n, uint32_t len)
{
    struct vqueue *q = &queues[Q_CTL_RX];

    /* Buffers already with the device keep their length; the new ones get len. */
    ctl_len = MIN(len, (uint32_t)CTL_BUF_SIZE);
    n = MIN(n, MIN((uint32_t)CTL_BUFS, (uint32_t)q->num));
    for (; ctl_posted < n; ctl_posted++)
        ctl_rx_queue((uint16_t)ctl_posted);
    vq_publish(q);
    vq_notify(base, q);
}

static int ctl_tx_done(uint64_t deadline)
{
    struct vqueue *q = &queues[Q_CTL_TX];
    uint16_t outstanding = (uint16_t)(q->avail_idx - q->last_used);

    while ((uint16_t)(vq_used_idx(q) - q->last_used) < outstanding) {
        if (counter_read() > deadline)
            return -1;
        cpu_relax();
    }
    dmb_ishld();
    q->last_used = q->avail_idx;
    return 0;
}

int vports_ctl_send(const uint8_t *msg, const uint32_t *seg, uint32_t nseg)
{
    struct vqueue *q = &queues[Q_CTL_TX];
    uint32_t off = 0;

    if (!base || nseg == 0 || nseg > q->num)
        return -1;
    for (uint32_t i = 0; i < nseg; i++) {
        struct virtq_desc *d = &q->mem->desc[i];

        if (off + seg[i] > CTL_BUF_SIZE)
            return -1;
        memcpy(ctl_tx_buf + off, msg + off, seg[i]);
        d->addr = (uint64_t)(uintptr_t)(ctl_tx_buf + off);
        d->len = seg[i];
        d->flags = i + 1 < nseg ? VIRTQ_DESC_F_NEXT : 0;
        d->next = i + 1 < nseg ? (uint16_t)(i + 1) : 0;
        off += seg[i];
    }
    q->mem->avail.ring[q->avail_idx % q->num] = 0;
    q->avail_idx++;
    vq_publish(q);
    vq_notify(base, q);
    info.ctl_out++;
    return ctl_tx_done(counter_read() + ms_ticks(CTL_WAIT_MS));
}

int vports_ctl_msg(uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t m[CTL_HDR];
    uint32_t len = CTL_HDR;

    for (int i = 0; i < 4; i++)
        m[i] = (uint8_t)(id >> (8 * i));
    m[4] = (uint8_t)event;
    m[5] = (uint8_t)(event >> 8);
    m[6] = (uint8_t)value;
    m[7] = (uint8_t)(value >> 8);
    return vports_ctl_send(m, &len, 1);
}

static void take_name(struct vport *p, const uint8_t *b, uint32_t len)
{
    uint32_t n = 0;

    /* Printable ASCII only: the name ends up in command output. */
    for (uint32_t i = 0; i < len && n < VPORT_NAME_MAX; i++) {
        if (b[i] > 0x20 && b[i] < 0x7f)
            p->name[n++] = (char)b[i];
    }
    p->name[n] = '\0';
}

/* A port's receive buffers, posted once the device has announced it. */
static void rx_post(uint32_t id)
{
    struct vqueue *q = &queues[q_rx(id)];

    if (rx_posted[id])
        return;
    for (uint16_t i = 0; i < MIN(RX_BUFS, q->num); i++) {
        struct virtq_desc *d = &q->mem->desc[i];

        d->addr = (uint64_t)(uintptr_t)rx_buf[id][i];
        d->len = rx_size;
        d->flags = VIRTQ_DESC_F_WRITE;
        d->next = 0;
        q->mem->avail.ring[q->avail_idx % q->num] = i;
        q->avail_idx++;
    }
    rx_posted[id] = 1;
    vq_publish(q);
    vq_notify(base, q);
}

static void on_device_add(uint32_t id)
{
    if (id >= info.nports) {
        /* Beyond what we drive (or what the device said it has): tell it we failed. */
        info.ctl_odd++;
        vports_ctl_msg(id, VP_PORT_READY, 0);
        return;
    }
    ports[id].added = 1;
    rx_post(id);
    if (vports_ctl_msg(id, VP_PORT_READY, 1) == 0)
        ports[id].ready = 1;
}

static void ctl_handle(const uint8_t *m, uint32_t len)
{
    uint32_t id;
    uint16_t event, value;
    struct vport *p;

    info.ctl_in++;
    if (len < CTL_HDR) {
        info.ctl_odd++;
        return;
    }
    id = get_le32(m);
    event = get_le16(m + 4);
    value = get_le16(m + 6);
    if (event == VP_DEVICE_ADD) {
        on_device_add(id);
        return;
    }
    p = id < info.nports ? &ports[id] : 0;
    if (!p || !p->added) {
        info.ctl_odd++; /* a port we do not know: dropped, as Linux does */
        return;
    }
    switch (event) {
    case VP_DEVICE_REMOVE:
        p->added = 0;
        p->ready = 0;
        break;
    case VP_CONSOLE_PORT:
        p->console = value != 0;
        break;
    case VP_PORT_OPEN:
        p->host_open = value != 0;
        break;
    case VP_PORT_NAME:
        take_name(p, m + CTL_HDR, len - CTL_HDR);
        break;
    case VP_RESIZE:
        break; /* nothing of ours has a size */
    default:
        info.ctl_odd++;
    }
}

/* Every control message the device has delivered; each buffer goes back before it is handled
 * (handling may send a message, and the device answers into a free buffer at once). */
static void ctl_rx_take(void)
{
    struct vqueue *q = &queues[Q_CTL_RX];
    uint8_t m[CTL_BUF_SIZE];

    while (q->last_used != vq_used_idx(q)) {
        const volatile struct virtq_used_elem *e;
        uint32_t id, len;

        dmb_ishld(); /* read used.idx before the element it covers */
        e = &q->mem->used.ring[q->last_used % q->num];
        id = e->id;
        len = MIN(e->len, ctl_len);
        q->last_used++;
        if (id >= ctl_posted) {
            info.ctl_odd++;
            continue;
        }
        memcpy(m, ctl_rx_buf[id], len);
        ctl_rx_queue((uint16_t)id);
        vq_publish(q);
        vq_notify(base, q);
        ctl_handle(m, len);
    }
}

/* ---- set-up ---- */

static void forget_ports(void)
{
    for (uint32_t i = 0; i < VPORTS_MAX; i++) {
        uint64_t rx = ports[i].rx_bytes, tx = ports[i].tx_bytes;

        memset(&ports[i], 0, sizeof(ports[i]));
        ports[i].rx_bytes = rx; /* counters run across resets */
        ports[i].tx_bytes = tx;
        tx_busy[i] = 0;
        rx_posted[i] = 0;
        rx_cur[i].valid = 0;
    }
    ctl_posted = 0;
}

static const char *setup_queues(void)
{
    const char *why;

    for (uint32_t i = 0; i < 2 + 2 * info.nports; i++) {
        queues[i].mem = &qmem[i];
        queues[i].index = (uint16_t)i;
        if ((why = vq_setup(base, &queues[i])))
            return why;
    }
    return 0;
}

int vports_restart(uint32_t ctl_bufs, uint32_t len, const char **why)
{
    uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE;
    uint64_t want = VIRTIO_F_VERSION_1 | VIRTIO_CONSOLE_F_MULTIPORT;

    info.live = 0;
    forget_ports();
    *why = 0;
    if (vdev_reset(base)) {
        *why = "reset timed out";
        return -1;
    }
    vdev_write(base, VIRTIO_MMIO_STATUS, status);
    status |= VIRTIO_STATUS_DRIVER;
    vdev_write(base, VIRTIO_MMIO_STATUS, status);
    if ((vdev_features(base) & want) != want)
        *why = "device does not offer VERSION_1 and MULTIPORT";
    else if (vdev_set_features(base, want, &status))
        *why = "device refused our features";
    if (*why)
        return -1;
    info.max_nr_ports = mmio_read32(base + CFG_MAX_NR_PORTS);
    info.nports = MIN(info.max_nr_ports, (uint32_t)VPORTS_MAX);
    if (!info.nports)
        *why = "max_nr_ports is 0";
    else
        *why = setup_queues();
    if (*why)
        return -1;
    vdev_write(base, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
    vports_ctl_post(ctl_bufs, len);
    return 0;
}

static int all_ready(void)
{
    for (uint32_t i = 0; i < info.nports; i++) {
        if (!ports[i].ready || !ports[i].name[0])
            return 0;
    }
    return 1;
}

static int any_added(void)
{
    for (uint32_t i = 0; i < info.nports; i++) {
        if (ports[i].added)
            return 1;
    }
    return 0;
}

/*
 * Done when every port we drive is ready and named (the hypervisor announces all of its ports,
 * and answers inside our notifies: normally at the first look), or when some were announced
 * and nothing more came for HANDSHAKE_QUIET_MS: a device may announce only some of its
 * max_nr_ports (QEMU's virtio-serial adds only the ports it has, named or not).
 */
int vports_handshake(void)
{
    uint64_t now, end, quiet;
    uint32_t seen;

    if (vports_ctl_msg(VPORTS_BAD_ID, VP_DEVICE_READY, 1))
        return -1;
    info.live = 1;
    now = counter_read();
    end = now + ms_ticks(HANDSHAKE_WAIT_MS);
    quiet = now + ms_ticks(HANDSHAKE_QUIET_MS);
    seen = info.ctl_in;
    for (;;) {
        ctl_rx_take();
        if (all_ready())
            return 0;
        now = counter_read();
        if (info.ctl_in != seen) {
            seen = info.ctl_in;
            quiet = now + ms_ticks(HANDSHAKE_QUIET_MS);
        } else if (any_added() && now > quiet) {
            return 0;
        }
        if (now > end)
            return any_added() ? 0 : -1;
        cpu_relax();
    }
}

int vports_init(uint64_t addr, uint32_t intid, const char **why)
{
    base = (uintptr_t)addr;
    info.base = addr;
    info.intid = intid;
    if (vports_restart(CTL_BUFS, CTL_BUF_SIZE, why))
        return -1;
    if (vports_handshake()) {
        *why = "handshake did not complete";
        return -1;
    }
    return 0;
}

uint32_t vports_open_mask(void)
{
    uint32_t mask = 0;

    for (uint32_t i = 0; i < info.nports; i++)
        mask |= (uint32_t)ports[i].guest_open << i;
    return mask;
}

int vports_set_rx_size(uint32_t size)
{
    if (!base || size == 0 || size > DATA_BUF_SIZE)
        return -1;
    rx_size = size;
    return vports_reinit(vports_open_mask());
}

int vports_reinit(uint32_t reopen)
{
    const char *why;

    if (vports_restart(CTL_BUFS, CTL_BUF_SIZE, &why) || vports_handshake())
        return -1;
    for (uint32_t i = 0; i < info.nports; i++) {
        if ((reopen & (1u << i)) && vports_set_open(i, 1))
            return -1;
    }
    return 0;
}

void vports_poll(void)
{
    if (!base)
        return;
    if (needs_reset()) {
        /* The device gave up on a ring: set it up again, reopening what we had open. */
        info.resets++;
        vports_reinit(vports_open_mask());
        return;
    }
    ctl_rx_take();
}

int vports_set_open(uint32_t id, int open)
{
    if (id >= info.nports || !ports[id].ready ||
        vports_ctl_msg(id, VP_PORT_OPEN, (uint16_t) !!open))
        return -1;
    ports[id].guest_open = !!open;
    return 0;
}

/* ---- data: transmit ---- */

/* Chains the device completed: their slots are free again. */
static void tx_reclaim(uint32_t id)
{
    struct vqueue *q = &queues[q_tx(id)];

    while (q->last_used != vq_used_idx(q)) {
        uint32_t slot;

        dmb_ishld();
        slot = q->mem->used.ring[q->last_used % q->num].id;
        q->last_used++;
        if (slot < TX_SLOTS && (tx_busy[id] & (1u << slot))) {
            tx_busy[id] &= ~(1u << slot);
            ports[id].tx_bytes += tx_len[id][slot];
        } else {
            info.ctl_odd++; /* not a chain of ours */
        }
    }
}

static int free_slot(uint32_t id)
{
    for (int i = 0; i < MIN(TX_SLOTS, queues[q_tx(id)].num); i++) {
        if (!(tx_busy[id] & (1u << i)))
            return i;
    }
    return -1;
}

static void tx_submit(uint32_t id, int slot, const uint8_t *src, uint32_t len)
{
    struct vqueue *q = &queues[q_tx(id)];
    struct virtq_desc *d = &q->mem->desc[slot];

    memcpy(tx_buf[id][slot], src, len);
    tx_len[id][slot] = len;
    tx_busy[id] |= 1u << slot;
    d->addr = (uint64_t)(uintptr_t)tx_buf[id][slot];
    d->len = len;
    d->flags = 0;
    d->next = 0;
    q->mem->avail.ring[q->avail_idx % q->num] = (uint16_t)slot;
    q->avail_idx++;
    vq_publish(q);
    vq_notify(base, q);
}

/* Waits for a free transmit slot (all_free: for every slot); -1 after the idle limit. */
static int tx_wait(uint32_t id, int all_free)
{
    uint64_t end = counter_read() + ms_ticks(VPORTS_IDLE_MS);
    uint32_t busy = ~0u;

    for (;;) {
        tx_reclaim(id);
        if (all_free ? tx_busy[id] == 0 : free_slot(id) >= 0)
            return 0;
        if (tx_busy[id] != busy) {
            busy = tx_busy[id];
            end = counter_read() + ms_ticks(VPORTS_IDLE_MS); /* progress */
        }
        if (counter_read() > end || needs_reset())
            return -1;
        sleep_once(end);
    }
}

int vports_write(uint32_t id, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    int err = 0;

    if (!base || id >= info.nports || !ports[id].ready)
        return -1;
    wait_begin();
    while (len && !err) {
        uint32_t n = MIN(len, (uint32_t)DATA_BUF_SIZE);

        err = tx_wait(id, 0);
        if (!err) {
            tx_submit(id, free_slot(id), p, n);
            p += n;
            len -= n;
        }
    }
    wait_end();
    return err;
}

int vports_drain(uint32_t id)
{
    int err;

    if (!base || id >= info.nports)
        return -1;
    wait_begin();
    err = tx_wait(id, 1);
    wait_end();
    return err;
}

/* ---- data: receive ---- */

/* The next used receive buffer into the port's cursor; 0 when there is none. */
static int rx_next(uint32_t id)
{
    struct vqueue *q = &queues[q_rx(id)];
    struct rx_cursor *c = &rx_cur[id];

    while (!c->valid && q->last_used != vq_used_idx(q)) {
        const volatile struct virtq_used_elem *e;

        dmb_ishld();
        e = &q->mem->used.ring[q->last_used % q->num];
        c->id = (uint16_t)e->id;
        c->len = MIN(e->len, rx_size);
        c->off = 0;
        q->last_used++;
        c->valid = c->id < RX_BUFS;
        if (!c->valid)
            info.ctl_odd++;
        else if (!c->len)
            info.rx_empty++; /* Linux's read() would return 0 for it: end of file */
    }
    return c->valid;
}

/* The cursor's buffer is used up: back to the device, which may fill it at once. */
static void rx_repost(uint32_t id)
{
    struct vqueue *q = &queues[q_rx(id)];

    q->mem->avail.ring[q->avail_idx % q->num] = rx_cur[id].id;
    q->avail_idx++;
    rx_cur[id].valid = 0;
    vq_publish(q);
    vq_notify(base, q);
}

static uint32_t rx_take(uint32_t id, uint8_t *dst, uint32_t max, uint32_t *crc)
{
    uint32_t got = 0;

    while (got < max && rx_next(id)) {
        struct rx_cursor *c = &rx_cur[id];
        const uint8_t *src = rx_buf[id][c->id] + c->off;
        uint32_t n = MIN(c->len - c->off, max - got);

        if (dst)
            memcpy(dst + got, src, n);
        if (crc)
            *crc = crc32_update(*crc, src, n);
        c->off += n;
        got += n;
        if (c->off == c->len)
            rx_repost(id);
    }
    ports[id].rx_bytes += got;
    return got;
}

uint32_t vports_read(uint32_t id, uint8_t *dst, uint32_t max, uint32_t wait_ms, uint32_t *crc)
{
    uint32_t got = 0;
    uint64_t end = counter_read() + ms_ticks(wait_ms);

    if (!base || id >= info.nports || !ports[id].added)
        return 0;
    wait_begin();
    for (;;) {
        uint32_t n = rx_take(id, dst ? dst + got : 0, max - got, crc);

        got += n;
        if (n)
            end = counter_read() + ms_ticks(wait_ms); /* progress: the limit is for idleness */
        if (got == max || counter_read() >= end || needs_reset())
            break;
        sleep_once(end);
    }
    wait_end();
    return got;
}
