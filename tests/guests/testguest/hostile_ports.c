/*
 * hostile ctl [flood N]: control messages the multiport device must refuse (hypervisor/
 * vcon_ports.h), sent on purpose. The hypervisor logs each refusal on one rate-limited line
 * ("virtio ports: control message (port N) refused: WHY") and changes nothing; a receive buffer
 * too small for a control message is a ring fault (DEVICE_NEEDS_RESET) instead. Each step is
 * announced as "hostile ctl: STEP" before it is sent; after the last one the device is set up
 * again and the ports we had open are reopened, so a test can check that it works as before.
 *
 *   live device   short, unknown event, device-only event, value 2, id beyond max_nr_ports,
 *                 DEVICE_READY again, PORT_READY again, PORT_OPEN twice each way, PORT_OPEN
 *                 cut over three descriptors and one with 16 bytes after the header (both
 *                 taken: the plain message repeated after each is refused as "already")
 *   order         after a reset: PORT_READY before DEVICE_READY; PORT_READY and PORT_OPEN
 *                 before DEVICE_ADD was delivered (no control receive buffer posted); then
 *                 12-byte receive buffers, which cut every port's name
 *   failed        DEVICE_READY(0), then PORT_READY and DEVICE_READY(1)
 *   fault         4-byte control receive buffers: the device needs a reset, and we recover
 *
 * `hostile ctl flood N` sends N unknown events back to back, then one more after a pause: the
 * log keeps to its burst, and that last line counts the lines it suppressed.
 */
#include "hostile_ports.h"

#include "console.h"
#include "print.h"
#include "util.h"
#include "vports.h"

/* The hypervisor's zone log allows a burst, then a line every 100 ms: a refused message is
 * followed by this pause so that every step has its own line. */
#define LOG_GAP_MS 110
#define SMALL_CTL_BUF 12 /* a header and 4 bytes of a name */
#define TINY_CTL_BUF 4   /* not even a header */
#define CTL_BUF_FULL 64
#define CTL_BUFS_FULL 16
#define UNKNOWN_EVENT 99
#define LONG_MSG 24

static void step(const char *what)
{
    kprintf("hostile ctl: %s\r\n", what);
    console_flush(); /* in order with the hypervisor's lines */
}

/* A message the device must refuse: sent, then the pause. */
static void refused(const char *what, uint32_t id, uint16_t event, uint16_t value)
{
    step(what);
    if (vports_ctl_msg(id, event, value))
        kputs("hostile ctl: the device did not take the message\r\n");
    vports_pause_ms(LOG_GAP_MS);
}

/* A header, cut into segments or followed by junk: the device must take it like a plain one. */
static void odd_shape(const char *what, uint16_t value, const uint32_t *seg, uint32_t nseg)
{
    uint8_t m[LONG_MSG] = {0, 0, 0, 0, VP_PORT_OPEN, 0, (uint8_t)value, 0};

    for (uint32_t i = 8; i < LONG_MSG; i++)
        m[i] = 0xa5;
    step(what);
    if (vports_ctl_send(m, seg, nseg))
        kputs("hostile ctl: the device did not take the message\r\n");
}

static void live_device(void)
{
    static const uint32_t split[] = {3, 3, 2}, whole[] = {LONG_MSG}, four[] = {4};
    static const uint8_t short_msg[4] = {0, 0, 0, 0};
    int open = (vports_open_mask() & 1) != 0;

    step("short message (4 bytes)");
    vports_ctl_send(short_msg, four, 1);
    vports_pause_ms(LOG_GAP_MS);
    refused("unknown event 99", 0, UNKNOWN_EVENT, 1);
    refused("DEVICE_ADD from the driver", 0, VP_DEVICE_ADD, 0);
    refused("PORT_OPEN value 2", 0, VP_PORT_OPEN, 2);
    /* An id that differs from a valid one only above its low 16 bits: logged as it is. */
    refused("PORT_OPEN for port 65537 (beyond max_nr_ports)", 0x10001, VP_PORT_OPEN, 1);
    refused("DEVICE_READY again", VPORTS_BAD_ID, VP_DEVICE_READY, 1);
    refused("PORT_READY again", 0, VP_PORT_READY, 1);
    /* Port 0 as we found it, then the other way, each twice: the second is refused. */
    refused("PORT_OPEN twice (as it is)", 0, VP_PORT_OPEN, (uint16_t)open);
    step("PORT_OPEN (the other way)");
    vports_ctl_msg(0, VP_PORT_OPEN, (uint16_t)!open);
    refused("PORT_OPEN twice (the other way)", 0, VP_PORT_OPEN, (uint16_t)!open);
    /* Odd shapes, taken: the plain message after each is refused as a repeat. */
    odd_shape("PORT_OPEN cut in 3 descriptors", (uint16_t)open, split, ARRAY_SIZE(split));
    refused("PORT_OPEN again after the cut one", 0, VP_PORT_OPEN, (uint16_t)open);
    odd_shape("PORT_OPEN with 16 bytes after the header", (uint16_t)!open, whole, 1);
    refused("PORT_OPEN again after the long one", 0, VP_PORT_OPEN, (uint16_t)!open);
    step("PORT_OPEN (back as it was)");
    vports_ctl_msg(0, VP_PORT_OPEN, (uint16_t)open);
}

static int restart(uint32_t bufs, uint32_t len)
{
    const char *why;

    if (!vports_restart(bufs, len, &why))
        return 0;
    kprintf("hostile ctl: set-up failed: %s\r\n", why);
    return -1;
}

static void protocol_order(void)
{
    step("device reset, no control receive buffer");
    if (restart(0, CTL_BUF_FULL))
        return;
    refused("PORT_READY before DEVICE_READY", 0, VP_PORT_READY, 1);
    step("DEVICE_READY(1)");
    vports_ctl_msg(VPORTS_BAD_ID, VP_DEVICE_READY, 1);
    refused("PORT_READY before DEVICE_ADD was delivered", 0, VP_PORT_READY, 1);
    refused("PORT_OPEN before the port is ready", 0, VP_PORT_OPEN, 1);
    step("12-byte control receive buffers (names cut)");
    vports_ctl_post(CTL_BUFS_FULL, SMALL_CTL_BUF);
    vports_poll(); /* DEVICE_ADDs answered; each name comes cut */
    vports_pause_ms(LOG_GAP_MS * vports_get_info()->nports);
}

static void device_failed(void)
{
    step("device reset, DEVICE_READY(0)");
    if (restart(CTL_BUFS_FULL, CTL_BUF_FULL))
        return;
    vports_ctl_msg(VPORTS_BAD_ID, VP_DEVICE_READY, 0);
    refused("PORT_READY after DEVICE_READY(0)", 0, VP_PORT_READY, 1);
    refused("DEVICE_READY(1) after DEVICE_READY(0)", VPORTS_BAD_ID, VP_DEVICE_READY, 1);
}

static void ring_fault(void)
{
    step("device reset, 4-byte control receive buffers");
    if (restart(CTL_BUFS_FULL, TINY_CTL_BUF))
        return;
    vports_ctl_msg(VPORTS_BAD_ID, VP_DEVICE_READY, 1);
    vports_pause_ms(LOG_GAP_MS);
    vports_poll(); /* DEVICE_NEEDS_RESET: set up again */
}

static void flood(const char *args)
{
    uint64_t n;

    if (parse_u64(args, &n)) {
        kputs("usage: hostile ctl flood N\r\n");
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        vports_ctl_msg(0, UNKNOWN_EVENT, 1);
    vports_pause_ms(LOG_GAP_MS);
    vports_ctl_msg(0, UNKNOWN_EVENT, 1);
    kprintf("hostile ctl flood: %lu unknown events sent\r\n", (unsigned long)n + 1);
}

void hostile_ctl(const char *args)
{
    uint32_t was_open = vports_open_mask();
    const struct vports_info *in = vports_get_info();

    if (!vports_present()) {
        kputs("hostile ctl: no multiport device\r\n");
        return;
    }
    console_flush(); /* the command's echo, before the hypervisor's lines */
    vports_poll();
    args = skip_spaces(args);
    if (!memcmp(args, "flood", 5) && (args[5] == ' ' || !args[5])) {
        flood(args + 5);
        return;
    }
    if (*args) {
        kputs("usage: hostile ctl [flood N]\r\n");
        return;
    }
    live_device();
    protocol_order();
    device_failed();
    ring_fault();
    step("device reset, handshake");
    if (vports_reinit(was_open))
        kputs("hostile ctl: the device did not come back\r\n");
    kprintf("hostile ctl: done, %u ports, resets=%u\r\n", in->nports, in->resets);
}
