/*
 * Console multiplexer: one physical UART shared by every zone. The focused zone's output goes out
 * raw and it gets the keyboard; background zones write into their history rings at full speed;
 * the tagged view shows every zone line by line. The hypervisor's own lines carry "[hv] ".
 */
#ifndef HV_MUX_H
#define HV_MUX_H

#include "hypervisor/escape.h"
#include "hypervisor/history.h"
#include "hypervisor/tagline.h"

struct zone;

struct mux_zone {
    struct history hist;
    struct tagline tag;
    uint64_t bytes_out;
    uint64_t bytes_in;
    uint64_t dropped_hist;  /* history bytes overwritten, summed over replays */
    uint64_t dropped_input; /* keystrokes for a zone that was off */
};

void mux_init(uint8_t escape_key, uint32_t focus);
void mux_zone_init(struct zone *z);
/* After all zones exist: the first banner, the help hint, and UART input on. */
void mux_start(void);

/* A zone printed bytes (virtio TX, emergency write, emulated UART). Never blocks on history. */
void mux_zone_output(struct zone *z, const uint8_t *buf, size_t len);
/* UART receive interrupt: read what the focused zone can hold, run escape commands. */
void mux_uart_rx(void);
/* A zone's held input shrank: resume reading the UART if we had stopped. */
void mux_input_space(struct zone *z);
/* Does this zone currently own the keyboard? */
bool mux_is_focused(const struct zone *z);

/* One hypervisor line (without prefix or newline), never inside a zone's line. */
void mux_hv_line(const char *text);

#endif
