/* SPDX-License-Identifier: MIT */
/*
 * Text built by hand into a large buffer and handed to stdio in big pieces:
 * for dump, which writes ~100 bytes a step at millions of steps a second,
 * one fwrite per line cost more than building the line.
 */
#ifndef XT_TEXT_OUT_H
#define XT_TEXT_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TEXT_OUT_SIZE 65536

struct text_out {
	FILE *f;
	char *p;		/* the next free byte of buf */
	char buf[TEXT_OUT_SIZE];
};

void text_out_init(struct text_out *o, FILE *f);
/* Hands what is buffered to o->f (fwrite: errors show in ferror(o->f)). */
void text_out_flush(struct text_out *o);

/*
 * Where to write at least n more bytes (n <= TEXT_OUT_SIZE): flushes first
 * if there is less room.  Write there, then set o->p past what was written.
 */
static inline char *text_out_room(struct text_out *o, size_t n)
{
	if ((size_t)(o->buf + sizeof(o->buf) - o->p) < n)
		text_out_flush(o);
	return o->p;
}

/*
 * The writers below put text at p, which must have room for it, and return
 * the byte after it.  They write no NUL.
 */

/* A string literal, copied with its length known at compile time. */
#define TEXT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* v as "0x" and lower-case hex digits, as printf's "0x%llx": at most 18 bytes. */
char *text_hex(char *p, uint64_t v);
/* v in decimal, as printf's "%llu": at most 20 bytes. */
char *text_dec(char *p, uint64_t v);
/* v in decimal right-aligned in width columns, as printf's "%*llu": max(width, 20) bytes at most. */
char *text_dec_width(char *p, uint64_t v, int width);

#endif
