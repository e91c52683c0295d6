/* Escape-key state machine for the console multiplexer. */
#include "hypervisor/escape.h"

void escape_init(struct escape *e, uint8_t key)
{
    e->key = key;
    e->armed = false;
}

enum esc_action escape_feed(struct escape *e, uint8_t in, uint8_t *out)
{
    *out = in;
    if (!e->armed) {
        if (in == e->key) {
            e->armed = true;
            return ESC_CONSUMED;
        }
        return ESC_DELIVER;
    }
    e->armed = false;
    return in == e->key ? ESC_DELIVER : ESC_COMMAND;
}
