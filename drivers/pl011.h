/* ARM PL011 UART, the one physical console. Polled transmit, interrupt-driven receive. */
#ifndef DRIVERS_PL011_H
#define DRIVERS_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void pl011_init(uint64_t base);
void pl011_putc(uint8_t c);
void pl011_write(const uint8_t *buf, size_t len);
bool pl011_rx_ready(void);
uint8_t pl011_getc(void);
/* Receive and receive-timeout interrupts on or off (off = let the FIFO hold the sender back). */
void pl011_rx_irq(bool on);

#endif
