/*
 * EL2 physical timer (CNTHP, PPI 26): a few named one-shot deadlines per CPU. Each CPU's slots
 * are its own; callbacks run in the timer interrupt on the CPU that armed them, with IRQs masked.
 */
#ifndef DRIVERS_TIMER_H
#define DRIVERS_TIMER_H

#include <stdint.h>

#define TIMER_EL2_PPI 26

enum timer_slot {
    TIMER_UART_MODEL, /* drivers/pl011.c: modelled transmit interrupt */
    TIMER_CONSOLE,    /* hypervisor/mux.c: input policy and output housekeeping */
    TIMER_NSLOTS,
};

typedef void (*timer_fn)(void);

/* Counter ticks for a duration. */
uint64_t timer_us(uint64_t us);
/* Arm slot on this CPU for the absolute counter value `deadline` (replaces an earlier one). */
void timer_arm(enum timer_slot slot, uint64_t deadline, timer_fn fn);
void timer_cancel(enum timer_slot slot);
/* PPI 26: run this CPU's expired slots, reprogram for the next. */
void timer_irq(void);

#endif
