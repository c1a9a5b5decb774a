/* SPDX-License-Identifier: MIT */
/*
 * Replay: rebuild the VM of a trace from the trace alone, step it the way
 * the recorder did, feed back every input the recording got (injections,
 * I/O and MMIO read data, the results of RDTSC, RDRAND, ...), and compare
 * each exit with the recorded one under the trace's compare masks.  It
 * stops at the first step that differs.
 */
#ifndef XT_REPLAY_H
#define XT_REPLAY_H

#include "host_diff.h"
#include "rec_util.h"
#include "step_events.h"

#define REPLAY_CONTEXT_MAX 8

struct replay_options {
	const char *path;		/* the trace */
	const char *output;		/* write the replay as a new trace here, or NULL */
	unsigned context;		/* recorded steps kept around a divergence, each side */
	/* called about every 100 ms while replaying, if set */
	void (*progress)(void *ctx, uint64_t step, uint64_t total, double seconds);
	void *progress_ctx;
};

enum replay_outcome {
	REPLAY_IDENTICAL = 1,	/* every recorded step came out the same */
	REPLAY_DIVERGED,	/* stopped at the first step that did not */
	REPLAY_STOPPED,		/* SIGINT or SIGTERM stopped it */
};

/* A recorded step next to a divergence. */
struct replay_step {
	uint64_t step;
	uint32_t vcpu;
	struct xt_state state;
};

struct replay_divergence {
	uint64_t step;			/* 0: the initial state did not come out the same here */
	uint32_t vcpu;			/* the vCPU whose step it is */
	uint64_t vcpu_step;		/* and which of its own steps (from 1) */
	struct xt_state recorded, replayed;
	struct xt_field_set fields;	/* the compared fields that differ */
	size_t n_fields;
	char note[256];			/* a difference that is no field: an injection's result */
	/* recorded steps before it (replay matched them) and after it (what the recording did next) */
	struct replay_step before[REPLAY_CONTEXT_MAX], after[REPLAY_CONTEXT_MAX];
	size_t n_before, n_after;
	/* the recording's irq-inject, irq-taken and input events of those steps and of step */
	struct xt_event events[4 * (2 * REPLAY_CONTEXT_MAX + 1)];
	size_t n_events;
	/* what the replayed step did besides its state (irq-taken, input; no console) */
	struct xt_event replayed_events[STEP_EVENTS_MAX];
	size_t n_replayed_events;
};

struct replay_result {
	enum replay_outcome outcome;
	uint64_t steps;			/* steps replayed that came out the same */
	uint64_t recorded_steps;	/* steps in the trace (those recovered, when truncated) */
	bool truncated;			/* the recording's end was lost: replayed what was recovered */
	uint32_t end_reason;		/* how the recording ended (enum xt_end_reason) */
	int64_t end_code;
	char end_detail[256];
	double record_seconds;		/* how long recording took (0: unknown) */
	double seconds;			/* how long replaying took */
	uint64_t intr_steps;		/* recorded KVM_EXIT_INTR steps, replayed as immediate exits */
	uint64_t inputs_fed;		/* input events whose values were fed back */
	uint32_t vcpus;			/* the trace's vCPUs */
	uint64_t mp_changes;		/* vCPUs started by SIPI, as the recording's mp-state events said */
	uint64_t injections;		/* injections made */
	/* steps whose only difference was RFLAGS bits their instruction leaves undefined */
	uint64_t undefined_flags_fed;
	uint64_t first_undefined_step;	/* the first of them */
	char recorded_kernel[72], recorded_module[32];
	struct host_diff hosts;		/* the recording host against this one */
	uint32_t capture;
	uint64_t masks[XT_FIELD_ID_LIMIT];	/* the trace's compare masks */
	int signal;			/* REPLAY_STOPPED: which */
	struct replay_divergence *div;	/* REPLAY_DIVERGED */
	uint64_t output_bytes;		/* the new trace's size, with output */
	/* as record_result's: the time outside KVM_RUN, sampled */
	struct rec_own_time own;
	struct xt_error err;		/* why replay_run() failed */
};

/*
 * Replay o->path.  Returns 0 when the replay ran, whatever its outcome, or
 * a negative errno when it could not (the trace unreadable or damaged, no
 * KVM, the new trace not writable): res->err says why, and res->steps how
 * far it got.  Free res with replay_result_free().
 */
int replay_run(const struct replay_options *o, struct replay_result *res);
void replay_result_free(struct replay_result *res);

#endif
