/*
 * libFuzzer target: the multiplexer's small state machines and rings, each against a reference
 * model written here from its header's contract. The first input byte picks the part:
 *   history  (history.c)   the bytes peek shows are the newest unsent ones, in order; room,
 *                          pending, dropped and resync agree with positions; lossless writes
 *                          never overwrite unsent bytes
 *   tagline  (tagline.c)   the pieces emitted, plus the line being assembled, are the input, in
 *                          order; a piece is complete exactly when it ends with '\n', and only a
 *                          flush emits a short incomplete piece
 *   escape   (escape.c)    key then command; key twice delivers one key; all else delivered
 *   kbd      (kbd.c)       the transitions of kbd.h, and nothing else
 *   txring   (txring.c)    a FIFO: all or nothing puts, peek shows the oldest bytes
 *   tagq     (tagq.c)      a FIFO of pieces that drops (and counts) the oldest when full
 *   lifecycle(lifecycle.c) the transitions of lifecycle.h, and nothing else
 * Buffers handed to the code are exact-size heap blocks, so ASan sees any access past them.
 */
#include "hypervisor/escape.h"
#include "hypervisor/history.h"
#include "hypervisor/kbd.h"
#include "hypervisor/lifecycle.h"
#include "hypervisor/tagline.h"
#include "hypervisor/tagq.h"
#include "hypervisor/txring.h"
#include "tests/fuzz/fuzz.h"

#define LOG_MAX (1u << 20) /* model byte log: more than any input can write */

/* Every byte ever written to the part under test, by absolute position. */
static uint8_t log_buf[LOG_MAX];

/* A chunk of input bytes for a write; at most max, as many as the input still has. */
static size_t chunk(struct fz *f, uint8_t *out, size_t max)
{
    return fz_bytes(f, out, fz_u8(f) % (max + 1));
}

/* ---- history ---- */

static uint64_t oldest(uint64_t written, uint32_t size)
{
    return written > size ? written - size : 0;
}

static void check_history(const struct history *h, uint64_t sent)
{
    uint64_t from = MAX(sent, oldest(h->written, h->size));
    FZ_CHECK(h->sent == sent && sent <= h->written);
    FZ_CHECK(history_pending(h) == h->written - from);
    FZ_CHECK(history_room(h) == h->size - (h->written - from));
    FZ_CHECK(history_dropped(h) == from - sent);
    const uint8_t *p = NULL;
    uint32_t n = history_peek(h, &p);
    uint32_t pos = (uint32_t)(from % h->size);
    FZ_CHECK(n == MIN(h->written - from, (uint64_t)(h->size - pos)));
    if (n) {
        FZ_CHECK(p == h->buf + pos);
        FZ_CHECK(memcmp(p, log_buf + from, n) == 0);
    }
}

static uint64_t resync_model(const struct history *h, uint64_t *sent)
{
    uint64_t old = oldest(h->written, h->size), from = *sent;
    if (old <= *sent)
        return 0;
    uint64_t start = old;
    for (uint64_t p = old; p < h->written; p++) {
        if (log_buf[p] == '\n') {
            start = p + 1;
            break;
        }
    }
    *sent = start;
    return start - from;
}

static void fuzz_history(struct fz *f)
{
    uint32_t size = 1 + fz_u16(f) % 600;
    struct history h;
    history_init(&h, fz_alloc(size), size);
    uint64_t sent = 0;
    uint8_t buf[700];
    while (fz_more(f) && h.written + sizeof(buf) < LOG_MAX) {
        uint8_t op = fz_u8(f) % 5;
        if (op <= 1) {
            size_t len = chunk(f, buf, sizeof(buf));
            uint32_t room = history_room(&h);
            uint64_t at = h.written;
            if (op == 0) {
                history_write(&h, buf, len);
                memcpy(log_buf + at, buf, len);
                FZ_CHECK(h.written == at + len);
            } else {
                /* A lossless writer may not lose anything that was not lost already. */
                uint64_t dropped = history_dropped(&h);
                size_t n = history_write_lossless(&h, buf, len);
                FZ_CHECK(n == MIN(len, (size_t)room));
                memcpy(log_buf + at, buf, n);
                FZ_CHECK(h.written == at + n);
                FZ_CHECK(history_dropped(&h) == dropped);
            }
        } else if (op == 2) {
            uint64_t expect = resync_model(&h, &sent);
            FZ_CHECK(history_resync(&h) == expect);
            FZ_CHECK(history_dropped(&h) == 0);
        } else if (op == 3) {
            const uint8_t *p;
            uint32_t n = history_peek(&h, &p);
            uint32_t k = n ? fz_u16(f) % (n + 1) : 0;
            history_consume(&h, k);
            sent = MAX(sent, oldest(h.written, size)) + k;
        } else {
            history_forget(&h);
            sent = h.written;
        }
        check_history(&h, sent);
    }
    free(h.buf);
}

/* ---- tagline ---- */

struct tl_model {
    uint64_t emitted; /* bytes emitted so far: they are log_buf[0..emitted) */
    bool flushing;
};

static void tl_emit(void *ctx, const uint8_t *line, uint32_t len, bool complete)
{
    struct tl_model *m = ctx;
    FZ_CHECK(len > 0 && len <= TAGLINE_MAX);
    FZ_CHECK(memcmp(line, log_buf + m->emitted, len) == 0);
    FZ_CHECK(complete == (line[len - 1] == '\n'));
    if (!complete && !m->flushing)
        FZ_CHECK(len == TAGLINE_MAX); /* cut because it was too long */
    m->emitted += len;
}

static void fuzz_tagline(struct fz *f)
{
    struct tagline *t = (struct tagline *)fz_alloc(sizeof(*t));
    t->len = 0;
    struct tl_model m = {0, false};
    uint64_t fed = 0;
    uint8_t buf[600];
    while (fz_more(f) && fed + sizeof(buf) < LOG_MAX) {
        if (fz_u8(f) % 8 == 0) {
            m.flushing = true;
            tagline_flush(t, tl_emit, &m);
            m.flushing = false;
            FZ_CHECK(t->len == 0);
        } else {
            size_t len = chunk(f, buf, sizeof(buf));
            memcpy(log_buf + fed, buf, len);
            fed += len;
            tagline_feed(t, buf, len, tl_emit, &m);
        }
        FZ_CHECK(t->len < TAGLINE_MAX);
        FZ_CHECK(m.emitted + t->len == fed);
        FZ_CHECK(memcmp(t->buf, log_buf + m.emitted, t->len) == 0);
    }
    free(t);
}

/* ---- escape ---- */

static void fuzz_escape(struct fz *f)
{
    struct escape e;
    uint8_t key = fz_u8(f);
    escape_init(&e, key);
    bool armed = false;
    while (fz_more(f)) {
        uint8_t in = fz_u8(f), out = (uint8_t)~in;
        enum esc_action a = escape_feed(&e, in, &out);
        if (!armed && in == key) {
            FZ_CHECK(a == ESC_CONSUMED);
            armed = true;
            continue;
        }
        FZ_CHECK(out == in);
        FZ_CHECK(a == (armed && in != key ? ESC_COMMAND : ESC_DELIVER));
        armed = false;
        FZ_CHECK(e.armed == armed);
    }
}

/* ---- kbd ---- */

static void fuzz_kbd(struct fz *f)
{
    struct kbd k;
    uint64_t deaf = fz_u16(f), now = fz_u32(f);
    kbd_init(&k, deaf);
    enum kbd_state st = KBD_FLOWING;
    uint64_t since = 0;
    while (fz_more(f)) {
        uint8_t op = fz_u8(f);
        now += op >> 3 ? fz_u16(f) : 0; /* the counter only moves forward */
        enum kbd_state before = st;
        switch (op % 5) {
        case 0: {
            uint64_t deadline = kbd_throttle(&k, now);
            if (st == KBD_FLOWING) {
                st = KBD_THROTTLED;
                since = now;
            }
            FZ_CHECK(deadline == since + deaf);
            break;
        }
        case 1: {
            bool fire = st == KBD_THROTTLED && now - since >= deaf;
            FZ_CHECK(kbd_deaf_timeout(&k, now) == fire);
            if (fire) {
                st = KBD_DEAF;
                since = now;
            }
            break;
        }
        case 2:
            FZ_CHECK(kbd_break(&k, now) == (st == KBD_THROTTLED));
            if (st == KBD_THROTTLED) {
                st = KBD_DEAF;
                since = now;
            }
            break;
        case 3:
            FZ_CHECK(kbd_zone_read(&k, now) == before);
            if (st != KBD_FLOWING) {
                st = KBD_FLOWING;
                since = now;
            }
            break;
        default:
            FZ_CHECK(kbd_refocus(&k, now) == before);
            st = KBD_FLOWING;
            since = now;
            break;
        }
        FZ_CHECK(k.state == st && k.since == since && k.deaf_ticks == deaf);
        FZ_CHECK(kbd_reads_past_full(&k) == (st == KBD_DEAF));
    }
}

/* ---- txring ---- */

static void check_txring(const struct txring *r, uint64_t head, uint64_t tail)
{
    FZ_CHECK(r->head == head && r->tail == tail && head - tail <= r->size);
    FZ_CHECK(txring_used(r) == head - tail);
    FZ_CHECK(txring_room(r) == r->size - (head - tail));
    const uint8_t *p = NULL;
    uint32_t n = txring_peek(r, &p);
    uint32_t pos = (uint32_t)(tail % r->size);
    FZ_CHECK(n == MIN((uint32_t)(head - tail), r->size - pos));
    if (n) {
        FZ_CHECK(p == r->buf + pos);
        FZ_CHECK(memcmp(p, log_buf + tail, n) == 0);
    }
}

static void fuzz_txring(struct fz *f)
{
    uint32_t size = 1 + fz_u16(f) % 2048;
    struct txring r;
    txring_init(&r, fz_alloc(size), size);
    uint64_t head = 0, tail = 0;
    uint8_t buf[600];
    while (fz_more(f) && head + sizeof(buf) < LOG_MAX) {
        if (fz_u8(f) & 1) {
            size_t len = chunk(f, buf, sizeof(buf));
            bool fits = len <= size - (head - tail);
            FZ_CHECK(txring_put(&r, buf, len) == fits);
            if (fits) {
                memcpy(log_buf + head, buf, len);
                head += len;
            }
        } else {
            uint32_t n = fz_u16(f);
            txring_consume(&r, n);
            tail += MIN((uint64_t)n, head - tail);
        }
        check_txring(&r, head, tail);
    }
    free(r.buf);
}

/* ---- tagq ---- */

#define TQ_MAX_RECS (TAGQ_SIZE / 2)

struct tq_rec {
    uint32_t len;
    bool complete;
    uint64_t at; /* its bytes: log_buf[at..at+len) */
};

struct tq_model {
    struct tq_rec rec[TQ_MAX_RECS];
    uint32_t first, count;
    uint32_t bytes; /* headers included */
    uint64_t dropped;
};

static void fuzz_tagq(struct fz *f)
{
    struct tagq *q = (struct tagq *)fz_alloc(sizeof(*q));
    static struct tq_model m;
    tagq_init(q);
    memset(&m, 0, sizeof(m));
    uint64_t fed = 0;
    uint8_t buf[TAGLINE_MAX], out[TAGLINE_MAX];
    while (fz_more(f) && fed + TAGLINE_MAX < LOG_MAX) {
        uint8_t op = fz_u8(f);
        if (op & 1) {
            uint32_t len = (uint32_t)chunk(f, buf, TAGLINE_MAX);
            bool complete = (op & 2) != 0;
            while (TAGQ_SIZE - m.bytes < 2 + len) {
                m.bytes -= 2 + m.rec[m.first % TQ_MAX_RECS].len;
                m.first++;
                m.count--;
                m.dropped++;
            }
            m.rec[(m.first + m.count++) % TQ_MAX_RECS] = (struct tq_rec){len, complete, fed};
            m.bytes += 2 + len;
            memcpy(log_buf + fed, buf, len);
            fed += len;
            tagq_push(q, buf, len, complete);
        } else {
            uint32_t len = ~0u;
            bool complete = false;
            FZ_CHECK(tagq_pop(q, out, &len, &complete) == (m.count > 0));
            if (m.count) {
                const struct tq_rec *r = &m.rec[m.first++ % TQ_MAX_RECS];
                m.count--;
                m.bytes -= 2 + r->len;
                FZ_CHECK(len == r->len && complete == r->complete);
                FZ_CHECK(memcmp(out, log_buf + r->at, len) == 0);
            }
        }
        FZ_CHECK(q->lines == m.count && tagq_empty(q) == (m.count == 0));
        FZ_CHECK(q->head - q->tail == m.bytes && m.bytes <= TAGQ_SIZE);
        FZ_CHECK(q->dropped == m.dropped && q->dropped_total == m.dropped);
    }
    free(q);
}

/* ---- lifecycle ---- */

static void fuzz_lifecycle(struct fz *f)
{
    struct life l;
    life_init(&l);
    enum life_state st = LIFE_RUNNING;
    enum life_goal goal = GOAL_NONE;
    while (fz_more(f)) {
        enum life_action want = LIFE_DO_NOTHING, got;
        switch (fz_u8(f) % 4) {
        case 0: /* restart requested */
            if (st == LIFE_RUNNING || st == LIFE_OFF) {
                st = LIFE_STOPPING;
                goal = GOAL_RESTART;
                want = LIFE_DO_STOP_ALL;
            } else if (st == LIFE_STOPPING) {
                goal = GOAL_RESTART;
            }
            got = life_request_restart(&l);
            break;
        case 1: /* off requested */
            if (st == LIFE_RUNNING) {
                st = LIFE_STOPPING;
                want = LIFE_DO_STOP_ALL;
            }
            if (st != LIFE_OFF)
                goal = GOAL_OFF;
            got = life_request_off(&l);
            break;
        case 2: /* every vCPU stopped */
            if (st == LIFE_STOPPING) {
                want = goal == GOAL_OFF ? LIFE_DO_NOTHING : LIFE_DO_LOAD;
                st = goal == GOAL_OFF ? LIFE_OFF : LIFE_LOADING;
                goal = GOAL_NONE;
            }
            got = life_all_stopped(&l);
            break;
        default: /* images loaded */
            if (st == LIFE_LOADING) {
                bool off = goal == GOAL_OFF;
                st = off ? LIFE_STOPPING : LIFE_RUNNING;
                want = off ? LIFE_DO_STOP_ALL : LIFE_DO_NOTHING;
                goal = off ? GOAL_OFF : GOAL_NONE;
            }
            got = life_loaded(&l);
            break;
        }
        FZ_CHECK(got == want);
        FZ_CHECK(l.state == st && l.goal == goal);
        FZ_CHECK(life_may_cpu_on(&l) == (st == LIFE_RUNNING));
        FZ_CHECK(life_str(&l) && strcmp(life_str(&l), "?") != 0);
        FZ_CHECK(st == LIFE_STOPPING ? goal != GOAL_NONE : st == LIFE_LOADING || goal == GOAL_NONE);
    }
}

typedef void (*part_fn)(struct fz *f);

static const part_fn parts[] = {
    fuzz_history, fuzz_tagline, fuzz_escape, fuzz_kbd, fuzz_txring, fuzz_tagq, fuzz_lifecycle,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    if (!fz_more(&f))
        return 0;
    parts[fz_u8(&f) % (sizeof(parts) / sizeof(parts[0]))](&f);
    return 0;
}
