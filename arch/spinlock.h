/*
 * Ticket lock: waiters are served in arrival order, so no CPU that contends for a shared lock
 * (the multiplexer's, say) can be starved by others that keep retaking it. EL2 code holding one
 * always runs with IRQs masked.
 *
 * A waiter sleeps in WFE between looks, with the owner field in its exclusive monitor: the
 * releasing store clears the monitor, which is an event that ends the WFE (the arm64 Linux ticket
 * lock did the same). Besides saving power, that hands the CPU over under emulation: QEMU treats
 * WFE as a yield, so with all vCPUs on one host thread (-icount) a waiter no longer spins out a
 * whole time slice while the owner, preempted by the round robin, cannot release the lock.
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
    uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
    if (owner == me)
        return;
#ifdef __aarch64__
    /* SEVL: the first WFE falls through; every later one waits for the monitor to be cleared. */
    __asm__ volatile("sevl" ::: "memory");
    do {
        __asm__ volatile("wfe\n\t"
                         "ldaxr %w0, %1"
                         : "=&r"(owner)
                         : "Q"(l->owner)
                         : "memory");
    } while (owner != me);
#else
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        ;
#endif
}

static inline void spin_unlock(spinlock_t *l)
{
    /* Only the holder writes owner, so a plain increment published with release is enough. */
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif
