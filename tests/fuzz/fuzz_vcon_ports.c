/*
 * libFuzzer target: the multiport control protocol (hypervisor/vcon_ports.c) driven as a hostile
 * driver and a restless host side can: structured and raw control messages of any length,
 * deliveries into control receive buffers whenever (or never), a well-behaved driver's answer to
 * a DEVICE_ADD now and then (so that deep states are reached), the host side of any port opening
 * and closing, and resets. The first input byte picks the port count, then one byte per port
 * its configuration.
 *
 * Invariants (abort when broken), after every operation:
 *  - the state is consistent (tests/unit/vcp_check.h): port ids in range, the queue within its
 *    bound of one message of each kind per port and never overflowed, pending bits and queue
 *    entries agreeing, no port announced before DEVICE_READY, guest open only on READY ports;
 *  - a refused driver message changes nothing at all and notes nothing;
 *  - every message offered names a port in range and an event the device sends; PORT_NAME
 *    carries exactly the configured name, PORT_OPEN the host side's current state; DEVICE_ADD is
 *    offered once per port between resets, CONSOLE_PORT only for console ports;
 *  - the guest's open state moves only as the notes say, and vcp_reset reports exactly the ports
 *    the guest had open;
 *  - vcp_set_host_open fails only for an id out of range.
 */
#include "tests/fuzz/fuzz.h"
#include "tests/unit/vcp_check.h"

static const char *const names[] = {"link0", "log0", "org.example.port-1", "x"};

enum { OP_MSG, OP_RAW, OP_DELIVER, OP_DELIVER_ALL, OP_HOST, OP_RESET, OP_COUNT };

struct model {
    struct vcp p;
    struct vcp_port_cfg cfg[VCP_MAX_PORTS];
    uint32_t guest_open; /* mask, from the notes */
    uint32_t added;      /* DEVICE_ADDs offered since the last reset */
};

static void check(const struct model *m)
{
    const char *why = vcp_check(&m->p);
    if (why) {
        fprintf(stderr, "vcp_check: %s\n", why);
        FZ_CHECK(!why);
    }
    for (uint32_t i = 0; i < m->p.nr_ports; i++)
        FZ_CHECK(m->p.port[i].guest_open == !!(m->guest_open & (1u << i)));
}

static void apply_note(struct model *m, const struct vcp_note *n, enum vcp_err err)
{
    if (err) {
        FZ_CHECK(n->kind == VCP_NOTE_NONE);
        return;
    }
    if (n->kind >= VCP_NOTE_PORT_READY)
        FZ_CHECK(n->port < m->p.nr_ports);
    if (n->kind == VCP_NOTE_GUEST_OPEN)
        m->guest_open |= 1u << n->port;
    if (n->kind == VCP_NOTE_GUEST_CLOSE)
        m->guest_open &= ~(1u << n->port);
}

static void driver_msg(struct model *m, const uint8_t *b, uint32_t len)
{
    struct vcp before = m->p;
    struct vcp_note n;
    enum vcp_err err = vcp_driver_msg(&m->p, b, len, &n);
    FZ_CHECK(err <= VCP_ERR_CONFIG && err != VCP_ERR_QUEUE_FULL && err != VCP_ERR_EMPTY);
    if (err)
        FZ_CHECK(memcmp(&before, &m->p, sizeof(before)) == 0);
    apply_note(m, &n, err);
}

/* Mostly meaningful ids, events and values, so that short inputs go deep. */
static void op_msg(struct model *m, struct fz *f)
{
    uint8_t sel = fz_u8(f), b[12] = {0};
    uint32_t id = sel < 0xf0 ? sel % (m->p.nr_ports + 2) : fz_u32(f);
    uint16_t event = fz_u8(f) % 10, value = fz_u8(f) % 3;
    vcp_test_msg(b, id, event, value);
    driver_msg(m, b, VCP_MSG_LEN + (sel & 1) * 4);
}

static void op_raw(struct model *m, struct fz *f)
{
    uint8_t b[16] = {0};
    uint32_t len = fz_u8(f) % sizeof(b);
    fz_bytes(f, b, len);
    driver_msg(m, b, len);
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* One message into a control receive buffer, checked; answer = 1 or 2: a DEVICE_ADD is answered
 * with PORT_READY(answer - 1), as Linux's control work does. */
static void deliver(struct model *m, uint8_t answer)
{
    struct vcp_msg msg;
    if (!vcp_next(&m->p, &msg)) {
        FZ_CHECK(vcp_sent(&m->p) == VCP_ERR_EMPTY);
        return;
    }
    uint32_t id = le32(msg.hdr);
    uint16_t event = (uint16_t)(msg.hdr[4] | msg.hdr[5] << 8);
    uint16_t value = (uint16_t)(msg.hdr[6] | msg.hdr[7] << 8);
    FZ_CHECK(id < m->p.nr_ports);
    const struct vcp_port *port = &m->p.port[id];
    FZ_CHECK(msg.len == VCP_MSG_LEN + msg.body_len);
    switch (event) {
    case VCP_DEVICE_ADD:
        FZ_CHECK(!(m->added & (1u << id)));
        m->added |= 1u << id;
        break;
    case VCP_CONSOLE_PORT:
        FZ_CHECK(port->console && value == 1);
        break;
    case VCP_PORT_NAME:
        FZ_CHECK(msg.body_len == strlen(m->cfg[id].name));
        FZ_CHECK(memcmp(msg.body, m->cfg[id].name, msg.body_len) == 0);
        break;
    case VCP_PORT_OPEN:
        FZ_CHECK(value == port->host_open);
        break;
    default:
        FZ_CHECK(!"an event the device does not send");
    }
    if (event != VCP_PORT_NAME)
        FZ_CHECK(msg.body == NULL && msg.body_len == 0);
    FZ_CHECK(vcp_sent(&m->p) == VCP_OK);
    if (event == VCP_DEVICE_ADD && answer && answer <= 2) {
        uint8_t b[VCP_MSG_LEN];
        vcp_test_msg(b, id, VCP_PORT_READY, answer - 1);
        driver_msg(m, b, sizeof(b));
    }
}

static void op_reset(struct model *m)
{
    uint32_t was = vcp_reset(&m->p);
    FZ_CHECK(was == m->guest_open);
    m->guest_open = 0;
    m->added = 0;
}

static void configure(struct model *m, struct fz *f)
{
    memset(m, 0, sizeof(*m));
    uint32_t nr = 1 + fz_u8(f) % VCP_MAX_PORTS;
    for (uint32_t i = 0; i < nr; i++) {
        uint8_t c = fz_u8(f);
        m->cfg[i] = (struct vcp_port_cfg){
            .console = c & 1,
            .name = (c & 2) ? names[(c >> 4) % 4] : "",
            .host_open = (c >> 2) & 1,
        };
    }
    FZ_CHECK(vcp_init(&m->p, m->cfg, nr) == VCP_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct model m;
    struct fz f = {data, size};
    configure(&m, &f);
    check(&m);
    while (fz_more(&f)) {
        switch (fz_u8(&f) % OP_COUNT) {
        case OP_MSG:
            op_msg(&m, &f);
            break;
        case OP_RAW:
            op_raw(&m, &f);
            break;
        case OP_DELIVER:
            deliver(&m, fz_u8(&f));
            break;
        case OP_DELIVER_ALL: {
            uint8_t answer = fz_u8(&f);
            /* Bounded: each delivery answers at most one ADD, which queues at most 3 more. */
            for (uint32_t k = 0; k < 4 * VCP_QUEUE_LEN && vcp_pending(&m.p); k++)
                deliver(&m, answer);
            FZ_CHECK(vcp_pending(&m.p) == 0);
            break;
        }
        case OP_HOST: {
            uint8_t b = fz_u8(&f);
            uint32_t id = (b >> 1) % (m.p.nr_ports + 1);
            enum vcp_err err = vcp_set_host_open(&m.p, id, b & 1);
            FZ_CHECK(err == (id < m.p.nr_ports ? VCP_OK : VCP_ERR_BAD_ID));
            break;
        }
        case OP_RESET:
            op_reset(&m);
            break;
        }
        check(&m);
    }
    return 0;
}
