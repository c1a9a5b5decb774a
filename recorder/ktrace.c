// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tracefs.h>

#include "ktrace.h"
#include "rec_util.h"

/* The interrupt path as the kernel sees it; events a kernel lacks are skipped. */
static const char *const wanted[] = {
	"kvm_apic_accept_irq", "kvm_inj_virq", "kvm_apicv_accept_irq",
	"kvm_apicv_inhibit_changed", "kvm_inj_exception", "kvm_eoi", "kvm_msi_set_irq", "kvm_apic_ipi",
};
#define NWANTED (sizeof(wanted) / sizeof(wanted[0]))
#define MAX_FIELDS 24

struct step_time {
	uint64_t step, ns;
};

struct ktrace {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct step_time *marks;
	size_t n, cap;
	uint64_t last_step;
	/* during a collect */
	struct xt_writer *w;
	int rc;
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#define INSTANCE_PREFIX "exitrace-"
#define STALE_MAX 64

struct stale {
	pid_t self;
	char names[STALE_MAX][32];
	size_t n;
};

/* An instance of ours whose process is gone (or is this one: it has made none yet). */
static int find_stale(const char *name, void *ctx)
{
	struct stale *st = ctx;
	const char *p = name + strlen(INSTANCE_PREFIX);
	if (strncmp(name, INSTANCE_PREFIX, strlen(INSTANCE_PREFIX)) || *p < '1' || *p > '9')
		return 0;
	char *end;
	errno = 0;
	long pid = strtol(p, &end, 10);
	if (*end || errno || pid <= 0 || pid > INT32_MAX || strlen(name) >= sizeof(st->names[0]))
		return 0;
	if (pid != st->self && !(kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return 0;	/* a recorder running now (or a process we may not signal: left alone) */
	if (st->n < STALE_MAX)
		snprintf(st->names[st->n++], sizeof(st->names[0]), "%s", name);
	return 0;
}

/*
 * A recorder killed by SIGKILL leaves its instance tracing, its events on,
 * for ever: remove those, as ktrace_close() would have.
 */
static void remove_stale(pid_t self, void (*notice)(const char *msg))
{
	struct stale st = { .self = self };
	tracefs_instances_walk(find_stale, &st);
	char msg[512];
	size_t len = 0, removed = 0;
	msg[0] = 0;
	for (size_t i = 0; i < st.n; i++) {
		struct tracefs_instance *inst = tracefs_instance_alloc(NULL, st.names[i]);
		if (!inst)
			continue;
		tracefs_trace_off(inst);
		tracefs_event_disable(inst, NULL, NULL);
		if (tracefs_instance_destroy(inst) == 0) {
			if (len < sizeof(msg))
				len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", removed ? ", " : "",
							st.names[i]);
			removed++;
		}
		tracefs_instance_free(inst);
	}
	if (removed && notice) {
		char line[640];
		snprintf(line, sizeof(line), "--ktrace: removed %zu stale trace instance%s of exitrace processes "
			 "no longer running: %s", removed, removed == 1 ? "" : "s", msg);
		notice(line);
	}
}

int ktrace_open(struct ktrace **out, pid_t pid, void (*notice)(const char *msg), struct xt_error *err)
{
	*out = NULL;
	const char *dir = NULL;
	if (!tracefs_tracing_dir_is_mounted(true, &dir) && !dir)
		return rec_err(err, -ENOENT, "--ktrace: tracefs is not mounted and cannot be mounted here");
	remove_stale(pid, notice);
	struct ktrace *kt = calloc(1, sizeof(*kt));
	if (!kt)
		return rec_err(err, -ENOMEM, "out of memory");
	char name[64];
	snprintf(name, sizeof(name), INSTANCE_PREFIX "%d", (int)pid);
	kt->inst = tracefs_instance_create(name);
	if (!kt->inst) {
		int e = errno ? errno : EACCES;
		free(kt);
		return rec_err(err, -e, "--ktrace: cannot create trace instance %s: %s", name, strerror(e));
	}
	const char *systems[] = { "kvm", NULL };
	kt->tep = tracefs_local_events_system(NULL, systems);
	if (!kt->tep) {
		ktrace_close(kt);
		return rec_err(err, -EIO, "--ktrace: cannot parse the kvm events' format files");
	}
	/* "mono" is ktime_get_mono_fast_ns: comparable with CLOCK_MONOTONIC */
	tracefs_instance_file_write(kt->inst, "trace_clock", "mono");
	char filter[64];
	snprintf(filter, sizeof(filter), "common_pid == %d", (int)pid);
	size_t enabled = 0;
	for (size_t i = 0; i < NWANTED; i++) {
		if (tracefs_event_file_write(kt->inst, "kvm", wanted[i], "filter", filter) < 0)
			continue;
		if (tracefs_event_enable(kt->inst, "kvm", wanted[i]) == 0)
			enabled++;
	}
	if (!enabled) {
		ktrace_close(kt);
		return rec_err(err, -ENOENT, "--ktrace: none of the kvm interrupt events exists on this kernel");
	}
	tracefs_trace_on(kt->inst);
	*out = kt;
	return 0;
}

void ktrace_mark(struct ktrace *kt, uint64_t step)
{
	if (kt->n == kt->cap) {
		size_t cap = kt->cap ? kt->cap * 2 : 4096;
		struct step_time *p = realloc(kt->marks, cap * sizeof(*p));
		if (!p)
			return;	/* placement gets coarser; events are still recorded */
		kt->marks = p;
		kt->cap = cap;
	}
	kt->marks[kt->n++] = (struct step_time){ step, now_ns() };
	kt->last_step = step;
}

/* The step during (or before) whose KVM_RUN return ts happened. */
static uint64_t step_of(const struct ktrace *kt, uint64_t ts)
{
	size_t lo = 0, hi = kt->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kt->marks[mid].ns < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < kt->n ? kt->marks[lo].step : kt->last_step + 1;
}

static int on_event(struct tep_event *event, struct tep_record *rec, int cpu, void *ctx)
{
	struct ktrace *kt = ctx;
	if (kt->rc)
		return 1;
	struct xt_ktrace_field fields[MAX_FIELDS];
	char strings[MAX_FIELDS][64];
	size_t n = 0;
	for (struct tep_format_field *f = event->format.fields; f && n < MAX_FIELDS; f = f->next) {
		if (f->flags & (TEP_FIELD_IS_STRING | TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_ARRAY)) {
			int off = f->offset, len = f->size;
			if (f->flags & TEP_FIELD_IS_DYNAMIC) {
				unsigned long long loc;
				if (tep_read_number_field(f, rec->data, &loc))
					continue;
				off = (int)(loc & 0xffff);
				len = (int)(loc >> 16);
			}
			if (off < 0 || len < 0 || off + len > rec->size)
				continue;
			snprintf(strings[n], sizeof(strings[n]), "%.*s", len, (const char *)rec->data + off);
			fields[n] = (struct xt_ktrace_field){ f->name, strings[n], 0 };
			n++;
			continue;
		}
		unsigned long long v;
		if (tep_read_number_field(f, rec->data, &v))
			continue;
		int64_t num = (int64_t)v;
		if ((f->flags & TEP_FIELD_IS_SIGNED) && f->size < 8 && f->size > 0) {
			unsigned shift = 64 - 8 * (unsigned)f->size;
			num = (int64_t)(v << shift) >> shift;
		}
		fields[n] = (struct xt_ktrace_field){ f->name, NULL, num };
		n++;
	}
	char name[96];
	snprintf(name, sizeof(name), "%s:%s", event->system, event->name);
	struct xt_event ev = { .kind = XT_EV_KTRACE, .step = step_of(kt, rec->ts) };
	ev.ktrace.name = name;
	ev.ktrace.ts_ns = rec->ts;
	ev.ktrace.cpu = (uint32_t)cpu;
	ev.ktrace.fields = fields;
	ev.ktrace.n_fields = n;
	kt->rc = xt_writer_event(kt->w, &ev);
	return kt->rc ? 1 : 0;
}

int ktrace_collect(struct ktrace *kt, struct xt_writer *w, struct xt_error *err)
{
	if (!kt)
		return 0;
	kt->w = w;
	kt->rc = 0;
	tracefs_iterate_raw_events(kt->tep, kt->inst, NULL, 0, on_event, kt);
	if (kt->rc) {
		*err = *xt_writer_error(w);
		return kt->rc;
	}
	/* keep the newest mark: later events before the next return belong after it */
	if (kt->n > 1) {
		kt->marks[0] = kt->marks[kt->n - 1];
		kt->n = 1;
	}
	return 0;
}

void ktrace_close(struct ktrace *kt)
{
	if (!kt)
		return;
	if (kt->inst) {
		tracefs_trace_off(kt->inst);
		tracefs_instance_destroy(kt->inst);
		tracefs_instance_free(kt->inst);
	}
	if (kt->tep)
		tep_free(kt->tep);
	free(kt->marks);
	free(kt);
}
