#!/usr/bin/env python3
"""Assemble the Linux guest initramfs (gzip'd newc cpio) without root.

Used by scripts/mk-linux-guest.sh.  The archive is written directly by this
script (no cpio(1), no fakeroot, no mknod): every entry is owned by 0:0 and
/dev/console is a character-device entry in the archive itself, so the
kernel can open it for /init's stdio before devtmpfs is mounted.

Kernel modules are resolved from the extracted kernel package: the
"depends=" field of each module's .modinfo ELF section gives the dependency
graph (the Debian package ships no modules.dep, depmod runs at install
time), modules.builtin tells which pieces are already in the Image.
Compressed modules (.ko.xz / .ko.gz / .ko.zst) are decompressed.
"""
import argparse
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys


def die(msg):
    sys.exit("mk-initramfs: " + msg)


# ---------------------------------------------------------------- modules --

MOD_SUFFIXES = (".ko", ".ko.xz", ".ko.gz", ".ko.zst")


def mod_name(path):
    base = os.path.basename(path)
    for suf in MOD_SUFFIXES:
        if base.endswith(suf):
            base = base[: -len(suf)]
            break
    return base.replace("-", "_")


def read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):
        zstd = shutil.which("zstd")
        if not zstd:
            die("zstd needed to decompress " + path)
        return subprocess.run([zstd, "-dc"], input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    return data


def modinfo(elf):
    """Return the .modinfo key/value pairs of an ELF64 little-endian module."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        die("not an ELF64 LE module")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def sh(i):
        # name, type, flags, addr, offset, size
        return struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)

    stroff = sh(shstrndx)[4]
    for i in range(shnum):
        name, _, _, _, off, size = sh(i)
        end = elf.index(b"\0", stroff + name)
        if elf[stroff + name:end] == b".modinfo":
            info = {}
            for item in elf[off:off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("utf-8", "replace").split("=", 1)
                    info.setdefault(k, []).append(v)
            return info
    return {}


def resolve_modules(moddir, wanted):
    """Return [(relpath-under-moddir-with-.ko, bytes)] in load order."""
    index = {}
    for root, _, files in os.walk(moddir):
        for fn in files:
            if fn.endswith(MOD_SUFFIXES):
                full = os.path.join(root, fn)
                index.setdefault(mod_name(fn), full)
    builtin = set()
    bpath = os.path.join(moddir, "modules.builtin")
    if os.path.exists(bpath):
        with open(bpath) as f:
            builtin = {mod_name(l.strip()) for l in f if l.strip()}

    order, seen, loaded = [], set(), {}

    def visit(name, chain):
        name = name.replace("-", "_")
        if name in seen:
            return
        if name in chain:
            die("module dependency cycle: " + " -> ".join(chain + [name]))
        if name in builtin:
            print(f"mk-initramfs: {name}: built into the kernel", file=sys.stderr)
            seen.add(name)
            return
        if name not in index:
            die(f"module {name} not found under {moddir}")
        data = read_module(index[name])
        info = modinfo(data)
        deps = [d for d in ",".join(info.get("depends", [""])).split(",") if d]
        for d in deps:
            visit(d, chain + [name])
        seen.add(name)
        rel = os.path.relpath(index[name], moddir)
        for suf in (".xz", ".gz", ".zst"):
            if rel.endswith(".ko" + suf):
                rel = rel[: -len(suf)]
        loaded[name] = deps
        order.append((name, rel, data, deps))
        print(f"mk-initramfs: {name}: module {rel}"
              + (f" (depends: {', '.join(deps)})" if deps else ""),
              file=sys.stderr)

    for w in wanted:
        visit(w, [])
    return order


# ------------------------------------------------------------------ cpio --

class Newc:
    """Minimal writer for the "newc" (070701) cpio format."""

    def __init__(self, out, mtime=0):
        self.out = out
        self.ino = 1
        self.mtime = mtime
        self.names = set()

    def _entry(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        name = name.lstrip("/")
        if name in self.names:
            die("duplicate archive entry " + name)
        self.names.add(name)
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, self.mtime, len(data),
            0, 0, rdev[0], rdev[1], len(nb), 0))
        self.ino += 1
        self.out.write(hdr.encode() + nb)
        self._pad(110 + len(nb))
        self.out.write(data)
        self._pad(len(data))

    def _pad(self, n):
        self.out.write(b"\0" * ((4 - n % 4) % 4))

    def dir(self, name, perm=0o755):
        self._entry(name, 0o040000 | perm, nlink=2)

    def file(self, name, data, perm=0o644):
        self._entry(name, 0o100000 | perm, data)

    def symlink(self, name, target):
        self._entry(name, 0o120000 | 0o777, target.encode())

    def chardev(self, name, major, minor, perm=0o600):
        self._entry(name, 0o020000 | perm, rdev=(major, minor))

    def trailer(self):
        self.ino = 0
        self._entry("TRAILER!!!", 0, nlink=1)


# ------------------------------------------------------------------ main --

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kroot", required=True, help="extracted kernel package root")
    ap.add_argument("--kver", required=True, help="kernel release (lib/modules/<kver>)")
    ap.add_argument("--busybox", required=True, help="static busybox binary")
    ap.add_argument("--init", required=True, help="/init script")
    ap.add_argument("--modules", default="virtio_mmio,virtio_console")
    ap.add_argument("--out", required=True, help="output .cpio.gz")
    a = ap.parse_args()

    moddir = os.path.join(a.kroot, "lib/modules", a.kver)
    if not os.path.isdir(moddir):
        die("no module directory " + moddir)
    mods = resolve_modules(moddir, [m for m in a.modules.split(",") if m])

    for name, _, data, _ in mods:
        vm = modinfo(data).get("vermagic", ["?"])[0]
        if not vm.startswith(a.kver + " "):
            die(f"{name}: vermagic '{vm}' does not match {a.kver}")

    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    buf = io.BytesIO()
    c = Newc(buf, mtime)
    made = set()
    for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev",
              "proc", "sys", "root", "lib", "lib/modules", "run", "var"):
        c.dir(d)
        made.add(d)
    c.dir("tmp", 0o1777)
    c.chardev("dev/console", 5, 1, 0o600)
    with open(a.busybox, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    c.symlink("bin/sh", "busybox")
    with open(a.init, "rb") as f:
        c.file("init", f.read(), 0o755)

    kdir = "lib/modules/" + a.kver
    c.dir(kdir)
    made.add(kdir)
    dep_lines, load_lines = [], []
    relpath = {name: rel for name, rel, _, _ in mods}
    for name, rel, data, deps in mods:
        parts = (kdir + "/" + rel).split("/")[:-1]
        for i in range(len(parts)):
            p = "/".join(parts[: i + 1])
            if p not in made:
                c.dir(p)
                made.add(p)
        c.file(kdir + "/" + rel, data, 0o644)
        dep_lines.append(rel + ":" + "".join(" " + relpath[d] for d in deps
                                             if d in relpath))
        load_lines.append(a.kver + "/" + rel)
    c.file(kdir + "/modules.dep", ("\n".join(dep_lines) + "\n").encode())
    c.file("etc/initramfs-modules", ("\n".join(load_lines) + "\n").encode())
    c.file("etc/hostname", b"linux\n")
    c.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    c.file("etc/group", b"root:x:0:\ntty:x:5:\n")
    c.trailer()

    with open(a.out + ".tmp", "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0,
                           filename="") as gz:
            gz.write(buf.getvalue())
    os.replace(a.out + ".tmp", a.out)
    print(f"mk-initramfs: wrote {a.out} ({len(buf.getvalue())} bytes "
          f"uncompressed, {os.path.getsize(a.out)} compressed)", file=sys.stderr)


if __name__ == "__main__":
    main()
