# Bare-metal arm64 hypervisor with an in-EL2 virtio console and console multiplexer.
#   make [CONFIG=name] [ESCAPE=0x1c]   build build/hypervisor.bin
#   make run | debug | test | bench | deps | clean
CONFIG ?= linux
PLATFORM ?= qemu-virt
ESCAPE ?= 0x1c
UART_BAUD ?= 0
CROSS_COMPILE ?= aarch64-linux-gnu-


BUILD := build
# A UART speed model (make UART_BAUD=115200) builds apart from the plain configuration.
CFG_BUILD := $(BUILD)/$(CONFIG)$(if $(filter-out 0,$(UART_BAUD)),-baud$(UART_BAUD))
PLAT_DIR := platform/$(PLATFORM)

CC := $(CROSS_COMPILE)gcc
LD := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
QEMU := qemu-system-aarch64
PYTEST := /usr/bin/python3 -m pytest

include $(PLAT_DIR)/$(CONFIG).mk
BENCH_DIRECT_BYTES ?= 0
QEMU_MEM ?= 2G

CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-common -fPIE \
	-fno-stack-protector -fno-tree-loop-distribute-patterns -mgeneral-regs-only -mstrict-align \
	-mno-outline-atomics -I. -DESCAPE_CHAR=$(ESCAPE) -DBENCH_DIRECT_BYTES=$(BENCH_DIRECT_BYTES) \
	-DUART_BAUD=$(UART_BAUD) \
	$(if $(TX_RING),-DBOARD_TX_RING_SIZE=$(TX_RING)) $(if $(INPUT_DEAF_MS),-DBOARD_INPUT_DEAF_MS=$(INPUT_DEAF_MS))
ASFLAGS := -I. -D__ASSEMBLY__
LDFLAGS := -pie --no-dynamic-linker -z norelro -z noexecstack --build-id=none -nostdlib -T linker.ld

HV_SRCS := $(wildcard arch/*.c arch/*.S hypervisor/*.c drivers/*.c) $(PLAT_DIR)/$(CONFIG).c
HV_OBJS := $(patsubst %,$(CFG_BUILD)/obj/%.o,$(HV_SRCS)) $(CFG_BUILD)/obj/blobs.S.o
DTBS := $(patsubst %,$(CFG_BUILD)/%.dtb,$(ZONE_DTS))
BLOB_FILES := $(foreach b,$(BLOBS),$(word 2,$(subst =, ,$(b))))

QEMU_ARGS := -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -smp $(QEMU_SMP) -m $(QEMU_MEM) \
	-nodefaults -display none -monitor none -chardev stdio,id=con,signal=off -serial chardev:con \
	-kernel $(CFG_BUILD)/hypervisor.bin

.PHONY: all run run-uboot debug test unit systest bench deps clean guests fuzz fuzz-build FORCE
all: $(BUILD)/hypervisor.bin

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

$(CFG_BUILD)/%.dtb: $(PLAT_DIR)/%.dts $(wildcard $(PLAT_DIR)/*.dtsi) $(DTS_DEPS)
	@mkdir -p $(@D)
	@echo "  DTC     $<"
	@cpp -nostdinc -undef -x assembler-with-cpp -P -I$(PLAT_DIR) $(DTS_DEFS) $< > $(CFG_BUILD)/$*.dts.pp
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
	scripts/run-qemu.py $(QEMU) $(QEMU_ARGS)

debug: deps-check all
	@echo "waiting for gdb: gdb-multiarch $(CFG_BUILD)/hypervisor.elf -ex 'target remote :1234'"
	scripts/run-qemu.py $(QEMU) $(QEMU_ARGS) -s -S

UBOOT_BIN := /usr/lib/u-boot/qemu_arm64/u-boot.bin
UBOOT_ARGS := $(filter-out -kernel $(CFG_BUILD)/hypervisor.bin,$(QEMU_ARGS)) -bios $(UBOOT_BIN) \
	-device loader,file=$(CFG_BUILD)/hypervisor.bin,addr=0x44000000,force-raw=on

run-uboot: deps-check all
	@echo "at U-Boot's prompt: booti 0x44000000 - \$${fdtcontroladdr}"
	scripts/run-qemu.py $(QEMU) $(UBOOT_ARGS)

qemu-cmd:
	@echo $(QEMU) $(QEMU_ARGS)

# Host unit tests (cmocka) and system tests (pytest + pexpect under QEMU).
UNIT_SRCS := hypervisor/virtqueue.c hypervisor/virtio_mmio.c hypervisor/virtio_console.c \
	hypervisor/history.c hypervisor/tagline.c hypervisor/escape.c hypervisor/ratelimit.c \
	hypervisor/lib.c arch/esr.c hypervisor/conout.c hypervisor/txring.c hypervisor/tagq.c \
	hypervisor/kbd.c hypervisor/lifecycle.c hypervisor/psci_args.c
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))

$(BUILD)/unit/%: tests/unit/%.c $(UNIT_SRCS) $(wildcard tests/unit/*.h hypervisor/*.h arch/*.h)
	@mkdir -p $(@D)
	gcc -std=c11 -Wall -Wextra -Werror -g -O1 -DHOST_TEST -I. -o $@ $< $(UNIT_SRCS) -lcmocka

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

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) $(wildcard tests/fuzz/*.h hypervisor/*.h arch/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) $($*_LDFLAGS)

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

DEPS_PKGS := gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm u-boot-qemu \
	u-boot-tools device-tree-compiler python3-pytest python3-pexpect libcmocka-dev cpio \
	gdb-multiarch xz-utils clang-14 libclang-rt-14-dev

deps:
	scripts/install-deps.sh $(DEPS_PKGS)

deps-check:
	@scripts/install-deps.sh --check $(DEPS_PKGS) || scripts/install-deps.sh $(DEPS_PKGS)

clean:
	rm -rf $(BUILD)
	$(MAKE) -C tests/guests/testguest O=$(abspath $(BUILD)/testguest) clean 2>/dev/null || true
