// SPDX-License-Identifier: MIT
#include "kt_edit.h"

void kt_rewrite(const char *src, const char *dst, const struct xt_writer_options *opts,
		kt_edit_fn fn, void *ctx)
{
	kt_rewrite_with(src, dst, opts, NULL, fn, ctx);
}

void kt_rewrite_with(const char *src, const char *dst, const struct xt_writer_options *opts,
		     kt_header_fn hfn, kt_edit_fn fn, void *ctx)
{
	struct xt_reader *r;
	struct xt_error err = { 0 };
	TEST_ASSERT(xt_reader_open(&r, src, &err) == 0, "open %s: %s", src, err.msg);
	struct kt_edit e = { 0 };
	struct xt_header h = *xt_reader_header(r);
	struct xt_state initial = *h.initial;
	h.initial = &initial;
	if (hfn)
		hfn(&h, ctx);
	TEST_ASSERT(xt_writer_open(&e.w, dst, &h, opts, &err) == 0, "create %s: %s", dst, err.msg);
	struct xt_state *state = malloc(sizeof(*state));
	TEST_ASSERT(state, "malloc");
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type == XT_REC_STEP) {
			*state = *rec.state;
			if (!fn || fn(&e, rec.step, state, NULL, ctx))
				TEST_ASSERT(xt_writer_step(e.w, state) == 0, "step %" PRIu64 ": %s", rec.step,
					    xt_writer_error(e.w)->msg);
		} else if (rec.type == XT_REC_EVENT) {
			struct xt_event ev = *rec.event;
			if (!fn || fn(&e, rec.step, NULL, &ev, ctx)) {
				ev.step += e.shift;
				TEST_ASSERT(xt_writer_event(e.w, &ev) == 0, "event of step %" PRIu64 ": %s",
					    rec.step, xt_writer_error(e.w)->msg);
			}
		}
	}
	TEST_ASSERT(rc == 0, "reading %s: %s", src, xt_reader_error(r)->msg);
	const struct xt_footer *f = xt_reader_footer(r);
	if (f) {
		struct xt_footer nf = { .end_reason = f->end_reason, .end_code = f->end_code,
					.end_detail = e.end_detail ? e.end_detail : f->end_detail,
					.duration_ns = f->duration_ns };
		TEST_ASSERT(xt_writer_close(e.w, &nf, &err) == 0, "close %s: %s", dst, err.msg);
	} else {
		xt_writer_abandon(e.w);
	}
	free(state);
	xt_reader_close(r);
}
