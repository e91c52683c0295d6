/* EL2 identity map and per-zone stage-2 translation tables. */
#include "arch/mmu.h"
#include "arch/sysreg.h"
#include "hypervisor/lib.h"

#define PAGE_SIZE 4096ULL
#define GIB (1ULL << 30)
#define MIB2 (1ULL << 21)

/* Descriptor bits shared by stage 1 and stage 2. */
#define DESC_VALID 1ULL
#define DESC_TABLE 3ULL /* table at levels 0-2, page at level 3 */
#define DESC_BLOCK 1ULL
#define DESC_AF (1ULL << 10)
#define DESC_SH_INNER (3ULL << 8)

/* Stage 1 (EL2): AttrIndx selects MAIR_EL2 slots. */
#define MAIR_DEVICE_NGNRNE 0x00ULL
#define MAIR_NORMAL_WB 0xffULL
#define S1_ATTR_DEVICE (0ULL << 2)
#define S1_ATTR_NORMAL (1ULL << 2)
#define S1_XN (1ULL << 54)

/* Stage 2: MemAttr[5:2] = 0b1111 normal write-back (0b0001 Device-nGnRE), S2AP[7:6] = RW. */
#define S2_MEMATTR_NORMAL (0xfULL << 2)
#define S2_MEMATTR_DEVICE (0x1ULL << 2) /* Device-nGnRE */
#define S2_AP_RW (3ULL << 6)

#define TABLE_POOL_PAGES 64

static uint64_t el2_l1[512] __attribute__((aligned(4096)));
static uint64_t table_pool[TABLE_POOL_PAGES][512] __attribute__((aligned(4096)));
static uint32_t table_pool_used;

void dcache_clean_range(const void *addr, uint64_t len)
{
    uint64_t line = 4ULL << ((read_sysreg(ctr_el0) >> 16) & 0xf);
    uint64_t p = (uint64_t)addr & ~(line - 1);
    for (; p < (uint64_t)addr + len; p += line)
        __asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
    dsb(sy);
}

void icache_invalidate_all(void)
{
    __asm__ volatile("ic ialluis" ::: "memory");
    dsb(ish);
    isb();
}

/* GiB blocks covering [base, base+size) with attributes attrs. */
static void map_gibs(uint64_t base, uint64_t size, uint64_t attrs)
{
    if (!size)
        return;
    for (uint64_t i = base / GIB; i <= (base + size - 1) / GIB && i < 512; i++)
        el2_l1[i] = (i * GIB) | DESC_BLOCK | DESC_AF | attrs;
}

void mmu_build_el2(uint64_t ram_base, uint64_t ram_size, uint64_t mmio_base, uint64_t mmio_size)
{
    /* The board's device registers (QEMU virt: the low GiB; the Raspberry Pi 4: its top one). */
    map_gibs(mmio_base, mmio_size, S1_ATTR_DEVICE | S1_XN);
    map_gibs(ram_base, ram_size, DESC_SH_INNER | S1_ATTR_NORMAL);
    /* Written with the MMU off: make sure no stale cache line shadows the tables. */
    dcache_clean_range(el2_l1, sizeof(el2_l1));
}

void mmu_enable_el2(void)
{
    write_sysreg(mair_el2, MAIR_DEVICE_NGNRNE | (MAIR_NORMAL_WB << 8));
    /* T0SZ=25 (39-bit VA, start at level 1), WB WA walks, inner shareable, 4K, PS=40 bits. */
    uint64_t tcr = 25 | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (0ULL << 14) | (2ULL << 16) |
                   (1ULL << 23) | (1ULL << 31);
    write_sysreg(tcr_el2, tcr);
    write_sysreg(ttbr0_el2, (uint64_t)el2_l1);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(ish);
    isb();
    /* RES1 bits, M, C, SA, I; WXN off. */
    uint64_t sctlr = 0x30c50830ULL | (1ULL << 0) | (1ULL << 2) | (1ULL << 3) | (1ULL << 12);
    write_sysreg(sctlr_el2, sctlr);
    isb();
}

static uint64_t *table_alloc(void)
{
    if (table_pool_used >= TABLE_POOL_PAGES)
        return 0;
    uint64_t *t = table_pool[table_pool_used++];
    memset(t, 0, PAGE_SIZE);
    return t;
}

bool stage2_init(struct stage2 *s2, uint16_t vmid)
{
    s2->root = table_alloc();
    s2->vmid = vmid;
    return s2->root != 0;
}

/* Next-level table behind entry *e, created on demand. */
static uint64_t *next_table(uint64_t *e)
{
    if ((*e & 3) == DESC_TABLE)
        return (uint64_t *)(*e & 0x0000fffffffff000ULL);
    uint64_t *t = table_alloc();
    if (t)
        *e = (uint64_t)t | DESC_TABLE;
    return t;
}

static bool map_one(struct stage2 *s2, uint64_t ipa, uint64_t pa, bool block2m, uint64_t memattr)
{
    const uint64_t attrs = DESC_AF | DESC_SH_INNER | S2_AP_RW | memattr;
    uint64_t *l2 = next_table(&s2->root[(ipa >> 30) & 511]);
    if (!l2)
        return false;
    uint64_t *e2 = &l2[(ipa >> 21) & 511];
    if (block2m) {
        *e2 = pa | attrs | DESC_BLOCK;
        return true;
    }
    uint64_t *l3 = next_table(e2);
    if (!l3)
        return false;
    l3[(ipa >> 12) & 511] = pa | attrs | DESC_TABLE;
    return true;
}

static bool map_range(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t memattr)
{
    uint64_t end = ipa + size;
    while (ipa < end) {
        bool block = IS_ALIGNED(ipa | pa, MIB2) && end - ipa >= MIB2;
        if (!map_one(s2, ipa, pa, block, memattr))
            return false;
        uint64_t step = block ? MIB2 : PAGE_SIZE;
        ipa += step;
        pa += step;
    }
    dsb(ishst);
    return true;
}

bool stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size)
{
    return map_range(s2, ipa, pa, size, S2_MEMATTR_NORMAL);
}

bool stage2_map_device(struct stage2 *s2, uint64_t ipa, uint64_t pa, uint64_t size)
{
    return map_range(s2, ipa, pa, size, S2_MEMATTR_DEVICE);
}

uint64_t stage2_vttbr(const struct stage2 *s2)
{
    return (uint64_t)s2->root | ((uint64_t)s2->vmid << 48);
}

uint64_t stage2_vtcr(void)
{
    /* T0SZ=25 (39-bit IPA), SL0=1 (start level 1), WB walks, inner shareable, 4K, PS=40 bits. */
    return 25 | (1ULL << 6) | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (0ULL << 14) |
           (2ULL << 16) | (1ULL << 31);
}
