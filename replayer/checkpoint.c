// SPDX-License-Identifier: MIT
/*
 * A guest page's content at checkpoint i is its copy in the latest
 * checkpoint j <= i that holds one; a page no checkpoint holds is zero
 * (checkpoint 0 holds every page that is not zero at step 0).  Taking
 * checkpoint i stores the pages the guest ever wrote whose content differs
 * from that; restoring it compares the same pages with it and copies back
 * those that differ.  So neither costs more than the pages the guest wrote.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "checkpoint.h"
#include "rec_util.h"
#include "replay_internal.h"

#define PAGE_SIZE 4096u
#define SNAP_MSRS_MAX 16

/* MSRs a guest may set that no other state block holds (the TSC's value is an input: not restored). */
static const uint32_t snap_msrs[] = {
	0x174, 0x175, 0x176,			/* SYSENTER_CS, _ESP, _EIP */
	0x1a0, 0x277, 0x2ff,			/* MISC_ENABLE, PAT, MTRR default type */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,	/* STAR, LSTAR, CSTAR, SFMASK */
	0xc0000102, 0xc0000103,			/* KERNEL_GS_BASE, TSC_AUX */
};
_Static_assert(sizeof(snap_msrs) / sizeof(snap_msrs[0]) <= SNAP_MSRS_MAX, "snap_msrs fits");

struct page_copy {
	uint64_t pfn;
	uint8_t *data;
};

struct msr_block {
	struct kvm_msrs h;
	struct kvm_msr_entry e[SNAP_MSRS_MAX];
};

struct vcpu_snap {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	struct kvm_debugregs dregs;
	struct kvm_xsave xsave;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct msr_block msrs;
	uint8_t irq_window;		/* kvm_run's request_interrupt_window, which the injector sets */
	struct replay_vcpu cursor;
};

struct snapshot {
	uint64_t step;
	uint32_t vc;			/* the cursor's selected vCPU */
	struct vcpu_snap *v;
	struct kvm_irqchip chip[3];
	struct kvm_pit_state2 pit;
	struct devices dev;
	struct injector inj;
	struct page_copy *pages;	/* by pfn */
	size_t n_pages;
	uint64_t bytes;
};

struct checkpoints {
	struct replay *r;
	struct snapshot *s;
	size_t n, cap;
	uint64_t every, limit, used;
	bool xsave, xcrs, chips, pit, dirty_log;
	uint32_t msr_idx[SNAP_MSRS_MAX];
	uint32_t n_msrs;
	uint64_t *touched, *log;	/* pages the guest ever wrote; the dirty log's buffer */
	const uint8_t **newest;		/* each page's copy in the last checkpoint holding one (NULL: zero) */
	size_t words;
	uint64_t n_pages_total;
};

static int sys_err(struct xt_error *err, const char *what, uint32_t vcpu)
{
	int e = errno;
	return rec_err(err, -e, "checkpoint: %s of vCPU %u: %s", what, vcpu, strerror(e));
}

/* The pages the guest wrote since the last call, added to touched. */
static int fetch_dirty(struct checkpoints *c, struct xt_error *err)
{
	if (!c->dirty_log)
		return 0;
	memset(c->log, 0, c->words * 8);
	struct kvm_dirty_log d = { .slot = 0, .dirty_bitmap = c->log };
	if (ioctl(c->r->vm.vm_fd, KVM_GET_DIRTY_LOG, &d) < 0)
		return rec_err(err, -errno, "checkpoint: KVM_GET_DIRTY_LOG: %s", strerror(errno));
	for (size_t i = 0; i < c->words; i++)
		c->touched[i] |= c->log[i];
	return 0;
}

static const uint8_t *find_page(const struct snapshot *s, uint64_t pfn)
{
	size_t lo = 0, hi = s->n_pages;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->pages[mid].pfn == pfn)
			return s->pages[mid].data;
		if (s->pages[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The page's content at checkpoint i, or NULL for a zero page. */
static const uint8_t *page_at(const struct checkpoints *c, size_t i, uint64_t pfn)
{
	for (size_t j = i + 1; j-- > 0;) {
		const uint8_t *p = find_page(&c->s[j], pfn);
		if (p)
			return p;
	}
	return NULL;
}

static bool page_is(const uint8_t *mem, const uint8_t *want)
{
	static const uint8_t zero[PAGE_SIZE];
	return !memcmp(mem, want ? want : zero, PAGE_SIZE);
}

static int add_page(struct snapshot *s, size_t *cap, uint64_t pfn, const uint8_t *src)
{
	if (s->n_pages == *cap) {
		size_t n = *cap ? 2 * *cap : 16;
		struct page_copy *p = realloc(s->pages, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->pages = p;
		*cap = n;
	}
	uint8_t *d = malloc(PAGE_SIZE);
	if (!d)
		return -ENOMEM;
	memcpy(d, src, PAGE_SIZE);
	s->pages[s->n_pages++] = (struct page_copy){ pfn, d };
	s->bytes += PAGE_SIZE + sizeof(struct page_copy);
	return 0;
}

static void free_snapshot(struct snapshot *s)
{
	for (size_t i = 0; i < s->n_pages; i++)
		free(s->pages[i].data);
	free(s->pages);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int save_vcpu(struct checkpoints *c, struct vcpu_snap *v, uint32_t i, struct xt_error *err)
{
	struct kvm_vm *vm = &c->r->vm;
	kvm_vm_select(vm, i);
	int fd = vm->vcpu_fd;
	if (ioctl(fd, KVM_GET_REGS, &v->regs) < 0)
		return sys_err(err, "KVM_GET_REGS", i);
	if (ioctl(fd, KVM_GET_SREGS, &v->sregs) < 0)
		return sys_err(err, "KVM_GET_SREGS", i);
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &v->events) < 0)
		return sys_err(err, "KVM_GET_VCPU_EVENTS", i);
	if (ioctl(fd, KVM_GET_DEBUGREGS, &v->dregs) < 0)
		return sys_err(err, "KVM_GET_DEBUGREGS", i);
	if (c->xsave ? ioctl(fd, KVM_GET_XSAVE, &v->xsave) < 0 : ioctl(fd, KVM_GET_FPU, &v->fpu) < 0)
		return sys_err(err, c->xsave ? "KVM_GET_XSAVE" : "KVM_GET_FPU", i);
	if (c->xcrs && ioctl(fd, KVM_GET_XCRS, &v->xcrs) < 0)
		return sys_err(err, "KVM_GET_XCRS", i);
	if (vm->irqchip != XT_IRQCHIP_NONE && ioctl(fd, KVM_GET_LAPIC, &v->lapic) < 0)
		return sys_err(err, "KVM_GET_LAPIC", i);
	if (ioctl(fd, KVM_GET_MP_STATE, &v->mp) < 0)
		return sys_err(err, "KVM_GET_MP_STATE", i);
	v->msrs.h.nmsrs = c->n_msrs;
	for (uint32_t k = 0; k < c->n_msrs; k++)
		v->msrs.e[k] = (struct kvm_msr_entry){ .index = c->msr_idx[k] };
	if (c->n_msrs && ioctl(fd, KVM_GET_MSRS, &v->msrs) != (int)c->n_msrs)
		return sys_err(err, "KVM_GET_MSRS", i);
	v->irq_window = vm->run->request_interrupt_window;
	v->cursor = c->r->vcpus[i];
	return 0;
}

static int load_vcpu(struct checkpoints *c, struct vcpu_snap *v, uint32_t i, struct xt_error *err)
{
	struct kvm_vm *vm = &c->r->vm;
	kvm_vm_select(vm, i);
	int fd = vm->vcpu_fd;
	vm->run->kvm_dirty_regs = 0;	/* what the cursor pushed for a step that now never ran */
	vm->run->immediate_exit = 0;
	vm->run->request_interrupt_window = v->irq_window;
	if (ioctl(fd, KVM_SET_SREGS, &v->sregs) < 0)
		return sys_err(err, "KVM_SET_SREGS", i);
	if (ioctl(fd, KVM_SET_REGS, &v->regs) < 0)
		return sys_err(err, "KVM_SET_REGS", i);
	if (c->xsave ? ioctl(fd, KVM_SET_XSAVE, &v->xsave) < 0 : ioctl(fd, KVM_SET_FPU, &v->fpu) < 0)
		return sys_err(err, c->xsave ? "KVM_SET_XSAVE" : "KVM_SET_FPU", i);
	if (c->xcrs && ioctl(fd, KVM_SET_XCRS, &v->xcrs) < 0)
		return sys_err(err, "KVM_SET_XCRS", i);
	if (c->n_msrs && ioctl(fd, KVM_SET_MSRS, &v->msrs) != (int)c->n_msrs)
		return sys_err(err, "KVM_SET_MSRS", i);
	if (vm->irqchip != XT_IRQCHIP_NONE && ioctl(fd, KVM_SET_LAPIC, &v->lapic) < 0)
		return sys_err(err, "KVM_SET_LAPIC", i);
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &v->events) < 0)
		return sys_err(err, "KVM_SET_VCPU_EVENTS", i);
	if (ioctl(fd, KVM_SET_MP_STATE, &v->mp) < 0)
		return sys_err(err, "KVM_SET_MP_STATE", i);
	if (ioctl(fd, KVM_SET_DEBUGREGS, &v->dregs) < 0)
		return sys_err(err, "KVM_SET_DEBUGREGS", i);
	struct replay_vcpu *rv = &c->r->vcpus[i];
	*rv = v->cursor;
	gmem_tlb_flush(&rv->code_tlb);
	/* the guest-debug word as the stepper set it up (a suspended breakpoint is never checkpointed) */
	if (rv->st.dbg_control)
		return kvm_vm_set_guest_debug(vm, rv->st.dbg_control, rv->st.dbg_regs, err);
	return 0;
}

static int save_vm(struct checkpoints *c, struct snapshot *s, struct xt_error *err)
{
	struct kvm_vm *vm = &c->r->vm;
	for (uint32_t k = 0; c->chips && k < 3; k++) {
		s->chip[k].chip_id = k;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &s->chip[k]) < 0)
			return rec_err(err, -errno, "checkpoint: KVM_GET_IRQCHIP: %s", strerror(errno));
	}
	if (c->pit && ioctl(vm->vm_fd, KVM_GET_PIT2, &s->pit) < 0)
		return rec_err(err, -errno, "checkpoint: KVM_GET_PIT2: %s", strerror(errno));
	return 0;
}

static int load_vm(struct checkpoints *c, struct snapshot *s, struct xt_error *err)
{
	struct kvm_vm *vm = &c->r->vm;
	for (uint32_t k = 0; c->chips && k < 3; k++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &s->chip[k]) < 0)
			return rec_err(err, -errno, "checkpoint: KVM_SET_IRQCHIP: %s", strerror(errno));
	if (c->pit && ioctl(vm->vm_fd, KVM_SET_PIT2, &s->pit) < 0)
		return rec_err(err, -errno, "checkpoint: KVM_SET_PIT2: %s", strerror(errno));
	return 0;
}

static void rebuild_newest(struct checkpoints *c)
{
	memset(c->newest, 0, c->n_pages_total * sizeof(*c->newest));
	for (size_t j = 0; j < c->n; j++)
		for (size_t k = 0; k < c->s[j].n_pages; k++)
			c->newest[c->s[j].pages[k].pfn] = c->s[j].pages[k].data;
}

/* A checkpoint at the cursor's step, after the last one. */
static int take(struct checkpoints *c, struct xt_error *err)
{
	struct replay *r = c->r;
	if (c->n == c->cap) {
		size_t n = c->cap ? 2 * c->cap : 64;
		struct snapshot *s = realloc(c->s, n * sizeof(*s));
		if (!s)
			return rec_err(err, -ENOMEM, "out of memory");
		c->s = s;
		c->cap = n;
	}
	struct snapshot *s = &c->s[c->n];
	memset(s, 0, sizeof(*s));
	s->step = r->done;
	s->vc = r->vc->index;
	s->dev = r->dev;
	s->inj = r->inj;
	s->v = calloc(r->n_vcpus, sizeof(*s->v));
	int rc = s->v ? 0 : rec_err(err, -ENOMEM, "out of memory");
	s->bytes = sizeof(*s) + r->n_vcpus * sizeof(*s->v);
	for (uint32_t i = 0; i < r->n_vcpus && !rc; i++)
		rc = save_vcpu(c, &s->v[i], i, err);
	kvm_vm_select(&r->vm, r->vc->index);
	if (!rc)
		rc = save_vm(c, s, err);
	if (!rc)
		rc = fetch_dirty(c, err);
	size_t cap = 0;
	for (size_t w = 0; w < c->words && !rc; w++)
		for (uint64_t bits = c->touched[w]; bits && !rc; bits &= bits - 1) {
			uint64_t pfn = w * 64 + (uint64_t)__builtin_ctzll(bits);
			const uint8_t *mem = r->vm.mem + pfn * PAGE_SIZE;
			if (pfn >= c->n_pages_total || page_is(mem, c->newest[pfn]))
				continue;
			if (add_page(s, &cap, pfn, mem))
				rc = rec_err(err, -ENOMEM, "out of memory");
			else
				c->newest[pfn] = s->pages[s->n_pages - 1].data;
		}
	if (rc) {
		free_snapshot(s);
		rebuild_newest(c);
		return rc;
	}
	c->used += s->bytes;
	c->n++;
	return 0;
}

/* Drop checkpoint i (not the first), its pages moved into the next one where it has none of its own. */
static void merge_into_next(struct checkpoints *c, size_t i)
{
	struct snapshot *a = &c->s[i];
	if (i + 1 >= c->n) {
		free_snapshot(a);
		return;
	}
	struct snapshot *b = &c->s[i + 1];
	struct page_copy *m = malloc((a->n_pages + b->n_pages + 1) * sizeof(*m));
	if (!m)
		return;	/* keep both: the bound is exceeded a while longer */
	size_t n = 0, x = 0, y = 0;
	while (x < a->n_pages || y < b->n_pages) {
		if (y == b->n_pages || (x < a->n_pages && a->pages[x].pfn < b->pages[y].pfn)) {
			m[n++] = a->pages[x++];
			b->bytes += PAGE_SIZE + sizeof(*m);
		} else {
			if (x < a->n_pages && a->pages[x].pfn == b->pages[y].pfn)
				free(a->pages[x++].data);
			m[n++] = b->pages[y++];
		}
	}
	free(b->pages);
	b->pages = m;
	b->n_pages = n;
	a->n_pages = 0;	/* moved */
	free_snapshot(a);
}

static void recount(struct checkpoints *c)
{
	c->used = 0;
	for (size_t i = 0; i < c->n; i++)
		c->used += c->s[i].bytes;
}

/* Over the bound: keep checkpoint 0 and every other one after it; K doubles.  (merge_into_next leaves the count to recount.) */
static void thin(struct checkpoints *c)
{
	while (c->used > c->limit && c->n > 2) {
		size_t kept = 1;
		for (size_t i = 1; i < c->n; i++) {
			/* the last stays: the next checkpoint's pages are compared with its (newest) copies */
			if (i % 2 && i + 1 < c->n) {
				merge_into_next(c, i);
				if (c->s[i].v)	/* merging failed: keep it */
					c->s[kept++] = c->s[i];
			} else {
				c->s[kept++] = c->s[i];
			}
		}
		c->n = kept;
		c->every *= 2;
		recount(c);
	}
}

int ckpt_init(struct checkpoints **out, struct replay *r, uint64_t every, uint64_t mem_limit,
	      struct xt_error *err)
{
	struct checkpoints *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return rec_err(err, -ENOMEM, "out of memory");
	c->r = r;
	c->every = every ? every : 1;
	c->limit = mem_limit;
	struct kvm_vm *vm = &r->vm;
	c->xsave = kvm_vm_cap(vm, KVM_CAP_XSAVE) > 0;
	c->xcrs = kvm_vm_cap(vm, KVM_CAP_XCRS) > 0;
	c->chips = vm->irqchip == XT_IRQCHIP_KERNEL;
	struct kvm_pit_state2 pit;
	c->pit = ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) == 0;
	/* the MSRs this KVM reads and writes back */
	for (size_t k = 0; k < sizeof(snap_msrs) / sizeof(snap_msrs[0]); k++) {
		struct msr_block b = { .h.nmsrs = 1, .e[0].index = snap_msrs[k] };
		if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &b) == 1 && ioctl(vm->vcpu_fd, KVM_SET_MSRS, &b) == 1)
			c->msr_idx[c->n_msrs++] = snap_msrs[k];
	}
	c->n_pages_total = vm->mem_size / PAGE_SIZE;
	c->words = (c->n_pages_total + 63) / 64;
	c->touched = calloc(c->words, 8);
	c->log = calloc(c->words, 8);
	c->newest = calloc(c->n_pages_total, sizeof(*c->newest));
	if (!c->touched || !c->log || !c->newest) {
		ckpt_free(c);
		return rec_err(err, -ENOMEM, "out of memory");
	}
	struct kvm_userspace_memory_region region = {
		.slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES, .guest_phys_addr = 0, .memory_size = vm->mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};
	c->dirty_log = ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) == 0;
	/* checkpoint 0 holds every page not zero at step 0: touched, for once, means all of them */
	memset(c->touched, 0xff, c->words * 8);
	int rc = take(c, err);
	if (c->dirty_log)
		memset(c->touched, 0, c->words * 8);
	if (rc) {
		ckpt_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ckpt_free(struct checkpoints *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free_snapshot(&c->s[i]);
	free(c->s);
	free(c->touched);
	free(c->log);
	free(c->newest);
	free(c);
}

static bool bp_suspended(const struct replay *r)
{
	for (uint32_t i = 0; i < r->n_vcpus; i++)
		if (r->vcpus[i].st.bp_suspended)
			return true;
	return false;
}

int ckpt_step(struct checkpoints *c)
{
	int rc = replay_next(c->r);
	if (rc != REPLAY_NEXT_STEPPED)
		return rc;
	struct replay *r = c->r;
	if (r->done >= c->s[c->n - 1].step + c->every && !bp_suspended(r)) {
		int t = take(c, &r->res->err);
		if (t < 0)
			return t;
		thin(c);
	}
	return rc;
}

static size_t index_at_or_before(const struct checkpoints *c, uint64_t step)
{
	size_t lo = 0, hi = c->n;	/* the last with s[i].step <= step; s[0].step is 0 */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (c->s[mid].step <= step)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint64_t ckpt_at_or_before(const struct checkpoints *c, uint64_t step)
{
	return c->s[index_at_or_before(c, step)].step;
}

uint64_t ckpt_previous(const struct checkpoints *c, uint64_t step)
{
	size_t i = index_at_or_before(c, step);
	return i ? c->s[i - 1].step : UINT64_MAX;
}

int ckpt_restore_before(struct checkpoints *c, uint64_t step, struct xt_error *err)
{
	struct replay *r = c->r;
	size_t i = index_at_or_before(c, step);
	struct snapshot *s = &c->s[i];
	int rc;
	if ((rc = fetch_dirty(c, err)))
		return rc;
	for (size_t w = 0; w < c->words; w++)
		for (uint64_t bits = c->touched[w]; bits; bits &= bits - 1) {
			uint64_t pfn = w * 64 + (uint64_t)__builtin_ctzll(bits);
			if (pfn >= c->n_pages_total)
				continue;
			uint8_t *mem = r->vm.mem + pfn * PAGE_SIZE;
			const uint8_t *want = page_at(c, i, pfn);
			if (!page_is(mem, want)) {
				if (want)
					memcpy(mem, want, PAGE_SIZE);
				else
					memset(mem, 0, PAGE_SIZE);
			}
		}
	if ((rc = load_vm(c, s, err)))
		return rc;
	for (uint32_t k = 0; k < r->n_vcpus; k++)
		if ((rc = load_vcpu(c, &s->v[k], k, err)))
			return rc;
	r->dev = s->dev;
	r->inj = s->inj;
	r->vc = &r->vcpus[s->vc];
	kvm_vm_select(&r->vm, s->vc);
	r->pend = NULL;
	return replay_reposition(r, s->step);
}

void ckpt_stats(const struct checkpoints *c, struct ckpt_stats *s)
{
	*s = (struct ckpt_stats){ .count = c->n, .every = c->every, .bytes = c->used, .limit = c->limit,
				  .dirty_log = c->dirty_log };
	for (size_t i = 0; i < c->n; i++)
		s->pages += c->s[i].n_pages;
}
