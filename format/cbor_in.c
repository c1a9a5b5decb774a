// SPDX-License-Identifier: MIT
/*
 * A pull parser: one CBOR item head per call, on top of libcbor's
 * cbor_stream_decode (which allocates nothing and reports through
 * callbacks).  Strings point into the input.  Every count read from the
 * input is checked against the bytes left, so a hostile count can never
 * make a caller allocate more than the input could hold.
 */
#include <cbor.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt_internal.h"

#define MAX_DEPTH 32

static void on_u8(void *c, uint8_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_UINT, .u = v }; }
static void on_u16(void *c, uint16_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_UINT, .u = v }; }
static void on_u32(void *c, uint32_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_UINT, .u = v }; }
static void on_u64(void *c, uint64_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_UINT, .u = v }; }
static void on_n8(void *c, uint8_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_NEGINT, .u = v }; }
static void on_n16(void *c, uint16_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_NEGINT, .u = v }; }
static void on_n32(void *c, uint32_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_NEGINT, .u = v }; }
static void on_n64(void *c, uint64_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_NEGINT, .u = v }; }

static void on_bytes(void *c, cbor_data p, size_t n)
{
	*(struct xti_tok *)c = (struct xti_tok){ .type = XTI_BYTES, .p = p, .len = n };
}

static void on_text(void *c, cbor_data p, size_t n)
{
	*(struct xti_tok *)c = (struct xti_tok){ .type = XTI_TEXT, .p = p, .len = n };
}

static void on_array(void *c, size_t n) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_ARRAY, .u = n }; }
static void on_map(void *c, size_t n) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_MAP, .u = n }; }
static void on_tag(void *c, uint64_t v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_TAG, .u = v }; }
static void on_f4(void *c, float v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_FLOAT, .f = v }; }
static void on_f8(void *c, double v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_FLOAT, .f = v }; }
static void on_bool(void *c, bool v) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_BOOL, .u = v }; }
static void on_null(void *c) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_NULL }; }
static void on_undef(void *c) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_UNDEF }; }
static void on_break(void *c) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_BREAK }; }
static void on_ibytes(void *c) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_INDEF_BYTES }; }
static void on_itext(void *c) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_INDEF_TEXT }; }
static void on_iarray(void *c) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_INDEF_ARRAY }; }
static void on_imap(void *c) { *(struct xti_tok *)c = (struct xti_tok){ .type = XTI_INDEF_MAP }; }

/*
 * libcbor 0.8's header comments for the string and collection callbacks are
 * swapped; the members below are named by what the decoder really calls.
 */
static const struct cbor_callbacks callbacks = {
	.uint8 = on_u8, .uint16 = on_u16, .uint32 = on_u32, .uint64 = on_u64,
	.negint8 = on_n8, .negint16 = on_n16, .negint32 = on_n32, .negint64 = on_n64,
	.byte_string = on_bytes, .byte_string_start = on_ibytes,
	.string = on_text, .string_start = on_itext,
	.array_start = on_array, .indef_array_start = on_iarray,
	.map_start = on_map, .indef_map_start = on_imap,
	.tag = on_tag, .float2 = on_f4, .float4 = on_f4, .float8 = on_f8,
	.undefined = on_undef, .null = on_null, .boolean = on_bool,
	.indef_break = on_break,
};

int xti_bad(struct xti_in *in, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return xti_err_at(in->err, -EBADMSG, in->file_offset,
			  "malformed record in frame at offset %llu (byte %llu of its content): %s",
			  (unsigned long long)in->file_offset, (unsigned long long)xti_pos(in), what);
}

/* Is the empty byte string at head a long one the reader did not keep? */
static void fill_hole(struct xti_in *in, const uint8_t *head, struct xti_tok *t)
{
	uint64_t at = (uint64_t)(head - in->start);
	size_t lo = 0, hi = in->n_holes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (in->holes[mid].at < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < in->n_holes && in->holes[lo].at == at) {
		t->p = NULL;
		t->len = (size_t)in->holes[lo].len;
		t->u = lo + 1;
	}
}

/*
 * RFC 8949 3.3: simple values 0..19 take one byte, 32..255 two (0xf8 n);
 * 0xf8 with n < 32 is not well-formed.  libcbor 0.8 refuses every simple
 * value it has no callback for, so a skipped value of a newer writer would
 * be refused for one kind of item and not another: decode them here.
 * 0: not a simple value of these kinds; 1: decoded; <0: an error.
 */
static int simple_value(struct xti_in *in, struct xti_tok *t)
{
	uint8_t b = in->p[0];
	if (b >= 0xe0 && b <= 0xf3) {
		*t = (struct xti_tok){ .type = XTI_SIMPLE, .u = b & 0x1fu };
		in->p++;
		return 1;
	}
	if (b != 0xf8)
		return 0;
	if (in->end - in->p < 2)
		return xti_bad(in, "record cut short");
	if (in->p[1] < 32)
		return xti_bad(in, "simple value %u in two bytes (not well-formed CBOR)", in->p[1]);
	*t = (struct xti_tok){ .type = XTI_SIMPLE, .u = in->p[1] };
	in->p += 2;
	return 1;
}

/*
 * Text must be UTF-8 (RFC 8949 3.1) without NUL: the reader hands text out
 * as C strings, where a NUL would silently cut it.
 */
static int check_text(struct xti_in *in, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (p[i] == 0)
			return xti_bad(in, "text holds a NUL byte at its byte %zu", i);
		size_t k = xt_utf8_len(p + i, n - i);
		if (!k)
			return xti_bad(in, "text is not UTF-8 (byte 0x%02x at its byte %zu)", p[i], i);
		i += k;
	}
	return 0;
}

int xti_next(struct xti_in *in, struct xti_tok *t)
{
	if (in->p >= in->end)
		return xti_bad(in, "record cut short");
	int sv = simple_value(in, t);
	if (sv)
		return sv < 0 ? sv : 0;
	struct cbor_decoder_result r =
		cbor_stream_decode(in->p, (size_t)(in->end - in->p), &callbacks, t);
	if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
		return xti_bad(in, r.status == CBOR_DECODER_NEDATA ? "record cut short"
								   : "invalid CBOR");
	if (in->n_holes && t->type == XTI_BYTES && !t->len)
		fill_hole(in, in->p, t);
	in->p += r.read;
	/* Each item takes at least one byte: a count larger than what is left is a lie. */
	if ((t->type == XTI_ARRAY || t->type == XTI_MAP) &&
	    t->u > (uint64_t)(in->end - in->p))
		return xti_bad(in, "count %llu exceeds the %zu bytes left",
			       (unsigned long long)t->u, (size_t)(in->end - in->p));
	if (t->type == XTI_TEXT)
		return check_text(in, t->p, t->len);
	return 0;
}

int xti_skip(struct xti_in *in, const struct xti_tok *first)
{
	/* items still to come in each open container; UINT64_MAX: until a break */
	uint64_t pending[MAX_DEPTH];
	/* the token that opened it, and for indefinite maps the items seen so far */
	int opened[MAX_DEPTH];
	uint64_t seen[MAX_DEPTH];
	int depth = 0;
	struct xti_tok t = *first;

	for (;;) {
		/* an indefinite string holds definite strings of its own major type, nothing else */
		if (depth > 0 && (opened[depth - 1] == XTI_INDEF_BYTES ||
				  opened[depth - 1] == XTI_INDEF_TEXT) && t.type != XTI_BREAK &&
		    t.type != (opened[depth - 1] == XTI_INDEF_BYTES ? XTI_BYTES : XTI_TEXT))
			return xti_bad(in, "an indefinite-length %s string holds a chunk of another type",
				       opened[depth - 1] == XTI_INDEF_BYTES ? "byte" : "text");
		if (t.type == XTI_BREAK) {
			if (depth == 0 || pending[depth - 1] != UINT64_MAX)
				return xti_bad(in, "unexpected break");
			if (opened[depth - 1] == XTI_INDEF_MAP && seen[depth - 1] % 2)
				return xti_bad(in, "an indefinite-length map ends after a key without its value");
			depth--;
		} else {
			uint64_t items = 0;
			switch (t.type) {
			case XTI_ARRAY: items = t.u; break;
			case XTI_MAP: items = t.u * 2; break;
			case XTI_TAG: items = 1; break;
			case XTI_INDEF_ARRAY: case XTI_INDEF_MAP:
			case XTI_INDEF_BYTES: case XTI_INDEF_TEXT:
				items = UINT64_MAX; break;
			}
			if (items) {
				if (depth == MAX_DEPTH)
					return xti_bad(in, "nested deeper than %d", MAX_DEPTH);
				opened[depth] = t.type;
				seen[depth] = 0;
				pending[depth++] = items;
				goto read_next;
			}
		}
		/* a whole item ended: it is one item of each container it completes */
		while (depth > 0 && pending[depth - 1] != UINT64_MAX && --pending[depth - 1] == 0)
			depth--;
		if (depth == 0)
			return 0;
		seen[depth - 1]++;
read_next:;
		int rc = xti_next(in, &t);
		if (rc)
			return rc;
	}
}

int xti_int(struct xti_in *in, const struct xti_tok *t, int64_t *v)
{
	if (t->type == XTI_UINT && t->u <= INT64_MAX) {
		*v = (int64_t)t->u;
		return 0;
	}
	if (t->type == XTI_NEGINT && t->u <= INT64_MAX) {
		*v = -1 - (int64_t)t->u;
		return 0;
	}
	return xti_bad(in, "expected a 64-bit signed integer");
}

int xti_uint(struct xti_in *in, const struct xti_tok *t, uint64_t *v)
{
	if (t->type != XTI_UINT)
		return xti_bad(in, "expected an unsigned integer");
	*v = t->u;
	return 0;
}

int xti_expect(struct xti_in *in, struct xti_tok *t, int type, const char *what)
{
	int rc = xti_next(in, t);
	if (rc)
		return rc;
	if (t->type != type)
		return xti_bad(in, "expected %s", what);
	return 0;
}

int xti_text(struct xti_in *in, const struct xti_tok *t, struct xti_arena *a, const char **out)
{
	if (t->type != XTI_TEXT)
		return xti_bad(in, "expected a text string");
	char *s = xti_strndup(a, t->p, t->len);
	if (!s)
		return xti_err(in->err, -ENOMEM, "out of memory decoding a string");
	*out = s;
	return 0;
}

int xti_blob(struct xti_in *in, const struct xti_tok *t, struct xti_arena *a,
	     const uint8_t **p, size_t *n)
{
	if (t->type != XTI_BYTES)
		return xti_bad(in, "expected a byte string");
	if (!t->p && t->len) {
		/* not kept: the reader reads the bytes again when asked, for this slot */
		in->holes[t->u - 1].slot = p;
		*p = NULL;
		*n = t->len;
		return 0;
	}
	uint8_t *copy = xti_alloc(a, t->len);
	if (!copy)
		return xti_err(in->err, -ENOMEM, "out of memory decoding %zu bytes", t->len);
	memcpy(copy, t->p, t->len);
	*p = copy;
	*n = t->len;
	return 0;
}

int xti_map_key(struct xti_in *in, uint64_t *key, struct xti_tok *value)
{
	struct xti_tok k;
	int rc = xti_next(in, &k);
	if (rc)
		return rc;
	if (k.type != XTI_UINT)
		return xti_bad(in, "expected an integer map key");
	*key = k.u;
	return xti_next(in, value);
}

int xti_key_once(struct xti_in *in, struct xti_keys *k, uint64_t key, const char *map)
{
	if (key < 256) {
		uint64_t bit = 1ull << (key % 64);
		if (k->low[key / 64] & bit)
			return xti_bad(in, "%s: key %llu appears twice", map, (unsigned long long)key);
		k->low[key / 64] |= bit;
		return 0;
	}
	for (unsigned i = 0; i < k->n_high; i++)
		if (k->high[i] == key)
			return xti_bad(in, "%s: key %llu appears twice", map, (unsigned long long)key);
	if (k->n_high < XTI_KEYS_HIGH)
		k->high[k->n_high++] = key;
	return 0;
}

int xti_map_key_once(struct xti_in *in, struct xti_keys *k, const char *map, uint64_t *key,
		     struct xti_tok *value)
{
	int rc = xti_map_key(in, key, value);
	return rc ? rc : xti_key_once(in, k, *key, map);
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int xti_texts_once(struct xti_in *in, const void *entries, size_t n, size_t stride,
		   const char *map)
{
	if (n < 2)
		return 0;
	const char **sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return xti_err(in->err, -ENOMEM, "out of memory checking the keys of %s", map);
	for (size_t i = 0; i < n; i++)
		memcpy(&sorted[i], (const char *)entries + i * stride, sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_text);
	int rc = 0;
	for (size_t i = 1; i < n && !rc; i++)
		if (!strcmp(sorted[i - 1], sorted[i]))
			rc = xti_bad(in, "%s: key \"%.60s\" appears twice", map, sorted[i]);
	free(sorted);
	return rc;
}
