/*
 * Virtual timer forwarding. The guest owns CNTV_* directly (one vCPU per CPU, nothing to switch).
 * When it fires, the physical PPI 27 traps to EL2 because HCR_EL2.IMO is set; we mask the timer
 * output so the level drops, and make virtual PPI 27 pending. The guest's handler reprograms the
 * timer, which clears IMASK again (Linux's arch_timer does exactly that).
 */
#include "hypervisor/vtimer.h"
#include "arch/sysreg.h"
#include "drivers/gicv3.h"
#include "hypervisor/zone.h"

#define CNTV_CTL_IMASK (1ULL << 1)

void vtimer_irq(void)
{
    write_sysreg(cntv_ctl_el0, read_sysreg(cntv_ctl_el0) | CNTV_CTL_IMASK);
    isb();
    struct vcpu *v = current_vcpu();
    if (v && v->power == VCPU_ON)
        vgic_inject(v->zone, GIC_VTIMER_PPI, v);
}
