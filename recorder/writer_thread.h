/* SPDX-License-Identifier: MIT */
/*
 * The trace writer on a second thread.  Diffing, encoding and compressing a
 * step cost the stepping thread ~200 ns of cold-cache work after every
 * KVM_RUN; here the stepping thread only copies the step's registers and
 * exit, and the segment and event blocks if they changed, into a ring, and
 * a writer thread feeds them to the xt_writer in order.
 *
 * Only the stepping thread calls these.  Between wthread_drain() and the
 * next call that queues something the writer thread is idle, so the
 * caller may use the xt_writer directly (ktrace events, close); the errors
 * of those calls are the caller's to act on, not remembered here.
 */
#ifndef XT_WRITER_THREAD_H
#define XT_WRITER_THREAD_H

#include "exitrace.h"

/*
 * The zstd level of a recording's trace (record, attach, replay -o), not
 * libexitrace's default 3: level 6's match finder sees a single-stepped
 * guest's long repeats, so a trace is 2-10x smaller (bench spin 0.44 ->
 * 0.04 bytes a step; --capture time's two clocks 2.0 -> 1.4-1.8), for no
 * more CPU per step (measured 2026-12-06).  It compresses busy records at
 * about 3 M a second, far above what any guest steps.
 */
#define REC_ZSTD_LEVEL 6

struct writer_thread;

/*
 * Start a writer thread for w; initial[i] is vCPU i's state as the header
 * holds it.  time: the trace captures the time block, which every step carries.
 */
int wthread_start(struct writer_thread **out, struct xt_writer *w,
		  const struct xt_state *const *initial, uint32_t n_vcpus, bool time, struct xt_error *err);

/*
 * Queue a step of a vCPU.  same has XT_BLOCK_* bits of the blocks known unchanged
 * since the previous step (only SREGS and EVENTS may be set: the others
 * are always sent).  Of the exit's blobs only the one of cur's exit reason
 * is sent: a blob must change only on an exit of its own reason, as
 * vstep_capture_exit() fills them (their lengths always travel).  Returns
 * 0, or the writer's error code once it failed (wthread_drain() then gives
 * the error).
 */
int wthread_step(struct writer_thread *t, uint32_t vcpu, const struct xt_state *cur, uint32_t same);

/* Queue an event (its data is copied). */
int wthread_event(struct writer_thread *t, const struct xt_event *ev);

/* Queue a flush: the writer thread ends the frame it is filling (xt_writer_flush) and is woken for it. */
int wthread_flush(struct writer_thread *t);

/*
 * The trace's size in bytes after the last queued flush the writer thread
 * has done (it lags, and misses frames ended otherwise): for progress lines.
 */
uint64_t wthread_bytes(struct writer_thread *t);

/* Wait until everything queued is written; returns 0 or the writer's error code. */
int wthread_drain(struct writer_thread *t);

/* Drain, stop the thread and free it (NULL is allowed). */
void wthread_stop(struct writer_thread *t);

#endif
