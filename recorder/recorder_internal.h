/* SPDX-License-Identifier: MIT */
/*
 * The recorder's own state and the helpers its step loops share: the
 * single-vCPU and lock-step loop (recorder.c, lockstep.c).  Not for
 * callers of recorder.h.
 */
#ifndef XT_RECORDER_INTERNAL_H
#define XT_RECORDER_INTERNAL_H

#include <signal.h>
#include <time.h>

#include "devices.h"
#include "guest_mem.h"
#include "host_clock.h"
#include "host_probe.h"
#include "insn.h"
#include "ktrace.h"
#include "recorder.h"
#include "vcpu_stats.h"
#include "vcpu_step.h"
#include "writer_thread.h"

/* Set from signal handlers; one recording runs at a time. */
extern volatile sig_atomic_t rec_stop_signal, rec_tick;

/* What the step loop keeps of each vCPU. */
struct rec_vcpu {
	struct vcpu_stepper st;
	struct xt_state cur, prev;
	struct gmem_tlb code_tlb;	/* where the next instruction is, between steps */
	uint32_t index;
	uint32_t mp_state;		/* KVM_MP_STATE_* as last seen */
	bool halted;			/* completed a HLT and nothing has woken it yet */
	bool reset;			/* KVM set its state (SIPI): the next step sends every block */
};

struct recorder {
	const struct record_options *o;
	struct record_result *res;
	struct kvm_vm vm;
	struct guest_image img;
	struct host_info host;
	struct xt_cpuid_entry *cpuid;
	size_t n_cpuid;
	struct xt_mem_region *regions;
	size_t n_regions;
	struct xt_writer *w;
	struct writer_thread *wt;	/* NULL: steps are written on this thread */
	struct devices dev;
	struct injector inj;
	struct vcpu_stats stats;
	struct ktrace *kt;
	uint32_t capture;
	uint32_t platform;		/* XT_PLATFORM_* */

	struct rec_vcpu *vcpus;		/* by vCPU index */
	struct xt_state *ap_initial;	/* the header's initial states of vCPUs 1.. */
	uint32_t n_vcpus;
	struct rec_vcpu *vc;		/* the vCPU stepping now (the VM's selected one) */
	uint64_t steps;			/* of all vCPUs: the global order's */
	uint64_t injected_before;	/* the step the last injection events precede */
	uint32_t next_vcpu;		/* lock-step: where the round-robin looks first */
	struct timespec t0;
	struct host_clock clock;	/* --capture time */
	struct sigaction old_int, old_term, old_alrm;
};

/* An event to the trace (through the writer thread when there is one). */
int rec_emit(struct recorder *r, const struct xt_event *ev);
/* The selected vCPU's state as its next step (same: as for xt_writer_step_same()). */
int rec_write_step(struct recorder *r, uint32_t same);
void rec_set_end(struct recorder *r, uint32_t reason, int64_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Does the exit just captured end the recording?  (rec_set_end() says how.) */
bool rec_exit_ends(struct recorder *r, const struct insn *in);
/* The selected vCPU's exit as its next step, events included: 1 it ends the recording, < 0 an error. */
int rec_record_exit(struct recorder *r, int ret, int err, const struct insn *in);
/* A KVM_RUN interrupted without an exit as the selected vCPU's next step (exit KVM_EXIT_INTR). */
int rec_record_intr(struct recorder *r, int ret, int err);
/* The events of the step just written. */
int rec_after_step(struct recorder *r, const struct insn *in);

/* --capture time: the selected vCPU's clocks into its state, as of its last KVM_RUN. */
static inline void rec_take_time(struct recorder *r)
{
	struct rec_vcpu *v = r->vc;
	if (v->st.timed)
		host_clock_split(&r->clock, v->st.run_tsc, v->st.returned_tsc, &v->cur.time.run,
				 &v->cur.time.out);
}

/* The tick's work: flush, progress, --timeout (1: the recording ends). */
int rec_on_tick_work(struct recorder *r);

/* ---- several vCPUs without single-step, a thread each (freerun.c) ---- */
int freerun_loop(struct recorder *r);

/* ---- lock-step (lockstep.c) ---- */

/* A run state in which the vCPU waits for INIT and SIPI and cannot step. */
static inline bool mp_waits_for_sipi(uint32_t mp)
{
	return mp == KVM_MP_STATE_INIT_RECEIVED || mp == KVM_MP_STATE_UNINITIALIZED ||
	       mp == KVM_MP_STATE_SIPI_RECEIVED;
}

/*
 * The vCPU to step next, selected: 1; 0 when none ever can again (the end
 * is set); < 0 an error.
 */
int lockstep_pick(struct recorder *r);
/* KVM's run state of v now, with an mp-state event when it changed. */
int refresh_mp_state(struct recorder *r, struct rec_vcpu *v);
/* A run our timer interrupted: a step if it moved the vCPU. */
int halted_inside_run(struct recorder *r, int ret, int err);
/* After a step: did the vCPU halt, did it send an IPI? */
int after_lockstep_step(struct recorder *r, const struct insn *in, const uint8_t *code, size_t n);

#endif
