# Bare-metal arm64 hypervisor with an in-EL2 virtio console and console multiplexer.
#   make [CONFIG=name] [GIC=3|2] [ESCAPE=0x1c]   build build/hypervisor.bin
#   make run | debug | test | bench | soak | deps | qemu10 | clean
#   make PLATFORM=rpi4 sdcard [SDCARD_BOOT=uboot]   the Raspberry Pi 4 SD card image
CONFIG ?= linux
PLATFORM ?= qemu-virt
ESCAPE ?= 0x1c
UART_BAUD ?= 0
# The interrupt controller of QEMU virt: GICv3, or GICv2 with the virtualization extensions
# (a board with only one kind sets it in its board.mk).
GIC ?= 3
CROSS_COMPILE ?= aarch64-linux-gnu-


BUILD := build
PLAT_DIR := platform/$(PLATFORM)
# The board: its QEMU machine (QEMU_MACHINE, and QEMU if it needs another), fixed choices (GIC).
include $(PLAT_DIR)/board.mk
# Another board, a UART speed model (make UART_BAUD=115200) and GICv2 on virt build apart from
# the plain configuration.
CFG_BUILD := $(BUILD)/$(if $(filter-out qemu-virt,$(PLATFORM)),$(PLATFORM)-)$(CONFIG)$(if $(filter-out 0,$(UART_BAUD)),-baud$(UART_BAUD))$(if $(and $(filter 2,$(GIC)),$(filter qemu-virt,$(PLATFORM))),-gic2)

CC := $(CROSS_COMPILE)gcc
LD := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
QEMU := qemu-system-aarch64
PYTEST := /usr/bin/python3 -m pytest

# `make PLATFORM=rpi4 sdcard SDCARD_KERNEL=<Image>` needs no board configuration of its own.
PLAT_MK := $(PLAT_DIR)/$(CONFIG).mk
SDCARD_GOALS_ONLY := $(if $(MAKECMDGOALS),$(if $(filter-out sdcard rpi-firmware,$(MAKECMDGOALS)),,y))
ifneq ($(wildcard $(PLAT_MK)),)
include $(PLAT_MK)
else ifneq ($(SDCARD_GOALS_ONLY),y)
$(error $(PLAT_MK) not found: PLATFORM=$(PLATFORM) has no configuration $(CONFIG))
endif
BENCH_DIRECT_BYTES ?= 0
QEMU_MEM ?= 2G

CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-common -fPIE \
	-fno-stack-protector -fno-tree-loop-distribute-patterns -mgeneral-regs-only -mstrict-align \
	-mno-outline-atomics -I. -DESCAPE_CHAR=$(ESCAPE) -DBENCH_DIRECT_BYTES=$(BENCH_DIRECT_BYTES) \
	-DUART_BAUD=$(UART_BAUD) -DGIC_VERSION=$(GIC) \
	$(if $(TX_RING),-DBOARD_TX_RING_SIZE=$(TX_RING)) $(if $(INPUT_DEAF_MS),-DBOARD_INPUT_DEAF_MS=$(INPUT_DEAF_MS))
ASFLAGS := -I. -D__ASSEMBLY__
LDFLAGS := -pie --no-dynamic-linker -z norelro -z noexecstack --build-id=none -nostdlib -T linker.ld

HV_SRCS := $(wildcard arch/*.c arch/*.S hypervisor/*.c drivers/*.c $(PLAT_DIR)/board.c) \
	$(PLAT_DIR)/$(CONFIG).c
HV_OBJS := $(patsubst %,$(CFG_BUILD)/obj/%.o,$(HV_SRCS)) $(CFG_BUILD)/obj/blobs.S.o
DTBS := $(patsubst %,$(CFG_BUILD)/%.dtb,$(ZONE_DTS))
BLOB_FILES := $(foreach b,$(BLOBS),$(word 2,$(subst =, ,$(b))))

# U-Boot: a FIT image of the hypervisor and a boot.scr that boots it (scripts/mk-uboot.sh,
# scripts/boot.cmd), made with every build; make uboot-disk puts them on a disk image.
# UBOOT_LOAD_ADDR: where bootm copies the hypervisor; QEMU virt's RAM starts at 0x40000000.
UBOOT_LOAD_ADDR ?= 0x44000000
UBOOT_IMAGES := $(CFG_BUILD)/hvcon.itb $(CFG_BUILD)/boot.scr
UBOOT_DISK := $(CFG_BUILD)/uboot-disk.img

QEMU_ARGS := $(QEMU_MACHINE) -smp $(QEMU_SMP) \
	-nodefaults -display none -monitor none -chardev stdio,id=con,signal=off -serial chardev:con \
	-kernel $(CFG_BUILD)/hypervisor.bin

.PHONY: all run run-uboot run-uboot-disk uboot-disk debug test unit systest bench soak deps \
	deps-check qemu10 clean guests sdcard rpi-firmware fuzz fuzz-build FORCE
all: $(BUILD)/hypervisor.bin $(UBOOT_IMAGES)

$(BUILD)/hypervisor.bin: $(CFG_BUILD)/hypervisor.bin
	cp $< $@

$(CFG_BUILD)/hypervisor.elf: $(HV_OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(HV_OBJS) 2>&1 | grep -v "RWX permissions" || true
	@test -f $@

$(CFG_BUILD)/hypervisor.bin: $(CFG_BUILD)/hypervisor.elf
	@$(OBJCOPY) -O binary $< $@

# Rebuild everything when the build-time knobs change.
$(CFG_BUILD)/flags: FORCE
	@mkdir -p $(@D)
	@echo '$(CFLAGS)' | cmp -s - $@ || echo '$(CFLAGS)' > $@

$(CFG_BUILD)/obj/%.c.o: %.c $(CFG_BUILD)/flags
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(CFG_BUILD)/obj/%.S.o: %.S $(CFG_BUILD)/flags
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(CFLAGS) $(ASFLAGS) -MMD -MP -c $< -o $@

# Zone images, device trees and initramfs are embedded; the C configuration names them BLOB(x).
$(CFG_BUILD)/blobs.S: $(PLAT_DIR)/$(CONFIG).mk $(BLOB_FILES)
	@mkdir -p $(@D)
	@( echo '.section .blobs, "a"'; \
	  for b in $(BLOBS); do n=$${b%%=*}; f=$${b#*=}; \
	    printf '.balign 4096\n.global blob_%s\nblob_%s:\n.incbin "%s"\n.global blob_%s_end\nblob_%s_end:\n' \
	      $$n $$n $$f $$n $$n; done ) > $@

$(CFG_BUILD)/obj/blobs.S.o: $(CFG_BUILD)/blobs.S
	@echo "  AS      $< (zone images)"
	@$(CC) $(CFLAGS) $(ASFLAGS) -c $< -o $@

# Zone device trees: the board's own if it has one by that name, else the common zone view.
vpath %.dts $(PLAT_DIR) platform/zone
$(CFG_BUILD)/%.dtb: %.dts $(wildcard $(PLAT_DIR)/*.dtsi platform/zone/*.dtsi) $(DTS_DEPS)
	@mkdir -p $(@D)
	@echo "  DTC     $<"
	@cpp -nostdinc -undef -x assembler-with-cpp -P -I$(PLAT_DIR) -Iplatform/zone -DGIC_VERSION=$(GIC) \
		$(BOARD_DTS_DEFS) $(DTS_DEFS) $< > $(CFG_BUILD)/$*.dts.pp
	@dtc -q -I dts -O dtb -o $@ $(CFG_BUILD)/$*.dts.pp

$(BUILD)/testguest/testguest.bin: FORCE
	@$(MAKE) -s --no-print-directory -C tests/guests/testguest O=$(abspath $(BUILD)/testguest) CROSS_COMPILE=$(CROSS_COMPILE)

# Linux zones: Debian's arm64 kernel as shipped plus an initramfs from busybox-static and the
# virtio modules, fetched into build/debs without touching the host's apt configuration.
LINUX_GUEST := $(BUILD)/linux-guest
$(BUILD)/debs/.fetched:
	scripts/fetch-guest-debs.sh $(BUILD)/debs
	@touch $@

$(LINUX_GUEST)/Image $(LINUX_GUEST)/initramfs.cpio.gz &: $(BUILD)/debs/.fetched tests/guests/linux/init.sh scripts/mk-linux-guest.sh scripts/mk-initramfs.py
	scripts/mk-linux-guest.sh $(BUILD)/debs $(LINUX_GUEST)
	@touch $(LINUX_GUEST)/Image $(LINUX_GUEST)/initramfs.cpio.gz

-include $(HV_OBJS:.o=.d)

run: deps-check all
	scripts/run-qemu.py $(BOARD_QEMU) $(QEMU_ARGS)

debug: deps-check all
	@echo "waiting for gdb: gdb-multiarch $(CFG_BUILD)/hypervisor.elf -ex 'target remote :1234'"
	scripts/run-qemu.py $(BOARD_QEMU) $(QEMU_ARGS) -s -S

$(UBOOT_IMAGES) &: $(CFG_BUILD)/hypervisor.bin scripts/mk-uboot.sh scripts/boot.cmd
	@echo "  MKIMAGE $(CFG_BUILD)/hvcon.itb $(CFG_BUILD)/boot.scr"
	@scripts/mk-uboot.sh image $< $(UBOOT_LOAD_ADDR) $(CFG_BUILD)

# An MBR disk with one FAT32 partition holding hvcon.itb and boot.scr (sfdisk, mtools; no root).
$(UBOOT_DISK): $(UBOOT_IMAGES)
	scripts/mk-uboot.sh disk $(CFG_BUILD)

uboot-disk: deps-check all $(UBOOT_DISK)

UBOOT_BIN := /usr/lib/u-boot/qemu_arm64/u-boot.bin
UBOOT_BASE_ARGS := $(filter-out -kernel $(CFG_BUILD)/hypervisor.bin,$(QEMU_ARGS)) -bios $(UBOOT_BIN)
UBOOT_ARGS := $(UBOOT_BASE_ARGS) \
	-device loader,file=$(CFG_BUILD)/hypervisor.bin,addr=$(UBOOT_LOAD_ADDR),force-raw=on
UBOOT_DISK_ARGS := $(UBOOT_BASE_ARGS) \
	-drive if=none,file=$(UBOOT_DISK),format=raw,id=hd -device virtio-blk-device,drive=hd

run-uboot: deps-check all
	@echo "at U-Boot's prompt: booti $(UBOOT_LOAD_ADDR) - \$${fdtcontroladdr}"
	scripts/run-qemu.py $(QEMU) $(UBOOT_ARGS)

# No key to press: U-Boot's distro boot finds boot.scr on the disk and boots hvcon.itb.
run-uboot-disk: uboot-disk
	scripts/run-qemu.py $(QEMU) $(UBOOT_DISK_ARGS)

qemu-cmd:
	@echo $(BOARD_QEMU) $(QEMU_ARGS)

# The Raspberry Pi 4 SD card (make PLATFORM=rpi4 sdcard; README "Raspberry Pi 4"): an MBR disk
# image with one FAT32 partition holding the Pi 4 firmware (Debian's raspi-firmware), the board
# device trees (Debian's arm64 kernel package), platform/rpi4/config.txt plus its kernel= line,
# and the hypervisor as hvcon.bin, which the firmware starts (SDCARD_BOOT=hypervisor, default), or
# Debian's U-Boot for rpi_arm64 and a boot.scr that boots hvcon.bin (SDCARD_BOOT=uboot).
# scripts/fetch-rpi-firmware.sh fetches the packages into build/rpi-firmware (5 MB of .debs and
# 9 MB of package lists, plus the 60 MB kernel package the Linux zones use, in build/debs);
# `make rpi-firmware FORCE=1` fetches them anew. SDCARD_KERNEL=<arm64 Image> puts another image
# on the card as hvcon.bin, SDCARD_IMG=<file> writes the card elsewhere.
SDCARD_BOOT ?= hypervisor
SDCARD_DIR ?= $(BUILD)/rpi4-$(CONFIG)
SDCARD_KERNEL ?= $(SDCARD_DIR)/hypervisor.bin
SDCARD_IMG ?= $(SDCARD_DIR)/sdcard.img
RPI_FW := $(BUILD)/rpi-firmware

$(RPI_FW)/versions:
	scripts/fetch-rpi-firmware.sh $(RPI_FW) $(BUILD)/debs

rpi-firmware:
	scripts/fetch-rpi-firmware.sh $(RPI_FW) $(BUILD)/debs

ifeq ($(wildcard $(PLAT_MK)),)
$(SDCARD_KERNEL):
	@echo "sdcard: no $@ and no $(PLAT_MK) to build it; SDCARD_KERNEL=<arm64 Image> puts another on the card"
	@exit 1
endif

ifneq ($(filter sdcard,$(MAKECMDGOALS)),)
ifneq ($(PLATFORM),rpi4)
$(error the SD card is for the Raspberry Pi 4: make PLATFORM=rpi4 sdcard)
endif
endif

sdcard: $(SDCARD_KERNEL) $(RPI_FW)/versions
	scripts/mk-sdcard.sh $(SDCARD_IMG) $(SDCARD_KERNEL) $(RPI_FW) platform/rpi4/config.txt \
		$(SDCARD_BOOT)

# Host unit tests (cmocka) and system tests (pytest + pexpect under QEMU).
UNIT_SRCS := hypervisor/virtqueue.c hypervisor/virtio_mmio.c hypervisor/virtio_console.c \
	hypervisor/history.c hypervisor/tagline.c hypervisor/escape.c hypervisor/ratelimit.c \
	hypervisor/lib.c arch/esr.c hypervisor/conout.c hypervisor/txring.c hypervisor/tagq.c \
	hypervisor/kbd.c hypervisor/lifecycle.c hypervisor/psci_args.c hypervisor/vcon_ports.c \
	hypervisor/virtio_multiport.c hypervisor/port_link.c
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))

# The vGIC core and front-ends, only in the test that supplies a list-register back-end.
VGIC_SRCS := hypervisor/vgic.c hypervisor/vgic_regs.c hypervisor/vgic_v3.c hypervisor/vgic_v2.c
$(BUILD)/unit/test_vgic: UNIT_EXTRA := $(VGIC_SRCS)
$(BUILD)/unit/test_vgic: $(VGIC_SRCS)

$(BUILD)/unit/%: tests/unit/%.c $(UNIT_SRCS) $(wildcard tests/unit/*.h hypervisor/*.h arch/*.h)
	@mkdir -p $(@D)
	gcc -std=c11 -Wall -Wextra -Werror -g -O1 -DHOST_TEST -I. -o $@ $< $(UNIT_SRCS) $(UNIT_EXTRA) \
		-lcmocka -pthread

unit-build: $(UNIT_TESTS)

# libFuzzer targets (tests/fuzz/fuzz_*.c), one binary each, all built by this one rule with
# Debian's clang-14. A target may add link flags as <name>_LDFLAGS (e.g. --wrap to observe a call).
FUZZ_CC := clang-14
FUZZ_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -DHOST_TEST -I.
FUZZ_SRCS := $(UNIT_SRCS)
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))
FUZZ_TIME ?= 60
fuzz_virtio_console_LDFLAGS := -Wl,--wrap=vq_push
# The vGIC target brings its own list-register back-end, as test_vgic does.
$(BUILD)/fuzz/fuzz_vgic: FUZZ_EXTRA := $(VGIC_SRCS)
$(BUILD)/fuzz/fuzz_vgic: $(VGIC_SRCS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) $(wildcard tests/fuzz/*.h hypervisor/*.h arch/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) $(FUZZ_EXTRA) $($*_LDFLAGS)

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_TIME seconds from its committed corpus (read only); what it finds goes to
# build/fuzz/found/<target>, and the inputs among those that reach new code are merged into
# tests/fuzz/corpus/<target> (commit them). The merge counts edges, not hit counts
# (-use_counters=0), which keeps a corpus to about a hundred files for the same code reached.
# A crash leaves build/fuzz/crash-<target>-<hash>: replay it with build/fuzz/<target> <file>.
fuzz: deps-check fuzz-build
	@set -e; for t in $(FUZZ_NAMES); do \
	    mkdir -p $(BUILD)/fuzz/found/$$t tests/fuzz/corpus/$$t; \
	    echo "== $$t: $(FUZZ_TIME) s"; \
	    $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
	        -artifact_prefix=$(BUILD)/fuzz/crash-$$t- $(BUILD)/fuzz/found/$$t tests/fuzz/corpus/$$t; \
	    $(BUILD)/fuzz/$$t -merge=1 -use_counters=0 tests/fuzz/corpus/$$t $(BUILD)/fuzz/found/$$t 2>&1 | tail -n 1; \
	done

unit: deps-check unit-build
	$(PYTEST) -v tests/unit

systest: deps-check all
	$(PYTEST) -v tests/system

# One pytest run, one summary line: cmocka binaries are collected by tests/unit/test_cmocka.py.
test: deps-check
	$(MAKE) all unit-build fuzz-build
	$(PYTEST) -v tests/unit tests/fuzz tests/system

bench: deps-check
	/usr/bin/python3 scripts/bench.py

# Not part of `make test`: 100 restarts of linux0 under load, 10-30 minutes (scripts/soak.py).
soak: deps-check
	$(MAKE) CONFIG=linux all
	/usr/bin/python3 scripts/soak.py

DEPS_PKGS := gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm u-boot-qemu \
	u-boot-tools device-tree-compiler python3-pytest python3-pexpect libcmocka-dev cpio \
	gdb-multiarch xz-utils mtools fdisk clang-14 libclang-rt-14-dev

# A QEMU with the raspi4b machine (9.0 and later) for PLATFORM=rpi4. When the host's lacks it
# (Debian 12 has 7.2), deps fetches Debian bookworm-backports' qemu-system-arm (10.0) into
# build/qemu10 with a private apt state, without installing it (scripts/fetch-qemu10.sh);
# $(QEMU10) is its wrapper. QEMU_RASPI4B is whichever of the two has raspi4b.
QEMU10 := $(BUILD)/qemu10/qemu-system-aarch64
HOST_QEMU_HAS_RASPI4B = $(QEMU) -M help 2>/dev/null | grep -qw raspi4b
QEMU_RASPI4B = $(shell $(HOST_QEMU_HAS_RASPI4B) && echo $(QEMU) || echo $(QEMU10))
# The QEMU that runs this board (board.mk may name another, e.g. $(QEMU_RASPI4B)).
BOARD_QEMU = $(or $(BOARD_QEMU_BIN),$(QEMU))

# make qemu10 [FORCE=1]: fetch (FORCE=1: again) even when the host's QEMU has raspi4b.
qemu10:
	scripts/fetch-qemu10.sh $(BUILD)/qemu10

$(QEMU10):
	scripts/fetch-qemu10.sh $(BUILD)/qemu10

deps:
	scripts/install-deps.sh $(DEPS_PKGS)
	@$(HOST_QEMU_HAS_RASPI4B) || scripts/fetch-qemu10.sh $(BUILD)/qemu10

deps-check:
	@scripts/install-deps.sh --check $(DEPS_PKGS) || scripts/install-deps.sh $(DEPS_PKGS)
	@$(HOST_QEMU_HAS_RASPI4B) || test -x $(QEMU10) || scripts/fetch-qemu10.sh $(BUILD)/qemu10

clean:
	rm -rf $(BUILD)
	$(MAKE) -C tests/guests/testguest O=$(abspath $(BUILD)/testguest) clean 2>/dev/null || true
