// SPDX-License-Identifier: MIT
/*
 * exitrace record -- ./mini_vmm: a VMM of our own, recorded without its
 * knowledge.  Its own output and exit status must be byte-identical to a
 * run without exitrace (the interposer changes nothing it can observe, the
 * stale bytes of its run page included), and the traces must hold every
 * exit it printed, in its order, with the registers, the injections it
 * made, and the exit fields KVM left stale named, exactly those whose
 * value the VMM read was not written by this exit.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt.h"

/* A path in the test's temp dir that stays (kt_tmp() reuses its 16 buffers). */
static const char *tmp(const char *name)
{
	return kt_tmp_kept(name);
}

static char plain[1 << 16];

/* mini_vmm alone (with args, "" for none): its stdout and exit status. */
static int run_plain(const char *vmm, const char *args)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", vmm, args);
	FILE *p = popen(cmd, "r");
	TEST_ASSERT(p, "popen %s", vmm);
	size_t n = fread(plain, 1, sizeof(plain) - 1, p);
	plain[n] = 0;
	int st = pclose(p);
	TEST_ASSERT(WIFEXITED(st), "mini_vmm died: %d", st);
	return WEXITSTATUS(st);
}

/* An exit as mini_vmm printed it. */
struct seen {
	unsigned vcpu, reason, port, value, exception;
	unsigned long long pc, dr6, dr7;
};

/* The exits printed for VM vm ("vm1", "vm2") by vCPU vcpu, in order. */
static size_t exits_seen(const char *vm, unsigned vcpu, struct seen *out, size_t max)
{
	const char *p = strstr(plain, vm);
	TEST_ASSERT(p, "mini_vmm printed no %s:\n%s", vm, plain);
	const char *end = !strcmp(vm, "vm1") ? strstr(plain, "vm2") : NULL;
	size_t n = 0;
	for (; p && *p && (!end || p < end) && n < max; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		struct seen s = { 0 };
		int ret;
		if (sscanf(p, "vcpu%u: KVM_RUN = %d exit %u", &s.vcpu, &ret, &s.reason) != 3 || s.vcpu != vcpu)
			continue;
		const char *q;
		if ((q = strstr(p, "port 0x")) && q < strchr(p, '\n'))
			sscanf(q, "port 0x%x", &s.port);
		if ((q = strstr(p, "value 0x")) && q < strchr(p, '\n'))
			sscanf(q, "value 0x%x", &s.value);
		if ((q = strstr(p, "debug exception")) && q < strchr(p, '\n'))
			sscanf(q, "debug exception %u pc 0x%llx dr6 0x%llx dr7 0x%llx", &s.exception, &s.pc,
			       &s.dr6, &s.dr7);
		out[n++] = s;
	}
	return n;
}

/* The stale note of step, or NULL. */
static const char *stale_note(const struct kt_trace *t, uint64_t step)
{
	for (size_t i = 0; i < t->nevents; i++)
		if (t->events[i].kind == XT_EV_NOTE && t->events[i].step == step &&
		    !strncmp(t->events[i].note.text, "stale: ", 7))
			return t->events[i].note.text;
	return NULL;
}

/* Every exit the VMM printed for vCPU vcpu is a step of that vCPU, in order, with its payload. */
static void check_exits(const struct kt_trace *t, const char *vm, unsigned vcpu)
{
	struct seen s[64];
	size_t n = exits_seen(vm, vcpu, s, 64), k = 0;
	for (uint64_t i = 1; i <= t->nsteps; i++) {
		const struct kt_step *st = &t->steps[i];
		if (st->vcpu != vcpu || st->exit_reason == XT_EXIT_RUN_FAILED)
			continue;	/* a failed KVM_RUN (immediate_exit) is printed otherwise, checked apart */
		TEST_ASSERT(k < n, "%s: step %llu of vCPU %u: the VMM printed only %zu exits", vm,
			    (unsigned long long)i, vcpu, n);
		TEST_EQ_U64(s[k].reason, st->exit_reason, "%s vCPU %u exit %zu: reason", vm, vcpu, k);
		if (st->exit_reason == KVM_EXIT_IO) {
			TEST_EQ_U64(s[k].port, st->io_port, "%s vCPU %u exit %zu: port", vm, vcpu, k);
			TEST_EQ_U64(s[k].value, st->io_value & 0xff, "%s vCPU %u exit %zu: value", vm, vcpu, k);
			TEST_EQ_U64(s[k].value, st->regs.rax & 0xff, "%s vCPU %u exit %zu: AL", vm, vcpu, k);
		}
		if (st->exit_reason == KVM_EXIT_DEBUG) {
			TEST_EQ_U64(s[k].pc, st->pc, "%s exit %zu: debug.arch.pc", vm, k);
			/*
			 * The seed's case: a DEBUG field KVM did not write holds what an
			 * earlier exit left, and the VMM reads that.  KVM writes dr7 as a
			 * DR7 (bit 10 set) whenever it writes it; so the VMM reading no
			 * DR7 there means stale, and the trace must say so.
			 */
			const char *note = stale_note(t, i);
			bool dr7_stale = !(s[k].dr7 & 0x400);
			TEST_EQ_U64(dr7_stale, note && strstr(note, "debug.arch.dr7"),
				    "%s step %llu: dr7 0x%llx as the VMM read it, stale note '%s'", vm,
				    (unsigned long long)i, s[k].dr7, note ? note : "(none)");
			if (s[k].exception == 3)	/* a #BP exit (sw-bp) writes no dr6 */
				TEST_ASSERT(note && strstr(note, "debug.arch.dr6"), "%s step %llu: #BP without stale dr6",
					    vm, (unsigned long long)i);
		}
		k++;
	}
	TEST_EQ_U64(n, k, "%s vCPU %u: every exit the VMM saw is in the trace", vm, vcpu);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *vmm = kt_arg(1);
	int want = run_plain(vmm, "");
	TEST_EQ_U64(3, want, "mini_vmm's own status");

	const char *trace = tmp("t.xtr");
	int rc = kt_exitrace_within(120, "record -o %s -- %s", trace, vmm);
	TEST_EQ_U64(want, rc, "exitrace record passes COMMAND's status on\nstderr: %s", kt_err());
	TEST_EQ_STR(plain, kt_out(), "the VMM's output is byte-identical under exitrace");
	TEST_CONTAINS(kt_err(), "2 traces written", "record says what it wrote");

	/* VM 1: one vCPU, no irqchip: OUT, MMIO, (INT3), HLT, injections by KVM_INTERRUPT and KVM_NMI */
	struct kt_trace *t = kt_load(trace);
	TEST_ASSERT(!t->truncated, "the trace is complete");
	TEST_EQ_U64(1, t->n_vcpus, "vm1: vCPUs");
	TEST_EQ_U64(XT_IRQCHIP_NONE, t->irqchip, "vm1: irqchip");
	TEST_EQ_U64(XT_MODE_REAL, t->cpu_mode, "vm1: real mode as the VMM set it");
	TEST_EQ_U64(0x1000, t->initial.regs.rip, "vm1: the initial RIP the VMM set");
	TEST_EQ_U64(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, t->guest_debug, "vm1: the VMM's guest debug");
	check_exits(t, "vm1", 0);
	TEST_EQ_U64(XT_EXIT_RUN_FAILED, t->steps[1].exit_reason, "vm1: the immediate_exit KVM_RUN is a step");
	TEST_EQ_U64(EINTR, t->steps[1].run_errno, "vm1: failed with EINTR, as the VMM saw it");
	TEST_EQ_U64(2, kt_step_io_out_value(t, 0x80, 0x42, 1), "vm1: the first exit is OUT 0x80, 0x42");
	uint64_t mmio = kt_step_with_exit(t, KVM_EXIT_MMIO, 1);
	TEST_ASSERT(mmio, "vm1: an MMIO exit");
	TEST_EQ_U64(0x20000, t->steps[mmio].mmio_addr, "vm1: MMIO address");
	TEST_EQ_U64(0x2000, t->steps[mmio].regs.rbx, "vm1: RBX at the MMIO exit");
	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_INJECT, 0x31), "vm1: KVM_INTERRUPT 0x31");
	TEST_EQ_U64(1, kt_count_events(t, XT_EV_IRQ_INJECT, 2), "vm1: KVM_NMI");
	const struct xt_event *irq = kt_event(t, XT_EV_IRQ_INJECT, 0x31, 0);
	TEST_EQ_U64(XT_INJECT_INTERRUPT, irq->inject.method, "vm1: by KVM_INTERRUPT");
	uint64_t hlt = kt_step_with_exit(t, KVM_EXIT_HLT, 1);
	TEST_EQ_U64(hlt + 1, irq->step, "vm1: the injection precedes the step after the first HLT");
	TEST_EQ_U64(0x31, t->steps[irq->step].io_value & 0xff, "vm1: which runs the handler of 0x31");
	/* the recorder's arrival detection, on the VMM's memory */
	const struct xt_event *taken = kt_event(t, XT_EV_IRQ_TAKEN, 0x31, 0);
	TEST_ASSERT(taken, "vm1: the interrupt 0x31 is seen taken");
	TEST_EQ_U64(irq->step, taken->step, "vm1: taken in the step it was injected before");
	TEST_EQ_U64(0x1120, taken->taken.handler, "vm1: through the IVT entry the VMM wrote");
	TEST_ASSERT(kt_event(t, XT_EV_IRQ_TAKEN, 2, 0), "vm1: the NMI is seen taken");
	bool late = false;
	for (size_t i = 0; i < kt_count_events(t, XT_EV_NOTE, -1); i++)
		late |= strstr(kt_event(t, XT_EV_NOTE, -1, i)->note.text, "APIC ID 1 was created after") != NULL;
	TEST_ASSERT(late, "vm1: the vCPU made after the trace began is named as not recorded");
	kt_free(t);

	/* VM 2: two vCPUs on two threads, single-step over STI with an MSI pending */
	t = kt_load(tmp("t.xtr.1"));
	TEST_EQ_U64(2, t->n_vcpus, "vm2: vCPUs");
	TEST_EQ_U64(XT_IRQCHIP_KERNEL, t->irqchip, "vm2: irqchip");
	check_exits(t, "vm2", 0);
	check_exits(t, "vm2", 1);
	const struct xt_event *msi = kt_event(t, XT_EV_IRQ_INJECT, 0x30, 0);
	TEST_ASSERT(msi, "vm2: the MSI is an event");
	TEST_EQ_U64(XT_INJECT_MSI, msi->inject.method, "vm2: by KVM_SIGNAL_MSI");
	TEST_EQ_U64(1, msi->inject.result, "vm2: delivered to one vCPU");
	TEST_EQ_U64(0, msi->vcpu, "vm2: to vCPU 0 (APIC ID 0)");
	TEST_EQ_U64(KVM_EXIT_DEBUG, t->steps[msi->step].exit_reason, "vm2: before the first single-step");
	uint64_t sti = kt_step_with_exit(t, KVM_EXIT_DEBUG, 1);
	TEST_EQ_U64(0x1005, t->steps[sti].regs.rip, "vm2: the step over STI");
	TEST_ASSERT(t->steps[sti].shadow, "vm2: STI's interrupt shadow");
	uint64_t handler = kt_step_io_out_value(t, 0x82, 0x30, 1);
	TEST_ASSERT(handler, "vm2: the handler of 0x30 ran");
	TEST_EQ_U64(KVM_EXIT_IO, t->steps[handler].exit_reason, "vm2: handler exit");
	const struct xt_event *taken2 = kt_event(t, XT_EV_IRQ_TAKEN, 0x30, 0);
	TEST_ASSERT(taken2, "vm2: the MSI is seen taken");
	TEST_EQ_U64(handler, taken2->step, "vm2: in the step that ran its handler");
	TEST_EQ_U64(0x1009, taken2->taken.rip_before, "vm2: after the single-stepped NOPs, not before");
	size_t notes = kt_count_events(t, XT_EV_NOTE, -1), lapic = 0;
	for (size_t i = 0; i < notes; i++)
		lapic += strstr(kt_event(t, XT_EV_NOTE, -1, i)->note.text, "the VMM: KVM_SET_LAPIC") != NULL;
	TEST_EQ_U64(1, lapic, "vm2: the VMM's KVM_SET_LAPIC is a note");
	bool any_stale = false;
	for (uint64_t i = 1; i <= t->nsteps; i++)
		any_stale |= stale_note(t, i) != NULL;
	kt_free(t);

	/* the tools read attached traces */
	TEST_EQ_U64(0, kt_exitrace("info %s", trace), "info: %s", kt_err());
	TEST_CONTAINS(kt_out(), "attach", "info names the loader");
	TEST_EQ_U64(0, kt_exitrace("stat %s", tmp("t.xtr.1")), "stat: %s", kt_err());
	TEST_EQ_U64(0, kt_exitrace("dump %s", tmp("t.xtr.1")), "dump: %s", kt_err());
	TEST_CONTAINS(kt_out(), "irq-inject vector=0x30 via msi", "dump shows the MSI");
	if (any_stale)
		TEST_CONTAINS(kt_out(), "stale: debug.arch.", "dump names stale fields");
	/* replay goes as far as the trace holds what the VMM did (test_attach_replay.c: all the way) */
	TEST_EQ_U64(2, kt_exitrace("replay %s", trace), "replay of vm1 stops");
	TEST_CONTAINS(kt_err(), "replay stops at step 7: before this step the VMM called KVM_CREATE_VCPU",
		      "vm1: at the late vCPU, after 6 identical steps");
	TEST_EQ_U64(2, kt_exitrace("replay %s", tmp("t.xtr.1")), "replay of vm2 refuses");
	TEST_CONTAINS(kt_err(), "cannot be replayed: the VMM set up what the trace does not hold: KVM_SET_MP_STATE",
		      "vm2: names what it lacks");

	/* without stale naming the VMM sees the same too; --quiet prints nothing of ours */
	rc = kt_exitrace_within(120, "record --no-stale --quiet -o %s -- %s", tmp("n.xtr"), vmm);
	TEST_EQ_U64(want, rc, "--no-stale: status");
	TEST_EQ_STR(plain, kt_out(), "--no-stale: the VMM's output");
	TEST_EQ_STR("", kt_err(), "--quiet");

	/* --no-borrow-sync-regs: the same output, and the same trace of the one-vCPU VM (two threads may interleave otherwise) */
	rc = kt_exitrace_within(120, "record --no-borrow-sync-regs -q -o %s -- %s", tmp("b.xtr"), vmm);
	TEST_EQ_U64(want, rc, "--no-borrow-sync-regs: status");
	TEST_EQ_STR(plain, kt_out(), "--no-borrow-sync-regs: the VMM's output");
	TEST_EQ_U64(0, kt_exitrace("diff %s %s", trace, tmp("b.xtr")),
		    "the borrowed sync regs capture what the ioctls capture:\n%s", kt_out());

	/* --step: the VMM's own run untouched, its vCPUs without guest debug single-stepped */
	rc = kt_exitrace_within(120, "record --step -q -o %s -- %s", tmp("s.xtr"), vmm);
	TEST_EQ_U64(want, rc, "--step: status");
	TEST_EQ_STR(plain, kt_out(), "--step: the VMM's output, the DEBUG exits it did not ask for hidden");
	t = kt_load(tmp("s.xtr.1"));
	TEST_EQ_U64(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, t->guest_debug, "--step: ours in force at the start");
	TEST_ASSERT(kt_step_at_rip(t, 0x1202, 1), "--step: vCPU 1 stepped (MOV before its first OUT)");
	kt_free(t);
	t = kt_load(tmp("s.xtr"));
	struct kt_trace *unstepped = kt_load(trace);
	TEST_EQ_U64(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, t->guest_debug, "--step: the VMM's own wins in vm1");
	TEST_EQ_U64(unstepped->nsteps, t->nsteps, "--step: vm1 runs as the VMM says, not stepped");
	kt_free(unstepped);
	kt_free(t);
	int io_want = run_plain(vmm, "io 5");
	static char io_plain[sizeof(plain)];
	memcpy(io_plain, plain, sizeof(plain));
	rc = kt_exitrace_within(120, "record --step --block-irq -q -o %s -- %s io 5", tmp("io.xtr"), vmm);
	TEST_EQ_U64(io_want, rc, "--step io: status");
	TEST_EQ_STR(io_plain, kt_out(), "--step io: the VMM saw its 6 exits only");
	t = kt_load(tmp("io.xtr"));
	size_t outs = 0, debugs = 0;
	for (uint64_t i = 1; i <= t->nsteps; i++) {
		outs += t->steps[i].exit_reason == KVM_EXIT_IO;
		debugs += t->steps[i].exit_reason == KVM_EXIT_DEBUG;
	}
	TEST_EQ_U64(6, outs, "--step io: every OUT");
	TEST_ASSERT(debugs >= 10, "--step io: the DEC and JNZ of each round stepped (%zu DEBUG steps)", debugs);
	TEST_ASSERT(kt_step_at_rip(t, 0x100a, 1), "--step io: a step ends after DEC");
	kt_free(t);
	/* --step-at-port 0x80: no step before the guest's first OUT to 0x80, every instruction after */
	rc = kt_exitrace_within(120, "record --step-at-port 0x80 -q -o %s -- %s io 5", tmp("ap.xtr"), vmm);
	TEST_EQ_U64(io_want, rc, "--step-at-port: status");
	TEST_EQ_STR(io_plain, kt_out(), "--step-at-port: the VMM's output");
	t = kt_load(tmp("ap.xtr"));
	TEST_EQ_U64(KVM_EXIT_IO, t->steps[1].exit_reason, "--step-at-port: the first step is the OUT, unstepped");
	TEST_EQ_U64(KVM_EXIT_DEBUG, t->steps[2].exit_reason, "--step-at-port: stepping from there");
	kt_free(t);
	TEST_EQ_U64(2, kt_exitrace("record --step-at-port 0x10000 -o %s -- %s", tmp("x.xtr"), vmm),
		    "--step-at-port: a port is 16 bits");
	run_plain(vmm, "");	/* plain[] back to the full run's output */

	/* initial memory above --memory-limit is not stored, and info says so */
	rc = kt_exitrace_within(120, "record -q --memory-limit 4096 -o %s -- %s vm1", tmp("m.xtr"), vmm);
	TEST_EQ_U64(want, rc, "--memory-limit: status");
	TEST_EQ_U64(0, kt_exitrace("info %s", tmp("m.xtr")), "info");
	TEST_CONTAINS(kt_out(), "attach:    memory: hash: 65536 bytes in 1 slot, above the limit of 4096",
		      "info names the limit");
	TEST_CONTAINS(kt_out(), "attach:    replay: no: the initial memory is not in the trace", "info: why not replay");
	TEST_EQ_U64(0, kt_exitrace("info %s", trace), "info");
	TEST_CONTAINS(kt_out(), "attach:    memory: full: 1 slot, 65536 bytes", "info: the memory stored");
	TEST_CONTAINS(kt_out(), "attach:    slots: 0x0+0x10000\n", "info: the VMM's slot");

	/* a static COMMAND is refused: LD_PRELOAD cannot reach it */
	if (access("/sbin/ldconfig", X_OK) == 0) {
		rc = kt_exitrace("record -o %s -- /sbin/ldconfig -p", tmp("s.xtr"));
		if (strstr(kt_err(), "statically linked"))
			TEST_EQ_U64(2, rc, "a static COMMAND: status 2");
	}
	TEST_EQ_U64(2, kt_exitrace("record -o %s --", trace), "-- without COMMAND");

	/* a VMM killed by a signal: its status as a shell gives it, and the trace reads (truncated) */
	rc = kt_exitrace_within(60, "record -o %s -- %s killed", tmp("k.xtr"), vmm);
	TEST_EQ_U64(128 + SIGKILL, rc, "a killed COMMAND: 128 + signal");
	TEST_CONTAINS(kt_err(), "killed by signal 9", "record says so");
	t = kt_load(tmp("k.xtr"));
	TEST_ASSERT(t->truncated, "the killed VMM's trace has no footer");
	kt_free(t);
	printf("ok\n");
	return 0;
}
