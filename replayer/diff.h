/* SPDX-License-Identifier: MIT */
/*
 * exitrace diff: align two traces and explain where and why they differ.
 *
 * The engine prints nothing.  xd_compare_headers() lists how the hosts, VM
 * configurations, guest images and initial states differ; xd_run() walks
 * both traces in lock-step and hands each divergence (a hunk, with its
 * context, its cause and how the walk found its way back) to a callback as
 * soon as the hunk is complete.  Memory stays flat in the length of the
 * traces: the walk holds the current step of each trace, a hunk being built
 * and, while resynchronising, a bounded window of register sets.
 *
 * What counts as a difference:
 * - a field compared by both traces (their compare masks ANDed, minus what
 *   --ignore removes, in blocks both captured) whose values differ.  RIP,
 *   the exit reason and the exit's payload (where xt_field_applies()) are
 *   compared as values at every step.  Other state fields count when they
 *   change: a difference carried unchanged (both traces change the field by
 *   the same amount, or not at all) is reported once, where it arose, and
 *   listed as carried where the walk resynchronises;
 * - the events attached to a step: IRQs taken and injected, console output,
 *   kernel tracepoint events (when both traces recorded them).
 */
#ifndef XT_DIFF_H
#define XT_DIFF_H

#include "exitrace.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xd_side { XD_A = 0, XD_B = 1 };

#define XD_CONTEXT_DEFAULT 3
#define XD_MAX_HUNKS_DEFAULT 10
#define XD_WINDOW_DEFAULT 10000

struct xd_options {
	unsigned context;		/* equal steps shown before and after a hunk */
	unsigned max_hunks;		/* stop after this many hunks; 0: no limit */
	bool first;			/* stop at the first differing step */
	uint64_t window;		/* steps of each trace searched to resynchronise */
	uint64_t ignore[XT_FIELD_ID_LIMIT];	/* bits not compared, by field id */
	uint32_t ignore_events;		/* event kinds not compared: bit 1 << enum xt_event_kind */
	int32_t vcpu;			/* several vCPUs: the one compared; -1: each */
};

/* The defaults: context 3, 10 hunks, a window of 10000 steps, nothing ignored, every vCPU. */
void xd_options_init(struct xd_options *o);

/*
 * Add "NAME[,NAME...]" to the ignored set: field names as in the field
 * table ("rax", "cs.selector", "debug.dr6", ...) or event kinds
 * ("irq-taken", "irq-inject", "console", "ktrace").  Returns 0, or -EINVAL
 * with msg naming the unknown name and the closest known ones.
 */
int xd_ignore_parse(struct xd_options *o, const char *list, char *msg, size_t msg_size);

/* ---- headers ---- */

enum xd_group {
	XD_GROUP_HOST,		/* kernel, CPU, KVM module, parameters, capabilities */
	XD_GROUP_VM,		/* guest debug word, irqchip, CPUID, capture set, injections, ... */
	XD_GROUP_IMAGE,		/* the guest image and initial memory */
	XD_GROUP_STATE,		/* the initial vCPU state (compared fields) */
	XD_GROUP_TRACE,		/* the tool that wrote it, compare masks */
	XD_NGROUPS
};

struct xd_hdiff {
	uint32_t group;		/* enum xd_group */
	bool key;		/* decides interrupt delivery: APICv/AVIC, BLOCKIRQ, irqchip */
	char what[64];		/* "kvm_intel.enable_apicv", "kernel", "guest_debug", "rip" ... */
	char a[128], b[128];	/* the values; "-" when a trace does not say */
};

struct xd_hdiffs {
	struct xd_hdiff *v;
	size_t n, cap;
};

/*
 * Compare two headers.  Differences come grouped, key ones first in their
 * group; only what differs is listed.  Returns 0 or -ENOMEM.
 */
int xd_compare_headers(const struct xt_header *a, const struct xt_header *b,
		       const struct xd_options *o, struct xd_hdiffs *out);
void xd_hdiffs_free(struct xd_hdiffs *d);

/* ---- hunks ---- */

/* One step of one trace as a hunk shows it (pointers valid during the callback). */
struct xd_view {
	uint64_t step;			/* several vCPUs: the vCPU's own step */
	uint64_t global;		/* several vCPUs: its place in the global order (0: not known) */
	uint64_t rip_before;		/* RIP before the step: the instruction it ran */
	const struct xt_state *state;	/* after the step; NULL: not kept */
	const struct xt_field_set *changed;	/* the fields the step changed */
	const struct xt_event *events;	/* the events attached to the step */
	size_t n_events;
};

enum xd_line_kind {
	XD_LINE_CONTEXT,	/* equal steps: a (state kept) and b (step number) */
	XD_LINE_DIFF,		/* a differing pair: a, b, the fields that differ */
	XD_LINE_SKIP,		/* steps of one trace passed over to resynchronise */
	XD_LINE_RESYNC,		/* the traces agree again from a, b on; fields: still different */
	XD_LINE_END,		/* a trace ends here, the other goes on */
	XD_LINE_GIVE_UP,	/* no point where the traces agree again within the window */
};

enum xd_resync_how {
	XD_RESYNC_IRQ_RETURN,	/* the handler returned to the interrupted instruction */
	XD_RESYNC_IRQ_RETURN_NEXT,	/* ... and ran it in the same step (IRET+1 hosts) */
	XD_RESYNC_SEARCH,	/* RIP, RSP and the general registers agree again */
};

struct xd_line {
	uint32_t kind;			/* enum xd_line_kind */
	struct xd_view a, b;
	const struct xt_field *const *fields;	/* DIFF: new differences; RESYNC: carried ones */
	size_t n_fields;
	bool events_differ;		/* DIFF */
	uint32_t side;			/* SKIP, END: which trace */
	uint64_t from, to;		/* SKIP: its steps passed over; END: its last step, GIVE_UP: window */
	uint64_t rest;			/* END: steps the other trace has after this point (if known) */
	bool rest_known;
	uint32_t how;			/* RESYNC: enum xd_resync_how */
};

enum xd_cause_kind {
	XD_CAUSE_FIELDS,	/* state fields differ: field */
	XD_CAUSE_EXIT,		/* the exits differ (reason or payload) */
	XD_CAUSE_IRQ_ONE_SIDE,	/* an IRQ or exception taken in one trace only: side, ev */
	XD_CAUSE_IRQ_TIMING,	/* the same vector taken by both, at different steps */
	XD_CAUSE_IRQ_DIFFERENT,	/* both take one at this step, but not the same */
	XD_CAUSE_KTRACE,	/* a kernel tracepoint event in one trace only: side, ev */
	XD_CAUSE_INJECT,	/* an injection in one trace only, or a different one */
	XD_CAUSE_CONSOLE,	/* the guest's output differs */
	XD_CAUSE_END,		/* one trace ends, the other goes on */
	XD_CAUSE_EVENTS,	/* other events differ */
};

struct xd_cause {
	uint32_t kind;			/* enum xd_cause_kind */
	uint32_t side;			/* IRQ_ONE_SIDE, KTRACE, INJECT, END: the trace that has it */
	const struct xt_event *ev_a, *ev_b;	/* the events naming it, if any */
	uint64_t step_a, step_b;	/* IRQ_TIMING: where each trace takes it */
	const struct xd_line *line;	/* the line showing it */
	const struct xt_field *field;	/* FIELDS: the first field that differs */
};

struct xd_hunk {
	unsigned index;			/* from 1 (several vCPUs: within the vCPU's walk) */
	bool per_vcpu;			/* a walk of one vCPU of several: steps are its own */
	uint32_t vcpu;			/* per_vcpu: which */
	uint64_t step_a, step_b;	/* the first differing steps */
	uint64_t global_a, global_b;	/* per_vcpu: their places in the global order (0: not known) */
	uint64_t rip;			/* A's RIP before them: the instruction it starts at */
	struct xd_cause cause;
	const struct xd_line *lines;
	size_t n_lines;
	uint64_t dropped_lines;		/* lines left out: the hunk was long */
	uint64_t diff_steps;		/* differing pairs in the hunk */
};

enum xd_stop {
	XD_STOP_END,		/* a trace ended */
	XD_STOP_FIRST,		/* --first */
	XD_STOP_MAX_HUNKS,	/* --max-hunks */
	XD_STOP_NO_RESYNC,	/* the traces did not agree again within the window */
};

struct xd_trace_summary {
	uint64_t last_step;		/* the last step read */
	bool at_end;			/* the walk reached the trace's end */
	bool truncated;			/* no footer: its recorder did not finish */
	const struct xt_footer *footer;	/* NULL if truncated */
	uint64_t skipped;		/* steps passed over to resynchronise */
};

struct xd_summary {
	bool per_vcpu;			/* the walk of one vCPU (xd_run_vcpu): steps are its own */
	uint32_t vcpu;
	unsigned hunks;
	uint64_t compared;		/* pairs of steps compared */
	uint32_t stop;			/* enum xd_stop */
	bool ends_differ;		/* both reached their ends, which differ */
	struct xd_trace_summary t[2];
};

struct xd_diff;

/* Open both traces.  On failure *out is NULL and err says which and why. */
int xd_open(struct xd_diff **out, const char *path_a, const char *path_b,
	    const struct xd_options *o, struct xt_error *err);
void xd_close(struct xd_diff *d);
const struct xt_header *xd_header(const struct xd_diff *d, enum xd_side side);

/*
 * Walk both traces.  on_hunk is called with each hunk when it is complete
 * (its data are valid during the call only).  Returns 0 and fills s (its
 * footers stay valid until xd_close()), or a negative errno: xd_error()
 * says which trace went bad and where.
 */
int xd_run(struct xd_diff *d, void (*on_hunk)(void *ctx, const struct xd_hunk *h), void *ctx,
	   struct xd_summary *s);
const struct xt_error *xd_error(const struct xd_diff *d);

/*
 * Several vCPUs (either header has more than one): each vCPU's steps and
 * the events about it are walked against the same vCPU's in the other
 * trace, one vCPU at a time, by xd_run_vcpu() (for vCPUs below
 * xd_common_vcpus()); steps are then the vCPU's own.  ends_differ is left
 * to xd_ends_differ(), which is about the traces as a whole.
 */
bool xd_per_vcpu(const struct xd_diff *d);
uint32_t xd_common_vcpus(const struct xd_diff *d);
int xd_run_vcpu(struct xd_diff *d, uint32_t vcpu, void (*on_hunk)(void *ctx, const struct xd_hunk *h),
		void *ctx, struct xd_summary *s);
/* A trace's footer (NULL: truncated), valid until xd_close(). */
const struct xt_footer *xd_footer(const struct xd_diff *d, enum xd_side side);
/* Did both traces end (their footers say), and differently? */
bool xd_ends_differ(const struct xd_diff *d);
/* How a trace's footer contradicts its data, as far as the walk read it, or NULL. */
const struct xt_error *xd_inconsistency(const struct xd_diff *d, enum xd_side side);

/* ---- the global order (several vCPUs) ---- */

enum xd_order_kind {
	XD_ORDER_INTERLEAVE,	/* the first global step where the vCPUs run in another order */
	XD_ORDER_IPI,		/* a vCPU took an interrupt another sent it, at other own steps */
	XD_ORDER_MP,		/* a vCPU's run state changed (INIT, SIPI, ...) at other own steps */
};

struct xd_order_note {
	uint32_t kind;		/* enum xd_order_kind */
	uint32_t vcpu;		/* IPI, MP: the vCPU it happened to */
	uint32_t vector;	/* IPI */
	uint32_t mp_from, mp_to;	/* MP: KVM_MP_STATE_* */
	bool in[2];		/* IPI, MP: it happened in A, in B */
	uint64_t step[2];	/* IPI, MP: at the vCPU's own step in A, B; INTERLEAVE: the global step */
	uint32_t runs[2];	/* INTERLEAVE: the vCPU each trace runs at that step */
};

struct xd_order {
	struct xd_order_note *v;
	size_t n, cap;
	bool cut;		/* too many cross-vCPU events to compare them all: the first ones were */
};

/*
 * Compare how the vCPUs of two traces act on each other: read both in their
 * global order; note the first step where they run another vCPU (once),
 * and each interrupt a vCPU took from another's IPI and each run-state
 * change that lands at another own step of its vCPU, or in one trace only
 * (the k-th of a kind in A against the k-th in B).  vcpu >= 0 keeps only
 * what happened to that vCPU (and leaves the interleaving out).  Returns 0, or a negative errno with err set.
 */
int xd_compare_order(const char *path_a, const char *path_b, int32_t vcpu, struct xd_order *out,
		     struct xt_error *err);
void xd_order_free(struct xd_order *o);

/* Are two events the same for the diff (when, on which CPU, and the evidence aside)? */
bool xd_event_same(const struct xt_event *a, const struct xt_event *b);
/* Does v hold an event that is the same as ev? */
bool xd_view_has_twin(const struct xd_view *v, const struct xt_event *ev);

/* Did the traces behave the same (no hunk, same ends)? */
static inline bool xd_identical(const struct xd_summary *s)
{
	return s->hunks == 0 && !s->ends_differ;
}

#ifdef __cplusplus
}
#endif
#endif
