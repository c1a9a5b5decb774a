/* SPDX-License-Identifier: MIT */
/*
 * Writing a trace.
 *
 * The writer buffers records of the current frame in memory and writes the
 * frame as one zstd frame (with a content checksum) when the frame is full
 * or when the caller flushes it.  Everything written before a crash is
 * readable: the header frame is written by xt_writer_open(), each later
 * frame is independent.  Only xt_writer_close() writes the footer that marks
 * the trace complete.
 *
 * Every function returns 0 or a negative errno value; on failure the
 * writer's error (xt_writer_error()) names the problem.  After a write
 * error the file is cut back to its last complete frame and the writer
 * refuses further records.
 */
#ifndef XT_WRITER_H
#define XT_WRITER_H

#include "xt_records.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xt_writer;

/*
 * size: the caller sets it to sizeof(struct xt_writer_options) (or uses
 * XT_WRITER_OPTIONS_INIT).  A later version of the library that adds
 * options at the end reads only the bytes a program built against this
 * one gave it, and takes the defaults for the rest.
 */
struct xt_writer_options {
	size_t size;
	int zstd_level;			/* 0: the library's default */
	uint32_t frame_max_steps;	/* 0: default (65536) */
	uint32_t frame_max_bytes;	/* raw CBOR per frame; 0: default (1 MiB); at most 32 MiB */
};
#define XT_WRITER_OPTIONS_INIT { sizeof(struct xt_writer_options), 0, 0, 0 }

/*
 * Open path to write a trace (or other output) to, as xt_writer_open() does:
 * a regular file is created or truncated, after taking an exclusive flock()
 * that is held while the descriptor is open (a second writer gets -EBUSY
 * and the file is left alone); a FIFO, socket or character device (a pipe,
 * /dev/null) is written as it is, never truncated, and a FIFO no process
 * reads is refused rather than waited on; anything else is refused.  A
 * symbolic link as the last component is followed only when its directory
 * is neither sticky nor writable by others (so /dev/stdout works and a link
 * planted in /tmp does not); in such a directory an existing file with
 * other hard links, or of another user, is not truncated either.  Returns the descriptor (blocking, O_CLOEXEC)
 * or a negative errno value with err saying why.  path "-" is standard
 * output (a duplicate of it), written as a stream; refused when it is a
 * terminal, or a file not written from its start.
 */
int xt_open_output(const char *path, struct xt_error *err);

/*
 * Create (or truncate) path (with xt_open_output()) and write the file magic
 * and the header frame.
 * The header is copied; h->initial is the state deltas start from.
 * opts may be NULL (the defaults); its size must be set (-EINVAL if it is
 * smaller than this version's first layout).  On failure *out is NULL and
 * err (if not NULL) says why.
 */
int xt_writer_open(struct xt_writer **out, const char *path, const struct xt_header *h,
		   const struct xt_writer_options *opts, struct xt_error *err);

/* Append a step: the full state after this exit.  The writer stores what changed. */
int xt_writer_step(struct xt_writer *w, const struct xt_state *s);

/*
 * The same, when the caller knows that the blocks in same (XT_CAPTURE_*
 * bits) did not change since the state of the previous step it appended:
 * the writer then does not compare them.  A wrong claim loses changes.
 */
int xt_writer_step_same(struct xt_writer *w, const struct xt_state *s, uint32_t same);

/*
 * A step of vCPU vcpu (below the header's vm.n_vcpus), with same as above:
 * its deltas are taken against that vCPU's previous step.  The order of
 * the calls, whatever the vCPUs, is the trace's global order, and each
 * step's number is its place in it.  The writer is not thread-safe: a
 * caller with a thread per vCPU serialises its calls (in the order the
 * steps happened).  xt_writer_step() and xt_writer_step_same() are vCPU 0.
 */
int xt_writer_step_vcpu(struct xt_writer *w, uint32_t vcpu, const struct xt_state *s, uint32_t same);

/*
 * Append an event (of ev->vcpu).  Events of a step follow its step record, except
 * XT_EV_IRQ_INJECT for step N, which precedes step record N; the writer
 * never ends a frame between the two (xt_writer_flush() still does).
 * An event too large for any frame (64 MiB) is refused with -EFBIG and
 * leaves the writer usable.
 */
int xt_writer_event(struct xt_writer *w, const struct xt_event *ev);

/* End the current frame now (nothing happens if it is empty). */
int xt_writer_flush(struct xt_writer *w);

/*
 * Flush, write the footer and the trailer, close the file.  f->steps,
 * hist, event_counts, final, index and vcpus are filled in by the writer; the
 * caller gives end_reason, end_code, end_detail and duration_ns.  The writer
 * is freed whatever the result; on failure err (if not NULL) says why.
 */
int xt_writer_close(struct xt_writer *w, const struct xt_footer *f, struct xt_error *err);

/* Close without a footer (the trace reads as truncated) and free. */
void xt_writer_abandon(struct xt_writer *w);

/* Steps appended so far; steps already written to the file. */
uint64_t xt_writer_steps(const struct xt_writer *w);
uint64_t xt_writer_steps_written(const struct xt_writer *w);
/* Bytes written to the file so far. */
uint64_t xt_writer_bytes(const struct xt_writer *w);

const struct xt_error *xt_writer_error(const struct xt_writer *w);

#ifdef __cplusplus
}
#endif
#endif
