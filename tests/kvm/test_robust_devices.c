// SPDX-License-Identifier: MIT
/*
 * A hostile guest against the platform devices (guest hostile_dev: string
 * I/O of every width and large counts, accesses that straddle a device's
 * ports or the MMIO window's end, odd SLP_TYP values, S3 without a waking
 * vector, then eight S3 round trips with SLP_EN written as a byte).  The
 * recording ends by the guest's own isa-debug-exit, every access is an
 * exit of its own in the trace, and the trace replays identically.
 *
 * Guest: hostile_dev (tests/kvm/guests).
 */
#include <linux/kvm.h>
#include <string.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	char trace[600];
	snprintf(trace, sizeof(trace), "%s", kt_record("hostile.xtr", (9 << 1) | 1, "%s --load 0x100000", kt_arg(1)));
	struct kt_trace *t = kt_load(trace);
	TEST_ASSERT(!t->truncated && t->end_reason == XT_END_DEBUG_EXIT, "ended by the guest's isa-debug-exit");

	/* string I/O: KVM hands out up to a page at once, and each such exit is in the trace whole */
	size_t string_in = 0, mmio_split = 0;
	for (size_t i = 1; i <= t->nsteps; i++) {
		const struct kt_step *s = &t->steps[i];
		if (s->exit_reason == KVM_EXIT_IO && s->io_port == 0x511 && s->io_count > 1)
			string_in++;
		/* the qword across the window's end: two MMIO exits, one on each side of 0xff001000 */
		if (s->exit_reason == KVM_EXIT_MMIO && (s->mmio_addr == 0xff000ffc || s->mmio_addr == 0xff001000))
			mmio_split++;
	}
	TEST_ASSERT(string_in >= 8, "REP INSB/INSW at fw_cfg's data port: %zu exits with count > 1", string_in);
	TEST_ASSERT(mmio_split >= 4, "a qword across the window's end is split at 0xff001000: %zu exits", mmio_split);

	TEST_EQ_U64(0x5a, kt_io_out_value(t, 0x80) & 0xff, "a word OUT at 0x70 selected CMOS 0x0e and wrote it");
	TEST_EQ_U64(8, kt_io_out_value(t, 0x84) & 0xffff, "eight S3 round trips, SLP_EN written as a byte at 0xb005");

	size_t notes = kt_count_events(t, XT_EV_NOTE, -1);
	TEST_ASSERT(notes >= 2 + 3 + 8, "a note for each sleep request (types 7 and 2, S3 without a vector, 8 resumes): %zu",
		    notes);
	bool far_vector = false;
	for (size_t i = 0; i < t->nevents; i++)
		if (t->events[i].kind == XT_EV_NOTE && t->events[i].note.text &&
		    strstr(t->events[i].note.text, "waking vector 0x100000 is not below 1 MiB"))
			far_vector = true;
	TEST_ASSERT(far_vector, "a waking vector of 1 MiB is named as such, not as none");
	kt_free(t);

	TEST_EQ_U64(0, kt_exitrace("replay %s", trace), "replay: %s", kt_err());
	TEST_CONTAINS(kt_out(), "identical:", "replays identically");
	TEST_EQ_U64(0, kt_exitrace("check %s", trace), "check: %s", kt_out());
	TEST_EQ_U64(0, kt_exitrace("dump %s --json", trace), "dump --json");
	TEST_EQ_U64(0, kt_exitrace("stat %s", trace), "stat");
	TEST_EQ_U64(0, kt_exitrace("diff %s %s", trace, trace), "diff with itself");
	return 0;
}
