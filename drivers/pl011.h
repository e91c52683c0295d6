/*
 * ARM PL011 UART, the one physical console. Transmit is interrupt driven and never waits:
 * pl011_tx_fill() writes only what the transmit FIFO takes now. Receive is interrupt driven too.
 *
 * Built with UART_BAUD=<rate> (make UART_BAUD=115200), the driver behaves like a UART at that
 * line rate even under QEMU, whose PL011 accepts bytes instantly: a 32-byte transmit FIFO that
 * drains at rate/10 bytes per second by the generic counter, FR.TXFF and BUSY following it, and
 * the transmit interrupt raised when the modelled FIFO falls to its trigger level (an EL2 timer,
 * drivers/timer.c, stands in for it). Nothing above this interface knows whether the model is on.
 */
#ifndef DRIVERS_PL011_H
#define DRIVERS_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pl011_getc() result: the data byte in bits 7:0, this flag when the line sent a BREAK. */
#define PL011_RX_BREAK 0x100u

/* pl011_irq_events() bits. */
#define PL011_EV_RX 1u    /* receive FIFO at its level, or receive timeout */
#define PL011_EV_TX 2u    /* transmit FIFO at or below its trigger level (interrupt enabled) */
#define PL011_EV_BREAK 4u /* the line sent a BREAK (reported even while receive is off) */

/* model_irq: called (from the EL2 timer interrupt, slot TIMER_UART_MODEL) when the driver raises
 * a transmit event itself: under the speed model, the modelled transmit interrupt; on a real
 * UART, the prompt event pl011_tx_irq(true) promises when the UART would stay silent. The caller
 * then asks pl011_irq_events() as for the real line. */
void pl011_init(uint64_t base, void (*model_irq)(void));
/* 8N1 at baud from a UART clock of clock_hz (boards whose firmware may leave it otherwise). */
void pl011_set_line(uint32_t clock_hz, uint32_t baud);

/* Write as many of buf's bytes as the transmit FIFO takes right now; returns how many (0 when
 * full). Never waits. At most PL011_TX_FILL_MAX per call, so QEMU's PL011, which never reports
 * its FIFO full, still costs a bounded time per call. */
#define PL011_TX_FILL_MAX 64
size_t pl011_tx_fill(const uint8_t *buf, size_t len);
/* Polled write that waits for FIFO room: only for a panic or before interrupts exist. */
void pl011_write_sync(const uint8_t *buf, size_t len);
/* Transmit FIFO empty and the line idle. */
bool pl011_tx_idle(void);
/* Transmit (FIFO level) interrupt on or off. Turning it on while the FIFO is already at or below
 * its trigger level raises PL011_EV_TX promptly (the driver primes as needed). */
void pl011_tx_irq(bool on);

bool pl011_rx_ready(void);
/* Next received byte, or'ed with PL011_RX_BREAK for a break condition. */
uint32_t pl011_getc(void);
/* Receive and receive-timeout interrupts on or off (off = let the FIFO hold the sender back). */
void pl011_rx_irq(bool on);

/* In the UART's interrupt (or the model's timer): which events are pending. Acknowledges TX. */
uint32_t pl011_irq_events(void);
#endif
