/*
 * virtio console device (virtio 1.2 section 5.3), port 0 only: receive queue 0, transmit queue 1,
 * CONSOLE_F_SIZE and CONSOLE_F_EMERG_WRITE. The device never talks to the UART itself: bytes
 * leave through host->output and arrive through vcon_input_push, both owned by the multiplexer.
 */
#ifndef HV_VIRTIO_CONSOLE_H
#define HV_VIRTIO_CONSOLE_H

#include "hypervisor/virtio_mmio.h"

#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

#define VCON_INBUF 4096 /* held keyboard input while the driver has no receive buffer posted */

struct vcon_host {
    void (*output)(void *ctx, const uint8_t *buf, size_t len);
    void (*set_irq)(void *ctx, bool level);
    void (*fault)(void *ctx, const char *what);
    /* Held input shrank: the producer may resume reading the UART. */
    void (*input_space)(void *ctx);
};

struct vcon {
    struct vmmio_dev mmio;
    const struct vcon_host *host;
    void *ctx;
    uint16_t cols, rows;
    /* Single-producer (multiplexer) single-consumer (device) ring of held input. */
    uint8_t in_buf[VCON_INBUF];
    uint32_t in_head; /* written by the producer only */
    uint32_t in_tail; /* written by the consumer only */
    struct vq_chain chain; /* scratch for the walker, too big for an EL2 stack */
};

void vcon_init(struct vcon *c, const struct guest_mem *mem, uint16_t cols, uint16_t rows,
               const struct vcon_host *host, void *ctx);

/* Producer side: room for how many more bytes, and push (false when full). No lock needed. */
uint32_t vcon_input_space(const struct vcon *c);
bool vcon_input_push(struct vcon *c, uint8_t b);
uint32_t vcon_input_held(const struct vcon *c);
/* Consumer side for another device sharing the ring (the emulated PL011), under the lock. */
bool vcon_input_pop(struct vcon *c, uint8_t *b);

/* Consumer side, under the device lock: move held input into posted receive buffers. */
void vcon_rx_deliver(struct vcon *c);

#endif
