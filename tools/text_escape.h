/* SPDX-License-Identifier: MIT */
/*
 * Strings that come from a trace (a kernel release, an end detail, a note,
 * a guest's console output, a kernel event's fields) or from a directory
 * listing, made safe for a terminal and for line-based readers of the text
 * output: whoever wrote the trace must not be able to send escape sequences
 * to the terminal, nor start a line of their own (a forged TAP "ok" line in
 * check's output).  JSON output does not use this: it keeps the strings
 * exact, in JSON's own escapes.
 *
 * Kept as they are: printable ASCII and UTF-8 characters that print.
 * Written as escapes: backslash (\\), newline (\n), carriage return (\r),
 * tab (\t), other C0 controls, DEL and bytes that are not UTF-8 (\xHH),
 * C1 controls and the Unicode characters that move text around, line and
 * paragraph separators and bidirectional overrides (\u0085, \u202e, ...).
 */
#ifndef XT_TEXT_ESCAPE_H
#define XT_TEXT_ESCAPE_H

#include <stddef.h>

/* Also write '"' as \" (for text shown between double quotes). */
#define TEXT_ESC_QUOTE 1u

/*
 * The n bytes at p, escaped, into buf (NUL-terminated; size >= 4).  What
 * does not fit is cut at a whole character and marked "...".  Returns the
 * length written.
 */
size_t text_esc_mem(char *buf, size_t size, const void *p, size_t n, unsigned flags);

/* The string s (NULL: "?"), escaped, into buf; returns buf, for printf's arguments. */
const char *text_esc(char *buf, size_t size, const char *s);

#endif
