// SPDX-License-Identifier: MIT
/*
 * `exitrace diff` as a user runs it, on traces built through the library:
 * the exit status, the header line for a host whose APICv is off, the
 * text of a hunk, I/O data that differs past what a line shows, the note
 * for a truncated trace, and --json output that a JSON parser (python3's)
 * accepts, with blobs in full.
 *
 * usage: test_diff_cli EXITRACE
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <unistd.h>

#include "fixture.h"
#include "run_cli.h"
#include "test_util.h"

#define STEPS 300

static char dir[] = "/tmp/xt-diff-cli-XXXXXX";
static const char *exitrace;
static char out[1 << 16], err[1 << 12];

static const char *tmp(const char *name)
{
	return test_path(dir, name);
}

/* Run a program with up to 4 arguments; stdout and stderr are kept. */
static int run(const char *prog, const char *a1, const char *a2, const char *a3, const char *a4)
{
	const struct run_cli c = { .dir = dir, .out = out, .out_size = sizeof(out),
				   .err = err, .err_size = sizeof(err) };
	return run_cli(&c, prog, a1, a2, a3, a4);
}

#define BLOB_STEP 150
#define BLOB_LEN 200

/*
 * change_at: rdi is 0xdead at that step; cut_at: the writer dies there;
 * fail_at: an emulation failure ends the trace; blob_last: if not 0, step
 * BLOB_STEP is an I/O exit with BLOB_LEN bytes of data ending in it.
 */
static void write_trace(const char *path, const char *apicv, uint64_t change_at, uint64_t cut_at,
			uint64_t fail_at, uint8_t blob_last)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fh.params[1].value = apicv;
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 40 };
	struct xt_writer *w;
	struct xt_error e = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, &opts, &e), "open: %s", e.msg);
	struct xt_state s = fh.initial;
	struct fx_rng rng = { 5 };
	for (uint64_t k = 1; k <= STEPS; k++) {
		fx_step(&rng, &s, k, XT_CAPTURE_DEFAULT, false);
		struct xt_state t = s;
		if (k == change_at)
			t.regs.rdi = 0xdead;
		if (blob_last && k == BLOB_STEP) {
			t.exit.reason = KVM_EXIT_IO;
			t.exit.io_direction = KVM_EXIT_IO_IN;
			t.exit.io_size = 1;
			t.exit.io_count = BLOB_LEN;
			t.exit.io_port = 0x60;
			t.exit.io_data_len = BLOB_LEN;
			for (unsigned i = 0; i < BLOB_LEN; i++)
				t.exit.io_data[i] = (uint8_t)i;
			t.exit.io_data[BLOB_LEN - 1] = blob_last;
		}
		if (k == fail_at) {
			t.exit.reason = KVM_EXIT_INTERNAL_ERROR;
			t.exit.internal_suberror = KVM_INTERNAL_ERROR_EMULATION;
			t.exit.internal_data_len = 8;
		}
		TEST_EQ_U64(0, xt_writer_step(w, &t), "step");
		if (k == fail_at)
			break;
		if (k == cut_at) {
			xt_writer_abandon(w);
			return;
		}
	}
	struct xt_footer f = { .end_reason = fail_at ? XT_END_INTERNAL_ERROR : XT_END_MAX_STEPS,
			       .end_code = fail_at ? KVM_INTERNAL_ERROR_EMULATION : 0 };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &e), "close: %s", e.msg);
}

/* Does python3's json accept the output?  (The output buffer is lost.) */
static void json_parses(const char *what)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/out.json", dir);
	FILE *f = fopen(path, "w");
	TEST_ASSERT(f && fputs(out, f) >= 0 && fclose(f) == 0, "write %s", path);
	int rc = run("/usr/bin/python3", "-c",
		     "import json,sys; d=json.load(open(sys.argv[1])); assert set(d) >= {'header','hunks','summary'}",
		     path, NULL);
	TEST_EQ_U64(0, rc, "%s: python3's json accepts it: %s", what, err);
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 2, "usage: %s EXITRACE", argv[0]);
	exitrace = argv[1];
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	const char *a = tmp("a.xtr"), *same = tmp("same.xtr"), *off = tmp("off.xtr");
	const char *rdi = tmp("rdi.xtr"), *cut = tmp("cut.xtr");
	const char *emu = tmp("emu.xtr");
	const char *blob1 = tmp("blob1.xtr"), *blob2 = tmp("blob2.xtr");
	write_trace(a, "Y", 0, 0, 0, 0);
	write_trace(same, "Y", 0, 0, 0, 0);
	write_trace(off, "N", 0, 0, 0, 0);
	write_trace(rdi, "Y", 123, 0, 0, 0);
	write_trace(cut, "Y", 0, 130, 0, 0);
	write_trace(emu, "Y", 0, 0, 200, 0);
	write_trace(blob1, "Y", 0, 0, 0, 0xa1);
	write_trace(blob2, "Y", 0, 0, 0, 0xb2);

	TEST_EQ_U64(0, run(exitrace, "diff", a, same, NULL), "identical: exit 0; %s", err);
	TEST_CONTAINS(out, "identical: 300 steps compared", "says so");

	TEST_EQ_U64(0, run(exitrace, "diff", a, off, NULL), "the host differs, the steps do not: %s", err);
	TEST_CONTAINS(out, "hosts differ: kvm_intel.enable_apicv Y (A) vs N (B)\n", "the header line");
	TEST_CONTAINS(out, "identical", "and the steps are identical");

	TEST_EQ_U64(1, run(exitrace, "diff", a, rdi, NULL), "a field differs: exit 1; %s", err);
	TEST_CONTAINS(out, "first divergence at step 123", "where");
	TEST_CONTAINS(out, "  rdi 0x0 (A) vs 0xdead (B)\n", "what");
	TEST_CONTAINS(out, "\n-      123           rip=", "A's side of the step");
	TEST_CONTAINS(out, "\n+               123  rip=", "B's side of the step");
	TEST_CONTAINS(out, "rdi=0xdead", "with B's value");
	TEST_CONTAINS(out, "1 hunk; 300 steps compared", "the summary");

	TEST_EQ_U64(1, run(exitrace, "diff", a, emu, NULL), "an emulation failure: %s", err);
	TEST_CONTAINS(out, "first divergence at step 200", "where");
	TEST_CONTAINS(out, "B: exit INTERNAL_ERROR suberror=1 (emulation failure)", "named with its suberror");
	TEST_CONTAINS(out, "B ends here (last exit INTERNAL_ERROR", "then B ends");
	TEST_CONTAINS(out, "B ends internal-error at step 200", "the summary");

	TEST_EQ_U64(0, run(exitrace, "diff", a, cut, NULL), "truncated: compared up to its end; %s", err);
	TEST_CONTAINS(out, "note: B is truncated (its recorder did not finish): compared up to its step 120",
		      "with a note");

	TEST_EQ_U64(1, run(exitrace, "diff", "--json", off, rdi), "--json: %s", err);
	TEST_CONTAINS(out, "\"what\":\"kvm_intel.enable_apicv\",\"a\":\"N\",\"b\":\"Y\"", "the header");
	TEST_CONTAINS(out, "\"cause\":{\"kind\":\"fields\",\"field\":\"rdi\"", "the cause");
	json_parses("a hunk and a header difference");
	/* a difference past what a line shows of a blob: shown from its first differing byte */
	TEST_EQ_U64(1, run(exitrace, "diff", blob1, blob2, NULL), "a blob differs: %s", err);
	TEST_CONTAINS(out, "; io.data @199: a1 (200 bytes) (A) vs @199: b2 (200 bytes) (B)\n",
		      "the cause says where the data differs");
	TEST_CONTAINS(out, "| io.data=@199: b2 (200 bytes)\n", "so does B's side of the step");
	/* the values of the differing fields in full, as "changed" has them: all 200 bytes of io.data */
	TEST_EQ_U64(1, run(exitrace, "diff", "--json", blob1, blob2), "--json, a blob differs: %s", err);
	char want[2 * BLOB_LEN + 40];
	int n = snprintf(want, sizeof(want), "\"values\":{\"io.data\":\"");
	for (unsigned i = 0; i < BLOB_LEN - 1; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", i);
	snprintf(want + n, sizeof(want) - (size_t)n, "a1\"}");
	TEST_CONTAINS(out, want, "A's io.data whole");
	want[strlen(want) - 4] = 0;
	TEST_CONTAINS(out, strcat(want, "b2\"}"), "B's io.data whole");
	json_parses("a blob hunk");
	TEST_EQ_U64(0, run(exitrace, "diff", "--json", a, cut), "--json, truncated");
	TEST_CONTAINS(out, "\"truncated\":true", "says B is truncated");
	json_parses("a truncated trace");

	TEST_EQ_U64(2, run(exitrace, "diff", "--ignore", "rdx,nope", a), "usage");
	TEST_CONTAINS(err, "no field or event kind 'nope'", "names the unknown name");
	TEST_EQ_U64(2, run(exitrace, "diff", a, tmp("none.xtr"), NULL), "unreadable");
	TEST_EQ_U64(2, run(exitrace, "diff", a, exitrace, NULL), "not a trace");
	TEST_CONTAINS(err, "not an exitrace trace", "says why");

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	TEST_EQ_U64(0, system(cmd), "clean up");
	return 0;
}
