// SPDX-License-Identifier: MIT
/*
 * exitrace diff: why does this guest behave differently there?  The header
 * differences first (one line per group), then each divergence as a hunk
 * with its cause and context, like diff -U, then how both traces ended.
 * With several vCPUs: a section per vCPU (its steps against the same
 * vCPU's in the other trace), then what differs in the global order.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "term.h"
#include "diff.h"
#include "diff_render.h"
#include "guest_code.h"
#include "page_walk.h"
#include "step_filter.h"
#include "text_escape.h"

static void print_header_text(FILE *o, const struct xd_hdiffs *d)
{
	static const char *const group_names[XD_NGROUPS] = {
		[XD_GROUP_HOST] = "hosts differ", [XD_GROUP_VM] = "vm config differs",
		[XD_GROUP_IMAGE] = "guest image differs", [XD_GROUP_STATE] = "initial state differs",
		[XD_GROUP_TRACE] = "traces differ",
	};
	for (uint32_t g = 0; g < XD_NGROUPS; g++) {
		const char *sep = ": ";
		for (size_t i = 0; i < d->n; i++) {
			const struct xd_hdiff *h = &d->v[i];
			if (h->group != g)
				continue;
			if (*sep == ':')
				fputs(group_names[g], o);
			char what[4 * sizeof(h->what)], a[4 * sizeof(h->a)], b[4 * sizeof(h->b)];
			fprintf(o, "%s%s %s (A) vs %s (B)", sep, text_esc(what, sizeof(what), h->what),
				text_esc(a, sizeof(a), h->a), text_esc(b, sizeof(b), h->b));
			sep = "; ";
		}
		if (*sep == ';')
			fputc('\n', o);
	}
}

struct text_ctx {
	FILE *o;
	struct guest_code *g[2];
	const struct step_filter *filter;
	unsigned shown, hidden;		/* hunks printed, and left out by the filters */
};

/*
 * With filters a hunk is printed when one of its differing steps, in A or
 * in B, passes them all (its exit, its RIP, an event of the kind asked
 * for); the walk, the summary and the exit status still count every hunk.
 */
static bool hunk_passes(const struct step_filter *f, const struct xd_hunk *h)
{
	if (!step_filter_active(f))
		return true;
	for (size_t i = 0; i < h->n_lines; i++) {
		const struct xd_line *l = &h->lines[i];
		if (l->kind != XD_LINE_DIFF)
			continue;
		const struct xd_view *v[2] = { &l->a, &l->b };
		for (int k = 0; k < 2; k++)
			if (v[k]->state && step_filter_state(f, v[k]->state, gmem_code_linear(v[k]->state),
							     v[k]->events, v[k]->n_events))
				return true;
	}
	return false;
}

static void on_hunk_text(void *arg, const struct xd_hunk *h)
{
	struct text_ctx *t = arg;
	if (!hunk_passes(t->filter, h)) {
		t->hidden++;
		return;
	}
	t->shown++;
	render_hunk_text(t->o, t->g, h);
}

static void on_hunk_json(void *arg, const struct xd_hunk *h)
{
	struct text_ctx *t = arg;
	if (!hunk_passes(t->filter, h)) {
		t->hidden++;
		return;
	}
	if (t->shown++)
		fputc(',', t->o);
	render_hunk_json(t->o, t->g, h);
}

/*
 * Each trace's code (initial memory, ELF symbols) for the instructions the
 * hunks show; the diff engine has its own readers and needs none of it.
 * --vcpu N must name a vCPU of both traces.
 */
static int open_code(struct guest_code **g, const char *path, const char *symbols, uint64_t vcpu)
{
	char msg[512];
	struct xt_reader *r = cli_open_trace("diff", path);
	if (!r)
		return -1;
	if (!cli_check_vcpu("diff", r, vcpu)) {
		xt_reader_close(r);
		return -1;
	}
	int rc = guest_code_open(g, r, symbols, msg, sizeof(msg));
	xt_reader_close(r);
	if (rc < 0)
		cli_error("diff", "%s", msg);
	return rc;
}

/*
 * Several vCPUs: walk each vCPU both traces have (or only --vcpu's), each
 * a section ending with its own summary line, then the global order, then
 * how the traces ended.  Returns the exit status.
 */
static int diff_vcpus(struct xd_diff *d, const char *const at[2], uint64_t vcpu, bool json,
		      struct text_ctx *t)
{
	struct diff_totals tot;
	memset(&tot, 0, sizeof(tot));
	tot.n_vcpus[0] = xd_header(d, XD_A)->vm.n_vcpus;
	tot.n_vcpus[1] = xd_header(d, XD_B)->vm.n_vcpus;
	tot.only_one = vcpu != CLI_ALL_VCPUS;
	uint32_t from = tot.only_one ? (uint32_t)vcpu : 0;
	uint32_t to = tot.only_one ? (uint32_t)vcpu + 1 : xd_common_vcpus(d);
	for (uint32_t v = from; v < to; v++) {
		struct xd_summary s;
		if (json)
			render_json_vcpu_begin(t->o, v == from, v);
		t->shown = 0;	/* JSON: the commas between hunks, per vCPU */
		int rc = xd_run_vcpu(d, v, json ? on_hunk_json : on_hunk_text, t, &s);
		if (rc < 0) {
			fflush(t->o);
			return cli_error("diff", "vCPU %u: %s", v, xd_error(d)->msg);
		}
		if (json)
			render_json_vcpu_end(t->o, &s);
		else
			render_vcpu_summary_text(t->o, &s);
		diff_totals_add(&tot, &s);
	}
	struct xd_order order;
	struct xt_error err = { 0 };
	if (xd_compare_order(at[0], at[1], tot.only_one ? (int32_t)vcpu : -1, &order, &err) < 0) {
		fflush(t->o);
		return cli_error("diff", "comparing the global order: %s", err.msg);
	}
	tot.order = &order;
	tot.ends_differ = xd_ends_differ(d);
	for (int i = 0; i < 2; i++) {
		tot.t[i].footer = xd_footer(d, i ? XD_B : XD_A);
		tot.t[i].truncated = !tot.t[i].footer;
	}
	if (json) {
		render_json_end_vcpus(t->o, &tot);
	} else {
		render_order_text(t->o, &order);
		render_totals_text(t->o, &tot);
	}
	int status = diff_totals_identical(&tot) ? XT_EXIT_OK : XT_EXIT_DIFFERENT;
	xd_order_free(&order);
	return status;
}

int cmd_diff(int argc, char **argv)
{
	enum { O_CONTEXT = 256, O_IGNORE, O_JSON, O_MAX_HUNKS, O_FIRST, O_WINDOW, O_SYMBOLS, O_EXIT, O_EVENT,
	       O_RIP, O_VCPU , O_COLOR, O_NO_PAGER };
	static const struct option opts[] = {
		{ "context", required_argument, NULL, O_CONTEXT },
		{ "ignore", required_argument, NULL, O_IGNORE },
		{ "json", no_argument, NULL, O_JSON },
		{ "max-hunks", required_argument, NULL, O_MAX_HUNKS },
		{ "first", no_argument, NULL, O_FIRST },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "symbols", required_argument, NULL, O_SYMBOLS },
		{ "exit", required_argument, NULL, O_EXIT },
		{ "event", required_argument, NULL, O_EVENT },
		{ "rip", required_argument, NULL, O_RIP },
		{ "vcpu", required_argument, NULL, O_VCPU },
		{ "color", optional_argument, NULL, O_COLOR },
		{ "no-pager", no_argument, NULL, O_NO_PAGER },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xd_options xo;
	xd_options_init(&xo);
	bool json = false;
	const char *symbols[2] = { NULL, NULL };	/* --symbols FILE for both, or A's then B's */
	unsigned n_symbols = 0;
	struct step_filter filter;
	step_filter_init(&filter);
	uint64_t v, vcpu = CLI_ALL_VCPUS;
	char msg[512];
	int c;
	opterr = 0;
	struct term_options term = { 0 };
	while ((c = getopt_long(argc, argv, ":hC:", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
		case O_CONTEXT:
			if (!cli_parse_u64(optarg, &v) || v > 1000)
				return cli_usage_error("diff", "--context needs a number of steps (0-1000), not '%s'",
						       optarg);
			xo.context = (unsigned)v;
			break;
		case O_IGNORE:
			if (xd_ignore_parse(&xo, optarg, msg, sizeof(msg)) < 0)
				return cli_usage_error("diff", "%s", msg);
			break;
		case O_JSON: json = true; break;
		case O_MAX_HUNKS:
			if (!cli_parse_u64(optarg, &v) || v > 1000000)
				return cli_usage_error("diff", "--max-hunks needs a number (0: no limit), not '%s'",
						       optarg);
			xo.max_hunks = (unsigned)v;
			break;
		case O_FIRST: xo.first = true; break;
		case O_VCPU:
			if (!cli_parse_vcpu("diff", optarg, &vcpu))
				return XT_EXIT_ERROR;
			break;
		case O_EXIT:
			if (!step_filter_exits(&filter, optarg, msg, sizeof(msg)))
				return cli_usage_error("diff", "%s", msg);
			break;
		case O_EVENT:
			if (!step_filter_events(&filter, optarg, msg, sizeof(msg)))
				return cli_usage_error("diff", "%s", msg);
			break;
		case O_RIP:
			if (!step_filter_rip(&filter, optarg, msg, sizeof(msg)))
				return cli_usage_error("diff", "%s", msg);
			break;
		case O_SYMBOLS:
			if (n_symbols == 2)
				return cli_usage_error("diff", "--symbols at most twice: A's, then B's");
			symbols[1] = optarg;	/* one: both traces' */
			if (!n_symbols++)
				symbols[0] = optarg;
			break;
		case O_WINDOW:
			if (!cli_parse_u64(optarg, &v) || !v || v > 100000000)
				return cli_usage_error("diff", "--window needs a positive number of steps, not '%s'",
						       optarg);
			xo.window = v;
			break;
		case O_COLOR:
			if (!term_parse_color("diff", optarg, &term.color))
				return XT_EXIT_ERROR;
			break;
		case O_NO_PAGER: term.no_pager = true; break;
		case 'h': cli_print_usage(stdout, "diff"); return XT_EXIT_OK;
		case ':': return cli_usage_error("diff", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("diff", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 2 != argc)
		return cli_usage_error("diff", "expected two trace files, A and B");
	const char *path[2] = { argv[optind], argv[optind + 1] };
	if (!strcmp(path[0], "-") && !strcmp(path[1], "-"))
		return cli_usage_error("diff", "only one of A and B can be standard input ('-')");
	/* the engine reads each trace more than once: a stream is copied to a file first */
	char spool[2][32];
	const char *at[2];
	for (int i = 0; i < 2; i++)
		if (!(at[i] = cli_seekable_input("diff", path[i], spool[i], sizeof(spool[i]))))
			return XT_EXIT_ERROR;

	struct xd_diff *d;
	struct xt_error err = { 0 };
	if (xd_open(&d, at[0], at[1], &xo, &err) < 0)
		return cli_error("diff", "%s", err.msg);
	struct text_ctx t = { stdout, { NULL, NULL }, &filter, 0, 0 };
	for (int i = 0; i < 2; i++) {
		if (open_code(&t.g[i], at[i], symbols[i], vcpu) < 0) {
			guest_code_close(t.g[0]);
			xd_close(d);
			return XT_EXIT_ERROR;
		}
	}
	/* --rip SYMBOL: A's symbols name it */
	if (!step_filter_resolve(&filter, guest_code_symbols(t.g[0]), msg, sizeof(msg))) {
		for (int i = 0; i < 2; i++)
			guest_code_close(t.g[i]);
		xd_close(d);
		return cli_error("diff", "%s", msg);
	}
	struct xd_hdiffs hd;
	if (xd_compare_headers(xd_header(d, XD_A), xd_header(d, XD_B), &xo, &hd) < 0) {
		for (int i = 0; i < 2; i++)
			guest_code_close(t.g[i]);
		xd_close(d);
		return cli_error("diff", "out of memory");
	}
	term_start(&term, TERM_STYLE_DIFF, json);
	t.o = stdout;	/* colouring may have put a stream in front of it */
	if (json && xd_per_vcpu(d))
		render_json_begin_vcpus(t.o, path, &hd);
	else if (json)
		render_json_begin(t.o, path, &hd);
	else
		print_header_text(t.o, &hd);
	fflush(t.o);

	int status;
	if (xd_per_vcpu(d)) {
		status = diff_vcpus(d, at, vcpu, json, &t);
	} else {
		struct xd_summary s;
		int rc = xd_run(d, json ? on_hunk_json : on_hunk_text, &t, &s);
		if (rc < 0) {
			fflush(t.o);
			status = cli_error("diff", "%s", xd_error(d)->msg);
		} else {
			if (json)
				render_json_end(t.o, &s);
			else
				render_summary_text(t.o, &s);
			status = xd_identical(&s) ? XT_EXIT_OK : XT_EXIT_DIFFERENT;
		}
	}
	if (status != XT_EXIT_ERROR && !json && t.hidden)
		fprintf(t.o, "%u hunk%s not shown: no differing step in %s passes --exit, --event and --rip\n",
			t.hidden, t.hidden == 1 ? "" : "s", t.hidden == 1 ? "it" : "them");
	if (fflush(t.o) != 0 || ferror(t.o))
		status = cli_error("diff", "writing the output failed");
	for (int i = 0; i < 2; i++) {
		const struct xt_error *inc = xd_inconsistency(d, i ? XD_B : XD_A);
		if (inc)
			fprintf(stderr, "exitrace diff: warning: %s: %s; compared as the data holds it\n",
				path[i], inc->msg);
	}
	xd_hdiffs_free(&hd);
	for (int i = 0; i < 2; i++)
		guest_code_close(t.g[i]);
	xd_close(d);
	return status;
}
