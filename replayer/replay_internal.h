/* SPDX-License-Identifier: MIT */
/*
 * The replay cursor: the replay of replay.c one step at a time, for the
 * callers that move about in a trace (the gdb server, checkpoints).
 * replay_run() is replay_open(), replay_next() until it stops, and
 * replay_close().  Between two calls the cursor is "at step done": every
 * record of steps up to done has been taken (the step's input events fed,
 * its state compared), the irq-inject events of step done + 1 are queued,
 * and the reader's next records are step done + 1's.
 */
#ifndef XT_REPLAY_INTERNAL_H
#define XT_REPLAY_INTERNAL_H

#include <signal.h>
#include <time.h>

#include "compare.h"
#include "devices.h"
#include "guest_mem.h"
#include "host_probe.h"
#include "inject.h"
#include "insn.h"
#include "replay.h"
#include "vcpu_step.h"

/* What replay keeps of each vCPU. */
struct replay_vcpu {
	struct vcpu_stepper st;
	uint32_t index;
	struct xt_state rec;		/* recorded: the state after its step being replayed */
	struct xt_state cur, prev;	/* replayed: after its last step, and before it */
	struct insn insn;		/* the instruction the pending step ran (with output only) */
	bool have_insn;
	struct gmem_tlb code_tlb;	/* kept as the recorder keeps its own: insn decides the events */
	uint64_t steps;			/* its own steps so far, the pending one included */
};

struct replay {
	const struct replay_options *o;
	struct replay_result *res;
	struct xt_reader *rd;
	const struct xt_header *h;
	struct kvm_vm vm;
	struct replay_vcpu *vcpus;	/* by vCPU index */
	uint32_t n_vcpus;
	struct replay_vcpu *vc;		/* the one selected in vm: the pending step's, or the next's */
	struct replay_vcpu *pend;	/* the vCPU of the step that ran and waits for its events */
	struct injector inj;
	struct devices dev;
	struct state_compare cmp;
	struct host_info host;
	struct xt_writer *w;

	uint64_t done;			/* steps replayed and compared */
	bool pending;			/* step done + 1 ran and waits for its events */
	bool ended;			/* the trace has no step after done */
	bool recorded_s3;		/* the recording resumed from S3 after the pending step */
	struct xt_event injections[INJECT_MAX];	/* recorded irq-inject events not made yet */
	size_t n_injections;
	char note[256];			/* an injection of the pending step that came out otherwise */
	bool attached;			/* recorded by attaching to a VMM: its answers are input events */
	struct timespec t0;
	int64_t next_progress_ns;
	struct sigaction old_int, old_term, old_alrm;
};

enum replay_next_result {
	REPLAY_NEXT_STEPPED = 0,	/* one more step, identical to the recording */
	REPLAY_NEXT_DIVERGED,		/* the step differed: res->div says how */
	REPLAY_NEXT_SIGNALLED,		/* SIGINT or SIGTERM (replay_run's handlers) */
	REPLAY_NEXT_END,		/* the trace has no more steps */
};

/* Set up the VM at step 0 and check its start.  0, 1 when the start already differs (res->div), or -errno. */
int replay_open(struct replay **out, const struct replay_options *o, struct replay_result *res);
/* Replay step done + 1: an enum replay_next_result, or -errno with res->err set. */
int replay_next(struct replay *r);
void replay_close(struct replay *r);

/*
 * A run recorded as interrupted, where a vCPU moved inside it, is ended by
 * a timer as the recorder's was: its SIGALRM must interrupt KVM_RUN and do
 * nothing else.  replay_run() installs the handler for its run; other
 * callers of the cursor call this once.
 */
void replay_catch_alarm(void);

/*
 * After the VM and the cursor's own state were put back as they were at
 * step: position the reader there (the queued injections are read again).
 * 0 or -errno with res->err set.
 */
int replay_reposition(struct replay *r, uint64_t step);

#endif
