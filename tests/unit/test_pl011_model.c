/* The UART_BAUD transmit model (drivers/pl011_model.h): FIFO room, level, idle, the trigger-level
 * deadline, and exact timing over long runs, against byte end times computed independently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "drivers/pl011_model.h"

#define QEMU_FREQ 62500000u /* QEMU virt's CNTFRQ_EL0 for cortex-a57 */
#define T0 1000003u         /* an arbitrary start, not a multiple of anything */

/* When byte j (from 1) of an uninterrupted stream started at t0 has left the line: 10 bits at
 * `baud`, in counter ticks, rounded up to the first whole tick. */
static uint64_t byte_end(uint64_t t0, uint64_t j, uint64_t freq, uint64_t baud)
{
    unsigned __int128 num = (unsigned __int128)j * freq * 10u;
    return t0 + (uint64_t)((num + baud - 1) / baud);
}

static struct pl011_model fresh(uint64_t freq, uint32_t baud)
{
    struct pl011_model m;
    pl011_model_init(&m, freq, baud);
    return m;
}

static void test_fifo_accepts_32_then_0(void **state)
{
    (void)state;
    struct pl011_model m = fresh(QEMU_FREQ, 115200);
    assert_true(pl011_model_idle(&m, T0));
    assert_int_equal(pl011_model_room(&m, T0), 32);
    pl011_model_push(&m, T0, 32);
    assert_int_equal(pl011_model_room(&m, T0), 0);
    assert_int_equal(pl011_model_level(&m, T0), 32);
    assert_false(pl011_model_idle(&m, T0));
    /* Still full until the first byte's stop bit is over. */
    uint64_t first = byte_end(T0, 1, QEMU_FREQ, 115200);
    assert_int_equal(pl011_model_room(&m, first - 1), 0);
    assert_int_equal(pl011_model_room(&m, first), 1);
}

static void test_ten_byte_times_take_ten_more(void **state)
{
    (void)state;
    struct pl011_model m = fresh(QEMU_FREQ, 115200);
    pl011_model_push(&m, T0, 32);
    uint64_t t10 = byte_end(T0, 10, QEMU_FREQ, 115200);
    assert_int_equal(pl011_model_room(&m, t10 - 1), 9);
    assert_int_equal(pl011_model_room(&m, t10), 10);
    pl011_model_push(&m, t10, 10);
    assert_int_equal(pl011_model_room(&m, t10), 0);
    /* The refill queues right behind the rest: the 42nd byte leaves 42 byte times after T0. */
    uint64_t t42 = byte_end(T0, 42, QEMU_FREQ, 115200);
    assert_int_equal(pl011_model_level(&m, t42 - 1), 1);
    assert_true(pl011_model_idle(&m, t42));
}

static void test_level_and_idle(void **state)
{
    (void)state;
    struct pl011_model m = fresh(QEMU_FREQ, 115200);
    pl011_model_push(&m, T0, 5);
    assert_int_equal(pl011_model_level(&m, byte_end(T0, 2, QEMU_FREQ, 115200) - 1), 4);
    assert_int_equal(pl011_model_level(&m, byte_end(T0, 2, QEMU_FREQ, 115200)), 3);
    uint64_t end = byte_end(T0, 5, QEMU_FREQ, 115200);
    assert_false(pl011_model_idle(&m, end - 1));
    assert_int_equal(pl011_model_level(&m, end - 1), 1);
    assert_true(pl011_model_idle(&m, end));
    assert_int_equal(pl011_model_room(&m, end), 32);

    /* After an idle gap the next byte starts when written, not when the line fell idle. */
    uint64_t t1 = end + 123457;
    pl011_model_push(&m, t1, 1);
    assert_false(pl011_model_idle(&m, byte_end(t1, 1, QEMU_FREQ, 115200) - 1));
    assert_true(pl011_model_idle(&m, byte_end(t1, 1, QEMU_FREQ, 115200)));
}

static void test_trigger_deadline(void **state)
{
    (void)state;
    struct pl011_model m = fresh(QEMU_FREQ, 115200);
    assert_int_equal(pl011_model_deadline(&m, T0, PL011_MODEL_TRIGGER), T0); /* empty: now */
    pl011_model_push(&m, T0, 32);
    uint64_t d = pl011_model_deadline(&m, T0, PL011_MODEL_TRIGGER);
    assert_int_equal(d, byte_end(T0, 32 - PL011_MODEL_TRIGGER, QEMU_FREQ, 115200));
    assert_int_equal(pl011_model_level(&m, d - 1), PL011_MODEL_TRIGGER + 1);
    assert_int_equal(pl011_model_level(&m, d), PL011_MODEL_TRIGGER);
    /* At or below the level: due at once. */
    assert_int_equal(pl011_model_deadline(&m, d, PL011_MODEL_TRIGGER), d);
    assert_int_equal(pl011_model_deadline(&m, d + 5, PL011_MODEL_TRIGGER), d + 5);
    /* Refilled at the deadline: the next one is 24 byte times on, from the same stream. */
    uint32_t room = pl011_model_room(&m, d);
    assert_int_equal(room, 32 - PL011_MODEL_TRIGGER);
    pl011_model_push(&m, d, room);
    assert_int_equal(pl011_model_deadline(&m, d, PL011_MODEL_TRIGGER),
                     byte_end(T0, 2 * (32 - PL011_MODEL_TRIGGER), QEMU_FREQ, 115200));
}

/* The driver's pattern: fill what fits, sleep until the trigger level, repeat. */
static void stream_at_trigger(uint64_t freq, uint32_t baud, uint64_t nbytes)
{
    struct pl011_model m = fresh(freq, baud);
    uint64_t now = T0, left = nbytes;
    while (left) {
        uint32_t room = pl011_model_room(&m, now);
        uint32_t n = left < room ? (uint32_t)left : room;
        assert_true(n > 0);
        pl011_model_push(&m, now, n);
        left -= n;
        if (left)
            now = pl011_model_deadline(&m, now, PL011_MODEL_TRIGGER);
    }
    uint64_t end = byte_end(T0, nbytes, freq, baud);
    assert_int_equal(pl011_model_level(&m, end - 1), 1);
    assert_true(pl011_model_idle(&m, end));
}

/* Polled at an odd interval, topping the FIFO up each time (the line never idles). */
static void stream_polled(uint64_t freq, uint32_t baud, uint64_t nbytes)
{
    struct pl011_model m = fresh(freq, baud);
    uint64_t step = freq * 10u * 7u / baud + 13u; /* about 7 byte times, never in phase */
    uint64_t now = T0, left = nbytes;
    while (left) {
        uint32_t room = pl011_model_room(&m, now);
        uint32_t n = left < room ? (uint32_t)left : room;
        pl011_model_push(&m, now, n);
        left -= n;
        now += step;
    }
    uint64_t end = byte_end(T0, nbytes, freq, baud);
    assert_true(now - step < end); /* the last fill happened before the stream ended */
    assert_false(pl011_model_idle(&m, end - 1));
    assert_true(pl011_model_idle(&m, end));
}

static void test_no_drift_over_a_million_bytes(void **state)
{
    (void)state;
    /* 62.5 MHz / 115200 baud: 5425.35 ticks a byte; a rounded per-byte time would be 347k
     * ticks (64 ms) off after a million bytes. */
    stream_at_trigger(QEMU_FREQ, 115200, 1000000);
    stream_polled(QEMU_FREQ, 115200, 1000000);
    /* 1 GHz / 9600: the anchor moves on a hundred times (every 9600 bytes). */
    stream_at_trigger(1000000000u, 9600, 1000000);
    stream_polled(1000000000u, 9600, 1000000);
    /* 19.2 MHz / 921600: 208.33 ticks a byte. */
    stream_at_trigger(19200000u, 921600, 1000000);
    stream_polled(19200000u, 921600, 1000000);
}

static void test_long_quiet_spell(void **state)
{
    (void)state;
    /* An hour with a 1 GHz counter between writes: no overflow, nothing left over. */
    struct pl011_model m = fresh(1000000000u, 115200);
    pl011_model_push(&m, T0, 32);
    uint64_t later = T0 + 3600ull * 1000000000u;
    assert_true(pl011_model_idle(&m, later));
    assert_int_equal(pl011_model_room(&m, later), 32);
    pl011_model_push(&m, later, 3);
    assert_int_equal(pl011_model_deadline(&m, later, 0), byte_end(later, 3, 1000000000u, 115200));
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fifo_accepts_32_then_0),
        T(test_ten_byte_times_take_ten_more),
        T(test_level_and_idle),
        T(test_trigger_deadline),
        T(test_no_drift_over_a_million_bytes),
        T(test_long_quiet_spell),
    };
    return cmocka_run_group_tests_name("pl011_model", tests, NULL, NULL);
}
