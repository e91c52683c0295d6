/*
 * The VIRTIO_CONSOLE_F_MULTIPORT control protocol of one virtio console device (virtio 1.2
 * section 5.3.6.2), as a state machine with named transitions and no I/O of its own. The device
 * code (not yet written: nothing in a configuration uses this yet) holds the device lock around
 * every call, hands it each message the driver put on the control transmit queue
 * (vcp_driver_msg), and copies what vcp_next offers into the control receive queue's buffers,
 * calling vcp_sent for each one delivered. Port data queues are not this module's business.
 *
 * Messages are struct virtio_console_control { le32 id; le16 event; le16 value; } (8 bytes);
 * PORT_NAME carries the name right after them, without a NUL.
 *
 * The device (one per device, vcp.state):
 *   WAIT_READY --driver DEVICE_READY(1)--> READY   every port: IDLE -> ADD_QUEUED (DEVICE_ADD)
 *   WAIT_READY --driver DEVICE_READY(0)--> FAILED  nothing more is said to that driver
 *   READY, FAILED --driver DEVICE_READY--> unchanged, VCP_ERR_DEVICE_READY_AGAIN
 *   any        --reset-->                  WAIT_READY, every port IDLE, nothing pending
 *
 * A port (vcp_port.state), DEVICE_ADD for every port, port 0 included (Linux waits for it too):
 *   IDLE       --device ready-->           ADD_QUEUED  (DEVICE_ADD queued)
 *   ADD_QUEUED --DEVICE_ADD delivered-->   ADDED       (vcp_sent: only now can the driver know it)
 *   ADDED      --driver PORT_READY(1)-->   READY       CONSOLE_PORT(1) if a console port,
 *                                                      PORT_NAME if named, PORT_OPEN(1) if the
 *                                                      host side is open, queued in that order
 *   ADDED      --driver PORT_READY(0)-->   FAILED      the driver could not set it up
 *   READY      --driver PORT_OPEN(v)-->    READY, guest_open = v (the guest's own open/close)
 *   READY      --host side opens/closes--> READY, PORT_OPEN(v) queued (or the one queued updated)
 *   any other PORT_READY / PORT_OPEN: refused with an error, nothing changes
 *
 * Hostile or broken drivers: every refused message returns an error (vcp_err_str names it) and
 * changes nothing; the device turns it into one rate-limited log line. None of them asks for
 * DEVICE_NEEDS_RESET: a bad control message can only hurt the driver that sent it (its own ports
 * stay unannounced or closed), while a reset would also take away its other ports, console
 * included, and QEMU likewise ignores such messages. Malformed rings stay fatal (vmmio_fail), as
 * on every queue. Every call does constant work, or one pass over the ports (DEVICE_READY).
 */
#ifndef HV_VCON_PORTS_H
#define HV_VCON_PORTS_H

#include "hypervisor/lib.h"

#define VCP_MAX_PORTS 16       /* per device, as ACRN; max_nr_ports comes from the configuration */
#define VCP_NAME_MAX 32        /* bytes of a port name, no NUL: a /dev/virtio-ports/<name> link */
#define VCP_MSG_LEN 8          /* struct virtio_console_control */
#define VCP_BAD_ID 0xffffffffu /* what Linux puts in DEVICE_READY's id, which is unused */

/* Control events (virtio 1.2 section 5.3.6.2). */
enum vcp_event {
    VCP_DEVICE_READY = 0, /* driver: ready for control messages (value 1) or failed (0) */
    VCP_DEVICE_ADD = 1,   /* device: a port exists */
    VCP_DEVICE_REMOVE = 2,
    VCP_PORT_READY = 3,   /* driver: port set up (1) or failed (0) */
    VCP_CONSOLE_PORT = 4, /* device: this port is a console */
    VCP_RESIZE = 5,       /* device: console size (field order differs between kernels) */
    VCP_PORT_OPEN = 6,    /* both: that side opened (1) or closed (0) the port */
    VCP_PORT_NAME = 7,    /* device: the name follows the header */
};

enum vcp_err {
    VCP_OK = 0,
    VCP_ERR_SHORT,              /* fewer than 8 bytes */
    VCP_ERR_UNKNOWN_EVENT,      /* an event number virtio does not define */
    VCP_ERR_DEVICE_EVENT,       /* an event only the device sends (DEVICE_ADD, RESIZE...) */
    VCP_ERR_BAD_VALUE,          /* value not 0 or 1 */
    VCP_ERR_BAD_ID,             /* port id >= max_nr_ports */
    VCP_ERR_BEFORE_READY,       /* a port message before DEVICE_READY(1) */
    VCP_ERR_DEVICE_FAILED,      /* any message after DEVICE_READY(0), until a reset */
    VCP_ERR_DEVICE_READY_AGAIN, /* a second DEVICE_READY */
    VCP_ERR_NOT_ADDED,          /* PORT_READY for a port whose DEVICE_ADD was not delivered */
    VCP_ERR_PORT_READY_AGAIN,   /* PORT_READY for a port already ready or failed */
    VCP_ERR_PORT_NOT_READY,     /* PORT_OPEN for a port that is not ready */
    VCP_ERR_ALREADY_OPEN,       /* PORT_OPEN(1) for a port the guest has open */
    VCP_ERR_ALREADY_CLOSED,     /* PORT_OPEN(0) for a port the guest has closed */
    VCP_ERR_QUEUE_FULL,         /* cannot happen (see vcon_ports.c); counted if it did */
    VCP_ERR_EMPTY,              /* vcp_sent with nothing pending: a device-code bug */
    VCP_ERR_CONFIG,             /* vcp_init: bad port count, name or id */
};

/* What a driver message changed, for the port backends (a link tells its peer, say). */
enum vcp_note_kind {
    VCP_NOTE_NONE = 0,
    VCP_NOTE_DEVICE_READY,  /* DEVICE_ADDs queued */
    VCP_NOTE_DEVICE_FAILED, /* the driver gave up on the device */
    VCP_NOTE_PORT_READY,    /* port's own messages queued */
    VCP_NOTE_PORT_FAILED,
    VCP_NOTE_GUEST_OPEN, /* the guest opened the port */
    VCP_NOTE_GUEST_CLOSE,
};

struct vcp_note {
    enum vcp_note_kind kind;
    uint32_t port; /* for the PORT and GUEST notes */
};

enum vcp_dev_state { VCP_DEV_WAIT_READY = 0, VCP_DEV_READY, VCP_DEV_FAILED };
enum vcp_port_state {
    VCP_PS_IDLE = 0,
    VCP_PS_ADD_QUEUED,
    VCP_PS_ADDED,
    VCP_PS_READY,
    VCP_PS_FAILED,
};

/* Kinds of message the device queues, one bit each in vcp_port.pending. */
enum vcp_kind { VCP_K_ADD = 0, VCP_K_CONSOLE, VCP_K_NAME, VCP_K_OPEN, VCP_KINDS };

/*
 * The pending queue holds at most one message of each kind per port (vcp_port.pending says
 * which), so VCP_KINDS * VCP_MAX_PORTS entries always suffice: see vcon_ports.c.
 */
#define VCP_QUEUE_LEN 64

struct vcp_port_cfg {
    const char *name; /* NULL or "" for none; [A-Za-z0-9._-], at most VCP_NAME_MAX bytes */
    bool console;     /* announced with CONSOLE_PORT(1): hvc in Linux */
    bool host_open;   /* the host side starts open */
};

struct vcp_port {
    enum vcp_port_state state;
    bool console;
    bool guest_open; /* the driver's PORT_OPEN, READY ports only */
    bool host_open;  /* ours: told to the driver with PORT_OPEN once the port is READY */
    uint8_t pending; /* BIT(vcp_kind) for each message of this port in the queue */
    uint8_t name_len;
    char name[VCP_NAME_MAX];
};

struct vcp_entry {
    uint8_t port;
    uint8_t kind; /* enum vcp_kind; the value is read from the port when it is sent */
};

struct vcp {
    enum vcp_dev_state state;
    uint32_t nr_ports; /* max_nr_ports in the configuration space */
    struct vcp_port port[VCP_MAX_PORTS];
    struct vcp_entry q[VCP_QUEUE_LEN];
    uint32_t q_head, q_tail; /* free-running; q_tail - q_head entries pending */
    uint32_t overflows;      /* VCP_ERR_QUEUE_FULL seen: stays 0 */
};

/* A message to put in a control receive buffer: hdr, then body_len bytes of body. */
struct vcp_msg {
    uint8_t hdr[VCP_MSG_LEN];
    const uint8_t *body; /* PORT_NAME's name, else NULL */
    uint32_t body_len;
    uint32_t len; /* VCP_MSG_LEN + body_len */
};

/* nr_ports ports (1..VCP_MAX_PORTS) from cfg; VCP_ERR_CONFIG for a bad count or name. */
enum vcp_err vcp_init(struct vcp *p, const struct vcp_port_cfg *cfg, uint32_t nr_ports);

/* Device reset: back to WAIT_READY, every port IDLE and closed by the guest, nothing pending.
 * The host side's open state is kept: it is the backend's, not the driver's, and the next
 * handshake tells it again. Returns a mask of the ports the guest had open, which are now
 * closed, so that their backends can learn it. */
uint32_t vcp_reset(struct vcp *p);

/* One message from the control transmit queue: len is its whole length, of which the first
 * min(len, 8) bytes are in msg (the rest is ignored). *note says what changed, if anything. */
enum vcp_err vcp_driver_msg(struct vcp *p, const uint8_t *msg, uint32_t len, struct vcp_note *note);

/* The host side of a port opened or closed: told to the driver once the port is READY. */
enum vcp_err vcp_set_host_open(struct vcp *p, uint32_t id, bool open);

/* The next message to deliver, if any; it stays first until vcp_sent. */
bool vcp_next(const struct vcp *p, struct vcp_msg *m);
/* The message vcp_next offered was delivered into a control receive buffer. */
enum vcp_err vcp_sent(struct vcp *p);

static inline uint32_t vcp_pending(const struct vcp *p)
{
    return p->q_tail - p->q_head;
}

const char *vcp_err_str(enum vcp_err e);

#endif
