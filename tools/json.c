// SPDX-License-Identifier: MIT
/* JSON output for --json: numbers that may exceed 2^53 are hex strings. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "xt_util.h"

void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k = xt_utf8_len(p + i, n - i);
		if (!k) {
			/* not UTF-8 (a name from another writer): the byte as its Latin-1 code point */
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (k > 1) {
			fwrite(p + i, 1, k, f);
			i += k;
		} else {
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", f);
			else if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
			i++;
		}
	}
	fputc('"', f);
}

void json_top(FILE *f, const char *command)
{
	fprintf(f, "{\"format\":\"%s\",\"command\":\"%s\"", XT_JSON_FORMAT, command);
}

void json_bytes_hex(FILE *f, const uint8_t *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('"', f);
}

void json_field(FILE *f, const struct xt_state *s, const struct xt_field *fd)
{
	if (fd->kind == XT_KIND_U64) {
		fprintf(f, "\"0x%" PRIx64 "\"", xt_field_get(s, fd));
	} else {
		uint32_t n;
		const uint8_t *p = xt_field_blob(s, fd, &n);
		json_bytes_hex(f, p, n);
	}
}

void json_state_fields(FILE *f, const struct xt_state *s, const struct xt_field_set *set,
		       uint32_t capture)
{
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	const char *sep = "";
	fputc('{', f);
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *fd = &table[id];
		if (!fd->name)
			continue;
		if (set ? !xt_field_set_has(set, (unsigned)id) : !(capture & (1u << fd->block)))
			continue;
		if (!xt_field_written(s, fd))
			continue;	/* absent: not written, not a value */
		fputs(sep, f);
		json_str(f, fd->name);
		fputc(':', f);
		json_field(f, s, fd);
		sep = ",";
	}
	fputc('}', f);
}

void json_exit(FILE *f, const struct xt_state *s)
{
	const char *name = xt_exit_reason_name(s->exit.reason);
	char text[512];
	fmt_exit(text, sizeof(text), s);
	fputs("{\"reason\":", f);
	json_str(f, name ? name : "UNKNOWN");
	fprintf(f, ",\"code\":%" PRIu64 ",\"text\":", s->exit.reason);
	json_str(f, text);
	/* the payload fields that mean something for this exit */
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *fd = &table[id];
		if (!fd->name || fd->exit_reason == XT_ANY_EXIT || fd->exit_reason != s->exit.reason ||
		    !xt_field_written(s, fd))
			continue;
		fputc(',', f);
		json_str(f, fd->name);
		fputc(':', f);
		json_field(f, s, fd);
	}
	fputc('}', f);
}

void json_taken_vector(FILE *f, const struct xt_event *ev)
{
	if (!xt_taken_ambiguous(ev)) {
		fprintf(f, ",\"vector\":%u", ev->taken.vector);
		return;
	}
	fputs(",\"vector\":null,\"candidates\":[", f);
	const char *sep = "";
	for (unsigned v = 0; v < 256; v++) {
		if (xt_taken_candidate(ev, v)) {
			fprintf(f, "%s%u", sep, v);
			sep = ",";
		}
	}
	fputc(']', f);
}

void json_event(FILE *f, const struct xt_event *ev)
{
	char text[1024];
	fmt_event(text, sizeof(text), ev, NULL);
	fprintf(f, "{\"step\":%" PRIu64, ev->step);
	if (ev->vcpu)	/* as in the trace: absent means vCPU 0 */
		fprintf(f, ",\"vcpu\":%u", ev->vcpu);
	fputs(",\"event\":", f);
	json_str(f, xt_event_kind_name(ev->kind));
	switch (ev->kind) {
	case XT_EV_IRQ_INJECT:
		fprintf(f, ",\"vector\":%u,\"method\":", ev->inject.vector);
		json_str(f, xt_inject_method_name(ev->inject.method));
		fprintf(f, ",\"result\":%d,\"port\":%" PRId64, ev->inject.result, ev->inject.port);
		break;
	case XT_EV_IRQ_TAKEN:
		json_taken_vector(f, ev);
		fputs(",\"type\":", f);
		json_str(f, xt_taken_type_name(ev->taken.type));
		fputs(",\"outcome\":", f);
		json_str(f, xt_taken_outcome_name(ev->taken.outcome));
		fprintf(f, ",\"rip_before\":\"0x%" PRIx64 "\",\"rip_after\":\"0x%" PRIx64
			   "\",\"handler\":\"0x%" PRIx64 "\",\"evidence\":%u",
			ev->taken.rip_before, ev->taken.rip_after, ev->taken.handler,
			ev->taken.evidence);
		if (ev->taken.has_error_code)
			fprintf(f, ",\"error_code\":\"0x%" PRIx64 "\"", ev->taken.error_code);
		break;
	case XT_EV_CONSOLE:
		fputs(",\"data\":", f);
		json_bytes_hex(f, ev->console.data, ev->console.len);
		break;
	case XT_EV_INPUT:
		if (ev->input.data) {
			fputs(",\"data\":", f);
			json_bytes_hex(f, ev->input.data, ev->input.data_len);
		}
		break;
	case XT_EV_IPI:
		fprintf(f, ",\"icr\":\"0x%" PRIx64 "\",\"x2apic\":%s,\"vector\":%u,\"mode\":", ev->ipi.icr,
			ev->ipi.x2apic ? "true" : "false", xt_icr_vector(ev->ipi.icr));
		json_str(f, xt_icr_mode_name(xt_icr_mode(ev->ipi.icr)));
		fputs(",\"shorthand\":", f);
		json_str(f, xt_icr_shorthand_name(xt_icr_shorthand(ev->ipi.icr)));
		fprintf(f, ",\"logical\":%s,\"dest\":%u", xt_icr_logical(ev->ipi.icr) ? "true" : "false",
			xt_icr_dest(ev->ipi.icr, ev->ipi.x2apic));
		break;
	case XT_EV_MP_STATE:
		fputs(",\"from\":", f);
		json_str(f, xt_mp_state_name(ev->mp.from));
		fputs(",\"to\":", f);
		json_str(f, xt_mp_state_name(ev->mp.to));
		if (ev->mp.by_sipi)
			fprintf(f, ",\"sipi_vector\":%u", ev->mp.sipi_vector);
		break;
	case XT_EV_NOTE:
		fputs(",\"note\":", f);	/* exact: the text has it escaped */
		json_str(f, ev->note.text);
		break;
	case XT_EV_KTRACE:
		fputs(",\"name\":", f);
		json_str(f, ev->ktrace.name);
		fprintf(f, ",\"ts_ns\":\"%" PRIu64 "\",\"cpu\":%u,\"fields\":{", ev->ktrace.ts_ns,
			ev->ktrace.cpu);
		for (size_t i = 0; i < ev->ktrace.n_fields; i++) {
			const struct xt_ktrace_field *kf = &ev->ktrace.fields[i];
			if (i)
				fputc(',', f);
			json_str(f, kf->name);
			fputc(':', f);
			if (kf->str)
				json_str(f, kf->str);
			else
				fprintf(f, "\"%" PRId64 "\"", kf->num);	/* may pass 2^53: a string */
		}
		fputc('}', f);
		break;
	default:
		break;
	}
	fputs(",\"text\":", f);
	json_str(f, text);
	fputc('}', f);
}
