/* SPDX-License-Identifier: MIT */
/*
 * exitrace trace format: the records other than steps (header, events,
 * footer) and the error type every call of the library reports through.
 *
 * Strings and arrays in these structs are borrowed: the writer copies what
 * it needs during the call; the reader owns what it hands out (valid until
 * the reader is closed for the header and footer, until the next call of
 * xt_reader_next() for events).
 */
#ifndef XT_RECORDS_H
#define XT_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#include "xt_state.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The newest format version this library reads; it writes it for a trace of several vCPUs. */
#define XT_FORMAT_MAJOR 2
#define XT_FORMAT_MINOR 1
/*
 * A trace of one vCPU is written as 1.1: nothing in it changes meaning for
 * a 1.0 reader, which therefore reads it right.  Several vCPUs change the
 * delta rules, so such a trace is 2.0, which 1.x readers refuse.
 */
#define XT_FORMAT_ONE_VCPU_MAJOR 1
#define XT_FORMAT_ONE_VCPU_MINOR 1
/* The most vCPUs a trace may have: KVM's KVM_MAX_VCPUS on x86. */
#define XT_VCPUS_MAX 1024

/* Record types: the value of key 0 of every record. */
enum xt_record_type {
	XT_REC_HEADER = 1,
	XT_REC_KEYFRAME = 2,
	XT_REC_STEP = 3,
	XT_REC_EVENT = 4,
	XT_REC_FOOTER = 5,
};

struct xt_error {
	int code;		/* a negative errno value; 0 if no error */
	int has_offset;
	uint64_t offset;	/* byte offset in the trace file the error is about */
	char msg[320];		/* names the problem (and the offset, if any) */
};

/*
 * Fill e with code and the message fmt makes (no offset).  A message longer
 * than e->msg loses its middle, not its end: a long path must not push out
 * the reason that follows it ("cannot create /a/very/long/...x.xtr: File
 * name too long").  Returns code.
 */
int xt_error_vset(struct xt_error *e, int code, const char *fmt, va_list ap);

struct xt_kv {
	const char *key, *value;
};

struct xt_cap {
	uint32_t cap;		/* KVM_CAP_* */
	int64_t value;		/* KVM_CHECK_EXTENSION result */
};

struct xt_host {
	const char *kernel_release, *kernel_version, *machine;
	const char *cpu_vendor, *cpu_model_name;
	uint32_t cpu_family, cpu_model, cpu_stepping;
	uint64_t microcode;
	const char *kvm_module;		/* kvm_intel, kvm_amd, kvm_pvm, ... */
	const struct xt_kv *kvm_params;	/* "module.param" = value, sorted by key */
	size_t n_kvm_params;
	int64_t api_version;
	const struct xt_cap *caps;
	size_t n_caps;
};

enum xt_cpu_mode { XT_MODE_REAL = 1, XT_MODE_PROT = 2, XT_MODE_LONG = 3 };
enum xt_irqchip { XT_IRQCHIP_NONE = 0, XT_IRQCHIP_KERNEL = 1, XT_IRQCHIP_SPLIT = 2 };

struct xt_cpuid_entry {
	uint32_t function, index, flags, eax, ebx, ecx, edx;
};

/* Guest-physical memory contents at step 0. */
struct xt_mem_region {
	uint64_t gpa;
	const uint8_t *data;
	size_t size;
};

enum xt_inject_method {
	XT_INJECT_INTERRUPT = 1,	/* KVM_INTERRUPT (no in-kernel irqchip) */
	XT_INJECT_MSI = 2,		/* KVM_SIGNAL_MSI to the local APIC */
	XT_INJECT_NMI = 3,		/* KVM_NMI */
	XT_INJECT_PIT = 4,		/* the in-kernel PIT's IRQ 0, taken by the guest (vector: its vector) */
};

/*
 * The legacy PC platform a VM has (vm config "platform"): what a BIOS
 * leaves behind for a real-mode guest or a multiboot kernel.
 */
#define XT_PLATFORM_PIT 0x1	/* in-kernel i8254 (KVM_CREATE_PIT2), channel 0 at 18.2 Hz */
#define XT_PLATFORM_PIC 0x2	/* the 8259s at vectors 0x08 and 0x70, IRQ 0 and the cascade unmasked */
#define XT_PLATFORM_IVT 0x4	/* a real-mode IVT with default handlers (in the initial memory) */

/* A scheduled injection: at a step, or when the guest writes an I/O port. */
struct xt_injection {
	uint32_t vector;
	uint32_t method;	/* enum xt_inject_method */
	uint64_t step;		/* inject before the KVM_RUN producing this step (0: not by step) */
	int64_t port;		/* or when the guest writes this port (-1: not by port) */
};

struct xt_vm_config {
	uint64_t mem_size;
	uint32_t cpu_mode;	/* enum xt_cpu_mode at entry */
	uint32_t irqchip;	/* enum xt_irqchip */
	uint32_t guest_debug;	/* the KVM_SET_GUEST_DEBUG control word */
	uint64_t debugreg[8];	/* its arch.debugreg[] */
	uint32_t capture;	/* XT_CAPTURE_* */
	uint64_t max_steps;	/* 0: none */
	uint64_t timeout_ms;	/* 0: none */
	uint64_t tsc_khz;	/* 0: unknown */
	const char *loader;	/* flat, elf64, elf32, multiboot, scenario */
	const char *scenario;	/* built-in scenario name, or NULL */
	const char *append;	/* multiboot command line, or NULL */
	uint64_t load_addr, entry;
	const struct xt_cpuid_entry *cpuid;
	size_t n_cpuid;
	const struct xt_mem_region *memory;
	size_t n_memory;
	/*
	 * Reader: a digest of each region's bytes, to compare initial memory
	 * with.  A region of 64 KiB or more is not held (its data is NULL):
	 * xt_reader_load_memory() reads it into guest memory.
	 */
	const uint64_t *memory_digests;
	const struct xt_injection *injections;
	size_t n_injections;
	const char *const *stats_names;	/* names of the vCPU statistics (capture stats) */
	size_t n_stats;
	uint32_t n_vcpus;		/* writer: 0 means 1; reader: at least 1 */
	const uint32_t *apic_ids;	/* by vCPU; writer: NULL means 0, 1, 2, ...; reader: always set */
	uint32_t platform;		/* XT_PLATFORM_*; 0 (or absent): none of it */
	uint64_t time_hz;		/* ticks per second of the time fields (capture time); 0: none */
};

struct xt_image {
	const char *name;
	const uint8_t *data;	/* reader: NULL for 64 KiB or more, see xt_reader_load_image() */
	size_t size;
	uint8_t sha256[32];
};

struct xt_header {
	uint32_t size;		/* 0 or sizeof at the caller's build (xt_state.h says how) */
	uint32_t version_major, version_minor;	/* set by the writer; as read by the reader */
	const char *tool_version;
	const char *const *argv;
	size_t argc;
	int64_t created_sec;
	uint32_t created_nsec;
	struct xt_host host;
	struct xt_vm_config vm;
	struct xt_image image;
	const struct xt_state *initial;		/* the full vCPU state at step 0 */
	const struct xt_kv *extra;		/* free-form metadata */
	size_t n_extra;
	/*
	 * Compare masks by field id (reader: from the trace; writer: NULL
	 * writes the library's defaults).  0 means "not compared".
	 */
	const uint64_t *compare_masks;		/* XT_FIELD_ID_LIMIT entries */
	/* vCPUs 1 to vm.n_vcpus - 1: their full state at step 0, in order (vCPU 0's is initial) */
	const struct xt_state *initial_vcpus;
};
#define XT_HEADER_SIZE_0 528u	/* sizeof(struct xt_header), layout 0 (x86-64) */

/* The value of the header's free-form key (vm key 11), or NULL when it has none. */
const char *xt_header_extra(const struct xt_header *h, const char *key);

enum xt_event_kind {
	XT_EV_IRQ_INJECT = 1,
	XT_EV_IRQ_TAKEN = 2,
	XT_EV_CONSOLE = 3,
	XT_EV_INPUT = 4,
	XT_EV_KTRACE = 5,
	XT_EV_NOTE = 6,
	XT_EV_STATS = 7,
	XT_EV_IPI = 8,
	XT_EV_MP_STATE = 9,
	XT_EV_KIND_LIMIT
};

enum xt_taken_type {
	XT_TAKEN_UNKNOWN = 0,	/* ambiguous, and the candidates are not all of one type */
	XT_TAKEN_EXTERNAL = 1,	/* a maskable interrupt */
	XT_TAKEN_NMI = 2,
	XT_TAKEN_EXCEPTION = 3,
	XT_TAKEN_SOFTWARE = 4,	/* INT n, INT3, INTO */
};

enum xt_taken_outcome {
	XT_TAKEN_HANDLER = 1,	/* delivered through the IDT to a handler */
	XT_TAKEN_SHUTDOWN = 2,	/* delivery failed and the vCPU shut down */
	XT_TAKEN_FAILED = 3,	/* delivery ended in another failing exit */
};

/* What showed the arrival; a bit set. */
#define XT_EVIDENCE_STACK_FRAME 0x01	/* the interrupt frame on the guest stack */
#define XT_EVIDENCE_IDT 0x02		/* RIP at the IDT gate's handler */
#define XT_EVIDENCE_LAPIC_ISR 0x04	/* the vector's in-service bit */
#define XT_EVIDENCE_EVENTS 0x08		/* the vCPU events said it was injected */
#define XT_EVIDENCE_INJECTION 0x10	/* an injection of ours was outstanding */
#define XT_EVIDENCE_INSTRUCTION 0x20	/* the instruction raises it (INT n, UD2, ...) */
#define XT_EVIDENCE_LAPIC_IRR 0x40	/* our injection's request bit is clear: accepted */
#define XT_EVIDENCE_FRAME_SIZE 0x80	/* the frame's size: whether an error code was pushed */
#define XT_EVIDENCE_PIC_ISR 0x100	/* an in-kernel 8259's in-service bit for the vector's IRQ */

enum xt_input_what {
	XT_INPUT_RDTSC = 1,
	XT_INPUT_RDTSCP = 2,
	XT_INPUT_RDRAND = 3,
	XT_INPUT_RDSEED = 4,
	XT_INPUT_RDPID = 5,
	XT_INPUT_IN = 6,	/* IN from a port KVM answers itself (PIT, PIC): no exit showed it */
	XT_INPUT_ANSWER = 7,	/* attach: the VMM's answer to its vCPU's IN or MMIO read exit (data) */
};

/* One value a non-deterministic instruction produced: field = value after the step. */
struct xt_input_value {
	uint16_t field;
	uint64_t value;
};
#define XT_INPUT_MAX_VALUES 4

/* A kernel tracepoint field: a number or a string. */
struct xt_ktrace_field {
	const char *name;
	const char *str;	/* NULL for a number */
	int64_t num;
};

/* The payloads of the event kinds (C++ allows no type defined in an anonymous union). */
struct xt_ev_inject {
	uint32_t method, vector;
	int32_t result;	/* MSI, NMI: > 0 delivered, 0 refused; KVM_INTERRUPT: 0; < 0 -errno */
	int64_t port;	/* the I/O write that triggered it, or -1 */
};

struct xt_ev_taken {
	uint32_t vector, type, outcome, evidence;
	uint64_t rip_before, rip_after, handler;
	uint32_t has_error_code;
	uint64_t error_code;
	/*
	 * Ambiguous: the vectors it may have been, a 256-bit set of
	 * two or more (vector is then the lowest of them, for older
	 * readers).  All zero: vector is decided.
	 */
	uint64_t candidates[4];
};

struct xt_ev_console {
	const uint8_t *data;
	size_t len;
};

struct xt_ev_input {
	uint32_t what;	/* enum xt_input_what */
	uint32_t n;
	struct xt_input_value v[XT_INPUT_MAX_VALUES];
	const uint8_t *data;	/* XT_INPUT_ANSWER: the bytes; NULL: none */
	size_t data_len;
};

struct xt_ev_ktrace {
	const char *name;	/* "kvm:kvm_apic_accept_irq" */
	uint64_t ts_ns;		/* trace clock (CLOCK_MONOTONIC) */
	uint32_t cpu;
	const struct xt_ktrace_field *fields;
	size_t n_fields;
};

struct xt_ev_note {
	const char *text;
};

struct xt_ev_stats {
	size_t n;
	const uint32_t *index;	/* into the header's stats_names */
	const int64_t *delta;
};

struct xt_ev_ipi {
	/*
	 * The interrupt command as written (vcpu is the sender): xAPIC,
	 * ICR high << 32 | ICR low; x2APIC, the MSR's value (destination
	 * in bits 63:32 either way, wider in x2APIC).
	 */
	uint64_t icr;
	uint32_t x2apic;	/* 1: written as MSR 0x830; 0: to the xAPIC page */
};

struct xt_ev_mp {
	/* the vCPU's KVM_MP_STATE_* before and after (e.g. INIT received -> runnable) */
	uint32_t from, to;
	uint32_t by_sipi;	/* 1: a start by SIPI, whose vector follows */
	uint32_t sipi_vector;	/* CS = vector << 8, IP 0 */
};

/*
 * struct xt_event's payload is an anonymous union: C11 and C++ have them;
 * GCC and Clang take one in C99 too (-std=c99 -pedantic) when marked as
 * deliberate.
 */
#if defined(__GNUC__) && !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L)
#define XT_ANON_UNION __extension__ union
#else
#define XT_ANON_UNION union
#endif

struct xt_event {
	uint32_t size;		/* 0 or sizeof at the caller's build (xt_state.h says how) */
	uint32_t kind;		/* enum xt_event_kind */
	uint64_t step;
	uint32_t vcpu;		/* the vCPU it is about */
	XT_ANON_UNION {
		struct xt_ev_inject inject;
		struct xt_ev_taken taken;
		struct xt_ev_console console;
		struct xt_ev_input input;
		struct xt_ev_ktrace ktrace;
		struct xt_ev_note note;
		struct xt_ev_stats stats;
		struct xt_ev_ipi ipi;
		struct xt_ev_mp mp;
	};
};
#define XT_EVENT_SIZE_0 112u	/* sizeof(struct xt_event), layout 0 (x86-64) */

/* The parts of an interrupt command (Intel SDM vol. 3, "Interrupt Command Register"). */
static inline unsigned xt_icr_vector(uint64_t icr) { return (unsigned)(icr & 0xff); }
/* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 6 start-up */
static inline unsigned xt_icr_mode(uint64_t icr) { return (unsigned)(icr >> 8) & 7; }
static inline bool xt_icr_logical(uint64_t icr) { return (icr >> 11) & 1; }
/* 0 none (destination field), 1 self, 2 all including self, 3 all excluding self */
static inline unsigned xt_icr_shorthand(uint64_t icr) { return (unsigned)(icr >> 18) & 3; }
static inline uint32_t xt_icr_dest(uint64_t icr, bool x2apic)
{
	return x2apic ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56);
}

enum xt_end_reason {
	XT_END_UNKNOWN = 0,
	XT_END_HLT = 1,			/* HLT with nothing pending */
	XT_END_DEBUG_EXIT = 2,		/* isa-debug-exit: code = (value << 1) | 1 */
	XT_END_SHUTDOWN = 3,		/* triple fault */
	XT_END_FAIL_ENTRY = 4,		/* code = hardware entry failure reason */
	XT_END_INTERNAL_ERROR = 5,	/* code = suberror */
	XT_END_RUN_ERROR = 6,		/* KVM_RUN failed; code = errno */
	XT_END_MAX_STEPS = 7,
	XT_END_TIMEOUT = 8,
	XT_END_SIGNAL = 9,		/* code = signal number */
	XT_END_SYSTEM_EVENT = 10,	/* code = type */
	XT_END_UNHANDLED_EXIT = 11,	/* code = exit reason */
	XT_END_IO_ERROR = 12,		/* the recorder could not go on (code = errno) */
	XT_END_REASON_LIMIT
};

struct xt_frame_index {
	uint64_t offset;	/* of the frame in the file */
	uint64_t first_step;	/* the keyframe's step; the frame's step records follow it */
	uint64_t nsteps;	/* step records in the frame */
};

struct xt_hist_entry {
	uint64_t reason;
	uint64_t count;
};

/* One vCPU's part of a trace of several. */
struct xt_vcpu_summary {
	uint64_t steps;				/* its step records */
	const struct xt_hist_entry *hist;	/* its steps by exit reason, ascending */
	size_t n_hist;
	const struct xt_state *final;		/* its state after its last step */
};

struct xt_footer {
	uint32_t size;		/* 0 or sizeof at the caller's build (xt_state.h says how) */
	uint64_t steps;
	uint32_t end_reason;	/* enum xt_end_reason */
	int64_t end_code;
	const char *end_detail;
	uint64_t duration_ns;
	const struct xt_hist_entry *hist;	/* by exit reason, ascending */
	size_t n_hist;
	uint64_t event_counts[XT_EV_KIND_LIMIT];	/* by enum xt_event_kind */
	const struct xt_state *final;		/* the state after the last step (of vCPU 0) */
	const struct xt_frame_index *index;
	size_t n_index;
	/*
	 * By vCPU, when the trace has several (the writer fills it in); NULL
	 * and 0 for a trace of one, whose figures are those above.
	 */
	const struct xt_vcpu_summary *vcpus;
	size_t n_vcpus;
};
#define XT_FOOTER_SIZE_0 184u	/* sizeof(struct xt_footer), layout 0 (x86-64) */

/* Is this irq-taken event ambiguous (candidates set)? */
static inline bool xt_taken_ambiguous(const struct xt_event *ev)
{
	return ev->kind == XT_EV_IRQ_TAKEN &&
	       (ev->taken.candidates[0] | ev->taken.candidates[1] | ev->taken.candidates[2] |
		ev->taken.candidates[3]) != 0;
}

/* Is vector v one of an ambiguous arrival's candidates? */
static inline bool xt_taken_candidate(const struct xt_event *ev, unsigned v)
{
	return v < 256 && (ev->taken.candidates[v / 64] >> (v % 64) & 1);
}

/*
 * The candidates as text, runs of three or more as ranges: "0x30|0x31",
 * "0x0-0xff", "0x2|0x8-0xe".  Returns the length it needed (like
 * snprintf); a short buffer gets the parts that fit whole.
 */
size_t xt_taken_candidates_str(char *buf, size_t size, const struct xt_event *ev);

/* "hlt", "debug-exit", ... */
const char *xt_end_reason_name(uint32_t reason);
const char *xt_event_kind_name(uint32_t kind);
const char *xt_taken_type_name(uint32_t type);
const char *xt_taken_outcome_name(uint32_t outcome);
const char *xt_inject_method_name(uint32_t method);
const char *xt_input_what_name(uint32_t what);
/* A vCPU run state (KVM_MP_STATE_*), an ICR delivery mode and destination shorthand; NULL if unknown. */
const char *xt_mp_state_name(uint32_t mp_state);
const char *xt_icr_mode_name(uint32_t mode);
const char *xt_icr_shorthand_name(uint32_t shorthand);
const char *xt_cpu_mode_name(uint32_t mode);
const char *xt_irqchip_name(uint32_t irqchip);

/* The header's guest-debug word as KVM_GUESTDBG_* names joined by '|' ("0" if none). */
size_t xt_guest_debug_str(char *buf, size_t size, uint32_t flags);
/* A capture set (XT_CAPTURE_*) as names joined by ',' ("regs,sregs,events,exit,lapic"). */
size_t xt_capture_str(char *buf, size_t size, uint32_t capture);
/* A platform word (XT_PLATFORM_*) as names joined by ',' ("pit,pic,ivt"; "none" if 0). */
size_t xt_platform_str(char *buf, size_t size, uint32_t platform);
/*
 * Does this KVM module parameter ("kvm_intel.enable_apicv") decide how
 * interrupts reach a guest: APICv (Intel), AVIC (AMD), IPI virtualization?
 */
bool xt_kvm_param_is_apicv(const char *key);

/* Fill masks (by field id) with the library's default compare masks. */
void xt_default_compare_masks(uint64_t masks[XT_FIELD_ID_LIMIT]);

/* The library's version string ("0.1.0"). */
const char *xt_version(void);

#ifdef __cplusplus
}
#endif
#endif
