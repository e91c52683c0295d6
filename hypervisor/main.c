/* Boot: console, interrupt controller, zones, then every CPU idles until its vCPU starts. */
#include "arch/cpu.h"
#include "drivers/gic.h"
#include "drivers/pl011.h"
#include "drivers/timer.h"
#include "hypervisor/bench.h"
#include "hypervisor/irq.h"
#include "hypervisor/log.h"
#include "hypervisor/seed.h"
#include "hypervisor/vgic_lr.h"
#include "hypervisor/zone.h"

/* The list-register back-end of the machine's GIC (vgic_lr.h), set before any vCPU runs. */
const struct vgic_lr_ops *vgic_lr;

static void cpu_interrupts_init(uint32_t cpu)
{
    gic_init_cpu(cpu, read_sysreg(mpidr_el1));
    gic_enable_ppi(cpu, SGI_KICK);
    /* A zone's resumed console work re-raises SGI_KICK at once while a long chain lasts: below
     * the UART and the timers, it cannot starve them (the GIC breaks priority ties by lowest
     * INTID, which the SGI would win). */
    gic_set_ppi_priority(cpu, SGI_KICK, GIC_PRIO_LOW);
    gic_enable_ppi(cpu, GIC_MAINT_PPI);
    gic_enable_ppi(cpu, GIC_VTIMER_PPI);
    gic_enable_ppi(cpu, TIMER_EL2_PPI);
}

static void start_secondaries(void)
{
    for (uint32_t cpu = 1; cpu < platform.ncpus; cpu++) {
        int64_t r = cpu_start(cpu, platform.mpidr[cpu]);
        if (r != 0)
            hv_log("CPU %u (MPIDR 0x%lx) did not start: PSCI error %ld", cpu, platform.mpidr[cpu],
                   r);
    }
}

void hv_primary_main(void)
{
    /* First: the boot device tree may lie anywhere in RAM, and nothing may overwrite it yet. */
    bool seeded = seed_init(boot_fdt_pa, platform.ram_base, platform.ram_size);
    if (platform.board_init)
        platform.board_init();
    pl011_init(platform.uart_base, mux_uart_irq);
    if (platform.uart_clock)
        pl011_set_line(platform.uart_clock, CONSOLE_BAUD);
    mux_init(ESCAPE_CHAR, platform.focus);
    hv_log("hypervisor on %s: %u CPUs, %u zones, running at EL2", platform.name, platform.ncpus,
           platform.nzones);
    if (!seeded)
        hv_log("no random seed in the boot device tree (/chosen/rng-seed): zones get none");
    gic_init(&platform.gic);
    vgic_lr = platform.gic.version == 2 ? &vgic_lr_v2 : &vgic_lr_v3;
    cpu_interrupts_init(0);
    gic_enable_spi(platform.uart_intid, 0);
    bench_direct();
    zones_init();
    for (uint32_t i = 0; i < nzones; i++) {
        const struct zone_config *c = zones[i].cfg;
        hv_log("zone %u: %s, %u vCPU(s), RAM 0x%lx bytes at PA 0x%lx, console at IPA 0x%lx", i,
               c->name, c->ncpus, c->ram_size, c->ram_pa, c->virtio_ipa);
    }
    mux_start();
    start_secondaries();
    cpu_idle();
}

void hv_secondary_main(uint32_t cpu)
{
    cpu_interrupts_init(cpu);
    cpu_idle();
}
