// SPDX-License-Identifier: MIT
/*
 * Writes a trace for check_spec.py that holds every record type, every
 * event kind (and each optional key), every block captured, every field
 * changed at least once, several frames and one frame of events only; and
 * prints the library's field table, so the script can hold format/SPEC.md
 * against what the code really writes.
 *
 * usage: gen_trace OUT.xtr [VCPUS] > fields.tsv
 * VCPUS (1 to 4, default 1): with more, the vCPUs step in turn, in bursts,
 * vCPU 2 (if any) only from step 50 on, and some events are of another
 * vCPU than the step before them.
 * fields.tsv: id, name, kind (u64/blob), block (name:number), exit reason
 * ("any" or NAME:number), compare mask (hex), one field a line.
 */
#include <inttypes.h>
#include <linux/kvm.h>

#include "fixture.h"
#include "test_util.h"

#define CAPTURE (XT_CAPTURE_DEFAULT | XT_CAPTURE_LAPIC | XT_CAPTURE_DEBUGREGS | \
		 XT_CAPTURE_FPU | XT_CAPTURE_TIME | XT_CAPTURE_STATS)
#define STEPS 120
#define FRAME_STEPS 16

static const char *const block_names[] = {
	[XT_BLOCK_REGS] = "regs", [XT_BLOCK_SREGS] = "sregs", [XT_BLOCK_EVENTS] = "events",
	[XT_BLOCK_EXIT] = "exit", [XT_BLOCK_DEBUGREGS] = "debugregs", [XT_BLOCK_LAPIC] = "lapic",
	[XT_BLOCK_FPU] = "fpu", [XT_BLOCK_TIME] = "time",
};
_Static_assert(sizeof(block_names) / sizeof(block_names[0]) == XT_NBLOCKS,
	       "block names out of step with enum xt_block");

static void print_fields(void)
{
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *f = &table[id];
		if (!f->name)
			continue;
		char exit[48] = "any";
		if (f->exit_reason != XT_ANY_EXIT)
			snprintf(exit, sizeof(exit), "%s:%u", xt_exit_reason_name(f->exit_reason),
				 f->exit_reason);
		printf("%u\t%s\t%s\t%s:%u\t%s\t0x%" PRIx64 "\n", f->id, f->name,
		       f->kind == XT_KIND_U64 ? "u64" : "blob", block_names[f->block], f->block, exit,
		       f->compare_mask);
	}
}

/* Change every field of every block, some up and some down, blobs to new bytes. */
static void touch_all(struct xt_state *s, uint64_t step)
{
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *f = &table[id];
		if (!f->name)
			continue;
		if (f->kind == XT_KIND_U64) {
			uint64_t d = 0x101 * id + step;
			xt_field_put(s, f, xt_field_get(s, f) + (id & 1 ? -d : d));
			continue;
		}
		uint32_t len = f->cap < 8 ? f->cap : 8;
		*(uint32_t *)((char *)s + f->len_offset) = len;
		for (uint32_t i = 0; i < len; i++)
			((uint8_t *)s + f->offset)[i] = (uint8_t)(step + id + i);
	}
}

/* The exits fx_step() does not make, with their payloads. */
static void special_exit(struct xt_state *s, uint64_t step)
{
	if (step == 40) {
		s->exit.reason = KVM_EXIT_FAIL_ENTRY;
		s->exit.fail_hw_reason = 0x80000021;
		s->exit.fail_cpu = 3;
	} else if (step == 41) {
		s->exit.reason = KVM_EXIT_SYSTEM_EVENT;
		s->exit.system_event_type = KVM_SYSTEM_EVENT_RESET;
		s->exit.system_event_data_len = 8;
		memset(s->exit.system_event_data, 0, 8);
		s->exit.system_event_data[0] = 1;
	} else if (step == 42) {
		s->exit.reason = KVM_EXIT_SHUTDOWN;
	} else if (step == 50) {
		touch_all(s, step);
		s->exit.reason = KVM_EXIT_MMIO;	/* a real exit, whatever touch_all() made of it */
	}
}

static void event(struct xt_writer *w, struct fx_rng *rng, uint32_t kind, uint64_t step, int variant,
		  uint32_t vcpu)
{
	struct xt_event ev;
	struct fx_event_storage st;
	fx_event(rng, kind, step, &ev, &st);
	ev.vcpu = vcpu;
	/* both shapes of the events with an optional key */
	if (kind == XT_EV_IRQ_INJECT)
		ev.inject.port = variant ? 0x80 : -1;
	if (kind == XT_EV_INPUT && variant) {	/* an attached VMM's answer: key 5 */
		ev.input.what = XT_INPUT_ANSWER;
		ev.input.n = 0;
		ev.input.data = (const uint8_t *)"\x44\x45";
		ev.input.data_len = 2;
	}
	if (kind == XT_EV_IRQ_TAKEN) {
		ev.taken.has_error_code = (uint32_t)variant;
		ev.taken.error_code = variant ? 0x18 : 0;
		ev.taken.type = variant ? XT_TAKEN_EXCEPTION : XT_TAKEN_EXTERNAL;
		if (!variant) {	/* ambiguous: 0x30 or 0x31 */
			ev.taken.vector = 0x30;
			ev.taken.candidates[0] = 3ull << 48;
		}
	}
	int rc = xt_writer_event(w, &ev);
	TEST_ASSERT(rc == 0, "event of kind %u at step %" PRIu64 ": %s", kind, step,
		    xt_writer_error(w)->msg);
}

int main(int argc, char **argv)
{
	uint32_t vcpus = argc == 3 ? (uint32_t)atoi(argv[2]) : 1;
	if (argc < 2 || argc > 3 || vcpus < 1 || vcpus > FX_VCPUS) {
		fprintf(stderr, "usage: %s OUT.xtr [VCPUS]\n", argv[0]);
		return 2;
	}
	static struct fx_header fh;
	fx_header_init(&fh, CAPTURE);
	fx_header_vcpus(&fh, vcpus);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = FRAME_STEPS };
	TEST_ASSERT(xt_writer_open(&w, argv[1], &fh.h, &opts, &err) == 0, "open: %s", err.msg);

	struct fx_rng rng = { 1 };
	static struct xt_state s[FX_VCPUS];
	s[0] = fh.initial;
	for (uint32_t v = 1; v < vcpus; v++)
		s[v] = fh.initial_vcpus[v - 1];
	for (uint64_t step = 1; step <= STEPS; step++) {
		int variant = (int)(step / 10 % 2);
		/* turns of two steps; vCPU 2 joins late, so early frames have no keyframe of it */
		uint32_t v = (uint32_t)(step / 2 % (step < 50 && vcpus > 2 ? 2 : vcpus));
		/* an injection precedes the step it is made for */
		if (step % 10 == 5)
			event(w, &rng, XT_EV_IRQ_INJECT, step, variant, v);
		fx_step(&rng, &s[v], step, CAPTURE, true);
		special_exit(&s[v], step);
		int rc = v ? xt_writer_step_vcpu(w, v, &s[v], 0) : xt_writer_step(w, &s[v]);
		TEST_ASSERT(rc == 0, "step %" PRIu64 ": %s", step, xt_writer_error(w)->msg);
		/* the other kinds follow the step they belong to */
		if (step % 10 == 5)
			event(w, &rng, XT_EV_IRQ_TAKEN, step, variant, v);
		if (step % 10 == 7) {
			for (uint32_t kind = XT_EV_CONSOLE; kind < XT_EV_KIND_LIMIT; kind++)
				event(w, &rng, kind, step, variant, v);
		}
		if (step == 60) {
			/* a frame of events only, of another vCPU than the last step's */
			TEST_ASSERT(xt_writer_flush(w) == 0, "flush");
			event(w, &rng, XT_EV_NOTE, step, variant, (v + 1) % vcpus);
			TEST_ASSERT(xt_writer_flush(w) == 0, "flush");
		}
	}
	struct xt_footer foot = { .end_reason = XT_END_HLT, .end_code = 0,
				  .end_detail = "hlt with nothing pending", .duration_ns = 424242 };
	TEST_ASSERT(xt_writer_close(w, &foot, &err) == 0, "close: %s", err.msg);
	print_fields();
	return 0;
}
