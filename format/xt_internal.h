/* SPDX-License-Identifier: MIT */
/*
 * Private to libexitrace: the CBOR helpers, the record codecs and the
 * container (zstd frames in a file).  Nothing here is installed.
 */
#ifndef XT_INTERNAL_H
#define XT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xt_records.h"
#include "xt_state.h"
#include "xt_util.h"

/* ---- errors ---- */

int xti_err(struct xt_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int xti_err_at(struct xt_error *e, int code, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- a growable output buffer with CBOR encoders (never fail: abort-free, see ok) ---- */

struct xti_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;		/* an allocation failed; the content is incomplete */
	/*
	 * Set: a byte string of XTI_SPILL_MIN bytes or more is not copied in;
	 * spill is handed the buffer (its head written) and the bytes, and
	 * empties the buffer.  The writer streams guest memory this way.
	 */
	void (*spill)(struct xti_buf *b, const void *p, size_t n, void *ctx);
	void *spill_ctx;
};
#define XTI_SPILL_MIN (64u << 10)
/* A header's bytes besides its byte strings of XTI_SPILL_MIN or more: what a reader holds of it. */
#define XTI_HEADER_KEPT_MAX (16u << 20)

void xti_buf_free(struct xti_buf *b);
bool xti_buf_reserve(struct xti_buf *b, size_t n);
void xti_put_uint(struct xti_buf *b, uint64_t v);
void xti_put_int(struct xti_buf *b, int64_t v);
void xti_put_map(struct xti_buf *b, size_t n);
void xti_put_array(struct xti_buf *b, size_t n);
void xti_put_bytes(struct xti_buf *b, const void *p, size_t n);
void xti_put_text(struct xti_buf *b, const char *s);
void xti_put_bool(struct xti_buf *b, bool v);
void xti_put_raw(struct xti_buf *b, const void *p, size_t n);

/* ---- a pull parser over cbor_stream_decode ---- */

enum xti_tok_type {
	XTI_UINT, XTI_NEGINT, XTI_BYTES, XTI_TEXT, XTI_ARRAY, XTI_MAP,
	XTI_TAG, XTI_BOOL, XTI_NULL, XTI_UNDEF, XTI_FLOAT, XTI_BREAK,
	XTI_INDEF_BYTES, XTI_INDEF_TEXT, XTI_INDEF_ARRAY, XTI_INDEF_MAP,
	XTI_SIMPLE,		/* an unassigned simple value (u): well-formed, only ever skipped */
};

struct xti_tok {
	int type;
	uint64_t u;		/* UINT: value; NEGINT: n for -1-n; ARRAY/MAP: count; TAG; BOOL */
	const uint8_t *p;	/* BYTES/TEXT: data (in the input) */
	size_t len;
	double f;
};

/*
 * A long byte string the reader did not keep (the header's guest memory
 * and image, reader.c): the input holds an empty byte string in its place,
 * which xti_next() hands out as a BYTES token of the real length with a
 * NULL p and u = the hole's index + 1.
 */
struct xti_hole {
	uint64_t at;		/* where the empty string stands in the input */
	uint64_t src;		/* where the bytes began in the frame's content */
	uint64_t len;
	const uint8_t **slot;	/* the data pointer xti_blob() left NULL for it */
	uint64_t digest;	/* of the bytes: xti_digest() */
	uint64_t tail;		/* bytes of the digest's last word not yet mixed in */
	unsigned ntail;
};

struct xti_in {
	const uint8_t *p, *start, *end;
	uint64_t file_offset;	/* of the frame the input came from, for messages */
	struct xt_error *err;
	struct xti_hole *holes;	/* sorted by at */
	size_t n_holes;
};

/* Decode the next token.  0, or -EBADMSG with the error set. */
int xti_next(struct xti_in *in, struct xti_tok *t);
/* Skip the value whose first token is t (nested items included, depth-limited). */
int xti_skip(struct xti_in *in, const struct xti_tok *t);
/* Expect an integer (UINT or NEGINT) token and return it as int64 / uint64. */
int xti_int(struct xti_in *in, const struct xti_tok *t, int64_t *v);
int xti_uint(struct xti_in *in, const struct xti_tok *t, uint64_t *v);
/* Read the next token, expecting a type; a count that cannot fit the rest of the input is an error. */
int xti_expect(struct xti_in *in, struct xti_tok *t, int type, const char *what);
/* Read one key (an unsigned integer) and the first token of its value. */
int xti_map_key(struct xti_in *in, uint64_t *key, struct xti_tok *value);

/*
 * The integer keys met so far in one map, to refuse a map that holds a key
 * twice (the format forbids it; which value would count is anyone's guess).
 * Every key below 256 is remembered, and the first XTI_KEYS_HIGH larger ones:
 * the format's own keys are all small.  Start with { 0 }, or with
 * XTI_KEYS_RECORD for a record whose key 0 (its type) is read.
 */
#define XTI_KEYS_HIGH 32
struct xti_keys {
	uint64_t low[4];
	uint64_t high[XTI_KEYS_HIGH];
	unsigned n_high;
};
#define XTI_KEYS_RECORD ((struct xti_keys){ .low = { 1 } })
/* Note key in k: 0, or -EBADMSG naming it when k holds it already. */
int xti_key_once(struct xti_in *in, struct xti_keys *k, uint64_t key, const char *map);
/* xti_map_key, and the key noted in k. */
int xti_map_key_once(struct xti_in *in, struct xti_keys *k, const char *map, uint64_t *key,
		     struct xti_tok *value);
/* Was key noted in k (keys below 64 only: the records' own)? */
static inline bool xti_key_seen(const struct xti_keys *k, unsigned key)
{
	return (k->low[0] >> key) & 1;
}
/*
 * n decoded entries of a text-keyed map, each stride bytes from the last and
 * starting with its key (a const char *): -EBADMSG if a key repeats.
 */
int xti_texts_once(struct xti_in *in, const void *entries, size_t n, size_t stride,
		   const char *map);
struct xti_arena;
/* Copy a TEXT token (NUL-terminated) or a BYTES token into the arena. */
int xti_text(struct xti_in *in, const struct xti_tok *t, struct xti_arena *a, const char **out);
int xti_blob(struct xti_in *in, const struct xti_tok *t, struct xti_arena *a,
	     const uint8_t **p, size_t *n);
int xti_bad(struct xti_in *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline uint64_t xti_pos(const struct xti_in *in)
{
	return (uint64_t)(in->p - in->start);
}

/* ---- arena: the reader's storage for decoded strings and arrays ---- */

struct xti_arena {
	struct xti_chunk *head;
	size_t used_in_head;
};

void *xti_alloc(struct xti_arena *a, size_t n);	/* zeroed, 16-aligned, NULL on OOM */
char *xti_strndup(struct xti_arena *a, const uint8_t *p, size_t n);
void xti_arena_reset(struct xti_arena *a);	/* keep the first chunk */
void xti_arena_free(struct xti_arena *a);

/* ---- record codecs ---- */

/* State map {field id: absolute value} of the blocks in capture. */
void xti_put_state(struct xti_buf *b, const struct xt_state *s, uint32_t capture);
/* Store one decoded value into field f (type and size checked). */
int xti_store_field(struct xti_in *in, struct xt_state *s, const struct xt_field *f,
		    const struct xti_tok *t);
/* Decode a state map (t: its first token) into s; absent fields are left alone. */
int xti_get_state(struct xti_in *in, const struct xti_tok *t, struct xt_state *s);

/* The version a trace with this VM is written as: 1.1 for one vCPU, 2.0 for several. */
void xti_format_version(const struct xt_vm_config *vm, uint16_t *major, uint16_t *minor);
void xti_put_header(struct xti_buf *b, const struct xt_header *h);
/* Decode the header record (after its key 0); strings go to the arena. */
int xti_get_header(struct xti_in *in, size_t npairs, struct xt_header *h, struct xti_arena *a);

void xti_put_event(struct xti_buf *b, const struct xt_event *ev);
int xti_get_event(struct xti_in *in, size_t npairs, struct xt_event *ev, struct xti_arena *a);

void xti_put_footer(struct xti_buf *b, const struct xt_footer *f, uint32_t capture);
int xti_get_footer(struct xti_in *in, size_t npairs, struct xt_footer *f, struct xt_state *final,
		   struct xti_arena *a);

/* Key numbers inside records (key 0 is always the record type). */
enum {
	XTK_TYPE = 0,
	/* header */
	XTK_H_VERSION = 1, XTK_H_TOOL, XTK_H_ARGV, XTK_H_CREATED, XTK_H_HOST, XTK_H_VM,
	XTK_H_IMAGE, XTK_H_INITIAL, XTK_H_MASKS, XTK_H_FIELDS, XTK_H_EXTRA,
	/* keyframe */
	XTK_K_STEP = 1, XTK_K_FRAME, XTK_K_TIME, XTK_K_STATE,
	/* event */
	XTK_E_KIND = 1, XTK_E_STEP = 2,
	/* footer */
	XTK_F_STEPS = 1, XTK_F_END_REASON, XTK_F_END_CODE, XTK_F_END_DETAIL, XTK_F_HIST,
	XTK_F_FINAL, XTK_F_INDEX, XTK_F_DURATION, XTK_F_EVENT_COUNTS,
	/* format 2.0: several vCPUs */
	XTK_H_INITIAL_VCPUS = 12,
	XTK_K_VCPU_STEPS = 5,
	XTK_F_VCPUS = 10,
	XTK_FV_STEPS = 1, XTK_FV_HIST, XTK_FV_FINAL,	/* in a footer's per-vCPU map */
	/* in a step, event or keyframe: the vCPU it is about (0 when absent); above every field id */
	XTK_VCPU = 256,
};

/* ---- container ---- */

/* zstd skippable frame magic used for exitrace's own marks (0x184D2A50 + 0xE). */
#define XTI_SKIPPABLE_MAGIC 0x184D2A5Eu
#define XTI_FILE_MAGIC "EXITRACE"	/* 8 bytes, then u16 major, u16 minor */
#define XTI_TRAILER_MAGIC "XTFOOTER"	/* 8 bytes, then u64 footer frame offset */
#define XTI_FILE_MARK_SIZE 20		/* 8 frame header + 12 */
/* The file mark (a zstd skippable frame) for format version major.minor. */
/*
 * Open a trace to read (input.c): path, or standard input for "-"; name is
 * what messages call it.  A stream is copied to an unlinked temporary file
 * first.  Returns a descriptor the reader can pread(), with *size its
 * length, or a negative errno with err saying why.
 */
int xti_open_input(const char *path, const char *name, uint64_t *size, struct xt_error *err);

void xti_file_mark(uint8_t m[XTI_FILE_MARK_SIZE], uint16_t major, uint16_t minor);
#define XTI_TRAILER_SIZE 24		/* 8 frame header + 16 */
/* The trailer (a zstd skippable frame) pointing at the footer frame at footer_at. */
void xti_trailer(uint8_t t[XTI_TRAILER_SIZE], uint64_t footer_at);
#define XTI_DATA_FRAME_MAX (64u << 20)	/* decompressed; the writer stays far below */
#define XTI_HEADER_FRAME_MAX (512u << 20)

void xti_le16(uint8_t *p, uint16_t v);
void xti_le32(uint8_t *p, uint32_t v);
void xti_le64(uint8_t *p, uint64_t v);
uint16_t xti_rd16(const uint8_t *p);
uint32_t xti_rd32(const uint8_t *p);
uint64_t xti_rd64(const uint8_t *p);

#endif
