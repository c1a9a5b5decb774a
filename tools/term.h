/* SPDX-License-Identifier: MIT */
/*
 * Terminal manners for the commands people read (diff, dump, show): colour
 * when standard output is a terminal, long output through a pager, as git
 * does.  Nothing changes when standard output is a file or a pipe.
 */
#ifndef XT_TERM_H
#define XT_TERM_H

#include <stdbool.h>

enum term_color { TERM_COLOR_AUTO, TERM_COLOR_ALWAYS, TERM_COLOR_NEVER };

/* How a command's lines are coloured. */
enum term_style { TERM_STYLE_DIFF, TERM_STYLE_DUMP, TERM_STYLE_SHOW };

struct term_options {
	enum term_color color;
	bool no_pager;
};

/*
 * --color's value (NULL: "--color" alone, which is "always"): auto, always
 * or never.  False (a usage error printed) for anything else.
 */
bool term_parse_color(const char *cmd, const char *value, enum term_color *c);

/*
 * Set standard output up for the command's text; call it once its input
 * is open and before it prints.  Colour: --color=always; or auto (the
 * default) when standard output is a terminal, NO_COLOR is unset or empty
 * and TERM is not "dumb" (--color=always overrides NO_COLOR).  Pager: when
 * standard output is a terminal and no --no-pager, $EXITRACE_PAGER, else
 * $PAGER, else "less -FRX" (LESS=FRX when LESS is unset), run by /bin/sh;
 * an empty value or "cat" means none.  plain: no colour whatever the
 * options (--json), the pager still.  Everything is undone at exit (the
 * output flushed, the pager waited for).
 */
void term_start(const struct term_options *o, enum term_style style, bool plain);

#endif
