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
#include <sys/wait.h>
#include <unistd.h>

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

/* What one trace's replay came to, for the exit status. */
enum verdict { V_OK, V_DIVERGED, V_FAILED, V_STOPPED };

struct check_opts {
	bool quiet;		/* only the TAP lines */
	bool json;
};

/* Replay trace number i (from 1) and print its TAP lines (or JSON object) to o. */
static enum verdict check_one(FILE *o, size_t i, const char *path, const struct check_opts *co)
{
	/* a file's name, like every string from a trace, cannot start a TAP line of its own */
	char name_esc[1024], msg[4 * sizeof(((struct xt_error *)0)->msg)];
	const char *name = text_esc(name_esc, sizeof(name_esc), base_name(path));
	struct replay_options opt = { .path = path };
	struct replay_result res;
	char what[600], end[400];
	enum verdict v;
	int rc = replay_run(&opt, &res);
	if (co->json) {
		fputs(i > 1 ? ",{" : "{", o);
		/* report_json_body starts with a comma: the object's first key is its index */
		fprintf(o, "\"index\":%zu", i);
		report_json_body(o, path, rc, &res);
		fputc('}', o);
		v = rc < 0 ? V_FAILED : res.outcome == REPLAY_IDENTICAL ? V_OK :
		    res.outcome == REPLAY_DIVERGED ? V_DIVERGED : V_STOPPED;
		replay_result_free(&res);
		return v;
	}
	if (rc < 0) {
		fprintf(o, "not ok %zu - %s: cannot replay: %s\n", i, name, text_esc(msg, sizeof(msg), res.err.msg));
		v = V_FAILED;
	} else if (res.outcome == REPLAY_IDENTICAL) {
		fprintf(o, "ok %zu - %s: %" PRIu64 " steps identical%s", i, name, res.steps,
			res.truncated ? " (truncated trace: the recorder did not finish)" : "");
		if (res.undefined_flags_fed)
			fprintf(o, " (%" PRIu64 " with undefined RFLAGS bits taken from the recording)",
				res.undefined_flags_fed);
		fprintf(o, "\n");
		v = V_OK;
	} else if (res.outcome == REPLAY_DIVERGED) {
		report_fields_short(what, sizeof(what), res.div, 3);
		if (res.div->step)
			fprintf(o, "not ok %zu - %s: diverged at step %" PRIu64 ": %s\n", i, name, res.div->step,
				what);
		else
			fprintf(o, "not ok %zu - %s: diverged before the first step: %s\n", i, name, what);
		v = V_DIVERGED;
	} else {
		fprintf(o, "not ok %zu - %s: stopped by signal %d\n", i, name, res.signal);
		fprintf(o, "Bail out! interrupted\n");
		replay_result_free(&res);
		return V_STOPPED;
	}
	if (!co->quiet && res.hosts.n) {
		fprintf(o, "# %s was recorded on another host:\n", name);
		report_hosts(o, "#   ", &res.hosts, HOST_ITEMS_SHOWN);
	}
	if (!co->quiet && res.outcome == REPLAY_IDENTICAL && !res.truncated)
		fprintf(o, "#   %s\n", report_end(end, sizeof(end), &res));
	replay_result_free(&res);
	return v;
}

/* Copy what a worker wrote to f (rewound) to standard output. */
static void emit(FILE *f)
{
	char buf[8192];
	size_t n;
	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	fflush(stdout);
}

struct job {
	pid_t pid;		/* 0: not started or reaped */
	FILE *out;		/* its output, printed in the traces' order */
	enum verdict v;
	bool done;
};

/*
 * Several traces at once: each replay in a child process of its own (a VM
 * each; replay's signal handling stays per process), its output into a
 * temporary file that is printed when every trace before it has been, so
 * the output is the serial run's, line for line.
 */
struct tally {
	size_t verdicts[V_STOPPED + 1];
};

static int run_parallel(const struct trace_list *l, unsigned jobs, const struct check_opts *co,
			struct tally *t)
{
	struct job *j = calloc(l->n, sizeof(*j));
	if (!j)
		return -ENOMEM;
	size_t next = 0, printed = 0, running = 0;
	bool stop = false;
	while (printed < l->n) {
		while (!stop && next < l->n && running < jobs) {
			struct job *n = &j[next];
			fflush(stdout);
			if (!(n->out = tmpfile())) {
				stop = true;
				break;
			}
			pid_t pid = fork();
			if (pid == 0) {
				enum verdict v = check_one(n->out, next + 1, l->paths[next], co);
				fflush(n->out);
				_exit((int)v);
			}
			if (pid < 0) {
				fclose(n->out);
				n->out = NULL;
				stop = true;
				break;
			}
			n->pid = pid;
			next++;
			running++;
		}
		if (!running)
			break;
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (size_t k = 0; k < next; k++) {
			if (j[k].pid != pid)
				continue;
			j[k].pid = 0;
			j[k].done = true;
			j[k].v = WIFEXITED(status) && WEXITSTATUS(status) <= V_STOPPED ? (enum verdict)WEXITSTATUS(status)
										  : V_FAILED;
			running--;
		}
		while (printed < next && j[printed].done) {
			struct job *p = &j[printed++];
			if (p->v == V_FAILED && ftell(p->out) == 0) {
				/* the worker died before it wrote a word: say so in its place */
				fprintf(p->out, co->json ? "%s{\"index\":%zu,\"file\":\"\",\"outcome\":\"error\",\"steps\":0,"
							   "\"error\":\"the replay process died\"}"
							 : "%snot ok %zu - the replay process died\n",
					co->json && printed > 1 ? "," : "", printed);
			}
			emit(p->out);
			p->out = NULL;
			t->verdicts[p->v]++;
			if (p->v == V_STOPPED)
				stop = true;
		}
	}
	for (size_t k = 0; k < l->n; k++)
		if (j[k].out)
			fclose(j[k].out);
	free(j);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct check_opts co = { 0 };
	uint64_t jobs = 1;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qj:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': co.quiet = true; break;
		case 'J': co.json = true; break;
		case 'j':
			if (!cli_parse_u64(optarg, &jobs) || jobs < 1 || jobs > 256)
				return cli_usage_error("check", "--jobs is 1 to 256 replays at once, not '%s'", optarg);
			break;
		case 'h': cli_print_usage(stdout, "check"); return XT_EXIT_OK;
		case ':': return cli_usage_error("check", "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("check", "expected trace files or directories");
	struct trace_list l = { 0 };
	for (int i = optind; i < argc; i++) {
		/* "-": one trace on standard input (a directory is not looked for) */
		if ((strcmp(argv[i], "-") ? collect(&l, argv[i]) : add_path(&l, "-")) < 0) {
			cli_error("check", "out of memory");
			return XT_EXIT_ERROR;
		}
	}
	if (!l.n) {
		if (co.json) {
			json_top(stdout, "check");
			fputs(",\"traces\":[],\"summary\":{\"total\":0,\"identical\":0,\"diverged\":0,\"failed\":0}}\n",
			      stdout);
		} else {
			printf("1..0 # SKIP no *.xtr traces in");
			for (int i = optind; i < argc; i++)
				printf(" %s", argv[i]);
			printf("\n");
		}
		free(l.paths);
		return cli_error("check", "no traces to check");
	}

	if (co.json) {
		json_top(stdout, "check");
		fputs(",\"traces\":[", stdout);
	} else {
		printf("1..%zu\n", l.n);
	}
	fflush(stdout);
	struct tally t = { 0 };
	bool oom = false;
	if (jobs > 1 && l.n > 1) {
		oom = run_parallel(&l, (unsigned)jobs, &co, &t) < 0;
	} else {
		for (size_t i = 0; i < l.n; i++) {
			enum verdict v = check_one(stdout, i + 1, l.paths[i], &co);
			fflush(stdout);
			t.verdicts[v]++;
			if (v == V_STOPPED)
				break;
		}
	}
	if (co.json)
		printf("],\"summary\":{\"total\":%zu,\"identical\":%zu,\"diverged\":%zu,\"failed\":%zu}}\n",
		       l.n, t.verdicts[V_OK], t.verdicts[V_DIVERGED], t.verdicts[V_FAILED] + t.verdicts[V_STOPPED]);
	if (oom) {
		fflush(stdout);
		cli_error("check", "out of memory");
	}
	bool failed = oom || t.verdicts[V_FAILED] || t.verdicts[V_STOPPED], diverged = t.verdicts[V_DIVERGED];
	for (size_t k = 0; k < l.n; k++)
		free(l.paths[k]);
	free(l.paths);
	if (fflush(stdout) != 0)
		return cli_error("check", "writing the output failed");
	return failed ? XT_EXIT_ERROR : diverged ? XT_EXIT_DIFFERENT : XT_EXIT_OK;
}
