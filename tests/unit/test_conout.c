/*
 * Console output scheduling (hypervisor/conout.c) against a fake UART: a FIFO that takes at most
 * per_call bytes a call and at most `budget` bytes until the next transmit interrupt (0 = full),
 * recording every byte in wire order, and a fake wake() recording which zone was woken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hypervisor/conout.h"

#define NZ 3
#define RING_SIZE 4096
#define OUT_CAP (4u << 20)
#define ERASE "\r\033[K"

static const char *const names[NZ] = {"alpha", "beta", "gamma"};

/* ---- the fakes --------------------------------------------------------------------------- */

static struct fake {
    uint8_t *out; /* everything the UART took, in order */
    size_t len;
    size_t per_call; /* at most this much per fill() */
    size_t budget;   /* FIFO room until the next interrupt; SIZE_MAX: never full */
    size_t fills, max_fill;
    bool irq; /* transmit interrupt enabled */
    int irq_calls;
    int wakes[NZ];
    bool refused[NZ]; /* the test saw this zone refused and it was not woken since */
    bool strict_wake; /* a wake must follow a refusal */
    int in_write;     /* zone inside conout_zone_write, or -1 */
    bool woke_in_write;
} F;

static size_t u_fill(const uint8_t *buf, size_t len)
{
    assert_true(len > 0);
    size_t n = MIN(len, F.per_call);
    n = MIN(n, F.budget);
    if (F.budget != SIZE_MAX)
        F.budget -= n;
    assert_true(F.len + n <= OUT_CAP);
    memcpy(F.out + F.len, buf, n);
    F.len += n;
    F.fills++;
    F.max_fill = MAX(F.max_fill, n);
    return n;
}

static void u_tx_irq(bool on)
{
    F.irq = on;
    F.irq_calls++;
}

static const struct conout_uart uart = {.fill = u_fill, .tx_irq = u_tx_irq};

static void w_wake(void *ctx, uint32_t id)
{
    assert_ptr_equal(ctx, &F);
    assert_true(id < NZ);
    if (F.in_write == (int)id)
        F.woke_in_write = true; /* refused and woken within one call: checked by zwrite */
    else if (F.strict_wake)
        assert_true(F.refused[id]);
    F.refused[id] = false;
    F.wakes[id]++;
}

/* ---- the rig ----------------------------------------------------------------------------- */

static struct conout co;
static struct conout_zone zs[NZ];
static uint8_t ring[RING_SIZE];
static uint8_t *hist[NZ];

static void rig(uint32_t hsize, uint32_t focus)
{
    uint8_t *out = F.out;
    memset(&F, 0, sizeof(F));
    F.out = out;
    F.per_call = SIZE_MAX;
    F.budget = SIZE_MAX;
    F.in_write = -1;
    for (int i = 0; i < NZ; i++) {
        free(hist[i]);
        hist[i] = hsize ? malloc(hsize) : NULL;
        assert_true(!hsize || hist[i]);
        conout_zone_init(&zs[i], names[i], hist[i], hsize);
    }
    conout_init(&co, ring, RING_SIZE, zs, NZ, focus, &uart, w_wake, &F);
}

static int setup(void **state)
{
    (void)state;
    F.out = malloc(OUT_CAP);
    assert_non_null(F.out);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(F.out);
    F.out = NULL;
    for (int i = 0; i < NZ; i++) {
        free(hist[i]);
        hist[i] = NULL;
    }
    return 0;
}

/* What the multiplexer does after every producer-side call: top the ring up, and start the
 * transmitter if it is off (hypervisor/mux.c: unlock_and_kick; the protocol in conout.h). */
static void produced(void)
{
    if (!conout_tx_idle(&co))
        return; /* the transmit interrupt refills */
    conout_refill(&co);
    conout_kick(&co);
}

static size_t zwrite(uint32_t id, const void *buf, size_t len, bool may_wait)
{
    F.in_write = (int)id;
    F.woke_in_write = false;
    size_t n = conout_zone_write(&co, id, buf, len, may_wait);
    if (conout_zone_kicks(&co, id))
        produced();
    F.in_write = -1;
    assert_true(n <= len);
    if (F.woke_in_write)
        assert_true(n < len); /* a wake during the call is only for a zone it refused */
    return n;
}

static void zputs(uint32_t id, const char *s)
{
    assert_int_equal(zwrite(id, s, strlen(s), true), strlen(s));
}

static void hv(const char *s)
{
    conout_hv_line(&co, s);
    produced();
}

/* The transmit interrupt after the FIFO made room for `bytes`. */
static void tick(size_t bytes)
{
    F.budget = bytes;
    if (F.irq)
        conout_pump(&co);
}

static void uart_full(void)
{
    F.budget = 0;
}

/* UART never full again: run the transmit interrupt until everything is out. */
static void drain(void)
{
    F.budget = SIZE_MAX;
    produced();
    for (int i = 0; F.irq; i++) {
        assert_true(i < 100000);
        conout_pump(&co);
    }
    assert_int_equal(txring_used(&co.ring), 0);
}

static void show(const char *what, const uint8_t *p, size_t n)
{
    fprintf(stderr, "%s (%zu): \"", what, n);
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
            fputc(p[i], stderr);
        else
            fprintf(stderr, "\\x%02x", p[i]);
    }
    fprintf(stderr, "\"\n");
}

static const uint8_t *find(const uint8_t *hay, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k))
            return hay + i;
    return NULL;
}

/* The UART got exactly s since *mark, once its transmit interrupt has run for as long as it
 * moves bytes (a producer only primes the FIFO; the interrupt does the rest). */
static void expect_out(size_t *mark, const char *s)
{
    size_t n = strlen(s);
    for (size_t before = SIZE_MAX; F.irq && F.len != before;) {
        before = F.len;
        conout_pump(&co);
    }
    if (F.len - *mark != n || memcmp(F.out + *mark, s, n) != 0) {
        show("expected", (const uint8_t *)s, n);
        show("got     ", F.out + *mark, F.len - *mark);
        fail_msg("UART output differs");
    }
    *mark = F.len;
}

static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* A pseudo-random stream with newlines, CRs and every byte value. */
static uint8_t *random_stream(size_t n, uint32_t seed)
{
    uint8_t *s = malloc(n);
    assert_non_null(s);
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rng();
        s[i] = r % 23 == 0 ? '\n' : (uint8_t)(r >> 4);
    }
    return s;
}

/* ---- background zones -------------------------------------------------------------------- */

static void test_background_never_waits_while_uart_full(void **state)
{
    (void)state;
    enum { HSIZE = 16384, PLEN = 131071 /* prime: chunk edges fall everywhere */ };
    const uint64_t TOTAL = 64ull << 20;
    rig(HSIZE, 0);
    uart_full();
    hv("stuck"); /* the transmitter is busy with a FIFO that takes nothing */
    assert_true(F.irq);
    uint8_t *pat = random_stream(2 * PLEN, 99);
    memcpy(pat + PLEN, pat, PLEN); /* byte k of the stream is pat[k % PLEN] */
    uint64_t total = 0;
    rng_state = 5;
    int calls = 0;
    while (total < TOTAL) {
        size_t len = 1 + rng() % 65536;
        bool may_wait = rng() & 1;
        assert_int_equal(zwrite(1, pat + total % PLEN, len, may_wait), len);
        total += len;
        if (++calls % 64 == 0)
            conout_pump(&co); /* the UART interrupt, still full */
    }
    assert_int_equal(F.len, 0); /* nothing reached the UART */
    assert_true(F.fills > 0);   /* ... which was asked, and was full */
    assert_int_equal(txring_used(&co.ring), strlen("[hv] stuck\r\n")); /* nor its ring */
    for (int i = 0; i < NZ; i++)
        assert_int_equal(F.wakes[i], 0);
    assert_false(zs[1].waiting);
    assert_int_equal(zs[1].bytes_out, total);
    /* the history holds the newest bytes, the rest counted as dropped */
    assert_int_equal(history_pending(&zs[1].hist), HSIZE);
    assert_int_equal(history_dropped(&zs[1].hist), total - HSIZE);
    struct history c = zs[1].hist;
    uint64_t pos = total - HSIZE;
    const uint8_t *p;
    uint32_t k;
    while ((k = history_peek(&c, &p)) != 0) {
        for (uint32_t i = 0; i < k; i++)
            assert_int_equal(p[i], pat[(pos + i) % PLEN]);
        pos += k;
        history_consume(&c, k);
    }
    assert_int_equal(pos, total);

    /* with the UART free again, still nothing of it goes out: it is not focused */
    drain();
    size_t m = 0;
    expect_out(&m, "[hv] stuck\r\n");
    assert_int_equal(history_pending(&zs[1].hist), HSIZE);
    free(pat);
}

/* ---- the focused zone: lossless with backpressure ---------------------------------------- */

static void test_focused_backpressure_lossless(void **state)
{
    (void)state;
    enum { HSIZE = 4096, SLEN = 300000, RATE = 7 };
    rig(HSIZE, 0);
    F.strict_wake = true;
    F.per_call = RATE;
    uart_full();
    hv("=== zone 0: alpha ===");
    const char *banner = "[hv] === zone 0: alpha ===\r\n";
    uint8_t *s = random_stream(SLEN, 4242);
    size_t pos = 0;
    int refusals = 0, in_call_wakes = 0;
    rng_state = 77;
    while (pos < SLEN) {
        size_t len = MIN((size_t)(SLEN - pos), (size_t)(1 + rng() % 5000));
        int wakes = F.wakes[0];
        size_t n = zwrite(0, s + pos, len, true);
        pos += n;
        if (n < len) {
            refusals++;
            assert_true(zs[0].waiting || F.wakes[0] > wakes);
            if (F.wakes[0] > wakes) {
                in_call_wakes++;
                continue; /* already woken: retry the tail */
            }
            F.refused[0] = true;
            /* the tail waits for wake(): the UART drains RATE bytes per interrupt */
            for (int t = 0; F.wakes[0] == wakes; t++) {
                assert_true(t < 10000);
                tick(RATE);
            }
            assert_int_equal(F.wakes[0], wakes + 1);
            /* woken for a useful amount of room, not one FIFO's worth */
            assert_true(history_room(&zs[0].hist) >= HSIZE / 4);
        } else {
            for (uint32_t t = rng() % 4; t; t--)
                tick(RATE);
        }
    }
    drain();
    assert_true(refusals > 20);
    assert_int_equal(F.wakes[0], refusals);
    assert_int_equal(F.wakes[1] + F.wakes[2], 0);
    size_t blen = strlen(banner);
    assert_int_equal(F.len, blen + SLEN);
    assert_memory_equal(F.out, banner, blen);
    assert_memory_equal(F.out + blen, s, SLEN); /* every byte, in order, once */
    assert_int_equal(zs[0].dropped, 0);
    assert_int_equal(history_dropped(&zs[0].hist), 0);
    assert_int_equal(history_pending(&zs[0].hist), 0);
    assert_int_equal(zs[0].bytes_out, SLEN);
    assert_true(F.max_fill <= RATE);
    assert_false(F.irq);
    assert_true(refusals - in_call_wakes > 20); /* mostly woken by the transmit interrupt */
    free(s);
}

/* A zone refused while focused is let go when the focus moves: in the background it never waits. */
static void test_focus_loss_wakes_waiting_zone(void **state)
{
    (void)state;
    rig(2048, 0);
    uart_full();
    uint8_t buf[4096];
    memset(buf, 'x', sizeof(buf));
    /* the first write starts the transmitter, which takes one refill mark into its ring */
    assert_int_equal(zwrite(0, buf, 2048, true), 2048);
    assert_int_equal(history_room(&zs[0].hist), CONOUT_REFILL_MARK);
    size_t n = zwrite(0, buf, sizeof(buf), true);
    assert_int_equal(n, CONOUT_REFILL_MARK);
    assert_true(zs[0].waiting);
    assert_int_equal(F.wakes[0], 0);
    assert_int_equal(conout_focus(&co, 1), 0);
    assert_int_equal(F.wakes[0], 1);
    assert_false(zs[0].waiting);
    /* and now it writes without waiting */
    assert_int_equal(zwrite(0, buf, sizeof(buf), true), sizeof(buf));
    assert_int_equal(F.wakes[1], 0);
}

/* Tagged-view writes never wait (conout.h): a zone waiting for room when the view goes tagged
 * must be let go, or its transmit queue stays blocked for as long as the view is on. */
static void test_tagged_on_wakes_waiting_zone(void **state)
{
    (void)state;
    rig(2048, 0);
    uart_full();
    uint8_t buf[4096];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(zwrite(0, buf, 2048, true), 2048);
    assert_int_equal(zwrite(0, buf, sizeof(buf), true), CONOUT_REFILL_MARK);
    assert_true(zs[0].waiting);
    conout_set_tagged(&co, true);
    drain();
    assert_int_equal(F.wakes[0], 1);
    assert_false(zs[0].waiting);
    /* and its next write is taken whole */
    assert_int_equal(zwrite(0, "go on\r\n", 7, true), 7);
}

/* conout_zone_full: would a may_wait write by this zone take nothing now? */
static void test_zone_full(void **state)
{
    (void)state;
    rig(2048, 0);
    uart_full();
    uint8_t buf[4096];
    memset(buf, 'f', sizeof(buf));
    assert_false(conout_zone_full(&co, 0));
    assert_int_equal(zwrite(0, buf, 2048, true), 2048); /* 1024 of it into the EL2 ring */
    assert_false(conout_zone_full(&co, 0));
    assert_int_equal(zwrite(0, buf, CONOUT_REFILL_MARK, true), CONOUT_REFILL_MARK);
    assert_true(conout_zone_full(&co, 0));
    assert_int_equal(zwrite(0, buf, 1, true), 0); /* what "full" promises */
    /* background zones and the tagged view never wait */
    zwrite(1, buf, sizeof(buf), true);
    assert_false(conout_zone_full(&co, 1));
    tick(1); /* one byte onto the wire; a line this long is refilled in half-mark steps */
    assert_int_equal(F.len, 1);
    assert_int_equal(history_room(&zs[0].hist), 0);
    tick(CONOUT_PUMP_MAX - 1);
    assert_int_equal(history_room(&zs[0].hist), 0);
    tick(CONOUT_PUMP_MAX); /* half the mark free: refilled from the history */
    assert_int_equal(F.len, CONOUT_REFILL_MARK / 2);
    assert_int_equal(history_room(&zs[0].hist), CONOUT_REFILL_MARK / 2);
    assert_false(conout_zone_full(&co, 0));
    assert_int_equal(zwrite(0, buf, CONOUT_REFILL_MARK, true), CONOUT_REFILL_MARK / 2);
    assert_true(conout_zone_full(&co, 0));
    drain();
    assert_false(conout_zone_full(&co, 0));
    /* In the tagged view the focused zone never waits either; entering it hands the unsent
     * bytes to the view as tagged lines, so the ring is free again afterwards. */
    uart_full();
    assert_int_equal(zwrite(0, buf, 2048, true), 2048);
    assert_int_equal(zwrite(0, buf, CONOUT_REFILL_MARK, true), CONOUT_REFILL_MARK);
    assert_true(conout_zone_full(&co, 0));
    conout_set_tagged(&co, true);
    assert_false(conout_zone_full(&co, 0));
    assert_int_equal(history_pending(&zs[0].hist), 0);
    conout_set_tagged(&co, false);
    assert_false(conout_zone_full(&co, 0));
}

static void test_focused_nowait_counts_dropped(void **state)
{
    (void)state;
    enum { HSIZE = 4096 };
    rig(HSIZE, 0);
    uart_full();
    uint8_t *s = random_stream(HSIZE + 3000 + 10, 31);
    for (size_t i = 0; i < HSIZE + 3000 + 10; i++)
        s[i] = s[i] == '\n' ? 'n' : s[i]; /* one long line: refills are not cut at line ends */
    /* fills the ring exactly; the transmitter takes one refill mark into the EL2 ring */
    assert_int_equal(zwrite(0, s, HSIZE, false), HSIZE);
    assert_true(F.irq);
    assert_int_equal(F.len, 0);
    assert_int_equal(txring_used(&co.ring), CONOUT_REFILL_MARK);
    assert_int_equal(history_room(&zs[0].hist), CONOUT_REFILL_MARK);
    assert_int_equal(zs[0].dropped, 0);
    /* 1024 fit, 1976 dropped; then 10 more dropped; each call reports everything taken */
    assert_int_equal(zwrite(0, s + HSIZE, 3000, false), 3000);
    assert_int_equal(zs[0].dropped, 3000 - CONOUT_REFILL_MARK);
    assert_int_equal(zwrite(0, s + HSIZE + 3000, 10, false), 10);
    assert_int_equal(zs[0].dropped, 3000 - CONOUT_REFILL_MARK + 10);
    assert_false(zs[0].waiting);
    assert_int_equal(history_dropped(&zs[0].hist), 0); /* never overwritten: refused instead */
    drain();
    assert_int_equal(F.wakes[0], 0);
    /* exactly what was accepted, in order */
    assert_int_equal(F.len, HSIZE + CONOUT_REFILL_MARK);
    assert_memory_equal(F.out, s, HSIZE + CONOUT_REFILL_MARK);
    free(s);
}

/* ---- tagged view ------------------------------------------------------------------------- */

struct qpiece {
    uint32_t zone;
    char text[TAGLINE_MAX + 1];
    uint32_t len;
    bool complete;
};

static void test_tagged_round_robin(void **state)
{
    (void)state;
    static const int nlines[NZ] = {12, 5, 8};
    rig(4096, 0);
    conout_set_tagged(&co, true);
    uart_full();
    hv("tagged view on");
    /* the model: what each zone's queue should hold, as tagline cuts it */
    static struct qpiece q[NZ][64];
    int nq[NZ] = {0}, head[NZ] = {0};
    for (uint32_t z = 0; z < NZ; z++) {
        for (int i = 0; i < nlines[z]; i++) {
            char line[600];
            int len;
            if (z == 2 && i == 3) { /* a long line: two cut pieces and the rest */
                len = 0;
                for (int k = 0; k < 450; k++)
                    line[len++] = (char)('A' + k % 26);
                line[len++] = '\r';
                line[len++] = '\n';
                line[len] = 0;
            } else {
                len = snprintf(line, sizeof(line), "%s says %d%.*s\r\n", names[z], i, i * 3,
                               "..............................................");
            }
            /* written in two parts, so lines are assembled across writes */
            zputs(z, ""); /* an empty write queues nothing */
            char first[600];
            memcpy(first, line, (size_t)len / 2);
            first[len / 2] = 0;
            zputs(z, first);
            zputs(z, line + len / 2);
            for (int off = 0; off < len;) {
                int n = MIN(len - off, TAGLINE_MAX);
                const char *nl = memchr(line + off, '\n', (size_t)n);
                if (nl)
                    n = (int)(nl - (line + off)) + 1;
                struct qpiece *p = &q[z][nq[z]++];
                p->zone = z;
                memcpy(p->text, line + off, (size_t)n);
                p->len = (uint32_t)n;
                p->complete = nl != NULL;
                off += n;
            }
        }
    }
    assert_int_equal(nq[2], 8 + 2);
    assert_int_equal(F.len, 0);
    drain();
    /* expected: the hv line, then one piece per zone in turn */
    static char expect[16384];
    size_t e = (size_t)snprintf(expect, sizeof(expect), "[hv] tagged view on\r\n");
    char order[128];
    int no = 0;
    for (bool any = true; any;) {
        any = false;
        for (uint32_t z = 0; z < NZ; z++) {
            if (head[z] == nq[z])
                continue;
            any = true;
            struct qpiece *p = &q[z][head[z]++];
            e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[%s] %.*s%s", names[z],
                                  (int)p->len, p->text, p->complete ? "" : "\r\n");
            order[no++] = (char)('0' + z);
        }
    }
    order[no] = 0;
    assert_string_equal(order, "012012012012012020202020200");
    /* the tags in the order the UART got them */
    char got_order[128];
    int ng = 0;
    for (size_t i = 0; i + 1 < F.len; i++) {
        if ((i == 0 || F.out[i - 1] == '\n') && F.out[i] == '[') {
            for (uint32_t z = 0; z < NZ; z++)
                if (!strncmp((char *)F.out + i + 1, names[z], strlen(names[z])) &&
                    F.out[i + 1 + strlen(names[z])] == ']')
                    got_order[ng++] = (char)('0' + z);
        }
    }
    got_order[ng] = 0;
    assert_string_equal(got_order, order);
    size_t mark = 0;
    expect_out(&mark, expect);
    for (uint32_t z = 0; z < NZ; z++)
        assert_int_equal(zs[z].tq.dropped_total, 0);
}

static void test_tagged_drop_counting(void **state)
{
    (void)state;
    enum { FLOOD = 2000 };
    rig(4096, 0);
    conout_set_tagged(&co, true);
    uart_full();
    hv("tagged view on");
    zputs(2, "g0\r\n");
    zputs(2, "g1\r\n");
    zputs(2, "g2\r\n");
    char line[64];
    for (int i = 0; i < FLOOD; i++) {
        snprintf(line, sizeof(line), "beta line %05d\r\n", i);
        zputs(1, line); /* never waits, however full */
    }
    zputs(2, "g3\r\n");
    zputs(2, "g4\r\n");
    assert_int_equal(F.len, 0);
    uint64_t dropped = zs[1].tq.dropped_total;
    assert_true(dropped > 0);
    uint64_t shown = FLOOD - dropped;
    /* the queue kept as many of the newest lines as fit in it */
    assert_true(shown * 17 <= TAGQ_SIZE);
    assert_true(shown * 17 > TAGQ_SIZE / 2);
    drain();

    /* expected: beta's note first, ahead of its first surviving line, then turns */
    static char expect[65536];
    size_t e = (size_t)snprintf(expect, sizeof(expect), "[hv] tagged view on\r\n");
    uint64_t b = dropped;
    int g = 0;
    bool noted = false;
    while (b < FLOOD || g < 5) {
        if (b < FLOOD) {
            if (!noted)
                e += (size_t)snprintf(expect + e, sizeof(expect) - e,
                                      "[hv] beta: %lu lines dropped (printed faster than the "
                                      "UART)\r\n",
                                      (unsigned long)dropped);
            noted = true;
            e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[beta] beta line %05lu\r\n",
                                  (unsigned long)b++);
        }
        if (g < 5)
            e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[gamma] g%d\r\n", g++);
    }
    size_t mark = 0;
    expect_out(&mark, expect);
    assert_int_equal(zs[2].tq.dropped_total, 0);

    /* the count is per episode: a second flood reports only its own losses */
    uart_full();
    for (int i = 0; i < FLOOD; i++) {
        snprintf(line, sizeof(line), "beta again %05d\r\n", i);
        zputs(1, line);
    }
    uint64_t d2 = zs[1].tq.dropped_total - dropped;
    assert_true(d2 > 0);
    drain();
    /* the transmitter was idle: the flood's first line went straight into its ring; of the
     * rest the oldest were dropped, and the note says so ahead of the first survivor */
    e = (size_t)snprintf(expect, sizeof(expect),
                         "[beta] beta again 00000\r\n"
                         "[hv] beta: %lu lines dropped (printed faster than the UART)\r\n",
                         (unsigned long)d2);
    for (uint64_t i = d2 + 1; i < FLOOD; i++)
        e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[beta] beta again %05lu\r\n",
                              (unsigned long)i);
    expect_out(&mark, expect);
    assert_true(find(F.out, F.len, "again 01999", 11) != NULL); /* the newest survived */
}

/* Tagged view on, the focused zone's prompt live at the bottom; returns the output mark. */
static size_t tagged_prompt(void)
{
    rig(4096, 0);
    conout_set_tagged(&co, true);
    size_t m = 0;
    zputs(0, "prompt> ");
    expect_out(&m, "[alpha] prompt> ");
    return m;
}

static void test_tagged_live_partial_line(void **state)
{
    (void)state;
    size_t m = tagged_prompt();
    zputs(0, "l");
    expect_out(&m, "l"); /* typing extends it in place */
    zputs(0, "s");
    expect_out(&m, "s");
    /* another zone's line: the partial is taken off, the line printed, the partial redrawn */
    zputs(1, "hello\r\n");
    expect_out(&m, ERASE "[beta] hello\r\n[alpha] prompt> ls");
    /* an hv line does the same */
    hv("note");
    expect_out(&m, ERASE "[hv] note\r\n[alpha] prompt> ls");
    /* completing the line finishes it in place: no tag, no repeat */
    zputs(0, " -l\r\n");
    expect_out(&m, " -l\r\n");
    /* a background zone's partial line is not shown until it completes */
    zputs(2, "half");
    expect_out(&m, "");
    zputs(2, " done\r\n");
    expect_out(&m, "[gamma] half done\r\n");

    /* while the UART is busy: the partial goes out, then is extended and completed, while
     * another zone's line waits in its queue; no byte shown twice whichever goes first */
    zputs(0, "p> ");
    expect_out(&m, "[alpha] p> ");
    uart_full();
    hv("busy");
    zputs(0, "x");
    zputs(1, "other\r\n");
    zputs(0, "\r\n");
    drain();
    size_t m1 = m, m2 = m;
    const char *a = ERASE "[hv] busy\r\n[alpha] p> x\r\n[beta] other\r\n";
    const char *b = ERASE "[hv] busy\r\n[alpha] p> " ERASE "[beta] other\r\n[alpha] p> x\r\n";
    if (F.len - m == strlen(a) && !memcmp(F.out + m, a, strlen(a)))
        expect_out(&m1, a);
    else
        expect_out(&m2, b);
    m = F.len;

    /* leaving the tagged view ends a live partial line where it stands */
    zputs(0, "$ ");
    expect_out(&m, "[alpha] $ ");
    conout_set_tagged(&co, false);
    produced();
    drain();
    expect_out(&m, "\r\n");
    assert_int_equal(zs[0].tag.len, 0);
}

/* Leaving the tagged view sends the other zones' unfinished lines, ended, and tagged. */
static void test_tagged_leave_flushes_partials(void **state)
{
    (void)state;
    rig(4096, 0);
    conout_set_tagged(&co, true);
    size_t m = 0;
    uart_full();
    hv("on");
    zputs(1, "done\r\nhalf");
    zputs(2, "g-half");
    conout_set_tagged(&co, false);
    drain();
    /* order between zones is the leaving loop's; each piece tagged and ended */
    const char *a = "[hv] on\r\n[beta] done\r\n[beta] half\r\n[gamma] g-half\r\n";
    const char *b = "[hv] on\r\n[beta] done\r\n[gamma] g-half\r\n[beta] half\r\n";
    size_t m2 = m;
    if (F.len == strlen(b) && !memcmp(F.out, b, strlen(b)))
        expect_out(&m2, b);
    else
        expect_out(&m, a);
    for (uint32_t z = 0; z < NZ; z++) {
        assert_int_equal(zs[z].tag.len, 0);
        assert_true(tagq_empty(&zs[z].tq));
        assert_int_equal(zs[z].tq.dropped_total, 0);
    }
}

/* ---- focus moves ------------------------------------------------------------------------- */

static uint8_t *line_stream(size_t n, uint32_t seed)
{
    uint8_t *s = malloc(n);
    assert_non_null(s);
    rng_state = seed;
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        if (col > 3 && rng() % 9 == 0) {
            s[i] = '\n';
            col = 0;
        } else {
            s[i] = (uint8_t)('a' + rng() % 26);
            col++;
        }
    }
    return s;
}

static void test_switch_cancels_replay(void **state)
{
    (void)state;
    enum { HSIZE = 4096, RATE = 7 };
    rig(HSIZE, 0);
    uint8_t *s = line_stream(HSIZE, 11);
    assert_int_equal(zwrite(1, s, HSIZE, true), HSIZE); /* background: a full history */
    assert_int_equal(F.len, 0);
    F.per_call = RATE;
    F.budget = RATE;
    assert_int_equal(conout_focus(&co, 1), 0); /* nothing was lost */
    produced();
    for (int i = 0; i < 10; i++)
        tick(RATE);
    size_t before = F.len;
    assert_int_equal(before, 11 * RATE);
    uint32_t in_ring = txring_used(&co.ring);
    assert_true(in_ring <= CONOUT_REFILL_MARK);
    assert_int_equal(history_pending(&zs[1].hist), HSIZE - before - in_ring);

    assert_int_equal(conout_focus(&co, 0), 0);
    F.per_call = SIZE_MAX;
    drain();
    /* only what was already in the transmit ring went out */
    assert_int_equal(F.len, before + in_ring);
    assert_memory_equal(F.out, s, F.len);
    /* the rest stays unsent for zone 1's next turn */
    assert_int_equal(history_pending(&zs[1].hist), HSIZE - F.len);
    assert_int_equal(history_dropped(&zs[1].hist), 0);
    size_t sent1 = F.len;

    /* the focused zone goes on normally */
    size_t m = F.len;
    zputs(0, "zero\r\n");
    expect_out(&m, "zero\r\n");
    /* zone 1 prints a little in the background, then gets its turn: it goes on where it
     * stopped, nothing lost, nothing repeated */
    zputs(1, "ZZ");
    assert_int_equal(conout_focus(&co, 1), 0);
    drain();
    assert_int_equal(F.len - m, HSIZE - sent1 + 2);
    assert_memory_equal(F.out + m, s + sent1, HSIZE - sent1);
    assert_memory_equal(F.out + m + HSIZE - sent1, "ZZ", 2);
    assert_int_equal(zs[1].dropped, 0);
    free(s);
}

static void test_replay_after_overrun_starts_at_line(void **state)
{
    (void)state;
    enum { HSIZE = 64 };
    rig(HSIZE, 0);
    uint8_t *s = line_stream(400, 12);
    /* the first newline at or after the oldest held byte */
    size_t w = 180, oldest = w - HSIZE, start = oldest;
    while (s[start] != '\n')
        start++;
    start++;
    assert_true(start > oldest && start < w);
    zwrite(1, s, 100, true);
    zwrite(1, s + 100, 80, true);
    assert_int_equal(history_dropped(&zs[1].hist), oldest);
    assert_int_equal(conout_focus(&co, 1), start);
    assert_int_equal(zs[1].dropped, start);
    assert_int_equal(history_dropped(&zs[1].hist), 0);
    drain();
    assert_int_equal(F.len, w - start);
    assert_memory_equal(F.out, s + start, w - start);
    size_t m = F.len;

    /* again from a sent position: only bytes after it count */
    assert_int_equal(conout_focus(&co, 0), 0);
    size_t w2 = 300, old2 = w2 - HSIZE, start2 = old2;
    while (s[start2] != '\n')
        start2++;
    start2++;
    zwrite(1, s + w, w2 - w, true);
    assert_int_equal(conout_focus(&co, 1), start2 - w);
    assert_int_equal(zs[1].dropped, start + (start2 - w));
    drain();
    assert_int_equal(F.len - m, w2 - start2);
    assert_memory_equal(F.out + m, s + start2, w2 - start2);
    m = F.len;

    /* no overrun: nothing given up, the replay starts mid-line where it stopped */
    assert_int_equal(conout_focus(&co, 0), 0);
    zwrite(1, s + w2, 10, true);
    assert_int_equal(conout_focus(&co, 1), 0);
    drain();
    assert_int_equal(F.len - m, 10);
    assert_memory_equal(F.out + m, s + w2, 10);
    m = F.len;

    /* an overrun with no newline held: only the overwritten bytes are given up */
    assert_int_equal(conout_focus(&co, 0), 0);
    uint8_t nonl[100];
    memset(nonl, 'q', sizeof(nonl));
    zwrite(1, nonl, sizeof(nonl), true);
    assert_int_equal(conout_focus(&co, 1), sizeof(nonl) - HSIZE);
    drain();
    assert_int_equal(F.len - m, HSIZE);
    free(s);
}

/* ---- hypervisor lines -------------------------------------------------------------------- */

static void test_hv_lines(void **state)
{
    (void)state;
    rig(4096, 0);
    size_t m = 0;
    hv("hello");
    expect_out(&m, "[hv] hello\r\n");
    zputs(0, "abc");
    expect_out(&m, "abc");
    hv("mid");
    expect_out(&m, "\r\n[hv] mid\r\n"); /* on a fresh line */
    zputs(0, "def\r\n");
    expect_out(&m, "def\r\n");
    hv("after");
    expect_out(&m, "[hv] after\r\n");
    zputs(0, "x\n");
    hv("lf");
    expect_out(&m, "x\n[hv] lf\r\n");
    /* a background zone's partial line does not count: it is not on the wire */
    zputs(1, "bg");
    hv("bg");
    expect_out(&m, "[hv] bg\r\n");
}

static void test_hv_lines_ring_full_counted(void **state)
{
    (void)state;
    enum { N = 300 };
    rig(4096, 0);
    uart_full();
    char text[32];
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof(text), "fill %04d", i);
        hv(text);
    }
    assert_int_equal(F.len, 0);
    uint64_t lost = co.hv_dropped;
    assert_true(lost > 0);
    /* the ring was used: the lines that fit, 16 bytes each, left no room for one more */
    uint64_t kept = N - lost;
    assert_true(kept * 16 <= RING_SIZE);
    assert_true(RING_SIZE - kept * 16 < 4 + 2 + 5 + 9 + 2);
    drain();
    hv("later");
    static char expect[8192];
    size_t e = 0;
    for (uint64_t i = 0; i < kept; i++)
        e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[hv] fill %04lu\r\n",
                              (unsigned long)i);
    e += (size_t)snprintf(expect + e, sizeof(expect) - e,
                          "[hv] %lu hypervisor lines dropped: the transmit ring was full\r\n"
                          "[hv] later\r\n",
                          (unsigned long)lost);
    size_t m = 0;
    expect_out(&m, expect);
    assert_int_equal(co.hv_dropped, 0);
}

/* The drop note waits for room, and is said once. */
static void test_hv_dropped_note_waits_for_room(void **state)
{
    (void)state;
    rig(4096, 0);
    uart_full();
    char text[4096];
    memset(text, 'y', sizeof(text));
    text[RING_SIZE - 20] = 0; /* one line that fills the ring but for a few bytes */
    hv(text);
    hv("lost 1");
    hv("lost 2");
    assert_int_equal(co.hv_dropped, 2);
    tick(10); /* room for 10 bytes: still no room for the note */
    assert_int_equal(co.hv_dropped, 2);
    drain();
    size_t m = F.len - strlen("[hv] 2 hypervisor lines dropped: the transmit ring was full\r\n");
    expect_out(&m, "[hv] 2 hypervisor lines dropped: the transmit ring was full\r\n");
    drain();
    assert_int_equal(F.len, m);
}

/* ---- bounded work ------------------------------------------------------------------------ */

static void test_pump_bounded(void **state)
{
    (void)state;
    enum { HSIZE = 65536 };
    static const size_t fifo[] = {SIZE_MAX, 100, 1};
    for (size_t fi = 0; fi < ARRAY_SIZE(fifo); fi++) {
        rig(HSIZE, 0);
        F.per_call = fifo[fi]; /* never full, but maybe a small FIFO */
        uint8_t *s = random_stream(HSIZE, 8 + (uint32_t)fi);
        /* the producer's own kick is one pump too */
        assert_int_equal(zwrite(0, s, HSIZE, true), HSIZE);
        assert_true(F.len <= CONOUT_PUMP_MAX);
        assert_true(F.len > 0);
        int pumps = 1;
        while (F.irq) {
            size_t before = F.len;
            conout_pump(&co);
            pumps++;
            assert_true(F.len - before <= CONOUT_PUMP_MAX);
            assert_true(F.len > before);
            assert_true(pumps < 10000);
        }
        assert_true(pumps >= HSIZE / CONOUT_PUMP_MAX);
        assert_int_equal(F.len, HSIZE);
        assert_memory_equal(F.out, s, HSIZE);
        assert_true(F.max_fill <= MIN(fifo[fi], (size_t)CONOUT_PUMP_MAX));
        free(s);
    }

    /* hv lines beyond the refill mark: still one bounded pump at a time */
    rig(HSIZE, 0);
    uart_full();
    char text[200];
    memset(text, 'h', sizeof(text));
    text[150] = 0;
    for (int i = 0; i < 20; i++)
        hv(text);
    assert_true(txring_used(&co.ring) > 2 * CONOUT_PUMP_MAX);
    F.budget = SIZE_MAX;
    while (F.irq) {
        size_t before = F.len;
        conout_pump(&co);
        assert_true(F.len - before <= CONOUT_PUMP_MAX);
        assert_true(F.len > before);
    }
    assert_int_equal(F.len, 20 * (5 + 150 + 2));
}

/* The transmit interrupt is on exactly while bytes wait in the ring. */
/* The two-lock protocol (conout.h): while the transmitter runs, a producer leaves the refill to
 * the transmit interrupt; an interrupt whose drain empties the ring and turns the transmitter off
 * refills and restarts it, so the bytes written meanwhile are not stranded. */
static void test_bytes_written_while_on_not_stranded(void **state)
{
    (void)state;
    rig(4096, 0);
    size_t m = 0;
    uart_full();
    zputs(0, "abc");
    assert_true(F.irq); /* on, with "abc" in the ring */
    zputs(0, "def");    /* the transmitter is on: "def" stays in the zone's ring */
    assert_int_equal(txring_used(&co.ring), 3);
    F.budget = 3;
    conout_pump(&co); /* drains "abc", finds the ring empty, refills "def", restarts */
    expect_out(&m, "abc");
    assert_true(F.irq);
    assert_int_equal(txring_used(&co.ring), 3);
    drain();
    expect_out(&m, "def");
    assert_false(F.irq);
    assert_int_equal(history_pending(&zs[0].hist), 0);
}

/* A refill limited by the mark stops at a line end, so a hypervisor line that arrives meanwhile
 * goes between the zone's lines instead of cutting one in two. */
static void test_hv_line_between_zone_lines(void **state)
{
    (void)state;
    rig(8192, 0);
    uart_full();
    char line[64];
    static char expect[8192];
    size_t e = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(line, sizeof(line), "zone line %02d .........................\r\n", i);
        zputs(0, line);
    }
    tick(0); /* the transmit interrupt, with no room in the FIFO: a refill */
    assert_int_equal(co.ring.buf[(co.ring.head - 1) % co.ring.size], '\n');
    uint32_t in_ring = txring_used(&co.ring);
    assert_true(in_ring <= CONOUT_REFILL_MARK && in_ring > CONOUT_REFILL_MARK - 45);
    hv("note");
    drain();
    for (int i = 0; i < 40; i++) {
        if (e == in_ring)
            e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[hv] note\r\n");
        e += (size_t)snprintf(expect + e, sizeof(expect) - e,
                              "zone line %02d .........................\r\n", i);
    }
    size_t m = 0;
    expect_out(&m, expect);
}

/* Found by tests/fuzz/fuzz_conout: a refill cut at an early line end ("x\n", the rest a line
 * longer than the room) that the kick then sent whole left the transmitter off with the rest of
 * the focused zone's output unsent, and nothing to send it until some other event (a key, a
 * zone writing again). */
static void test_cut_refill_sent_whole_not_stranded(void **state)
{
    (void)state;
    rig(4096, 0);
    size_t m = 0;
    static char expect[2048];
    uart_full();
    zputs(0, "ab\n"); /* the transmitter is on, "ab\n" in the ring */
    assert_true(F.irq);
    zputs(0, "x\n");
    char long_line[1500];
    memset(long_line, 'e', sizeof(long_line));
    assert_int_equal(zwrite(0, long_line, sizeof(long_line), true), sizeof(long_line));
    /* Transmit interrupts only, no producer: they alone must bring every byte out. */
    for (int i = 0; F.irq; i++) {
        assert_true(i < 1000);
        tick(SIZE_MAX);
    }
    size_t e = (size_t)snprintf(expect, sizeof(expect), "ab\nx\n");
    memcpy(expect + e, long_line, sizeof(long_line));
    expect[e + sizeof(long_line)] = 0;
    expect_out(&m, expect);
    assert_int_equal(history_pending(&zs[0].hist), 0);
}

/* Found by tests/fuzz/fuzz_conout: in the tagged view, a focus move whose erase of the live
 * partial line found the ring full (hypervisor lines) dropped the erase but still took the
 * cursor for being at the start of a line, so the next hypervisor line was glued to the end of
 * the partial line. */
static void test_live_line_erase_without_room(void **state)
{
    (void)state;
    rig(4096, 0);
    uart_full();
    conout_set_tagged(&co, true);
    produced();
    /* Hypervisor lines until 20 bytes are left (each takes "[hv] " text "\r\n"). */
    char text[128];
    for (uint32_t r; (r = txring_room(&co.ring)) > 20;) {
        size_t len = MIN((size_t)100, (size_t)r - 7 - 20);
        memset(text, 'h', len);
        text[len] = 0;
        hv(text);
    }
    assert_int_equal(txring_room(&co.ring), 20);
    zputs(0, "ab");
    tick(0); /* the live line: "[alpha] ab" */
    zputs(0, "cdefghi");
    tick(0); /* grows to "[alpha] abcdefghi": 3 bytes left, too few for the erase */
    assert_int_equal(txring_room(&co.ring), 3);
    conout_focus(&co, 1);
    hv("=== zone 1 ==="); /* no room: counted, said once there is */
    drain();
    const char *live = "[alpha] abcdefghi";
    const uint8_t *at = find(F.out, F.len, live, strlen(live));
    assert_non_null(at);
    at += strlen(live);
    assert_true(at + 2 <= F.out + F.len);
    if (memcmp(at, "\r\n", 2) != 0 && memcmp(at, ERASE, strlen(ERASE)) != 0) {
        show("after the live line", at, (size_t)(F.out + F.len - at));
        fail_msg("the next line does not start on a line of its own");
    }
}

static void test_tx_irq_tracks_ring(void **state)
{
    (void)state;
    rig(4096, 0);
    zputs(0, "idle UART: straight out\r\n");
    assert_false(F.irq);
    assert_int_equal(F.irq_calls, 0); /* never turned on, never turned off */
    uart_full();
    zputs(0, "stuck");
    assert_true(F.irq);
    tick(2);
    assert_true(F.irq);
    drain();
    assert_false(F.irq);
    assert_int_equal(txring_used(&co.ring), 0);
    /* a background zone does not start the transmitter */
    int calls = F.irq_calls;
    uart_full();
    zputs(1, "quiet");
    assert_int_equal(F.irq_calls, calls);
    assert_false(F.irq);
}

/* ---- losses are counted and said (issue 7, item 7) --------------------------------------- */

/* A line the tagged view drops is bytes lost: they count in the zone's dropped bytes (the zone
 * list), not only as lines in the view's note. */
static void test_tagged_drops_counted_in_bytes(void **state)
{
    (void)state;
    enum { FLOOD = 2000, LEN = 17 /* "beta line 00000\r\n" */ };
    rig(4096, 0);
    conout_set_tagged(&co, true);
    uart_full();
    hv("on");
    char line[64];
    for (int i = 0; i < FLOOD; i++) {
        snprintf(line, sizeof(line), "beta line %05d\r\n", i);
        zputs(1, line);
    }
    uint64_t lines = zs[1].tq.dropped_total;
    assert_true(lines > 0);
    assert_int_equal(zs[1].dropped, lines * LEN);
    assert_int_equal(zs[0].dropped + zs[2].dropped, 0);
    drain();
    assert_int_equal(zs[1].dropped, lines * LEN);
}

/* Leaving the tagged view with the transmit ring full: what the line queues still hold is
 * counted in the zone's dropped bytes and said once there is room. */
static void test_tagged_leave_ring_full_counted(void **state)
{
    (void)state;
    rig(4096, 0);
    conout_set_tagged(&co, true);
    uart_full();
    static char text[RING_SIZE];
    memset(text, 'y', sizeof(text));
    text[RING_SIZE - 64] = 0; /* one hv line that leaves no room for a tagged line */
    hv(text);
    zputs(1, "beta 1\r\n");
    zputs(1, "beta 2\r\n");
    zputs(2, "g\r\n");
    conout_set_tagged(&co, false);
    assert_int_equal(zs[1].dropped, 16);
    assert_int_equal(zs[2].dropped, 3);
    for (uint32_t z = 0; z < NZ; z++)
        assert_true(tagq_empty(&zs[z].tq));
    drain();
    size_t m = strlen(text) + strlen("[hv] \r\n");
    expect_out(&m, "[hv] 3 tagged lines (19 bytes) dropped leaving the tagged view: the transmit "
                   "ring was full (counted in the zone list)\r\n");
}

/* Taking the live partial line off the bottom needs room for the erase. Without it the line
 * stays where it stands, and what comes next starts on a fresh line, not glued to it. */
static void test_tagged_hide_live_ring_full(void **state)
{
    (void)state;
    size_t m = tagged_prompt();
    uart_full();
    static char text[RING_SIZE];
    memset(text, 'z', sizeof(text));
    text[RING_SIZE - 13] = 0; /* erase + "[hv] " + text + CR LF leaves 2 bytes free */
    hv(text);
    assert_int_equal(txring_room(&co.ring), 2);
    tick(16); /* room for the live line again, and then 2 bytes */
    assert_int_equal(txring_room(&co.ring), 2);
    assert_true(co.live_shown);
    conout_focus(&co, 1);       /* no room for the erase */
    hv("=== zone 1: beta ==="); /* no room: counted */
    assert_int_equal(co.hv_dropped, 1);
    drain();
    size_t tail = m + 4 + 5 + strlen(text) + 2;
    expect_out(&tail, "[alpha] prompt> \r\n"
                      "[hv] 1 hypervisor lines dropped: the transmit ring was full\r\n");
}

/* A zone configured with no history (size 0): in the background its output is counted as
 * dropped and said on focus; focused, it writes straight into the transmit ring, waiting only
 * for the UART and woken when there is room, never forever. */
static void test_no_history_zone(void **state)
{
    (void)state;
    enum { SLEN = 50000, RATE = 9 };
    rig(0, 0);
    F.strict_wake = true;
    F.per_call = RATE;
    assert_false(conout_zone_full(&co, 0)); /* the emulated PL011 would spin on TXFF forever */
    uart_full();
    uint8_t *s = random_stream(SLEN, 7);
    size_t pos = 0;
    int refusals = 0;
    rng_state = 3;
    while (pos < SLEN) {
        size_t len = MIN((size_t)(SLEN - pos), (size_t)(1 + rng() % 3000));
        int wakes = F.wakes[0];
        size_t n = zwrite(0, s + pos, len, true);
        pos += n;
        if (n == len)
            continue;
        refusals++;
        if (F.wakes[0] > wakes)
            continue;
        F.refused[0] = true;
        for (int t = 0; F.wakes[0] == wakes; t++) {
            assert_true(t < 10000);
            tick(RATE);
        }
    }
    drain();
    assert_true(refusals > 5);
    assert_int_equal(F.len, SLEN);
    assert_memory_equal(F.out, s, SLEN);
    assert_int_equal(zs[0].dropped, 0);
    assert_int_equal(zs[0].bytes_out, SLEN);
    free(s);
    /* without waiting, what does not fit is counted */
    uart_full();
    uint8_t buf[3000];
    memset(buf, 'q', sizeof(buf));
    assert_int_equal(zwrite(0, buf, sizeof(buf), false), sizeof(buf));
    assert_int_equal(zs[0].dropped, sizeof(buf) - CONOUT_REFILL_MARK);
    assert_true(conout_zone_full(&co, 0));
    drain();
    assert_false(conout_zone_full(&co, 0));
    /* a background zone's output is all dropped, counted, and given up on focus */
    zputs(1, "bg line\r\n");
    assert_int_equal(history_dropped(&zs[1].hist), 9);
    assert_int_equal(conout_focus(&co, 1), 9);
    assert_int_equal(zs[1].dropped + history_dropped(&zs[1].hist), 9);
    size_t m = F.len;
    zputs(1, "now\r\n");
    expect_out(&m, "now\r\n");
}

/* Leaving the tagged view ends the live partial line where it stands; what the zone added to it
 * since it was last drawn (the ring had no room) is not lost: it follows as the zone's output. */
static void test_tagged_leave_live_rest_not_lost(void **state)
{
    (void)state;
    size_t m = tagged_prompt();
    uart_full();
    static char text[RING_SIZE];
    memset(text, 'w', sizeof(text));
    text[RING_SIZE - 13 - 20] = 0; /* leaves 22 bytes: too few for a tagged line */
    hv(text);
    zputs(0, "ls");                       /* the live line grows ... */
    zputs(0, " -l /tmp/some/where/long"); /* ... but only a refill would draw it */
    assert_true(co.live_shown);
    conout_set_tagged(&co, false);
    drain();
    size_t tail = m + 4 + 5 + strlen(text) + 2;
    expect_out(&tail, "[alpha] prompt> \r\nls -l /tmp/some/where/long");
    assert_int_equal(zs[0].dropped, 0);
}

/* The same for a zone with no history ring to hold the rest: it is counted and said. */
static void test_tagged_leave_live_rest_counted(void **state)
{
    (void)state;
    rig(0, 0);
    conout_set_tagged(&co, true);
    size_t m = 0;
    zputs(0, "prompt> ");
    expect_out(&m, "[alpha] prompt> ");
    uart_full();
    static char text[RING_SIZE];
    memset(text, 'v', sizeof(text));
    text[RING_SIZE - 13 - 16] = 0; /* leaves 18 bytes: the prompt is drawn again, 2 left */
    hv(text);
    assert_true(co.live_shown);
    assert_int_equal(txring_room(&co.ring), 2);
    zputs(0, "abc"); /* no room to extend the live line */
    conout_set_tagged(&co, false);
    assert_int_equal(zs[0].dropped, 3);
    drain();
    size_t tail = m + 4 + 5 + strlen(text) + 2;
    expect_out(&tail, "[alpha] prompt> \r\n[hv] 1 tagged lines (3 bytes) dropped leaving the "
                      "tagged view: the transmit ring was full (counted in the zone list)\r\n");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_background_never_waits_while_uart_full),
        T(test_focused_backpressure_lossless),
        T(test_focus_loss_wakes_waiting_zone),
        T(test_tagged_on_wakes_waiting_zone),
        T(test_zone_full),
        T(test_focused_nowait_counts_dropped),
        T(test_tagged_round_robin),
        T(test_tagged_drop_counting),
        T(test_tagged_live_partial_line),
        T(test_tagged_leave_flushes_partials),
        T(test_switch_cancels_replay),
        T(test_replay_after_overrun_starts_at_line),
        T(test_hv_lines),
        T(test_hv_lines_ring_full_counted),
        T(test_hv_dropped_note_waits_for_room),
        T(test_pump_bounded),
        T(test_tx_irq_tracks_ring),
        T(test_cut_refill_sent_whole_not_stranded),
        T(test_live_line_erase_without_room),
        T(test_bytes_written_while_on_not_stranded),
        T(test_hv_line_between_zone_lines),
        T(test_tagged_drops_counted_in_bytes),
        T(test_tagged_leave_ring_full_counted),
        T(test_tagged_hide_live_ring_full),
        T(test_no_history_zone),
        T(test_tagged_leave_live_rest_not_lost),
        T(test_tagged_leave_live_rest_counted),
    };
    return cmocka_run_group_tests_name("conout", tests, NULL, NULL);
}
