// SPDX-License-Identifier: MIT
/*
 * xt_reader_peek(): it names the next record without consuming it, leaves
 * the last step's state and changed set alone (also across a frame end,
 * where a step's events and the next step's injection sit in the next
 * frame), and agrees with xt_reader_next() after a seek and with keyframes.
 */
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"

#define STEPS 200
#define FRAME_STEPS 10

static struct xt_state states[STEPS + 1];

/*
 * Events: a taken IRQ after every 7th step, an injection before every 5th.
 * Frames end after every 10th step, so step 70's taken event opens frame 8.
 */
static bool has_taken(uint64_t k) { return k % 7 == 0; }
static bool has_inject(uint64_t k) { return k % 5 == 0; }

static void write_trace(const char *path)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = FRAME_STEPS };
	struct xt_writer *w;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, &opts, &err), "open: %s", err.msg);
	struct fx_rng rng = { 7 };
	states[0] = fh.initial;
	for (uint64_t k = 1; k <= STEPS; k++) {
		struct xt_event ev;
		struct fx_event_storage st;
		if (has_inject(k)) {
			fx_event(&rng, XT_EV_IRQ_INJECT, k, &ev, &st);
			TEST_EQ_U64(0, xt_writer_event(w, &ev), "inject");
		}
		states[k] = states[k - 1];
		fx_step(&rng, &states[k], k, XT_CAPTURE_DEFAULT, false);
		TEST_EQ_U64(0, xt_writer_step(w, &states[k]), "step %" PRIu64, k);
		if (has_taken(k)) {
			fx_event(&rng, XT_EV_IRQ_TAKEN, k, &ev, &st);
			TEST_EQ_U64(0, xt_writer_event(w, &ev), "taken");
		}
	}
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &err), "close: %s", err.msg);
}

/* Read from step `from`, peeking before every record; check what each step gathers. */
static void walk(struct xt_reader *r, uint64_t from)
{
	uint64_t want = from;
	for (;;) {
		uint32_t type = 0;
		int rc = xt_reader_peek(r, &type);
		TEST_ASSERT(rc >= 0, "peek: %s", xt_reader_error(r)->msg);
		uint32_t again = 0;
		TEST_EQ_U64(rc, xt_reader_peek(r, &again), "a second peek says the same");
		TEST_EQ_U64(type, again, "the same type twice");
		struct xt_record rec = XT_RECORD_INIT;
		int rn = xt_reader_next(r, &rec);
		TEST_EQ_U64(rc, rn, "next agrees with peek at step %" PRIu64, want);
		if (rn == 0)
			break;
		TEST_EQ_U64(type, rec.type, "the record peeked is the record read");
		if (rec.type != XT_REC_STEP)
			continue;
		TEST_EQ_U64(want, rec.step, "steps in order");
		TEST_ASSERT(rec.raw && rec.raw_len >= 3 && (rec.raw[0] & 0xe0) == 0xa0,
			    "step %" PRIu64 ": raw is the record, a CBOR map", want);
		bool said_step = rec.next_is_step;
		if (said_step) {
			uint32_t t;
			TEST_EQ_U64(1, xt_reader_peek(r, &t), "peek");
			TEST_EQ_U64(XT_REC_STEP, t, "step %" PRIu64 ": next_is_step, so a step follows", want);
		}
		const struct xt_state *s = rec.state;
		const struct xt_field_set *changed_p = rec.changed;
		struct xt_field_set changed = *rec.changed;
		/* gather the step's events: peek until the next step record */
		unsigned taken = 0, inject_next = 0;
		while ((rc = xt_reader_peek(r, &type)) > 0 && type == XT_REC_EVENT) {
			TEST_EQ_U64(1, xt_reader_next(r, &rec), "the event");
			if (rec.event->kind == XT_EV_IRQ_TAKEN) {
				TEST_EQ_U64(want, rec.event->step, "a taken event follows its step");
				taken++;
			} else {
				TEST_EQ_U64(want + 1, rec.event->step, "an injection precedes its step");
				inject_next++;
			}
		}
		TEST_ASSERT(rc >= 0, "peek: %s", xt_reader_error(r)->msg);
		TEST_EQ_U64(has_taken(want), taken, "step %" PRIu64 "'s taken events", want);
		TEST_EQ_U64(want < STEPS && has_inject(want + 1), inject_next,
			    "injections for step %" PRIu64, want + 1);
		/* the state and changed set handed out with the step survived the peeks */
		const struct xt_field *f = fx_state_differs(&states[want], s, XT_CAPTURE_DEFAULT);
		TEST_ASSERT(!f, "step %" PRIu64 ": %s changed under the peeks", want, f ? f->name : "");
		TEST_ASSERT(!memcmp(&changed, changed_p, sizeof(changed)),
			    "step %" PRIu64 "'s changed set survived the peeks", want);
		TEST_ASSERT(xt_field_set_has(&changed, XT_F_RIP), "step %" PRIu64 " changed rip", want);
		want++;
	}
	TEST_EQ_U64(STEPS + 1, want, "every step read");
}

int main(void)
{
	char path[] = "/tmp/xt-peek-XXXXXX";
	int fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	close(fd);
	write_trace(path);

	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "open: %s", err.msg);
	walk(r, 1);

	/* after a seek into a frame: records before the step are skipped, peeked or not */
	TEST_EQ_U64(0, xt_reader_seek(r, 35), "seek: %s", xt_reader_error(r)->msg);
	uint32_t type;
	TEST_EQ_U64(1, xt_reader_peek(r, &type), "peek after the seek");
	TEST_EQ_U64(XT_REC_EVENT, type, "step 35's injection comes first");
	struct xt_record rec = XT_RECORD_INIT;
	TEST_EQ_U64(1, xt_reader_next(r, &rec), "the injection");
	TEST_EQ_U64(35, rec.event->step, "for step 35");
	walk(r, 35);

	/* keyframes: peek names one before next returns it */
	TEST_EQ_U64(0, xt_reader_seek(r, 0), "rewind");
	xt_reader_set_keyframes(r, true);
	TEST_EQ_U64(1, xt_reader_peek(r, &type), "peek");
	TEST_EQ_U64(XT_REC_KEYFRAME, type, "the first keyframe");
	TEST_EQ_U64(1, xt_reader_next(r, &rec), "next");
	TEST_EQ_U64(XT_REC_KEYFRAME, rec.type, "is the keyframe");
	TEST_EQ_U64(1, xt_reader_peek(r, &type), "peek");
	TEST_EQ_U64(XT_REC_STEP, type, "then step 1");
	xt_reader_close(r);
	unlink(path);
	return 0;
}
