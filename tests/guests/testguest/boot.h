/* What boot_main learned from the device tree (read-only after boot). */
#ifndef TESTGUEST_BOOT_H
#define TESTGUEST_BOOT_H

#include <stdint.h>

#define ZONE_NAME_MAX 63

struct boot_info {
    uint64_t load_addr; /* where the image actually runs */
    uint64_t fdt;
    char zone[ZONE_NAME_MAX + 1];
    uint64_t gicd, gicr; /* GICv2: gicr is the CPU interface */
    int have_gic;
    int gic_version; /* 2 or 3 */
    uint64_t con_base, con_size;
    uint32_t con_intid; /* 0: no usable interrupt, console is polled */
    int con_edge;
    unsigned virtio_nodes; /* virtio,mmio nodes seen in the DT */
};

const struct boot_info *boot_get_info(void);

#endif
