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

	struct xt_state prev;		/* what the next step's deltas are taken against */
	uint64_t steps, steps_written;
	uint64_t offset;		/* bytes in the file */
	struct timespec t0;

	struct xt_frame_index *index;
	size_t n_index, cap_index;
	uint64_t hist[HIST_DIRECT];
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

/* Every frame starts with the full state, so no delta reaches into an earlier frame. */
static void begin_frame(struct xt_writer *w)
{
	w->raw.len = 0;
	w->frame_open = true;
	w->frame_first_step = w->steps;
	w->frame_steps = 0;
	xti_put_map(&w->raw, 5);
	xti_put_uint(&w->raw, XTK_TYPE);
	xti_put_uint(&w->raw, XT_REC_KEYFRAME);
	xti_put_uint(&w->raw, XTK_K_STEP);
	xti_put_uint(&w->raw, w->steps);
	xti_put_uint(&w->raw, XTK_K_FRAME);
	xti_put_uint(&w->raw, w->frame_no);
	xti_put_uint(&w->raw, XTK_K_TIME);
	xti_put_uint(&w->raw, elapsed_ns(w));
	xti_put_uint(&w->raw, XTK_K_STATE);
	xti_put_state(&w->raw, &w->prev, w->capture);
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

static void count_exit(struct xt_writer *w, uint64_t reason)
{
	if (reason < HIST_DIRECT) {
		w->hist[reason]++;
		return;
	}
	for (size_t i = 0; i < w->n_hist_extra; i++) {
		if (w->hist_extra[i].reason == reason) {
			w->hist_extra[i].count++;
			return;
		}
	}
	struct hist_extra *h = realloc(w->hist_extra, (w->n_hist_extra + 1) * sizeof(*h));
	if (!h)
		return;		/* the histogram is a summary; the steps themselves are kept */
	w->hist_extra = h;
	w->hist_extra[w->n_hist_extra++] = (struct hist_extra){ reason, 1 };
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

int xt_writer_step(struct xt_writer *w, const struct xt_state *s)
{
	return xt_writer_step_same(w, s, 0);
}

int xt_writer_step_same(struct xt_writer *w, const struct xt_state *s, uint32_t same)
{
	if (w->failed)
		return w->err.code;
	if (!w->frame_open)
		begin_frame(w);

	struct xt_field_set changed;
	size_t n = xt_state_diff(&w->prev, s, w->capture & ~same, &changed);

	/* every head is at most 9 bytes: reserve the record once, then write in place */
	struct xti_buf *b = &w->raw;
	if (!xti_buf_reserve(b, 2 * 9 + n * 18)) {
		w->failed = true;
		return xti_err(&w->err, -ENOMEM, "out of memory buffering a frame");
	}
	const struct xt_field *table;
	xt_fields(&table);
	uint8_t *p = b->p + b->len;
	p += cbor_encode_map_start(n + 1, p, 9);
	*p++ = XTK_TYPE;	/* small unsigned integers encode as themselves */
	*p++ = XT_REC_STEP;
	XT_FIELD_SET_FOREACH(&changed, id) {
		const struct xt_field *f = &table[id];	/* the diff only sets known ids */
		p += put_uint_at(p, id);
		if (f->kind == XT_KIND_U64) {
			uint64_t v = xt_field_get(s, f);
			/* a wrapping difference: small for counters, pointers and RIP */
			p += put_int_at(p, (int64_t)(v - xt_field_get(&w->prev, f)));
			xt_field_put(&w->prev, f, v);
			continue;
		}
		uint32_t len;
		const uint8_t *data = xt_field_blob(s, f, &len);
		b->len = (size_t)(p - b->p);
		xti_put_bytes(b, data, len);
		*(uint32_t *)((char *)&w->prev + f->len_offset) = len;
		memcpy((char *)&w->prev + f->offset, data, len);
		/* the blob may have moved the buffer: reserve the rest again */
		if (!xti_buf_reserve(b, n * 18)) {
			w->failed = true;
			return xti_err(&w->err, -ENOMEM, "out of memory buffering a frame");
		}
		p = b->p + b->len;
	}
	b->len = (size_t)(p - b->p);
	w->steps++;
	w->frame_steps++;
	count_exit(w, s->exit.reason);
	return maybe_flush(w);
}

int xt_writer_event(struct xt_writer *w, const struct xt_event *ev)
{
	if (w->failed)
		return w->err.code;
	if (ev->kind == 0 || ev->kind >= XT_EV_KIND_LIMIT)
		return xti_err(&w->err, -EINVAL, "unknown event kind %u", ev->kind);
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

static int write_file_mark(struct xt_writer *w)
{
	uint8_t m[XTI_FILE_MARK_SIZE];
	xti_file_mark(m, XT_FORMAT_MAJOR, XT_FORMAT_MINOR);
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
	free(w);
}

int xt_writer_open(struct xt_writer **out, const char *path, const struct xt_header *h,
		   const struct xt_writer_options *opts, struct xt_error *err)
{
	*out = NULL;
	if (!h->initial)
		return xti_err(err, -EINVAL, "the header has no initial state");
	struct xt_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return xti_err(err, -ENOMEM, "out of memory");
	w->fd = -1;
	w->capture = h->vm.capture ? h->vm.capture : XT_CAPTURE_DEFAULT;
	w->frame_max_steps = opts && opts->frame_max_steps ? opts->frame_max_steps : DEFAULT_FRAME_STEPS;
	w->frame_max_bytes = opts && opts->frame_max_bytes ? opts->frame_max_bytes : DEFAULT_FRAME_BYTES;
	/* A frame ends after the record that fills it: leave room for that record. */
	if (w->frame_max_bytes > FRAME_BYTES_MAX) {
		uint32_t asked = w->frame_max_bytes;
		free(w);
		return xti_err(err, -EINVAL, "frames of %u bytes: at most %u, readers refuse larger frames",
			       asked, FRAME_BYTES_MAX);
	}
	w->prev = *h->initial;
	clock_gettime(CLOCK_MONOTONIC, &w->t0);

	w->cctx = ZSTD_createCCtx();
	int level = opts && opts->zstd_level ? opts->zstd_level : DEFAULT_LEVEL;
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
	int rc = write_file_mark(w);
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

int xt_writer_close(struct xt_writer *w, const struct xt_footer *given, struct xt_error *err)
{
	int rc = xt_writer_flush(w);
	struct xt_hist_entry *hist = NULL;
	if (rc)
		goto out;

	hist = calloc(HIST_DIRECT + w->n_hist_extra, sizeof(*hist));
	if (!hist) {
		rc = xti_err(&w->err, -ENOMEM, "out of memory writing the footer");
		goto out;
	}
	size_t nh = 0;
	for (unsigned r = 0; r < HIST_DIRECT; r++)
		if (w->hist[r])
			hist[nh++] = (struct xt_hist_entry){ r, w->hist[r] };
	for (size_t i = 0; i < w->n_hist_extra; i++)
		hist[nh++] = (struct xt_hist_entry){ w->hist_extra[i].reason, w->hist_extra[i].count };
	qsort(hist, nh, sizeof(*hist), cmp_hist);

	struct xt_footer f = *given;
	f.steps = w->steps;
	f.hist = hist;
	f.n_hist = nh;
	memcpy(f.event_counts, w->event_counts, sizeof(f.event_counts));
	f.final = &w->prev;
	f.index = w->index;
	f.n_index = w->n_index;

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
