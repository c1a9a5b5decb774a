// SPDX-License-Identifier: MIT
/*
 * diff --json: one document, written as the walk goes:
 * {"a":FILE,"b":FILE,"header":[...],"hunks":[...],"summary":{...}}.
 * Numbers that may exceed 2^53 (RIPs, field values) are hex strings.
 */
#include <inttypes.h>

#include "cli.h"
#include "diff_render.h"
#include "guest_code.h"

static const char *const group_names[XD_NGROUPS] = {
	[XD_GROUP_HOST] = "host", [XD_GROUP_VM] = "vm", [XD_GROUP_IMAGE] = "image",
	[XD_GROUP_STATE] = "initial-state", [XD_GROUP_TRACE] = "trace",
};

static void json_begin(FILE *o, const char *const path[2], const struct xd_hdiffs *hd)
{
	json_top(o, "diff");
	fputs(",\"a\":", o);
	json_str(o, path[0]);
	fputs(",\"b\":", o);
	json_str(o, path[1]);
	fputs(",\"header\":[", o);
	for (size_t i = 0; i < hd->n; i++) {
		const struct xd_hdiff *h = &hd->v[i];
		fprintf(o, "%s{\"group\":\"%s\",\"key\":%s,\"what\":", i ? "," : "", group_names[h->group],
			h->key ? "true" : "false");
		json_str(o, h->what);
		fputs(",\"a\":", o);
		json_str(o, h->a);
		fputs(",\"b\":", o);
		json_str(o, h->b);
		fputc('}', o);
	}
	fputc(']', o);
}

void render_json_begin(FILE *o, const char *const path[2], const struct xd_hdiffs *hd)
{
	json_begin(o, path, hd);
	fputs(",\"hunks\":[", o);
}

void render_json_begin_vcpus(FILE *o, const char *const path[2], const struct xd_hdiffs *hd)
{
	json_begin(o, path, hd);
	fputs(",\"vcpus\":[", o);
}

void render_json_vcpu_begin(FILE *o, bool first, uint32_t vcpu)
{
	fprintf(o, "%s{\"vcpu\":%u,\"hunks\":[", first ? "" : ",", vcpu);
}

static void json_view(FILE *o, const struct xd_view *v, const struct xt_field *const *fields,
		      size_t n_fields, struct guest_code *g)
{
	fprintf(o, "{\"step\":%" PRIu64, v->step);
	if (v->global)	/* a vCPU's own step: where it is in the global order */
		fprintf(o, ",\"global\":%" PRIu64, v->global);
	if (v->state) {
		fprintf(o, ",\"rip_before\":\"0x%" PRIx64 "\",\"rip\":\"0x%" PRIx64 "\"",
			v->rip_before, v->state->regs.rip);
		if (g)
			json_code(o, g, guest_code_at(g, v->state));
		fputs(",\"exit\":", o);
		json_exit(o, v->state);
		fputs(",\"changed\":", o);
		struct xt_field_set changed = *v->changed;
		fmt_drop_host_time(&changed);	/* host clocks, never compared */
		json_state_fields(o, v->state, &changed, 0);
		if (fields) {
			fputs(",\"values\":{", o);
			for (size_t i = 0; i < n_fields; i++) {
				fprintf(o, "%s", i ? "," : "");
				json_str(o, fields[i]->name);
				fputc(':', o);
				json_field(o, v->state, fields[i]);
			}
			fputc('}', o);
		}
		fputs(",\"events\":[", o);
		for (size_t i = 0; i < v->n_events; i++) {
			if (i)
				fputc(',', o);
			json_event(o, &v->events[i]);
		}
		fputc(']', o);
	}
	fputc('}', o);
}

static const char *const line_kinds[] = {
	[XD_LINE_CONTEXT] = "context", [XD_LINE_DIFF] = "diff", [XD_LINE_SKIP] = "skip",
	[XD_LINE_RESYNC] = "resync", [XD_LINE_END] = "end", [XD_LINE_GIVE_UP] = "give-up",
};
static const char *const resync_hows[] = {
	[XD_RESYNC_IRQ_RETURN] = "irq-return", [XD_RESYNC_IRQ_RETURN_NEXT] = "irq-return-next",
	[XD_RESYNC_SEARCH] = "search",
};
static const char *const cause_kinds[] = {
	[XD_CAUSE_FIELDS] = "fields", [XD_CAUSE_EXIT] = "exit",
	[XD_CAUSE_IRQ_ONE_SIDE] = "irq-one-side", [XD_CAUSE_IRQ_TIMING] = "irq-timing",
	[XD_CAUSE_IRQ_DIFFERENT] = "irq-different", [XD_CAUSE_KTRACE] = "ktrace",
	[XD_CAUSE_INJECT] = "inject", [XD_CAUSE_CONSOLE] = "console", [XD_CAUSE_END] = "end",
	[XD_CAUSE_EVENTS] = "events",
};

static void json_names(FILE *o, const struct xt_field *const *fields, size_t n)
{
	fputc('[', o);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', o);
		json_str(o, fields[i]->name);
	}
	fputc(']', o);
}

static void json_line(FILE *o, const struct xd_line *l, struct guest_code *const g[2])
{
	fprintf(o, "{\"kind\":\"%s\"", line_kinds[l->kind]);
	switch (l->kind) {
	case XD_LINE_CONTEXT:
		fputs(",\"a\":", o);
		json_view(o, &l->a, NULL, 0, g[0]);
		fprintf(o, ",\"b\":{\"step\":%" PRIu64 "}", l->b.step);
		break;
	case XD_LINE_DIFF:
		fputs(",\"fields\":", o);
		json_names(o, l->fields, l->n_fields);
		fprintf(o, ",\"events_differ\":%s,\"a\":", l->events_differ ? "true" : "false");
		json_view(o, &l->a, l->fields, l->n_fields, g[0]);
		fputs(",\"b\":", o);
		json_view(o, &l->b, l->fields, l->n_fields, g[1]);
		break;
	case XD_LINE_SKIP:
		fprintf(o, ",\"side\":\"%c\",\"from\":%" PRIu64 ",\"to\":%" PRIu64, l->side ? 'B' : 'A',
			l->from, l->to);
		break;
	case XD_LINE_RESYNC:
		fprintf(o, ",\"how\":\"%s\",\"a_step\":%" PRIu64 ",\"b_step\":%" PRIu64 ",\"carried\":",
			resync_hows[l->how], l->a.step, l->b.step);
		json_names(o, l->fields, l->n_fields);
		break;
	case XD_LINE_END:
		fprintf(o, ",\"side\":\"%c\",\"last_step\":%" PRIu64 ",\"other_more_steps\":%" PRIu64,
			l->side ? 'B' : 'A', l->to, l->rest);
		break;
	case XD_LINE_GIVE_UP:
		fprintf(o, ",\"window\":%" PRIu64, l->to);
		break;
	}
	fputc('}', o);
}

void render_hunk_json(FILE *o, struct guest_code *const g[2], const struct xd_hunk *hunk)
{
	char text[900];
	render_cause(text, sizeof(text), hunk);
	const struct xd_cause *c = &hunk->cause;
	const struct xt_state *s = c->line && c->line->a.state ? c->line->a.state : NULL;
	fprintf(o, "{\"index\":%u,\"a_step\":%" PRIu64 ",\"b_step\":%" PRIu64 ",\"rip\":\"0x%" PRIx64 "\"",
		hunk->index, hunk->step_a, hunk->step_b, hunk->rip);
	if (hunk->per_vcpu)	/* steps are the vCPU's own; the global ones as far as known */
		fprintf(o, ",\"vcpu\":%u,\"a_global\":%" PRIu64 ",\"b_global\":%" PRIu64, hunk->vcpu,
			hunk->global_a, hunk->global_b);
	/* the instruction the divergence starts at: sym, insn, as the text's hunk header */
	if (g[0] && s)
		json_code(o, g[0], guest_code_at_rip(g[0], s, hunk->rip));
	fprintf(o, ",\"cause\":{\"kind\":\"%s\"", cause_kinds[c->kind]);
	if (c->kind == XD_CAUSE_IRQ_ONE_SIDE || c->kind == XD_CAUSE_KTRACE ||
	    c->kind == XD_CAUSE_INJECT || c->kind == XD_CAUSE_END)
		fprintf(o, ",\"side\":\"%c\"", c->side ? 'B' : 'A');
	if (c->ev_a || c->ev_b) {
		const struct xt_event *ev = c->ev_a ? c->ev_a : c->ev_b;
		if (ev->kind == XT_EV_IRQ_TAKEN)
			json_taken_vector(o, ev);
	}
	if (c->kind == XD_CAUSE_IRQ_TIMING)
		fprintf(o, ",\"a_step\":%" PRIu64 ",\"b_step\":%" PRIu64, c->step_a, c->step_b);
	if (c->field) {
		fputs(",\"field\":", o);
		json_str(o, c->field->name);
	}
	fputs(",\"text\":", o);
	json_str(o, text);
	fprintf(o, "},\"diff_steps\":%" PRIu64 ",\"dropped_lines\":%" PRIu64 ",\"lines\":[",
		hunk->diff_steps, hunk->dropped_lines);
	for (size_t i = 0; i < hunk->n_lines; i++) {
		if (i)
			fputc(',', o);
		json_line(o, &hunk->lines[i], g);
	}
	fputs("]}", o);
}

static const char *const stops[] = {
	[XD_STOP_END] = "end", [XD_STOP_FIRST] = "first", [XD_STOP_MAX_HUNKS] = "max-hunks",
	[XD_STOP_NO_RESYNC] = "no-resync",
};

static void json_traces(FILE *o, const struct xd_trace_summary t2[2])
{
	for (int i = 0; i < 2; i++) {
		const struct xd_trace_summary *t = &t2[i];
		char text[300];
		render_end(text, sizeof(text), t);
		fprintf(o, ",\"%c\":{\"last_step\":%" PRIu64 ",\"truncated\":%s,\"skipped\":%" PRIu64,
			i ? 'b' : 'a', t->last_step, t->truncated ? "true" : "false", t->skipped);
		if (t->footer) {
			fprintf(o, ",\"steps\":%" PRIu64 ",\"end\":\"%s\",\"end_code\":%" PRId64
				   ",\"end_detail\":", t->footer->steps, xt_end_reason_name(t->footer->end_reason),
				t->footer->end_code);
			json_str(o, t->footer->end_detail);	/* exact: the text has it escaped */
		}
		fputs(",\"text\":", o);
		json_str(o, text);
		fputc('}', o);
	}
}

void render_json_end(FILE *o, const struct xd_summary *s)
{
	fprintf(o, "],\"summary\":{\"identical\":%s,\"hunks\":%u,\"compared\":%" PRIu64
		   ",\"stop\":\"%s\",\"ends_differ\":%s",
		xd_identical(s) ? "true" : "false", s->hunks, s->compared, stops[s->stop],
		s->ends_differ ? "true" : "false");
	json_traces(o, s->t);
	fputs("}}\n", o);
}

void render_json_vcpu_end(FILE *o, const struct xd_summary *s)
{
	fprintf(o, "],\"summary\":{\"identical\":%s,\"hunks\":%u,\"compared\":%" PRIu64
		   ",\"stop\":\"%s\",\"a_last_step\":%" PRIu64 ",\"b_last_step\":%" PRIu64
		   ",\"a_skipped\":%" PRIu64 ",\"b_skipped\":%" PRIu64 "}}",
		s->hunks ? "false" : "true", s->hunks, s->compared, stops[s->stop], s->t[0].last_step,
		s->t[1].last_step, s->t[0].skipped, s->t[1].skipped);
}

static const char *const order_kinds[] = {
	[XD_ORDER_INTERLEAVE] = "interleave", [XD_ORDER_IPI] = "ipi", [XD_ORDER_MP] = "mp-state",
};

static void json_order_note(FILE *o, const struct xd_order_note *n)
{
	fprintf(o, "{\"kind\":\"%s\"", order_kinds[n->kind]);
	if (n->kind == XD_ORDER_INTERLEAVE) {
		fprintf(o, ",\"step\":%" PRIu64 ",\"a_vcpu\":%u,\"b_vcpu\":%u}", n->step[0], n->runs[0],
			n->runs[1]);
		return;
	}
	fprintf(o, ",\"vcpu\":%u", n->vcpu);
	if (n->kind == XD_ORDER_IPI)
		fprintf(o, ",\"vector\":%u", n->vector);
	else
		fprintf(o, ",\"from\":\"%s\",\"to\":\"%s\"", xt_mp_state_name(n->mp_from),
			xt_mp_state_name(n->mp_to));
	/* the vCPU's own step in each trace; null: not in that trace */
	for (int i = 0; i < 2; i++) {
		if (n->in[i])
			fprintf(o, ",\"%c_step\":%" PRIu64, i ? 'b' : 'a', n->step[i]);
		else
			fprintf(o, ",\"%c_step\":null", i ? 'b' : 'a');
	}
	fputc('}', o);
}

void render_json_end_vcpus(FILE *o, const struct diff_totals *t)
{
	fputs("],\"order\":[", o);
	for (size_t i = 0; t->order && i < t->order->n; i++) {
		if (i)
			fputc(',', o);
		json_order_note(o, &t->order->v[i]);
	}
	fprintf(o, "],\"summary\":{\"identical\":%s,\"hunks\":%u,\"compared\":%" PRIu64
		   ",\"vcpus\":[%u,%u],\"walked\":%u,\"ends_differ\":%s,\"order_cut\":%s",
		diff_totals_identical(t) ? "true" : "false", t->hunks, t->compared, t->n_vcpus[0],
		t->n_vcpus[1], t->walked, t->ends_differ ? "true" : "false",
		t->order && t->order->cut ? "true" : "false");
	json_traces(o, t->t);
	fputs("}}\n", o);
}

