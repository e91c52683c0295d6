/*
 * Transmit side of a UART at `baud`, 8N1 (10 bit times a byte), timed by a free-running counter
 * at `freq` Hz. Pure integer arithmetic on counter ticks, evaluated lazily at whatever `now` the
 * caller passes (never earlier than a previous call): drivers/pl011.c uses it in UART_BAUD builds,
 * tests/unit/test_pl011_model.c checks it on the host.
 *
 * No drift: a byte takes freq*10/baud ticks, which is rarely a whole number, so instead of adding
 * a rounded byte time per byte, byte j (from 1) after the anchor t0 leaves the line at exactly
 * t0 + ceil(j * freq * 10 / baud). After `baud` bytes (ten seconds of line time) that is exactly
 * t0 + freq * 10, so the anchor moves on by that much and the byte count stays below `baud`,
 * which keeps the products small: (baud + 32) * freq * 10 * 2 must fit in 64 bits, true for any
 * real counter (1 GHz) and line rate (tens of Mbaud).
 *
 * The level counts every byte not yet fully on the line, the one being shifted out included, so
 * the FIFO is empty exactly when the line goes idle. (A real PL011 takes one byte more, into its
 * shift register; the model is the conservative one.)
 */
#ifndef DRIVERS_PL011_MODEL_H
#define DRIVERS_PL011_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define PL011_MODEL_FIFO 32
#define PL011_MODEL_TRIGGER 16 /* transmit interrupt at 1/2 full, as IFLS is programmed */

struct pl011_model {
    uint64_t ticks10; /* freq * 10: counter ticks for `baud` bytes */
    uint64_t baud;
    uint64_t t0;    /* anchor: the time transmission (re)started, moved on in whole 10 s */
    uint64_t done;  /* bytes finished since t0, < baud after every update */
    uint32_t level; /* bytes written and not yet finished */
};

static inline void pl011_model_init(struct pl011_model *m, uint64_t freq, uint32_t baud)
{
    *m = (struct pl011_model){.ticks10 = freq * 10u, .baud = baud};
}

/* Time at which the j-th byte after the anchor has left the line. */
static inline uint64_t pl011_model_finish(const struct pl011_model *m, uint64_t j)
{
    return m->t0 + (j * m->ticks10 + m->baud - 1) / m->baud;
}

/* Retire the bytes that have left the line by `now`. */
static inline void pl011_model_update(struct pl011_model *m, uint64_t now)
{
    if (!m->level || now <= m->t0)
        return;
    uint64_t gone = m->level;
    /* Check "all gone" first: after a long quiet spell now - t0 is unbounded and the product
     * below could overflow; while bytes remain, now - t0 is under about (baud + 32) byte times. */
    if (now < pl011_model_finish(m, m->done + m->level)) {
        uint64_t finished = (now - m->t0) * m->baud / m->ticks10;
        gone = finished > m->done ? finished - m->done : 0;
    }
    m->done += gone;
    m->level -= (uint32_t)gone;
    m->t0 += m->done / m->baud * m->ticks10; /* exact: baud bytes take ticks10 */
    m->done %= m->baud;
}

static inline uint32_t pl011_model_level(struct pl011_model *m, uint64_t now)
{
    pl011_model_update(m, now);
    return m->level;
}

static inline uint32_t pl011_model_room(struct pl011_model *m, uint64_t now)
{
    return PL011_MODEL_FIFO - pl011_model_level(m, now);
}

/* FIFO empty and the last byte's stop bit over. */
static inline bool pl011_model_idle(struct pl011_model *m, uint64_t now)
{
    return pl011_model_level(m, now) == 0;
}

/* n bytes written at `now`; the caller keeps n within pl011_model_room(). */
static inline void pl011_model_push(struct pl011_model *m, uint64_t now, uint32_t n)
{
    if (!n)
        return;
    if (!pl011_model_level(m, now)) {
        /* Line idle: the first byte starts now, not when the previous one ended. */
        m->t0 = now;
        m->done = 0;
    }
    m->level += n;
}

/* First counter value at which the level is at or below `trigger` (`now` if it already is). */
static inline uint64_t pl011_model_deadline(struct pl011_model *m, uint64_t now, uint32_t trigger)
{
    if (pl011_model_level(m, now) <= trigger)
        return now;
    return pl011_model_finish(m, m->done + m->level - trigger);
}

#endif
