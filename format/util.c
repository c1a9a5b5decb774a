// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* vasprintf */
/* Errors, the reader's arena, little-endian helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt_internal.h"

/* Back from p to the start of the UTF-8 sequence it is in (not before lo). */
static size_t utf8_start(const char *s, size_t p, size_t lo)
{
	while (p > lo && ((unsigned char)s[p] & 0xc0) == 0x80)
		p--;
	return p;
}

/* msg's head, " ... ", its tail, in size bytes: for a message that does not fit. */
static void fit_middle_out(char *dst, size_t size, const char *msg, size_t len)
{
	static const char cut[] = " ... ";
	size_t room = size - 1 - (sizeof(cut) - 1);
	size_t head = utf8_start(msg, room / 3, 0);	/* the end says why: it gets more */
	size_t tail = utf8_start(msg, len - (room - head), head);
	memcpy(dst, msg, head);
	memcpy(dst + head, cut, sizeof(cut) - 1);
	memcpy(dst + head + sizeof(cut) - 1, msg + tail, len - tail + 1);
}

int xt_error_vset(struct xt_error *e, int code, const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	e->has_offset = 0;
	e->offset = 0;
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	char *full;
	if (n >= (int)sizeof(e->msg) && vasprintf(&full, fmt, again) >= 0) {
		fit_middle_out(e->msg, sizeof(e->msg), full, strlen(full));
		free(full);
	}
	va_end(again);
	return code;
}

static int verr(struct xt_error *e, int code, int has_offset, uint64_t offset,
		const char *fmt, va_list ap)
{
	if (e) {
		xt_error_vset(e, code, fmt, ap);
		e->has_offset = has_offset;
		e->offset = offset;
	}
	return code;
}

int xti_err(struct xt_error *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(e, code, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int xti_err_at(struct xt_error *e, int code, uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(e, code, 1, offset, fmt, ap);
	va_end(ap);
	return code;
}

struct xti_chunk {
	struct xti_chunk *next;
	size_t size;
	_Alignas(16) uint8_t data[];
};

void *xti_alloc(struct xti_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	struct xti_chunk *c = a->head;
	if (!c || c->size - a->used_in_head < n) {
		size_t size = n > 65536 ? n : 65536;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->next = a->head;
		a->head = c;
		a->used_in_head = 0;
	}
	void *p = c->data + a->used_in_head;
	a->used_in_head += n;
	memset(p, 0, n);
	return p;
}

char *xti_strndup(struct xti_arena *a, const uint8_t *p, size_t n)
{
	char *s = xti_alloc(a, n + 1);
	if (s && n)
		memcpy(s, p, n);
	return s;
}

void xti_arena_reset(struct xti_arena *a)
{
	struct xti_chunk *c = a->head;
	if (!c)
		return;
	/* keep the newest chunk, which is at least as big as any other */
	struct xti_chunk *rest = c->next;
	c->next = NULL;
	while (rest) {
		struct xti_chunk *n = rest->next;
		free(rest);
		rest = n;
	}
	a->used_in_head = 0;
}

void xti_arena_free(struct xti_arena *a)
{
	xti_arena_reset(a);
	free(a->head);
	a->head = NULL;
}

void xti_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void xti_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void xti_file_mark(uint8_t m[XTI_FILE_MARK_SIZE], uint16_t major, uint16_t minor)
{
	xti_le32(m, XTI_SKIPPABLE_MAGIC);
	xti_le32(m + 4, XTI_FILE_MARK_SIZE - 8);
	memcpy(m + 8, XTI_FILE_MAGIC, 8);
	xti_le16(m + 16, major);
	xti_le16(m + 18, minor);
}

void xti_trailer(uint8_t t[XTI_TRAILER_SIZE], uint64_t footer_at)
{
	xti_le32(t, XTI_SKIPPABLE_MAGIC);
	xti_le32(t + 4, XTI_TRAILER_SIZE - 8);
	memcpy(t + 8, XTI_TRAILER_MAGIC, 8);
	xti_le64(t + 16, footer_at);
}

void xti_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t xti_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t xti_rd32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t xti_rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

size_t xt_utf8_len(const uint8_t *p, size_t n)
{
	if (!n)
		return 0;
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}
