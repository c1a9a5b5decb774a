// SPDX-License-Identifier: MIT
/*
 * The legacy PC platform a BIOS leaves, as a real-mode guest finds it by
 * default: `sti; hlt` is woken by the in-kernel PIT's IRQ 0, which arrives
 * through the PIC at vector 0x08 and the default IVT's handler at
 * F000:FE10.  Single-stepped, each tick the guest took is an irq-inject
 * event (method pit) before the step that took it, the PIT and PIC reads
 * KVM answered are input events, the header says which platform it was,
 * and the trace replays identically (replay keeps the PIT's timer off and
 * makes the ticks at the recorded steps).  Without steps HLT waits in
 * KVM and the tick wakes it.  --no-legacy-pc leaves KVM's PICs as created.
 *
 * Guest: pit_wake (tests/kvm/guests).
 */
#include "kt.h"

#define STUB_IRQ0 0xffe10u

static uint32_t platform_of(const char *trace)
{
	struct xt_reader *rd;
	struct xt_error err;
	TEST_ASSERT(xt_reader_open(&rd, trace, &err) == 0, "open %s: %s", trace, err.msg);
	uint32_t p = xt_reader_header(rd)->vm.platform;
	xt_reader_close(rd);
	return p;
}

static void stepped(void)
{
	char trace[600];
	snprintf(trace, sizeof(trace), "%s",
		 kt_record("pit.xtr", (3 << 1) | 1, "%s --mode real --load 0x7c00 --timeout 60", kt_arg(1)));
	TEST_EQ_U64(XT_PLATFORM_PIT | XT_PLATFORM_PIC | XT_PLATFORM_IVT, platform_of(trace),
		    "vm config: PIT, PIC and IVT");
	struct kt_trace *t = kt_load(trace);
	TEST_EQ_U64(XT_END_DEBUG_EXIT, t->end_reason, "ends at isa-debug-exit: %s", t->end_detail);

	/* each tick: injected (as the PIT's) before the step that took it, through the IVT's IRQ 0 handler */
	size_t ticks = kt_count_events(t, XT_EV_IRQ_TAKEN, 0x08);
	TEST_ASSERT(ticks >= 3, "at least three ticks taken at vector 0x08, got %zu", ticks);
	TEST_EQ_U64(ticks, kt_count_events(t, XT_EV_IRQ_INJECT, 0x08), "as many pit injections as ticks taken");
	for (size_t i = 0; i < ticks; i++) {
		const struct xt_event *in = kt_event(t, XT_EV_IRQ_INJECT, 0x08, i);
		const struct xt_event *tk = kt_event(t, XT_EV_IRQ_TAKEN, 0x08, i);
		TEST_EQ_U64(XT_INJECT_PIT, in->inject.method, "tick %zu: injection method pit", i);
		TEST_EQ_U64(tk->step, in->step, "tick %zu: injected before the step that took it", i);
		TEST_EQ_U64(STUB_IRQ0, tk->taken.handler, "tick %zu: handler F000:FE10", i);
		TEST_EQ_U64(XT_TAKEN_EXTERNAL, tk->taken.type, "tick %zu: an interrupt, not exception 8", i);
		TEST_ASSERT(tk->taken.evidence & XT_EVIDENCE_PIC_ISR, "tick %zu: the PIC's in-service bit shows it", i);
		TEST_EQ_U64(0xf000, t->steps[tk->step].cs_selector, "tick %zu: in the BIOS segment", i);
	}

	/* the PIC's mask and the PIT's counter came from KVM without an exit: inputs */
	size_t inputs = 0;
	for (size_t i = 0; i < t->nevents; i++)
		inputs += t->events[i].kind == XT_EV_INPUT && t->events[i].input.what == XT_INPUT_IN;
	TEST_EQ_U64(3, inputs, "IN 0x21 and twice IN 0x40 are input events");
	kt_free(t);

	TEST_EQ_U64(0, kt_exitrace("replay %s", trace), "replay: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical:", "replays identically");
	char fed[80];
	snprintf(fed, sizeof(fed), "fed back %zu injections, 3 instruction results", ticks);
	TEST_CONTAINS(kt_out(), fed, "the ticks and the reads were fed back");
	TEST_EQ_U64(0, kt_exitrace("info %s", trace), "info: %s", kt_err());
	TEST_CONTAINS(kt_out(), "platform:  legacy PC: pit,pic,ivt", "info names the platform");
}

static void unstepped(void)
{
	/* HLT really waits: the PIT's tick is what wakes it */
	struct kt_trace *t = kt_load(kt_record("pit-nostep.xtr", (3 << 1) | 1,
					       "%s --mode real --load 0x7c00 --no-step --timeout 30", kt_arg(1)));
	TEST_EQ_U64(XT_END_DEBUG_EXIT, t->end_reason, "--no-step: ends at isa-debug-exit: %s", t->end_detail);
	kt_free(t);

	/* without the platform the PICs are KVM's as created: nothing masked, and the guest says so */
	t = kt_load(kt_record("pit-off.xtr", (5 << 1) | 1, "%s --mode real --load 0x7c00 --no-step --no-legacy-pc",
			      kt_arg(1)));
	TEST_EQ_U64(0, platform_of(t->path), "--no-legacy-pc: no platform in the vm config");
	kt_free(t);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	stepped();
	unstepped();
	return 0;
}
