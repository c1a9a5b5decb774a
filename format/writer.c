// SPDX-License-Identifier: MIT
/*
 * The writer: records go into an in-memory frame as CBOR; a full frame is
 * compressed into one zstd frame and written with a single write().  So a
 * crash loses at most the frame being filled, and every frame on disk can
 * be decoded without the ones before it (each starts with a keyframe).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cbor.h>
#include <zstd.h>

#include "xt_internal.h"
#include "xt_writer.h"

#define DEFAULT_LEVEL 3
#define DEFAULT_FRAME_STEPS 65536
#define DEFAULT_FRAME_BYTES (1u << 20)
#define FRAME_BYTES_MAX (XTI_DATA_FRAME_MAX / 2)
#define HIST_DIRECT 64

struct hist_extra {
	uint64_t reason, count;
	uint32_t vcpu;
};

struct xt_writer {
	int fd;
	bool failed;
	struct xt_error err;
	ZSTD_CCtx *cctx;
	uint32_t frame_max_steps, frame_max_bytes;
	uint32_t capture;

	struct xti_buf raw;		/* the frame being filled */
	struct xti_buf packed;		/* its compressed form */
	bool frame_open;
	uint64_t frame_first_step;
	uint32_t frame_steps;
	uint64_t frame_no;

	uint32_t n_vcpus;
	struct xt_state *prev;		/* by vCPU: what its next step's deltas are taken against */
	uint64_t *vcpu_steps;		/* by vCPU: its steps so far */
	uint64_t steps, steps_written;
	uint64_t offset;		/* bytes in the file */
	struct timespec t0;

	struct xt_frame_index *index;
	size_t n_index, cap_index;
	uint64_t (*hist)[HIST_DIRECT];	/* by vCPU */
	struct hist_extra *hist_extra;
	size_t n_hist_extra;
	uint64_t event_counts[XT_EV_KIND_LIMIT];
};

static int write_all(struct xt_writer *w, const void *p, size_t n, const char *what)
{
	const uint8_t *b = p;
	size_t done = 0;
	while (done < n) {
		ssize_t k = write(w->fd, b + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : ENOSPC;
			/* Cut the partial frame off so the file ends on a frame boundary. */
			if (ftruncate(w->fd, (off_t)w->offset) == 0)
				lseek(w->fd, (off_t)w->offset, SEEK_SET);
			w->failed = true;
			return xti_err_at(&w->err, -e, w->offset,
					  "writing %s at offset %llu: %s (%llu steps kept)", what,
					  (unsigned long long)w->offset, strerror(e),
					  (unsigned long long)w->steps_written);
		}
		done += (size_t)k;
	}
	w->offset += n;
	return 0;
}

/* Compress the bytes of one record sequence into one zstd frame and write it. */
static int write_frame(struct xt_writer *w, const struct xti_buf *raw, const char *what)
{
	if (raw->oom) {
		w->failed = true;
		return xti_err(&w->err, -ENOMEM, "out of memory encoding %s", what);
	}
	size_t bound = ZSTD_compressBound(raw->len);
	w->packed.len = 0;
	if (!xti_buf_reserve(&w->packed, bound)) {
		w->failed = true;
		return xti_err(&w->err, -ENOMEM, "out of memory compressing %s", what);
	}
	size_t n = ZSTD_compress2(w->cctx, w->packed.p, bound, raw->p, raw->len);
	if (ZSTD_isError(n)) {
		w->failed = true;
		return xti_err(&w->err, -EIO, "compressing %s: %s", what, ZSTD_getErrorName(n));
	}
	return write_all(w, w->packed.p, n, what);
}

/*
 * The header, whose guest memory and image may be hundreds of MiB: its
 * long byte strings go to zstd straight from the caller's memory, so the
 * writer holds no copy of them (encoded once to count the frame's size,
 * which the frame declares first, then again to compress it).
 */
struct header_stream {
	struct xt_writer *w;
	bool counting;
	uint64_t size;		/* counting: the content's size */
	uint64_t spilled;	/* counting: of which long byte strings */
	int rc;
};

static void header_piece(struct header_stream *hs, const void *p, size_t n, ZSTD_EndDirective end)
{
	struct xt_writer *w = hs->w;
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;
	do {
		ZSTD_outBuffer out = { w->packed.p, w->packed.cap, 0 };
		left = ZSTD_compressStream2(w->cctx, &out, &in, end);
		if (ZSTD_isError(left)) {
			w->failed = true;
			hs->rc = xti_err(&w->err, -EIO, "compressing the header: %s", ZSTD_getErrorName(left));
			return;
		}
		if ((hs->rc = write_all(w, w->packed.p, out.pos, "the header")))
			return;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
}

static void header_spill(struct xti_buf *b, const void *p, size_t n, void *ctx)
{
	struct header_stream *hs = ctx;
	if (hs->counting) {
		hs->size += b->len + n;
		hs->spilled += n;
	} else if (!hs->rc) {
		header_piece(hs, b->p, b->len, ZSTD_e_continue);
		if (!hs->rc)
			header_piece(hs, p, n, ZSTD_e_continue);
	}
	b->len = 0;
}

static int write_header(struct xt_writer *w, const struct xt_header *h)
{
	struct header_stream hs = { .w = w, .counting = true };
	struct xti_buf hb = { .spill = header_spill, .spill_ctx = &hs };
	xti_put_header(&hb, h);
	hs.size += hb.len;
	int rc = 0;
	if (hb.oom) {
		w->failed = true;
		rc = xti_err(&w->err, -ENOMEM, "out of memory encoding the header");
	} else if (hs.size > XTI_HEADER_FRAME_MAX) {
		rc = xti_err(&w->err, -EFBIG, "the header (guest image and memory) is %llu bytes; at most %u",
			     (unsigned long long)hs.size, XTI_HEADER_FRAME_MAX);
	} else if (hs.size - hs.spilled > XTI_HEADER_KEPT_MAX) {
		rc = xti_err(&w->err, -EFBIG, "the header is %llu bytes besides guest memory and image; at most %u",
			     (unsigned long long)(hs.size - hs.spilled), XTI_HEADER_KEPT_MAX);
	} else if (!xti_buf_reserve(&w->packed, ZSTD_CStreamOutSize())) {
		w->failed = true;
		rc = xti_err(&w->err, -ENOMEM, "out of memory compressing the header");
	}
	if (!rc) {
		hb.len = 0;
		hs.counting = false;
		ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
		ZSTD_CCtx_setPledgedSrcSize(w->cctx, hs.size);
		xti_put_header(&hb, h);
		if (!hs.rc && hb.oom) {
			w->failed = true;
			hs.rc = xti_err(&w->err, -ENOMEM, "out of memory encoding the header");
		}
		if (!hs.rc)
			header_piece(&hs, hb.p, hb.len, ZSTD_e_end);
		rc = hs.rc;
	}
	xti_buf_free(&hb);
	return rc;
}

static uint64_t elapsed_ns(const struct xt_writer *w)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - w->t0.tv_sec) * 1000000000u +
	       (uint64_t)(now.tv_nsec - w->t0.tv_nsec);
}

static void put_keyframe(struct xt_writer *w, uint32_t vcpu, uint64_t time_ns)
{
	bool own_count = w->vcpu_steps[vcpu] != w->steps;
	xti_put_map(&w->raw, 5 + own_count + (vcpu != 0));
	xti_put_uint(&w->raw, XTK_TYPE);
	xti_put_uint(&w->raw, XT_REC_KEYFRAME);
	xti_put_uint(&w->raw, XTK_K_STEP);
	xti_put_uint(&w->raw, w->steps);
	xti_put_uint(&w->raw, XTK_K_FRAME);
	xti_put_uint(&w->raw, w->frame_no);
	xti_put_uint(&w->raw, XTK_K_TIME);
	xti_put_uint(&w->raw, time_ns);
	xti_put_uint(&w->raw, XTK_K_STATE);
	xti_put_state(&w->raw, &w->prev[vcpu], w->capture);
	if (own_count) {
		xti_put_uint(&w->raw, XTK_K_VCPU_STEPS);
		xti_put_uint(&w->raw, w->vcpu_steps[vcpu]);
	}
	if (vcpu) {
		xti_put_uint(&w->raw, XTK_VCPU);
		xti_put_uint(&w->raw, vcpu);
	}
}

/*
 * Every frame starts with the full state, so no delta reaches into an
 * earlier frame: vCPU 0's, then that of every other vCPU that has made a
 * step (one that has not is still in its initial state, in the header).
 */
static void begin_frame(struct xt_writer *w)
{
	w->raw.len = 0;
	w->frame_open = true;
	w->frame_first_step = w->steps;
	w->frame_steps = 0;
	uint64_t t = elapsed_ns(w);
	put_keyframe(w, 0, t);
	for (uint32_t v = 1; v < w->n_vcpus; v++)
		if (w->vcpu_steps[v])
			put_keyframe(w, v, t);
}

int xt_writer_flush(struct xt_writer *w)
{
	if (w->failed)
		return w->err.code;
	if (!w->frame_open)
		return 0;
	if (w->n_index == w->cap_index) {
		size_t cap = w->cap_index ? w->cap_index * 2 : 64;
		struct xt_frame_index *ix = realloc(w->index, cap * sizeof(*ix));
		if (!ix) {
			w->failed = true;
			return xti_err(&w->err, -ENOMEM, "out of memory growing the frame index");
		}
		w->index = ix;
		w->cap_index = cap;
	}
	uint64_t at = w->offset;
	int rc = write_frame(w, &w->raw, "a frame");
	if (rc)
		return rc;
	w->index[w->n_index++] = (struct xt_frame_index){ at, w->frame_first_step, w->frame_steps };
	w->steps_written += w->frame_steps;
	w->frame_open = false;
	w->frame_no++;
	w->raw.len = 0;
	return 0;
}

static int maybe_flush(struct xt_writer *w)
{
	if (w->raw.oom) {
		w->failed = true;
		return xti_err(&w->err, -ENOMEM, "out of memory buffering a frame");
	}
	if (w->frame_steps >= w->frame_max_steps || w->raw.len >= w->frame_max_bytes)
		return xt_writer_flush(w);
	return 0;
}

static void count_exit(struct xt_writer *w, uint32_t vcpu, uint64_t reason)
{
	if (reason < HIST_DIRECT) {
		w->hist[vcpu][reason]++;
		return;
	}
	for (size_t i = 0; i < w->n_hist_extra; i++) {
		if (w->hist_extra[i].reason == reason && w->hist_extra[i].vcpu == vcpu) {
			w->hist_extra[i].count++;
			return;
		}
	}
	struct hist_extra *h = realloc(w->hist_extra, (w->n_hist_extra + 1) * sizeof(*h));
	if (!h)
		return;		/* the histogram is a summary; the steps themselves are kept */
	w->hist_extra = h;
	w->hist_extra[w->n_hist_extra++] = (struct hist_extra){ reason, 1, vcpu };
}

/*
 * A CBOR integer into memory already reserved (at most 9 bytes).  Most
 * deltas and field ids of a step are below 24, where the head is the value
 * itself (RFC 8949 3.1): those skip the call.
 */
static inline size_t put_uint_at(uint8_t *p, uint64_t v)
{
	if (v < 24) {
		*p = (uint8_t)v;
		return 1;
	}
	if (v < 256) {		/* a one-byte argument: field ids, most deltas */
		p[0] = 0x18;
		p[1] = (uint8_t)v;
		return 2;
	}
	return cbor_encode_uint(v, p, 9);
}

static inline size_t put_int_at(uint8_t *p, int64_t v)
{
	if (v >= 0)
		return put_uint_at(p, (uint64_t)v);
	uint64_t n = (uint64_t)(-(v + 1));
	if (n < 24) {
		*p = (uint8_t)(0x20 | n);	/* major type 1: -1 - n */
		return 1;
	}
	if (n < 256) {
		p[0] = 0x38;
		p[1] = (uint8_t)n;
		return 2;
	}
	return cbor_encode_negint(n, p, 9);
}

/*
 * Inlined into each caller (always: gcc would otherwise keep one copy), so
 * that vCPU 0's path, vcpu a constant 0, costs what it did before traces
 * had several vCPUs.
 */
static inline __attribute__((always_inline))
int append_step(struct xt_writer *w, uint32_t vcpu, const struct xt_state *s, uint32_t same)
{
	if (w->failed)
		return w->err.code;
	if (vcpu >= w->n_vcpus)
		return xti_err(&w->err, -EINVAL, "a step of vCPU %u, but the trace has %u vCPUs", vcpu,
			       w->n_vcpus);
	if (!w->frame_open)
		begin_frame(w);

	struct xt_state *prev = &w->prev[vcpu];
	struct xt_field_set changed;
	size_t n = xt_state_diff(prev, s, w->capture & ~same, &changed);

	/* every head is at most 9 bytes: reserve the record once, then write in place */
	struct xti_buf *b = &w->raw;
	if (!xti_buf_reserve(b, 3 * 9 + n * 18)) {
		w->failed = true;
		return xti_err(&w->err, -ENOMEM, "out of memory buffering a frame");
	}
	const struct xt_field *table;
	xt_fields(&table);
	uint8_t *p = b->p + b->len;
	p += cbor_encode_map_start(n + 1 + (vcpu != 0), p, 9);
	*p++ = XTK_TYPE;	/* small unsigned integers encode as themselves */
	*p++ = XT_REC_STEP;
	if (vcpu) {
		/* right after the type, so a reader knows whose state the deltas change */
		p += cbor_encode_uint16(XTK_VCPU, p, 9);
		p += put_uint_at(p, vcpu);
	}
	XT_FIELD_SET_FOREACH(&changed, id) {
		const struct xt_field *f = &table[id];	/* the diff only sets known ids */
		p += put_uint_at(p, id);
		if (f->kind == XT_KIND_U64) {
			uint64_t v = xt_field_get(s, f);
			/* a wrapping difference: small for counters, pointers and RIP */
			p += put_int_at(p, (int64_t)(v - xt_field_get(prev, f)));
			xt_field_put(prev, f, v);
			continue;
		}
		uint32_t len;
		const uint8_t *data = xt_field_blob(s, f, &len);
		b->len = (size_t)(p - b->p);
		xti_put_bytes(b, data, len);
		*(uint32_t *)((char *)prev + f->len_offset) = len;
		memcpy((char *)prev + f->offset, data, len);
		/* the blob may have moved the buffer: reserve the rest again */
		if (!xti_buf_reserve(b, n * 18)) {
			w->failed = true;
			return xti_err(&w->err, -ENOMEM, "out of memory buffering a frame");
		}
		p = b->p + b->len;
	}
	b->len = (size_t)(p - b->p);
	w->steps++;
	w->vcpu_steps[vcpu]++;
	w->frame_steps++;
	count_exit(w, vcpu, s->exit.reason);
	return maybe_flush(w);
}

/*
 * The structs a caller hands in carry their size (xt_state.h): 0 is
 * layout 0.  This library is layout 0 of all four, so it takes 0 or its
 * own sizeof; a library that appends fields will take each layout's size
 * and read only what it covers, defaults for the rest.
 */
_Static_assert(sizeof(struct xt_state) == XT_STATE_SIZE_0 && sizeof(struct xt_header) == XT_HEADER_SIZE_0 &&
	       sizeof(struct xt_event) == XT_EVENT_SIZE_0 && sizeof(struct xt_footer) == XT_FOOTER_SIZE_0,
	       "layout 0: a struct that grows keeps its _SIZE_0 and is read by its size");

static int bad_size(struct xt_error *err, const char *what, uint32_t size, size_t own)
{
	return xti_err(err, -EINVAL, "struct %s: size %u, which is no layout of this library's (0 or %zu)",
		       what, size, own);
}
#define SIZE_OK(p) ((p)->size == 0 || (p)->size == sizeof(*(p)))

int xt_writer_step(struct xt_writer *w, const struct xt_state *s)
{
	return xt_writer_step_vcpu(w, 0, s, 0);
}

int xt_writer_step_same(struct xt_writer *w, const struct xt_state *s, uint32_t same)
{
	return xt_writer_step_vcpu(w, 0, s, same);
}

int xt_writer_step_vcpu(struct xt_writer *w, uint32_t vcpu, const struct xt_state *s, uint32_t same)
{
	if (!SIZE_OK(s) && !w->failed)
		return bad_size(&w->err, "xt_state", s->size, sizeof(*s));
	return append_step(w, vcpu, s, same);
}

int xt_writer_event(struct xt_writer *w, const struct xt_event *ev)
{
	if (w->failed)
		return w->err.code;
	if (!SIZE_OK(ev))
		return bad_size(&w->err, "xt_event", ev->size, sizeof(*ev));
	if (ev->kind == 0 || ev->kind >= XT_EV_KIND_LIMIT)
		return xti_err(&w->err, -EINVAL, "unknown event kind %u", ev->kind);
	if (ev->vcpu >= w->n_vcpus)
		return xti_err(&w->err, -EINVAL, "an event of vCPU %u, but the trace has %u vCPUs",
			       ev->vcpu, w->n_vcpus);
	if (ev->kind == XT_EV_INPUT && ev->input.n > XT_INPUT_MAX_VALUES)
		return xti_err(&w->err, -EINVAL, "an input event holds at most %d values",
			       XT_INPUT_MAX_VALUES);
	if (!w->frame_open)
		begin_frame(w);
	size_t before = w->raw.len;
	xti_put_event(&w->raw, ev);
	/* A frame the reader would refuse must never reach the file. */
	if (!w->raw.oom && w->raw.len > XTI_DATA_FRAME_MAX) {
		size_t n = w->raw.len - before;
		w->raw.len = before;
		return xti_err(&w->err, -EFBIG, "a %s event of %zu bytes does not fit a frame (at most %u)",
			       xt_event_kind_name(ev->kind), n, XTI_DATA_FRAME_MAX);
	}
	w->event_counts[ev->kind]++;
	/*
	 * An injection for step N precedes step record N and must share its
	 * frame: seeking to step N starts at the frame holding step N.
	 */
	if (ev->kind == XT_EV_IRQ_INJECT && !w->raw.oom)
		return 0;
	return maybe_flush(w);
}

static int write_file_mark(struct xt_writer *w, const struct xt_header *h)
{
	uint8_t m[XTI_FILE_MARK_SIZE];
	uint16_t major, minor;
	xti_format_version(&h->vm, &major, &minor);
	xti_file_mark(m, major, minor);
	return write_all(w, m, sizeof(m), "the file mark");
}

static void writer_free(struct xt_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->cctx);
	xti_buf_free(&w->raw);
	xti_buf_free(&w->packed);
	free(w->index);
	free(w->hist_extra);
	free(w->hist);
	free(w->prev);
	free(w->vcpu_steps);
	free(w);
}

/* struct xt_writer_options as this library first had it (0.1); fields are only ever added at the end. */
#define XT_WRITER_OPTIONS_SIZE_0 (offsetof(struct xt_writer_options, frame_max_bytes) + sizeof(uint32_t))

int xt_writer_open(struct xt_writer **out, const char *path, const struct xt_header *h,
		   const struct xt_writer_options *opts, struct xt_error *err)
{
	*out = NULL;
	if (!SIZE_OK(h))
		return bad_size(err, "xt_header", h->size, sizeof(*h));
	if (!h->initial)
		return xti_err(err, -EINVAL, "the header has no initial state");
	uint32_t n_vcpus = h->vm.n_vcpus ? h->vm.n_vcpus : 1;
	if (n_vcpus > XT_VCPUS_MAX)
		return xti_err(err, -EINVAL, "%u vCPUs: a trace holds at most %u", n_vcpus, XT_VCPUS_MAX);
	if (n_vcpus > 1 && !h->initial_vcpus)
		return xti_err(err, -EINVAL, "the header has no initial state for vCPUs 1 to %u",
			       n_vcpus - 1);
	/* the options as the caller's version of the struct has them, defaults for the rest */
	struct xt_writer_options o = { .size = sizeof(o) };
	if (opts) {
		if (opts->size < XT_WRITER_OPTIONS_SIZE_0)
			return xti_err(err, -EINVAL, "struct xt_writer_options: size %zu; set it to "
				       "sizeof(struct xt_writer_options)", opts->size);
		memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
	}
	opts = &o;
	struct xt_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return xti_err(err, -ENOMEM, "out of memory");
	w->fd = -1;
	w->n_vcpus = n_vcpus;
	w->prev = malloc(n_vcpus * sizeof(*w->prev));
	w->vcpu_steps = calloc(n_vcpus, sizeof(*w->vcpu_steps));
	w->hist = calloc(n_vcpus, sizeof(*w->hist));
	if (!w->prev || !w->vcpu_steps || !w->hist) {
		writer_free(w);
		return xti_err(err, -ENOMEM, "out of memory for %u vCPUs", n_vcpus);
	}
	w->capture = h->vm.capture ? h->vm.capture : XT_CAPTURE_DEFAULT;
	w->frame_max_steps = opts->frame_max_steps ? opts->frame_max_steps : DEFAULT_FRAME_STEPS;
	w->frame_max_bytes = opts->frame_max_bytes ? opts->frame_max_bytes : DEFAULT_FRAME_BYTES;
	/* A frame ends after the record that fills it: leave room for that record. */
	if (w->frame_max_bytes > FRAME_BYTES_MAX) {
		uint32_t asked = w->frame_max_bytes;
		writer_free(w);
		return xti_err(err, -EINVAL, "frames of %u bytes: at most %u, readers refuse larger frames",
			       asked, FRAME_BYTES_MAX);
	}
	w->prev[0] = *h->initial;
	for (uint32_t v = 1; v < n_vcpus; v++)
		w->prev[v] = h->initial_vcpus[v - 1];
	clock_gettime(CLOCK_MONOTONIC, &w->t0);

	w->cctx = ZSTD_createCCtx();
	int level = opts->zstd_level ? opts->zstd_level : DEFAULT_LEVEL;
	if (!w->cctx || ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
		writer_free(w);
		return xti_err(err, -ENOMEM, "cannot set up the zstd compressor (level %d)", level);
	}

	w->fd = xt_open_output(path, err);
	if (w->fd < 0) {
		int rc = w->fd;
		w->fd = -1;
		writer_free(w);
		return rc;
	}

	struct xt_header copy = *h;
	copy.vm.capture = w->capture;
	copy.vm.n_vcpus = n_vcpus;
	int rc = write_file_mark(w, &copy);
	if (!rc)
		rc = write_header(w, &copy);
	if (rc) {
		if (err)
			*err = w->err;
		writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

static int cmp_hist(const void *a, const void *b)
{
	const struct xt_hist_entry *x = a, *y = b;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

/* The histogram of one vCPU, or of all (ALL_VCPUS), into out (HIST_DIRECT + extras long). */
#define ALL_VCPUS UINT32_MAX
static size_t make_hist(const struct xt_writer *w, uint32_t vcpu, struct xt_hist_entry *out)
{
	size_t n = 0;
	for (unsigned r = 0; r < HIST_DIRECT; r++) {
		uint64_t c = 0;
		for (uint32_t v = 0; v < w->n_vcpus; v++)
			if (vcpu == ALL_VCPUS || v == vcpu)
				c += w->hist[v][r];
		if (c)
			out[n++] = (struct xt_hist_entry){ r, c };
	}
	size_t direct = n;
	for (size_t i = 0; i < w->n_hist_extra; i++) {
		const struct hist_extra *e = &w->hist_extra[i];
		if (vcpu != ALL_VCPUS && e->vcpu != vcpu)
			continue;
		size_t j = direct;
		while (j < n && out[j].reason != e->reason)
			j++;
		if (j == n)
			out[n++] = (struct xt_hist_entry){ e->reason, 0 };
		out[j].count += e->count;
	}
	qsort(out, n, sizeof(*out), cmp_hist);
	return n;
}

int xt_writer_close(struct xt_writer *w, const struct xt_footer *given, struct xt_error *err)
{
	int rc = SIZE_OK(given) ? xt_writer_flush(w) : bad_size(&w->err, "xt_footer", given->size, sizeof(*given));
	struct xt_hist_entry *hist = NULL;
	struct xt_vcpu_summary *vcpus = NULL;
	if (rc)
		goto out;

	/* room for the whole trace's histogram, then each vCPU's when there are several */
	size_t room = HIST_DIRECT + w->n_hist_extra;
	size_t n_vcpus = w->n_vcpus > 1 ? w->n_vcpus : 0;
	hist = calloc(room * (1 + n_vcpus), sizeof(*hist));
	vcpus = calloc(n_vcpus ? n_vcpus : 1, sizeof(*vcpus));
	if (!hist || !vcpus) {
		rc = xti_err(&w->err, -ENOMEM, "out of memory writing the footer");
		goto out;
	}
	struct xt_footer f = *given;
	f.steps = w->steps;
	f.hist = hist;
	f.n_hist = make_hist(w, ALL_VCPUS, hist);
	memcpy(f.event_counts, w->event_counts, sizeof(f.event_counts));
	f.final = &w->prev[0];
	f.index = w->index;
	f.n_index = w->n_index;
	for (size_t v = 0; v < n_vcpus; v++) {
		struct xt_hist_entry *h = hist + room * (1 + v);
		vcpus[v] = (struct xt_vcpu_summary){ .steps = w->vcpu_steps[v], .hist = h,
						     .n_hist = make_hist(w, (uint32_t)v, h),
						     .final = &w->prev[v] };
	}
	f.vcpus = n_vcpus ? vcpus : NULL;
	f.n_vcpus = n_vcpus;

	uint64_t footer_at = w->offset;
	w->raw.len = 0;
	xti_put_footer(&w->raw, &f, w->capture);
	if ((rc = write_frame(w, &w->raw, "the footer")))
		goto out;

	uint8_t t[XTI_TRAILER_SIZE];
	xti_trailer(t, footer_at);
	if ((rc = write_all(w, t, sizeof(t), "the trailer")))
		goto out;
	if (fdatasync(w->fd) < 0 && errno != EINVAL && errno != EROFS)
		rc = xti_err(&w->err, -errno, "syncing the trace: %s", strerror(errno));
	if (close(w->fd) < 0 && !rc)
		rc = xti_err(&w->err, -errno, "closing the trace: %s", strerror(errno));
	w->fd = -1;
out:
	if (rc && err)
		*err = w->err;
	free(hist);
	free(vcpus);
	writer_free(w);
	return rc;
}

void xt_writer_abandon(struct xt_writer *w)
{
	writer_free(w);
}

uint64_t xt_writer_steps(const struct xt_writer *w)
{
	return w->steps;
}

uint64_t xt_writer_steps_written(const struct xt_writer *w)
{
	return w->steps_written;
}

uint64_t xt_writer_bytes(const struct xt_writer *w)
{
	return w->offset;
}

const struct xt_error *xt_writer_error(const struct xt_writer *w)
{
	return &w->err;
}
