/* SPDX-License-Identifier: MIT */
/*
 * Forging a written trace into what the writer never writes, for tests of
 * the reader's checks: its pieces (file mark and header, each data frame
 * decompressed, the footer as read), then a new file of chosen frames and
 * a footer of the test's choice, every frame compressed and checksummed
 * like the writer's.  A failure fails the test.
 */
#ifndef XT_TEST_FORGE_H
#define XT_TEST_FORGE_H

#include "exitrace.h"

struct fg_trace {
	struct xt_reader *r;		/* keeps the footer's storage */
	uint8_t *head;			/* the bytes before the first data frame */
	size_t head_len;
	uint8_t **frame;		/* each data frame's content, decompressed */
	size_t *frame_len;
	size_t n;
	struct xt_footer footer;	/* as read; index[i] describes frame[i] */
	uint32_t capture;
};

void fg_split(struct fg_trace *t, const char *path);
void fg_free(struct fg_trace *t);

/*
 * Write frames which[0..n) of t, then f as the footer and a trailer.  With
 * fix_index, f's index is made to list the frames written, at their new
 * offsets, with their first steps and step counts from t's index.  Returns
 * the offset each frame was written at in at[] (may be NULL).
 */
void fg_write(const struct fg_trace *t, const char *path, const size_t *which, size_t n,
	      struct xt_footer *f, bool fix_index, uint64_t *at);

/*
 * Flip the lowest bit of field id's value in the keyframe of frame k's
 * content (the encoded length stays the same).  Returns the new value.
 */
uint64_t fg_edit_keyframe(struct fg_trace *t, size_t k, unsigned id);



/*
 * Give t's header one more memory region: size bytes of fill at gpa (the
 * guest's memory grown to hold it), compressed piece by piece as zstd
 * does it for the writer, so that a 500 MiB region costs the test nothing
 * like 500 MiB.  fg_write() then writes it.
 */
void fg_add_region(struct fg_trace *t, uint64_t gpa, uint64_t size, uint8_t fill);
/* The same with a text of size bytes ("x") in the header's extra metadata. */
void fg_add_text(struct fg_trace *t, uint64_t size);
/* Write all of t's frames to path, t's footer after them with its index made to fit. */
void fg_write_all(const struct fg_trace *t, const char *path);
/* Write trace src again as dst with one more memory region (fg_add_region()'s). */
void fg_copy_with_region(const char *src, const char *dst, uint64_t gpa, uint64_t size, uint8_t fill);
/*
 * Run exe with args (NULL-terminated; output thrown away) as a child: its
 * exit status (-1: killed), its peak resident set size in bytes in *rss.
 */
int fg_run_peak(const char *exe, const char *const *args, uint64_t *rss);

/*
 * DESIGN's bound on a command's memory: 64 MiB + 2 x what it must hold,
 * with 64 MiB more under AddressSanitizer for its shadow and quarantine.
 */
uint64_t fg_rss_limit(uint64_t hold);
/*
 * fg_run_peak() of exe with args, its peak printed against limit; fails the
 * test unless it exits with status and its peak RSS is at most limit bytes.
 * what names the run in both.
 */
void fg_run_within(const char *exe, const char *const *args, int status, uint64_t limit, const char *what);

#endif
