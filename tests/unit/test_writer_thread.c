// SPDX-License-Identifier: MIT
/*
 * The recorder's writer thread writes what the stepping thread would have
 * written itself: the same records in the same order, through many laps of
 * its ring, steps with and without their segment and event blocks, exit
 * blobs, events of every kind (the ones with data queued or, when large or
 * spread over buffers, written directly after a drain), and drains with a
 * flush in between as the recorder's 100 ms tick does.  A write error on
 * the writer thread reaches the stepping thread, and the frames written
 * before it stay readable.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"
#include "writer_thread.h"

#define STEPS 120000	/* ~350 bytes a step in the ring: about ten laps of it */
#define BIG_CONSOLE (300u << 10)

static char dir[] = "/tmp/xt-wthread-XXXXXX";
/* what the traces capture: the default blocks, then with time, which the thread carries as a block of its own */
static uint32_t capture = XT_CAPTURE_DEFAULT;

/* The blocks the recorder would call unchanged: it compares them against the last step's. */
static uint32_t same_blocks(const struct xt_state *prev, const struct xt_state *cur)
{
	uint32_t same = 0;
	if (!memcmp(&prev->sregs, &cur->sregs, sizeof(cur->sregs)))
		same |= 1u << XT_BLOCK_SREGS;
	if (!memcmp(&prev->events, &cur->events, sizeof(cur->events)))
		same |= 1u << XT_BLOCK_EVENTS;
	return same;
}

struct sink {
	struct xt_writer *w;
	struct writer_thread *t;	/* NULL: straight to the writer */
};

static int put_step(struct sink *k, const struct xt_state *s, uint32_t same)
{
	return k->t ? wthread_step(k->t, 0, s, same) : xt_writer_step_same(k->w, s, same);
}

static int put_event(struct sink *k, const struct xt_event *ev)
{
	return k->t ? wthread_event(k->t, ev) : xt_writer_event(k->w, ev);
}

/*
 * A synthetic recording into path; returns the first error (0 if none) and
 * leaves the writer open in *k for the caller to close or abandon.
 */
static int feed(const char *path, bool threaded, const struct xt_writer_options *wo,
		uint64_t flush_every, struct sink *k, uint64_t *steps_put)
{
	static struct fx_header fh;
	static struct xt_state s, prev;
	static uint8_t big[BIG_CONSOLE];
	struct xt_error err = { 0 };
	fx_header_init(&fh, capture);
	memset(k, 0, sizeof(*k));
	TEST_EQ_U64(0, xt_writer_open(&k->w, path, &fh.h, wo, &err), "open %s: %s", path, err.msg);
	if (threaded)
	{
		const struct xt_state *initial = &fh.initial;
		TEST_EQ_U64(0, wthread_start(&k->t, k->w, &initial, 1, capture & XT_CAPTURE_TIME, &err), "start: %s", err.msg);
	}
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	struct fx_rng rng = { 7 };
	s = prev = fh.initial;
	int rc = 0;
	for (uint64_t i = 1; i <= STEPS && !rc; i++) {
		fx_step(&rng, &s, i, capture, true);
		/* the first step claims nothing unchanged, as the recorder's last one does */
		rc = put_step(k, &s, i == 1 ? 0 : same_blocks(&prev, &s));
		prev = s;
		*steps_put = i;
		struct xt_event ev;
		struct fx_event_storage st;
		if (!rc && i % 331 == 0) {
			fx_event(&rng, 1 + (uint32_t)(i / 331) % (XT_EV_KIND_LIMIT - 1), i, &ev, &st);
			rc = put_event(k, &ev);
		}
		if (!rc && i == STEPS / 2) {
			ev = (struct xt_event){ .kind = XT_EV_CONSOLE, .step = i };
			ev.console.data = big;
			ev.console.len = sizeof(big);
			rc = put_event(k, &ev);
		}
		if (!rc && flush_every && i % flush_every == 0) {
			/* as the recorder's tick does: queued, or after a drain when ktrace needs the writer */
			if (k->t && i % (2 * flush_every))
				rc = wthread_flush(k->t);
			else if (!k->t || !(rc = wthread_drain(k->t)))
				rc = xt_writer_flush(k->w);
		}
	}
	if (k->t) {
		int drc = wthread_drain(k->t);
		TEST_ASSERT(!rc || drc == rc, "the drain gives the error the steps got (%d, %d)", drc, rc);
		rc = drc;
		wthread_stop(k->t);
		k->t = NULL;
	}
	return rc;
}

static void write_trace(const char *path, bool threaded)
{
	struct sink k;
	uint64_t n;
	TEST_EQ_U64(0, feed(path, threaded, NULL, 25000, &k, &n), "%s: %s", path, xt_writer_error(k.w)->msg);
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_close(k.w, &f, &err), "close: %s", err.msg);
}

static void same_records(const char *a_path, const char *b_path)
{
	struct xt_reader *a, *b;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_reader_open(&a, a_path, &err), "%s", err.msg);
	TEST_EQ_U64(0, xt_reader_open(&b, b_path, &err), "%s", err.msg);
	struct xt_record ra = XT_RECORD_INIT, rb = XT_RECORD_INIT;
	uint64_t steps = 0, events = 0, big = 0, frames_a = 0, frames_b = 0, at_a = 0, at_b = 0;
	for (;;) {
		int na = xt_reader_next(a, &ra), nb = xt_reader_next(b, &rb);
		TEST_ASSERT(na >= 0 && nb >= 0, "read: %s / %s", xt_reader_error(a)->msg, xt_reader_error(b)->msg);
		TEST_EQ_U64(na, nb, "both end together (after %llu steps)", (unsigned long long)steps);
		if (!na)
			break;
		TEST_EQ_U64(ra.type, rb.type, "record type after step %llu", (unsigned long long)ra.step);
		frames_a += ra.offset != at_a;
		frames_b += rb.offset != at_b;
		at_a = ra.offset;
		at_b = rb.offset;
		TEST_EQ_U64(frames_a, frames_b, "frames end at the same records (step %llu)",
			    (unsigned long long)ra.step);
		TEST_EQ_U64(ra.step, rb.step, "record step");
		if (ra.type == XT_REC_STEP) {
			const struct xt_field *f = fx_state_differs(ra.state, rb.state, capture);
			TEST_ASSERT(!f, "step %llu: %s differs", (unsigned long long)ra.step, f ? f->name : "");
			steps++;
		} else if (ra.type == XT_REC_EVENT) {
			TEST_ASSERT(fx_event_equal(ra.event, rb.event), "event at step %llu",
				    (unsigned long long)ra.step);
			events++;
			big += ra.event->kind == XT_EV_CONSOLE && ra.event->console.len == BIG_CONSOLE;
		}
	}
	TEST_EQ_U64(STEPS, steps, "every step");
	TEST_EQ_U64(STEPS / 331 + 1, events, "every event");
	TEST_EQ_U64(1, big, "the large console event");
	TEST_ASSERT(frames_a >= STEPS / 25000 + 1, "the flushes made frames (%llu)",
		    (unsigned long long)frames_a);
	xt_reader_close(a);
	xt_reader_close(b);
}

/* A file-size limit makes a frame's write fail on the writer thread (EFBIG). */
static void write_error(void)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/limited.xtr", dir);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 64 << 10;
	TEST_EQ_U64(0, setrlimit(RLIMIT_FSIZE, &lim), "limit the file size");
	struct xt_writer_options wo = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 4096 };
	struct sink k;
	uint64_t put = 0;
	int rc = feed(path, true, &wo, 0, &k, &put);
	setrlimit(RLIMIT_FSIZE, &old);
	TEST_ASSERT(rc < 0, "the write error reached the stepping thread (rc %d)", rc);
	TEST_ASSERT(put < STEPS, "and stopped it early (%llu steps queued)", (unsigned long long)put);
	const char *msg = xt_writer_error(k.w)->msg;
	TEST_CONTAINS(msg, "steps kept", "the error says what was kept");
	uint64_t kept = xt_writer_steps_written(k.w);
	TEST_ASSERT(kept > 0 && kept < put, "some frames kept: %llu steps", (unsigned long long)kept);
	xt_writer_abandon(k.w);

	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "the cut trace opens: %s", err.msg);
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t steps = 0;
	int n;
	while ((n = xt_reader_next(r, &rec)) > 0)
		steps += rec.type == XT_REC_STEP;
	TEST_ASSERT(n == 0, "reads to its end: %s", xt_reader_error(r)->msg);
	TEST_ASSERT(xt_reader_truncated(r), "and says it is truncated");
	TEST_EQ_U64(kept, steps, "with every step the writer said it kept");
	xt_reader_close(r);
}

int main(void)
{
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	char direct[64], threaded[64];
	snprintf(direct, sizeof(direct), "%s/direct.xtr", dir);
	snprintf(threaded, sizeof(threaded), "%s/threaded.xtr", dir);
	write_trace(direct, false);
	write_trace(threaded, true);
	same_records(direct, threaded);
	capture |= XT_CAPTURE_TIME;
	write_trace(direct, false);
	write_trace(threaded, true);
	same_records(direct, threaded);
	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_reader_open(&r, threaded, &err), "%s", err.msg);
	TEST_ASSERT(xt_reader_header(r)->vm.capture & XT_CAPTURE_TIME, "the second pair captures time");
	TEST_ASSERT(xt_reader_footer(r) && xt_reader_footer(r)->final->time.run > STEPS * 3000,
		    "and the time reached the footer's final state");
	xt_reader_close(r);
	capture = XT_CAPTURE_DEFAULT;
	write_error();
	unlink(direct);
	unlink(threaded);
	char limited[64];
	snprintf(limited, sizeof(limited), "%s/limited.xtr", dir);
	unlink(limited);
	rmdir(dir);
	return 0;
}
