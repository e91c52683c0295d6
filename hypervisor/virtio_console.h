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

/*
 * Work bound of one exit: at most this many transmit bytes, each chain popped costing
 * VCON_TX_CHAIN_COST of it, so one exit handles at most 4 KiB or 64 chains whatever the guest
 * put on the ring. The rest is resumed in a later exit (host->tx_later).
 */
#define VCON_TX_BUDGET 4096
#define VCON_TX_CHAIN_COST 64

struct vcon_host {
    /* Bytes the zone printed. may_wait: the host may take fewer (returns how many) and will
     * call vcon_tx_resume later; otherwise it takes all (counting what it cannot keep). */
    size_t (*output)(void *ctx, const uint8_t *buf, size_t len, bool may_wait);
    /* The exit's budget ran out with transmit work left: call vcon_tx_resume in a later exit. */
    void (*tx_later)(void *ctx);
    void (*set_irq)(void *ctx, bool level);
    void (*fault)(void *ctx, const char *what);
    /* Held input shrank: the producer may resume reading the UART. */
    void (*input_space)(void *ctx);
};

struct vcon {
    struct vmmio_dev mmio;
    struct virtq vq[2]; /* receive, transmit */
    const struct vcon_host *host;
    void *ctx;
    uint16_t cols, rows;
    /* Single-producer (multiplexer) single-consumer (device) ring of held input. */
    uint8_t in_buf[VCON_INBUF];
    uint32_t in_head;      /* written by the producer only */
    uint32_t in_tail;      /* written by the consumer only */
    struct vq_chain chain; /* receive scratch for the walker, too big for an EL2 stack */
    /* The transmit chain in progress: popped and checked, sent up to (seg, off). */
    struct vq_chain tx_chain;
    bool tx_active;
    uint16_t tx_seg;
    uint32_t tx_off;
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

/* Under the device lock, in an exit after the notify: go on transmitting, one budget's worth.
 * Chains completed here raise a used-buffer interrupt (the driver is no longer in the trap). */
void vcon_tx_resume(struct vcon *c);

#endif
