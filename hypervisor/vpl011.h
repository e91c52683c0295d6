/*
 * Emulated PL011 per zone: enough of the register set for Linux's amba-pl011 driver and
 * earlycon=pl011. Output joins the zone's virtio console output in the multiplexer; input comes
 * from the same held-input ring, but only while the zone's virtio console is not live.
 */
#ifndef HV_VPL011_H
#define HV_VPL011_H

#include "hypervisor/virtio_console.h"

#define VPL011_SIZE 0x1000

struct vpl011_host {
    void (*output)(void *ctx, const uint8_t *buf, size_t len);
    void (*set_irq)(void *ctx, bool level);
    /* Would output wait now (the zone is focused and its transmit buffer is full)? Then FR shows
     * TXFF, so a polling writer (earlycon, the kernel console) waits instead of losing bytes. */
    bool (*tx_full)(void *ctx);
};

struct vpl011 {
    const struct vpl011_host *host;
    void *ctx;
    struct vcon *input; /* the zone's console owns the held-input ring */
    uint32_t imsc, cr, lcr_h, ibrd, fbrd, ifls, ilpr, dmacr;
    uint32_t ris_tx; /* transmit interrupt: raised when idle, cleared through ICR */
    bool irq_level;
};

void vpl011_init(struct vpl011 *u, struct vcon *input, const struct vpl011_host *host, void *ctx);
/* Register access; false = refuse (inject an abort). Caller holds the zone console lock. */
bool vpl011_access(struct vpl011 *u, uint32_t off, uint32_t width, bool write, uint32_t *val);
/* Held input changed: re-evaluate the receive interrupt. */
void vpl011_input_changed(struct vpl011 *u);
/* Should keyboard input go here rather than to the virtio console? */
bool vpl011_takes_input(const struct vpl011 *u);

#endif
