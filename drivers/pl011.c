/* PL011 driver (ARM PrimeCell UART PL011 TRM, DDI 0183). */
#include "drivers/pl011.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_IMSC 0x38
#define UART_ICR 0x44
#define FR_TXFF (1u << 5)
#define FR_RXFE (1u << 4)
#define INT_RX (1u << 4)
#define INT_RT (1u << 6)

static uint64_t base;

static inline uint32_t rd(uint32_t off)
{
    return *(volatile uint32_t *)(base + off);
}

static inline void wr(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(base + off) = v;
}

void pl011_init(uint64_t b)
{
    /* Firmware (QEMU, U-Boot) already set baud rate and line control; keep them. */
    base = b;
    wr(UART_IMSC, 0);
    wr(UART_ICR, 0x7ff);
}

void pl011_putc(uint8_t c)
{
    while (rd(UART_FR) & FR_TXFF)
        ;
    wr(UART_DR, c);
}

void pl011_write(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        pl011_putc(buf[i]);
}

bool pl011_rx_ready(void)
{
    return !(rd(UART_FR) & FR_RXFE);
}

uint8_t pl011_getc(void)
{
    return (uint8_t)rd(UART_DR);
}

void pl011_rx_irq(bool on)
{
    /* Only the mask: clearing RIS here would lose the pending receive interrupt of a FIFO that
     * still holds bytes (QEMU's PL011 raises it only on the empty -> non-empty edge). */
    wr(UART_IMSC, on ? (INT_RX | INT_RT) : 0);
}
