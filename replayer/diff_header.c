// SPDX-License-Identifier: MIT
/*
 * Header comparison: the host, the VM configuration, the guest image and
 * the initial state.  Only what differs is listed, and what decides how
 * interrupts reach the guest (APICv/AVIC, BLOCKIRQ, the irqchip) first:
 * since Linux 5.16 BLOCKIRQ inhibits APICv for the whole VM, so either
 * explains an IRQ-timing difference before any step is read.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_internal.h"
#include "host_diff.h"

#define MAX_CPUID_LINES 8
#define MAX_STATE_LINES 12

static int add(struct xd_hdiffs *d, uint32_t group, bool key, const char *what, const char *a,
	       const char *b)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct xd_hdiff *v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	struct xd_hdiff *h = &d->v[d->n++];
	memset(h, 0, sizeof(*h));
	h->group = group;
	h->key = key;
	snprintf(h->what, sizeof(h->what), "%s", what);
	snprintf(h->a, sizeof(h->a), "%s", a ? a : "-");
	snprintf(h->b, sizeof(h->b), "%s", b ? b : "-");
	return 0;
}

static int add_str(struct xd_hdiffs *d, uint32_t group, bool key, const char *what, const char *a,
		   const char *b)
{
	if ((!a && !b) || (a && b && !strcmp(a, b)))
		return 0;
	return add(d, group, key, what, a, b);
}

static int add_num(struct xd_hdiffs *d, uint32_t group, const char *what, uint64_t a, uint64_t b,
		   bool hex)
{
	if (a == b)
		return 0;
	char x[32], y[32];
	snprintf(x, sizeof(x), hex ? "0x%" PRIx64 : "%" PRIu64, a);
	snprintf(y, sizeof(y), hex ? "0x%" PRIx64 : "%" PRIu64, b);
	return add(d, group, false, what, x, y);
}

/* The host, compared the way replay compares a recording host with its own (host_diff.c). */
static int compare_host(struct xd_hdiffs *d, const struct xt_host *a, const struct xt_host *b)
{
	struct host_diff hd;
	if (host_diff(a, b, NULL, 0, NULL, 0, &hd) < 0)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < hd.n && !rc; i++)
		rc = add(d, XD_GROUP_HOST, hd.items[i].important, hd.items[i].what, hd.items[i].recorded,
			 hd.items[i].here);
	host_diff_free(&hd);
	return rc;
}



static void injections_text(char *buf, size_t size, const struct xt_vm_config *vm)
{
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < vm->n_injections && len < size; i++) {
		const struct xt_injection *in = &vm->injections[i];
		char when[32];
		if (in->port >= 0)
			snprintf(when, sizeof(when), "io:0x%" PRIx64, (uint64_t)in->port);
		else
			snprintf(when, sizeof(when), "%" PRIu64, in->step);
		len += (size_t)snprintf(buf + len, size - len, "%s0x%x@%s %s", len ? ", " : "",
					in->vector, when, xt_inject_method_name(in->method));
	}
	if (!vm->n_injections)
		snprintf(buf, size, "none");
}

static const struct xt_cpuid_entry *cpuid_find(const struct xt_vm_config *vm, uint32_t fn,
					       uint32_t index)
{
	for (size_t i = 0; i < vm->n_cpuid; i++)
		if (vm->cpuid[i].function == fn && vm->cpuid[i].index == index)
			return &vm->cpuid[i];
	return NULL;
}

/*
 * Do two CPUID values differ only in the APIC ID (leaf 1 EBX[31:24], leaves
 * 0xb and 0x1f EDX)?  KVM_GET_SUPPORTED_CPUID fills it in from the host CPU
 * the call ran on, so two recordings on one host may differ there.
 */
static bool apic_id_only(uint32_t fn, int reg, uint32_t delta)
{
	if (fn == 1 && reg == 1)
		return !(delta & 0x00ffffffu);
	return (fn == 0xb || fn == 0x1f) && reg == 3;
}

static int compare_cpuid(struct xd_hdiffs *d, const struct xt_vm_config *a, const struct xt_vm_config *b)
{
	unsigned lines = 0, more = 0;
	for (int pass = 0; pass < 2; pass++) {
		const struct xt_vm_config *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < x->n_cpuid; i++) {
			const struct xt_cpuid_entry *e = &x->cpuid[i];
			const struct xt_cpuid_entry *o = cpuid_find(y, e->function, e->index);
			char what[64];
			if (!o) {
				if (++lines > MAX_CPUID_LINES) {
					more++;
					continue;
				}
				snprintf(what, sizeof(what), "cpuid 0x%x.%u", e->function, e->index);
				XD_TRY(add(d, XD_GROUP_VM, false, what, pass ? NULL : "present",
					   pass ? "present" : NULL));
				continue;
			}
			if (pass)
				continue;
			const uint32_t va[4] = { e->eax, e->ebx, e->ecx, e->edx };
			const uint32_t vb[4] = { o->eax, o->ebx, o->ecx, o->edx };
			static const char *const reg[4] = { "eax", "ebx", "ecx", "edx" };
			for (int r = 0; r < 4; r++) {
				if (va[r] == vb[r])
					continue;
				if (++lines > MAX_CPUID_LINES) {
					more++;
					continue;
				}
				snprintf(what, sizeof(what), "cpuid 0x%x.%u %s%s", e->function, e->index, reg[r],
					 apic_id_only(e->function, r, va[r] ^ vb[r]) ?
					 " (host CPU's APIC ID)" : "");
				XD_TRY(add_num(d, XD_GROUP_VM, what, va[r], vb[r], true));
			}
		}
	}
	if (more) {
		char n[32];
		snprintf(n, sizeof(n), "%u more", more);
		XD_TRY(add(d, XD_GROUP_VM, false, "cpuid", n, n));
	}
	return 0;
}

static int compare_vm(struct xd_hdiffs *d, const struct xt_vm_config *a, const struct xt_vm_config *b)
{
	char x[128], y[128];
	if (a->guest_debug != b->guest_debug) {
		xt_guest_debug_str(x, sizeof(x), a->guest_debug);
		xt_guest_debug_str(y, sizeof(y), b->guest_debug);
		bool blockirq = (a->guest_debug ^ b->guest_debug) & KVM_GUESTDBG_BLOCKIRQ;
		XD_TRY(add(d, XD_GROUP_VM, blockirq, "guest_debug", x, y));
	}
	if (a->irqchip != b->irqchip)
		XD_TRY(add(d, XD_GROUP_VM, true, "irqchip", xt_irqchip_name(a->irqchip),
			   xt_irqchip_name(b->irqchip)));
	if (a->platform != b->platform) {
		/* the PIT's ticks are interrupts one trace can have and the other not */
		xt_platform_str(x, sizeof(x), a->platform);
		xt_platform_str(y, sizeof(y), b->platform);
		XD_TRY(add(d, XD_GROUP_VM, true, "legacy PC", x, y));
	}
	injections_text(x, sizeof(x), a);
	injections_text(y, sizeof(y), b);
	XD_TRY(add_str(d, XD_GROUP_VM, false, "injections", x, y));
	if (a->cpu_mode != b->cpu_mode)
		XD_TRY(add(d, XD_GROUP_VM, false, "cpu mode", xt_cpu_mode_name(a->cpu_mode),
			   xt_cpu_mode_name(b->cpu_mode)));
	if (a->capture != b->capture) {
		xt_capture_str(x, sizeof(x), a->capture);
		xt_capture_str(y, sizeof(y), b->capture);
		XD_TRY(add(d, XD_GROUP_VM, false, "capture", x, y));
	}
	for (int i = 0; i < 8; i++) {
		char what[16];
		snprintf(what, sizeof(what), "debugreg[%d]", i);
		XD_TRY(add_num(d, XD_GROUP_VM, what, a->debugreg[i], b->debugreg[i], true));
	}
	/* the walk compares the vCPUs both have: the count comes first, it frames the rest */
	XD_TRY(add_num(d, XD_GROUP_VM, "vcpus", a->n_vcpus, b->n_vcpus, false));
	XD_TRY(add_num(d, XD_GROUP_VM, "memory size", a->mem_size, b->mem_size, true));
	XD_TRY(add_num(d, XD_GROUP_VM, "max steps", a->max_steps, b->max_steps, false));
	XD_TRY(add_num(d, XD_GROUP_VM, "timeout ms", a->timeout_ms, b->timeout_ms, false));
	XD_TRY(add_num(d, XD_GROUP_VM, "tsc khz", a->tsc_khz, b->tsc_khz, false));
	XD_TRY(add_str(d, XD_GROUP_VM, false, "loader", a->loader, b->loader));
	XD_TRY(add_str(d, XD_GROUP_VM, false, "scenario", a->scenario, b->scenario));
	XD_TRY(add_str(d, XD_GROUP_VM, false, "append", a->append, b->append));
	XD_TRY(add_num(d, XD_GROUP_VM, "load address", a->load_addr, b->load_addr, true));
	XD_TRY(add_num(d, XD_GROUP_VM, "entry", a->entry, b->entry, true));
	return compare_cpuid(d, a, b);
}

static void hex_prefix(char *buf, size_t size, const uint8_t *p, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && len + 2 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%02x", p[i]);
}

static const struct xt_mem_region *region_at(const struct xt_vm_config *vm, uint64_t gpa)
{
	for (size_t i = 0; i < vm->n_memory; i++)
		if (vm->memory[i].gpa == gpa)
			return &vm->memory[i];
	return NULL;
}

static int compare_image(struct xd_hdiffs *d, const struct xt_header *a, const struct xt_header *b)
{
	char x[72], y[72];
	if (memcmp(a->image.sha256, b->image.sha256, 32)) {
		hex_prefix(x, 17, a->image.sha256, 8);
		hex_prefix(y, 17, b->image.sha256, 8);
		snprintf(x + strlen(x), sizeof(x) - strlen(x), ", %zu bytes", a->image.size);
		snprintf(y + strlen(y), sizeof(y) - strlen(y), ", %zu bytes", b->image.size);
		XD_TRY(add(d, XD_GROUP_IMAGE, false, "sha256", x, y));
	}
	/* the first guest-physical byte the initial memory differs at */
	for (int pass = 0; pass < 2; pass++) {
		const struct xt_vm_config *p = pass ? &b->vm : &a->vm, *q = pass ? &a->vm : &b->vm;
		for (size_t i = 0; i < p->n_memory; i++) {
			const struct xt_mem_region *r = &p->memory[i], *o = region_at(q, r->gpa);
			if (o && pass)
				continue;
			if (!o) {
				snprintf(x, sizeof(x), "%zu bytes at 0x%" PRIx64, r->size, r->gpa);
				return add(d, XD_GROUP_IMAGE, false, "initial memory", pass ? NULL : x,
					   pass ? x : NULL);
			}
			if (!r->data || !o->data) {
				/* a region the reader does not hold: its digest says whether it differs */
				uint64_t dr = p->memory_digests ? p->memory_digests[r - p->memory] : 0;
				uint64_t dq = q->memory_digests ? q->memory_digests[o - q->memory] : 1;
				if (r->size == o->size && dr == dq)
					continue;
				char what[48];
				snprintf(x, sizeof(x), "%zu bytes, digest %016" PRIx64, r->size, dr);
				snprintf(y, sizeof(y), "%zu bytes, digest %016" PRIx64, o->size, dq);
				snprintf(what, sizeof(what), "memory at 0x%" PRIx64, r->gpa);
				return add(d, XD_GROUP_IMAGE, false, what, x, y);
			}
			size_t n = r->size < o->size ? r->size : o->size, k = 0;
			while (k < n && r->data[k] == o->data[k])
				k++;
			if (k < n || r->size != o->size) {
				char what[48];
				snprintf(what, sizeof(what), "memory at 0x%" PRIx64, r->gpa + k);
				if (k < n) {
					snprintf(x, sizeof(x), "%02x", r->data[k]);
					snprintf(y, sizeof(y), "%02x", o->data[k]);
				} else {
					snprintf(x, sizeof(x), "%zu bytes", r->size);
					snprintf(y, sizeof(y), "%zu bytes", o->size);
				}
				return add(d, XD_GROUP_IMAGE, false, what, x, y);
			}
		}
	}
	return 0;
}

static int compare_initial(struct xd_hdiffs *d, const struct xt_header *a, const struct xt_header *b,
			   const struct xd_options *o)
{
	struct xd_cmp *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	xd_cmp_init(c, a, b, false, o);
	xd_cmp_rebase(c, a->initial, b->initial);
	unsigned lines = 0;
	int rc = 0;
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT && rc == 0; id++) {
		if (!xt_field_set_has(&c->differ, id))
			continue;
		const struct xt_field *f = xt_field_by_id(id);
		if (++lines > MAX_STATE_LINES)
			continue;
		char x[72], y[72];
		if (f->kind == XT_KIND_U64) {
			snprintf(x, sizeof(x), "0x%" PRIx64, xt_field_get(a->initial, f));
			snprintf(y, sizeof(y), "0x%" PRIx64, xt_field_get(b->initial, f));
		} else {
			snprintf(x, sizeof(x), "(bytes)");
			snprintf(y, sizeof(y), "(other bytes)");
		}
		rc = add(d, XD_GROUP_STATE, false, f->name, x, y);
	}
	if (rc == 0 && lines > MAX_STATE_LINES) {
		char n[32];
		snprintf(n, sizeof(n), "%u more fields", lines - MAX_STATE_LINES);
		rc = add(d, XD_GROUP_STATE, false, "...", n, n);
	}
	free(c);
	return rc;
}

static int compare_trace(struct xd_hdiffs *d, const struct xt_header *a, const struct xt_header *b)
{
	char x[32], y[32];
	snprintf(x, sizeof(x), "%u.%u", a->version_major, a->version_minor);
	snprintf(y, sizeof(y), "%u.%u", b->version_major, b->version_minor);
	XD_TRY(add_str(d, XD_GROUP_TRACE, false, "format", x, y));
	XD_TRY(add_str(d, XD_GROUP_TRACE, false, "written by", a->tool_version, b->tool_version));
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++) {
		const struct xt_field *f = xt_field_by_id(id);
		if (!f || a->compare_masks[id] == b->compare_masks[id])
			continue;
		char what[64];
		snprintf(what, sizeof(what), "compare mask of %s", f->name);
		XD_TRY(add_num(d, XD_GROUP_TRACE, what, a->compare_masks[id], b->compare_masks[id], true));
	}
	return 0;
}

/* Group by group, key differences first, each in the order found. */
static int order(struct xd_hdiffs *d)
{
	if (!d->n)
		return 0;
	struct xd_hdiff *v = malloc(d->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t n = 0;
	for (uint32_t g = 0; g < XD_NGROUPS; g++)
		for (int key = 1; key >= 0; key--)
			for (size_t i = 0; i < d->n; i++)
				if (d->v[i].group == g && d->v[i].key == (key == 1))
					v[n++] = d->v[i];
	free(d->v);
	d->v = v;
	d->cap = d->n;
	return 0;
}

int xd_compare_headers(const struct xt_header *a, const struct xt_header *b,
		       const struct xd_options *o, struct xd_hdiffs *out)
{
	memset(out, 0, sizeof(*out));
	int rc;
	if ((rc = compare_host(out, &a->host, &b->host)) || (rc = compare_vm(out, &a->vm, &b->vm)) ||
	    (rc = compare_image(out, a, b)) || (rc = compare_initial(out, a, b, o)) ||
	    (rc = compare_trace(out, a, b)) || (rc = order(out)))
		xd_hdiffs_free(out);
	return rc;
}

void xd_hdiffs_free(struct xd_hdiffs *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}
