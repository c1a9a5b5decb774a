// SPDX-License-Identifier: MIT
/* Colour and a pager for standard output when it is a terminal (term.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "term.h"
#include "term_paint.h"

static struct {
	FILE *real;		/* the stdout that colouring writes to */
	term_painter paint;
	char *line;		/* a line not yet ended */
	size_t len, cap;
	pid_t pager;
} term;

bool term_parse_color(const char *cmd, const char *value, enum term_color *c)
{
	if (!value || !strcmp(value, "always"))
		*c = TERM_COLOR_ALWAYS;
	else if (!strcmp(value, "auto"))
		*c = TERM_COLOR_AUTO;
	else if (!strcmp(value, "never"))
		*c = TERM_COLOR_NEVER;
	else {
		cli_usage_error(cmd, "--color is auto, always or never, not '%s'", value);
		return false;
	}
	return true;
}

/* Lines are coloured whole: a piece of one waits for its end. */
static ssize_t paint_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t k = nl ? (size_t)(nl - (buf + i)) + 1 : n - i;
		if (term.len + k > term.cap) {
			size_t cap = term.cap ? term.cap : 4096;
			while (cap < term.len + k)
				cap *= 2;
			char *p = realloc(term.line, cap);
			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			term.line = p;
			term.cap = cap;
		}
		memcpy(term.line + term.len, buf + i, k);
		term.len += k;
		i += k;
		if (nl) {
			term.paint(term.real, term.line, term.len - 1);
			fputc('\n', term.real);
			term.len = 0;
		}
	}
	return ferror(term.real) ? -1 : (ssize_t)n;
}

static int paint_close(void *cookie)
{
	(void)cookie;
	if (term.len)
		term.paint(term.real, term.line, term.len);
	term.len = 0;
	return fflush(term.real);
}

static void term_finish(void)
{
	fflush(stdout);
	if (term.real) {
		fclose(stdout);	/* paints what is left, flushes the real stream */
		stdout = term.real;
		term.real = NULL;
		fflush(stdout);
	}
	if (term.pager > 0) {
		/* the pager sees the end of its input, then the user reads at leisure */
		fclose(stdout);
		close(STDOUT_FILENO);
		int st;
		while (waitpid(term.pager, &st, 0) < 0 && errno == EINTR)
			;
		term.pager = 0;
	}
	free(term.line);
}

static const char *pager_command(void)
{
	const char *p = getenv("EXITRACE_PAGER");
	if (!p)
		p = getenv("PAGER");
	if (!p)
		p = "less -FRX";
	if (!*p || !strcmp(p, "cat"))
		return NULL;
	return p;
}

static void start_pager(const char *cmd)
{
	int fds[2];
	if (pipe(fds) < 0)
		return;	/* no pager: the text goes to the terminal as it is */
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		/* as git: less quits when the text fits, shows colours, leaves the screen as it is */
		setenv("LESS", "FRX", 0);
		setenv("LV", "-c", 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	dup2(fds[1], STDOUT_FILENO);
	close(fds[0]);
	close(fds[1]);
	term.pager = pid;
}

void term_start(const struct term_options *o, enum term_style style, bool plain)
{
	bool tty = isatty(STDOUT_FILENO);
	const char *nc = getenv("NO_COLOR"), *t = getenv("TERM");
	bool color = !plain && (o->color == TERM_COLOR_ALWAYS ||
				(o->color == TERM_COLOR_AUTO && tty && !(nc && *nc) && !(t && !strcmp(t, "dumb"))));
	const char *pager = tty && !o->no_pager ? pager_command() : NULL;
	if (pager)
		start_pager(pager);
	if (color) {
		cookie_io_functions_t io = { .write = paint_write, .close = paint_close };
		FILE *f = fopencookie(NULL, "w", io);
		if (f) {
			setvbuf(f, NULL, _IOFBF, 1 << 16);
			term.real = stdout;
			term.paint = term_painter_for(style);
			stdout = f;
		}
	}
	if (pager || color)
		atexit(term_finish);
}
