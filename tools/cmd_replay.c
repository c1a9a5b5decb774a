// SPDX-License-Identifier: MIT
/* exitrace replay: re-run a trace on this host and stop at the first step that differs. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "gdb_server.h"
#include "rec_util.h"
#include "replay_report.h"

#define CHECKPOINT_EVERY 1000
#define CHECKPOINT_MEM (256ull << 20)

#define HOST_ITEMS_SHOWN 10

static void show_progress(void *ctx, uint64_t step, uint64_t total, double seconds)
{
	bool *shown = ctx;
	*shown = true;
	if (total)
		fprintf(stderr, "\r  %" PRIu64 " / %" PRIu64 " steps, %.0f steps/s  ", step, total,
			seconds > 0 ? (double)step / seconds : 0.0);
	else
		fprintf(stderr, "\r  %" PRIu64 " steps, %.0f steps/s  ", step,
			seconds > 0 ? (double)step / seconds : 0.0);
}

static void print_speed(FILE *out, const struct replay_result *res)
{
	double rate = res->seconds > 0 ? (double)res->steps / res->seconds : 0.0;
	char own[64];
	fmt_own_time(own, sizeof(own), &res->own);
	fprintf(out, "  %.3f s, %.0f steps/s%s", res->seconds, rate, own);
	if (res->record_seconds > 0 && res->recorded_steps)
		fprintf(out, " (recording: %.3f s, %.0f steps/s)", res->record_seconds,
		       (double)res->recorded_steps / res->record_seconds);
	fprintf(out, "; fed back %" PRIu64 " injections, %" PRIu64 " instruction results",
	       res->injections, res->inputs_fed);
	if (res->mp_changes)
		fprintf(out, ", %" PRIu64 " vCPU starts by SIPI", res->mp_changes);
	if (res->intr_steps)
		fprintf(out, ", %" PRIu64 " interrupted runs (KVM_EXIT_INTR, replayed with immediate_exit)",
		       res->intr_steps);
	fprintf(out, "\n");
}

static int serve_gdb(struct gdb_server_options *g)
{
	struct xt_error err = { 0 };
	if (gdb_serve(g, &err))
		return cli_error("replay", "%s", err.msg);
	return XT_EXIT_OK;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "context", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "gdb", required_argument, NULL, 'g' },
		{ "gdb-unix", required_argument, NULL, 'u' },
		{ "checkpoint-every", required_argument, NULL, 'K' },
		{ "checkpoint-mem", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct replay_options o = { .context = 3 };
	struct gdb_server_options g = { .replay = &o, .checkpoint_every = CHECKPOINT_EVERY,
					.checkpoint_mem = CHECKPOINT_MEM, .log = stderr };
	bool quiet = false, shown = false, json = false, gdb_opts = false;
	uint64_t ctx;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:C:qg:u:K:M:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'C':
			if (!cli_parse_u64(optarg, &ctx) || ctx > REPLAY_CONTEXT_MAX)
				return cli_usage_error("replay", "--context is 0 to %d steps, not '%s'",
						       REPLAY_CONTEXT_MAX, optarg);
			o.context = (unsigned)ctx;
			break;
		case 'q': quiet = true; break;
		case 'j': json = true; break;
		case 'g': g.tcp = optarg; break;
		case 'u': g.unix_path = optarg; break;
		case 'K':
			if (!cli_parse_u64(optarg, &g.checkpoint_every) || !g.checkpoint_every)
				return cli_usage_error("replay", "--checkpoint-every is a number of steps above 0, not '%s'",
						       optarg);
			gdb_opts = true;
			break;
		case 'M':
			if (!cli_parse_size(optarg, &g.checkpoint_mem) || g.checkpoint_mem < (1u << 20))
				return cli_usage_error("replay", "--checkpoint-mem is 1M or more (K, M, G suffixes), not '%s'",
						       optarg);
			gdb_opts = true;
			break;
		case 'h': cli_print_usage(stdout, "replay"); return XT_EXIT_OK;
		case ':': return cli_usage_error("replay", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("replay", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("replay", "expected one trace file");
	o.path = argv[optind];
	if (g.tcp && g.unix_path)
		return cli_usage_error("replay", "--gdb and --gdb-unix: one or the other");
	if (g.tcp || g.unix_path) {
		if (o.output)
			return cli_usage_error("replay", "-o does not go with --gdb: a gdb session writes no trace");
		if (json)
			return cli_usage_error("replay", "--json does not go with --gdb: gdb is the interface");
		return serve_gdb(&g);
	}
	if (gdb_opts)
		return cli_usage_error("replay", "--checkpoint-every and --checkpoint-mem are for --gdb");
	if (o.output && cli_same_file(o.path, o.output))
		return cli_usage_error("replay", "-o %s would overwrite the trace being replayed", o.output);
	if (!quiet && isatty(STDERR_FILENO)) {
		o.progress = show_progress;
		o.progress_ctx = &shown;
	}

	/* with -o - the new trace is standard output: the report goes to standard error */
	FILE *out = o.output && !strcmp(o.output, "-") ? stderr : stdout;
	struct replay_result res;
	/*
	 * -o: a reader of the new trace that goes away is a write error, kept
	 * steps counted, as for record -o (a file-size limit is, for every
	 * command: main() ignores SIGXFSZ).
	 */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigemptyset(&ign.sa_mask);
	if (o.output)
		sigaction(SIGPIPE, &ign, &old_pipe);
	int rc = replay_run(&o, &res);
	if (o.output)
		sigaction(SIGPIPE, &old_pipe, NULL);
	if (shown)
		fputc('\n', stderr);
	if (json) {
		json_top(out, "replay");
		report_json_body(out, o.path, rc, &res);
		if (rc >= 0 && o.output) {
			fputs(",\"output\":", out);
			json_str(out, o.output);
			fprintf(out, ",\"output_bytes\":%" PRIu64, res.output_bytes);
		}
		fputs("}\n", out);
		int st = rc < 0 || res.outcome == REPLAY_STOPPED ? XT_EXIT_ERROR :
			 res.outcome == REPLAY_DIVERGED ? XT_EXIT_DIFFERENT : XT_EXIT_OK;
		if (rc < 0)
			cli_error("replay", "%s", res.err.msg);
		replay_result_free(&res);
		if (fflush(out) != 0)
			return cli_error("replay", "writing the output failed");
		return st;
	}
	if (rc < 0) {
		if (res.steps)
			cli_error("replay", "%s (after %" PRIu64 " identical steps)", res.err.msg, res.steps);
		else
			cli_error("replay", "%s", res.err.msg);
		replay_result_free(&res);
		return XT_EXIT_ERROR;
	}
	if (res.hosts.n) {
		fprintf(stderr, "exitrace replay: warning: this host differs from the one that recorded %s; "
				"a divergence may come from that:\n", o.path);
		report_hosts(stderr, "  ", &res.hosts, HOST_ITEMS_SHOWN);
	}
	char end[400];
	int status = XT_EXIT_OK;
	switch (res.outcome) {
	case REPLAY_IDENTICAL:
		fprintf(out, "identical: %" PRIu64 " of %" PRIu64 " steps replayed the same; %s\n", res.steps,
		       res.recorded_steps, report_end(end, sizeof(end), &res));
		if (res.undefined_flags_fed)
			fprintf(out, "  %" PRIu64 " steps took the recording's RFLAGS bits that their instruction leaves "
			       "undefined (first at step %" PRIu64 "): this CPU sets them otherwise\n",
			       res.undefined_flags_fed, res.first_undefined_step);
		if (!quiet)
			print_speed(out, &res);
		break;
	case REPLAY_DIVERGED:
		report_divergence(out, &res);
		status = XT_EXIT_DIFFERENT;
		break;
	case REPLAY_STOPPED:
		fprintf(out, "stopped by signal %d after %" PRIu64 " of %" PRIu64 " steps, all identical so far\n",
		       res.signal, res.steps, res.recorded_steps);
		status = XT_EXIT_ERROR;
		break;
	}
	if (o.output)
		fprintf(out, "new trace: %s (%" PRIu64 " bytes)\n", o.output, res.output_bytes);
	replay_result_free(&res);
	if (fflush(out) != 0)
		return cli_error("replay", "writing the output failed");
	return status;
}
