/* Console multiplexer: focus, history replay, tagged view, escape commands, lossless input. */
#include "hypervisor/mux.h"
#include "arch/spinlock.h"
#include "drivers/pl011.h"
#include "hypervisor/log.h"
#include "hypervisor/zone.h"

enum pending_action { ACT_NONE, ACT_RESTART, ACT_POWEROFF };

static struct {
    spinlock_t lock;
    struct escape esc;
    uint32_t focus;
    bool tagged;
    bool started;
    bool at_line_start; /* the UART cursor is at column 0 */
    bool throttled;     /* UART receive interrupt masked: focused zone's input is full */
    bool off_noted;     /* "zone is off" said once per focus */
} mux;

static void uart_out(const uint8_t *buf, size_t len)
{
    if (!len)
        return;
    pl011_write(buf, len);
    mux.at_line_start = buf[len - 1] == '\n';
}

static void uart_str(const char *s)
{
    uart_out((const uint8_t *)s, strlen(s));
}

/* A hypervisor line; the caller holds the lock. */
static void hv_line_locked(const char *text)
{
    if (!mux.at_line_start)
        uart_str("\r\n");
    uart_str("[hv] ");
    uart_str(text);
    uart_str("\r\n");
}

static void hv_printf_locked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hv_printf_locked(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    hv_line_locked(line);
}

void mux_hv_line(const char *text)
{
    if (!mux.started) {
        /* Early boot: zones and the lock are not set up, only this CPU runs. */
        hv_line_locked(text);
        return;
    }
    spin_lock(&mux.lock);
    hv_line_locked(text);
    spin_unlock(&mux.lock);
}

void mux_init(uint8_t escape_key, uint32_t focus)
{
    escape_init(&mux.esc, escape_key);
    mux.focus = focus;
    mux.at_line_start = true;
}

void mux_zone_init(struct zone *z)
{
    memset(&z->mux, 0, sizeof(z->mux));
    history_init(&z->mux.hist, z->cfg->history, z->cfg->history_size);
}

static struct zone *focused(void)
{
    return &zones[mux.focus];
}

bool mux_is_focused(const struct zone *z)
{
    return z->id == mux.focus;
}

static void emit_tagged(void *ctx, const uint8_t *line, uint32_t len, bool complete)
{
    struct zone *z = ctx;
    if (!mux.at_line_start)
        uart_str("\r\n");
    uart_str("[");
    uart_str(z->cfg->name);
    uart_str("] ");
    uart_out(line, len);
    if (!complete)
        uart_str("\r\n");
    mux.at_line_start = true;
}

void mux_zone_output(struct zone *z, const uint8_t *buf, size_t len)
{
    spin_lock(&mux.lock);
    z->mux.bytes_out += len;
    if (mux.tagged)
        tagline_feed(&z->mux.tag, buf, len, emit_tagged, z);
    else if (z->id == mux.focus)
        uart_out(buf, len);
    else
        history_write(&z->mux.hist, buf, len);
    spin_unlock(&mux.lock);
}

static void replay_sink(void *ctx, const uint8_t *buf, size_t len)
{
    UNUSED(ctx);
    uart_out(buf, len);
}

static void key_name(char out[8])
{
    uint8_t k = mux.esc.key;
    if (k < 0x20)
        hv_snprintf(out, 8, "Ctrl-%c", k + 0x40);
    else
        hv_snprintf(out, 8, "%c", k);
}

static void banner(struct zone *z)
{
    char key[8];
    key_name(key);
    hv_printf_locked("=== zone %u: %s (%s) === %s h for help", z->id, z->cfg->name,
                     zone_state_str(z), key);
}

/* Show what a background zone printed, then it is live. */
static void replay(struct zone *z)
{
    uint64_t lost = history_dropped(&z->mux.hist);
    if (lost)
        hv_printf_locked("%s: %lu bytes of history were dropped (ring is %u bytes)", z->cfg->name,
                         lost, z->mux.hist.size);
    z->mux.dropped_hist += lost;
    history_replay(&z->mux.hist, replay_sink, 0);
    history_clear(&z->mux.hist);
}

static void focus_zone(uint32_t id)
{
    if (id >= nzones) {
        hv_printf_locked("no zone %u (zones 0-%u)", id, nzones - 1);
        return;
    }
    mux.focus = id;
    mux.off_noted = false;
    banner(&zones[id]);
    if (!mux.tagged)
        replay(&zones[id]);
}

static void list_zones(void)
{
    hv_printf_locked("  id name             state            out         in    dropped");
    for (uint32_t i = 0; i < nzones; i++) {
        struct zone *z = &zones[i];
        uint64_t dropped = z->mux.dropped_hist + history_dropped(&z->mux.hist) +
                           z->mux.dropped_input;
        hv_printf_locked("%c %2u %-16s %-10s %10lu %10lu %10lu", i == mux.focus ? '*' : ' ', i,
                         z->cfg->name, zone_state_str(z), z->mux.bytes_out, z->mux.bytes_in,
                         dropped);
    }
}

static void help(void)
{
    char key[8];
    key_name(key);
    hv_printf_locked("console keys: press %s, then", key);
    hv_printf_locked("  0-9   focus that zone (replays what it printed meanwhile)");
    hv_printf_locked("  n     focus the next zone");
    hv_printf_locked("  l     list zones: state, bytes out/in, bytes dropped");
    hv_printf_locked("  t     tagged view on/off: every zone's lines, prefixed [name]");
    hv_printf_locked("  r     restart the focused zone");
    hv_printf_locked("  q     power off the machine");
    hv_printf_locked("  h ?   this help");
    hv_printf_locked("  %s    send %s itself to the focused zone", key, key);
}

static void toggle_tagged(void)
{
    if (mux.tagged) {
        /* Leaving: partial lines still go out, tagged, rather than vanish. */
        for (uint32_t i = 0; i < nzones; i++)
            tagline_flush(&zones[i].mux.tag, emit_tagged, &zones[i]);
        mux.tagged = false;
        hv_printf_locked("tagged view off");
        banner(focused());
        replay(focused());
    } else {
        mux.tagged = true;
        hv_printf_locked("tagged view on: all zones, line by line; input goes to %s",
                         focused()->cfg->name);
    }
}

static enum pending_action command(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        focus_zone((uint32_t)(c - '0'));
        return ACT_NONE;
    }
    switch (c) {
    case 'n':
        focus_zone((mux.focus + 1) % nzones);
        return ACT_NONE;
    case 'l':
        list_zones();
        return ACT_NONE;
    case 't':
        toggle_tagged();
        return ACT_NONE;
    case 'h':
    case '?':
        help();
        return ACT_NONE;
    case 'r':
        hv_printf_locked("restarting zone %u (%s)", mux.focus, focused()->cfg->name);
        return ACT_RESTART;
    case 'q':
        hv_printf_locked("powering off");
        return ACT_POWEROFF;
    default: {
        char key[8];
        key_name(key);
        hv_printf_locked("unknown command 0x%02x; %s h for help", c, key);
        return ACT_NONE;
    }
    }
}

static bool zone_takes_input(const struct zone *z)
{
    return z->state == ZONE_RUNNING;
}

/* Can the next UART byte be consumed without losing it? */
static bool can_accept(void)
{
    struct zone *z = focused();
    return mux.esc.armed || !zone_takes_input(z) || vcon_input_space(&z->con) > 0;
}

/* Hand one keystroke to the focused zone; returns a bit for the zone to kick, or 0. */
static uint32_t deliver(uint8_t b)
{
    struct zone *z = focused();
    if (!zone_takes_input(z)) {
        z->mux.dropped_input++;
        if (!mux.off_noted)
            hv_printf_locked("%s is %s: input discarded (counted in the zone list)",
                             z->cfg->name, zone_state_str(z));
        mux.off_noted = true;
        return 0;
    }
    if (!vcon_input_push(&z->con, b)) {
        z->mux.dropped_input++; /* only ESC ESC into a full buffer can get here */
        return 0;
    }
    z->mux.bytes_in++;
    return 1u << z->id;
}

void mux_uart_rx(void)
{
    enum pending_action act = ACT_NONE;
    uint32_t kick = 0;
    spin_lock(&mux.lock);
    while (pl011_rx_ready()) {
        if (!can_accept()) {
            /* Stop draining: the FIFO fills and the sender is held back, nothing is lost. */
            mux.throttled = true;
            pl011_rx_irq(false);
            break;
        }
        uint8_t b;
        enum esc_action a = escape_feed(&mux.esc, pl011_getc(), &b);
        if (a == ESC_DELIVER)
            kick |= deliver(b);
        else if (a == ESC_COMMAND)
            act = command(b);
        if (act != ACT_NONE)
            break;
    }
    struct zone *target = focused();
    spin_unlock(&mux.lock);
    /* Outside the mux lock: the device lock nests outside it (device -> mux). */
    for (uint32_t i = 0; i < nzones; i++)
        if (kick & (1u << i))
            zone_console_kick(&zones[i]);
    if (act == ACT_RESTART)
        zone_restart(target);
    else if (act == ACT_POWEROFF)
        hv_system_off();
}

void mux_input_space(struct zone *z)
{
    spin_lock(&mux.lock);
    if (mux.throttled && (z->id == mux.focus || !zone_takes_input(focused()))) {
        mux.throttled = false;
        pl011_rx_irq(true);
    }
    spin_unlock(&mux.lock);
}

void mux_start(void)
{
    spin_lock(&mux.lock);
    mux.started = true;
    banner(focused());
    spin_unlock(&mux.lock);
    pl011_rx_irq(true);
}
