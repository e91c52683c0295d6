/*
 * Shell commands. To add one: write a handler taking the argument string and add a row
 * to shell_commands[] below.
 */
#include "arch.h"
#include "boot.h"
#include "console.h"
#include "gic.h"
#include "hostile.h"
#include "pattern.h"
#include "ports_cmd.h"
#include "print.h"
#include "shell.h"
#include "util.h"
#include "virtio_console.h"

#define HELP_COLUMN 18

static void cmd_help(const char *args);
static void cmd_flood(const char *args);
static void cmd_bench(const char *args);
static void cmd_emerg(const char *args);
static void cmd_size(const char *args);
static void cmd_info(const char *args);
static void cmd_notify(const char *args);
static void cmd_sleep(const char *args);
static void cmd_txwait(const char *args);
static void cmd_rate(const char *args);
static void cmd_now(const char *args);

const struct shell_cmd shell_commands[] = {
    {"help", "help", "list commands", cmd_help},
    {"flood", "flood N", "print N pattern bytes, then their crc32", cmd_flood},
    {"bench", "bench N", "print N pattern bytes, then the time taken", cmd_bench},
    {"emerg", "emerg TEXT", "write TEXT via the virtio emergency write register", cmd_emerg},
    {"size", "size", "console size from virtio config space", cmd_size},
    {"info", "info", "show addresses and negotiated features", cmd_info},
    {"notify", "notify N", "N one-byte TX chains, one QueueNotify each, timed", cmd_notify},
    {"sleep", "sleep MS", "wait MS milliseconds (virtual timer)", cmd_sleep},
    {"txwait", "txwait [poll|irq]", "how TX waits for the device (default poll)", cmd_txwait},
    {"rate", "rate N", "print N pattern bytes, then the rate between TX stalls", cmd_rate},
    {"now", "now", "print the virtual counter", cmd_now},
    {"ports", "ports [bufs SIZE]", "list the data ports (or size their receive buffers)",
     cmd_ports},
    {"port", "port OP NAME ...", "open, close, write, flood or read a data port", cmd_port},
    {"hostile", "hostile WHAT", "misbehave on purpose (ring, peek, poke, addrs, spin, bigchain)",
     cmd_hostile},
};
const unsigned shell_command_count = ARRAY_SIZE(shell_commands);

static void cmd_help(const char *args)
{
    (void)args;
    kputs("commands:\r\n");
    for (unsigned i = 0; i < shell_command_count; i++) {
        const struct shell_cmd *c = &shell_commands[i];
        unsigned len = (unsigned)strlen(c->usage);

        kprintf("  %s", c->usage);
        for (; len < HELP_COLUMN; len++)
            kputc(' ');
        kprintf("%s\r\n", c->help);
    }
    kputs("anything else is echoed back as '<zone>: <line>'\r\n");
}

static int parse_count(const char *cmd, const char *args, uint64_t *n)
{
    if (parse_u64(args, n) == 0)
        return 0;
    kprintf("usage: %s N (decimal byte count)\r\n", cmd);
    return -1;
}

/* Pattern output, then a line break unless the pattern itself ended with one. */
static uint32_t emit_pattern_block(uint64_t n)
{
    uint32_t crc = pattern_emit(n);

    if (!pattern_ends_with_newline(n))
        kputs("\r\n");
    return crc;
}

static void cmd_flood(const char *args)
{
    uint64_t n;
    uint32_t crc;

    if (parse_count("flood", args, &n))
        return;
    crc = emit_pattern_block(n);
    kprintf("crc32=%08x bytes=%lu\r\n", crc, (unsigned long)n);
}

static void cmd_bench(const char *args)
{
    uint64_t n, t0, t1;

    if (parse_count("bench", args, &n))
        return;
    console_flush(); /* time only the pattern, not the echo of the command */
    t0 = counter_read();
    pattern_emit(n);
    console_flush();
    t1 = counter_read();
    if (!pattern_ends_with_newline(n))
        kputs("\r\n");
    kprintf("bench bytes=%lu ticks=%lu freq=%lu\r\n", (unsigned long)n, (unsigned long)(t1 - t0),
            (unsigned long)read_cntfrq_el0());
}

static void cmd_emerg(const char *args)
{
    if (!vcon_has_emerg()) {
        kputs("emerg: VIRTIO_CONSOLE_F_EMERG_WRITE not negotiated\r\n");
        return;
    }
    console_flush(); /* keep ordering with what was already queued on TX */
    for (; *args; args++)
        vcon_emerg_putc(*args);
    vcon_emerg_putc('\r');
    vcon_emerg_putc('\n');
}

static void cmd_size(const char *args)
{
    uint16_t cols, rows;

    (void)args;
    vcon_size(&cols, &rows);
    kprintf("cols=%u rows=%u\r\n", cols, rows);
}

static void cmd_info(const char *args)
{
    const struct boot_info *b = boot_get_info();
    const struct vcon_info *v = vcon_get_info();
    const struct gic_info *g = gic_get_info();

    (void)args;
    kprintf("zone=%s load=0x%lx fdt=0x%lx\r\n", b->zone, (unsigned long)b->load_addr,
            (unsigned long)b->fdt);
    kprintf("console base=0x%lx size=0x%lx intid=%u %s virtio-nodes=%u\r\n",
            (unsigned long)b->con_base, (unsigned long)b->con_size, b->con_intid,
            b->con_intid ? (b->con_edge ? "edge" : "level") : "polled", b->virtio_nodes);
    kprintf("features offered=0x%lx negotiated=0x%lx rxq=%u txq=%u resets=%u irqs=%u "
            "rx-dropped=%u\r\n",
            (unsigned long)v->offered, (unsigned long)v->features, v->rx_num, v->tx_num, v->resets,
            v->irqs, v->rx_dropped);
    if (b->have_gic)
        kprintf("gic gicd=0x%lx gicr=0x%lx lines=%u gicr_typer=0x%lx\r\n", (unsigned long)g->gicd,
                (unsigned long)g->gicr, g->lines, (unsigned long)g->gicr_typer);
    kprintf("cntfrq=%lu\r\n", (unsigned long)read_cntfrq_el0());
}

/* The cost of one transmit exit: N chains of one '.' each, every one notified and waited for
 * on its own. The time covers only the chains (the echo of the command is flushed first). */
static void cmd_notify(const char *args)
{
    uint64_t n, t0, t1;
    int err;

    if (parse_count("notify", args, &n))
        return;
    console_flush();
    t0 = counter_read();
    err = vcon_notify_bench(n, '.');
    t1 = counter_read();
    kputs("\r\n");
    if (err) {
        kputs("notify: device needs reset\r\n");
        return;
    }
    kprintf("notify n=%lu ticks=%lu freq=%lu\r\n", (unsigned long)n, (unsigned long)(t1 - t0),
            (unsigned long)read_cntfrq_el0());
}

/*
 * Lets a background zone start a command later than it was typed: "sleep 500" then the
 * command on the next line, with the focus moved elsewhere meanwhile. Asleep in wfi until the
 * virtual timer fires (PPI 27): busy-waiting would make guest time run far ahead of host time
 * under QEMU -icount, where an idle machine's clock follows the host's. Busy-waits only without
 * a GIC.
 */
#define VTIMER_PPI 27
#define CNTV_CTL_ENABLE 1u

static void cmd_sleep(const char *args)
{
    uint64_t ms, end;
    int wake;

    if (parse_count("sleep", args, &ms))
        return;
    console_flush();
    end = counter_read() + ms * (read_cntfrq_el0() / 1000);
    write_cntv_cval_el0(end);
    write_cntv_ctl_el0(CNTV_CTL_ENABLE);
    isb();
    wake = gic_ppi_wake(VTIMER_PPI, 1) == 0;
    while (counter_read() < end) {
        if (wake)
            wfi(); /* IRQs are masked here: the pending timer interrupt only ends the wfi */
    }
    write_cntv_ctl_el0(0);
    isb();
    if (wake)
        gic_ppi_wake(VTIMER_PPI, 0);
}

static void cmd_txwait(const char *args)
{
    args = skip_spaces(args);
    if (str_eq(args, "irq"))
        vcon_set_tx_sleep(1);
    else if (str_eq(args, "poll"))
        vcon_set_tx_sleep(0);
    else if (*args) {
        kputs("usage: txwait [poll|irq]\r\n");
        return;
    }
    kprintf("txwait %s\r\n", vcon_tx_sleep() ? "irq" : "poll");
}

/*
 * The sustained rate of a console that holds our output back: N pattern bytes, timed between
 * the first and the last transmit stall (a chain not used within its notify). A device that
 * takes what fits of a chain has its buffers exactly full at every stall onset, so the bytes
 * completed between the first and the last stall went out at the far end in that time, give
 * or take one chunk (512 bytes, the part of the stalled chain taken before the stall).
 */
static void cmd_rate(const char *args)
{
    uint64_t n;
    const struct vcon_tx_stall *st = vcon_tx_stall_get();
    struct vcon_tx_stall s;

    if (parse_count("rate", args, &n))
        return;
    console_flush();
    vcon_tx_stall_reset();
    pattern_emit(n);
    console_flush();
    s = *st;
    if (!pattern_ends_with_newline(n))
        kputs("\r\n");
    kprintf("rate bytes=%lu ticks=%lu freq=%lu stalls=%u\r\n",
            (unsigned long)(s.count > 1 ? s.last_bytes - s.first_bytes : 0),
            (unsigned long)(s.count > 1 ? s.last_ticks - s.first_ticks : 0),
            (unsigned long)read_cntfrq_el0(), s.count);
}

/* Zones share the physical counter (no offset): times from different zones compare. */
static void cmd_now(const char *args)
{
    (void)args;
    kprintf("now ticks=%lu freq=%lu\r\n", (unsigned long)counter_read(),
            (unsigned long)read_cntfrq_el0());
}
