// SPDX-License-Identifier: MIT
/* The diff's options, and --ignore's names with suggestions for a typo. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diff_internal.h"

void xd_options_init(struct xd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->context = XD_CONTEXT_DEFAULT;
	o->max_hunks = XD_MAX_HUNKS_DEFAULT;
	o->window = XD_WINDOW_DEFAULT;
	o->vcpu = -1;
}

/* The event kinds --ignore knows, by the names dump and info print. */
static const uint32_t ignorable_events[] = {
	XT_EV_IRQ_TAKEN, XT_EV_IRQ_INJECT, XT_EV_CONSOLE, XT_EV_KTRACE,
	XT_EV_NOTE,	/* an attached VMM's stale-field notes, the only ones compared */
};
#define N_EVENTS (sizeof(ignorable_events) / sizeof(ignorable_events[0]))

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

/* Levenshtein distance, for names of up to 63 characters. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	unsigned row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			row[j] = min3(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]));
			diag = up;
		}
	}
	return row[lb];
}

/* How close a known name is to what was typed: lower is closer. */
static unsigned closeness(const char *typed, const char *name)
{
	if (strstr(name, typed) || strstr(typed, name))
		return 1;
	return distance(typed, name) + 1;
}

static void suggest(const char *typed, char *msg, size_t size)
{
	enum { KEEP = 4 };
	const char *best[KEEP] = { 0 };
	unsigned score[KEEP];
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t i = 0; i < n + N_EVENTS; i++) {
		const char *name = i < n ? table[i].name : xt_event_kind_name(ignorable_events[i - n]);
		if (!name)
			continue;
		unsigned s = closeness(typed, name);
		for (unsigned k = 0; k < KEEP; k++) {
			if (!best[k] || s < score[k]) {
				memmove(&best[k + 1], &best[k], (KEEP - 1 - k) * sizeof(best[0]));
				memmove(&score[k + 1], &score[k], (KEEP - 1 - k) * sizeof(score[0]));
				best[k] = name;
				score[k] = s;
				break;
			}
		}
	}
	size_t len = (size_t)snprintf(msg, size, "--ignore: no field or event kind '%s'", typed);
	/* too far from everything: the names would not help */
	if (!best[0] || score[0] > 3 + strlen(typed) / 2)
		return;
	const char *sep = "; did you mean ";
	for (unsigned k = 0; k < KEEP && best[k] && len < size; k++) {
		if (score[k] > score[0] + 2)
			break;
		len += (size_t)snprintf(msg + len, size - len, "%s%s", sep, best[k]);
		sep = ", ";
	}
	if (len < size)
		snprintf(msg + len, size - len, "?");
}

int xd_ignore_parse(struct xd_options *o, const char *list, char *msg, size_t msg_size)
{
	char buf[1024];
	if (strlen(list) >= sizeof(buf)) {
		snprintf(msg, msg_size, "--ignore: the list is too long");
		return -EINVAL;
	}
	/* strtok would skip an empty name: "", ",rax", "rax,,rbx" and "rax," are mistakes */
	size_t n = strlen(list);
	if (!n || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,")) {
		snprintf(msg, msg_size, "--ignore: an empty name in '%s'", list);
		return -EINVAL;
	}
	strcpy(buf, list);
	char *save;
	for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const struct xt_field *f = xt_field_by_name(name);
		if (f) {
			o->ignore[f->id] = ~0ull;
			continue;
		}
		bool found = false;
		for (size_t i = 0; i < N_EVENTS; i++) {
			if (!strcmp(name, xt_event_kind_name(ignorable_events[i]))) {
				o->ignore_events |= 1u << ignorable_events[i];
				found = true;
			}
		}
		if (!found) {
			suggest(name, msg, msg_size);
			return -EINVAL;
		}
	}
	return 0;
}
