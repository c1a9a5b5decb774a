// SPDX-License-Identifier: MIT
/*
 * The installed headers as a C99 user compiles them (-std=c99 -pedantic
 * -Werror, meson.build), and their inline helpers doing what they say.
 */
#include <exitrace.h>
#include <stdio.h>

int main(void)
{
	struct xt_field_set set = { { 0 } };
	xt_field_set_add(&set, XT_F_RIP);
	xt_field_set_add(&set, XT_F_CR0);
	struct xt_event ev = { 0 };
	struct xt_record rec = XT_RECORD_INIT;
	struct xt_writer_options opts = XT_WRITER_OPTIONS_INIT;
	ev.kind = XT_EV_IRQ_TAKEN;
	ev.taken.candidates[0] = 0x3;	/* through the anonymous union */
	int bad = 0;
	if (xt_field_set_count(&set) != 2 || !xt_field_set_has(&set, XT_F_CR0)) {
		fprintf(stderr, "field set: wrong members\n");
		bad = 1;
	}
	if (!xt_taken_ambiguous(&ev) || !xt_taken_candidate(&ev, 1) || xt_taken_candidate(&ev, 2)) {
		fprintf(stderr, "taken candidates: wrong answer\n");
		bad = 1;
	}
	if (rec.size != sizeof(rec) || opts.size != sizeof(opts)) {
		fprintf(stderr, "XT_RECORD_INIT, XT_WRITER_OPTIONS_INIT: the size not set\n");
		bad = 1;
	}
	if (xt_icr_vector(0x4030) != 0x30 || xt_icr_mode(0x4500) != 5) {
		fprintf(stderr, "ICR parts: wrong answer\n");
		bad = 1;
	}
	return bad;
}
