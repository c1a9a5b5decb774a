// SPDX-License-Identifier: MIT
/* exitrace stat: where the exits come from (reasons, IRQs, hottest RIPs with their code), filtered. */
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guest_code.h"
#include "page_walk.h"
#include "step_filter.h"
#include "time_stats.h"

#define TOP 10
#define RIP_TABLE_MAX (1u << 22)
#define REASONS 64

struct rip_count {
	uint64_t rip, count;
	uint32_t ctx;	/* the code context it was first seen in (code_ctx), for its instruction */
};

/*
 * What decides how a RIP's bytes are found and decoded (CS, paging, mode):
 * a trace has a handful, so each hot RIP keeps an index into this table
 * rather than a copy of the registers.
 */
#define CTX_MAX 256
#define CTX_NONE UINT32_MAX
struct code_ctx {
	struct xt_segment cs;
	uint64_t cr0, cr3, cr4, efer;
};

struct ctx_table {
	struct code_ctx v[CTX_MAX];
	uint32_t n, last;
};

static uint32_t ctx_of(struct ctx_table *t, const struct xt_state *s)
{
	struct code_ctx c = { s->sregs.cs, s->sregs.cr0, s->sregs.cr3, s->sregs.cr4, s->sregs.efer };
	if (t->n && !memcmp(&t->v[t->last], &c, sizeof(c)))
		return t->last;
	for (uint32_t i = 0; i < t->n; i++)
		if (!memcmp(&t->v[i], &c, sizeof(c)))
			return t->last = i;
	if (t->n == CTX_MAX)
		return CTX_NONE;
	t->v[t->n] = c;
	return t->last = t->n++;
}

/* Open addressing; rip 0 marks an empty slot, so RIP 0 is counted aside. */
struct rip_table {
	struct rip_count *slot;
	size_t cap, used;
	uint64_t zero;
	uint32_t zero_ctx;
	bool full;
};

static void rip_add(struct rip_table *t, uint64_t rip, uint32_t ctx)
{
	if (rip == 0) {
		t->zero++;
		t->zero_ctx = ctx;
		return;
	}
	if (t->used * 2 >= t->cap && !t->full) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct rip_count *n = cap <= RIP_TABLE_MAX ? calloc(cap, sizeof(*n)) : NULL;
		if (!n) {
			t->full = true;	/* from now on only RIPs already in the table are counted */
			goto count;
		}
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slot[i].rip)
				continue;
			size_t j = (t->slot[i].rip * 0x9e3779b97f4a7c15ull) >> 20 & (cap - 1);
			while (n[j].rip)
				j = (j + 1) & (cap - 1);
			n[j] = t->slot[i];
		}
		free(t->slot);
		t->slot = n;
		t->cap = cap;
	}
count:;
	size_t j = (rip * 0x9e3779b97f4a7c15ull) >> 20 & (t->cap - 1);
	while (t->slot[j].rip && t->slot[j].rip != rip)
		j = (j + 1) & (t->cap - 1);
	if (!t->slot[j].rip) {
		if (t->full && t->used * 2 >= t->cap)
			return;	/* a new RIP, and no room kept for it */
		t->slot[j].rip = rip;
		t->slot[j].ctx = ctx;
		t->used++;
	}
	t->slot[j].count++;
}

static int by_count(const void *a, const void *b)
{
	const struct rip_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->rip < y->rip ? -1 : x->rip > y->rip;
}

/* Keep the TOP largest counts in top[], sorted; top has room for TOP + 1. */
static void top_insert(struct rip_count *top, size_t *ntop, struct rip_count e)
{
	top[*ntop] = e;
	qsort(top, *ntop + 1, sizeof(top[0]), by_count);
	if (*ntop < TOP)
		(*ntop)++;
}

/* With several vCPUs and no --vcpu: each one's steps and exits. */
struct vcpu_counts {
	uint64_t steps, other;
	uint64_t reasons[REASONS];
};

static void print_vcpus_text(const struct xt_header *h, const struct vcpu_counts *vc)
{
	printf("\nvCPU  APIC ID      steps  exits\n");
	for (uint32_t v = 0; v < h->vm.n_vcpus; v++) {
		printf("%-5u %7u  %9" PRIu64 " ", v, h->vm.apic_ids[v], vc[v].steps);
		const char *sep = " ";
		for (unsigned i = 0; i < REASONS; i++) {
			if (!vc[v].reasons[i])
				continue;
			const char *n = xt_exit_reason_name(i);
			printf("%s%s %" PRIu64, sep, n ? n : "UNKNOWN", vc[v].reasons[i]);
			sep = ", ";
		}
		if (vc[v].other)
			printf("%sother %" PRIu64, sep, vc[v].other);
		printf("\n");
	}
}

static void print_vcpus_json(const struct xt_header *h, const struct vcpu_counts *vc)
{
	printf(",\"vcpus\":[");
	for (uint32_t v = 0; v < h->vm.n_vcpus; v++) {
		printf("%s{\"vcpu\":%u,\"apic_id\":%u,\"steps\":%" PRIu64 ",\"exits\":{", v ? "," : "", v,
		       h->vm.apic_ids[v], vc[v].steps);
		const char *sep = "";
		for (unsigned i = 0; i < REASONS; i++) {
			if (!vc[v].reasons[i])
				continue;
			const char *n = xt_exit_reason_name(i);
			printf("%s\"%s\":%" PRIu64, sep, n ? n : "UNKNOWN", vc[v].reasons[i]);
			sep = ",";
		}
		if (vc[v].other)
			printf("%s\"other\":%" PRIu64, sep, vc[v].other);
		printf("}}");
	}
	printf("]");
}

/*
 * --capture time: each counted step's KVM_RUN time under its exit reason
 * (and port or MMIO address), and the host's time after it, which is the
 * gap before the vCPU's next step, wherever that step is (filtered or not).
 */
struct vcpu_time {
	uint64_t run, out;			/* the vCPU's clocks after its last step */
	struct time_key_stats *after[2];	/* where its last counted step's after-time goes */
};

struct timing {
	struct time_key_stats reasons[REASONS], other;
	struct time_table ports, mmio;	/* keys: port << 1 | direction (1 out); address << 1 | is_write */
	struct vcpu_time *v;		/* by vCPU */
	uint64_t run, after;		/* totals of the counted steps */
	bool no_memory;
};

struct stats {
	uint64_t reasons[REASONS], other, steps;
	uint64_t injected[256], taken[256], events[XT_EV_KIND_LIMIT];
	uint64_t ambiguous;	/* arrivals whose vector the recorder could not decide */
	struct rip_table rips;
	struct ctx_table ctxs;
	struct vcpu_counts *vc;	/* several vCPUs, all shown: each one's figures */
	struct timing *t;	/* NULL: the trace has no time */
};

/* A step that passed the filters, as stat counts it (held while --event waits for its events). */
struct counted_step {
	uint64_t reason, rip;
	uint32_t vcpu, ctx;
	uint64_t run;		/* its KVM_RUN's ticks (with time) */
	uint64_t port_key, mmio_key;	/* UINT64_MAX: not an I/O or MMIO exit */
};

#define NO_KEY UINT64_MAX

static struct counted_step counted(const struct xt_state *s, uint32_t vcpu, uint32_t ctx, uint64_t run)
{
	struct counted_step c = { s->exit.reason, s->regs.rip, vcpu, ctx, run, NO_KEY, NO_KEY };
	if (s->exit.reason == KVM_EXIT_IO)
		c.port_key = (s->exit.io_port & 0xffff) << 1 | (s->exit.io_direction & 1);
	else if (s->exit.reason == KVM_EXIT_MMIO)
		c.mmio_key = s->exit.mmio_addr << 1 | (s->exit.mmio_is_write & 1);
	return c;
}

/* A counted step's run time, under its reason and its port or address, which also take its after-time. */
static void time_step(struct timing *t, const struct counted_step *c)
{
	struct time_key_stats *k[2] = { c->reason < REASONS ? &t->reasons[c->reason] : &t->other, NULL };
	if (c->port_key != NO_KEY)
		k[1] = time_table_get(&t->ports, c->port_key);
	else if (c->mmio_key != NO_KEY)
		k[1] = time_table_get(&t->mmio, c->mmio_key);
	if ((c->port_key != NO_KEY || c->mmio_key != NO_KEY) && !k[1])
		t->no_memory = true;
	t->run += c->run;
	for (int i = 0; i < 2; i++)
		if (k[i])
			time_hist_add(&k[i]->run, c->run);
	memcpy(t->v[c->vcpu].after, k, sizeof(k));
}

/*
 * A step of vCPU vcpu with state s: its KVM_RUN's ticks, and the gap
 * before it credited to the vCPU's last counted step.  Clocks only go
 * forward in a trace of exitrace's; a delta that would not is taken as 0.
 */
static uint64_t time_advance(struct timing *t, uint32_t vcpu, const struct xt_state *s)
{
	struct vcpu_time *v = &t->v[vcpu];
	int64_t run = (int64_t)(s->time.run - v->run), gap = (int64_t)(s->time.out - v->out);
	v->run = s->time.run;
	v->out = s->time.out;
	if (gap < 0)
		gap = 0;
	for (int i = 0; i < 2; i++) {
		struct time_key_stats *k = v->after[i];
		if (!k)
			continue;
		k->after_count++;
		k->after_total += (uint64_t)gap;
		if ((uint64_t)gap > k->after_max)
			k->after_max = (uint64_t)gap;
		if (i == 0)
			t->after += (uint64_t)gap;
		v->after[i] = NULL;
	}
	return run < 0 ? 0 : (uint64_t)run;
}

static void count_step(struct stats *st, const struct counted_step *c)
{
	if (st->t)
		time_step(st->t, c);
	st->steps++;
	if (c->reason < REASONS)
		st->reasons[c->reason]++;
	else
		st->other++;
	if (st->vc) {
		st->vc[c->vcpu].steps++;
		if (c->reason < REASONS)
			st->vc[c->vcpu].reasons[c->reason]++;
		else
			st->vc[c->vcpu].other++;
	}
	rip_add(&st->rips, c->rip, c->ctx);
}

static void count_event(struct stats *st, const struct xt_event *ev)
{
	if (ev->kind < XT_EV_KIND_LIMIT)
		st->events[ev->kind]++;
	if (ev->kind == XT_EV_IRQ_INJECT)
		st->injected[ev->inject.vector & 0xff]++;
	if (ev->kind == XT_EV_IRQ_TAKEN && xt_taken_ambiguous(ev))
		st->ambiguous++;
	else if (ev->kind == XT_EV_IRQ_TAKEN)
		st->taken[ev->taken.vector & 0xff]++;
}

/*
 * Counts the trace.  With --event a step counts only if one of its events
 * is of that kind: its figures wait in one held step until its events are
 * read, and the events of a step not counted are not counted either.
 */
static int count_trace(struct xt_reader *r, struct stats *st, const struct step_filter *f)
{
	struct xt_record rec = XT_RECORD_INIT;
	struct counted_step held;
	bool holding = false, matched = false, shown = false;
	/* a held step's events are counted once it is known to count */
	struct xt_event evs[64];
	size_t n_evs = 0;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (f->vcpu != CLI_ALL_VCPUS && rec.vcpu != f->vcpu)
			continue;
		if (rec.type == XT_REC_STEP) {
			if (holding && matched) {
				count_step(st, &held);
				for (size_t i = 0; i < n_evs; i++)
					count_event(st, &evs[i]);
			}
			holding = matched = false;
			n_evs = 0;
			const struct xt_state *s = rec.state;
			uint64_t run = st->t ? time_advance(st->t, rec.vcpu, s) : 0;
			shown = step_filter_step(f, &rec, gmem_code_linear(s));
			if (!shown)
				continue;
			struct counted_step c = counted(s, rec.vcpu, ctx_of(&st->ctxs, s), run);
			if (!f->events) {
				count_step(st, &c);
			} else if (!rec.next_is_step) {
				held = c;
				holding = true;
			}
		} else if (rec.type == XT_REC_EVENT) {
			if (holding) {
				matched |= step_filter_event(f, rec.event->kind);
				/* only numbers are counted: the event's strings are not kept */
				if (n_evs < sizeof(evs) / sizeof(evs[0]))
					evs[n_evs++] = *rec.event;
			} else if (!step_filter_active(f) || (shown && !f->events)) {
				count_event(st, rec.event);
			}
		}
	}
	if (holding && matched) {
		count_step(st, &held);
		for (size_t i = 0; i < n_evs; i++)
			count_event(st, &evs[i]);
	}
	return rc;
}

/* ---- time per exit: text and JSON ---- */

static void free_timing(struct timing *t)
{
	if (!t)
		return;
	time_table_free(&t->ports);
	time_table_free(&t->mmio);
	free(t->v);
	free(t);
}

static double to_ns(uint64_t ticks, uint64_t hz)
{
	return (double)ticks * 1e9 / (double)hz;
}

static void time_row_text(const char *name, const struct time_key_stats *k, uint64_t hz)
{
	const struct time_hist *h = &k->run;
	printf("%-18s %9" PRIu64 " %11.3f %9.2f %9.2f %9.2f %9.2f", name, h->count,
	       to_ns(h->total, hz) / 1e6, to_ns(h->total, hz) / 1e3 / (double)h->count,
	       to_ns(h->min, hz) / 1e3, to_ns(h->max, hz) / 1e3, to_ns(time_hist_quantile(h, 0.99), hz) / 1e3);
	/* the trace's last step has no after */
	if (k->after_count)
		printf(" %9.2f\n", to_ns(k->after_total, hz) / 1e3 / (double)k->after_count);
	else
		printf(" %9s\n", "-");
}

static void time_head_text(const char *title)
{
	printf("%-18s %9s %11s %9s %9s %9s %9s %9s\n", title, "count", "total ms", "mean us", "min us",
	       "max us", "p99 us", "after us");
}

static void time_table_text(const char *title, const struct time_table *t, bool ports, uint64_t hz)
{
	uint32_t n;
	struct time_keyed *e = time_table_sorted(t, &n);
	if (!e || !n) {
		free(e);
		return;
	}
	printf("\n");
	time_head_text(title);
	for (uint32_t i = 0; i < n; i++) {
		char name[40];
		if (ports)
			snprintf(name, sizeof(name), "0x%" PRIx64 " %s", e[i].key >> 1, e[i].key & 1 ? "out" : "in");
		else
			snprintf(name, sizeof(name), "0x%" PRIx64 " %s", e[i].key >> 1, e[i].key & 1 ? "write" : "read");
		time_row_text(name, &e[i].s, hz);
	}
	if (t->overflowed)
		time_row_text("(other)", &t->other, hz);
	free(e);
}

static void print_time_text(const struct timing *t, uint64_t hz)
{
	printf("\ntime per exit: each step's KVM_RUN (the guest and KVM up to the exit); after: the mean\n"
	       "host time from the exit to the vCPU's next KVM_RUN (exitrace handling it)\n");
	time_head_text("exit reason");
	for (unsigned i = 0; i < REASONS; i++) {
		if (!t->reasons[i].run.count)
			continue;
		const char *n = xt_exit_reason_name(i);
		time_row_text(n ? n : "UNKNOWN", &t->reasons[i], hz);
	}
	if (t->other.run.count)
		time_row_text("other", &t->other, hz);
	time_table_text("I/O port", &t->ports, true, hz);
	time_table_text("MMIO address", &t->mmio, false, hz);
	double run = to_ns(t->run, hz), after = to_ns(t->after, hz);
	printf("\nhost time of these steps: %.3f ms in KVM_RUN, %.3f ms after their exits (%.1f%% in KVM_RUN)\n",
	       run / 1e6, after / 1e6, run + after > 0 ? 100.0 * run / (run + after) : 0.0);
	if (t->no_memory)
		printf("(out of memory for the port and address tables: some steps are missing from them)\n");
}

static void time_obj_json(const struct time_key_stats *k, uint64_t hz)
{
	const struct time_hist *h = &k->run;
	/* nanoseconds are decimal strings, as everywhere in exitrace-json/1 (docs/json.md) */
	printf("\"count\":%" PRIu64 ",\"total_ns\":\"%.0f\",\"mean_ns\":\"%.0f\",\"min_ns\":\"%.0f\","
	       "\"max_ns\":\"%.0f\",\"p99_ns\":\"%.0f\",\"after_count\":%" PRIu64 ",\"after_total_ns\":\"%.0f\","
	       "\"after_mean_ns\":\"%.0f\",\"after_max_ns\":\"%.0f\"",
	       h->count, to_ns(h->total, hz), h->count ? to_ns(h->total, hz) / (double)h->count : 0.0,
	       to_ns(h->min, hz), to_ns(h->max, hz), to_ns(time_hist_quantile(h, 0.99), hz), k->after_count,
	       to_ns(k->after_total, hz), k->after_count ? to_ns(k->after_total, hz) / (double)k->after_count : 0.0,
	       to_ns(k->after_max, hz));
}

static void time_table_json(const char *name, const struct time_table *t, bool ports, uint64_t hz)
{
	uint32_t n;
	struct time_keyed *e = time_table_sorted(t, &n);
	printf(",\"%s\":[", name);
	for (uint32_t i = 0; e && i < n; i++) {
		if (ports)
			printf("%s{\"port\":\"0x%" PRIx64 "\",\"direction\":\"%s\",", i ? "," : "",
			       e[i].key >> 1, e[i].key & 1 ? "out" : "in");
		else
			printf("%s{\"addr\":\"0x%" PRIx64 "\",\"access\":\"%s\",", i ? "," : "", e[i].key >> 1,
			       e[i].key & 1 ? "write" : "read");
		time_obj_json(&e[i].s, hz);
		printf("}");
	}
	printf("]");
	if (t->overflowed) {
		printf(",\"%s_other\":{", name);
		time_obj_json(&t->other, hz);
		printf("}");
	}
	free(e);
}

static void print_time_json(const struct timing *t, uint64_t hz)
{
	if (!t) {
		printf(",\"time\":null");
		return;
	}
	printf(",\"time\":{\"time_hz\":%" PRIu64 ",\"run_ns\":\"%.0f\",\"after_ns\":\"%.0f\",\"exits\":{", hz,
	       to_ns(t->run, hz), to_ns(t->after, hz));
	const char *sep = "";
	for (unsigned i = 0; i < REASONS; i++) {
		if (!t->reasons[i].run.count)
			continue;
		const char *n = xt_exit_reason_name(i);
		printf("%s\"%s\":{", sep, n ? n : "UNKNOWN");
		time_obj_json(&t->reasons[i], hz);
		printf("}");
		sep = ",";
	}
	if (t->other.run.count) {
		printf("%s\"other\":{", sep);
		time_obj_json(&t->other, hz);
		printf("}");
	}
	printf("}");
	time_table_json("io_ports", &t->ports, true, hz);
	time_table_json("mmio", &t->mmio, false, hz);
	printf("}");
}

/* The code at a hot RIP, decoded in the context it was first seen in. */
static const struct code_info *hot_code(struct guest_code *g, const struct stats *st,
					const struct rip_count *rc)
{
	static struct xt_state s;
	if (rc->ctx == CTX_NONE)
		return NULL;
	const struct code_ctx *c = &st->ctxs.v[rc->ctx];
	s.sregs.cs = c->cs;
	s.sregs.cr0 = c->cr0;
	s.sregs.cr3 = c->cr3;
	s.sregs.cr4 = c->cr4;
	s.sregs.efer = c->efer;
	s.regs.rip = rc->rip;
	return guest_code_at(g, &s);
}

int cmd_stat(int argc, char **argv)
{
	enum { O_EXIT = 256, O_EVENT, O_RIP, O_SYMBOLS };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "exit", required_argument, NULL, O_EXIT },
		{ "event", required_argument, NULL, O_EVENT },
		{ "rip", required_argument, NULL, O_RIP },
		{ "symbols", required_argument, NULL, O_SYMBOLS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	struct step_filter f;
	step_filter_init(&f);
	const char *symbols = NULL;
	char msg[512];
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v':
			if (!cli_parse_vcpu("stat", optarg, &f.vcpu))
				return XT_EXIT_ERROR;
			break;
		case O_EXIT:
			if (!step_filter_exits(&f, optarg, msg, sizeof(msg)))
				return cli_usage_error("stat", "%s", msg);
			break;
		case O_EVENT:
			if (!step_filter_events(&f, optarg, msg, sizeof(msg)))
				return cli_usage_error("stat", "%s", msg);
			break;
		case O_RIP:
			if (!step_filter_rip(&f, optarg, msg, sizeof(msg)))
				return cli_usage_error("stat", "%s", msg);
			break;
		case O_SYMBOLS: symbols = optarg; break;
		case ':': return cli_usage_error("stat", "option '%s' needs a value", argv[optind - 1]);
		case 'h': cli_print_usage(stdout, "stat"); return XT_EXIT_OK;
		default: return cli_usage_error("stat", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("stat", "expected one trace file");
	struct xt_reader *r = cli_open_trace("stat", argv[optind]);
	if (!r)
		return XT_EXIT_ERROR;
	uint64_t vcpu = f.vcpu;
	if (!cli_check_vcpu("stat", r, vcpu)) {
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}
	struct guest_code *g;
	if (guest_code_open(&g, r, symbols, msg, sizeof(msg)) < 0 ||
	    !step_filter_resolve(&f, guest_code_symbols(g), msg, sizeof(msg))) {
		guest_code_close(g);
		xt_reader_close(r);
		return cli_error("stat", "%s", msg);
	}
	const struct xt_header *h = xt_reader_header(r);
	static struct stats st;
	memset(&st, 0, sizeof(st));
	if (h->vm.n_vcpus > 1 && vcpu == CLI_ALL_VCPUS) {
		st.vc = calloc(h->vm.n_vcpus, sizeof(*st.vc));
		if (!st.vc) {
			guest_code_close(g);
			xt_reader_close(r);
			return cli_error("stat", "out of memory for %u vCPUs", h->vm.n_vcpus);
		}
	}
	uint64_t hz = h->vm.time_hz;
	if ((h->vm.capture & XT_CAPTURE_TIME) && hz) {
		st.t = calloc(1, sizeof(*st.t));
		if (!st.t || !(st.t->v = calloc(h->vm.n_vcpus, sizeof(*st.t->v)))) {
			free(st.t);
			free(st.vc);
			guest_code_close(g);
			xt_reader_close(r);
			return cli_error("stat", "out of memory for the time statistics");
		}
	}
	int rc = count_trace(r, &st, &f);
	if (rc < 0) {
		cli_error("stat", "%s", xt_reader_error(r)->msg);
		free_timing(st.t);
		free(st.rips.slot);
		free(st.vc);
		guest_code_close(g);
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}
	struct vcpu_counts *vc = st.vc;
	uint64_t *reasons = st.reasons, *injected = st.injected, *taken = st.taken, *events = st.events;
	uint64_t other = st.other, steps = st.steps, ambiguous = st.ambiguous;
	struct rip_table rips = st.rips;

	struct rip_count top[TOP + 1];
	size_t ntop = 0;
	for (size_t i = 0; i < rips.cap; i++)
		if (rips.slot[i].rip)
			top_insert(top, &ntop, rips.slot[i]);
	if (rips.zero)
		top_insert(top, &ntop, (struct rip_count){ 0, rips.zero, rips.zero_ctx });

	bool truncated = xt_reader_truncated(r);
	if (json) {
		json_top(stdout, "stat");
		printf(",\"steps\":%" PRIu64 ",\"truncated\":%s,", steps, truncated ? "true" : "false");
		if (vcpu != CLI_ALL_VCPUS)
			printf("\"vcpu\":%" PRIu64 ",", vcpu);
		printf("\"filtered\":%s,", step_filter_active(&f) ? "true" : "false");
		printf("\"exits\":{");
		const char *sep = "";
		for (unsigned i = 0; i < REASONS; i++) {
			if (!reasons[i])
				continue;
			const char *n = xt_exit_reason_name(i);
			printf("%s\"%s\":%" PRIu64, sep, n ? n : "UNKNOWN", reasons[i]);
			sep = ",";
		}
		if (other)
			printf("%s\"other\":%" PRIu64, sep, other);
		printf("},\"irqs\":[");
		sep = "";
		for (unsigned v = 0; v < 256; v++) {
			if (injected[v] || taken[v]) {
				printf("%s{\"vector\":%u,\"injected\":%" PRIu64 ",\"taken\":%" PRIu64 "}", sep, v,
				       injected[v], taken[v]);
				sep = ",";
			}
		}
		printf("],\"irqs_ambiguous\":%" PRIu64 ",\"hot_rips\":[", ambiguous);
		for (size_t i = 0; i < ntop; i++) {
			printf("%s{\"rip\":\"0x%" PRIx64 "\",\"count\":%" PRIu64, i ? "," : "", top[i].rip,
			       top[i].count);
			const struct code_info *ci = hot_code(g, &st, &top[i]);
			fflush(stdout);
			if (ci)
				json_code(stdout, g, ci);
			printf("}");
		}
		printf("],\"events\":{");
		sep = "";
		for (unsigned k = 1; k < XT_EV_KIND_LIMIT; k++) {
			if (events[k]) {
				printf("%s\"%s\":%" PRIu64, sep, xt_event_kind_name(k), events[k]);
				sep = ",";
			}
		}
		printf("}");
		if (vc)
			print_vcpus_json(h, vc);
		print_time_json(st.t, hz);
		printf("}\n");
	} else {
		char of[64] = "";
		if (vcpu != CLI_ALL_VCPUS)
			snprintf(of, sizeof(of), " of vCPU %" PRIu64 " (APIC ID %u)", vcpu, h->vm.apic_ids[vcpu]);
		printf("%" PRIu64 " steps%s%s%s\n", steps, of, step_filter_active(&f) ? " passed the filters" : "",
		       truncated ? " (truncated trace: up to its last complete frame)" : "");
		if (vc)
			print_vcpus_text(h, vc);
		printf("\nexit reason        count      share\n");
		for (unsigned i = 0; i < REASONS; i++) {
			if (!reasons[i])
				continue;
			const char *n = xt_exit_reason_name(i);
			printf("%-16s %9" PRIu64 "   %6.2f%%\n", n ? n : "UNKNOWN", reasons[i],
			       steps ? 100.0 * (double)reasons[i] / (double)steps : 0.0);
		}
		if (other)
			printf("%-16s %9" PRIu64 "\n", "other", other);
		if (st.t)
			print_time_text(st.t, hz);
		else
			printf("\ntime: not captured (record with --capture time for time per exit reason)\n");
		printf("\nirq vector   injected   taken\n");
		bool any = false;
		for (unsigned v = 0; v < 256; v++) {
			if (injected[v] || taken[v]) {
				printf("0x%02x        %8" PRIu64 "  %6" PRIu64 "\n", v, injected[v], taken[v]);
				any = true;
			}
		}
		if (ambiguous) {
			printf("?                     %6" PRIu64 "  (vector undecided: dump lists the candidates)\n",
			       ambiguous);
			any = true;
		}
		if (!any)
			printf("(none)\n");
		printf("\nhottest RIPs (instructions from initial memory)%s\n",
		       rips.full ? " (table full: RIPs first seen after it filled are not counted)" : "");
		for (size_t i = 0; i < ntop; i++) {
			char code[CODE_TEXT_MAX + 1] = "";
			const struct code_info *ci = hot_code(g, &st, &top[i]);
			if (ci)
				*put_code(code, ci) = 0;
			printf("  0x%-16" PRIx64 " %9" PRIu64 "  %s\n", top[i].rip, top[i].count, code);
		}
	}
	free_timing(st.t);
	free(rips.slot);
	free(vc);
	fflush(stdout);
	cli_warn_inconsistent("stat", argv[optind], r);
	guest_code_close(g);
	xt_reader_close(r);
	return XT_EXIT_OK;
}
