/* Overwriting ring buffer with an honest count of what fell off the end. */
#include "hypervisor/history.h"

void history_init(struct history *h, uint8_t *buf, uint32_t size)
{
    h->buf = buf;
    h->size = size;
    h->written = 0;
}

void history_write(struct history *h, const uint8_t *buf, size_t len)
{
    if (!h->size)
        return;
    /* Only the last `size` bytes can survive; skip straight to them. */
    if (len > h->size) {
        h->written += len - h->size;
        buf += len - h->size;
        len = h->size;
    }
    uint32_t pos = (uint32_t)(h->written % h->size);
    uint32_t first = (uint32_t)MIN((uint64_t)len, (uint64_t)(h->size - pos));
    memcpy(h->buf + pos, buf, first);
    memcpy(h->buf, buf + first, len - first);
    h->written += len;
}

uint32_t history_held(const struct history *h)
{
    return (uint32_t)MIN(h->written, (uint64_t)h->size);
}

uint64_t history_dropped(const struct history *h)
{
    return h->written - history_held(h);
}

void history_replay(const struct history *h, history_sink sink, void *ctx)
{
    uint32_t held = history_held(h);
    if (!held)
        return;
    uint32_t start = (uint32_t)((h->written - held) % h->size);
    uint32_t first = MIN(held, h->size - start);
    sink(ctx, h->buf + start, first);
    if (held > first)
        sink(ctx, h->buf, held - first);
}

void history_clear(struct history *h)
{
    h->written = 0;
}
