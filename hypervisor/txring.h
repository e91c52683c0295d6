/*
 * The EL2 transmit ring: the bytes on their way to the UART, in wire order. Single producer,
 * single consumer: producers append under the multiplexer's lock, the transmitter takes from the
 * front into the UART FIFO under its own lock. Each side writes only its own index and reads
 * the other's with acquire, so neither needs the other's lock.
 */
#ifndef HV_TXRING_H
#define HV_TXRING_H

#include "hypervisor/lib.h"

struct txring {
    uint8_t *buf;
    uint32_t size;
    uint64_t head; /* bytes ever appended: the producer's */
    uint64_t tail; /* bytes ever taken: the consumer's */
};

void txring_init(struct txring *r, uint8_t *buf, uint32_t size);
uint32_t txring_used(const struct txring *r);
uint32_t txring_room(const struct txring *r);
/* Append all of buf, or nothing when it does not fit. */
bool txring_put(struct txring *r, const void *buf, size_t len);
/* Append as much of buf as fits; returns how much. */
size_t txring_write(struct txring *r, const void *buf, size_t len);
/* Contiguous bytes at the front (0 when empty); then drop n of them. */
uint32_t txring_peek(const struct txring *r, const uint8_t **p);
void txring_consume(struct txring *r, uint32_t n);

#endif
