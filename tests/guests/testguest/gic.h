/*
 * GIC driver for a single CPU (affinity 0): GICv3 with group 1 interrupts and the system register
 * CPU interface, or GICv2 with group 0 interrupts and the memory-mapped CPU interface. Touches
 * only the registers the hypervisor emulates for this guest.
 */
#ifndef TESTGUEST_GIC_H
#define TESTGUEST_GIC_H

#include <stdint.h>

typedef void (*irq_handler_fn)(uint32_t intid);

struct gic_info {
    uint64_t gicd; /* distributor base */
    uint64_t gicr; /* GICv3: this CPU's redistributor frame (RD_base); GICv2: GICC */
    int version;
    uint32_t lines;      /* number of INTIDs the distributor implements */
    uint64_t gicr_typer; /* for diagnostics */
};

int gic_init(int version, uint64_t gicd, uint64_t gicr);
/* Configures and enables SPI intid (edge or level triggered), routed to affinity 0. */
int gic_enable_spi(uint32_t intid, int edge, irq_handler_fn fn);
/*
 * PPI intid (16-31) of this CPU enabled (group 1) as a wake-up source, or disabled with its
 * pending state cleared. With IRQs masked, wfi still ends when it is pending; should it be taken
 * later anyway, it has no handler and is just acknowledged. -1 without a GIC.
 */
int gic_ppi_wake(uint32_t intid, int on);
/* PPI intid (16-31) of this CPU enabled with a handler. */
int gic_enable_ppi(uint32_t intid, irq_handler_fn fn);
/* SPI intid's priority (lower is more urgent), enabled or not. */
int gic_set_spi_priority(uint32_t intid, uint8_t prio);
/* The handler of an enabled intid replaced by fn; returns the old one (0: intid has none). */
irq_handler_fn gic_set_handler(uint32_t intid, irq_handler_fn fn);
/* SPIs first .. first+n-1 (n <= 32) made pending through GICD_ISPENDR, all at once. */
int gic_set_pending_spis(uint32_t first, uint32_t n);
/* Called from the IRQ vector. */
void gic_handle_irq(void);
const struct gic_info *gic_get_info(void);

#endif
