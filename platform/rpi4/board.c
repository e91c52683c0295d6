/*
 * Raspberry Pi 4 set-up the firmware may not have done: UART0 (the PL011) on the header pins.
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
