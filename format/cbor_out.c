// SPDX-License-Identifier: MIT
/*
 * Encoding into a growable buffer with libcbor's cbor_encode_* (which write
 * into caller memory and allocate nothing).  An allocation failure is
 * remembered in b->oom and checked once per record by the caller, so the
 * encoders themselves have no error paths.
 */
#include <cbor.h>
#include <stdlib.h>
#include <string.h>

#include "xt_internal.h"

/* The longest CBOR head: initial byte + 8-byte argument. */
#define HEAD_MAX 9

void xti_buf_free(struct xti_buf *b)
{
	free(b->p);
	*b = (struct xti_buf){ 0 };
}

bool xti_buf_reserve(struct xti_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->cap - b->len >= n)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void xti_put_uint(struct xti_buf *b, uint64_t v)
{
	if (xti_buf_reserve(b, HEAD_MAX))
		b->len += cbor_encode_uint(v, b->p + b->len, HEAD_MAX);
}

void xti_put_int(struct xti_buf *b, int64_t v)
{
	if (!xti_buf_reserve(b, HEAD_MAX))
		return;
	if (v >= 0)
		b->len += cbor_encode_uint((uint64_t)v, b->p + b->len, HEAD_MAX);
	else	/* CBOR stores -1 - n */
		b->len += cbor_encode_negint((uint64_t)(-(v + 1)), b->p + b->len, HEAD_MAX);
}

void xti_put_map(struct xti_buf *b, size_t n)
{
	if (xti_buf_reserve(b, HEAD_MAX))
		b->len += cbor_encode_map_start(n, b->p + b->len, HEAD_MAX);
}

void xti_put_array(struct xti_buf *b, size_t n)
{
	if (xti_buf_reserve(b, HEAD_MAX))
		b->len += cbor_encode_array_start(n, b->p + b->len, HEAD_MAX);
}

void xti_put_bytes(struct xti_buf *b, const void *p, size_t n)
{
	bool spill = b->spill && n >= XTI_SPILL_MIN;
	if (!xti_buf_reserve(b, HEAD_MAX + (spill ? 0 : n)))
		return;
	b->len += cbor_encode_bytestring_start(n, b->p + b->len, HEAD_MAX);
	if (spill) {
		b->spill(b, p, n, b->spill_ctx);
		return;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void xti_put_text(struct xti_buf *b, const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s);
	if (!xti_buf_reserve(b, HEAD_MAX + n))
		return;
	b->len += cbor_encode_string_start(n, b->p + b->len, HEAD_MAX);
	/* a CBOR text string must be UTF-8: argv and file names need not be */
	const uint8_t *p = (const uint8_t *)s;
	for (size_t i = 0; i < n;) {
		size_t k = xt_utf8_len(p + i, n - i);
		if (!k) {
			b->p[b->len++] = '?';
			i++;
			continue;
		}
		memcpy(b->p + b->len, p + i, k);
		b->len += k;
		i += k;
	}
}

void xti_put_bool(struct xti_buf *b, bool v)
{
	if (xti_buf_reserve(b, 1))
		b->len += cbor_encode_bool(v, b->p + b->len, 1);
}

void xti_put_raw(struct xti_buf *b, const void *p, size_t n)
{
	if (!xti_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}
