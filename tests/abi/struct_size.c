// SPDX-License-Identifier: MIT
/*
 * The caller-allocated structs that may grow carry their size: the
 * library refuses one whose size is not set, and fills no byte past the
 * size a caller gave (a program built against a later, longer struct).
 * The structs that go both ways (state, header, event, footer) come out
 * with the library's sizeof and go in with 0 (layout 0) or it.
 * usage: struct_size TRACE SCRATCH_FILE
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <exitrace.h>

static int bad;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "FAIL: %s\n", what);
		bad = 1;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: struct_size TRACE SCRATCH_FILE\n");
		return 2;
	}
	struct xt_error err;
	struct xt_reader *r;
	if (xt_reader_open(&r, argv[1], &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	struct xt_record unset;
	memset(&unset, 0, sizeof(unset));
	check(xt_reader_next(r, &unset) == -EINVAL, "a record of size 0 is refused with -EINVAL");
	check(strstr(xt_reader_error(r)->msg, "sizeof(struct xt_record)") != NULL,
	      "the error says to set the size");
	xt_reader_close(r);

	/* a newer program's longer struct: the library fills its own part and keeps the rest */
	struct {
		struct xt_record rec;
		unsigned char more[64];
	} longer;
	memset(&longer, 0xa5, sizeof(longer));
	longer.rec.size = sizeof(longer);
	if (xt_reader_open(&r, argv[1], &err) < 0)
		return 2;
	int steps = 0, rc;
	while ((rc = xt_reader_next(r, &longer.rec)) > 0)
		steps += longer.rec.type == XT_REC_STEP;
	check(rc == 0, "a longer record reads to the end");
	check(steps > 0, "and sees the steps");
	check(longer.rec.size == sizeof(longer), "the size stays the caller's");
	int kept = 1;
	for (size_t i = 0; i < sizeof(longer.more); i++)
		kept &= longer.more[i] == 0xa5;
	check(kept, "no byte past the library's struct is written");

	/* writer options: refused without a size, taken with XT_WRITER_OPTIONS_INIT */
	const struct xt_header *h = xt_reader_header(r);
	struct xt_writer_options o = XT_WRITER_OPTIONS_INIT;
	o.size = 0;
	struct xt_writer *w;
	check(xt_writer_open(&w, argv[2], h, &o, &err) == -EINVAL, "options of size 0 are refused");
	check(strstr(err.msg, "sizeof(struct xt_writer_options)") != NULL, "the error says to set the size");
	struct xt_writer_options ok = XT_WRITER_OPTIONS_INIT;
	ok.frame_max_steps = 2;
	if (xt_writer_open(&w, argv[2], h, &ok, &err) < 0) {
		fprintf(stderr, "FAIL: XT_WRITER_OPTIONS_INIT refused: %s\n", err.msg);
		bad = 1;
	} else {
		xt_writer_abandon(w);
	}
	/*
	 * The structs the library hands out carry its sizeof; those a caller
	 * hands in are taken with 0 (layout 0) or the library's sizeof, and
	 * refused, by name, with another size.
	 */
	check(h->size == sizeof(*h) && h->initial->size == sizeof(*h->initial), "the header and its state are sized");
	const struct xt_footer *f = xt_reader_footer(r);
	check(!f || f->size == sizeof(*f), "the footer is sized");
	struct xt_header h0 = *h;
	h0.size = 3;
	check(xt_writer_open(&w, argv[2], &h0, NULL, &err) == -EINVAL && strstr(err.msg, "struct xt_header: size 3"),
	      "a header of size 3 is refused by name");
	h0.size = 0;
	if (xt_writer_open(&w, argv[2], &h0, NULL, &err) < 0) {
		fprintf(stderr, "FAIL: a header of size 0 (layout 0) refused: %s\n", err.msg);
		bad = 1;
	} else {
		struct xt_state s = *h->initial;
		s.size = 0;
		check(xt_writer_step(w, &s) == 0, "a state of size 0 is taken");
		struct xt_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.kind = XT_EV_NOTE;
		ev.step = 1;
		ev.note.text = "sized";
		check(xt_writer_event(w, &ev) == 0, "an event of size 0 is taken");
		ev.size = 7;
		check(xt_writer_event(w, &ev) == -EINVAL && strstr(xt_writer_error(w)->msg, "struct xt_event: size 7"),
		      "an event of size 7 is refused by name");
		xt_writer_abandon(w);
	}
	if (xt_writer_open(&w, argv[2], &h0, NULL, &err) == 0) {
		struct xt_state s = *h->initial;
		s.size = 9;
		check(xt_writer_step(w, &s) == -EINVAL && strstr(xt_writer_error(w)->msg, "struct xt_state: size 9"),
		      "a state of size 9 is refused by name");
		xt_writer_abandon(w);
	}
	xt_reader_close(r);
	remove(argv[2]);
	if (!bad)
		printf("sizes: a record and writer options without one refused, a longer record filled only in its first %zu bytes\n",
		       sizeof(struct xt_record));
	return bad;
}
