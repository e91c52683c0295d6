/* Emulated PL011 (ARM PrimeCell UART PL011 TRM, DDI 0183). */
#include "hypervisor/vpl011.h"

enum {
    DR = 0x000,
    RSR = 0x004,
    FR = 0x018,
    ILPR = 0x020,
    IBRD = 0x024,
    FBRD = 0x028,
    LCR_H = 0x02c,
    CR = 0x030,
    IFLS = 0x034,
    IMSC = 0x038,
    RIS = 0x03c,
    MIS = 0x040,
    ICR = 0x044,
    DMACR = 0x048,
    ID_BASE = 0xfe0,
};

#define FR_TXFE (1u << 7)
#define FR_TXFF (1u << 5)
#define FR_RXFE (1u << 4)
#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)
#define INT_ALL 0x7ff
#define CR_RESET 0x300 /* TXE | RXE */

/* PL011 r1p5 peripheral and PrimeCell ids, which the amba bus matches on. */
static const uint8_t ids[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

void vpl011_init(struct vpl011 *u, struct vcon *input, const struct vpl011_host *host, void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->host = host;
    u->ctx = ctx;
    u->input = input;
    u->cr = CR_RESET;
    u->ifls = 0x12;
    u->ris_tx = INT_TX;
}

bool vpl011_takes_input(const struct vpl011 *u)
{
    /* Once the virtio console's receive queue is live, keystrokes go there (hvc0). */
    return !(vmmio_live(&u->input->mmio) && u->input->mmio.vq[0].ready);
}

static bool rx_pending(const struct vpl011 *u)
{
    return vpl011_takes_input(u) && vcon_input_held(u->input) > 0;
}

static uint32_t ris(const struct vpl011 *u)
{
    return u->ris_tx | (rx_pending(u) ? (INT_RX | INT_RT) : 0);
}

static void update_irq(struct vpl011 *u)
{
    bool level = (ris(u) & u->imsc) != 0;
    if (level != u->irq_level || level) {
        u->irq_level = level;
        u->host->set_irq(u->ctx, level);
    }
}

void vpl011_input_changed(struct vpl011 *u)
{
    update_irq(u);
}

static uint32_t read_dr(struct vpl011 *u)
{
    uint8_t b;
    if (!vpl011_takes_input(u) || !vcon_input_pop(u->input, &b))
        return 0;
    return b;
}

static uint32_t read_reg(struct vpl011 *u, uint32_t off)
{
    switch (off) {
    case DR:
        return read_dr(u);
    case FR:
        return (u->host->tx_full && u->host->tx_full(u->ctx) ? FR_TXFF : FR_TXFE) |
               (rx_pending(u) ? 0 : FR_RXFE);
    case ILPR:
        return u->ilpr;
    case IBRD:
        return u->ibrd;
    case FBRD:
        return u->fbrd;
    case LCR_H:
        return u->lcr_h;
    case CR:
        return u->cr;
    case IFLS:
        return u->ifls;
    case IMSC:
        return u->imsc;
    case RIS:
        return ris(u);
    case MIS:
        return ris(u) & u->imsc;
    case DMACR:
        return u->dmacr;
    default:
        if (off >= ID_BASE && off < ID_BASE + 0x20)
            return ids[(off - ID_BASE) / 4];
        return 0; /* RSR and reserved registers */
    }
}

static void write_reg(struct vpl011 *u, uint32_t off, uint32_t v)
{
    switch (off) {
    case DR: {
        uint8_t b = (uint8_t)v;
        u->host->output(u->ctx, &b, 1);
        u->ris_tx = INT_TX; /* our FIFO drains at once: always below the trigger level */
        break;
    }
    case ILPR:
        u->ilpr = v & 0xff;
        break;
    case IBRD:
        u->ibrd = v & 0xffff;
        break;
    case FBRD:
        u->fbrd = v & 0x3f;
        break;
    case LCR_H:
        u->lcr_h = v & 0xff;
        break;
    case CR:
        u->cr = v & 0xffff;
        break;
    case IFLS:
        u->ifls = v & 0x3f;
        break;
    case IMSC:
        u->imsc = v & INT_ALL;
        break;
    case ICR:
        if (v & INT_TX)
            u->ris_tx = 0;
        break;
    case DMACR:
        u->dmacr = v & 7;
        break;
    default:
        break; /* RSR/ECR clears errors we never have; read-only registers ignore writes */
    }
}

bool vpl011_access(struct vpl011 *u, uint32_t off, uint32_t width, bool write, uint32_t *val)
{
    /* Linux's amba-pl011 uses 16-bit accesses, earlycon mmio32 32-bit ones; all registers are
     * at most 16 bits wide, so any aligned access up to 32 bits addresses the whole register. */
    if (width == 8 || !IS_ALIGNED(off, width) || !IS_ALIGNED(off, 4))
        return false;
    if (write)
        write_reg(u, off, *val);
    else
        *val = read_reg(u, off);
    update_irq(u);
    return true;
}
