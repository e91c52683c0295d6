/* Per-zone history ring: what a background zone printed, newest kept, overwritten bytes counted. */
#ifndef HV_HISTORY_H
#define HV_HISTORY_H

#include "hypervisor/lib.h"

struct history {
    uint8_t *buf;
    uint32_t size;
    uint64_t written; /* bytes written since the last clear */
};

typedef void (*history_sink)(void *ctx, const uint8_t *buf, size_t len);

void history_init(struct history *h, uint8_t *buf, uint32_t size);
void history_write(struct history *h, const uint8_t *buf, size_t len);
/* Bytes held now, and bytes lost to overwriting since the last clear. */
uint32_t history_held(const struct history *h);
uint64_t history_dropped(const struct history *h);
/* Hand the held bytes, oldest first, to sink (at most two pieces). */
void history_replay(const struct history *h, history_sink sink, void *ctx);
void history_clear(struct history *h);

#endif
