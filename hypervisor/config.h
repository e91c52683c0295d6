/* Static partitioning: what a platform folder describes in C (platform/<board>/). */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include "drivers/gic.h"
#include "hypervisor/lib.h"

#define MAX_ZONES 8
#define MAX_VCPUS 4

/* A file embedded in the hypervisor image at build time (see the Makefile's blobs.S). */
struct blob {
    const uint8_t *start;
    const uint8_t *end;
};

#define BLOB(name)                                                                                 \
    {                                                                                              \
        blob_##name, blob_##name##_end                                                             \
    }
#define DECLARE_BLOB(name) extern const uint8_t blob_##name[], blob_##name##_end[]

/* A port of a zone's multiport console device (hypervisor/virtio_multiport.h): its backend. */
enum port_kind {
    PORT_LINK = 1, /* wired to a port of another zone (hypervisor/port_link.h) */
    PORT_LOG,      /* an EL2 RAM ring, shown by the console's g command */
};

struct link;

struct port_cfg {
    const char *name; /* /dev/virtio-ports/<name> in a Linux guest: [A-Za-z0-9._-], 1-32 bytes */
    enum port_kind kind;
    struct link *link; /* PORT_LINK: the link and which end of it (0 or 1) this port is */
    uint32_t end;
    uint8_t *log; /* PORT_LOG: the ring */
    uint32_t log_size;
};

struct zone_config {
    const char *name;
    uint32_t ncpus;
    uint8_t cpus[MAX_VCPUS]; /* physical CPU indices, one vCPU each */
    uint64_t ram_ipa, ram_pa, ram_size;
    struct blob kernel; /* loaded at ram_ipa + kernel_offset, entered with x0 = dtb */
    uint64_t kernel_offset;
    struct blob dtb;
    uint64_t dtb_offset;
    struct blob initrd; /* optional */
    uint64_t initrd_offset;
    uint64_t virtio_ipa;   /* 0x200 virtio-mmio console window, never mapped */
    uint32_t virtio_intid; /* SPI the guest sees for it */
    uint64_t vpl011_ipa;   /* emulated PL011, 0 = none */
    uint32_t vpl011_intid;
    uint16_t cols, rows; /* CONSOLE_F_SIZE */
    /* A second virtio-mmio window: the multiport device with the zone's data ports (0 = none).
     * The console stays alone on its own device (virtio_ipa). */
    uint64_t ports_ipa;
    uint32_t ports_intid;
    const struct port_cfg *ports;
    uint32_t nports;
    uint8_t *history; /* background output ring */
    uint32_t history_size;
};

/* The console's line speed where the hypervisor sets it (platform_config.uart_clock). */
#define CONSOLE_BAUD 115200

/* How the boot CPU starts the others. */
enum cpu_boot {
    CPU_BOOT_PSCI,       /* firmware PSCI CPU_ON (QEMU virt, boards with TF-A) */
    CPU_BOOT_SPIN_TABLE, /* a release address per CPU (Raspberry Pi firmware, QEMU raspi) */
};

struct platform_config {
    const char *name;
    uint64_t ram_base, ram_size;   /* the RAM the hypervisor may map (all of it, or part) */
    uint64_t mmio_base, mmio_size; /* device registers, mapped Device-nGnRnE at EL2 (GiB-aligned) */
    uint64_t uart_base;
    uint32_t uart_intid;
    uint32_t uart_clock; /* Hz: set 115200 8N1 from it at boot; 0 keeps the firmware's setting */
    struct gic_desc gic;
    uint32_t ncpus;
    uint64_t mpidr[8];
    enum cpu_boot cpu_boot;
    void (*board_init)(void);     /* optional: pins and clocks the console needs, before the UART */
    void (*power_off)(void);      /* optional: power the machine off without PSCI firmware */
    uint64_t cpu_release_addr[8]; /* CPU_BOOT_SPIN_TABLE: where each CPU waits for its entry */
    /* Where every zone finds its virtual GIC: the distributor and (GICv3) redistributors are
     * trapped, never mapped; a GICv2 zone's CPU interface is the physical GICV frame, mapped. */
    uint64_t vgicd_ipa, vgicr_ipa, vgicc_ipa;
    const struct zone_config *zones;
    uint32_t nzones;
    uint32_t focus;   /* zone that has the console at boot */
    uint8_t *tx_ring; /* the console's EL2 transmit ring (hypervisor/txring.h) */
    uint32_t tx_ring_size;
    uint32_t input_deaf_ms; /* a focused zone that takes no input this long is not waited for */
};

extern const struct platform_config platform;

#endif
