// SPDX-License-Identifier: MIT
/* What replay and check print: host differences, a divergence, a one-line verdict. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "replay_report.h"
#include "text_escape.h"

void report_hosts(FILE *o, const char *indent, const struct host_diff *d, size_t max)
{
	/* the recorded side (and a parameter's name) come from the trace: escaped */
	char what[4 * sizeof(d->items[0].what)], rec[4 * sizeof(d->items[0].recorded)],
		here[4 * sizeof(d->items[0].here)];
	size_t w = 0;
	for (size_t i = 0; i < d->n && i < max; i++)
		if (strlen(text_esc(what, sizeof(what), d->items[i].what)) > w)
			w = strlen(what);
	for (size_t i = 0; i < d->n && i < max; i++)
		fprintf(o, "%s%-*s  recorded %s, here %s%s\n", indent, (int)w,
			text_esc(what, sizeof(what), d->items[i].what),
			text_esc(rec, sizeof(rec), d->items[i].recorded),
			text_esc(here, sizeof(here), d->items[i].here),
			d->items[i].important ? "  (decides how interrupts are delivered)" : "");
	if (d->n > max)
		fprintf(o, "%s... and %zu more (exitrace info FILE shows the recording host)\n", indent,
			d->n - max);
}

/* A field's value as one side of a difference with other; exit reasons by name. */
static void field_value(char *buf, size_t size, const struct xt_state *s, const struct xt_state *other,
			const struct xt_field *f)
{
	if (f->id == XT_F_EXIT_REASON) {
		const char *n = xt_exit_reason_name(s->exit.reason);
		if (n) {
			snprintf(buf, size, "%s", n);
			return;
		}
	}
	fmt_field_against(buf, size, s, other, f);
}

void report_fields_short(char *buf, size_t size, const struct replay_divergence *d, size_t max)
{
	size_t len = 0, shown = 0;
	buf[0] = 0;
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t id = 0; id < n; id++) {
		if (!xt_field_set_has(&d->fields, (unsigned)id))
			continue;
		if (shown == max) {
			APPEND(buf, size, len, " (+%zu more)", d->n_fields - shown);
			break;
		}
		char a[80], b[80];
		field_value(a, sizeof(a), &d->recorded, &d->replayed, &table[id]);
		field_value(b, sizeof(b), &d->replayed, &d->recorded, &table[id]);
		APPEND(buf, size, len, "%s%s %s vs %s", shown ? ", " : "", table[id].name, a, b);
		shown++;
	}
	if (d->note[0]) {
		char note[4 * sizeof(d->note)];
		APPEND(buf, size, len, "%s%s", len ? "; " : "", text_esc(note, sizeof(note), d->note));
	}
}

/* Events of step: injections (made before the step's run) when before, the rest after. */
static void print_events(FILE *o, const struct xt_event *evs, size_t n, uint64_t step, const char *who,
			 bool before)
{
	char text[512];
	for (size_t i = 0; i < n; i++) {
		if (evs[i].step != step || (evs[i].kind == XT_EV_IRQ_INJECT) != before)
			continue;
		fmt_event(text, sizeof(text), &evs[i], NULL);
		fprintf(o, "  %-8s %8s  + %s\n", who, "", text);
	}
}

/* vcpu < 0: a trace of one vCPU, which does not name it */
static void print_step(FILE *o, const char *tag, uint64_t step, int vcpu, const struct xt_state *s,
		       const struct xt_event *evs, size_t n, const char *who)
{
	char ex[512], v[16] = "";
	print_events(o, evs, n, step, who, true);
	fmt_exit(ex, sizeof(ex), s);
	if (vcpu >= 0)
		snprintf(v, sizeof(v), " v%d", vcpu);
	fprintf(o, "  %-8s %8" PRIu64 "%s  rip=0x%-10" PRIx64 " %s\n", tag, step, v, s->regs.rip, ex);
	print_events(o, evs, n, step, who, false);
}

void report_divergence(FILE *o, const struct replay_result *res)
{
	const struct replay_divergence *d = res->div;
	char ex_a[512], ex_b[512];
	if (d->step == 0) {
		if (res->vcpus > 1)
			fprintf(o, "DIVERGED before the first step: the initial state of vCPU %u does not come out the same on this host\n",
				d->vcpu);
		else
			fprintf(o, "DIVERGED before the first step: the initial vCPU state does not come out the same on this host\n");
	} else {
		fprintf(o, "DIVERGED at step %" PRIu64, d->step);
		if (res->vcpus > 1)
			fprintf(o, " (vCPU %u, its step %" PRIu64 ")", d->vcpu, d->vcpu_step);
		fprintf(o, ", rip 0x%" PRIx64 " (recorded), after %" PRIu64 " identical steps\n",
			d->recorded.regs.rip, res->steps);
		fmt_exit(ex_a, sizeof(ex_a), &d->recorded);
		fmt_exit(ex_b, sizeof(ex_b), &d->replayed);
		fprintf(o, "  exit     recorded %s\n", ex_a);
		fprintf(o, "           replayed %s\n", ex_b);
	}
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t id = 0; id < n; id++) {
		if (!xt_field_set_has(&d->fields, (unsigned)id))
			continue;
		const struct xt_field *f = &table[id];
		char a[96], b[96];
		field_value(a, sizeof(a), &d->recorded, &d->replayed, f);
		field_value(b, sizeof(b), &d->replayed, &d->recorded, f);
		fprintf(o, "  %-24s recorded %s, replayed %s", f->name, a, b);
		if (f->kind == XT_KIND_U64 && res->masks[id] != ~0ull)
			fprintf(o, " (compared bits 0x%" PRIx64 ")", res->masks[id]);
		fputc('\n', o);
	}
	char note[4 * sizeof(d->note)];
	if (d->note[0])
		fprintf(o, "  %s\n", text_esc(note, sizeof(note), d->note));
	if (d->step == 0)
		return;

	fprintf(o, "context (the recording; replay matched it before step %" PRIu64 "):\n", d->step);
	int several = res->vcpus > 1;
	for (size_t i = 0; i < d->n_before; i++)
		print_step(o, "", d->before[i].step, several ? (int)d->before[i].vcpu : -1, &d->before[i].state,
			   d->events, d->n_events, "");
	print_step(o, "recorded", d->step, several ? (int)d->vcpu : -1, &d->recorded, d->events,
		   d->n_events, "recorded");
	print_step(o, "replayed", d->step, several ? (int)d->vcpu : -1, &d->replayed, d->replayed_events,
		   d->n_replayed_events, "replayed");
	for (size_t i = 0; i < d->n_after; i++)
		print_step(o, i ? "" : "then", d->after[i].step, several ? (int)d->after[i].vcpu : -1,
			   &d->after[i].state, d->events, d->n_events, "");
}

const char *report_end(char *buf, size_t size, const struct replay_result *res)
{
	char detail[4 * sizeof(res->end_detail)];	/* the trace's words, escaped */
	if (res->truncated)
		snprintf(buf, size, "the trace is truncated: its recorder did not finish, %" PRIu64
				    " steps were recovered", res->recorded_steps);
	else if (res->end_detail[0])
		snprintf(buf, size, "the recording ended there: %s (%s)", xt_end_reason_name(res->end_reason),
			 text_esc(detail, sizeof(detail), res->end_detail));
	else
		snprintf(buf, size, "the recording ended there: %s", xt_end_reason_name(res->end_reason));
	return buf;
}

/* ---- JSON ---- */

static const char *outcome_name(int rc, const struct replay_result *res)
{
	if (rc < 0)
		return "error";
	return res->outcome == REPLAY_IDENTICAL ? "identical" :
	       res->outcome == REPLAY_DIVERGED ? "diverged" : "stopped";
}

static void json_divergence(FILE *o, const struct replay_result *res)
{
	const struct replay_divergence *d = res->div;
	fprintf(o, "{\"step\":%" PRIu64 ",\"vcpu\":%u,\"vcpu_step\":%" PRIu64, d->step, d->vcpu,
		d->vcpu_step);
	if (d->step) {
		fprintf(o, ",\"rip\":\"0x%" PRIx64 "\",\"recorded_exit\":", d->recorded.regs.rip);
		json_exit(o, &d->recorded);
		fputs(",\"replayed_exit\":", o);
		json_exit(o, &d->replayed);
	}
	fputs(",\"fields\":[", o);
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	const char *sep = "";
	for (size_t id = 0; id < n; id++) {
		if (!xt_field_set_has(&d->fields, (unsigned)id))
			continue;
		const struct xt_field *f = &table[id];
		fprintf(o, "%s{\"name\":", sep);
		json_str(o, f->name);
		fputs(",\"recorded\":", o);
		json_field(o, &d->recorded, f);
		fputs(",\"replayed\":", o);
		json_field(o, &d->replayed, f);
		if (f->kind == XT_KIND_U64 && res->masks[id] != ~0ull)
			fprintf(o, ",\"mask\":\"0x%" PRIx64 "\"", res->masks[id]);
		fputc('}', o);
		sep = ",";
	}
	fputs("],\"note\":", o);
	if (d->note[0])
		json_str(o, d->note);
	else
		fputs("null", o);
	fputc('}', o);
}

void report_json_body(FILE *o, const char *path, int rc, const struct replay_result *res)
{
	fputs(",\"file\":", o);
	json_str(o, path);
	fprintf(o, ",\"outcome\":\"%s\",\"steps\":%" PRIu64, outcome_name(rc, res), res->steps);
	if (rc < 0) {
		fputs(",\"error\":", o);
		json_str(o, res->err.msg);
		return;
	}
	fprintf(o, ",\"recorded_steps\":%" PRIu64 ",\"truncated\":%s,\"end\":{\"reason\":",
		res->recorded_steps, res->truncated ? "true" : "false");
	json_str(o, xt_end_reason_name(res->end_reason));
	fprintf(o, ",\"code\":%" PRId64 ",\"detail\":", res->end_code);
	json_str(o, res->end_detail);
	fprintf(o, "},\"seconds\":%.6f,\"injections\":%" PRIu64 ",\"inputs_fed\":%" PRIu64
		   ",\"undefined_flags_fed\":%" PRIu64, res->seconds, res->injections, res->inputs_fed,
		res->undefined_flags_fed);
	if (res->outcome == REPLAY_STOPPED)
		fprintf(o, ",\"signal\":%d", res->signal);
	fputs(",\"host_differences\":[", o);
	for (size_t i = 0; i < res->hosts.n; i++) {
		const struct host_diff_item *h = &res->hosts.items[i];
		fprintf(o, "%s{\"what\":", i ? "," : "");
		json_str(o, h->what);
		fputs(",\"recorded\":", o);
		json_str(o, h->recorded);
		fputs(",\"here\":", o);
		json_str(o, h->here);
		fprintf(o, ",\"important\":%s}", h->important ? "true" : "false");
	}
	fputs("],\"divergence\":", o);
	if (res->outcome == REPLAY_DIVERGED && res->div)
		json_divergence(o, res);
	else
		fputs("null", o);
}
