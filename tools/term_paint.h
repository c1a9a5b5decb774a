/* SPDX-License-Identifier: MIT */
/* How each command's text lines are coloured (term_paint.c). */
#ifndef XT_TERM_PAINT_H
#define XT_TERM_PAINT_H

#include <stddef.h>
#include <stdio.h>

#include "term.h"

/* Write the line (len bytes, without its newline) to f with colour. */
typedef void (*term_painter)(FILE *f, const char *line, size_t len);

term_painter term_painter_for(enum term_style style);

#endif
