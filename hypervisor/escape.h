/* The console escape sequence: ESC then a command key; ESC twice sends one ESC to the zone. */
#ifndef HV_ESCAPE_H
#define HV_ESCAPE_H

#include "hypervisor/lib.h"

#ifndef ESCAPE_CHAR
#define ESCAPE_CHAR 0x1c /* Ctrl-\ : no terminal program or QEMU mux binds it */
#endif

enum esc_action {
    ESC_CONSUMED, /* the escape key itself: wait for the command */
    ESC_DELIVER,  /* *out goes to the focused zone */
    ESC_COMMAND,  /* *out is a command key for the multiplexer */
};

struct escape {
    uint8_t key;
    bool armed;
};

void escape_init(struct escape *e, uint8_t key);
enum esc_action escape_feed(struct escape *e, uint8_t in, uint8_t *out);

#endif
