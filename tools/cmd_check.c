// SPDX-License-Identifier: MIT
/*
 * exitrace check: replay an archive of traces, one TAP line each, so that
 * a new kernel or host can be held to the behaviour the archive recorded.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "replay_report.h"
#include "text_escape.h"

#define HOST_ITEMS_SHOWN 3

struct trace_list {
	char **paths;
	size_t n;
};

static int add_path(struct trace_list *l, const char *path)
{
	char **p = realloc(l->paths, (l->n + 1) * sizeof(*p));
	if (!p || !(p[l->n] = strdup(path)))
		return -ENOMEM;
	l->paths = p;
	l->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_trace_name(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && !strcmp(name + n - 4, ".xtr") && name[0] != '.';
}

/* A directory's *.xtr files, sorted; anything else is taken as a trace to try. */
static int collect(struct trace_list *l, const char *arg)
{
	struct stat st;
	if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
		return add_path(l, arg);
	DIR *d = opendir(arg);
	if (!d)
		return add_path(l, arg);	/* its replay will say why it cannot be read */
	size_t first = l->n;
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		if (!is_trace_name(e->d_name))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s%s%s", arg, arg[strlen(arg) - 1] == '/' ? "" : "/", e->d_name);
		rc = add_path(l, path);
	}
	closedir(d);
	if (l->n > first)
		qsort(l->paths + first, l->n - first, sizeof(*l->paths), by_name);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_usage(stdout, "check");
			return XT_EXIT_OK;
		}
		return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage_error("check", "expected trace files or directories");
	struct trace_list l = { 0 };
	for (int i = optind; i < argc; i++) {
		if (collect(&l, argv[i]) < 0) {
			cli_error("check", "out of memory");
			return XT_EXIT_ERROR;
		}
	}
	if (!l.n) {
		printf("1..0 # SKIP no *.xtr traces in");
		for (int i = optind; i < argc; i++)
			printf(" %s", argv[i]);
		printf("\n");
		free(l.paths);
		return cli_error("check", "no traces to check");
	}

	printf("1..%zu\n", l.n);
	fflush(stdout);
	bool diverged = false, failed = false;
	size_t i;
	for (i = 0; i < l.n; i++) {
		/* a file's name, like every string from a trace, cannot start a TAP line of its own */
		char name_esc[1024], msg[4 * sizeof(((struct xt_error *)0)->msg)];
		const char *name = text_esc(name_esc, sizeof(name_esc), base_name(l.paths[i]));
		struct replay_options o = { .path = l.paths[i] };
		struct replay_result res;
		char what[600], end[400];
		if (replay_run(&o, &res) < 0) {
			printf("not ok %zu - %s: cannot replay: %s\n", i + 1, name,
			       text_esc(msg, sizeof(msg), res.err.msg));
			failed = true;
		} else if (res.outcome == REPLAY_IDENTICAL) {
			printf("ok %zu - %s: %" PRIu64 " steps identical%s", i + 1, name, res.steps,
			       res.truncated ? " (truncated trace: the recorder did not finish)" : "");
			if (res.undefined_flags_fed)
				printf(" (%" PRIu64 " with undefined RFLAGS bits taken from the recording)",
				       res.undefined_flags_fed);
			printf("\n");
		} else if (res.outcome == REPLAY_DIVERGED) {
			report_fields_short(what, sizeof(what), res.div, 3);
			if (res.div->step)
				printf("not ok %zu - %s: diverged at step %" PRIu64 ": %s\n", i + 1, name,
				       res.div->step, what);
			else
				printf("not ok %zu - %s: diverged before the first step: %s\n", i + 1, name, what);
			diverged = true;
		} else {
			printf("not ok %zu - %s: stopped by signal %d\n", i + 1, name, res.signal);
			printf("Bail out! interrupted\n");
			replay_result_free(&res);
			failed = true;
			break;
		}
		if (res.hosts.n) {
			printf("# %s was recorded on another host:\n", name);
			report_hosts(stdout, "#   ", &res.hosts, HOST_ITEMS_SHOWN);
		}
		if (res.outcome == REPLAY_IDENTICAL && !res.truncated)
			printf("#   %s\n", report_end(end, sizeof(end), &res));
		replay_result_free(&res);
		fflush(stdout);
	}
	for (size_t k = 0; k < l.n; k++)
		free(l.paths[k]);
	free(l.paths);
	return failed ? XT_EXIT_ERROR : diverged ? XT_EXIT_DIFFERENT : XT_EXIT_OK;
}
