/*
 * Line assembly for the tagged view: bytes of one zone are collected until a newline, then the
 * whole line goes out at once behind the zone's tag, so lines of different zones never splice.
 */
#ifndef HV_TAGLINE_H
#define HV_TAGLINE_H

#include "hypervisor/lib.h"

#define TAGLINE_MAX 200 /* longer lines are cut into tagged pieces */

struct tagline {
    uint8_t buf[TAGLINE_MAX];
    uint32_t len;
};

/* complete: the piece ends with the zone's own '\n'; otherwise it was cut or flushed. */
typedef void (*tagline_emit)(void *ctx, const uint8_t *line, uint32_t len, bool complete);

void tagline_feed(struct tagline *t, const uint8_t *buf, size_t len, tagline_emit emit, void *ctx);
/* Emit a partial line (leaving the tagged view), if any. */
void tagline_flush(struct tagline *t, tagline_emit emit, void *ctx);

#endif
