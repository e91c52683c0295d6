/* Console multiplexer building blocks: escape parser, history ring, tagged lines, rate limit. */
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

struct sink_rec {
    uint8_t buf[4096];
    size_t len;
    int pieces;
};

static void sink(void *ctx, const uint8_t *buf, size_t len)
{
    struct sink_rec *s = ctx;
    assert_true(len > 0);
    assert_true(s->len + len <= sizeof(s->buf));
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    s->pieces++;
}

static void replay(const struct history *h, struct sink_rec *s)
{
    memset(s, 0, sizeof(*s));
    history_replay(h, sink, s);
    assert_true(s->pieces <= 2);
}

static void test_history_small_write(void **state)
{
    (void)state;
    uint8_t mem[16];
    struct history h;
    struct sink_rec s;
    history_init(&h, mem, sizeof(mem));
    assert_int_equal(history_held(&h), 0);
    assert_int_equal(history_dropped(&h), 0);
    replay(&h, &s);
    assert_int_equal(s.pieces, 0);
    history_write(&h, (const uint8_t *)"hello", 5);
    history_write(&h, (const uint8_t *)"", 0);
    assert_int_equal(history_held(&h), 5);
    assert_int_equal(history_dropped(&h), 0);
    replay(&h, &s);
    assert_int_equal(s.pieces, 1);
    assert_int_equal(s.len, 5);
    assert_memory_equal(s.buf, "hello", 5);
}

static void test_history_write_larger_than_size(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    struct sink_rec s;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, (const uint8_t *)"0123456789abcdefXYZ", 19);
    assert_int_equal(history_held(&h), 8);
    assert_int_equal(history_dropped(&h), 11);
    replay(&h, &s);
    assert_int_equal(s.len, 8);
    assert_memory_equal(s.buf, "bcdefXYZ", 8);
    /* again, from a position in the middle of the ring */
    uint8_t big[91];
    memset(big, 'A', 83);
    memcpy(big + 83, "abcdefgh", 8);
    history_write(&h, big, sizeof(big));
    assert_int_equal(history_dropped(&h), 11 + 8 + 83);
    replay(&h, &s);
    assert_int_equal(s.len, 8);
    assert_memory_equal(s.buf, "abcdefgh", 8);
}

static void test_history_exact_wrap(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    struct sink_rec s;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, (const uint8_t *)"abcd", 4);
    history_write(&h, (const uint8_t *)"efgh", 4); /* fills exactly */
    assert_int_equal(history_held(&h), 8);
    assert_int_equal(history_dropped(&h), 0);
    replay(&h, &s);
    assert_int_equal(s.pieces, 1);
    assert_memory_equal(s.buf, "abcdefgh", 8);
    history_write(&h, (const uint8_t *)"ijk", 3); /* overwrites abc */
    assert_int_equal(history_held(&h), 8);
    assert_int_equal(history_dropped(&h), 3);
    replay(&h, &s);
    assert_int_equal(s.len, 8);
    assert_int_equal(s.pieces, 2);
    assert_memory_equal(s.buf, "defghijk", 8);
    history_write(&h, (const uint8_t *)"lmnop", 5); /* ends exactly at the ring end */
    assert_int_equal(history_dropped(&h), 8);
    replay(&h, &s);
    assert_int_equal(s.pieces, 1);
    assert_memory_equal(s.buf, "ijklmnop", 8);
    history_write(&h, (const uint8_t *)"12345678", 8); /* a whole ring from position 0 */
    assert_int_equal(history_dropped(&h), 16);
    replay(&h, &s);
    assert_memory_equal(s.buf, "12345678", 8);
}

static void test_history_write_wrapping_in_one_call(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    struct sink_rec s;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, (const uint8_t *)"abcdef", 6);
    history_write(&h, (const uint8_t *)"ghijk", 5); /* 2 at the end, 3 at the start */
    assert_int_equal(history_dropped(&h), 3);
    replay(&h, &s);
    assert_int_equal(s.len, 8);
    assert_memory_equal(s.buf, "defghijk", 8);
}

static void test_history_clear(void **state)
{
    (void)state;
    uint8_t mem[8];
    struct history h;
    struct sink_rec s;
    history_init(&h, mem, sizeof(mem));
    history_write(&h, (const uint8_t *)"0123456789", 10);
    history_clear(&h);
    assert_int_equal(history_held(&h), 0);
    assert_int_equal(history_dropped(&h), 0);
    replay(&h, &s);
    assert_int_equal(s.pieces, 0);
    history_write(&h, (const uint8_t *)"xy", 2);
    replay(&h, &s);
    assert_int_equal(s.len, 2);
    assert_memory_equal(s.buf, "xy", 2);
    assert_int_equal(history_dropped(&h), 0);
}

static void test_history_zero_size(void **state)
{
    (void)state;
    struct history h;
    struct sink_rec s;
    history_init(&h, NULL, 0);
    history_write(&h, (const uint8_t *)"abc", 3);
    assert_int_equal(history_held(&h), 0);
    replay(&h, &s);
    assert_int_equal(s.pieces, 0);
}

/* Against a model that keeps every byte: replay == last min(total, size) bytes, dropped exact. */
static void test_history_model(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {1, 7, 16, 100};
    uint8_t *all = malloc(2000 * 256);
    assert_non_null(all);
    for (size_t si = 0; si < ARRAY_SIZE(sizes); si++) {
        uint32_t size = sizes[si];
        uint8_t mem[100];
        struct history h;
        struct sink_rec s;
        size_t total = 0;
        rng_state = 12345 + size;
        history_init(&h, mem, size);
        for (int op = 0; op < 2000; op++) {
            size_t len = rng() % (2 * size + 3);
            uint8_t chunk[256];
            for (size_t i = 0; i < len; i++)
                chunk[i] = (uint8_t)(total + i);
            history_write(&h, chunk, len);
            memcpy(all + total, chunk, len);
            total += len;
            size_t held = total < size ? total : size;
            assert_int_equal(history_held(&h), held);
            assert_int_equal(history_dropped(&h), total - held);
            replay(&h, &s);
            assert_int_equal(s.len, held);
            assert_memory_equal(s.buf, all + total - held, held);
        }
    }
    free(all);
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
        T(test_history_write_larger_than_size),
        T(test_history_exact_wrap),
        T(test_history_write_wrapping_in_one_call),
        T(test_history_clear),
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
