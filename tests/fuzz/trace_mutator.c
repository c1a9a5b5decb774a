// SPDX-License-Identifier: MIT
/*
 * A custom mutator for fuzz_reader that knows a trace is a row of zstd
 * frames.
 *
 * Every frame carries a content checksum and the reader drops a frame whose
 * checksum fails, so libFuzzer's byte mutations almost never get through
 * zstd to the CBOR decoders: a changed byte of compressed data makes a bad
 * frame, nothing more.  Most mutations here therefore decompress one frame,
 * let libFuzzer mutate the CBOR inside, and compress it again with a fresh
 * checksum.  The others change raw bytes (the marks, the frame headers, the
 * trailer) or move whole frames (drop, duplicate, or take one from another
 * input).  Inputs stay plain trace files, so the corpus driver replays them
 * as they are; only the fuzzer binary links this file.
 */
#include <stdbool.h>
#include <string.h>
#include <zstd.h>

#include "fuzz.h"

#define MAX_FRAMES 256
/* Larger frames are left to byte mutations, which keeps every run quick. */
#define CONTENT_MAX (256u << 10)
#define TRAILER_SIZE 24
#define TRAILER_MAGIC "XTFOOTER"

struct frame {
	size_t off, len;
	bool zstd;		/* a data frame, not a skippable one */
};

struct rng {
	uint64_t s;
};

/* A number in [0, n): libFuzzer's seed makes every mutation repeatable. */
static uint32_t rnd(struct rng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((r->s >> 33) % n);
}

static uint64_t rd_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The frames data starts with; stops at the first bytes that are no frame. */
static size_t split(const uint8_t *p, size_t n, struct frame *f)
{
	size_t off = 0, k = 0;
	while (off < n && k < MAX_FRAMES) {
		size_t len = ZSTD_findFrameCompressedSize(p + off, n - off);
		if (ZSTD_isError(len) || len == 0)
			break;
		f[k++] = (struct frame){ off, len, rd_le(p + off, 4) == ZSTD_MAGICNUMBER };
		off += len;
	}
	return k;
}

/*
 * Bytes from at on moved by delta: keep the trailer pointing at its footer,
 * or most mutations of a complete trace would only test "bad trailer".
 */
static void shift_trailer(uint8_t *p, size_t n, size_t at, int64_t delta)
{
	if (n < TRAILER_SIZE || memcmp(p + n - 16, TRAILER_MAGIC, 8))
		return;
	uint64_t off = rd_le(p + n - 8, 8);
	if (off <= at)
		return;
	off += (uint64_t)delta;
	for (int i = 0; i < 8; i++)
		p[n - 8 + i] = (uint8_t)(off >> (8 * i));
}

/* Replace data[at, at + old) by len bytes of src (not inside data); 0 if it does not fit. */
static size_t replace(uint8_t *data, size_t size, size_t max, size_t at, size_t old,
		      const uint8_t *src, size_t len)
{
	if (size - old + len > max)
		return 0;
	memmove(data + at + len, data + at + old, size - at - old);
	if (len)
		memcpy(data + at, src, len);
	size_t n = size - old + len;
	shift_trailer(data, n, at, (int64_t)len - (int64_t)old);
	return n;
}

static uint8_t content[CONTENT_MAX];
static uint8_t packed[ZSTD_COMPRESSBOUND(CONTENT_MAX)];

/* Compress content into packed as the writer would (checksum, content size); 0 on failure. */
static size_t pack(size_t n)
{
	static ZSTD_CCtx *cctx;
	if (!cctx) {
		cctx = ZSTD_createCCtx();
		if (!cctx || ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1)))
			return 0;
	}
	size_t len = ZSTD_compress2(cctx, packed, sizeof(packed), content, n);
	return ZSTD_isError(len) ? 0 : len;
}

/* Mutate the decompressed content of frame f; 0 if that cannot be done. */
static size_t mutate_content(uint8_t *data, size_t size, size_t max, const struct frame *f)
{
	unsigned long long n = ZSTD_getFrameContentSize(data + f->off, f->len);
	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > CONTENT_MAX)
		return 0;
	size_t got = ZSTD_decompress(content, CONTENT_MAX, data + f->off, f->len);
	if (ZSTD_isError(got))
		return 0;
	got = LLVMFuzzerMutate(content, got, CONTENT_MAX);
	size_t len = pack(got);
	if (!len)
		return 0;
	return replace(data, size, max, f->off, f->len, packed, len);
}

/* Drop frame f, or insert a copy of it after itself. */
static size_t move_frame(uint8_t *data, size_t size, size_t max, const struct frame *f,
			 bool drop)
{
	if (drop)
		return replace(data, size, max, f->off, f->len, NULL, 0);
	if (f->len > sizeof(packed))
		return 0;
	memcpy(packed, data + f->off, f->len);
	return replace(data, size, max, f->off + f->len, 0, packed, f->len);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct rng r = { seed * 0x9e3779b97f4a7c15ull + 1 };
	struct frame f[MAX_FRAMES];
	size_t n = split(data, size, f);
	size_t zstd[MAX_FRAMES], nz = 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].zstd)
			zstd[nz++] = i;

	size_t out = 0;
	uint32_t pick = rnd(&r, 16);
	if (nz && pick < 11)
		out = mutate_content(data, size, max_size, &f[zstd[rnd(&r, (uint32_t)nz)]]);
	else if (n && pick < 13)
		out = move_frame(data, size, max_size, &f[rnd(&r, (uint32_t)n)], rnd(&r, 2));
	return out ? out : LLVMFuzzerMutate(data, size, max_size);
}

/* data1 with one frame of data2 inserted at, or put in place of, one of its frames. */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size,
				 unsigned int seed)
{
	struct rng r = { seed * 0x9e3779b97f4a7c15ull + 2 };
	struct frame f1[MAX_FRAMES], f2[MAX_FRAMES];
	size_t n1 = split(data1, size1, f1), n2 = split(data2, size2, f2);
	if (!n1 || !n2) {
		/* not traces: the head of one and the tail of the other */
		size_t a = rnd(&r, (uint32_t)size1 + 1), b = rnd(&r, (uint32_t)size2 + 1);
		size_t n = a + (size2 - b) <= max_out_size ? a + (size2 - b) : max_out_size;
		memcpy(out, data1, a < n ? a : n);
		if (n > a)
			memcpy(out + a, data2 + b, n - a);
		return n;
	}
	const struct frame *g = &f2[rnd(&r, (uint32_t)n2)];
	size_t i = rnd(&r, (uint32_t)n1 + 1);
	size_t at = i < n1 ? f1[i].off : f1[n1 - 1].off + f1[n1 - 1].len;
	size_t old = i < n1 && rnd(&r, 2) ? f1[i].len : 0;
	if (size1 > max_out_size || g->len > sizeof(packed))
		return 0;
	memcpy(out, data1, size1);
	memcpy(packed, data2 + g->off, g->len);
	return replace(out, size1, max_out_size, at, old, packed, g->len);
}
