/* virtio console port 0: TX completes inside the notify trap, RX from the held-input ring. */
#include "hypervisor/virtio_console.h"

#define Q_RX 0
#define Q_TX 1

enum {
    CFG_COLS = 0,
    CFG_ROWS = 2,
    CFG_MAX_NR_PORTS = 4,
    CFG_EMERG_WR = 8,
    CFG_SIZE = 12,
};

static struct vcon *to_vcon(struct vmmio_dev *d)
{
    return d->priv;
}

uint32_t vcon_input_held(const struct vcon *c)
{
    uint32_t head = __atomic_load_n(&c->in_head, __ATOMIC_ACQUIRE);
    uint32_t tail = __atomic_load_n(&c->in_tail, __ATOMIC_ACQUIRE);
    return head - tail;
}

uint32_t vcon_input_space(const struct vcon *c)
{
    return VCON_INBUF - vcon_input_held(c);
}

bool vcon_input_push(struct vcon *c, uint8_t b)
{
    if (vcon_input_space(c) == 0)
        return false;
    c->in_buf[c->in_head % VCON_INBUF] = b;
    __atomic_store_n(&c->in_head, c->in_head + 1, __ATOMIC_RELEASE);
    return true;
}

bool vcon_input_pop(struct vcon *c, uint8_t *b)
{
    if (!vcon_input_held(c))
        return false;
    *b = c->in_buf[c->in_tail % VCON_INBUF];
    __atomic_store_n(&c->in_tail, c->in_tail + 1, __ATOMIC_RELEASE);
    if (c->host->input_space)
        c->host->input_space(c->ctx);
    return true;
}

/* Copy held input into one device-writable chain; returns bytes written. */
static uint32_t fill_chain(struct vcon *c, const struct vq_chain *ch)
{
    uint32_t head = __atomic_load_n(&c->in_head, __ATOMIC_ACQUIRE);
    uint32_t tail = c->in_tail;
    uint32_t written = 0;
    for (uint16_t s = 0; s < ch->nseg && tail != head; s++) {
        /* Only the bytes written are synced, before and after: a guest's buffer may be huge, and
         * an exit's work must not grow with it. */
        uint32_t n = MIN(ch->seg[s].len, head - tail);
        gmem_sync(c->mmio.mem, ch->seg[s].hva, n);
        for (uint32_t i = 0; i < n; i++)
            ch->seg[s].hva[i] = c->in_buf[tail++ % VCON_INBUF];
        gmem_sync(c->mmio.mem, ch->seg[s].hva, n);
        written += n;
    }
    __atomic_store_n(&c->in_tail, tail, __ATOMIC_RELEASE);
    return written;
}

static void chain_error(struct vcon *c, struct virtq *vq, enum vq_err err, bool head_valid)
{
    /* Completing the bad chain with length 0 keeps a busy-waiting driver from hanging. */
    if (head_valid)
        vq_push(vq, c->chain.head, 0);
    vmmio_fail(&c->mmio, vq_err_str(err));
}

void vcon_rx_deliver(struct vcon *c)
{
    struct virtq *vq = &c->mmio.vq[Q_RX];
    bool used = false, freed = false;
    if (!vmmio_live(&c->mmio) || !vq->ready)
        return;
    while (vcon_input_held(c)) {
        bool head_valid;
        enum vq_err err = vq_pop(vq, c->mmio.mem, VQ_DIR_WRITE, &c->chain, &head_valid);
        if (err) {
            chain_error(c, vq, err, head_valid);
            used |= head_valid; /* the zero-length completion is a used buffer too */
            break;
        }
        if (c->chain.nseg == 0)
            break;
        uint32_t n = fill_chain(c, &c->chain);
        vq_push(vq, c->chain.head, n);
        used = true;
        freed |= n > 0;
    }
    if (used && vq_want_interrupt(vq))
        vmmio_raise(&c->mmio, VIRTIO_INT_VRING);
    if (freed && c->host->input_space)
        c->host->input_space(c->ctx);
}

/* Send the current chain on from (tx_seg, tx_off); false when the host took less than offered. */
static bool tx_send(struct vcon *c, uint32_t *budget)
{
    const struct vq_chain *ch = &c->tx_chain;
    while (c->tx_seg < ch->nseg) {
        const struct vq_seg *s = &ch->seg[c->tx_seg];
        uint32_t n = MIN(s->len - c->tx_off, *budget);
        if (n == 0 && s->len != c->tx_off)
            return true;                               /* budget spent, the host is not full */
        gmem_sync(c->mmio.mem, s->hva + c->tx_off, n); /* this exit's bytes only, not the chain */
        size_t took = n ? c->host->output(c->ctx, s->hva + c->tx_off, n, true) : 0;
        c->tx_off += (uint32_t)took;
        *budget -= (uint32_t)took;
        if (took < n)
            return false;
        if (c->tx_off == s->len) {
            c->tx_seg++;
            c->tx_off = 0;
        }
    }
    return true;
}

/*
 * Transmit, one budget's worth per exit. The notify trap itself completes what fits without a
 * used-buffer interrupt: the driver that kicked is still inside the trap and finds its buffers
 * used the moment it resumes. Linux's hvc path (put_chars -> __send_to_port) busy-waits for
 * exactly that with interrupts off, so an interrupt raised here would always find nothing to do;
 * after 100,000 of those Linux declares the line stuck ("irq N: nobody cared") and disables it,
 * taking receive interrupts down with it. A deliberate departure from virtio 1.2 section 2.7.10
 * for this one case. A chain completed in any later exit (budget ran out, or the focused zone's
 * transmit buffer was full) raises the interrupt, as do every receive completion and error.
 * A busy-waiting driver never deadlocks: its vCPU is interrupted at EL2 to resume (tx_later and
 * the multiplexer's wake both use a physical SGI, which the guest cannot mask).
 */
static void tx_process(struct vcon *c, bool in_notify)
{
    struct virtq *vq = &c->mmio.vq[Q_TX];
    uint32_t budget = VCON_TX_BUDGET;
    bool completed = false, blocked = false;
    if (!vmmio_live(&c->mmio) || !vq->ready)
        return;
    while (budget) {
        if (!c->tx_active) {
            bool head_valid;
            enum vq_err err = vq_pop(vq, c->mmio.mem, VQ_DIR_READ, &c->tx_chain, &head_valid);
            if (err) {
                if (head_valid)
                    vq_push(vq, c->tx_chain.head, 0);  /* keeps a busy-waiting driver going */
                vmmio_fail(&c->mmio, vq_err_str(err)); /* raises the configuration interrupt */
                return;
            }
            if (c->tx_chain.nseg == 0)
                break;
            c->tx_active = true;
            c->tx_seg = 0;
            c->tx_off = 0;
            budget -= MIN(budget, (uint32_t)VCON_TX_CHAIN_COST);
        }
        if (!tx_send(c, &budget)) {
            blocked = true; /* the host wakes us (vcon_tx_resume) when it has room */
            break;
        }
        if (c->tx_seg < c->tx_chain.nseg)
            break; /* budget spent mid-chain */
        vq_push(vq, c->tx_chain.head, 0);
        c->tx_active = false;
        completed = true;
    }
    if (completed && !in_notify && vq_want_interrupt(vq))
        vmmio_raise(&c->mmio, VIRTIO_INT_VRING);
    if (!blocked && budget == 0 && c->host->tx_later)
        c->host->tx_later(c->ctx);
}

void vcon_tx_resume(struct vcon *c)
{
    tx_process(c, false);
}

static void queue_notify(struct vmmio_dev *d, uint32_t q)
{
    struct vcon *c = to_vcon(d);
    if (q == Q_TX)
        tx_process(c, true);
    else
        vcon_rx_deliver(c);
}

static void config_bytes(const struct vcon *c, uint8_t out[CFG_SIZE])
{
    memset(out, 0, CFG_SIZE);
    out[CFG_COLS] = (uint8_t)c->cols;
    out[CFG_COLS + 1] = (uint8_t)(c->cols >> 8);
    out[CFG_ROWS] = (uint8_t)c->rows;
    out[CFG_ROWS + 1] = (uint8_t)(c->rows >> 8);
    out[CFG_MAX_NR_PORTS] = 1;
}

static bool config_read(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t *val)
{
    uint8_t cfg[CFG_SIZE];
    config_bytes(to_vcon(d), cfg);
    *val = 0;
    if (width != 1 && width != 2 && width != 4)
        return false;
    for (uint32_t i = 0; i < width; i++)
        if (off + i < CFG_SIZE)
            *val |= (uint32_t)cfg[off + i] << (8 * i);
    return true; /* beyond the structure reads as zero, like unused config space */
}

static bool config_write(struct vmmio_dev *d, uint32_t off, uint32_t width, uint32_t val)
{
    struct vcon *c = to_vcon(d);
    if (width != 1 && width != 2 && width != 4)
        return false;
    /* emerg_wr works before (and regardless of) driver setup, per spec 5.3.4. */
    if (off == CFG_EMERG_WR) {
        uint8_t b = (uint8_t)val;
        c->host->output(c->ctx, &b, 1, false);
    }
    return true; /* cols/rows/max_nr_ports are read-only: writes are ignored */
}

static void dev_reset(struct vmmio_dev *d)
{
    /* Held input survives a reset: it belongs to the person typing, not to the driver. A chain
     * half sent is forgotten with the rings it came from. */
    to_vcon(d)->tx_active = false;
}

static void queue_stop(struct vmmio_dev *d, uint32_t q)
{
    /* Like a reset, for the one queue: the half-sent chain goes with the rings it came from. */
    if (q == Q_TX)
        to_vcon(d)->tx_active = false;
}

static void driver_ok(struct vmmio_dev *d)
{
    struct vcon *c = to_vcon(d);
    /* Linux reads the console size only after a configuration-change interrupt. */
    if (vmmio_has_feature(d, VIRTIO_CONSOLE_F_SIZE))
        vmmio_raise(d, VIRTIO_INT_CONFIG);
    /* Notifies before DRIVER_OK were not acted on (the device was not live); a driver may have
     * posted buffers then (FreeBSD's vtcon posts its receive buffers during attach): look at
     * both queues now, as if notified. Output completed here raises the used-buffer interrupt:
     * this is not the trap of a transmit notify that a driver could be busy-waiting in. */
    vcon_rx_deliver(c);
    tx_process(c, false);
}

static void set_irq(struct vmmio_dev *d, bool level)
{
    struct vcon *c = to_vcon(d);
    c->host->set_irq(c->ctx, level);
}

static void fault(struct vmmio_dev *d, const char *what)
{
    struct vcon *c = to_vcon(d);
    c->host->fault(c->ctx, what);
}

static const struct vmmio_ops vcon_ops = {
    .config_read = config_read,
    .config_write = config_write,
    .queue_notify = queue_notify,
    .reset = dev_reset,
    .queue_stop = queue_stop,
    .driver_ok = driver_ok,
    .set_irq = set_irq,
    .fault = fault,
};

void vcon_init(struct vcon *c, const struct guest_mem *mem, uint16_t cols, uint16_t rows,
               const struct vcon_host *host, void *ctx)
{
    memset(c, 0, sizeof(*c));
    c->host = host;
    c->ctx = ctx;
    c->cols = cols;
    c->rows = rows;
    c->mmio.ops = &vcon_ops;
    c->mmio.priv = c;
    c->mmio.mem = mem;
    c->mmio.device_id = VIRTIO_ID_CONSOLE;
    c->mmio.device_features =
        BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_CONSOLE_F_SIZE) | BIT(VIRTIO_CONSOLE_F_EMERG_WRITE);
    c->mmio.vq = c->vq;
    c->mmio.nqueues = ARRAY_SIZE(c->vq);
    c->mmio.queue_num_max = VQ_MAX_SIZE;
    vmmio_init(&c->mmio);
}
