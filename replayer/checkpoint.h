/* SPDX-License-Identifier: MIT */
/*
 * Checkpoints of a replay: every K steps, the VM (the guest pages changed
 * since the checkpoint before, every vCPU's KVM state, the in-kernel PIC,
 * IOAPIC and PIT) and the replay cursor's own state, so that going to any
 * earlier step re-executes at most K steps from the checkpoint before it.
 * They are kept within a memory bound: past it, every other one is dropped
 * (its pages merged into the next) and K doubles.
 *
 * Guest pages are found through KVM's dirty log: only the pages the guest
 * ever wrote are compared and copied, whatever the guest's memory size.
 */
#ifndef XT_CHECKPOINT_H
#define XT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "exitrace.h"

struct replay;
struct checkpoints;

/*
 * For the cursor r at step 0 (it takes checkpoint 0 there).  every: steps
 * between checkpoints; mem_limit: bytes they may use.  0 or -errno.
 */
int ckpt_init(struct checkpoints **out, struct replay *r, uint64_t every, uint64_t mem_limit,
	      struct xt_error *err);
void ckpt_free(struct checkpoints *c);

/* Replay one step forward and take a checkpoint where one is due: replay_next()'s result. */
int ckpt_step(struct checkpoints *c);

/*
 * Put the cursor back at the last checkpoint at or before step (step must
 * not be past the cursor's furthest step, which any checkpoint is behind).
 * 0 or -errno with err set.
 */
int ckpt_restore_before(struct checkpoints *c, uint64_t step, struct xt_error *err);

/* The checkpoint step at or before step (where ckpt_restore_before() would go). */
uint64_t ckpt_at_or_before(const struct checkpoints *c, uint64_t step);

/* The checkpoint before the one at or before step, or UINT64_MAX if that is checkpoint 0. */
uint64_t ckpt_previous(const struct checkpoints *c, uint64_t step);

struct ckpt_stats {
	size_t count;		/* checkpoints kept */
	uint64_t every;		/* steps between them now */
	uint64_t bytes;		/* memory they use */
	uint64_t pages;		/* guest pages they hold */
	uint64_t limit;
	bool dirty_log;		/* KVM's dirty log finds the written pages (else every page is compared) */
};
void ckpt_stats(const struct checkpoints *c, struct ckpt_stats *s);

#endif
