/* Zones (statically partitioned VMs) and their vCPUs: one vCPU per owned physical CPU. */
#ifndef HV_ZONE_H
#define HV_ZONE_H

#include "arch/mmu.h"
#include "arch/spinlock.h"
#include "arch/traps.h"
#include "hypervisor/config.h"
#include "hypervisor/guest_mem.h"
#include "hypervisor/lifecycle.h"
#include "hypervisor/mux.h"
#include "hypervisor/ratelimit.h"
#include "hypervisor/vgic.h"
#include "hypervisor/virtio_console.h"
#include "hypervisor/virtio_multiport.h"
#include "hypervisor/vpl011.h"

enum vcpu_power { VCPU_OFF = 0, VCPU_ON_PENDING, VCPU_ON };

struct vcpu {
    struct zone *zone;
    uint32_t idx;
    uint32_t pcpu;
    uint64_t vmpidr;
    volatile uint32_t power;
    uint64_t entry, arg; /* where PSCI CPU_ON (or boot) starts it */
    volatile bool stop_req;
    bool con_work;  /* console transmit work to resume on this vCPU's CPU (zone_console_work) */
    bool port_work; /* multiport device work to do on this vCPU's CPU (zone_ports_work) */
};

struct zone {
    uint32_t id;
    const struct zone_config *cfg;
    struct guest_mem mem;
    struct stage2 s2;
    uint32_t nvcpus;
    struct vcpu vcpu[MAX_VCPUS];
    struct vgic vgic;
    spinlock_t con_lock; /* virtio console and emulated PL011 state */
    uint32_t con_vcpu;   /* the vCPU that last wrote to the console window */
    bool uncached_said;  /* "driver runs with caches off" said, not yet taken back (mmio.c) */
    struct vcon con;
    struct vpl011 vuart;
    spinlock_t ports_lock; /* the multiport device (cfg->nports > 0); never with another zone's */
    uint32_t ports_vcpu;   /* the vCPU that last wrote to the ports window */
    struct vmp ports;
    struct mux_zone mux;
    struct ratelimit log_rl;
    spinlock_t life_lock; /* serializes every life-cycle transition and every vCPU start/stop */
    struct life life;
    uint32_t boots;
};

extern struct zone zones[MAX_ZONES];
extern uint32_t nzones;

void zones_init(void);
struct vcpu *current_vcpu(void); /* NULL while this CPU idles at EL2 */
const char *zone_state_str(const struct zone *z);
bool zone_running(const struct zone *z);

/* Per-CPU life: idle at EL2 until our vCPU is started, then run it. Never returns. */
void cpu_idle(void) __attribute__((noreturn));
/* Called on every way back to the guest: stop requests, interrupt delivery. */
void vcpu_before_return(struct vcpu *v);
/* Tell the CPU running v to look at its state (SGI), unless that is us. */
void vcpu_kick(struct vcpu *v);

/* Whole-zone power: PSCI SYSTEM_OFF / SYSTEM_RESET and the console's restart command. */
void zone_power_off(struct zone *z);
void zone_restart(struct zone *z);
/* PSCI CPU_ON / CPU_OFF for one vCPU. */
int32_t vcpu_cpu_on(struct zone *z, uint64_t mpidr, uint64_t entry, uint64_t ctx);
void vcpu_cpu_off(struct vcpu *v) __attribute__((noreturn));

/* Console glue: let the zone's receive queue take held input now. */
void zone_console_kick(struct zone *z);
/* The multiplexer has room again for a zone whose transmit waited: resume it on its CPU. */
void zone_console_wake(struct zone *z);
/* SGI_KICK on a vCPU's CPU: resume its console transmit work if asked to (one budget). */
void zone_console_work(struct vcpu *v);

/* Multiport glue: this zone's ports have work (a link's other end wrote or made room): do it
 * on one of its CPUs. */
void zone_ports_wake(struct zone *z);
/* SGI_KICK on a vCPU's CPU: its zone's port work, if asked for (one budget). */
void zone_ports_work(struct vcpu *v);
/* One line describing port p of zone z, for the zone list. */
void zone_port_describe(const struct zone *z, uint32_t p, char *buf, size_t size);

/* Log one line about a zone, rate-limited per zone so a hostile guest cannot flood the UART. */
void zone_log(struct zone *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
