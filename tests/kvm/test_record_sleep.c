// SPDX-License-Identifier: MIT
/*
 * The CMOS RTC and ACPI sleep states as kvm-unit-tests' s3 uses them: the
 * RTC's registers (24-hour BCD, valid, an alarm read back, UIP seen set and
 * cleared by polling), then S3: the guest writes SLP_EN with SLP_TYP 1 and
 * resumes at once in real mode at the FACS waking vector, where a stub
 * leaves through isa-debug-exit; the trace says so in a note and replays
 * identically.  S5 ends the recording as the guest powering off.
 *
 * Guests: s3_wake, s5_off (tests/kvm/guests).
 */
#include <linux/kvm.h>
#include <string.h>

#include "kt.h"
#include "kt_edit.h"

/* Drops the S3 note: a recording that says the platform did not resume. */
static bool drop_s3_note(struct kt_edit *e, uint64_t step, struct xt_state *state, struct xt_event *ev, void *ctx)
{
	(void)e, (void)step, (void)state, (void)ctx;
	return !(ev && ev->kind == XT_EV_NOTE && strstr(ev->note.text, "ACPI S3"));
}

static uint64_t bcd_ok(uint64_t v)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 5;
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	char trace[600];
	snprintf(trace, sizeof(trace), "%s", kt_record("s3.xtr", (9 << 1) | 1, "%s --load 0x100000", kt_arg(1)));
	struct kt_trace *t = kt_load(trace);
	TEST_EQ_U64(0x02, kt_io_out_value(t, 0x80) & 0xff, "RTC register B: 24-hour, BCD");
	TEST_ASSERT(bcd_ok(kt_io_out_value(t, 0x84) & 0xff), "seconds in BCD: 0x%llx",
		    (unsigned long long)(kt_io_out_value(t, 0x84) & 0xff));
	TEST_EQ_U64(0x80, kt_io_out_value(t, 0x88) & 0xff, "register D: the RTC's battery is good");
	TEST_EQ_U64(0xc0, kt_io_out_value(t, 0x8c) & 0xff, "an alarm register reads back");
	TEST_ASSERT((kt_io_out_value(t, 0x90) & 0xffffffff) > 0, "UIP was seen set, then clear");

	/* the step after SLP_EN runs the resume stub in real mode, at 0x1000 */
	uint64_t s = kt_step_io_out(t, 0xb004, 1);
	TEST_ASSERT(s && s < t->nsteps, "the guest wrote PM1a control");
	const struct kt_step *after = &t->steps[s + 1];
	TEST_EQ_U64(0, after->cr0 & 1, "real mode after the wake");
	TEST_EQ_U64(0x100, after->cs_selector, "CS = vector >> 4");
	TEST_EQ_U64(0x1000 + after->regs.rip, 0x1002, "IP runs from vector & 0xf: one instruction done");
	const struct xt_event *note = kt_event(t, XT_EV_NOTE, -1, 0);
	TEST_ASSERT(note && strstr(note->note.text, "ACPI S3") && strstr(note->note.text, "0x1000"),
		    "a note says so: %s", note ? note->note.text : "(none)");
	TEST_EQ_U64(s, note->step, "at the step that wrote SLP_EN");
	kt_free(t);

	TEST_EQ_U64(0, kt_exitrace("replay %s", trace), "replay: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical:", "replays identically: the RTC's reads fed back, the wake redone");

	/*
	 * Replay resumes where the recording says it did, not where its own
	 * device code sees SLP_EN: without the note, the step after the write
	 * is where it parts from the recorded wake.
	 */
	char unsaid[600], at[64];
	snprintf(unsaid, sizeof(unsaid), "%s", kt_tmp("s3-no-note.xtr"));
	kt_rewrite(trace, unsaid, NULL, drop_s3_note, NULL);
	TEST_EQ_U64(1, kt_exitrace("replay %s", unsaid), "replay without the note: %s", kt_out());
	snprintf(at, sizeof(at), "step %llu", (unsigned long long)(s + 1));
	TEST_CONTAINS(kt_out(), at, "diverges at the step after SLP_EN: %s", kt_out());

	t = kt_load(kt_record("s5.xtr", 0, "%s --load 0x100000", kt_arg(2)));
	TEST_EQ_U64(XT_END_SYSTEM_EVENT, t->end_reason, "S5 ends the recording (%s)", t->end_detail);
	TEST_EQ_U64(KVM_SYSTEM_EVENT_SHUTDOWN, t->end_code, "as a power-off");
	TEST_ASSERT(strstr(t->end_detail, "S5"), "and says so: %s", t->end_detail);
	TEST_ASSERT(!kt_step_io_out(t, 0xf4, 1), "the guest ran no further");
	kt_free(t);
	return 0;
}
