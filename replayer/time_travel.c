// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "checkpoint.h"
#include "replay_internal.h"
#include "time_travel.h"

#define POLL_EVERY 4096

struct time_travel {
	const struct tt_options *o;
	struct replay *r;
	struct checkpoints *ck;
	struct replay_result *res;
	uint64_t last;			/* the trace's last step */
	uint64_t limit;			/* no step past this one: where replay diverged, minus 1 */
	bool at_divergence;		/* the VM holds the replayed state of the step after done, which diverged */
	char diverged[512];
	uint64_t breaks[TT_BREAKS_MAX];
	size_t n_breaks;
	struct tt_watch watch[TT_WATCH_MAX];
	size_t n_watch;
	uint64_t watch_hit;
	uint64_t (*pc)(const struct xt_state *s);
	uint8_t *image;			/* the guest image the trace holds, or NULL */
	size_t image_size;
};

static uint64_t rip_of(const struct xt_state *s)
{
	return s->regs.rip;
}

int tt_open(struct time_travel **out, const struct tt_options *o, struct replay_result *res, struct xt_error *err)
{
	struct time_travel *t = calloc(1, sizeof(*t));
	*out = NULL;
	if (!t)
		return rec_err(err, -ENOMEM, "out of memory");
	t->o = o;
	t->res = res;
	t->pc = rip_of;
	replay_catch_alarm();
	int rc = replay_open(&t->r, o->replay, res);
	if (rc < 0) {
		*err = res->err;
		free(t);
		return rc;
	}
	if (rc > 0) {
		*err = (struct xt_error){ .code = -EINVAL };
		snprintf(err->msg, sizeof(err->msg), "the trace's initial state does not come out the same on this host "
			 "(exitrace replay %s says how)", o->replay->path);
		replay_close(t->r);
		free(t);
		return -EINVAL;
	}
	/* the image, while the reader is still at the start */
	const struct xt_image *im = &t->r->h->image;
	if (im->size && (t->image = malloc(im->size))) {
		t->image_size = im->size;
		if (im->data)
			memcpy(t->image, im->data, im->size);
		else if (xt_reader_load_image(t->r->rd, t->image)) {
			free(t->image);
			t->image = NULL;
			t->image_size = 0;
		}
	}
	t->last = res->recorded_steps;
	t->limit = UINT64_MAX;
	if ((rc = ckpt_init(&t->ck, t->r, o->checkpoint_every, o->checkpoint_mem, err))) {
		replay_close(t->r);
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void tt_close(struct time_travel *t)
{
	if (!t)
		return;
	ckpt_free(t->ck);
	replay_close(t->r);
	free(t->image);
	free(t);
}

const uint8_t *tt_image(const struct time_travel *t, size_t *size)
{
	*size = t->image_size;
	return t->image;
}

uint64_t tt_step(const struct time_travel *t) { return t->r->done + t->at_divergence; }
uint32_t tt_vcpu(const struct time_travel *t) { return t->r->vc->index; }
uint32_t tt_vcpus(const struct time_travel *t) { return t->r->n_vcpus; }
uint64_t tt_last(const struct time_travel *t) { return t->last; }
uint64_t tt_watch_hit(const struct time_travel *t) { return t->watch_hit; }
const char *tt_diverged(const struct time_travel *t) { return t->diverged[0] ? t->diverged : NULL; }

void tt_set_pc_view(struct time_travel *t, uint64_t (*pc)(const struct xt_state *s))
{
	t->pc = pc;
}

const struct xt_state *tt_state(const struct time_travel *t, uint32_t vcpu)
{
	return &t->r->vcpus[vcpu < t->r->n_vcpus ? vcpu : 0].cur;
}

void tt_fpu(struct time_travel *t, uint32_t vcpu, struct kvm_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	if (vcpu < t->r->n_vcpus && ioctl(t->r->vm.vcpu_fds[vcpu], KVM_GET_FPU, fpu) < 0)
		memset(fpu, 0, sizeof(*fpu));
}

size_t tt_read_virt(const struct time_travel *t, uint32_t vcpu, uint64_t addr, void *dst, size_t n)
{
	return gmem_read(&t->r->vm, &tt_state(t, vcpu)->sregs, addr, dst, n);
}

size_t tt_read_phys(const struct time_travel *t, uint64_t addr, void *dst, size_t n)
{
	uint64_t size = t->r->vm.mem_size;
	if (addr >= size)
		return 0;
	if (n > size - addr)
		n = (size_t)(size - addr);
	memcpy(dst, t->r->vm.mem + addr, n);
	return n;
}

int tt_break_add(struct time_travel *t, uint64_t pc)
{
	for (size_t i = 0; i < t->n_breaks; i++)
		if (t->breaks[i] == pc)
			return 0;
	if (t->n_breaks == TT_BREAKS_MAX)
		return -ENOSPC;
	t->breaks[t->n_breaks++] = pc;
	return 0;
}

int tt_break_remove(struct time_travel *t, uint64_t pc)
{
	for (size_t i = 0; i < t->n_breaks; i++)
		if (t->breaks[i] == pc) {
			t->breaks[i] = t->breaks[--t->n_breaks];
			return 0;
		}
	return -ENOENT;
}

int tt_watch_add(struct time_travel *t, uint64_t addr, uint32_t len)
{
	if (!len || len > TT_WATCH_LEN_MAX)
		return -EINVAL;
	if (t->n_watch == TT_WATCH_MAX)
		return -ENOSPC;
	t->watch[t->n_watch++] = (struct tt_watch){ .addr = addr, .len = len };
	return 0;
}

int tt_watch_remove(struct time_travel *t, uint64_t addr, uint32_t len)
{
	for (size_t i = 0; i < t->n_watch; i++)
		if (t->watch[i].addr == addr && t->watch[i].len == len) {
			t->watch[i] = t->watch[--t->n_watch];
			return 0;
		}
	return -ENOENT;
}

static bool at_break(const struct time_travel *t)
{
	uint64_t pc = t->pc(&t->r->vc->cur);
	for (size_t i = 0; i < t->n_breaks; i++)
		if (t->breaks[i] == pc)
			return true;
	return false;
}

/* Read every watched value; returns whether one changed since the last read (watch_hit says which). */
static bool watch_changed(struct time_travel *t)
{
	bool changed = false;
	for (size_t i = 0; i < t->n_watch; i++) {
		struct tt_watch *w = &t->watch[i];
		uint8_t now[TT_WATCH_LEN_MAX] = { 0 };
		tt_read_virt(t, 0, w->addr, now, w->len);
		if (memcmp(now, w->last, w->len)) {
			if (!changed)
				t->watch_hit = w->addr;
			changed = true;
			memcpy(w->last, now, w->len);
		}
	}
	return changed;
}

/* A sentence for the divergence replay just found; the cursor stays on its replayed state. */
static int note_divergence(struct time_travel *t)
{
	struct replay_divergence *d = t->res->div;
	int n = snprintf(t->diverged, sizeof(t->diverged), "replay diverged from the recording at step %llu (vCPU %u)",
			 (unsigned long long)d->step, d->vcpu);
	size_t len = n > 0 ? (size_t)n : 0;
	const char *sep = ":";
	XT_FIELD_SET_FOREACH(&d->fields, id) {
		const struct xt_field *f = xt_field_by_id(id);
		if (!f || len >= sizeof(t->diverged) - 64)
			continue;
		if (f->kind == XT_KIND_U64)
			len += (size_t)snprintf(t->diverged + len, sizeof(t->diverged) - len, "%s %s recorded 0x%llx, replayed 0x%llx",
						sep, f->name, (unsigned long long)xt_field_get(&d->recorded, f),
						(unsigned long long)xt_field_get(&d->replayed, f));
		else
			len += (size_t)snprintf(t->diverged + len, sizeof(t->diverged) - len, "%s %s differs", sep, f->name);
		sep = ";";
	}
	if (d->note[0] && len < sizeof(t->diverged))
		snprintf(t->diverged + len, sizeof(t->diverged) - len, "%s %s", sep, d->note);
	t->limit = d->step - 1;
	t->at_divergence = true;
	free(d);
	t->res->div = NULL;
	t->res->outcome = 0;
	return TT_STOP_DIVERGED;
}

static int restore(struct time_travel *t, uint64_t step, struct xt_error *err)
{
	t->at_divergence = false;
	return ckpt_restore_before(t->ck, step, err);
}

/* One step forward: TT_STOP_STEP, _END, _DIVERGED, or -errno. */
static int forward_one(struct time_travel *t, struct xt_error *err)
{
	if (t->r->done >= t->limit)
		return TT_STOP_DIVERGED;
	int rc = ckpt_step(t->ck);
	switch (rc) {
	case REPLAY_NEXT_STEPPED: return TT_STOP_STEP;
	case REPLAY_NEXT_END:
		t->last = t->r->done;
		return TT_STOP_END;
	case REPLAY_NEXT_DIVERGED: return note_divergence(t);
	case REPLAY_NEXT_SIGNALLED: return TT_STOP_INTERRUPTED;
	default:
		*err = t->res->err;
		return rc < 0 ? rc : -EIO;
	}
}

int tt_goto(struct time_travel *t, uint64_t step, struct xt_error *err)
{
	int rc;
	/* back, or forward past a checkpoint: from the checkpoint nearest before step */
	bool jump = step < tt_step(t) || ckpt_at_or_before(t->ck, step) > tt_step(t);
	if (jump && (rc = restore(t, step, err)))
		return rc;
	uint64_t n = 0;
	while (tt_step(t) < step) {
		if ((rc = forward_one(t, err)) != TT_STOP_STEP)
			return rc;
		if (++n % POLL_EVERY == 0 && t->o->interrupted && t->o->interrupted(t->o->ctx))
			return TT_STOP_INTERRUPTED;
	}
	return TT_STOP_STEP;
}

int tt_forward(struct time_travel *t, bool single, struct xt_error *err)
{
	watch_changed(t);	/* the values here are the ones a write changes */
	for (uint64_t n = 1;; n++) {
		int rc = forward_one(t, err);
		if (rc != TT_STOP_STEP || single)
			return rc;
		if (watch_changed(t))
			return TT_STOP_WATCH;
		if (at_break(t))
			return TT_STOP_BREAK;
		if (n % POLL_EVERY == 0 && t->o->interrupted && t->o->interrupted(t->o->ctx))
			return TT_STOP_INTERRUPTED;
	}
}

/*
 * The latest stop before the cursor: a breakpoint at a step before it, or
 * the step before a write at or before it.  Each checkpoint's stretch is
 * replayed forward to find the latest in it, from the nearest back.
 */
int tt_backward(struct time_travel *t, bool single, struct xt_error *err)
{
	uint64_t cur = tt_step(t);
	if (cur == 0)
		return TT_STOP_BEGIN;
	if (single) {
		return tt_goto(t, cur - 1, err);
	}
	/* not into the step that diverged */
	uint64_t hi = cur < t->limit ? cur : t->limit, start = ckpt_at_or_before(t->ck, cur - 1);
	for (;;) {
		int rc = tt_goto(t, start, err), kind = 0;
		if (rc != TT_STOP_STEP)
			return rc;
		uint64_t best = 0, hit = 0;
		watch_changed(t);
		if (start < cur && at_break(t)) {
			best = start;
			kind = TT_STOP_BREAK;
		}
		while (t->r->done < hi) {
			if ((rc = forward_one(t, err)) != TT_STOP_STEP)
				return rc;
			uint64_t s = t->r->done;
			if (watch_changed(t)) {
				best = s - 1;
				kind = TT_STOP_WATCH;
				hit = t->watch_hit;
			}
			if (s < cur && at_break(t)) {
				best = s;
				kind = TT_STOP_BREAK;
			}
		}
		if (kind) {
			if ((rc = tt_goto(t, best, err)) != TT_STOP_STEP)
				return rc;
			t->watch_hit = hit;
			watch_changed(t);
			return kind;
		}
		if (start == 0) {
			rc = tt_goto(t, 0, err);
			return rc == TT_STOP_STEP ? TT_STOP_BEGIN : rc;
		}
		hi = start;
		start = ckpt_previous(t->ck, start);
		if (t->o->interrupted && t->o->interrupted(t->o->ctx))
			return TT_STOP_INTERRUPTED;
	}
}

void tt_checkpoints(const struct time_travel *t, size_t *n, uint64_t *every, uint64_t *bytes, uint64_t *limit)
{
	struct ckpt_stats s;
	ckpt_stats(t->ck, &s);
	*n = s.count;
	*every = s.every;
	*bytes = s.bytes;
	*limit = s.limit;
}
