/*
 * Exception handlers called from arch/vectors.S. Guest exceptions are decoded here and handed to
 * hypervisor/ (MMIO emulation, PSCI, vGIC); anything we cannot emulate becomes an exception
 * injected into the guest plus one rate-limited log line. Nothing a guest does reaches a panic.
 */
#include "arch/traps.h"
#include "arch/cpu.h"
#include "arch/esr.h"
#include "arch/sysreg.h"
#include "hypervisor/irq.h"
#include "hypervisor/log.h"
#include "hypervisor/mmio.h"
#include "hypervisor/psci.h"
#include "hypervisor/vgic_v3.h"
#include "hypervisor/zone.h"

#define SPSR_EL1H_MASKED 0x3c5ULL
#define DFSC_SYNC_EXTERNAL 0x10

/* Deliver a synchronous exception to the guest's EL1 as the hardware would. */
static void inject_sync(struct trap_frame *f, uint64_t esr, uint64_t far)
{
    uint64_t vbar = read_sysreg(vbar_el1);
    uint64_t off = el1_sync_vector_offset(f->spsr);
    write_sysreg(esr_el1, esr);
    write_sysreg(far_el1, far);
    write_sysreg(elr_el1, f->elr);
    write_sysreg(spsr_el1, f->spsr);
    f->elr = vbar + off;
    f->spsr = SPSR_EL1H_MASKED;
}

static bool from_el0(const struct trap_frame *f)
{
    return spsr_from_el0(f->spsr);
}

void inject_data_abort(struct trap_frame *f, uint64_t far, bool write)
{
    uint64_t ec = from_el0(f) ? EC_DABT_LOW : EC_DABT_CUR;
    uint64_t esr = (ec << 26) | ESR_IL | (write ? (1u << 6) : 0) | DFSC_SYNC_EXTERNAL;
    inject_sync(f, esr, far);
}

void inject_insn_abort(struct trap_frame *f, uint64_t far)
{
    uint64_t ec = from_el0(f) ? EC_IABT_LOW : EC_IABT_CUR;
    inject_sync(f, (ec << 26) | ESR_IL | DFSC_SYNC_EXTERNAL, far);
}

void inject_undef(struct trap_frame *f)
{
    inject_sync(f, ((uint64_t)EC_UNKNOWN << 26) | ESR_IL, 0);
}

static void handle_dabt(struct vcpu *v, struct trap_frame *f, uint64_t esr)
{
    struct mmio_access a;
    uint64_t far = read_sysreg(far_el2);
    enum dabt_result r = esr_decode_dabt(esr, read_sysreg(hpfar_el2), far, &a);
    if (r != DABT_OK) {
        zone_log(v->zone, "abort injected: %s access to IPA 0x%lx at pc 0x%lx: %s",
                 a.write ? "write" : "read", a.ipa, f->elr, dabt_result_str(r));
        inject_data_abort(f, far, a.write);
        return;
    }
    uint64_t val = a.write ? frame_reg(f, a.reg) : 0;
    if (a.write && a.width < 8)
        val &= (1ULL << (a.width * 8)) - 1;
    if (!mmio_emulate(v, &a, &val)) {
        zone_log(v->zone, "abort injected: %u-byte %s at unmapped IPA 0x%lx, pc 0x%lx", a.width,
                 a.write ? "write" : "read", a.ipa, f->elr);
        inject_data_abort(f, far, a.write);
        return;
    }
    if (!a.write)
        frame_set_reg(f, a.reg, mmio_load_extend(&a, val));
    f->elr += esr_insn_len(esr);
}

static void handle_sysreg(struct vcpu *v, struct trap_frame *f, uint64_t esr)
{
    struct sysreg_access s;
    esr_decode_sysreg(esr, &s);
    if (sysreg_enc(&s) == SYSREG_ENC(3, 0, 12, 11, 5) && !s.read) { /* ICC_SGI1R_EL1 */
        vgic_v3_send_sgi(&v->zone->vgic, v->idx, frame_reg(f, s.reg));
        f->elr += esr_insn_len(esr);
        return;
    }
    if (sysreg_enc(&s) == SYSREG_ENC(3, 0, 12, 11, 6) || /* ICC_ASGI1R_EL1, ICC_SGI0R_EL1 */
        sysreg_enc(&s) == SYSREG_ENC(3, 0, 12, 11, 7)) {
        f->elr += esr_insn_len(esr); /* group 0 / other-security SGIs do not exist for a zone */
        return;
    }
    zone_log(v->zone,
             "undefined instruction injected: system register S%u_%u_C%u_C%u_%u at pc 0x%lx", s.op0,
             s.op1, s.crn, s.crm, s.op2, f->elr);
    inject_undef(f);
}

void trap_guest_sync(struct trap_frame *f)
{
    struct vcpu *v = current_vcpu();
    uint64_t esr = read_sysreg(esr_el2);
    switch (ESR_EC(esr)) {
    case EC_DABT_LOW:
        handle_dabt(v, f, esr);
        break;
    case EC_IABT_LOW:
        zone_log(v->zone, "abort injected: instruction fetch from IPA 0x%lx",
                 ((read_sysreg(hpfar_el2) >> 4) << 12) | (read_sysreg(far_el2) & 0xfff));
        inject_insn_abort(f, read_sysreg(far_el2));
        break;
    case EC_HVC64:
        psci_handle(v, f); /* ELR already points past the HVC */
        break;
    case EC_SMC64:
        f->elr += esr_insn_len(esr); /* a trapped SMC returns to itself */
        psci_handle(v, f);
        break;
    case EC_SYSREG:
        handle_sysreg(v, f, esr);
        break;
    case EC_WFX:
        f->elr += esr_insn_len(esr);
        break;
    default:
        zone_log(v->zone, "undefined instruction injected: exception class 0x%lx at pc 0x%lx",
                 ESR_EC(esr), f->elr);
        inject_undef(f);
        break;
    }
    vcpu_before_return(v);
}

void trap_guest_irq(struct trap_frame *f)
{
    UNUSED(f);
    irq_handle();
    vcpu_before_return(current_vcpu());
}

void trap_guest_serror(struct trap_frame *f)
{
    struct vcpu *v = current_vcpu();
    zone_log(v->zone, "SError from guest at pc 0x%lx, ESR 0x%lx: ignored", f->elr,
             read_sysreg(esr_el2));
    vcpu_before_return(v);
}

void trap_el2_irq(struct trap_frame *f)
{
    UNUSED(f);
    irq_handle();
}

void trap_el2_sync(struct trap_frame *f)
{
    hv_panic("EL2 exception: ESR 0x%lx FAR 0x%lx ELR 0x%lx on CPU %u", read_sysreg(esr_el2),
             read_sysreg(far_el2), f->elr, cpu_id());
}

void trap_el2_bad(struct trap_frame *f)
{
    hv_panic("unexpected EL2 exception vector: ESR 0x%lx ELR 0x%lx on CPU %u", read_sysreg(esr_el2),
             f->elr, cpu_id());
}
