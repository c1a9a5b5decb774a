/* SPDX-License-Identifier: MIT */
/* Private to the diff engine: the step cursor and the comparison. */
#ifndef XT_DIFF_INTERNAL_H
#define XT_DIFF_INTERNAL_H

#include "diff.h"

/* ---- events kept with a step ---- */

struct xd_events {
	struct xt_event *v;
	void **owned;		/* per event: the block holding its strings and bytes */
	size_t n, cap;
};

/* Append a deep copy of ev.  0 or -ENOMEM. */
int xd_events_add(struct xd_events *e, const struct xt_event *ev);
void xd_events_clear(struct xd_events *e);
void xd_events_free(struct xd_events *e);
/* Move the events of steps <= step from src to the end of dst. */
int xd_events_take(struct xd_events *dst, struct xd_events *src, uint64_t step);

/* ---- a trace read step by step, each step with its events ---- */

struct xd_cursor {
	struct xt_reader *r;
	const struct xt_header *h;
	/*
	 * With several vCPUs the cursor reads one vCPU's steps and the events
	 * about it, and numbers them as that vCPU's own steps: the walk then
	 * aligns one vCPU's stream with the same vCPU's in the other trace.
	 */
	int32_t vcpu;			/* -1: every step, numbered in the global order */
	uint64_t step;			/* of state; 0: the initial state */
	uint64_t global;		/* the step's place in the global order */
	const struct xt_state *initial;	/* the state at step 0 (of vcpu) */
	struct xd_ring_entry { uint64_t step, global; } *ring;	/* own steps read, by step % ring_len */
	size_t ring_len;
	const struct xt_state *state;
	const struct xt_field_set *changed;
	const uint8_t *raw;		/* the step record as encoded; NULL for step 0 */
	size_t raw_len;
	uint8_t *raw_copy;		/* raw, when the reader had to read on */
	size_t raw_cap;
	uint64_t rip_before, rsp_before;	/* of the state before this step */
	struct xd_events ev;		/* this step's events */
	struct xd_events pending;	/* read already, for a later step */
	bool at_end;
};

/*
 * Start at step 0 (the header's initial state), with the events recorded
 * before step 1.  The cursor takes the reader (closed by xd_cursor_free).
 */
int xd_cursor_init(struct xd_cursor *c, struct xt_reader *r);
/*
 * The same, reading only vCPU vcpu's steps (its own step numbers) and the
 * events about it; ring_len: how many of its last steps it can seek back to
 * without reading the trace again from the start.
 */
int xd_cursor_init_vcpu(struct xd_cursor *c, struct xt_reader *r, uint32_t vcpu, size_t ring_len);
/* The global step of the cursor's own step (recently read), or 0 if it does not know it. */
uint64_t xd_cursor_global_of(const struct xd_cursor *c, uint64_t step);
/* The next step: 1, 0 at the end of the trace, or a negative errno. */
int xd_cursor_next(struct xd_cursor *c);
/*
 * Reposition at step (>= 1): the next step returned is step + 1, and the
 * cursor shows step itself.  rip_before/rsp_before are the caller's to set.
 */
int xd_cursor_seek(struct xd_cursor *c, uint64_t step);
/* The same, for a cursor of one vCPU, where its own step is in the global order (0: not known). */
int xd_cursor_seek_at(struct xd_cursor *c, uint64_t step, uint64_t global);
void xd_cursor_free(struct xd_cursor *c);

/* ---- the comparison ---- */

struct xd_cmp {
	const struct xt_field *table;	/* the field table, by id */
	uint64_t mask[XT_FIELD_ID_LIMIT];	/* effective compare mask; 0: not compared */
	struct xt_field_set compared;
	struct xt_field_set absolute;	/* compared as values at every step: rip, the exit */
	uint32_t events;		/* event kinds compared (1 << kind) */
	bool attached;			/* both attached to a VMM: its answers are compared */
	bool stale_named;		/* ... and both named stale run-page fields: those notes too */
	/* the live comparison: compared fields whose values differ now, and those values */
	struct xt_field_set differ;
	uint64_t va[XT_FIELD_ID_LIMIT], vb[XT_FIELD_ID_LIMIT];
};

/* Masks and event kinds from both headers and the options. */
void xd_cmp_init(struct xd_cmp *c, const struct xt_header *a, const struct xt_header *b,
		 bool ktrace_both, const struct xd_options *o);
/* Start over from a pair of states: every difference between them becomes carried. */
void xd_cmp_rebase(struct xd_cmp *c, const struct xt_state *a, const struct xt_state *b);
/*
 * Compare the next pair of states (each with the fields its step changed).
 * Fills out with the fields that count as different at this pair; returns
 * whether there are any.
 */
bool xd_cmp_step(struct xd_cmp *c, const struct xt_state *a, const struct xt_field_set *cha,
		 const struct xt_state *b, const struct xt_field_set *chb, struct xt_field_set *out);
/* Add to out the differing fields that count at every pair: RIP and the exit. */
void xd_cmp_absolute(const struct xd_cmp *c, const struct xt_state *a, const struct xt_state *b,
		     struct xt_field_set *out);
/* Does any compared field differ now? */
static inline bool xd_cmp_any_differ(const struct xd_cmp *c)
{
	return !xt_field_set_empty(&c->differ);
}
/* Do the compared events of a step agree? */
bool xd_cmp_events(const struct xd_cmp *c, const struct xd_events *a, const struct xd_events *b);
/* Is the event of a kind the comparison looks at? */
bool xd_cmp_event_kind(const struct xd_cmp *c, uint32_t kind);
/* Is this event compared: its kind, or an attached VMM's answer or stale-field note? */
bool xd_cmp_event(const struct xd_cmp *c, const struct xt_event *ev);
/* A note naming the stale run-page fields of an attached VMM's exit ("stale: ...") */
bool xd_stale_note(const struct xt_event *ev);
/* RIP, RSP and the general registers, under the compare masks. */
bool xd_cmp_regs_agree(const struct xd_cmp *c, const struct xt_regs *a, const struct xt_regs *b);
uint64_t xd_cmp_regs_hash(const struct xd_cmp *c, const struct xt_regs *r);

#define XD_TRY(x) do { int rc_ = (x); if (rc_ < 0) return rc_; } while (0)

#endif
