/* Keyboard flow control (hypervisor/kbd.h): every transition of the state machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hypervisor/kbd.h"

#define DEAF 1000u
#define T0 5000u /* an arbitrary start, not 0 */

static struct kbd fresh(void)
{
    struct kbd k;
    k.state = KBD_DEAF; /* kbd_init must not rely on what was there */
    k.since = 77;
    k.deaf_ticks = 3;
    kbd_init(&k, DEAF);
    return k;
}

static void throttled(struct kbd *k)
{
    assert_int_equal(kbd_throttle(k, T0), T0 + DEAF);
    assert_int_equal(k->state, KBD_THROTTLED);
}

static void deaf(struct kbd *k)
{
    throttled(k);
    assert_true(kbd_deaf_timeout(k, T0 + DEAF));
    assert_int_equal(k->state, KBD_DEAF);
}

static void test_init_flowing(void **state)
{
    (void)state;
    struct kbd k = fresh();
    assert_int_equal(k.state, KBD_FLOWING);
    assert_int_equal(k.deaf_ticks, DEAF);
    assert_false(kbd_reads_past_full(&k));
}

static void test_flowing_reads_and_timeouts_do_nothing(void **state)
{
    (void)state;
    struct kbd k = fresh();
    assert_int_equal(kbd_zone_read(&k, T0), KBD_FLOWING);
    assert_int_equal(k.state, KBD_FLOWING);
    /* not throttled: no time, however long, makes the zone deaf */
    assert_false(kbd_deaf_timeout(&k, T0 + 100 * DEAF));
    assert_int_equal(k.state, KBD_FLOWING);
    assert_false(kbd_reads_past_full(&k));
}

static void test_throttle_then_read_flows_lossless(void **state)
{
    (void)state;
    struct kbd k = fresh();
    throttled(&k);
    assert_false(kbd_reads_past_full(&k)); /* throttled: the UART FIFO holds the sender */
    assert_int_equal(kbd_zone_read(&k, T0 + DEAF / 2), KBD_THROTTLED);
    assert_int_equal(k.state, KBD_FLOWING);
    assert_false(kbd_reads_past_full(&k));
    /* the old deadline means nothing now */
    assert_false(kbd_deaf_timeout(&k, T0 + DEAF));
    assert_false(kbd_deaf_timeout(&k, T0 + 10 * DEAF));
    assert_int_equal(k.state, KBD_FLOWING);
}

static void test_timeout_before_deadline_stays_throttled(void **state)
{
    (void)state;
    struct kbd k = fresh();
    throttled(&k);
    assert_false(kbd_deaf_timeout(&k, T0));
    assert_false(kbd_deaf_timeout(&k, T0 + 1));
    assert_false(kbd_deaf_timeout(&k, T0 + DEAF - 1));
    assert_int_equal(k.state, KBD_THROTTLED);
    assert_false(kbd_reads_past_full(&k));
}

static void test_timeout_at_deadline_goes_deaf(void **state)
{
    (void)state;
    struct kbd k = fresh();
    throttled(&k);
    assert_true(kbd_deaf_timeout(&k, T0 + DEAF));
    assert_int_equal(k.state, KBD_DEAF);
    assert_true(kbd_reads_past_full(&k));
    /* once deaf, further timeouts report nothing new */
    assert_false(kbd_deaf_timeout(&k, T0 + 2 * DEAF));
    assert_int_equal(k.state, KBD_DEAF);

    /* late timers fire after the deadline, not at it: still deaf */
    struct kbd late = fresh();
    throttled(&late);
    assert_true(kbd_deaf_timeout(&late, T0 + DEAF + 12345));
    assert_int_equal(late.state, KBD_DEAF);
}

static void test_deaf_then_read_reports_deaf_and_flows(void **state)
{
    (void)state;
    struct kbd k = fresh();
    deaf(&k);
    /* the caller learns the zone had been deaf, so it can say so */
    assert_int_equal(kbd_zone_read(&k, T0 + 3 * DEAF), KBD_DEAF);
    assert_int_equal(k.state, KBD_FLOWING);
    assert_false(kbd_reads_past_full(&k));
    /* a second read: nothing to report */
    assert_int_equal(kbd_zone_read(&k, T0 + 3 * DEAF + 1), KBD_FLOWING);
}

static void test_throttle_twice_keeps_first_deadline(void **state)
{
    (void)state;
    struct kbd k = fresh();
    throttled(&k);
    assert_int_equal(kbd_throttle(&k, T0 + DEAF / 2), T0 + DEAF);
    assert_int_equal(kbd_throttle(&k, T0 + DEAF - 1), T0 + DEAF);
    assert_int_equal(k.state, KBD_THROTTLED);
    assert_false(kbd_deaf_timeout(&k, T0 + DEAF - 1));
    assert_true(kbd_deaf_timeout(&k, T0 + DEAF)); /* counted from the first throttle */
}

static void test_throttle_while_deaf_stays_deaf(void **state)
{
    (void)state;
    struct kbd k = fresh();
    deaf(&k);
    kbd_throttle(&k, T0 + 2 * DEAF); /* held input still full: no way back to THROTTLED */
    assert_int_equal(k.state, KBD_DEAF);
    assert_true(kbd_reads_past_full(&k));
}

static void test_throttle_after_flowing_again_new_deadline(void **state)
{
    (void)state;
    struct kbd k = fresh();
    deaf(&k);
    assert_int_equal(kbd_zone_read(&k, T0 + 2 * DEAF), KBD_DEAF);
    /* a new episode gets its own full deaf_ticks */
    uint64_t t1 = T0 + 5 * DEAF;
    assert_int_equal(kbd_throttle(&k, t1), t1 + DEAF);
    assert_false(kbd_deaf_timeout(&k, t1 + DEAF - 1));
    assert_true(kbd_deaf_timeout(&k, t1 + DEAF));
}

static void test_refocus_from_every_state(void **state)
{
    (void)state;
    struct kbd k = fresh();
    assert_int_equal(kbd_refocus(&k, T0), KBD_FLOWING);
    assert_int_equal(k.state, KBD_FLOWING);

    throttled(&k);
    assert_int_equal(kbd_refocus(&k, T0 + 1), KBD_THROTTLED);
    assert_int_equal(k.state, KBD_FLOWING);
    assert_false(kbd_reads_past_full(&k));
    /* the old zone's deadline does not make the new one deaf */
    assert_false(kbd_deaf_timeout(&k, T0 + DEAF));
    assert_int_equal(k.state, KBD_FLOWING);

    k = fresh();
    deaf(&k);
    assert_int_equal(kbd_refocus(&k, T0 + DEAF + 1), KBD_DEAF);
    assert_int_equal(k.state, KBD_FLOWING);
    assert_false(kbd_reads_past_full(&k));

    /* the new zone gets its own chance: a full deaf_ticks from its own throttle */
    uint64_t t1 = T0 + DEAF + 2;
    assert_int_equal(kbd_throttle(&k, t1), t1 + DEAF);
    assert_false(kbd_deaf_timeout(&k, t1 + DEAF - 1));
    assert_true(kbd_deaf_timeout(&k, t1 + DEAF));
}

static void test_break_makes_throttled_deaf_at_once(void **state)
{
    (void)state;
    struct kbd k = fresh();
    throttled(&k);
    assert_true(kbd_break(&k, T0 + 1)); /* long before the deadline */
    assert_int_equal(k.state, KBD_DEAF);
    assert_true(kbd_reads_past_full(&k));
    assert_false(kbd_deaf_timeout(&k, T0 + DEAF)); /* nothing more to do at the deadline */
    assert_int_equal(k.state, KBD_DEAF);
    assert_int_equal(kbd_zone_read(&k, T0 + 2), KBD_DEAF);
    assert_int_equal(k.state, KBD_FLOWING);
}

static void test_break_elsewhere_changes_nothing(void **state)
{
    (void)state;
    struct kbd k = fresh();
    assert_false(kbd_break(&k, T0)); /* flowing: nothing held back */
    assert_int_equal(k.state, KBD_FLOWING);
    assert_false(kbd_reads_past_full(&k));
    deaf(&k);
    assert_false(kbd_break(&k, T0 + 2 * DEAF)); /* already deaf */
    assert_int_equal(k.state, KBD_DEAF);
    assert_true(kbd_reads_past_full(&k));
}

static void test_zero_deaf_ticks(void **state)
{
    (void)state;
    struct kbd k;
    kbd_init(&k, 0);
    assert_int_equal(kbd_throttle(&k, T0), T0);
    assert_true(kbd_deaf_timeout(&k, T0));
    assert_true(kbd_reads_past_full(&k));
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_init_flowing),
        T(test_flowing_reads_and_timeouts_do_nothing),
        T(test_throttle_then_read_flows_lossless),
        T(test_timeout_before_deadline_stays_throttled),
        T(test_timeout_at_deadline_goes_deaf),
        T(test_deaf_then_read_reports_deaf_and_flows),
        T(test_throttle_twice_keeps_first_deadline),
        T(test_throttle_while_deaf_stays_deaf),
        T(test_throttle_after_flowing_again_new_deadline),
        T(test_refocus_from_every_state),
        T(test_break_makes_throttled_deaf_at_once),
        T(test_break_elsewhere_changes_nothing),
        T(test_zero_deaf_ticks),
    };
    return cmocka_run_group_tests_name("kbd", tests, NULL, NULL);
}
