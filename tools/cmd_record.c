// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* fopencookie */
/* exitrace record: run a guest under single-step and write its trace. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "text_escape.h"
#include "rec_util.h"
#include "recorder.h"
#include "scenarios.h"

#define IMAGE_MAX (256u << 20)

/* Seconds: digits, a point and digits ("1", "0.5", ".5"), nothing strtod also takes (blanks, signs, hex, inf). */
static bool parse_seconds(const char *s, double *out)
{
	size_t digits = strspn(s, "0123456789");
	size_t frac = s[digits] == '.' ? strspn(s + digits + 1, "0123456789") : 0;
	if (!digits && !frac)
		return false;
	char *end;
	double v = strtod(s, &end);
	if (end != s + digits + (s[digits] == '.' ? 1 + frac : 0) || *end)
		return false;
	*out = v;
	return true;
}

/*
 * The value in first..last that name() spells s, into *v.  The format's name
 * tables are the one place the spellings live, so what record accepts is
 * what info prints.
 */
static bool parse_name(const char *s, const char *(*name)(uint32_t), uint32_t first,
		       uint32_t last, uint32_t *v)
{
	for (uint32_t i = first; i <= last; i++) {
		if (!strcmp(s, name(i))) {
			*v = i;
			return true;
		}
	}
	return false;
}

/* The capture bit that xt_capture_str calls name, or 0: its table is the one list of names. */
static uint32_t capture_bit(const char *name)
{
	char buf[32];
	for (unsigned b = 0; b < 32; b++) {
		xt_capture_str(buf, sizeof(buf), 1u << b);
		if (!strcmp(buf, name))
			return 1u << b;
	}
	return 0;
}

/* The list is split in a copy of its own length: a fixed buffer cut "lapicxyz" to a valid "lapic". */
static bool parse_capture(const char *s, uint32_t *cap)
{
	/* strtok would skip an empty name: "", ",fpu", "fpu,,lapic" and "fpu," are mistakes */
	size_t n = strlen(s);
	if (!n || s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,"))
		return false;
	char *buf = strdup(s);
	if (!buf)
		return false;
	bool ok = true;
	*cap = XT_CAPTURE_DEFAULT;
	for (char *save, *t = strtok_r(buf, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
		uint32_t bit = capture_bit(t);
		if (bit)
			*cap |= bit;
		else if (!strcmp(t, "all"))
			*cap |= XT_CAPTURE_LAPIC | XT_CAPTURE_DEBUGREGS | XT_CAPTURE_FPU | XT_CAPTURE_STATS |
				XT_CAPTURE_TIME;
		else if (strcmp(t, "default"))
			ok = false;
	}
	free(buf);
	return ok;
}

/* ADDR|SYMBOL[:x|w|rw[:LEN]] */
static bool parse_hw_bp(char *s, struct hw_breakpoint *b)
{
	*b = (struct hw_breakpoint){ .rw = 0, .len = 1 };
	char *kind = strchr(s, ':');
	if (kind)
		*kind++ = 0;
	if (!*s)
		return false;
	if (!cli_parse_u64(s, &b->addr))
		b->symbol = s;
	if (kind) {
		char *len = strchr(kind, ':');
		if (len)
			*len++ = 0;
		if (!strcmp(kind, "x"))
			b->rw = 0;
		else if (!strcmp(kind, "w"))
			b->rw = 1;
		else if (!strcmp(kind, "rw"))
			b->rw = 3;
		else
			return false;
		b->len = b->rw ? 8 : 1;
		uint64_t l;
		if (len) {
			if (!cli_parse_u64(len, &l) || (l != 1 && l != 2 && l != 4 && l != 8))
				return false;
			b->len = (uint32_t)l;
		}
	}
	return true;
}

static void free_modules(struct boot_module *mods, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)mods[i].name);
		free((void *)mods[i].data);
	}
}

/*
 * --module FILE[,STRING]: the file's name up to the first single comma, a
 * doubled comma standing for one in the name (QEMU's rule), so any path can
 * be given; *string: past that comma, or NULL.  A name the caller frees.
 */
static char *module_name(const char *spec, const char **string)
{
	char *name = malloc(strlen(spec) + 1), *p = name;
	*string = NULL;
	if (!name)
		return NULL;
	for (const char *s = spec; *s; s++) {
		if (*s == ',' && s[1] == ',') {
			*p++ = *s++;
		} else if (*s == ',') {
			*string = s + 1;
			break;
		} else {
			*p++ = *s;
		}
	}
	*p = 0;
	return name;
}

/*
 * --module FILE[,STRING] and --initrd FILE (is_initrd[i]: the spec is a
 * file name only, commas and all): each file read whole, its string split off.
 */
static int read_modules(const char *const *specs, const bool *is_initrd, size_t n, struct boot_module *mods,
			struct xt_error *err)
{
	for (size_t i = 0; i < n; i++) {
		/* argv itself stays whole: the header records the command line */
		const char *string = NULL;
		char *name = is_initrd[i] ? strdup(specs[i]) : module_name(specs[i], &string);
		uint8_t *data = NULL;
		size_t size;
		int rc = name ? rec_read_file(name, IMAGE_MAX, &data, &size, err)
			      : rec_err(err, -ENOMEM, "out of memory");
		if (rc < 0) {
			free(name);
			free_modules(mods, i);
			return rc;
		}
		mods[i] = (struct boot_module){ .name = name, .data = data, .size = size, .cmdline = string };
	}
	return 0;
}

/*
 * The input that writing path would overwrite: the guest image or a
 * module, read whole before the recording opens its outputs, and lost when
 * the trace or the console is written over it.  NULL if none.
 */
static const char *input_at(const char *path, const char *guest, const struct boot_module *mods, size_t n)
{
	if (guest && cli_same_file(path, guest))
		return guest;
	for (size_t i = 0; i < n; i++)
		if (cli_same_file(path, mods[i].name))
			return mods[i].name;
	return NULL;
}

/*
 * The progress line shares the terminal with the guest's console output:
 * the console goes through a FILE of ours that clears the line first, and
 * the line is only drawn where the guest's last output ended its line.
 */
struct progress {
	unsigned ticks;
	bool shown;		/* a progress line is on screen now */
	bool at_line_start;	/* the guest's output so far ends with a newline (or is empty) */
};

static void clear_progress(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = false;
	}
}

static ssize_t console_to_tty(void *ctx, const char *buf, size_t n)
{
	struct progress *p = ctx;
	clear_progress(p);
	size_t done = fwrite(buf, 1, n, stderr);
	fflush(stderr);
	if (n)
		p->at_line_start = buf[n - 1] == '\n';
	return (ssize_t)done;
}

static void print_notice(const char *msg)
{
	fprintf(stderr, "exitrace record: %s\n", msg);
}

static void show_progress(void *ctx, uint64_t steps, uint64_t bytes, double seconds)
{
	struct progress *p = ctx;
	if (++p->ticks % 3 || !p->at_line_start)
		return;
	fprintf(stderr, "\r\033[K  %" PRIu64 " steps, %.0f steps/s, %" PRIu64 " KiB", steps,
		seconds > 0 ? (double)steps / seconds : 0.0, bytes >> 10);
	fflush(stderr);
	p->shown = true;
}

/*
 * --json-summary: the summary as one JSON object, on standard output, or
 * on standard error when the trace is standard output (-o -).
 */
static void print_summary_json(const char *output, int rc, const struct record_result *res)
{
	FILE *o = strcmp(output, "-") ? stdout : stderr;
	json_top(o, "record");
	fputs(",\"output\":", o);
	json_str(o, output);
	fprintf(o, ",\"steps\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"complete\":%s",
		res->steps, res->bytes, res->seconds, rc >= 0 && res->trace_complete ? "true" : "false");
	if (rc < 0) {
		fputs(",\"error\":", o);
		json_str(o, res->err.msg);
	} else {
		fputs(",\"end\":{\"reason\":", o);
		json_str(o, xt_end_reason_name(res->end_reason));
		fprintf(o, ",\"code\":%" PRId64 ",\"detail\":", res->end_code);
		json_str(o, res->detail);
		fputc('}', o);
	}
	fputs("}\n", o);
	fflush(o);
}

int cmd_record(int argc, char **argv)
{
	enum { O_MODE = 256, O_LOAD, O_ENTRY, O_MEM, O_NO_STEP, O_BLOCK_IRQ, O_IRQCHIP, O_IRQ,
	       O_MAX_STEPS, O_TIMEOUT, O_CAPTURE, O_KTRACE, O_IDT, O_SW_BP, O_HW_BP, O_CONSOLE,
	       O_APPEND, O_QUIET, O_SCENARIO, O_NO_IDT, O_ONE_THREAD, O_CMDLINE, O_MODULE, O_INITRD, O_VCPUS,
	       O_LEGACY_PC, O_NO_LEGACY_PC, O_JSON_SUMMARY };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "scenario", required_argument, NULL, O_SCENARIO },
		{ "mode", required_argument, NULL, O_MODE },
		{ "load", required_argument, NULL, O_LOAD },
		{ "entry", required_argument, NULL, O_ENTRY },
		{ "mem", required_argument, NULL, O_MEM },
		{ "no-step", no_argument, NULL, O_NO_STEP },
		{ "block-irq", no_argument, NULL, O_BLOCK_IRQ },
		{ "irqchip", required_argument, NULL, O_IRQCHIP },
		{ "irq", required_argument, NULL, O_IRQ },
		{ "max-steps", required_argument, NULL, O_MAX_STEPS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "capture", required_argument, NULL, O_CAPTURE },
		{ "ktrace", no_argument, NULL, O_KTRACE },
		{ "idt", no_argument, NULL, O_IDT },
		{ "no-idt", no_argument, NULL, O_NO_IDT },
		{ "legacy-pc", no_argument, NULL, O_LEGACY_PC },
		{ "no-legacy-pc", no_argument, NULL, O_NO_LEGACY_PC },
		{ "sw-bp", no_argument, NULL, O_SW_BP },
		{ "hw-bp", required_argument, NULL, O_HW_BP },
		{ "console", required_argument, NULL, O_CONSOLE },
		{ "append", required_argument, NULL, O_APPEND },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "module", required_argument, NULL, O_MODULE },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "json-summary", no_argument, NULL, O_JSON_SUMMARY },
		{ "one-thread", no_argument, NULL, O_ONE_THREAD },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct record_options o = { .mem_size = 128ull << 20,	/* QEMU's default: test kernels expect it */
				    .irqchip = XT_IRQCHIP_KERNEL,
				    .capture = XT_CAPTURE_DEFAULT };
	const char *scenario_name = NULL, *console_path = NULL;
	const char *irq_specs[INJECT_MAX];
	size_t n_irq_specs = 0;
	const char *module_specs[LOADER_MODULES_MAX];
	bool module_is_initrd[LOADER_MODULES_MAX];
	size_t n_module_specs = 0;
	struct boot_module modules[LOADER_MODULES_MAX];
	bool quiet = false, json_summary = false, irqchip_set = false, max_steps_set = false, idt_set = false, idt = false;
	bool mode_set = false, timeout_set = false, vcpus_set = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case O_SCENARIO: scenario_name = optarg; break;
		case O_MODE:
			if (!parse_name(optarg, xt_cpu_mode_name, XT_MODE_REAL, XT_MODE_LONG, &o.load.mode))
				return cli_usage_error("record", "--mode is real, prot or long, not '%s'", optarg);
			mode_set = true;
			break;
		case O_LOAD:
			if (!cli_parse_u64(optarg, &o.load.load_addr))
				return cli_usage_error("record", "--load needs an address, not '%s'", optarg);
			o.load.have_load = true;
			break;
		case O_ENTRY:
			if (!cli_parse_u64(optarg, &o.load.entry))
				return cli_usage_error("record", "--entry needs an address, not '%s'", optarg);
			o.load.have_entry = true;
			break;
		case O_MEM:
			if (!cli_parse_size(optarg, &o.mem_size))
				return cli_usage_error("record", "--mem needs a size such as 64M, not '%s'", optarg);
			break;
		case O_VCPUS: {
			uint64_t n;
			if (!cli_parse_u64(optarg, &n) || n < 1 || n > KVM_VM_VCPUS_MAX)
				return cli_usage_error("record", "--vcpus needs a number from 1 to %d, not '%s'",
						       KVM_VM_VCPUS_MAX, optarg);
			o.vcpus = (uint32_t)n;
			vcpus_set = true;
			break;
		}
		case O_NO_STEP: o.no_step = true; break;
		case O_BLOCK_IRQ: o.block_irq = true; break;
		case O_IRQCHIP:
			if (!parse_name(optarg, xt_irqchip_name, XT_IRQCHIP_NONE, XT_IRQCHIP_SPLIT,
					&o.irqchip))
				return cli_usage_error("record", "--irqchip is none, kernel or split, not '%s'", optarg);
			irqchip_set = true;
			break;
		case O_IRQ:
			if (n_irq_specs == INJECT_MAX)
				return cli_usage_error("record", "at most %d --irq", INJECT_MAX);
			irq_specs[n_irq_specs++] = optarg;
			break;
		case O_MAX_STEPS:
			if (!cli_parse_u64(optarg, &o.max_steps) || !o.max_steps)
				return cli_usage_error("record", "--max-steps needs a positive number, not '%s'", optarg);
			max_steps_set = true;
			break;
		case O_TIMEOUT: {
			double s;
			if (!parse_seconds(optarg, &s) || !(s >= 0.001) || s > 1e9)
				return cli_usage_error("record", "--timeout needs seconds (at least 0.001), not '%s'",
						       optarg);
			o.timeout_ms = (uint64_t)(s * 1000.0);
			timeout_set = true;
			break;
		}
		case O_CAPTURE:
			if (!parse_capture(optarg, &o.capture))
				return cli_usage_error("record", "--capture takes lapic, debugregs, fpu, stats, time or all, not '%s'", optarg);
			break;
		case O_KTRACE: o.ktrace = true; break;
		case O_IDT: idt = true; idt_set = true; break;
		case O_NO_IDT: idt = false; idt_set = true; break;
		case O_LEGACY_PC: o.legacy_pc = LEGACY_PC_ON; break;
		case O_NO_LEGACY_PC: o.legacy_pc = LEGACY_PC_OFF; break;
		case O_SW_BP: o.sw_bp = true; break;
		case O_HW_BP:
			if (o.n_hw_bp == 4)
				return cli_usage_error("record", "at most 4 --hw-bp (DR0-DR3)");
			if (!parse_hw_bp(optarg, &o.hw_bp[o.n_hw_bp++]))
				return cli_usage_error("record", "--hw-bp is ADDR|SYMBOL[:x|w|rw[:LEN]]");
			break;
		case O_CONSOLE: console_path = optarg; break;
		case O_APPEND: o.load.append = optarg; break;
		case O_CMDLINE: o.load.cmdline = optarg; break;
		case O_MODULE:
		case O_INITRD:
			if (n_module_specs == LOADER_MODULES_MAX)
				return cli_usage_error("record", "at most %d --module/--initrd", LOADER_MODULES_MAX);
			module_is_initrd[n_module_specs] = c == O_INITRD;
			module_specs[n_module_specs++] = optarg;
			break;
		case 'q':
		case O_QUIET: quiet = true; break;
		case O_JSON_SUMMARY: json_summary = true; break;
		case O_ONE_THREAD: o.writer_on_step_thread = true; break;
		case 'h': cli_print_usage(stdout, "record"); return XT_EXIT_OK;
		case ':': return cli_usage_error("record", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("record", "unknown option '%s'", argv[optind - 1]);
		}
	}
	const char *guest = optind < argc ? argv[optind] : NULL;
	if (optind + 1 < argc)
		return cli_usage_error("record", "one guest at a time ('%s' is extra)", argv[optind + 1]);
	if (!o.output)
		return cli_usage_error("record", "-o FILE is required");
	if (!guest == !scenario_name)
		return cli_usage_error("record", "give a guest image or --scenario NAME (one of them)");
	if (console_path && !strcmp(console_path, "-") && !strcmp(o.output, "-"))
		return cli_usage_error("record", "--console - and -o -: the console would go into the trace");
	if (mode_set && !o.load.have_load)
		return cli_usage_error("record", "--mode applies to flat images: give --load ADDR too");
	if (o.load.append && o.load.cmdline)
		return cli_usage_error("record", "--append or --cmdline, not both (--cmdline is the whole line)");

	uint8_t *image = NULL;
	const struct scenario *sc = NULL;
	int rc;
	struct xt_error err = { 0 };
	if (scenario_name) {
		sc = scenario_find(scenario_name);
		if (!sc)
			return cli_usage_error("record", "no scenario '%s' (see 'exitrace scenarios')", scenario_name);
		o.image = sc->image;
		o.image_size = sc->size;
		o.image_name = sc->name;
		o.scenario = sc->name;
		if (!irqchip_set)
			o.irqchip = sc->irqchip;
		if (!idt_set)
			idt = sc->idt;
		/* the scenario's own breakpoints and IRQs join the user's: none may be dropped without a word */
		if (o.n_hw_bp + sc->n_hw_bp > 4)
			return cli_usage_error("record", "scenario %s sets %zu hardware breakpoints itself: "
					       "at most %zu --hw-bp besides", sc->name, sc->n_hw_bp, 4 - sc->n_hw_bp);
		if (n_irq_specs + sc->n_irqs > INJECT_MAX)
			return cli_usage_error("record", "scenario %s injects %zu IRQs itself: at most %zu --irq besides",
					       sc->name, sc->n_irqs, INJECT_MAX - sc->n_irqs);
		o.sw_bp |= sc->sw_bp;
		o.block_irq |= sc->block_irq;
		for (size_t i = 0; i < sc->n_hw_bp && o.n_hw_bp < 4; i++)
			o.hw_bp[o.n_hw_bp++] = (struct hw_breakpoint){ .symbol = sc->hw_bp[i].symbol,
								       .rw = sc->hw_bp[i].rw,
								       .len = sc->hw_bp[i].len };
		for (size_t i = 0; i < sc->n_irqs && n_irq_specs < INJECT_MAX; i++)
			irq_specs[n_irq_specs++] = sc->irqs[i];
		if (!max_steps_set)
			o.max_steps = sc->max_steps;
		if (!vcpus_set)
			o.vcpus = sc->vcpus;
		if (!timeout_set)
			o.timeout_ms = sc->timeout_ms;
		o.capture |= sc->capture;
	} else {
		size_t size;
		if (rec_read_file(guest, IMAGE_MAX, &image, &size, &err) < 0)
			return cli_error("record", "%s", err.msg);
		o.image = image;
		o.image_size = size;
		o.image_name = guest;
	}
	o.idt = idt;
	if ((rc = read_modules(module_specs, module_is_initrd, n_module_specs, modules, &err)) < 0) {
		free(image);
		return cli_error("record", "%s", err.msg);
	}
	o.load.modules = modules;
	o.load.n_modules = n_module_specs;
	const char *lost = input_at(o.output, guest, modules, n_module_specs);
	const char *lost_to = "-o", *lost_path = o.output;
	if (!lost && console_path) {
		lost_to = "--console";
		lost_path = console_path;
		lost = input_at(console_path, guest, modules, n_module_specs);
		if (!lost && cli_same_file(console_path, o.output))
			lost = o.output;
	}
	if (lost) {
		/* lost may be a module's name: said before the modules are freed */
		rc = cli_usage_error("record", "%s %s would overwrite %s", lost_to, lost_path,
				     lost == o.output ? "the trace being recorded" : lost);
		free(image);
		free_modules(modules, n_module_specs);
		return rc;
	}
	for (size_t i = 0; i < n_irq_specs; i++) {
		if (injector_parse(irq_specs[i], o.irqchip, &o.irqs[o.n_irqs++]) < 0) {
			free(image);
			free_modules(modules, n_module_specs);
			return cli_usage_error("record", "--irq '%s': use VECTOR@STEP, VECTOR@io:PORT or nmi@STEP (vector 16-255)",
					       irq_specs[i]);
		}
	}

	o.notice = print_notice;
	struct progress progress = { .at_line_start = true };
	bool tty = !quiet && isatty(STDERR_FILENO);
	FILE *console = stderr;
	if (console_path && !strcmp(console_path, "-")) {
		console = stdout;	/* --console -: the guest's console on standard output */
	} else if (console_path) {
		/* as -o: no symbolic link planted in /tmp, no device truncated, no FIFO waited on */
		int fd = xt_open_output(console_path, &err);
		if (fd < 0 || !(console = fdopen(fd, "w"))) {
			if (fd >= 0) {
				snprintf(err.msg, sizeof(err.msg), "%s", strerror(errno));
				close(fd);
			}
			free(image);
			free_modules(modules, n_module_specs);
			return cli_error("record", "--console: %s", err.msg);
		}
	}
	if (!console_path && tty) {
		cookie_io_functions_t io = { .write = console_to_tty };
		FILE *f = fopencookie(&progress, "w", io);
		if (f) {
			setvbuf(f, NULL, _IONBF, 0);
			console = f;
		}
	}
	o.console = console;
	o.argv = (const char *const *)argv - 1;
	o.argc = (size_t)argc + 1;
	if (tty) {
		o.progress = show_progress;
		o.progress_ctx = &progress;
	}

	struct record_result res;
	rc = record_run(&o, &res);
	if (console == stdout)
		fflush(stdout);
	else if (console != stderr)
		fclose(console);
	free(image);
	free_modules(modules, n_module_specs);
	clear_progress(&progress);
	if (json_summary)
		print_summary_json(o.output, rc, &res);
	if (rc < 0)
		return cli_error("record", "%s", res.err.msg);
	if (!quiet && !json_summary) {
		char own[64], detail[4 * sizeof(res.detail)];
		fmt_own_time(own, sizeof(own), &res.own);
		fprintf(stderr, "exitrace record: %" PRIu64 " steps in %.2f s (%.0f steps/s%s) to %s, %" PRIu64
				" bytes (%.2f bytes/step); ended: %s (%s)\n",
			res.steps, res.seconds, res.seconds > 0 ? (double)res.steps / res.seconds : 0.0, own,
			strcmp(o.output, "-") ? o.output : "standard output", res.bytes, res.steps ? (double)res.bytes / (double)res.steps : 0.0,
			xt_end_reason_name(res.end_reason), text_esc(detail, sizeof(detail), res.detail));
	}
	/* scripts get the guest's own status when it used isa-debug-exit */
	if (res.end_reason == XT_END_DEBUG_EXIT)
		return (int)(res.end_code & 0xff);
	return XT_EXIT_OK;
}
