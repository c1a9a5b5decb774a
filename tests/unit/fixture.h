/* SPDX-License-Identifier: MIT */
/*
 * Synthetic traces for the format's tests, fuzz corpus and benchmark: a
 * header with every field set, states that change like a single-stepped
 * loop (with every block and exit kind now and then), events of every kind.
 * Deterministic for a given seed.
 */
#ifndef XT_TEST_FIXTURE_H
#define XT_TEST_FIXTURE_H

#include "exitrace.h"

struct fx_rng {
	uint64_t s;
};

uint64_t fx_rand(struct fx_rng *r);

#define FX_VCPUS 4

/* A header with every field set; storage lives in the returned struct. */
struct fx_header {
	struct xt_header h;
	struct xt_state initial;
	struct xt_kv params[3];
	struct xt_cap caps[3];
	struct xt_cpuid_entry cpuid[2];
	uint8_t mem0[64], mem1[4096];
	struct xt_mem_region memory[2];
	struct xt_injection inj[2];
	const char *stats[2];
	uint8_t image[300];
	const char *argv[4];
	struct xt_kv extra[1];
	/* fx_header_vcpus() */
	struct xt_state initial_vcpus[FX_VCPUS - 1];
	uint32_t apic_ids[FX_VCPUS];
};

/* capture: XT_CAPTURE_* blocks to fill (the header says so too). */
void fx_header_init(struct fx_header *fh, uint32_t capture);

/*
 * Make fh's header (from fx_header_init()) one of n vCPUs (at most
 * FX_VCPUS): APIC IDs 0, 2, 4, ...; vCPU v starts where vCPU 0 does, with
 * its own RIP, RSP and APIC ID, as an application processor would.
 */
void fx_header_vcpus(struct fx_header *fh, uint32_t n);

/*
 * Advance s by one step.  With busy set, every few steps something beyond
 * the loop changes (segments, events, lapic, an I/O or MMIO exit, blobs);
 * without it the states are those of a plain loop.
 */
void fx_step(struct fx_rng *r, struct xt_state *s, uint64_t step, uint32_t capture, bool busy);

/* An event of the given kind for step; its data lives in storage (>= 256 bytes). */
struct fx_event_storage {
	uint8_t bytes[64];
	char text[64];
	struct xt_ktrace_field fields[3];
	uint32_t index[2];
	int64_t delta[2];
};
void fx_event(struct fx_rng *r, uint32_t kind, uint64_t step, struct xt_event *ev,
	      struct fx_event_storage *st);

/*
 * A decided irq-taken event at step: vector 0x30, external, taken by its
 * handler at 0x2000 as the stack frame and the IDT show.
 */
struct xt_event fx_taken(uint64_t step);

/* Are two events equal in every field the format stores? */
bool fx_event_equal(const struct xt_event *a, const struct xt_event *b);

/* Compare two states on the captured blocks; returns the first differing field or NULL. */
const struct xt_field *fx_state_differs(const struct xt_state *a, const struct xt_state *b,
					uint32_t capture);

/*
 * Hand-made files (xt_internal.h's buffers): append the file mark with
 * this version, or b's bytes as one zstd frame, checksummed and sized
 * like the writer's.  A failure fails the test.
 */
struct xti_buf;
void fx_put_mark(struct xti_buf *f, uint16_t major, uint16_t minor);
void fx_put_frame(struct xti_buf *f, const struct xti_buf *b);

/*
 * Hostile traces, one per class of fault an independent tester found: a
 * small complete trace (two steps, a note) with one thing wrong.  want is
 * what the reader's error says when it opens or reads the file; NULL for
 * the ones it must read (edges that look wrong but are not).
 */
struct fx_hostile {
	const char *name;
	const char *want;
};
size_t fx_hostile_count(void);
/* Write hostile trace i into f (emptied first). */
const struct fx_hostile *fx_hostile_make(size_t i, struct xti_buf *f);

#endif
