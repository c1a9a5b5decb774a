/* SPDX-License-Identifier: MIT */
/*
 * The filters dump and stat share: --exit REASON[,..], --event KIND[,..],
 * --rip LO-HI|ADDR|SYMBOL and --vcpu N.  They combine (a step must pass
 * every one given) and are decided while streaming: a step is held only
 * until its own events have been read.
 */
#ifndef XT_STEP_FILTER_H
#define XT_STEP_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "exitrace.h"

struct symtab;

#define FILTER_EXITS_MAX 16

struct step_filter {
	uint64_t vcpu;			/* CLI_ALL_VCPUS: any */
	uint64_t exits[FILTER_EXITS_MAX];
	size_t n_exits;			/* 0: any exit */
	uint32_t events;		/* 1 << enum xt_event_kind; 0: no event needed */
	bool has_rip;
	uint64_t rip_lo, rip_hi;	/* lo <= linear RIP < hi */
	const char *rip_symbol;		/* --rip SYMBOL, resolved by step_filter_resolve() */
};

void step_filter_init(struct step_filter *f);
/* --exit's list; false with msg naming the unknown reason. */
bool step_filter_exits(struct step_filter *f, const char *list, char *msg, size_t size);
/* --event's list of kinds (irq-inject, irq-taken, console, input, ktrace, note, stats). */
bool step_filter_events(struct step_filter *f, const char *list, char *msg, size_t size);
/* --rip LO-HI (HI excluded), a single ADDR, or a SYMBOL (kept to be resolved). */
bool step_filter_rip(struct step_filter *f, const char *arg, char *msg, size_t size);
/* A --rip SYMBOL to its address range with syms (NULL: none); false with msg if it is not there. */
bool step_filter_resolve(struct step_filter *f, const struct symtab *syms, char *msg, size_t size);

/* Is any filter besides --vcpu set? */
bool step_filter_active(const struct step_filter *f);
/* Does a step pass the filters decided by the step itself (vCPU, exit, RIP at linear)? */
bool step_filter_step(const struct step_filter *f, const struct xt_record *rec, uint64_t linear);
/*
 * The same for a step known by its state and its events (diff's hunk
 * lines): exit, RIP at linear, and --event against events[0..n).
 */
bool step_filter_state(const struct step_filter *f, const struct xt_state *s, uint64_t linear,
		       const struct xt_event *events, size_t n);
/* Does an event of this kind satisfy --event? */
static inline bool step_filter_event(const struct step_filter *f, uint32_t kind)
{
	return kind < 32 && (f->events >> kind & 1);
}

#endif
