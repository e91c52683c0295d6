/* Physical interrupt dispatch: UART input to the multiplexer; kicks and maintenance interrupts
 * need no work here because every return to a guest re-evaluates its vCPU state. */
#include "hypervisor/irq.h"
#include "drivers/gicv3.h"
#include "hypervisor/config.h"
#include "hypervisor/log.h"
#include "hypervisor/mux.h"
#include "hypervisor/vtimer.h"

void irq_handle(void)
{
    for (;;) {
        uint32_t id = gicv3_ack();
        if (id >= GIC_SPURIOUS)
            return;
        if (id == platform.uart_intid)
            mux_uart_rx();
        else if (id == GIC_VTIMER_PPI)
            vtimer_irq();
        else if (id != SGI_KICK && id != GIC_MAINT_PPI)
            hv_log("unexpected physical interrupt %u", id);
        gicv3_eoi(id);
    }
}
