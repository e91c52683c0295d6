/* Console output scheduling: sources -> EL2 transmit ring -> UART FIFO. See conout.h. */
#include "hypervisor/conout.h"

static const char erase_line[] = "\r\033[K"; /* back to column 0, clear the line */
#define ERASE_LEN 4
#define NOTE_MAX 120 /* room kept for one "[hv] ..." note ahead of a tagged line */

void conout_zone_init(struct conout_zone *z, const char *name, uint8_t *hist, uint32_t size)
{
    memset(z, 0, sizeof(*z));
    z->name = name;
    history_init(&z->hist, hist, size);
    tagq_init(&z->tq);
}

void conout_init(struct conout *co, uint8_t *ring, uint32_t ring_size, struct conout_zone *zones,
                 uint32_t nzones, uint32_t focus, const struct conout_uart *uart,
                 void (*wake)(void *ctx, uint32_t zone), void *ctx)
{
    memset(co, 0, sizeof(*co));
    txring_init(&co->ring, ring, ring_size);
    co->zones = zones;
    co->nzones = nzones;
    co->focus = focus;
    co->at_line_start = true;
    co->uart = uart;
    co->wake = wake;
    co->ctx = ctx;
}

static uint32_t room(const struct conout *co)
{
    return txring_room(&co->ring);
}

/* Append bytes the caller has made room for. */
static void put(struct conout *co, const void *buf, size_t len)
{
    if (!len || !txring_put(&co->ring, buf, len))
        return;
    co->at_line_start = ((const uint8_t *)buf)[len - 1] == '\n';
}

static void put_str(struct conout *co, const char *s)
{
    put(co, s, strlen(s));
}

static void fresh_line(struct conout *co)
{
    if (!co->at_line_start)
        put_str(co, "\r\n");
}

/* Tagged view: take the live partial line off the bottom line so something else can go there.
 * With no room for the erase, the partial line stays where it stands as an ended line: the
 * stream is still mid-line, so whatever comes next starts on a fresh line below it instead of
 * being glued to it. */
static void hide_live(struct conout *co)
{
    if (!co->live_shown)
        return;
    if (room(co) >= ERASE_LEN) {
        put(co, erase_line, ERASE_LEN);
        co->at_line_start = true;
    }
    co->live_shown = false;
    co->live_len = 0;
    co->live_queued = false;
}

static void hv_line_put(struct conout *co, const char *text)
{
    hide_live(co);
    fresh_line(co);
    put_str(co, "[hv] ");
    put_str(co, text);
    put_str(co, "\r\n");
}

static bool hv_line_fits(const struct conout *co, const char *text)
{
    return room(co) >= ERASE_LEN + 2 + 5 + strlen(text) + 2;
}

void conout_hv_line(struct conout *co, const char *text)
{
    if (hv_line_fits(co, text))
        hv_line_put(co, text);
    else
        co->hv_dropped++;
}

/* Lines lost to a full ring are said as soon as there is room again. */
static void note_hv_dropped(struct conout *co)
{
    char note[NOTE_MAX];
    if (!co->hv_dropped)
        return;
    hv_snprintf(note, sizeof(note), "%lu hypervisor lines dropped: the transmit ring was full",
                co->hv_dropped);
    if (!hv_line_fits(co, note))
        return;
    hv_line_put(co, note);
    co->hv_dropped = 0;
}

/* Tagged lines given up when the view ended (already in the zones' drop counts), said once
 * there is room. */
static void note_left_dropped(struct conout *co)
{
    char note[NOTE_MAX];
    if (!co->left_lines)
        return;
    hv_snprintf(note, sizeof(note),
                "%lu tagged lines (%lu bytes) dropped leaving the tagged view: the transmit ring "
                "was full (counted in the zone list)",
                co->left_lines, co->left_bytes);
    if (!hv_line_fits(co, note))
        return;
    hv_line_put(co, note);
    co->left_lines = co->left_bytes = 0;
}

/* ---- tagged view ---- */

struct feed_ctx {
    struct conout *co;
    uint32_t id;
};

static void queue_line(void *ctx, const uint8_t *line, uint32_t len, bool complete)
{
    struct feed_ctx *f = ctx;
    struct conout *co = f->co;
    struct conout_zone *z = &co->zones[f->id];
    /* The focused zone's partial line is on screen: remember that this piece is that line. */
    if (f->id == co->focus && co->live_shown && !co->live_queued && tagq_empty(&z->tq)) {
        co->live_queued = true;
        co->live_tail = z->tq.tail;
    }
    /* Lines the queue drops to make room are the zone's lost bytes: the zone list counts them
     * (the view's own note counts lines). */
    z->dropped += tagq_push(&z->tq, line, len, complete);
}

static uint32_t tagged_need(const struct conout_zone *z)
{
    return ERASE_LEN + NOTE_MAX + (uint32_t)strlen(z->name) + 3 + TAGLINE_MAX + 2;
}

/* One queued line of zone id: 1 sent, 0 none queued, -1 no room. */
static int emit_tagged(struct conout *co, uint32_t id)
{
    struct conout_zone *z = &co->zones[id];
    uint8_t line[TAGLINE_MAX];
    uint32_t len;
    bool complete;
    if (tagq_empty(&z->tq))
        return 0;
    if (room(co) < tagged_need(z))
        return -1;
    bool continues =
        id == co->focus && co->live_queued && z->tq.tail == co->live_tail && !z->tq.dropped;
    tagq_pop(&z->tq, line, &len, &complete);
    if (continues && co->live_len <= len) {
        /* Its start is already on the bottom line: finish it there. */
        put(co, line + co->live_len, len - co->live_len);
        co->live_shown = false;
        co->live_queued = false;
        co->live_len = 0;
    } else {
        hide_live(co);
        fresh_line(co);
        if (z->tq.dropped) {
            char note[NOTE_MAX];
            hv_snprintf(note, sizeof(note), "%s: %lu lines dropped (printed faster than the UART)",
                        z->name, z->tq.dropped);
            hv_line_put(co, note);
            z->tq.dropped = 0;
        }
        put_str(co, "[");
        put_str(co, z->name);
        put_str(co, "] ");
        put(co, line, len);
    }
    if (!complete)
        put_str(co, "\r\n");
    co->at_line_start = true;
    return 1;
}

/* The focused zone's unfinished line, live at the bottom, once its older lines are out. */
static void show_live(struct conout *co)
{
    struct conout_zone *z = &co->zones[co->focus];
    uint32_t plen = z->tag.len;
    if (!tagq_empty(&z->tq) || co->live_queued)
        return;
    if (co->live_shown) {
        if (plen > co->live_len && room(co) >= plen - co->live_len) {
            put(co, z->tag.buf + co->live_len, plen - co->live_len);
            co->live_len = plen;
        }
        return;
    }
    if (!plen || room(co) < 2 + strlen(z->name) + 3 + plen)
        return;
    fresh_line(co);
    put_str(co, "[");
    put_str(co, z->name);
    put_str(co, "] ");
    put(co, z->tag.buf, plen);
    co->live_shown = true;
    co->live_len = plen;
}

static void refill_tagged(struct conout *co)
{
    /* Round robin, one line per zone per turn, so a flooding zone cannot starve the others. */
    uint32_t idle = 0;
    while (idle < co->nzones && txring_used(&co->ring) < CONOUT_REFILL_MARK) {
        uint32_t id = co->rr;
        int r = emit_tagged(co, id);
        if (r < 0)
            break;
        co->rr = (id + 1) % co->nzones;
        idle = r ? 0 : idle + 1;
    }
    show_live(co);
}

/* Leaving the view: the focused zone's partial line is out, tagged, so it ends where it stands.
 * What the zone added to it since it was last drawn (no room then) follows as its untagged
 * output, from its ring (empty: tagged writes skip it); what even that cannot hold is counted
 * and said. */
static void end_live(struct conout *co)
{
    struct conout_zone *z = &co->zones[co->focus];
    const uint8_t *rest = z->tag.buf + co->live_len;
    uint32_t n = z->tag.len - co->live_len;
    if (n && room(co) >= n + 2) {
        put(co, rest, n);
        n = 0;
    }
    put_str(co, "\r\n");
    if (n) {
        uint32_t kept = (uint32_t)(z->hist.size ? history_write_lossless(&z->hist, rest, n) : 0);
        if (kept < n) {
            z->dropped += n - kept;
            co->left_lines++;
            co->left_bytes += n - kept;
        }
    }
    z->tag.len = 0;
    co->live_shown = false;
    co->live_len = 0;
}

void conout_set_tagged(struct conout *co, bool on)
{
    if (on == co->tagged)
        return;
    if (on) {
        co->tagged = true;
        co->live_shown = co->live_queued = false;
        co->live_len = 0;
        /* What the focused zone printed but the UART has not shown yet comes first, as its
         * tagged lines, so nothing shows out of order when the view ends. */
        struct conout_zone *f = &co->zones[co->focus];
        struct feed_ctx fc = {co, co->focus};
        const uint8_t *p;
        uint32_t n;
        while ((n = history_peek(&f->hist, &p)) != 0) {
            tagline_feed(&f->tag, p, n, queue_line, &fc);
            history_consume(&f->hist, n);
        }
        /* Tagged-view writes never wait: a zone held back for room may go on now. */
        for (uint32_t i = 0; i < co->nzones; i++) {
            if (co->zones[i].waiting) {
                co->zones[i].waiting = false;
                co->wake(co->ctx, i);
            }
        }
        return;
    }
    if (co->live_shown && !co->live_queued)
        end_live(co);
    hide_live(co);
    for (uint32_t i = 0; i < co->nzones; i++) {
        struct feed_ctx f = {co, i};
        tagline_flush(&co->zones[i].tag, queue_line, &f);
    }
    /* What the queues still hold goes out now, as far as the ring takes it. */
    for (bool sent = true; sent;) {
        sent = false;
        for (uint32_t i = 0; i < co->nzones; i++)
            sent |= emit_tagged(co, i) > 0;
    }
    /* The rest, which the ring had no room for, is given up: counted and said. */
    for (uint32_t i = 0; i < co->nzones; i++) {
        struct conout_zone *z = &co->zones[i];
        uint8_t line[TAGLINE_MAX];
        uint32_t len;
        bool complete;
        while (tagq_pop(&z->tq, line, &len, &complete)) {
            z->tq.dropped_total++;
            z->dropped += len;
            co->left_lines++;
            co->left_bytes += len;
        }
        z->tq.dropped = 0;
    }
    co->tagged = false;
}

/* ---- focused zone ---- */

static uint32_t wake_room(const struct conout_zone *z)
{
    /* Wake a waiting zone only for a useful amount, not for every FIFO's worth. */
    return MAX(z->hist.size / 4, 1u);
}

/* A zone configured with no history (size 0) has no transmit buffer of its own: while focused
 * its bytes go straight into the transmit ring, as much as the refill mark allows, so it waits
 * only for the UART like any focused zone (and is woken by refill_focus), never forever. */
static uint32_t direct_room(const struct conout *co)
{
    uint32_t used = txring_used(&co->ring);
    return used < CONOUT_REFILL_MARK ? MIN(CONOUT_REFILL_MARK - used, room(co)) : 0;
}

static size_t write_direct(struct conout *co, const uint8_t *buf, size_t len)
{
    size_t n = MIN(len, (size_t)direct_room(co));
    put(co, buf, n);
    return n;
}

/* Is there room for a useful write by the waiting focused zone? */
static bool focus_has_room(const struct conout *co, const struct conout_zone *z)
{
    if (!z->hist.size)
        return direct_room(co) >= CONOUT_REFILL_MARK / 4;
    return history_room(&z->hist) >= wake_room(z);
}

/* How much of p[0..n) to move when only `room` bytes may go: all of it if it fits, else up to
 * the last line end within room, so that a hypervisor line arriving before the next refill
 * starts on a line of its own instead of cutting the zone's line in two. With no line end in
 * room: nothing while less than half the mark is free (the ring still holds plenty for the
 * UART; the next refill will have more room), else room (a line that long is cut). */
static uint32_t cut_at_line(const uint8_t *p, uint32_t n, uint32_t room)
{
    if (n <= room)
        return n;
    for (uint32_t i = room; i > 0; i--) {
        if (p[i - 1] == '\n')
            return i;
    }
    return room >= CONOUT_REFILL_MARK / 2 ? room : 0;
}

static void refill_focus(struct conout *co)
{
    struct conout_zone *z = &co->zones[co->focus];
    for (;;) {
        uint32_t used = txring_used(&co->ring);
        const uint8_t *p;
        uint32_t n = history_peek(&z->hist, &p);
        if (!n || used >= CONOUT_REFILL_MARK)
            break;
        uint32_t room = CONOUT_REFILL_MARK - used;
        uint32_t take = cut_at_line(p, n, room);
        put(co, p, take);
        history_consume(&z->hist, take);
        /* Cut at a line end: the rest waits for the next refill, which the transmit interrupt
         * does. That interrupt comes only if the transmitter stays on, so only while the ring
         * holds more than a kick sends: a short cut piece the kick sent whole would leave the
         * transmitter off and the rest stranded. Then go on (at least half the mark is free,
         * so the next round takes something). */
        if (take < MIN(n, room) && txring_used(&co->ring) > CONOUT_KICK_MAX)
            break;
    }
    if (z->waiting && focus_has_room(co, z)) {
        z->waiting = false;
        co->wake(co->ctx, co->focus);
    }
}

size_t conout_zone_write(struct conout *co, uint32_t id, const uint8_t *buf, size_t len,
                         bool may_wait)
{
    struct conout_zone *z = &co->zones[id];
    size_t n = len;
    if (co->tagged) {
        struct feed_ctx f = {co, id};
        tagline_feed(&z->tag, buf, len, queue_line, &f);
    } else if (id == co->focus) {
        n = z->hist.size ? history_write_lossless(&z->hist, buf, len) : write_direct(co, buf, len);
        if (n < len && may_wait) {
            z->waiting = true;
        } else if (n < len) {
            z->dropped += len - n;
            n = len;
        }
    } else {
        history_write(&z->hist, buf, len);
    }
    z->bytes_out += n;
    return n;
}

bool conout_zone_full(const struct conout *co, uint32_t id)
{
    const struct history *h = &co->zones[id].hist;
    if (co->tagged || id != co->focus)
        return false;
    return h->size ? history_room(h) == 0 : direct_room(co) == 0;
}

uint64_t conout_focus(struct conout *co, uint32_t id)
{
    uint32_t old = co->focus;
    hide_live(co);
    co->live_queued = false;
    co->focus = id;
    if (old != id && co->zones[old].waiting) {
        /* In the background it is never held back: let it go on. */
        co->zones[old].waiting = false;
        co->wake(co->ctx, old);
    }
    struct conout_zone *z = &co->zones[id];
    uint64_t lost = history_resync(&z->hist);
    z->dropped += lost;
    return lost;
}

/* ---- the transmitter ---- */

static void refill(struct conout *co)
{
    note_hv_dropped(co);
    note_left_dropped(co);
    if (co->tagged)
        refill_tagged(co);
    else
        refill_focus(co);
}

void conout_refill(struct conout *co)
{
    refill(co);
}

bool conout_zone_kicks(const struct conout *co, uint32_t id)
{
    return co->tagged || id == co->focus;
}

bool conout_tx_idle(const struct conout *co)
{
    /* Pairs with the fence in conout_drain: a producer that appended and then finds the
     * transmitter on can leave its bytes to it, because the drain that turns it off looks at
     * the ring again after saying so. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !__atomic_load_n(&co->tx_on, __ATOMIC_ACQUIRE);
}

/* Move at most `max` bytes from the ring into the UART FIFO, and leave the transmit interrupt on
 * exactly while the ring still holds bytes. */
void conout_drain(struct conout *co, uint32_t max)
{
    uint32_t moved = 0;
    while (moved < max) {
        const uint8_t *p;
        uint32_t n = txring_peek(&co->ring, &p);
        if (!n)
            break;
        uint32_t w = (uint32_t)co->uart->fill(p, MIN(n, max - moved));
        txring_consume(&co->ring, w);
        moved += w;
        if (!w)
            break;
    }
    bool was_on = co->tx_on;
    bool busy = txring_used(&co->ring) > 0;
    if (!busy && was_on) {
        __atomic_store_n(&co->tx_on, false, __ATOMIC_RELEASE);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        /* A producer that appended meanwhile may have seen the transmitter still on. */
        busy = txring_used(&co->ring) > 0;
    }
    if (busy || was_on)
        co->uart->tx_irq(busy);
    __atomic_store_n(&co->tx_on, busy, __ATOMIC_RELEASE);
}

void conout_pump(struct conout *co)
{
    /* A real or modelled FIFO stops the drain after one FIFO's worth; QEMU's PL011, which is
     * never full, after CONOUT_PUMP_MAX bytes, so that one interrupt still does bounded work.
     * Then the ring is topped up for the next interrupt (at most CONOUT_REFILL_MARK bytes of
     * zone data: more than one drain moves), and the transmitter restarted if the drain had
     * found the ring empty. */
    conout_drain(co, CONOUT_PUMP_MAX);
    conout_refill(co);
    if (conout_tx_idle(co))
        conout_kick(co);
}

void conout_kick(struct conout *co)
{
    /* A producer (a zone's exit, a command) only primes the FIFO: the rest is the transmit
     * interrupt's work, so no zone's exit pays for more than a FIFO's worth of UART writes. */
    if (!co->tx_on)
        conout_drain(co, CONOUT_KICK_MAX);
}
