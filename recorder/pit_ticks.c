// SPDX-License-Identifier: MIT
#include <sys/ioctl.h>

#include "arrival.h"
#include "pit_ticks.h"

#define RFLAGS_IF (1ull << 9)
#define IOAPIC_MASKED (1ull << 16)

/*
 * Was the arrival IRQ 0?  Through the master PIC: its vector is the PIC's
 * base (ICW2) and arrival found the PIC's in-service bit set (no exception
 * or INT n sets it).  Through the I/O APIC (KVM's default routing sends
 * GSI 0 to pin 0; a guest following the MADT's override uses pin 2, which
 * nothing raises): pin 0's vector, unmasked.
 */
static bool irq0_vector(struct kvm_vm *vm, const struct xt_event *taken)
{
	unsigned vector = taken->taken.vector;
	struct kvm_irqchip pic = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &pic) == 0 && vector == (pic.chip.pic.irq_base & 0xf8u) &&
	    (taken->taken.evidence & XT_EVIDENCE_PIC_ISR))
		return true;
	struct kvm_irqchip io = { .chip_id = KVM_IRQCHIP_IOAPIC };
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &io) < 0)
		return false;
	uint64_t pin0 = io.chip.ioapic.redirtbl[0].bits;
	return !(pin0 & IOAPIC_MASKED) && vector >= 16 && vector == (pin0 & 0xff);
}

bool pit_tick_taken(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
		    const struct insn *in, const struct injector *inj, uint64_t step, struct xt_event *ev)
{
	/* a maskable interrupt needs IF, and its delivery (IVT, interrupt gate) clears it */
	if (!in || !(prev->regs.rflags & RFLAGS_IF) || (cur->regs.rflags & RFLAGS_IF))
		return false;
	if (in->kind == INSN_INT || in->kind == INSN_INT3 || in->kind == INSN_INTO || in->kind == INSN_INT1)
		return false;
	/* arrival marks our own injections taken: it may look, not touch */
	struct injector scratch = *inj;
	struct xt_event taken;
	if (!arrival_detect(vm, prev, cur, in, &scratch, step, &taken) || xt_taken_ambiguous(&taken) ||
	    taken.taken.type != XT_TAKEN_EXTERNAL || !irq0_vector(vm, &taken))
		return false;
	*ev = (struct xt_event){ .kind = XT_EV_IRQ_INJECT, .step = step };
	ev->inject.method = XT_INJECT_PIT;
	ev->inject.vector = taken.taken.vector;
	ev->inject.result = 1;
	ev->inject.port = -1;
	return true;
}
