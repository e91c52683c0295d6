/* The multiport console device: control messages in and out, port bytes to and from backends. */
#include "hypervisor/virtio_multiport.h"
#include "hypervisor/virtio_console.h"

#define Q_CTL_RX 2
#define Q_CTL_TX 3
#define NO_PORT UINT32_MAX

enum {
    CFG_COLS = 0,
    CFG_ROWS = 2,
    CFG_MAX_NR_PORTS = 4,
    CFG_EMERG_WR = 8,
    CFG_SIZE = 12,
};

static uint32_t q_rx(uint32_t port)
{
    return port == 0 ? 0 : 2 * port + 2;
}

static uint32_t q_tx(uint32_t port)
{
    return q_rx(port) + 1;
}

/* The port a data queue belongs to; NO_PORT for the control queues. */
static uint32_t q_port(uint32_t q)
{
    if (q == Q_CTL_RX || q == Q_CTL_TX)
        return NO_PORT;
    return q < 2 ? 0 : (q - 2) / 2;
}

static struct vmp *to_vmp(struct vmmio_dev *m)
{
    return m->priv;
}

/* A control message's port id: all four bytes (a hostile id may differ from a valid one only
 * above the low 16). */
static uint32_t msg_port(const uint8_t *hdr)
{
    return (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
           (uint32_t)hdr[3] << 24;
}

/* A malformed ring: complete the bad chain with length 0 where its head is known (a driver
 * waiting for it goes on), then DEVICE_NEEDS_RESET for this device only. */
static void ring_error(struct vmp *d, struct virtq *vq, enum vq_err err, bool head_valid,
                       uint16_t head)
{
    if (head_valid)
        vq_push(vq, head, 0);
    vmmio_fail(&d->mmio, vq_err_str(err));
}

static void raise_if_wanted(struct vmp *d, struct virtq *vq, bool used)
{
    if (used && vq_want_interrupt(vq))
        vmmio_raise(&d->mmio, VIRTIO_INT_VRING);
}

/* ---- control queues ---- */

/* Copy len bytes into the device-writable chain in d->chain, from its byte pos on. */
static void chain_put(const struct vmp *d, const uint8_t *src, uint32_t len, uint32_t pos)
{
    for (uint16_t s = 0; s < d->chain.nseg && len; s++) {
        const struct vq_seg *seg = &d->chain.seg[s];
        if (pos >= seg->len) {
            pos -= seg->len;
            continue;
        }
        uint32_t n = MIN(seg->len - pos, len);
        gmem_sync(d->mmio.mem, seg->hva + pos, n);
        memcpy(seg->hva + pos, src, n);
        gmem_sync(d->mmio.mem, seg->hva + pos, n);
        src += n;
        len -= n;
        pos = 0;
    }
}

/* Deliver pending control messages into the driver's control receive buffers. */
static void ctl_flush(struct vmp *d, uint32_t *chains)
{
    struct virtq *vq = &d->vq[Q_CTL_RX];
    struct vcp_msg m;
    bool used = false;
    if (!vmmio_live(&d->mmio) || !vq->ready)
        return;
    while (*chains && vcp_next(&d->ctl, &m)) {
        bool head_valid;
        enum vq_err err = vq_pop(vq, d->mmio.mem, VQ_DIR_WRITE, &d->chain, &head_valid);
        if (err) {
            ring_error(d, vq, err, head_valid, d->chain.head);
            used |= head_valid;
            break;
        }
        if (d->chain.nseg == 0)
            break; /* no buffer: the message waits (vcon_ports.c's pending queue) */
        (*chains)--;
        uint32_t port = msg_port(m.hdr);
        if (d->chain.total < VCP_MSG_LEN) {
            vq_push(vq, d->chain.head, 0);
            used = true;
            vmmio_fail(&d->mmio, "control receive buffer smaller than a control message");
            break;
        }
        uint32_t body = MIN(m.body_len, d->chain.total - VCP_MSG_LEN);
        if (body < m.body_len)
            d->host->refused(d->ctx, port, "control receive buffer too short: port name cut");
        chain_put(d, m.hdr, VCP_MSG_LEN, 0);
        chain_put(d, m.body, body, VCP_MSG_LEN);
        vq_push(vq, d->chain.head, VCP_MSG_LEN + body);
        vcp_sent(&d->ctl);
        used = true;
    }
    raise_if_wanted(d, vq, used);
}

/* The first min(total, 8) bytes of a driver-readable chain, wherever its segments split them. */
static void chain_get_msg(const struct vmp *d, uint8_t msg[VCP_MSG_LEN])
{
    uint32_t got = 0;
    memset(msg, 0, VCP_MSG_LEN);
    for (uint16_t s = 0; s < d->chain.nseg && got < VCP_MSG_LEN; s++) {
        const struct vq_seg *seg = &d->chain.seg[s];
        uint32_t n = MIN(seg->len, VCP_MSG_LEN - got);
        gmem_sync(d->mmio.mem, seg->hva, n);
        memcpy(msg + got, seg->hva, n);
        got += n;
    }
}

static void port_rx(struct vmp *d, uint32_t p, uint32_t *budget);

/* Messages from the driver. Completed inside the trap: Linux busy-waits for each one. */
static void ctl_tx(struct vmp *d, uint32_t *chains, uint32_t *budget)
{
    struct virtq *vq = &d->vq[Q_CTL_TX];
    if (!vmmio_live(&d->mmio) || !vq->ready)
        return;
    while (*chains) {
        bool head_valid;
        enum vq_err err = vq_pop(vq, d->mmio.mem, VQ_DIR_READ, &d->chain, &head_valid);
        if (err) {
            ring_error(d, vq, err, head_valid, d->chain.head);
            return;
        }
        if (d->chain.nseg == 0)
            return;
        (*chains)--;
        uint8_t msg[VCP_MSG_LEN];
        chain_get_msg(d, msg);
        vq_push(vq, d->chain.head, 0);
        struct vcp_note note;
        enum vcp_err e = vcp_driver_msg(&d->ctl, msg, d->chain.total, &note);
        if (e) {
            d->refused++;
            d->host->refused(d->ctx, msg_port(msg), vcp_err_str(e));
        } else if (note.kind == VCP_NOTE_GUEST_OPEN) {
            port_rx(d, note.port, budget); /* what waited for the reader, at once */
        }
    }
}

/* ---- port backends ---- */

/* Bytes the guest wrote on port pt: how many the backend took. */
static size_t backend_write(struct vmp_port *pt, const uint8_t *buf, size_t len)
{
    const struct port_cfg *c = pt->cfg;
    switch (c->kind) {
    case PORT_LINK:
        return link_write(c->link, c->end, buf, len);
    case PORT_LOG:
        history_write(&pt->log, buf, len); /* a log never holds the writer back */
        return len;
    }
    return len;
}

/* ---- port transmit ---- */

/* Send the chain in d->chain on from (tx_seg, tx_off); false when the backend took less. */
static bool tx_send(struct vmp *d, struct vmp_port *pt, uint32_t *budget)
{
    const struct vq_chain *ch = &d->chain;
    while (pt->tx_seg < ch->nseg) {
        const struct vq_seg *s = &ch->seg[pt->tx_seg];
        if (pt->tx_off >= s->len) {
            /* Segment done (or shorter than when we left it: a driver that changed a chain it
             * had made available gets what it wrote). */
            pt->tx_seg++;
            pt->tx_off = 0;
            continue;
        }
        uint32_t n = MIN(s->len - pt->tx_off, *budget);
        if (n == 0)
            return true; /* budget spent, the backend is not full */
        gmem_sync(d->mmio.mem, s->hva + pt->tx_off, n);
        size_t took = backend_write(pt, s->hva + pt->tx_off, n);
        pt->tx_off += (uint32_t)took;
        pt->bytes_tx += took;
        *budget -= (uint32_t)took;
        if (took < n)
            return false;
    }
    return true;
}

/* One port's transmit queue, one budget's worth. Returns whether chains completed; *full when
 * the backend held the rest back (the link wakes us when there is room). */
static bool port_tx(struct vmp *d, uint32_t p, uint32_t *budget, bool *full)
{
    struct vmp_port *pt = &d->port[p];
    struct virtq *vq = &d->vq[q_tx(p)];
    bool completed = false, have_chain = false;
    if (!vmmio_live(&d->mmio) || !vq->ready)
        return false;
    while (*budget) {
        enum vq_err err = VQ_OK;
        bool head_valid = true;
        if (!pt->tx_active) {
            err = vq_pop(vq, d->mmio.mem, VQ_DIR_READ, &d->chain, &head_valid);
            if (!err && d->chain.nseg == 0)
                break;
            pt->tx_active = !err;
            pt->tx_head = d->chain.head;
            pt->tx_seg = 0;
            pt->tx_off = 0;
            *budget -= MIN(*budget, (uint32_t)VMP_CHAIN_COST);
        } else if (!have_chain) {
            err = vq_walk(vq, d->mmio.mem, VQ_DIR_READ, pt->tx_head, &d->chain);
        }
        if (err) {
            pt->tx_active = false;
            ring_error(d, vq, err, head_valid, d->chain.head);
            return completed;
        }
        have_chain = true;
        if (!tx_send(d, pt, budget)) {
            *full = true;
            break;
        }
        if (pt->tx_seg < d->chain.nseg)
            break; /* budget spent mid-chain */
        vq_push(vq, pt->tx_head, 0);
        pt->tx_active = false;
        have_chain = false;
        completed = true;
    }
    return completed;
}

/* After a port's transmit: a link's reader learns that bytes wait for it. */
static void tx_done(struct vmp *d, uint32_t p, uint64_t before)
{
    const struct port_cfg *c = d->port[p].cfg;
    if (c->kind == PORT_LINK && d->port[p].bytes_tx != before)
        d->host->link_wake(c->link, link_peer(c->end));
}

/* ---- port receive ---- */

/* Fill the device-writable chain in d->chain from the link; returns bytes written. */
static uint32_t rx_fill(struct vmp *d, struct vmp_port *pt, uint32_t *budget, bool *writer_waits)
{
    const struct port_cfg *c = pt->cfg;
    uint32_t written = 0;
    for (uint16_t s = 0; s < d->chain.nseg && *budget; s++) {
        const struct vq_seg *seg = &d->chain.seg[s];
        uint32_t off = 0;
        while (off < seg->len && *budget) {
            const uint8_t *src;
            /* Looked at once: the writer adds bytes meanwhile (and MIN evaluates twice). */
            uint32_t avail = link_peek(c->link, c->end, &src);
            uint32_t n = MIN(MIN(avail, seg->len - off), *budget);
            if (n == 0)
                return written;
            gmem_sync(d->mmio.mem, seg->hva + off, n);
            memcpy(seg->hva + off, src, n);
            gmem_sync(d->mmio.mem, seg->hva + off, n);
            *writer_waits |= link_consume(c->link, c->end, n);
            off += n;
            written += n;
            *budget -= n;
        }
    }
    return written;
}

/* Bytes waiting on a link into the port's receive buffers, while the guest has it open. */
static void port_rx(struct vmp *d, uint32_t p, uint32_t *budget)
{
    struct vmp_port *pt = &d->port[p];
    const struct port_cfg *c = pt->cfg;
    struct virtq *vq = &d->vq[q_rx(p)];
    bool used = false, writer_waits = false;
    if (c->kind != PORT_LINK || !vmmio_live(&d->mmio) || !vq->ready || !vmp_guest_open(d, p))
        return;
    /* A buffer is taken only with budget left to put at least one byte in it after its cost: a
     * receive buffer completed empty reads as end of file in Linux (read() returns 0). */
    while (*budget > VMP_CHAIN_COST && link_held(c->link, c->end)) {
        bool head_valid;
        enum vq_err err = vq_pop(vq, d->mmio.mem, VQ_DIR_WRITE, &d->chain, &head_valid);
        if (err) {
            ring_error(d, vq, err, head_valid, d->chain.head);
            used |= head_valid;
            break;
        }
        if (d->chain.nseg == 0)
            break; /* no buffer posted: the bytes wait on the link, the writer is held back */
        *budget -= VMP_CHAIN_COST;
        uint32_t n = rx_fill(d, pt, budget, &writer_waits);
        vq_push(vq, d->chain.head, n);
        pt->bytes_rx += n;
        used = true;
    }
    raise_if_wanted(d, vq, used);
    if (writer_waits)
        d->host->link_wake(c->link, link_peer(c->end));
}

/* ---- the device ---- */

void vmp_work(struct vmp *d)
{
    uint32_t budget = VMP_BUDGET, chains = VMP_CTL_CHAINS;
    ctl_tx(d, &chains, &budget);
    ctl_flush(d, &chains);
    for (uint32_t p = 0; p < d->nports; p++)
        port_rx(d, p, &budget);
    for (uint32_t p = 0; p < d->nports && budget; p++) {
        uint64_t before = d->port[p].bytes_tx;
        bool full = false;
        /* Chains completed outside the notify trap: the driver learns of them by interrupt. */
        raise_if_wanted(d, &d->vq[q_tx(p)], port_tx(d, p, &budget, &full));
        tx_done(d, p, before);
    }
    if (budget <= VMP_CHAIN_COST || !chains) /* maybe more to do: go on in a later exit */
        d->host->work_later(d->ctx);
}

static void queue_notify(struct vmmio_dev *m, uint32_t q)
{
    struct vmp *d = to_vmp(m);
    uint32_t budget = VMP_BUDGET, chains = VMP_CTL_CHAINS;
    uint32_t p = q_port(q);
    if (q == Q_CTL_TX) {
        ctl_tx(d, &chains, &budget);
        ctl_flush(d, &chains);
    } else if (q == Q_CTL_RX) {
        ctl_flush(d, &chains);
    } else if (q == q_rx(p)) {
        port_rx(d, p, &budget);
    } else {
        uint64_t before = d->port[p].bytes_tx;
        bool full = false;
        /* Chains completed here need no interrupt: the writer is in this trap and reclaims them
         * on its next write (a blocked writer is woken by the interrupt of a later completion). */
        port_tx(d, p, &budget, &full);
        tx_done(d, p, before);
    }
    if (budget <= VMP_CHAIN_COST || !chains) /* maybe more to do: go on in a later exit */
        d->host->work_later(d->ctx);
}

static bool config_read(struct vmmio_dev *m, uint32_t off, uint32_t width, uint32_t *val)
{
    uint8_t cfg[CFG_SIZE] = {0};
    uint32_t n = to_vmp(m)->nports;
    if (width != 1 && width != 2 && width != 4)
        return false;
    for (uint32_t i = 0; i < 4; i++)
        cfg[CFG_MAX_NR_PORTS + i] = (uint8_t)(n >> (8 * i));
    *val = 0;
    for (uint32_t i = 0; i < width; i++)
        if (off + i < CFG_SIZE)
            *val |= (uint32_t)cfg[off + i] << (8 * i);
    return true;
}

static bool config_write(struct vmmio_dev *m, uint32_t off, uint32_t width, uint32_t val)
{
    UNUSED(m);
    UNUSED(off);
    UNUSED(val);
    /* No EMERG_WRITE on this device, and the rest is read-only: writes are ignored. */
    return width == 1 || width == 2 || width == 4;
}

static void dev_reset(struct vmmio_dev *m)
{
    struct vmp *d = to_vmp(m);
    /* The control protocol starts over; the guest's ports are closed. Half-sent chains go with
     * their rings; bytes already on a link stay there for the reader (nothing is lost). */
    vcp_reset(&d->ctl);
    for (uint32_t p = 0; p < d->nports; p++)
        d->port[p].tx_active = false;
}

static void queue_stop(struct vmmio_dev *m, uint32_t q)
{
    struct vmp *d = to_vmp(m);
    uint32_t p = q_port(q);
    if (p != NO_PORT && q == q_tx(p))
        d->port[p].tx_active = false;
}

static void driver_ok(struct vmmio_dev *m)
{
    /* A driver may have posted control buffers and sent DEVICE_READY before DRIVER_OK. */
    struct vmp *d = to_vmp(m);
    uint32_t budget = VMP_BUDGET, chains = VMP_CTL_CHAINS;
    ctl_tx(d, &chains, &budget);
    ctl_flush(d, &chains);
}

static void set_irq(struct vmmio_dev *m, bool level)
{
    struct vmp *d = to_vmp(m);
    d->host->set_irq(d->ctx, level);
}

static void fault(struct vmmio_dev *m, const char *what)
{
    struct vmp *d = to_vmp(m);
    d->host->fault(d->ctx, what);
}

static const struct vmmio_ops vmp_ops = {
    .config_read = config_read,
    .config_write = config_write,
    .queue_notify = queue_notify,
    .reset = dev_reset,
    .queue_stop = queue_stop,
    .driver_ok = driver_ok,
    .set_irq = set_irq,
    .fault = fault,
};

bool vmp_init(struct vmp *d, const struct guest_mem *mem, const struct port_cfg *cfg,
              uint32_t nports, const struct vmp_host *host, void *ctx)
{
    struct vcp_port_cfg pc[VCP_MAX_PORTS];
    memset(d, 0, sizeof(*d));
    if (nports == 0 || nports > VCP_MAX_PORTS)
        return false;
    for (uint32_t p = 0; p < nports; p++) {
        const struct port_cfg *c = &cfg[p];
        /* The host side of every port is open from the start: a link is a wire that is always
         * there (a reader blocks for data rather than seeing an end of file), a log always
         * takes bytes. */
        pc[p] = (struct vcp_port_cfg){.name = c->name, .console = false, .host_open = true};
        d->port[p].cfg = c;
        if (c->kind == PORT_LOG)
            history_init(&d->port[p].log, c->log, c->log_size);
        else if (c->kind != PORT_LINK || !c->link || !link_attach(c->link, c->end, ctx, p))
            return false;
    }
    if (vcp_init(&d->ctl, pc, nports) != VCP_OK)
        return false;
    d->nports = nports;
    d->host = host;
    d->ctx = ctx;
    d->mmio.ops = &vmp_ops;
    d->mmio.priv = d;
    d->mmio.mem = mem;
    d->mmio.device_id = VIRTIO_ID_CONSOLE;
    d->mmio.device_features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_CONSOLE_F_MULTIPORT);
    d->mmio.vq = d->vq;
    d->mmio.nqueues = 2 + 2 * nports;
    d->mmio.queue_num_max = VQ_MAX_SIZE;
    vmmio_init(&d->mmio);
    return true;
}
