// SPDX-License-Identifier: MIT
/*
 * The footer and the keyframes are claims about the data; the reader holds
 * them against it.  Each case forges a written trace the way an edit or a
 * lost frame would (checksums right): a footer that lists a frame the data
 * lacks, one over no data frames at all, one claiming fewer steps than
 * the data, a wrong exit histogram, event count or final state, and a
 * keyframe that disagrees with the steps before it.  The data wins and
 * the reader says the footer is inconsistent; a bad keyframe is an error
 * naming its offset.  With the exitrace binary (argv[1]) the commands are
 * checked too: dump and diff read on and warn, info --verify fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "forge.h"
#include "test_util.h"

#define STEPS 100
#define PER_FRAME 10
#define CAPTURE XT_CAPTURE_DEFAULT

static const char *exe;
static char dir[] = "/tmp/xt-consistency-XXXXXX";

static void write_trace(const char *path)
{
	struct fx_header fh;
	fx_header_init(&fh, CAPTURE);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = PER_FRAME };
	TEST_ASSERT(xt_writer_open(&w, path, &fh.h, &opts, &err) == 0, "open: %s", err.msg);
	struct fx_rng rng = { 11 };
	struct xt_state s = fh.initial;
	for (uint64_t i = 1; i <= STEPS; i++) {
		fx_step(&rng, &s, i, CAPTURE, true);
		TEST_ASSERT(xt_writer_step(w, &s) == 0, "step");
		if (i % 7 == 0) {
			struct xt_event ev;
			struct fx_event_storage st;
			fx_event(&rng, XT_EV_CONSOLE, i, &ev, &st);
			TEST_ASSERT(xt_writer_event(w, &ev) == 0, "event");
		}
	}
	struct xt_footer foot = { .end_reason = XT_END_MAX_STEPS };
	TEST_ASSERT(xt_writer_close(w, &foot, &err) == 0, "close: %s", err.msg);
}

/* Read every record; the step count the data holds, the inconsistency (or "") in msg. */
static uint64_t read_all(const char *path, char *msg, size_t size)
{
	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_ASSERT(xt_reader_open(&r, path, &err) == 0, "open %s: %s", path, err.msg);
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t steps = 0;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0)
		if (rec.type == XT_REC_STEP)
			steps = rec.step;
	TEST_ASSERT(rc == 0, "%s reads: %s", path, xt_reader_error(r)->msg);
	const struct xt_error *inc = xt_reader_inconsistency(r);
	snprintf(msg, size, "%s", inc ? inc->msg : "");
	/* verify reads everything again, from the frames alone, and must agree */
	uint64_t verified = UINT64_MAX;
	TEST_EQ_U64(0, xt_reader_verify(r, &verified), "%s: verify: %s", path, xt_reader_error(r)->msg);
	TEST_EQ_U64(steps, verified, "%s: verify counts what reading found", path);
	TEST_EQ_U64(inc != NULL, xt_reader_inconsistency(r) != NULL, "%s: verify agrees", path);
	xt_reader_close(r);
	return steps;
}

static void expect_inconsistent(const char *path, uint64_t steps, const char *words)
{
	char msg[512];
	TEST_EQ_U64(steps, read_all(path, msg, sizeof(msg)), "%s: the data's steps", path);
	TEST_ASSERT(strstr(msg, "inconsistent trace") && strstr(msg, words),
		    "%s: wanted an inconsistency naming '%s', got '%s'", path, words, msg);
	printf("ok: %s: %s\n", strrchr(path, '/') + 1, msg);
}

/* Run exitrace with args; its exit status, its stdout and stderr in out (both cut to size). */
static int run(char *out, size_t size, const char *args)
{
	char cmd[1024], file[64];
	snprintf(file, sizeof(file), "%s/out.txt", dir);
	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>&1", exe, args, file);
	int st = system(cmd);
	FILE *f = fopen(file, "r");
	size_t n = f ? fread(out, 1, size - 1, f) : 0;
	out[n] = 0;
	if (f)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(int argc, char **argv)
{
	exe = argc > 1 ? argv[1] : NULL;
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	char orig[128], p[128], out[16384], args[512];
	snprintf(orig, sizeof(orig), "%s/orig.xtr", dir);
	write_trace(orig);
	struct fg_trace t;
	fg_split(&t, orig);
	TEST_EQ_U64(STEPS / PER_FRAME, t.n, "frames");
	size_t all[STEPS / PER_FRAME];
	for (size_t i = 0; i < t.n; i++)
		all[i] = i;

	/* the forger itself: the same frames and footer read back consistent */
	struct xt_footer f = t.footer;
	snprintf(p, sizeof(p), "%s/same.xtr", dir);
	fg_write(&t, p, all, t.n, &f, true, NULL);
	char msg[512];
	TEST_EQ_U64(STEPS, read_all(p, msg, sizeof(msg)), "steps of the reassembled trace");
	TEST_ASSERT(!msg[0], "the reassembled trace is consistent, not '%s'", msg);

	/* the last frame lost, the footer (steps, histogram) left as it was: the index without it */
	f = t.footer;
	snprintf(p, sizeof(p), "%s/no-last.xtr", dir);
	fg_write(&t, p, all, t.n - 1, &f, true, NULL);
	expect_inconsistent(p, STEPS - PER_FRAME, "footer says 100 steps, the data holds 90");
	char no_last[128];
	snprintf(no_last, sizeof(no_last), "%s", p);

	/* every data frame lost */
	f = t.footer;
	snprintf(p, sizeof(p), "%s/no-data.xtr", dir);
	fg_write(&t, p, all, 0, &f, true, NULL);
	expect_inconsistent(p, 0, "footer says 100 steps, the data holds 0");

	/* the last frame lost, its index entry kept (it now points at the footer frame) */
	f = t.footer;
	struct xt_frame_index ix[STEPS / PER_FRAME];
	uint64_t at[STEPS / PER_FRAME];
	snprintf(p, sizeof(p), "%s/stale-index.xtr", dir);
	fg_write(&t, p, all, t.n - 1, &f, true, at);
	/* (written twice: the offsets of the first pass place the stale entry) */
	memcpy(ix, t.footer.index, sizeof(ix));
	for (size_t i = 0; i + 1 < t.n; i++)
		ix[i].offset = at[i];
	ix[t.n - 1].offset = at[t.n - 2] + 1;
	f.index = ix;
	f.n_index = t.n;
	fg_write(&t, p, all, t.n - 1, &f, false, NULL);
	expect_inconsistent(p, STEPS - PER_FRAME, "the data holds 90");

	/* a footer claiming 5 steps in one frame over all ten frames */
	f = t.footer;
	f.steps = 5;
	struct xt_frame_index one = { 0, 0, 5 };
	fg_write(&t, p, all, t.n, &f, true, at);
	one.offset = at[0];
	f.index = &one;
	f.n_index = 1;
	snprintf(p, sizeof(p), "%s/claims-5.xtr", dir);
	fg_write(&t, p, all, t.n, &f, false, NULL);
	expect_inconsistent(p, STEPS, "steps");
	{
		/* a seek past what the footer claims finds the step the data holds */
		struct xt_reader *r;
		struct xt_error err = { 0 };
		TEST_ASSERT(xt_reader_open(&r, p, &err) == 0, "open: %s", err.msg);
		TEST_EQ_U64(0, xt_reader_seek(r, 57), "seek to 57: %s", xt_reader_error(r)->msg);
		struct xt_record rec = XT_RECORD_INIT;
		do
			TEST_EQ_U64(1, xt_reader_next(r, &rec), "a record at step 57");
		while (rec.type != XT_REC_STEP);
		TEST_EQ_U64(57, rec.step, "the step sought");
		TEST_ASSERT(xt_reader_inconsistency(r), "the seek found the footer's index wrong");
		TEST_ASSERT(xt_reader_seek(r, STEPS + 1) == -ERANGE, "no step past the data's last");
		TEST_ASSERT(strstr(xt_reader_error(r)->msg, "last step 100"), "%s", xt_reader_error(r)->msg);
		xt_reader_close(r);
	}
	char claims5[128];
	snprintf(claims5, sizeof(claims5), "%s", p);

	/* an exit histogram, an event count, a final state that are not the data's */
	f = t.footer;
	struct xt_hist_entry hist[64];
	TEST_ASSERT(f.n_hist >= 1 && f.n_hist <= 64, "a histogram");
	memcpy(hist, f.hist, f.n_hist * sizeof(*hist));
	hist[0].count++;
	hist[f.n_hist - 1].count--;	/* the sum stays the steps' (when there are two) */
	f.hist = hist;
	snprintf(p, sizeof(p), "%s/hist.xtr", dir);
	fg_write(&t, p, all, t.n, &f, true, NULL);
	expect_inconsistent(p, STEPS, "exit");

	f = t.footer;
	f.event_counts[XT_EV_CONSOLE]++;
	snprintf(p, sizeof(p), "%s/events.xtr", dir);
	fg_write(&t, p, all, t.n, &f, true, NULL);
	expect_inconsistent(p, STEPS, "console events");

	f = t.footer;
	struct xt_state final = *f.final;
	final.regs.rbx ^= 0x10;
	f.final = &final;
	snprintf(p, sizeof(p), "%s/final.xtr", dir);
	fg_write(&t, p, all, t.n, &f, true, NULL);
	expect_inconsistent(p, STEPS, "final state differs from the state after the last step in rbx");

	/* a register edited inside a keyframe, the first and a later one: an error at its offset */
	char edited[128];
	for (size_t k = 0; k < 3; k += 2) {
		struct fg_trace e;
		fg_split(&e, orig);
		fg_edit_keyframe(&e, k, XT_F_RAX);
		f = e.footer;
		snprintf(edited, sizeof(edited), "%s/keyframe%zu.xtr", dir, k);
		fg_write(&e, edited, all, e.n, &f, true, at);
		fg_free(&e);
		struct xt_reader *r;
		struct xt_error err = { 0 };
		TEST_ASSERT(xt_reader_open(&r, edited, &err) == 0, "open: %s", err.msg);
		struct xt_record rec = XT_RECORD_INIT;
		int rc;
		uint64_t last = 0;
		while ((rc = xt_reader_next(r, &rec)) > 0)
			last = rec.type == XT_REC_STEP ? rec.step : last;
		TEST_ASSERT(rc == -EBADMSG, "reading past the edited keyframe %zu fails (rc %d)", k, rc);
		TEST_EQ_U64(k * PER_FRAME, last, "the steps before the edited keyframe are read");
		const struct xt_error *er = xt_reader_error(r);
		TEST_EQ_U64(at[k], er->offset, "the error's offset is the keyframe's");
		char want[64];
		snprintf(want, sizeof(want), "keyframe at offset %" PRIu64, at[k]);
		TEST_ASSERT(strstr(er->msg, want) && strstr(er->msg, "rax"), "%s", er->msg);
		printf("ok: keyframe %zu: %s\n", k, er->msg);
		xt_reader_close(r);
	}

	if (exe) {
		/* dump reads on as the data says, and warns */
		snprintf(args, sizeof(args), "dump --from 57 --to 57 %s", claims5);
		TEST_EQ_U64(0, run(out, sizeof(out), args), "dump --from 57: %s", out);
		TEST_ASSERT(strstr(out, "        57  rip="), "dump shows step 57: %s", out);
		snprintf(args, sizeof(args), "dump %s", no_last);
		TEST_EQ_U64(0, run(out, sizeof(out), args), "dump: %s", out);
		TEST_ASSERT(strstr(out, "warning") && strstr(out, "footer says 100 steps, the data holds 90"),
			    "dump warns: %s", out);
		/* info says what it did not check, and fails when asked to check */
		snprintf(args, sizeof(args), "info %s", no_last);
		TEST_EQ_U64(0, run(out, sizeof(out), args), "info: %s", out);
		TEST_ASSERT(strstr(out, "frames:    not verified"), "info says it did not check: %s", out);
		snprintf(args, sizeof(args), "info --verify %s", no_last);
		TEST_EQ_U64(2, run(out, sizeof(out), args), "info --verify: %s", out);
		TEST_ASSERT(strstr(out, "INCONSISTENT"), "info --verify: %s", out);
		snprintf(args, sizeof(args), "info --verify %s", orig);
		TEST_EQ_U64(0, run(out, sizeof(out), args), "info --verify: %s", out);
		TEST_ASSERT(strstr(out, "footer agrees with the data"), "info --verify: %s", out);
		/* stat and diff warn */
		snprintf(args, sizeof(args), "stat %s", no_last);
		TEST_EQ_U64(0, run(out, sizeof(out), args), "stat: %s", out);
		TEST_ASSERT(strstr(out, "warning") && strstr(out, "inconsistent"), "stat warns: %s", out);
		snprintf(args, sizeof(args), "diff %s %s", claims5, orig);
		run(out, sizeof(out), args);
		TEST_ASSERT(strstr(out, "warning") && strstr(out, "inconsistent"), "diff warns: %s", out);
		/* diff no longer calls a trace with an edited keyframe identical */
		snprintf(args, sizeof(args), "diff %s %s", orig, edited);
		TEST_EQ_U64(2, run(out, sizeof(out), args), "diff of an edited keyframe: %s", out);
		TEST_ASSERT(strstr(out, "keyframe at offset") && strstr(out, "rax"), "diff: %s", out);
		printf("ok: the commands\n");
	}
	fg_free(&t);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	TEST_EQ_U64(0, system(args), "clean up");
	return 0;
}
