/*
 * Ticket lock: waiters are served in arrival order, so no CPU that contends for a shared lock
 * (the multiplexer's, say) can be starved by others that keep retaking it. EL2 code holding one
 * always runs with IRQs masked.
 */
#ifndef ARCH_SPINLOCK_H
#define ARCH_SPINLOCK_H

#include <stdint.h>

typedef struct {
    uint32_t next;  /* ticket handed to the next arriving CPU */
    uint32_t owner; /* ticket now allowed in */
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        ;
}

static inline void spin_unlock(spinlock_t *l)
{
    /* Only the holder writes owner, so a plain increment published with release is enough. */
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif
