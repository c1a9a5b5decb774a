/* SPDX-License-Identifier: MIT */
/*
 * The recorder: build a VM for a guest, step it with KVM_GUESTDBG_SINGLESTEP
 * and write every exit, with the vCPU state and IRQ arrivals, to a trace.
 */
#ifndef XT_RECORDER_H
#define XT_RECORDER_H

#include <stdio.h>

#include "inject.h"
#include "legacy_pc.h"
#include "loader.h"
#include "rec_util.h"

struct hw_breakpoint {
	uint64_t addr;
	const char *symbol;	/* resolved against the guest's ELF symbols if set */
	uint32_t rw;		/* DR7 R/W: 0 execute, 1 write, 3 read/write */
	uint32_t len;		/* 1, 2, 4 or 8 bytes (execute: 1) */
};

struct record_options {
	const char *output;
	const char *image_name;
	const uint8_t *image;
	size_t image_size;
	const char *scenario;		/* the built-in scenario the image is, or NULL */
	struct load_options load;
	uint64_t mem_size;
	uint32_t irqchip;		/* enum xt_irqchip */
	uint32_t vcpus;			/* 0 or 1: one; more: lock-step (needs an in-kernel irqchip) */
	bool no_step, block_irq, sw_bp, idt;
	enum legacy_pc_want legacy_pc;	/* the PIT, PICs and IVT a BIOS leaves (legacy_pc.h) */
	struct hw_breakpoint hw_bp[4];
	size_t n_hw_bp;
	struct xt_injection irqs[INJECT_MAX];
	size_t n_irqs;
	uint64_t max_steps;		/* 0: none */
	uint64_t timeout_ms;		/* 0: none */
	uint32_t capture;		/* XT_CAPTURE_* */
	bool ktrace;
	FILE *console;			/* the guest's serial output, or NULL */
	const char *const *argv;	/* the command line, for the header */
	size_t argc;
	struct xt_writer_options writer;
	bool writer_on_step_thread;	/* no writer thread: diff, encode and compress between steps */
	/* something the user should know that is no error (one line, no newline), if set */
	void (*notice)(const char *msg);
	/* called about every 100 ms while recording, if set */
	void (*progress)(void *ctx, uint64_t steps, uint64_t bytes, double seconds);
	void *progress_ctx;
};

struct record_result {
	uint64_t steps;
	uint64_t bytes;
	double seconds;
	uint32_t end_reason;		/* enum xt_end_reason */
	int64_t end_code;
	char detail[256];
	bool trace_complete;		/* the footer was written */
	/* the stepping thread's time outside KVM_RUN, sampled (rec_util.h): what exitrace adds to a step */
	struct rec_own_time own;
	struct xt_error err;		/* why record_run() failed */
};

/*
 * Record.  Returns 0 when a trace was written and closed (whatever way the
 * guest ended), or a negative errno when the recording could not start or
 * the trace could not be written (res->err says why; what was written
 * before stays a readable, truncated trace).
 */
int record_run(const struct record_options *o, struct record_result *res);

#endif
