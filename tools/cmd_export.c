// SPDX-License-Identifier: MIT
/*
 * exitrace export: the trace for other tools, streamed (memory flat in the
 * length of the trace).
 *
 * perfetto: the Chrome JSON trace event format, which ui.perfetto.dev and
 * chrome://tracing open.  One process, one thread (track) per vCPU holding
 * a complete ("X") slice per exit, instant ("i") events for injections,
 * arrivals, console output and notes on the vCPU's track, and kernel
 * tracepoint events on a track of their own.  The time axis is the host's
 * time when the trace captured it (--capture time): a step's slice is its
 * KVM_RUN, an event sits at the end of its vCPU's last KVM_RUN.  Otherwise
 * it is the global step number: step N starts at N us and lasts 1 us.
 *
 * csv: one row per step (see CSV_COLUMNS, and CSV_TIME_COLUMNS with time);
 * a row waits for its step's events.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "guest_code.h"

#define CSV_COLUMNS "step,vcpu,vcpu_step,rip,symbol,insn,exit,exit_detail,events"
/* with time: the step's KVM_RUN and the host's time before it since the vCPU's previous one */
#define CSV_TIME_COLUMNS ",run_ns,gap_ns"

/* A vCPU's clocks (ticks) after its last step, and what its last step took. */
struct vcpu_clock {
	uint64_t run, out;
	uint64_t run_d, gap_d;
};

struct exporter {
	FILE *o;
	const struct xt_header *h;
	struct guest_code *g;
	uint32_t ktrace_tid;
	struct vcpu_clock *clk;	/* by vCPU, when the trace has time; else NULL */
	double us_per_tick;
	double last_end_us;	/* the latest end of a KVM_RUN seen: where ktrace events go */
	/* csv: the row of the last step, written when its events are known */
	char row[2048];
	char row_time[64];	/* ",run_ns,gap_ns" with time */
	char events[512];
	size_t events_len;
	bool have_row;
	bool first;	/* perfetto: no comma before the first event */
};

/* A step's clocks: what its KVM_RUN and the gap before it took. */
static void clock_step(struct exporter *x, const struct xt_record *rec)
{
	if (!x->clk)
		return;
	struct vcpu_clock *c = &x->clk[rec->vcpu];
	const struct xt_time *t = &rec->state->time;
	c->run_d = t->run - c->run;
	c->gap_d = t->out - c->out;
	c->run = t->run;
	c->out = t->out;
	double end = (double)(t->run + t->out) * x->us_per_tick;
	if (end > x->last_end_us)
		x->last_end_us = end;
}

/* ---- perfetto ---- */

/* A moment on the time axis as the JSON's ts: microseconds, to the nanosecond with time. */
static void pf_ts(struct exporter *x, double us, uint64_t step)
{
	if (x->clk)
		fprintf(x->o, "%.3f", us);
	else
		fprintf(x->o, "%" PRIu64, step);
}

static void pf_begin(struct exporter *x, const char *path)
{
	FILE *o = x->o;
	if (x->clk)
		fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"time_axis\":\"host time since the recording "
		      "began (--capture time): a slice is a step's KVM_RUN\",\"file\":", o);
	else
		fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"time_axis\":\"step number (1 step = 1 us): "
		      "the trace holds no time\",\"file\":", o);
	json_str(o, path);
	fputs("},\"traceEvents\":[\n", o);
	fputs("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":", o);
	char name[600];
	snprintf(name, sizeof(name), "exitrace %s", path);
	json_str(o, name);
	fputs("}}", o);
	for (uint32_t v = 0; v < x->h->vm.n_vcpus; v++)
		fprintf(o, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"name\":"
			   "\"vCPU %u (APIC ID %u)\"}}", v + 1, v, x->h->vm.apic_ids[v]);
	fprintf(o, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"name\":"
		   "\"kernel events (ktrace)\"}}", x->ktrace_tid);
}

static void pf_step(struct exporter *x, const struct xt_record *rec)
{
	FILE *o = x->o;
	const struct xt_state *s = rec->state;
	const char *name = xt_exit_reason_name(s->exit.reason);
	char text[600];
	fmt_exit(text, sizeof(text), s);
	fprintf(o, ",\n{\"name\":\"%s\",\"cat\":\"exit\",\"ph\":\"X\",\"ts\":", name ? name : "UNKNOWN");
	if (x->clk) {
		/* the KVM_RUN began run_d before the vCPU's clocks' end */
		const struct vcpu_clock *c = &x->clk[rec->vcpu];
		fprintf(o, "%.3f,\"dur\":%.3f", (double)(c->run + c->out - c->run_d) * x->us_per_tick,
			(double)c->run_d * x->us_per_tick);
	} else {
		fprintf(o, "%" PRIu64 ",\"dur\":1", rec->step);
	}
	fprintf(o, ",\"pid\":1,\"tid\":%u,\"args\":{\"step\":%" PRIu64 ",\"vcpu_step\":%" PRIu64
		   ",\"rip\":\"0x%" PRIx64 "\"", rec->vcpu + 1, rec->step, rec->vcpu_step, s->regs.rip);
	json_code(o, x->g, guest_code_at(x->g, s));
	fputs(",\"exit\":", o);
	json_str(o, text);
	fputs("}}", o);
}

static void pf_event(struct exporter *x, const struct xt_record *rec)
{
	FILE *o = x->o;
	const struct xt_event *ev = rec->event;
	char name[64], text[2048];
	uint32_t tid = rec->vcpu + 1;
	const char *cat = xt_event_kind_name(ev->kind);
	switch (ev->kind) {
	case XT_EV_IRQ_INJECT:
		snprintf(name, sizeof(name), "inject 0x%x", ev->inject.vector);
		break;
	case XT_EV_IRQ_TAKEN: {
		char vec[32];
		fmt_taken_vector(vec, sizeof(vec), ev);
		snprintf(name, sizeof(name), "arrival %s", vec);
		break;
	}
	case XT_EV_KTRACE:
		snprintf(name, sizeof(name), "ktrace");
		tid = x->ktrace_tid;
		break;
	case XT_EV_CONSOLE:
	case XT_EV_NOTE:
		snprintf(name, sizeof(name), "%s", cat);
		break;
	default:
		return;	/* inputs and statistics: values of a step, not moments */
	}
	fmt_event(text, sizeof(text), ev, x->h);
	fprintf(o, ",\n{\"name\":");
	json_str(o, ev->kind == XT_EV_KTRACE && ev->ktrace.name ? ev->ktrace.name : name);
	fprintf(o, ",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"ts\":", cat);
	double at = 0;
	if (x->clk && rec->vcpu < x->h->vm.n_vcpus)
		at = ev->kind == XT_EV_KTRACE ? x->last_end_us :
		     (double)(x->clk[rec->vcpu].run + x->clk[rec->vcpu].out) * x->us_per_tick;
	pf_ts(x, at, rec->step);
	fprintf(o, ",\"pid\":1,\"tid\":%u,\"args\":{\"step\":%" PRIu64 ",\"vcpu\":%u,\"text\":", tid,
		rec->step, rec->vcpu);
	json_str(o, text);
	fputs("}}", o);
}

/* ---- csv ---- */

/* A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
static size_t csv_field(char *buf, size_t size, const char *s)
{
	size_t len = 0;
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (size)
		buf[0] = 0;
	if (quote)
		APPEND(buf, size, len, "\"");
	for (; *s; s++)
		APPEND(buf, size, len, *s == '"' ? "\"\"" : "%c", *s);
	if (quote)
		APPEND(buf, size, len, "\"");
	return len;
}

static void csv_flush(struct exporter *x)
{
	if (!x->have_row)
		return;
	char ev[600];
	csv_field(ev, sizeof(ev), x->events);
	fprintf(x->o, "%s,%s%s\n", x->row, ev, x->row_time);
	x->have_row = false;
	x->events[0] = 0;
	x->events_len = 0;
}

static void csv_step(struct exporter *x, const struct xt_record *rec)
{
	csv_flush(x);
	const struct xt_state *s = rec->state;
	const struct code_info *ci = guest_code_at(x->g, s);
	const char *name = xt_exit_reason_name(s->exit.reason);
	char exit_text[600], f1[200], f2[200], f3[700];
	fmt_exit(exit_text, sizeof(exit_text), s);
	csv_field(f1, sizeof(f1), ci->sym);
	csv_field(f2, sizeof(f2), ci->none ? "" : ci->insn);
	csv_field(f3, sizeof(f3), exit_text);
	int n = snprintf(x->row, sizeof(x->row), "%" PRIu64 ",%u,%" PRIu64 ",0x%" PRIx64 ",%s,%s,%s,%s", rec->step,
			 rec->vcpu, rec->vcpu_step, s->regs.rip, f1, f2, name ? name : "UNKNOWN", f3);
	x->row_time[0] = 0;
	if (x->clk && n > 0) {
		const struct vcpu_clock *c = &x->clk[rec->vcpu];
		snprintf(x->row_time, sizeof(x->row_time), ",%.0f,%.0f", (double)c->run_d * x->us_per_tick * 1e3,
			 (double)c->gap_d * x->us_per_tick * 1e3);
	}
	x->have_row = true;
}

/* A step's events in the row: kinds, with the vector of an injection or arrival ("irq-taken:0x30"). */
static void csv_event(struct exporter *x, const struct xt_record *rec)
{
	const struct xt_event *ev = rec->event;
	if (!x->have_row)
		return;
	char vec[32] = "";
	if (ev->kind == XT_EV_IRQ_TAKEN)
		fmt_taken_vector(vec, sizeof(vec), ev);
	else if (ev->kind == XT_EV_IRQ_INJECT)
		snprintf(vec, sizeof(vec), "0x%x", ev->inject.vector);
	APPEND(x->events, sizeof(x->events), x->events_len, "%s%s%s%s", x->events_len ? ";" : "",
	       xt_event_kind_name(ev->kind), *vec ? ":" : "", vec);
}

int cmd_export(int argc, char **argv)
{
	enum { O_FORMAT = 256, O_SYMBOLS };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "symbols", required_argument, NULL, O_SYMBOLS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = NULL, *out = NULL, *symbols = NULL;
	char msg[512];
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_FORMAT: format = optarg; break;
		case 'o': out = optarg; break;
		case O_SYMBOLS: symbols = optarg; break;
		case 'h': cli_print_usage(stdout, "export"); return XT_EXIT_OK;
		case ':': return cli_usage_error("export", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("export", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("export", "expected one trace file");
	if (!format)
		return cli_usage_error("export", "--format perfetto or --format csv is needed");
	bool csv = !strcmp(format, "csv");
	if (!csv && strcmp(format, "perfetto"))
		return cli_usage_error("export", "--format is perfetto or csv, not '%s'", format);
	/* refused before anything is opened for writing: the export replaced the trace it read */
	if (out && cli_same_file(out, argv[optind]))
		return cli_usage_error("export", "-o %s would overwrite the trace being exported", out);
	if (out && symbols && cli_same_file(out, symbols))
		return cli_usage_error("export", "-o %s would overwrite the --symbols file", out);

	static struct exporter x;
	memset(&x, 0, sizeof(x));
	struct xt_reader *r = cli_open_trace("export", argv[optind]);
	if (!r)
		return XT_EXIT_ERROR;
	if (guest_code_open(&x.g, r, symbols, msg, sizeof(msg)) < 0) {
		xt_reader_close(r);
		return cli_error("export", "%s", msg);
	}
	x.o = stdout;
	if (out && strcmp(out, "-")) {	/* -o -: standard output, as without -o */
		/* as record -o: no symbolic link planted in /tmp followed, no device truncated */
		struct xt_error err = { 0 };
		int fd = xt_open_output(out, &err);
		if (fd < 0 || !(x.o = fdopen(fd, "w"))) {
			if (fd >= 0)
				close(fd);
			guest_code_close(x.g);
			xt_reader_close(r);
			return cli_error("export", "-o %s: %s", out, fd < 0 ? err.msg : strerror(errno));
		}
	}
	x.h = xt_reader_header(r);
	x.ktrace_tid = x.h->vm.n_vcpus + 1;
	if ((x.h->vm.capture & XT_CAPTURE_TIME) && x.h->vm.time_hz) {
		x.clk = calloc(x.h->vm.n_vcpus, sizeof(*x.clk));
		x.us_per_tick = 1e6 / (double)x.h->vm.time_hz;
		if (!x.clk) {
			if (out)
				fclose(x.o);
			guest_code_close(x.g);
			xt_reader_close(r);
			return cli_error("export", "out of memory");
		}
	}
	if (csv)
		fprintf(x.o, "%s%s\n", CSV_COLUMNS, x.clk ? CSV_TIME_COLUMNS : "");
	else
		pf_begin(&x, argv[optind]);
	struct xt_record rec = XT_RECORD_INIT;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type == XT_REC_STEP) {
			clock_step(&x, &rec);
			csv ? csv_step(&x, &rec) : pf_step(&x, &rec);
		}
		else if (rec.type == XT_REC_EVENT)
			csv ? csv_event(&x, &rec) : pf_event(&x, &rec);
	}
	if (csv)
		csv_flush(&x);
	else
		fputs("\n]}\n", x.o);
	int status = XT_EXIT_OK;
	if (rc < 0)
		status = cli_error("export", "%s", xt_reader_error(r)->msg);
	else if (xt_reader_truncated(r))
		fprintf(stderr, "exitrace export: %s is truncated: exported up to its last complete frame\n",
			argv[optind]);
	if (fflush(x.o) != 0 || ferror(x.o))
		status = cli_error("export", "writing the output failed");
	if (out && fclose(x.o) != 0 && status == XT_EXIT_OK)
		status = cli_error("export", "writing %s failed", out);
	cli_warn_inconsistent("export", argv[optind], r);
	free(x.clk);
	guest_code_close(x.g);
	xt_reader_close(r);
	return status;
}
