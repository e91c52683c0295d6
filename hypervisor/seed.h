/*
 * Random seeds for zones. A Linux zone whose device tree carries no /chosen/rng-seed starts with
 * its random number generator unseeded and, on a board without a CPU random instruction, stays
 * so for minutes: every syscall then pays for a full entropy extraction (randomize_kstack_offset
 * draws a random number per syscall), and getrandom() blocks. Firmware and QEMU hand a seed to
 * the kernel they boot; the hypervisor is that firmware for its zones.
 *
 * The key comes from the boot device tree's /chosen/rng-seed and kaslr-seed (QEMU's virt machine
 * and U-Boot provide them). Each zone boot gets its own bytes: ChaCha20 keyed with it, the zone
 * id and boot count as nonce, written into the zero placeholders /chosen/rng-seed and
 * /chosen/kaslr-seed of the zone's device tree (platform/.../zone-common.dtsi). Without a key the
 * placeholders are removed (FDT_NOP) rather than left as a known seed the kernel would trust.
 */
#ifndef HV_SEED_H
#define HV_SEED_H

#include "hypervisor/lib.h"

/* Once, at boot, before any zone is loaded: fdt_pa is what the boot loader passed in x0.
 * Returns whether a seed was found. */
bool seed_init(uint64_t fdt_pa, uint64_t ram_base, uint64_t ram_size);
/* Fill (or remove) the seed placeholders of a zone's freshly loaded device tree. `size` is the
 * room the tree may occupy. Returns true if seeds were written. */
bool seed_zone_dtb(uint8_t *dtb, uint64_t size, uint32_t zone_id, uint32_t boot);

#endif
