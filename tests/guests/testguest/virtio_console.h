/*
 * virtio-mmio console driver (virtio 1.2, 5.3), single port (no MULTIPORT):
 * queue 0 = receive, queue 1 = transmit.
 *
 * Concurrency model: the IRQ handler and the main program never run interleaved with
 * each other's ring updates, because the main program keeps IRQs masked except inside
 * console_getc()'s wait window (see console.c) and between the checks of hostile
 * bigchain's wait (see hostile.c).
 */
#ifndef TESTGUEST_VIRTIO_CONSOLE_H
#define TESTGUEST_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "virtq.h"

#define VIRTIO_CONSOLE_F_SIZE (1ull << 0)
#define VIRTIO_CONSOLE_F_MULTIPORT (1ull << 1)
#define VIRTIO_CONSOLE_F_EMERG_WRITE (1ull << 2)

#define VIRTIO_ID_CONSOLE 3u

struct vcon_info {
    uint64_t base;
    uint64_t size;
    uint64_t offered;  /* device features */
    uint64_t features; /* negotiated features */
    uint16_t rx_num, tx_num;
    uint32_t resets;     /* completed DEVICE_NEEDS_RESET recoveries */
    uint32_t rx_dropped; /* used RX elements with an invalid id */
    uint32_t irqs;
};

/* 1 if base is a version-2 virtio-mmio console. */
int vcon_probe(uint64_t base);
/* Full device initialisation; halts with an emergency message if the device refuses us. */
void vcon_init(uint64_t base, uint64_t size);
void vcon_irq(uint32_t intid);
/* Moves received bytes into the input FIFO and reposts buffers. */
void vcon_poll_rx(void);
/* Next input byte, or -1 if the FIFO is empty. */
int vcon_getc(void);
void vcon_write(const void *buf, size_t len);
void vcon_flush(void);
int vcon_has_emerg(void);
/*
 * How a transmit waits for the device to use its buffer: polling (default) or, with on, asleep
 * in wfi until the used-buffer interrupt (asked for only while waiting). Sleeping keeps a zone
 * whose output is held back by the UART from spending instructions while it waits.
 */
void vcon_set_tx_sleep(int on);
int vcon_tx_sleep(void);
/*
 * Transmit stalls: chains the device had not used by the time their notify returned (a device
 * that completes inside the notify does that only when it has no room for them). Counted since
 * vcon_tx_stall_reset(), with the time of the first and last stall and the bytes of completed
 * chains before each.
 */
struct vcon_tx_stall {
    uint32_t count;
    uint64_t bytes; /* bytes of chains completed since the reset */
    uint64_t first_ticks, first_bytes;
    uint64_t last_ticks, last_bytes;
};
void vcon_tx_stall_reset(void);
const struct vcon_tx_stall *vcon_tx_stall_get(void);
/* n transmit chains of one byte each, each with its own QueueNotify, each waited for
 * (buffered output is flushed first). 0, or -1 if the device needs a reset. */
int vcon_notify_bench(uint64_t n, uint8_t byte);
void vcon_emerg_putc(char c);
/* Console size from config space; 0x0 when VIRTIO_CONSOLE_F_SIZE was not negotiated. */
void vcon_size(uint16_t *cols, uint16_t *rows);
const struct vcon_info *vcon_get_info(void);

/* Internals exposed for white-box/hostile test commands (rings and queue state). */
struct vqueue *vcon_queue(unsigned index);
uintptr_t vcon_base(void);
uint32_t vcon_reg_read(uint32_t off);
/* If the device set DEVICE_NEEDS_RESET: report it, re-initialise, count it; returns 1. */
int vcon_recover(void);
/* Unconditional full re-initialisation (not counted as a recovery). */
void vcon_reinit(void);
/*
 * Re-initialise up to and including QueueReady=1 of queue `index`, letting adjust() change
 * QueueNum and the ring addresses first (max is QueueNumMax). Leaves the console unusable
 * (and IRQ handling inert) until vcon_recover() or vcon_reinit().
 */
typedef void (*vcon_queue_adjust_fn)(void *ctx, uint32_t max, uint32_t *num, uint64_t *desc,
                                     uint64_t *avail, uint64_t *used);
void vcon_setup_until_queue(unsigned index, vcon_queue_adjust_fn adjust, void *ctx);

/*
 * One raw transmit chain (hostile bigchain): n device-readable descriptors 0..n-1 linked
 * with VIRTQ_DESC_F_NEXT, descriptor i covering [addr + i * seg_len, + seg_len). Flushes
 * buffered output first (the driver submits one descriptor at a time and waits, so all
 * descriptors are then free), publishes the chain and notifies; *notified_at is the
 * counter value just before the notify. Returns -1, publishing nothing, if the console is
 * not ready, n is 0 or more than the TX queue size, or a chain is still pending.
 * Console output is held back by a vcon_flush() until the chain has been used.
 */
int vcon_tx_chain_start(uint64_t addr, uint32_t seg_len, unsigned n, uint64_t *notified_at);
/*
 * Never touches device registers. 1 once the device has used the chain (the driver's
 * used-ring bookkeeping then includes it), 0 while it has not, -1 if the chain was lost
 * to a device re-initialisation (or there is none).
 */
int vcon_tx_chain_poll(void);

#endif
