/*
 * The data-port commands, over the multiport device (vports.h):
 *
 *   ports                  the ports: id, name, the host's side and ours (open or closed),
 *                          bytes read and written
 *   ports bufs SIZE        receive buffers of SIZE bytes (1-4096, 4096 at boot): the device is
 *                          set up again, the open ports reopened
 *   port open NAME         PORT_OPEN(1): a link's bytes reach us only while it is open
 *   port close NAME        PORT_OPEN(0)
 *   port write NAME TEXT   TEXT's bytes (no line end), done once the device took them all
 *   port flood NAME N      N flood-pattern bytes (pattern.h), then their crc32 and the ticks
 *   port read NAME         what has arrived, quoted (waits until nothing more comes for 100 ms)
 *   port read NAME N       N bytes, then their crc32 and the ticks, or where they stopped
 *
 * Received bytes stay with the device until `port read` takes them, so a zone that does not
 * read holds a link's writer back (backpressure); a transfer with no progress for
 * VPORTS_IDLE_MS gives up and says how far it came.
 */
#include "ports_cmd.h"

#include "arch.h"
#include "console.h"
#include "crc32.h"
#include "pattern.h"
#include "print.h"
#include "util.h"
#include "vports.h"

#define WORD_MAX 40
#define TEXT_MAX 1024      /* bytes `port read NAME` shows */
#define READ_SETTLE_MS 100 /* `port read NAME`: done when nothing more came for this long */
#define FLOOD_CHUNK 4096

/* The flood pattern from any offset: one period and a chunk more, filled once. */
static uint8_t pat[PATTERN_PERIOD + FLOOD_CHUNK];
static int pat_ready;
static uint8_t text[TEXT_MAX];

static int no_device(void)
{
    if (vports_present())
        return 0;
    kputs("ports: no multiport device\r\n");
    return 1;
}

/* kprintf has no left-justified fields. */
static void put_left(const char *s, unsigned width)
{
    unsigned len = (unsigned)strlen(s);

    kputs(s);
    for (; len < width; len++)
        kputc(' ');
}

static void ports_bufs(const char *args)
{
    uint64_t size;

    if (parse_u64(args, &size) || size == 0 || size > 4096) {
        kputs("usage: ports bufs SIZE (1-4096)\r\n");
        return;
    }
    if (vports_set_rx_size((uint32_t)size))
        kputs("ports: the device did not come back\r\n");
    else
        kprintf("ports: receive buffers of %u bytes\r\n", (unsigned)size);
}

void cmd_ports(const char *args)
{
    const struct vports_info *in = vports_get_info();

    if (no_device())
        return;
    vports_poll();
    args = skip_spaces(args);
    if (!memcmp(args, "bufs", 4) && (args[4] == ' ' || !args[4])) {
        ports_bufs(args + 4);
        return;
    }
    kprintf("ports: base=0x%lx intid=%u max_nr_ports=%u resets=%u irqs=%u ctl-in=%u ctl-out=%u "
            "odd=%u rx-empty=%u\r\n",
            (unsigned long)in->base, in->intid, in->max_nr_ports, in->resets, in->irqs, in->ctl_in,
            in->ctl_out, in->ctl_odd, in->rx_empty);
    kputs("  id name             host   guest        read    written\r\n");
    for (uint32_t i = 0; i < in->nports; i++) {
        const struct vport *p = vports_port(i);

        if (!p->added && !p->ready)
            continue; /* never announced: a device may have fewer ports than max_nr_ports */
        kprintf("  %2u ", i);
        put_left(p->name[0] ? p->name : "-", 17);
        put_left(p->host_open ? "open" : "closed", 7);
        put_left(p->guest_open ? "open" : "closed", 6);
        kprintf(" %10lu %10lu%s\r\n", (unsigned long)p->rx_bytes, (unsigned long)p->tx_bytes,
                p->ready ? "" : " (not ready)");
    }
}

/* Copies the first word of *s (at most WORD_MAX bytes) into w and moves *s past it. */
static void next_word(const char **s, char w[WORD_MAX + 1])
{
    unsigned n = 0;

    *s = skip_spaces(*s);
    while (**s && **s != ' ') {
        if (n < WORD_MAX)
            w[n++] = **s;
        (*s)++;
    }
    w[n] = '\0';
    if (**s == ' ')
        (*s)++; /* the rest starts after one space: `port write` keeps further spaces */
}

static void print_quoted(const uint8_t *b, uint32_t n)
{
    kputc('"');
    for (uint32_t i = 0; i < n; i++) {
        if (b[i] == '\n')
            kputs("\\n");
        else if (b[i] == '\r')
            kputs("\\r");
        else if (b[i] == '"' || b[i] == '\\')
            kprintf("\\%c", b[i]);
        else if (b[i] >= 0x20 && b[i] < 0x7f)
            kputc((char)b[i]);
        else
            kprintf("\\x%02x", b[i]);
    }
    kputc('"');
}

static void port_open(int id, const char *name, int open)
{
    const struct vport *p = vports_port((uint32_t)id);

    if (p->guest_open == open) {
        kprintf("port %s: already %s\r\n", name, open ? "open" : "closed");
        return;
    }
    if (vports_set_open((uint32_t)id, open))
        kprintf("port %s: the device did not take PORT_OPEN(%d)\r\n", name, open);
    else
        kprintf("port %s: %s\r\n", name, open ? "open" : "closed");
}

static void port_write(int id, const char *name, const char *rest)
{
    uint32_t n = (uint32_t)strlen(rest);
    uint64_t before = vports_port((uint32_t)id)->tx_bytes;

    if (vports_write((uint32_t)id, rest, n) || vports_drain((uint32_t)id))
        kprintf("port write %s: stalled after %lu of %u bytes\r\n", name,
                (unsigned long)(vports_port((uint32_t)id)->tx_bytes - before), n);
    else
        kprintf("port write %s: bytes=%u\r\n", name, n);
}

static void port_flood(int id, const char *name, uint64_t n)
{
    uint64_t before = vports_port((uint32_t)id)->tx_bytes, t0, off;
    uint32_t crc = CRC32_INIT;
    int err = 0;

    if (!pat_ready) {
        pattern_fill(pat, sizeof(pat));
        pat_ready = 1;
    }
    t0 = counter_read();
    for (off = 0; off < n && !err; off += FLOOD_CHUNK) {
        uint32_t len = (uint32_t)MIN(n - off, (uint64_t)FLOOD_CHUNK);
        const uint8_t *src = pat + off % PATTERN_PERIOD;

        crc = crc32_update(crc, src, len);
        err = vports_write((uint32_t)id, src, len);
    }
    if (err || vports_drain((uint32_t)id)) {
        kprintf("port flood %s: stalled after %lu of %lu bytes\r\n", name,
                (unsigned long)(vports_port((uint32_t)id)->tx_bytes - before), (unsigned long)n);
        return;
    }
    kprintf("port flood %s: crc32=%08x bytes=%lu ticks=%lu\r\n", name, crc32_final(crc),
            (unsigned long)n, (unsigned long)(counter_read() - t0));
}

static void port_read(int id, const char *name, const char *rest)
{
    uint64_t n, t0;
    uint32_t crc = CRC32_INIT, got;

    if (!*skip_spaces(rest)) {
        got = vports_read((uint32_t)id, text, TEXT_MAX, READ_SETTLE_MS, 0);
        kprintf("port read %s: bytes=%u ", name, got);
        print_quoted(text, got);
        kputs("\r\n");
        return;
    }
    if (parse_u64(rest, &n) || n > 0xffffffffu) {
        kputs("usage: port read NAME [N]\r\n");
        return;
    }
    t0 = counter_read();
    got = vports_read((uint32_t)id, 0, (uint32_t)n, VPORTS_IDLE_MS, &crc);
    if (got < n)
        kprintf("port read %s: stalled after %u of %lu bytes crc32=%08x\r\n", name, got,
                (unsigned long)n, crc32_final(crc));
    else
        kprintf("port read %s: crc32=%08x bytes=%u ticks=%lu\r\n", name, crc32_final(crc), got,
                (unsigned long)(counter_read() - t0));
}

static void port_usage(void)
{
    kputs(
        "usage: port open|close NAME\r\n"
        "       port write NAME TEXT    TEXT's bytes\r\n"
        "       port flood NAME N       N pattern bytes, then crc32 and ticks\r\n"
        "       port read NAME [N]      what arrived, quoted; or N bytes, then crc32 and ticks\r\n"
        "(`ports` lists the names)\r\n");
}

void cmd_port(const char *args)
{
    char op[WORD_MAX + 1], name[WORD_MAX + 1];
    uint64_t n;
    int id;

    next_word(&args, op);
    next_word(&args, name);
    if (!op[0] || !name[0]) {
        port_usage();
        return;
    }
    if (no_device())
        return;
    console_flush(); /* the echo of the command line, before a transfer that may wait long */
    vports_poll();
    if ((id = vports_find(name)) < 0) {
        kprintf("port: no port %s (see ports)\r\n", name);
        return;
    }
    if (str_eq(op, "open") || str_eq(op, "close"))
        port_open(id, name, str_eq(op, "open"));
    else if (str_eq(op, "write"))
        port_write(id, name, args);
    else if (str_eq(op, "flood") && !parse_u64(args, &n))
        port_flood(id, name, n);
    else if (str_eq(op, "read"))
        port_read(id, name, args);
    else
        port_usage();
}
