#!/usr/bin/python3
"""Write the hand-made seed inputs of the fuzz targets into tests/fuzz/corpus/<target>/seed-*.

Each seed is a short, meaningful run (a driver bring-up, one transmit, a receive across
buffers, the tagged view...), so that fuzzing starts from working states instead of having to
discover register protocols byte by byte. The encodings follow the operation tables of the
targets (tests/fuzz/fuzz_*.c). Run it again after changing an encoding; the rest of each
corpus is what `make fuzz` merged in.
"""
import os
import struct

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


# ---- fuzz_virtio_console: op byte = device << 7 | index into ops[] ----
(V_WRITE, V_READ, V_NAMED, V_MEM, V_DESC, V_AVAIL, V_INPUT, V_POP, V_KICK, V_RESUME, V_ROOM,
 V_SETUP) = range(12)
N_SEL, N_NUM, N_READY, N_NOTIFY, N_ACK, N_STATUS, N_EMERG = 3, 4, 5, 6, 7, 8, 15
F_NEXT, F_WRITE = 1, 2


def setup(dev=0, num_log2=3, driver_ok=True):
    return bytes([dev << 7 | V_SETUP, 1 | (0 if driver_ok else 2), num_log2])


def named(reg, val, dev=0):
    return bytes([dev << 7 | V_NAMED, reg, 2, val])  # mode 2: an 8-bit value


def desc(q, idx, off, length, flags, nxt=0, dev=0):
    return bytes([dev << 7 | V_DESC, q, idx, flags & 7]) + u16(off) + bytes([length, nxt])


def avail(q, head, dev=0):
    return bytes([dev << 7 | V_AVAIL, q, head])


def mem(off, data, dev=0):
    return bytes([dev << 7 | V_MEM]) + u16(off) + bytes([len(data) - 1]) + data


def vinput(data, dev=0):
    return bytes([dev << 7 | V_INPUT, len(data) - 1]) + data


def room(n, dev=0):
    return bytes([dev << 7 | V_ROOM]) + u16(n)


def op(o, dev=0):
    return bytes([dev << 7 | o])


def read(off, width_log2=2, dev=0):
    return bytes([dev << 7 | V_READ]) + u16(off) + bytes([width_log2])


def tx_one(dev=0, idx=0, off=0x8000, text=b"hello, world\n"):
    return (mem(off, text, dev) + desc(1, idx, off, len(text), 0, 0, dev) + avail(1, idx, dev) +
            named(N_NOTIFY, 1, dev))


VIRTIO = {
    "bringup": setup() + read(0x70) + read(0x60) + named(N_ACK, 0xFF),
    "probe": b"".join(read(o) for o in (0, 4, 8, 0xC, 0x34, 0x44, 0x60, 0x70, 0xFC)) +
    read(0x100, 1) + read(0x102, 1) + read(0x104, 2),
    "tx": setup() + tx_one() + read(0x60),
    "tx_chain": setup() + mem(0x8000, b"abcdefgh") + desc(1, 0, 0x8000, 4, F_NEXT, 1) +
    desc(1, 1, 0x8004, 4, 0) + avail(1, 0) + named(N_NOTIFY, 1),
    "tx_blocked_resume": setup() + room(5) + tx_one() + room(0xFFFF) + op(V_RESUME),
    # Regression: a chain half sent when its queue is disabled must not complete into the next.
    "tx_queue_reenable": setup() + room(5) + desc(1, 7, 0x8000, 16, 0) + avail(1, 7) +
    named(N_NOTIFY, 1) + named(N_SEL, 1) + named(N_READY, 0) + named(N_NUM, 1) +
    named(N_READY, 1) + room(0xFFFF) + op(V_RESUME),
    "rx": setup() + vinput(b"hello") + desc(0, 0, 0x9000, 8, F_WRITE) + avail(0, 0) +
    named(N_NOTIFY, 0) + vinput(b" again") + op(V_KICK),
    "rx_chain": setup() + desc(0, 0, 0x9000, 3, F_WRITE | F_NEXT, 1) +
    desc(0, 1, 0x9100, 5, F_WRITE) + avail(0, 0) + vinput(b"0123456789") + op(V_KICK) +
    desc(0, 2, 0x9200, 64, F_WRITE) + avail(0, 2) + named(N_NOTIFY, 0),
    "rx_before_driver_ok": setup(driver_ok=False) + desc(0, 0, 0x9000, 8, F_WRITE) +
    avail(0, 0) + named(N_NOTIFY, 0) + vinput(b"early") +
    named(N_STATUS, 0xF),  # DRIVER_OK
    "pl011_pop": vinput(b"typed") + op(V_POP) + bytes([3]) + setup() + op(V_POP) + bytes([7]),
    "emerg": named(N_EMERG, ord("x")) + setup() + named(N_EMERG, ord("y")),
    "malformed": setup() + avail(1, 200) + named(N_NOTIFY, 1) + named(N_STATUS, 0) + setup() +
    desc(1, 0, 0x8000, 4, F_NEXT, 0) + avail(1, 0) + named(N_NOTIFY, 1) + named(N_STATUS, 0) +
    setup() + desc(0, 0, 0x8000, 4, 0) + avail(0, 0) + vinput(b"k") + op(V_KICK),
    "two_devices": setup(0) + setup(1) + tx_one(0) + tx_one(1, 3, 0xA000, b"other\n") +
    vinput(b"x", 1) + desc(0, 0, 0x9000, 8, F_WRITE, 0, 1) + avail(0, 0, 1) + op(V_KICK, 1) +
    op(V_KICK, 0),
}

# ---- fuzz_mux_parts: first byte picks the part ----
P_HISTORY, P_TAGLINE, P_ESCAPE, P_KBD, P_TXRING, P_TAGQ, P_LIFE = range(7)


def chunk(data):
    return bytes([len(data)]) + data


MUX_PARTS = {
    "history": bytes([P_HISTORY]) + u16(31) + bytes([0]) + chunk(b"line one\nline two\nthree") +
    bytes([2, 3]) + u16(5) + bytes([1]) + chunk(b"lossless\n") + bytes([0]) +
    chunk(b"x" * 40 + b"\nend") + bytes([2, 3]) + u16(100) + bytes([4]),
    "tagline": bytes([P_TAGLINE, 1]) + chunk(b"a line\npartial") + bytes([1]) +
    chunk(b"y" * 250) + bytes([8, 1]) + chunk(b"\n\n"),
    "escape": bytes([P_ESCAPE, 0x1C]) + b"ab\x1c\x1cc\x1cl\x1c0x",
    # throttle, deaf timeout too early (+50), deaf timeout (+60), zone reads, throttle, BREAK
    "kbd": bytes([P_KBD]) + u16(100) + u32(5) + bytes([0, 16]) + u16(50) + bytes([16]) +
    u16(60) + bytes([3, 0, 2, 4]),
    "txring": bytes([P_TXRING]) + u16(16) + bytes([1]) + chunk(b"0123456789") + bytes([0]) +
    u16(4) + bytes([1]) + chunk(b"abcdefghij") + bytes([0]) + u16(100),
    "tagq": bytes([P_TAGQ]) + b"".join(bytes([1 | 2]) + chunk(b"z" * 200) for _ in range(25)) +
    bytes([0, 1]) + chunk(b"partial") + bytes([0, 0]),
    "lifecycle": bytes([P_LIFE, 0, 1, 2, 3, 1, 2, 0, 2, 0, 3, 1, 2]),
}

# ---- fuzz_conout: rig, then op byte = index into ops[] ----
C_WRITE, C_HV, C_CMD, C_PUMP, C_FIFO = 0, 2, 3, 4, 5
TAGGED = bytes([C_CMD, 0x80])


def focus(zone):
    return bytes([C_CMD, zone])



def rig(nz, hist_sizes, ring_size, focus):
    return (bytes([nz - 1]) + b"".join(u16(h - 1) for h in hist_sizes) + u16(ring_size - 2048) +
            bytes([focus]))


def cwrite(zone, data, may_wait=True):
    return bytes([C_WRITE, zone * 4 + (1 if may_wait else 0)]) + u16(len(data)) + data


def cflood(zone, n, line, may_wait=True):
    return bytes([C_WRITE, zone * 4 + 2 + (1 if may_wait else 0)]) + u16(n) + bytes([line, 3])


def hv(text):
    return bytes([C_HV, len(text)]) + text


def pumps(n):
    return bytes([C_PUMP]) * n


CONOUT = {
    "plain": rig(2, [256, 256], 16384, 0) + cwrite(0, b"boot\nprompt# ") + cwrite(1, b"bg\n") +
    pumps(2) + focus(1) + hv(b"=== zone 1 ===") + pumps(3),
    "tagged": rig(3, [512, 512, 512], 16384, 1) + TAGGED + cwrite(0, b"zero\n") +
    cwrite(1, b"one\npart") + cwrite(2, b"two\n") + pumps(4) + cwrite(1, b"ial\n") +
    hv(b"tagged view off") + TAGGED + pumps(4),
    "full_fifo": rig(1, [64], 2048, 0) + bytes([C_FIFO, 0]) + cflood(0, 300, 20) + pumps(2) +
    bytes([C_FIFO, 16]) + pumps(30) + bytes([C_FIFO, 255]) + pumps(10),
    "flood_switch": rig(4, [100, 2000, 4096, 1], 4096, 0) + cflood(1, 4000, 0, False) +
    cflood(2, 3000, 50) + focus(2) + pumps(20) + focus(1) + TAGGED +
    cflood(3, 900, 7) + pumps(20),
    # Regression: a refill cut at "x\n" that the kick sent whole must not strand the long line.
    "cut_refill_stranded": rig(1, [4096], 16384, 0) + bytes([C_FIFO, 0]) + cwrite(0, b"ab\n") +
    cwrite(0, b"x\n") + cflood(0, 1500, 0) + bytes([C_FIFO, 255]) + pumps(1),
    "hv_lines": rig(1, [128], 2048, 0) + bytes([C_FIFO, 0]) +
    b"".join(hv(b"x" * 150) for _ in range(20)) + bytes([C_FIFO, 255]) + pumps(40),
}

# ---- fuzz_esr: esr, hpfar, far, spsr, raw per round ----


def esr_round(esr, hpfar=0x40000 << 4, far=0x123, spsr=0x3C5, raw=0xFFFFFFFFFFFFFF80):
    return u64(esr) + u64(hpfar) + u64(far) + u64(spsr) + u64(raw)


EC_DABT, EC_SYS = 0x24 << 26, 0x18 << 26
IL, ISV = 1 << 25, 1 << 24
ESR = {
    "str_w1": esr_round(EC_DABT | IL | ISV | 2 << 22 | 1 << 16 | 1 << 6 | 0x07),
    "ldrsb_x3": esr_round(EC_DABT | IL | ISV | 0 << 22 | 1 << 21 | 3 << 16 | 1 << 15 | 0x06,
                          spsr=0x3C4),
    "ldp_no_isv": esr_round(EC_DABT | IL | 0x05, spsr=0x10),
    "s1ptw": esr_round(EC_DABT | IL | 1 << 7 | 0x07, spsr=0),
    "sgi1r": esr_round(EC_SYS | IL | 3 << 20 | 0 << 17 | 0 << 14 | 12 << 10 | 5 << 5 | 11 << 1),
}

# ---- fuzz_psci: x0..x3 per round ----
PSCI = {
    "cpu_on64": u64(0xC4000003) + u64(0x1) + u64(0x40080000) + u64(0xDEAD),
    "cpu_on32_garbage": u64(0xFFFFFFFF84000003) + u64(0xABCD000000000001) +
    u64(0x1234567840080000) + u64(0x5555555500000000),
    "features": u64(0x8400000A) + u64(0x84000009) + u64(0) + u64(0) + u64(0x8400000A) +
    u64(0xC4000001) + u64(0) + u64(0),
    "affinity": u64(0xC4000004) + u64(0x100000002) + u64(0x0) + u64(0xFF000000),
}

# ---- fuzz_vcon_ports: port count, one config byte per port, then op byte % 6 ----
P_MSG, P_RAW, P_DELIVER, P_DELIVER_ALL, P_HOST, P_RESET = range(6)
EV_DEVICE_READY, EV_PORT_READY, EV_RESIZE, EV_PORT_OPEN = 0, 3, 5, 6


def ports(*cfg):  # cfg byte: 1 console, 2 named (name index in bits 4-5), 4 host side open
    return bytes([len(cfg) - 1]) + bytes(cfg)


def pmsg(port, event, value):  # port < 0xf0 and even: an 8-byte message for that port id
    return bytes([P_MSG, port, event, value])


def praw(data):
    return bytes([P_RAW, len(data)]) + data


LINUX3 = ports(0x05, 0x02, 0x16)
PORTS = {
    "linux": LINUX3 + pmsg(0, EV_DEVICE_READY, 1) + bytes([P_DELIVER_ALL, 2]) +
    pmsg(0, EV_PORT_OPEN, 1) + bytes([P_HOST, 2 | 1]) + bytes([P_DELIVER, 0]) +
    pmsg(2, EV_PORT_OPEN, 1) + pmsg(2, EV_PORT_OPEN, 0),
    "no_buffers": LINUX3 + pmsg(0, EV_DEVICE_READY, 1) + pmsg(0, EV_PORT_READY, 1) +
    bytes([P_DELIVER, 2]) + bytes([P_HOST, 2 | 1, P_HOST, 2, P_HOST, 2 | 1]) +
    bytes([P_DELIVER, 1, P_DELIVER, 0]) + bytes([P_DELIVER_ALL, 0]),
    "hostile": LINUX3 + pmsg(4, EV_PORT_READY, 1) + praw(b"\x00\x00\x00") +
    praw(bytes(8)) + praw(b"\xff\xff\xff\xff\x00\x00\x01\x00") + pmsg(0, EV_DEVICE_READY, 1) +
    pmsg(0, EV_RESIZE, 0) + pmsg(0, 9, 1) + pmsg(0, EV_PORT_READY, 1) + bytes([P_DELIVER, 2]) +
    pmsg(0, EV_PORT_READY, 1) + pmsg(0, EV_PORT_OPEN, 1) + pmsg(0, EV_PORT_OPEN, 1) +
    pmsg(4, EV_PORT_OPEN, 1) + pmsg(0, EV_PORT_OPEN, 2) + bytes([P_RESET]) +
    pmsg(0, EV_DEVICE_READY, 0) + pmsg(0, EV_PORT_OPEN, 1),
    "worst": ports(*([0x07 | 0x10] * 16)) + pmsg(0, EV_DEVICE_READY, 1) + bytes([P_DELIVER, 2]) +
    bytes([P_DELIVER_ALL, 2]) + bytes([P_HOST, 0, P_HOST, 1, P_HOST, 30, P_HOST, 31]) +
    bytes([P_RESET, P_HOST, 0]) + pmsg(0, EV_DEVICE_READY, 1) + bytes([P_DELIVER_ALL, 1]),
}

ALL = {
    "fuzz_virtio_console": VIRTIO,
    "fuzz_mux_parts": MUX_PARTS,
    "fuzz_conout": CONOUT,
    "fuzz_esr": ESR,
    "fuzz_psci": PSCI,
    "fuzz_vcon_ports": PORTS,
}


def main():
    for target, seeds in ALL.items():
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, f"seed-{name}"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
