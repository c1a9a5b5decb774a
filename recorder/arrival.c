// SPDX-License-Identifier: MIT
/*
 * The frame layouts are those of Intel SDM vol. 3, 6.12.1 (and 6.14.2 for
 * 64-bit mode, where the stack is aligned to 16 bytes before the push and
 * SS:RSP are always pushed).
 */
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arrival.h"
#include "guest_mem.h"

#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)

/* Exceptions that push an error code (SDM vol. 3, table 6-1). */
static bool has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

bool arrival_idt_target(const struct kvm_vm *vm, const struct xt_state *s, unsigned vector,
			uint64_t *target)
{
	const struct xt_sregs *sr = &s->sregs;
	if (!(sr->cr0 & 1)) {
		uint16_t ivt[2];
		if ((uint64_t)vector * 4 + 3 > sr->idt_limit ||
		    gmem_read(vm, sr, sr->idt_base + 4 * vector, ivt, 4) != 4)
			return false;
		*target = ((uint64_t)ivt[1] << 4) + ivt[0];
		return true;
	}
	unsigned size = (sr->efer & (1ull << 10)) ? 16 : 8;
	uint8_t g[16];
	if ((uint64_t)vector * size + size - 1 > sr->idt_limit ||
	    gmem_read(vm, sr, sr->idt_base + (uint64_t)size * vector, g, size) != size)
		return false;
	if (!(g[5] & 0x80))
		return false;	/* not present */
	uint64_t t = (uint64_t)g[0] | (uint64_t)g[1] << 8 | (uint64_t)g[6] << 16 | (uint64_t)g[7] << 24;
	if (size == 16)
		t |= (uint64_t)(g[8] | g[9] << 8 | g[10] << 16 | (uint32_t)g[11] << 24) << 32;
	*target = t;
	return true;
}

struct frame {
	uint64_t at;		/* linear address of the saved RIP */
	unsigned width;		/* bytes per slot: 2, 4 or 8 */
	uint64_t ret_rip, cs, rflags, rsp, ss;
};

static bool flags_match(uint64_t saved, uint64_t prev)
{
	uint64_t mask = ~(RFLAGS_TF | RFLAGS_RF) & 0xffffffffull;
	return (saved & mask) == (prev & mask);
}

static bool ret_rip_ok(uint64_t ret, const struct xt_state *prev, const struct insn *insn)
{
	if (ret == prev->regs.rip)
		return true;	/* a fault, or an interrupt taken before the instruction */
	/* a trap or software interrupt returns after its instruction */
	return insn && insn->kind != INSN_OTHER && ret == prev->regs.rip + insn->len;
}

/*
 * Read a frame of width w (2, 4, 8) whose saved RIP is at linear address
 * at: RIP, CS, RFLAGS and, with 5 words, RSP and SS.  An error code, if
 * the vector pushes one, lies in the slot below; the frame alone cannot
 * say, so it is read once the vector is known.
 */
static bool read_frame(const struct kvm_vm *vm, const struct xt_sregs *sr, uint64_t at, unsigned w,
		       unsigned words, struct frame *f)
{
	uint64_t v[5] = { 0 };
	uint8_t buf[40];
	if (gmem_read(vm, sr, at, buf, words * w) != words * w)
		return false;
	for (unsigned i = 0; i < words; i++)
		memcpy(&v[i], buf + i * w, w);
	*f = (struct frame){ .at = at, .width = w, .ret_rip = v[0], .cs = v[1] & 0xffff,
			     .rflags = v[2], .rsp = v[3], .ss = v[4] & 0xffff };
	return true;
}

/*
 * An IRET whose step also delivered an interrupt (on some hosts the IRET
 * step runs on, even into a HLT that waits for the next interrupt).  The
 * new frame lands where the IRET popped the old one, so the stack pointer
 * does not move; the stale frame a plain IRET leaves there is told apart
 * by where the step ended: a delivery leaves RIP in a handler, below the
 * frame on the stack, not at the RIP the frame holds.
 */
static bool find_frame_after_iret(const struct kvm_vm *vm, const struct xt_state *prev,
				  const struct xt_state *cur, struct frame *f)
{
	int bits = gmem_code_bits(prev);
	unsigned w = bits == 64 ? 8 : bits == 32 ? 4 : 2;
	uint64_t at = gmem_stack_linear(prev, 0);
	if (!read_frame(vm, &cur->sregs, at, w, bits == 64 ? 5 : 3, f) ||
	    f->cs != prev->sregs.cs.selector || !(f->rflags & 2))
		return false;
	if (bits == 64 && (f->ss != prev->sregs.ss.selector || (f->rsp & ~15ull) - 40 != at))
		return false;
	uint64_t rip = gmem_code_linear(cur), sp = gmem_stack_linear(cur, 0);
	if (sp > at || (rip >= f->ret_rip && rip <= f->ret_rip + 15))
		return false;
	return gmem_code_bits(cur) == bits;
}

/* Find the interrupt frame a delivery in this step pushed, if it pushed one. */
static bool find_frame(const struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
		       const struct insn *insn, struct frame *f)
{
	int bits = gmem_code_bits(prev);
	const struct xt_sregs *sr = &cur->sregs;
	int64_t dropped = (int64_t)(prev->regs.rsp - cur->regs.rsp);
	bool cs_moved = prev->sregs.cs.selector != cur->sregs.cs.selector;

	if (insn && insn->kind == INSN_IRET && find_frame_after_iret(vm, prev, cur, f))
		return true;
	if (bits == 64) {
		bool switched = dropped > 4096 || dropped < -4096 || prev->sregs.ss.selector != cur->sregs.ss.selector;
		if (!switched && !cs_moved && dropped < 24)
			return false;
		uint64_t aligned = prev->regs.rsp & ~15ull;
		if (read_frame(vm, sr, aligned - 40, 8, 5, f) && f->rsp == prev->regs.rsp &&
		    f->cs == prev->sregs.cs.selector && f->ss == prev->sregs.ss.selector &&
		    flags_match(f->rflags, prev->regs.rflags) && ret_rip_ok(f->ret_rip, prev, insn))
			return true;
		if (!switched)
			return false;
		/* a stack switch (IST or privilege change): look around the new stack pointer */
		for (int64_t k = -16; k <= 64; k += 8) {
			if (read_frame(vm, sr, cur->regs.rsp + (uint64_t)k, 8, 5, f) &&
			    f->rsp == prev->regs.rsp && f->cs == prev->sregs.cs.selector &&
			    flags_match(f->rflags, prev->regs.rflags) && ret_rip_ok(f->ret_rip, prev, insn))
				return true;
		}
		return false;
	}
	unsigned w = bits == 32 ? 4 : 2;
	if (!cs_moved && dropped < (int64_t)(3 * w))
		return false;
	uint64_t at = gmem_stack_linear(prev, -(int64_t)(3 * w));
	return read_frame(vm, sr, at, w, 3, f) && f->cs == prev->sregs.cs.selector &&
	       flags_match(f->rflags, prev->regs.rflags & (w == 2 ? 0xffff : ~0ull)) &&
	       ret_rip_ok(f->ret_rip, prev, insn);
}

/* Does RIP after the step sit at vector's handler (or its first instruction's end)? */
static bool at_handler(const struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
		       unsigned v, uint64_t *target)
{
	if (!arrival_idt_target(vm, prev, v, target))
		return false;
	uint64_t rip = gmem_code_linear(cur);
	return rip >= *target && rip <= *target + 15;
}

static int highest_bit(const uint64_t set[4])
{
	for (int w = 3; w >= 0; w--)
		if (set[w])
			return w * 64 + 63 - __builtin_clzll(set[w]);
	return -1;
}

/* A set of vectors, as the local APIC's ISR and IRR are. */
struct vset {
	uint64_t w[4];
};

static void vset_add(struct vset *s, unsigned v)
{
	s->w[v / 64] |= 1ull << (v % 64);
}

static bool vset_has(const struct vset *s, unsigned v)
{
	return s->w[v / 64] >> (v % 64) & 1;
}

static unsigned vset_count(const struct vset *s)
{
	unsigned n = 0;
	for (int i = 0; i < 4; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

static unsigned vset_first(const struct vset *s)
{
	for (unsigned i = 0; i < 4; i++)
		if (s->w[i])
			return i * 64 + (unsigned)__builtin_ctzll(s->w[i]);
	return 256;
}

/* Keep in *s only what keep has, if that leaves any: whether it did. */
static bool vset_narrow(struct vset *s, const struct vset *keep)
{
	struct vset both;
	for (int i = 0; i < 4; i++)
		both.w[i] = s->w[i] & keep->w[i];
	if (!vset_count(&both))
		return false;
	*s = both;
	return true;
}

/*
 * Did an in-kernel 8259 accept an IRQ as this vector?  Its in-service bit
 * for the IRQ is set: no exception or INT n sets it.  Real mode needs it:
 * the PICs' vectors (0x08-0x0f as a BIOS leaves them) are exceptions' in
 * number, and a PIC's interrupt sets no local APIC bit.
 */
static bool pic_in_service(const struct kvm_vm *vm, unsigned vector)
{
	if (vm->irqchip != XT_IRQCHIP_KERNEL)
		return false;
	for (uint32_t chip = KVM_IRQCHIP_PIC_MASTER; chip <= KVM_IRQCHIP_PIC_SLAVE; chip++) {
		struct kvm_irqchip c = { .chip_id = chip };
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &c) < 0)
			return false;
		unsigned base = c.chip.pic.irq_base & 0xf8u;
		if (vector >= base && vector < base + 8 && (c.chip.pic.isr >> (vector - base) & 1))
			return true;
	}
	return false;
}

/* What a vector arrives as when nothing but its number says: NMI, exception or interrupt. */
static uint32_t type_of(unsigned v)
{
	return v == 2 ? XT_TAKEN_NMI : v < 32 ? XT_TAKEN_EXCEPTION : XT_TAKEN_EXTERNAL;
}

/*
 * The vectors whose handler RIP landed in: those whose gate target is the
 * closest below RIP (the step may have run the handler's first
 * instruction), so handlers a few bytes apart are told apart.  Gates that
 * share a handler all stay: the IDT cannot tell them apart.  Returns how
 * many, with their handler in *target.
 */
static unsigned idt_candidates(const struct kvm_vm *vm, const struct xt_state *prev,
			       const struct xt_state *cur, struct vset *c, uint64_t *target)
{
	uint64_t rip = gmem_code_linear(cur), best = UINT64_MAX, t;
	memset(c, 0, sizeof(*c));
	for (unsigned v = 0; v < 256; v++) {
		if (!arrival_idt_target(vm, prev, v, &t) || rip < t || rip - t > 15 || rip - t > best)
			continue;
		if (rip - t < best) {
			memset(c, 0, sizeof(*c));
			best = rip - t;
			*target = t;
		}
		vset_add(c, v);
	}
	return vset_count(c);
}

/*
 * Gates that share one handler: narrow the candidates with what else the
 * step left, each source only keeping the candidates it names.
 *  - The frame's size, while RIP is still at the handler (nothing has
 *    pushed since): an error code below the frame, or none, rules out the
 *    vectors that push the other (SDM vol. 3, table 6-1).
 *  - The vCPU events: KVM records the number of each interrupt and
 *    exception it queues; one that changed in this step and is no longer
 *    waiting to be injected was delivered in it.
 *  - Our injections still outstanding, less those whose request bit (IRR)
 *    is still set in the local APIC: those were not accepted yet.  The
 *    in-service bit cannot be relied on: some hosts EOI on delivery.
 * One candidate left decides the vector; more leave the arrival ambiguous,
 * recorded with its candidates, never a guess.
 */
static void shared_handler(const struct xt_state *prev, const struct xt_state *cur,
			   const struct injector *inj, const struct xt_lapic *lapic, const struct frame *f,
			   uint64_t target, struct vset *c, uint32_t *type, uint32_t *evidence)
{
	const struct xt_events *pe = &prev->events, *ce = &cur->events;
	uint64_t sp = gmem_stack_linear(cur, 0);
	if (gmem_code_linear(cur) == target && (prev->sregs.cr0 & 1) && (sp == f->at || sp == f->at - f->width)) {
		struct vset ec = { { 0 } };
		bool pushed = sp == f->at - f->width;
		for (unsigned v = 0; v < 256; v++)
			if (has_error_code(v) == pushed)
				vset_add(&ec, v);
		unsigned before = vset_count(c);
		if (vset_narrow(c, &ec) && vset_count(c) < before)
			*evidence |= XT_EVIDENCE_FRAME_SIZE;
	}
	if (vset_count(c) > 1) {
		struct vset ev = { { 0 } };
		bool irq = ce->interrupt_nr != pe->interrupt_nr && !ce->interrupt_injected &&
			   ce->interrupt_nr < 256 && vset_has(c, (unsigned)ce->interrupt_nr);
		bool exc = ce->exception_nr != pe->exception_nr && !ce->exception_injected &&
			   !ce->exception_pending && ce->exception_nr < 32 &&
			   vset_has(c, (unsigned)ce->exception_nr);
		if (irq)
			vset_add(&ev, (unsigned)ce->interrupt_nr);
		if (exc)
			vset_add(&ev, (unsigned)ce->exception_nr);
		if (vset_narrow(c, &ev)) {
			*evidence |= XT_EVIDENCE_EVENTS;
			if (vset_count(c) == 1)
				*type = irq ? (ce->interrupt_soft ? XT_TAKEN_SOFTWARE : XT_TAKEN_EXTERNAL)
					    : XT_TAKEN_EXCEPTION;
		}
	}
	if (vset_count(c) > 1) {
		struct vset ours = { { 0 } };
		bool irr_checked = false;
		for (unsigned v = 0; v < 256; v++) {
			if (!vset_has(c, v) || !injector_outstanding(inj, v))
				continue;
			if (lapic && v >= 16) {
				if (lapic->irr[v / 64] >> (v % 64) & 1)
					continue;	/* still requested: not accepted in this step */
				irr_checked = true;
			}
			vset_add(&ours, v);
		}
		if (vset_narrow(c, &ours) && irr_checked)
			*evidence |= XT_EVIDENCE_LAPIC_IRR;
	}
	if (vset_count(c) == 1) {
		if (!*type)
			*type = type_of(vset_first(c));
		return;
	}
	/* ambiguous: a type only if every candidate has the same one */
	*type = type_of(vset_first(c));
	for (unsigned v = 0; v < 256; v++)
		if (vset_has(c, v) && type_of(v) != *type)
			*type = XT_TAKEN_UNKNOWN;
}

/*
 * The vector of a delivery whose frame was found; evidence bits are added
 * to *evidence.  Where the evidence leaves more than one vector, *cand
 * holds them and *vector is the lowest.
 */
static bool pick_vector(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
			const struct insn *insn, struct injector *inj, const struct frame *f,
			unsigned *vector, uint32_t *type, uint32_t *evidence, uint64_t *handler,
			struct vset *cand)
{
	uint64_t t;
	memset(cand, 0, sizeof(*cand));
	/* the vCPU events said KVM was about to inject it */
	if (prev->events.exception_injected || prev->events.exception_pending) {
		*vector = (unsigned)prev->events.exception_nr;
		*type = XT_TAKEN_EXCEPTION;
		*evidence |= XT_EVIDENCE_EVENTS;
	} else if (prev->events.interrupt_injected) {
		*vector = (unsigned)prev->events.interrupt_nr;
		*type = prev->events.interrupt_soft ? XT_TAKEN_SOFTWARE : XT_TAKEN_EXTERNAL;
		*evidence |= XT_EVIDENCE_EVENTS;
	} else if (prev->events.nmi_injected || (!prev->events.nmi_masked && cur->events.nmi_masked)) {
		/* delivering an NMI blocks NMIs until the next IRET (SDM vol. 3, 6.7.1) */
		*vector = 2;
		*type = XT_TAKEN_NMI;
		*evidence |= XT_EVIDENCE_EVENTS;
	} else if (insn && f->ret_rip == prev->regs.rip + insn->len &&
		   (insn->kind == INSN_INT || insn->kind == INSN_INT3 || insn->kind == INSN_INTO ||
		    insn->kind == INSN_INT1)) {
		*vector = insn->vector;
		*type = XT_TAKEN_SOFTWARE;
		*evidence |= XT_EVIDENCE_INSTRUCTION;
	} else if (insn && insn->kind == INSN_UD2 && f->ret_rip == prev->regs.rip &&
		   at_handler(vm, prev, cur, 6, &t)) {
		*vector = 6;
		*type = XT_TAKEN_EXCEPTION;
		*evidence |= XT_EVIDENCE_INSTRUCTION;
	} else {
		/* an external interrupt sets its in-service bit when the CPU accepts it */
		struct xt_lapic lapic;
		bool have_lapic = vm->irqchip != XT_IRQCHIP_NONE && kvm_vm_get_lapic(vm, &lapic) == 0;
		int isr = have_lapic ? highest_bit(lapic.isr) : -1;
		if (isr >= 32 && at_handler(vm, prev, cur, (unsigned)isr, &t)) {
			*vector = (unsigned)isr;
			*type = XT_TAKEN_EXTERNAL;
			*evidence |= XT_EVIDENCE_LAPIC_ISR;
		} else {
			struct vset c;
			uint64_t target = 0;
			if (!idt_candidates(vm, prev, cur, &c, &target))
				return false;
			*type = 0;
			if (vset_count(&c) > 1) {
				shared_handler(prev, cur, inj, have_lapic ? &lapic : NULL, f, target, &c, type,
					       evidence);
			} else if (pic_in_service(vm, vset_first(&c))) {
				*type = XT_TAKEN_EXTERNAL;
				*evidence |= XT_EVIDENCE_PIC_ISR;
			} else {
				*type = type_of(vset_first(&c));
			}
			*vector = vset_first(&c);
			if (vset_count(&c) > 1)
				*cand = c;
		}
	}
	if (at_handler(vm, prev, cur, *vector, handler))
		*evidence |= XT_EVIDENCE_IDT;
	if (vset_count(cand))
		return true;	/* undecided: no injection of ours is marked taken */
	if (injector_taken(inj, *vector))
		*evidence |= XT_EVIDENCE_INJECTION;
	/* vector 2 is only ever an NMI, unless an INT 2 raised it */
	if (*vector == 2 && *type != XT_TAKEN_SOFTWARE)
		*type = XT_TAKEN_NMI;
	return true;
}

bool arrival_detect(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
		    const struct insn *insn, struct injector *inj, uint64_t step, struct xt_event *ev)
{
	struct frame f;
	if (!find_frame(vm, prev, cur, insn, &f))
		return false;
	unsigned vector = 0;
	uint32_t type = 0, evidence = XT_EVIDENCE_STACK_FRAME;
	uint64_t handler = 0;
	struct vset cand;
	if (!pick_vector(vm, prev, cur, insn, inj, &f, &vector, &type, &evidence, &handler, &cand))
		return false;
	*ev = (struct xt_event){ .kind = XT_EV_IRQ_TAKEN, .step = step };
	ev->taken.vector = vector;
	ev->taken.type = type;
	ev->taken.outcome = XT_TAKEN_HANDLER;
	ev->taken.evidence = evidence;
	ev->taken.rip_before = prev->regs.rip;
	ev->taken.rip_after = cur->regs.rip;
	ev->taken.handler = handler;
	memcpy(ev->taken.candidates, cand.w, sizeof(cand.w));
	/*
	 * Only exceptions push error codes, never in real mode (SDM vol. 3,
	 * 6.13, 20.1.4); of an ambiguous arrival, only if every candidate does.
	 */
	bool pushes = type == XT_TAKEN_EXCEPTION && has_error_code(vector);
	for (unsigned v = 0; v < 256; v++)
		if (vset_has(&cand, v) && !has_error_code(v))
			pushes = false;
	if (pushes && (prev->sregs.cr0 & 1)) {
		uint64_t ec = 0;
		if (gmem_read(vm, &cur->sregs, f.at - f.width, &ec, f.width) == f.width) {
			ev->taken.has_error_code = 1;
			ev->taken.error_code = ec;
		}
	}
	return true;
}

/*
 * Did the instruction raise the exception whose delivery failed?  Only a
 * shutdown says delivery was attempted: an emulation failure means the
 * instruction never ran.  Under KVM_GUESTDBG_USE_SW_BP an INT3 is the
 * debugger's and never goes to the guest.
 */
static bool insn_raised(const struct kvm_vm *vm, const struct xt_state *cur, const struct insn *insn)
{
	if (!insn || cur->exit.reason != KVM_EXIT_SHUTDOWN)
		return false;
	if (insn->kind == INSN_INT3)
		return !(vm->guest_debug & KVM_GUESTDBG_USE_SW_BP);
	return insn->kind == INSN_UD2 || insn->kind == INSN_INT;
}

bool arrival_at_failure(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
			const struct insn *insn, struct injector *inj, uint64_t step,
			struct xt_event *ev)
{
	unsigned vector;
	uint32_t type, evidence;
	struct xt_lapic lapic;
	int isr = -1, irr = -1;
	if (vm->irqchip != XT_IRQCHIP_NONE && kvm_vm_get_lapic(vm, &lapic) == 0) {
		isr = highest_bit(lapic.isr);
		irr = highest_bit(lapic.irr);
	}
	if (prev->events.interrupt_injected) {
		vector = (unsigned)prev->events.interrupt_nr;
		type = XT_TAKEN_EXTERNAL;
		evidence = XT_EVIDENCE_EVENTS;
	} else if (prev->events.exception_injected || prev->events.exception_pending) {
		vector = (unsigned)prev->events.exception_nr;
		type = XT_TAKEN_EXCEPTION;
		evidence = XT_EVIDENCE_EVENTS;
	} else if (prev->events.nmi_injected || prev->events.nmi_pending ||
		   (!prev->events.nmi_masked && cur->events.nmi_masked)) {
		/* an NMI was being delivered: its delivery blocks NMIs */
		vector = 2;
		type = XT_TAKEN_NMI;
		evidence = XT_EVIDENCE_EVENTS;
	} else if (isr >= 32) {
		/* accepted by the CPU (in service) but never reached a handler */
		vector = (unsigned)isr;
		type = XT_TAKEN_EXTERNAL;
		evidence = XT_EVIDENCE_LAPIC_ISR;
	} else if (insn_raised(vm, cur, insn)) {
		vector = insn->vector;
		type = insn->kind == INSN_UD2 ? XT_TAKEN_EXCEPTION : XT_TAKEN_SOFTWARE;
		evidence = XT_EVIDENCE_INSTRUCTION;
	} else if (irr >= 32 && (prev->regs.rflags & (1u << 9))) {
		vector = (unsigned)irr;
		type = XT_TAKEN_EXTERNAL;
		evidence = 0;
	} else {
		return false;
	}
	if (injector_taken(inj, vector))
		evidence |= XT_EVIDENCE_INJECTION;
	*ev = (struct xt_event){ .kind = XT_EV_IRQ_TAKEN, .step = step };
	ev->taken.vector = vector;
	ev->taken.type = type;
	ev->taken.outcome = cur->exit.reason == KVM_EXIT_SHUTDOWN ? XT_TAKEN_SHUTDOWN : XT_TAKEN_FAILED;
	ev->taken.evidence = evidence;
	ev->taken.rip_before = prev->regs.rip;
	ev->taken.rip_after = cur->regs.rip;
	uint64_t handler = 0;
	arrival_idt_target(vm, prev, vector, &handler);
	ev->taken.handler = handler;
	return true;
}
