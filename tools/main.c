// SPDX-License-Identifier: MIT
/* exitrace: one binary, git-style subcommands from a table. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "rec_util.h"
#include "text_escape.h"

static const struct xt_command commands[] = {
	{ "record", cmd_record_any,
	  "[GUEST | --scenario NAME] -o FILE [--mode real|prot|long] [--load ADDR] [--entry ADDR]\n"
	  "       [--mem SIZE] [--vcpus N] [--no-step] [--block-irq] [--irqchip none|kernel|split]\n"
	  "       [--irq VECTOR@STEP|VECTOR@io:PORT|nmi@STEP ...] [--max-steps N] [--timeout SEC]\n"
	  "       [--capture lapic,debugregs,fpu,stats,time|all] [--ktrace] [--idt|--no-idt] [--sw-bp]\n"
	  "       [--hw-bp ADDR|SYMBOL[:x|w|rw[:LEN]] ...] [--console FILE] [--quiet] [--one-thread]\n"
	  "       [--append ARGS | --cmdline LINE] [--module FILE[,STRING] ...] [--initrd FILE]\n"
	  "       [--legacy-pc|--no-legacy-pc] [--json-summary]\n"
	  "  -o -: the trace to standard output (a pipe or a file, not a terminal), written without\n"
	  "  seeking; everything record says goes to standard error.  --json-summary: the summary as\n"
	  "  one exitrace-json/1 object (on standard error with -o -).  --console -: the guest's\n"
	  "  console on standard output (default: standard error)\n"
	  "  multiboot: the kernel's command line is 'GUEST ARGS' as boot loaders write it (--cmdline:\n"
	  "  the whole line); modules are put page-aligned above the kernel and 1 MiB, in order;\n"
	  "  a comma in a --module FILE is written twice (a,,b.bin), --initrd FILE is taken as it is\n"
	  "  numbers: decimal, or hex after 0x (a leading 0 is decimal)\n"
	  "  legacy PC (default for real-mode guests and multiboot kernels with --irqchip kernel):\n"
	  "  the PIT ticking at 18.2 Hz, the PICs at vectors 0x08/0x70, a real-mode IVT whose IRQ\n"
	  "  handlers send an EOI\n"
	  "  --vcpus N (1-64): vCPUs 1.. wait for INIT and SIPI; all are single-stepped in lock-step,\n"
	  "  round-robin, so the trace's order is the order they ran (with --no-step: a thread each,\n"
	  "  exits in the order they come)\n"
	  "  --capture time: each vCPU's host time in and between its KVM_RUNs (the TSC), for stat's\n"
	  "  time per exit reason\n"
	  "   or: record [--step | --step-at-port PORT | --step-after N] [--block-irq] [--memory none|hash|full]\n"
	  "              [--memory-limit BYTES] [--no-stale] [--no-borrow-sync-regs] [--capture time] [--quiet]\n"
	  "              -o FILE -- COMMAND [ARGS...]\n"
	  "  runs COMMAND (a VMM: a selftest, QEMU, kvmtool) with libexitrace-attach.so preloaded and\n"
	  "  records every KVM_RUN of each VM it creates: FILE, then FILE.1, FILE.2, ...; the exit\n"
	  "  status is COMMAND's (128 + signal); --step single-steps the vCPUs the VMM does not debug\n"
	  "  itself and hides those DEBUG exits from it; --memory: the slots at the first KVM_RUN stored\n"
	  "  (full, the default, up to --memory-limit, 256 MiB: replay needs it), as SHA-256s (hash) or not",
	  "run a guest under KVM single-step and write every exit to a trace\n"
	  "  exit status: the guest's isa-debug-exit status (((value << 1) | 1) & 0xff) if it used one,\n"
	  "  else 0; 2 when exitrace itself failed" },
	{ "replay", cmd_replay, "FILE|- [-o NEW|-] [--context N] [--quiet] [--json]\n"
	  "   or: replay (--gdb [HOST:]PORT | --gdb-unix PATH) [--checkpoint-every N] [--checkpoint-mem BYTES] FILE\n"
	  "  FILE -: the trace from standard input; -o -: the new trace to standard output, the\n"
	  "  report then to standard error.  --json: the outcome as one exitrace-json/1 object\n"
	  "  --gdb: serve the replay to gdb (target remote HOST:PORT; HOST defaults to 127.0.0.1, PORT 0\n"
	  "  picks a free one and says which): registers, memory, stepi, continue, breakpoints and write\n"
	  "  watchpoints checked by exitrace after each step, reverse-stepi and reverse-continue, and\n"
	  "  monitor step N | where | exits | diverged | phys ADDR [LEN].  A checkpoint every N steps\n"
	  "  (default 1000), within BYTES (default 256M; past it every other one goes and N doubles):\n"
	  "  going back re-executes at most N steps.  The trace is only read; one session, then exit",
	  "re-run a trace on this host and stop at the first step that differs; or serve it to gdb" },
	{ "check", cmd_check, "DIR|FILE|-... [-q|--quiet] [-j N|--jobs N] [--json]\n"
	  "  -: one trace from standard input.  --quiet: only the TAP lines (no # comments).\n"
	  "  --jobs N: N replays at once, a process each (default 1); the output is the serial\n"
	  "  run's, in the same order.  --json: one exitrace-json/1 object instead of TAP",
	  "replay an archive of traces (*.xtr in a directory); TAP output" },
	{ "info", cmd_info, "FILE|- [--vcpu N] [--json] [--verify]",
	  "header, host and footer (--verify: checked against every frame); says \"truncated\" when it is" },
	{ "diff", cmd_diff,
	  "A B [--context N] [--ignore FIELD,...] [--max-hunks N] [--first] [--window N] [--vcpu N]\n"
	  "       [--json] [--symbols ELF [--symbols ELF_B]] [--exit REASON,..] [--event KIND,..]\n"
	  "       [--rip LO-HI|SYMBOL] [--color[=auto|always|never]] [--no-pager]\n"
	  "  A or B may be - (standard input) or a pipe: diff <(exitrace record ... -o -) b.xtr\n"
	  "  several vCPUs: each vCPU's steps against the same vCPU's in the other trace, a section\n"
	  "  each (steps shown as 'GLOBAL vN#OWN'), then where the global order differs (an IPI taken\n"
	  "  or a run state changed at another own step; the first step the interleaving differs);\n"
	  "  --vcpu N: vCPU N alone\n"
	  "  two attached traces (record -- COMMAND): the VMM's answers to reads and the stale run-page\n"
	  "  fields are compared too (--ignore note: not the stale fields)\n"
	  "  filters (as dump's) print only the hunks with a differing step that passes them; the\n"
	  "  summary and exit status still count every hunk\n"
	  "  hunk headers and step lines show <symbol+offset> and the instruction at each RIP (from\n"
	  "  each trace's initial memory and ELF; --symbols: one file for both, or A's then B's)",
	  "align two traces and explain every divergence" },
	{ "dump", cmd_dump,
	  "FILE|- [--from N] [--to N] [--vcpu N] [--exit REASON,..] [--event KIND,..]\n"
	  "       [--rip LO-HI|ADDR|SYMBOL] [--symbols ELF] [--json] [--color[=WHEN]] [--no-pager]\n"
	  "  --json: JSON lines, the first a header with the format (docs/json.md)\n"
	  "  each step: RIP, <symbol+offset> and the instruction at that RIP (the next one the vCPU\n"
	  "  runs; Zydis, from the trace's initial memory), the exit, the fields the step changed.\n"
	  "  Filters combine: --exit IO,MMIO (exit reasons), --event irq-taken (steps with an event\n"
	  "  of that kind: irq-inject, irq-taken, console, input, ktrace, note, stats), --rip\n"
	  "  0x1000-0x2000 (LO <= RIP < HI, linear) or a symbol's range.  Symbols come from the\n"
	  "  guest ELF in the trace, or --symbols ELF (a flat image's, an attached VMM's guest)",
	  "one line per exit with its instruction and symbol, and the events; filtered" },
	{ "stat", cmd_stat,
	  "FILE|- [--vcpu N] [--exit REASON,..] [--event KIND,..] [--rip LO-HI|ADDR|SYMBOL]\n"
	  "       [--symbols ELF] [--json]\n"
	  "  the filters are dump's: only the steps that pass them are counted",
	  "exit-reason histogram, IRQs, hottest RIPs with their instructions and symbols" },
	{ "show", cmd_show, "FILE|- STEP|SYMBOL[#K] [--vcpu N] [--mem ADDR LEN] [--symbols ELF] [--json]\n"
	  "       [--color[=WHEN]] [--no-pager]\n"
	  "  STEP: a step number (with --vcpu N: that vCPU's own N-th step), or SYMBOL#K: the K-th\n"
	  "  step (from 1) whose RIP is at SYMBOL.  --mem: LEN bytes of guest-physical memory at\n"
	  "  ADDR as they were at step 0 (the trace does not record the guest's writes)",
	  "everything about one step: registers, blocks, exit, events, instruction, arrival evidence" },
	{ "export", cmd_export, "FILE|- --format perfetto|csv [-o OUT|-] [--symbols ELF]\n"
	  "  perfetto: Chrome JSON trace events (ui.perfetto.dev, chrome://tracing): a track per vCPU\n"
	  "  with a slice per exit, instants for injections and arrivals, a track of kernel events;\n"
	  "  the time axis is the step number (1 step = 1 us), traces carry no time.\n"
	  "  csv: one row per step: step,vcpu,vcpu_step,rip,symbol,insn,exit,exit_detail,events",
	  "the trace for other tools: Perfetto / chrome://tracing JSON, or CSV" },
	{ "scenarios", cmd_scenarios, "[--json]", "the built-in guests (the names record takes as a scenario)" },
};

static const struct xt_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: exitrace COMMAND [ARGS]\n\n"
		   "Record a guest's every KVM exit, replay and diff the traces.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %.*s\n", commands[i].name,
			(int)strcspn(commands[i].summary, "\n"), commands[i].summary);	/* its first line */
	fprintf(f, "\n'exitrace COMMAND --help' or 'exitrace help COMMAND' shows a command's options.\n"
		   "A trace FILE may be - (standard input) or a pipe; -o - writes a trace to standard output.\n"
		   "--json prints exitrace-json/1 (docs/json.md, docs/exitrace-json.schema.json).\n"
		   "diff, dump and show colour and page their text on a terminal: --color=auto|always|never,\n"
		   "NO_COLOR, --no-pager, EXITRACE_PAGER or PAGER (default 'less -FRX'; '' or cat: none).\n"
		   "Exit status: 0 success/identical, 1 differences found, 2 usage, I/O or format error;\n"
		   "record: the guest's isa-debug-exit status when it used one.\n");
}

void cli_print_usage(FILE *f, const char *cmd)
{
	const struct xt_command *c = find_command(cmd);
	if (c) {
		fprintf(f, "usage: exitrace %s %s\n  %s\n", c->name, c->args, c->summary);
		const char *options = help_options(c->name);
		if (options)
			fprintf(f, "\n%s", options);
	}
}

/*
 * A message is one line whatever it quotes (a name from a trace in the
 * library's error, a file name): its controls and newlines are escaped.
 */
static void print_message(const char *cmd, const char *fmt, va_list ap)
{
	char msg[1024], esc[4096];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	text_esc_mem(esc, sizeof(esc), msg, n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, 0);
	fprintf(stderr, "exitrace %s: %s\n", cmd, esc);
}

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_message(cmd, fmt, ap);
	va_end(ap);
	return XT_EXIT_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_message(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "try 'exitrace %s --help'\n", cmd);
	return XT_EXIT_ERROR;
}

bool cli_parse_u64(const char *s, uint64_t *v)
{
	const char *end;
	uint64_t x;
	if (!rec_parse_u64(s, &end, &x) || *end)
		return false;
	*v = x;
	return true;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v, mul = 1;
	if (!rec_parse_u64(s, &end, &v))
		return false;
	if (!strcasecmp(end, "k") || !strcasecmp(end, "kib"))
		mul = 1ull << 10;
	else if (!strcasecmp(end, "m") || !strcasecmp(end, "mib"))
		mul = 1ull << 20;
	else if (!strcasecmp(end, "g") || !strcasecmp(end, "gib"))
		mul = 1ull << 30;
	else if (*end)
		return false;
	if (v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

bool cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (!strcmp(a, "-") || !strcmp(b, "-"))
		return false;	/* standard input or output: a stream, not a name */
	bool ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
	if (ha && hb)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	/* neither exists yet: the same name will be the same new file */
	return !ha && !hb && !strcmp(a, b);
}

struct xt_reader *cli_open_trace(const char *cmd, const char *path)
{
	struct xt_reader *r;
	struct xt_error err = { 0 };
	if (xt_reader_open(&r, path, &err) < 0) {
		cli_error(cmd, "%s", err.msg);
		return NULL;
	}
	return r;
}

const char *cli_seekable_input(const char *cmd, const char *path, char *buf, size_t size)
{
	struct stat st;
	if (strcmp(path, "-") && stat(path, &st) == 0 && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) &&
	    !S_ISCHR(st.st_mode))
		return path;	/* a file (or something the reader will refuse by name) */
	struct xt_error err = { 0 };
	uint64_t n;
	int fd = xt_input_open(path, &n, &err);
	if (fd < 0) {
		cli_error(cmd, "%s", err.msg);
		return NULL;
	}
	/* the copy lives as long as this process holds it: every reader opens it by this name */
	snprintf(buf, size, "/dev/fd/%d", fd);
	return buf;
}

void cli_warn_inconsistent(const char *cmd, const char *path, const struct xt_reader *r)
{
	const struct xt_error *inc = xt_reader_inconsistency(r);
	char p[512], m[512];
	if (inc)
		fprintf(stderr, "exitrace %s: warning: %s: %s; shown as the data holds it\n", cmd,
			text_esc(p, sizeof(p), path), text_esc(m, sizeof(m), inc->msg));
}

bool cli_parse_vcpu(const char *cmd, const char *s, uint64_t *vcpu)
{
	if (cli_parse_u64(s, vcpu) && *vcpu != CLI_ALL_VCPUS)
		return true;
	cli_usage_error(cmd, "--vcpu needs a vCPU number, not '%s'", s);
	return false;
}

bool cli_check_vcpu(const char *cmd, const struct xt_reader *r, uint64_t vcpu)
{
	uint32_t n = xt_reader_header(r)->vm.n_vcpus;
	if (vcpu == CLI_ALL_VCPUS || vcpu < n)
		return true;
	if (n == 1)
		cli_usage_error(cmd, "--vcpu %" PRIu64 ": the trace has one vCPU, vCPU 0", vcpu);
	else
		cli_usage_error(cmd, "--vcpu %" PRIu64 ": the trace has %u vCPUs, 0 to %u", vcpu, n, n - 1);
	return false;
}

struct sigaction cli_old_xfsz;

static int dispatch(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return XT_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		/* exitrace help CMD: what CMD --help says */
		if (!find_command(argv[2])) {
			fprintf(stderr, "exitrace: no command '%s'\n", argv[2]);
			usage(stderr);
			return XT_EXIT_ERROR;
		}
		cli_print_usage(stdout, argv[2]);
		return XT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return XT_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("exitrace %s (trace format %d.%d)\n", xt_version(), XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
		return XT_EXIT_OK;
	}
	const struct xt_command *c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "exitrace: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return XT_EXIT_ERROR;
	}
	return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	/*
	 * A file-size limit (ulimit -f) is a write error like a full disk: each
	 * command says so and keeps what it wrote, where SIGXFSZ killed replay
	 * -o, export and dump > FILE without a word.  record -- COMMAND gives
	 * COMMAND the default back.
	 */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigemptyset(&ign.sa_mask);
	sigaction(SIGXFSZ, &ign, &cli_old_xfsz);
	int rc = dispatch(argc, argv);
	/*
	 * What any command printed must have reached stdout: info, stat, check,
	 * help and --version ended 0 with nothing written on a full disk.
	 * Exit statuses are the command's (record: the guest's) unless then.
	 */
	errno = 0;
	bool flush_failed = fflush(stdout) != 0;
	int e = errno;
	if (flush_failed || ferror(stdout)) {
		if (rc != XT_EXIT_ERROR)
			fprintf(stderr, "exitrace: writing the output failed%s%s\n", e ? ": " : "", e ? strerror(e) : "");
		rc = XT_EXIT_ERROR;
	}
	return rc;
}
