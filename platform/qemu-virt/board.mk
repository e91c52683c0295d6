# QEMU virt with the virtualization extensions; GIC=3 (default) or GIC=2.
QEMU_MACHINE = -M virt,virtualization=on,gic-version=$(GIC) -cpu cortex-a57 -m $(QEMU_MEM)
