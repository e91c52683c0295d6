/*
 * Driver of the multiport virtio console (virtio 1.2 section 5.3, VIRTIO_CONSOLE_F_MULTIPORT)
 * that the hypervisor offers a zone next to its console: named data ports, announced over the
 * control queues (2 receive, 3 transmit; port 0 on queues 0/1, port N on 2N+2/2N+3).
 *
 * Nothing happens in the background. The handshake runs at boot (vports_init: DEVICE_READY(1),
 * then PORT_READY(id, 1) for each DEVICE_ADD, names and the host's PORT_OPEN recorded); control
 * messages that come later are taken whenever a command looks at the device (vports_poll). A
 * port's received bytes stay in its receive buffers until `port read` takes them, and the device
 * holds the rest back meanwhile: a zone that does not read holds its writer back, which is what
 * the system tests check. Waits sleep in wfi until the device's interrupt or the virtual timer,
 * IRQs masked but for a moment after each wake-up (as in console_getc), so the handlers only
 * acknowledge.
 */
#ifndef TESTGUEST_VPORTS_H
#define TESTGUEST_VPORTS_H

#include <stdint.h>

#define VPORTS_MAX 16             /* ports driven; the hypervisor offers at most 16 */
#define VPORT_NAME_MAX 32         /* bytes of a name, as the hypervisor allows */
#define VPORTS_BAD_ID 0xffffffffu /* DEVICE_READY's unused id, as Linux sends it */

/* Control events (virtio 1.2 section 5.3.6.2). */
enum vports_event {
    VP_DEVICE_READY = 0,
    VP_DEVICE_ADD = 1,
    VP_DEVICE_REMOVE = 2,
    VP_PORT_READY = 3,
    VP_CONSOLE_PORT = 4,
    VP_RESIZE = 5,
    VP_PORT_OPEN = 6,
    VP_PORT_NAME = 7,
};

struct vport {
    int added;      /* DEVICE_ADD seen (and not removed since) */
    int ready;      /* we answered PORT_READY(id, 1) */
    int console;    /* CONSOLE_PORT(1) seen */
    int host_open;  /* the device's last PORT_OPEN */
    int guest_open; /* ours, as last told to the device */
    char name[VPORT_NAME_MAX + 1];
    uint64_t rx_bytes; /* taken by `port read` */
    uint64_t tx_bytes; /* completed by the device */
};

struct vports_info {
    uint64_t base;
    uint32_t intid;        /* 0: no interrupt, waits poll */
    uint32_t max_nr_ports; /* from the configuration space */
    uint32_t nports;       /* driven: min(max_nr_ports, VPORTS_MAX) */
    int live;              /* set up and DEVICE_READY(1) sent */
    uint32_t resets;       /* DEVICE_NEEDS_RESET recoveries */
    uint32_t irqs;
    uint32_t ctl_in, ctl_out; /* control messages received, sent */
    uint32_t ctl_odd;         /* control messages (or used elements) we could not make sense of */
    uint32_t rx_empty;        /* receive buffers the device gave back with no byte in them */
};

/* 1 if base is a version-2 virtio-mmio console offering MULTIPORT. */
int vports_probe(uint64_t base);
/* Set-up and handshake; 0, or -1 with the reason in *why. */
int vports_init(uint64_t base, uint32_t intid, const char **why);
void vports_irq(uint32_t intid);
int vports_present(void);
const struct vports_info *vports_get_info(void);
const struct vport *vports_port(uint32_t id);
/* A ready port's id by name, or -1. */
int vports_find(const char *name);

/* Control messages that came in, and recovery if the device asked for a reset. */
void vports_poll(void);
/* PORT_OPEN(id, open) from our side; 0, or -1 if the device did not take it. */
int vports_set_open(uint32_t id, int open);
/* Queues len bytes for the device (chains of up to 4 KiB, several in flight); 0, or -1 when it
 * took nothing for the idle limit (a reader that never reads) or needs a reset. */
int vports_write(uint32_t id, const void *buf, uint32_t len);
/* Waits until the device has completed every chain queued; 0, or -1 as vports_write. */
int vports_drain(uint32_t id);
/* Takes up to max received bytes, until max or until nothing more came for wait_ms (0: only what
 * is there now); copies them to dst unless NULL and folds them into *crc unless NULL. */
uint32_t vports_read(uint32_t id, uint8_t *dst, uint32_t max, uint32_t wait_ms, uint32_t *crc);
/* How long a transfer may make no progress before it gives up. */
#define VPORTS_IDLE_MS 30000

/* For `hostile ctl` (hostile_ports.c): the device at the protocol's edges. */
/* Reset and set-up up to DRIVER_OK with n control receive buffers of len bytes each; no
 * DEVICE_READY. 0, or -1 (the reason in *why). */
int vports_restart(uint32_t ctl_bufs, uint32_t ctl_len, const char **why);
/* Control receive buffers, all of them reposted with len bytes each (at most 64). */
void vports_ctl_post(uint32_t n, uint32_t len);
/* One control message chain of nseg device-readable descriptors cutting msg at seg[] lengths;
 * 0 once the device used it, -1 if it did not. */
int vports_ctl_send(const uint8_t *msg, const uint32_t *seg, uint32_t nseg);
int vports_ctl_msg(uint32_t id, uint16_t event, uint16_t value);
/* DEVICE_READY(1), then answers until every port is ready; 0, or -1 if some never came. */
int vports_handshake(void);
/* The ports we have open, one bit each. */
uint32_t vports_open_mask(void);
/* A new set-up and handshake, then the ports in reopen opened again; 0, or -1. */
int vports_reinit(uint32_t reopen);
/* Receive buffers of size bytes (1 to 4096, 4096 at boot) from now on: the device is set up
 * again (vports_reinit), the ports we had open reopened; bytes it had given us and that were not
 * read yet are gone with the old buffers. 0, or -1. */
int vports_set_rx_size(uint32_t size);
/* Sleeps ms milliseconds (virtual timer), taking interrupts as they come. */
void vports_pause_ms(uint32_t ms);

#endif
