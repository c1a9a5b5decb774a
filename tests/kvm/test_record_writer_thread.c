// SPDX-License-Identifier: MIT
/*
 * By default the recorder hands steps to a writer thread; --one-thread
 * writes them between steps.  Both must give the same trace of a
 * deterministic guest: every step, exit payload and event, console output
 * included.  The long runs go round the thread's ring many times.  (Guests
 * that read RDTSC differ between any two runs; scenario-replay replays
 * those, recorded with the thread.)
 */
#include <stdlib.h>
#include <string.h>

#include "kt.h"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	TEST_ASSERT(f, "open %s", path);
	char *buf = malloc(1 << 20);
	TEST_ASSERT(buf, "memory");
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void same_both_ways(const char *name, int status, const char *args)
{
	char a[64], b[64];
	snprintf(a, sizeof(a), "%s-thread.xtr", name);
	snprintf(b, sizeof(b), "%s-one.xtr", name);
	char pa[4096], pb[4096];
	snprintf(pa, sizeof(pa), "%s", kt_record(a, status, "%s", args));
	snprintf(pb, sizeof(pb), "%s", kt_record(b, status, "%s --one-thread", args));
	/* the summary says what exitrace took of a step, sampled every 64th step */
	const char *own = strstr(kt_err(), " ns of each in exitrace");
	TEST_ASSERT(own, "%s: the summary has exitrace's own time: %s", name, kt_err());
	while (own > kt_err() && own[-1] >= '0' && own[-1] <= '9')
		own--;
	TEST_ASSERT(atol(own) > 0 && atol(own) < 1000000, "%s: %ld ns of each step in exitrace", name, atol(own));
	struct kt_trace *ta = kt_load(pa), *tb = kt_load(pb);
	TEST_ASSERT(!ta->truncated && !tb->truncated, "%s: both traces complete", name);
	TEST_EQ_U64(ta->nsteps, tb->nsteps, "%s: steps", name);
	for (uint32_t kind = 1; kind < XT_EV_KIND_LIMIT; kind++)
		TEST_EQ_U64(kt_count_events(ta, kind, -1), kt_count_events(tb, kind, -1), "%s: %s events", name,
			    xt_event_kind_name(kind));
	TEST_EQ_U64(0, kt_exitrace("diff %s %s", pa, pb), "%s: diff says identical: %s%s", name, kt_out(), kt_err());
	TEST_CONTAINS(kt_out(), "identical", "%s: diff", name);
	/* what the guest printed, as --console saved it */
	char ca[4200], cb[4200];
	snprintf(ca, sizeof(ca), "%s.console", pa);
	snprintf(cb, sizeof(cb), "%s.console", pb);
	size_t na, nb;
	char *xa = read_all(ca, &na), *xb = read_all(cb, &nb);
	TEST_ASSERT(na == nb && !memcmp(xa, xb, na), "%s: the same console output (%zu, %zu bytes)", name, na, nb);
	free(xa);
	free(xb);
	kt_free(ta);
	kt_free(tb);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	same_both_ways("sti-irq", 3, "--scenario sti-irq");
	same_both_ways("exceptions", 1, "--scenario exceptions");
	same_both_ways("sti-irq-noidt", 0, "--scenario sti-irq-noidt");
	char args[4096];
	snprintf(args, sizeof(args), "%s --load 0x100000 --max-steps 40000", kt_arg(1));
	same_both_ways("memio", 0, args);
	snprintf(args, sizeof(args), "%s --load 0x100000 --max-steps 60000", kt_arg(2));
	same_both_ways("spin", 0, args);
	return 0;
}
