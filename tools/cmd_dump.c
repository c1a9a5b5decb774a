// SPDX-License-Identifier: MIT
/* exitrace dump: one line per exit (step, exit, RIP, what changed) and the events. */
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>

#include "cli.h"
#include "text_out.h"

/*
 * Text lines are built by hand (printf's parsing was most of dump's time on
 * long traces) straight into a text_out buffer, which stdio gets in 64 KiB
 * pieces: one fwrite per line was the next largest cost.
 */
#define LINE_ROOM 512	/* what the exit's words, or a field besides its name, take at most */

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
		if (!f->name || f->id == XT_F_RIP || fmt_is_exit_payload(f))
			continue;
		xt_field_set_add(&sf->set, id);
		sf->name_len[id] = (uint16_t)strlen(f->name);
	}
}

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
			    const struct shown_fields *sf, bool several)
{
	const struct xt_state *s = rec->state;
	/* the step, RIP and exit: fmt_exit takes at most LINE_ROOM, the rest less */
	char *p = text_out_room(o, 2 * LINE_ROOM);
	p = text_dec_width(p, rec->step, 10);
	p = put_vcpu(p, rec, several);
	p = TEXT_LIT(p, "  rip=");
	char *rip = p;
	p = text_hex(p, s->regs.rip);
	while (p - rip < 12)	/* "0x" and 10 digits, left-aligned */
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
	} else {
		fmt_exit(p, LINE_ROOM, s);
		p += strlen(p);
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

static void print_step_json(FILE *o, const struct xt_record *rec, bool several)
{
	const struct xt_state *s = rec->state;
	fprintf(o, "{\"step\":%" PRIu64, rec->step);
	if (several)
		fprintf(o, ",\"vcpu\":%u,\"vcpu_step\":%" PRIu64, rec->vcpu, rec->vcpu_step);
	fprintf(o, ",\"rip\":\"0x%" PRIx64 "\",\"exit\":", s->regs.rip);
	json_exit(o, s);
	fputs(",\"changed\":", o);
	json_state_fields(o, s, rec->changed, 0);
	fputs("}\n", o);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t from = 0, to = UINT64_MAX, vcpu = CLI_ALL_VCPUS;
	bool json = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:t:v:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!cli_parse_u64(optarg, &from))
				return cli_usage_error("dump", "--from needs a step number, not '%s'", optarg);
			break;
		case 't':
			if (!cli_parse_u64(optarg, &to))
				return cli_usage_error("dump", "--to needs a step number, not '%s'", optarg);
			break;
		case 'j': json = true; break;
		case 'v':
			if (!cli_parse_vcpu("dump", optarg, &vcpu))
				return XT_EXIT_ERROR;
			break;
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
	if (!cli_check_vcpu("dump", r, vcpu)) {
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}
	bool several = xt_reader_header(r)->vm.n_vcpus > 1;
	int rc = 0;
	if (from > 1)
		rc = xt_reader_seek(r, from);
	struct xt_record rec;
	FILE *o = stdout;
	/* text goes through tout; --json writes to o itself */
	static struct text_out tout;
	text_out_init(&tout, o);
	struct shown_fields shown;
	shown_fields_init(&shown);
	while (rc == 0 && (rc = xt_reader_next(r, &rec)) > 0) {
		rc = 0;
		if (rec.step > to)
			break;
		if (rec.step < from || (vcpu != CLI_ALL_VCPUS && rec.vcpu != vcpu))
			continue;
		if (rec.type == XT_REC_STEP) {
			if (json)
				print_step_json(o, &rec, several);
			else
				print_step_text(&tout, &rec, &shown, several);
		} else if (rec.type == XT_REC_EVENT) {
			if (json) {
				json_event(o, rec.event);
				fputc('\n', o);
			} else {
				print_event_text(&tout, &rec, xt_reader_header(r));
			}
		}
	}
	text_out_flush(&tout);	/* before any message on stderr */
	int status = XT_EXIT_OK;
	if (rc < 0) {
		fflush(o);
		status = cli_error("dump", "%s", xt_reader_error(r)->msg);
	} else if (xt_reader_truncated(r) && to == UINT64_MAX) {
		fflush(o);
		fprintf(stderr, "exitrace dump: %s is truncated: the recorder did not finish; "
				"shown up to its last complete frame\n", argv[optind]);
	}
	fflush(o);
	cli_warn_inconsistent("dump", argv[optind], r);
	if (fflush(o) != 0 || ferror(o))
		status = cli_error("dump", "writing the output failed");
	xt_reader_close(r);
	return status;
}
