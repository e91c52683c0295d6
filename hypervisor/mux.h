/*
 * Console multiplexer: one physical UART shared by every zone. The focused zone's output goes out
 * raw and it gets the keyboard; background zones write into their history rings at full speed;
 * the tagged view shows every zone line by line. The hypervisor's own lines carry "[hv] ".
 * What goes out when is decided by conout.c; this file owns the lock, the keyboard and commands.
 */
#ifndef HV_MUX_H
#define HV_MUX_H

#include "hypervisor/escape.h"

struct zone;

struct mux_zone {
    uint64_t bytes_in;
    uint64_t dropped_input; /* keystrokes for a zone that was off or not reading */
};

void mux_init(uint8_t escape_key, uint32_t focus);
/* Every zone, before mux_start. */
void mux_zone_init(struct zone *z);
/* After all zones exist: the first banner, and UART input and output interrupt driven. */
void mux_start(void);

/* A zone printed bytes (virtio TX with may_wait; emergency write and emulated UART without).
 * Returns the bytes taken; with may_wait, fewer means "full: you are woken when there is room"
 * (zone_console_wake). Never waits for the UART. */
size_t mux_zone_output(struct zone *z, const uint8_t *buf, size_t len, bool may_wait);
/* Would a write by this zone wait now (focused, transmit buffer full)? */
bool mux_zone_output_full(const struct zone *z);
/* The UART's interrupt (receive, transmit; also the speed model's timer). */
void mux_uart_irq(void);
/* A zone's held input shrank: resume reading the UART if we had stopped. */
void mux_input_space(struct zone *z);
/* Does this zone currently own the keyboard? */
bool mux_is_focused(const struct zone *z);
/* Bytes lost for this zone so far (output and input), for the zone list. */
uint64_t mux_dropped(const struct zone *z);

/* One hypervisor line (without prefix or newline), never inside a zone's line. */
void mux_hv_line(const char *text);
/* A last line when nothing else can run (panic): written synchronously, no lock. */
void mux_emergency_line(const char *text);

#endif
