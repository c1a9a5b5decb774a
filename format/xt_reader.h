/* SPDX-License-Identifier: MIT */
/*
 * Reading a trace.
 *
 * The reader streams: it holds one decompressed frame at a time, so memory
 * stays flat in the length of the trace.  A trace whose writer died (no
 * footer) is read up to its last complete frame and reported as truncated.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * value on failure; xt_reader_error() then names the problem and the byte
 * offset it was found at.  The library never prints and never exits.
 */
#ifndef XT_READER_H
#define XT_READER_H

#include <stdbool.h>

#include "xt_records.h"

#ifdef __cplusplus
extern "C" {
#endif

struct xt_reader;

/*
 * size: the caller sets it to sizeof(struct xt_record) before the first
 * xt_reader_next() (or uses XT_RECORD_INIT); the reader keeps it.  A later
 * version of the library that adds fields at the end fills only the bytes
 * a program built against this one has.
 */
struct xt_record {
	size_t size;
	uint32_t type;			/* XT_REC_STEP, XT_REC_EVENT or XT_REC_KEYFRAME */
	/*
	 * step number (events: the event's step): the place in the global
	 * order of the steps of all vCPUs, from 1
	 */
	uint64_t step;
	uint64_t offset;		/* of the frame holding the record */
	/* XT_REC_STEP and XT_REC_KEYFRAME: the state of vcpu after this step (owned by the reader) */
	const struct xt_state *state;
	/* XT_REC_STEP: the fields the step record changed */
	const struct xt_field_set *changed;
	/* XT_REC_EVENT */
	const struct xt_event *event;
	/*
	 * XT_REC_STEP: the step record as encoded (valid until the next call).
	 * Two steps whose states were equal stay equal when their records are
	 * byte for byte the same: comparing traces can skip the fields.
	 */
	const uint8_t *raw;
	size_t raw_len;
	/*
	 * XT_REC_STEP: the reader knows already that the next record is a step
	 * record, so no events of this step follow (false: they may).
	 */
	bool next_is_step;
	/* The vCPU of the step or event (0 in a trace of one; a keyframe: vCPU 0's). */
	uint32_t vcpu;
	/* XT_REC_STEP: the step's number among its vCPU's steps, from 1 (KEYFRAME: vCPU 0's so far) */
	uint64_t vcpu_step;
};
#define XT_RECORD_INIT { sizeof(struct xt_record), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/*
 * Open a trace, read its header, and its footer if the trace is complete.
 * Refuses files that are not traces, and traces of a newer major version.
 * path "-" is standard input.  A stream (a pipe, a FIFO with a writer, a
 * socket) is copied once to an unlinked temporary file in $TMPDIR (the
 * footer is at its end), through a fixed buffer; a FIFO no process writes
 * reads as empty at once rather than being waited on.
 */
int xt_reader_open(struct xt_reader **out, const char *path, struct xt_error *err);

/*
 * A descriptor to read path from with pread(), as xt_reader_open() reads
 * it: a regular file opened, or a stream ("-" standard input, a pipe, a
 * FIFO) copied to an unlinked temporary file (the copy stops early on
 * bytes that cannot begin a trace).  For a caller that opens one stream
 * several times (by "/dev/fd/N").  *size is the file's or the copy's
 * length.  The descriptor (close-on-exec), or -errno with err set.
 */
int xt_input_open(const char *path, uint64_t *size, struct xt_error *err);

/* Free the reader and everything it handed out.  Accepts NULL. */
void xt_reader_close(struct xt_reader *r);

const struct xt_header *xt_reader_header(const struct xt_reader *r);

/*
 * The header's guest memory regions and guest image of 64 KiB or more are
 * not held by the reader (their data is NULL; size is set): a header may
 * declare far more memory than its file holds, and only replay needs the
 * bytes.  These read them again from the file, piece by piece.
 *
 * xt_reader_load_memory() writes every region at mem + its address (mem
 * holds mem_size bytes, and must be zero already: the pages of a region
 * whose bytes are zero are left untouched, so a fresh anonymous mapping
 * costs only what the regions really hold).  xt_reader_load_image() writes
 * the image's size bytes to dst.
 */
int xt_reader_load_memory(struct xt_reader *r, uint8_t *mem, uint64_t mem_size);
int xt_reader_load_image(struct xt_reader *r, uint8_t *dst);

/* The footer, or NULL if the trace has none (truncated). */
const struct xt_footer *xt_reader_footer(const struct xt_reader *r);

/* True when the trace has no valid footer: its writer did not finish. */
bool xt_reader_truncated(const struct xt_reader *r);

/*
 * The next record in file order, which is the order the steps of all vCPUs
 * happened in.  Returns 1 with *rec filled, 0 at the end
 * of the trace (for a truncated trace: after its last complete frame), or a
 * negative errno (-EINVAL: rec->size is not set).  Keyframes are only returned when keyframes is set by
 * xt_reader_set_keyframes().
 */
int xt_reader_next(struct xt_reader *r, struct xt_record *rec);

/*
 * Keyframes: one record a frame, vCPU 0's; the other vCPUs' keyframe states
 * are in xt_reader_vcpu_state() when it is handed out.
 */
void xt_reader_set_keyframes(struct xt_reader *r, bool keyframes);

/*
 * The state of a vCPU (below the header's vm.n_vcpus) after its step
 * read last (or as the last keyframes read gave it; before any, its state
 * at step 0); NULL for no such vCPU.  Valid until the next call that reads.
 */
const struct xt_state *xt_reader_vcpu_state(const struct xt_reader *r, uint32_t vcpu);

/*
 * The type of the record xt_reader_next() will return next, without
 * returning it: returns 1 with *type set (XT_REC_STEP, XT_REC_EVENT or
 * XT_REC_KEYFRAME), 0 at the end of the trace, or a negative errno.  The
 * state and event handed out last stay as they are, with one exception:
 * peeking past the end of a frame loads the next frame, whose keyframe
 * holds the state after the last step, so the state keeps its values
 * (the reader checks that it does: a keyframe that disagrees with the
 * state the steps before it built is an error naming its offset).
 * This lets a caller gather a step's events (which follow its step record)
 * before the next step record changes the state.
 */
int xt_reader_peek(struct xt_reader *r, uint32_t *type);

/*
 * Position the reader so that the next step record returned is step (steps
 * count from 1; 0 means "from the start").  Uses the frame index: from the
 * footer, or rebuilt by scanning the frames once if there is none.
 * Returns 0, -ERANGE if the trace has fewer steps, or another error.
 */
int xt_reader_seek(struct xt_reader *r, uint64_t step);

/*
 * Read every frame once to count the steps and rebuild the frame index
 * (cheap for complete traces: the footer already says, and that is taken
 * on trust until xt_reader_verify() or a read to the end checks it).  Sets
 * *steps to the number of steps in complete frames (any u64: a count is
 * never taken for an error) and returns 0, or a negative errno.  A footer
 * frame met on the way (its trailer lost) makes the trace complete:
 * xt_reader_footer() returns it afterwards.
 */
int xt_reader_count_steps(struct xt_reader *r, uint64_t *steps);

/*
 * Read every frame from the start whatever the footer says, rebuild the
 * frame index from the frames and check the footer against them.  Returns
 * *steps to the number of steps the data holds and returns 0, or a
 * negative errno; then
 * xt_reader_inconsistency() says whether the footer agreed.
 */
int xt_reader_verify(struct xt_reader *r, uint64_t *steps);

/*
 * The footer is a claim about the data.  Whenever the reader reaches the
 * end of the data (and for each frame on the way) it holds the footer's
 * step count, frame index, exit histogram, event counts and final state
 * against what the frames hold; a seek that the footer's index cannot
 * serve rebuilds the index from the frames.  Where they disagree the data
 * wins, reading goes on, and this returns the first disagreement (named,
 * with the footer's offset).  NULL while none has been found.
 */
const struct xt_error *xt_reader_inconsistency(const struct xt_reader *r);

/* The frame index (from the footer, or from xt_reader_count_steps()). */
const struct xt_frame_index *xt_reader_index(const struct xt_reader *r, size_t *n);

const struct xt_error *xt_reader_error(const struct xt_reader *r);

/* The size of the trace file in bytes. */
uint64_t xt_reader_file_size(const struct xt_reader *r);

#ifdef __cplusplus
}
#endif
#endif
