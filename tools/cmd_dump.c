// SPDX-License-Identifier: MIT
/*
 * exitrace dump: one line per exit (step, RIP with its symbol and
 * instruction, the exit, what changed) and the events, filtered.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "term.h"
#include "guest_code.h"
#include "page_walk.h"
#include "step_filter.h"
#include "text_out.h"

/*
 * Text lines are built by hand (printf's parsing was most of dump's time on
 * long traces) straight into a text_out buffer, which stdio gets in 64 KiB
 * pieces: one fwrite per line was the next largest cost.
 */
#define LINE_ROOM 512	/* what the exit's words, or a field besides its name, take at most */
#define CODE_COLUMN 36	/* "<symbol> instruction" is padded to this, so the exits line up */

/*
 * The fields a line shows after the exit, worked out once rather than for
 * each field of each step: those with a name, but not RIP (it has its
 * column) nor the exit's payload (the exit's words show it).
 */
struct shown_fields {
	const struct xt_field *table;
	struct xt_field_set set;
	uint16_t name_len[XT_FIELD_ID_LIMIT];
};

static void shown_fields_init(struct shown_fields *sf)
{
	size_t n = xt_fields(&sf->table);
	memset(&sf->set, 0, sizeof(sf->set));
	for (unsigned id = 0; id < n && id < XT_FIELD_ID_LIMIT; id++) {
		const struct xt_field *f = &sf->table[id];
		if (!f->name || f->id == XT_F_RIP || fmt_is_exit_payload(f) || fmt_is_host_time(f))
			continue;
		xt_field_set_add(&sf->set, id);
		sf->name_len[id] = (uint16_t)strlen(f->name);
	}
}

/*
 * --capture time: a step's KVM_RUN and the gap before it, known when the
 * vCPU's step before it was read (not for the first one after a seek).
 */
struct step_time {
	bool known;
	double run_us, gap_us;
};

/* With several vCPUs, after the step: " v1#5", vCPU 1's 5th step (events: " v1"). */
static char *put_vcpu(char *p, const struct xt_record *rec, bool several)
{
	if (!several)
		return p;
	p = TEXT_LIT(p, " v");
	p = text_dec(p, rec->vcpu);
	if (rec->type != XT_REC_STEP)
		return p;
	*p++ = '#';
	return text_dec(p, rec->vcpu_step);
}

static void print_step_text(struct text_out *o, const struct xt_record *rec,
			    const struct shown_fields *sf, bool several, const struct code_info *ci,
			    const struct step_time *t)
{
	const struct xt_state *s = rec->state;
	/* the step, RIP, code and exit: fmt_exit takes at most LINE_ROOM, the rest less */
	char *p = text_out_room(o, 2 * LINE_ROOM + CODE_TEXT_MAX);
	p = text_dec_width(p, rec->step, 10);
	p = put_vcpu(p, rec, several);
	p = TEXT_LIT(p, "  rip=");
	char *rip = p;
	p = text_hex(p, s->regs.rip);
	while (p - rip < 12)	/* "0x" and 10 digits, left-aligned */
		*p++ = ' ';
	*p++ = ' ';
	char *code = p;
	p = put_code(p, ci);
	while (p - code < CODE_COLUMN)
		*p++ = ' ';
	*p++ = ' ';
	if (s->exit.reason == KVM_EXIT_DEBUG) {
		/* the common case, as fmt_exit() words it */
		p = TEXT_LIT(p, "DEBUG exception=");
		p = text_dec(p, s->exit.debug_exception);
		p = TEXT_LIT(p, " dr6=");
		p = text_hex(p, s->exit.debug_dr6);
		if (xt_dr7_valid(s->exit.debug_dr7)) {	/* else KVM did not write it */
			p = TEXT_LIT(p, " dr7=");
			p = text_hex(p, s->exit.debug_dr7);
		}
		p = TEXT_LIT(p, " pc=");
		p = text_hex(p, s->exit.debug_pc);
	} else if (s->exit.reason == KVM_EXIT_IO && s->exit.io_count == 1 && s->exit.io_data_len <= 8) {
		/* the next most common exit (a guest's console), as fmt_exit() words it */
		p = TEXT_LIT(p, "IO ");
		if (s->exit.io_direction == KVM_EXIT_IO_OUT)
			p = TEXT_LIT(p, "out ");
		else
			p = TEXT_LIT(p, "in ");
		p = text_hex(p, s->exit.io_port);
		p = TEXT_LIT(p, " size=");
		p = text_dec(p, s->exit.io_size);
		uint64_t v = 0;
		for (uint32_t i = 0; i < s->exit.io_data_len; i++)
			v |= (uint64_t)s->exit.io_data[i] << (8 * i);
		p = TEXT_LIT(p, " data=");
		p = text_hex(p, v);
	} else {
		fmt_exit(p, LINE_ROOM, s);
		p += strlen(p);
	}

	if (t->known) {
		/* the line's room has space for this: the exit's words took at most LINE_ROOM of two */
		p += snprintf(p, 64, "  run=%.2fus gap=%.2fus", t->run_us, t->gap_us);
	}
	struct xt_field_set changed;
	for (unsigned w = 0; w < XT_FIELD_ID_LIMIT / 64; w++)
		changed.bits[w] = rec->changed->bits[w] & sf->set.bits[w];
	bool first = true;
	XT_FIELD_SET_FOREACH(&changed, id) {
		const struct xt_field *f = &sf->table[id];
		size_t name_len = sf->name_len[id];
		/* a line can be longer than the buffer: each field makes its own room */
		o->p = p;
		p = text_out_room(o, LINE_ROOM + name_len);
		if (first)
			p = TEXT_LIT(p, "  | ");
		else
			*p++ = ' ';
		memcpy(p, f->name, name_len);
		p += name_len;
		*p++ = '=';
		if (f->kind == XT_KIND_U64) {
			p = text_hex(p, xt_field_get(s, f));
		} else {
			fmt_field(p, 96, s, f);
			p += strlen(p);
		}
		first = false;
	}
	*p++ = '\n';	/* the room of the last field or of the start has this byte */
	o->p = p;
}

/* An event's line, "      STEP  + what", into the same buffer as the steps' */
static void print_event_text(struct text_out *o, const struct xt_record *rec,
			     const struct xt_header *h)
{
	char text[1024];
	fmt_event(text, sizeof(text), rec->event, h);
	size_t n = strlen(text);
	char *p = text_out_room(o, 64 + n);	/* the step, the vCPU, "  + " and '\n' */
	p = text_dec_width(p, rec->step, 10);
	p = put_vcpu(p, rec, h->vm.n_vcpus > 1);
	p = TEXT_LIT(p, "  + ");
	memcpy(p, text, n);
	p += n;
	*p++ = '\n';
	o->p = p;
}

static void print_step_json(FILE *o, const struct xt_record *rec, bool several,
			    struct guest_code *g, const struct code_info *ci, const struct step_time *t)
{
	const struct xt_state *s = rec->state;
	fprintf(o, "{\"step\":%" PRIu64, rec->step);
	if (several)
		fprintf(o, ",\"vcpu\":%u,\"vcpu_step\":%" PRIu64, rec->vcpu, rec->vcpu_step);
	fprintf(o, ",\"rip\":\"0x%" PRIx64 "\"", s->regs.rip);
	json_code(o, g, ci);
	fputs(",\"exit\":", o);
	json_exit(o, s);
	fputs(",\"changed\":", o);
	struct xt_field_set changed = *rec->changed;
	fmt_drop_host_time(&changed);
	json_state_fields(o, s, &changed, 0);
	if (t->known)
		fprintf(o, ",\"time\":{\"run_ns\":\"%.0f\",\"gap_ns\":\"%.0f\"}", t->run_us * 1e3, t->gap_us * 1e3);
	fputs("}\n", o);
}

/*
 * With --event a step is shown only if one of its events is of that kind,
 * and its events follow it: the step's text is held (in memory, one step
 * at a time) until the next step says its events are over.
 */
struct held {
	char *buf;
	size_t len;
	FILE *f;	/* open while a step is held */
	bool matched;
};

/* Each vCPU's last step shown: its instruction, to check against where the next step went. */
struct last_code {
	const struct code_info *ci;
	uint64_t linear;
	uint8_t len, bits;	/* as decoded from initial memory, kept if ci is marked since */
	bool branch;
	bool valid;	/* shown, decoded, and no event of its step seen */
};

struct dump {
	FILE *o;
	struct xt_reader *r;
	struct last_code *last;	/* by vCPU */
	bool json, several;
	struct text_out *tout;
	struct shown_fields shown;
	struct guest_code *code;
	const struct xt_header *h;
	struct step_filter filter;
	bool shown_step;	/* the last step was shown: its events are shown too */
	struct xt_time *clk;	/* by vCPU, with time: its clocks after its last step read */
	bool *clk_known;
	struct step_time t;	/* the step being shown */
	struct held held;
	struct text_out *hold_out;	/* text steps are formatted here while held */
};

static void put_step(struct dump *d, FILE *f, struct text_out *t, const struct xt_record *rec,
		     const struct code_info *ci)
{
	if (d->json)
		print_step_json(f, rec, d->several, d->code, ci, &d->t);
	else
		print_step_text(t, rec, &d->shown, d->several, ci, &d->t);
}

static void put_event(struct dump *d, FILE *f, struct text_out *t, const struct xt_record *rec)
{
	if (d->json) {
		json_event(f, rec->event);
		fputc('\n', f);
	} else {
		print_event_text(t, rec, d->h);
	}
}

/* The held step and its events, if one of them matched; then nothing is held. */
static void release(struct dump *d)
{
	struct held *hd = &d->held;
	if (!hd->f)
		return;
	if (!d->json)
		text_out_flush(d->hold_out);
	fclose(hd->f);
	hd->f = NULL;
	if (hd->matched && hd->len) {
		if (d->json) {
			fwrite(hd->buf, 1, hd->len, d->o);
		} else {
			for (size_t at = 0; at < hd->len;) {
				size_t k = hd->len - at < TEXT_OUT_SIZE ? hd->len - at : TEXT_OUT_SIZE;
				char *p = text_out_room(d->tout, k);
				memcpy(p, hd->buf + at, k);
				d->tout->p = p + k;
				at += k;
			}
		}
	}
	free(hd->buf);
	hd->buf = NULL;
	hd->len = 0;
}

static int hold(struct dump *d)
{
	struct held *hd = &d->held;
	hd->matched = false;
	hd->f = open_memstream(&hd->buf, &hd->len);
	if (!hd->f)
		return -1;
	if (!d->json)
		text_out_init(d->hold_out, hd->f);
	return 0;
}

/*
 * A single step over an instruction that does not branch moves RIP by its
 * length, or not at all (a REP iteration).  When the step after one shown
 * went elsewhere, the guest changed that code since step 0: both RIPs then
 * say so rather than show step 0's bytes as what ran.  A step with events
 * (an arrival, RDRAND's extra instruction on some hosts), or that may have
 * some, is not judged.
 */
/* Does an event of this step follow it (an arrival would)?  Peeking leaves rec as it is. */
static bool has_events(struct dump *d, const struct xt_record *rec)
{
	uint32_t type;
	if (rec->next_is_step)
		return false;
	return xt_reader_peek(d->r, &type) != 1 || type == XT_REC_EVENT;
}

static void check_code(struct dump *d, const struct xt_record *rec, const struct code_info *ci)
{
	struct last_code *l = &d->last[rec->vcpu];
	const struct xt_state *s = rec->state;
	if (l->valid && s->exit.reason == KVM_EXIT_DEBUG && (s->exit.debug_dr6 & 0x4000) && !l->branch &&
	    l->bits == ci->bits && !has_events(d, rec)) {
		uint64_t moved = ci->linear - l->linear;
		if (moved && moved != l->len) {
			if (l->ci->linear == l->linear)
				guest_code_mark_changed(d->code, l->ci);
			guest_code_mark_changed(d->code, ci);
		}
	}
	*l = (struct last_code){ ci, ci->linear, ci->len, ci->bits, ci->branch, ci->len > 0 };
}

static int on_step(struct dump *d, const struct xt_record *rec)
{
	release(d);
	/* the code is looked up only for a step shown: a filtered dump skips most */
	d->shown_step = step_filter_step(&d->filter, rec, gmem_code_linear(rec->state));
	if (!d->shown_step) {
		d->last[rec->vcpu].valid = false;
		return 0;
	}
	const struct code_info *ci = guest_code_at(d->code, rec->state);
	check_code(d, rec, ci);
	if (!d->filter.events) {
		put_step(d, d->o, d->tout, rec, ci);
		return 0;
	}
	d->shown_step = has_events(d, rec);	/* no events follow: none can match */
	if (!d->shown_step)
		return 0;
	if (hold(d) < 0)
		return -1;
	put_step(d, d->held.f, d->hold_out, rec, ci);
	return 0;
}

static void on_event(struct dump *d, const struct xt_record *rec)
{
	if (rec->vcpu < d->h->vm.n_vcpus)
		d->last[rec->vcpu].valid = false;
	/* an event of a step not shown is not shown, unless nothing filters steps */
	if (!d->shown_step && (step_filter_active(&d->filter) || rec->step == 0))
		return;
	if (d->held.f) {
		if (step_filter_event(&d->filter, rec->event->kind))
			d->held.matched = true;
		put_event(d, d->held.f, d->hold_out, rec);
		return;
	}
	put_event(d, d->o, d->tout, rec);
}

/* The step's durations, from its vCPU's clocks before and after it. */
static void take_time(struct dump *d, const struct xt_record *rec)
{
	d->t.known = false;
	if (!d->clk || rec->vcpu >= d->h->vm.n_vcpus)
		return;
	const struct xt_time *now = &rec->state->time;
	if (d->clk_known[rec->vcpu]) {
		fmt_step_time(&d->clk[rec->vcpu], now, d->h->vm.time_hz, &d->t.run_us, &d->t.gap_us);
		d->t.known = true;
	}
	d->clk[rec->vcpu] = *now;
	d->clk_known[rec->vcpu] = true;
}

int cmd_dump(int argc, char **argv)
{
	enum { O_EXIT = 256, O_EVENT, O_RIP, O_SYMBOLS, O_COLOR, O_NO_PAGER };
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "exit", required_argument, NULL, O_EXIT },
		{ "event", required_argument, NULL, O_EVENT },
		{ "rip", required_argument, NULL, O_RIP },
		{ "symbols", required_argument, NULL, O_SYMBOLS },
		{ "color", optional_argument, NULL, O_COLOR },
		{ "no-pager", no_argument, NULL, O_NO_PAGER },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t from = 0, to = UINT64_MAX;
	static struct dump d;
	static struct text_out tout, hold_out;
	const char *symbols = NULL;
	char msg[512];
	memset(&d, 0, sizeof(d));
	step_filter_init(&d.filter);
	int c;
	opterr = 0;
	struct term_options term = { 0 };
	while ((c = getopt_long(argc, argv, ":f:t:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!cli_parse_u64(optarg, &from))
				return cli_usage_error("dump", "--from needs a step number, not '%s'", optarg);
			break;
		case 't':
			if (!cli_parse_u64(optarg, &to))
				return cli_usage_error("dump", "--to needs a step number, not '%s'", optarg);
			break;
		case 'j': d.json = true; break;
		case 'v':
			if (!cli_parse_vcpu("dump", optarg, &d.filter.vcpu))
				return XT_EXIT_ERROR;
			break;
		case O_EXIT:
			if (!step_filter_exits(&d.filter, optarg, msg, sizeof(msg)))
				return cli_usage_error("dump", "%s", msg);
			break;
		case O_EVENT:
			if (!step_filter_events(&d.filter, optarg, msg, sizeof(msg)))
				return cli_usage_error("dump", "%s", msg);
			break;
		case O_RIP:
			if (!step_filter_rip(&d.filter, optarg, msg, sizeof(msg)))
				return cli_usage_error("dump", "%s", msg);
			break;
		case O_SYMBOLS: symbols = optarg; break;
		case O_COLOR:
			if (!term_parse_color("dump", optarg, &term.color))
				return XT_EXIT_ERROR;
			break;
		case O_NO_PAGER: term.no_pager = true; break;
		case 'h': cli_print_usage(stdout, "dump"); return XT_EXIT_OK;
		case ':': return cli_usage_error("dump", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("dump", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("dump", "expected one trace file");
	if (from > to)
		return cli_usage_error("dump", "--from %" PRIu64 " is after --to %" PRIu64, from, to);

	struct xt_reader *r = cli_open_trace("dump", argv[optind]);
	if (!r)
		return XT_EXIT_ERROR;
	if (!cli_check_vcpu("dump", r, d.filter.vcpu)) {
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}
	if (guest_code_open(&d.code, r, symbols, msg, sizeof(msg)) < 0 ||
	    !step_filter_resolve(&d.filter, guest_code_symbols(d.code), msg, sizeof(msg))) {
		guest_code_close(d.code);
		xt_reader_close(r);
		return cli_error("dump", "%s", msg);
	}
	d.r = r;
	d.h = xt_reader_header(r);
	d.several = d.h->vm.n_vcpus > 1;
	d.last = calloc(d.h->vm.n_vcpus, sizeof(*d.last));
	if ((d.h->vm.capture & XT_CAPTURE_TIME) && d.h->vm.time_hz) {
		d.clk = calloc(d.h->vm.n_vcpus, sizeof(*d.clk));
		d.clk_known = calloc(d.h->vm.n_vcpus, sizeof(*d.clk_known));
		/* from the start, each vCPU's clocks are 0 before its first step */
		if (d.clk_known && from <= 1)
			memset(d.clk_known, 1, d.h->vm.n_vcpus * sizeof(*d.clk_known));
	}
	bool want_clk = (d.h->vm.capture & XT_CAPTURE_TIME) && d.h->vm.time_hz;
	if (!d.last || (want_clk && (!d.clk || !d.clk_known))) {
		free(d.last);
		free(d.clk);
		free(d.clk_known);
		guest_code_close(d.code);
		xt_reader_close(r);
		return cli_error("dump", "out of memory");
	}
	term_start(&term, TERM_STYLE_DUMP, d.json);
	d.o = stdout;
	d.tout = &tout;
	d.hold_out = &hold_out;
	int rc = 0;
	if (from > 1)
		rc = xt_reader_seek(r, from);
	struct xt_record rec = XT_RECORD_INIT;
	/* text goes through tout; --json writes to o itself */
	text_out_init(&tout, d.o);
	shown_fields_init(&d.shown);
	if (d.json) {
		/* JSON lines: this first line says what the lines after it are (docs/json.md) */
		json_top(d.o, "dump");
		fputs(",\"file\":", d.o);
		json_str(d.o, argv[optind]);
		fprintf(d.o, ",\"vcpus\":%u}\n", xt_reader_header(r)->vm.n_vcpus);
	}
	while (rc == 0 && (rc = xt_reader_next(r, &rec)) > 0) {
		rc = 0;
		if (rec.step > to)
			break;
		if (rec.step < from || (d.filter.vcpu != CLI_ALL_VCPUS && rec.vcpu != d.filter.vcpu))
			continue;
		if (rec.type == XT_REC_STEP) {
			take_time(&d, &rec);
			if (on_step(&d, &rec) < 0) {
				rc = -ENOMEM;
				break;
			}
		} else if (rec.type == XT_REC_EVENT) {
			on_event(&d, &rec);
		}
	}
	release(&d);
	text_out_flush(&tout);	/* before any message on stderr */
	int status = XT_EXIT_OK;
	if (rc == -ENOMEM) {
		fflush(d.o);
		status = cli_error("dump", "out of memory");
	} else if (rc < 0) {
		fflush(d.o);
		status = cli_error("dump", "%s", xt_reader_error(r)->msg);
	} else if (xt_reader_truncated(r) && to == UINT64_MAX) {
		fflush(d.o);
		fprintf(stderr, "exitrace dump: %s is truncated: the recorder did not finish; "
				"shown up to its last complete frame\n", argv[optind]);
	}
	fflush(d.o);
	cli_warn_inconsistent("dump", argv[optind], r);
	if (fflush(d.o) != 0 || ferror(d.o))
		status = cli_error("dump", "writing the output failed");
	free(d.last);
	free(d.clk);
	free(d.clk_known);
	guest_code_close(d.code);
	xt_reader_close(r);
	return status;
}
