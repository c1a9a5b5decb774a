// SPDX-License-Identifier: MIT
/*
 * replay holds guest memory, and no more than the trace really gives it:
 * a recording whose header declares another 500 MiB memory region replays
 * in at most 64 MiB + 2 x what it must hold (nothing of a region of zeros,
 * whose pages stay untouched; all 500 MiB of a region of other bytes), as
 * the child's peak RSS says.  The region's bytes reach the guest: a
 * replay with -o writes them into its own trace, which reads them back.
 *
 * Guest: spin (tests/kvm/guests).
 */
#include "forge.h"
#include "kt.h"

#define MiB (1u << 20)
#define BIG (500ull * MiB)
#define GPA 0x10000000ull

/* replay of trace (-o out unless out is NULL) within DESIGN's bound for holding hold bytes */
static void replay_within(const char *trace, uint64_t hold, const char *out)
{
	const char *args[] = { "replay", "-q", trace, out ? "-o" : NULL, out, NULL };
	char what[600];
	snprintf(what, sizeof(what), "replay %s", strrchr(trace, '/') + 1);
	fg_run_within(kt_exitrace_path(), args, 0, fg_rss_limit(hold), what);
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *rec = kt_record("spin.xtr", 0, "%s --load 0x100000 --max-steps 3000", kt_arg(1));
	char zeros[4096], bytes[4096], out[4096];
	snprintf(zeros, sizeof(zeros), "%s", kt_tmp("big-zeros.xtr"));
	snprintf(bytes, sizeof(bytes), "%s", kt_tmp("big-a5.xtr"));
	snprintf(out, sizeof(out), "%s", kt_tmp("replayed.xtr"));
	fg_copy_with_region(rec, zeros, GPA, BIG, 0);
	fg_copy_with_region(rec, bytes, GPA, BIG, 0xa5);
	replay_within(zeros, 0, NULL);
	replay_within(bytes, BIG, out);

	/* the replay's own trace holds the region's bytes as the guest got them */
	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_ASSERT(xt_reader_open(&r, out, &err) == 0, "open %s: %s", out, err.msg);
	const struct xt_vm_config *vm = &xt_reader_header(r)->vm;
	const struct xt_mem_region *m = &vm->memory[vm->n_memory - 1];
	TEST_ASSERT(m->gpa == GPA && m->size == BIG, "the region is in the replay's trace");
	struct xt_reader *o;
	TEST_ASSERT(xt_reader_open(&o, bytes, &err) == 0, "open %s: %s", bytes, err.msg);
	const struct xt_vm_config *ovm = &xt_reader_header(o)->vm;
	TEST_EQ_U64(ovm->memory_digests[ovm->n_memory - 1], vm->memory_digests[vm->n_memory - 1],
		    "the same bytes (by digest)");
	xt_reader_close(o);
	xt_reader_close(r);
	return 0;
}
