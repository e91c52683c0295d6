/*
 * Virtual timer forwarding. The guest owns CNTV_* directly (one vCPU per CPU, nothing to switch).
 * When it fires, the physical PPI 27 traps to EL2 because HCR_EL2.IMO is set; we mask the timer
 * output (CNTV_CTL.IMASK) so the physical level drops, and raise the line of virtual PPI 27 (a
 * level interrupt: the vGIC hears of its deactivation). When the guest deactivates it, the vGIC
 * asks the zone to resample the line, which lands in vtimer_deactivated: the output is unmasked
 * and the line reported low until the timer fires again. A guest whose handler only moves CVAL
 * or TVAL on, never touching CNTV_CTL, goes on ticking. (Linux rewrites CNTV_CTL itself, which
 * clears IMASK earlier; that is harmless.)
 */
#include "hypervisor/vtimer.h"
#include "arch/cpu.h"
#include "arch/sysreg.h"
#include "drivers/gic.h"
#include "hypervisor/zone.h"

#define CNTV_CTL_IMASK (1ULL << 1)

/* Per physical CPU (each runs one vCPU): we, not the guest, set IMASK. */
static bool masked_by_us[MAX_CPUS];

void vtimer_irq(void)
{
    write_sysreg(cntv_ctl_el0, read_sysreg(cntv_ctl_el0) | CNTV_CTL_IMASK);
    isb();
    masked_by_us[cpu_id()] = true;
    struct vcpu *v = current_vcpu();
    if (v && v->power == VCPU_ON)
        vgic_set_level(&v->zone->vgic, v->idx, GIC_VTIMER_PPI, true);
}

void vtimer_deactivated(void)
{
    if (!masked_by_us[cpu_id()])
        return;
    masked_by_us[cpu_id()] = false;
    /* Unmasked: if the deadline has passed again meanwhile, the timer fires again at once. */
    write_sysreg(cntv_ctl_el0, read_sysreg(cntv_ctl_el0) & ~CNTV_CTL_IMASK);
    isb();
}

void vtimer_reset(void)
{
    masked_by_us[cpu_id()] = false;
}
