/*
 * Tagged view: one zone's complete lines waiting for their turn on the UART. When a zone prints
 * lines faster than the UART shows them, the oldest queued line is dropped and counted, so a
 * flooding zone never slows down and never pushes other zones' lines out.
 */
#ifndef HV_TAGQ_H
#define HV_TAGQ_H

#include "hypervisor/tagline.h"

#define TAGQ_SIZE 4096

struct tagq {
    uint8_t buf[TAGQ_SIZE];
    uint32_t head, tail; /* byte positions, free-running */
    uint32_t lines;
    uint64_t dropped; /* lines dropped since the view last said so */
    uint64_t dropped_total;
};

void tagq_init(struct tagq *q);
/* Queue a piece of at most TAGLINE_MAX bytes; complete = it ends with the zone's '\n'.
 * Returns the bytes of the older lines dropped to make room, for the zone's drop count. */
uint32_t tagq_push(struct tagq *q, const uint8_t *line, uint32_t len, bool complete);
/* Take the oldest piece into out[TAGLINE_MAX]; false when empty. */
bool tagq_pop(struct tagq *q, uint8_t *out, uint32_t *len, bool *complete);
static inline bool tagq_empty(const struct tagq *q)
{
    return q->lines == 0;
}

#endif
