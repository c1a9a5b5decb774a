// SPDX-License-Identifier: MIT
/*
 * The field table: id, name, place in struct xt_state, block, the exit it
 * belongs to and its compare mask.  The table is indexed by id so that the
 * reader's hot path is one array load per field.
 */
#include <linux/kvm.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "xt_state.h"

_Static_assert(sizeof(struct kvm_fpu) == XT_FPU_SIZE, "struct kvm_fpu changed size");
_Static_assert(sizeof(struct xt_state) < 65536, "offsets are 16-bit");

#define ALL ~0ull
/* Single-step sets TF behind the guest's back and instruction breakpoints need RF. */
#define RFLAGS_MASK (ALL & ~((1ull << 8) | (1ull << 16)))
/* DR6: B0-B3, BD, BS, BT; the reserved bits differ between CPUs. */
#define DR6_MASK 0xe00full

#define U64(fid, blk, member, nm, reason, mask)                                \
	[fid] = { .id = fid, .block = XT_BLOCK_##blk, .kind = XT_KIND_U64,     \
		  .offset = offsetof(struct xt_state, member),                 \
		  .exit_reason = reason, .compare_mask = mask, .name = nm }
#define BLOB(fid, blk, member, lenmember, nm, reason)                          \
	[fid] = { .id = fid, .block = XT_BLOCK_##blk, .kind = XT_KIND_BLOB,    \
		  .offset = offsetof(struct xt_state, member),                 \
		  .len_offset = offsetof(struct xt_state, lenmember),          \
		  .cap = sizeof(((struct xt_state *)0)->member),               \
		  .exit_reason = reason, .compare_mask = ALL, .name = nm }
#define REG(fid, r) U64(fid, REGS, regs.r, #r, XT_ANY_EXIT, ALL)
#define SEG(i, s)                                                              \
	U64(32 + 4 * (i), SREGS, sregs.s.base, #s ".base", XT_ANY_EXIT, ALL),  \
	U64(33 + 4 * (i), SREGS, sregs.s.limit, #s ".limit", XT_ANY_EXIT, ALL),\
	U64(34 + 4 * (i), SREGS, sregs.s.selector, #s ".selector", XT_ANY_EXIT, ALL), \
	U64(35 + 4 * (i), SREGS, sregs.s.attr, #s ".attr", XT_ANY_EXIT, ALL)
#define SREG(fid, member, nm) U64(fid, SREGS, sregs.member, nm, XT_ANY_EXIT, ALL)
#define EVT(fid, member, nm, mask) U64(fid, EVENTS, events.member, nm, XT_ANY_EXIT, mask)
#define EXIT(fid, member, nm, reason, mask) U64(fid, EXIT, exit.member, nm, reason, mask)
#define LAPIC(fid, member, nm, mask) U64(fid, LAPIC, lapic.member, nm, XT_ANY_EXIT, mask)

static const struct xt_field fields[XT_FIELD_ID_LIMIT] = {
	REG(1, rax), REG(2, rbx), REG(3, rcx), REG(4, rdx), REG(5, rsi),
	REG(6, rdi), REG(7, rsp), REG(8, rbp), REG(9, r8), REG(10, r9),
	REG(11, r10), REG(12, r11), REG(13, r12), REG(14, r13), REG(15, r14),
	REG(16, r15), REG(17, rip),
	U64(18, REGS, regs.rflags, "rflags", XT_ANY_EXIT, RFLAGS_MASK),

	SEG(0, cs), SEG(1, ds), SEG(2, es), SEG(3, fs),
	SEG(4, gs), SEG(5, ss), SEG(6, tr), SEG(7, ldt),
	SREG(64, gdt_base, "gdt.base"), SREG(65, gdt_limit, "gdt.limit"),
	SREG(66, idt_base, "idt.base"), SREG(67, idt_limit, "idt.limit"),
	SREG(68, cr0, "cr0"), SREG(69, cr2, "cr2"), SREG(70, cr3, "cr3"),
	SREG(71, cr4, "cr4"), SREG(72, cr8, "cr8"), SREG(73, efer, "efer"),
	SREG(74, apic_base, "apic_base"),
	SREG(75, interrupt_bitmap[0], "interrupt_bitmap[0]"),
	SREG(76, interrupt_bitmap[1], "interrupt_bitmap[1]"),
	SREG(77, interrupt_bitmap[2], "interrupt_bitmap[2]"),
	SREG(78, interrupt_bitmap[3], "interrupt_bitmap[3]"),

	EVT(80, exception_injected, "exception.injected", ALL),
	EVT(81, exception_nr, "exception.nr", ALL),
	EVT(82, exception_has_error_code, "exception.has_error_code", ALL),
	EVT(83, exception_pending, "exception.pending", ALL),
	EVT(84, exception_error_code, "exception.error_code", ALL),
	EVT(85, interrupt_injected, "interrupt.injected", ALL),
	EVT(86, interrupt_nr, "interrupt.nr", ALL),
	EVT(87, interrupt_soft, "interrupt.soft", ALL),
	EVT(88, interrupt_shadow, "interrupt.shadow", ALL),
	EVT(89, nmi_injected, "nmi.injected", ALL),
	EVT(90, nmi_pending, "nmi.pending", ALL),
	EVT(91, nmi_masked, "nmi.masked", ALL),
	EVT(92, sipi_vector, "sipi_vector", ALL),
	/* Which KVM_VCPUEVENT_VALID_* bits a host fills in: host detail, not behaviour. */
	EVT(93, flags, "events.flags", 0),
	EVT(94, smi_smm, "smi.smm", ALL),
	EVT(95, smi_pending, "smi.pending", ALL),
	EVT(96, smi_smm_inside_nmi, "smi.smm_inside_nmi", ALL),
	EVT(97, smi_latched_init, "smi.latched_init", ALL),
	EVT(98, triple_fault_pending, "triple_fault.pending", ALL),
	EVT(99, exception_has_payload, "exception.has_payload", ALL),
	EVT(100, exception_payload, "exception.payload", ALL),

	EXIT(112, reason, "exit.reason", XT_ANY_EXIT, ALL),
	EXIT(113, run_ret, "run.ret", XT_ANY_EXIT, ALL),
	EXIT(114, run_errno, "run.errno", XT_ANY_EXIT, ALL),
	EXIT(115, run_flags, "run.flags", XT_ANY_EXIT, ALL),
	EXIT(116, if_flag, "run.if_flag", XT_ANY_EXIT, ALL),
	EXIT(117, ready_for_injection, "run.ready_for_injection", XT_ANY_EXIT, ALL),
	EXIT(118, io_direction, "io.direction", KVM_EXIT_IO, ALL),
	EXIT(119, io_size, "io.size", KVM_EXIT_IO, ALL),
	EXIT(120, io_port, "io.port", KVM_EXIT_IO, ALL),
	EXIT(121, io_count, "io.count", KVM_EXIT_IO, ALL),
	BLOB(122, EXIT, exit.io_data, exit.io_data_len, "io.data", KVM_EXIT_IO),
	EXIT(123, mmio_addr, "mmio.addr", KVM_EXIT_MMIO, ALL),
	EXIT(124, mmio_len, "mmio.len", KVM_EXIT_MMIO, ALL),
	EXIT(125, mmio_is_write, "mmio.is_write", KVM_EXIT_MMIO, ALL),
	BLOB(126, EXIT, exit.mmio_data, exit.mmio_data_len, "mmio.data", KVM_EXIT_MMIO),
	EXIT(127, debug_exception, "debug.exception", KVM_EXIT_DEBUG, ALL),
	EXIT(128, debug_dr6, "debug.dr6", KVM_EXIT_DEBUG, DR6_MASK),
	/* Not every host fills it in (kvm_pvm leaves it alone): recorded, not compared. */
	EXIT(129, debug_dr7, "debug.dr7", KVM_EXIT_DEBUG, 0),
	EXIT(130, debug_pc, "debug.pc", KVM_EXIT_DEBUG, ALL),
	EXIT(131, fail_hw_reason, "fail_entry.hw_reason", KVM_EXIT_FAIL_ENTRY, ALL),
	/* The host CPU the entry failed on. */
	EXIT(132, fail_cpu, "fail_entry.cpu", KVM_EXIT_FAIL_ENTRY, 0),
	EXIT(133, internal_suberror, "internal.suberror", KVM_EXIT_INTERNAL_ERROR, ALL),
	BLOB(134, EXIT, exit.internal_data, exit.internal_data_len, "internal.data",
	     KVM_EXIT_INTERNAL_ERROR),
	EXIT(135, system_event_type, "system_event.type", KVM_EXIT_SYSTEM_EVENT, ALL),
	BLOB(136, EXIT, exit.system_event_data, exit.system_event_data_len,
	     "system_event.data", KVM_EXIT_SYSTEM_EVENT),

	U64(144, DEBUGREGS, dregs.dr0, "dr0", XT_ANY_EXIT, ALL),
	U64(145, DEBUGREGS, dregs.dr1, "dr1", XT_ANY_EXIT, ALL),
	U64(146, DEBUGREGS, dregs.dr2, "dr2", XT_ANY_EXIT, ALL),
	U64(147, DEBUGREGS, dregs.dr3, "dr3", XT_ANY_EXIT, ALL),
	U64(148, DEBUGREGS, dregs.dr6, "dr6", XT_ANY_EXIT, DR6_MASK),
	U64(149, DEBUGREGS, dregs.dr7, "dr7", XT_ANY_EXIT, ALL),

	LAPIC(160, id, "lapic.id", ALL),
	LAPIC(161, version, "lapic.version", ALL),
	LAPIC(162, tpr, "lapic.tpr", ALL),
	LAPIC(163, ppr, "lapic.ppr", ALL),
	LAPIC(164, ldr, "lapic.ldr", ALL),
	LAPIC(165, dfr, "lapic.dfr", ALL),
	LAPIC(166, svr, "lapic.svr", ALL),
	LAPIC(167, isr[0], "lapic.isr[0]", ALL),
	LAPIC(168, isr[1], "lapic.isr[1]", ALL),
	LAPIC(169, isr[2], "lapic.isr[2]", ALL),
	LAPIC(170, isr[3], "lapic.isr[3]", ALL),
	LAPIC(171, tmr[0], "lapic.tmr[0]", ALL),
	LAPIC(172, tmr[1], "lapic.tmr[1]", ALL),
	LAPIC(173, tmr[2], "lapic.tmr[2]", ALL),
	LAPIC(174, tmr[3], "lapic.tmr[3]", ALL),
	LAPIC(175, irr[0], "lapic.irr[0]", ALL),
	LAPIC(176, irr[1], "lapic.irr[1]", ALL),
	LAPIC(177, irr[2], "lapic.irr[2]", ALL),
	LAPIC(178, irr[3], "lapic.irr[3]", ALL),
	LAPIC(179, esr, "lapic.esr", ALL),
	LAPIC(180, icr_lo, "lapic.icr_lo", ALL),
	LAPIC(181, icr_hi, "lapic.icr_hi", ALL),
	LAPIC(182, lvt_timer, "lapic.lvt_timer", ALL),
	LAPIC(183, lvt_lint0, "lapic.lvt_lint0", ALL),
	LAPIC(184, lvt_lint1, "lapic.lvt_lint1", ALL),
	LAPIC(185, lvt_error, "lapic.lvt_error", ALL),
	LAPIC(186, timer_initial, "lapic.timer_initial", ALL),
	/* Counts down in real time: different on every run. */
	LAPIC(187, timer_current, "lapic.timer_current", 0),
	LAPIC(188, timer_divide, "lapic.timer_divide", ALL),

	BLOB(200, FPU, fpu.data, fpu.len, "fpu", XT_ANY_EXIT),

	/* How long things took on the host: never the guest's behaviour. */
	U64(208, TIME, time.run, "time.run", XT_ANY_EXIT, 0),
	U64(209, TIME, time.out, "time.out", XT_ANY_EXIT, 0),
};

/*
 * The diff's hot path: each block's U64 fields as consecutive slots of
 * struct xt_state, with the id of each slot, so an unchanged block costs a
 * memcmp and a changed one a loop of u64 compares.  test_fields checks that
 * changing any single field is seen as exactly that field.
 */
struct block_slots {
	uint16_t offset;		/* of the first slot */
	uint8_t n;			/* slots, at most 64 */
	uint8_t first_id;		/* ids are first_id + slot, unless ids is set */
	const uint8_t *ids;
};

static const uint8_t exit_slot_ids[] = {
	112, 113, 114, 115, 116, 117, 118, 119, 120, 121,	/* reason .. io.count */
	123, 124, 125,						/* mmio */
	127, 128, 129, 130,					/* debug */
	131, 132, 133, 135,					/* fail_entry, internal, system_event */
};

#define SLOTS(from, to) offsetof(struct xt_state, from), \
	(offsetof(struct xt_state, to) - offsetof(struct xt_state, from)) / 8

static const struct block_slots block_slots[XT_NBLOCKS] = {
	[XT_BLOCK_REGS] = { SLOTS(regs, sregs), 1, NULL },
	[XT_BLOCK_SREGS] = { SLOTS(sregs, events), 32, NULL },
	[XT_BLOCK_EVENTS] = { SLOTS(events, exit), 80, NULL },
	[XT_BLOCK_EXIT] = { SLOTS(exit, exit.io_data_len), 0, exit_slot_ids },
	[XT_BLOCK_DEBUGREGS] = { SLOTS(dregs, lapic), 144, NULL },
	[XT_BLOCK_LAPIC] = { SLOTS(lapic, fpu), 160, NULL },
	[XT_BLOCK_FPU] = { 0, 0, 0, NULL },
	[XT_BLOCK_TIME] = { offsetof(struct xt_state, time), 2, 208, NULL },
};
_Static_assert(sizeof(struct xt_sregs) / 8 <= 64 && sizeof(struct xt_lapic) / 8 <= 64,
	       "a block's slots must fit a 64-bit mask");
_Static_assert(sizeof(exit_slot_ids) == (offsetof(struct xt_state, exit.io_data_len) -
					 offsetof(struct xt_state, exit)) / 8,
	       "exit slot ids out of step with struct xt_exit");

/* The blob fields of each block. */
static const uint8_t exit_blobs[] = { XT_F_IO_DATA, XT_F_MMIO_DATA, XT_F_INTERNAL_DATA,
				      XT_F_SYSTEM_EVENT_DATA };
static const uint8_t fpu_blobs[] = { XT_F_FPU };

const struct xt_field *xt_field_by_id(unsigned id)
{
	if (id >= XT_FIELD_ID_LIMIT || !fields[id].name)
		return NULL;
	return &fields[id];
}

size_t xt_fields(const struct xt_field **table)
{
	*table = fields;
	return XT_FIELD_ID_LIMIT;
}

const struct xt_field *xt_field_by_name(const char *name)
{
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++)
		if (fields[id].name && !strcmp(fields[id].name, name))
			return &fields[id];
	return NULL;
}

/*
 * The writer's per-step diff compares blobs with this, not xt_field_equal:
 * exported, hence interposable under -fPIC, that one is never inlined, and
 * the calls cost about 15% of the write rate.
 */
static inline bool blob_equal(const struct xt_state *a, const struct xt_state *b,
			      const struct xt_field *f)
{
	uint32_t la, lb;
	const uint8_t *da = xt_field_blob(a, f, &la);
	const uint8_t *db = xt_field_blob(b, f, &lb);
	return la == lb && (!la || !memcmp(da, db, la));
}

bool xt_field_equal(const struct xt_state *a, const struct xt_state *b, const struct xt_field *f)
{
	if (f->kind == XT_KIND_U64)
		return xt_field_get(a, f) == xt_field_get(b, f);
	return blob_equal(a, b, f);
}

static size_t diff_blobs(const struct xt_state *a, const struct xt_state *b, const uint8_t *ids,
			 size_t n, struct xt_field_set *out)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (blob_equal(a, b, &fields[ids[i]]))
			continue;
		xt_field_set_add(out, ids[i]);
		count++;
	}
	return count;
}

size_t xt_state_diff(const struct xt_state *a, const struct xt_state *b, uint32_t capture,
		     struct xt_field_set *out)
{
	size_t count = 0;
	memset(out, 0, sizeof(*out));
	for (unsigned blk = 0; blk < XT_NBLOCKS; blk++) {
		const struct block_slots *bs = &block_slots[blk];
		if (!(capture & (1u << blk)) || !bs->n)
			continue;
		const uint64_t *pa = (const uint64_t *)((const char *)a + bs->offset);
		const uint64_t *pb = (const uint64_t *)((const char *)b + bs->offset);
		/*
		 * Most blocks are unchanged most steps: one vectorised compare
		 * decides.  Registers and the exit change on every single step
		 * (RIP, the debug exit's pc), so they go straight to the loop.
		 */
		if (blk != XT_BLOCK_REGS && blk != XT_BLOCK_EXIT && !memcmp(pa, pb, bs->n * 8u))
			continue;
		/* branch-free: which slots differ is not predictable step to step */
		uint64_t mask = 0;
		for (unsigned i = 0; i < bs->n; i++)
			mask |= (uint64_t)(pa[i] != pb[i]) << i;
		for (; mask; mask &= mask - 1) {
			unsigned i = (unsigned)__builtin_ctzll(mask);
			xt_field_set_add(out, bs->ids ? bs->ids[i] : bs->first_id + i);
			count++;
		}
	}
	if (capture & (1u << XT_BLOCK_EXIT))
		count += diff_blobs(a, b, exit_blobs, sizeof(exit_blobs), out);
	if (capture & XT_CAPTURE_FPU)
		count += diff_blobs(a, b, fpu_blobs, sizeof(fpu_blobs), out);
	return count;
}

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_S390_SIEIC] = "S390_SIEIC",
	[KVM_EXIT_S390_RESET] = "S390_RESET",
	[KVM_EXIT_DCR] = "DCR",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_OSI] = "OSI",
	[KVM_EXIT_PAPR_HCALL] = "PAPR_HCALL",
	[KVM_EXIT_S390_UCONTROL] = "S390_UCONTROL",
	[KVM_EXIT_WATCHDOG] = "WATCHDOG",
	[KVM_EXIT_S390_TSCH] = "S390_TSCH",
	[KVM_EXIT_EPR] = "EPR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_S390_STSI] = "S390_STSI",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "HYPERV",
	[KVM_EXIT_ARM_NISV] = "ARM_NISV",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVM_EXIT_AP_RESET_HOLD] = "AP_RESET_HOLD",
	[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVM_EXIT_XEN] = "XEN",
	[KVM_EXIT_RISCV_SBI] = "RISCV_SBI",
	[KVM_EXIT_RISCV_CSR] = "RISCV_CSR",
	[KVM_EXIT_NOTIFY] = "NOTIFY",
};
_Static_assert(sizeof(exit_names) / sizeof(exit_names[0]) == KVM_EXIT_NOTIFY + 1,
	       "exit reason table out of step with linux/kvm.h");

const char *xt_exit_reason_name(uint64_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]))
		return exit_names[reason];
	if (reason == XT_EXIT_RUN_FAILED)
		return "RUN_FAILED";
	if (reason == XT_EXIT_NONE)
		return "NONE";
	return NULL;
}

int64_t xt_exit_reason_by_name(const char *name)
{
	if (!strncasecmp(name, "KVM_EXIT_", 9))
		name += 9;
	for (uint64_t r = 0; r <= XT_EXIT_NONE; r = r == KVM_EXIT_NOTIFY ? XT_EXIT_RUN_FAILED : r + 1) {
		const char *n = xt_exit_reason_name(r);
		if (n && !strcasecmp(n, name))
			return (int64_t)r;
	}
	return -1;
}
