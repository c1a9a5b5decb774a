// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "fixture.h"
#include "forge.h"
#include "test_util.h"
#include "xt_internal.h"

void fg_split(struct fg_trace *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	struct xt_error err = { 0 };
	TEST_ASSERT(xt_reader_open(&t->r, path, &err) == 0, "open %s: %s", path, err.msg);
	const struct xt_footer *f = xt_reader_footer(t->r);
	TEST_ASSERT(f, "%s has a footer", path);
	t->footer = *f;
	t->capture = xt_reader_header(t->r)->vm.capture;
	t->n = f->n_index;

	int fd = open(path, O_RDONLY);
	struct stat st;
	TEST_ASSERT(fd >= 0 && fstat(fd, &st) == 0, "open %s", path);
	size_t size = (size_t)st.st_size;
	uint8_t *all = malloc(size);
	TEST_ASSERT(all && read(fd, all, size) == (ssize_t)size, "read %s", path);
	close(fd);
	uint64_t footer_at = xti_rd64(all + size - 8);

	t->head_len = t->n ? (size_t)f->index[0].offset : (size_t)footer_at;
	t->head = malloc(t->head_len);
	memcpy(t->head, all, t->head_len);
	t->frame = calloc(t->n + 1, sizeof(*t->frame));
	t->frame_len = calloc(t->n + 1, sizeof(*t->frame_len));
	for (size_t i = 0; i < t->n; i++) {
		uint64_t at = f->index[i].offset, end = i + 1 < t->n ? f->index[i + 1].offset : footer_at;
		unsigned long long len = ZSTD_getFrameContentSize(all + at, (size_t)(end - at));
		TEST_ASSERT(len != ZSTD_CONTENTSIZE_ERROR && len != ZSTD_CONTENTSIZE_UNKNOWN, "frame %zu", i);
		t->frame[i] = malloc((size_t)len + 1);
		size_t got = ZSTD_decompress(t->frame[i], (size_t)len + 1, all + at, (size_t)(end - at));
		TEST_ASSERT(!ZSTD_isError(got) && got == len, "decompress frame %zu", i);
		t->frame_len[i] = got;
	}
	free(all);
}

void fg_free(struct fg_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->frame[i]);
	free(t->frame);
	free(t->frame_len);
	free(t->head);
	xt_reader_close(t->r);
}

static void put_content(struct xti_buf *file, const uint8_t *p, size_t n)
{
	struct xti_buf b = { 0 };
	xti_put_raw(&b, p, n);
	TEST_ASSERT(!b.oom, "out of memory");
	fx_put_frame(file, &b);
	xti_buf_free(&b);
}

void fg_write(const struct fg_trace *t, const char *path, const size_t *which, size_t n,
	      struct xt_footer *f, bool fix_index, uint64_t *at)
{
	struct xti_buf file = { 0 };
	struct xt_frame_index *ix = calloc(n + 1, sizeof(*ix));
	xti_put_raw(&file, t->head, t->head_len);
	for (size_t i = 0; i < n; i++) {
		size_t k = which[i];
		TEST_ASSERT(k < t->n, "frame %zu", k);
		ix[i] = t->footer.index[k];
		ix[i].offset = file.len;
		if (at)
			at[i] = file.len;
		put_content(&file, t->frame[k], t->frame_len[k]);
	}
	if (fix_index) {
		f->index = ix;
		f->n_index = n;
	}
	uint64_t footer_at = file.len;
	struct xti_buf fb = { 0 };
	xti_put_footer(&fb, f, t->capture);
	fx_put_frame(&file, &fb);
	xti_buf_free(&fb);
	uint8_t tr[XTI_TRAILER_SIZE];
	xti_trailer(tr, footer_at);
	xti_put_raw(&file, tr, sizeof(tr));
	TEST_ASSERT(!file.oom, "out of memory");

	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TEST_ASSERT(fd >= 0 && write(fd, file.p, file.len) == (ssize_t)file.len, "write %s", path);
	close(fd);
	xti_buf_free(&file);
	if (fix_index) {
		/* the footer was written: the caller's copy must not keep the freed index */
		f->index = NULL;
		f->n_index = 0;
	}
	free(ix);
}

uint64_t fg_edit_keyframe(struct fg_trace *t, size_t k, unsigned id)
{
	struct xt_error err = { 0 };
	struct xti_in in = { .p = t->frame[k], .start = t->frame[k], .end = t->frame[k] + t->frame_len[k],
			     .err = &err };
	struct xti_tok tok, v;
	TEST_ASSERT(xti_expect(&in, &tok, XTI_MAP, "a keyframe") == 0, "%s", err.msg);
	for (uint64_t i = 0; i < tok.u; i++) {
		uint64_t key;
		TEST_ASSERT(xti_map_key(&in, &key, &v) == 0, "%s", err.msg);
		if (key != XTK_K_STATE) {
			TEST_ASSERT(xti_skip(&in, &v) == 0, "%s", err.msg);
			continue;
		}
		TEST_ASSERT(v.type == XTI_MAP, "a state map");
		for (uint64_t j = 0; j < v.u; j++) {
			struct xti_tok fv;
			uint64_t fid;
			TEST_ASSERT(xti_map_key(&in, &fid, &fv) == 0, "%s", err.msg);
			if (fid == id) {
				/* the value's last byte is its lowest: flipping bit 0 keeps its head */
				TEST_ASSERT(fv.type == XTI_UINT, "field %u is an integer", id);
				((uint8_t *)in.p)[-1] ^= 1;
				return fv.u ^ 1;
			}
			TEST_ASSERT(xti_skip(&in, &fv) == 0, "%s", err.msg);
		}
	}
	TEST_FAIL("frame %zu's keyframe holds no field %u", k, id);
}

static void compress_piece(ZSTD_CCtx *c, struct xti_buf *out, const void *p, size_t n, bool last)
{
	ZSTD_inBuffer in = { p, n, 0 };
	for (;;) {
		TEST_ASSERT(xti_buf_reserve(out, ZSTD_CStreamOutSize()), "out of memory");
		ZSTD_outBuffer o = { out->p + out->len, out->cap - out->len, 0 };
		size_t left = ZSTD_compressStream2(c, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue);
		TEST_ASSERT(!ZSTD_isError(left), "compress: %s", ZSTD_getErrorName(left));
		out->len += o.pos;
		if (last ? left == 0 : in.pos == in.size)
			return;
	}
}

/*
 * t's header h, encoded, with the stand-in string (its head byte head:
 * 0x5a a byte string, 0x7a a text, both of 4-byte length) grown to size
 * bytes of fill, compressed piece by piece.
 */
static void grow_stand_in(struct fg_trace *t, const struct xt_header *h, const uint8_t *stand_in,
			  size_t stand_in_len, uint8_t head, uint64_t size, uint8_t fill)
{
	struct xti_buf b = { 0 };
	xti_put_header(&b, h);
	TEST_ASSERT(!b.oom, "out of memory");
	const uint8_t *at = memmem(b.p, b.len, stand_in, stand_in_len);
	TEST_ASSERT(at && at - b.p >= 5 && at[-5] == head, "the stand-in and its 4-byte head");
	size_t prefix = (size_t)(at - b.p), suffix = b.len - prefix - stand_in_len;
	uint8_t *len = b.p + prefix - 4;
	len[0] = (uint8_t)(size >> 24);
	len[1] = (uint8_t)(size >> 16);
	len[2] = (uint8_t)(size >> 8);
	len[3] = (uint8_t)size;

	ZSTD_CCtx *c = ZSTD_createCCtx();
	TEST_ASSERT(c && !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) &&
		    !ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(c, prefix + size + suffix)), "zstd");
	struct xti_buf out = { 0 };
	xti_put_raw(&out, t->head, XTI_FILE_MARK_SIZE);
	compress_piece(c, &out, b.p, prefix, false);
	enum { PIECE = 1 << 20 };
	uint8_t *piece = malloc(PIECE);
	TEST_ASSERT(piece, "out of memory");
	memset(piece, fill, PIECE);
	for (uint64_t done = 0; done < size; done += PIECE)
		compress_piece(c, &out, piece, size - done < PIECE ? (size_t)(size - done) : PIECE, false);
	compress_piece(c, &out, at + stand_in_len, suffix, true);
	ZSTD_freeCCtx(c);
	free(piece);
	free(t->head);
	t->head = out.p;
	t->head_len = out.len;
	xti_buf_free(&b);
}

void fg_add_region(struct fg_trace *t, uint64_t gpa, uint64_t size, uint8_t fill)
{
	/* a stand-in region of a pattern found nowhere else, whose head then says size */
	enum { STAND_IN = 1 << 16 };
	struct xt_header h = *xt_reader_header(t->r);
	struct xt_mem_region *m = calloc(h.vm.n_memory + 1, sizeof(*m));
	uint8_t *pattern = malloc(STAND_IN);
	TEST_ASSERT(m && pattern && size <= UINT32_MAX && size > STAND_IN, "a region of %" PRIu64, size);
	struct fx_rng rng = { 99 };
	for (size_t i = 0; i < STAND_IN; i += 8) {
		uint64_t v = fx_rand(&rng);
		memcpy(pattern + i, &v, 8);
	}
	memcpy(m, h.vm.memory, h.vm.n_memory * sizeof(*m));
	m[h.vm.n_memory] = (struct xt_mem_region){ .gpa = gpa, .data = pattern, .size = STAND_IN };
	h.vm.memory = m;
	h.vm.n_memory++;
	if (h.vm.mem_size < gpa + size)
		h.vm.mem_size = gpa + size;
	grow_stand_in(t, &h, pattern, STAND_IN, 0x5a, size, fill);
	free(pattern);
	free(m);
}

void fg_add_text(struct fg_trace *t, uint64_t size)
{
	/* 64 KiB of text, so that its head takes 4 bytes */
	enum { STAND_IN = 1 << 16 };
	struct xt_header h = *xt_reader_header(t->r);
	struct xt_kv *extra = calloc(h.n_extra + 1, sizeof(*extra));
	char *text = malloc(STAND_IN + 1);
	TEST_ASSERT(extra && text && size <= UINT32_MAX && size > STAND_IN, "a text of %" PRIu64, size);
	struct fx_rng rng = { 98 };
	for (size_t i = 0; i < STAND_IN; i++)
		text[i] = (char)('a' + fx_rand(&rng) % 26);
	text[STAND_IN] = 0;
	memcpy(extra, h.extra, h.n_extra * sizeof(*extra));
	extra[h.n_extra] = (struct xt_kv){ "filler", text };
	h.extra = extra;
	h.n_extra++;
	grow_stand_in(t, &h, (const uint8_t *)text, STAND_IN, 0x7a, size, 'x');
	free(text);
	free(extra);
}

void fg_write_all(const struct fg_trace *t, const char *path)
{
	size_t *all = calloc(t->n + 1, sizeof(*all));
	TEST_ASSERT(all, "out of memory");
	for (size_t i = 0; i < t->n; i++)
		all[i] = i;
	struct xt_footer f = t->footer;
	fg_write(t, path, all, t->n, &f, true, NULL);
	free(all);
}

void fg_copy_with_region(const char *src, const char *dst, uint64_t gpa, uint64_t size, uint8_t fill)
{
	struct fg_trace t;
	fg_split(&t, src);
	fg_add_region(&t, gpa, size, fill);
	fg_write_all(&t, dst);
	fg_free(&t);
}

int fg_run_peak(const char *exe, const char *const *args, uint64_t *rss)
{
	char *argv[16] = { (char *)exe };
	for (int i = 0; args[i] && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(exe, argv);
		_exit(127);
	}
	int st;
	struct rusage ru;
	TEST_ASSERT(wait4(pid, &st, 0, &ru) == pid, "wait4");
	*rss = (uint64_t)ru.ru_maxrss * 1024;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

uint64_t fg_rss_limit(uint64_t hold)
{
#if defined(__SANITIZE_ADDRESS__)
	const uint64_t slack = 64ull << 20;
#else
	const uint64_t slack = 0;
#endif
	return (64ull << 20) + 2 * hold + slack;
}

void fg_run_within(const char *exe, const char *const *args, int status, uint64_t limit, const char *what)
{
	uint64_t rss;
	int got = fg_run_peak(exe, args, &rss);
	printf("%s: peak RSS %.1f MiB (at most %.0f)\n", what, (double)rss / (1 << 20), (double)limit / (1 << 20));
	TEST_EQ_U64(status, got, "%s: exit status", what);
	TEST_ASSERT(rss <= limit, "%s: peak RSS %" PRIu64 " bytes, more than %" PRIu64, what, rss, limit);
}
