/*
 * PL011 driver (ARM PrimeCell UART PL011 TRM, DDI 0183).
 *
 * The transmit interrupt (TXRIS) of a real PL011 is raised when the transmit FIFO level *crosses*
 * down to the IFLS trigger level, and cleared by ICR or by filling above the level; a FIFO that
 * never goes above the level never raises it. QEMU's PL011 (7.2, and 9.2 still) has no transmit
 * FIFO: every DR write sends the byte at once and sets TXRIS, only ICR clears it, and FR never
 * shows TXFF or BUSY. Both raise the interrupt when TXIM is set right after a fill that leaves
 * bytes above the level (hardware) or any bytes at all (QEMU), provided TXRIS was not cleared in
 * between; pl011_tx_irq() covers the remaining case (nothing to cross, nothing latched) itself.
 *
 * The driver keeps its own small lock: its callers are not all under one lock (the console's
 * lock, and the EL2 timer callback of the priming/model path), and IMSC is read-modify-write.
 */
#include "drivers/pl011.h"
#include "arch/cpu.h"
#include "arch/spinlock.h"
#include "drivers/pl011_model.h"
#include "drivers/timer.h"

/* make UART_BAUD=N (N > 0) turns the speed model on; unset, 0 or empty leaves the plain driver. */
#ifndef UART_BAUD
#define UART_BAUD 0
#endif
#define MODEL (UART_BAUD + 0 > 0)

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_IBRD 0x24
#define UART_FBRD 0x28
#define UART_LCR_H 0x2c
#define UART_CR 0x30
#define LCR_H_8N1_FIFO 0x70u /* WLEN 8 bits, FIFOs on, 1 stop bit, no parity */
#define CR_UART_TX_RX 0x301u /* UARTEN, TXE, RXE */
#define UART_IFLS 0x34
#define UART_IMSC 0x38
#define UART_MIS 0x40
#define UART_ICR 0x44

#define DR_BE (1u << 10) /* break: the line was held low for a whole frame; data reads 0 */
#define FR_TXFE (1u << 7)
#define FR_TXFF (1u << 5)
#define FR_RXFE (1u << 4)
#define FR_BUSY (1u << 3)
#define IFLS_TX_MASK 7u
#define IFLS_TX_HALF 2u /* TX interrupt at <= 1/2 full: 16 of 32 bytes left, as the model */
#define INT_RT (1u << 6)
#define INT_TX (1u << 5)
#define INT_RX (1u << 4)
#define INT_BE (1u << 9) /* break error: raised even while receive interrupts are off */
#define INT_ALL 0x7ffu

static struct {
    uint64_t base;
    spinlock_t lock;
    uint32_t imsc; /* shadow of IMSC: RX bits owned by pl011_rx_irq, TX by pl011_tx_irq */
    bool tx_on;    /* pl011_tx_irq(true) in force */
    bool soft_tx;  /* a TX event raised by the timer rather than the UART, not yet taken */
    uint32_t gen;  /* bumped by pl011_tx_irq() and every arm: older arms are void */
    uint32_t armed_gen[MAX_CPUS];
    void (*model_irq)(void);
#if MODEL
    struct pl011_model model;
#endif
} u;

static inline uint32_t rd(uint32_t off)
{
    return *(volatile uint32_t *)(u.base + off);
}

static inline void wr(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(u.base + off) = v;
}

void pl011_init(uint64_t base, void (*model_irq)(void))
{
    /* Firmware (QEMU, U-Boot) already set baud rate and line control; keep them. */
    u.base = base;
    u.model_irq = model_irq;
    u.imsc = INT_BE; /* a BREAK is the person's out-of-band escape: always heard */
    wr(UART_IMSC, u.imsc);
    /* Leave RX/RT alone: QEMU raises RX only when a byte enters an empty FIFO, so clearing it
     * with bytes already waiting (typed during boot) would leave them unannounced for good. */
    wr(UART_ICR, INT_ALL & ~(INT_RX | INT_RT));
    wr(UART_IFLS, (rd(UART_IFLS) & ~IFLS_TX_MASK) | IFLS_TX_HALF);
#if MODEL
    pl011_model_init(&u.model, counter_freq(), UART_BAUD);
#endif
}

void pl011_set_line(uint32_t clock_hz, uint32_t baud)
{
    /* The divisor in 64ths, rounded: IBRD is its integer part, FBRD the fraction (TRM 3.3.6). */
    uint32_t div64 = (uint32_t)(((uint64_t)clock_hz * 4 + baud / 2) / baud);
    while (rd(UART_FR) & FR_BUSY)
        ; /* the firmware's last bytes out first: a bounded wait, at boot only */
    wr(UART_CR, 0);
    wr(UART_IBRD, div64 >> 6);
    wr(UART_FBRD, div64 & 63);
    wr(UART_LCR_H, LCR_H_8N1_FIFO); /* also latches IBRD/FBRD */
    wr(UART_CR, CR_UART_TX_RX);
}

/* PL011_EV_TX from the EL2 timer: the modelled FIFO reached its trigger level, or (real UART)
 * the prompt event pl011_tx_irq() promised. Runs on the CPU that armed it. */
static void soft_tx_fire(void)
{
    spin_lock(&u.lock);
    bool fire = u.tx_on && u.armed_gen[cpu_id()] == u.gen;
    if (fire)
        u.soft_tx = true;
    spin_unlock(&u.lock);
    /* Outside our lock: the callback takes the console's, which nests outside ours. */
    if (fire && u.model_irq)
        u.model_irq();
}

/* Under u.lock. A timer can only be cancelled on the CPU that armed it, so an arm left behind
 * on another CPU is voided through gen instead: only the latest arm counts. */
static void soft_tx_arm(uint64_t deadline)
{
    u.armed_gen[cpu_id()] = ++u.gen;
    timer_arm(TIMER_UART_MODEL, deadline, soft_tx_fire);
}

#if MODEL
/* Under u.lock: the modelled interrupt, due when the modelled level reaches the trigger. */
static void model_tx_schedule(uint64_t now)
{
    soft_tx_arm(pl011_model_deadline(&u.model, now, PL011_MODEL_TRIGGER));
}
#endif

size_t pl011_tx_fill(const uint8_t *buf, size_t len)
{
    size_t max = len < PL011_TX_FILL_MAX ? len : PL011_TX_FILL_MAX;
    size_t n = 0;
#if MODEL
    spin_lock(&u.lock);
    uint64_t now = counter_now();
    uint32_t room = pl011_model_room(&u.model, now);
    if (max > room)
        max = room;
    /* QEMU takes them all at once; the model paces them. TXFF is still honoured in case this
     * runs on hardware slower than the model. */
    while (n < max && !(rd(UART_FR) & FR_TXFF))
        wr(UART_DR, buf[n++]);
    pl011_model_push(&u.model, now, (uint32_t)n);
    /* Like the hardware, which raises TX again when a fill is drained back to the level. */
    if (n && u.tx_on && !u.soft_tx)
        model_tx_schedule(now);
    spin_unlock(&u.lock);
#else
    while (n < max && !(rd(UART_FR) & FR_TXFF))
        wr(UART_DR, buf[n++]);
#endif
    return n;
}

void pl011_write_sync(const uint8_t *buf, size_t len)
{
#if MODEL
    /* Spin on the model, so that it keeps accounting for these bytes too. */
    while (len) {
        size_t n = pl011_tx_fill(buf, len);
        buf += n;
        len -= n;
    }
#else
    for (size_t i = 0; i < len; i++) {
        while (rd(UART_FR) & FR_TXFF)
            ;
        wr(UART_DR, buf[i]);
    }
#endif
}

bool pl011_tx_idle(void)
{
#if MODEL
    spin_lock(&u.lock);
    bool idle = pl011_model_idle(&u.model, counter_now());
    spin_unlock(&u.lock);
    return idle;
#else
    return (rd(UART_FR) & (FR_TXFE | FR_BUSY)) == FR_TXFE;
#endif
}

void pl011_tx_irq(bool on)
{
    spin_lock(&u.lock);
    u.gen++;
    u.tx_on = on;
    u.soft_tx = false;
    if (!on) {
        timer_cancel(TIMER_UART_MODEL);
#if !MODEL
        u.imsc &= ~INT_TX;
        wr(UART_IMSC, u.imsc);
#endif
        spin_unlock(&u.lock);
        return;
    }
#if MODEL
    /* The real TXIM stays off (QEMU's would fire at once); the timer stands in for it. */
    model_tx_schedule(counter_now());
#else
    u.imsc |= INT_TX;
    wr(UART_IMSC, u.imsc);
    /* Pending already (TXRIS latched: QEMU after any write, hardware after a crossing), or sure
     * to come (FIFO full, so it will cross the level)? Otherwise the FIFO sits at or below the
     * level with nothing latched and the UART will stay silent: raise the event ourselves. */
    if (!(rd(UART_MIS) & INT_TX) && !(rd(UART_FR) & FR_TXFF))
        soft_tx_arm(counter_now());
#endif
    spin_unlock(&u.lock);
}

bool pl011_rx_ready(void)
{
    return !(rd(UART_FR) & FR_RXFE);
}

uint32_t pl011_getc(void)
{
    uint32_t dr = rd(UART_DR);
    return (dr & 0xffu) | ((dr & DR_BE) ? PL011_RX_BREAK : 0);
}

void pl011_rx_irq(bool on)
{
    /* Only the mask: clearing RIS here would lose the pending receive interrupt of a FIFO that
     * still holds bytes (QEMU's PL011 raises it only on the empty -> non-empty edge). */
    spin_lock(&u.lock);
    if (on)
        u.imsc |= INT_RX | INT_RT;
    else
        u.imsc &= ~(INT_RX | INT_RT);
    wr(UART_IMSC, u.imsc);
    spin_unlock(&u.lock);
}

uint32_t pl011_irq_events(void)
{
    uint32_t ev = 0;
    spin_lock(&u.lock);
    uint32_t mis = rd(UART_MIS);
    if (mis & (INT_RX | INT_RT))
        ev |= PL011_EV_RX;
    if (mis & INT_BE) {
        wr(UART_ICR, INT_BE);
        ev |= PL011_EV_BREAK;
    }
    if (mis & INT_TX) {
        /* Acknowledge: the console refills or turns TX off in response. */
        wr(UART_ICR, INT_TX);
        ev |= PL011_EV_TX;
    }
    if (u.soft_tx) {
        u.soft_tx = false;
        ev |= PL011_EV_TX;
    }
    spin_unlock(&u.lock);
    return ev;
}
