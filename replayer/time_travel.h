/* SPDX-License-Identifier: MIT */
/*
 * Moving about in a replay: to any step, forward or back, to the next or
 * the previous breakpoint or watchpoint hit.  Breakpoints and watchpoints
 * are exitrace's own: the replay compares the pc after each step with the
 * breakpoints and the watched bytes with their last value; the guest's
 * debug registers and memory are never touched, so the replay stays the
 * recording's.  The gdb server asks its questions through this.
 */
#ifndef XT_TIME_TRAVEL_H
#define XT_TIME_TRAVEL_H

#include <stdbool.h>
#include <stdint.h>

#include "replay.h"

#define TT_BREAKS_MAX 64
#define TT_WATCH_MAX 16
#define TT_WATCH_LEN_MAX 8

enum tt_stop {
	TT_STOP_STEP = 1,	/* the move ended where asked */
	TT_STOP_BREAK,		/* at a breakpoint */
	TT_STOP_WATCH,		/* at a watched write: after it going forward, before it going back */
	TT_STOP_BEGIN,		/* step 0: no history before */
	TT_STOP_END,		/* the trace's last step: no history after */
	TT_STOP_DIVERGED,	/* replay differed from the recording (tt_diverged() says how) */
	TT_STOP_INTERRUPTED,	/* the interrupt callback said so */
};

struct tt_watch {
	uint64_t addr;
	uint32_t len;
	uint8_t last[TT_WATCH_LEN_MAX];
};

struct time_travel;

struct tt_options {
	const struct replay_options *replay;
	uint64_t checkpoint_every;
	uint64_t checkpoint_mem;
	bool (*interrupted)(void *ctx);	/* polled while running */
	void *ctx;
};

/* Open the trace at step 0.  0, or -errno with err set. */
int tt_open(struct time_travel **out, const struct tt_options *o, struct replay_result *res, struct xt_error *err);
void tt_close(struct time_travel *t);

/*
 * Where the cursor is: its step, and the vCPU that ran it (0 at step 0).
 * After a divergence, the step that diverged, with its replayed state; it
 * goes no further.
 */
uint64_t tt_step(const struct time_travel *t);
uint32_t tt_vcpu(const struct time_travel *t);
uint32_t tt_vcpus(const struct time_travel *t);
/* The trace's steps (as its footer, or a count of a truncated trace's frames, says). */
uint64_t tt_last(const struct time_travel *t);

/* The state of a vCPU at the cursor's step, and its live FPU (zeroes if KVM will not say). */
const struct xt_state *tt_state(const struct time_travel *t, uint32_t vcpu);
void tt_fpu(struct time_travel *t, uint32_t vcpu, struct kvm_fpu *fpu);
/* Guest memory at a linear address through vcpu's page tables / physical: bytes read. */
size_t tt_read_virt(const struct time_travel *t, uint32_t vcpu, uint64_t addr, void *dst, size_t n);
size_t tt_read_phys(const struct time_travel *t, uint64_t addr, void *dst, size_t n);

/* Breakpoints at pcs (as gdb_pc() gives them) and watchpoints (writes) of up to 8 bytes. */
int tt_break_add(struct time_travel *t, uint64_t pc);
int tt_break_remove(struct time_travel *t, uint64_t pc);
int tt_watch_add(struct time_travel *t, uint64_t addr, uint32_t len);
int tt_watch_remove(struct time_travel *t, uint64_t addr, uint32_t len);
/* The pc breakpoints are compared with: gdb's view of the pc (set by the server). */
void tt_set_pc_view(struct time_travel *t, uint64_t (*pc)(const struct xt_state *s));

/* Moves: an enum tt_stop, or -errno with err set. */
int tt_goto(struct time_travel *t, uint64_t step, struct xt_error *err);
int tt_forward(struct time_travel *t, bool single, struct xt_error *err);
int tt_backward(struct time_travel *t, bool single, struct xt_error *err);

/* The watchpoint that stopped the last move (TT_STOP_WATCH). */
uint64_t tt_watch_hit(const struct time_travel *t);

/* The guest image the trace holds (an ELF or a flat image), or NULL. */
const uint8_t *tt_image(const struct time_travel *t, size_t *size);

/* Where replay first differed, as a sentence, or NULL if it has not. */
const char *tt_diverged(const struct time_travel *t);

/* Checkpoints: how many, every how many steps, their bytes, the bound. */
void tt_checkpoints(const struct time_travel *t, size_t *n, uint64_t *every, uint64_t *bytes, uint64_t *limit);

#endif
