// SPDX-License-Identifier: MIT
/* Text forms of exits, fields and events, shared by dump, diff and replay. */
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "text_escape.h"
#include "rec_util.h"

static void fmt_hex_bytes(char *buf, size_t size, const uint8_t *p, size_t n)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < n && len + 3 < size; i++)
		APPEND(buf, size, len, "%02x", p[i]);
	if (n == 0)
		APPEND(buf, size, len, "-");
}

/* A little-endian value of up to 8 bytes, for single I/O and MMIO accesses. */
static uint64_t le_value(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static const char *internal_suberror_name(uint64_t s)
{
	switch (s) {
	case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX: return "simultaneous exceptions";
	case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected exit reason";
	}
	return "unknown";
}

void fmt_exit(char *buf, size_t size, const struct xt_state *s)
{
	const struct xt_exit *e = &s->exit;
	const char *name = xt_exit_reason_name(e->reason);
	size_t len = 0;
	char tmp[64];
	if (name)
		APPEND(buf, size, len, "%s", name);
	else
		APPEND(buf, size, len, "EXIT_%" PRIu64, e->reason);

	switch (e->reason) {
	case KVM_EXIT_IO:
		APPEND(buf, size, len, " %s 0x%" PRIx64 " size=%" PRIu64,
		       e->io_direction == KVM_EXIT_IO_OUT ? "out" : "in", e->io_port, e->io_size);
		if (e->io_count != 1)
			APPEND(buf, size, len, " count=%" PRIu64, e->io_count);
		if (e->io_count == 1 && e->io_data_len <= 8)
			APPEND(buf, size, len, " data=0x%" PRIx64, le_value(e->io_data, e->io_data_len));
		else {
			fmt_hex_bytes(tmp, sizeof(tmp), e->io_data, e->io_data_len);
			APPEND(buf, size, len, " data=%s", tmp);
		}
		break;
	case KVM_EXIT_MMIO:
		APPEND(buf, size, len, " %s 0x%" PRIx64 " len=%" PRIu64 " data=0x%" PRIx64,
		       e->mmio_is_write ? "write" : "read", e->mmio_addr, e->mmio_len,
		       le_value(e->mmio_data, e->mmio_data_len));
		break;
	case KVM_EXIT_DEBUG:
		APPEND(buf, size, len, " exception=%" PRIu64 " dr6=0x%" PRIx64, e->debug_exception,
		       e->debug_dr6);
		/* a dr7 KVM did not write is left out, never shown as a value */
		if (xt_dr7_valid(e->debug_dr7))
			APPEND(buf, size, len, " dr7=0x%" PRIx64, e->debug_dr7);
		APPEND(buf, size, len, " pc=0x%" PRIx64, e->debug_pc);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		APPEND(buf, size, len, " hardware_entry_failure_reason=0x%" PRIx64, e->fail_hw_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fmt_hex_bytes(tmp, sizeof(tmp), e->internal_data, e->internal_data_len);
		APPEND(buf, size, len, " suberror=%" PRIu64 " (%s) data=%s", e->internal_suberror,
		       internal_suberror_name(e->internal_suberror), tmp);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		APPEND(buf, size, len, " type=%" PRIu64, e->system_event_type);
		break;
	case XT_EXIT_RUN_FAILED:
		APPEND(buf, size, len, " errno=%" PRIu64 " (%s)", e->run_errno,
		       strerror((int)e->run_errno));
		break;
	}
}

void fmt_field(char *buf, size_t size, const struct xt_state *s, const struct xt_field *f)
{
	if (!xt_field_written(s, f)) {
		snprintf(buf, size, "not-written");
		return;
	}
	if (f->kind == XT_KIND_U64) {
		snprintf(buf, size, "0x%" PRIx64, xt_field_get(s, f));
		return;
	}
	uint32_t n;
	const uint8_t *p = xt_field_blob(s, f, &n);
	fmt_hex_bytes(buf, size, p, n);
}

#define FROM_BYTES 16	/* shown from the first differing byte */

void fmt_field_against(char *buf, size_t size, const struct xt_state *s, const struct xt_state *other,
		       const struct xt_field *f)
{
	uint32_t n, m;
	if (f->kind != XT_KIND_BLOB || !other) {
		fmt_field(buf, size, s, f);
		return;
	}
	const uint8_t *p = xt_field_blob(s, f, &n), *q = xt_field_blob(other, f, &m);
	size_t k = 0;
	while (k < n && k < m && p[k] == q[k])
		k++;
	/* a first difference among the first bytes shows in the plain form */
	if (k < FROM_BYTES || (k == n && n == m)) {
		fmt_field(buf, size, s, f);
		return;
	}
	size_t len = 0;
	APPEND(buf, size, len, "@%zu: ", k);
	if (k == n)
		APPEND(buf, size, len, "end");
	for (size_t i = k; i < n && i < k + FROM_BYTES; i++)
		APPEND(buf, size, len, "%02x", p[i]);
	APPEND(buf, size, len, "%s (%u bytes)", n > k + FROM_BYTES ? ".." : "", n);
}

void fmt_own_time(char *buf, size_t size, const struct rec_own_time *o)
{
	if (size)
		buf[0] = 0;
	if (o->samples)
		snprintf(buf, size, ", %.0f ns of each outside KVM_RUN", (double)o->ns / (double)o->samples);
}

bool fmt_is_exit_payload(const struct xt_field *f)
{
	return f->id == XT_F_EXIT_REASON || f->exit_reason != XT_ANY_EXIT;
}

/* A string from the trace, escaped (text_escape.h), appended as APPEND does. */
static void append_esc(char *buf, size_t size, size_t *len, const void *p, size_t n, unsigned flags)
{
	if (*len < size)
		*len += text_esc_mem(buf + *len, size - *len, p, n, flags);
}

static void append_str(char *buf, size_t size, size_t *len, const char *s)
{
	if (!s)
		s = "?";
	append_esc(buf, size, len, s, strlen(s), 0);
}

static const char *evidence_names[] = { "stack-frame", "idt", "lapic-isr", "events",
					"injection", "instruction", "lapic-irr", "frame-size", "pic-isr" };

size_t fmt_taken_vector(char *buf, size_t size, const struct xt_event *ev)
{
	if (!xt_taken_ambiguous(ev))
		return (size_t)snprintf(buf, size, "0x%x", ev->taken.vector);
	/* "? (0x30|0x31)": never one of them as if it were known */
	size_t len = (size_t)snprintf(buf, size, "? (");
	len += xt_taken_candidates_str(len < size ? buf + len : NULL, len < size ? size - len : 0, ev);
	if (len + 1 < size) {
		buf[len] = ')';
		buf[len + 1] = 0;
	}
	return len + 1;
}

void fmt_event(char *buf, size_t size, const struct xt_event *ev, const struct xt_header *h)
{
	size_t len = 0;
	APPEND(buf, size, len, "%s", xt_event_kind_name(ev->kind));
	switch (ev->kind) {
	case XT_EV_IRQ_INJECT:
		APPEND(buf, size, len, " vector=0x%x via %s", ev->inject.vector,
		       xt_inject_method_name(ev->inject.method));
		if (ev->inject.port >= 0)
			APPEND(buf, size, len, " on write to port 0x%" PRIx64, (uint64_t)ev->inject.port);
		if (ev->inject.result < 0)
			APPEND(buf, size, len, " FAILED (%s)", strerror(-ev->inject.result));
		else if (ev->inject.result == 0 && ev->inject.method != XT_INJECT_INTERRUPT)
			APPEND(buf, size, len, " (not delivered: the local APIC refused it)");
		break;
	case XT_EV_IRQ_TAKEN:
	{
		char vec[1400];
		fmt_taken_vector(vec, sizeof(vec), ev);
		APPEND(buf, size, len, " vector=%s %s rip 0x%" PRIx64, vec,
		       xt_taken_type_name(ev->taken.type), ev->taken.rip_before);
	}
		if (ev->taken.outcome == XT_TAKEN_HANDLER)
			APPEND(buf, size, len, " -> 0x%" PRIx64 " (handler 0x%" PRIx64 ")",
			       ev->taken.rip_after, ev->taken.handler);
		else
			APPEND(buf, size, len, " -> %s", xt_taken_outcome_name(ev->taken.outcome));
		if (ev->taken.has_error_code)
			APPEND(buf, size, len, " error_code=0x%" PRIx64, ev->taken.error_code);
		APPEND(buf, size, len, " [");
		const char *sep = "";
		for (unsigned i = 0; i < sizeof(evidence_names) / sizeof(evidence_names[0]); i++) {
			if (ev->taken.evidence & (1u << i)) {
				APPEND(buf, size, len, "%s%s", sep, evidence_names[i]);
				sep = ",";
			}
		}
		APPEND(buf, size, len, "]");
		break;
	case XT_EV_CONSOLE: {
		APPEND(buf, size, len, " \"");
		append_esc(buf, size, &len, ev->console.data, ev->console.len, TEXT_ESC_QUOTE);
		APPEND(buf, size, len, "\"");
		break;
	}
	case XT_EV_INPUT:
		APPEND(buf, size, len, " %s", xt_input_what_name(ev->input.what));
		for (uint32_t i = 0; i < ev->input.n; i++) {
			const struct xt_field *f = xt_field_by_id(ev->input.v[i].field);
			APPEND(buf, size, len, " %s=0x%" PRIx64, f ? f->name : "?", ev->input.v[i].value);
		}
		if (ev->input.data) {
			APPEND(buf, size, len, " data=");
			for (size_t i = 0; i < ev->input.data_len && i < 64; i++)
				APPEND(buf, size, len, "%02x", ev->input.data[i]);
			if (ev->input.data_len > 64)
				APPEND(buf, size, len, "... (%zu bytes)", ev->input.data_len);
		}
		break;
	case XT_EV_KTRACE:
		APPEND(buf, size, len, " ");
		append_str(buf, size, &len, ev->ktrace.name);
		for (size_t i = 0; i < ev->ktrace.n_fields; i++) {
			const struct xt_ktrace_field *f = &ev->ktrace.fields[i];
			APPEND(buf, size, len, " ");
			append_str(buf, size, &len, f->name);
			if (f->str) {
				APPEND(buf, size, len, "=");
				append_str(buf, size, &len, f->str);
			} else if (f->num < 0) {
				APPEND(buf, size, len, "=%" PRId64, f->num);
			} else {
				APPEND(buf, size, len, "=0x%" PRIx64, (uint64_t)f->num);
			}
		}
		break;
	case XT_EV_NOTE:
		APPEND(buf, size, len, " ");
		append_str(buf, size, &len, ev->note.text);
		break;
	case XT_EV_IPI: {
		uint64_t icr = ev->ipi.icr;
		const char *mode = xt_icr_mode_name(xt_icr_mode(icr));
		unsigned sh = xt_icr_shorthand(icr);
		APPEND(buf, size, len, " %s", mode ? mode : "reserved-mode");
		if (xt_icr_mode(icr) == 0 || xt_icr_mode(icr) == 1 || xt_icr_mode(icr) == 6)
			APPEND(buf, size, len, " vector=0x%x", xt_icr_vector(icr));
		if (sh)
			APPEND(buf, size, len, " to %s", xt_icr_shorthand_name(sh));
		else
			APPEND(buf, size, len, " to %s 0x%x", xt_icr_logical(icr) ? "logical" : "apic-id",
			       xt_icr_dest(icr, ev->ipi.x2apic));
		APPEND(buf, size, len, " (%s icr=0x%" PRIx64 ")", ev->ipi.x2apic ? "x2apic" : "xapic", icr);
		break;
	}
	case XT_EV_MP_STATE: {
		const char *from = xt_mp_state_name(ev->mp.from), *to = xt_mp_state_name(ev->mp.to);
		if (from)
			APPEND(buf, size, len, " %s", from);
		else
			APPEND(buf, size, len, " #%u", ev->mp.from);
		if (to)
			APPEND(buf, size, len, " -> %s", to);
		else
			APPEND(buf, size, len, " -> #%u", ev->mp.to);
		if (ev->mp.by_sipi)
			APPEND(buf, size, len, " by SIPI vector 0x%x (cs=0x%x)", ev->mp.sipi_vector,
			       ev->mp.sipi_vector << 8);
		break;
	}
	case XT_EV_STATS:
		for (size_t i = 0; i < ev->stats.n; i++) {
			uint32_t k = ev->stats.index[i];
			if (h && k < h->vm.n_stats) {
				APPEND(buf, size, len, " ");
				append_str(buf, size, &len, h->vm.stats_names[k]);
				APPEND(buf, size, len, "%+" PRId64, ev->stats.delta[i]);
			} else
				APPEND(buf, size, len, " #%u%+" PRId64, k, ev->stats.delta[i]);
		}
		break;
	}
}
