// SPDX-License-Identifier: MIT
/*
 * replay and check hold the footer against the data: a recording whose
 * last frame (or every data frame) was dropped and its footer rewritten,
 * or whose footer claims fewer steps than it holds, is not a pass (exit
 * 2, naming the disagreement), however identically its steps replay; a
 * keyframe edited with its checksum recomputed stops the replay at its
 * offset.  The same recording reassembled unchanged passes.
 *
 * Guest: spin (tests/kvm/guests), 30000 steps: a few data frames.
 */
#include "forge.h"
#include "kt_edit.h"

#define STEPS 30000
#define MAX_FRAMES 64

static void fails(const char *cmd, const char *path, const char *words)
{
	int status = kt_exitrace("%s %s", cmd, path);
	TEST_EQ_U64(2, status, "%s %s: stdout: %s\nstderr: %s", cmd, path, kt_out(), kt_err());
	TEST_ASSERT(strstr(kt_out(), words) || strstr(kt_err(), words), "%s %s names '%s': %s%s", cmd,
		    path, words, kt_out(), kt_err());
	printf("ok: %s %s: %s%s", cmd, strrchr(path, '/') + 1, kt_out(), kt_err());
}

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *recorded = kt_record("spin.xtr", 0, "%s --load 0x100000 --max-steps %d", kt_arg(1), STEPS);
	/* frames of 5000 steps, whatever this machine's speed made of the 100 ms frames */
	char rec[600];
	snprintf(rec, sizeof(rec), "%s", kt_tmp("spin-frames.xtr"));
	struct xt_writer_options wo = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 5000 };
	kt_rewrite(recorded, rec, &wo, NULL, NULL);
	struct fg_trace t;
	fg_split(&t, rec);
	TEST_ASSERT(t.n >= 3 && t.n <= MAX_FRAMES, "a few data frames (%zu)", t.n);
	size_t all[MAX_FRAMES];
	for (size_t i = 0; i < t.n; i++)
		all[i] = i;
	char path[4096], want[128];
	uint64_t last_first = t.footer.index[t.n - 1].first_step, second = t.footer.index[1].first_step;
	struct xt_footer f = t.footer;

	snprintf(path, sizeof(path), "%s", kt_tmp("same.xtr"));
	fg_write(&t, path, all, t.n, &f, true, NULL);
	TEST_EQ_U64(0, kt_exitrace("check %s", path), "check of the reassembled trace: %s%s", kt_out(), kt_err());
	TEST_CONTAINS(kt_out(), "30000 steps identical", "check");

	f = t.footer;
	snprintf(path, sizeof(path), "%s", kt_tmp("no-last.xtr"));
	fg_write(&t, path, all, t.n - 1, &f, true, NULL);
	snprintf(want, sizeof(want), "the footer says 30000 steps, the data holds %llu",
		 (unsigned long long)last_first);
	fails("check", path, want);
	fails("replay", path, want);

	f = t.footer;
	snprintf(path, sizeof(path), "%s", kt_tmp("no-data.xtr"));
	fg_write(&t, path, all, 0, &f, true, NULL);
	fails("check", path, "the footer says 30000 steps, the data holds 0");

	f = t.footer;
	f.steps = 5;
	uint64_t at[MAX_FRAMES];
	fg_write(&t, path, all, t.n, &f, true, at);
	struct xt_frame_index one = { at[0], 0, 5 };
	f.index = &one;
	f.n_index = 1;
	snprintf(path, sizeof(path), "%s", kt_tmp("claims-5.xtr"));
	fg_write(&t, path, all, t.n, &f, false, NULL);
	fails("replay", path, "inconsistent trace");
	TEST_ASSERT(!strstr(kt_out(), "of 5 steps"), "replay does not count against the footer's 5: %s", kt_out());

	struct fg_trace e;
	fg_split(&e, rec);
	fg_edit_keyframe(&e, 1, XT_F_RAX);
	f = e.footer;
	snprintf(path, sizeof(path), "%s", kt_tmp("keyframe.xtr"));
	fg_write(&e, path, all, e.n, &f, true, at);
	fg_free(&e);
	snprintf(want, sizeof(want), "keyframe at offset %llu (step %llu)", (unsigned long long)at[1],
		 (unsigned long long)second);
	fails("replay", path, want);
	fails("check", path, want);

	fg_free(&t);
	return 0;
}
