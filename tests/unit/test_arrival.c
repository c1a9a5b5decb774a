// SPDX-License-Identifier: MIT
/*
 * Arrival detection (recorder/arrival.c) on hand-made guest memory and
 * states, no KVM: each case is a step as a host reported it, with the
 * frame a delivery leaves on the stack (Intel SDM vol. 3, 6.14.2).
 *
 * Guest layout (64-bit code, paging off so linear = physical):
 *   0x1000 interrupted code, 0x2000 IDT, 0x3000 handler stubs 8 bytes apart
 *   (vector v at 0x3000 + 8 * v, so a RIP two bytes into a stub is also
 *   within 15 bytes of the previous vector's), 0x4000 an IRETQ,
 *   stack top 0x8008 (not 16-byte aligned: the CPU aligns before pushing).
 */
#include <linux/kvm.h>

#include "arrival.h"
#include "test_util.h"

#define MEM_SIZE 0x10000u
#define IDT 0x2000u
#define STUBS 0x3000u
#define IRETQ_AT 0x4000u
#define CODE 0x1000u
#define SP 0x8008u
#define ALIGNED_SP 0x8000u

static uint8_t mem[MEM_SIZE];

static void put64(uint64_t at, uint64_t v)
{
	memcpy(mem + at, &v, 8);
}

static uint64_t stub(unsigned v)
{
	return STUBS + 8 * v;
}

static void setup_idt(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t t = stub(v);
		put64(IDT + 16 * v, (t & 0xffff) | 0x08ull << 16 | 0x8eull << 40 | ((t >> 16) & 0xffff) << 48);
		put64(IDT + 16 * v + 8, t >> 32);
	}
}

/* A 64-bit CPL0 state at rip/rsp with the IDT loaded. */
static struct xt_state state(uint64_t rip, uint64_t rsp, uint64_t rflags)
{
	struct xt_state s;
	memset(&s, 0, sizeof(s));
	s.regs.rip = rip;
	s.regs.rsp = rsp;
	s.regs.rflags = rflags;
	s.sregs.cr0 = 1;			/* PE; no paging: linear = physical */
	s.sregs.efer = 1ull << 10;		/* LMA */
	s.sregs.cs = (struct xt_segment){ 0, 0xffffffff, 0x08, 1ull << 13 };	/* L */
	s.sregs.ss = (struct xt_segment){ 0, 0xffffffff, 0x10, 0 };
	s.sregs.idt_base = IDT;
	s.sregs.idt_limit = 256 * 16 - 1;
	return s;
}

/* The frame a 64-bit delivery pushes for an interrupted prev, and its error code. */
static void push_frame(const struct xt_state *prev, uint64_t ret_rip, uint64_t rflags, bool err, uint64_t ec)
{
	uint64_t at = (prev->regs.rsp & ~15ull) - 40;
	put64(at, ret_rip);
	put64(at + 8, prev->sregs.cs.selector);
	put64(at + 16, rflags);
	put64(at + 24, prev->regs.rsp);
	put64(at + 32, prev->sregs.ss.selector);
	if (err)
		put64(at - 8, ec);
}

static bool detect(struct kvm_vm *vm, const struct xt_state *prev, const struct xt_state *cur,
		   struct xt_event *ev)
{
	struct insn in;
	struct injector inj;
	injector_init(&inj, NULL, 0);
	insn_decode(mem + prev->regs.rip, 16, 64, &in);
	return arrival_detect(vm, prev, cur, &in, &inj, 7, ev);
}

/* An external interrupt: the handler is told from its neighbour 8 bytes below. */
static void interrupt_between_close_stubs(struct kvm_vm *vm)
{
	struct xt_state prev = state(CODE, SP, 0x202), cur = state(stub(0x31) + 2, ALIGNED_SP - 48, 0x2);
	push_frame(&prev, CODE, 0x202, false, 0);
	struct xt_event ev;
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "the delivery is found");
	TEST_EQ_U64(XT_EV_IRQ_TAKEN, ev.kind, "an arrival");
	TEST_EQ_U64(7, ev.step, "at the step");
	TEST_EQ_U64(0x31, ev.taken.vector, "the vector whose stub RIP is in, not 0x30 eight bytes below");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev.taken.type, "an external interrupt");
	TEST_EQ_U64(stub(0x31), ev.taken.handler, "its handler");
	TEST_EQ_U64(0, ev.taken.has_error_code, "no error code");
	TEST_ASSERT(ev.taken.evidence & XT_EVIDENCE_STACK_FRAME, "from the frame");
	TEST_ASSERT(ev.taken.evidence & XT_EVIDENCE_IDT, "and the IDT");
}

/* #GP(0x50) and #PF(2): the error code sits below the frame and is read for those vectors only. */
static void exception_with_error_code(struct kvm_vm *vm)
{
	static const struct { unsigned vector; uint64_t ec; } cases[] = { { 13, 0x50 }, { 14, 0x2 }, { 17, 0 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xt_state prev = state(CODE, SP, 0x2);
		struct xt_state cur = state(stub(cases[i].vector) + 2, ALIGNED_SP - 56, 0x2);
		push_frame(&prev, CODE, 0x10002, true, cases[i].ec);
		struct xt_event ev;
		TEST_ASSERT(detect(vm, &prev, &cur, &ev), "vector %u: the delivery is found", cases[i].vector);
		TEST_EQ_U64(cases[i].vector, ev.taken.vector, "the vector");
		TEST_EQ_U64(XT_TAKEN_EXCEPTION, ev.taken.type, "an exception");
		TEST_EQ_U64(1, ev.taken.has_error_code, "vector %u pushes an error code", cases[i].vector);
		TEST_EQ_U64(cases[i].ec, ev.taken.error_code, "the error code");
	}
	/* #UD pushes none, though the slot below the frame holds something */
	struct xt_state prev = state(CODE, SP, 0x2), cur = state(stub(6) + 2, ALIGNED_SP - 48, 0x2);
	push_frame(&prev, CODE, 0x10002, true, 0x1234);
	struct xt_event ev;
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "#UD is found");
	TEST_EQ_U64(6, ev.taken.vector, "the vector");
	TEST_EQ_U64(0, ev.taken.has_error_code, "#UD pushes no error code");
}

/*
 * An IRETQ step that also delivered an interrupt (a host that runs on past
 * the IRETQ): the new frame overwrote the popped one, RSP did not move.
 */
static void iret_then_interrupt(struct kvm_vm *vm)
{
	uint64_t frame = ALIGNED_SP - 40;
	struct xt_state before = state(CODE, SP, 0x202);
	push_frame(&before, CODE, 0x202, false, 0);
	struct xt_state prev = state(IRETQ_AT, frame, 0x2);
	struct xt_state cur = state(stub(0x40) + 2, frame - 8, 0x2);
	struct xt_event ev;
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "the delivery in the IRETQ step is found");
	TEST_EQ_U64(0x40, ev.taken.vector, "the vector");
	TEST_EQ_U64(IRETQ_AT, ev.taken.rip_before, "from the IRETQ");
	TEST_EQ_U64(stub(0x40) + 2, ev.taken.rip_after, "into the handler");

	/* a plain IRETQ (and the instruction after it): the stale frame is no arrival */
	cur = state(CODE + 1, SP, 0x202);
	TEST_ASSERT(!detect(vm, &prev, &cur, &ev), "a plain IRETQ is not an arrival");
	/* nor is returning into code that is itself a handler */
	push_frame(&before, stub(0x50) + 1, 0x202, false, 0);
	cur = state(stub(0x50) + 2, SP, 0x202);
	TEST_ASSERT(!detect(vm, &prev, &cur, &ev), "returning into a handler is not an arrival");
}

/* A step that only moved RSP a little, or at all in the other direction, is no delivery. */
static void no_delivery(struct kvm_vm *vm)
{
	struct xt_state prev = state(CODE, SP, 0x202), cur = state(CODE + 1, SP - 8, 0x202);
	push_frame(&prev, CODE, 0x202, false, 0);
	struct xt_event ev;
	TEST_ASSERT(!detect(vm, &prev, &cur, &ev), "a push is not an arrival");
}

static void set_gate(unsigned v, uint64_t t)
{
	put64(IDT + 16 * v, (t & 0xffff) | 0x08ull << 16 | 0x8eull << 40 | ((t >> 16) & 0xffff) << 48);
	put64(IDT + 16 * v + 8, t >> 32);
}

/* Every gate to one handler (the first stub); RIP after the step at handler + rip_off. */
static void one_handler(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, stub(0));
}

static unsigned n_candidates(const struct xt_event *ev)
{
	unsigned n = 0;
	for (unsigned v = 0; v < 256; v++)
		n += xt_taken_candidate(ev, v);
	return n;
}

/*
 * All 256 gates share one handler: the IDT cannot name the vector.  With
 * nothing else to go on (no injection of ours, no local APIC, the vCPU
 * events as before, the handler's first instruction already run so the
 * frame's size says nothing) the arrival is recorded as ambiguous with
 * every vector a candidate, never as the lowest gate's #DE.
 */
static void shared_handler_undecided(struct kvm_vm *vm)
{
	one_handler();
	struct xt_state prev = state(CODE, SP, 0x202), cur = state(stub(0) + 2, ALIGNED_SP - 48, 0x2);
	prev.events.interrupt_nr = cur.events.interrupt_nr = 0x30;	/* a stale number, unchanged */
	push_frame(&prev, CODE, 0x202, false, 0);
	struct xt_event ev;
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "the delivery is found");
	TEST_ASSERT(xt_taken_ambiguous(&ev), "ambiguous");
	TEST_EQ_U64(256, n_candidates(&ev), "every vector a candidate");
	TEST_EQ_U64(XT_TAKEN_UNKNOWN, ev.taken.type, "exceptions and interrupts: the type is unknown too");
	TEST_EQ_U64(0, ev.taken.vector, "key 3 holds the lowest candidate, for older readers");
	TEST_EQ_U64(stub(0), ev.taken.handler, "the shared handler");
	TEST_EQ_U64(0, ev.taken.has_error_code, "no error code read for undecided vectors");
	TEST_ASSERT(ev.taken.evidence & XT_EVIDENCE_IDT, "RIP is at the handler");
	char text[64];
	xt_taken_candidates_str(text, sizeof(text), &ev);
	TEST_EQ_STR("0x0-0xff", text, "the candidates as text");

	/* two of them share a handler, the rest have their own stubs */
	setup_idt();
	set_gate(0x31, stub(0x30));
	cur = state(stub(0x30) + 2, ALIGNED_SP - 48, 0x2);
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "found");
	TEST_ASSERT(xt_taken_ambiguous(&ev), "0x30 or 0x31");
	TEST_EQ_U64(2, n_candidates(&ev), "two candidates");
	TEST_ASSERT(xt_taken_candidate(&ev, 0x30) && xt_taken_candidate(&ev, 0x31), "0x30 and 0x31");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev.taken.type, "both above 31: an external interrupt");
	xt_taken_candidates_str(text, sizeof(text), &ev);
	TEST_EQ_STR("0x30|0x31", text, "the candidates as text");
	size_t need = xt_taken_candidates_str(text, 7, &ev);
	TEST_EQ_U64(strlen("0x30|0x31"), need, "a short buffer: the length needed");
	TEST_EQ_STR("0x30", text, "and the candidates that fit whole");
	setup_idt();
}

/* With a shared handler, the other evidence decides when it can. */
static void shared_handler_decided(struct kvm_vm *vm)
{
	one_handler();
	struct xt_event ev;
	struct xt_state prev = state(CODE, SP, 0x202), cur = state(stub(0) + 2, ALIGNED_SP - 48, 0x2);
	push_frame(&prev, CODE, 0x202, false, 0);

	/* KVM queued interrupt 0x30 in this step, and it is no longer waiting */
	cur.events.interrupt_nr = 0x30;
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "found");
	TEST_ASSERT(!xt_taken_ambiguous(&ev), "the events decide");
	TEST_EQ_U64(0x30, ev.taken.vector, "0x30");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev.taken.type, "external");
	TEST_ASSERT(ev.taken.evidence & XT_EVIDENCE_EVENTS, "from the events");
	/* still injected: not delivered yet, so no evidence */
	cur.events.interrupt_injected = 1;
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "found");
	TEST_ASSERT(xt_taken_ambiguous(&ev), "a queued interrupt is not a delivered one");
	cur.events.interrupt_injected = 0;
	cur.events.interrupt_nr = 0;

	/* an exception KVM queued: #GP, whose error code the frame has below it */
	prev = state(CODE, SP, 0x2);
	cur = state(stub(0) + 2, ALIGNED_SP - 56, 0x2);
	push_frame(&prev, CODE, 0x10002, true, 0x50);
	cur.events.exception_nr = 13;
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "found");
	TEST_ASSERT(!xt_taken_ambiguous(&ev), "decided");
	TEST_EQ_U64(13, ev.taken.vector, "#GP");
	TEST_EQ_U64(XT_TAKEN_EXCEPTION, ev.taken.type, "an exception");
	TEST_EQ_U64(1, ev.taken.has_error_code, "with its error code");
	TEST_EQ_U64(0x50, ev.taken.error_code, "read below the frame");
	cur.events.exception_nr = 0;

	/* RIP still at the handler: the frame's size says an error code was pushed */
	cur = state(stub(0), ALIGNED_SP - 48, 0x2);
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "found");
	TEST_ASSERT(xt_taken_ambiguous(&ev), "which of the vectors that push one, it cannot say");
	TEST_EQ_U64(10, n_candidates(&ev), "#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX");
	TEST_ASSERT(xt_taken_candidate(&ev, 8) && xt_taken_candidate(&ev, 14) && !xt_taken_candidate(&ev, 6),
		    "#DF and #PF, not #UD");
	TEST_EQ_U64(XT_TAKEN_EXCEPTION, ev.taken.type, "all exceptions");
	TEST_ASSERT(ev.taken.evidence & XT_EVIDENCE_FRAME_SIZE, "from the frame's size");
	TEST_EQ_U64(1, ev.taken.has_error_code, "every candidate pushes one: it is recorded");
	TEST_EQ_U64(0x50, ev.taken.error_code, "the error code");
	/* and no error code: those are ruled out */
	prev = state(CODE, SP, 0x202);
	push_frame(&prev, CODE, 0x202, false, 0);
	cur = state(stub(0), ALIGNED_SP - 40, 0x2);
	TEST_ASSERT(detect(vm, &prev, &cur, &ev), "found");
	TEST_EQ_U64(246, n_candidates(&ev), "all but the ten");
	TEST_ASSERT(!xt_taken_candidate(&ev, 13), "not #GP");

	/* an injection of ours outstanding decides, and is marked taken */
	struct injector inj;
	struct insn in;
	injector_init(&inj, NULL, 0);
	inj.outstanding[inj.noutstanding++] = 0x31;
	cur = state(stub(0) + 2, ALIGNED_SP - 48, 0x2);
	insn_decode(mem + prev.regs.rip, 16, 64, &in);
	TEST_ASSERT(arrival_detect(vm, &prev, &cur, &in, &inj, 7, &ev), "found");
	TEST_ASSERT(!xt_taken_ambiguous(&ev), "our injection decides");
	TEST_EQ_U64(0x31, ev.taken.vector, "0x31");
	TEST_EQ_U64(XT_TAKEN_EXTERNAL, ev.taken.type, "external");
	TEST_ASSERT(ev.taken.evidence & XT_EVIDENCE_INJECTION, "from the injection");
	TEST_EQ_U64(0, inj.noutstanding, "and it is no longer outstanding");
	/* an undecided arrival leaves our injections outstanding */
	inj.outstanding[inj.noutstanding++] = 0x31;
	inj.outstanding[inj.noutstanding++] = 0x32;
	TEST_ASSERT(arrival_detect(vm, &prev, &cur, &in, &inj, 7, &ev), "found");
	TEST_ASSERT(xt_taken_ambiguous(&ev), "two of ours: either");
	TEST_EQ_U64(2, n_candidates(&ev), "0x31 or 0x32");
	TEST_EQ_U64(2, inj.noutstanding, "neither marked taken");
	setup_idt();
}

static bool failure(struct kvm_vm *vm, uint8_t op0, uint8_t op1, uint32_t reason, struct xt_event *ev)
{
	struct xt_state prev = state(CODE, SP, 0x2), cur = prev;
	mem[CODE] = op0;
	mem[CODE + 1] = op1;
	cur.exit.reason = reason;
	struct insn in;
	struct injector inj;
	injector_init(&inj, NULL, 0);
	insn_decode(mem + CODE, 16, 64, &in);
	return arrival_at_failure(vm, &prev, &cur, &in, &inj, 3, ev);
}

/* Failing exits: only a shutdown shows an instruction's exception failing to arrive. */
static void failures(struct kvm_vm *vm)
{
	struct xt_event ev;
	TEST_ASSERT(failure(vm, 0x0f, 0x0b, KVM_EXIT_SHUTDOWN, &ev), "UD2 then shutdown: #UD failed to arrive");
	TEST_EQ_U64(6, ev.taken.vector, "#UD");
	TEST_EQ_U64(XT_TAKEN_SHUTDOWN, ev.taken.outcome, "outcome shutdown");
	TEST_ASSERT(!failure(vm, 0xcc, 0x90, KVM_EXIT_INTERNAL_ERROR, &ev),
		    "INT3 the emulator could not run: never raised, so no arrival");
	vm->guest_debug = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
	TEST_ASSERT(!failure(vm, 0xcc, 0x90, KVM_EXIT_SHUTDOWN, &ev),
		    "under USE_SW_BP an INT3 is the debugger's, not the guest's");
	vm->guest_debug = 0;
	TEST_ASSERT(failure(vm, 0xcc, 0x90, KVM_EXIT_SHUTDOWN, &ev), "INT3 into no IDT");
	TEST_EQ_U64(3, ev.taken.vector, "#BP");
}

int main(void)
{
	struct kvm_vm vm;
	memset(&vm, 0, sizeof(vm));
	vm.mem = mem;
	vm.mem_size = MEM_SIZE;
	vm.irqchip = XT_IRQCHIP_NONE;
	vm.kvm_fd = vm.vm_fd = vm.vcpu_fd = -1;
	setup_idt();
	mem[CODE] = 0x90;			/* nop */
	mem[IRETQ_AT] = 0x48;			/* iretq */
	mem[IRETQ_AT + 1] = 0xcf;
	interrupt_between_close_stubs(&vm);
	exception_with_error_code(&vm);
	iret_then_interrupt(&vm);
	no_delivery(&vm);
	shared_handler_undecided(&vm);
	shared_handler_decided(&vm);
	failures(&vm);
	return 0;
}
