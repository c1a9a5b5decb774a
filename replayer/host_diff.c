// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_diff.h"

/* CPUID entries that differ are listed one by one up to this many. */
#define CPUID_ITEMS_MAX 4

/* The order differences are listed in: what decides the interrupt path, then the machine. */
enum { RANK_IMPORTANT, RANK_MACHINE, RANK_PARAM, RANK_KVM, RANK_CPUID, RANK_ONE_SIDED };

static int add_ranked(struct host_diff *d, int rank, const char *what, const char *a, const char *b);

static int add(struct host_diff *d, bool important, const char *what, const char *a, const char *b)
{
	return add_ranked(d, important ? RANK_IMPORTANT : RANK_MACHINE, what, a, b);
}

static int add_ranked(struct host_diff *d, int rank, const char *what, const char *a, const char *b)
{
	struct host_diff_item *p = realloc(d->items, (d->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	d->items = p;
	struct host_diff_item *it = &p[d->n++];
	snprintf(it->what, sizeof(it->what), "%s", what);
	snprintf(it->recorded, sizeof(it->recorded), "%s", a ? a : "(none)");
	snprintf(it->here, sizeof(it->here), "%s", b ? b : "(none)");
	it->important = rank == RANK_IMPORTANT;
	it->rank = rank;
	return 0;
}

static int cmp_str(struct host_diff *d, bool important, const char *what, const char *a, const char *b)
{
	if ((a ? a : "")[0] == 0 && (b ? b : "")[0] == 0)
		return 0;
	if (a && b && !strcmp(a, b))
		return 0;
	return add(d, important, what, a, b);
}

static int cmp_u64(struct host_diff *d, const char *what, const char *fmt, uint64_t a, uint64_t b)
{
	if (a == b)
		return 0;
	char sa[32], sb[32];
	snprintf(sa, sizeof(sa), fmt, a);
	snprintf(sb, sizeof(sb), fmt, b);
	return add(d, false, what, sa, sb);
}

/* The same release built twice is worth saying too. */
static int cmp_kernel_build(struct host_diff *d, const struct xt_host *a, const struct xt_host *b)
{
	if (!a->kernel_release || !b->kernel_release || strcmp(a->kernel_release, b->kernel_release))
		return 0;
	return cmp_str(d, false, "kernel build", a->kernel_version, b->kernel_version);
}

static const char *param(const struct xt_host *h, const char *key)
{
	for (size_t i = 0; i < h->n_kvm_params; i++)
		if (!strcmp(h->kvm_params[i].key, key))
			return h->kvm_params[i].value;
	return NULL;
}

/*
 * Every parameter both hosts have whose value differs, and the APICv ones
 * either lacks; the others only one host has are counted (hosts with
 * different modules have different lists).
 */
static int cmp_params(struct host_diff *d, const struct xt_host *a, const struct xt_host *b)
{
	size_t only_a = 0, only_b = 0;
	int rc;
	for (size_t i = 0; i < a->n_kvm_params; i++) {
		const char *k = a->kvm_params[i].key, *vb = param(b, k);
		bool apicv = xt_kvm_param_is_apicv(k);
		if (!vb && !apicv) {
			only_a++;
			continue;
		}
		if (vb && !strcmp(vb, a->kvm_params[i].value))
			continue;
		if ((rc = add_ranked(d, apicv ? RANK_IMPORTANT : RANK_PARAM, k, a->kvm_params[i].value, vb)))
			return rc;
	}
	for (size_t i = 0; i < b->n_kvm_params; i++) {
		const char *k = b->kvm_params[i].key;
		if (param(a, k))
			continue;
		if (!xt_kvm_param_is_apicv(k))
			only_b++;
		else if ((rc = add(d, true, k, NULL, b->kvm_params[i].value)))
			return rc;
	}
	if (!only_a && !only_b)
		return 0;
	char sa[24], sb[24];
	snprintf(sa, sizeof(sa), "%zu", only_a);
	snprintf(sb, sizeof(sb), "%zu", only_b);
	return add_ranked(d, RANK_ONE_SIDED, "kvm parameters only one host has", sa, sb);
}

static int cmp_api(struct host_diff *d, const struct xt_host *a, const struct xt_host *b)
{
	if (a->api_version == b->api_version)
		return 0;
	char sa[24], sb[24];
	snprintf(sa, sizeof(sa), "%" PRId64, a->api_version);
	snprintf(sb, sizeof(sb), "%" PRId64, b->api_version);
	return add_ranked(d, RANK_KVM, "KVM API version", sa, sb);
}

static int cmp_caps(struct host_diff *d, const struct xt_host *a, const struct xt_host *b)
{
	for (size_t i = 0; i < a->n_caps; i++) {
		for (size_t j = 0; j < b->n_caps; j++) {
			if (a->caps[i].cap != b->caps[j].cap || a->caps[i].value == b->caps[j].value)
				continue;
			char what[48], sa[32], sb[32];
			snprintf(what, sizeof(what), "KVM capability %u", a->caps[i].cap);
			snprintf(sa, sizeof(sa), "%" PRId64, a->caps[i].value);
			snprintf(sb, sizeof(sb), "%" PRId64, b->caps[j].value);
			int rc = add_ranked(d, RANK_KVM, what, sa, sb);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/*
 * KVM_GET_SUPPORTED_CPUID reports the APIC ID of the host CPU the caller
 * happens to run on: leaf 1 EBX 31:24, the x2APIC ID in EDX of leaves 0xb
 * and 0x1f, AMD's extended APIC ID and core/node IDs in 0x8000001e.  They
 * say where the probe ran, not what the host is.
 */
static void cpuid_regs(const struct xt_cpuid_entry *e, uint32_t v[4])
{
	v[0] = e->eax;
	v[1] = e->ebx;
	v[2] = e->ecx;
	v[3] = e->edx;
	if (e->function == 1)
		v[1] &= 0x00ffffffu;
	else if (e->function == 0xb || e->function == 0x1f)
		v[3] = 0;
	else if (e->function == 0x8000001eu)
		v[0] = v[1] = v[2] = 0;
}

static bool cpuid_same(const struct xt_cpuid_entry *a, const struct xt_cpuid_entry *b)
{
	uint32_t va[4], vb[4];
	cpuid_regs(a, va);
	cpuid_regs(b, vb);
	return !memcmp(va, vb, sizeof(va));
}

static const struct xt_cpuid_entry *find_leaf(const struct xt_cpuid_entry *e, size_t n, uint32_t fn,
					      uint32_t index)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == index)
			return &e[i];
	return NULL;
}

static int cpuid_item(struct host_diff *d, const struct xt_cpuid_entry *a, const struct xt_cpuid_entry *b)
{
	const struct xt_cpuid_entry *e = a ? a : b;
	char what[64], sa[96], sb[96];
	if (!a || !b) {
		snprintf(what, sizeof(what), "cpuid 0x%x.%u", e->function, e->index);
		snprintf(a ? sa : sb, sizeof(sa), "eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x",
			 e->eax, e->ebx, e->ecx, e->edx);
		return add_ranked(d, RANK_CPUID, what, a ? sa : NULL, b ? sb : NULL);
	}
	static const char *const regs[4] = { "eax", "ebx", "ecx", "edx" };
	uint32_t va[4], vb[4];
	cpuid_regs(a, va);
	cpuid_regs(b, vb);
	for (int r = 0; r < 4; r++) {
		if (va[r] == vb[r])
			continue;
		snprintf(what, sizeof(what), "cpuid 0x%x.%u %s", e->function, e->index, regs[r]);
		snprintf(sa, sizeof(sa), "0x%08x", va[r]);
		snprintf(sb, sizeof(sb), "0x%08x", vb[r]);
		return add_ranked(d, RANK_CPUID, what, sa, sb);	/* the first register says enough */
	}
	return 0;
}

static int cmp_cpuid(struct host_diff *d, const struct xt_cpuid_entry *a, size_t na,
		     const struct xt_cpuid_entry *b, size_t nb)
{
	int rc;
	for (size_t i = 0; i < na; i++) {
		const struct xt_cpuid_entry *o = find_leaf(b, nb, a[i].function, a[i].index);
		if (o && cpuid_same(&a[i], o))
			continue;
		if (d->cpuid_differ++ < CPUID_ITEMS_MAX && (rc = cpuid_item(d, &a[i], o)))
			return rc;
	}
	for (size_t i = 0; i < nb; i++) {
		if (find_leaf(a, na, b[i].function, b[i].index))
			continue;
		if (d->cpuid_differ++ < CPUID_ITEMS_MAX && (rc = cpuid_item(d, NULL, &b[i])))
			return rc;
	}
	if (d->cpuid_differ > CPUID_ITEMS_MAX) {
		char sa[32], sb[64];
		snprintf(sa, sizeof(sa), "%zu entries", na);
		snprintf(sb, sizeof(sb), "%zu entries, %zu differ", nb, d->cpuid_differ);
		return add_ranked(d, RANK_CPUID, "cpuid table", sa, sb);
	}
	return 0;
}

static int by_rank(const struct host_diff_item *a, const struct host_diff_item *b)
{
	return a->rank - b->rank;
}

int host_diff(const struct xt_host *a, const struct xt_host *b,
	      const struct xt_cpuid_entry *cpuid_a, size_t na,
	      const struct xt_cpuid_entry *cpuid_b, size_t nb, struct host_diff *out)
{
	memset(out, 0, sizeof(*out));
	int rc;
	if ((rc = cmp_str(out, true, "kvm module", a->kvm_module, b->kvm_module)) ||
	    (rc = cmp_params(out, a, b)) ||
	    (rc = cmp_str(out, false, "kernel release", a->kernel_release, b->kernel_release)) ||
	    (rc = cmp_kernel_build(out, a, b)) ||
	    (rc = cmp_str(out, false, "machine", a->machine, b->machine)) ||
	    (rc = cmp_str(out, false, "cpu vendor", a->cpu_vendor, b->cpu_vendor)) ||
	    (rc = cmp_u64(out, "cpu family", "%" PRIu64, a->cpu_family, b->cpu_family)) ||
	    (rc = cmp_u64(out, "cpu model", "%" PRIu64, a->cpu_model, b->cpu_model)) ||
	    (rc = cmp_u64(out, "cpu stepping", "%" PRIu64, a->cpu_stepping, b->cpu_stepping)) ||
	    (rc = cmp_u64(out, "microcode", "0x%" PRIx64, a->microcode, b->microcode)) ||
	    (rc = cmp_str(out, false, "cpu model name", a->cpu_model_name, b->cpu_model_name)) ||
	    (rc = cmp_api(out, a, b)) ||
	    (rc = cmp_caps(out, a, b)) || (rc = cmp_cpuid(out, cpuid_a, na, cpuid_b, nb))) {
		host_diff_free(out);
		return rc;
	}
	/* a stable sort keeps each group in the order above */
	for (size_t i = 1; i < out->n; i++)
		for (size_t j = i; j > 0 && by_rank(&out->items[j - 1], &out->items[j]) > 0; j--) {
			struct host_diff_item t = out->items[j];
			out->items[j] = out->items[j - 1];
			out->items[j - 1] = t;
		}
	return 0;
}

void host_diff_free(struct host_diff *d)
{
	free(d->items);
	d->items = NULL;
	d->n = 0;
}
