// SPDX-License-Identifier: MIT
/*
 * make_corpus DIR: write fuzz_reader's seed corpus into DIR.
 *
 * The seeds are small traces made with the writer and the test fixture,
 * the same traces cut where the reader has to decide something different
 * (inside the header, mid-frame, inside the footer, inside the trailer, the
 * trailer missing), and hand-made files at the edges: empty, a bare mark, a
 * newer major version, plain zstd, a newer minor version full of unknown
 * keys, records, CBOR item kinds and frames, and the fixture's hostile
 * traces (one per class of fault the reader must refuse).  Small is the point: libFuzzer
 * mutates small inputs many times faster.  Keyframes store the writer's
 * clock, so two runs give equivalent, not identical, files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "xt_internal.h"

static const char *out_dir;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("make_corpus: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static const char *path_of(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	return path;
}

static void spill(const char *name, const void *p, size_t n)
{
	const char *path = path_of(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || close(fd) < 0)
		die("cannot write %s: %s", path, strerror(errno));
	printf("%-28s %6zu bytes\n", name, n);
}

static uint8_t *slurp(const char *name, size_t *n)
{
	const char *path = path_of(name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot open %s: %s", path, strerror(errno));
	uint8_t *p = malloc((size_t)st.st_size + 1);
	if (!p || read(fd, p, (size_t)st.st_size) != st.st_size)
		die("cannot read %s", path);
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

/* ---- traces from the writer ---- */

enum header_size {
	HDR_FULL,	/* the fixture's header */
	HDR_SMALL,	/* one memory region, a 16-byte image */
	/*
	 * A 3 MiB region of zeros: a frame that decompresses past the 1 MiB
	 * the reader starts its buffer with, so the buffer grows while zstd
	 * writes into it.  Zeros keep the file small.
	 */
	HDR_BIG,
};

struct trace_spec {
	const char *name;
	uint32_t capture;
	uint64_t steps;
	uint32_t frame_steps;
	enum header_size header;
	bool complete;		/* write the footer (else abandon: no footer) */
	uint32_t vcpus;		/* 0: one; more: they take turns, the last one joining halfway */
};

static void write_trace(const struct trace_spec *t)
{
	static struct fx_header fh;
	fx_header_init(&fh, t->capture);
	uint32_t vcpus = t->vcpus ? t->vcpus : 1;
	fx_header_vcpus(&fh, vcpus);
	uint8_t *zeros = NULL;
	if (t->header != HDR_FULL) {
		fh.h.vm.n_memory = 1;
		fh.h.image.size = 16;
		xt_sha256(fh.image, 16, fh.h.image.sha256);
	}
	if (t->header == HDR_BIG) {
		zeros = calloc(1, 3u << 20);
		if (!zeros)
			die("out of memory");
		fh.memory[1] = (struct xt_mem_region){ 0x200000, zeros, 3u << 20 };
		fh.h.vm.n_memory = 2;
	}
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = t->frame_steps };
	if (xt_writer_open(&w, path_of(t->name), &fh.h, &opts, &err) < 0)
		die("%s: %s", t->name, err.msg);
	struct fx_rng rng = { 0x5eed + t->steps };
	static struct xt_state cur[FX_VCPUS];
	cur[0] = fh.initial;
	for (uint32_t v = 1; v < vcpus; v++)
		cur[v] = fh.initial_vcpus[v - 1];
	for (uint64_t i = 1; i <= t->steps; i++) {
		uint32_t v = (uint32_t)(i % (vcpus > 2 && i < t->steps / 2 ? vcpus - 1 : vcpus));
		struct xt_state *s = &cur[v];
		fx_step(&rng, s, i, t->capture, true);
		if (xt_writer_step_vcpu(w, v, s, 0) < 0)
			die("%s: step %llu: %s", t->name, (unsigned long long)i,
			    xt_writer_error(w)->msg);
		/* every event kind, a few times over, at steps of their own */
		if (i % 3 == 0) {
			struct xt_event ev;
			struct fx_event_storage st;
			uint32_t kind = 1 + (uint32_t)(i / 3) % (XT_EV_KIND_LIMIT - 1);
			fx_event(&rng, kind, i, &ev, &st);
			ev.vcpu = (v + (uint32_t)(i / 3)) % vcpus;
			if (xt_writer_event(w, &ev) < 0)
				die("%s: event: %s", t->name, xt_writer_error(w)->msg);
		}
	}
	if (t->complete) {
		struct xt_footer foot = { .end_reason = XT_END_MAX_STEPS, .end_code = 0,
					  .end_detail = "max steps", .duration_ns = 123456 };
		if (xt_writer_close(w, &foot, &err) < 0)
			die("%s: close: %s", t->name, err.msg);
	} else {
		if (xt_writer_flush(w) < 0)
			die("%s: flush: %s", t->name, xt_writer_error(w)->msg);
		xt_writer_abandon(w);
	}
	free(zeros);
	size_t n;
	free(slurp(t->name, &n));
	printf("%-28s %6zu bytes\n", t->name, n);
}

/* Cuts of a complete trace, at offsets taken from its own index and trailer. */
static void write_cuts(const char *name)
{
	struct xt_reader *r;
	struct xt_error err;
	if (xt_reader_open(&r, path_of(name), &err) < 0)
		die("%s: %s", name, err.msg);
	size_t nix;
	const struct xt_frame_index *ix = xt_reader_index(r, &nix);
	if (nix < 3)
		die("%s: %zu frames, at least 3 wanted", name, nix);
	uint64_t header_end = ix[0].offset, second = ix[1].offset, third = ix[2].offset;
	xt_reader_close(r);

	size_t n;
	uint8_t *p = slurp(name, &n);
	uint64_t footer_at = xti_rd64(p + n - 8);
	char cut[64];
	const struct { const char *what; uint64_t len; } cuts[] = {
		{ "in-header", XTI_FILE_MARK_SIZE + (header_end - XTI_FILE_MARK_SIZE) / 2 },
		{ "after-header", header_end },
		{ "mid-frame", second + (third - second) / 2 },
		{ "in-footer", footer_at + (n - XTI_TRAILER_SIZE - footer_at) / 2 },
		{ "no-trailer", n - XTI_TRAILER_SIZE },
		{ "in-trailer", n - XTI_TRAILER_SIZE / 2 },
	};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(cut, sizeof(cut), "cut-%s", cuts[i].what);
		spill(cut, p, cuts[i].len);
	}
	free(p);
}

/* ---- hand-made files ---- */

static void put_header_v(struct xti_buf *b, uint64_t major, uint64_t minor)
{
	xti_put_map(b, 2);
	xti_put_uint(b, XTK_TYPE);
	xti_put_uint(b, XT_REC_HEADER);
	xti_put_uint(b, XTK_H_VERSION);
	xti_put_array(b, 2);
	xti_put_uint(b, major);
	xti_put_uint(b, minor);
}

static void write_edges(void)
{
	struct xti_buf f = { 0 }, b = { 0 };

	spill("empty", "", 0);

	fx_put_mark(&f, XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
	spill("mark-only", f.p, f.len);

	f.len = 0;
	fx_put_mark(&f, XT_FORMAT_MAJOR + 1, 0);
	put_header_v(&b, XT_FORMAT_MAJOR + 1, 0);
	fx_put_frame(&f, &b);
	spill("mark-newer-major", f.p, f.len);

	/* a current mark, but the header says newer */
	f.len = 0;
	fx_put_mark(&f, XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
	fx_put_frame(&f, &b);
	spill("header-newer-major", f.p, f.len);

	/* the smallest header a reader accepts, and nothing after it */
	f.len = 0;
	b.len = 0;
	fx_put_mark(&f, XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
	put_header_v(&b, XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
	fx_put_frame(&f, &b);
	spill("header-minimal", f.p, f.len);

	const char *text = "exitrace? no, just some zstd-compressed text\n";
	f.len = 0;
	b.len = 0;
	xti_put_raw(&b, text, strlen(text));
	fx_put_frame(&f, &b);
	spill("plain-zstd", f.p, f.len);

	xti_buf_free(&f);
	xti_buf_free(&b);
}

/*
 * A trace as a newer minor version might write it: unknown keys in every
 * record holding every kind of CBOR item (indefinite lengths, tags, floats,
 * simple values), an unknown field in a state and in a step, a record of an
 * unknown type, an event of an unknown kind, and a skippable frame of
 * another writer between the data frames.  Then a footer and a trailer.
 */
static void write_newer_minor(void)
{
	/* {_ 1: [_ h'00', "a"], 2: 24(h'01')}, 1.5, 0.5 (half), null, undefined, true, simple 99 */
	static const uint8_t odd_items[] = {
		0xbf, 0x01, 0x9f, 0x41, 0x00, 0x61, 0x61, 0xff, 0x02, 0xd8, 0x18, 0x41, 0x01, 0xff,
	};
	static const uint8_t odd_scalars[][9] = {
		{ 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0 }, { 0xf9, 0x38, 0x00 },
		{ 0xfa, 0x3f, 0xc0, 0x00, 0x00 }, { 0xf6 }, { 0xf7 }, { 0xf5 },
	};
	static const size_t odd_scalar_len[] = { 9, 3, 5, 1, 1, 1 };
	/* [_ (_ h'0102', h'03'), (_ "x", "y")]: strings in chunks */
	static const uint8_t odd_strings[] = {
		0x9f, 0x5f, 0x42, 0x01, 0x02, 0x41, 0x03, 0xff, 0x7f, 0x61, 0x78, 0x61, 0x79, 0xff, 0xff,
	};

	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fh.h.vm.n_memory = 1;
	fh.h.image.size = 16;
	xt_sha256(fh.image, 16, fh.h.image.sha256);
	struct xti_buf f = { 0 }, b = { 0 }, h = { 0 };
	fx_put_mark(&f, XT_FORMAT_MAJOR, XT_FORMAT_MINOR + 1);

	/* the real header with unknown keys 200.. after key 0 (a 12-pair map) */
	xti_put_header(&h, &fh.h);
	if (h.p[0] != 0xac)
		die("the header is no longer a 12-pair map: update make_corpus");
	xti_put_map(&b, 12 + 3);
	xti_put_raw(&b, h.p + 1, 2);
	xti_put_uint(&b, 200);
	xti_put_raw(&b, odd_items, sizeof(odd_items));
	xti_put_uint(&b, 201);
	xti_put_raw(&b, odd_strings, sizeof(odd_strings));
	xti_put_uint(&b, 202);
	xti_put_raw(&b, odd_scalars[0], odd_scalar_len[0]);
	xti_put_raw(&b, h.p + 3, h.len - 3);
	fx_put_frame(&f, &b);
	uint64_t frame0 = f.len;

	/* frame 0: keyframe with an unknown key and an unknown field id */
	b.len = 0;
	xti_put_map(&b, 4);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, XT_REC_KEYFRAME);
	xti_put_uint(&b, XTK_K_STEP);
	xti_put_uint(&b, 0);
	xti_put_uint(&b, 60);
	xti_put_raw(&b, odd_scalars[1], odd_scalar_len[1]);
	xti_put_uint(&b, XTK_K_STATE);
	h.len = 0;
	xti_put_state(&h, &fh.initial, XT_CAPTURE_DEFAULT);
	if (h.p[0] != 0xb8)
		die("the state map no longer has a 1-byte count: update make_corpus");
	xti_put_map(&b, h.p[1] + 1u);
	xti_put_uint(&b, 250);
	xti_put_raw(&b, odd_items, sizeof(odd_items));
	xti_put_raw(&b, h.p + 2, h.len - 2);
	/* step 1 with an unknown field; step 2 with a negative delta and a blob */
	xti_put_map(&b, 3);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, 251);
	xti_put_raw(&b, odd_scalars[2], odd_scalar_len[2]);
	xti_put_uint(&b, XT_F_RIP);
	xti_put_int(&b, 3);
	xti_put_map(&b, 3);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, XT_F_RIP);
	xti_put_int(&b, -1);
	xti_put_uint(&b, XT_F_IO_DATA);
	xti_put_bytes(&b, "\x2a", 1);
	/* a record of an unknown type, an event of an unknown kind, known events with extra keys */
	xti_put_map(&b, 3);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, 9);
	xti_put_uint(&b, 1);
	xti_put_raw(&b, odd_strings, sizeof(odd_strings));
	xti_put_uint(&b, 2);
	xti_put_raw(&b, odd_scalars[3], odd_scalar_len[3]);
	xti_put_map(&b, 4);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, XT_REC_EVENT);
	xti_put_uint(&b, XTK_E_KIND);
	xti_put_uint(&b, 42);
	xti_put_uint(&b, XTK_E_STEP);
	xti_put_uint(&b, 2);
	xti_put_uint(&b, 3);
	xti_put_raw(&b, odd_items, sizeof(odd_items));
	xti_put_map(&b, 5);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, XT_REC_EVENT);
	xti_put_uint(&b, XTK_E_KIND);
	xti_put_uint(&b, XT_EV_NOTE);
	xti_put_uint(&b, XTK_E_STEP);
	xti_put_uint(&b, 2);
	xti_put_uint(&b, 3);
	xti_put_text(&b, "hello from a newer writer");
	xti_put_uint(&b, 15);
	xti_put_raw(&b, odd_scalars[4], odd_scalar_len[4]);
	fx_put_frame(&f, &b);

	/* another writer's skippable frame */
	uint8_t skip[14];
	xti_le32(skip, 0x184D2A51);
	xti_le32(skip + 4, 6);
	memcpy(skip + 8, "other!", 6);
	xti_put_raw(&f, skip, sizeof(skip));

	/* frame 1: keyframe at step 2 and one step */
	uint64_t frame1 = f.len;
	b.len = 0;
	struct xt_state s = fh.initial;
	s.regs.rip += 2;
	s.exit.io_data[0] = 0x2a;
	s.exit.io_data_len = 1;
	xti_put_map(&b, 3);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, XT_REC_KEYFRAME);
	xti_put_uint(&b, XTK_K_STEP);
	xti_put_uint(&b, 2);
	xti_put_uint(&b, XTK_K_STATE);
	xti_put_state(&b, &s, XT_CAPTURE_DEFAULT);
	xti_put_map(&b, 2);
	xti_put_uint(&b, XTK_TYPE);
	xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, XT_F_RAX);
	xti_put_int(&b, 1);
	s.regs.rax++;
	fx_put_frame(&f, &b);

	/* the footer, with an unknown key, and the trailer */
	uint64_t footer_at = f.len;
	const struct xt_frame_index ix[2] = { { frame0, 0, 2 }, { frame1, 2, 1 } };
	const struct xt_hist_entry hist[1] = { { 1, 3 } };
	struct xt_footer foot = { .steps = 3, .end_reason = XT_END_HLT, .end_detail = "hlt",
				  .hist = hist, .n_hist = 1, .final = &s, .index = ix, .n_index = 2 };
	foot.event_counts[XT_EV_NOTE] = 1;
	h.len = 0;
	xti_put_footer(&h, &foot, XT_CAPTURE_DEFAULT);
	if (h.p[0] != 0xaa)
		die("the footer is no longer a 10-pair map: update make_corpus");
	b.len = 0;
	xti_put_map(&b, 11);
	xti_put_raw(&b, h.p + 1, h.len - 1);
	xti_put_uint(&b, 99);
	xti_put_raw(&b, odd_scalars[5], odd_scalar_len[5]);
	fx_put_frame(&f, &b);
	uint8_t t[XTI_TRAILER_SIZE];
	xti_trailer(t, footer_at);
	xti_put_raw(&f, t, sizeof(t));
	if (f.oom || b.oom || h.oom)
		die("out of memory");
	spill("newer-minor", f.p, f.len);

	xti_buf_free(&f);
	xti_buf_free(&b);
	xti_buf_free(&h);
}

/* The fixture's hostile traces: one per class of fault the reader refuses (issue #15). */
static void write_hostile(void)
{
	struct xti_buf f = { 0 };
	char name[64];
	for (size_t i = 0; i < fx_hostile_count(); i++) {
		const struct fx_hostile *h = fx_hostile_make(i, &f);
		snprintf(name, sizeof(name), "strict-%s", h->name);
		spill(name, f.p, f.len);
	}
	xti_buf_free(&f);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) < 0 && errno != EEXIST)
		die("cannot create %s: %s", out_dir, strerror(errno));

	const struct trace_spec traces[] = {
		/* the fixture's full header; the frames small enough to have a few */
		{ "trace-complete", XT_CAPTURE_DEFAULT, 40, 8, HDR_FULL, true, 1 },
		{ "trace-all-blocks", XT_CAPTURE_DEFAULT | XT_CAPTURE_DEBUGREGS | XT_CAPTURE_LAPIC |
			XT_CAPTURE_FPU | XT_CAPTURE_STATS, 24, 6, HDR_SMALL, true, 1 },
		{ "trace-one-frame", XT_CAPTURE_DEFAULT, 12, 0, HDR_SMALL, true, 1 },
		{ "trace-no-footer", XT_CAPTURE_DEFAULT, 20, 7, HDR_SMALL, false, 1 },
		{ "trace-header-only", XT_CAPTURE_DEFAULT, 0, 0, HDR_SMALL, false, 1 },
		{ "trace-big-header", XT_CAPTURE_DEFAULT, 6, 3, HDR_BIG, true, 1 },
		/* several vCPUs (format 2.0): keyframes per vCPU, deltas per vCPU, footer summaries */
		{ "trace-vcpus", XT_CAPTURE_DEFAULT, 30, 5, HDR_SMALL, true, 3 },
		{ "trace-vcpus-no-footer", XT_CAPTURE_DEFAULT, 16, 4, HDR_SMALL, false, 2 },
	};
	for (size_t i = 0; i < sizeof(traces) / sizeof(traces[0]); i++)
		write_trace(&traces[i]);
	write_cuts("trace-all-blocks");
	write_edges();
	write_newer_minor();
	write_hostile();
	return 0;
}
