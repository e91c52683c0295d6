/*
 * Per-zone output ring. While the zone is in the background it is the zone's history: newest
 * bytes kept, overwritten ones counted. While the zone has the focus it is the zone's transmit
 * buffer: the writer may not overwrite what the UART has not taken yet (lossless), so a full ring
 * makes that one zone wait. Positions are absolute byte counts since the zone booted.
 */
#ifndef HV_HISTORY_H
#define HV_HISTORY_H

#include "hypervisor/lib.h"

struct history {
    uint8_t *buf;
    uint32_t size;
    uint64_t written; /* bytes ever written */
    uint64_t sent;    /* bytes before this were shown (or given up); never above written */
};

void history_init(struct history *h, uint8_t *buf, uint32_t size);
/* Overwriting write: the oldest bytes fall off the end. */
void history_write(struct history *h, const uint8_t *buf, size_t len);
/* Lossless write: at most history_room() bytes, never overwriting unsent ones. Returns count. */
size_t history_write_lossless(struct history *h, const uint8_t *buf, size_t len);
uint32_t history_room(const struct history *h);
/* Unsent bytes lost to overwriting, and unsent bytes still held. */
uint64_t history_dropped(const struct history *h);
uint32_t history_pending(const struct history *h);
/* Give up the lost bytes, and if any were lost, the partial line after them too, so that what
 * follows starts at a line boundary. Returns the number of bytes given up. */
uint64_t history_resync(struct history *h);
/* Contiguous unsent bytes (0 when none); then mark n of them sent. */
uint32_t history_peek(const struct history *h, const uint8_t **p);
void history_consume(struct history *h, uint32_t n);
/* Copy the newest min(max, held) bytes, oldest first, without marking anything sent; returns
 * the count (a log's view: it shows what it holds each time). */
uint32_t history_copy_tail(const struct history *h, uint8_t *out, uint32_t max);
/* Mark everything sent (nothing to show). */
void history_forget(struct history *h);

#endif
