// SPDX-License-Identifier: MIT
/*
 * The text form of a diff.  A hunk reads like diff -U: lines of equal steps
 * start with a space, A's side of a differing step with '-', B's with '+'.
 * Each step line shows A's and B's step numbers, RIP, the exit, and the
 * fields that differ (or, for equal steps, that the step changed).
 */
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>

#include "cli.h"
#include "diff_render.h"
#include "guest_code.h"
#include "text_escape.h"

/* Fields listed per step line, at most; a step seldom changes more. */
#define LINE_FIELDS 6

/* ---- instructions and symbols, from the guest's initial memory and ELF ---- */

void render_code(char *buf, size_t size, struct guest_code *g, const struct xt_state *s, uint64_t rip)
{
	char text[CODE_TEXT_MAX];
	buf[0] = 0;
	if (!g || !s)
		return;
	char *end = put_code(text, guest_code_at_rip(g, s, rip));
	snprintf(buf, size, "%.*s", (int)(end - text), text);
}

/* ---- causes ---- */

static const char *taken_kind(const struct xt_event *ev)
{
	switch (ev->taken.type) {
	case XT_TAKEN_NMI: return "NMI";
	case XT_TAKEN_EXCEPTION: return "exception";
	case XT_TAKEN_SOFTWARE: return "software interrupt";
	}
	return "IRQ";
}

/* its: "its " when steps are a vCPU's own (a walk of one vCPU of several), else "" */
static void describe_taken(char *buf, size_t size, const struct xt_event *ev, uint64_t step, const char *its)
{
	char vec[200];	/* a long candidate list is cut: the dump has it whole */
	size_t len = 0;
	fmt_taken_vector(vec, sizeof(vec), ev);
	if (ev->taken.outcome == XT_TAKEN_HANDLER)
		APPEND(buf, size, len, "%s %s delivered (%sstep %" PRIu64 " -> handler 0x%" PRIx64 ")",
		       taken_kind(ev), vec, its, step, ev->taken.handler);
	else
		APPEND(buf, size, len, "%s %s delivery failed at %sstep %" PRIu64 ": %s", taken_kind(ev),
		       vec, its, step,
			 ev->taken.outcome == XT_TAKEN_SHUTDOWN ? "SHUTDOWN (triple fault)"
								: "the entry failed");
}

/* An exit in a few words; a single-step DEBUG exit says nothing the RIP does not. */
static void short_exit(char *buf, size_t size, const struct xt_state *s)
{
	if (s->exit.reason == KVM_EXIT_DEBUG && s->exit.debug_exception == 1 &&
	    (s->exit.debug_dr6 & 0x4000))
		snprintf(buf, size, "DEBUG");
	else
		fmt_exit(buf, size, s);
}

/* What a trace did at a step where the other took an event: its next exit. */
static void describe_plain(char *buf, size_t size, const struct xd_view *v)
{
	char ex[200];
	short_exit(ex, sizeof(ex), v->state);
	snprintf(buf, size, "no IRQ; next exit %s at 0x%" PRIx64, ex, v->state->regs.rip);
}

static void describe_exit(char *buf, size_t size, const struct xd_view *v)
{
	char ex[200];
	fmt_exit(ex, sizeof(ex), v->state);
	snprintf(buf, size, "exit %s at 0x%" PRIx64, ex, v->state->regs.rip);
}

void render_cause(char *buf, size_t size, const struct xd_hunk *hunk)
{
	const struct xd_cause *c = &hunk->cause;
	const struct xd_line *l = c->line;
	const char *its = hunk->per_vcpu ? "its " : "";
	char x[320], y[320], v[96];
	switch (c->kind) {
	case XD_CAUSE_IRQ_ONE_SIDE:
		if (c->side == XD_A) {
			describe_taken(x, sizeof(x), c->ev_a, l->a.step, its);
			describe_plain(y, sizeof(y), &l->b);
		} else {
			describe_plain(x, sizeof(x), &l->a);
			describe_taken(y, sizeof(y), c->ev_b, l->b.step, its);
		}
		snprintf(buf, size, "A: %s   B: %s", x, y);
		return;
	case XD_CAUSE_IRQ_TIMING: {
		const struct xt_event *ev = c->ev_a;
		int64_t d = (int64_t)(c->step_b - c->step_a);
		char vec[120];
		size_t len = 0;
		fmt_taken_vector(vec, sizeof(vec), ev);
		APPEND(buf, size, len, "%s %s taken at different points: A at %sstep %" PRIu64 " (rip 0x%" PRIx64
		       "), B at %sstep %" PRIu64 " (rip 0x%" PRIx64 "), %" PRId64 " steps %s",
		       taken_kind(ev), vec, its, c->step_a, c->ev_a->taken.rip_before, its, c->step_b,
		       c->ev_b->taken.rip_before, d < 0 ? -d : d, d < 0 ? "earlier" : "later");
		return;
	}
	case XD_CAUSE_IRQ_DIFFERENT:
		describe_taken(x, sizeof(x), c->ev_a, l->a.step, its);
		describe_taken(y, sizeof(y), c->ev_b, l->b.step, its);
		snprintf(buf, size, "A: %s   B: %s", x, y);
		return;
	case XD_CAUSE_EXIT: {
		describe_exit(x, sizeof(x), &l->a);
		describe_exit(y, sizeof(y), &l->b);
		size_t len = 0;
		APPEND(buf, size, len, "A: %s   B: %s", x, y);
		/* exits the same in a few words: say where they differ */
		for (size_t i = 0; !strcmp(x, y) && i < l->n_fields; i++) {
			if (l->fields[i]->kind != XT_KIND_BLOB)
				continue;
			fmt_field_against(x, sizeof(x), l->a.state, l->b.state, l->fields[i]);
			fmt_field_against(y, sizeof(y), l->b.state, l->a.state, l->fields[i]);
			APPEND(buf, size, len, "; %s %s (A) vs %s (B)", l->fields[i]->name, x, y);
			break;
		}
		return;
	}
	case XD_CAUSE_KTRACE:
	case XD_CAUSE_INJECT:
	case XD_CAUSE_CONSOLE: {
		static const char *const what[] = { [XD_CAUSE_KTRACE] = "kernel event",
						    [XD_CAUSE_INJECT] = "injection",
						    [XD_CAUSE_CONSOLE] = "guest output" };
		const struct xt_event *ev = c->ev_a ? c->ev_a : c->ev_b;
		fmt_event(x, sizeof(x), ev, NULL);
		const char *name = what[c->kind];
		/* the APICv events say which interrupt path the host took */
		if (c->kind == XD_CAUSE_KTRACE && strstr(ev->ktrace.name, "kvm_apicv_accept_irq"))
			name = "APICv posted interrupt";
		else if (c->kind == XD_CAUSE_KTRACE && strstr(ev->ktrace.name, "kvm_apicv_inhibit_changed"))
			name = "APICv inhibit change";
		if (c->ev_a && c->ev_b) {
			fmt_event(y, sizeof(y), c->ev_b, NULL);
			snprintf(buf, size, "%s differs: A %s   B %s", name, x, y);
		} else {
			snprintf(buf, size, "%s in %c only: %s", name, c->ev_a ? 'A' : 'B', x);
		}
		return;
	}
	case XD_CAUSE_FIELDS: {
		const struct xt_field *f = c->field;
		fmt_field_against(x, sizeof(x), l->a.state, l->b.state, f);
		fmt_field_against(y, sizeof(y), l->b.state, l->a.state, f);
		snprintf(v, sizeof(v), "%s", f->id == XT_F_RIP ? "control flow differs: rip" : f->name);
		snprintf(buf, size, "%s %s (A) vs %s (B)%s", v, x, y, l->n_fields > 1 ? " and more" : "");
		return;
	}
	case XD_CAUSE_END: {
		const struct xd_line *e = c->line;
		snprintf(buf, size, "%c ends at %sstep %" PRIu64 "; %c goes on for %" PRIu64 " more steps",
			 e->side == XD_A ? 'A' : 'B', its, e->to, e->side == XD_A ? 'B' : 'A', e->rest);
		return;
	}
	case XD_CAUSE_EVENTS:
		/* two attached VMMs (diff_hunk.c): a stale field, or an answer, in one trace only */
		if ((c->ev_a && c->ev_a->kind == XT_EV_NOTE) || (c->ev_b && c->ev_b->kind == XT_EV_NOTE)) {
			snprintf(buf, size, "the run page's stale fields differ: A %s, B %s",
				 c->ev_a ? c->ev_a->note.text : "none stale", c->ev_b ? c->ev_b->note.text : "none stale");
			return;
		}
		if (c->ev_a || c->ev_b) {
			char x[160] = "", y[160] = "";
			if (c->ev_a)
				fmt_event(x, sizeof(x), c->ev_a, NULL);
			if (c->ev_b)
				fmt_event(y, sizeof(y), c->ev_b, NULL);
			snprintf(buf, size, "the VMM's answers to a read differ: A %s, B %s", c->ev_a ? x : "none",
				 c->ev_b ? y : "none");
			return;
		}
		break;
	}
	snprintf(buf, size, "the events of the step differ");
}

/* ---- lines ---- */

/* Width of a step column: "812" alone, or "812 v1#300" in a walk of one vCPU of several. */
static int col_width(const struct xd_hunk *h)
{
	return h->per_vcpu ? 16 : 8;
}

/* A step as the columns show it: its global number and, for one vCPU of several, vN#own. */
static void step_label(char *buf, size_t size, const struct xd_hunk *h, const struct xd_view *v)
{
	if (!h->per_vcpu)
		snprintf(buf, size, "%" PRIu64, v->step);
	else if (v->global)
		snprintf(buf, size, "%" PRIu64 " v%u#%" PRIu64, v->global, h->vcpu, v->step);
	else
		snprintf(buf, size, "v%u#%" PRIu64, h->vcpu, v->step);
}

static void step_cols(char *buf, size_t size, const struct xd_hunk *h, const struct xd_line *l, bool a,
		      bool b)
{
	char x[48] = "", y[48] = "";
	if (a)
		step_label(x, sizeof(x), h, &l->a);
	if (b)
		step_label(y, sizeof(y), h, &l->b);
	int w = col_width(h);
	snprintf(buf, size, "%*s %*s", w, x, w, y);
}

/* rip=... EXIT | field=value ... for the fields in list (or those the step changed). */
/* other: the other trace's state at this step, for its differing blobs (or NULL) */
static void step_body(char *buf, size_t size, const struct xd_view *v, const struct xt_state *other,
		      const struct xt_field *const *list, size_t n_list, struct guest_code *g)
{
	const struct xt_state *s = v->state;
	char ex[200], val[80], code[CODE_TEXT_MAX];
	size_t len = 0;
	short_exit(ex, sizeof(ex), s);
	render_code(code, sizeof(code), g, s, s->regs.rip);
	APPEND(buf, size, len, "rip=0x%-8" PRIx64 " %-30s %s", s->regs.rip, code, ex);
	const char *sep = "  |";
	size_t shown = 0, more = 0;
	const struct xt_field *table;
	size_t n = list ? n_list : xt_fields(&table);
	for (size_t i = 0; i < n; i++) {
		const struct xt_field *f = list ? list[i] : &table[i];
		if (!list && (!f->name || !xt_field_set_has(v->changed, f->id) || f->id == XT_F_RIP ||
			      fmt_is_exit_payload(f) || fmt_is_host_time(f)))
			continue;
		if (list && f->id == XT_F_RIP)
			continue;
		if (list && f->id == XT_F_EXIT_REASON)
			continue;
		if (shown == LINE_FIELDS) {
			more++;
			continue;
		}
		fmt_field_against(val, sizeof(val), s, other, f);
		APPEND(buf, size, len, "%s %s=%s", sep, f->name, val);
		sep = "";
		shown++;
	}
	if (more)
		APPEND(buf, size, len, " (+%zu)", more);
}

/* A step's events; with other set, only those the other trace does not have at its step. */
static void print_events(FILE *o, int w, char mark, const struct xd_view *v, const struct xd_view *other)
{
	char text[512];
	for (size_t i = 0; i < v->n_events; i++) {
		if (v->events[i].kind == XT_EV_INPUT)
			continue;
		if (other && xd_view_has_twin(other, &v->events[i]))
			continue;
		fmt_event(text, sizeof(text), &v->events[i], NULL);
		fprintf(o, "%c %*s    %s\n", mark, 2 * w + 1, "+", text);
	}
}

static void print_line(FILE *o, const struct xd_hunk *h, const struct xd_line *l,
		       struct guest_code *const g[2])
{
	char cols[80], body[800];
	int w = col_width(h);
	switch (l->kind) {
	case XD_LINE_CONTEXT:
		step_cols(cols, sizeof(cols), h, l, true, true);
		step_body(body, sizeof(body), &l->a, NULL, NULL, 0, g[0]);
		fprintf(o, "  %s  %s\n", cols, body);
		print_events(o, w, ' ', &l->a, NULL);
		return;
	case XD_LINE_DIFF:
		step_cols(cols, sizeof(cols), h, l, true, false);
		step_body(body, sizeof(body), &l->a, l->b.state, l->fields, l->n_fields, g[0]);
		fprintf(o, "- %s  %s\n", cols, body);
		print_events(o, w, '-', &l->a, &l->b);
		step_cols(cols, sizeof(cols), h, l, false, true);
		step_body(body, sizeof(body), &l->b, l->a.state, l->fields, l->n_fields, g[1]);
		fprintf(o, "+ %s  %s\n", cols, body);
		print_events(o, w, '+', &l->b, &l->a);
		return;
	case XD_LINE_SKIP: {
		char range[64], vcpu[16] = "";
		if (h->per_vcpu)
			snprintf(vcpu, sizeof(vcpu), "v%u#", h->vcpu);
		snprintf(range, sizeof(range), "%s%" PRIu64 "..%" PRIu64, vcpu, l->from, l->to);
		fprintf(o, "%c %*s %*s  %" PRIu64 " step%s in %c only, passed over to get back in step\n",
			l->side == XD_A ? '-' : '+', w, l->side == XD_A ? range : "",
			w, l->side == XD_B ? range : "", l->to - l->from + 1, l->to == l->from ? "" : "s",
			l->side == XD_A ? 'A' : 'B');
		return;
	}
	case XD_LINE_RESYNC: {
		static const char *const how[] = {
			[XD_RESYNC_IRQ_RETURN] = "the handler returned to the interrupted instruction",
			[XD_RESYNC_IRQ_RETURN_NEXT] = "the handler returned and ran the interrupted instruction",
			[XD_RESYNC_SEARCH] = "RIP, RSP and the general registers agree",
		};
		step_cols(cols, sizeof(cols), h, l, true, true);
		fprintf(o, "= %s  in step again: %s", cols, how[l->how]);
		for (size_t i = 0; i < l->n_fields && i < LINE_FIELDS; i++) {
			char x[80], y[80];
			fmt_field_against(x, sizeof(x), l->a.state, l->b.state, l->fields[i]);
			fmt_field_against(y, sizeof(y), l->b.state, l->a.state, l->fields[i]);
			fprintf(o, "%s%s %s (A) vs %s (B)", i ? ", " : "; still different: ",
				l->fields[i]->name, x, y);
		}
		if (l->n_fields > LINE_FIELDS)
			fprintf(o, " (+%zu)", l->n_fields - LINE_FIELDS);
		fputc('\n', o);
		return;
	}
	case XD_LINE_END: {
		char ex[200];
		const struct xd_view *v = l->side == XD_A ? &l->a : &l->b;
		fmt_exit(ex, sizeof(ex), v->state);
		step_cols(cols, sizeof(cols), h, l, l->side == XD_A, l->side == XD_B);
		fprintf(o, "%c %s  %c ends here (last exit %s at rip 0x%" PRIx64 "); %c has %" PRIu64
			" more steps\n", l->side == XD_A ? '-' : '+', cols, l->side == XD_A ? 'A' : 'B',
			ex, v->state->regs.rip, l->side == XD_A ? 'B' : 'A', l->rest);
		return;
	}
	case XD_LINE_GIVE_UP:
		fprintf(o, "! %*s  no step where RIP, RSP and the general registers agree within %" PRIu64
			" steps: the traces stay apart\n", 2 * w + 1, "", l->to);
		return;
	}
}

void render_hunk_text(FILE *o, struct guest_code *const g[2], const struct xd_hunk *hunk)
{
	char cause[900], insn[CODE_TEXT_MAX], prev[CODE_TEXT_MAX], at[96] = "";
	render_cause(cause, sizeof(cause), hunk);
	const struct xd_line *first = hunk->cause.line;
	/* the instruction the divergence starts at, and the one before it if that was context */
	const struct xt_state *s = first && first->a.state ? first->a.state : NULL;
	render_code(insn, sizeof(insn), g[0], s, hunk->rip);
	prev[0] = 0;
	size_t k = first ? (size_t)(first - hunk->lines) : 0;
	if (k > 0 && hunk->lines[k - 1].kind == XD_LINE_CONTEXT)
		render_code(prev, sizeof(prev), g[0], s, hunk->lines[k - 1].a.rip_before);
	if (hunk->per_vcpu) {
		/* a vCPU's own steps, with where they are in the global order */
		char ga[40] = "", gb[40] = "";
		if (hunk->global_a)
			snprintf(ga, sizeof(ga), " (step %" PRIu64 ")", hunk->global_a);
		if (hunk->global_b)
			snprintf(gb, sizeof(gb), ", step %" PRIu64, hunk->global_b);
		if (hunk->step_a != hunk->step_b || hunk->global_a != hunk->global_b)
			snprintf(at, sizeof(at), " (B: its step %" PRIu64 "%s)", hunk->step_b, gb);
		fprintf(o, "vCPU %u: %s divergence at its step %" PRIu64 "%s%s, rip 0x%" PRIx64, hunk->vcpu,
			hunk->index == 1 ? "first" : "next", hunk->step_a, ga, at, hunk->rip);
	} else {
		if (hunk->step_a != hunk->step_b)
			snprintf(at, sizeof(at), " (B: step %" PRIu64 ")", hunk->step_b);
		fprintf(o, "%s divergence at step %" PRIu64 "%s, rip 0x%" PRIx64,
			hunk->index == 1 ? "first" : "next", hunk->step_a, at, hunk->rip);
	}
	if (*insn)
		fprintf(o, " (%s%s%s)", insn, *prev ? " after " : "", prev);
	fprintf(o, ":\n  %s\n", cause);
	for (size_t i = 0; i < hunk->n_lines; i++)
		print_line(o, hunk, &hunk->lines[i], g);
	if (hunk->dropped_lines)
		fprintf(o, "  ... %" PRIu64 " more lines in this hunk (%" PRIu64 " differing steps in all)\n",
			hunk->dropped_lines, hunk->diff_steps);
}

void render_end(char *buf, size_t size, const struct xd_trace_summary *t)
{
	if (!t->footer) {
		snprintf(buf, size, "is truncated after step %" PRIu64, t->last_step);
		return;
	}
	const struct xt_footer *f = t->footer;
	char detail[256];	/* the trace's words, escaped */
	if (f->end_detail && *f->end_detail)
		snprintf(buf, size, "ends %s (%s) at step %" PRIu64, xt_end_reason_name(f->end_reason),
			 text_esc(detail, sizeof(detail), f->end_detail), f->steps);
	else
		snprintf(buf, size, "ends %s at step %" PRIu64, xt_end_reason_name(f->end_reason), f->steps);
}

void render_summary_text(FILE *o, const struct xd_summary *s)
{
	char ea[300], eb[300];
	render_end(ea, sizeof(ea), &s->t[0]);
	render_end(eb, sizeof(eb), &s->t[1]);
	fprintf(o, "A %s; B %s\n", ea, eb);
	for (int i = 0; i < 2; i++)
		if (s->t[i].truncated)
			fprintf(o, "note: %c is truncated (its recorder did not finish): compared up to its step %"
				PRIu64 "\n", i ? 'B' : 'A', s->t[i].last_step);
	if (s->stop == XD_STOP_FIRST && s->hunks)
		fprintf(o, "stopped at the first divergence (--first)\n");
	else if (s->stop == XD_STOP_MAX_HUNKS)
		fprintf(o, "stopped after %u hunks (--max-hunks)\n", s->hunks);
	else if (s->stop == XD_STOP_NO_RESYNC)
		fprintf(o, "gave up: the traces did not get back in step (--window)\n");
	uint64_t skipped = s->t[0].skipped + s->t[1].skipped;
	if (xd_identical(s))
		fprintf(o, "identical: %" PRIu64 " steps compared\n", s->compared);
	else
		fprintf(o, "%u hunk%s; %" PRIu64 " steps compared; %" PRIu64 " skipped to resynchronise (A %"
			PRIu64 ", B %" PRIu64 ")%s\n", s->hunks, s->hunks == 1 ? "" : "s", s->compared,
			skipped, s->t[0].skipped, s->t[1].skipped,
			s->ends_differ ? "; the traces end differently" : "");
}

/* ---- several vCPUs ---- */

void diff_totals_add(struct diff_totals *t, const struct xd_summary *s)
{
	t->walked++;
	t->hunks += s->hunks;
	t->vcpus_differ += s->hunks > 0;
	t->compared += s->compared;
	for (int i = 0; i < 2; i++) {
		t->skipped[i] += s->t[i].skipped;
		/* a vCPU's own steps: their sum is where a truncated trace ends */
		t->t[i].last_step += s->t[i].last_step;
		t->t[i].skipped += s->t[i].skipped;
	}
}

bool diff_totals_identical(const struct diff_totals *t)
{
	if (t->hunks || t->ends_differ || (t->order && t->order->n))
		return false;
	/* a vCPU only one trace has behaved differently, unless --vcpu left it out */
	return t->only_one || t->n_vcpus[0] == t->n_vcpus[1];
}

void render_vcpu_summary_text(FILE *o, const struct xd_summary *s)
{
	for (int i = 0; i < 2; i++)
		if (s->t[i].truncated)
			fprintf(o, "vCPU %u: %c is truncated: compared up to its step %" PRIu64 "\n", s->vcpu,
				i ? 'B' : 'A', s->t[i].last_step);
	if (s->stop == XD_STOP_FIRST && s->hunks)
		fprintf(o, "vCPU %u: stopped at the first divergence (--first)\n", s->vcpu);
	else if (s->stop == XD_STOP_MAX_HUNKS)
		fprintf(o, "vCPU %u: stopped after %u hunks (--max-hunks)\n", s->vcpu, s->hunks);
	else if (s->stop == XD_STOP_NO_RESYNC)
		fprintf(o, "vCPU %u: gave up: its steps did not get back in step (--window)\n", s->vcpu);
	if (!s->hunks)
		fprintf(o, "vCPU %u: identical: %" PRIu64 " steps compared\n", s->vcpu, s->compared);
	else
		fprintf(o, "vCPU %u: %u hunk%s; %" PRIu64 " steps compared; %" PRIu64
			" skipped to resynchronise (A %" PRIu64 ", B %" PRIu64 ")\n", s->vcpu, s->hunks,
			s->hunks == 1 ? "" : "s", s->compared, s->t[0].skipped + s->t[1].skipped,
			s->t[0].skipped, s->t[1].skipped);
}

/* " at its step 34 in A, 36 in B", " at its step 34 in A, not in B", ... */
static void order_where(char *buf, size_t size, const struct xd_order_note *n)
{
	if (n->in[0] && n->in[1])
		snprintf(buf, size, "at its step %" PRIu64 " in A, %" PRIu64 " in B", n->step[0], n->step[1]);
	else
		snprintf(buf, size, "at its step %" PRIu64 " in %c, not in %c", n->step[n->in[1]],
			 n->in[0] ? 'A' : 'B', n->in[0] ? 'B' : 'A');
}

void render_order_text(FILE *o, const struct xd_order *order)
{
	char where[96];
	for (size_t i = 0; i < order->n; i++) {
		const struct xd_order_note *n = &order->v[i];
		switch (n->kind) {
		case XD_ORDER_INTERLEAVE:
			fprintf(o, "the vCPUs interleave differently from step %" PRIu64 ": A runs vCPU %u there, B vCPU %u\n",
				n->step[0], n->runs[0], n->runs[1]);
			break;
		case XD_ORDER_IPI:
			order_where(where, sizeof(where), n);
			fprintf(o, "vCPU %u took IPI 0x%x %s\n", n->vcpu, n->vector, where);
			break;
		case XD_ORDER_MP:
			order_where(where, sizeof(where), n);
			fprintf(o, "vCPU %u went from %s to %s %s\n", n->vcpu, xt_mp_state_name(n->mp_from),
				xt_mp_state_name(n->mp_to), where);
			break;
		}
	}
	if (order->cut)
		fprintf(o, "(too many IPIs and run-state changes: only the first were compared)\n");
}

void render_totals_text(FILE *o, const struct diff_totals *t)
{
	char ea[300], eb[300];
	render_end(ea, sizeof(ea), &t->t[0]);
	render_end(eb, sizeof(eb), &t->t[1]);
	fprintf(o, "A %s; B %s\n", ea, eb);
	if (!t->only_one && t->n_vcpus[0] != t->n_vcpus[1]) {
		uint32_t last = (t->n_vcpus[0] > t->n_vcpus[1] ? t->n_vcpus[0] : t->n_vcpus[1]) - 1;
		char side = t->n_vcpus[0] > t->n_vcpus[1] ? 'A' : 'B';
		if (last == t->walked)
			fprintf(o, "vCPU %u is in %c only: not compared\n", last, side);
		else
			fprintf(o, "vCPUs %u to %u are in %c only: not compared\n", t->walked, last, side);
	}
	if (diff_totals_identical(t)) {
		fprintf(o, "identical: %" PRIu64 " steps compared on %u vCPU%s\n", t->compared, t->walked,
			t->walked == 1 ? "" : "s");
		return;
	}
	fprintf(o, "%u hunk%s on %u of %u vCPU%s; %" PRIu64 " steps compared; %" PRIu64
		" skipped to resynchronise (A %" PRIu64 ", B %" PRIu64 ")%s%s\n", t->hunks,
		t->hunks == 1 ? "" : "s", t->vcpus_differ, t->walked, t->walked == 1 ? "" : "s",
		t->compared, t->skipped[0] + t->skipped[1], t->skipped[0], t->skipped[1],
		t->ends_differ ? "; the traces end differently" : "",
		t->order && t->order->n ? "; the global order differs" : "");
}
