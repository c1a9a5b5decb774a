// SPDX-License-Identifier: MIT
/*
 * The reader's memo of decoded step records: records that share their first
 * bytes but differ later, records shorter than the memo's 8-byte key (so the
 * key takes in the next record's bytes), records at a frame's end, and blobs
 * among them, must all read back exactly as written, also after a seek.
 */
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"

#define STEPS 3000
#define FRAME_STEPS 97

static struct xt_state states[STEPS + 1];

/*
 * Step k changes a pattern of fields chosen so that records collide on their
 * first 8 bytes: a4 00 03 11 03 18 45 01 (rip +3, cr2 +1) and then differ in
 * the cr3 delta.
 */
static void make_step(struct xt_state *s, uint64_t k)
{
	s->regs.rip += 3;
	switch (k % 6) {
	case 0: s->sregs.cr2 += 1; s->sregs.cr3 += 1; break;
	case 1: s->sregs.cr2 += 1; s->sregs.cr3 += 2; break;
	case 2: s->sregs.cr2 += 1; s->sregs.cr3 += 1 + k % 3; break;
	case 3: break;					/* rip only: 5 bytes */
	case 4: s->exit.io_data[0] = (uint8_t)k;	/* a blob: never memoised */
		s->exit.io_data_len = 1;
		break;
	case 5: s->regs.rip -= 3;			/* nothing changed: 3 bytes */
		break;
	}
}

static uint8_t raw[STEPS + 1][64];
static size_t raw_len[STEPS + 1];

static void check_all(struct xt_reader *r, uint64_t from)
{
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t want = from;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type != XT_REC_STEP)
			continue;
		TEST_EQ_U64(want, rec.step, "steps in order");
		TEST_ASSERT(rec.raw_len <= sizeof(raw[0]), "a short record");
		/* the same record bytes, memoised or decoded, on a first and a second read */
		if (raw_len[want])
			TEST_ASSERT(raw_len[want] == rec.raw_len && !memcmp(raw[want], rec.raw, rec.raw_len),
				    "step %" PRIu64 ": the same raw bytes after a seek", want);
		memcpy(raw[want], rec.raw, rec.raw_len);
		raw_len[want] = rec.raw_len;
		const struct xt_field *f = fx_state_differs(&states[want], rec.state, XT_CAPTURE_DEFAULT);
		TEST_ASSERT(!f, "step %" PRIu64 ": field %s differs from what was written", want,
			    f ? f->name : "");
		want++;
	}
	TEST_EQ_U64(0, rc, "read to the end: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(STEPS + 1, want, "every step read");
	/* steps 3 and 9 both only move RIP by 3: their records are the same bytes */
	TEST_ASSERT(raw_len[3] == raw_len[9] && !memcmp(raw[3], raw[9], raw_len[3]), "rip-only records");
	TEST_ASSERT(raw_len[6] != raw_len[7] || memcmp(raw[6], raw[7], raw_len[6]),
		    "records of different changes differ");
}

int main(void)
{
	char path[] = "/tmp/xt-memo-XXXXXX";
	int fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	close(fd);

	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = FRAME_STEPS };
	struct xt_writer *w;
	struct xt_error err = { 0 };
	TEST_EQ_U64(0, xt_writer_open(&w, path, &fh.h, &opts, &err), "open: %s", err.msg);
	states[0] = fh.initial;
	for (uint64_t k = 1; k <= STEPS; k++) {
		states[k] = states[k - 1];
		make_step(&states[k], k);
		TEST_EQ_U64(0, xt_writer_step(w, &states[k]), "step %" PRIu64, k);
	}
	struct xt_footer f = { .end_reason = XT_END_MAX_STEPS };
	TEST_EQ_U64(0, xt_writer_close(w, &f, &err), "close: %s", err.msg);

	struct xt_reader *r;
	TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "open: %s", err.msg);
	check_all(r, 1);
	/* a seek lands in the middle of a frame whose records the memo already holds */
	TEST_EQ_U64(0, xt_reader_seek(r, 1234), "seek: %s", xt_reader_error(r)->msg);
	check_all(r, 1234);
	xt_reader_close(r);
	unlink(path);
	return 0;
}
