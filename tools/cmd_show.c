// SPDX-License-Identifier: MIT
/*
 * exitrace show FILE STEP: everything the trace holds about one step: the
 * instruction and symbol at its RIP and the one it ran, the exit with its
 * payload, every register and block captured, the step's events and, for
 * an arrival, the evidence it was read from.  --mem ADDR LEN adds guest
 * memory as it was at step 0 (a trace does not record RAM writes).
 *
 * STEP is a number (with --vcpu N: that vCPU's own Nth step) or SYMBOL[#K]:
 * the K-th step (from 1) whose RIP is at the symbol's address.
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
#include "symbols.h"
#include "text_escape.h"

#define MEM_MAX (1u << 20)	/* --mem shows at most this much */
#define SHOW_EVENTS_MAX 256	/* the events of one step kept for printing */

/* What RIP and mode the vCPU had before the step: the instruction the step ran. */
struct before {
	struct xt_regs regs;
	struct xt_sregs sregs;
	struct xt_time time;	/* with --capture time: the clocks the step's durations are from */
};

struct target {
	uint64_t step;		/* global step number, or the vCPU's own with by_vcpu_step */
	bool by_vcpu_step;
	const char *symbol;	/* or the K-th step at this symbol's address */
	uint64_t nth, sym_addr;
	uint64_t vcpu;		/* CLI_ALL_VCPUS: any */
};

struct found {
	struct xt_record rec;
	struct xt_state state;		/* a copy: the reader's changes as events are read */
	struct xt_field_set changed;
	struct before before;
	bool have_before;
	struct xt_event events[SHOW_EVENTS_MAX];
	char *event_text[SHOW_EVENTS_MAX];	/* each event in words, made while it was valid */
	char *event_json[SHOW_EVENTS_MAX];
	size_t n_events, events_dropped;
};

static bool parse_target(const char *arg, struct target *t, char *msg, size_t size)
{
	if (cli_parse_u64(arg, &t->step)) {
		if (!t->step) {
			snprintf(msg, size, "steps count from 1");
			return false;
		}
		return true;
	}
	/* no symbol starts with a digit: a number that does not fit (or has junk after it) */
	if (arg[0] >= '0' && arg[0] <= '9') {
		snprintf(msg, size, "STEP '%.40s' is not a step number (decimal or 0x hex, below 2^64)", arg);
		return false;
	}
	static char name[256];
	const char *hash = strchr(arg, '#');
	size_t n = hash ? (size_t)(hash - arg) : strlen(arg);
	t->nth = 1;
	if (!n || n >= sizeof(name) || (hash && (!cli_parse_u64(hash + 1, &t->nth) || !t->nth))) {
		snprintf(msg, size, "STEP is a step number or SYMBOL[#K] (K from 1), not '%s'", arg);
		return false;
	}
	memcpy(name, arg, n);
	name[n] = 0;
	t->symbol = name;
	return true;
}

static void keep_event(struct found *fd, const struct xt_event *ev, const struct xt_header *h)
{
	if (fd->n_events == SHOW_EVENTS_MAX) {
		fd->events_dropped++;
		return;
	}
	char text[2048];
	fmt_event(text, sizeof(text), ev, h);
	char *json = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&json, &len);
	if (m) {
		json_event(m, ev);
		fclose(m);
	}
	size_t i = fd->n_events++;
	fd->events[i] = *ev;	/* numbers only are read from the copy: its strings went with the reader */
	fd->event_text[i] = strdup(text);
	fd->event_json[i] = json;
}

static bool is_target(const struct target *t, const struct xt_record *rec, uint64_t linear,
		      uint64_t *seen)
{
	if (t->vcpu != CLI_ALL_VCPUS && rec->vcpu != t->vcpu)
		return false;
	if (t->symbol)
		return linear == t->sym_addr && ++*seen == t->nth;
	return t->by_vcpu_step ? rec->vcpu_step == t->step : rec->step == t->step;
}

/* Reads up to the target step, then its events.  1 found, 0 not there, < 0 a read error. */
static int find_step(struct xt_reader *r, const struct target *t, struct guest_code *g,
		     struct found *fd, uint64_t *seen)
{
	const struct xt_header *h = xt_reader_header(r);
	uint32_t n = h->vm.n_vcpus;
	struct before *prev = calloc(n, sizeof(*prev));
	bool *have = calloc(n, sizeof(*have));
	int rc = -ENOMEM;
	if (!prev || !have)
		goto out;
	rc = 0;
	if (!t->symbol && !t->by_vcpu_step && t->step > 2 && n == 1) {
		/*
		 * From the step before: its state is the one the target step ran
		 * from (a seek hands out the frame's keyframe state, which is not).
		 * With several vCPUs the step before may be another one's: read
		 * from the start instead.
		 */
		rc = xt_reader_seek(r, t->step - 1);
		if (rc == -ERANGE)
			rc = 0;	/* a step past the end: not found */
		else if (rc < 0)
			goto out;
	} else {
		/* from step 0: the initial states */
		for (uint32_t v = 0; v < n; v++) {
			const struct xt_state *s = v ? &h->initial_vcpus[v - 1] : h->initial;
			prev[v] = (struct before){ s->regs, s->sregs, s->time };
			have[v] = true;
		}
	}
	struct xt_record rec = XT_RECORD_INIT;
	bool in = false;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type == XT_REC_EVENT) {
			if (in && rec.event->step == fd->rec.step)
				keep_event(fd, rec.event, h);
			continue;
		}
		if (rec.type != XT_REC_STEP)
			continue;
		if (in) {
			rc = 1;
			break;
		}
		uint64_t linear = t->symbol ? guest_code_at(g, rec.state)->linear : 0;
		if (is_target(t, &rec, linear, seen)) {
			in = true;
			fd->rec = rec;
			fd->state = *rec.state;
			fd->changed = *rec.changed;
			fd->rec.state = &fd->state;
			fd->rec.changed = &fd->changed;
			if (rec.vcpu < n && have[rec.vcpu]) {
				fd->before = prev[rec.vcpu];
				fd->have_before = true;
			}
			continue;
		}
		if (rec.vcpu < n) {
			prev[rec.vcpu] = (struct before){ rec.state->regs, rec.state->sregs, rec.state->time };
			have[rec.vcpu] = true;
		}
	}
	if (rc == 0 && in)
		rc = 1;
out:
	free(prev);
	free(have);
	return rc;
}

/*
 * A check of the bytes from initial memory against what the step did: a
 * single step over an instruction that does not branch moves RIP by its
 * length (or not at all: a REP iteration).  When it moved otherwise, the
 * guest may have changed that code since step 0 and the instruction shown
 * is wrong.  Steps with an arrival or an input (RDRAND's step runs one
 * more instruction on some hosts) are not judged.  NULL: no reason to doubt.
 */
static const char *doubt(const struct found *fd, const struct code_info *at, const struct code_info *ran)
{
	static char why[200];
	const struct xt_state *s = &fd->state;
	if (!ran || ran->none || ran->branch || s->exit.reason != KVM_EXIT_DEBUG ||
	    !(s->exit.debug_dr6 & 0x4000) || at->bits != ran->bits)
		return NULL;
	for (size_t i = 0; i < fd->n_events; i++)
		if (fd->events[i].kind == XT_EV_IRQ_TAKEN || fd->events[i].kind == XT_EV_INPUT)
			return NULL;
	uint64_t moved = at->linear - ran->linear;
	if (moved == 0 || moved == ran->len)
		return NULL;
	snprintf(why, sizeof(why), "the step moved RIP by %" PRId64 " bytes over an instruction of %u in "
		 "initial memory: the guest may have changed this code since step 0",
		 (int64_t)moved, ran->len);
	return why;
}

/* ---- text ---- */

static const char *const block_titles[XT_NBLOCKS] = {
	[XT_BLOCK_REGS] = "registers", [XT_BLOCK_SREGS] = "segments and control registers",
	[XT_BLOCK_EVENTS] = "vCPU events", [XT_BLOCK_EXIT] = "exit",
	[XT_BLOCK_DEBUGREGS] = "debug registers", [XT_BLOCK_LAPIC] = "local APIC",
	[XT_BLOCK_FPU] = "FPU", [XT_BLOCK_TIME] = "host time (ticks since the recording began)",
};

static bool shown_field(const struct xt_field *f, const struct xt_state *s, uint32_t capture)
{
	if (!f->name || !(capture & (1u << f->block)) || !xt_field_written(s, f))
		return false;
	/* the exit block: the fields this exit's reason gives, not the last payload of another */
	return f->block != XT_BLOCK_EXIT || xt_field_applies(f, s->exit.reason);
}

static void print_blocks(const struct xt_state *s, const struct xt_field_set *changed, uint32_t capture)
{
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (unsigned b = 0; b < XT_NBLOCKS; b++) {
		if (!(capture & (1u << b)))
			continue;
		printf("\n%s%s:\n", block_titles[b], b == XT_BLOCK_DEBUGREGS || b == XT_BLOCK_LAPIC ||
						    b == XT_BLOCK_FPU || b == XT_BLOCK_TIME ? " (captured)" : "");
		size_t col = 0;
		for (size_t id = 0; id < n; id++) {
			const struct xt_field *f = &table[id];
			if (f->block != b || !shown_field(f, s, capture))
				continue;
			char val[1024], item[1200];
			fmt_field(val, sizeof(val), s, f);
			/* '*': the step changed it */
			int len = snprintf(item, sizeof(item), "%s%s=%s", xt_field_set_has(changed, f->id) ? "*" : "",
					   f->name, val);
			if (col && col + (size_t)len + 2 > 100) {
				putchar('\n');
				col = 0;
			}
			printf("%s%s", col ? "  " : "  ", item);
			col += (size_t)len + 2;
		}
		if (col)
			putchar('\n');
	}
}

static const struct { uint32_t bit; const char *name, *meaning; } evidence[] = {
	{ XT_EVIDENCE_STACK_FRAME, "stack-frame", "an interrupt frame holding the interrupted RIP is on the guest stack" },
	{ XT_EVIDENCE_IDT, "idt", "RIP went to the handler the IDT gate for the vector names" },
	{ XT_EVIDENCE_LAPIC_ISR, "lapic-isr", "the vector's in-service bit of the local APIC is set" },
	{ XT_EVIDENCE_EVENTS, "events", "the vCPU events said an interrupt or exception was being injected" },
	{ XT_EVIDENCE_INJECTION, "injection", "an injection of the recorder's was outstanding" },
	{ XT_EVIDENCE_INSTRUCTION, "instruction", "the instruction raises it (INT n, INT3, UD2, ...)" },
	{ XT_EVIDENCE_LAPIC_IRR, "lapic-irr", "the injected vector's request bit cleared: the local APIC accepted it" },
	{ XT_EVIDENCE_FRAME_SIZE, "frame-size", "the frame's size says whether an error code was pushed" },
};

static void print_arrival(const struct xt_event *ev, const struct found *fd, struct guest_code *g)
{
	char vec[1400];
	fmt_taken_vector(vec, sizeof(vec), ev);
	printf("\narrival: vector %s, %s, %s\n", vec, xt_taken_type_name(ev->taken.type),
	       xt_taken_outcome_name(ev->taken.outcome));
	printf("  interrupted at rip 0x%" PRIx64, ev->taken.rip_before);
	if (fd->have_before)
		printf(" (rsp 0x%" PRIx64 ", rflags 0x%" PRIx64 ", cs 0x%" PRIx64 " before the step)",
		       fd->before.regs.rsp, fd->before.regs.rflags, fd->before.sregs.cs.selector);
	putchar('\n');
	char code[CODE_TEXT_MAX + 1];
	if (fd->have_before) {
		static struct xt_state b;
		b.regs = fd->before.regs;
		b.sregs = fd->before.sregs;
		*put_code(code, guest_code_at_rip(g, &b, ev->taken.rip_before)) = 0;
		printf("  the interrupted instruction: %s\n", code);
	}
	if (ev->taken.outcome == XT_TAKEN_HANDLER) {
		*put_code(code, guest_code_at_rip(g, &fd->state, ev->taken.handler)) = 0;
		printf("  delivered to the handler at 0x%" PRIx64 " %s\n", ev->taken.handler, code);
		printf("  after the step: rip 0x%" PRIx64 ", rsp 0x%" PRIx64 " (the frame is below the old stack)\n",
		       ev->taken.rip_after, fd->state.regs.rsp);
	}
	if (ev->taken.has_error_code)
		printf("  error code 0x%" PRIx64 " (pushed with the frame)\n", ev->taken.error_code);
	printf("  evidence:\n");
	for (size_t i = 0; i < sizeof(evidence) / sizeof(evidence[0]); i++)
		if (ev->taken.evidence & evidence[i].bit)
			printf("    %-12s %s\n", evidence[i].name, evidence[i].meaning);
	if (!ev->taken.evidence)
		printf("    (none recorded)\n");
}

static void print_mem_text(struct guest_code *g, uint64_t gpa, uint64_t len)
{
	printf("\nguest-physical memory 0x%" PRIx64 "..0x%" PRIx64 " as it was at step 0 (initial "
	       "memory: the trace does not record what the guest wrote since):\n", gpa, gpa + len);
	for (uint64_t at = 0; at < len; at += 16) {
		uint8_t b[16];
		size_t k = len - at < 16 ? (size_t)(len - at) : 16;
		size_t got = guest_code_read_phys(g, gpa + at, b, k);
		printf("  %012" PRIx64 " ", gpa + at);
		for (size_t i = 0; i < 16; i++) {
			if (i < got)
				printf(" %02x", b[i]);
			else
				printf(i < k ? " ??" : "   ");
		}
		printf("  ");
		for (size_t i = 0; i < got; i++)
			putchar(b[i] >= 0x20 && b[i] < 0x7f ? b[i] : '.');
		putchar('\n');
		if (got < k) {
			printf("  (not in the trace's initial memory from 0x%" PRIx64 ")\n", gpa + at + got);
			break;
		}
	}
}

static void print_text(const struct xt_header *h, struct guest_code *g, const struct found *fd,
		       const struct code_info *at, const struct code_info *ran, bool mem, uint64_t gpa,
		       uint64_t len)
{
	const struct xt_state *s = &fd->state;
	char code[CODE_TEXT_MAX + 1], line[256], ex[1024];
	*put_code(code, at) = 0;
	printf("step %" PRIu64, fd->rec.step);
	if (h->vm.n_vcpus > 1)
		printf(" (vCPU %u, its step %" PRIu64 ")", fd->rec.vcpu, fd->rec.vcpu_step);
	printf(": rip 0x%" PRIx64 " %s", s->regs.rip, code);
	if (guest_code_line(g, at->linear, line, sizeof(line))) {
		char esc[512];
		printf(" at %s", text_esc(esc, sizeof(esc), line));
	}
	printf("\n  (the next instruction; %d-bit code; bytes from initial memory)\n", at->bits);
	if (ran) {
		*put_code(code, ran) = 0;
		printf("ran: rip 0x%" PRIx64 " %s\n", fd->before.regs.rip, code);
	}
	const char *why = doubt(fd, at, ran);
	if (why)
		printf("  note: %s\n", why);
	fmt_exit(ex, sizeof(ex), s);
	printf("exit: %s\n", ex);
	if ((h->vm.capture & XT_CAPTURE_TIME) && h->vm.time_hz && fd->have_before) {
		double run, gap;
		fmt_step_time(&fd->before.time, &s->time, h->vm.time_hz, &run, &gap);
		printf("time: its KVM_RUN took %.2f us; %.2f us before it since the vCPU's previous KVM_RUN "
		       "returned\n", run, gap);
	}
	print_blocks(s, &fd->changed, h->vm.capture);
	printf("\nevents at this step:%s\n", fd->n_events ? "" : " none");
	for (size_t i = 0; i < fd->n_events; i++)
		printf("  %s\n", fd->event_text[i]);
	if (fd->events_dropped)
		printf("  ... and %zu more\n", fd->events_dropped);
	for (size_t i = 0; i < fd->n_events; i++)
		if (fd->events[i].kind == XT_EV_IRQ_TAKEN)
			print_arrival(&fd->events[i], fd, g);
	if (mem)
		print_mem_text(g, gpa, len);
}

/* ---- JSON ---- */

static void print_json(const struct xt_header *h, struct guest_code *g, const struct found *fd,
		       const struct code_info *at, const struct code_info *ran, bool mem, uint64_t gpa,
		       uint64_t len)
{
	FILE *o = stdout;
	const struct xt_state *s = &fd->state;
	json_top(o, "show");
	fprintf(o, ",\"step\":%" PRIu64 ",\"vcpu\":%u,\"vcpu_step\":%" PRIu64 ",\"rip\":\"0x%" PRIx64 "\"",
		fd->rec.step, fd->rec.vcpu, fd->rec.vcpu_step, s->regs.rip);
	json_code(o, g, at);
	fprintf(o, ",\"bits\":%d", at->bits);
	if (ran) {
		fprintf(o, ",\"ran\":{\"rip\":\"0x%" PRIx64 "\"", fd->before.regs.rip);
		json_code(o, g, ran);
		fputc('}', o);
	}
	const char *why = doubt(fd, at, ran);
	if (why) {
		fputs(",\"code_doubt\":", o);
		json_str(o, why);
	}
	fputs(",\"exit\":", o);
	json_exit(o, s);
	fputs(",\"state\":", o);
	json_state_fields(o, s, NULL, h->vm.capture);
	fputs(",\"changed\":", o);
	struct xt_field_set changed = fd->changed;
	fmt_drop_host_time(&changed);
	json_state_fields(o, s, &changed, 0);
	if ((h->vm.capture & XT_CAPTURE_TIME) && h->vm.time_hz && fd->have_before) {
		double run, gap;
		fmt_step_time(&fd->before.time, &s->time, h->vm.time_hz, &run, &gap);
		fprintf(o, ",\"time\":{\"run_ns\":\"%.0f\",\"gap_ns\":\"%.0f\"}", run * 1e3, gap * 1e3);
	}
	fputs(",\"events\":[", o);
	for (size_t i = 0; i < fd->n_events; i++)
		fprintf(o, "%s%s", i ? "," : "", fd->event_json[i] ? fd->event_json[i] : "null");
	fputs("],\"arrivals\":[", o);
	const char *sep = "";
	for (size_t i = 0; i < fd->n_events; i++) {
		const struct xt_event *ev = &fd->events[i];
		if (ev->kind != XT_EV_IRQ_TAKEN)
			continue;
		fprintf(o, "%s{\"rip_before\":\"0x%" PRIx64 "\",\"handler\":\"0x%" PRIx64 "\",\"outcome\":\"%s\"",
			sep, ev->taken.rip_before, ev->taken.handler, xt_taken_outcome_name(ev->taken.outcome));
		json_taken_vector(o, ev);
		if (fd->have_before)
			fprintf(o, ",\"before\":{\"rsp\":\"0x%" PRIx64 "\",\"rflags\":\"0x%" PRIx64
				   "\",\"cs\":\"0x%" PRIx64 "\"}", fd->before.regs.rsp, fd->before.regs.rflags,
				fd->before.sregs.cs.selector);
		fputs(",\"evidence\":[", o);
		const char *esep = "";
		for (size_t k = 0; k < sizeof(evidence) / sizeof(evidence[0]); k++) {
			if (ev->taken.evidence & evidence[k].bit) {
				fprintf(o, "%s{\"name\":\"%s\",\"meaning\":\"%s\"}", esep, evidence[k].name,
					evidence[k].meaning);
				esep = ",";
			}
		}
		fputs("]}", o);
		sep = ",";
	}
	fputc(']', o);
	if (mem) {
		fprintf(o, ",\"mem\":{\"gpa\":\"0x%" PRIx64 "\",\"len\":%" PRIu64 ",\"initial\":true,\"hex\":\"",
			gpa, len);
		for (uint64_t at = 0; at < len; at++) {
			uint8_t b;
			if (guest_code_read_phys(g, gpa + at, &b, 1) != 1)
				break;
			fprintf(o, "%02x", b);
		}
		fputs("\"}", o);
	}
	fputs("}\n", o);
}

/* --mem ADDR LEN takes two values: they are taken out of argv before getopt sees them. */
static int take_mem(int *argc, char **argv, bool *mem, uint64_t *gpa, uint64_t *len)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--mem"))
			continue;
		if (i + 2 >= *argc)
			return cli_usage_error("show", "--mem needs ADDR and LEN");
		if (!cli_parse_u64(argv[i + 1], gpa) || !cli_parse_u64(argv[i + 2], len) || !*len ||
		    *len > MEM_MAX)
			return cli_usage_error("show", "--mem needs a guest-physical ADDR and a LEN of 1 to %u bytes",
					       MEM_MAX);
		if (*len - 1 > UINT64_MAX - *gpa)
			return cli_usage_error("show", "--mem %s %s: the range runs past the top of the address space",
					       argv[i + 1], argv[i + 2]);
		*mem = true;
		memmove(&argv[i], &argv[i + 3], (size_t)(*argc - i - 3) * sizeof(*argv));
		*argc -= 3;
		argv[*argc] = NULL;
		return 0;
	}
	return 0;
}

int cmd_show(int argc, char **argv)
{
	enum { O_SYMBOLS = 256, O_COLOR, O_NO_PAGER };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "symbols", required_argument, NULL, O_SYMBOLS },
		{ "color", optional_argument, NULL, O_COLOR },
		{ "no-pager", no_argument, NULL, O_NO_PAGER },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, mem = false;
	uint64_t gpa = 0, len = 0;
	struct target t = { .vcpu = CLI_ALL_VCPUS };
	const char *symbols = NULL;
	char msg[512];
	if (take_mem(&argc, argv, &mem, &gpa, &len))
		return XT_EXIT_ERROR;
	int c;
	opterr = 0;
	struct term_options term = { 0 };
	while ((c = getopt_long(argc, argv, ":v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v':
			if (!cli_parse_vcpu("show", optarg, &t.vcpu))
				return XT_EXIT_ERROR;
			break;
		case O_SYMBOLS: symbols = optarg; break;
		case O_COLOR:
			if (!term_parse_color("show", optarg, &term.color))
				return XT_EXIT_ERROR;
			break;
		case O_NO_PAGER: term.no_pager = true; break;
		case 'h': cli_print_usage(stdout, "show"); return XT_EXIT_OK;
		case ':': return cli_usage_error("show", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("show", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 2)
		return cli_usage_error("show", "expected a trace file and a STEP (a number or SYMBOL[#K])");
	if (!parse_target(argv[optind + 1], &t, msg, sizeof(msg)))
		return cli_usage_error("show", "%s", msg);
	t.by_vcpu_step = !t.symbol && t.vcpu != CLI_ALL_VCPUS;

	struct xt_reader *r = cli_open_trace("show", argv[optind]);
	if (!r)
		return XT_EXIT_ERROR;
	if (!cli_check_vcpu("show", r, t.vcpu)) {
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}
	struct guest_code *g;
	if (guest_code_open(&g, r, symbols, msg, sizeof(msg)) < 0) {
		xt_reader_close(r);
		return cli_error("show", "%s", msg);
	}
	int status = XT_EXIT_ERROR;
	uint64_t end;
	static struct found fd;	/* static: too big for the stack; cleared, as each run starts afresh */
	memset(&fd, 0, sizeof(fd));
	uint64_t seen = 0;
	if (t.symbol && !symtab_find(guest_code_symbols(g), t.symbol, &t.sym_addr, &end)) {
		cli_error("show", "%s: %s", t.symbol,
			  guest_code_symbols(g) ? "no such symbol" : "the trace has no symbols (give --symbols FILE)");
		goto out;
	}
	int rc = find_step(r, &t, g, &fd, &seen);
	if (rc < 0) {
		cli_error("show", "%s", rc == -ENOMEM ? "out of memory" : xt_reader_error(r)->msg);
		goto out;
	}
	if (rc == 0) {
		if (t.symbol)
			cli_error("show", "%s#%" PRIu64 ": the RIP is at %s (0x%" PRIx64 ") in %" PRIu64 " step%s only",
				  t.symbol, t.nth, t.symbol, t.sym_addr, seen, seen == 1 ? "" : "s");
		else
			cli_error("show", "the trace has no step %" PRIu64 "%s", t.step,
				  t.by_vcpu_step ? " of that vCPU" : "");
		goto out;
	}
	const struct xt_header *h = xt_reader_header(r);
	/* kept: the second lookup may reuse the first one's cache slot */
	struct code_kept at, ran;
	code_keep(&at, guest_code_at(g, &fd.state));
	if (fd.have_before) {
		static struct xt_state before_state;
		before_state.regs = fd.before.regs;
		before_state.sregs = fd.before.sregs;
		code_keep(&ran, guest_code_at(g, &before_state));
	}
	const struct code_info *ran_info = fd.have_before ? &ran.info : NULL;
	term_start(&term, TERM_STYLE_SHOW, json);
	if (json)
		print_json(h, g, &fd, &at.info, ran_info, mem, gpa, len);
	else
		print_text(h, g, &fd, &at.info, ran_info, mem, gpa, len);
	status = fflush(stdout) || ferror(stdout) ? cli_error("show", "writing the output failed") : XT_EXIT_OK;
out:
	for (size_t i = 0; i < fd.n_events; i++) {
		free(fd.event_text[i]);
		free(fd.event_json[i]);
	}
	guest_code_close(g);
	xt_reader_close(r);
	return status;
}
