/*
 * Keyboard flow control for the focused zone, as a state machine with named transitions.
 *
 *   FLOWING --held input full-->  THROTTLED   (stop reading: the UART FIFO holds the sender)
 *   THROTTLED --zone reads-->     FLOWING     (lossless: nothing was dropped)
 *   THROTTLED --deaf_ticks pass with no read--> DEAF (read on: escape commands work, the zone's
 *                                                keys that do not fit are discarded and counted)
 *   DEAF --zone reads-->          FLOWING
 *   THROTTLED --BREAK on the line--> DEAF     (the person asked for control: no waiting)
 *   any --focus moves-->          FLOWING     (the new zone gets its own chance)
 */
#ifndef HV_KBD_H
#define HV_KBD_H

#include "hypervisor/lib.h"

enum kbd_state { KBD_FLOWING, KBD_THROTTLED, KBD_DEAF };

struct kbd {
    enum kbd_state state;
    uint64_t since;      /* counter value of the last transition */
    uint64_t deaf_ticks; /* how long a full, unread zone holds the keyboard back */
};

void kbd_init(struct kbd *k, uint64_t deaf_ticks);
/* FLOWING -> THROTTLED. Returns the deadline at which kbd_deaf_timeout should be tried. */
uint64_t kbd_throttle(struct kbd *k, uint64_t now);
/* THROTTLED -> DEAF if deaf_ticks have passed; true when it happened. */
bool kbd_deaf_timeout(struct kbd *k, uint64_t now);
/* THROTTLED -> DEAF at once: a BREAK. true when it happened. */
bool kbd_break(struct kbd *k, uint64_t now);
/* THROTTLED or DEAF -> FLOWING because the zone read; returns the state it left. */
enum kbd_state kbd_zone_read(struct kbd *k, uint64_t now);
/* Any -> FLOWING because the focus moved; returns the state it left. */
enum kbd_state kbd_refocus(struct kbd *k, uint64_t now);
/* May the multiplexer read the UART (given the zone's held input is full)? */
static inline bool kbd_reads_past_full(const struct kbd *k)
{
    return k->state == KBD_DEAF;
}

#endif
