/*
 * libFuzzer target: console output scheduling (hypervisor/conout.c, over history.c, tagline.c,
 * tagq.c and txring.c), called in the sequences the multiplexer (hypervisor/mux.c) uses: zone
 * writes (virtio with may_wait, or the emulated UART without), hypervisor lines, focus moves,
 * the tagged view on and off, transmit interrupts, and a UART whose FIFO takes any amount from
 * nothing to everything.
 *
 * Invariants (abort when broken), after every operation:
 *  - the transmitter never strands a byte: while it is off, the ring is empty, the focused zone
 *    has nothing unsent (plain view), no line is queued (tagged view), no hypervisor-line drop is
 *    unreported; the transmit interrupt is on exactly while the transmitter is;
 *  - outside the tagged view no line queue or partial line holds anything;
 *  - only the focused zone in the plain view ever waits, it is woken once room returns (no lost
 *    wake-up), and a wake-up goes only to a zone that was waiting;
 *  - a zone's write changes no other zone's state or history bytes;
 *  - the focused zone's output is lossless: its ring never overwrites an unsent byte, and a
 *    may_wait write takes exactly what fits; other writes take everything;
 *  - on the wire, every hypervisor line and every tag ("[..." not part of the erase sequence)
 *    starts on a fresh line (zone bytes are kept free of '[' and ESC so that this can be seen);
 *  - a drain moves at most what it was allowed to, and the wire gets exactly what left the ring.
 */
#include "hypervisor/conout.h"
#include "tests/fuzz/fuzz.h"

#define MAX_NZ 4
#define ESC 0x1b

static const char *const names[MAX_NZ] = {"a", "linux0", "guest2", "a-much-longer-zone-name"};

static struct conout co;
static struct conout_zone zs[MAX_NZ];
static uint8_t *hist[MAX_NZ];
static uint8_t *ring;
static uint32_t nz;

/* The fake UART and what the wire saw. */
static size_t fifo_cap;   /* bytes fill() takes per call (SIZE_MAX: all) */
static bool irq_on;       /* transmit interrupt */
static uint64_t wire_len; /* bytes written to the UART */
static uint8_t wire_tail[3];
static bool waiting_seen[MAX_NZ]; /* zones that were waiting when the last call returned */
static uint64_t accepted[MAX_NZ];

/* Is a '[' written now at the start of a line, or part of the erase sequence "\r\033[K"? */
static bool bracket_ok(void)
{
    if (wire_len == 0 || wire_tail[2] == '\n' || wire_tail[2] == ESC)
        return true;
    return wire_len >= 3 && wire_tail[0] == ESC && wire_tail[1] == '[' && wire_tail[2] == 'K';
}

/* The wire's last bytes, shown when a check on the wire fails. */
#define WIRE_SHOW 512
static uint8_t wire_last[WIRE_SHOW];

static void show_wire(void)
{
    uint64_t from = wire_len > WIRE_SHOW ? wire_len - WIRE_SHOW : 0;
    fprintf(stderr, "wire, last %u bytes: \"", (unsigned)(wire_len - from));
    for (uint64_t i = from; i < wire_len; i++) {
        uint8_t c = wire_last[i % WIRE_SHOW];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "\"\n");
}

static size_t u_fill(const uint8_t *buf, size_t len)
{
    size_t n = len < fifo_cap ? len : fifo_cap;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '[' && !bracket_ok()) {
            show_wire();
            FZ_CHECK(bracket_ok());
        }
        wire_tail[0] = wire_tail[1];
        wire_tail[1] = wire_tail[2];
        wire_tail[2] = buf[i];
        wire_last[wire_len % WIRE_SHOW] = buf[i];
        wire_len++;
    }
    return n;
}

static void u_tx_irq(bool on)
{
    irq_on = on;
}

static const struct conout_uart uart = {.fill = u_fill, .tx_irq = u_tx_irq};

static void w_wake(void *ctx, uint32_t id)
{
    FZ_CHECK(ctx == &co);
    FZ_CHECK(id < nz);
    FZ_CHECK(waiting_seen[id] && !zs[id].waiting);
    waiting_seen[id] = false;
}

static void sync_waiting(void)
{
    for (uint32_t i = 0; i < nz; i++)
        waiting_seen[i] = zs[i].waiting;
}

/* ---- the multiplexer's sequences ---- */

/* mux.c: unlock_and_kick, the end of every producer's turn. */
static void producer_end(void)
{
    bool idle = conout_tx_idle(&co);
    if (idle)
        conout_refill(&co);
    sync_waiting();
    if (idle) {
        uint64_t before = wire_len;
        conout_kick(&co);
        FZ_CHECK(wire_len - before <= CONOUT_KICK_MAX);
    }
}

/* Zone bytes never contain '[' or ESC, so that any '[' on the wire is ours. */
static size_t zone_bytes(struct fz *f, uint8_t *buf, size_t max)
{
    size_t n = fz_bytes(f, buf, fz_u16(f) % (max + 1));
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '[')
            buf[i] = '{';
        else if (buf[i] == ESC)
            buf[i] = '~';
    }
    return n;
}

/* A flood: len bytes of a pattern with a newline every `line` bytes (0: none). */
static size_t flood_bytes(struct fz *f, uint8_t *buf, size_t max)
{
    size_t n = fz_u16(f) % (max + 1);
    uint8_t line = fz_u8(f), c = (uint8_t)('a' + fz_u8(f) % 26);
    for (size_t i = 0; i < n; i++)
        buf[i] = line && i % line == (size_t)line - 1 ? '\n' : c;
    return n;
}

/* Another zone's state and history bytes, to show that a zone's write left them alone. */
static struct conout_zone others_before[MAX_NZ];
static uint8_t *others_hist[MAX_NZ];

static void others_save(uint32_t id)
{
    for (uint32_t i = 0; i < nz; i++) {
        if (i == id)
            continue;
        others_before[i] = zs[i];
        memcpy(others_hist[i], zs[i].hist.buf, zs[i].hist.size);
    }
}

static void others_check(uint32_t id)
{
    for (uint32_t i = 0; i < nz; i++) {
        if (i == id)
            continue;
        FZ_CHECK(memcmp(&others_before[i], &zs[i], sizeof(zs[i])) == 0);
        FZ_CHECK(memcmp(others_hist[i], zs[i].hist.buf, zs[i].hist.size) == 0);
    }
}

static void zone_write(uint32_t id, const uint8_t *buf, size_t len, bool may_wait)
{
    const struct conout_zone *z = &zs[id];
    bool lossless = !co.tagged && id == co.focus;
    uint32_t room = history_room(&z->hist);
    uint64_t out = z->bytes_out;
    others_save(id);
    size_t n = conout_zone_write(&co, id, buf, len, may_wait);
    others_check(id);
    sync_waiting();
    FZ_CHECK(n == (lossless && may_wait ? MIN(len, (size_t)room) : len));
    if (lossless && may_wait && n < len)
        FZ_CHECK(z->waiting); /* held back: the caller keeps the rest until woken */
    FZ_CHECK(z->bytes_out == out + n);
    accepted[id] += n;
    if (conout_zone_kicks(&co, id))
        producer_end();
}

static void op_write(struct fz *f)
{
    static uint8_t buf[4096];
    uint8_t m = fz_u8(f);
    size_t len = m & 2 ? flood_bytes(f, buf, sizeof(buf)) : zone_bytes(f, buf, 300);
    zone_write(m % (4 * nz) / 4, buf, len, m & 1);
}

static void op_hv_line(struct fz *f)
{
    char text[160];
    size_t n = fz_bytes(f, (uint8_t *)text, fz_u8(f) % sizeof(text));
    for (size_t i = 0; i < n; i++) {
        text[i] = (char)(0x20 + (uint8_t)text[i] % 0x5f); /* printable, as hv_printf makes */
        if (text[i] == '[')
            text[i] = '(';
    }
    text[n] = 0;
    conout_hv_line(&co, text);
    producer_end();
}

/* A command (mux.c: focus_zone, toggle_tagged) moves the focus or turns the tagged view. */
static void op_command(struct fz *f)
{
    uint8_t c = fz_u8(f);
    uint32_t id = c % nz;
    bool on = !co.tagged;
    if (c & 0x80)
        conout_set_tagged(&co, on);
    else
        conout_focus(&co, id);
    sync_waiting();
    FZ_CHECK(c & 0x80 ? co.tagged == on : co.focus == id);
    producer_end();
}

/* The transmit interrupt (mux.c: mux_uart_irq): drain, then always refill, and kick if idle. */
static void op_pump(struct fz *f)
{
    (void)f;
    uint64_t tail = co.ring.tail, before = wire_len;
    conout_drain(&co, CONOUT_PUMP_MAX);
    FZ_CHECK(wire_len - before <= CONOUT_PUMP_MAX);
    FZ_CHECK(co.tx_on == (txring_used(&co.ring) > 0));
    FZ_CHECK(co.ring.tail - tail == wire_len - before);
    conout_refill(&co);
    sync_waiting();
    if (conout_tx_idle(&co)) {
        before = wire_len;
        conout_kick(&co);
        FZ_CHECK(wire_len - before <= CONOUT_KICK_MAX);
    }
}

static void op_fifo(struct fz *f)
{
    uint8_t c = fz_u8(f);
    fifo_cap = c >= 200 ? SIZE_MAX : c % 70;
}

/* ---- invariants ---- */

static void check_zone(uint32_t i)
{
    const struct conout_zone *z = &zs[i];
    FZ_CHECK(z->hist.sent <= z->hist.written);
    FZ_CHECK(history_pending(&z->hist) <= z->hist.size);
    FZ_CHECK(z->bytes_out == accepted[i]);
    FZ_CHECK(z->tag.len < TAGLINE_MAX);
    if (!co.tagged)
        FZ_CHECK(tagq_empty(&z->tq) && z->tag.len == 0);
    if (z->waiting) {
        FZ_CHECK(i == co.focus && !co.tagged);
        FZ_CHECK(history_room(&z->hist) < MAX(z->hist.size / 4, 1u));
    }
    if (!co.tx_on)
        FZ_CHECK(tagq_empty(&z->tq));
}

static void check_all(void)
{
    FZ_CHECK(irq_on == co.tx_on);
    FZ_CHECK(co.focus < nz && co.rr < nz);
    FZ_CHECK(wire_len == co.ring.tail);
    FZ_CHECK(co.ring.head - co.ring.tail <= co.ring.size);
    if (!co.tagged)
        FZ_CHECK(history_dropped(&zs[co.focus].hist) == 0);
    if (!co.tx_on) {
        FZ_CHECK(txring_used(&co.ring) == 0);
        FZ_CHECK(co.hv_dropped == 0);
        if (!co.tagged)
            FZ_CHECK(history_pending(&zs[co.focus].hist) == 0);
    }
    for (uint32_t i = 0; i < nz; i++)
        check_zone(i);
}

/* ---- the run ---- */

typedef void (*op_fn)(struct fz *f);

static const op_fn ops[] = {op_write, op_write, op_hv_line, op_command, op_pump, op_fifo};

static void rig(struct fz *f)
{
    nz = 1 + fz_u8(f) % MAX_NZ;
    for (uint32_t i = 0; i < nz; i++) {
        uint32_t size = 1 + fz_u16(f) % 8192; /* a zone's ring: any non-zero size */
        free(hist[i]);
        hist[i] = fz_alloc(size);
        free(others_hist[i]);
        others_hist[i] = fz_alloc(size);
        conout_zone_init(&zs[i], names[i], hist[i], size);
        accepted[i] = 0;
        waiting_seen[i] = false;
    }
    /* The transmit ring: 16 KiB by default; smaller ones down to where one tagged line and
     * its note still fit with the refill mark's worth of zone data ahead of it. */
    uint32_t ring_size = 2048 + fz_u16(f) % (16384 - 2048 + 1);
    free(ring);
    ring = fz_alloc(ring_size);
    conout_init(&co, ring, ring_size, zs, nz, fz_u8(f) % nz, &uart, w_wake, &co);
    fifo_cap = SIZE_MAX;
    irq_on = false;
    wire_len = 0;
    memset(wire_tail, 0, sizeof(wire_tail));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    rig(&f);
    check_all();
    while (fz_more(&f)) {
        ops[fz_u8(&f) % (sizeof(ops) / sizeof(ops[0]))](&f);
        check_all();
    }
    return 0;
}
