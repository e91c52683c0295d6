/* The EL2 transmit ring. */
#include "hypervisor/txring.h"

void txring_init(struct txring *r, uint8_t *buf, uint32_t size)
{
    r->buf = buf;
    r->size = size;
    r->head = r->tail = 0;
}

uint32_t txring_used(const struct txring *r)
{
    uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    return (uint32_t)(head - tail);
}

uint32_t txring_room(const struct txring *r)
{
    return r->size - txring_used(r);
}

bool txring_put(struct txring *r, const void *buf, size_t len)
{
    if (len > txring_room(r))
        return false;
    txring_write(r, buf, len);
    return true;
}

size_t txring_write(struct txring *r, const void *buf, size_t len)
{
    size_t room = txring_room(r); /* once: MIN would look twice, and room grows meanwhile */
    len = MIN(len, room);
    uint32_t pos = (uint32_t)(r->head % r->size);
    uint32_t first = (uint32_t)MIN((uint64_t)len, (uint64_t)(r->size - pos));
    memcpy(r->buf + pos, buf, first);
    memcpy(r->buf, (const uint8_t *)buf + first, len - first);
    /* The bytes are in before the consumer can see them. */
    __atomic_store_n(&r->head, r->head + len, __ATOMIC_RELEASE);
    return len;
}

uint32_t txring_peek(const struct txring *r, const uint8_t **p)
{
    uint32_t used = txring_used(r);
    if (!used)
        return 0;
    uint32_t pos = (uint32_t)(r->tail % r->size);
    *p = r->buf + pos;
    return MIN(used, r->size - pos);
}

void txring_consume(struct txring *r, uint32_t n)
{
    /* The consumer is done reading those bytes before the producer may overwrite them. */
    /* used is read once: MIN would read it twice, and a producer that appends in between
     * would have bytes skipped that were never read. */
    uint32_t used = txring_used(r);
    __atomic_store_n(&r->tail, r->tail + MIN(n, used), __ATOMIC_RELEASE);
}
