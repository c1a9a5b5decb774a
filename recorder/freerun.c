// SPDX-License-Identifier: MIT
/*
 * Several vCPUs without single-step (record --vcpus N --no-step): a thread
 * per vCPU runs it freely, as a VMM does, and hands each exit to the trace
 * under one lock, which is what orders them (SPEC.md 5.1: the order of the
 * writer's calls, consistent with each vCPU's own and nothing more).  The
 * recorder's thread keeps time: its tick flushes, reports progress, ends a
 * timeout, and interrupts every vCPU's KVM_RUN so that each says whether it
 * runs, waits for SIPI, or is halted with interrupts disabled; when none
 * runs the recording ends as a HLT would.
 */
#define _GNU_SOURCE	/* pthread_sigmask with sigset_t helpers */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "recorder_internal.h"
#include "step_events.h"

#define RFLAGS_IF (1ull << 9)
#define EVENTS_MAX 8

enum vcpu_status { RUNS, WAITS_FOR_SIPI, HALTED_FOR_GOOD };

struct freerun;

struct vcpu_thread {
	struct freerun *fr;
	struct rec_vcpu *v;
	struct kvm_vm vm;		/* the VM with this vCPU selected: its own copy */
	pthread_t thread;
	bool started;			/* under the lock */
	_Atomic int status;		/* enum vcpu_status */
};

struct freerun {
	struct recorder *r;
	pthread_mutex_t lock;		/* the writer, devices, injector, step count and the end */
	atomic_bool stop;
	int rc;				/* the first thread's error (< 0), under lock */
	struct vcpu_thread t[KVM_VM_VCPUS_MAX];
};

static void on_kick(int sig)
{
	(void)sig;
}

/* Interrupt every vCPU's KVM_RUN; with stop, for good (immediate_exit covers a kick before the run). */
static void kick_all(struct freerun *fr, bool stop)
{
	if (stop)
		atomic_store(&fr->stop, true);
	for (uint32_t i = 0; i < fr->r->n_vcpus; i++) {
		struct vcpu_thread *t = &fr->t[i];
		if (!t->started)
			continue;
		if (stop)
			t->vm.run->immediate_exit = 1;
		pthread_kill(t->thread, SIGUSR1);
	}
}

static void fail(struct freerun *fr, int rc)
{
	if (!fr->rc)
		fr->rc = rc;
	kick_all(fr, true);
}

/* After a run our kick interrupted: what the vCPU is doing now, and an event if KVM changed it. */
static int interrupted(struct vcpu_thread *t)
{
	struct recorder *r = t->fr->r;
	struct rec_vcpu *v = t->v;
	/* the lock-step's own bookkeeping: the event, and a started AP's state reloaded */
	pthread_mutex_lock(&t->fr->lock);
	int rc = refresh_mp_state(r, v);
	pthread_mutex_unlock(&t->fr->lock);
	bool halted = v->mp_state == KVM_MP_STATE_HALTED && !(t->vm.run->s.regs.regs.rflags & RFLAGS_IF);
	atomic_store(&t->status, mp_waits_for_sipi(v->mp_state) ? WAITS_FOR_SIPI : halted ? HALTED_FOR_GOOD : RUNS);
	return rc;
}

/* One exit of this vCPU into the trace, under the lock.  1: the recording ends. */
static int take_exit(struct vcpu_thread *t, int ret, int err)
{
	struct recorder *r = t->fr->r;
	struct rec_vcpu *v = t->v;
	/* the shared helpers act on the recorder's VM and vCPU: this one's, while the lock is held */
	kvm_vm_select(&r->vm, v->index);
	r->vc = v;
	if (r->kt)
		ktrace_mark(r->kt, r->steps + 1);
	int ends = rec_record_exit(r, ret, err, NULL);
	if (ends < 0)
		return ends;
	if (!ends && r->o->max_steps && r->steps >= r->o->max_steps) {
		rec_set_end(r, XT_END_MAX_STEPS, (int64_t)r->steps, "--max-steps %llu reached",
			    (unsigned long long)r->o->max_steps);
		ends = 1;
	}
	return ends;
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct freerun *fr = t->fr;
	struct recorder *r = fr->r;
	struct rec_vcpu *v = t->v;
	struct xt_error err = { 0 };
	/* the recorder's thread takes the timer and the stop signals; a vCPU thread only its kick */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	v->st.vm = &t->vm;
	while (!atomic_load(&fr->stop)) {
		if (v->index == 0) {
			struct xt_event evs[EVENTS_MAX];
			pthread_mutex_lock(&fr->lock);
			kvm_vm_select(&r->vm, 0);
			size_t nev = injector_before_run(&r->inj, &r->vm, r->steps + 1, evs, EVENTS_MAX);
			int rc = 0;
			for (size_t i = 0; i < nev && !rc; i++)
				rc = rec_emit(r, &evs[i]);
			if (rc)
				fail(fr, rc);
			pthread_mutex_unlock(&fr->lock);
		}
		int ret, e, rc;
		if ((rc = vstep_run(&v->st, &ret, &e, &err))) {
			pthread_mutex_lock(&fr->lock);
			r->res->err = err;
			fail(fr, rc);
			pthread_mutex_unlock(&fr->lock);
			break;
		}
		if (vstep_interrupted(ret, e)) {
			if (!atomic_load(&fr->stop) && (rc = interrupted(t)) < 0) {
				pthread_mutex_lock(&fr->lock);
				fail(fr, rc);
				pthread_mutex_unlock(&fr->lock);
			}
			continue;
		}
		atomic_store(&t->status, RUNS);
		pthread_mutex_lock(&fr->lock);
		if (!atomic_load(&fr->stop)) {
			rc = take_exit(t, ret, e);
			if (rc < 0)
				fail(fr, rc);
			else if (rc > 0)
				kick_all(fr, true);
		}
		pthread_mutex_unlock(&fr->lock);
	}
	return NULL;
}

/* Every vCPU waits for SIPI or is halted with interrupts disabled, and nothing of ours is to come. */
static bool none_runs(struct freerun *fr)
{
	for (uint32_t i = 0; i < fr->r->n_vcpus; i++)
		if (atomic_load(&fr->t[i].status) == RUNS)
			return false;
	return !injector_pending(&fr->r->inj, fr->r->steps + 1);
}

int freerun_loop(struct recorder *r)
{
	static struct freerun fr;	/* one recording at a time; too big for the stack */
	memset(&fr, 0, sizeof(fr));
	fr.r = r;
	pthread_mutex_init(&fr.lock, NULL);
	struct sigaction sa = { 0 }, old_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_kick;	/* no SA_RESTART: it must interrupt KVM_RUN */
	sigaction(SIGUSR1, &sa, &old_usr1);
	/* threads inherit this mask: the timer and stop signals stay with this thread */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = 0;
	/* every copy of the VM before any thread runs: a running one changes r->vm under the lock */
	for (uint32_t i = 0; i < r->n_vcpus; i++) {
		struct vcpu_thread *t = &fr.t[i];
		t->fr = &fr;
		t->v = &r->vcpus[i];
		t->vm = r->vm;
		kvm_vm_select(&t->vm, i);
		atomic_store(&t->status, mp_waits_for_sipi(t->v->mp_state) ? WAITS_FOR_SIPI : RUNS);
	}
	/* started is read by kick_all(), under the lock */
	pthread_mutex_lock(&fr.lock);
	for (uint32_t i = 0; i < r->n_vcpus && !rc; i++) {
		struct vcpu_thread *t = &fr.t[i];
		int e = pthread_create(&t->thread, NULL, vcpu_main, t);
		if (e)
			rc = rec_err(&r->res->err, -e, "starting vCPU %u's thread: %s", i, strerror(e));
		else
			t->started = true;
	}
	pthread_mutex_unlock(&fr.lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);	/* kicks are for the vCPU threads */

	while (!rc && !atomic_load(&fr.stop)) {
		pause();	/* until the tick or a stop signal */
		pthread_mutex_lock(&fr.lock);
		if (rec_stop_signal && !atomic_load(&fr.stop)) {
			rec_set_end(r, XT_END_SIGNAL, rec_stop_signal, "stopped by signal %d", (int)rec_stop_signal);
			kick_all(&fr, true);
		} else if (rec_tick && !atomic_load(&fr.stop)) {
			int t = rec_on_tick_work(r);
			if (t < 0)
				fail(&fr, t);
			else if (t > 0)
				kick_all(&fr, true);
			else if (none_runs(&fr)) {
				rec_set_end(r, XT_END_HLT, 0,
					    "every vCPU is halted with interrupts disabled or waits for SIPI");
				kick_all(&fr, true);
			} else {
				kick_all(&fr, false);	/* each says again whether it runs */
			}
		}
		pthread_mutex_unlock(&fr.lock);
	}
	if (rc) {
		pthread_mutex_lock(&fr.lock);
		kick_all(&fr, true);
		pthread_mutex_unlock(&fr.lock);
	}
	for (uint32_t i = 0; i < r->n_vcpus; i++)
		if (fr.t[i].started)
			pthread_join(fr.t[i].thread, NULL);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	pthread_mutex_destroy(&fr.lock);
	/* the shared helpers' VM is vCPU 0's again, and each stepper the recorder's own */
	kvm_vm_select(&r->vm, 0);
	r->vc = &r->vcpus[0];
	for (uint32_t i = 0; i < r->n_vcpus; i++)
		r->vcpus[i].st.vm = &r->vm;
	return rc ? rc : fr.rc;
}
