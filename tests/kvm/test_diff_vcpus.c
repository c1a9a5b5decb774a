/* SPDX-License-Identifier: MIT */
/*
 * exitrace diff on real recordings of two vCPUs (the built-in scenarios
 * ipi and ipi-hlt, stepped in lock-step):
 * - the same scenario recorded twice is identical, per vCPU and in the
 *   global order (exit 0);
 * - ipi against ipi --block-irq: vCPU 1 takes IRQ 0xf0 in A only, and the
 *   diff says so in vCPU 1's section, at vCPU 1's own step, and in the
 *   global order ("vCPU 1 took IPI 0xf0 at its step N in A, not in B");
 * - --vcpu 0 shows nothing of vCPU 1; --vcpu 2 is a usage error;
 * - --json has a section per vCPU and the global order.
 */
#include "kt.h"

#define IPI_VECTOR 0xf0

static void identical(const char *scenario, const char *a)
{
	char file[64];
	snprintf(file, sizeof(file), "%s-again.xtr", scenario);
	struct kt_trace *t = kt_record_scenario(scenario, file, "", 3);
	int status = kt_exitrace("diff %s %s", a, t->path);
	TEST_EQ_U64(0, status, "%s recorded twice: exit 0; out: %s err: %s", scenario, kt_out(), kt_err());
	TEST_CONTAINS(kt_out(), "vCPU 0: identical", "vCPU 0 has its section");
	TEST_CONTAINS(kt_out(), "vCPU 1: identical", "vCPU 1 has its section");
	TEST_CONTAINS(kt_out(), "identical: ", "says so");
	TEST_CONTAINS(kt_out(), "on 2 vCPUs", "for both vCPUs");
	TEST_ASSERT(!strstr(kt_out(), "divergence"), "and shows no hunk: %s", kt_out());
	TEST_ASSERT(!strstr(kt_out(), "took IPI"), "nor a global-order note: %s", kt_out());
	kt_free(t);
}

/* vCPU 1's own step at which it took vector in t (0: none). */
static uint64_t own_step_of_irq(const struct kt_trace *t, unsigned vector)
{
	if (!kt_count_events(t, XT_EV_IRQ_TAKEN, (int)vector))
		return 0;
	const struct xt_event *ev = kt_event(t, XT_EV_IRQ_TAKEN, (int)vector, 0);
	TEST_EQ_U64(1, ev->vcpu, "IRQ 0x%x is vCPU 1's", vector);
	TEST_EQ_U64(1, t->steps[ev->step].vcpu, "taken at a step of vCPU 1");
	return t->steps[ev->step].vcpu_step;
}

static void blocked(const struct kt_trace *ta)
{
	struct kt_trace *tb = kt_record_scenario("ipi", "blocked.xtr", "--block-irq", 1);
	uint64_t own = own_step_of_irq(ta, IPI_VECTOR);
	TEST_ASSERT(own > 0, "A: vCPU 1 takes the IPI");
	TEST_EQ_U64(0, own_step_of_irq(tb, IPI_VECTOR), "B (BLOCKIRQ) never does");

	int status = kt_exitrace("diff %s %s", ta->path, tb->path);
	TEST_EQ_U64(1, status, "different: exit 1; err: %s", kt_err());
	const char *out = kt_out();
	char want[160];
	snprintf(want, sizeof(want), "vCPU 1: first divergence at its step %" PRIu64, own);
	TEST_CONTAINS(out, want, "vCPU 1's first hunk is at its own step of the IRQ");
	snprintf(want, sizeof(want), "A: IRQ 0x%x delivered (its step %" PRIu64 " -> handler", IPI_VECTOR, own);
	TEST_CONTAINS(out, want, "named as delivered in A");
	TEST_CONTAINS(out, "B: no IRQ", "and not in B");
	snprintf(want, sizeof(want), "vCPU 1 took IPI 0x%x at its step %" PRIu64 " in A, not in B", IPI_VECTOR, own);
	TEST_CONTAINS(out, want, "the global order names the IPI");
	snprintf(want, sizeof(want), "v1#%" PRIu64, own);
	TEST_CONTAINS(out, want, "step lines carry vCPU 1's own step");

	/* --vcpu 0: vCPU 0's section alone */
	status = kt_exitrace("diff --vcpu 0 %s %s", ta->path, tb->path);
	TEST_EQ_U64(1, status, "vCPU 0 differs too (the guest reports what vCPU 1 did); err: %s", kt_err());
	out = kt_out();
	TEST_CONTAINS(out, "vCPU 0:", "vCPU 0 is shown");
	TEST_ASSERT(!strstr(out, "vCPU 1") && !strstr(out, "v1#"), "and nothing of vCPU 1: %s", out);

	status = kt_exitrace("diff --vcpu 1 %s %s", ta->path, tb->path);
	TEST_EQ_U64(1, status, "--vcpu 1: different; err: %s", kt_err());
	TEST_ASSERT(!strstr(kt_out(), "vCPU 0") && !strstr(kt_out(), "v0#"), "nothing of vCPU 0: %s", kt_out());
	TEST_CONTAINS(kt_out(), "vCPU 1 took IPI", "the global order of vCPU 1");

	status = kt_exitrace("diff --vcpu 2 %s %s", ta->path, tb->path);
	TEST_EQ_U64(2, status, "--vcpu 2 of two vCPUs: a usage error");
	TEST_CONTAINS(kt_err(), "2 vCPUs", "saying how many there are");

	/* --json: {"vcpus":[{"vcpu":0,"hunks":[...],"summary":{...}},...],"order":[...],"summary":{...}} */
	status = kt_exitrace("diff --json %s %s", ta->path, tb->path);
	TEST_EQ_U64(1, status, "--json: different; err: %s", kt_err());
	out = kt_out();
	TEST_CONTAINS(out, "\"vcpus\":[{\"vcpu\":0,\"hunks\":[", "a section per vCPU, vCPU 0 first");
	TEST_CONTAINS(out, ",{\"vcpu\":1,\"hunks\":[{", "then vCPU 1, with a hunk");
	TEST_CONTAINS(out, "\"kind\":\"irq-one-side\",\"side\":\"A\",\"vector\":240", "its cause");
	snprintf(want, sizeof(want), "{\"kind\":\"ipi\",\"vcpu\":1,\"vector\":240,\"a_step\":%" PRIu64 ",\"b_step\":null}",
		 own);
	TEST_CONTAINS(out, want, "the global order");
	TEST_CONTAINS(out, "\"summary\":{\"identical\":false", "and the summary");
	TEST_ASSERT(!strstr(out, "\"hunks\":[{\"index\"") || strstr(out, "\"vcpu\":1,\"a_global\""),
		    "hunks name their vCPU: %s", out);
	kt_free(tb);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *ipi = kt_record_scenario("ipi", "ipi.xtr", "", 3);
	TEST_EQ_U64(2, ipi->n_vcpus, "two vCPUs");
	identical("ipi", ipi->path);
	blocked(ipi);
	struct kt_trace *hlt = kt_record_scenario("ipi-hlt", "ipi-hlt.xtr", "", 3);
	identical("ipi-hlt", hlt->path);
	kt_free(hlt);
	kt_free(ipi);
	return 0;
}
