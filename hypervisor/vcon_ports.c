/* The multiport control protocol: see vcon_ports.h for the transitions. */
#include "hypervisor/vcon_ports.h"

/*
 * Why the pending queue cannot overflow: a message is queued only by a transition that happens
 * once per port between two resets (DEVICE_ADD: IDLE -> ADD_QUEUED; CONSOLE_PORT and PORT_NAME:
 * ADDED -> READY), or, for PORT_OPEN, only when the port has none queued (a change while one is
 * queued is carried by that one: its value is read from the port when it is sent). So the queue
 * holds at most one message of each kind per port, which vcp_port.pending records and enqueue
 * checks. A driver that posts no control receive buffer and sends anything at all, and a peer
 * that opens and closes its end forever, therefore still fit. Should the check ever fail, the
 * message is not queued, VCP_ERR_QUEUE_FULL is returned and counted (overflows): never silent.
 */
_Static_assert(VCP_QUEUE_LEN >= VCP_KINDS * VCP_MAX_PORTS, "one message of each kind per port");
_Static_assert((VCP_QUEUE_LEN & (VCP_QUEUE_LEN - 1)) == 0, "free-running indexes wrap evenly");
_Static_assert(VCP_MAX_PORTS <= 32, "vcp_reset returns a 32-bit port mask");
_Static_assert(VCP_MAX_PORTS <= 256, "a queue entry keeps its port in one byte");
_Static_assert(VCP_NAME_MAX <= 255, "a port keeps its name length in one byte");
_Static_assert(VCP_KINDS <= 8, "vcp_port.pending is one byte");

static uint32_t get_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t get_le16(const uint8_t *b)
{
    return (uint16_t)(b[0] | b[1] << 8);
}

static void put_header(uint8_t *b, uint32_t id, uint16_t event, uint16_t value)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(id >> (8 * i));
    b[4] = (uint8_t)event;
    b[5] = (uint8_t)(event >> 8);
    b[6] = (uint8_t)value;
    b[7] = (uint8_t)(value >> 8);
}

/* The characters a name may hold: it becomes a path component in the guest. */
static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static bool set_name(struct vcp_port *port, const char *name)
{
    uint32_t n = 0;
    if (!name)
        return true;
    for (; name[n]; n++) {
        if (n == VCP_NAME_MAX || !name_char_ok(name[n]))
            return false;
        port->name[n] = name[n];
    }
    port->name_len = (uint8_t)n;
    return true;
}

enum vcp_err vcp_init(struct vcp *p, const struct vcp_port_cfg *cfg, uint32_t nr_ports)
{
    memset(p, 0, sizeof(*p));
    if (nr_ports == 0 || nr_ports > VCP_MAX_PORTS)
        return VCP_ERR_CONFIG;
    p->nr_ports = nr_ports;
    for (uint32_t i = 0; i < nr_ports; i++) {
        if (!set_name(&p->port[i], cfg[i].name)) {
            memset(p, 0, sizeof(*p));
            return VCP_ERR_CONFIG;
        }
        p->port[i].console = cfg[i].console;
        p->port[i].host_open = cfg[i].host_open;
    }
    return VCP_OK;
}

uint32_t vcp_reset(struct vcp *p)
{
    uint32_t was_open = 0;
    for (uint32_t i = 0; i < p->nr_ports; i++) {
        struct vcp_port *port = &p->port[i];
        if (port->guest_open)
            was_open |= (uint32_t)BIT(i);
        port->state = VCP_PS_IDLE;
        port->guest_open = false;
        port->pending = 0;
    }
    p->state = VCP_DEV_WAIT_READY;
    p->q_head = p->q_tail = 0;
    return was_open;
}

/* ---- the pending queue ---- */

static enum vcp_err enqueue(struct vcp *p, uint32_t id, enum vcp_kind kind)
{
    struct vcp_port *port = &p->port[id];
    if ((port->pending & BIT(kind)) || vcp_pending(p) == VCP_QUEUE_LEN) {
        p->overflows++; /* the bound argued above is broken: say so, queue nothing */
        return VCP_ERR_QUEUE_FULL;
    }
    p->q[p->q_tail % VCP_QUEUE_LEN] = (struct vcp_entry){.port = (uint8_t)id, .kind = kind};
    p->q_tail++;
    port->pending |= (uint8_t)BIT(kind);
    return VCP_OK;
}

bool vcp_next(const struct vcp *p, struct vcp_msg *m)
{
    if (!vcp_pending(p))
        return false;
    const struct vcp_entry *e = &p->q[p->q_head % VCP_QUEUE_LEN];
    const struct vcp_port *port = &p->port[e->port];
    m->body = NULL;
    m->body_len = 0;
    switch ((enum vcp_kind)e->kind) {
    case VCP_K_ADD:
        put_header(m->hdr, e->port, VCP_DEVICE_ADD, 0);
        break;
    case VCP_K_CONSOLE:
        put_header(m->hdr, e->port, VCP_CONSOLE_PORT, 1);
        break;
    case VCP_K_NAME:
        put_header(m->hdr, e->port, VCP_PORT_NAME, 1);
        m->body = (const uint8_t *)port->name;
        m->body_len = port->name_len;
        break;
    case VCP_K_OPEN:
    case VCP_KINDS:
        /* Read now, not when queued: the latest host state is the one the driver needs. */
        put_header(m->hdr, e->port, VCP_PORT_OPEN, port->host_open);
        break;
    }
    m->len = VCP_MSG_LEN + m->body_len;
    return true;
}

/* Transition ADD_QUEUED -> ADDED: the driver can now know the port. */
static void add_delivered(struct vcp_port *port)
{
    if (port->state == VCP_PS_ADD_QUEUED)
        port->state = VCP_PS_ADDED;
}

enum vcp_err vcp_sent(struct vcp *p)
{
    if (!vcp_pending(p))
        return VCP_ERR_EMPTY;
    const struct vcp_entry *e = &p->q[p->q_head % VCP_QUEUE_LEN];
    struct vcp_port *port = &p->port[e->port];
    port->pending &= (uint8_t)~BIT(e->kind);
    if (e->kind == VCP_K_ADD)
        add_delivered(port);
    p->q_head++;
    return VCP_OK;
}

/* ---- transitions driven by the driver ---- */

/* WAIT_READY -> READY: announce every port, port 0 included. */
static enum vcp_err device_ready(struct vcp *p)
{
    enum vcp_err err = VCP_OK;
    p->state = VCP_DEV_READY;
    for (uint32_t i = 0; i < p->nr_ports; i++) {
        p->port[i].state = VCP_PS_ADD_QUEUED;
        enum vcp_err e = enqueue(p, i, VCP_K_ADD);
        err = err ? err : e;
    }
    return err;
}

/* WAIT_READY -> FAILED: the driver could not set the device up; it will reset it. */
static void device_failed(struct vcp *p)
{
    p->state = VCP_DEV_FAILED;
}

/* ADDED -> READY: now, and only now, the port's own messages, in the order QEMU sends them. */
static enum vcp_err port_ready(struct vcp *p, uint32_t id)
{
    struct vcp_port *port = &p->port[id];
    enum vcp_err err = VCP_OK, e;
    port->state = VCP_PS_READY;
    if (port->console && (e = enqueue(p, id, VCP_K_CONSOLE)))
        err = e;
    if (port->name_len && (e = enqueue(p, id, VCP_K_NAME)))
        err = err ? err : e;
    if (port->host_open && (e = enqueue(p, id, VCP_K_OPEN)))
        err = err ? err : e;
    return err;
}

/* ADDED -> FAILED: the driver has no such port, and says so. */
static void port_failed(struct vcp_port *port)
{
    port->state = VCP_PS_FAILED;
}

/* READY -> READY with the guest's side opened or closed. */
static void guest_open(struct vcp_port *port, bool open)
{
    port->guest_open = open;
}

static void note(struct vcp_note *n, enum vcp_note_kind kind, uint32_t port)
{
    n->kind = kind;
    n->port = port;
}

static enum vcp_err on_device_ready(struct vcp *p, uint16_t value, struct vcp_note *n)
{
    if (p->state != VCP_DEV_WAIT_READY)
        return VCP_ERR_DEVICE_READY_AGAIN; /* DEVICE_ADD twice is forbidden (5.3.6.2.1) */
    if (value == 0) {
        device_failed(p);
        note(n, VCP_NOTE_DEVICE_FAILED, 0);
        return VCP_OK;
    }
    note(n, VCP_NOTE_DEVICE_READY, 0);
    return device_ready(p);
}

static enum vcp_err on_port_ready(struct vcp *p, uint32_t id, uint16_t value, struct vcp_note *n)
{
    struct vcp_port *port = &p->port[id];
    if (port->state == VCP_PS_READY || port->state == VCP_PS_FAILED)
        return VCP_ERR_PORT_READY_AGAIN;
    if (port->state != VCP_PS_ADDED)
        return VCP_ERR_NOT_ADDED; /* the driver cannot know of it yet */
    if (value == 0) {
        port_failed(port);
        note(n, VCP_NOTE_PORT_FAILED, id);
        return VCP_OK;
    }
    note(n, VCP_NOTE_PORT_READY, id);
    return port_ready(p, id);
}

static enum vcp_err on_port_open(struct vcp *p, uint32_t id, uint16_t value, struct vcp_note *n)
{
    struct vcp_port *port = &p->port[id];
    if (port->state != VCP_PS_READY)
        return VCP_ERR_PORT_NOT_READY;
    if (value && port->guest_open)
        return VCP_ERR_ALREADY_OPEN;
    if (!value && !port->guest_open)
        return VCP_ERR_ALREADY_CLOSED;
    guest_open(port, value != 0);
    note(n, value ? VCP_NOTE_GUEST_OPEN : VCP_NOTE_GUEST_CLOSE, id);
    return VCP_OK;
}

/* Is the message acceptable at all, before looking at any state? */
static enum vcp_err check_event(uint16_t event, uint16_t value)
{
    switch (event) {
    case VCP_DEVICE_READY:
    case VCP_PORT_READY:
    case VCP_PORT_OPEN:
        return value <= 1 ? VCP_OK : VCP_ERR_BAD_VALUE;
    case VCP_DEVICE_ADD:
    case VCP_DEVICE_REMOVE:
    case VCP_CONSOLE_PORT:
    case VCP_RESIZE:
    case VCP_PORT_NAME:
        return VCP_ERR_DEVICE_EVENT;
    default:
        return VCP_ERR_UNKNOWN_EVENT;
    }
}

enum vcp_err vcp_driver_msg(struct vcp *p, const uint8_t *msg, uint32_t len, struct vcp_note *n)
{
    note(n, VCP_NOTE_NONE, 0);
    if (len < VCP_MSG_LEN)
        return VCP_ERR_SHORT;
    uint32_t id = get_le32(msg);
    uint16_t event = get_le16(msg + 4), value = get_le16(msg + 6);
    enum vcp_err err = check_event(event, value);
    if (err)
        return err;
    if (event == VCP_DEVICE_READY)
        return on_device_ready(p, value, n); /* its id is unused (Linux sends VCP_BAD_ID) */
    if (p->state == VCP_DEV_FAILED)
        return VCP_ERR_DEVICE_FAILED;
    if (p->state != VCP_DEV_READY)
        return VCP_ERR_BEFORE_READY;
    if (id >= p->nr_ports)
        return VCP_ERR_BAD_ID;
    if (event == VCP_PORT_READY)
        return on_port_ready(p, id, value, n);
    return on_port_open(p, id, value, n);
}

/* ---- transitions driven by the host side ---- */

enum vcp_err vcp_set_host_open(struct vcp *p, uint32_t id, bool open)
{
    if (id >= p->nr_ports)
        return VCP_ERR_BAD_ID;
    struct vcp_port *port = &p->port[id];
    if (port->host_open == open)
        return VCP_OK;
    port->host_open = open;
    /* Before READY the driver hears it from port_ready; one queued already carries the news. */
    if (port->state != VCP_PS_READY || (port->pending & BIT(VCP_K_OPEN)))
        return VCP_OK;
    return enqueue(p, id, VCP_K_OPEN);
}

const char *vcp_err_str(enum vcp_err e)
{
    switch (e) {
    case VCP_OK:
        return "ok";
    case VCP_ERR_SHORT:
        return "control message shorter than 8 bytes";
    case VCP_ERR_UNKNOWN_EVENT:
        return "control message with an unknown event";
    case VCP_ERR_DEVICE_EVENT:
        return "control message only a device sends";
    case VCP_ERR_BAD_VALUE:
        return "control message value not 0 or 1";
    case VCP_ERR_BAD_ID:
        return "control message for a port beyond max_nr_ports";
    case VCP_ERR_BEFORE_READY:
        return "port control message before DEVICE_READY";
    case VCP_ERR_DEVICE_FAILED:
        return "control message after DEVICE_READY(0)";
    case VCP_ERR_DEVICE_READY_AGAIN:
        return "DEVICE_READY again";
    case VCP_ERR_NOT_ADDED:
        return "PORT_READY for a port not added";
    case VCP_ERR_PORT_READY_AGAIN:
        return "PORT_READY again";
    case VCP_ERR_PORT_NOT_READY:
        return "PORT_OPEN for a port not ready";
    case VCP_ERR_ALREADY_OPEN:
        return "PORT_OPEN(1) for a port already open";
    case VCP_ERR_ALREADY_CLOSED:
        return "PORT_OPEN(0) for a port already closed";
    case VCP_ERR_QUEUE_FULL:
        return "control queue full";
    case VCP_ERR_EMPTY:
        return "control message sent with none pending";
    case VCP_ERR_CONFIG:
        return "bad multiport configuration";
    }
    return "?";
}
