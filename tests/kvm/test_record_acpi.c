// SPDX-License-Identifier: MIT
/*
 * The ACPI tables and the PM timer as a test kernel finds them: the RSDP
 * by scanning the BIOS area, the FADT through the RSDT, its PM timer port
 * (QEMU's 0xb008), and a timer that ticks at 3.579545 MHz, measured
 * against the guest's TSC (the header's tsc_khz) over ~60 000 steps.  The
 * timer's reads are exits in the trace and replay feeds them back.
 *
 * Guest: pm_timer (tests/kvm/guests).
 */
#include "kt.h"

/* The data of the nth IN from port, or fail. */
static uint64_t in_value(const struct kt_trace *t, uint16_t port, int nth)
{
	for (size_t i = 1; i <= t->nsteps; i++) {
		const struct kt_step *s = &t->steps[i];
		if (s->exit_reason == 2 && s->io_port == port && s->io_dir == 0 && nth-- == 0)
			return s->io_value;
	}
	TEST_ASSERT(false, "no IN from port 0x%x", port);
	return 0;
}

/* The TSC the nth rdtsc input event recorded. */
static uint64_t tsc_value(const struct kt_trace *t, size_t nth)
{
	const struct xt_event *ev = kt_event(t, XT_EV_INPUT, -1, nth);
	TEST_ASSERT(ev, "an rdtsc input event #%zu", nth);
	uint64_t rax = 0, rdx = 0;
	for (uint32_t i = 0; i < ev->input.n; i++) {
		const struct xt_field *f = xt_field_by_id(ev->input.v[i].field);
		if (f && !strcmp(f->name, "rax"))
			rax = ev->input.v[i].value;
		if (f && !strcmp(f->name, "rdx"))
			rdx = ev->input.v[i].value;
	}
	return (rdx << 32) | (rax & 0xffffffff);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	char trace[600];
	snprintf(trace, sizeof(trace), "%s", kt_record("acpi.xtr", (7 << 1) | 1, "%s --load 0x100000", kt_arg(1)));
	struct kt_trace *t = kt_load(trace);
	TEST_EQ_U64(0xe0000, kt_io_out_value(t, 0x80) & 0xffffffff,
		    "the guest found the RSDP at the start of the BIOS area");
	TEST_EQ_U64(0xb008, kt_io_out_value(t, 0x84) & 0xffffffff,
		    "and the FADT: PM timer at QEMU's PIIX4 port");

	uint64_t pm1 = in_value(t, 0xb008, 0) & 0xffffffff, pm2 = in_value(t, 0xb008, 1) & 0xffffffff;
	TEST_ASSERT(pm1 <= 0xffffff && pm2 <= 0xffffff, "a 24-bit timer: 0x%llx, 0x%llx",
		    (unsigned long long)pm1, (unsigned long long)pm2);
	uint64_t ticks = (pm2 - pm1) & 0xffffff;
	uint64_t tsc1 = tsc_value(t, 0), tsc2 = tsc_value(t, 1);

	struct xt_reader *r;
	struct xt_error err;
	TEST_ASSERT(xt_reader_open(&r, trace, &err) == 0, "open %s: %s", trace, err.msg);
	uint64_t khz = xt_reader_header(r)->vm.tsc_khz;
	xt_reader_close(r);
	if (!khz) {
		fprintf(stderr, "SKIP rate: KVM_GET_TSC_KHZ gave nothing\n");
	} else {
		double seconds = (double)(tsc2 - tsc1) / ((double)khz * 1000.0);
		double hz = (double)ticks / seconds;
		fprintf(stderr, "PM timer: %llu ticks in %.3f s of guest TSC: %.0f Hz\n", (unsigned long long)ticks,
			seconds, hz);
		TEST_ASSERT(seconds > 0.01, "the two reads are apart (%.4f s)", seconds);
		TEST_ASSERT(hz > 3579545 * 0.9 && hz < 3579545 * 1.1, "3.579545 MHz within 10%%: %.0f Hz", hz);
	}
	kt_free(t);

	TEST_EQ_U64(0, kt_exitrace("replay %s", trace), "replay: %s", kt_out());
	TEST_CONTAINS(kt_out(), "identical:", "the timer's reads are fed back");
	return 0;
}
