/* Physical interrupt dispatch: the UART to the multiplexer, the EL2 timer to its slots, the
 * maintenance interrupt to the vGIC; kicks need no work here beyond a zone's console work,
 * because every return to a guest re-evaluates its vCPU state. */
#include "hypervisor/irq.h"
#include "drivers/gic.h"
#include "drivers/timer.h"
#include "hypervisor/config.h"
#include "hypervisor/log.h"
#include "hypervisor/mux.h"
#include "hypervisor/vgic.h"
#include "hypervisor/vtimer.h"
#include "hypervisor/zone.h"

void irq_handle(void)
{
    for (;;) {
        uint32_t iar = gic_ack();
        uint32_t id = gic_iar_intid(iar);
        if (id >= GIC_SPURIOUS)
            return;
        if (id == platform.uart_intid)
            mux_uart_irq();
        else if (id == TIMER_EL2_PPI)
            timer_irq();
        else if (id == GIC_VTIMER_PPI)
            vtimer_irq();
        else if (id == SGI_KICK) {
            /* One budget of console work per exit: back to the guest, which takes the kick
             * again at once if there is more (bounded work per exit, and its own virtual
             * interrupts get in between). */
            gic_eoi(iar);
            zone_console_work(current_vcpu());
            zone_ports_work(current_vcpu());
            return;
        } else if (id == GIC_MAINT_PPI) {
            /* Underflow (the list registers drained while more interrupts were pending) or
             * the deactivation of a list register that asked to hear of it. The interrupt is
             * level-sensitive and stays asserted while its condition holds, so the vGIC removes
             * the condition (vgic_maintenance folds the list registers back and refills them);
             * merely acknowledging it would take it again at once, forever. */
            struct vcpu *v = current_vcpu();
            if (v && __atomic_load_n(&v->power, __ATOMIC_ACQUIRE) == VCPU_ON)
                vgic_maintenance(&v->zone->vgic, v->idx);
            else
                vgic_maintenance_idle();
        } else {
            hv_log("unexpected physical interrupt %u", id);
        }
        gic_eoi(iar);
    }
}
