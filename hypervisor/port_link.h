/*
 * A link: a port in one zone wired to a port in another, at EL2 (the `link` port backend). Each
 * direction is a bounded single-producer single-consumer byte ring: the writing zone's device
 * appends under its own lock, the reading zone's device takes under its own, and neither ever
 * takes the other's lock (hypervisor/txring.h). EL2 memory never grows: when a direction is full,
 * the writer's transmit chain is not completed (its driver blocks in write() or poll()) until the
 * reader takes bytes and wakes it.
 *
 * Ends are 0 and 1; end e writes dir[e] and reads dir[1 - e]. Bytes a zone wrote stay in the ring
 * whatever happens to either zone (restart, the reader's port closed): a link loses nothing; a
 * reader that is away simply holds the writer back once the ring is full.
 */
#ifndef HV_PORT_LINK_H
#define HV_PORT_LINK_H

#include "hypervisor/txring.h"

#define LINK_BUF 16384 /* bytes per direction */

struct link_end {
    void *owner;   /* the zone (hypervisor/zone.c), told when this end has work */
    uint32_t port; /* the port of that zone's multiport device */
    /* This end's writer found the ring full and waits for room (set by the writer, cleared by
     * the reader that makes room and wakes it). */
    uint32_t tx_waits;
};

struct link {
    const char *name; /* for the zone list */
    struct txring dir[2];
    uint8_t buf[2][LINK_BUF];
    struct link_end end[2];
};

/* Boot, once per end: the zone and port behind it. False when that end is already taken. */
bool link_attach(struct link *l, uint32_t end, void *owner, uint32_t port);
/* Both ends attached? (A configuration with a dangling link is refused at boot.) */
bool link_complete(const struct link *l);

/* End e's writer: append what fits, returns the count. Fewer than len: the end is marked
 * waiting, and link_consume on the other end reports it once there is room. */
size_t link_write(struct link *l, uint32_t e, const uint8_t *buf, size_t len);
/* End e's reader: the bytes waiting for it, contiguous at the front (0 when none). */
uint32_t link_peek(struct link *l, uint32_t e, const uint8_t **p);
/* End e's reader took n bytes: true when the other end's writer waited for that room (the
 * caller wakes it). */
bool link_consume(struct link *l, uint32_t e, uint32_t n);
/* Bytes waiting for end e. */
uint32_t link_held(const struct link *l, uint32_t e);

static inline uint32_t link_peer(uint32_t e)
{
    return e ^ 1;
}

#endif
