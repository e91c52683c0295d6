/* Per-zone output ring: history in the background, lossless transmit buffer in the focus. */
#include "hypervisor/history.h"

void history_init(struct history *h, uint8_t *buf, uint32_t size)
{
    h->buf = buf;
    h->size = size;
    h->written = 0;
    h->sent = 0;
}

static uint64_t oldest_held(const struct history *h)
{
    return h->written > h->size ? h->written - h->size : 0;
}

static void put(struct history *h, const uint8_t *buf, size_t len)
{
    uint32_t pos = (uint32_t)(h->written % h->size);
    uint32_t first = (uint32_t)MIN((uint64_t)len, (uint64_t)(h->size - pos));
    memcpy(h->buf + pos, buf, first);
    memcpy(h->buf, buf + first, len - first);
    h->written += len;
}

void history_write(struct history *h, const uint8_t *buf, size_t len)
{
    if (!h->size) {
        h->written += len; /* a ring of size 0 holds nothing: all of it counts as dropped */
        return;
    }
    /* Only the last `size` bytes can survive; skip straight to them. */
    if (len > h->size) {
        h->written += len - h->size;
        buf += len - h->size;
        len = h->size;
    }
    put(h, buf, len);
}

uint32_t history_room(const struct history *h)
{
    uint64_t unsent = h->written - MAX(h->sent, oldest_held(h));
    return (uint32_t)(h->size - unsent);
}

size_t history_write_lossless(struct history *h, const uint8_t *buf, size_t len)
{
    size_t n = MIN(len, (size_t)history_room(h));
    if (n)
        put(h, buf, n);
    return n;
}

uint64_t history_dropped(const struct history *h)
{
    uint64_t oldest = oldest_held(h);
    return oldest > h->sent ? oldest - h->sent : 0;
}

uint32_t history_pending(const struct history *h)
{
    return (uint32_t)(h->written - MAX(h->sent, oldest_held(h)));
}

static uint8_t byte_at(const struct history *h, uint64_t pos)
{
    return h->buf[pos % h->size];
}

uint64_t history_resync(struct history *h)
{
    uint64_t from = h->sent, oldest = oldest_held(h);
    if (oldest <= h->sent)
        return 0;
    /* The oldest held byte is mid-line: start after the first newline, if there is one. */
    uint64_t start = oldest;
    for (uint64_t p = oldest; p < h->written; p++) {
        if (byte_at(h, p) == '\n') {
            start = p + 1;
            break;
        }
    }
    h->sent = start;
    return start - from;
}

uint32_t history_peek(const struct history *h, const uint8_t **p)
{
    uint64_t from = MAX(h->sent, oldest_held(h));
    if (from == h->written)
        return 0;
    uint32_t pos = (uint32_t)(from % h->size);
    *p = h->buf + pos;
    return (uint32_t)MIN(h->written - from, (uint64_t)(h->size - pos));
}

void history_consume(struct history *h, uint32_t n)
{
    h->sent = MAX(h->sent, oldest_held(h)) + n;
}

void history_forget(struct history *h)
{
    h->sent = h->written;
}

uint32_t history_copy_tail(const struct history *h, uint8_t *out, uint32_t max)
{
    uint64_t held = h->written - oldest_held(h);
    uint32_t n = (uint32_t)MIN(held, (uint64_t)max);
    for (uint32_t i = 0; i < n; i++)
        out[i] = h->buf[(h->written - n + i) % h->size];
    return n;
}
