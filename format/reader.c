// SPDX-License-Identifier: MIT
/*
 * The reader: a window of the file, a streaming zstd decoder that stops at
 * each frame's end, one decompressed frame at a time, and a CBOR pull
 * parser over it.  A frame is only handed out once zstd has verified its
 * content checksum, so a trace cut anywhere yields exactly its complete
 * frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "xt_internal.h"
#include "xt_reader.h"

#define WINDOW (256u << 10)
#define BOUNCE (1u << 20)

/*
 * Step records of loop-heavy guests repeat byte for byte (the same deltas
 * every iteration).  A CBOR item is self-delimiting, so bytes that start
 * with a step record already decoded hold exactly that record: the memo
 * keeps decoded step records by their bytes and applies a hit without
 * calling the decoder.  Only records of U64 fields of known ids are kept.
 */
#define MEMO_SETS 256		/* a power of two */
#define MEMO_WAYS 4
#define MEMO_BYTES 56
#define MEMO_OPS 16

struct memo_entry {
	uint64_t key;		/* the record's first 8 bytes (fewer: zero-padded) */
	uint64_t key2, mask2;	/* its bytes 8-15, and which of them are the record's */
	uint8_t len;		/* of the record; 0: empty */
	uint8_t nops;
	uint8_t bytes[MEMO_BYTES];
	uint16_t offset[MEMO_OPS];	/* of the field in struct xt_state */
	uint64_t delta[MEMO_OPS];
	struct xt_field_set changed;
	const struct memo_entry *next_hint;	/* the entry of the record that followed last time */
	struct xt_state *target;	/* the state of the record's vCPU */
	uint32_t vcpu;
};

struct memo {
	struct memo_entry e[MEMO_SETS][MEMO_WAYS];
	uint8_t next_way[MEMO_SETS];
};

/* exit reasons counted in a plain array; the few others (RUN_FAILED, NONE) in a list */
#define HIST_DIRECT 64
#define HIST_OTHER 8

enum frame_kind { FRAME_ZSTD, FRAME_SKIPPABLE, FRAME_EOF, FRAME_TRUNCATED };

struct xt_reader {
	int fd;
	uint64_t size;
	struct xt_error err;

	uint8_t *win;			/* file bytes [win_off, win_off + win_len) */
	uint64_t win_off;
	size_t win_len;

	ZSTD_DCtx *dctx;
	uint8_t *frame;			/* the decompressed current frame */
	size_t frame_cap, frame_len;
	uint8_t skip_content[16];	/* the first bytes of the last skippable frame */
	size_t skip_len;

	struct xt_header header;
	struct xti_arena header_arena;
	struct xt_footer footer;
	struct xt_state footer_final;
	struct xti_arena footer_arena;
	bool have_footer;
	uint64_t data_start;		/* first frame after the header */
	uint64_t data_end;		/* the footer frame, or the file size */

	/* the stream */
	uint64_t pos;			/* next frame to load */
	bool in_frame, at_end, keyframes;
	bool keyframe_due;		/* the loaded frame's keyframe is the next record */
	struct xti_in cur;
	uint64_t cur_frame_off;
	uint64_t expect_step;		/* the next keyframe's step when reading on */
	bool seeking;			/* skip records before seek_target */
	uint64_t seek_target;
	struct xt_state state;
	struct xt_field_set changed;
	uint64_t step;
	struct xt_event event;
	struct xti_arena event_arena;

	struct memo *memo;
	/* what xt_reader_peek() found at peek_p, so that the next call need not look again */
	const uint8_t *peek_p;
	const struct memo_entry *peek_m;
	struct memo_entry *last_m;	/* the entry of the step record read last, if any */
	/* the step record being decoded, for the memo */
	uint8_t pend_nops;
	bool pend_cacheable;
	uint32_t pend_vcpu;
	struct xt_state *pend_target;
	uint16_t pend_offset[MEMO_OPS];
	uint64_t pend_delta[MEMO_OPS];

	struct xt_frame_index *index;	/* from the footer, or rebuilt */
	size_t n_index;
	bool index_known;
	bool index_scanned;		/* the index was rebuilt from the frames */
	struct xt_frame_index *scan_index;
	size_t n_scan, cap_scan;

	/*
	 * The footer is only a claim: reading holds it against what the
	 * frames really hold, and when they disagree the data wins and
	 * inconsistent says how (the reader reads on).
	 */
	struct xti_hole *holes;		/* the header's long byte strings, not kept */
	size_t n_holes, cap_holes;
	uint8_t *bounce;		/* a piece of a frame read piece by piece */

	struct xt_state keyframe;	/* the keyframe being read, before it is checked */
	bool running;			/* state is what the steps so far built */
	bool from_start;		/* the stream began at step 0: its counts are whole */
	size_t frame_no;		/* the footer's index entry the next frame must match */
	uint64_t hist[HIST_DIRECT];	/* steps by exit reason, when from_start */
	struct xt_hist_entry hist_other[HIST_OTHER];
	size_t n_hist_other;
	bool hist_lost;			/* more odd exit reasons than hist_other holds */
	uint64_t event_counts[XT_EV_KIND_LIMIT];
	bool inconsistent;
	struct xt_error inconsistency;
	/* several vCPUs: state is vCPU 0's, vstate[v - 1] vCPU v's, vstate[n_vcpus - 1] scratch */
	uint32_t n_vcpus;
	struct xt_state *vstate;
	uint64_t *vsteps;		/* by vCPU: its steps so far */
	bool vsteps_known;		/* false after a seek, until the next keyframes say */
	bool *vkeyed;			/* by vCPU: its state came from a keyframe (or may have) */
};

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

static inline struct xt_state *state_of(struct xt_reader *r, uint32_t vcpu)
{
	return vcpu ? &r->vstate[vcpu - 1] : &r->state;
}

/* ---- file window ---- */

static int window_at(struct xt_reader *r, uint64_t off, const uint8_t **p, size_t *avail)
{
	if (off >= r->size) {
		*avail = 0;
		return 0;
	}
	if (off < r->win_off || off >= r->win_off + r->win_len) {
		size_t want = WINDOW;
		if (r->size - off < want)
			want = (size_t)(r->size - off);
		size_t got = 0;
		while (got < want) {
			ssize_t k = pread(r->fd, r->win + got, want - got, (off_t)(off + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return xti_err_at(&r->err, -errno, off, "reading offset %llu: %s",
						  (unsigned long long)off, strerror(errno));
			if (k == 0)
				break;
			got += (size_t)k;
		}
		r->win_off = off;
		r->win_len = got;
		if (got == 0) {
			*avail = 0;
			return 0;
		}
	}
	*p = r->win + (off - r->win_off);
	*avail = r->win_len - (size_t)(off - r->win_off);
	return 0;
}

/* Copy n bytes at off, fewer if the file ends first; returns the count copied. */
static int read_bytes(struct xt_reader *r, uint64_t off, void *dst, size_t n, size_t *got)
{
	*got = 0;
	while (*got < n) {
		const uint8_t *p;
		size_t avail;
		TRY(window_at(r, off + *got, &p, &avail));
		if (!avail)
			break;
		size_t k = avail < n - *got ? avail : n - *got;
		memcpy((uint8_t *)dst + *got, p, k);
		*got += k;
	}
	return 0;
}

/* ---- frames ---- */

static bool grow_frame(struct xt_reader *r, size_t want)
{
	if (r->frame_cap >= want)
		return true;
	uint8_t *p = realloc(r->frame, want);
	if (!p)
		return false;
	r->frame = p;
	r->frame_cap = want;
	return true;
}

/* A zstd frame header (RFC 8878, 3.1.1.1): magic, descriptor, window, dict id, size. */
#define ZSTD_HEAD_MAX 18

struct zhead {
	bool has_size, checksum;
	uint64_t content_size;
};

/* 0: parsed; 1: needs more bytes than n; -1: invalid. */
static int parse_zstd_head(const uint8_t *p, size_t n, struct zhead *h)
{
	if (n < 5)
		return 1;
	uint8_t d = p[4];
	unsigned fcs_flag = d >> 6, single = (d >> 5) & 1, dict_flag = d & 3;
	if (d & 0x08)
		return -1;	/* reserved bit */
	static const unsigned dict_len[4] = { 0, 1, 2, 4 };
	static const unsigned fcs_len[4] = { 0, 2, 4, 8 };
	unsigned fcs = fcs_flag == 0 && single ? 1 : fcs_len[fcs_flag];
	size_t at = 5 + !single + dict_len[dict_flag];
	if (n < at + fcs)
		return 1;
	uint64_t v = 0;
	for (unsigned i = 0; i < fcs; i++)
		v |= (uint64_t)p[at + i] << (8 * i);
	if (fcs == 2)
		v += 256;
	h->has_size = fcs > 0;
	h->content_size = v;
	h->checksum = (d >> 2) & 1;
	return 0;
}

/* Takes the content of a frame in pieces, at its offset at in the content. */
typedef int (*content_sink)(struct xt_reader *r, void *ctx, uint64_t at, const uint8_t *p, size_t n);

/*
 * Load the frame at off: into r->frame, or with sink set piece by piece
 * into sink (nothing of it is kept).  Returns a negative errno, or a
 * frame_kind with *next set to the offset after the frame (FRAME_ZSTD,
 * FRAME_SKIPPABLE).
 */
static int decode_frame(struct xt_reader *r, uint64_t off, size_t max_content, uint64_t *next,
			content_sink sink, void *ctx)
{
	uint8_t head[ZSTD_HEAD_MAX];
	size_t got;
	TRY(read_bytes(r, off, head, sizeof(head), &got));
	if (got == 0)
		return FRAME_EOF;
	if (got < 4)
		return FRAME_TRUNCATED;
	uint32_t magic = xti_rd32(head);
	if ((magic & 0xfffffff0u) == ZSTD_MAGIC_SKIPPABLE_START) {
		if (got < 8)
			return FRAME_TRUNCATED;
		uint64_t len = xti_rd32(head + 4);
		if (off + 8 + len > r->size)
			return FRAME_TRUNCATED;
		r->skip_len = len < sizeof(r->skip_content) ? (size_t)len : sizeof(r->skip_content);
		TRY(read_bytes(r, off + 8, r->skip_content, r->skip_len, &got));
		*next = off + 8 + len;
		return FRAME_SKIPPABLE;
	}
	if (magic != ZSTD_MAGICNUMBER)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "no zstd frame at offset %llu (bytes %02x %02x %02x %02x)",
				  (unsigned long long)off, head[0], head[1], head[2], head[3]);

	struct zhead zh;
	int hr = parse_zstd_head(head, got, &zh);
	if (hr < 0)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "bad zstd frame header at offset %llu (reserved bit set)",
				  (unsigned long long)off);
	if (hr > 0)
		return FRAME_TRUNCATED;
	if (!zh.has_size || zh.content_size > max_content)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "frame at offset %llu: content size %s (at most %zu allowed)",
				  (unsigned long long)off, zh.has_size ? "too large" : "not given",
				  max_content);
	if (!zh.checksum)
		return xti_err_at(&r->err, -EBADMSG, off, "frame at offset %llu has no content checksum",
				  (unsigned long long)off);

	size_t content = (size_t)zh.content_size;
	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	/*
	 * Grow the output as data really arrives (a declared size is only a
	 * claim), up to one byte more than declared to catch a frame that
	 * holds more.
	 */
	size_t limit = content + 1;
	size_t cap = limit < (1u << 20) ? limit : (1u << 20);
	ZSTD_outBuffer out = { r->frame, cap, 0 };
	if (sink) {
		if (!r->bounce && !(r->bounce = malloc(BOUNCE)))
			return xti_err(&r->err, -ENOMEM, "out of memory for a frame");
		out = (ZSTD_outBuffer){ r->bounce, BOUNCE, 0 };
	} else if (!grow_frame(r, cap)) {
		return xti_err(&r->err, -ENOMEM, "out of memory for a frame");
	} else {
		out.dst = r->frame;
	}
	uint64_t p = off, sunk = 0;
	for (;;) {
		const uint8_t *src;
		size_t avail;
		TRY(window_at(r, p, &src, &avail));
		if (!avail)
			return FRAME_TRUNCATED;
		ZSTD_inBuffer in = { src, avail, 0 };
		size_t ret = ZSTD_decompressStream(r->dctx, &out, &in);
		p += in.pos;
		if (ZSTD_isError(ret))
			return xti_err_at(&r->err, -EBADMSG, off, "frame at offset %llu: %s",
					  (unsigned long long)off, ZSTD_getErrorName(ret));
		if (sink && out.pos) {
			if (sunk + out.pos > content)
				return xti_err_at(&r->err, -EBADMSG, off,
						  "frame at offset %llu holds more than its declared %zu bytes",
						  (unsigned long long)off, content);
			TRY(sink(r, ctx, sunk, r->bounce, out.pos));
			sunk += out.pos;
			out.pos = 0;
		}
		if (ret == 0)
			break;
		if (!sink && out.pos == out.size) {
			if (out.size >= limit)
				return xti_err_at(&r->err, -EBADMSG, off,
						  "frame at offset %llu holds more than its declared %zu bytes",
						  (unsigned long long)off, content);
			size_t ncap = out.size * 2 < limit ? out.size * 2 : limit;
			if (!grow_frame(r, ncap))
				return xti_err(&r->err, -ENOMEM, "out of memory for a frame");
			out.dst = r->frame;
			out.size = ncap;
		}
	}
	size_t produced = sink ? (size_t)sunk : out.pos;
	if (produced != content)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "frame at offset %llu: %zu bytes, %zu declared", (unsigned long long)off,
				  produced, content);
	if (!sink)
		r->frame_len = out.pos;
	*next = p;
	return FRAME_ZSTD;
}

static int load_frame(struct xt_reader *r, uint64_t off, size_t max_content, uint64_t *next)
{
	return decode_frame(r, off, max_content, next, NULL, NULL);
}

/* ---- the header's long byte strings ---- */

/*
 * A header frame may declare up to 512 MiB, nearly all of it guest memory
 * (or a guest image), which a few KiB of zstd can hold.  Only replay needs
 * those bytes, and only once, in the guest's memory: so the reader keeps
 * the header without its byte strings of HOLE_MIN bytes or more (their
 * length, a digest, and where they are in the content: a hole), and reads
 * them again from the file when asked (xt_reader_load_memory(), _image()).
 * Reading a header costs what the rest of it holds (at most
 * XTI_HEADER_KEPT_MAX, as for the writer), plus BOUNCE.
 */
#define HOLE_MIN XTI_SPILL_MIN

static void digest_word(struct xti_hole *h, uint64_t w)
{
	h->digest = (h->digest ^ w) * 0x9e3779b97f4a7c15ull;
	h->digest ^= h->digest >> 29;
}

static void digest_add(struct xti_hole *h, const uint8_t *p, size_t n)
{
	while (n) {
		if (!h->ntail && n >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			digest_word(h, w);
			p += 8;
			n -= 8;
			continue;
		}
		h->tail |= (uint64_t)*p++ << (8 * h->ntail++);
		n--;
		if (h->ntail == 8) {
			digest_word(h, h->tail);
			h->tail = 0;
			h->ntail = 0;
		}
	}
}

static uint64_t digest_end(struct xti_hole *h)
{
	if (h->ntail)
		digest_word(h, h->tail);
	digest_word(h, h->len);
	return h->digest;
}

/* Where the walk over the header's CBOR items is, between pieces of content. */
struct hole_walk {
	uint8_t head[9];		/* an item's head, as far as it came */
	unsigned have, need;
	uint64_t left;			/* bytes of a string's content still to come */
	struct xti_hole *skip;		/* the hole whose bytes they are, or NULL: kept */
};

static int keep_bytes(struct xt_reader *r, const uint8_t *p, size_t n)
{
	/* the rest of a header is lists and names: many MiB of them are made, not recorded */
	if (r->frame_len + n > XTI_HEADER_KEPT_MAX)
		return xti_err_at(&r->err, -EFBIG, XTI_FILE_MARK_SIZE,
				  "the header frame holds more than %u MiB besides guest memory and image",
				  XTI_HEADER_KEPT_MAX >> 20);
	if (r->frame_len + n > r->frame_cap) {
		size_t cap = r->frame_cap ? r->frame_cap : 4096;
		while (cap < r->frame_len + n)
			cap *= 2;
		if (!grow_frame(r, cap))
			return xti_err(&r->err, -ENOMEM, "out of memory for the header");
	}
	if (n) {	/* n 0 may come with no buffer yet */
		memcpy(r->frame + r->frame_len, p, n);
		r->frame_len += n;
	}
	return 0;
}

static int add_hole(struct xt_reader *r, uint64_t src, uint64_t len)
{
	if (r->n_holes == r->cap_holes) {
		size_t cap = r->cap_holes ? r->cap_holes * 2 : 8;
		struct xti_hole *h = realloc(r->holes, cap * sizeof(*h));
		if (!h)
			return xti_err(&r->err, -ENOMEM, "out of memory for the header");
		r->holes = h;
		r->cap_holes = cap;
	}
	r->holes[r->n_holes++] = (struct xti_hole){ .at = r->frame_len, .src = src, .len = len,
						    .digest = 0xcbf29ce484222325ull };
	static const uint8_t empty_bytes = 0x40;	/* stands in the kept input for the string */
	return keep_bytes(r, &empty_bytes, 1);
}

/*
 * A sink for the header frame: keeps the content but the long byte
 * strings.  Item heads alone tell where strings are (their nesting does
 * not matter); whatever else is wrong is the decoder's to find.
 */
static int keep_short(struct xt_reader *r, void *ctx, uint64_t at, const uint8_t *p, size_t n)
{
	struct hole_walk *w = ctx;
	const uint8_t *end = p + n;
	while (p < end) {
		size_t avail = (size_t)(end - p);
		if (w->left) {
			size_t k = w->left < avail ? (size_t)w->left : avail;
			if (w->skip)
				digest_add(w->skip, p, k);
			else
				TRY(keep_bytes(r, p, k));
			w->left -= k;
			p += k;
			continue;
		}
		if (!w->have) {
			/* a run of one-byte items that are no strings is kept in one go */
			const uint8_t *q = p;
			while (q < end && (*q & 31) < 24 && (*q >> 5) != 2 && (*q >> 5) != 3)
				q++;
			if (q > p) {
				TRY(keep_bytes(r, p, (size_t)(q - p)));
				p = q;
				continue;
			}
			static const uint8_t head_len[32] = { [24] = 2, [25] = 3, [26] = 5, [27] = 9 };
			w->need = head_len[*p & 31] ? head_len[*p & 31] : 1;
		}
		size_t k = w->need - w->have < avail ? w->need - w->have : avail;
		memcpy(w->head + w->have, p, k);
		w->have += (unsigned)k;
		p += k;
		if (w->have < w->need)
			continue;
		unsigned major = w->head[0] >> 5, ai = w->head[0] & 31;
		uint64_t len = ai < 24 ? ai : 0;
		for (unsigned i = 1; ai >= 24 && ai <= 27 && i < w->need; i++)
			len = len << 8 | w->head[i];
		w->have = 0;
		w->skip = NULL;
		if (major == 2 && ai <= 27 && len >= HOLE_MIN) {
			uint64_t src = at + (uint64_t)(p - (end - n));
			TRY(add_hole(r, src, len));
			w->skip = &r->holes[r->n_holes - 1];
			w->left = len;
			continue;
		}
		TRY(keep_bytes(r, w->head, w->need));
		if ((major == 2 || major == 3) && ai <= 27)
			w->left = len;
	}
	return 0;
}

/* The hole xti_blob() left slot NULL for, or NULL. */
static struct xti_hole *hole_of(const struct xt_reader *r, const uint8_t *const *slot)
{
	for (size_t i = 0; i < r->n_holes; i++)
		if (r->holes[i].slot == slot)
			return &r->holes[i];
	return NULL;
}

struct hole_copy {
	const struct xti_hole *h;
	uint8_t *dst;
	bool sparse;		/* dst is zero already: leave its pages alone where the bytes are zero */
};

struct hole_copies {
	struct hole_copy *v;
	size_t n;
};

static bool all_zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* A sink that copies the holes' bytes where they are wanted. */
static int copy_holes(struct xt_reader *r, void *ctx, uint64_t at, const uint8_t *p, size_t n)
{
	(void)r;
	const struct hole_copies *c = ctx;
	for (size_t i = 0; i < c->n; i++) {
		const struct hole_copy *hc = &c->v[i];
		uint64_t from = hc->h->src > at ? hc->h->src : at;
		uint64_t to = hc->h->src + hc->h->len < at + n ? hc->h->src + hc->h->len : at + n;
		for (uint64_t o = from; o < to;) {
			/* page by page of the destination, so that a zero page stays untouched */
			uint64_t d = o - hc->h->src;
			uint64_t k = 4096 - (((uintptr_t)hc->dst + d) & 4095);
			if (k > to - o)
				k = to - o;
			const uint8_t *q = p + (o - at);
			if (!hc->sparse || !all_zero(q, (size_t)k))
				memcpy(hc->dst + d, q, (size_t)k);
			o += k;
		}
	}
	return 0;
}

static int load_holes(struct xt_reader *r, struct hole_copy *v, size_t n)
{
	if (!n)
		return 0;
	struct hole_copies c = { v, n };
	uint64_t next;
	int k = decode_frame(r, XTI_FILE_MARK_SIZE, XTI_HEADER_FRAME_MAX, &next, copy_holes, &c);
	if (k < 0)
		return k;
	if (k != FRAME_ZSTD)
		return xti_err_at(&r->err, -EBADMSG, XTI_FILE_MARK_SIZE,
				  "the header frame can no longer be read whole");
	return 0;
}

int xt_reader_load_memory(struct xt_reader *r, uint8_t *mem, uint64_t mem_size)
{
	const struct xt_vm_config *vm = &r->header.vm;
	struct hole_copy *v = calloc(vm->n_memory + 1, sizeof(*v));
	if (!v)
		return xti_err(&r->err, -ENOMEM, "out of memory");
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < vm->n_memory && !rc; i++) {
		const struct xt_mem_region *m = &vm->memory[i];
		if (m->gpa > mem_size || m->size > mem_size - m->gpa)
			rc = xti_err(&r->err, -ERANGE,
				     "memory region at 0x%llx (%zu bytes) lies outside the guest's %llu bytes",
				     (unsigned long long)m->gpa, m->size, (unsigned long long)mem_size);
		else if (m->data)
			memcpy(mem + m->gpa, m->data, m->size);
		else if (m->size)
			v[n++] = (struct hole_copy){ hole_of(r, &m->data), mem + m->gpa, true };
		if (n && !v[n - 1].h)
			rc = xti_err(&r->err, -EINVAL, "memory region %zu has no bytes", i);
	}
	if (!rc)
		rc = load_holes(r, v, n);
	free(v);
	return rc;
}

int xt_reader_load_image(struct xt_reader *r, uint8_t *dst)
{
	const struct xt_image *im = &r->header.image;
	if (im->data && im->size)
		memcpy(dst, im->data, im->size);
	if (im->data || !im->size)
		return 0;
	struct hole_copy c = { hole_of(r, &im->data), dst, false };
	if (!c.h)
		return xti_err(&r->err, -EINVAL, "the guest image has no bytes");
	return load_holes(r, &c, 1);
}

static void start_cursor(struct xt_reader *r, uint64_t frame_off)
{
	/* a frame of no bytes may leave no buffer: NULL + 0 is undefined in C */
	const uint8_t *end = r->frame ? r->frame + r->frame_len : r->frame;
	r->cur = (struct xti_in){ .p = r->frame, .start = r->frame, .end = end,
				  .file_offset = frame_off, .err = &r->err };
	r->peek_p = NULL;
	r->last_m = NULL;
	r->cur_frame_off = frame_off;
}

/* Read a record's map head and type; *npairs is what is left after key 0. */
static int record_head(struct xti_in *in, uint64_t *type, size_t *npairs)
{
	struct xti_tok t, v;
	TRY(xti_next(in, &t));
	if (t.type != XTI_MAP || t.u == 0)
		return xti_bad(in, "a record must be a non-empty map");
	uint64_t key;
	TRY(xti_map_key(in, &key, &v));
	if (key != XTK_TYPE)
		return xti_bad(in, "a record must start with key 0 (its type)");
	TRY(xti_uint(in, &v, type));
	*npairs = t.u - 1;
	return 0;
}

/* ---- the footer ---- */

/* A trace of several vCPUs sums each one up; their steps add up to the trace's. */
static int check_footer_vcpus(struct xt_reader *r, uint64_t off)
{
	struct xt_footer *f = &r->footer;
	if (r->n_vcpus == 1 && f->n_vcpus <= 1) {
		f->vcpus = NULL;	/* a trace of one: the footer's own figures are vCPU 0's */
		f->n_vcpus = 0;
		return 0;
	}
	if (f->n_vcpus != r->n_vcpus)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "footer at offset %llu sums up %zu vCPUs, the header says %u",
				  (unsigned long long)off, f->n_vcpus, r->n_vcpus);
	uint64_t sum = 0;
	for (size_t v = 0; v < f->n_vcpus; v++) {
		if (v && !f->vcpus[v].final)
			return xti_err_at(&r->err, -EBADMSG, off,
					  "footer at offset %llu: vCPU %zu has no final state",
					  (unsigned long long)off, v);
		sum += f->vcpus[v].steps;
	}
	((struct xt_vcpu_summary *)f->vcpus)[0].final = &r->footer_final;	/* key 6, or none */
	if (sum != f->steps)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "footer at offset %llu: the vCPUs' steps add up to %llu, not %llu",
				  (unsigned long long)off, (unsigned long long)sum,
				  (unsigned long long)f->steps);
	return 0;
}

static int load_footer(struct xt_reader *r, uint64_t off, uint64_t expect_end)
{
	uint64_t next;
	int k = load_frame(r, off, XTI_DATA_FRAME_MAX, &next);
	if (k < 0)
		return k;
	if (k != FRAME_ZSTD || (expect_end && next != expect_end))
		return xti_err_at(&r->err, -EBADMSG, off,
				  "the trailer points at offset %llu, which holds no footer frame",
				  (unsigned long long)off);
	start_cursor(r, off);
	uint64_t type;
	size_t npairs;
	TRY(record_head(&r->cur, &type, &npairs));
	if (type != XT_REC_FOOTER)
		return xti_err_at(&r->err, -EBADMSG, off, "frame at offset %llu is not a footer",
				  (unsigned long long)off);
	memset(&r->footer, 0, sizeof(r->footer));
	r->footer.size = sizeof(r->footer);
	r->footer_final = *r->header.initial;
	TRY(xti_get_footer(&r->cur, npairs, &r->footer, &r->footer_final, &r->footer_arena));
	if (r->cur.p != r->cur.end)
		return xti_bad(&r->cur, "the footer frame holds more than the footer record");
	for (size_t i = 0; i < r->footer.n_index; i++) {
		const struct xt_frame_index *e = &r->footer.index[i];
		if (e->offset < r->data_start || e->offset >= off ||
		    (i && e->offset <= r->footer.index[i - 1].offset))
			return xti_err_at(&r->err, -EBADMSG, off,
					  "footer at offset %llu: frame index entry %zu is out of order",
					  (unsigned long long)off, i);
	}
	TRY(check_footer_vcpus(r, off));
	r->have_footer = true;
	r->data_end = off;
	r->index = (struct xt_frame_index *)r->footer.index;
	r->n_index = r->footer.n_index;
	r->index_known = true;
	return 0;
}

/* ---- open ---- */

static int check_mark(struct xt_reader *r, const char *path)
{
	uint8_t m[XTI_FILE_MARK_SIZE];
	size_t got;
	TRY(read_bytes(r, 0, m, sizeof(m), &got));
	if (r->size == 0)
		return xti_err_at(&r->err, -ENOEXEC, 0, "%s is empty: not an exitrace trace", path);
	bool mark = got >= 16 && xti_rd32(m) == XTI_SKIPPABLE_MAGIC &&
		    !memcmp(m + 8, XTI_FILE_MAGIC, 8);
	if (!mark) {
		if (got >= 4 && xti_rd32(m) == ZSTD_MAGICNUMBER)
			return xti_err_at(&r->err, -ENOEXEC, 0,
					  "%s is a zstd file but not an exitrace trace (no EXITRACE mark at offset 0)",
					  path);
		return xti_err_at(&r->err, -ENOEXEC, 0,
				  "%s is not an exitrace trace (no EXITRACE mark at offset 0)", path);
	}
	if (got < sizeof(m))
		return xti_err_at(&r->err, -EBADMSG, got, "%s is cut short inside its file mark", path);
	/* zstd -dc takes the length from here: a wrong one makes the file no zstd stream */
	if (xti_rd32(m + 4) != XTI_FILE_MARK_SIZE - 8)
		return xti_err_at(&r->err, -EBADMSG, 4,
				  "%s: the file mark says its content is %u bytes, not %u (offset 4)",
				  path, xti_rd32(m + 4), XTI_FILE_MARK_SIZE - 8);
	unsigned major = xti_rd16(m + 16), minor = xti_rd16(m + 18);
	if (major > XT_FORMAT_MAJOR)
		return xti_err_at(&r->err, -EPROTONOSUPPORT, 16,
				  "%s is trace format %u.%u, newer than this exitrace reads (%u.x): use a newer exitrace",
				  path, major, minor, XT_FORMAT_MAJOR);
	if (major == 0)
		return xti_err_at(&r->err, -EBADMSG, 16, "%s: format version 0 is not valid", path);
	return 0;
}

/* Every region's digest: comparing initial memory must not need the bytes. */
static int digest_memory(struct xt_reader *r)
{
	struct xt_vm_config *vm = &r->header.vm;
	uint64_t *d = xti_alloc(&r->header_arena, (vm->n_memory + 1) * sizeof(*d));
	if (!d)
		return xti_err(&r->err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < vm->n_memory; i++) {
		const struct xt_mem_region *m = &vm->memory[i];
		const struct xti_hole *h = m->data ? NULL : hole_of(r, &m->data);
		struct xti_hole one = { .len = m->size, .digest = 0xcbf29ce484222325ull };
		if (!h) {
			digest_add(&one, m->data, m->size);
			digest_end(&one);
			h = &one;
		}
		d[i] = h->digest;
	}
	vm->memory_digests = d;
	return 0;
}

static int read_header(struct xt_reader *r, const char *path)
{
	uint64_t next;
	struct hole_walk walk = { 0 };
	r->frame_len = 0;
	int k = decode_frame(r, XTI_FILE_MARK_SIZE, XTI_HEADER_FRAME_MAX, &next, keep_short, &walk);
	if (k < 0)
		return k;
	if (k != FRAME_ZSTD)
		return xti_err_at(&r->err, -EBADMSG, XTI_FILE_MARK_SIZE,
				  "%s is cut short inside its header frame (%llu bytes in the file)", path,
				  (unsigned long long)r->size);
	if (walk.skip && walk.left)
		return xti_err_at(&r->err, -EBADMSG, XTI_FILE_MARK_SIZE,
				  "%s: a byte string of %llu bytes runs past the end of the header frame",
				  path, (unsigned long long)walk.skip->len);
	for (size_t i = 0; i < r->n_holes; i++)
		digest_end(&r->holes[i]);
	start_cursor(r, XTI_FILE_MARK_SIZE);
	r->cur.holes = r->holes;
	r->cur.n_holes = r->n_holes;
	uint64_t type;
	size_t npairs;
	TRY(record_head(&r->cur, &type, &npairs));
	if (type != XT_REC_HEADER)
		return xti_err_at(&r->err, -EBADMSG, XTI_FILE_MARK_SIZE,
				  "%s: the first frame holds no header record", path);
	TRY(xti_get_header(&r->cur, npairs, &r->header, &r->header_arena));
	if (r->header.version_major > XT_FORMAT_MAJOR)
		return xti_err_at(&r->err, -EPROTONOSUPPORT, XTI_FILE_MARK_SIZE,
				  "%s: header says trace format %u.%u, newer than this exitrace reads (%u.x)",
				  path, r->header.version_major, r->header.version_minor, XT_FORMAT_MAJOR);
	if (r->header.version_major == 0)
		return xti_err_at(&r->err, -EBADMSG, XTI_FILE_MARK_SIZE,
				  "%s: the header (frame at offset %u) says format version %u.%u: major 0 is not valid",
				  path, XTI_FILE_MARK_SIZE, r->header.version_major, r->header.version_minor);
	if (r->cur.p != r->cur.end)
		return xti_bad(&r->cur, "the header frame holds more than the header record");
	if (!r->header.vm.capture)
		r->header.vm.capture = XT_CAPTURE_DEFAULT;
	/* time fields in ticks of an unknown clock would be numbers nobody can read */
	if ((r->header.vm.capture & XT_CAPTURE_TIME) && !r->header.vm.time_hz)
		return xti_err_at(&r->err, -EBADMSG, XTI_FILE_MARK_SIZE,
				  "%s: the header says time is captured but gives no time_hz (vm key 22)", path);
	r->data_start = next;
	return digest_memory(r);
}

static int read_trailer(struct xt_reader *r)
{
	if (r->size < r->data_start + XTI_TRAILER_SIZE)
		return 0;
	uint8_t t[XTI_TRAILER_SIZE];
	size_t got;
	uint64_t at = r->size - XTI_TRAILER_SIZE;
	TRY(read_bytes(r, at, t, sizeof(t), &got));
	if (got != sizeof(t) || xti_rd32(t) != XTI_SKIPPABLE_MAGIC ||
	    xti_rd32(t + 4) != XTI_TRAILER_SIZE - 8 || memcmp(t + 8, XTI_TRAILER_MAGIC, 8))
		return 0;	/* no trailer: the writer did not finish */
	uint64_t off = xti_rd64(t + 16);
	if (off < r->data_start || off >= at)
		return xti_err_at(&r->err, -EBADMSG, at, "the trailer at offset %llu points outside the trace",
				  (unsigned long long)at);
	return load_footer(r, off, at);
}

/* Room for each vCPU's running state, once the header says how many. */
static int alloc_vcpus(struct xt_reader *r)
{
	r->n_vcpus = r->header.vm.n_vcpus;
	r->vsteps = calloc(r->n_vcpus, sizeof(*r->vsteps));
	r->vkeyed = calloc(r->n_vcpus, sizeof(*r->vkeyed));
	if (r->n_vcpus > 1)
		r->vstate = calloc(r->n_vcpus, sizeof(*r->vstate));
	if (!r->vsteps || !r->vkeyed || (r->n_vcpus > 1 && !r->vstate))
		return xti_err(&r->err, -ENOMEM, "out of memory for %u vCPUs", r->n_vcpus);
	r->state = *r->header.initial;
	for (uint32_t v = 1; v < r->n_vcpus; v++)
		r->vstate[v - 1] = r->header.initial_vcpus[v - 1];
	return 0;
}

static void rewind_stream(struct xt_reader *r)
{
	if (r->vsteps) {
		memset(r->vsteps, 0, r->n_vcpus * sizeof(*r->vsteps));
		memset(r->vkeyed, true, r->n_vcpus * sizeof(*r->vkeyed));	/* states left as they were */
	}
	r->vsteps_known = true;
	r->pos = r->data_start;
	r->in_frame = false;
	r->at_end = false;
	r->keyframe_due = false;
	r->seeking = false;
	r->expect_step = 0;
	r->step = 0;
	/* before the first step the state is the initial one: the first keyframe must hold it */
	r->running = r->header.initial != NULL;
	if (r->running)
		r->state = *r->header.initial;
	r->from_start = true;
	r->frame_no = 0;
	memset(r->hist, 0, sizeof(r->hist));
	r->n_hist_other = 0;
	r->hist_lost = false;
	memset(r->event_counts, 0, sizeof(r->event_counts));
}

int xt_reader_open(struct xt_reader **out, const char *path, struct xt_error *err)
{
	*out = NULL;
	struct xt_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return xti_err(err, -ENOMEM, "out of memory");
	const char *name = strcmp(path, "-") ? path : "standard input";
	int rc;
	r->fd = xti_open_input(path, name, &r->size, &r->err);
	if (r->fd < 0) {
		rc = r->fd;
		goto fail;
	}
	r->win = malloc(WINDOW);
	r->dctx = ZSTD_createDCtx();
	r->memo = calloc(1, sizeof(*r->memo));
	if (!r->win || !r->dctx || !r->memo) {
		rc = xti_err(&r->err, -ENOMEM, "out of memory");
		goto fail;
	}
	r->data_end = r->size;
	if ((rc = check_mark(r, name)) || (rc = read_header(r, name)) || (rc = alloc_vcpus(r)) ||
	    (rc = read_trailer(r)))
		goto fail;
	rewind_stream(r);
	*out = r;
	return 0;
fail:
	if (err)
		*err = r->err;
	xt_reader_close(r);
	return rc;
}

void xt_reader_close(struct xt_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->win);
	free(r->frame);
	ZSTD_freeDCtx(r->dctx);
	xti_arena_free(&r->header_arena);
	xti_arena_free(&r->footer_arena);
	xti_arena_free(&r->event_arena);
	free(r->scan_index);
	free(r->memo);
	free(r->holes);
	free(r->bounce);
	free(r->vstate);
	free(r->vsteps);
	free(r->vkeyed);
	free(r);
}

/* ---- records ---- */

/* Branches so that the usual full key is one 8-byte load: memo_find runs every step. */
static uint64_t memo_key(const uint8_t *p, size_t avail)
{
	uint64_t k = 0;
	if (avail >= 8)
		memcpy(&k, p, 8);
	else
		memcpy(&k, p, avail);
	return k;
}

/*
 * The set is chosen by the first 16 bytes: records that differ only after
 * their first 8 (the same fields, another delta, as rflags gives in an
 * arithmetic loop) spread over the sets.  A record shorter than 16 bytes
 * brings the next record's first bytes in; those repeat too.
 */
static unsigned memo_set(const uint8_t *p, size_t avail, uint64_t key)
{
	uint64_t w = 0;
	if (avail >= 16)
		memcpy(&w, p + 8, 8);
	else if (avail > 8)
		memcpy(&w, p + 8, avail - 8);
	uint64_t h = key * 0x9e3779b97f4a7c15ull ^ w * 0xc2b2ae3d27d4eb4full;
	return (unsigned)(h >> 56) & (MEMO_SETS - 1);
}

/*
 * Does the input (avail bytes at p, whose first 8 make key) start with the
 * entry's record?  Bytes 0-7 are the key, bytes 8-15 one masked word, the
 * rest (long records only) compared as bytes: records are short, and this
 * runs for every step.
 */
static inline bool entry_matches(const struct memo_entry *e, const uint8_t *p, size_t avail,
				 uint64_t key)
{
	if (e->key != key || !e->len || e->len > avail)
		return false;
	if (e->len <= 8)
		return true;
	uint64_t w = 0;
	if (avail >= 16)
		memcpy(&w, p + 8, 8);
	else
		memcpy(&w, p + 8, avail - 8);
	if ((w & e->mask2) != e->key2)
		return false;
	return e->len <= 16 || !memcmp(e->bytes + 16, p + 16, e->len - 16u);
}

static const struct memo_entry *memo_search(const struct xt_reader *r, const uint8_t *p, size_t avail,
					     uint64_t key)
{
	const struct memo_entry *e = r->memo->e[memo_set(p, avail, key)];
	for (unsigned w = 0; w < MEMO_WAYS; w++, e++)
		if (entry_matches(e, p, avail, key))
			return e;
	return NULL;
}

/* The memo entry whose record the bytes at the cursor start with, or NULL. */
static inline const struct memo_entry *memo_find(const struct xt_reader *r)
{
	const uint8_t *p = r->cur.p;
	size_t avail = (size_t)(r->cur.end - p);
	uint64_t key = memo_key(p, avail);
	/* a loop's records come in the same order every iteration: try the one that came last time */
	const struct memo_entry *h = r->last_m ? r->last_m->next_hint : NULL;
	if (h && entry_matches(h, p, avail, key))
		return h;
	return memo_search(r, p, avail, key);
}

static void memo_insert(struct xt_reader *r, const uint8_t *start, size_t len)
{
	if (!r->pend_cacheable || len > MEMO_BYTES) {
		r->last_m = NULL;
		return;
	}
	/* the key is taken as memo_find() will see it: the bytes at the record's start */
	uint64_t key = memo_key(start, (size_t)(r->cur.end - start));
	unsigned set = memo_set(start, (size_t)(r->cur.end - start), key);
	struct memo_entry *e = &r->memo->e[set][r->memo->next_way[set]++ % MEMO_WAYS];
	e->key = key;
	e->len = (uint8_t)len;
	e->nops = r->pend_nops;
	memcpy(e->bytes, start, len);
	e->mask2 = len <= 8 ? 0 : len >= 16 ? ~0ull : ~0ull >> (64 - 8 * (len - 8));
	e->key2 = 0;
	if (len > 8)
		memcpy(&e->key2, start + 8, len >= 16 ? 8 : len - 8);
	memcpy(e->offset, r->pend_offset, sizeof(e->offset));
	e->target = r->pend_target;
	e->vcpu = r->pend_vcpu;
	memcpy(e->delta, r->pend_delta, sizeof(e->delta));
	e->changed = r->changed;
	e->next_hint = NULL;
	if (r->last_m)
		r->last_m->next_hint = e;
	r->last_m = e;
}

static void count_odd_reason(struct xt_reader *r, uint64_t reason)
{
	for (size_t i = 0; i < r->n_hist_other; i++) {
		if (r->hist_other[i].reason == reason) {
			r->hist_other[i].count++;
			return;
		}
	}
	if (r->n_hist_other == HIST_OTHER) {
		r->hist_lost = true;
		return;
	}
	r->hist_other[r->n_hist_other++] = (struct xt_hist_entry){ .reason = reason, .count = 1 };
}

static uint64_t hist_count(const struct xt_reader *r, uint64_t reason)
{
	if (reason < HIST_DIRECT)
		return r->hist[reason];
	for (size_t i = 0; i < r->n_hist_other; i++)
		if (r->hist_other[i].reason == reason)
			return r->hist_other[i].count;
	return 0;
}

/* A step record was read: the fast path and advance() must count it alike. */
static inline void count_step(struct xt_reader *r, uint32_t vcpu)
{
	r->step++;
	r->vsteps[vcpu]++;
	r->expect_step = r->step;
	if (!r->index_known && r->n_scan)
		r->scan_index[r->n_scan - 1].nsteps++;
	uint64_t reason = state_of(r, vcpu)->exit.reason;	/* the stepping vCPU's exit */
	if (reason < HIST_DIRECT)
		r->hist[reason]++;
	else
		count_odd_reason(r, reason);
}

/* The footer says otherwise than the data: keep the first disagreement, read on. */
__attribute__((format(printf, 2, 3)))
static void footer_disagrees(struct xt_reader *r, const char *fmt, ...)
{
	if (r->inconsistent)
		return;
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->inconsistent = true;
	xti_err_at(&r->inconsistency, -EBADMSG, r->data_end,
		   "inconsistent trace: %s (footer at offset %llu)", what, (unsigned long long)r->data_end);
}

/* A data frame begins at off with step: is it the one the footer's index lists next? */
static void check_index_entry(struct xt_reader *r, uint64_t off, uint64_t step)
{
	const struct xt_footer *f = &r->footer;
	size_t k = r->frame_no++;
	if (!r->have_footer)
		return;
	if (k && k <= f->n_index && f->index[k - 1].first_step + f->index[k - 1].nsteps != step)
		footer_disagrees(r, "the footer's index says frame %zu holds %llu steps, the data holds %llu",
				 k - 1, (unsigned long long)f->index[k - 1].nsteps,
				 (unsigned long long)(step - f->index[k - 1].first_step));
	else if (k >= f->n_index)
		footer_disagrees(r, "the data holds a frame at offset %llu (from step %llu) that the footer's index does not list",
				 (unsigned long long)off, (unsigned long long)step);
	else if (f->index[k].offset != off || f->index[k].first_step != step)
		footer_disagrees(r, "the footer's index puts frame %zu at offset %llu from step %llu, the data has it at offset %llu from step %llu",
				 k, (unsigned long long)f->index[k].offset,
				 (unsigned long long)f->index[k].first_step, (unsigned long long)off,
				 (unsigned long long)step);
}

/* The stream reached the end of the data: does the footer say what the data holds? */
static void check_footer_at_end(struct xt_reader *r)
{
	const struct xt_footer *f = &r->footer;
	if (!r->have_footer || r->inconsistent)
		return;
	if (r->step != f->steps) {
		footer_disagrees(r, "the footer says %llu steps, the data holds %llu",
				 (unsigned long long)f->steps, (unsigned long long)r->step);
		return;
	}
	if (r->frame_no != f->n_index) {
		footer_disagrees(r, "the footer's index lists %zu frames, the data holds %zu", f->n_index,
				 r->frame_no);
		return;
	}
	if (r->frame_no && f->index[r->frame_no - 1].first_step + f->index[r->frame_no - 1].nsteps != r->step) {
		footer_disagrees(r, "the footer's index says the last frame holds %llu steps, the data holds %llu",
				 (unsigned long long)f->index[r->frame_no - 1].nsteps,
				 (unsigned long long)(r->step - f->index[r->frame_no - 1].first_step));
		return;
	}
	if (!r->from_start)
		return;	/* a seek skipped the counts of the frames before it */
	uint64_t listed = 0;
	for (size_t i = 0; i < f->n_hist && !r->hist_lost; i++) {
		const char *name = xt_exit_reason_name(f->hist[i].reason);
		uint64_t have = hist_count(r, f->hist[i].reason);
		listed += f->hist[i].count;
		if (have != f->hist[i].count) {
			footer_disagrees(r, "the footer counts %llu steps with exit %s, the data holds %llu",
					 (unsigned long long)f->hist[i].count, name ? name : "?",
					 (unsigned long long)have);
			return;
		}
	}
	if (!r->hist_lost && listed != r->step) {
		footer_disagrees(r, "the footer's exit histogram counts %llu steps, the data holds %llu",
				 (unsigned long long)listed, (unsigned long long)r->step);
		return;
	}
	for (unsigned k = 1; k < XT_EV_KIND_LIMIT; k++) {
		if (f->event_counts[k] != r->event_counts[k]) {
			footer_disagrees(r, "the footer counts %llu %s events, the data holds %llu",
					 (unsigned long long)f->event_counts[k], xt_event_kind_name(k),
					 (unsigned long long)r->event_counts[k]);
			return;
		}
	}
	/* each vCPU's own figures: its steps, and its state after its last step */
	for (size_t v = 0; v < f->n_vcpus && v < r->n_vcpus; v++) {
		const struct xt_vcpu_summary *vs = &f->vcpus[v];
		struct xt_field_set dv;
		if (r->vsteps_known && vs->steps != r->vsteps[v]) {
			footer_disagrees(r, "the footer says vCPU %zu made %llu steps, the data holds %llu", v,
					 (unsigned long long)vs->steps, (unsigned long long)r->vsteps[v]);
			return;
		}
		if (vs->final && r->running &&
		    xt_state_diff(vs->final, state_of(r, (uint32_t)v), r->header.vm.capture, &dv)) {
			footer_disagrees(r, "the footer's final state of vCPU %zu differs from the state after its last step",
					 v);
			return;
		}
	}
	struct xt_field_set d;
	if (f->final && r->running && xt_state_diff(f->final, &r->state, r->header.vm.capture, &d)) {
		unsigned id = 0;
		while (!xt_field_set_has(&d, id))
			id++;
		const struct xt_field *fd = xt_field_by_id(id);
		footer_disagrees(r, "the footer's final state differs from the state after the last step in %s",
				 fd && fd->name ? fd->name : "a field");
	}
}

/*
 * The caller hands out e->changed as the step's changed set, or copies it.
 * Inlined always: it is most of a step's cost, and gcc stopped inlining it
 * once it found the state through the entry.
 */
static inline __attribute__((always_inline)) void memo_apply(struct xt_reader *r,
							     const struct memo_entry *e)
{
	if (r->last_m)
		r->last_m->next_hint = e;
	r->last_m = (struct memo_entry *)e;
	char *s = (char *)e->target;
	for (unsigned i = 0; i < e->nops; i++)
		*(uint64_t *)(s + e->offset[i]) += e->delta[i];
	r->cur.p += e->len;
}

/* The vCPU key's value: a vCPU of this trace. */
static int get_vcpu(struct xt_reader *r, struct xti_in *in, const struct xti_tok *v, uint32_t *vcpu)
{
	uint64_t u;
	TRY(xti_uint(in, v, &u));
	if (u >= r->n_vcpus)
		return xti_bad(in, "vCPU %llu, but the trace has %u", (unsigned long long)u, r->n_vcpus);
	*vcpu = (uint32_t)u;
	return 0;
}

static int decode_step(struct xt_reader *r, size_t npairs)
{
	struct xti_in *in = &r->cur;
	struct xt_state *st = &r->state;
	r->pend_vcpu = 0;
	memset(&r->changed, 0, sizeof(r->changed));
	r->pend_nops = 0;
	r->pend_cacheable = npairs <= MEMO_OPS;
	struct xti_keys seen = XTI_KEYS_RECORD;
	for (size_t i = 0; i < npairs; i++) {
		struct xti_tok k, v;
		TRY(xti_next(in, &k));
		TRY(xti_next(in, &v));
		if (k.type != XTI_UINT)
			return xti_bad(in, "step: expected a field id");
		TRY(xti_key_once(in, &seen, k.u, "step"));
		const struct xt_field *f = k.u < XT_FIELD_ID_LIMIT ? xt_field_by_id((unsigned)k.u) : NULL;
		if (!f && k.u == XTK_VCPU) {
			/* first, so that no delta went to another vCPU's state */
			if (i != 0)
				return xti_bad(in, "step: the vCPU must come right after the type");
			TRY(get_vcpu(r, in, &v, &r->pend_vcpu));
			st = state_of(r, r->pend_vcpu);
			continue;
		}
		if (!f) {
			r->pend_cacheable = false;
			TRY(xti_skip(in, &v));	/* a field of a newer minor version */
			continue;
		}
		if (f->kind == XT_KIND_U64) {
			uint64_t delta;
			if (v.type == XTI_UINT)
				delta = v.u;
			else if (v.type == XTI_NEGINT)
				delta = ~v.u;	/* -1 - n, modulo 2^64 */
			else
				return xti_bad(in, "step: field %s: expected an integer delta", f->name);
			xt_field_put(st, f, xt_field_get(st, f) + delta);
			if (r->pend_cacheable) {
				r->pend_offset[r->pend_nops] = f->offset;
				r->pend_delta[r->pend_nops++] = delta;
			}
		} else {
			r->pend_cacheable = false;
			TRY(xti_store_field(in, st, f, &v));
		}
		xt_field_set_add(&r->changed, f->id);
	}
	r->pend_target = st;
	return 0;
}

static int add_scan_entry(struct xt_reader *r, uint64_t off, uint64_t first_step)
{
	if (r->index_known)
		return 0;
	if (r->n_scan == r->cap_scan) {
		size_t cap = r->cap_scan ? r->cap_scan * 2 : 64;
		struct xt_frame_index *p = realloc(r->scan_index, cap * sizeof(*p));
		if (!p)
			return xti_err(&r->err, -ENOMEM, "out of memory for the frame index");
		r->scan_index = p;
		r->cap_scan = cap;
	}
	r->scan_index[r->n_scan++] = (struct xt_frame_index){ off, first_step, 0 };
	return 0;
}

/*
 * A keyframe repeats the state the steps before it built (the initial
 * state for the first): one that does not was edited or miswritten, and
 * reading on from either would show another trace than replay runs.
 */
static int check_keyframe(struct xt_reader *r, uint64_t off, uint64_t step, uint32_t vcpu,
			  const struct xt_state *built, const struct xt_state *keyframe)
{
	struct xt_field_set d;
	if (!xt_state_diff(built, keyframe, r->header.vm.capture, &d))
		return 0;
	unsigned id = 0;
	while (!xt_field_set_has(&d, id))
		id++;
	const struct xt_field *f = xt_field_by_id(id);
	char was[64] = "", who[32] = "";
	if (f && f->kind == XT_KIND_U64) {
		snprintf(was, sizeof(was), " (0x%llx by the steps, 0x%llx in the keyframe)",
			 (unsigned long long)xt_field_get(built, f),
			 (unsigned long long)xt_field_get(keyframe, f));
	}
	if (r->n_vcpus > 1)
		snprintf(who, sizeof(who), " of vCPU %u", vcpu);
	return xti_err_at(&r->err, -EBADMSG, off,
			  "keyframe%s at offset %llu (step %llu) disagrees with the state the steps before it built: %s differs%s",
			  who, (unsigned long long)off, (unsigned long long)step,
			  f && f->name ? f->name : "a field", was);
}

/* A vCPU's steps before the frame, from its keyframe: they continue what was read. */
static int set_vcpu_steps(struct xt_reader *r, uint64_t off, uint32_t vcpu, uint64_t steps,
			  uint64_t *left)
{
	if (steps > *left)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "frame at offset %llu: its keyframes count more steps than its first step %llu",
				  (unsigned long long)off, (unsigned long long)r->step);
	*left -= steps;
	if (r->vsteps_known && r->vsteps[vcpu] != steps)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "frame at offset %llu: vCPU %u has made %llu steps by %s, but %llu were read",
				  (unsigned long long)off, vcpu, (unsigned long long)steps,
				  steps ? "its keyframe" : "having none", (unsigned long long)r->vsteps[vcpu]);
	r->vsteps[vcpu] = steps;
	return 0;
}

/*
 * A vCPU without a keyframe in the frame: in its initial state.  Copied
 * only when it may have left it (a step or a keyframe since the last
 * copy), so that a frame costs no more than its records whatever the
 * number of vCPUs.
 */
static int not_started(struct xt_reader *r, uint64_t off, uint32_t vcpu, uint64_t *left)
{
	if (r->vsteps[vcpu] || r->vkeyed[vcpu]) {
		r->vstate[vcpu - 1] = r->header.initial_vcpus[vcpu - 1];
		r->vkeyed[vcpu] = false;
	}
	return set_vcpu_steps(r, off, vcpu, 0, left);
}

/*
 * After vCPU 0's keyframe (steps0: its steps so far), those of the other
 * vCPUs that have made a step, in ascending order; a vCPU without one has
 * made none and is in its initial state.  Their counts add up to the
 * frame's first step.
 */
static int vcpu_keyframes(struct xt_reader *r, uint64_t off, uint64_t steps0)
{
	uint64_t left = r->step;	/* the steps the keyframes have not counted yet */
	TRY(set_vcpu_steps(r, off, 0, steps0, &left));
	uint32_t next = 1;	/* the lowest vCPU whose keyframe may come */
	while (r->n_vcpus > 1 && r->cur.p < r->cur.end) {
		const uint8_t *start = r->cur.p;
		uint64_t type;
		size_t npairs;
		TRY(record_head(&r->cur, &type, &npairs));
		if (type != XT_REC_KEYFRAME) {
			r->cur.p = start;
			break;
		}
		struct xt_state *scratch = &r->vstate[r->n_vcpus - 1];
		memset(scratch, 0, sizeof(*scratch));
		uint64_t step = UINT64_MAX, own = UINT64_MAX;
		uint32_t vcpu = 0;
		bool have_state = false;
		struct xti_keys seen = XTI_KEYS_RECORD;
		for (size_t i = 0; i < npairs; i++) {
			uint64_t key;
			struct xti_tok v;
			TRY(xti_map_key_once(&r->cur, &seen, "keyframe", &key, &v));
			if (key == XTK_K_STEP)
				TRY(xti_uint(&r->cur, &v, &step));
			else if (key == XTK_K_VCPU_STEPS)
				TRY(xti_uint(&r->cur, &v, &own));
			else if (key == XTK_VCPU)
				TRY(get_vcpu(r, &r->cur, &v, &vcpu));
			else if (key == XTK_K_STATE)
				TRY(xti_get_state(&r->cur, &v, scratch));
			else
				TRY(xti_skip(&r->cur, &v));
			have_state |= key == XTK_K_STATE;
		}
		if (vcpu < next || step != r->step || !have_state)
			return xti_bad(&r->cur, "keyframe of vCPU %u: %s", vcpu,
				       vcpu < next ? "out of order or twice" :
				       step != r->step ? "another step than the frame's" : "no state");
		for (; next < vcpu; next++)
			TRY(not_started(r, off, next, &left));
		own = own == UINT64_MAX ? step : own;
		bool built = r->vsteps_known;
		TRY(set_vcpu_steps(r, off, vcpu, own, &left));
		/* read on from the frame before: the steps built this vCPU's state, its keyframe repeats it */
		if (built)
			TRY(check_keyframe(r, off, step, vcpu, &r->vstate[vcpu - 1], scratch));
		r->vstate[vcpu - 1] = *scratch;
		r->vkeyed[vcpu] = true;
		next = vcpu + 1;
	}
	for (; next < r->n_vcpus; next++)
		TRY(not_started(r, off, next, &left));
	if (left)
		return xti_err_at(&r->err, -EBADMSG, off,
				  "frame at offset %llu: its keyframes count %llu steps, it starts at step %llu",
				  (unsigned long long)off, (unsigned long long)(r->step - left),
				  (unsigned long long)r->step);
	r->vsteps_known = true;
	return 0;
}

/* Load the next frame and its keyframe.  1: a frame is ready; 0: end of trace. */
static int next_frame(struct xt_reader *r)
{
	for (;;) {
		if (r->pos >= r->data_end)
			return 0;
		uint64_t off = r->pos, next = 0;
		int k = load_frame(r, off, XTI_DATA_FRAME_MAX, &next);
		if (k < 0)
			return k;
		if (k == FRAME_EOF || k == FRAME_TRUNCATED)
			return 0;	/* the writer died here: everything before is whole */
		r->pos = next;
		if (k == FRAME_SKIPPABLE)
			continue;	/* the trailer, or a mark of a newer writer */

		start_cursor(r, off);
		uint64_t type;
		size_t npairs;
		TRY(record_head(&r->cur, &type, &npairs));
		if (type == XT_REC_FOOTER) {
			/* a footer without its trailer: the trace is complete after all */
			if (!r->have_footer) {
				TRY(load_footer(r, off, 0));
				r->pos = next;
			}
			return 0;
		}
		if (type != XT_REC_KEYFRAME)
			return xti_err_at(&r->err, -EBADMSG, off,
					  "frame at offset %llu does not start with a keyframe",
					  (unsigned long long)off);
		uint64_t step = UINT64_MAX, own = UINT64_MAX;
		uint32_t vcpu = 0;
		bool have_state = false;
		memset(&r->keyframe, 0, sizeof(r->keyframe));
		struct xti_keys seen = XTI_KEYS_RECORD;
		for (size_t i = 0; i < npairs; i++) {
			uint64_t key;
			struct xti_tok v;
			TRY(xti_map_key_once(&r->cur, &seen, "keyframe", &key, &v));
			if (key == XTK_K_STEP) {
				TRY(xti_uint(&r->cur, &v, &step));
			} else if (key == XTK_K_VCPU_STEPS) {
				TRY(xti_uint(&r->cur, &v, &own));
			} else if (key == XTK_VCPU) {
				TRY(get_vcpu(r, &r->cur, &v, &vcpu));
			} else if (key == XTK_K_STATE) {
				TRY(xti_get_state(&r->cur, &v, &r->keyframe));
				have_state = true;
			} else {
				TRY(xti_skip(&r->cur, &v));
			}
		}
		if (step == UINT64_MAX || !have_state)
			return xti_err_at(&r->err, -EBADMSG, off,
					  "keyframe at offset %llu lacks its step or state",
					  (unsigned long long)off);
		/*
		 * Also when seeking: seek set expect_step from the index, and an
		 * index that does not match the frames (a damaged or forged
		 * footer) must not land the reader on another step than asked.
		 */
		if (step != r->expect_step)
			return xti_err_at(&r->err, -EBADMSG, off,
					  "frame at offset %llu starts at step %llu, but step %llu was expected",
					  (unsigned long long)off, (unsigned long long)step,
					  (unsigned long long)r->expect_step);
		if (vcpu != 0)
			return xti_err_at(&r->err, -EBADMSG, off,
					  "frame at offset %llu starts with the keyframe of vCPU %u, not vCPU 0",
					  (unsigned long long)off, vcpu);
		if (r->running)
			TRY(check_keyframe(r, off, step, 0, &r->state, &r->keyframe));
		check_index_entry(r, off, step);
		r->state = r->keyframe;
		r->running = true;
		r->step = step;
		r->expect_step = step;
		TRY(vcpu_keyframes(r, off, own == UINT64_MAX ? step : own));
		/* the changed set of the last step stays: xt_reader_peek() may get here */
		TRY(add_scan_entry(r, off, step));
		r->in_frame = true;
		return 1;
	}
}

/*
 * An event follows its step's record, an injection precedes it (spec 6):
 * an event for a later step is not in its place, and a seek, which goes
 * by frames, would not find it.  ktrace events come from tracefs in
 * batches, after later steps; events of kinds this reader does not know
 * are not judged for being late.
 */
static int check_event_step(struct xt_reader *r)
{
	const struct xt_event *ev = &r->event;
	bool may_be_late = ev->kind == XT_EV_KTRACE || ev->kind == 0 || ev->kind >= XT_EV_KIND_LIMIT;
	if (ev->step > r->step + 1 || (ev->step < r->step && !may_be_late))
		return xti_bad(&r->cur, "a %s event for step %llu after step %llu (it belongs %s)",
			       xt_event_kind_name(ev->kind), (unsigned long long)ev->step,
			       (unsigned long long)r->step,
			       ev->step > r->step ? "before that step's record" : "after that step's record");
	return 0;
}

/*
 * The next record: consumed and returned in *rec, or with peek set only
 * its type in *rec, the record left for the next call.  Records a seek
 * skips are consumed either way.
 */
static int advance(struct xt_reader *r, struct xt_record *rec, bool peek)
{
	for (;;) {
		if (r->at_end)
			return 0;
		if (!r->in_frame) {
			int k = next_frame(r);
			if (k <= 0) {
				if (k < 0)
					return k;
				r->at_end = true;
				check_footer_at_end(r);
				if (r->seeking)
					return xti_err(&r->err, -ERANGE, "step %llu is past the trace's last step %llu",
						       (unsigned long long)r->seek_target,
						       (unsigned long long)r->step);
				return 0;
			}
			r->keyframe_due = r->keyframes && !r->seeking;
		}
		if (r->keyframe_due) {
			*rec = (struct xt_record){ .type = XT_REC_KEYFRAME, .step = r->step,
						   .offset = r->cur_frame_off, .state = &r->state,
						   .vcpu_step = r->vsteps[0] };
			r->keyframe_due = peek;
			return 1;
		}
		if (r->cur.p >= r->cur.end) {
			r->in_frame = false;
			continue;
		}
		const uint8_t *start = r->cur.p;
		const struct memo_entry *m = start == r->peek_p ? r->peek_m : memo_find(r);
		uint64_t type = XT_REC_STEP;
		size_t npairs = 0;
		if (!m)
			TRY(record_head(&r->cur, &type, &npairs));
		if (peek && type == XT_REC_STEP && !(r->seeking && r->step + 1 < r->seek_target)) {
			r->cur.p = start;
			r->peek_p = start;
			r->peek_m = m;
			*rec = (struct xt_record){ .type = XT_REC_STEP, .step = r->step + 1,
						   .offset = r->cur_frame_off };
			return 1;
		}
		if (peek && type == XT_REC_EVENT && !r->seeking) {
			r->cur.p = start;
			*rec = (struct xt_record){ .type = XT_REC_EVENT, .offset = r->cur_frame_off };
			return 1;
		}
		switch (type) {
		case XT_REC_STEP: {
			uint32_t vcpu;
			if (m) {
				memo_apply(r, m);
				r->changed = m->changed;
				vcpu = m->vcpu;
			} else {
				TRY(decode_step(r, npairs));
				memo_insert(r, start, (size_t)(r->cur.p - start));
				vcpu = r->pend_vcpu;
			}
			count_step(r, vcpu);
			if (r->seeking && r->step < r->seek_target)
				continue;
			r->seeking = false;
			*rec = (struct xt_record){ .type = XT_REC_STEP, .step = r->step,
						   .offset = r->cur_frame_off, .state = state_of(r, vcpu),
						   .changed = &r->changed, .raw = start,
						   .raw_len = (size_t)(r->cur.p - start), .vcpu = vcpu,
						   .vcpu_step = r->vsteps[vcpu] };
			return 1;
		}
		case XT_REC_EVENT:
			xti_arena_reset(&r->event_arena);
			TRY(xti_get_event(&r->cur, npairs, &r->event, &r->event_arena));
			if (r->event.vcpu >= r->n_vcpus)
				return xti_bad(&r->cur, "an event of vCPU %u, but the trace has %u",
					       r->event.vcpu, r->n_vcpus);
			TRY(check_event_step(r));
			if (r->event.kind < XT_EV_KIND_LIMIT && !peek)
				r->event_counts[r->event.kind]++;
			if (r->seeking && r->event.step < r->seek_target)
				continue;
			/* peeking while a seek skips: decoded to read its step, decoded again by next */
			if (peek)
				r->cur.p = start;
			*rec = (struct xt_record){ .type = XT_REC_EVENT, .step = r->event.step,
						   .offset = r->cur_frame_off, .event = &r->event,
						   .vcpu = r->event.vcpu };
			return 1;
		case XT_REC_HEADER: case XT_REC_KEYFRAME: case XT_REC_FOOTER:
			return xti_bad(&r->cur, "a %s record inside a data frame",
				       type == XT_REC_HEADER ? "header" :
				       type == XT_REC_KEYFRAME ? "second keyframe" : "footer");
		default: {
			/* a record type of a newer minor version: skip its pairs */
			struct xti_keys seen = XTI_KEYS_RECORD;
			for (size_t i = 0; i < npairs; i++) {
				uint64_t key;
				struct xti_tok v;
				TRY(xti_map_key_once(&r->cur, &seen, "record", &key, &v));
				TRY(xti_skip(&r->cur, &v));
			}
		}
		}
	}
}

/*
 * The memo entry for the record at the cursor when it is a plain step
 * record that needs no frame change, seek or keyframe: the common case,
 * taken without advance()'s generality.  NULL otherwise.
 */
static inline const struct memo_entry *fast_step(struct xt_reader *r)
{
	if (!r->in_frame || r->keyframe_due || r->seeking || r->cur.p >= r->cur.end)
		return NULL;
	if (r->cur.p == r->peek_p)
		return r->peek_m;
	r->peek_p = r->cur.p;
	r->peek_m = memo_find(r);
	return r->peek_m;
}

/*
 * struct xt_record as this library first had it (0.1): the least a
 * caller's size may say.  Fields are only ever added at the end.
 */
#define XT_RECORD_SIZE_0 (offsetof(struct xt_record, vcpu_step) + sizeof(uint64_t))

static int next_record(struct xt_reader *r, struct xt_record *rec)
{
	const struct memo_entry *m = fast_step(r);
	if (!m)
		return advance(r, rec, false);
	const uint8_t *raw = r->cur.p;
	memo_apply(r, m);
	count_step(r, m->vcpu);
	*rec = (struct xt_record){ .type = XT_REC_STEP, .step = r->step, .offset = r->cur_frame_off,
				   .state = m->target, .changed = &m->changed, .raw = raw,
				   .raw_len = m->len, .vcpu = m->vcpu,
				   .vcpu_step = r->vsteps[m->vcpu] };
	/* looking at the next record now costs nothing: the next call uses what it finds */
	rec->next_is_step = fast_step(r) != NULL;
	return 1;
}

int xt_reader_next(struct xt_reader *r, struct xt_record *rec)
{
	size_t size = rec->size;
	int rc;
	if (size >= sizeof(*rec)) {
		rc = next_record(r, rec);
	} else if (size >= XT_RECORD_SIZE_0) {
		/* a program built against an older, shorter struct: what it has room for */
		struct xt_record full;
		rc = next_record(r, &full);
		memcpy(rec, &full, size);
	} else {
		return xti_err(&r->err, -EINVAL, "struct xt_record: size %zu; set it to "
			       "sizeof(struct xt_record)", size);
	}
	rec->size = size;
	return rc;
}

int xt_reader_peek(struct xt_reader *r, uint32_t *type)
{
	if (fast_step(r)) {
		*type = XT_REC_STEP;
		return 1;
	}
	struct xt_record rec = { .size = sizeof(rec) };
	int rc = advance(r, &rec, true);
	if (rc > 0)
		*type = rec.type;
	return rc;
}

void xt_reader_set_keyframes(struct xt_reader *r, bool keyframes)
{
	r->keyframes = keyframes;
}

/* Read every frame from the start and take the frame index from them. */
static int scan_frames(struct xt_reader *r)
{
	r->index_known = false;
	r->n_scan = 0;
	rewind_stream(r);
	struct xt_record rec;
	int rc;
	while ((rc = next_record(r, &rec)) > 0)
		;
	if (rc < 0)
		return rc;
	r->index = r->scan_index;
	r->n_index = r->n_scan;
	r->index_known = true;
	r->index_scanned = true;
	rewind_stream(r);
	return 0;
}

int xt_reader_count_steps(struct xt_reader *r, uint64_t *count)
{
	if (r->have_footer && r->index_known && !r->index_scanned) {
		*count = r->footer.steps;
		return 0;
	}
	if (!r->index_scanned)
		TRY(scan_frames(r));
	size_t n = r->n_index;
	*count = n ? r->index[n - 1].first_step + r->index[n - 1].nsteps : 0;
	return 0;
}

int xt_reader_verify(struct xt_reader *r, uint64_t *count)
{
	if (!r->index_scanned)
		TRY(scan_frames(r));
	return xt_reader_count_steps(r, count);
}

const struct xt_error *xt_reader_inconsistency(const struct xt_reader *r)
{
	return r->inconsistent ? &r->inconsistency : NULL;
}

/* The step a keyframe at off says it starts from, without disturbing more than the stream. */
static int keyframe_step_at(struct xt_reader *r, uint64_t off, uint64_t *step)
{
	uint64_t next, type;
	size_t npairs;
	*step = UINT64_MAX;
	int k = load_frame(r, off, XTI_DATA_FRAME_MAX, &next);
	if (k < 0)
		return k;
	if (k != FRAME_ZSTD)
		return 0;
	start_cursor(r, off);
	TRY(record_head(&r->cur, &type, &npairs));
	for (size_t i = 0; type == XT_REC_KEYFRAME && i < npairs; i++) {
		uint64_t key;
		struct xti_tok v;
		TRY(xti_map_key(&r->cur, &key, &v));
		if (key == XTK_K_STEP)
			return xti_uint(&r->cur, &v, step);
		TRY(xti_skip(&r->cur, &v));
	}
	return 0;
}

/* The index entry of the frame that holds step, or NULL. */
static const struct xt_frame_index *frame_of_step(const struct xt_reader *r, uint64_t step)
{
	/* the last frame whose keyframe is before the step */
	size_t lo = 0, hi = r->n_index;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->index[mid].first_step < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || step > r->index[lo - 1].first_step + r->index[lo - 1].nsteps)
		return NULL;
	return &r->index[lo - 1];
}

int xt_reader_seek(struct xt_reader *r, uint64_t step)
{
	if (!r->index_known) {
		uint64_t n;
		TRY(xt_reader_count_steps(r, &n));
	}
	rewind_stream(r);
	if (step <= 1)
		return 0;
	const struct xt_frame_index *e = frame_of_step(r, step);
	if (!r->index_scanned) {
		/*
		 * The footer's index is only a claim: where it has no such step,
		 * or its frame is not there, the frames decide (and the reader
		 * reports the footer as inconsistent).
		 */
		uint64_t found = UINT64_MAX;
		if (e)
			TRY(keyframe_step_at(r, e->offset, &found));
		if (!e || found != e->first_step) {
			int64_t n = scan_frames(r);
			if (n < 0)
				return (int)n;
			e = frame_of_step(r, step);
		}
	}
	if (!e) {
		size_t n = r->n_index;
		return xti_err(&r->err, -ERANGE, "step %llu is past the trace's last step %llu",
			       (unsigned long long)step,
			       (unsigned long long)(n ? r->index[n - 1].first_step + r->index[n - 1].nsteps : 0));
	}
	rewind_stream(r);
	r->pos = e->offset;
	r->vsteps_known = false;	/* the frame's keyframes will say */
	r->seeking = true;
	r->seek_target = step;
	r->expect_step = e->first_step;
	r->running = false;
	r->from_start = false;
	r->frame_no = (size_t)(e - r->index);
	return 0;
}

const struct xt_state *xt_reader_vcpu_state(const struct xt_reader *r, uint32_t vcpu)
{
	return vcpu < r->n_vcpus ? state_of((struct xt_reader *)r, vcpu) : NULL;
}

const struct xt_header *xt_reader_header(const struct xt_reader *r)
{
	return &r->header;
}

const struct xt_footer *xt_reader_footer(const struct xt_reader *r)
{
	return r->have_footer ? &r->footer : NULL;
}

bool xt_reader_truncated(const struct xt_reader *r)
{
	return !r->have_footer;
}

const struct xt_frame_index *xt_reader_index(const struct xt_reader *r, size_t *n)
{
	*n = r->index_known ? r->n_index : 0;
	return r->index_known ? r->index : NULL;
}

const struct xt_error *xt_reader_error(const struct xt_reader *r)
{
	return &r->err;
}

uint64_t xt_reader_file_size(const struct xt_reader *r)
{
	return r->size;
}
