/* The zone life-cycle state machine (hypervisor/lifecycle.c): every transition, and the races of
 * issue 7 (requests during a stop or a reload, nothing left latched afterwards). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hypervisor/lifecycle.h"

static void test_restart(void **state)
{
    (void)state;
    struct life l;
    life_init(&l);
    assert_string_equal(life_str(&l), "running");
    assert_true(life_may_cpu_on(&l));
    assert_int_equal(life_request_restart(&l), LIFE_DO_STOP_ALL);
    assert_string_equal(life_str(&l), "restarting");
    assert_false(life_may_cpu_on(&l)); /* no vCPU may start once a stop is under way */
    assert_int_equal(life_all_stopped(&l), LIFE_DO_LOAD);
    assert_string_equal(life_str(&l), "restarting");
    assert_false(life_may_cpu_on(&l));
    assert_int_equal(life_loaded(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_RUNNING);
    assert_int_equal(l.goal, GOAL_NONE);
}

static void test_off_then_restart_from_off(void **state)
{
    (void)state;
    struct life l;
    life_init(&l);
    assert_int_equal(life_request_off(&l), LIFE_DO_STOP_ALL);
    assert_string_equal(life_str(&l), "stopping");
    assert_int_equal(life_all_stopped(&l), LIFE_DO_NOTHING);
    assert_string_equal(life_str(&l), "off");
    assert_int_equal(life_request_off(&l), LIFE_DO_NOTHING);
    assert_false(life_may_cpu_on(&l));
    /* Restarting an off zone: nothing runs, the stop completes at once. */
    assert_int_equal(life_request_restart(&l), LIFE_DO_STOP_ALL);
    assert_int_equal(life_all_stopped(&l), LIFE_DO_LOAD);
    assert_int_equal(life_loaded(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_RUNNING);
}

/* Five restarts in a row, some while stopping, some while loading: one reload, then running,
 * and a later power-off really powers off (the old code left a restart latched). */
static void test_restart_storm_leaves_nothing_latched(void **state)
{
    (void)state;
    struct life l;
    life_init(&l);
    assert_int_equal(life_request_restart(&l), LIFE_DO_STOP_ALL);
    assert_int_equal(life_request_restart(&l), LIFE_DO_NOTHING);
    assert_int_equal(life_all_stopped(&l), LIFE_DO_LOAD);
    assert_int_equal(life_request_restart(&l), LIFE_DO_NOTHING); /* coalesced into the reload */
    assert_int_equal(life_request_restart(&l), LIFE_DO_NOTHING);
    assert_int_equal(life_loaded(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_RUNNING);
    assert_int_equal(life_all_stopped(&l), LIFE_DO_NOTHING); /* a stray completion: ignored */
    assert_int_equal(life_loaded(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_RUNNING);
    assert_int_equal(life_request_off(&l), LIFE_DO_STOP_ALL);
    assert_int_equal(life_all_stopped(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_OFF);
}

/* The newer request wins while stopping. */
static void test_newer_request_wins_while_stopping(void **state)
{
    (void)state;
    struct life l;
    life_init(&l);
    assert_int_equal(life_request_restart(&l), LIFE_DO_STOP_ALL);
    assert_int_equal(life_request_off(&l), LIFE_DO_NOTHING);
    assert_int_equal(life_all_stopped(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_OFF);

    life_init(&l);
    assert_int_equal(life_request_off(&l), LIFE_DO_STOP_ALL);
    assert_int_equal(life_request_restart(&l), LIFE_DO_NOTHING);
    assert_int_equal(life_all_stopped(&l), LIFE_DO_LOAD);
    assert_int_equal(life_loaded(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_RUNNING);
}

/* An off that comes during a reload is not lost: once loaded, the zone stops again. */
static void test_off_during_load(void **state)
{
    (void)state;
    struct life l;
    life_init(&l);
    life_request_restart(&l);
    assert_int_equal(life_all_stopped(&l), LIFE_DO_LOAD);
    assert_int_equal(life_request_off(&l), LIFE_DO_NOTHING);
    assert_string_equal(life_str(&l), "restarting");
    assert_int_equal(life_loaded(&l), LIFE_DO_STOP_ALL);
    assert_string_equal(life_str(&l), "stopping");
    assert_int_equal(life_all_stopped(&l), LIFE_DO_NOTHING);
    assert_int_equal(l.state, LIFE_OFF);
}

/* Keys are kept for a zone that runs or restarts, refused once it is going off or off. */
static void test_takes_input(void **state)
{
    (void)state;
    struct life l;
    life_init(&l);
    assert_true(life_takes_input(&l));
    life_request_restart(&l);
    assert_true(life_takes_input(&l)); /* stopping to restart */
    life_all_stopped(&l);
    assert_true(life_takes_input(&l)); /* reloading */
    life_request_off(&l);
    assert_false(life_takes_input(&l)); /* reloading, then off */
    life_loaded(&l);
    assert_false(life_takes_input(&l)); /* stopping to be off */
    life_all_stopped(&l);
    assert_false(life_takes_input(&l)); /* off */
    life_request_restart(&l);
    assert_true(life_takes_input(&l)); /* restarting from off */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_off_then_restart_from_off),
        cmocka_unit_test(test_restart_storm_leaves_nothing_latched),
        cmocka_unit_test(test_newer_request_wins_while_stopping),
        cmocka_unit_test(test_off_during_load),
        cmocka_unit_test(test_takes_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
