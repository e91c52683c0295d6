/*
 * Raspberry Pi 4 board code. UART0 (the PL011) on the header pins, which the firmware may not
 * have done:
 * The firmware gives GPIO14/15 to UART0 only with dtoverlay=disable-bt, whose overlay Debian's
 * firmware package does not ship; otherwise UART0 drives Bluetooth and the mini UART the pins.
 */
#include "platform/rpi4/board.h"

#include <stdint.h>

#define GPIO_BASE 0xfe200000ULL
#define GPFSEL1 0x04                 /* function select, GPIO10-19, 3 bits each */
#define GPIO_PUP_PDN_CNTRL_REG0 0xe4 /* BCM2711 pulls, GPIO0-15, 2 bits each */
#define FSEL_ALT0 4u                 /* GPIO14 = TXD0, GPIO15 = RXD0 */
#define FSEL_SHIFT(pin) (3 * ((pin) % 10))
#define PULL_SHIFT(pin) (2 * ((pin) % 16))
#define PULL_NONE 0u
#define PULL_UP 1u

static inline uint32_t rd(uint32_t off)
{
    return *(volatile uint32_t *)(GPIO_BASE + off);
}

static inline void wr(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(GPIO_BASE + off) = v;
}

void rpi4_board_init(void)
{
    uint32_t f = rd(GPFSEL1);
    f &= ~((7u << FSEL_SHIFT(14)) | (7u << FSEL_SHIFT(15)));
    f |= (FSEL_ALT0 << FSEL_SHIFT(14)) | (FSEL_ALT0 << FSEL_SHIFT(15));
    wr(GPFSEL1, f);
    /* RXD pulled up, so an unconnected line reads as idle rather than a stream of breaks. */
    uint32_t p = rd(GPIO_PUP_PDN_CNTRL_REG0);
    p &= ~((3u << PULL_SHIFT(14)) | (3u << PULL_SHIFT(15)));
    p |= (PULL_NONE << PULL_SHIFT(14)) | (PULL_UP << PULL_SHIFT(15));
    wr(GPIO_PUP_PDN_CNTRL_REG0, p);
}

/*
 * Power off without PSCI: a watchdog reset with boot partition 63 in PM_RSTS, which the Pi's
 * firmware takes as "halt" (Linux's bcm2835 watchdog powers off the same way) and QEMU's raspi
 * machines as a shutdown. The watchdog fires 10 ticks (about 150 us) later.
 */
#define PM_BASE 0xfe100000ULL
#define PM_RSTC 0x1c
#define PM_RSTS 0x20
#define PM_WDOG 0x24
#define PM_PASSWORD 0x5a000000u
#define PM_RSTC_WRCFG_MASK 0x30u
#define PM_RSTC_FULL_RESET 0x20u
#define PM_RSTS_PARTITION_MASK 0x555u /* boot partition number, spread over every other bit */
#define PM_RSTS_HALT 0x555u           /* partition 63 */
#define PM_WDOG_TICKS 10u

static inline uint32_t pm_rd(uint32_t off)
{
    return *(volatile uint32_t *)(PM_BASE + off) & 0x00ffffffu; /* the password byte reads 0 */
}

static inline void pm_wr(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(PM_BASE + off) = PM_PASSWORD | v;
}

void rpi4_power_off(void)
{
    pm_wr(PM_RSTS, (pm_rd(PM_RSTS) & ~PM_RSTS_PARTITION_MASK) | PM_RSTS_HALT);
    pm_wr(PM_WDOG, PM_WDOG_TICKS);
    pm_wr(PM_RSTC, (pm_rd(PM_RSTC) & ~PM_RSTC_WRCFG_MASK) | PM_RSTC_FULL_RESET);
}
