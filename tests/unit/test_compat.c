// SPDX-License-Identifier: MIT
/*
 * Versions and strangers: a newer major version is refused, a newer minor
 * version's unknown keys, fields and record types are skipped, and files
 * that are not traces (empty, text, plain zstd) are rejected by name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include "fixture.h"
#include "test_util.h"
#include "xt_internal.h"

static char dir[] = "/tmp/xt-compat-XXXXXX";

static const char *tmp(const char *name)
{
	return test_path(dir, name);
}

static void spill(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TEST_ASSERT(fd >= 0, "create %s", path);
	TEST_ASSERT(write(fd, p, n) == (ssize_t)n, "write");
	close(fd);
}

static int open_err(const char *path, struct xt_error *err)
{
	struct xt_reader *r = NULL;
	memset(err, 0, sizeof(*err));
	int rc = xt_reader_open(&r, path, err);
	xt_reader_close(r);
	return rc;
}

static void test_not_traces(void)
{
	struct xt_error err;
	spill(tmp("empty"), "", 0);
	TEST_EQ_U64((uint64_t)-ENOEXEC, (uint64_t)open_err(tmp("empty"), &err), "empty file");
	TEST_CONTAINS(err.msg, "is empty", "empty file");

	const char *text = "this is a text file, not a trace\n";
	spill(tmp("text"), text, strlen(text));
	TEST_EQ_U64((uint64_t)-ENOEXEC, (uint64_t)open_err(tmp("text"), &err), "text file");
	TEST_CONTAINS(err.msg, "not an exitrace trace", "text file");

	uint8_t z[128];
	size_t zn = ZSTD_compress(z, sizeof(z), "hello", 5, 1);
	spill(tmp("plain.zst"), z, zn);
	TEST_EQ_U64((uint64_t)-ENOEXEC, (uint64_t)open_err(tmp("plain.zst"), &err), "zstd file");
	TEST_CONTAINS(err.msg, "a zstd file but not an exitrace trace", "zstd file");

	TEST_ASSERT(open_err(tmp("missing"), &err) == -ENOENT, "missing file");
	TEST_CONTAINS(err.msg, "cannot open", "missing file");
	TEST_ASSERT(open_err(dir, &err) < 0, "a directory");
}

static void test_newer_major(void)
{
	struct xti_buf f = { 0 }, b = { 0 };
	fx_put_mark(&f, XT_FORMAT_MAJOR + 1, 3);
	xti_put_map(&b, 1);
	xti_put_uint(&b, 0);
	xti_put_uint(&b, XT_REC_HEADER);
	fx_put_frame(&f, &b);
	spill(tmp("newer"), f.p, f.len);
	struct xt_error err;
	TEST_EQ_U64((uint64_t)-EPROTONOSUPPORT, (uint64_t)open_err(tmp("newer"), &err), "newer major");
	TEST_CONTAINS(err.msg, "newer than this exitrace reads", "newer major");
	char want[32];
	snprintf(want, sizeof(want), "%d.3", XT_FORMAT_MAJOR + 1);
	TEST_CONTAINS(err.msg, want, "the message names the version");

	/* a header claiming a newer major behind a current mark is refused too */
	f.len = 0;
	b.len = 0;
	fx_put_mark(&f, XT_FORMAT_MAJOR, 0);
	xti_put_map(&b, 2);
	xti_put_uint(&b, 0);
	xti_put_uint(&b, XT_REC_HEADER);
	xti_put_uint(&b, 1);
	xti_put_array(&b, 2);
	xti_put_uint(&b, XT_FORMAT_MAJOR + 1);
	xti_put_uint(&b, 0);
	fx_put_frame(&f, &b);
	spill(tmp("newer2"), f.p, f.len);
	TEST_EQ_U64((uint64_t)-EPROTONOSUPPORT, (uint64_t)open_err(tmp("newer2"), &err), "newer header");
	xti_buf_free(&f);
	xti_buf_free(&b);
}

/*
 * A trace from a "newer minor version": extra header keys, a state map with
 * an unknown field id, a step with an unknown field, an event with an
 * unknown key, an input event naming an unknown field, a record of an
 * unknown type, an unknown skippable frame.
 */
static void test_unknown_keys(void)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xti_buf f = { 0 }, b = { 0 };
	fx_put_mark(&f, XT_FORMAT_MAJOR, XT_FORMAT_MINOR + 5);

	/* the header: the real one, with two more keys inserted after key 0 */
	xti_put_header(&b, &fh.h);
	struct xti_buf h2 = { 0 };
	TEST_EQ_U64(0xac, b.p[0], "the header is a 12-pair map");
	xti_put_map(&h2, 14);
	xti_put_raw(&h2, b.p + 1, 2);	/* 0: 1 */
	xti_put_uint(&h2, 99);
	xti_put_map(&h2, 1);
	xti_put_text(&h2, "future");
	xti_put_array(&h2, 3);
	xti_put_uint(&h2, 1);
	xti_put_bytes(&h2, "xyz", 3);
	xti_put_bool(&h2, true);
	xti_put_uint(&h2, 100);
	xti_put_text(&h2, "another");
	xti_put_raw(&h2, b.p + 3, b.len - 3);
	fx_put_frame(&f, &h2);

	/* an unknown skippable frame between header and data */
	uint8_t skip[12];
	xti_le32(skip, 0x184D2A53);
	xti_le32(skip + 4, 4);
	memcpy(skip + 8, "abcd", 4);
	xti_put_raw(&f, skip, sizeof(skip));

	b.len = 0;
	struct xt_state s = fh.initial;
	xti_put_map(&b, 5);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_KEYFRAME);
	xti_put_uint(&b, 1); xti_put_uint(&b, 0);
	xti_put_uint(&b, 77); xti_put_text(&b, "unknown keyframe key");
	xti_put_uint(&b, 2); xti_put_uint(&b, 0);
	xti_put_uint(&b, 4);
	/* state map: the real one would do; add one unknown field id (250) up front */
	struct xti_buf st = { 0 };
	xti_put_state(&st, &s, XT_CAPTURE_DEFAULT);
	TEST_ASSERT(st.p[0] == 0xb8 && st.p[1] < 255, "state map head has a 1-byte count");
	xti_put_map(&b, st.p[1] + 1u);
	xti_put_uint(&b, 250);
	xti_put_uint(&b, 5);
	xti_put_raw(&b, st.p + 2, st.len - 2);

	/* step 1: rip += 3 and an unknown field 251 */
	xti_put_map(&b, 3);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, 251); xti_put_array(&b, 1); xti_put_uint(&b, 9);
	xti_put_uint(&b, XT_F_RIP); xti_put_int(&b, 3);
	/* an unknown record type */
	xti_put_map(&b, 2);
	xti_put_uint(&b, 0); xti_put_uint(&b, 9);
	xti_put_uint(&b, 1); xti_put_map(&b, 1); xti_put_uint(&b, 1); xti_put_uint(&b, 2);
	/* a note event with an unknown key */
	xti_put_map(&b, 5);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_EVENT);
	xti_put_uint(&b, 1); xti_put_uint(&b, XT_EV_NOTE);
	xti_put_uint(&b, 2); xti_put_uint(&b, 1);
	xti_put_uint(&b, 12); xti_put_text(&b, "ignored");
	xti_put_uint(&b, 3); xti_put_text(&b, "hello");
	/* an RDTSC input with a value for a field this reader does not know (252) */
	xti_put_map(&b, 5);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_EVENT);
	xti_put_uint(&b, 1); xti_put_uint(&b, XT_EV_INPUT);
	xti_put_uint(&b, 2); xti_put_uint(&b, 1);
	xti_put_uint(&b, 3); xti_put_uint(&b, XT_INPUT_RDTSC);
	xti_put_uint(&b, 4); xti_put_map(&b, 3);
	xti_put_uint(&b, XT_F_RAX); xti_put_uint(&b, 0x1234);
	xti_put_uint(&b, 252); xti_put_uint(&b, 0x77);
	xti_put_uint(&b, XT_F_RDX); xti_put_uint(&b, 0x5);
	/* an event of a kind this reader does not know, large enough to wrap a kind * 16 + key lookup */
	xti_put_map(&b, 4);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_EVENT);
	xti_put_uint(&b, 1); xti_put_uint(&b, 0x10000000u + XT_EV_IRQ_TAKEN);
	xti_put_uint(&b, 2); xti_put_uint(&b, 1);
	xti_put_uint(&b, 3); xti_put_text(&b, "not a vector");
	/* step 2: rip -= 1 (a negative delta) */
	xti_put_map(&b, 2);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, XT_F_RIP); xti_put_int(&b, -1);
	fx_put_frame(&f, &b);
	spill(tmp("newer-minor"), f.p, f.len);

	struct xt_reader *r;
	struct xt_error err;
	TEST_EQ_U64(0, xt_reader_open(&r, tmp("newer-minor"), &err), "open: %s", err.msg);
	const struct xt_header *h = xt_reader_header(r);
	TEST_EQ_U64(XT_FORMAT_ONE_VCPU_MINOR, h->version_minor, "header minor (the header's own)");
	TEST_EQ_STR(fh.h.host.kernel_release, h->host.kernel_release, "known keys still read");
	TEST_ASSERT(xt_reader_truncated(r), "no footer");
	struct xt_record rec = XT_RECORD_INIT;
	TEST_EQ_U64(1, xt_reader_next(r, &rec), "step 1: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(XT_REC_STEP, rec.type, "step 1");
	TEST_EQ_U64(fh.initial.regs.rip + 3, rec.state->regs.rip, "step 1 rip");
	TEST_EQ_U64(1, xt_reader_next(r, &rec), "event: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(XT_REC_EVENT, rec.type, "the unknown record was skipped");
	TEST_EQ_STR("hello", rec.event->note.text, "note");
	TEST_EQ_U64(1, xt_reader_next(r, &rec), "input: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(XT_EV_INPUT, rec.event->kind, "input event");
	TEST_EQ_U64(2, rec.event->input.n, "the unknown field's value is skipped");
	TEST_EQ_U64(XT_F_RAX, rec.event->input.v[0].field, "input rax");
	TEST_EQ_U64(0x1234, rec.event->input.v[0].value, "input rax value");
	TEST_EQ_U64(XT_F_RDX, rec.event->input.v[1].field, "input rdx");
	TEST_EQ_U64(0x5, rec.event->input.v[1].value, "input rdx value");
	TEST_EQ_U64(1, xt_reader_next(r, &rec), "unknown kind: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(0x10000000u + XT_EV_IRQ_TAKEN, rec.event->kind, "passed on as a number, its keys skipped");
	TEST_EQ_U64(1, xt_reader_next(r, &rec), "step 2");
	TEST_EQ_U64(fh.initial.regs.rip + 2, rec.state->regs.rip, "step 2 rip (negative delta)");
	TEST_EQ_U64(0, xt_reader_next(r, &rec), "end");
	xt_reader_close(r);
	xti_buf_free(&f);
	xti_buf_free(&b);
	xti_buf_free(&h2);
	xti_buf_free(&st);
}

/* Text that is not UTF-8 (a file name, an argument) is stored as valid CBOR text. */
static void test_not_utf8(void)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	const char *argv[] = { "exitrace", "record", "g\xff\xfe.bin", "caf\xc3\xa9" };
	fh.h.argv = argv;
	fh.h.argc = 4;
	fh.h.image.name = "g\xff\xfe.bin";
	struct xt_writer *w;
	struct xt_error err;
	TEST_EQ_U64(0, xt_writer_open(&w, tmp("utf8.xtr"), &fh.h, NULL, &err), "open: %s", err.msg);
	struct xt_footer f = { .end_reason = XT_END_HLT };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &err), "close: %s", err.msg);
	struct xt_reader *r;
	TEST_EQ_U64(0, xt_reader_open(&r, tmp("utf8.xtr"), &err), "reopen: %s", err.msg);
	TEST_EQ_STR("g??.bin", xt_reader_header(r)->argv[2], "bytes that are not UTF-8 became '?'");
	TEST_EQ_STR("caf\xc3\xa9", xt_reader_header(r)->argv[3], "UTF-8 is kept");
	TEST_EQ_STR("g??.bin", xt_reader_header(r)->image.name, "the image name too");
	xt_reader_close(r);
}

/*
 * A trace of several vCPUs (2.x): every step's own number counts that
 * vCPU's steps, and the footer sums each vCPU up as the data does.
 */
static void check_several(struct xt_reader *r, const char *name)
{
	const struct xt_header *h = xt_reader_header(r);
	TEST_ASSERT(h->version_minor <= XT_FORMAT_MINOR, "%s: minor %u", name, h->version_minor);
	TEST_ASSERT(h->vm.n_vcpus > 1, "%s: several vCPUs", name);
	const struct xt_footer *f = xt_reader_footer(r);
	TEST_ASSERT(f && f->n_vcpus == h->vm.n_vcpus, "%s: complete, a summary per vCPU", name);
	uint64_t own[64] = { 0 }, steps = 0;
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		TEST_ASSERT(rec.vcpu < h->vm.n_vcpus && rec.vcpu < 64, "%s: vCPU %u", name, rec.vcpu);
		if (rec.type != XT_REC_STEP)
			continue;
		steps++;
		TEST_EQ_U64(++own[rec.vcpu], rec.vcpu_step, "%s: vCPU %u's step numbers", name, rec.vcpu);
	}
	TEST_EQ_U64(0, rc, "%s: %s", name, xt_reader_error(r)->msg);
	TEST_EQ_U64(f->steps, steps, "%s: steps", name);
	for (uint32_t v = 0; v < h->vm.n_vcpus; v++) {
		TEST_EQ_U64(f->vcpus[v].steps, own[v], "%s: vCPU %u's steps", name, v);
		const struct xt_state *fin = v ? f->vcpus[v].final : f->final;
		TEST_ASSERT(!fx_state_differs(fin, xt_reader_vcpu_state(r, v), h->vm.capture),
			    "%s: vCPU %u's final state", name, v);
	}
}

/*
 * The archived traces of one vCPU (format 1.0, recorded before traces had
 * several vCPUs; 1.1 if re-recorded) read as traces of one vCPU: vCPU 0,
 * APIC ID 0, every step and event of vCPU 0 with its own numbers the global
 * ones, no per-vCPU footer.  Those of several (2.x) as check_several() says.
 */
static void test_archive(const char *data)
{
	DIR *d = opendir(data);
	TEST_ASSERT(d, "open %s", data);
	struct dirent *e;
	int traces = 0, several = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".xtr"))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", data, e->d_name);
		struct xt_reader *r;
		struct xt_error err;
		TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "%s: %s", e->d_name, err.msg);
		const struct xt_header *h = xt_reader_header(r);
		if (h->version_major == XT_FORMAT_MAJOR) {
			check_several(r, e->d_name);
			xt_reader_close(r);
			several++;
			continue;
		}
		/* 1.0 as archived; 1.1 once tests/data/rerecord.sh has run again */
		TEST_EQ_U64(1, h->version_major, "%s: major", e->d_name);
		TEST_ASSERT(h->version_minor <= 1, "%s: minor %u", e->d_name, h->version_minor);
		TEST_EQ_U64(1, h->vm.n_vcpus, "%s: one vCPU", e->d_name);
		TEST_EQ_U64(0, h->vm.apic_ids[0], "%s: APIC ID 0", e->d_name);
		const struct xt_footer *f = xt_reader_footer(r);
		TEST_ASSERT(f && !f->vcpus && !f->n_vcpus, "%s: complete, no per-vCPU summaries", e->d_name);
		struct xt_record rec = XT_RECORD_INIT;
		uint64_t steps = 0;
		int rc;
		while ((rc = xt_reader_next(r, &rec)) > 0) {
			TEST_EQ_U64(0, rec.vcpu, "%s: vCPU 0", e->d_name);
			if (rec.type == XT_REC_STEP)
				TEST_EQ_U64(++steps, rec.vcpu_step, "%s: vCPU 0's step numbers", e->d_name);
		}
		TEST_EQ_U64(0, rc, "%s: %s", e->d_name, xt_reader_error(r)->msg);
		TEST_EQ_U64(f->steps, steps, "%s: steps", e->d_name);
		TEST_ASSERT(!fx_state_differs(f->final, xt_reader_vcpu_state(r, 0), h->vm.capture),
			    "%s: the final state", e->d_name);
		xt_reader_close(r);
		traces++;
	}
	closedir(d);
	TEST_ASSERT(traces >= 20, "the archive's traces of one vCPU: %d", traces);
	TEST_ASSERT(several >= 5, "the archive's traces of several vCPUs: %d", several);
	printf("%d archived 1.x traces read as one vCPU, %d of several vCPUs\n", traces, several);
}

int main(int argc, char **argv)
{
	TEST_ASSERT(argc == 2, "usage: test_compat TESTS_DATA_DIR");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	test_archive(argv[1]);
	test_not_traces();
	test_newer_major();
	test_unknown_keys();
	test_not_utf8();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_ASSERT(system(cmd) == 0, "cleanup");
	return 0;
}
