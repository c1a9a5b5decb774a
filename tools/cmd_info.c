// SPDX-License-Identifier: MIT
/* exitrace info: what a trace is, where it was recorded and how it ended. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kvm_caps.h"
#include "text_escape.h"

/* Room for one string of the header, escaped: a longer one is cut, marked "..." */
#define ESC_ROOM 512

/* One vCPU's figures from the footer: of a trace of several, or the whole of a trace of one. */
static struct xt_vcpu_summary vcpu_summary(const struct xt_footer *f, uint32_t v)
{
	if (f->n_vcpus)
		return f->vcpus[v];
	return (struct xt_vcpu_summary){ f->steps, f->hist, f->n_hist, f->final };
}

/* Each vCPU's line (or only vcpu's): its steps, exits and last RIP. */
static void print_vcpus_text(const struct xt_reader *r, uint64_t vcpu)
{
	const struct xt_header *h = xt_reader_header(r);
	const struct xt_footer *f = xt_reader_footer(r);
	if (h->vm.n_vcpus == 1 && vcpu == CLI_ALL_VCPUS)
		return;
	if (!f) {
		printf("vcpus:     per-vCPU figures need the footer: 'exitrace stat' counts them\n");
		return;
	}
	for (uint32_t v = 0; v < h->vm.n_vcpus; v++) {
		if (vcpu != CLI_ALL_VCPUS && v != vcpu)
			continue;
		struct xt_vcpu_summary s = vcpu_summary(f, v);
		printf("vcpu %-4u  APIC ID %u, %" PRIu64 " steps:", v, h->vm.apic_ids[v], s.steps);
		for (size_t i = 0; i < s.n_hist; i++) {
			const char *n = xt_exit_reason_name(s.hist[i].reason);
			printf(" %s %" PRIu64 "%s", n ? n : "?", s.hist[i].count, i + 1 < s.n_hist ? "," : "");
		}
		if (s.final)
			printf("; final rip 0x%" PRIx64, s.final->regs.rip);
		printf("\n");
	}
}

static void print_status(const struct xt_reader *r, uint64_t steps, size_t nframes)
{
	const struct xt_footer *f = xt_reader_footer(r);
	if (!f) {
		printf("status:    TRUNCATED: the recorder did not finish; %" PRIu64
		       " steps recovered in %zu complete frames\n", steps, nframes);
		return;
	}
	printf("status:    complete: %" PRIu64 " steps, ended %s", f->steps,
	       xt_end_reason_name(f->end_reason));
	char detail[ESC_ROOM];
	if (f->end_detail && *f->end_detail)
		printf(" (%s)", text_esc(detail, sizeof(detail), f->end_detail));
	printf(", %.3f s recording, %zu frames\n", (double)f->duration_ns / 1e9, f->n_index);
	printf("exits:    ");
	for (size_t i = 0; i < f->n_hist; i++) {
		const char *n = xt_exit_reason_name(f->hist[i].reason);
		printf(" %s %" PRIu64 "%s", n ? n : "?", f->hist[i].count, i + 1 < f->n_hist ? "," : "");
	}
	printf("\nevents:   ");
	bool any = false;
	for (unsigned k = 1; k < XT_EV_KIND_LIMIT; k++) {
		if (f->event_counts[k]) {
			printf("%s %s %" PRIu64, any ? "," : "", xt_event_kind_name(k), f->event_counts[k]);
			any = true;
		}
	}
	printf("%s\n", any ? "" : " none");
	if (f->final) {
		char ex[256];
		fmt_exit(ex, sizeof(ex), f->final);
		printf("final:     rip 0x%" PRIx64 ", last exit %s\n", f->final->regs.rip, ex);
	}
}

/*
 * What the footer says is a claim: info reads only the footer unless asked
 * to verify, and says which it did.
 */
static void print_checked(const struct xt_reader *r, bool verified)
{
	const struct xt_error *inc = xt_reader_inconsistency(r);
	char e[ESC_ROOM];
	if (inc)
		printf("frames:    INCONSISTENT: %s\n", text_esc(e, sizeof(e), inc->msg));
	else if (verified)
		printf("frames:    verified: every frame read, checksums and records good%s\n",
		       xt_reader_footer(r) ? ", the footer agrees with the data" : "");
	else
		printf("frames:    not verified: the footer's counts as written (--verify reads every frame)\n");
}

static void print_text(const char *path, struct xt_reader *r, uint64_t steps, size_t nframes,
		       bool verified, uint64_t vcpu)
{
	const struct xt_header *h = xt_reader_header(r);
	char when[64] = "?";
	time_t t = (time_t)h->created_sec;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);

	/* every string of the header escaped: whoever wrote the trace does not write to the terminal */
	char e1[ESC_ROOM], e2[ESC_ROOM], e3[ESC_ROOM], e4[ESC_ROOM];
	printf("trace:     %s (%" PRIu64 " bytes), format %u.%u, written by exitrace %s\n",
	       text_esc(e1, sizeof(e1), path), xt_reader_file_size(r), h->version_major, h->version_minor,
	       text_esc(e2, sizeof(e2), h->tool_version));
	printf("recorded:  %s by:", when);
	for (size_t i = 0; i < h->argc; i++)
		printf(" %s", text_esc(e1, sizeof(e1), h->argv[i]));
	printf("\n");
	const struct xt_host *ho = &h->host;
	printf("host:      Linux %s %s; %s (%s family %u model %u stepping %u, microcode 0x%" PRIx64 ")\n",
	       text_esc(e1, sizeof(e1), ho->kernel_release),
	       ho->machine ? text_esc(e2, sizeof(e2), ho->machine) : "",
	       text_esc(e3, sizeof(e3), ho->cpu_model_name), text_esc(e4, sizeof(e4), ho->cpu_vendor),
	       ho->cpu_family, ho->cpu_model, ho->cpu_stepping, ho->microcode);
	printf("kvm:       %s, API %" PRId64 ", %zu module parameters, %zu capabilities\n",
	       text_esc(e1, sizeof(e1), ho->kvm_module), ho->api_version, ho->n_kvm_params, ho->n_caps);
	printf("apicv:    ");
	bool any = false;
	for (size_t i = 0; i < ho->n_kvm_params; i++) {
		if (xt_kvm_param_is_apicv(ho->kvm_params[i].key)) {
			printf(" %s=%s", text_esc(e1, sizeof(e1), ho->kvm_params[i].key),
			       text_esc(e2, sizeof(e2), ho->kvm_params[i].value));
			any = true;
		}
	}
	printf("%s\n", any ? "" : " not reported by the KVM module");

	const struct xt_vm_config *vm = &h->vm;
	char gd[128], cap[128];
	xt_guest_debug_str(gd, sizeof(gd), vm->guest_debug);
	xt_capture_str(cap, sizeof(cap), vm->capture);
	printf("guest:     %s%s%s (%s, %zu bytes, sha256 ", text_esc(e1, sizeof(e1), h->image.name),
	       vm->scenario ? ", scenario " : "", vm->scenario ? text_esc(e2, sizeof(e2), vm->scenario) : "",
	       text_esc(e3, sizeof(e3), vm->loader), h->image.size);
	for (int i = 0; i < 32; i++)
		printf("%02x", h->image.sha256[i]);
	printf(")\n");
	printf("vm:        %s mode, entry 0x%" PRIx64 ", %" PRIu64 " MiB, irqchip %s\n",
	       xt_cpu_mode_name(vm->cpu_mode), vm->entry, vm->mem_size >> 20,
	       xt_irqchip_name(vm->irqchip));
	if (vm->platform) {
		char pf[64];
		xt_platform_str(pf, sizeof(pf), vm->platform);
		printf("platform:  legacy PC: %s\n", pf);
	}
	if (vm->append)
		printf("cmdline:   %s\n", text_esc(e1, sizeof(e1), vm->append));
	for (size_t i = 0; i < h->n_extra; i++)
		if (!strncmp(h->extra[i].key, "module.", 7))
			printf("module:    %s\n", text_esc(e1, sizeof(e1), h->extra[i].value));
		else if (!strncmp(h->extra[i].key, "attach.", 7) && strcmp(h->extra[i].key, "attach.run"))
			printf("attach:    %s: %s\n", h->extra[i].key + 7, text_esc(e1, sizeof(e1), h->extra[i].value));
	if (vm->n_vcpus > 1) {
		printf("vcpus:     %u, APIC IDs", vm->n_vcpus);
		for (uint32_t v = 0; v < vm->n_vcpus; v++)
			printf(" %u", vm->apic_ids[v]);
		printf("\n");
	}
	printf("debug:     guest debug %s, capture %s\n", gd, cap);
	if (vm->capture & XT_CAPTURE_TIME)
		printf("time:      host time around each KVM_RUN, ticks of %" PRIu64 " Hz (%.1f ns)\n", vm->time_hz,
		       vm->time_hz ? 1e9 / (double)vm->time_hz : 0.0);
	if (vm->n_injections)
		printf("irqs:      %zu scheduled injections\n", vm->n_injections);
	print_status(r, steps, nframes);
	print_checked(r, verified);
	print_vcpus_text(r, vcpu);
}

static void print_vcpus_json(FILE *o, const struct xt_reader *r, uint64_t vcpu)
{
	const struct xt_header *h = xt_reader_header(r);
	const struct xt_footer *f = xt_reader_footer(r);
	if (!f || (h->vm.n_vcpus == 1 && vcpu == CLI_ALL_VCPUS))
		return;
	fputs(",\"vcpus\":[", o);
	bool first = true;
	for (uint32_t v = 0; v < h->vm.n_vcpus; v++) {
		if (vcpu != CLI_ALL_VCPUS && v != vcpu)
			continue;
		struct xt_vcpu_summary s = vcpu_summary(f, v);
		fprintf(o, "%s{\"vcpu\":%u,\"apic_id\":%u,\"steps\":%" PRIu64 ",\"exits\":{", first ? "" : ",",
			v, h->vm.apic_ids[v], s.steps);
		for (size_t i = 0; i < s.n_hist; i++) {
			const char *n = xt_exit_reason_name(s.hist[i].reason);
			fprintf(o, "%s", i ? "," : "");
			json_str(o, n ? n : "UNKNOWN");
			fprintf(o, ":%" PRIu64, s.hist[i].count);
		}
		fputc('}', o);
		if (s.final)
			fprintf(o, ",\"final_rip\":\"0x%" PRIx64 "\"", s.final->regs.rip);
		fputc('}', o);
		first = false;
	}
	fputc(']', o);
}

static void print_json(const char *path, struct xt_reader *r, uint64_t steps, size_t nframes,
		       bool verified, uint64_t vcpu)
{
	const struct xt_header *h = xt_reader_header(r);
	const struct xt_host *ho = &h->host;
	const struct xt_vm_config *vm = &h->vm;
	const struct xt_footer *f = xt_reader_footer(r);
	FILE *o = stdout;

	json_top(o, "info");
	fputs(",\"file\":", o);
	json_str(o, path);
	fprintf(o, ",\"size\":%" PRIu64 ",\"trace_format\":\"%u.%u\",\"tool_version\":",
		xt_reader_file_size(r), h->version_major, h->version_minor);
	json_str(o, h->tool_version);
	fputs(",\"argv\":[", o);
	for (size_t i = 0; i < h->argc; i++) {
		if (i)
			fputc(',', o);
		json_str(o, h->argv[i]);
	}
	fprintf(o, "],\"created\":%" PRId64 ",\"host\":{\"kernel_release\":", h->created_sec);
	json_str(o, ho->kernel_release);
	fputs(",\"kernel_version\":", o);
	json_str(o, ho->kernel_version);
	fputs(",\"cpu_vendor\":", o);
	json_str(o, ho->cpu_vendor);
	fputs(",\"cpu_model_name\":", o);
	json_str(o, ho->cpu_model_name);
	fprintf(o, ",\"cpu_family\":%u,\"cpu_model\":%u,\"cpu_stepping\":%u,\"microcode\":\"0x%" PRIx64
		   "\",\"kvm_module\":", ho->cpu_family, ho->cpu_model, ho->cpu_stepping, ho->microcode);
	json_str(o, ho->kvm_module);
	fprintf(o, ",\"api_version\":%" PRId64 ",\"kvm_params\":{", ho->api_version);
	for (size_t i = 0; i < ho->n_kvm_params; i++) {
		if (i)
			fputc(',', o);
		json_str(o, ho->kvm_params[i].key);
		fputc(':', o);
		json_str(o, ho->kvm_params[i].value);
	}
	fputs("},\"caps\":{", o);
	for (size_t i = 0; i < ho->n_caps; i++) {
		/* by name; a number this build has no name for as "KVM_CAP_<number>" */
		const char *n = kvm_cap_name(ho->caps[i].cap);
		if (n)
			fprintf(o, "%s\"%s\":%" PRId64, i ? "," : "", n, ho->caps[i].value);
		else
			fprintf(o, "%s\"KVM_CAP_%u\":%" PRId64, i ? "," : "", ho->caps[i].cap, ho->caps[i].value);
	}
	char gd[128], cap[128];
	xt_guest_debug_str(gd, sizeof(gd), vm->guest_debug);
	xt_capture_str(cap, sizeof(cap), vm->capture);
	char pf[64];
	xt_platform_str(pf, sizeof(pf), vm->platform);
	fprintf(o, "}},\"vm\":{\"mode\":\"%s\",\"mem_size\":%" PRIu64 ",\"irqchip\":\"%s\",\"guest_debug\":%u,"
		   "\"guest_debug_flags\":\"%s\",\"capture\":\"%s\",\"platform\":\"%s\",\"entry\":\"0x%" PRIx64 "\",\"loader\":",
		xt_cpu_mode_name(vm->cpu_mode), vm->mem_size, xt_irqchip_name(vm->irqchip),
		vm->guest_debug, gd, cap, pf, vm->entry);
	json_str(o, vm->loader);
	if (vm->capture & XT_CAPTURE_TIME)
		fprintf(o, ",\"time_hz\":%" PRIu64, vm->time_hz);
	fputs(",\"scenario\":", o);
	if (vm->scenario)
		json_str(o, vm->scenario);
	else
		fputs("null", o);
	fprintf(o, ",\"injections\":%zu,\"cpuid_entries\":%zu,\"vcpus\":%u,\"apic_ids\":[", vm->n_injections,
		vm->n_cpuid, vm->n_vcpus);
	for (uint32_t v = 0; v < vm->n_vcpus; v++)
		fprintf(o, "%s%u", v ? "," : "", vm->apic_ids[v]);
	fputs("]},\"image\":{\"name\":", o);
	json_str(o, h->image.name);
	fprintf(o, ",\"size\":%zu,\"sha256\":", h->image.size);
	json_bytes_hex(o, h->image.sha256, 32);
	fprintf(o, "},\"truncated\":%s,\"verified\":%s,\"steps\":%" PRIu64 ",\"frames\":%zu",
		f ? "false" : "true", verified ? "true" : "false", steps, nframes);
	if (f) {
		fputs(",\"end\":{\"reason\":", o);
		json_str(o, xt_end_reason_name(f->end_reason));
		fprintf(o, ",\"code\":%" PRId64 ",\"detail\":", f->end_code);
		json_str(o, f->end_detail);
		fprintf(o, ",\"duration_ns\":\"%" PRIu64 "\"},\"exits\":{", f->duration_ns);
		for (size_t i = 0; i < f->n_hist; i++) {
			const char *n = xt_exit_reason_name(f->hist[i].reason);
			fprintf(o, "%s", i ? "," : "");
			json_str(o, n ? n : "UNKNOWN");
			fprintf(o, ":%" PRIu64, f->hist[i].count);
		}
		fputs("},\"events\":{", o);
		bool first = true;
		for (unsigned k = 1; k < XT_EV_KIND_LIMIT; k++) {
			if (!f->event_counts[k])
				continue;
			fprintf(o, "%s", first ? "" : ",");
			json_str(o, xt_event_kind_name(k));
			fprintf(o, ":%" PRIu64, f->event_counts[k]);
			first = false;
		}
		fputs("}", o);
		if (f->final) {
			fputs(",\"final_exit\":", o);
			json_exit(o, f->final);
			fprintf(o, ",\"final_rip\":\"0x%" PRIx64 "\"", f->final->regs.rip);
		}
		const struct xt_error *inc = xt_reader_inconsistency(r);
		fputs(",\"inconsistency\":", o);
		if (inc)
			json_str(o, inc->msg);
		else
			fputs("null", o);
	}
	print_vcpus_json(o, r, vcpu);
	fputs("}\n", o);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'V' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, verify = false;
	uint64_t vcpu = CLI_ALL_VCPUS;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'V': verify = true; break;
		case 'v':
			if (!cli_parse_vcpu("info", optarg, &vcpu))
				return XT_EXIT_ERROR;
			break;
		case ':': return cli_usage_error("info", "option '%s' needs a value", argv[optind - 1]);
		case 'h': cli_print_usage(stdout, "info"); return XT_EXIT_OK;
		default: return cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("info", "expected one trace file");
	const char *path = argv[optind];
	struct xt_reader *r = cli_open_trace("info", path);
	if (!r)
		return XT_EXIT_ERROR;
	if (!cli_check_vcpu("info", r, vcpu)) {
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}

	/*
	 * A complete trace's footer says it all; a truncated one must be read to
	 * count, which reads every frame as replay would.  --verify reads them
	 * for a complete one too and holds the footer against them, so that info
	 * never calls "complete" what replay and check refuse.
	 */
	bool verified = verify || !xt_reader_footer(r);
	uint64_t steps;
	int rc = verify ? xt_reader_verify(r, &steps) : xt_reader_count_steps(r, &steps);
	if (rc < 0) {
		cli_error("info", "%s", xt_reader_error(r)->msg);
		xt_reader_close(r);
		return XT_EXIT_ERROR;
	}
	size_t nframes;
	xt_reader_index(r, &nframes);
	if (json)
		print_json(path, r, steps, nframes, verified, vcpu);
	else
		print_text(path, r, steps, nframes, verified, vcpu);
	/* asked to check, info fails a trace whose footer the data contradicts */
	int status = XT_EXIT_OK;
	if (xt_reader_inconsistency(r)) {
		fflush(stdout);
		status = cli_error("info", "%s: %s", path, xt_reader_inconsistency(r)->msg);
	}
	xt_reader_close(r);
	return status;
}
