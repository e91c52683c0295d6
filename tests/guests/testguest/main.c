/*
 * Boot flow: read the device tree (MMU still off), probe the virtio consoles it lists,
 * build the identity map and turn on MMU and caches, bring up the GIC and the console,
 * then the multiport device if the device tree lists one (vports.h), then run the shell.
 */
#include "arch.h"
#include "boot.h"
#include "console.h"
#include "fdt.h"
#include "gic.h"
#include "mmu.h"
#include "print.h"
#include "shell.h"
#include "util.h"
#include "virtio_console.h"
#include "vports.h"

#define MAX_VIRTIO_NODES 64
#define VIRTIO_MIN_REGION 0x100 /* registers up to the start of config space */
#define GICD_MIN_REGION 0x10000
#define GICR_FRAME_SIZE 0x20000 /* RD_base + SGI_base of one CPU */
#define GICV2_DIST_MIN 0x1000
#define GICV2_CPU_MIN 0x2000 /* GICC_DIR at 0x1000 included */
#define GIC_SPI_BASE 32
#define DT_IRQ_TYPE_SPI 0
#define DT_IRQ_EDGE_MASK 0x3 /* IRQ_TYPE_EDGE_RISING | IRQ_TYPE_EDGE_FALLING */

struct virtio_node {
    uint64_t base, size;
    uint32_t intid; /* 0 if the node has no usable SPI */
    int edge;
};

struct dt_scan {
    struct virtio_node virtio[MAX_VIRTIO_NODES];
    unsigned nvirtio;
};

extern char _start[];

static struct boot_info boot;
static struct dt_scan scan;

const struct boot_info *boot_get_info(void)
{
    return &boot;
}

/* Copies /chosen/zone-name, keeping only printable ASCII (it ends up in every prompt). */
static void take_zone_name(const uint8_t *p, uint32_t len)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < len && p[i] && n < ZONE_NAME_MAX; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f)
            boot.zone[n++] = (char)p[i];
    }
    boot.zone[n] = '\0';
}

/* interrupts = <type number flags> with a 3-cell GIC parent; only SPIs are usable. */
static void virtio_irq(const struct fdt *f, const struct fdt_node *n, struct virtio_node *v)
{
    uint32_t len;
    const uint8_t *p = fdt_prop(f, n, "interrupts", &len);

    if (!p || len < 12 || fdt_read_be32(p) != DT_IRQ_TYPE_SPI)
        return;
    if (fdt_read_be32(p + 4) > 1019 - GIC_SPI_BASE)
        return;
    v->intid = GIC_SPI_BASE + fdt_read_be32(p + 4);
    v->edge = (fdt_read_be32(p + 8) & DT_IRQ_EDGE_MASK) != 0;
}

static void take_virtio(const struct fdt *f, const struct fdt_node *n)
{
    struct virtio_node *v;

    if (scan.nvirtio == MAX_VIRTIO_NODES)
        return;
    v = &scan.virtio[scan.nvirtio];
    memset(v, 0, sizeof(*v));
    if (fdt_reg(f, n, 0, &v->base, &v->size) || v->size < VIRTIO_MIN_REGION)
        return;
    virtio_irq(f, n, v);
    scan.nvirtio++;
}

/* GICv3: distributor and redistributors; GICv2: distributor and CPU interface (in gicr). */
static void take_gic(const struct fdt *f, const struct fdt_node *n, int version)
{
    uint64_t dsize, rsize;

    if (boot.have_gic)
        return;
    if (fdt_reg(f, n, 0, &boot.gicd, &dsize) || fdt_reg(f, n, 1, &boot.gicr, &rsize))
        return;
    boot.gic_version = version;
    if (version == 2)
        boot.have_gic = dsize >= GICV2_DIST_MIN && rsize >= GICV2_CPU_MIN;
    else
        boot.have_gic = dsize >= GICD_MIN_REGION && rsize >= GICR_FRAME_SIZE;
}

/* Devices with status other than "okay"/"ok" must be left alone. */
static int node_enabled(const struct fdt *f, const struct fdt_node *n)
{
    uint32_t len;
    const uint8_t *p = fdt_prop(f, n, "status", &len);

    if (!p)
        return 1;
    return (len >= 5 && !memcmp(p, "okay", 5)) || (len >= 3 && !memcmp(p, "ok", 3));
}

static int visit(const struct fdt *f, const struct fdt_node *n, void *ctx)
{
    uint32_t len;
    const uint8_t *p;

    (void)ctx;
    if (n->depth == 1 && str_eq(n->name, "chosen")) {
        p = fdt_prop(f, n, "zone-name", &len);
        if (p)
            take_zone_name(p, len);
    }
    if (!node_enabled(f, n))
        return 0;
    if (fdt_is_compatible(f, n, "virtio,mmio"))
        take_virtio(f, n);
    else if (fdt_is_compatible(f, n, "arm,gic-v3"))
        take_gic(f, n, 3);
    else if (fdt_is_compatible(f, n, "arm,cortex-a15-gic") ||
             fdt_is_compatible(f, n, "arm,gic-400"))
        take_gic(f, n, 2);
    return 0;
}

static void scan_device_tree(uint64_t fdt_pa)
{
    struct fdt f;

    boot.fdt = fdt_pa;
    if (fdt_init(&f, (uintptr_t)fdt_pa) == 0)
        fdt_walk(&f, visit, 0); /* keep whatever was found before a malformed part */
    if (!boot.zone[0])
        memcpy(boot.zone, "guest", 6);
    boot.virtio_nodes = scan.nvirtio;
}

/* First virtio,mmio node that is a version-2 console; halts if there is none. */
static const struct virtio_node *pick_console(void)
{
    for (unsigned i = 0; i < scan.nvirtio; i++) {
        if (vcon_probe(scan.virtio[i].base))
            return &scan.virtio[i];
    }
    halt(); /* nowhere to report it */
}

/* The multiport device: another console node, one that offers MULTIPORT (the console itself
 * is driven without it, as the first console found). None on plain QEMU or in most zones. */
static const struct virtio_node *pick_ports(const struct virtio_node *con)
{
    for (unsigned i = 0; i < scan.nvirtio; i++) {
        if (&scan.virtio[i] != con && vports_probe(scan.virtio[i].base))
            return &scan.virtio[i];
    }
    return 0;
}

static void setup_mmu(const struct virtio_node *con, const struct virtio_node *ports)
{
    mmu_build_default();
    /* Normally all inside the default Device GiB; this covers DTs that put them elsewhere. */
    mmu_map(con->base, con->size, MMU_DEVICE);
    if (ports)
        mmu_map(ports->base, ports->size, MMU_DEVICE);
    if (boot.have_gic) {
        mmu_map(boot.gicd, boot.gic_version == 2 ? GICV2_DIST_MIN : GICD_MIN_REGION, MMU_DEVICE);
        mmu_map(boot.gicr, boot.gic_version == 2 ? GICV2_CPU_MIN : GICR_FRAME_SIZE, MMU_DEVICE);
    }
    mmu_enable();
}

static void setup_interrupts(const struct virtio_node *con)
{
    if (!boot.have_gic || !con->intid || gic_init(boot.gic_version, boot.gicd, boot.gicr))
        return;
    if (gic_enable_spi(con->intid, con->edge, vcon_irq) == 0) {
        boot.con_intid = con->intid;
        boot.con_edge = con->edge;
        console_set_irq_driven(1);
    }
}

/* Its interrupt only wakes waits (vports.h); without one they poll. A device that fails its
 * set-up is said once, and the commands then report no device. */
static void setup_ports(const struct virtio_node *ports)
{
    uint32_t intid = 0;
    const char *why;

    if (!ports)
        return;
    if (boot.have_gic && ports->intid && boot.con_intid &&
        gic_enable_spi(ports->intid, ports->edge, vports_irq) == 0)
        intid = ports->intid;
    if (vports_init(ports->base, intid, &why))
        kprintf("ports at 0x%lx: %s\r\n", (unsigned long)ports->base, why);
}

_Noreturn void boot_main(uint64_t fdt_pa);

_Noreturn void boot_main(uint64_t fdt_pa)
{
    const struct virtio_node *con, *ports;

    boot.load_addr = (uint64_t)(uintptr_t)_start;
    scan_device_tree(fdt_pa);
    con = pick_console();
    ports = pick_ports(con);
    boot.con_base = con->base;
    boot.con_size = con->size;
    setup_mmu(con, ports);
    serror_unmask(); /* report asynchronous aborts instead of leaving them pending */
    vcon_init(con->base, con->size);
    setup_interrupts(con);
    setup_ports(ports);
    shell_run(boot.zone);
}
