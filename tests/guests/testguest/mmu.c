#include "mmu.h"

#include "arch.h"
#include "util.h"

#define ENTRIES 512
#define L1_SHIFT 30 /* 1 GiB per level-1 entry */
#define L2_SHIFT 21 /* 2 MiB per level-2 entry */
#define VA_BITS 39  /* T0SZ = 25: translation starts at level 1 with a 4 KiB granule */
#define L2_POOL 4   /* level-1 blocks that can be split into 2 MiB blocks */

#define DESC_VALID 1ull
#define DESC_TABLE 3ull
#define DESC_BLOCK 1ull
#define DESC_TYPE_MASK 3ull
#define DESC_ATTRIDX(i) ((uint64_t)(i) << 2)
#define DESC_SH_INNER (3ull << 8)
#define DESC_AF (1ull << 10)
#define DESC_PXN (1ull << 53)
#define DESC_UXN (1ull << 54)
#define DESC_ADDR_MASK 0x0000fffffffff000ull

/* MAIR slots: 0 = Device-nGnRnE, 1 = Normal inner/outer write-back read/write-allocate. */
#define MAIR_VALUE ((0x00ull << 0) | (0xffull << 8))
#define ATTRIDX_DEVICE 0
#define ATTRIDX_NORMAL 1

#define TCR_T0SZ(x) ((uint64_t)(x) << 0)
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_TG0_4K (0ull << 14)
#define TCR_EPD1 (1ull << 23) /* no TTBR1 walks: the guest has no upper half */
#define TCR_TG1_4K (2ull << 30)
#define TCR_IPS(x) ((uint64_t)(x) << 32)

#define SCTLR_M (1ull << 0)
#define SCTLR_A (1ull << 1)
#define SCTLR_C (1ull << 2)
#define SCTLR_SA (1ull << 3)
#define SCTLR_I (1ull << 12)
#define SCTLR_WXN (1ull << 19)

static uint64_t l1_table[ENTRIES] __attribute__((aligned(4096)));
static uint64_t l2_tables[L2_POOL][ENTRIES] __attribute__((aligned(4096)));
static unsigned l2_used;

static uint64_t block_desc(uint64_t pa, enum mmu_attr attr)
{
    if (attr == MMU_DEVICE) /* never execute (or speculatively fetch) from devices */
        return pa | DESC_BLOCK | DESC_AF | DESC_ATTRIDX(ATTRIDX_DEVICE) | DESC_PXN | DESC_UXN;
    return pa | DESC_BLOCK | DESC_AF | DESC_ATTRIDX(ATTRIDX_NORMAL) | DESC_SH_INNER;
}

void mmu_build_default(void)
{
    l1_table[0] = block_desc(0, MMU_DEVICE);
    for (uint64_t i = 1; i < 4; i++)
        l1_table[i] = block_desc(i << L1_SHIFT, MMU_NORMAL);
}

/* Replaces a 1 GiB block by a table of 2 MiB blocks with the same attributes. */
static uint64_t *split_l1(unsigned idx)
{
    uint64_t old = l1_table[idx];
    uint64_t *l2;

    if ((old & DESC_TYPE_MASK) == DESC_TABLE)
        return (uint64_t *)(uintptr_t)(old & DESC_ADDR_MASK);
    if (l2_used == L2_POOL)
        return 0;
    l2 = l2_tables[l2_used++];
    for (uint64_t i = 0; i < ENTRIES; i++) {
        uint64_t pa = ((uint64_t)idx << L1_SHIFT) + (i << L2_SHIFT);
        /* keep the block's attribute bits, only the output address changes */
        l2[i] = (old & DESC_VALID) ? ((old & ~DESC_ADDR_MASK) | pa) : 0;
    }
    l1_table[idx] = (uint64_t)(uintptr_t)l2 | DESC_TABLE;
    return l2;
}

/* Maps one 2 MiB chunk; a whole unmapped GiB is filled with a single block instead. */
static int map_chunk(uint64_t pa, enum mmu_attr attr)
{
    unsigned idx = (unsigned)(pa >> L1_SHIFT);
    uint64_t want = block_desc(pa & ~((1ull << L1_SHIFT) - 1), attr);
    uint64_t *l2;

    if (idx >= ENTRIES)
        return -1;
    if (!(l1_table[idx] & DESC_VALID)) {
        l1_table[idx] = want;
        return 0;
    }
    if (l1_table[idx] == want)
        return 0;
    l2 = split_l1(idx);
    if (!l2)
        return -1;
    l2[(pa >> L2_SHIFT) & (ENTRIES - 1)] = block_desc(pa & ~((1ull << L2_SHIFT) - 1), attr);
    return 0;
}

int mmu_map(uint64_t pa, uint64_t size, enum mmu_attr attr)
{
    uint64_t chunk = 1ull << L2_SHIFT;
    uint64_t start = pa & ~(chunk - 1);
    uint64_t end = pa + (size ? size : 1);

    if (end < pa || end > (1ull << VA_BITS))
        return -1;
    for (uint64_t a = start; a < end; a += chunk) {
        if (map_chunk(a, attr))
            return -1;
    }
    return 0;
}

static uint64_t tcr_value(void)
{
    uint64_t parange = read_id_aa64mmfr0_el1() & 0xf;

    if (parange > 5) /* 52-bit PAs need extra descriptor formats we do not use */
        parange = 5;
    return TCR_T0SZ(64 - VA_BITS) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_TG0_4K |
           TCR_EPD1 | TCR_TG1_4K | TCR_IPS(parange);
}

void mmu_enable(void)
{
    uint64_t sctlr;

    write_mair_el1(MAIR_VALUE);
    write_tcr_el1(tcr_value());
    write_ttbr0_el1((uint64_t)(uintptr_t)l1_table);
    /* Tables were written with the MMU off, i.e. straight to memory, and start.S removed
     * any cached copies, so the (cacheable) walker sees them once this store completes. */
    dsb_sy();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tic iallu\n\tdsb nsh\n\tisb" : : : "memory");

    sctlr = read_sctlr_el1();
    sctlr |= SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA;
    sctlr &= ~(SCTLR_A | SCTLR_WXN);
    write_sctlr_el1(sctlr);
    isb();
}

extern char __image_start[], __image_end[];

/* Every line of the image (code, data, bss, stack, rings) cleaned and invalidated to the point
 * of coherency, so that nothing cached shadows memory once accesses stop going through the
 * cache, or resurfaces once they start again. */
static void clean_image(void)
{
    uint64_t line = 4ull << ((read_ctr_el0() >> 16) & 0xf);
    uint64_t p = (uint64_t)(uintptr_t)__image_start & ~(line - 1);

    for (; p < (uint64_t)(uintptr_t)__image_end; p += line)
        __asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
    dsb_sy();
}

void mmu_data_cache(int on)
{
    uint64_t sctlr = read_sctlr_el1();

    clean_image();
    write_sctlr_el1(on ? (sctlr | SCTLR_C) : (sctlr & ~SCTLR_C));
    isb();
    clean_image();
}
