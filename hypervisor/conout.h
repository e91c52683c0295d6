/*
 * Console output scheduling: what goes to the one UART, in which order, and who waits.
 *
 * Every byte on its way out passes the EL2 transmit ring (txring.h), which the UART's transmit
 * interrupt drains a FIFO's worth at a time. The ring is fed from:
 *   - the hypervisor's own lines (banners, the zone list, help, logs), appended at once;
 *   - the focused zone, from its output ring (history.h), which is its lossless transmit buffer
 *     while focused: when it is full, only that zone waits, and it is woken when room returns;
 *   - in the tagged view, every zone's complete lines, one line per zone in turn, from per-zone
 *     queues that drop (and count) their oldest lines when a zone outruns the UART, plus the
 *     focused zone's unfinished line (prompt, echo) drawn live at the bottom.
 * Zone data enters the ring only while it holds less than CONOUT_REFILL_MARK bytes, so a switch,
 * the list or a log line reaches the wire after at most that much already-queued zone output.
 *
 * Nothing here waits or takes a lock. There are two sides, each under its own lock in the
 * multiplexer (hypervisor/mux.c):
 *   - the producer side: everything that appends to the ring or changes what goes next (zone
 *     writes, hypervisor lines, focus, tagged view, conout_refill), under the multiplexer lock;
 *   - the consumer side: conout_drain and conout_kick, which alone write the UART (through
 *     conout_uart, which never waits either), under the transmit lock.
 * The ring is single-producer single-consumer between them, so the UART's slow register writes
 * never hold up a zone that only writes its history. The protocol that keeps a byte from being
 * stranded in a source with the transmitter off:
 *   - a producer that changed anything checks conout_tx_idle() before it lets go of the
 *     producer lock; if idle, it calls conout_refill, and after letting go, conout_kick;
 *   - the transmit interrupt drains, then takes the producer lock to refill, and kicks if the
 *     drain found the ring empty (conout_pump, in that order);
 *   - a drain that turns the transmitter off looks at the ring once more after saying so.
 * While the transmitter runs, the ring is refilled only by its interrupt, so the order of zone
 * data on the wire (round robin in the tagged view) is decided as late as possible.
 */
#ifndef HV_CONOUT_H
#define HV_CONOUT_H

#include "hypervisor/history.h"
#include "hypervisor/tagline.h"
#include "hypervisor/tagq.h"
#include "hypervisor/txring.h"

#define CONOUT_REFILL_MARK 1024
#define CONOUT_PUMP_MAX 256 /* bytes into the UART per transmit interrupt, at most */
#define CONOUT_KICK_MAX 32  /* ... and per producer that finds the transmitter idle */

struct conout_zone {
    const char *name;
    struct history hist;
    struct tagline tag; /* tagged view: the line being assembled */
    struct tagq tq;     /* tagged view: complete lines waiting for their turn */
    bool waiting;       /* a lossless write was cut short: wake the zone when room returns */
    uint64_t bytes_out;
    uint64_t dropped; /* bytes lost: history overrun, forced writes into a full ring, tagged
                       * lines dropped by the view (queue full, or left behind by it) */
};

struct conout_uart {
    /* Write what the FIFO takes now, never waiting; returns the count. */
    size_t (*fill)(const uint8_t *buf, size_t len);
    /* Transmit interrupt on or off. */
    void (*tx_irq)(bool on);
};

struct conout {
    struct txring ring;
    struct conout_zone *zones;
    uint32_t nzones;
    uint32_t focus;
    bool tagged;
    bool at_line_start;  /* the stream entering the ring is at column 0 */
    bool tx_on;          /* consumer side: transmit interrupt on, the UART will ask for more */
    uint32_t rr;         /* tagged view: the zone whose line goes next */
    bool live_shown;     /* tagged view: "[focus] <partial line>" is the bottom line */
    uint32_t live_len;   /* ... with this many bytes of the partial line */
    bool live_queued;    /* ... and that partial line has since completed: it is at the head
                          * of the focused zone's queue, live_len of it already shown */
    uint32_t live_tail;  /* ... at this queue position (a full queue may have dropped it) */
    uint64_t hv_dropped; /* hypervisor lines that found the ring full, not yet reported */
    uint64_t left_lines; /* tagged lines given up leaving the view (ring full), not yet said */
    uint64_t left_bytes; /* ... and their bytes (also in each zone's dropped) */
    const struct conout_uart *uart;
    void (*wake)(void *ctx, uint32_t zone); /* a waiting zone may write again */
    void *ctx;
};

void conout_init(struct conout *co, uint8_t *ring, uint32_t ring_size, struct conout_zone *zones,
                 uint32_t nzones, uint32_t focus, const struct conout_uart *uart,
                 void (*wake)(void *ctx, uint32_t zone), void *ctx);
void conout_zone_init(struct conout_zone *z, const char *name, uint8_t *hist, uint32_t size);

/*
 * A zone printed. With may_wait (virtio TX), the focused zone takes only what fits and the
 * caller must hold the rest until woken; otherwise (emergency write, emulated UART) whatever
 * does not fit is dropped and counted. Background and tagged-view writes never wait.
 * Returns the bytes accepted.
 */
size_t conout_zone_write(struct conout *co, uint32_t id, const uint8_t *buf, size_t len,
                         bool may_wait);

/* Would a may_wait write by this zone take nothing now? */
bool conout_zone_full(const struct conout *co, uint32_t id);

/* One hypervisor line: "[hv] text\r\n", on a fresh line. Counted if the ring is full. */
void conout_hv_line(struct conout *co, const char *text);

/* Move the focus. Returns the bytes of the new zone's history given up (overrun, plus the
 * partial line after it) so the caller can say so; its replay then starts at a line boundary. */
uint64_t conout_focus(struct conout *co, uint32_t id);
/* Tagged view on or off. Leaving it sends what the line queues still hold. */
void conout_set_tagged(struct conout *co, bool on);

/* Producer side: top the ring up from its sources (focused zone, tagged queues), at most
 * CONOUT_REFILL_MARK bytes of zone data in it; wakes a waiting zone when room returns. */
void conout_refill(struct conout *co);
/* Producer side: does a write by this zone put bytes on the way to the UART (so a kick)? */
bool conout_zone_kicks(const struct conout *co, uint32_t id);
/* Producer side: is the transmitter off, so that this producer must refill and kick? */
bool conout_tx_idle(const struct conout *co);

/* Consumer side: move at most max bytes from the ring into the UART; the transmit interrupt is
 * left on exactly while the ring holds bytes. */
void conout_drain(struct conout *co, uint32_t max);
/* Consumer side, from producers: start the transmitter if it is idle (one small fill). */
void conout_kick(struct conout *co);
/* The transmit interrupt's work, for a caller that holds both locks (the unit tests): drain one
 * interrupt's worth, refill, kick if idle. The multiplexer does the same in three steps, taking
 * each lock in turn. */
void conout_pump(struct conout *co);

#endif
