/* Console multiplexer building blocks: escape parser, history/output ring, tagged lines, rate
 * limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hypervisor/escape.h"
#include "hypervisor/history.h"
#include "hypervisor/ratelimit.h"
#include "hypervisor/tagline.h"

/* Small deterministic PRNG for the model-based tests. */
static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* ---- escape ------------------------------------------------------------------------------ */

static void test_escape_default_key(void **state)
{
    (void)state;
    assert_int_equal(ESCAPE_CHAR, 0x1c);
}

static void test_escape_plain_bytes_delivered(void **state)
{
    (void)state;
    struct escape e;
    escape_init(&e, ESCAPE_CHAR);
    for (int i = 0; i < 256; i++) {
        if (i == ESCAPE_CHAR)
            continue;
        uint8_t out = 0;
        assert_int_equal(escape_feed(&e, (uint8_t)i, &out), ESC_DELIVER);
        assert_int_equal(out, i);
    }
}

static void test_escape_then_command(void **state)
{
    (void)state;
    struct escape e;
    escape_init(&e, ESCAPE_CHAR);
    uint8_t out;
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_CONSUMED);
    assert_int_equal(escape_feed(&e, '1', &out), ESC_COMMAND);
    assert_int_equal(out, '1');
    /* back to normal: the same key is now plain input */
    assert_int_equal(escape_feed(&e, '1', &out), ESC_DELIVER);
    assert_int_equal(out, '1');
    /* any byte can be a command, including NUL and 0xff */
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_CONSUMED);
    assert_int_equal(escape_feed(&e, 0, &out), ESC_COMMAND);
    assert_int_equal(out, 0);
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_CONSUMED);
    assert_int_equal(escape_feed(&e, 0xff, &out), ESC_COMMAND);
    assert_int_equal(out, 0xff);
    assert_int_equal(escape_feed(&e, 'x', &out), ESC_DELIVER);
}

static void test_escape_twice_delivers_one(void **state)
{
    (void)state;
    struct escape e;
    escape_init(&e, ESCAPE_CHAR);
    uint8_t out;
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_CONSUMED);
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_DELIVER);
    assert_int_equal(out, ESCAPE_CHAR);
    /* not armed any more: a following byte is plain input, not a command */
    assert_int_equal(escape_feed(&e, 'q', &out), ESC_DELIVER);
    assert_int_equal(out, 'q');
    /* three escapes: one delivered, the third arms again */
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_CONSUMED);
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_DELIVER);
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_CONSUMED);
    assert_int_equal(escape_feed(&e, 'h', &out), ESC_COMMAND);
    assert_int_equal(out, 'h');
}

static void test_escape_custom_key(void **state)
{
    (void)state;
    struct escape e;
    escape_init(&e, 0x01);
    uint8_t out;
    assert_int_equal(escape_feed(&e, 0x1c, &out), ESC_DELIVER);
    assert_int_equal(escape_feed(&e, 0x01, &out), ESC_CONSUMED);
    assert_int_equal(escape_feed(&e, 'c', &out), ESC_COMMAND);
    assert_int_equal(out, 'c');
}

static void test_escape_init_resets_armed(void **state)
{
    (void)state;
    struct escape e;
    escape_init(&e, ESCAPE_CHAR);
    uint8_t out;
    assert_int_equal(escape_feed(&e, ESCAPE_CHAR, &out), ESC_CONSUMED);
    escape_init(&e, ESCAPE_CHAR);
    assert_int_equal(escape_feed(&e, 'a', &out), ESC_DELIVER);
}

/* ---- history ----------------------------------------------------------------------------- */

#define B(s) ((const uint8_t *)(s))

/* Everything history_peek/history_consume would hand out, consumed from a copy so that h itself
 * is untouched. Asserts the pending bytes come in at most two contiguous pieces (the wrap). */
static size_t unsent(const struct history *h, uint8_t *out, size_t cap)
{
    struct history c = *h;
    size_t n = 0;
    int pieces = 0;
    const uint8_t *p;
    uint32_t k;
    while ((k = history_peek(&c, &p)) != 0) {
        assert_true(n + k <= cap);
        assert_true(p >= c.buf && p + k <= c.buf + c.size);
        memcpy(out + n, p, k);
        n += k;
        history_consume(&c, k);
        pieces++;
    }
    assert_true(pieces <= 2);
    assert_int_equal(n, history_pending(h));
    return n;
}

static void expect_unsent(const struct history *h, const char *s)
{
    uint8_t got[512];
    size_t n = unsent(h, got, sizeof(got));
    assert_int_equal(n, strlen(s));
    assert_memory_equal(got, s, n);
}

/* Mark n of the pending bytes sent, the way the console does (peek, then consume). */
static void send_n(struct history *h, uint32_t n)
{
    while (n) {
        const uint8_t *p;
        uint32_t k = history_peek(h, &p);
        assert_true(k > 0);
        k = MIN(k, n);
        history_consume(h, k);
        n -= k;
    }
}

static void test_history_small_write(void **state)
{
    (void)state;
    uint8_t mem[16];
    struct history h;
    const uint8_t *p = NULL;
    history_init(&h, mem, sizeof(mem));
    assert_int_equal(history_pending(&h), 0);
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_room(&h), 16);
    assert_int_equal(history_peek(&h, &p), 0);
    history_write(&h, B("hello"), 5);
    history_write(&h, B(""), 0);
    assert_int_equal(history_pending(&h), 5);
    assert_int_equal(history_room(&h), 11);
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_peek(&h, &p), 5);
    assert_ptr_equal(p, mem);
    assert_memory_equal(p, "hello", 5);
    expect_unsent(&h, "hello");
}

static void test_history_write_overwrites(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("0123456789abcdefXYZ"), 19);
    assert_int_equal(history_pending(&h), 8);
    assert_int_equal(history_room(&h), 0);
    assert_int_equal(history_dropped(&h), 11);
    expect_unsent(&h, "bcdefXYZ");
    /* again, from a position in the middle of the ring */
    uint8_t big[91];
    memset(big, 'A', 83);
    memcpy(big + 83, "abcdefgh", 8);
    history_write(&h, big, sizeof(big));
    assert_int_equal(history_dropped(&h), 11 + 8 + 83);
    expect_unsent(&h, "abcdefgh");
    /* exactly one ring's worth, then one more byte */
    history_write(&h, B("12345678"), 8);
    assert_int_equal(history_dropped(&h), 11 + 8 + 83 + 8);
    expect_unsent(&h, "12345678");
    history_write(&h, B("9"), 1);
    assert_int_equal(history_dropped(&h), 11 + 8 + 83 + 8 + 1);
    expect_unsent(&h, "23456789");
}

static void test_history_write_wrapping_in_one_call(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("abcdef"), 6);
    history_write(&h, B("ghijk"), 5); /* 2 at the end, 3 at the start */
    assert_int_equal(history_dropped(&h), 3);
    assert_memory_equal(mem, "ijkdefgh", 8); /* the ring itself */
    expect_unsent(&h, "defghijk");
}

/* Only unsent bytes that are overwritten count as dropped. */
static void test_history_dropped_counts_unsent_only(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("abcdefgh"), 8);
    send_n(&h, 8);
    assert_int_equal(history_pending(&h), 0);
    assert_int_equal(history_room(&h), 8);
    history_write(&h, B("ijkl"), 4); /* overwrites sent bytes only */
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_pending(&h), 4);
    assert_int_equal(history_room(&h), 4);
    history_write(&h, B("mnopqrstuv"), 10); /* written 22: oldest held 14, sent 8 */
    assert_int_equal(history_dropped(&h), 6);
    assert_int_equal(history_pending(&h), 8);
    expect_unsent(&h, "opqrstuv");
    /* sending from an overrun ring starts at the oldest held byte: the loss is not counted
     * twice and is no longer reported once passed */
    send_n(&h, 3);
    assert_int_equal(history_dropped(&h), 0);
    expect_unsent(&h, "rstuv");
}

static void test_history_lossless_and_room(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    history_init(&h, mem, sizeof(mem));
    assert_int_equal(history_write_lossless(&h, B("abcde"), 5), 5);
    assert_int_equal(history_room(&h), 3);
    assert_int_equal(history_write_lossless(&h, B("fghij"), 5), 3); /* "fgh" */
    assert_int_equal(history_room(&h), 0);
    assert_int_equal(history_write_lossless(&h, B("x"), 1), 0);
    assert_int_equal(history_write_lossless(&h, B(""), 0), 0);
    assert_int_equal(history_pending(&h), 8);
    assert_int_equal(history_dropped(&h), 0);
    expect_unsent(&h, "abcdefgh");
    send_n(&h, 3);
    assert_int_equal(history_room(&h), 3);
    assert_int_equal(history_write_lossless(&h, B("ijkl"), 4), 3); /* wraps: "ijk" */
    assert_int_equal(history_dropped(&h), 0);
    expect_unsent(&h, "defghijk");
    send_n(&h, 8);
    assert_int_equal(history_room(&h), 8);
    assert_int_equal(history_write_lossless(&h, B("0123456789"), 10), 8);
    expect_unsent(&h, "01234567");
    assert_int_equal(history_dropped(&h), 0);
}

/* An overwriting write after an overrun, then a lossless one: room counts from the oldest held
 * byte, never from bytes already lost. */
static void test_history_room_after_overrun(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("0123456789AB"), 12);
    assert_int_equal(history_room(&h), 0);
    assert_int_equal(history_write_lossless(&h, B("z"), 1), 0);
    send_n(&h, 5); /* "45678" */
    assert_int_equal(history_room(&h), 5);
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_write_lossless(&h, B("CDEFGH"), 6), 5);
    expect_unsent(&h, "9ABCDEFG");
}

static void test_history_resync_line_boundary(void **state)
{
    (void)state;
    uint8_t mem[16];
    struct history h;
    /* 22 bytes into 16: held "6789\nabcdefgh\nXY"; lost 6, then the partial "6789\n" */
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("0123456789\nabcdefgh\nXY"), 22);
    assert_int_equal(history_dropped(&h), 6);
    assert_int_equal(history_resync(&h), 11);
    assert_int_equal(history_dropped(&h), 0);
    expect_unsent(&h, "abcdefgh\nXY");
    /* no further loss: nothing given up, the partial "XY" stays */
    assert_int_equal(history_resync(&h), 0);
    expect_unsent(&h, "abcdefgh\nXY");

    /* the count is from what was sent: 3 bytes already shown are not counted again */
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("012"), 3);
    send_n(&h, 3);
    history_write(&h, B("3456789\nabcdefgh\nXY"), 19);
    assert_int_equal(history_dropped(&h), 3);
    assert_int_equal(history_resync(&h), 8);
    expect_unsent(&h, "abcdefgh\nXY");

    /* no newline among the held bytes: only the lost bytes are given up */
    history_init(&h, mem, 8);
    history_write(&h, B("abcdefghijklmnopqrst"), 20);
    assert_int_equal(history_resync(&h), 12);
    expect_unsent(&h, "mnopqrst");

    /* the newline is the oldest held byte: it ends the lost line */
    history_init(&h, mem, 8);
    history_write(&h, B("abcd\nefghijk"), 12);
    assert_int_equal(history_resync(&h), 5);
    expect_unsent(&h, "efghijk");

    /* the newline is the newest byte: everything held is the end of a lost line */
    history_init(&h, mem, 8);
    history_write(&h, B("abcdefghijk\n"), 12);
    assert_int_equal(history_resync(&h), 12);
    assert_int_equal(history_pending(&h), 0);
    assert_int_equal(history_room(&h), 8);

    /* the newline wraps round the end of the ring */
    history_init(&h, mem, 8);
    history_write(&h, B("abcdef"), 6);
    send_n(&h, 6);
    history_write(&h, B("ghijklm\nop"), 10); /* oldest held 8 = 'i', '\n' at 13 */
    assert_int_equal(history_dropped(&h), 2);
    assert_int_equal(history_resync(&h), 8);
    expect_unsent(&h, "op");

    /* nothing lost, a partial line pending: resync gives up nothing */
    history_init(&h, mem, 8);
    history_write(&h, B("ab\ncd"), 5);
    assert_int_equal(history_resync(&h), 0);
    expect_unsent(&h, "ab\ncd");
}

static void test_history_peek_consume_across_wrap(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    const uint8_t *p;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("abcdef"), 6);
    send_n(&h, 6);
    history_write(&h, B("ghijk"), 5); /* "gh" at 6..7, "ijk" at 0..2 */
    assert_int_equal(history_peek(&h, &p), 2);
    assert_ptr_equal(p, mem + 6);
    assert_memory_equal(p, "gh", 2);
    history_consume(&h, 1);
    assert_int_equal(history_peek(&h, &p), 1);
    assert_ptr_equal(p, mem + 7);
    assert_int_equal(*p, 'h');
    history_consume(&h, 1);
    assert_int_equal(history_pending(&h), 3);
    assert_int_equal(history_peek(&h, &p), 3);
    assert_ptr_equal(p, mem);
    assert_memory_equal(p, "ijk", 3);
    history_consume(&h, 2);
    assert_int_equal(history_peek(&h, &p), 1);
    assert_int_equal(*p, 'k');
    history_consume(&h, 1);
    assert_int_equal(history_peek(&h, &p), 0);
    assert_int_equal(history_pending(&h), 0);
    assert_int_equal(history_room(&h), 8);

    /* overrun: peek starts at the oldest held byte without a resync */
    history_write(&h, B("0123456789"), 10); /* written 21: oldest 13 = '2' at 5 */
    assert_int_equal(history_dropped(&h), 2);
    assert_int_equal(history_peek(&h, &p), 3);
    assert_ptr_equal(p, mem + 5);
    assert_memory_equal(p, "234", 3);
    history_consume(&h, 3);
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_peek(&h, &p), 5);
    assert_ptr_equal(p, mem);
    assert_memory_equal(p, "56789", 5);
}

static void test_history_forget(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, B("0123456789"), 10);
    assert_int_equal(history_dropped(&h), 2);
    history_forget(&h);
    assert_int_equal(history_pending(&h), 0);
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_room(&h), 8);
    assert_int_equal(history_resync(&h), 0); /* the loss went with the rest */
    expect_unsent(&h, "");
    history_write(&h, B("xy"), 2);
    expect_unsent(&h, "xy");
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_room(&h), 6);
}

static void test_history_zero_size(void **state)
{
    (void)state;
    struct history h;
    const uint8_t *p;
    history_init(&h, NULL, 0);
    assert_int_equal(history_room(&h), 0);
    assert_int_equal(history_pending(&h), 0);
    assert_int_equal(history_dropped(&h), 0);
    history_write(&h, B("abc"), 3);
    assert_int_equal(history_pending(&h), 0);
    assert_int_equal(history_room(&h), 0);
    assert_int_equal(history_dropped(&h), 3);
    assert_int_equal(history_peek(&h, &p), 0);
    assert_int_equal(history_write_lossless(&h, B("de"), 2), 0);
    assert_int_equal(history_dropped(&h), 3);
    assert_int_equal(history_resync(&h), 3);
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_resync(&h), 0);
    history_write(&h, B("\nfg"), 3);
    assert_int_equal(history_dropped(&h), 3);
    history_forget(&h);
    assert_int_equal(history_dropped(&h), 0);
    assert_int_equal(history_peek(&h, &p), 0);
}

/*
 * Randomized, against a reference that keeps every byte ever written (what a few lines of Python
 * would do with a list): held = the last min(written, size) bytes; sent only moves forward.
 */
struct href {
    uint8_t *all;
    uint64_t written, sent;
    uint32_t size;
};

static uint64_t href_oldest(const struct href *r)
{
    return r->written > r->size ? r->written - r->size : 0;
}

static uint64_t href_from(const struct href *r)
{
    return MAX(r->sent, href_oldest(r));
}

static uint64_t href_pending(const struct href *r)
{
    return r->written - href_from(r);
}

static uint64_t href_dropped(const struct href *r)
{
    uint64_t o = href_oldest(r);
    return o > r->sent ? o - r->sent : 0;
}

static uint64_t href_resync(struct href *r)
{
    uint64_t o = href_oldest(r), from = r->sent;
    if (o <= r->sent)
        return 0;
    uint64_t start = o;
    for (uint64_t i = o; i < r->written; i++)
        if (r->all[i] == '\n') {
            start = i + 1;
            break;
        }
    r->sent = start;
    return start - from;
}

static void href_check(const struct history *h, const struct href *r)
{
    assert_int_equal(history_pending(h), href_pending(r));
    assert_int_equal(history_dropped(h), href_dropped(r));
    assert_int_equal(history_room(h), r->size - href_pending(r));
    const uint8_t *p;
    uint32_t k = history_peek(h, &p);
    uint64_t from = href_from(r);
    if (!href_pending(r)) {
        assert_int_equal(k, 0);
        return;
    }
    /* contiguous from the oldest unsent byte to the newest or to the end of the ring */
    uint64_t expect = MIN(href_pending(r), (uint64_t)(r->size - from % r->size));
    assert_int_equal(k, expect);
    assert_memory_equal(p, r->all + from, k);
}

static void test_history_model(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {1, 2, 7, 16, 100, 256};
    enum { OPS = 4000 };
    for (size_t si = 0; si < ARRAY_SIZE(sizes); si++) {
        uint32_t size = sizes[si];
        uint8_t *mem = malloc(size);
        struct href r = {.all = malloc((size_t)OPS * (2 * size + 3)), .size = size};
        assert_non_null(mem);
        assert_non_null(r.all);
        struct history h;
        history_init(&h, mem, size);
        rng_state = 12345 + size;
        for (int op = 0; op < OPS; op++) {
            uint32_t what = rng() % 16;
            if (what < 10) { /* write, overwriting or lossless */
                size_t len = rng() % (2 * size + 3);
                uint8_t chunk[2 * 256 + 3];
                for (size_t i = 0; i < len; i++)
                    chunk[i] = rng() % 5 == 0 ? '\n' : (uint8_t)('a' + (r.written + i) % 26);
                if (what < 5) {
                    history_write(&h, chunk, len);
                    memcpy(r.all + r.written, chunk, len);
                    r.written += len;
                } else {
                    size_t want = MIN((uint64_t)len, size - href_pending(&r));
                    assert_int_equal(history_write_lossless(&h, chunk, len), want);
                    memcpy(r.all + r.written, chunk, want);
                    r.written += want;
                }
            } else if (what < 14) { /* send part of what is pending */
                uint64_t pend = href_pending(&r);
                uint32_t n = pend ? (uint32_t)(rng() % (pend + 1)) : 0;
                uint64_t from = href_from(&r);
                send_n(&h, n);
                if (n) /* consuming moves past lost bytes; sending nothing changes nothing */
                    r.sent = from + n;
            } else if (what == 14) {
                assert_int_equal(history_resync(&h), href_resync(&r));
            } else {
                history_forget(&h);
                r.sent = r.written;
            }
            href_check(&h, &r);
        }
        free(r.all);
        free(mem);
    }
}

/* ---- tagline ----------------------------------------------------------------------------- */

struct piece {
    uint32_t off, len;
    bool complete;
};

struct line_rec {
    uint8_t bytes[8192];
    size_t len;
    struct piece p[256];
    int n;
};

static void emit(void *ctx, const uint8_t *line, uint32_t len, bool complete)
{
    struct line_rec *r = ctx;
    assert_true(len > 0);
    assert_true(len <= TAGLINE_MAX);
    assert_true(r->n < 256 && r->len + len <= sizeof(r->bytes));
    r->p[r->n++] = (struct piece){(uint32_t)r->len, len, complete};
    memcpy(r->bytes + r->len, line, len);
    r->len += len;
}

static void feed(struct tagline *t, struct line_rec *r, const char *s)
{
    tagline_feed(t, (const uint8_t *)s, strlen(s), emit, r);
}

static void expect_piece(struct line_rec *r, int i, const char *s, bool complete)
{
    assert_true(i < r->n);
    assert_int_equal(r->p[i].len, strlen(s));
    assert_memory_equal(r->bytes + r->p[i].off, s, strlen(s));
    assert_int_equal(r->p[i].complete, complete);
}

static void test_tagline_complete_lines(void **state)
{
    (void)state;
    struct tagline t = {0};
    static struct line_rec r;
    memset(&r, 0, sizeof(r));
    feed(&t, &r, "abc\ndef\n\n");
    assert_int_equal(r.n, 3);
    expect_piece(&r, 0, "abc\n", true);
    expect_piece(&r, 1, "def\n", true);
    expect_piece(&r, 2, "\n", true);
    assert_int_equal(t.len, 0);
}

static void test_tagline_split_across_feeds(void **state)
{
    (void)state;
    struct tagline t = {0};
    static struct line_rec r;
    memset(&r, 0, sizeof(r));
    feed(&t, &r, "he");
    assert_int_equal(r.n, 0);
    feed(&t, &r, "llo\nwo");
    assert_int_equal(r.n, 1);
    feed(&t, &r, "r");
    feed(&t, &r, "ld\r\n");
    assert_int_equal(r.n, 2);
    expect_piece(&r, 0, "hello\n", true);
    expect_piece(&r, 1, "world\r\n", true);
}

static void test_tagline_flush_partial(void **state)
{
    (void)state;
    struct tagline t = {0};
    static struct line_rec r;
    memset(&r, 0, sizeof(r));
    tagline_flush(&t, emit, &r); /* nothing held: nothing emitted */
    assert_int_equal(r.n, 0);
    feed(&t, &r, "done\nprompt$ ");
    tagline_flush(&t, emit, &r);
    assert_int_equal(r.n, 2);
    expect_piece(&r, 1, "prompt$ ", false);
    tagline_flush(&t, emit, &r);
    assert_int_equal(r.n, 2);
    feed(&t, &r, "next\n"); /* a fresh line after the flush */
    assert_int_equal(r.n, 3);
    expect_piece(&r, 2, "next\n", true);
}

static void test_tagline_long_line_cut(void **state)
{
    (void)state;
    struct tagline t = {0};
    static struct line_rec r;
    memset(&r, 0, sizeof(r));
    char line[452];
    for (int i = 0; i < 450; i++)
        line[i] = (char)('a' + i % 26);
    line[450] = '\n';
    line[451] = 0;
    feed(&t, &r, line);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.p[0].len, TAGLINE_MAX);
    assert_false(r.p[0].complete);
    assert_int_equal(r.p[1].len, TAGLINE_MAX);
    assert_false(r.p[1].complete);
    assert_int_equal(r.p[2].len, 51);
    assert_true(r.p[2].complete);
    assert_int_equal(r.len, 451);
    assert_memory_equal(r.bytes, line, 451); /* no byte lost or reordered */
}

static void test_tagline_boundaries(void **state)
{
    (void)state;
    struct tagline t = {0};
    static struct line_rec r;
    memset(&r, 0, sizeof(r));
    char line[TAGLINE_MAX + 1];
    /* TAGLINE_MAX - 1 bytes plus the newline: exactly one complete piece */
    memset(line, 'x', TAGLINE_MAX - 1);
    line[TAGLINE_MAX - 1] = '\n';
    line[TAGLINE_MAX] = 0;
    feed(&t, &r, line);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.p[0].len, TAGLINE_MAX);
    assert_true(r.p[0].complete);
    /* exactly TAGLINE_MAX bytes without a newline: cut as soon as it is full */
    memset(line, 'y', TAGLINE_MAX);
    feed(&t, &r, line);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.p[1].len, TAGLINE_MAX);
    assert_false(r.p[1].complete);
    feed(&t, &r, "\n");
    assert_int_equal(r.n, 3);
    expect_piece(&r, 2, "\n", true);
}

static void test_tagline_model(void **state)
{
    (void)state;
    struct tagline t = {0};
    static struct line_rec r;
    memset(&r, 0, sizeof(r));
    static uint8_t in[6000];
    rng_state = 777;
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (rng() % 97 == 0) ? '\n' : (uint8_t)(' ' + rng() % 90);
    size_t pos = 0;
    while (pos < sizeof(in)) {
        size_t n = 1 + rng() % 300;
        if (n > sizeof(in) - pos)
            n = sizeof(in) - pos;
        tagline_feed(&t, in + pos, n, emit, &r);
        pos += n;
    }
    tagline_flush(&t, emit, &r);
    assert_int_equal(r.len, sizeof(in));
    assert_memory_equal(r.bytes, in, sizeof(in));
    for (int i = 0; i < r.n; i++) {
        bool ends_nl = r.bytes[r.p[i].off + r.p[i].len - 1] == '\n';
        assert_int_equal(r.p[i].complete, ends_nl);
        /* a newline only ever ends a piece */
        assert_null(memchr(r.bytes + r.p[i].off, '\n', r.p[i].len - 1));
        if (!r.p[i].complete && i != r.n - 1)
            assert_int_equal(r.p[i].len, TAGLINE_MAX);
    }
}

/* ---- ratelimit --------------------------------------------------------------------------- */

#define IV 1000

static void test_ratelimit_burst_then_suppress(void **state)
{
    (void)state;
    struct ratelimit rl = {0};
    uint32_t sup = 99;
    for (int i = 0; i < RATELIMIT_BURST; i++) {
        assert_true(ratelimit_allow(&rl, 5000, IV, &sup));
        assert_int_equal(sup, 0);
    }
    for (int i = 0; i < 7; i++) {
        sup = 99;
        assert_false(ratelimit_allow(&rl, 5000 + IV - 1, IV, &sup));
        assert_int_equal(sup, 0);
    }
    /* one interval later: one token, and the 7 suppressed lines are reported */
    assert_true(ratelimit_allow(&rl, 5000 + IV, IV, &sup));
    assert_int_equal(sup, 7);
    assert_false(ratelimit_allow(&rl, 5000 + IV, IV, &sup));
    assert_int_equal(sup, 0);
    assert_true(ratelimit_allow(&rl, 5000 + 2 * IV, IV, &sup));
    assert_int_equal(sup, 1); /* reported once, then counted afresh */
    assert_false(ratelimit_allow(&rl, 5000 + 2 * IV, IV, &sup));
}

static void test_ratelimit_refill_amount_and_cap(void **state)
{
    (void)state;
    struct ratelimit rl = {0};
    uint32_t sup;
    for (int i = 0; i < RATELIMIT_BURST; i++)
        assert_true(ratelimit_allow(&rl, 0, IV, &sup));
    assert_false(ratelimit_allow(&rl, 0, IV, &sup));
    /* 5 intervals: 5 tokens */
    for (int i = 0; i < 5; i++)
        assert_true(ratelimit_allow(&rl, 5 * IV, IV, &sup));
    assert_false(ratelimit_allow(&rl, 5 * IV, IV, &sup));
    /* a long quiet time refills to the burst, no more */
    int allowed = 0;
    for (int i = 0; i < 100; i++)
        allowed += ratelimit_allow(&rl, 1000 * IV, IV, &sup);
    assert_int_equal(allowed, RATELIMIT_BURST);
}

static void test_ratelimit_fractional_interval_kept(void **state)
{
    (void)state;
    struct ratelimit rl = {0};
    uint32_t sup;
    for (int i = 0; i < RATELIMIT_BURST; i++)
        assert_true(ratelimit_allow(&rl, 0, IV, &sup));
    /* at 1.5 intervals: one token; the half interval is not forgotten */
    assert_true(ratelimit_allow(&rl, IV + IV / 2, IV, &sup));
    assert_false(ratelimit_allow(&rl, IV + IV / 2, IV, &sup));
    assert_false(ratelimit_allow(&rl, 2 * IV - 1, IV, &sup));
    assert_true(ratelimit_allow(&rl, 2 * IV, IV, &sup));
    assert_int_equal(sup, 2);
}

static void test_ratelimit_zero_interval_never_refills(void **state)
{
    (void)state;
    struct ratelimit rl = {0};
    uint32_t sup;
    for (int i = 0; i < RATELIMIT_BURST; i++)
        assert_true(ratelimit_allow(&rl, (uint64_t)i * 1000000, 0, &sup));
    assert_false(ratelimit_allow(&rl, ~0ULL, 0, &sup));
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_escape_default_key),
        T(test_escape_plain_bytes_delivered),
        T(test_escape_then_command),
        T(test_escape_twice_delivers_one),
        T(test_escape_custom_key),
        T(test_escape_init_resets_armed),
        T(test_history_small_write),
        T(test_history_write_overwrites),
        T(test_history_write_wrapping_in_one_call),
        T(test_history_dropped_counts_unsent_only),
        T(test_history_lossless_and_room),
        T(test_history_room_after_overrun),
        T(test_history_resync_line_boundary),
        T(test_history_peek_consume_across_wrap),
        T(test_history_forget),
        T(test_history_zero_size),
        T(test_history_model),
        T(test_tagline_complete_lines),
        T(test_tagline_split_across_feeds),
        T(test_tagline_flush_partial),
        T(test_tagline_long_line_cut),
        T(test_tagline_boundaries),
        T(test_tagline_model),
        T(test_ratelimit_burst_then_suppress),
        T(test_ratelimit_refill_amount_and_cap),
        T(test_ratelimit_fractional_interval_kept),
        T(test_ratelimit_zero_interval_never_refills),
    };
    return cmocka_run_group_tests_name("mux_parts", tests, NULL, NULL);
}
