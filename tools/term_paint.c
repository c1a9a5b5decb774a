// SPDX-License-Identifier: MIT
/*
 * Colour by line, from what the line says: diff's removed/added/resynced
 * lines and hunk headers, dump's events and changed fields, show's section
 * titles and changed fields; <symbol+offset> in any of them.  The text is
 * the same as without colour, SGR sequences around parts of it.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <string.h>

#include "term_paint.h"

#define RESET "\033[m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define CYAN "\033[36m"

static void whole(FILE *f, const char *sgr, const char *line, size_t len)
{
	fputs(sgr, f);
	fwrite(line, 1, len, f);
	fputs(RESET, f);
}

static bool starts(const char *line, size_t len, const char *with)
{
	size_t n = strlen(with);
	return len >= n && !memcmp(line, with, n);
}

static bool has(const char *line, size_t len, const char *what)
{
	return memmem(line, len, what, strlen(what)) != NULL;
}

/*
 * The line with <symbol> in cyan, "*field=value" (show's changed fields)
 * in yellow, and from " | " on (dump's changed fields) dim if tail_dim.
 */
static void tokens(FILE *f, const char *line, size_t len, bool tail_dim)
{
	size_t i = 0;
	while (i < len) {
		char c = line[i];
		if (tail_dim && c == ' ' && i + 2 < len && line[i + 1] == '|' && line[i + 2] == ' ') {
			whole(f, DIM, line + i, len - i);
			return;
		}
		if (c == '<') {
			const char *e = memchr(line + i, '>', len - i);
			if (e) {
				whole(f, CYAN, line + i, (size_t)(e - (line + i)) + 1);
				i = (size_t)(e - line) + 1;
				continue;
			}
		}
		if (c == '*' && (i == 0 || line[i - 1] == ' ')) {
			size_t j = i;
			while (j < len && line[j] != ' ')
				j++;
			whole(f, YELLOW, line + i, j - i);
			i = j;
			continue;
		}
		fputc(c, f);
		i++;
	}
}

static void paint_diff(FILE *f, const char *line, size_t len)
{
	if (starts(line, len, "- "))
		whole(f, RED, line, len);
	else if (starts(line, len, "+ "))
		whole(f, GREEN, line, len);
	else if (starts(line, len, "= "))
		whole(f, CYAN, line, len);
	else if (starts(line, len, "! "))
		whole(f, YELLOW, line, len);
	else if (len && line[0] != ' ' && has(line, len, "divergence at"))
		whole(f, BOLD, line, len);
	else if (starts(line, len, "identical:") || (starts(line, len, "vCPU ") && has(line, len, ": identical:")))
		whole(f, GREEN, line, len);
	else if (len && line[0] != ' ' && has(line, len, " differs: "))
		whole(f, YELLOW, line, len);
	else
		tokens(f, line, len, false);
}

static void paint_dump(FILE *f, const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && line[i] == ' ')
		i++;
	while (i < len && line[i] >= '0' && line[i] <= '9')
		i++;
	if (starts(line + i, len - i, "  + "))
		whole(f, YELLOW, line, len);	/* an event of the step */
	else
		tokens(f, line, len, true);
}

static void paint_show(FILE *f, const char *line, size_t len)
{
	if (len && line[0] != ' ' && (line[len - 1] == ':' || starts(line, len, "step ")))
		whole(f, BOLD, line, len);
	else
		tokens(f, line, len, false);
}

term_painter term_painter_for(enum term_style style)
{
	return style == TERM_STYLE_DIFF ? paint_diff : style == TERM_STYLE_DUMP ? paint_dump : paint_show;
}
