// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* pthread_setname_np */
/*
 * A single-producer, single-consumer byte ring between the stepping thread
 * and a writer thread.  Entries are variable-sized (a step carries only the
 * blocks it changed), 16-byte aligned, and never wrap: a pad entry fills
 * the end of the ring instead.
 *
 * Nobody spins.  The writer thread sleeps when the ring is empty and the
 * stepping thread wakes it only once WAKE_BYTES have piled up (a wake-up is
 * a system call, far too dear per step), or when it must wait itself: for
 * room, or for the ring to drain.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rec_util.h"
#include "writer_thread.h"

#define RING_SIZE (4u << 20)
#define WAKE_BYTES (1u << 20)
#define ENTRY_ALIGN 16u
/* An event whose data is larger goes to the writer directly, after a drain. */
#define EVENT_DATA_MAX (RING_SIZE / 16)
/* reserve() waits for room for an entry and the pad before it: both must fit the ring at once */
_Static_assert(2 * (EVENT_DATA_MAX + sizeof(struct xt_event) + 2 * ENTRY_ALIGN) <= RING_SIZE &&
	       2 * (sizeof(struct xt_state) + 2 * ENTRY_ALIGN) <= RING_SIZE,
	       "the largest entry and its pad must fit the ring");

enum entry_kind { ENTRY_PAD, ENTRY_STEP, ENTRY_EVENT, ENTRY_FLUSH };
enum { HAS_SREGS = 1, HAS_EVENTS = 2, HAS_BLOB = 4, HAS_TIME = 8 };
#define HAS_VCPU_SHIFT 8	/* a step's vCPU rides in has, above the HAS_* bits */

struct entry {
	uint32_t kind;		/* enum entry_kind */
	uint32_t len;		/* bytes, this head included, a multiple of ENTRY_ALIGN */
	uint32_t same;		/* a step's unchanged blocks, for xt_writer_step_same() */
	uint32_t has;		/* HAS_*: the optional parts that follow */
};
_Static_assert(sizeof(struct entry) == ENTRY_ALIGN, "a pad entry must fit any gap");

/* The exit's scalars and blob lengths: everything in struct xt_exit before the blobs. */
#define EXIT_HEAD offsetof(struct xt_exit, io_data)

struct writer_thread {
	struct xt_writer *w;
	uint8_t *ring;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake_writer, wake_stepper;

	/* bytes ever queued (the stepper's) and ever written (the writer's), each on its own line */
	_Alignas(64) _Atomic uint64_t head;
	_Alignas(64) _Atomic uint64_t tail;
	_Alignas(64) _Atomic int failed;	/* the writer's error code once it failed */
	_Atomic uint64_t bytes;			/* the file's size after the last flush */
	_Atomic bool writer_asleep, stepper_waiting, stop;

	/* the stepping thread's own */
	_Alignas(64) uint64_t head_local;	/* head, unpublished */
	uint64_t tail_seen;			/* tail as last read: room is at least this */
	uint64_t woken_at;			/* head when the writer was last woken */

	/* the writer thread's own: by vCPU, the state its steps' blocks are applied to */
	_Alignas(64) struct xt_state *st;
	uint32_t n_vcpus;
	bool time;		/* steps carry the time block (set before the thread starts) */
};

static uint32_t align_up(size_t n)
{
	return (uint32_t)((n + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1));
}

/* The offset in struct xt_exit of the blob this exit's reason fills, and its length; 0 if none. */
static size_t exit_blob(const struct xt_exit *e, uint32_t *len)
{
	switch (e->reason) {
	case KVM_EXIT_IO:
		*len = e->io_data_len;
		return offsetof(struct xt_exit, io_data);
	case KVM_EXIT_MMIO:
		*len = e->mmio_data_len;
		return offsetof(struct xt_exit, mmio_data);
	case KVM_EXIT_INTERNAL_ERROR:
		*len = e->internal_data_len;
		return offsetof(struct xt_exit, internal_data);
	case KVM_EXIT_SYSTEM_EVENT:
		*len = e->system_event_data_len;
		return offsetof(struct xt_exit, system_event_data);
	}
	*len = 0;
	return 0;
}

/* ---- the writer thread ------------------------------------------------------------------ */

static int write_step(struct writer_thread *t, const struct entry *e)
{
	const uint8_t *p = (const uint8_t *)(e + 1);
	uint32_t vcpu = e->has >> HAS_VCPU_SHIFT;
	struct xt_state *st = &t->st[vcpu];
	memcpy(&st->regs, p, sizeof(st->regs));
	p += sizeof(st->regs);
	memcpy(&st->exit, p, EXIT_HEAD);
	p += EXIT_HEAD;
	if (e->has & HAS_SREGS) {
		memcpy(&st->sregs, p, sizeof(st->sregs));
		p += sizeof(st->sregs);
	}
	if (e->has & HAS_EVENTS) {
		memcpy(&st->events, p, sizeof(st->events));
		p += sizeof(st->events);
	}
	if (e->has & HAS_TIME) {
		memcpy(&st->time, p, sizeof(st->time));
		p += sizeof(st->time);
	}
	if (e->has & HAS_BLOB) {
		uint32_t len;
		size_t at = exit_blob(&st->exit, &len);
		memcpy((uint8_t *)&st->exit + at, p, len);
	}
	return xt_writer_step_vcpu(t->w, vcpu, st, e->same);
}

static int write_event(struct writer_thread *t, const struct entry *e)
{
	struct xt_event ev;
	memcpy(&ev, e + 1, sizeof(ev));
	if (ev.kind == XT_EV_CONSOLE)
		ev.console.data = (const uint8_t *)(e + 1) + sizeof(ev);
	else if (ev.kind == XT_EV_INPUT && ev.input.data)
		ev.input.data = (const uint8_t *)(e + 1) + sizeof(ev);
	else if (ev.kind == XT_EV_NOTE && ev.note.text)
		ev.note.text = (const char *)(e + 1) + sizeof(ev);
	return xt_writer_event(t->w, &ev);
}

static void *writer_main(void *arg)
{
	struct writer_thread *t = arg;
	uint64_t tail = 0;
	for (;;) {
		uint64_t head = atomic_load_explicit(&t->head, memory_order_acquire);
		if (tail == head) {
			pthread_mutex_lock(&t->lock);
			atomic_store(&t->writer_asleep, true);
			/* seq_cst against the stepper's head store and its asleep check */
			while (atomic_load(&t->head) == tail && !atomic_load(&t->stop))
				pthread_cond_wait(&t->wake_writer, &t->lock);
			atomic_store(&t->writer_asleep, false);
			bool done = atomic_load(&t->stop) && atomic_load(&t->head) == tail;
			pthread_mutex_unlock(&t->lock);
			if (done)
				return NULL;
			continue;
		}
		while (tail != head) {
			const struct entry *e = (const struct entry *)(t->ring + tail % RING_SIZE);
			/* after a failure the entries are only taken, so the stepper never waits for room */
			if (!atomic_load_explicit(&t->failed, memory_order_relaxed) && e->kind != ENTRY_PAD) {
				int rc = e->kind == ENTRY_STEP ? write_step(t, e) :
					 e->kind == ENTRY_EVENT ? write_event(t, e) : xt_writer_flush(t->w);
				if (rc)
					atomic_store_explicit(&t->failed, rc, memory_order_release);
				if (e->kind == ENTRY_FLUSH)
					atomic_store_explicit(&t->bytes, xt_writer_bytes(t->w), memory_order_relaxed);
			}
			tail += e->len;
			atomic_store_explicit(&t->tail, tail, memory_order_release);
		}
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load(&t->stepper_waiting)) {
			pthread_mutex_lock(&t->lock);
			pthread_cond_signal(&t->wake_stepper);
			pthread_mutex_unlock(&t->lock);
		}
	}
}

/* ---- the stepping thread ---------------------------------------------------------------- */

/* Block until the writer has taken every byte before upto. */
static void wait_tail(struct writer_thread *t, uint64_t upto)
{
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->stepper_waiting, true);
	while (atomic_load(&t->tail) < upto) {
		pthread_cond_signal(&t->wake_writer);	/* it may be asleep below its WAKE_BYTES */
		pthread_cond_wait(&t->wake_stepper, &t->lock);
	}
	atomic_store(&t->stepper_waiting, false);
	pthread_mutex_unlock(&t->lock);
	t->tail_seen = atomic_load_explicit(&t->tail, memory_order_acquire);
	t->woken_at = t->head_local;
}

/* Room for len bytes, contiguous; a pad entry skips the ring's end if need be. */
static uint8_t *reserve(struct writer_thread *t, uint32_t len)
{
	uint64_t at = t->head_local % RING_SIZE;
	uint32_t pad = RING_SIZE - at < len ? (uint32_t)(RING_SIZE - at) : 0;
	uint64_t need = (uint64_t)pad + len;
	if (RING_SIZE - (t->head_local - t->tail_seen) < need) {
		t->tail_seen = atomic_load_explicit(&t->tail, memory_order_acquire);
		if (RING_SIZE - (t->head_local - t->tail_seen) < need)
			wait_tail(t, t->head_local + need - RING_SIZE);
	}
	if (pad) {
		struct entry *e = (struct entry *)(t->ring + at);
		*e = (struct entry){ .kind = ENTRY_PAD, .len = pad };
		t->head_local += pad;
		at = 0;
	}
	return t->ring + at;
}

/* Publish the entry; wake the writer if WAKE_BYTES piled up, or now if soon is set. */
static void commit(struct writer_thread *t, uint32_t len, bool soon)
{
	t->head_local += len;
	atomic_store_explicit(&t->head, t->head_local, memory_order_release);
	if (!soon && t->head_local - t->woken_at < WAKE_BYTES)
		return;
	t->woken_at = t->head_local;
	/* seq_cst against the writer's asleep store and its head check */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&t->writer_asleep)) {
		pthread_mutex_lock(&t->lock);
		pthread_cond_signal(&t->wake_writer);
		pthread_mutex_unlock(&t->lock);
	}
}

int wthread_step(struct writer_thread *t, uint32_t vcpu, const struct xt_state *cur, uint32_t same)
{
	int failed = atomic_load_explicit(&t->failed, memory_order_acquire);
	if (failed)
		return failed;
	uint32_t has = vcpu << HAS_VCPU_SHIFT, blob_len;
	size_t n = sizeof(struct entry) + sizeof(cur->regs) + EXIT_HEAD;
	if (!(same & (1u << XT_BLOCK_SREGS))) {
		has |= HAS_SREGS;
		n += sizeof(cur->sregs);
	}
	if (!(same & (1u << XT_BLOCK_EVENTS))) {
		has |= HAS_EVENTS;
		n += sizeof(cur->events);
	}
	if (t->time) {
		has |= HAS_TIME;
		n += sizeof(cur->time);
	}
	size_t blob_at = exit_blob(&cur->exit, &blob_len);
	if (blob_len) {
		has |= HAS_BLOB;
		n += blob_len;
	}
	uint32_t len = align_up(n);
	uint8_t *p = reserve(t, len);
	*(struct entry *)p = (struct entry){ .kind = ENTRY_STEP, .len = len, .same = same, .has = has };
	p += sizeof(struct entry);
	memcpy(p, &cur->regs, sizeof(cur->regs));
	p += sizeof(cur->regs);
	memcpy(p, &cur->exit, EXIT_HEAD);
	p += EXIT_HEAD;
	if (has & HAS_SREGS) {
		memcpy(p, &cur->sregs, sizeof(cur->sregs));
		p += sizeof(cur->sregs);
	}
	if (has & HAS_EVENTS) {
		memcpy(p, &cur->events, sizeof(cur->events));
		p += sizeof(cur->events);
	}
	if (has & HAS_TIME) {
		memcpy(p, &cur->time, sizeof(cur->time));
		p += sizeof(cur->time);
	}
	if (has & HAS_BLOB)
		memcpy(p, (const uint8_t *)&cur->exit + blob_at, blob_len);
	commit(t, len, false);
	return 0;
}

int wthread_event(struct writer_thread *t, const struct xt_event *ev)
{
	int failed = atomic_load_explicit(&t->failed, memory_order_acquire);
	if (failed)
		return failed;
	/*
	 * One buffer of bytes travels in the ring with the event: a console's,
	 * an input's answer, a note's text with its NUL (attach writes a stale
	 * note at most steps: it must not wait for the writer).
	 */
	const uint8_t *bytes = ev->kind == XT_EV_CONSOLE ? ev->console.data :
			       ev->kind == XT_EV_INPUT ? ev->input.data :
			       ev->kind == XT_EV_NOTE ? (const uint8_t *)ev->note.text : NULL;
	size_t data = !bytes ? 0 : ev->kind == XT_EV_CONSOLE ? ev->console.len :
		      ev->kind == XT_EV_INPUT ? ev->input.data_len : strlen((const char *)bytes) + 1;
	/* the other kinds with data hold it in several buffers: they are written as they are, in order */
	if (data > EVENT_DATA_MAX || ev->kind == XT_EV_KTRACE || ev->kind == XT_EV_STATS) {
		int rc = wthread_drain(t);
		if (!rc && (rc = xt_writer_event(t->w, ev)))
			atomic_store(&t->failed, rc);
		return rc;
	}
	uint32_t len = align_up(sizeof(struct entry) + sizeof(*ev) + data);
	uint8_t *p = reserve(t, len);
	*(struct entry *)p = (struct entry){ .kind = ENTRY_EVENT, .len = len };
	memcpy(p + sizeof(struct entry), ev, sizeof(*ev));
	if (data)
		memcpy(p + sizeof(struct entry) + sizeof(*ev), bytes, data);
	commit(t, len, false);
	return 0;
}

int wthread_flush(struct writer_thread *t)
{
	int failed = atomic_load_explicit(&t->failed, memory_order_acquire);
	if (failed)
		return failed;
	uint8_t *p = reserve(t, sizeof(struct entry));
	*(struct entry *)p = (struct entry){ .kind = ENTRY_FLUSH, .len = sizeof(struct entry) };
	/* a frame must reach the file within the tick, however slowly the guest fills the ring */
	commit(t, sizeof(struct entry), true);
	return 0;
}

uint64_t wthread_bytes(struct writer_thread *t)
{
	return atomic_load_explicit(&t->bytes, memory_order_relaxed);
}

int wthread_drain(struct writer_thread *t)
{
	if (atomic_load(&t->tail) != t->head_local)
		wait_tail(t, t->head_local);
	return atomic_load_explicit(&t->failed, memory_order_acquire);
}

int wthread_start(struct writer_thread **out, struct xt_writer *w,
		  const struct xt_state *const *initial, uint32_t n_vcpus, bool time, struct xt_error *err)
{
	struct writer_thread *t = aligned_alloc(64, sizeof(*t));
	if (!t)
		return rec_err(err, -ENOMEM, "out of memory");
	memset(t, 0, sizeof(*t));
	t->w = w;
	t->n_vcpus = n_vcpus;
	t->time = time;
	t->st = malloc(n_vcpus * sizeof(*t->st));
	if (!t->st) {
		free(t);
		return rec_err(err, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < n_vcpus; i++)
		t->st[i] = *initial[i];
	t->bytes = xt_writer_bytes(w);
	t->ring = aligned_alloc(64, RING_SIZE);
	if (!t->ring) {
		free(t->st);
		free(t);
		return rec_err(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake_writer, NULL);
	pthread_cond_init(&t->wake_stepper, NULL);
	/* the stepping thread's signals (timer, SIGINT) must interrupt its KVM_RUN, never land here */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&t->thread, NULL, writer_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		pthread_setname_np(t->thread, "xt-writer");	/* for top -H, perf and the tests */
	if (rc) {
		free(t->ring);
		free(t->st);
		free(t);
		return rec_err(err, -rc, "starting the writer thread: %s", strerror(rc));
	}
	*out = t;
	return 0;
}

void wthread_stop(struct writer_thread *t)
{
	if (!t)
		return;
	wthread_drain(t);
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->stop, true);
	pthread_cond_signal(&t->wake_writer);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake_writer);
	pthread_cond_destroy(&t->wake_stepper);
	free(t->ring);
	free(t->st);
	free(t);
}
