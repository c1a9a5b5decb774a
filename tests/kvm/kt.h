/* SPDX-License-Identifier: MIT */
/*
 * The harness of the kvm suite: run the real `exitrace` binary on real
 * guests under /dev/kvm, then load the trace through libexitrace and let
 * the test assert on what it holds.  A test skips (exit 77) where /dev/kvm
 * is missing; it never passes without running.
 *
 * Usage from meson: test(name, exe, args : [exitrace_exe, guest files...]).
 */
#ifndef XT_KT_H
#define XT_KT_H

#include "exitrace.h"
#include "test_util.h"

/* One step of a loaded trace: the state after the exit, flattened for asserts. */
struct kt_step {
	uint64_t step;
	uint32_t vcpu;			/* the vCPU that made it */
	uint64_t vcpu_step;		/* its own step number (from 1) */
	struct xt_regs regs;
	uint64_t exit_reason;
	uint64_t cs_selector, cs_base, ss_selector, cr0, cr2, efer, idt_limit;
	uint64_t shadow;		/* events.interrupt.shadow */
	uint64_t dr6, dr7, pc, debug_exception;	/* dr7: 0 where KVM did not write it */
	uint64_t io_port, io_dir, io_size, io_count, io_value;	/* io_value: first 8 bytes, LE */
	uint64_t mmio_addr, mmio_write, mmio_len, mmio_value;
	uint64_t internal_suberror;
	uint64_t internal_data[2];	/* the first two words */
	uint64_t guest_dr6, guest_dr7;	/* KVM_GET_DEBUGREGS (capture debugregs) */
	uint64_t run_errno;
	uint64_t lapic_svr;		/* capture lapic */
	uint64_t lapic_isr[4], lapic_irr[4];	/* capture lapic: 256-bit sets */
	uint64_t fpu_len;		/* capture fpu: XT_FPU_SIZE when captured */
};

struct kt_trace {
	char path[512];
	struct kt_step *steps;		/* steps[0] is the initial state (step 0) */
	size_t nsteps;			/* steps recorded (steps[1..nsteps]) */
	struct xt_event *events;	/* strings and bytes copied (owned) */
	size_t nevents;
	char *console;			/* all console output, NUL-terminated */
	size_t console_len;
	bool truncated;
	uint32_t end_reason;
	int64_t end_code;
	char end_detail[256];
	uint32_t guest_debug, irqchip, cpu_mode, capture;
	uint32_t n_vcpus;
	uint64_t entry;
	uint64_t max_steps, timeout_ms;	/* the recording's bounds (0: none) */
	char scenario[64];
	struct xt_state initial;
	uint64_t debugreg[8];		/* KVM_SET_GUEST_DEBUG's arch.debugreg */
	struct xt_cpuid_entry *cpuid;	/* the CPUID the guest was given */
	size_t n_cpuid;
	uint8_t *image;			/* the guest image, as the trace holds it (none if 64 KiB or more) */
	size_t image_size;
};

/* Parse argv (argv[1] = path of exitrace), skip with 77 without /dev/kvm, make a temp dir. */
void kt_init(int argc, char **argv);
/* The exitrace binary under test. */
const char *kt_exitrace_path(void);
/* argv[i] of the test (guest files passed by meson). */
const char *kt_arg(int i);
/* A path in the test's temp dir. */
const char *kt_tmp(const char *name);
/* The same in a buffer of its own that stays (32 of them per test). */
const char *kt_tmp_kept(const char *name);

/*
 * Run "exitrace ARGS" (ARGS formatted like printf, split on spaces; use
 * kt_tmp() for files).  Returns the exit status; stdout and stderr are kept
 * for kt_out() / kt_err().
 */
int kt_exitrace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, failing the test if it has not finished within seconds (a hang). */
int kt_exitrace_within(unsigned seconds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *kt_out(void);
const char *kt_err(void);

/* Load a whole trace (small traces only); fails the test on a read error. */
struct kt_trace *kt_load(const char *path);
void kt_free(struct kt_trace *t);

/* The first step at or after from whose RIP is rip, or 0. */
uint64_t kt_step_at_rip(const struct kt_trace *t, uint64_t rip, uint64_t from);
/* The first step at or after from with this exit reason, or 0. */
uint64_t kt_step_with_exit(const struct kt_trace *t, uint64_t reason, uint64_t from);
/* The first I/O write to port at or after from, or 0. */
uint64_t kt_step_io_out(const struct kt_trace *t, uint16_t port, uint64_t from);
/* Count and find events of a kind (and vector, for IRQ events; -1: any). */
size_t kt_count_events(const struct kt_trace *t, uint32_t kind, int vector);
const struct xt_event *kt_event(const struct kt_trace *t, uint32_t kind, int vector, size_t nth);

/* The value of the guest's first OUT to port; fails the test if there is none. */
uint64_t kt_io_out_value(const struct kt_trace *t, uint16_t port);
/* The first step at or after from that wrote value to port (OUT), or 0. */
uint64_t kt_step_io_out_value(const struct kt_trace *t, uint16_t port, uint64_t value, uint64_t from);

/*
 * The first value a built-in guest reported (OUT to port 0x84, RT_PORT_VALUE
 * in guests/rt/rt.h) at or after step from, its step in *at unless at is
 * NULL.  Fails the test if there is none: a missing report must not read
 * as step 0's zero.
 */
uint64_t kt_value(const struct kt_trace *t, uint64_t from, uint64_t *at);

/* A symbol of the ELF guest image the trace holds; fails the test if it has none. */
uint64_t kt_symbol(const struct kt_trace *t, const char *name);
/* Where the built-in guests' IDT sends vector (its stub in guests/rt/vectors.S). */
uint64_t kt_stub(const struct kt_trace *t, unsigned vector);
/* The CPUID entry the guest was given for function/index; fails the test if none. */
const struct xt_cpuid_entry *kt_cpuid(const struct kt_trace *t, uint32_t function, uint32_t index);

/*
 * kt_record's want_status for a guest whose isa-debug-exit status is not
 * known beforehand (rand_loop's comes from RDTSC and RDRAND): any odd
 * status but 1, which rand_loop.S rules out so that 1 can still tell an
 * error apart.
 */
#define KT_STATUS_VARIES (-1)

/*
 * Run "exitrace record ARGS" (ARGS formatted like printf, split on spaces)
 * with the trace written to the temp dir as file and the console beside it
 * as file.console; fail the test unless the exit status is want_status.
 * Returns the trace's path, a kt_tmp() buffer.
 */
const char *kt_record(const char *file, int want_status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * kt_record() of the built-in scenario name with "--scenario NAME" plus
 * extra options, and load the trace (which must be complete).
 */
struct kt_trace *kt_record_scenario(const char *name, const char *file, const char *extra, int want_status);

/* Print the steps [from, to] to stderr, for a failing test's context. */
void kt_dump(const struct kt_trace *t, uint64_t from, uint64_t to);

#endif
