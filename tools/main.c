// SPDX-License-Identifier: MIT
/* exitrace: one binary, git-style subcommands from a table. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text_escape.h"

static const struct xt_command commands[] = {
	{ "record", cmd_record,
	  "[GUEST | --scenario NAME] -o FILE [--mode real|prot|long] [--load ADDR] [--entry ADDR]\n"
	  "       [--mem SIZE] [--no-step] [--block-irq] [--irqchip none|kernel|split]\n"
	  "       [--irq VECTOR@STEP|VECTOR@io:PORT|nmi@STEP ...] [--max-steps N] [--timeout SEC]\n"
	  "       [--capture lapic,debugregs,fpu,stats|all] [--ktrace] [--idt|--no-idt] [--sw-bp]\n"
	  "       [--hw-bp ADDR|SYMBOL[:x|w|rw[:LEN]] ...] [--console FILE] [--quiet] [--one-thread]\n"
	  "       [--append ARGS | --cmdline LINE] [--module FILE[,STRING] ...] [--initrd FILE]\n"
	  "       [--legacy-pc|--no-legacy-pc]\n"
	  "  multiboot: the kernel's command line is 'GUEST ARGS' as boot loaders write it (--cmdline:\n"
	  "  the whole line); modules are put page-aligned above the kernel and 1 MiB, in order\n"
	  "  legacy PC (default for real-mode guests and multiboot kernels with --irqchip kernel):\n"
	  "  the PIT ticking at 18.2 Hz, the PICs at vectors 0x08/0x70, a real-mode IVT whose IRQ\n"
	  "  handlers send an EOI",
	  "run a guest under KVM single-step and write every exit to a trace\n"
	  "  exit status: the guest's isa-debug-exit status (((value << 1) | 1) & 0xff) if it used one,\n"
	  "  else 0; 2 when exitrace itself failed" },
	{ "replay", cmd_replay, "FILE [-o NEW] [--context N] [--quiet]",
	  "re-run a trace on this host and stop at the first step that differs" },
	{ "check", cmd_check, "DIR|FILE...", "replay an archive of traces (*.xtr in a directory); TAP output" },
	{ "info", cmd_info, "FILE [--vcpu N] [--json] [--verify]",
	  "header, host and footer (--verify: checked against every frame); says \"truncated\" when it is" },
	{ "diff", cmd_diff,
	  "A B [--context N] [--ignore FIELD,...] [--max-hunks N] [--first] [--window N] [--json]",
	  "align two traces and explain every divergence" },
	{ "dump", cmd_dump, "FILE [--from N] [--to N] [--vcpu N] [--json]", "one line per exit, with events" },
	{ "stat", cmd_stat, "FILE [--vcpu N] [--json]", "exit-reason histogram, IRQs, hottest RIPs" },
	{ "scenarios", cmd_scenarios, "", "the built-in guests (record one with --scenario NAME)" },
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
	fprintf(f, "\n'exitrace COMMAND --help' shows a command's options.\n"
		   "Exit status: 0 success/identical, 1 differences found, 2 usage, I/O or format error;\n"
		   "record: the guest's isa-debug-exit status when it used one.\n");
}

void cli_print_usage(FILE *f, const char *cmd)
{
	const struct xt_command *c = find_command(cmd);
	if (c)
		fprintf(f, "usage: exitrace %s %s\n  %s\n", c->name, c->args, c->summary);
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
	char *end;
	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return XT_EXIT_ERROR;
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
