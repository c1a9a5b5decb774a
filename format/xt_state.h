/* SPDX-License-Identifier: MIT */
/*
 * exitrace trace format: the vCPU state model.
 *
 * A trace stores one struct xt_state per step.  Every scalar field is a
 * uint64_t and every field has a stable integer id (enum xt_field_id); the
 * ids are the CBOR map keys of the format (see format/SPEC.md).  A step
 * record holds only the fields that changed since the previous record.
 *
 * Fields are grouped in blocks (enum xt_block).  A block is captured as a
 * whole or not at all; the trace header says which blocks were captured.
 */
#ifndef XT_STATE_H
#define XT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The general registers, in struct kvm_regs order. */
struct xt_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

/*
 * attr packs the descriptor bits in the VMX access-rights layout:
 * type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16.
 */
struct xt_segment {
	uint64_t base, limit, selector, attr;
};

struct xt_sregs {
	struct xt_segment cs, ds, es, fs, gs, ss, tr, ldt;
	uint64_t gdt_base, gdt_limit, idt_base, idt_limit;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t interrupt_bitmap[4];
};

/* struct kvm_vcpu_events, flattened. */
struct xt_events {
	uint64_t exception_injected, exception_nr, exception_has_error_code;
	uint64_t exception_pending, exception_error_code;
	uint64_t interrupt_injected, interrupt_nr, interrupt_soft;
	uint64_t interrupt_shadow;
	uint64_t nmi_injected, nmi_pending, nmi_masked;
	uint64_t sipi_vector, flags;
	uint64_t smi_smm, smi_pending, smi_smm_inside_nmi, smi_latched_init;
	uint64_t triple_fault_pending;
	uint64_t exception_has_payload, exception_payload;
};

#define XT_IO_DATA_MAX 4096
#define XT_MMIO_DATA_MAX 8
#define XT_WORDS_DATA_MAX 128	/* 16 u64 words of internal/system data */

/*
 * The exit: what KVM_RUN returned and the payload of kvm_run for the exit
 * reason.  Payload fields keep their previous value across exits of other
 * reasons; xt_field_applies() says which fields mean something for a reason.
 * reason is KVM's exit reason, or one of XT_EXIT_* below.
 */
struct xt_exit {
	uint64_t reason, run_ret, run_errno, run_flags;
	uint64_t if_flag, ready_for_injection;
	uint64_t io_direction, io_size, io_port, io_count;
	uint64_t mmio_addr, mmio_len, mmio_is_write;
	uint64_t debug_exception, debug_dr6, debug_dr7, debug_pc;
	uint64_t fail_hw_reason, fail_cpu;
	uint64_t internal_suberror;
	uint64_t system_event_type;
	uint32_t io_data_len, mmio_data_len;
	uint32_t internal_data_len, system_event_data_len;
	uint8_t io_data[XT_IO_DATA_MAX];
	uint8_t mmio_data[XT_MMIO_DATA_MAX];
	uint8_t internal_data[XT_WORDS_DATA_MAX];
	uint8_t system_event_data[XT_WORDS_DATA_MAX];
};

/* KVM_RUN returned -1 without a usable exit_reason: see run_errno. */
#define XT_EXIT_RUN_FAILED 0x10000u
/* No exit yet: the initial state (step 0). */
#define XT_EXIT_NONE 0x10001u

struct xt_debugregs {
	uint64_t dr0, dr1, dr2, dr3, dr6, dr7;
};

/* Selected local APIC registers (KVM_GET_LAPIC); 256-bit sets as 4 words. */
struct xt_lapic {
	uint64_t id, version, tpr, ppr, ldr, dfr, svr;
	uint64_t isr[4], tmr[4], irr[4];
	uint64_t esr, icr_lo, icr_hi;
	uint64_t lvt_timer, lvt_lint0, lvt_lint1, lvt_error;
	uint64_t timer_initial, timer_current, timer_divide;
};

#define XT_FPU_SIZE 416	/* sizeof(struct kvm_fpu) */
struct xt_fpu {
	uint32_t len;
	uint8_t data[XT_FPU_SIZE];
};

/*
 * Host time, in ticks of the header's time_hz, from the recording's start:
 * how long the vCPU has spent inside KVM_RUN (run) and outside it (out,
 * the recorder's and the host's share) up to its last KVM_RUN's return.
 * Cumulative, so a step's deltas are that step's KVM_RUN duration and the
 * gap before it, a byte or two each.
 */
struct xt_time {
	uint64_t run, out;
};

/*
 * size: what a caller that hands a state to the library (xt_writer_step)
 * sets: 0 or sizeof(struct xt_state) of the headers it was built with; 0
 * means XT_STATE_SIZE_0, these headers' layout.  A later library that
 * appends fields reads only what the size covers.  A state the library
 * hands out has its own sizeof there.  (The same rule holds for
 * xt_header, xt_event and xt_footer, xt_records.h.)
 */
struct xt_state {
	uint32_t size;
	struct xt_regs regs;
	struct xt_sregs sregs;
	struct xt_events events;
	struct xt_exit exit;
	struct xt_debugregs dregs;
	struct xt_lapic lapic;
	struct xt_fpu fpu;
	struct xt_time time;
};
/* sizeof(struct xt_state) of these headers, layout 0 (x86-64): what a size of 0 means */
#define XT_STATE_SIZE_0 5960u

enum xt_block {
	XT_BLOCK_REGS,
	XT_BLOCK_SREGS,
	XT_BLOCK_EVENTS,
	XT_BLOCK_EXIT,
	XT_BLOCK_DEBUGREGS,
	XT_BLOCK_LAPIC,
	XT_BLOCK_FPU,
	XT_BLOCK_TIME,
	XT_NBLOCKS
};

/* Capture set: which blocks a recording holds (a bit per enum xt_block). */
#define XT_CAPTURE_DEFAULT ((1u << XT_BLOCK_REGS) | (1u << XT_BLOCK_SREGS) | \
			    (1u << XT_BLOCK_EVENTS) | (1u << XT_BLOCK_EXIT))
#define XT_CAPTURE_DEBUGREGS (1u << XT_BLOCK_DEBUGREGS)
#define XT_CAPTURE_LAPIC (1u << XT_BLOCK_LAPIC)
#define XT_CAPTURE_FPU (1u << XT_BLOCK_FPU)
#define XT_CAPTURE_TIME (1u << XT_BLOCK_TIME)
/* Not a block: per-step vCPU statistics deltas, stored as events. */
#define XT_CAPTURE_STATS (1u << 16)

/* Stable field ids; the numbers are part of the format. */
enum xt_field_id {
	XT_F_RAX = 1, XT_F_RBX, XT_F_RCX, XT_F_RDX, XT_F_RSI, XT_F_RDI,
	XT_F_RSP, XT_F_RBP, XT_F_R8, XT_F_R9, XT_F_R10, XT_F_R11, XT_F_R12,
	XT_F_R13, XT_F_R14, XT_F_R15, XT_F_RIP, XT_F_RFLAGS,	/* 18 */

	/* segment s (cs ds es fs gs ss tr ldt = 0..7): 32 + 4*s + {base,limit,selector,attr} */
	XT_F_SEG_FIRST = 32,
	XT_F_CS_BASE = 32, XT_F_CS_SELECTOR = 34, XT_F_CS_ATTR = 35,
	XT_F_SS_BASE = 52, XT_F_SS_SELECTOR = 54, XT_F_SS_ATTR = 55,
	XT_F_GDT_BASE = 64, XT_F_GDT_LIMIT, XT_F_IDT_BASE, XT_F_IDT_LIMIT,
	XT_F_CR0, XT_F_CR2, XT_F_CR3, XT_F_CR4, XT_F_CR8, XT_F_EFER,
	XT_F_APIC_BASE, XT_F_INTR_BITMAP0,	/* 75..78 */

	XT_F_EXC_INJECTED = 80, XT_F_EXC_NR, XT_F_EXC_HAS_ERROR_CODE,
	XT_F_EXC_PENDING, XT_F_EXC_ERROR_CODE, XT_F_INT_INJECTED,
	XT_F_INT_NR, XT_F_INT_SOFT, XT_F_INT_SHADOW, XT_F_NMI_INJECTED,
	XT_F_NMI_PENDING, XT_F_NMI_MASKED, XT_F_SIPI_VECTOR,
	XT_F_EVENTS_FLAGS, XT_F_SMI_SMM, XT_F_SMI_PENDING,
	XT_F_SMI_INSIDE_NMI, XT_F_SMI_LATCHED_INIT, XT_F_TRIPLE_FAULT,
	XT_F_EXC_HAS_PAYLOAD, XT_F_EXC_PAYLOAD,	/* 100 */

	XT_F_EXIT_REASON = 112, XT_F_RUN_RET, XT_F_RUN_ERRNO, XT_F_RUN_FLAGS,
	XT_F_IF_FLAG, XT_F_READY_FOR_INJECTION,
	XT_F_IO_DIRECTION, XT_F_IO_SIZE, XT_F_IO_PORT, XT_F_IO_COUNT,
	XT_F_IO_DATA,
	XT_F_MMIO_ADDR, XT_F_MMIO_LEN, XT_F_MMIO_IS_WRITE, XT_F_MMIO_DATA,
	XT_F_DEBUG_EXCEPTION, XT_F_DEBUG_DR6, XT_F_DEBUG_DR7, XT_F_DEBUG_PC,
	XT_F_FAIL_HW_REASON, XT_F_FAIL_CPU,
	XT_F_INTERNAL_SUBERROR, XT_F_INTERNAL_DATA,
	XT_F_SYSTEM_EVENT_TYPE, XT_F_SYSTEM_EVENT_DATA,	/* 136 */

	XT_F_DR0 = 144, XT_F_DR1, XT_F_DR2, XT_F_DR3, XT_F_DR6, XT_F_DR7,

	XT_F_LAPIC_ID = 160, XT_F_LAPIC_VERSION, XT_F_LAPIC_TPR,
	XT_F_LAPIC_PPR, XT_F_LAPIC_LDR, XT_F_LAPIC_DFR, XT_F_LAPIC_SVR,
	XT_F_LAPIC_ISR0, XT_F_LAPIC_TMR0 = XT_F_LAPIC_ISR0 + 4,
	XT_F_LAPIC_IRR0 = XT_F_LAPIC_TMR0 + 4,
	XT_F_LAPIC_ESR = XT_F_LAPIC_IRR0 + 4, XT_F_LAPIC_ICR_LO,
	XT_F_LAPIC_ICR_HI, XT_F_LAPIC_LVT_TIMER, XT_F_LAPIC_LVT_LINT0,
	XT_F_LAPIC_LVT_LINT1, XT_F_LAPIC_LVT_ERROR, XT_F_LAPIC_TIMER_INITIAL,
	XT_F_LAPIC_TIMER_CURRENT, XT_F_LAPIC_TIMER_DIVIDE,	/* 188 */

	XT_F_FPU = 200,

	XT_F_TIME_RUN = 208, XT_F_TIME_OUT,

	XT_FIELD_ID_LIMIT = 256
};

enum xt_field_kind {
	XT_KIND_U64,	/* a uint64_t; deltas are wrapping differences */
	XT_KIND_BLOB,	/* a length (uint32_t) and bytes; stored whole */
};

struct xt_field {
	uint16_t id;
	uint8_t block;		/* enum xt_block */
	uint8_t kind;		/* enum xt_field_kind */
	uint16_t offset;	/* of the value (U64) or the bytes (BLOB) */
	uint16_t len_offset;	/* BLOB: of the uint32_t length */
	uint16_t cap;		/* BLOB: capacity in bytes */
	uint32_t exit_reason;	/* only meaningful for this exit; XT_ANY_EXIT if always */
	uint64_t compare_mask;	/* bits compared by replay/diff; 0 = not compared */
	const char *name;
};
#define XT_ANY_EXIT 0xffffffffu

/* A set of field ids, e.g. the fields a step changed. */
struct xt_field_set {
	uint64_t bits[XT_FIELD_ID_LIMIT / 64];
};

static inline void xt_field_set_add(struct xt_field_set *s, unsigned id)
{
	s->bits[id / 64] |= 1ull << (id % 64);
}

static inline bool xt_field_set_has(const struct xt_field_set *s, unsigned id)
{
	return id < XT_FIELD_ID_LIMIT && (s->bits[id / 64] >> (id % 64)) & 1;
}

static inline void xt_field_set_del(struct xt_field_set *s, unsigned id)
{
	s->bits[id / 64] &= ~(1ull << (id % 64));
}

static inline bool xt_field_set_empty(const struct xt_field_set *s)
{
	uint64_t any = 0;
	for (unsigned w = 0; w < XT_FIELD_ID_LIMIT / 64; w++)
		any |= s->bits[w];
	return !any;
}

static inline size_t xt_field_set_count(const struct xt_field_set *s)
{
	size_t n = 0;
	for (unsigned w = 0; w < XT_FIELD_ID_LIMIT / 64; w++)
		n += (size_t)__builtin_popcountll(s->bits[w]);
	return n;
}

/*
 * The statement after it runs with id (an unsigned declared here) set to
 * each member of set in increasing order.  Each 64-id word is copied when
 * the walk reaches it: the body may remove the current id, and a break
 * only ends that word.
 */
#define XT_FIELD_SET_FOREACH(set, id)                                          \
	for (unsigned xt_w_ = 0, id = 0; xt_w_ < XT_FIELD_ID_LIMIT / 64; xt_w_++) \
		for (uint64_t xt_b_ = (set)->bits[xt_w_];                      \
		     xt_b_ && ((id = xt_w_ * 64 + (unsigned)__builtin_ctzll(xt_b_)), 1); \
		     xt_b_ &= xt_b_ - 1)

/* The field table, in id order.  Returns the number of entries. */
size_t xt_fields(const struct xt_field **table);
/* The field with this id, or NULL if the id is unknown. */
const struct xt_field *xt_field_by_id(unsigned id);
/* The field with this name (as in SPEC.md, e.g. "rip", "cs.selector"), or NULL. */
const struct xt_field *xt_field_by_name(const char *name);

/* Read or write a U64 field of a state. */
static inline uint64_t xt_field_get(const struct xt_state *s, const struct xt_field *f)
{
	return *(const uint64_t *)((const char *)s + f->offset);
}

static inline void xt_field_put(struct xt_state *s, const struct xt_field *f, uint64_t v)
{
	*(uint64_t *)((char *)s + f->offset) = v;
}

/* A BLOB field's bytes and length. */
static inline const uint8_t *xt_field_blob(const struct xt_state *s, const struct xt_field *f,
					   uint32_t *len)
{
	*len = *(const uint32_t *)((const char *)s + f->len_offset);
	return (const uint8_t *)s + f->offset;
}

/* Does field f mean something in a state whose exit reason is reason? */
static inline bool xt_field_applies(const struct xt_field *f, uint64_t reason)
{
	return f->exit_reason == XT_ANY_EXIT || f->exit_reason == reason;
}

/*
 * Is v a DR7 as a CPU holds it: bit 10 set (it reads as 1), bits 63:32
 * and 15:14 clear (Intel SDM vol. 3, 18.2.4; AMD APM vol. 2, 13.1.1.5)?
 * KVM leaves debug.arch.dr7 unwritten on many DEBUG exits (a single-step
 * its emulator completes, a #BP), and some hosts leave other bytes there;
 * the recorder stores 0 then, which no DR7 is.
 */
static inline bool xt_dr7_valid(uint64_t v)
{
	return (v & 0x400) && !(v & 0xffffffff0000c000ull);
}

/*
 * Did KVM write field f of s?  False only for debug.dr7 holding what is not
 * a DR7 (0 in traces of this version, any such value in older ones): tools
 * show it as not written, never as a value.
 */
static inline bool xt_field_written(const struct xt_state *s, const struct xt_field *f)
{
	return f->id != XT_F_DEBUG_DR7 || xt_dr7_valid(s->exit.debug_dr7);
}

/* Are fields f of states a and b equal (whole value, ignoring masks)? */
bool xt_field_equal(const struct xt_state *a, const struct xt_state *b, const struct xt_field *f);

/* Fill the set with the fields of blocks in capture (XT_CAPTURE_* bits) that differ; returns how many. */
size_t xt_state_diff(const struct xt_state *a, const struct xt_state *b, uint32_t capture,
		     struct xt_field_set *out);

/* KVM exit reason name ("DEBUG", "IO", ...), or NULL if unknown. */
const char *xt_exit_reason_name(uint64_t reason);
/* The reason with that name (case-insensitive, with or without KVM_EXIT_), or -1. */
int64_t xt_exit_reason_by_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
