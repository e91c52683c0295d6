/*
 * The multiport virtio console device (virtio 1.2 section 5.3, VIRTIO_CONSOLE_F_MULTIPORT): a
 * zone's named data ports, next to its console device (virtio_console.h), which stays a plain
 * single-port console so that Linux keeps taking the console size from the configuration space
 * (with MULTIPORT it would ignore it and wait for RESIZE messages, whose field order differs
 * between kernel versions). docs/ARCHITECTURE.md: "Ports".
 *
 * Queues: 0/1 port 0, 2/3 control receive/transmit, 2N+2/2N+3 port N; every one of them is
 * offered (Linux sets them all up at probe). The control protocol is vcon_ports.c's state
 * machine; this file moves its messages and the ports' bytes. Each port has a backend, set in the
 * platform's C configuration:
 *   - PORT_LINK: wired to a port of another zone (port_link.h), lossless, with backpressure both
 *     ways: a transmit chain completes only when its bytes are in the link's bounded ring, and
 *     bytes reach the reader only while its guest has the port open (Linux discards what comes
 *     in on a closed port);
 *   - PORT_LOG: an EL2 RAM ring the multiplexer shows on request (newest bytes kept, older ones
 *     counted as overwritten); a write never waits.
 *
 * Every call is made under the zone's port lock. Work per call is bounded by VMP_BUDGET bytes
 * (each chain costing VMP_CHAIN_COST of it) plus VMP_CTL_CHAINS control messages; what is left
 * goes on in a later exit (host->work_later).
 */
#ifndef HV_VIRTIO_MULTIPORT_H
#define HV_VIRTIO_MULTIPORT_H

#include "hypervisor/config.h"
#include "hypervisor/history.h"
#include "hypervisor/port_link.h"
#include "hypervisor/vcon_ports.h"
#include "hypervisor/virtio_mmio.h"

#define VMP_BUDGET 16384
#define VMP_CHAIN_COST 64
#define VMP_CTL_CHAINS 64
#define VMP_MAX_QUEUES (2 + 2 * VCP_MAX_PORTS)

/* What the device asks of the rest of the hypervisor (hypervisor/zone.c). */
struct vmp_host {
    void (*set_irq)(void *ctx, bool level);
    /* A malformed ring: the device needs a reset. One line; the caller rate-limits. */
    void (*fault)(void *ctx, const char *what);
    /* A control message refused (the device goes on). One line; the caller rate-limits. */
    void (*refused)(void *ctx, uint32_t port, const char *what);
    /* The budget ran out with work left: call vmp_work in a later exit on this zone. */
    void (*work_later)(void *ctx);
    /* A link's other end has work: bytes to read (end's zone) or room to write. */
    void (*link_wake)(struct link *l, uint32_t end);
};

struct vmp_port {
    const struct port_cfg *cfg;
    struct history log; /* PORT_LOG */
    /* The transmit chain in progress: its head, and how far it was sent. It is walked again
     * when resumed (vq_walk), so no copy of it is kept here. */
    bool tx_active;
    uint16_t tx_head;
    uint16_t tx_seg;
    uint32_t tx_off;
    uint64_t bytes_tx; /* the guest wrote (taken by the backend) */
    uint64_t bytes_rx; /* the guest was given */
};

struct vmp {
    struct vmmio_dev mmio;
    struct virtq vq[VMP_MAX_QUEUES];
    struct vcp ctl;
    struct vmp_port port[VCP_MAX_PORTS];
    uint32_t nports;
    const struct vmp_host *host;
    void *ctx;
    uint64_t refused;      /* control messages refused since boot */
    struct vq_chain chain; /* scratch for the walker, too big for an EL2 stack */
};

/* Boot: nports (1..VCP_MAX_PORTS) ports from cfg; attaches link ends to ctx. False on a bad
 * configuration (a name vcon_ports.h refuses, a link end taken twice). */
bool vmp_init(struct vmp *d, const struct guest_mem *mem, const struct port_cfg *cfg,
              uint32_t nports, const struct vmp_host *host, void *ctx);

/* All deferred work: bytes waiting on links for open ports, transmit chains to resume, control
 * messages. One budget's worth; asks for a later exit if more is left. */
void vmp_work(struct vmp *d);

/* For the zone list. */
static inline bool vmp_guest_open(const struct vmp *d, uint32_t port)
{
    return d->ctl.port[port].state == VCP_PS_READY && d->ctl.port[port].guest_open;
}

#endif
