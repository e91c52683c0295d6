/* Tagged-view line assembly. */
#include "hypervisor/tagline.h"

void tagline_feed(struct tagline *t, const uint8_t *buf, size_t len, tagline_emit emit, void *ctx)
{
    for (size_t i = 0; i < len; i++) {
        t->buf[t->len++] = buf[i];
        if (buf[i] == '\n') {
            emit(ctx, t->buf, t->len, true);
            t->len = 0;
        } else if (t->len == TAGLINE_MAX) {
            emit(ctx, t->buf, t->len, false);
            t->len = 0;
        }
    }
}

void tagline_flush(struct tagline *t, tagline_emit emit, void *ctx)
{
    if (t->len)
        emit(ctx, t->buf, t->len, false);
    t->len = 0;
}
