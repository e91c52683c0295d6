/* Zone-to-zone links: two bounded rings and a wake-up handshake that loses no wake-up. */
#include "hypervisor/port_link.h"

static void init_once(struct link *l)
{
    if (l->dir[0].buf)
        return;
    for (uint32_t d = 0; d < 2; d++)
        txring_init(&l->dir[d], l->buf[d], LINK_BUF);
}

bool link_attach(struct link *l, uint32_t end, void *owner, uint32_t port)
{
    if (end > 1 || l->end[end].owner)
        return false;
    init_once(l);
    l->end[end].owner = owner;
    l->end[end].port = port;
    l->end[end].tx_waits = 0;
    return true;
}

bool link_complete(const struct link *l)
{
    return l->end[0].owner && l->end[1].owner;
}

/*
 * The writer marks itself waiting and then looks at the room again; the reader frees room and
 * then looks at the mark. With a full barrier between each side's store and load, at least one
 * of them sees the other's store: either the writer finds the room (and goes on) or the reader
 * finds the mark (and wakes it). A spurious wake-up costs one exit; a lost one would hang the
 * writer.
 */
size_t link_write(struct link *l, uint32_t e, const uint8_t *buf, size_t len)
{
    struct txring *r = &l->dir[e];
    size_t n = txring_write(r, buf, len);
    if (n == len)
        return n;
    __atomic_store_n(&l->end[e].tx_waits, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return n + txring_write(r, buf + n, len - n);
}

uint32_t link_peek(struct link *l, uint32_t e, const uint8_t **p)
{
    return txring_peek(&l->dir[link_peer(e)], p);
}

bool link_consume(struct link *l, uint32_t e, uint32_t n)
{
    uint32_t w = link_peer(e);
    txring_consume(&l->dir[w], n);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_exchange_n(&l->end[w].tx_waits, 0, __ATOMIC_SEQ_CST) != 0;
}

uint32_t link_held(const struct link *l, uint32_t e)
{
    return txring_used(&l->dir[link_peer(e)]);
}
