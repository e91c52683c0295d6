/*
 * Console multiplexer: the lock, the keyboard (lossless input, escape commands, the deaf-zone
 * policy) and the commands. Output scheduling lives in conout.c, the UART in drivers/pl011.c.
 *
 * Lock rules: mux.lock is a ticket lock taken after a zone's con_lock, never before it. Every
 * holder does bounded work: a zone's write copies at most one exit's budget; the UART interrupt
 * moves at most one FIFO's worth out and one refill mark into the transmit ring, and reads at
 * most the receive FIFO. Nothing waits for the UART while holding it.
 */
#include "hypervisor/mux.h"
#include "arch/spinlock.h"
#include "arch/sysreg.h"
#include "drivers/pl011.h"
#include "drivers/timer.h"
#include "hypervisor/conout.h"
#include "hypervisor/kbd.h"
#include "hypervisor/log.h"
#include "hypervisor/zone.h"

enum pending_action { ACT_NONE, ACT_RESTART, ACT_POWEROFF, ACT_SHOW_LOGS };

static struct {
    spinlock_t lock;    /* the producer side of conout, the keyboard, the commands */
    spinlock_t tx_lock; /* the consumer side of conout: the only one that writes the UART */
    struct conout co;
    struct conout_zone out[MAX_ZONES];
    struct escape esc;
    bool started;
    struct kbd kbd;
    /* "zone is off: input discarded" was said for the focused zone's boot with this number
     * (0: not yet): said again for each time it is off, not once per focus. */
    uint32_t off_noted;
    /* A zone that was deaf when the focus left it, or NO_DEAF_ZONE: its "discarding its keys
     * until it reads again" note is closed when it reads, focused or not. */
    uint32_t deaf_zone;
} mux;

#define NO_DEAF_ZONE UINT32_MAX

static size_t uart_fill(const uint8_t *buf, size_t len)
{
    return pl011_tx_fill(buf, len);
}

static const struct conout_uart uart_ops = {
    .fill = uart_fill,
    .tx_irq = pl011_tx_irq,
};

static void wake_zone(void *ctx, uint32_t id)
{
    UNUSED(ctx);
    zone_console_wake(&zones[id]);
}

/* ---- the transmitter ---- */

/* The UART's register writes happen under tx_lock only, never under the multiplexer lock: slow
 * under emulation (256 of them per transmit interrupt), they never hold up a zone that takes the
 * multiplexer lock to write its history, nor the input path. */
static void tx_kick(void)
{
    spin_lock(&mux.tx_lock);
    conout_kick(&mux.co);
    spin_unlock(&mux.tx_lock);
}

static void tx_pump(void)
{
    spin_lock(&mux.tx_lock);
    conout_drain(&mux.co, CONOUT_PUMP_MAX);
    spin_unlock(&mux.tx_lock);
}

/* End of a producer's turn: let go of the multiplexer lock and, if the transmitter is off, top
 * up the ring and start it (hypervisor/conout.h: the protocol). */
static void unlock_and_kick(void)
{
    bool idle = conout_tx_idle(&mux.co);
    if (idle)
        conout_refill(&mux.co);
    spin_unlock(&mux.lock);
    if (idle)
        tx_kick();
}

/* ---- hypervisor lines ---- */

static void hv_line_locked(const char *text)
{
    conout_hv_line(&mux.co, text);
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

void mux_emergency_line(const char *text)
{
    pl011_write_sync((const uint8_t *)"\r\n[hv] ", 7);
    pl011_write_sync((const uint8_t *)text, strlen(text));
    pl011_write_sync((const uint8_t *)"\r\n", 2);
}

void mux_hv_line(const char *text)
{
    if (!mux.started) {
        /* Early boot: one CPU, no interrupts yet; nothing else is on the wire. */
        pl011_write_sync((const uint8_t *)"[hv] ", 5);
        pl011_write_sync((const uint8_t *)text, strlen(text));
        pl011_write_sync((const uint8_t *)"\r\n", 2);
        return;
    }
    spin_lock(&mux.lock);
    hv_line_locked(text);
    unlock_and_kick();
}

/* ---- set-up ---- */

void mux_init(uint8_t escape_key, uint32_t focus)
{
    escape_init(&mux.esc, escape_key);
    kbd_init(&mux.kbd, timer_us((uint64_t)platform.input_deaf_ms * 1000));
    mux.deaf_zone = NO_DEAF_ZONE;
    conout_init(&mux.co, platform.tx_ring, platform.tx_ring_size, mux.out, 0, focus, &uart_ops,
                wake_zone, 0);
}

void mux_zone_init(struct zone *z)
{
    memset(&z->mux, 0, sizeof(z->mux));
    conout_zone_init(&mux.out[z->id], z->cfg->name, z->cfg->history, z->cfg->history_size);
    mux.co.nzones = MAX(mux.co.nzones, z->id + 1);
}

static struct zone *focused(void)
{
    return &zones[mux.co.focus];
}

bool mux_is_focused(const struct zone *z)
{
    return z->id == mux.co.focus;
}

uint64_t mux_dropped(const struct zone *z)
{
    const struct conout_zone *o = &mux.out[z->id];
    return o->dropped + history_dropped(&o->hist) + z->mux.dropped_input;
}

size_t mux_zone_output(struct zone *z, const uint8_t *buf, size_t len, bool may_wait)
{
    spin_lock(&mux.lock);
    size_t n = conout_zone_write(&mux.co, z->id, buf, len, may_wait);
    if (conout_zone_kicks(&mux.co, z->id))
        unlock_and_kick();
    else
        spin_unlock(&mux.lock); /* a background zone: into its history, nothing more */
    return n;
}

bool mux_zone_output_full(const struct zone *z)
{
    spin_lock(&mux.lock);
    bool full = conout_zone_full(&mux.co, z->id);
    spin_unlock(&mux.lock);
    return full;
}

/* ---- commands ---- */

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

static void focus_zone(uint32_t id)
{
    if (id >= nzones) {
        hv_printf_locked("no zone %u (zones 0-%u)", id, nzones - 1);
        return;
    }
    struct zone *z = &zones[id];
    /* The rest of the old zone's output stays in its ring for its next turn; the new zone's
     * replay starts at a line boundary if its ring overflowed. */
    uint32_t old = mux.co.focus;
    uint64_t lost = conout_focus(&mux.co, id);
    mux.off_noted = 0;
    enum kbd_state left = kbd_refocus(&mux.kbd, counter_now());
    if (left == KBD_DEAF)
        mux.deaf_zone = old;
    if (left != KBD_FLOWING)
        pl011_rx_irq(true); /* throttling or deafness concerned the old zone */
    banner(z);
    if (lost && !mux.co.tagged)
        hv_printf_locked("%s: %lu bytes of history were dropped (ring is %u bytes)", z->cfg->name,
                         lost, mux.out[id].hist.size);
}

static void list_zones(void)
{
    hv_printf_locked("  id name             state            out         in    dropped");
    for (uint32_t i = 0; i < nzones; i++) {
        struct zone *z = &zones[i];
        hv_printf_locked("%c %2u %-16s %-10s %10lu %10lu %10lu", i == mux.co.focus ? '*' : ' ', i,
                         z->cfg->name, zone_state_str(z), mux.out[i].bytes_out, z->mux.bytes_in,
                         mux_dropped(z));
        for (uint32_t p = 0; p < z->cfg->nports; p++) {
            char line[160];
            zone_port_describe(z, p, line, sizeof(line));
            hv_line_locked(line);
        }
    }
}

static void help(void)
{
    char key[8];
    key_name(key);
    hv_printf_locked("console keys: press %s (or send a BREAK), then", key);
    hv_printf_locked("  0-9   focus that zone (replays what it printed meanwhile)");
    hv_printf_locked("  n     focus the next zone");
    hv_printf_locked("  l     list zones: state, bytes out/in, bytes dropped; their ports");
    hv_printf_locked("  g     show the focused zone's log ports");
    hv_printf_locked("  t     tagged view on/off: every zone's lines, prefixed [name]");
    hv_printf_locked("  r     restart the focused zone");
    hv_printf_locked("  q     power off the machine");
    hv_printf_locked("  h ?   this help");
    hv_printf_locked("  %s    send %s itself to the focused zone", key, key);
}

static void toggle_tagged(void)
{
    if (mux.co.tagged) {
        conout_set_tagged(&mux.co, false);
        hv_printf_locked("tagged view off");
        focus_zone(mux.co.focus);
    } else {
        conout_set_tagged(&mux.co, true);
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
        focus_zone((mux.co.focus + 1) % nzones);
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
    case 'g':
        return ACT_SHOW_LOGS;
    case 'r':
        hv_printf_locked("restarting zone %u (%s)", mux.co.focus, focused()->cfg->name);
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

/* ---- keyboard ---- */

/* A zone that runs or restarts keeps its keys in its held-input ring (lifecycle.h). */
static bool zone_takes_input(const struct zone *z)
{
    return life_takes_input(&z->life);
}

/* Can the next UART byte be consumed without losing it (or, when deaf, must it be anyway)?
 * Also right after the escape key: the next byte may be the escape key again, one byte for a
 * zone whose ring is full, so it waits like any other key (until the zone reads, or it is
 * deaf, or a BREAK) instead of being read and lost. */
static bool can_accept(void)
{
    struct zone *z = focused();
    return kbd_reads_past_full(&mux.kbd) || !zone_takes_input(z) || vcon_input_space(&z->con) > 0;
}

static void deaf_check(void);

/* The focused zone's held input is full: stop reading and let the UART FIFO hold the sender
 * back, but only for input_deaf_ms; a zone that reads nothing for that long is not waited for. */
static void throttle(void)
{
    uint64_t deadline = kbd_throttle(&mux.kbd, counter_now());
    pl011_rx_irq(false);
    timer_arm(TIMER_CONSOLE, deadline, deaf_check);
}

/* Hand one keystroke to the focused zone; returns a bit for the zone to kick, or 0. */
static uint32_t deliver(uint8_t b)
{
    struct zone *z = focused();
    if (!zone_takes_input(z)) {
        z->mux.dropped_input++;
        if (mux.off_noted != z->boots)
            hv_printf_locked("%s is %s: input discarded (counted in the zone list)", z->cfg->name,
                             zone_state_str(z));
        mux.off_noted = z->boots;
        return 0;
    }
    if (!vcon_input_push(&z->con, b)) {
        /* Only a deaf zone gets here (can_accept): the key is gone, counted, and the deaf
         * note said so. */
        z->mux.dropped_input++;
        return 0;
    }
    z->mux.bytes_in++;
    /* A restarting zone's keys wait in its held ring for the new boot, which takes them when it
     * sets up its receive queue: a kick now would hand them to the boot that is going away. */
    return zone_running(z) ? 1u << z->id : 0;
}

/* Read what the UART has; returns the zones to kick and the action to take after the lock. */
static enum pending_action rx_locked(uint32_t *kick)
{
    enum pending_action act = ACT_NONE;
    while (act == ACT_NONE && pl011_rx_ready()) {
        if (!can_accept()) {
            throttle();
            break;
        }
        uint32_t in = pl011_getc();
        uint8_t b;
        if (in & PL011_RX_BREAK) {
            /* A BREAK from the line: an escape that needs no key, whatever the zone does. */
            mux.esc.armed = true;
            continue;
        }
        enum esc_action a = escape_feed(&mux.esc, (uint8_t)in, &b);
        if (a == ESC_DELIVER)
            *kick |= deliver(b);
        else if (a == ESC_COMMAND)
            act = command(b);
    }
    return act;
}

/* ---- log ports ---- */

#define LOG_SHOW_MAX 4096 /* the newest bytes of a log port shown by g */
#define LOG_LINE_MAX 120

static spinlock_t show_lock; /* show_buf */
static uint8_t show_buf[LOG_SHOW_MAX];

/* One shown line of log text: control characters as '.', so nothing in a log can drive the
 * terminal. */
static void show_log_line(const uint8_t *b, uint32_t n)
{
    char line[LOG_LINE_MAX + 8];
    uint32_t k = 0;
    line[k++] = ' ';
    line[k++] = ' ';
    for (uint32_t i = 0; i < n; i++)
        line[k++] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '.';
    line[k] = 0;
    mux_hv_line(line);
}

static void show_log_text(const uint8_t *b, uint32_t n)
{
    uint32_t start = 0;
    for (uint32_t i = 0; i <= n; i++) {
        bool end = i == n || b[i] == '\n';
        if (!end && i - start < LOG_LINE_MAX)
            continue;
        uint32_t len = i - start;
        if (len && b[start + len - 1] == '\r')
            len--;
        if (i < n || len)
            show_log_line(b + start, len);
        start = i < n && b[i] == '\n' ? i + 1 : i;
    }
}

/* The log ports of a zone, newest LOG_SHOW_MAX bytes each, as hypervisor lines. Outside the
 * multiplexer lock: the port lock nests outside it, and the copy is taken under the port lock
 * so the text is shown without holding anything that a zone needs. */
static void show_logs(struct zone *z)
{
    char line[160];
    bool any = false;
    for (uint32_t p = 0; p < z->cfg->nports; p++) {
        if (z->cfg->ports[p].kind != PORT_LOG)
            continue;
        any = true;
        spin_lock(&show_lock);
        spin_lock(&z->ports_lock);
        const struct history *h = &z->ports.port[p].log;
        uint64_t written = h->written;
        uint32_t n = history_copy_tail(h, show_buf, LOG_SHOW_MAX);
        spin_unlock(&z->ports_lock);
        hv_snprintf(line, sizeof(line), "--- %s:%s log: last %u of %lu bytes written ---",
                    z->cfg->name, z->cfg->ports[p].name, n, written);
        mux_hv_line(line);
        show_log_text(show_buf, n);
        spin_unlock(&show_lock);
        hv_snprintf(line, sizeof(line), "--- end of %s:%s ---", z->cfg->name,
                    z->cfg->ports[p].name);
        mux_hv_line(line);
    }
    if (!any) {
        hv_snprintf(line, sizeof(line), "%s has no log port", z->cfg->name);
        mux_hv_line(line);
    }
}

static void after_unlock(enum pending_action act, uint32_t kick, struct zone *target)
{
    /* Outside the mux lock: the device lock nests outside it (device -> mux). */
    for (uint32_t i = 0; i < nzones; i++)
        if (kick & (1u << i))
            zone_console_kick(&zones[i]);
    if (act == ACT_RESTART)
        zone_restart(target);
    else if (act == ACT_SHOW_LOGS)
        show_logs(target);
    else if (act == ACT_POWEROFF)
        hv_system_off();
}

static void go_deaf_note(bool on_break)
{
    const char *name = focused()->cfg->name;
    if (on_break)
        hv_printf_locked("BREAK: %s's input is full; discarding its keys (counted in the zone "
                         "list) until it reads again",
                         name);
    else
        hv_printf_locked("%s has taken no input for %u ms: discarding its keys (counted in the "
                         "zone list) until it reads again",
                         name, platform.input_deaf_ms);
}

/* Timer: has the throttled zone read nothing for input_deaf_ms? Then stop waiting for it. */
static void deaf_check(void)
{
    uint32_t kick = 0;
    enum pending_action act = ACT_NONE;
    spin_lock(&mux.lock);
    if (kbd_deaf_timeout(&mux.kbd, counter_now())) {
        go_deaf_note(false);
        pl011_rx_irq(true);
        act = rx_locked(&kick);
    }
    struct zone *target = focused();
    unlock_and_kick();
    after_unlock(act, kick, target);
}

void mux_uart_irq(void)
{
    uint32_t kick = 0;
    enum pending_action act = ACT_NONE;
    /* Acknowledge first: the transmit event the drain's own writes raise must stay latched. */
    uint32_t ev = pl011_irq_events();
    /* The UART's share, outside the multiplexer lock: the input path and every zone's history
     * writes go on while this interrupt writes the UART. */
    tx_pump();
    spin_lock(&mux.lock);
    if ((ev & PL011_EV_BREAK) && kbd_break(&mux.kbd, counter_now())) {
        /* Held back behind a full zone, the BREAK would wait for the deaf timer: read on now. */
        go_deaf_note(true);
        pl011_rx_irq(true);
        ev |= PL011_EV_RX;
    }
    if (ev & PL011_EV_RX)
        act = rx_locked(&kick);
    /* The transmitter's refill, also after commands: their lines and a new focus's replay
     * start moving at once. */
    conout_refill(&mux.co);
    bool idle = conout_tx_idle(&mux.co);
    struct zone *target = focused();
    spin_unlock(&mux.lock);
    if (idle)
        tx_kick();
    after_unlock(act, kick, target);
}

void mux_input_space(struct zone *z)
{
    spin_lock(&mux.lock);
    bool changed = false, reads_again = false;
    if (mux.kbd.state != KBD_FLOWING && (z->id == mux.co.focus || !zone_takes_input(focused()))) {
        reads_again = kbd_zone_read(&mux.kbd, counter_now()) == KBD_DEAF;
        pl011_rx_irq(true);
        changed = true;
    }
    if (z->id == mux.deaf_zone) {
        /* Deaf when the focus left it: its note is closed now, wherever the focus is. */
        reads_again |= zone_running(z);
        mux.deaf_zone = NO_DEAF_ZONE;
        changed = true;
    }
    if (reads_again)
        hv_printf_locked("%s reads input again", z->cfg->name);
    if (changed)
        unlock_and_kick();
    else
        spin_unlock(&mux.lock);
}

void mux_start(void)
{
    spin_lock(&mux.lock);
    mux.started = true;
    banner(focused());
    unlock_and_kick();
    pl011_rx_irq(true);
}
