/* Zones: creation from the static configuration, vCPU life cycle, zone power, console glue. */
#include "hypervisor/zone.h"
#include "arch/cpu.h"
#include "arch/psci_call.h"
#include "arch/sysreg.h"
#include "drivers/gic.h"
#include "hypervisor/irq.h"
#include "hypervisor/lifecycle.h"
#include "hypervisor/log.h"
#include "hypervisor/seed.h"
#include "hypervisor/vgic_v2.h"
#include "hypervisor/vtimer.h"

#define HCR_VM (1ULL << 0)
#define HCR_SWIO (1ULL << 1)
#define HCR_FMO (1ULL << 3)
#define HCR_IMO (1ULL << 4)
#define HCR_AMO (1ULL << 5)
#define HCR_FB (1ULL << 9)
#define HCR_BSU_IS (1ULL << 10)
#define HCR_TSC (1ULL << 19)
#define HCR_RW (1ULL << 31)
#define HCR_GUEST                                                                                  \
    (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TSC | HCR_RW)

#define SCTLR_EL1_RESET 0x30d00800ULL /* RES1 bits, MMU and caches off */
#define CPTR_EL2_RES1 0x33ffULL       /* FP/SIMD not trapped */
#define SPSR_EL1H_MASKED 0x3c5ULL

struct zone zones[MAX_ZONES];
uint32_t nzones;
static struct vcpu *pcpu_vcpu[MAX_CPUS];
static spinlock_t log_lock;

extern uint8_t __image_start[], __image_end[];

struct vcpu *current_vcpu(void)
{
    return pcpu_vcpu[cpu_id()];
}

const char *zone_state_str(const struct zone *z)
{
    return life_str(&z->life);
}

bool zone_running(const struct zone *z)
{
    return __atomic_load_n(&z->life.state, __ATOMIC_ACQUIRE) == LIFE_RUNNING;
}

void zone_log(struct zone *z, const char *fmt, ...)
{
    char msg[160];
    uint32_t suppressed;
    spin_lock(&log_lock);
    bool ok = ratelimit_allow(&z->log_rl, counter_now(), counter_freq() / 10, &suppressed);
    spin_unlock(&log_lock);
    if (!ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (suppressed)
        hv_log("zone %u (%s): %s [%u similar lines suppressed]", z->id, z->cfg->name, msg,
               suppressed);
    else
        hv_log("zone %u (%s): %s", z->id, z->cfg->name, msg);
}

/* ---- console glue: the virtio console's view of the rest of the hypervisor ---- */

static size_t con_output(void *ctx, const uint8_t *buf, size_t len, bool may_wait)
{
    return mux_zone_output(ctx, buf, len, may_wait);
}

static void uart_output(void *ctx, const uint8_t *buf, size_t len)
{
    /* The emulated PL011 never reports its FIFO full: what the ring cannot take is counted. */
    mux_zone_output(ctx, buf, len, false);
}

/* Interrupt this CPU's guest at EL2 right after it resumes (a physical SGI: the guest's own
 * interrupt masking cannot hold it off), to run v's console work in a fresh, bounded exit. */
static void con_work_later(struct vcpu *v)
{
    __atomic_store_n(&v->con_work, true, __ATOMIC_RELEASE);
    dsb(ish);
    gic_send_sgi(v->pcpu, SGI_KICK);
}

static void con_tx_later(void *ctx)
{
    struct zone *z = ctx;
    struct vcpu *v = current_vcpu();
    con_work_later(v && v->zone == z ? v : &z->vcpu[z->con_vcpu]);
}

static void con_set_irq(void *ctx, bool level)
{
    struct zone *z = ctx;
    vgic_set_level(&z->vgic, 0, z->cfg->virtio_intid, level);
}

static void con_fault(void *ctx, const char *what)
{
    zone_log(ctx, "virtio-console: %s; device needs reset", what);
}

static void con_input_space(void *ctx)
{
    mux_input_space(ctx);
}

static const struct vcon_host con_host = {
    .output = con_output,
    .tx_later = con_tx_later,
    .set_irq = con_set_irq,
    .fault = con_fault,
    .input_space = con_input_space,
};

static void uart_set_irq(void *ctx, bool level)
{
    struct zone *z = ctx;
    vgic_set_level(&z->vgic, 0, z->cfg->vpl011_intid, level);
}

static bool uart_tx_full(void *ctx)
{
    return mux_zone_output_full(ctx);
}

static const struct vpl011_host uart_host = {
    .output = uart_output,
    .tx_full = uart_tx_full,
    .set_irq = uart_set_irq,
};

static void vgic_kick(void *ctx, uint32_t vidx)
{
    struct vcpu *v = &((struct zone *)ctx)->vcpu[vidx];
    if (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) == VCPU_ON)
        vcpu_kick(v);
}

/* The devices behind the zone's interrupt lines, asked again when the guest deactivates one:
 * the virtual timer re-arms its output (and its line is low until it fires again); the console
 * and the emulated PL011 drive their lines themselves, so they stay as they are. */
static bool vgic_resample(void *ctx, uint32_t vidx, uint32_t intid, bool line)
{
    (void)ctx;
    (void)vidx;
    if (intid == GIC_VTIMER_PPI) {
        vtimer_deactivated();
        return false;
    }
    return line;
}

static const struct vgic_host vgic_host = {
    .kick = vgic_kick,
    .resample = vgic_resample,
};

void zone_console_kick(struct zone *z)
{
    spin_lock(&z->con_lock);
    /* Keyboard input goes to the virtio console once it is live, else to the emulated PL011. */
    if (z->cfg->vpl011_ipa && vpl011_takes_input(&z->vuart))
        vpl011_input_changed(&z->vuart);
    else
        vcon_rx_deliver(&z->con);
    spin_unlock(&z->con_lock);
}

void zone_console_wake(struct zone *z)
{
    /* The vCPU that last used the console, or any that runs: the device state is the zone's. */
    struct vcpu *v = &z->vcpu[z->con_vcpu];
    for (uint32_t i = 0; i < z->nvcpus && v->power != VCPU_ON; i++)
        v = &z->vcpu[i];
    if (v->power == VCPU_ON)
        con_work_later(v);
}

void zone_console_work(struct vcpu *v)
{
    if (!v || !__atomic_exchange_n(&v->con_work, false, __ATOMIC_ACQ_REL))
        return;
    struct zone *z = v->zone;
    spin_lock(&z->con_lock);
    vcon_tx_resume(&z->con);
    spin_unlock(&z->con_lock);
}

/* ---- multiport glue: the data ports' device and the links between zones ---- */

static void ports_set_irq(void *ctx, bool level)
{
    struct zone *z = ctx;
    vgic_set_level(&z->vgic, 0, z->cfg->ports_intid, level);
}

static void ports_fault(void *ctx, const char *what)
{
    zone_log(ctx, "virtio ports: %s; device needs reset", what);
}

static void ports_refused(void *ctx, uint32_t port, const char *what)
{
    zone_log(ctx, "virtio ports: control message (port %u) refused: %s", port, what);
}

static void port_work_later(struct vcpu *v)
{
    __atomic_store_n(&v->port_work, true, __ATOMIC_RELEASE);
    dsb(ish);
    gic_send_sgi(v->pcpu, SGI_KICK);
}

static void ports_work_later(void *ctx)
{
    struct zone *z = ctx;
    struct vcpu *v = current_vcpu();
    port_work_later(v && v->zone == z ? v : &z->vcpu[z->ports_vcpu]);
}

static void ports_link_wake(struct link *l, uint32_t end)
{
    zone_ports_wake(l->end[end].owner);
}

static const struct vmp_host ports_host = {
    .set_irq = ports_set_irq,
    .fault = ports_fault,
    .refused = ports_refused,
    .work_later = ports_work_later,
    .link_wake = ports_link_wake,
};

void zone_ports_wake(struct zone *z)
{
    /* Any running vCPU will do, the one that last used the device first; with none running,
     * the device's next register access (the new boot's set-up) looks at everything anyway. */
    struct vcpu *v = &z->vcpu[z->ports_vcpu];
    for (uint32_t i = 0; i < z->nvcpus && v->power != VCPU_ON; i++)
        v = &z->vcpu[i];
    if (v->power == VCPU_ON)
        port_work_later(v);
}

void zone_ports_work(struct vcpu *v)
{
    if (!v || !__atomic_exchange_n(&v->port_work, false, __ATOMIC_ACQ_REL))
        return;
    struct zone *z = v->zone;
    spin_lock(&z->ports_lock);
    vmp_work(&z->ports);
    spin_unlock(&z->ports_lock);
}

static const char *const port_kind_names[] = {[PORT_LINK] = "link", [PORT_LOG] = "log"};

void zone_port_describe(const struct zone *z, uint32_t p, char *buf, size_t size)
{
    const struct vmp_port *pt = &z->ports.port[p];
    const struct port_cfg *c = pt->cfg;
    char peer[48] = "";
    uint64_t held = 0;
    if (c->kind == PORT_LINK) {
        const struct link_end *e = &c->link->end[link_peer(c->end)];
        const struct zone *pz = e->owner;
        hv_snprintf(peer, sizeof(peer), "<-> %s:%s", pz->cfg->name, pz->cfg->ports[e->port].name);
        held = link_held(c->link, c->end);
    } else {
        hv_snprintf(peer, sizeof(peer), "%lu bytes kept",
                    pt->log.written - history_dropped(&pt->log));
        held = 0;
    }
    hv_snprintf(buf, size, "     port %u %-8s %-4s %-22s %-6s tx %10lu rx %10lu waiting %lu", p,
                c->name, port_kind_names[c->kind], peer,
                vmp_guest_open(&z->ports, p) ? "open" : "closed", pt->bytes_tx, pt->bytes_rx, held);
}

/* ---- images ---- */

static bool blob_fits(const struct zone_config *c, const struct blob *b, uint64_t off)
{
    uint64_t len = (uint64_t)(b->end - b->start);
    return off <= c->ram_size && len <= c->ram_size - off;
}

static void load_blob(struct zone *z, const struct blob *b, uint64_t off)
{
    if (!b->start)
        return;
    uint8_t *dst = z->mem.hva + off;
    uint64_t len = (uint64_t)(b->end - b->start);
    memcpy(dst, b->start, len);
    /* The guest starts with its MMU off: its fetches and loads bypass our caches. */
    dcache_clean_range(dst, len);
}

/* Copy pristine kernel, device tree and initramfs into the zone's RAM and point vCPU 0 at it. */
static void zone_load(struct zone *z)
{
    const struct zone_config *c = z->cfg;
    load_blob(z, &c->kernel, c->kernel_offset);
    load_blob(z, &c->dtb, c->dtb_offset);
    if (c->dtb.start) {
        /* This boot's own random seed in /chosen (hypervisor/seed.h). */
        uint8_t *dtb = z->mem.hva + c->dtb_offset;
        uint64_t len = (uint64_t)(c->dtb.end - c->dtb.start);
        seed_zone_dtb(dtb, len, z->id, z->boots);
        dcache_clean_range(dtb, len);
    }
    load_blob(z, &c->initrd, c->initrd_offset);
    icache_invalidate_all();
    z->vcpu[0].entry = c->ram_ipa + c->kernel_offset;
    z->vcpu[0].arg = c->ram_ipa + c->dtb_offset;
    z->boots++;
}

static void check_config(const struct zone_config *c)
{
    uint64_t hv_lo = (uint64_t)__image_start, hv_hi = (uint64_t)__image_end;
    if (c->ram_pa < hv_hi && hv_lo < c->ram_pa + c->ram_size)
        hv_panic("config: %s RAM 0x%lx+0x%lx overlaps the hypervisor at 0x%lx-0x%lx", c->name,
                 c->ram_pa, c->ram_size, hv_lo, hv_hi);
    if (!blob_fits(c, &c->kernel, c->kernel_offset) || !blob_fits(c, &c->dtb, c->dtb_offset) ||
        !blob_fits(c, &c->initrd, c->initrd_offset))
        hv_panic("config: %s images do not fit its RAM", c->name);
    if (c->ncpus == 0 || c->ncpus > MAX_VCPUS)
        hv_panic("config: %s has %u CPUs", c->name, c->ncpus);
    /* No history is allowed (conout.c: a focused zone then writes straight into the transmit
     * ring, a background one's output is counted as dropped); a size without a buffer is not. */
    if (c->history_size && !c->history)
        hv_panic("config: %s has a history size but no history ring", c->name);
}

/* A GICv2 zone reaches its virtual CPU interface directly: the physical GICV frame at the
 * address of its GICC (the list registers behind it are this CPU's, for this zone's vCPU). */
static bool map_gic_cpu(struct zone *z)
{
    if (platform.gic.version != 2)
        return true;
    return stage2_map_device(&z->s2, platform.vgicc_ipa, platform.gic.gicv, VGIC_V2_CPU_SIZE);
}

static void zone_create(struct zone *z, uint32_t id, const struct zone_config *c)
{
    check_config(c);
    z->id = id;
    z->cfg = c;
    z->mem.ipa_base = c->ram_ipa;
    z->mem.size = c->ram_size;
    z->mem.hva = (uint8_t *)c->ram_pa;
    if (!stage2_init(&z->s2, (uint16_t)(id + 1)) ||
        !stage2_map(&z->s2, c->ram_ipa, c->ram_pa, c->ram_size) || !map_gic_cpu(z))
        hv_panic("config: out of stage-2 tables for %s", c->name);
    z->nvcpus = c->ncpus;
    for (uint32_t i = 0; i < c->ncpus; i++) {
        struct vcpu *v = &z->vcpu[i];
        v->zone = z;
        v->idx = i;
        v->pcpu = c->cpus[i];
        v->vmpidr = (1ULL << 31) | i; /* Aff0 = vCPU index; bit 31 is RES1 */
        if (v->pcpu >= platform.ncpus || pcpu_vcpu[v->pcpu])
            hv_panic("config: %s CPU %u is missing or shared", c->name, v->pcpu);
        pcpu_vcpu[v->pcpu] = v;
    }
    vgic_init(&z->vgic, z->nvcpus, &vgic_host, z);
    vcon_init(&z->con, &z->mem, c->cols, c->rows, &con_host, z);
    vpl011_init(&z->vuart, &z->con, &uart_host, z);
    if (c->nports && !vmp_init(&z->ports, &z->mem, c->ports, c->nports, &ports_host, z))
        hv_panic("config: %s ports are wrong (a name, a link end used twice, a count)", c->name);
    mux_zone_init(z);
    zone_load(z);
    life_init(&z->life);
    z->vcpu[0].power = VCPU_ON_PENDING;
}

void zones_init(void)
{
    nzones = platform.nzones;
    for (uint32_t i = 0; i < nzones; i++)
        zone_create(&zones[i], i, &platform.zones[i]);
    for (uint32_t i = 0; i < nzones; i++)
        for (uint32_t p = 0; p < zones[i].cfg->nports; p++) {
            const struct port_cfg *c = &zones[i].cfg->ports[p];
            if (c->kind == PORT_LINK && !link_complete(c->link))
                hv_panic("config: %s port %s: its link has no other end", zones[i].cfg->name,
                         c->name);
        }
}

/* ---- vCPU life cycle ---- */

void vcpu_kick(struct vcpu *v)
{
    if (v->pcpu != cpu_id())
        gic_send_sgi(v->pcpu, SGI_KICK);
}

/* Runs on a fresh stack whose top TRAP_FRAME_SIZE bytes are free: the guest's first frame. */
static void vcpu_enter_fresh(void) __attribute__((noreturn));
static void vcpu_enter_fresh(void)
{
    struct vcpu *v = current_vcpu();
    struct zone *z = v->zone;
    write_sysreg(vttbr_el2, stage2_vttbr(&z->s2));
    write_sysreg(vtcr_el2, stage2_vtcr());
    isb();
    __asm__ volatile("tlbi vmalls12e1\n dsb ish" ::: "memory");
    write_sysreg(vmpidr_el2, v->vmpidr);
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    write_sysreg(hcr_el2, HCR_GUEST);
    write_sysreg(cptr_el2, CPTR_EL2_RES1);
    write_sysreg(mdcr_el2, 0);
    write_sysreg(cnthctl_el2, 3); /* EL1 may read the physical counter and timer */
    write_sysreg(cntvoff_el2, 0);
    write_sysreg(sctlr_el1, SCTLR_EL1_RESET);
    write_sysreg(cntv_ctl_el0, 0);
    write_sysreg(cntp_ctl_el0, 0);
    vtimer_reset();
    gic_vcpu_reset();
    isb();

    struct trap_frame *f = (struct trap_frame *)cpu_stack_top(cpu_id()) - 1;
    memset(f, 0, sizeof(*f));
    f->x[0] = v->arg;
    f->elr = v->entry;
    f->spsr = SPSR_EL1H_MASKED;
    __atomic_store_n(&v->power, VCPU_ON, __ATOMIC_RELEASE);
    vgic_flush(&z->vgic, v->idx);
    arch_enter_frame(f);
}

static void vcpu_enter(void) __attribute__((noreturn));
static void vcpu_enter(void)
{
    /* Drop the idle loop's frames; the frame for eret sits at the very top of the stack. */
    uint8_t *top = cpu_stack_top(cpu_id());
    arch_reset_stack(top - sizeof(struct trap_frame), vcpu_enter_fresh);
}

/* ---- the zone's life cycle (lifecycle.h), serialized by z->life_lock ---- */

static void do_stop_all(struct zone *z);

/* Under life_lock: the zone's vCPUs are all off; if a stop was under way, it is complete. */
static void stop_progress(struct zone *z)
{
    for (uint32_t i = 0; i < z->nvcpus; i++)
        if (__atomic_load_n(&z->vcpu[i].power, __ATOMIC_ACQUIRE) != VCPU_OFF)
            return;
    if (life_all_stopped(&z->life) == LIFE_DO_LOAD)
        vcpu_kick(&z->vcpu[0]); /* vCPU 0's CPU reloads (cpu_idle) */
}

/* Under life_lock: carry out what a transition asked for. */
static void life_act(struct zone *z, enum life_action a)
{
    if (a == LIFE_DO_STOP_ALL)
        do_stop_all(z);
}

static void vcpu_stop(struct vcpu *v) __attribute__((noreturn));
static void vcpu_stop(struct vcpu *v)
{
    struct zone *z = v->zone;
    vgic_save(&z->vgic, v->idx); /* pending and active interrupts stay with the zone */
    gic_vcpu_off();
    spin_lock(&z->life_lock);
    v->stop_req = false;
    __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
    stop_progress(z);
    spin_unlock(&z->life_lock);
    arch_reset_stack(cpu_stack_top(cpu_id()), cpu_idle);
}

void vcpu_before_return(struct vcpu *v)
{
    if (v->stop_req)
        vcpu_stop(v);
    vgic_flush(&v->zone->vgic, v->idx);
}

void vcpu_cpu_off(struct vcpu *v)
{
    vcpu_stop(v);
}

int32_t vcpu_cpu_on(struct zone *z, uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
    struct vcpu *t = NULL;
    for (uint32_t i = 0; i < z->nvcpus && !t; i++)
        if ((z->vcpu[i].vmpidr & 0xff00ffffffULL) == (mpidr & 0xff00ffffffULL))
            t = &z->vcpu[i];
    if (!t || !gmem_translate(&z->mem, entry, 4))
        return PSCI_INVALID_PARAMETERS;
    int32_t ret = PSCI_SUCCESS;
    spin_lock(&z->life_lock);
    uint32_t power = __atomic_load_n(&t->power, __ATOMIC_ACQUIRE);
    if (!life_may_cpu_on(&z->life)) {
        ret = PSCI_DENIED; /* the zone is stopping: nothing may start */
    } else if (power != VCPU_OFF) {
        ret = power == VCPU_ON ? PSCI_ALREADY_ON : PSCI_ON_PENDING;
    } else {
        /* Only now, with the start certain: a failing call never touches a start in flight. */
        t->entry = entry;
        t->arg = ctx;
        __atomic_store_n(&t->power, VCPU_ON_PENDING, __ATOMIC_RELEASE);
    }
    spin_unlock(&z->life_lock);
    if (ret == PSCI_SUCCESS)
        vcpu_kick(t);
    return ret;
}

/* Under life_lock: every vCPU that is on (or about to be) is asked to stop. */
static void do_stop_all(struct zone *z)
{
    for (uint32_t i = 0; i < z->nvcpus; i++) {
        struct vcpu *v = &z->vcpu[i];
        if (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) != VCPU_OFF) {
            v->stop_req = true;
            vcpu_kick(v);
        }
    }
    stop_progress(z); /* nothing was running: complete now */
}

void zone_power_off(struct zone *z)
{
    spin_lock(&z->life_lock);
    life_act(z, life_request_off(&z->life));
    spin_unlock(&z->life_lock);
    mux_input_space(z); /* input for it is discarded now, so UART reading may resume */
}

void zone_restart(struct zone *z)
{
    spin_lock(&z->life_lock);
    life_act(z, life_request_restart(&z->life));
    spin_unlock(&z->life_lock);
}

/* On vCPU 0's CPU, in LOADING: reset the devices, reload the images, start vCPU 0. No request
 * can change anything meanwhile (lifecycle.h: LOADING only remembers an off). */
static void zone_do_load(struct zone *z)
{
    for (uint32_t i = 0; i < z->nvcpus; i++)
        z->vcpu[i].stop_req = false; /* a restart clears every stop request */
    vgic_reset(&z->vgic);
    spin_lock(&z->con_lock);
    vmmio_init(&z->con.mmio); /* held keyboard input stays for the new boot */
    vpl011_init(&z->vuart, &z->con, &uart_host, z);
    spin_unlock(&z->con_lock);
    if (z->cfg->nports) {
        /* The new boot starts the ports' handshake over; bytes on its links stay for it. */
        spin_lock(&z->ports_lock);
        vmmio_init(&z->ports.mmio);
        spin_unlock(&z->ports_lock);
    }
    zone_load(z);
    zone_log(z, "restarted (boot %u)", z->boots);
    spin_lock(&z->life_lock);
    __atomic_store_n(&z->vcpu[0].power, VCPU_ON_PENDING, __ATOMIC_RELEASE);
    life_act(z, life_loaded(&z->life));
    spin_unlock(&z->life_lock);
}

void cpu_idle(void)
{
    struct vcpu *v = current_vcpu();
    for (;;) {
        if (v) {
            struct zone *z = v->zone;
            if (v->stop_req) {
                /* Asked to stop before it ever ran (started just before the zone stopped). */
                spin_lock(&z->life_lock);
                if (v->power != VCPU_ON) {
                    v->stop_req = false;
                    __atomic_store_n(&v->power, VCPU_OFF, __ATOMIC_RELEASE);
                    stop_progress(z);
                }
                spin_unlock(&z->life_lock);
            }
            if (v->idx == 0 && __atomic_load_n(&z->life.state, __ATOMIC_ACQUIRE) == LIFE_LOADING)
                zone_do_load(z);
            if (__atomic_load_n(&v->power, __ATOMIC_ACQUIRE) == VCPU_ON_PENDING && !v->stop_req)
                vcpu_enter();
        }
        /* A pending interrupt ends WFI even while masked, so no wake-up is missed here. */
        wfi();
        irq_enable();
        isb();
        irq_disable();
    }
}
