/*
 * EL1 exception handling. IRQs go to the GIC driver; anything unexpected is reported
 * and halts the guest, except data aborts inside an armed fault-catch window, which
 * test commands use to probe addresses the hypervisor should refuse.
 */
#ifndef TESTGUEST_EXCEPTIONS_H
#define TESTGUEST_EXCEPTIONS_H

#include <stdint.h>

struct fault_info {
    uint64_t esr, far, elr;
};

/*
 * Between fault_catch_begin() and fault_catch_end(), a synchronous data abort at EL1
 * skips the faulting instruction (its destination register keeps its old value) and
 * is recorded. fault_catch_end returns 1 and fills *out if one happened.
 */
void fault_catch_begin(void);
int fault_catch_end(struct fault_info *out);

#endif
