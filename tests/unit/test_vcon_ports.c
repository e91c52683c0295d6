/* The multiport control protocol (hypervisor/vcon_ports.c): Linux's handshake, the pending queue
 * while no control receive buffer is posted, a hostile driver's messages, and reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/unit/vcp_check.h"

/* Port 0 the console (hvc0), port 1 a named link the host has not opened, port 2 a named log
 * the host side has open. */
static const struct vcp_port_cfg three[] = {
    {.console = true, .host_open = true},
    {.name = "link0"},
    {.name = "log0", .host_open = true},
};

/* The driver sends one control message; the state must stay consistent whatever it was. */
static enum vcp_err drv(struct vcp *p, uint32_t id, uint16_t event, uint16_t value,
                        struct vcp_note *n)
{
    uint8_t b[VCP_MSG_LEN];
    struct vcp_note scratch;
    vcp_test_msg(b, id, event, value);
    enum vcp_err err = vcp_driver_msg(p, b, sizeof(b), n ? n : &scratch);
    assert_null(vcp_check(p));
    return err;
}

/* A refused message changes nothing at all. */
static void refused(struct vcp *p, uint32_t id, uint16_t event, uint16_t value, enum vcp_err want)
{
    struct vcp before = *p;
    struct vcp_note n;
    assert_int_equal(drv(p, id, event, value, &n), want);
    assert_int_equal(n.kind, VCP_NOTE_NONE);
    assert_memory_equal(&before, p, sizeof(before));
}

/* The next message is (id, event, value[, name]); deliver it. */
static void expect_sent(struct vcp *p, uint32_t id, uint16_t event, uint16_t value,
                        const char *name)
{
    struct vcp_msg m;
    uint8_t want[VCP_MSG_LEN];
    assert_true(vcp_next(p, &m));
    vcp_test_msg(want, id, event, value);
    assert_memory_equal(m.hdr, want, VCP_MSG_LEN);
    uint32_t name_len = name ? (uint32_t)strlen(name) : 0;
    assert_int_equal(m.body_len, name_len);
    assert_int_equal(m.len, VCP_MSG_LEN + name_len);
    if (name)
        assert_memory_equal(m.body, name, name_len); /* no NUL follows */
    else
        assert_null(m.body);
    assert_int_equal(vcp_sent(p), VCP_OK);
    assert_null(vcp_check(p));
}

static void init3(struct vcp *p)
{
    assert_int_equal(vcp_init(p, three, 3), VCP_OK);
    assert_null(vcp_check(p));
}

/* DEVICE_READY, then the DEVICE_ADDs delivered; each answered at once, as Linux does from its
 * control work (add_port -> PORT_READY), and that port's messages follow. */
static void linux_handshake(struct vcp *p)
{
    struct vcp_note n;
    assert_int_equal(drv(p, VCP_BAD_ID, VCP_DEVICE_READY, 1, &n), VCP_OK);
    assert_int_equal(n.kind, VCP_NOTE_DEVICE_READY);
    assert_int_equal(vcp_pending(p), 3);
    for (uint32_t id = 0; id < 3; id++)
        expect_sent(p, id, VCP_DEVICE_ADD, 0, NULL);
    for (uint32_t id = 0; id < 3; id++) {
        assert_int_equal(drv(p, id, VCP_PORT_READY, 1, &n), VCP_OK);
        assert_int_equal(n.kind, VCP_NOTE_PORT_READY);
        assert_int_equal(n.port, id);
    }
    expect_sent(p, 0, VCP_CONSOLE_PORT, 1, NULL);
    expect_sent(p, 0, VCP_PORT_OPEN, 1, NULL);
    expect_sent(p, 1, VCP_PORT_NAME, 1, "link0");
    expect_sent(p, 2, VCP_PORT_NAME, 1, "log0");
    expect_sent(p, 2, VCP_PORT_OPEN, 1, NULL);
    assert_false(vcp_next(p, &(struct vcp_msg){0}));
    /* hvc answers CONSOLE_PORT with PORT_OPEN(1) (init_port_console; spec 5.3.6.2.2). */
    assert_int_equal(drv(p, 0, VCP_PORT_OPEN, 1, &n), VCP_OK);
    assert_int_equal(n.kind, VCP_NOTE_GUEST_OPEN);
    assert_int_equal(n.port, 0);
}

static void test_linux_handshake(void **state)
{
    (void)state;
    struct vcp p;
    struct vcp_note n;
    init3(&p);
    assert_int_equal(p.nr_ports, 3); /* max_nr_ports */
    linux_handshake(&p);
    for (uint32_t id = 0; id < 3; id++)
        assert_int_equal(p.port[id].state, VCP_PS_READY);
    assert_true(p.port[0].guest_open);
    assert_false(p.port[1].guest_open);
    /* A program opens /dev/virtio-ports/link0, then closes it. */
    assert_int_equal(drv(&p, 1, VCP_PORT_OPEN, 1, &n), VCP_OK);
    assert_int_equal(n.kind, VCP_NOTE_GUEST_OPEN);
    assert_int_equal(n.port, 1);
    assert_true(p.port[1].guest_open);
    assert_int_equal(drv(&p, 1, VCP_PORT_OPEN, 0, &n), VCP_OK);
    assert_int_equal(n.kind, VCP_NOTE_GUEST_CLOSE);
    assert_false(p.port[1].guest_open);
    assert_int_equal(vcp_pending(&p), 0); /* the driver's open and close need no answer */
    assert_int_equal(p.overflows, 0);
}

/* Nothing is lost while the driver posts no control receive buffer: every message waits, in
 * order, and stays first until delivered. */
static void test_pending_without_buffers(void **state)
{
    (void)state;
    struct vcp p;
    struct vcp_msg a, b;
    init3(&p);
    assert_int_equal(drv(&p, VCP_BAD_ID, VCP_DEVICE_READY, 1, NULL), VCP_OK);
    assert_true(vcp_next(&p, &a));
    assert_true(vcp_next(&p, &b));
    assert_memory_equal(&a, &b, sizeof(a)); /* peeking does not consume */
    assert_int_equal(vcp_pending(&p), 3);
    /* The driver cannot know a port whose DEVICE_ADD is still queued. */
    refused(&p, 0, VCP_PORT_READY, 1, VCP_ERR_NOT_ADDED);
    expect_sent(&p, 0, VCP_DEVICE_ADD, 0, NULL);
    assert_int_equal(drv(&p, 0, VCP_PORT_READY, 1, NULL), VCP_OK);
    /* Port 0's messages queue behind the other DEVICE_ADDs. */
    assert_int_equal(vcp_pending(&p), 4);
    expect_sent(&p, 1, VCP_DEVICE_ADD, 0, NULL);
    expect_sent(&p, 2, VCP_DEVICE_ADD, 0, NULL);
    expect_sent(&p, 0, VCP_CONSOLE_PORT, 1, NULL);
    expect_sent(&p, 0, VCP_PORT_OPEN, 1, NULL);
    assert_int_equal(vcp_sent(&p), VCP_ERR_EMPTY); /* a device-code bug, reported */
    assert_null(vcp_check(&p));
}

/* The worst case the queue is sized for: every port a named console with its host side open,
 * every DEVICE_ADD answered, nothing delivered, and the host side flapping meanwhile. */
static void test_queue_worst_case(void **state)
{
    (void)state;
    struct vcp_port_cfg cfg[VCP_MAX_PORTS];
    struct vcp p;
    for (uint32_t i = 0; i < VCP_MAX_PORTS; i++)
        cfg[i] = (struct vcp_port_cfg){.name = "port", .console = true, .host_open = true};
    assert_int_equal(vcp_init(&p, cfg, VCP_MAX_PORTS), VCP_OK);
    assert_int_equal(drv(&p, VCP_BAD_ID, VCP_DEVICE_READY, 1, NULL), VCP_OK);
    /* Deliver the first DEVICE_ADD only: the others stay queued while port 0's pile up. */
    expect_sent(&p, 0, VCP_DEVICE_ADD, 0, NULL);
    assert_int_equal(drv(&p, 0, VCP_PORT_READY, 1, NULL), VCP_OK);
    for (uint32_t i = 1; i < VCP_MAX_PORTS; i++)
        expect_sent(&p, i, VCP_DEVICE_ADD, 0, NULL);
    for (uint32_t i = 1; i < VCP_MAX_PORTS; i++)
        assert_int_equal(drv(&p, i, VCP_PORT_READY, 1, NULL), VCP_OK);
    assert_int_equal(vcp_pending(&p), 3 * VCP_MAX_PORTS);
    for (int round = 0; round < 1000; round++)
        for (uint32_t i = 0; i < VCP_MAX_PORTS; i++)
            assert_int_equal(vcp_set_host_open(&p, i, round & 1), VCP_OK);
    assert_int_equal(vcp_pending(&p), 3 * VCP_MAX_PORTS);
    assert_int_equal(p.overflows, 0);
    assert_null(vcp_check(&p));
    /* The last state, open again, is what goes out. */
    for (uint32_t i = 0; i < VCP_MAX_PORTS; i++) {
        expect_sent(&p, i, VCP_CONSOLE_PORT, 1, NULL);
        expect_sent(&p, i, VCP_PORT_NAME, 1, "port");
        expect_sent(&p, i, VCP_PORT_OPEN, 1, NULL);
    }
    assert_int_equal(vcp_pending(&p), 0);
}

/* The host side of a ready port: one PORT_OPEN queued at a time, carrying the latest state. */
static void test_host_open_coalesced(void **state)
{
    (void)state;
    struct vcp p;
    init3(&p);
    /* Before the handshake it is only remembered. */
    assert_int_equal(vcp_set_host_open(&p, 1, true), VCP_OK);
    assert_int_equal(vcp_pending(&p), 0);
    assert_int_equal(vcp_set_host_open(&p, 1, false), VCP_OK);
    linux_handshake(&p);
    assert_int_equal(vcp_set_host_open(&p, 1, true), VCP_OK);
    assert_int_equal(vcp_set_host_open(&p, 1, true), VCP_OK); /* no change: nothing queued */
    assert_int_equal(vcp_pending(&p), 1);
    assert_int_equal(vcp_set_host_open(&p, 1, false), VCP_OK);
    assert_int_equal(vcp_set_host_open(&p, 1, true), VCP_OK);
    assert_int_equal(vcp_pending(&p), 1);
    expect_sent(&p, 1, VCP_PORT_OPEN, 1, NULL);
    assert_int_equal(vcp_set_host_open(&p, 1, false), VCP_OK);
    expect_sent(&p, 1, VCP_PORT_OPEN, 0, NULL);
    assert_int_equal(vcp_set_host_open(&p, 3, true), VCP_ERR_BAD_ID);
    assert_null(vcp_check(&p));
}

static void test_hostile_short_and_unknown(void **state)
{
    (void)state;
    struct vcp p;
    struct vcp_note n;
    uint8_t b[VCP_MSG_LEN];
    init3(&p);
    vcp_test_msg(b, VCP_BAD_ID, VCP_DEVICE_READY, 1);
    for (uint32_t len = 0; len < VCP_MSG_LEN; len++) {
        assert_int_equal(vcp_driver_msg(&p, b, len, &n), VCP_ERR_SHORT);
        assert_int_equal(p.state, VCP_DEV_WAIT_READY);
    }
    refused(&p, 0, 8, 1, VCP_ERR_UNKNOWN_EVENT);
    refused(&p, 0, 0xffff, 0, VCP_ERR_UNKNOWN_EVENT);
    /* Events only a device sends, RESIZE among them, before and after DEVICE_READY. */
    const uint16_t device_only[] = {VCP_DEVICE_ADD, VCP_DEVICE_REMOVE, VCP_CONSOLE_PORT, VCP_RESIZE,
                                    VCP_PORT_NAME};
    for (size_t i = 0; i < ARRAY_SIZE(device_only); i++)
        refused(&p, 0, device_only[i], 1, VCP_ERR_DEVICE_EVENT);
    refused(&p, VCP_BAD_ID, VCP_DEVICE_READY, 2, VCP_ERR_BAD_VALUE);
    /* A longer message is its first 8 bytes: Linux's are exactly 8, a longer one is harmless. */
    uint8_t longer[12] = {0};
    vcp_test_msg(longer, VCP_BAD_ID, VCP_DEVICE_READY, 1);
    assert_int_equal(vcp_driver_msg(&p, longer, sizeof(longer), &n), VCP_OK);
    assert_int_equal(n.kind, VCP_NOTE_DEVICE_READY);
    for (size_t i = 0; i < ARRAY_SIZE(device_only); i++)
        refused(&p, 0, device_only[i], 0, VCP_ERR_DEVICE_EVENT);
    refused(&p, 1, VCP_PORT_OPEN, 7, VCP_ERR_BAD_VALUE);
}

static void test_hostile_before_ready_and_bad_ids(void **state)
{
    (void)state;
    struct vcp p;
    init3(&p);
    refused(&p, 0, VCP_PORT_READY, 1, VCP_ERR_BEFORE_READY);
    refused(&p, 0, VCP_PORT_OPEN, 1, VCP_ERR_BEFORE_READY);
    refused(&p, 9, VCP_PORT_OPEN, 1, VCP_ERR_BEFORE_READY);
    linux_handshake(&p);
    refused(&p, 3, VCP_PORT_READY, 1, VCP_ERR_BAD_ID);
    refused(&p, 3, VCP_PORT_OPEN, 1, VCP_ERR_BAD_ID);
    refused(&p, VCP_BAD_ID, VCP_PORT_OPEN, 1, VCP_ERR_BAD_ID);
    refused(&p, 0x80000000u, VCP_PORT_READY, 0, VCP_ERR_BAD_ID);
}

static void test_hostile_twice(void **state)
{
    (void)state;
    struct vcp p;
    init3(&p);
    linux_handshake(&p);
    /* DEVICE_READY again would mean DEVICE_ADD twice, which 5.3.6.2.1 forbids. */
    refused(&p, VCP_BAD_ID, VCP_DEVICE_READY, 1, VCP_ERR_DEVICE_READY_AGAIN);
    refused(&p, VCP_BAD_ID, VCP_DEVICE_READY, 0, VCP_ERR_DEVICE_READY_AGAIN);
    /* PORT_READY again queues nothing more: the queue's bound depends on it. */
    refused(&p, 2, VCP_PORT_READY, 1, VCP_ERR_PORT_READY_AGAIN);
    refused(&p, 2, VCP_PORT_READY, 0, VCP_ERR_PORT_READY_AGAIN);
    /* Opened twice, closed twice. */
    refused(&p, 0, VCP_PORT_OPEN, 1, VCP_ERR_ALREADY_OPEN);
    refused(&p, 1, VCP_PORT_OPEN, 0, VCP_ERR_ALREADY_CLOSED);
    assert_int_equal(drv(&p, 1, VCP_PORT_OPEN, 1, NULL), VCP_OK);
    refused(&p, 1, VCP_PORT_OPEN, 1, VCP_ERR_ALREADY_OPEN);
}

/* PORT_OPEN for a port added but not ready, and a port the driver failed to set up. */
static void test_port_not_ready_and_failed(void **state)
{
    (void)state;
    struct vcp p;
    struct vcp_note n;
    init3(&p);
    assert_int_equal(drv(&p, VCP_BAD_ID, VCP_DEVICE_READY, 1, NULL), VCP_OK);
    expect_sent(&p, 0, VCP_DEVICE_ADD, 0, NULL);
    expect_sent(&p, 1, VCP_DEVICE_ADD, 0, NULL);
    refused(&p, 1, VCP_PORT_OPEN, 1, VCP_ERR_PORT_NOT_READY);
    refused(&p, 2, VCP_PORT_OPEN, 1, VCP_ERR_PORT_NOT_READY); /* its DEVICE_ADD still queued */
    assert_int_equal(drv(&p, 1, VCP_PORT_READY, 0, &n), VCP_OK);
    assert_int_equal(n.kind, VCP_NOTE_PORT_FAILED);
    assert_int_equal(n.port, 1);
    assert_int_equal(p.port[1].state, VCP_PS_FAILED);
    assert_int_equal(vcp_pending(&p), 1); /* only port 2's DEVICE_ADD: nothing for port 1 */
    refused(&p, 1, VCP_PORT_READY, 1, VCP_ERR_PORT_READY_AGAIN);
    refused(&p, 1, VCP_PORT_OPEN, 1, VCP_ERR_PORT_NOT_READY);
    /* The host side opening a failed port is remembered, not said. */
    assert_int_equal(vcp_set_host_open(&p, 1, true), VCP_OK);
    assert_int_equal(vcp_pending(&p), 1);
}

/* DEVICE_READY(0): Linux's probe failed. Nothing is said to that driver until a reset. */
static void test_device_failed(void **state)
{
    (void)state;
    struct vcp p;
    struct vcp_note n;
    init3(&p);
    assert_int_equal(drv(&p, VCP_BAD_ID, VCP_DEVICE_READY, 0, &n), VCP_OK);
    assert_int_equal(n.kind, VCP_NOTE_DEVICE_FAILED);
    assert_int_equal(p.state, VCP_DEV_FAILED);
    assert_int_equal(vcp_pending(&p), 0);
    refused(&p, VCP_BAD_ID, VCP_DEVICE_READY, 1, VCP_ERR_DEVICE_READY_AGAIN);
    refused(&p, 0, VCP_PORT_READY, 1, VCP_ERR_DEVICE_FAILED);
    refused(&p, 0, VCP_PORT_OPEN, 1, VCP_ERR_DEVICE_FAILED);
    assert_int_equal(vcp_set_host_open(&p, 1, true), VCP_OK);
    assert_int_equal(vcp_pending(&p), 0);
    assert_int_equal(vcp_set_host_open(&p, 1, false), VCP_OK);
    assert_int_equal(vcp_reset(&p), 0);
    linux_handshake(&p); /* a fresh driver after the reset gets the whole handshake */
}

/* Reset: every port unannounced and closed, nothing pending, the host side kept; the next
 * driver gets the whole handshake again, with the host side's current state. */
static void test_reset(void **state)
{
    (void)state;
    struct vcp p;
    init3(&p);
    linux_handshake(&p);
    assert_int_equal(drv(&p, 2, VCP_PORT_OPEN, 1, NULL), VCP_OK);
    assert_int_equal(vcp_set_host_open(&p, 1, true), VCP_OK);
    assert_int_equal(vcp_pending(&p), 1);
    assert_int_equal(vcp_reset(&p), BIT(0) | BIT(2)); /* the ports the guest had open */
    assert_null(vcp_check(&p));
    assert_int_equal(p.state, VCP_DEV_WAIT_READY);
    assert_int_equal(vcp_pending(&p), 0);
    for (uint32_t id = 0; id < 3; id++) {
        assert_int_equal(p.port[id].state, VCP_PS_IDLE);
        assert_false(p.port[id].guest_open);
        assert_int_equal(p.port[id].pending, 0);
    }
    assert_true(p.port[1].host_open);
    assert_int_equal(vcp_reset(&p), 0);
    refused(&p, 0, VCP_PORT_OPEN, 1, VCP_ERR_BEFORE_READY);
    assert_int_equal(drv(&p, VCP_BAD_ID, VCP_DEVICE_READY, 1, NULL), VCP_OK);
    for (uint32_t id = 0; id < 3; id++)
        expect_sent(&p, id, VCP_DEVICE_ADD, 0, NULL);
    assert_int_equal(drv(&p, 1, VCP_PORT_READY, 1, NULL), VCP_OK);
    expect_sent(&p, 1, VCP_PORT_NAME, 1, "link0");
    expect_sent(&p, 1, VCP_PORT_OPEN, 1, NULL);
}

static void test_config(void **state)
{
    (void)state;
    struct vcp p;
    struct vcp_port_cfg cfg[VCP_MAX_PORTS + 1] = {{0}};
    const char *max_name = "abcdefghijklmnopqrstuvwxyz012345"; /* VCP_NAME_MAX bytes */
    assert_int_equal(strlen(max_name), VCP_NAME_MAX);
    assert_int_equal(vcp_init(&p, cfg, 0), VCP_ERR_CONFIG);
    assert_int_equal(vcp_init(&p, cfg, VCP_MAX_PORTS + 1), VCP_ERR_CONFIG);
    assert_int_equal(vcp_init(&p, cfg, VCP_MAX_PORTS), VCP_OK);
    cfg[1].name = "a/b"; /* would be a path in /dev/virtio-ports */
    assert_int_equal(vcp_init(&p, cfg, 2), VCP_ERR_CONFIG);
    cfg[1].name = "abcdefghijklmnopqrstuvwxyz0123456";
    assert_int_equal(vcp_init(&p, cfg, 2), VCP_ERR_CONFIG);
    cfg[1].name = max_name;
    assert_int_equal(vcp_init(&p, cfg, 2), VCP_OK);
    assert_int_equal(p.port[1].name_len, VCP_NAME_MAX);
    cfg[1].name = "org.qemu.guest_agent-0";
    assert_int_equal(vcp_init(&p, cfg, 2), VCP_OK);
    cfg[1].name = ""; /* the same as none: no PORT_NAME */
    assert_int_equal(vcp_init(&p, cfg, 2), VCP_OK);
    assert_int_equal(p.port[1].name_len, 0);
    assert_null(vcp_check(&p));
}

static void test_err_str(void **state)
{
    (void)state;
    for (int e = VCP_OK; e <= VCP_ERR_CONFIG; e++)
        assert_string_not_equal(vcp_err_str((enum vcp_err)e), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_handshake),
        cmocka_unit_test(test_pending_without_buffers),
        cmocka_unit_test(test_queue_worst_case),
        cmocka_unit_test(test_host_open_coalesced),
        cmocka_unit_test(test_hostile_short_and_unknown),
        cmocka_unit_test(test_hostile_before_ready_and_bad_ids),
        cmocka_unit_test(test_hostile_twice),
        cmocka_unit_test(test_port_not_ready_and_failed),
        cmocka_unit_test(test_device_failed),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_err_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
