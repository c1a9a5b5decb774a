// SPDX-License-Identifier: MIT
/*
 * QEMU's pc-testdev as kvm-unit-tests drives it: the scratch port gives
 * back what was written, in any width and through REP INSB; the MMIO
 * window at 0xff000000 is memory; a pulse on IRQ line 4 (port 0x2004)
 * reaches the guest through the in-kernel IOAPIC and is in the trace as
 * an arrival.  The trace replays identically.
 *
 * Guest: testdev (tests/kvm/guests).
 */
#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	char trace[600];
	snprintf(trace, sizeof(trace), "%s", kt_record("testdev.xtr", (7 << 1) | 1, "%s --load 0x100000 --idt", kt_arg(1)));
	struct kt_trace *t = kt_load(trace);
	TEST_EQ_U64(0x78, kt_io_out_value(t, 0x80) & 0xffffffff, "scratch port, read as a byte");
	TEST_EQ_U64(0x12345678, kt_io_out_value(t, 0x84) & 0xffffffff, "scratch port, read as a dword");
	TEST_EQ_U64(0x55667788, kt_io_out_value(t, 0x88) & 0xffffffff, "MMIO window, low half");
	TEST_EQ_U64(0x11223344, kt_io_out_value(t, 0x8c) & 0xffffffff, "MMIO window, high half");
	TEST_EQ_U64(0x99, kt_io_out_value(t, 0x90) & 0xffffffff, "REP INSB from the scratch port into the window");

	/* the window's accesses are MMIO exits in the trace, at its address */
	bool write_seen = false, read_seen = false;
	for (size_t i = 1; i <= t->nsteps; i++) {
		const struct kt_step *s = &t->steps[i];
		if (s->exit_reason == 6 && s->mmio_addr == 0xff000008) {
			write_seen |= s->mmio_write != 0;
			read_seen |= s->mmio_write == 0;
		}
	}
	TEST_ASSERT(write_seen && read_seen, "the window's write and read are MMIO exits");

	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_TAKEN, 0x40), "IRQ line 4 arrived as vector 0x40, once");
	kt_free(t);

	TEST_EQ_U64(0, kt_exitrace("replay %s", trace), "replay: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical:", "replays identically");
	return 0;
}
