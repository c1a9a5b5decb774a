// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "step_filter.h"
#include "symbols.h"

void step_filter_init(struct step_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->vcpu = CLI_ALL_VCPUS;
}

/* Calls one(f, item, ...) for each comma-separated item of list; false on the first refusal. */
static bool each_item(struct step_filter *f, const char *list, char *msg, size_t size,
		      bool (*one)(struct step_filter *, const char *, char *, size_t))
{
	char item[64];
	if (!*list) {
		snprintf(msg, size, "an empty list");
		return false;
	}
	if (list[strlen(list) - 1] == ',') {
		snprintf(msg, size, "'' at the end of '%s' is not a name", list);
		return false;
	}
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (!n || n >= sizeof(item)) {
			snprintf(msg, size, "'%.*s' in '%s' is not a name", (int)(n < 40 ? n : 40), p, list);
			return false;
		}
		memcpy(item, p, n);
		item[n] = 0;
		if (!one(f, item, msg, size))
			return false;
		p += n + (p[n] == ',');
	}
	return true;
}

static bool one_exit(struct step_filter *f, const char *name, char *msg, size_t size)
{
	int64_t r = xt_exit_reason_by_name(name);
	if (r < 0) {
		snprintf(msg, size, "--exit: unknown exit reason '%s' (IO, MMIO, DEBUG, HLT, SHUTDOWN, ...)",
			 name);
		return false;
	}
	if (f->n_exits == FILTER_EXITS_MAX) {
		snprintf(msg, size, "--exit: at most %d reasons", FILTER_EXITS_MAX);
		return false;
	}
	f->exits[f->n_exits++] = (uint64_t)r;
	return true;
}

bool step_filter_exits(struct step_filter *f, const char *list, char *msg, size_t size)
{
	return each_item(f, list, msg, size, one_exit);
}

static bool one_event(struct step_filter *f, const char *name, char *msg, size_t size)
{
	for (uint32_t k = 1; k < XT_EV_KIND_LIMIT; k++) {
		const char *n = xt_event_kind_name(k);
		if (n && !strcmp(n, name)) {
			f->events |= 1u << k;
			return true;
		}
	}
	size_t len = (size_t)snprintf(msg, size, "--event: unknown event kind '%s' (", name);
	for (uint32_t k = 1; k < XT_EV_KIND_LIMIT && len < size; k++)
		len += (size_t)snprintf(msg + len, size - len, "%s%s", k > 1 ? ", " : "",
					xt_event_kind_name(k));
	if (len < size)
		snprintf(msg + len, size - len, ")");
	return false;
}

bool step_filter_events(struct step_filter *f, const char *list, char *msg, size_t size)
{
	return each_item(f, list, msg, size, one_event);
}

bool step_filter_rip(struct step_filter *f, const char *arg, char *msg, size_t size)
{
	char lo[64];
	const char *dash = strchr(arg, '-');
	uint64_t a, b;
	f->has_rip = true;
	f->rip_symbol = NULL;
	if (dash && (size_t)(dash - arg) < sizeof(lo)) {
		memcpy(lo, arg, (size_t)(dash - arg));
		lo[dash - arg] = 0;
		if (cli_parse_u64(lo, &a) && cli_parse_u64(dash + 1, &b) && a < b) {
			f->rip_lo = a;
			f->rip_hi = b;
			return true;
		}
		snprintf(msg, size, "--rip needs LO-HI with LO < HI, an address or a symbol, not '%s'", arg);
		return false;
	}
	if (cli_parse_u64(arg, &a)) {
		f->rip_lo = a;
		f->rip_hi = a + 1;
		return true;
	}
	if (!*arg || (arg[0] >= '0' && arg[0] <= '9')) {
		snprintf(msg, size, "--rip needs LO-HI with LO < HI, an address or a symbol, not '%s'", arg);
		return false;
	}
	f->rip_symbol = arg;
	return true;
}

bool step_filter_resolve(struct step_filter *f, const struct symtab *syms, char *msg, size_t size)
{
	if (!f->rip_symbol)
		return true;
	if (!syms) {
		snprintf(msg, size, "--rip %s: the trace has no symbols (give --symbols FILE)", f->rip_symbol);
		return false;
	}
	if (!symtab_find(syms, f->rip_symbol, &f->rip_lo, &f->rip_hi)) {
		snprintf(msg, size, "--rip %s: no such symbol", f->rip_symbol);
		return false;
	}
	return true;
}

bool step_filter_active(const struct step_filter *f)
{
	return f->n_exits || f->events || f->has_rip;
}

bool step_filter_step(const struct step_filter *f, const struct xt_record *rec, uint64_t linear)
{
	if (f->vcpu != CLI_ALL_VCPUS && rec->vcpu != f->vcpu)
		return false;
	if (f->has_rip && (linear < f->rip_lo || linear >= f->rip_hi))
		return false;
	if (!f->n_exits)
		return true;
	for (size_t i = 0; i < f->n_exits; i++)
		if (rec->state->exit.reason == f->exits[i])
			return true;
	return false;
}

bool step_filter_state(const struct step_filter *f, const struct xt_state *s, uint64_t linear,
		       const struct xt_event *events, size_t n)
{
	if (f->has_rip && (linear < f->rip_lo || linear >= f->rip_hi))
		return false;
	bool exit_ok = !f->n_exits;
	for (size_t i = 0; i < f->n_exits; i++)
		exit_ok |= s->exit.reason == f->exits[i];
	if (!exit_ok)
		return false;
	if (!f->events)
		return true;
	for (size_t i = 0; i < n; i++)
		if (step_filter_event(f, events[i].kind))
			return true;
	return false;
}
