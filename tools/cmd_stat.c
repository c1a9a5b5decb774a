// SPDX-License-Identifier: MIT
/* exitrace stat: where the exits come from (reasons, IRQs, hottest RIPs). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TOP 10
#define RIP_TABLE_MAX (1u << 22)
#define REASONS 64

struct rip_count {
	uint64_t rip, count;
};

/* Open addressing; rip 0 marks an empty slot, so RIP 0 is counted aside. */
struct rip_table {
	struct rip_count *slot;
	size_t cap, used;
	uint64_t zero;
	bool full;
};

static void rip_add(struct rip_table *t, uint64_t rip)
{
	if (rip == 0) {
		t->zero++;
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

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	uint64_t vcpu = CLI_ALL_VCPUS;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":v:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v':
			if (!cli_parse_vcpu("stat", optarg, &vcpu))
				return XT_EXIT_ERROR;
			break;
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
	if (!cli_check_vcpu("stat", r, vcpu)) {
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}
	const struct xt_header *h = xt_reader_header(r);
	/* several vCPUs, all of them shown: a table of each one's figures */
	struct vcpu_counts *vc = NULL;
	if (h->vm.n_vcpus > 1 && vcpu == CLI_ALL_VCPUS) {
		vc = calloc(h->vm.n_vcpus, sizeof(*vc));
		if (!vc) {
			xt_reader_close(r);
			return cli_error("stat", "out of memory for %u vCPUs", h->vm.n_vcpus);
		}
	}

	uint64_t reasons[REASONS] = { 0 }, other = 0, steps = 0;
	uint64_t injected[256] = { 0 }, taken[256] = { 0 }, events[XT_EV_KIND_LIMIT] = { 0 };
	uint64_t ambiguous = 0;	/* arrivals whose vector the recorder could not decide */
	struct rip_table rips = { 0 };
	struct xt_record rec;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (vcpu != CLI_ALL_VCPUS && rec.vcpu != vcpu)
			continue;
		if (rec.type == XT_REC_STEP) {
			steps++;
			uint64_t reason = rec.state->exit.reason;
			if (reason < REASONS)
				reasons[reason]++;
			else
				other++;
			if (vc) {
				vc[rec.vcpu].steps++;
				if (reason < REASONS)
					vc[rec.vcpu].reasons[reason]++;
				else
					vc[rec.vcpu].other++;
			}
			rip_add(&rips, rec.state->regs.rip);
		} else if (rec.type == XT_REC_EVENT) {
			const struct xt_event *ev = rec.event;
			if (ev->kind < XT_EV_KIND_LIMIT)
				events[ev->kind]++;
			if (ev->kind == XT_EV_IRQ_INJECT)
				injected[ev->inject.vector & 0xff]++;
			if (ev->kind == XT_EV_IRQ_TAKEN && xt_taken_ambiguous(ev))
				ambiguous++;
			else if (ev->kind == XT_EV_IRQ_TAKEN)
				taken[ev->taken.vector & 0xff]++;
		}
	}
	if (rc < 0) {
		cli_error("stat", "%s", xt_reader_error(r)->msg);
		free(rips.slot);
		free(vc);
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}

	struct rip_count top[TOP + 1];
	size_t ntop = 0;
	for (size_t i = 0; i < rips.cap; i++)
		if (rips.slot[i].rip)
			top_insert(top, &ntop, rips.slot[i]);
	if (rips.zero)
		top_insert(top, &ntop, (struct rip_count){ 0, rips.zero });

	bool truncated = xt_reader_truncated(r);
	if (json) {
		printf("{\"steps\":%" PRIu64 ",\"truncated\":%s,", steps, truncated ? "true" : "false");
		if (vcpu != CLI_ALL_VCPUS)
			printf("\"vcpu\":%" PRIu64 ",", vcpu);
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
		for (size_t i = 0; i < ntop; i++)
			printf("%s{\"rip\":\"0x%" PRIx64 "\",\"count\":%" PRIu64 "}", i ? "," : "", top[i].rip,
			       top[i].count);
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
		printf("}\n");
	} else {
		char of[64] = "";
		if (vcpu != CLI_ALL_VCPUS)
			snprintf(of, sizeof(of), " of vCPU %" PRIu64 " (APIC ID %u)", vcpu, h->vm.apic_ids[vcpu]);
		printf("%" PRIu64 " steps%s%s\n", steps, of,
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
		printf("\nhottest RIPs%s\n", rips.full ? " (table full: RIPs first seen after it filled are not counted)" : "");
		for (size_t i = 0; i < ntop; i++)
			printf("  0x%-16" PRIx64 " %9" PRIu64 "\n", top[i].rip, top[i].count);
	}
	free(rips.slot);
	free(vc);
	fflush(stdout);
	cli_warn_inconsistent("stat", argv[optind], r);
	xt_reader_close(r);
	return XT_EXIT_OK;
}
