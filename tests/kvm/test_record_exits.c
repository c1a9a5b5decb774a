// SPDX-License-Identifier: MIT
/*
 * tests/kvm/guests/long_exits.S, stepped: the exact RIP after every step,
 * and the payload of every I/O and MMIO exit, the values the recorder
 * answered reads with, the console text and the RDTSC input for replay.
 *
 * This host's shape of a step (kvm_pvm, seen in every run): an OUT or an
 * MMIO write exits with RIP already past the instruction and that exit is
 * the whole step; an IN or an MMIO read exits with RIP still at the
 * instruction, and the next KVM_RUN completes it with a DEBUG exit.
 */
#include <linux/kvm.h>

#include "kt.h"

struct want {
	uint64_t rip, exit;
};

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	/* isa-debug-exit with 42 gives status 85 */
	const char *out = kt_record("exits.xtr", 85, "%s --load 0x100000", kt_arg(1));
	struct kt_trace *t = kt_load(out);

	enum { D = KVM_EXIT_DEBUG, I = KVM_EXIT_IO, M = KVM_EXIT_MMIO };
	static const struct want want[] = {
		{ 0x100000, XT_EXIT_NONE },
		{ 0x100007, D }, { 0x10000e, D }, { 0x100011, D }, { 0x100012, D },	/* mov mov add nop */
		{ 0x100016, D }, { 0x100018, D },					/* mov dx, mov al */
		{ 0x100019, I },							/* out 'L' */
		{ 0x10001b, D }, { 0x10001c, I },					/* out '\n' */
		{ 0x100020, D }, { 0x100020, I }, { 0x100021, D },			/* in LSR */
		{ 0x100024, D }, { 0x100028, D }, { 0x100028, I }, { 0x100029, D },	/* in 0x1234 */
		{ 0x10002c, D }, { 0x100031, D },
		{ 0x100037, M },							/* MMIO write */
		{ 0x100037, M }, { 0x10003a, D },					/* MMIO read */
		{ 0x10003c, D },							/* rdtsc */
		{ 0x10003e, D }, { 0x100040, I },					/* out 0xf4 */
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	TEST_EQ_U64(n - 1, t->nsteps, "steps");
	for (size_t i = 0; i < n; i++) {
		const struct kt_step *s = &t->steps[i];
		if (s->regs.rip != want[i].rip || s->exit_reason != want[i].exit) {
			kt_dump(t, 1, t->nsteps);
			TEST_FAIL("step %zu: wanted rip 0x%" PRIx64 " exit %" PRIu64 ", got rip 0x%" PRIx64
				  " exit %" PRIu64, i, want[i].rip, want[i].exit, s->regs.rip, s->exit_reason);
		}
		if (s->exit_reason == KVM_EXIT_DEBUG) {
			TEST_EQ_U64(1, s->debug_exception, "step %zu: #DB", i);
			TEST_EQ_U64(0xffff4ff0, s->dr6, "step %zu: DR6 of a single step (BS)", i);
			TEST_EQ_U64(s->regs.rip, s->pc, "step %zu: pc is RIP, never stale", i);
		}
	}

	const struct kt_step *s = &t->steps[7];
	TEST_ASSERT(s->io_port == 0x3f8 && s->io_dir == KVM_EXIT_IO_OUT && s->io_size == 1 &&
		    s->io_count == 1 && s->io_value == 'L', "step 7: out 'L' to the serial port");
	s = &t->steps[11];
	TEST_ASSERT(s->io_port == 0x3fd && s->io_dir == KVM_EXIT_IO_IN && s->io_size == 1,
		    "step 11: in from LSR");
	TEST_EQ_U64(0x60, s->io_value, "LSR: transmitter empty, as the recorder answered");
	TEST_EQ_U64(0x60, t->steps[13].regs.r8 & 0xff, "the guest got that value");
	s = &t->steps[15];
	TEST_ASSERT(s->io_port == 0x1234 && s->io_size == 4 && s->io_dir == KVM_EXIT_IO_IN,
		    "step 15: in from an unclaimed port");
	TEST_EQ_U64(0xffffffff, s->io_value, "unclaimed ports read all-ones");
	TEST_EQ_U64(0xffffffff, t->steps[17].regs.r9, "the guest got all-ones");
	s = &t->steps[19];
	TEST_ASSERT(s->mmio_addr == 0xd0000000 && s->mmio_write && s->mmio_len == 4 &&
		    s->mmio_value == 0xdeadbeef, "step 19: the MMIO write and its data");
	s = &t->steps[20];
	TEST_ASSERT(s->mmio_addr == 0xd0000004 && !s->mmio_write && s->mmio_len == 4,
		    "step 20: the MMIO read");
	TEST_EQ_U64(0xffffffff, s->mmio_value, "unbacked MMIO reads all-ones (not stale write data)");
	TEST_EQ_U64(0xffffffff, t->steps[21].regs.rcx, "the guest got all-ones");

	TEST_EQ_STR("L\n", t->console, "console text");
	TEST_EQ_U64(2, kt_count_events(t, XT_EV_CONSOLE, -1), "one console event per OUT to THR");
	const struct xt_event *ev = kt_event(t, XT_EV_INPUT, -1, 0);
	TEST_ASSERT(ev, "an input event for RDTSC");
	TEST_EQ_U64(22, ev->step, "at the RDTSC step");
	TEST_EQ_U64(XT_INPUT_RDTSC, ev->input.what, "rdtsc");
	TEST_EQ_U64(2, ev->input.n, "rax and rdx");
	TEST_EQ_U64(t->steps[22].regs.rax, ev->input.v[0].value, "rax as the guest got it");
	TEST_EQ_U64(t->steps[22].regs.rdx, ev->input.v[1].value, "rdx as the guest got it");

	/* the CPUID the guest got names its own APIC ID (0), not the host CPU the recorder ran on */
	const struct xt_cpuid_entry *leaf1 = kt_cpuid(t, 1, 0);
	TEST_ASSERT(leaf1, "CPUID leaf 1 is in the header");
	TEST_EQ_U64(0, leaf1->ebx >> 24, "leaf 1 EBX[31:24]: the vCPU's initial APIC ID");
	const struct xt_cpuid_entry *leafb = kt_cpuid(t, 0xb, 0);
	if (leafb)
		TEST_EQ_U64(0, leafb->edx, "leaf 0xB EDX: the vCPU's x2APIC ID");

	/* dump and info read it back for a person */
	TEST_EQ_U64(0, kt_exitrace("dump %s --from 19 --to 20", out), "dump a range");
	TEST_CONTAINS(kt_out(), "MMIO write 0xd0000000 len=4 data=0xdeadbeef", "dump shows the write");
	TEST_ASSERT(!strstr(kt_out(), "      18  "), "dump starts at --from");
	TEST_EQ_U64(0, kt_exitrace("info %s", out), "info");
	TEST_CONTAINS(kt_out(), "ended debug-exit", "info says how it ended");
	kt_free(t);
	return 0;
}
