/*
 * EL2 physical timer (CNTHP): one comparator per CPU multiplexed over a few named deadlines.
 * Each CPU owns its row of slots and its own CNTHP registers, and EL2 always runs with IRQs
 * masked, so nothing here needs a lock: a slot is only touched by its CPU, in or out of PPI 26.
 */
#include "drivers/timer.h"
#include "arch/cpu.h"
#include <stdbool.h>

#define CNTHP_CTL_ENABLE (1u << 0)
#define CNTHP_CTL_IMASK (1u << 1)

struct slot {
    uint64_t deadline;
    timer_fn fn; /* NULL = not armed */
};

static struct slot slots[MAX_CPUS][TIMER_NSLOTS];

uint64_t timer_us(uint64_t us)
{
    /* Whole seconds apart so that us * freq cannot overflow; round the rest up so a deadline
     * "us from now" is never early. */
    uint64_t f = counter_freq();
    return (us / 1000000u) * f + ((us % 1000000u) * f + 999999u) / 1000000u;
}

/* Compare value = earliest armed deadline, or the timer off when none is armed. A deadline in
 * the past is fine: the condition holds at once and PPI 26 fires as soon as IRQs are taken. */
static void reprogram(struct slot *s)
{
    uint64_t next = UINT64_MAX;
    bool any = false;
    for (uint32_t i = 0; i < TIMER_NSLOTS; i++) {
        if (s[i].fn && s[i].deadline <= next) {
            next = s[i].deadline;
            any = true;
        }
    }
    if (!any) {
        /* ENABLE=0 also drops the timer's interrupt output. */
        write_sysreg(cnthp_ctl_el2, 0);
    } else {
        write_sysreg(cnthp_cval_el2, next);
        write_sysreg(cnthp_ctl_el2, CNTHP_CTL_ENABLE); /* IMASK=0 */
    }
    isb();
}

void timer_arm(enum timer_slot slot, uint64_t deadline, timer_fn fn)
{
    struct slot *s = slots[cpu_id()];
    s[slot].deadline = deadline;
    s[slot].fn = fn;
    reprogram(s);
}

void timer_cancel(enum timer_slot slot)
{
    struct slot *s = slots[cpu_id()];
    if (!s[slot].fn)
        return;
    s[slot].fn = 0;
    reprogram(s);
}

void timer_irq(void)
{
    struct slot *s = slots[cpu_id()];
    uint64_t now = counter_now();
    for (uint32_t i = 0; i < TIMER_NSLOTS; i++) {
        timer_fn fn = s[i].fn;
        if (!fn || s[i].deadline > now)
            continue;
        /* Cleared first: the callback may arm this slot again. */
        s[i].fn = 0;
        fn();
    }
    /* Moves the comparator past now (so the level-sensitive PPI drops before our EOI), or
     * leaves it at a deadline a callback set in the past, which fires again right away. */
    reprogram(s);
}
