# Raspberry Pi 4: a GIC-400 (GICv2) only. Under QEMU, the raspi4b machine (QEMU 9.0 and later:
# $(QEMU_RASPI4B) is the host's if it has it, else the one make deps fetches into build/qemu10).
# UART0, the console, is QEMU's first serial port on raspi4b.
ifneq ($(GIC),2)
ifneq ($(origin GIC),file)
$(error PLATFORM=rpi4 has a GICv2 (GIC-400): drop GIC=$(GIC))
endif
endif
GIC := 2
QEMU_MACHINE = -M raspi4b
BOARD_QEMU_BIN = $(QEMU_RASPI4B)
BOARD_DTS_DEFS := -DGIC_COMPAT='"arm,gic-400"'
