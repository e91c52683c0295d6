/* Keyboard flow control for the focused zone: see kbd.h for the transitions. */
#include "hypervisor/kbd.h"

void kbd_init(struct kbd *k, uint64_t deaf_ticks)
{
    k->state = KBD_FLOWING;
    k->since = 0;
    k->deaf_ticks = deaf_ticks;
}

static enum kbd_state go(struct kbd *k, enum kbd_state to, uint64_t now)
{
    enum kbd_state from = k->state;
    k->state = to;
    k->since = now;
    return from;
}

uint64_t kbd_throttle(struct kbd *k, uint64_t now)
{
    if (k->state == KBD_FLOWING)
        go(k, KBD_THROTTLED, now);
    return k->since + k->deaf_ticks;
}

bool kbd_deaf_timeout(struct kbd *k, uint64_t now)
{
    if (k->state != KBD_THROTTLED || now - k->since < k->deaf_ticks)
        return false;
    go(k, KBD_DEAF, now);
    return true;
}

bool kbd_break(struct kbd *k, uint64_t now)
{
    if (k->state != KBD_THROTTLED)
        return false;
    go(k, KBD_DEAF, now);
    return true;
}

enum kbd_state kbd_zone_read(struct kbd *k, uint64_t now)
{
    if (k->state == KBD_FLOWING)
        return KBD_FLOWING;
    return go(k, KBD_FLOWING, now);
}

enum kbd_state kbd_refocus(struct kbd *k, uint64_t now)
{
    return go(k, KBD_FLOWING, now);
}
