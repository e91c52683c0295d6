/*
 * The invariants of the multiport control state (hypervisor/vcon_ports.h), for the unit test
 * and the fuzz target: vcp_check returns NULL when they hold, else which one broke.
 */
#ifndef TESTS_UNIT_VCP_CHECK_H
#define TESTS_UNIT_VCP_CHECK_H

#include "hypervisor/vcon_ports.h"

/* A control message as a driver lays it out: le32 id, le16 event, le16 value. Written apart from
 * the module's own encoder on purpose, so that a field swapped there shows here. */
static inline void vcp_test_msg(uint8_t out[VCP_MSG_LEN], uint32_t id, uint16_t event,
                                uint16_t value)
{
    const uint8_t b[VCP_MSG_LEN] = {
        (uint8_t)id,    (uint8_t)(id >> 8),    (uint8_t)(id >> 16), (uint8_t)(id >> 24),
        (uint8_t)event, (uint8_t)(event >> 8), (uint8_t)value,      (uint8_t)(value >> 8),
    };
    memcpy(out, b, sizeof(b));
}

static inline uint32_t vcp_popcount8(uint8_t v)
{
    uint32_t n = 0;
    for (; v; v &= (uint8_t)(v - 1))
        n++;
    return n;
}

/* Which of this port's message kinds may be queued in its state. */
static inline uint8_t vcp_allowed_pending(const struct vcp_port *port)
{
    switch (port->state) {
    case VCP_PS_ADD_QUEUED:
        return (uint8_t)BIT(VCP_K_ADD);
    case VCP_PS_READY:
        return (uint8_t)(BIT(VCP_K_CONSOLE) | BIT(VCP_K_NAME) | BIT(VCP_K_OPEN));
    default:
        return 0;
    }
}

static inline const char *vcp_check_port(const struct vcp *p, uint32_t i)
{
    const struct vcp_port *port = &p->port[i];
    if (i >= p->nr_ports)
        return port->state != VCP_PS_IDLE || port->pending || port->guest_open
                   ? "a port beyond nr_ports is in use"
                   : NULL;
    if (port->pending & ~vcp_allowed_pending(port))
        return "a message is queued that the port's state does not allow";
    if (port->state == VCP_PS_ADD_QUEUED && !(port->pending & BIT(VCP_K_ADD)))
        return "ADD_QUEUED with no DEVICE_ADD queued";
    if (port->guest_open && port->state != VCP_PS_READY)
        return "guest open on a port that is not ready";
    if ((port->pending & BIT(VCP_K_CONSOLE)) && !port->console)
        return "CONSOLE_PORT queued for a port that is not a console";
    if ((port->pending & BIT(VCP_K_NAME)) && !port->name_len)
        return "PORT_NAME queued for a port with no name";
    if (port->name_len > VCP_NAME_MAX)
        return "name too long";
    if (p->state == VCP_DEV_WAIT_READY && port->state != VCP_PS_IDLE)
        return "a port announced before DEVICE_READY";
    if (p->state == VCP_DEV_FAILED && port->state != VCP_PS_IDLE)
        return "a port announced on a failed device";
    if (p->state == VCP_DEV_READY && port->state == VCP_PS_IDLE)
        return "a port left unannounced after DEVICE_READY";
    return NULL;
}

static inline const char *vcp_check(const struct vcp *p)
{
    uint32_t bits = 0, n = vcp_pending(p);
    if (p->nr_ports == 0 || p->nr_ports > VCP_MAX_PORTS)
        return "nr_ports out of range";
    if (n > VCP_QUEUE_LEN || n > VCP_KINDS * p->nr_ports)
        return "queue beyond its bound";
    if (p->overflows)
        return "queue overflowed";
    for (uint32_t i = 0; i < VCP_MAX_PORTS; i++) {
        const char *why = vcp_check_port(p, i);
        if (why)
            return why;
        bits += vcp_popcount8(p->port[i].pending);
    }
    if (bits != n)
        return "pending bits and queue length disagree";
    /* Every entry names a port in range with its bit set, and no (port, kind) twice. */
    uint8_t seen[VCP_MAX_PORTS] = {0};
    for (uint32_t k = p->q_head; k != p->q_tail; k++) {
        const struct vcp_entry *e = &p->q[k % VCP_QUEUE_LEN];
        if (e->port >= p->nr_ports || e->kind >= VCP_KINDS)
            return "queue entry out of range";
        if (!(p->port[e->port].pending & BIT(e->kind)) || (seen[e->port] & BIT(e->kind)))
            return "queue entry without its pending bit, or twice";
        seen[e->port] |= (uint8_t)BIT(e->kind);
    }
    return NULL;
}

#endif
