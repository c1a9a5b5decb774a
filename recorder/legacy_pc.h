/* SPDX-License-Identifier: MIT */
/*
 * What a PC BIOS leaves behind for the program it boots: the i8254 PIT
 * counting on channel 0 at 18.2 Hz, the two 8259 PICs initialised with
 * their vectors at 0x08 and 0x70 (IRQ 0 and the cascade unmasked), and a
 * real-mode IVT whose IRQ vectors send the PICs an EOI and return, and
 * whose other vectors just return.  Real-mode guests and multiboot kernels
 * (kvm-unit-tests' realmode: `sti; hlt` waits for the timer) expect it.
 * The VM config's platform word (XT_PLATFORM_*) says which parts a trace
 * has; replay rebuilds the same from it.
 */
#ifndef XT_LEGACY_PC_H
#define XT_LEGACY_PC_H

#include "kvm_vm.h"
#include "loader.h"

enum legacy_pc_want { LEGACY_PC_AUTO = 0, LEGACY_PC_ON, LEGACY_PC_OFF };

/* Where the IVT's handlers are: F000:FE00, where a BIOS's code is. */
#define LEGACY_PC_STUBS 0xffe00u
#define LEGACY_PC_STUBS_SIZE 0xd0u

/*
 * The platform a guest gets.  AUTO: with an in-kernel irqchip, real-mode
 * guests and multiboot kernels get it, others (the ELF and 64-bit guests
 * exitrace builds a CPU mode for) do not.  ON without an in-kernel irqchip
 * is an error (the PIT and PICs are KVM's).  The IVT is left out where the
 * guest was loaded over it or its handlers, or --idt writes exitrace's own.
 * Returns 0 with *platform set (XT_PLATFORM_*), or -EINVAL with err set.
 */
int legacy_pc_choose(enum legacy_pc_want want, uint32_t irqchip, const struct guest_image *img,
		     uint64_t mem_size, bool idt, uint32_t *platform, struct xt_error *err);

/*
 * Create and program the devices of platform on vm: the PIT (after the
 * irqchip) and the PICs' state.  quiet: the PIT never raises IRQ 0 by
 * itself (KVM_PIT_FLAGS_HPET_LEGACY stops its timer while its counters
 * still count): replay then makes each tick at the step the recording
 * took it.  0 or -errno with err set.
 */
int legacy_pc_devices(struct kvm_vm *vm, uint32_t platform, bool quiet, struct xt_error *err);

/* Write the IVT and its handlers into guest memory (XT_PLATFORM_IVT). */
void legacy_pc_ivt(uint8_t *mem);

/*
 * The recorder's one call: choose the platform for img (legacy_pc_choose),
 * create its devices with the PIT running, and write the IVT into vm's
 * memory if it is part of it.  0 or -errno with err set.
 */
int legacy_pc_setup(struct kvm_vm *vm, enum legacy_pc_want want, const struct guest_image *img, bool idt,
		    uint32_t *platform, struct xt_error *err);

#endif
