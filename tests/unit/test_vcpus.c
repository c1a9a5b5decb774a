// SPDX-License-Identifier: MIT
/*
 * Traces of several vCPUs: steps of the vCPUs interleaved as concurrent
 * vCPU threads would make them (bursts, a vCPU that starts late, one that
 * never runs), across many frames.  Read back in the global order, each
 * step with its vCPU, its number among that vCPU's steps and that vCPU's
 * state; seeking to every step; the footer's per-vCPU figures; a trace cut
 * at every byte offset yields exactly the steps of its complete frames, in
 * the global order; the writer and the reader refuse vCPUs the trace does
 * not have; a trace of one vCPU stays readable by a 1.0 reader.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"
#include "xt_internal.h"

#define VCPUS 4		/* vCPU 3 never runs */
#define STEPS 120
#define LATE 45		/* vCPU 2's first step is after this one */
#define CAPTURE XT_CAPTURE_DEFAULT

/* what the writer was given, by global step */
static struct xt_state states[STEPS + 1];	/* the state of the step's vCPU after it */
static uint32_t vcpu_of[STEPS + 1];
static uint64_t vcpu_step_of[STEPS + 1];
static struct xt_state final_of[VCPUS];
static uint64_t steps_of[VCPUS];
static struct xt_event events[STEPS];
static struct fx_event_storage store[STEPS];
static size_t nev;

static char dir[] = "/tmp/xt-vcpus-XXXXXX";

static const char *tmp(const char *name)
{
	static char p[4][128];
	static int i;
	snprintf(p[i & 3], sizeof(p[0]), "%s/%s", dir, name);
	return p[i++ & 3];
}

/* Who steps next: bursts of one vCPU, as threads that each run a while. */
static uint32_t next_vcpu(struct fx_rng *rng, uint64_t step, uint32_t cur)
{
	uint32_t running = step > LATE ? 3 : 2;
	uint64_t x = fx_rand(rng);
	if (x % 4 == 0)		/* a burst goes on */
		return cur < running ? cur : 0;
	return (uint32_t)(x >> 8) % running;
}

static void add_event(struct xt_writer *w, struct fx_rng *rng, uint32_t kind, uint64_t step,
		      uint32_t vcpu)
{
	fx_event(rng, kind, step, &events[nev], &store[nev]);
	events[nev].vcpu = vcpu;
	TEST_EQ_U64(0, xt_writer_event(w, &events[nev]), "event %zu: %s", nev, xt_writer_error(w)->msg);
	nev++;
}

static void write_trace(const char *path, const struct fx_header *fh)
{
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 9 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh->h, &opts, &err), "open: %s", err.msg);
	struct xt_state cur[VCPUS];
	cur[0] = fh->initial;
	for (uint32_t v = 1; v < VCPUS; v++)
		cur[v] = fh->initial_vcpus[v - 1];
	struct fx_rng rng = { 99 };
	uint32_t vcpu = 0;
	for (uint64_t step = 1; step <= STEPS; step++) {
		vcpu = next_vcpu(&rng, step, vcpu);
		if (step % 11 == 0)	/* an injection precedes the step it is for */
			add_event(w, &rng, XT_EV_IRQ_INJECT, step, vcpu);
		fx_step(&rng, &cur[vcpu], steps_of[vcpu] + 1, CAPTURE, true);
		states[step] = cur[vcpu];
		vcpu_of[step] = vcpu;
		vcpu_step_of[step] = ++steps_of[vcpu];
		/* the three ways in: the plain call for vCPU 0 now and then, the vCPU call always else */
		int rc = vcpu == 0 && step % 3 == 0 ? xt_writer_step(w, &cur[0])
						     : xt_writer_step_vcpu(w, vcpu, &cur[vcpu], 0);
		TEST_EQ_U64(0, rc, "step %" PRIu64 ": %s", step, xt_writer_error(w)->msg);
		if (step % 5 == 0)	/* an event of the vCPU that stepped, one of another */
			add_event(w, &rng, XT_EV_CONSOLE, step, vcpu);
		if (step % 13 == 0)
			add_event(w, &rng, XT_EV_NOTE, step, (vcpu + 1) % VCPUS);
		if (step == 80) {	/* a frame of events only */
			TEST_EQ_U64(0, xt_writer_flush(w), "flush");
			add_event(w, &rng, XT_EV_NOTE, step, 2);
			TEST_EQ_U64(0, xt_writer_flush(w), "flush");
		}
	}
	/* what the trace does not have is refused, and the writer goes on */
	TEST_EQ_U64((uint64_t)-EINVAL, (uint64_t)xt_writer_step_vcpu(w, VCPUS, &cur[0], 0), "vCPU %d", VCPUS);
	TEST_CONTAINS(xt_writer_error(w)->msg, "but the trace has 4 vCPUs", "message");
	struct xt_event bad = { .kind = XT_EV_NOTE, .step = STEPS, .vcpu = VCPUS, .note.text = "x" };
	TEST_EQ_U64((uint64_t)-EINVAL, (uint64_t)xt_writer_event(w, &bad), "event of vCPU %d", VCPUS);
	TEST_EQ_U64(STEPS, xt_writer_steps(w), "the refused step is not counted");
	for (uint32_t v = 0; v < VCPUS; v++)
		final_of[v] = cur[v];
	struct xt_footer foot = { .end_reason = XT_END_HLT };
	TEST_EQ_U64(0, xt_writer_close(w, &foot, &err), "close: %s", err.msg);
}

static const struct xt_state *initial_of(const struct fx_header *fh, uint32_t v)
{
	return v ? &fh->initial_vcpus[v - 1] : &fh->initial;
}

/* The step record of global step s, as the reader gives it, against what was written. */
static void check_step(const struct fx_header *fh, const struct xt_record *rec, uint64_t s,
		       const char *how)
{
	TEST_EQ_U64(s, rec->step, "%s: global step", how);
	TEST_EQ_U64(vcpu_of[s], rec->vcpu, "%s: step %" PRIu64 "'s vCPU", how, s);
	TEST_EQ_U64(vcpu_step_of[s], rec->vcpu_step, "%s: step %" PRIu64 "'s number on its vCPU", how, s);
	const struct xt_field *d = fx_state_differs(&states[s], rec->state, CAPTURE);
	TEST_ASSERT(!d, "%s: step %" PRIu64 " (vCPU %u): %s differs", how, s, rec->vcpu, d ? d->name : "");
	/* the deltas were against the vCPU's own previous state */
	uint64_t p = s - 1;
	while (p && vcpu_of[p] != vcpu_of[s])
		p--;
	struct xt_field_set want;
	xt_state_diff(p ? &states[p] : initial_of(fh, vcpu_of[s]), &states[s], CAPTURE, &want);
	TEST_ASSERT(!memcmp(&want, rec->changed, sizeof(want)), "%s: step %" PRIu64 ": changed set", how, s);
}

static void test_read_back(const struct fx_header *fh, const char *path)
{
	struct xt_reader *r;
	struct xt_error err;
	TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "open: %s", err.msg);
	const struct xt_header *h = xt_reader_header(r);
	TEST_EQ_U64(XT_FORMAT_MAJOR, h->version_major, "several vCPUs: format 2");
	TEST_EQ_U64(VCPUS, h->vm.n_vcpus, "vCPUs");
	for (uint32_t v = 0; v < VCPUS; v++)
		TEST_EQ_U64(2 * v, h->vm.apic_ids[v], "APIC ID of vCPU %u", v);
	for (uint32_t v = 1; v < VCPUS; v++)
		TEST_ASSERT(!fx_state_differs(&fh->initial_vcpus[v - 1], &h->initial_vcpus[v - 1], CAPTURE),
			    "initial state of vCPU %u", v);
	TEST_ASSERT(!fx_state_differs(&fh->initial, h->initial, CAPTURE), "initial state of vCPU 0");

	const struct xt_footer *f = xt_reader_footer(r);
	TEST_ASSERT(f, "complete");
	TEST_EQ_U64(STEPS, f->steps, "footer steps");
	TEST_EQ_U64(VCPUS, f->n_vcpus, "footer vCPUs");
	TEST_ASSERT(steps_of[2] > 0 && steps_of[3] == 0, "vCPU 2 ran, vCPU 3 did not");
	for (uint32_t v = 0; v < VCPUS; v++) {
		TEST_EQ_U64(steps_of[v], f->vcpus[v].steps, "footer steps of vCPU %u", v);
		uint64_t sum = 0;
		for (size_t i = 0; i < f->vcpus[v].n_hist; i++) {
			uint64_t want = 0;
			for (uint64_t s = 1; s <= STEPS; s++)
				want += vcpu_of[s] == v && states[s].exit.reason == f->vcpus[v].hist[i].reason;
			TEST_EQ_U64(want, f->vcpus[v].hist[i].count, "vCPU %u: exits %" PRIu64, v,
				    f->vcpus[v].hist[i].reason);
			sum += f->vcpus[v].hist[i].count;
		}
		TEST_EQ_U64(steps_of[v], sum, "vCPU %u's histogram adds up to its steps", v);
		const struct xt_field *d = fx_state_differs(&final_of[v], f->vcpus[v].final, CAPTURE);
		TEST_ASSERT(!d, "final state of vCPU %u: %s", v, d ? d->name : "");
	}
	TEST_ASSERT(f->vcpus[0].final == f->final, "vCPU 0's final state is the footer's own");

	/* the global order, every step and event */
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t step = 0;
	size_t ei = 0;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type == XT_REC_STEP) {
			check_step(fh, &rec, ++step, "in order");
			continue;
		}
		TEST_ASSERT(ei < nev, "too many events");
		TEST_ASSERT(fx_event_equal(&events[ei], rec.event), "event %zu differs", ei);
		TEST_EQ_U64(events[ei].vcpu, rec.vcpu, "event %zu's vCPU", ei);
		ei++;
	}
	TEST_EQ_U64(0, rc, "end: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(STEPS, step, "steps");
	TEST_EQ_U64(nev, ei, "events");
	for (uint32_t v = 0; v < VCPUS; v++)
		TEST_ASSERT(!fx_state_differs(&final_of[v], xt_reader_vcpu_state(r, v), CAPTURE),
			    "vCPU %u's state at the end", v);
	TEST_ASSERT(!xt_reader_vcpu_state(r, VCPUS), "no vCPU %d", VCPUS);

	/* seeking by global step: each frame decodes on its own, per-vCPU numbers included */
	for (uint64_t s = 1; s <= STEPS; s++) {
		TEST_EQ_U64(0, xt_reader_seek(r, s), "seek %" PRIu64 ": %s", s, xt_reader_error(r)->msg);
		do
			TEST_EQ_U64(1, xt_reader_next(r, &rec), "read after seek %" PRIu64, s);
		while (rec.type != XT_REC_STEP);
		check_step(fh, &rec, s, "after a seek");
		/* the vCPUs that did not step: as they were after their last step before s */
		for (uint32_t v = 0; v < VCPUS; v++) {
			uint64_t p = s;
			while (p && vcpu_of[p] != v)
				p--;
			const struct xt_field *d = fx_state_differs(p ? &states[p] : initial_of(fh, v),
								    xt_reader_vcpu_state(r, v), CAPTURE);
			TEST_ASSERT(!d, "seek %" PRIu64 ": vCPU %u's state: %s", s, v, d ? d->name : "");
		}
	}
	xt_reader_close(r);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	TEST_ASSERT(fp, "open %s", path);
	struct stat st;
	fstat(fileno(fp), &st);
	uint8_t *p = malloc((size_t)st.st_size);
	TEST_ASSERT(fread(p, 1, (size_t)st.st_size, fp) == (size_t)st.st_size, "read %s", path);
	fclose(fp);
	*n = (size_t)st.st_size;
	return p;
}

/* A recorder killed anywhere: every complete frame of every vCPU, in the global order. */
static void test_cuts(const struct fx_header *fh, const char *path)
{
	struct xt_reader *r;
	struct xt_error err;
	TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "open: %s", err.msg);
	size_t nframes;
	const struct xt_frame_index *ix = xt_reader_index(r, &nframes);
	struct xt_frame_index *frames = malloc(nframes * sizeof(*frames));
	memcpy(frames, ix, nframes * sizeof(*frames));
	xt_reader_close(r);

	size_t size;
	uint8_t *full = slurp(path, &size);
	uint64_t footer_at = xti_rd64(full + size - 8);	/* the trailer's pointer */
	int fd = memfd_create("xt-cut", 0);
	TEST_ASSERT(fd >= 0, "memfd_create");
	char cut[64];
	snprintf(cut, sizeof(cut), "/proc/self/fd/%d", fd);
	size_t cuts = 0;
	for (size_t n = frames[0].offset; n <= size; n++) {
		TEST_ASSERT(ftruncate(fd, 0) == 0 && pwrite(fd, full, n, 0) == (ssize_t)n, "cut %zu", n);
		TEST_EQ_U64(0, xt_reader_open(&r, cut, &err), "cut at %zu: %s", n, err.msg);
		uint64_t want = 0;
		for (size_t i = 0; i < nframes; i++) {
			uint64_t end = i + 1 < nframes ? frames[i + 1].offset : footer_at;
			if (end <= n)
				want += frames[i].nsteps;
		}
		struct xt_record rec = XT_RECORD_INIT;
		uint64_t step = 0;
		int rc;
		while ((rc = xt_reader_next(r, &rec)) > 0)
			if (rec.type == XT_REC_STEP)
				check_step(fh, &rec, ++step, "cut");
		TEST_EQ_U64(0, rc, "cut at %zu: %s", n, xt_reader_error(r)->msg);
		TEST_EQ_U64(want, step, "steps recovered from a cut at %zu", n);
		TEST_EQ_U64(n < size - XTI_TRAILER_SIZE, xt_reader_truncated(r), "truncated at %zu", n);
		xt_reader_close(r);
		cuts++;
	}
	printf("cut at each of %zu offsets: the steps of every complete frame, in order\n", cuts);
	close(fd);
	free(full);
	free(frames);
}

/* One vCPU: format 1.1, which a 1.0 reader reads right: no step carries a vCPU. */
static void test_one_vcpu(void)
{
	struct fx_header fh;
	fx_header_init(&fh, CAPTURE);
	struct xt_writer *w;
	struct xt_error err;
	TEST_EQ_U64(0, xt_writer_open(&w, tmp("one.xtr"), &fh.h, NULL, &err), "open: %s", err.msg);
	struct xt_state s = fh.initial;
	struct fx_rng rng = { 5 };
	for (uint64_t i = 1; i <= 50; i++) {
		fx_step(&rng, &s, i, CAPTURE, true);
		TEST_EQ_U64(0, xt_writer_step_vcpu(w, 0, &s, 0), "step");
	}
	TEST_EQ_U64((uint64_t)-EINVAL, (uint64_t)xt_writer_step_vcpu(w, 1, &s, 0), "no vCPU 1");
	struct xt_footer foot = { .end_reason = XT_END_HLT };
	TEST_EQ_U64(0, xt_writer_close(w, &foot, &err), "close: %s", err.msg);
	size_t n;
	uint8_t *p = slurp(tmp("one.xtr"), &n);
	TEST_EQ_U64(1, xti_rd16(p + 16), "file mark: major 1");
	TEST_EQ_U64(1, xti_rd16(p + 18), "file mark: minor 1");
	free(p);
	struct xt_reader *r;
	TEST_EQ_U64(0, xt_reader_open(&r, tmp("one.xtr"), &err), "open: %s", err.msg);
	TEST_EQ_U64(1, xt_reader_header(r)->vm.n_vcpus, "one vCPU");
	TEST_EQ_U64(0, xt_reader_header(r)->vm.apic_ids[0], "APIC ID 0");
	TEST_ASSERT(!xt_reader_footer(r)->vcpus && !xt_reader_footer(r)->n_vcpus,
		    "no per-vCPU summaries for one vCPU");
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t k = 0;
	while (xt_reader_next(r, &rec) > 0) {
		TEST_EQ_U64(0, rec.vcpu, "vCPU 0");
		TEST_EQ_U64(++k, rec.vcpu_step, "per-vCPU numbers are the global ones");
		/* a step record is {0: 3, field: delta, ...}: the vCPU key would follow the type */
		TEST_ASSERT(rec.raw_len < 3 || rec.raw[3] != 0x19, "step %" PRIu64 ": no vCPU key", k);
	}
	TEST_EQ_U64(50, k, "steps");
	xt_reader_close(r);
}

/* A hand-made 2-vCPU trace: a header and one data frame of the given records. */
static void put_trace(const char *path, const struct xti_buf *frame)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fx_header_vcpus(&fh, 2);
	struct xti_buf f = { 0 }, b = { 0 };
	fx_put_mark(&f, XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
	xti_put_header(&b, &fh.h);
	fx_put_frame(&f, &b);
	fx_put_frame(&f, frame);
	FILE *fp = fopen(path, "wb");
	TEST_ASSERT(fp && fwrite(f.p, 1, f.len, fp) == f.len && fclose(fp) == 0, "write %s", path);
	xti_buf_free(&f);
	xti_buf_free(&b);
}

static void put_keyframe(struct xti_buf *b, uint64_t step, uint64_t own, uint32_t vcpu)
{
	/* the vCPU's state as put_trace()'s header has it: what a keyframe must repeat */
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fx_header_vcpus(&fh, 2);
	const struct xt_state *s = vcpu == 1 ? &fh.initial_vcpus[0] : &fh.initial;
	xti_put_map(b, 4 + (vcpu != 0));
	xti_put_uint(b, 0); xti_put_uint(b, XT_REC_KEYFRAME);
	xti_put_uint(b, 1); xti_put_uint(b, step);
	xti_put_uint(b, 4); xti_put_state(b, s, XT_CAPTURE_DEFAULT);
	xti_put_uint(b, 5); xti_put_uint(b, own);
	if (vcpu) {
		xti_put_uint(b, 256);
		xti_put_uint(b, vcpu);
	}
}

/* Read to the end; the error message, or "" when it reads. */
static const char *read_err(const char *path)
{
	static struct xt_error err;
	struct xt_reader *r;
	memset(&err, 0, sizeof(err));
	if (xt_reader_open(&r, path, &err) < 0)
		return err.msg;
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0)
		;
	if (rc < 0)
		err = *xt_reader_error(r);
	xt_reader_close(r);
	TEST_ASSERT(rc == 0 || err.has_offset, "the error names an offset: %s", err.msg);
	return err.msg;
}

static void test_bad_input(void)
{
	struct xti_buf b = { 0 };
	/* a step of vCPU 1 whose vCPU comes after a delta: the delta would have gone to vCPU 0 */
	put_keyframe(&b, 0, 0, 0);
	xti_put_map(&b, 3);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, XT_F_RIP); xti_put_int(&b, 2);
	xti_put_uint(&b, 256); xti_put_uint(&b, 1);
	put_trace(tmp("late-vcpu.xtr"), &b);
	TEST_CONTAINS(read_err(tmp("late-vcpu.xtr")), "the vCPU must come right after the type", "late vCPU key");

	/* a step of a vCPU the header does not have */
	b.len = 0;
	put_keyframe(&b, 0, 0, 0);
	xti_put_map(&b, 2);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, 256); xti_put_uint(&b, 2);
	put_trace(tmp("vcpu2.xtr"), &b);
	TEST_CONTAINS(read_err(tmp("vcpu2.xtr")), "vCPU 2, but the trace has 2", "no vCPU 2");

	/* keyframes that count more steps than the frame starts at */
	b.len = 0;
	put_keyframe(&b, 0, 0, 0);
	put_keyframe(&b, 0, 1, 1);
	put_trace(tmp("count.xtr"), &b);
	TEST_CONTAINS(read_err(tmp("count.xtr")), "its keyframes count more steps than its first step 0",
		      "keyframe counts");

	/* vCPU 1's keyframe twice */
	b.len = 0;
	put_keyframe(&b, 0, 0, 0);
	put_keyframe(&b, 0, 0, 1);
	put_keyframe(&b, 0, 0, 1);
	put_trace(tmp("twice.xtr"), &b);
	TEST_CONTAINS(read_err(tmp("twice.xtr")), "out of order or twice", "keyframe twice");

	/* vCPU 1's keyframe with its step key twice: refused as any map holding a key twice */
	b.len = 0;
	put_keyframe(&b, 0, 0, 0);
	{
		struct fx_header fh;
		fx_header_init(&fh, XT_CAPTURE_DEFAULT);
		fx_header_vcpus(&fh, 2);
		xti_put_map(&b, 6);
		xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_KEYFRAME);
		xti_put_uint(&b, 1); xti_put_uint(&b, 0);
		xti_put_uint(&b, 1); xti_put_uint(&b, 0);
		xti_put_uint(&b, 4); xti_put_state(&b, &fh.initial_vcpus[0], XT_CAPTURE_DEFAULT);
		xti_put_uint(&b, 5); xti_put_uint(&b, 0);
		xti_put_uint(&b, 256); xti_put_uint(&b, 1);
	}
	put_trace(tmp("dup-key.xtr"), &b);
	TEST_CONTAINS(read_err(tmp("dup-key.xtr")), "appears twice", "a key twice in vCPU 1's keyframe");

	/* an event of a vCPU the header does not have */
	b.len = 0;
	put_keyframe(&b, 0, 0, 0);
	xti_put_map(&b, 5);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_EVENT);
	xti_put_uint(&b, 1); xti_put_uint(&b, XT_EV_NOTE);
	xti_put_uint(&b, 2); xti_put_uint(&b, 0);
	xti_put_uint(&b, 3); xti_put_text(&b, "hi");
	xti_put_uint(&b, 256); xti_put_uint(&b, 7);
	put_trace(tmp("event.xtr"), &b);
	TEST_CONTAINS(read_err(tmp("event.xtr")), "an event of vCPU 7, but the trace has 2", "event vCPU");
	xti_buf_free(&b);
}

/* A vCPU that made steps must have its keyframe in each later frame. */
static void test_missing_keyframe(void)
{
	struct xti_buf f = { 0 }, b = { 0 }, h = { 0 };
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fx_header_vcpus(&fh, 2);
	fx_put_mark(&f, XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
	xti_put_header(&h, &fh.h);
	fx_put_frame(&f, &h);
	put_keyframe(&b, 0, 0, 0);
	xti_put_map(&b, 3);
	xti_put_uint(&b, 0); xti_put_uint(&b, XT_REC_STEP);
	xti_put_uint(&b, 256); xti_put_uint(&b, 1);
	xti_put_uint(&b, XT_F_RIP); xti_put_int(&b, 2);
	fx_put_frame(&f, &b);
	b.len = 0;
	put_keyframe(&b, 1, 1, 0);	/* says vCPU 0 made the step: vCPU 1's keyframe is missing */
	fx_put_frame(&f, &b);
	FILE *fp = fopen(tmp("missing.xtr"), "wb");
	TEST_ASSERT(fp && fwrite(f.p, 1, f.len, fp) == f.len && fclose(fp) == 0, "write");
	TEST_CONTAINS(read_err(tmp("missing.xtr")), "vCPU 0 has made 1 steps by its keyframe, but 0 were read",
		      "missing keyframe");
	xti_buf_free(&f);
	xti_buf_free(&b);
	xti_buf_free(&h);
}

int main(void)
{
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	static struct fx_header fh;
	fx_header_init(&fh, CAPTURE);
	fx_header_vcpus(&fh, VCPUS);
	/* a small header keeps the every-offset loop short */
	fh.h.vm.n_memory = 1;
	fh.h.image.size = 16;
	const char *path = tmp("vcpus.xtr");
	write_trace(path, &fh);
	test_read_back(&fh, path);
	test_cuts(&fh, path);
	test_one_vcpu();
	test_bad_input();
	test_missing_keyframe();
	printf("%d vCPUs, %d steps (%" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64 "), %zu events\n",
	       VCPUS, STEPS, steps_of[0], steps_of[1], steps_of[2], steps_of[3], nev);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_ASSERT(system(cmd) == 0, "cleanup");
	return 0;
}
