// SPDX-License-Identifier: MIT
/* The header record: who recorded what, where, and from which state. */
#include <errno.h>
#include <string.h>

#include "xt_internal.h"

enum { HK_RELEASE = 1, HK_VERSION, HK_MACHINE, HK_VENDOR, HK_FAMILY, HK_MODEL,
       HK_STEPPING, HK_MICROCODE, HK_MODEL_NAME, HK_KVM_MODULE, HK_KVM_PARAMS,
       HK_API_VERSION, HK_CAPS };

enum { VK_MEM_SIZE = 1, VK_CPU_MODE, VK_IRQCHIP, VK_GUEST_DEBUG, VK_DEBUGREG,
       VK_CAPTURE, VK_MAX_STEPS, VK_TIMEOUT_MS, VK_TSC_KHZ, VK_LOADER, VK_SCENARIO,
       VK_APPEND, VK_LOAD_ADDR, VK_ENTRY, VK_CPUID, VK_MEMORY, VK_INJECTIONS,
       VK_STATS_NAMES, VK_VCPUS, VK_APIC_IDS, VK_PLATFORM, VK_TIME_HZ };

enum { IK_NAME = 1, IK_DATA, IK_SHA256 };

static size_t count_set(const char *const *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += p[i] != NULL;
	return c;
}

static void put_text_kv(struct xti_buf *b, uint64_t key, const char *v)
{
	xti_put_uint(b, key);
	xti_put_text(b, v);
}

static void put_uint_kv(struct xti_buf *b, uint64_t key, uint64_t v)
{
	xti_put_uint(b, key);
	xti_put_uint(b, v);
}

static void put_host(struct xti_buf *b, const struct xt_host *h)
{
	const char *texts[] = { h->kernel_release, h->kernel_version, h->machine,
				h->cpu_vendor, h->cpu_model_name, h->kvm_module };
	xti_put_map(b, count_set(texts, 6) + 7);
	if (h->kernel_release) put_text_kv(b, HK_RELEASE, h->kernel_release);
	if (h->kernel_version) put_text_kv(b, HK_VERSION, h->kernel_version);
	if (h->machine) put_text_kv(b, HK_MACHINE, h->machine);
	if (h->cpu_vendor) put_text_kv(b, HK_VENDOR, h->cpu_vendor);
	put_uint_kv(b, HK_FAMILY, h->cpu_family);
	put_uint_kv(b, HK_MODEL, h->cpu_model);
	put_uint_kv(b, HK_STEPPING, h->cpu_stepping);
	put_uint_kv(b, HK_MICROCODE, h->microcode);
	if (h->cpu_model_name) put_text_kv(b, HK_MODEL_NAME, h->cpu_model_name);
	if (h->kvm_module) put_text_kv(b, HK_KVM_MODULE, h->kvm_module);
	xti_put_uint(b, HK_KVM_PARAMS);
	xti_put_map(b, h->n_kvm_params);
	for (size_t i = 0; i < h->n_kvm_params; i++) {
		xti_put_text(b, h->kvm_params[i].key);
		xti_put_text(b, h->kvm_params[i].value);
	}
	xti_put_uint(b, HK_API_VERSION);
	xti_put_int(b, h->api_version);
	xti_put_uint(b, HK_CAPS);
	xti_put_map(b, h->n_caps);
	for (size_t i = 0; i < h->n_caps; i++) {
		xti_put_uint(b, h->caps[i].cap);
		xti_put_int(b, h->caps[i].value);
	}
}

static void put_vm(struct xti_buf *b, const struct xt_vm_config *vm)
{
	const char *texts[] = { vm->loader, vm->scenario, vm->append };
	xti_put_map(b, count_set(texts, 3) + 16 + (vm->n_stats ? 1 : 0) + (vm->platform ? 1 : 0) +
			   (vm->time_hz ? 1 : 0));
	put_uint_kv(b, VK_MEM_SIZE, vm->mem_size);
	put_uint_kv(b, VK_CPU_MODE, vm->cpu_mode);
	put_uint_kv(b, VK_IRQCHIP, vm->irqchip);
	put_uint_kv(b, VK_GUEST_DEBUG, vm->guest_debug);
	xti_put_uint(b, VK_DEBUGREG);
	xti_put_array(b, 8);
	for (int i = 0; i < 8; i++)
		xti_put_uint(b, vm->debugreg[i]);
	put_uint_kv(b, VK_CAPTURE, vm->capture);
	put_uint_kv(b, VK_MAX_STEPS, vm->max_steps);
	put_uint_kv(b, VK_TIMEOUT_MS, vm->timeout_ms);
	put_uint_kv(b, VK_TSC_KHZ, vm->tsc_khz);
	if (vm->loader) put_text_kv(b, VK_LOADER, vm->loader);
	if (vm->scenario) put_text_kv(b, VK_SCENARIO, vm->scenario);
	if (vm->append) put_text_kv(b, VK_APPEND, vm->append);
	put_uint_kv(b, VK_LOAD_ADDR, vm->load_addr);
	put_uint_kv(b, VK_ENTRY, vm->entry);
	xti_put_uint(b, VK_CPUID);
	xti_put_array(b, vm->n_cpuid);
	for (size_t i = 0; i < vm->n_cpuid; i++) {
		const struct xt_cpuid_entry *e = &vm->cpuid[i];
		xti_put_array(b, 7);
		xti_put_uint(b, e->function);
		xti_put_uint(b, e->index);
		xti_put_uint(b, e->flags);
		xti_put_uint(b, e->eax);
		xti_put_uint(b, e->ebx);
		xti_put_uint(b, e->ecx);
		xti_put_uint(b, e->edx);
	}
	xti_put_uint(b, VK_MEMORY);
	xti_put_array(b, vm->n_memory);
	for (size_t i = 0; i < vm->n_memory; i++) {
		xti_put_array(b, 2);
		xti_put_uint(b, vm->memory[i].gpa);
		xti_put_bytes(b, vm->memory[i].data, vm->memory[i].size);
	}
	xti_put_uint(b, VK_INJECTIONS);
	xti_put_array(b, vm->n_injections);
	for (size_t i = 0; i < vm->n_injections; i++) {
		const struct xt_injection *j = &vm->injections[i];
		xti_put_array(b, 4);
		xti_put_uint(b, j->vector);
		xti_put_uint(b, j->method);
		xti_put_uint(b, j->step);
		xti_put_int(b, j->port);
	}
	if (vm->n_stats) {
		xti_put_uint(b, VK_STATS_NAMES);
		xti_put_array(b, vm->n_stats);
		for (size_t i = 0; i < vm->n_stats; i++)
			xti_put_text(b, vm->stats_names[i]);
	}
	uint32_t n = vm->n_vcpus ? vm->n_vcpus : 1;
	put_uint_kv(b, VK_VCPUS, n);
	xti_put_uint(b, VK_APIC_IDS);
	xti_put_array(b, n);
	for (uint32_t i = 0; i < n; i++)
		xti_put_uint(b, vm->apic_ids ? vm->apic_ids[i] : i);
	/* only when there is one: a trace without it is what it was before the key existed */
	if (vm->platform)
		put_uint_kv(b, VK_PLATFORM, vm->platform);
	if (vm->time_hz)
		put_uint_kv(b, VK_TIME_HZ, vm->time_hz);
}

void xti_format_version(const struct xt_vm_config *vm, uint16_t *major, uint16_t *minor)
{
	bool several = vm->n_vcpus > 1;
	*major = several ? XT_FORMAT_MAJOR : XT_FORMAT_ONE_VCPU_MAJOR;
	*minor = several ? XT_FORMAT_MINOR : XT_FORMAT_ONE_VCPU_MINOR;
}

static void put_image(struct xti_buf *b, const struct xt_image *im)
{
	xti_put_map(b, 3);
	put_text_kv(b, IK_NAME, im->name);
	xti_put_uint(b, IK_DATA);
	xti_put_bytes(b, im->data, im->size);
	xti_put_uint(b, IK_SHA256);
	xti_put_bytes(b, im->sha256, 32);
}

void xti_put_header(struct xti_buf *b, const struct xt_header *h)
{
	uint64_t defaults[XT_FIELD_ID_LIMIT];
	const uint64_t *masks = h->compare_masks;
	if (!masks) {
		xt_default_compare_masks(defaults);
		masks = defaults;
	}
	size_t nmasks = 0, nfields = 0;
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++) {
		if (xt_field_by_id(id)) {
			nfields++;
			nmasks += masks[id] != ~0ull;
		}
	}

	uint16_t major, minor;
	xti_format_version(&h->vm, &major, &minor);
	xti_put_map(b, 12 + (h->vm.n_vcpus > 1));
	put_uint_kv(b, XTK_TYPE, XT_REC_HEADER);
	xti_put_uint(b, XTK_H_VERSION);
	xti_put_array(b, 2);
	xti_put_uint(b, major);
	xti_put_uint(b, minor);
	put_text_kv(b, XTK_H_TOOL, h->tool_version);
	xti_put_uint(b, XTK_H_ARGV);
	xti_put_array(b, h->argc);
	for (size_t i = 0; i < h->argc; i++)
		xti_put_text(b, h->argv[i]);
	xti_put_uint(b, XTK_H_CREATED);
	xti_put_array(b, 2);
	xti_put_int(b, h->created_sec);
	xti_put_uint(b, h->created_nsec);
	xti_put_uint(b, XTK_H_HOST);
	put_host(b, &h->host);
	xti_put_uint(b, XTK_H_VM);
	put_vm(b, &h->vm);
	xti_put_uint(b, XTK_H_IMAGE);
	put_image(b, &h->image);
	xti_put_uint(b, XTK_H_INITIAL);
	xti_put_state(b, h->initial, h->vm.capture);
	xti_put_uint(b, XTK_H_MASKS);
	xti_put_map(b, nmasks);
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++) {
		if (xt_field_by_id(id) && masks[id] != ~0ull) {
			xti_put_uint(b, id);
			xti_put_uint(b, masks[id]);
		}
	}
	xti_put_uint(b, XTK_H_FIELDS);
	xti_put_map(b, nfields);
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++) {
		const struct xt_field *f = xt_field_by_id(id);
		if (f) {
			xti_put_uint(b, id);
			xti_put_text(b, f->name);
		}
	}
	xti_put_uint(b, XTK_H_EXTRA);
	xti_put_map(b, h->n_extra);
	for (size_t i = 0; i < h->n_extra; i++) {
		xti_put_text(b, h->extra[i].key);
		xti_put_text(b, h->extra[i].value);
	}
	if (h->vm.n_vcpus > 1) {
		xti_put_uint(b, XTK_H_INITIAL_VCPUS);
		xti_put_array(b, h->vm.n_vcpus - 1);
		for (uint32_t i = 0; i + 1 < h->vm.n_vcpus; i++)
			xti_put_state(b, &h->initial_vcpus[i], h->vm.capture);
	}
}

/* ---- decoding ---- */

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

static int get_u32(struct xti_in *in, const struct xti_tok *t, uint32_t *v)
{
	uint64_t u;
	TRY(xti_uint(in, t, &u));
	if (u > UINT32_MAX)
		return xti_bad(in, "value %llu does not fit 32 bits", (unsigned long long)u);
	*v = (uint32_t)u;
	return 0;
}

static int get_kv_map(struct xti_in *in, const struct xti_tok *t, struct xti_arena *a,
		      const struct xt_kv **out, size_t *n)
{
	if (t->type != XTI_MAP)
		return xti_bad(in, "expected a map of strings");
	struct xt_kv *kv = xti_alloc(a, t->u * sizeof(*kv));
	if (!kv && t->u)
		return xti_err(in->err, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < t->u; i++) {
		struct xti_tok k, v;
		TRY(xti_next(in, &k));
		TRY(xti_text(in, &k, a, &kv[i].key));
		TRY(xti_next(in, &v));
		TRY(xti_text(in, &v, a, &kv[i].value));
	}
	TRY(xti_texts_once(in, kv, t->u, sizeof(*kv), "map of strings"));
	*out = kv;
	*n = t->u;
	return 0;
}

static int get_host(struct xti_in *in, const struct xti_tok *t, struct xt_host *h,
		    struct xti_arena *a)
{
	struct xti_tok v;
	if (t->type != XTI_MAP)
		return xti_bad(in, "host: expected a map");
	struct xti_keys seen = { 0 };
	for (uint64_t i = 0; i < t->u; i++) {
		uint64_t key;
		TRY(xti_map_key_once(in, &seen, "host", &key, &v));
		switch (key) {
		case HK_RELEASE: TRY(xti_text(in, &v, a, &h->kernel_release)); break;
		case HK_VERSION: TRY(xti_text(in, &v, a, &h->kernel_version)); break;
		case HK_MACHINE: TRY(xti_text(in, &v, a, &h->machine)); break;
		case HK_VENDOR: TRY(xti_text(in, &v, a, &h->cpu_vendor)); break;
		case HK_FAMILY: TRY(get_u32(in, &v, &h->cpu_family)); break;
		case HK_MODEL: TRY(get_u32(in, &v, &h->cpu_model)); break;
		case HK_STEPPING: TRY(get_u32(in, &v, &h->cpu_stepping)); break;
		case HK_MICROCODE: TRY(xti_uint(in, &v, &h->microcode)); break;
		case HK_MODEL_NAME: TRY(xti_text(in, &v, a, &h->cpu_model_name)); break;
		case HK_KVM_MODULE: TRY(xti_text(in, &v, a, &h->kvm_module)); break;
		case HK_KVM_PARAMS:
			TRY(get_kv_map(in, &v, a, &h->kvm_params, &h->n_kvm_params));
			break;
		case HK_API_VERSION: TRY(xti_int(in, &v, &h->api_version)); break;
		case HK_CAPS: {
			if (v.type != XTI_MAP)
				return xti_bad(in, "host caps: expected a map");
			struct xt_cap *caps = xti_alloc(a, v.u * sizeof(*caps));
			if (!caps && v.u)
				return xti_err(in->err, -ENOMEM, "out of memory");
			struct xti_keys caps_seen = { 0 };
			for (uint64_t j = 0; j < v.u; j++) {
				uint64_t cap;
				struct xti_tok cv;
				TRY(xti_map_key_once(in, &caps_seen, "host caps", &cap, &cv));
				if (cap > UINT32_MAX)
					return xti_bad(in, "host caps: capability number too large");
				caps[j].cap = (uint32_t)cap;
				TRY(xti_int(in, &cv, &caps[j].value));
			}
			h->caps = caps;
			h->n_caps = v.u;
			break;
		}
		default: TRY(xti_skip(in, &v));
		}
	}
	return 0;
}

static int get_uint_array(struct xti_in *in, uint64_t *out, size_t n)
{
	struct xti_tok t;
	TRY(xti_expect(in, &t, XTI_ARRAY, "an array of integers"));
	if (t.u != n)
		return xti_bad(in, "expected %zu integers, found %llu", n, (unsigned long long)t.u);
	for (size_t i = 0; i < n; i++) {
		struct xti_tok e;
		TRY(xti_next(in, &e));
		TRY(xti_uint(in, &e, &out[i]));
	}
	return 0;
}

static int get_vm_lists(struct xti_in *in, uint64_t key, const struct xti_tok *v,
			struct xt_vm_config *vm, struct xti_arena *a)
{
	if (v->type != XTI_ARRAY)
		return xti_bad(in, "vm config: expected an array");
	size_t n = v->u;
	if (key == VK_CPUID) {
		struct xt_cpuid_entry *e = xti_alloc(a, n * sizeof(*e));
		if (!e && n)
			return xti_err(in->err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			uint64_t w[7];
			TRY(get_uint_array(in, w, 7));
			for (int j = 0; j < 7; j++)
				if (w[j] > UINT32_MAX)
					return xti_bad(in, "cpuid entry: value too large");
			e[i] = (struct xt_cpuid_entry){ (uint32_t)w[0], (uint32_t)w[1], (uint32_t)w[2],
							(uint32_t)w[3], (uint32_t)w[4], (uint32_t)w[5],
							(uint32_t)w[6] };
		}
		vm->cpuid = e;
		vm->n_cpuid = n;
	} else if (key == VK_MEMORY) {
		struct xt_mem_region *m = xti_alloc(a, n * sizeof(*m));
		if (!m && n)
			return xti_err(in->err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			struct xti_tok t;
			TRY(xti_expect(in, &t, XTI_ARRAY, "a memory region"));
			if (t.u != 2)
				return xti_bad(in, "memory region: expected [gpa, bytes]");
			TRY(xti_next(in, &t));
			TRY(xti_uint(in, &t, &m[i].gpa));
			TRY(xti_next(in, &t));
			TRY(xti_blob(in, &t, a, &m[i].data, &m[i].size));
		}
		vm->memory = m;
		vm->n_memory = n;
	} else if (key == VK_INJECTIONS) {
		struct xt_injection *j = xti_alloc(a, n * sizeof(*j));
		if (!j && n)
			return xti_err(in->err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			struct xti_tok t;
			TRY(xti_expect(in, &t, XTI_ARRAY, "an injection"));
			if (t.u != 4)
				return xti_bad(in, "injection: expected [vector, method, step, port]");
			TRY(xti_next(in, &t));
			TRY(get_u32(in, &t, &j[i].vector));
			TRY(xti_next(in, &t));
			TRY(get_u32(in, &t, &j[i].method));
			TRY(xti_next(in, &t));
			TRY(xti_uint(in, &t, &j[i].step));
			TRY(xti_next(in, &t));
			TRY(xti_int(in, &t, &j[i].port));
		}
		vm->injections = j;
		vm->n_injections = n;
	} else {	/* VK_STATS_NAMES */
		const char **names = xti_alloc(a, n * sizeof(*names));
		if (!names && n)
			return xti_err(in->err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			struct xti_tok t;
			TRY(xti_next(in, &t));
			TRY(xti_text(in, &t, a, &names[i]));
		}
		vm->stats_names = names;
		vm->n_stats = n;
	}
	return 0;
}

static int get_apic_ids(struct xti_in *in, const struct xti_tok *v, struct xt_vm_config *vm,
			struct xti_arena *a)
{
	if (v->type != XTI_ARRAY || v->u == 0 || v->u > XT_VCPUS_MAX)
		return xti_bad(in, "apic ids: expected an array of 1 to %u integers", XT_VCPUS_MAX);
	uint32_t *ids = xti_alloc(a, v->u * sizeof(*ids));
	if (!ids)
		return xti_err(in->err, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < v->u; i++) {
		struct xti_tok e;
		TRY(xti_next(in, &e));
		TRY(get_u32(in, &e, &ids[i]));
	}
	vm->apic_ids = ids;
	return 0;
}

static int get_vm(struct xti_in *in, const struct xti_tok *t, struct xt_vm_config *vm,
		  struct xti_arena *a)
{
	struct xti_tok v;
	uint64_t n_apic = 0;
	if (t->type != XTI_MAP)
		return xti_bad(in, "vm config: expected a map");
	struct xti_keys seen = { 0 };
	for (uint64_t i = 0; i < t->u; i++) {
		uint64_t key;
		TRY(xti_map_key_once(in, &seen, "vm config", &key, &v));
		switch (key) {
		case VK_MEM_SIZE: TRY(xti_uint(in, &v, &vm->mem_size)); break;
		case VK_CPU_MODE: TRY(get_u32(in, &v, &vm->cpu_mode)); break;
		case VK_IRQCHIP: TRY(get_u32(in, &v, &vm->irqchip)); break;
		case VK_GUEST_DEBUG: TRY(get_u32(in, &v, &vm->guest_debug)); break;
		case VK_DEBUGREG:
			if (v.type != XTI_ARRAY || v.u != 8)
				return xti_bad(in, "debugreg: expected 8 integers");
			for (int j = 0; j < 8; j++) {
				struct xti_tok e;
				TRY(xti_next(in, &e));
				TRY(xti_uint(in, &e, &vm->debugreg[j]));
			}
			break;
		case VK_CAPTURE: TRY(get_u32(in, &v, &vm->capture)); break;
		case VK_MAX_STEPS: TRY(xti_uint(in, &v, &vm->max_steps)); break;
		case VK_TIMEOUT_MS: TRY(xti_uint(in, &v, &vm->timeout_ms)); break;
		case VK_TSC_KHZ: TRY(xti_uint(in, &v, &vm->tsc_khz)); break;
		case VK_LOADER: TRY(xti_text(in, &v, a, &vm->loader)); break;
		case VK_SCENARIO: TRY(xti_text(in, &v, a, &vm->scenario)); break;
		case VK_APPEND: TRY(xti_text(in, &v, a, &vm->append)); break;
		case VK_LOAD_ADDR: TRY(xti_uint(in, &v, &vm->load_addr)); break;
		case VK_ENTRY: TRY(xti_uint(in, &v, &vm->entry)); break;
		case VK_CPUID: case VK_MEMORY: case VK_INJECTIONS: case VK_STATS_NAMES:
			TRY(get_vm_lists(in, key, &v, vm, a));
			break;
		case VK_VCPUS:
			TRY(get_u32(in, &v, &vm->n_vcpus));
			if (vm->n_vcpus == 0 || vm->n_vcpus > XT_VCPUS_MAX)
				return xti_bad(in, "vm config: %u vCPUs (1 to %u)", vm->n_vcpus,
					       XT_VCPUS_MAX);
			break;
		case VK_APIC_IDS:
			TRY(get_apic_ids(in, &v, vm, a));
			n_apic = v.u;
			break;
		case VK_PLATFORM: TRY(get_u32(in, &v, &vm->platform)); break;
		case VK_TIME_HZ: TRY(xti_uint(in, &v, &vm->time_hz)); break;
		default:
			TRY(xti_skip(in, &v));
		}
	}
	if (n_apic && n_apic != (vm->n_vcpus ? vm->n_vcpus : 1))
		return xti_bad(in, "vm config: %llu APIC IDs for %u vCPUs", (unsigned long long)n_apic,
			       vm->n_vcpus ? vm->n_vcpus : 1);
	return 0;
}

/* A 1.0 trace gives neither count nor APIC IDs: one vCPU, APIC ID 0. */
static int default_vcpus(struct xti_in *in, struct xt_vm_config *vm, struct xti_arena *a)
{
	if (!vm->n_vcpus)
		vm->n_vcpus = 1;
	if (vm->apic_ids)
		return 0;
	uint32_t *ids = xti_alloc(a, vm->n_vcpus * sizeof(*ids));
	if (!ids)
		return xti_err(in->err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < vm->n_vcpus; i++)
		ids[i] = i;
	vm->apic_ids = ids;
	return 0;
}

static int get_image(struct xti_in *in, const struct xti_tok *t, struct xt_image *im,
		     struct xti_arena *a)
{
	struct xti_tok v;
	if (t->type != XTI_MAP)
		return xti_bad(in, "image: expected a map");
	struct xti_keys seen = { 0 };
	for (uint64_t i = 0; i < t->u; i++) {
		uint64_t key;
		TRY(xti_map_key_once(in, &seen, "image", &key, &v));
		switch (key) {
		case IK_NAME: TRY(xti_text(in, &v, a, &im->name)); break;
		case IK_DATA: TRY(xti_blob(in, &v, a, &im->data, &im->size)); break;
		case IK_SHA256:
			if (v.type != XTI_BYTES || v.len != 32)
				return xti_bad(in, "image sha256: expected 32 bytes");
			memcpy(im->sha256, v.p, 32);
			break;
		default: TRY(xti_skip(in, &v));
		}
	}
	return 0;
}

/* The initial states of vCPUs 1, 2, ...: each starts as vCPU 0's does, with no exit yet. */
static int get_initial_vcpus(struct xti_in *in, const struct xti_tok *v, struct xt_header *h,
			     size_t *n, struct xti_arena *a)
{
	if (v->type != XTI_ARRAY || v->u >= XT_VCPUS_MAX)
		return xti_bad(in, "initial vCPU states: expected an array of at most %u states",
			       XT_VCPUS_MAX - 1);
	struct xt_state *s = xti_alloc(a, v->u * sizeof(*s));
	if (!s && v->u)
		return xti_err(in->err, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < v->u; i++) {
		struct xti_tok t;
		s[i].exit.reason = XT_EXIT_NONE;
		TRY(xti_next(in, &t));
		TRY(xti_get_state(in, &t, &s[i]));
	}
	h->initial_vcpus = s;
	*n = v->u;
	return 0;
}

int xti_get_header(struct xti_in *in, size_t npairs, struct xt_header *h, struct xti_arena *a)
{
	size_t n_initial = 0;
	h->size = sizeof(*h);	/* handed out: this library's layout */
	struct xt_state *initial = xti_alloc(a, sizeof(*initial));
	uint64_t *masks = xti_alloc(a, XT_FIELD_ID_LIMIT * sizeof(*masks));
	if (!initial || !masks)
		return xti_err(in->err, -ENOMEM, "out of memory");
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++)
		masks[id] = ~0ull;
	initial->exit.reason = XT_EXIT_NONE;
	h->initial = initial;
	h->compare_masks = masks;
	bool have_version = false;
	struct xti_keys seen = XTI_KEYS_RECORD;

	for (size_t i = 0; i < npairs; i++) {
		uint64_t key;
		struct xti_tok v, e;
		TRY(xti_map_key_once(in, &seen, "header", &key, &v));
		switch (key) {
		case XTK_H_VERSION: {
			uint64_t ver[2];
			if (v.type != XTI_ARRAY || v.u != 2)
				return xti_bad(in, "format version: expected [major, minor]");
			for (int j = 0; j < 2; j++) {
				TRY(xti_next(in, &e));
				TRY(xti_uint(in, &e, &ver[j]));
			}
			if (ver[0] > UINT32_MAX || ver[1] > UINT32_MAX)
				return xti_bad(in, "format version out of range");
			h->version_major = (uint32_t)ver[0];
			h->version_minor = (uint32_t)ver[1];
			have_version = true;
			/* Refuse early: the rest of a newer major version may mean anything. */
			if (h->version_major > XT_FORMAT_MAJOR)
				return 0;
			break;
		}
		case XTK_H_TOOL: TRY(xti_text(in, &v, a, &h->tool_version)); break;
		case XTK_H_ARGV: {
			if (v.type != XTI_ARRAY)
				return xti_bad(in, "command line: expected an array");
			const char **argv = xti_alloc(a, (v.u + 1) * sizeof(*argv));
			if (!argv)
				return xti_err(in->err, -ENOMEM, "out of memory");
			for (uint64_t j = 0; j < v.u; j++) {
				TRY(xti_next(in, &e));
				TRY(xti_text(in, &e, a, &argv[j]));
			}
			h->argv = argv;
			h->argc = v.u;
			break;
		}
		case XTK_H_CREATED: {
			if (v.type != XTI_ARRAY || v.u != 2)
				return xti_bad(in, "creation time: expected [sec, nsec]");
			uint64_t ns;
			TRY(xti_next(in, &e));
			TRY(xti_int(in, &e, &h->created_sec));
			TRY(xti_next(in, &e));
			TRY(xti_uint(in, &e, &ns));
			h->created_nsec = (uint32_t)(ns % 1000000000u);
			break;
		}
		case XTK_H_HOST: TRY(get_host(in, &v, &h->host, a)); break;
		case XTK_H_VM: TRY(get_vm(in, &v, &h->vm, a)); break;
		case XTK_H_IMAGE: TRY(get_image(in, &v, &h->image, a)); break;
		case XTK_H_INITIAL: TRY(xti_get_state(in, &v, initial)); break;
		case XTK_H_MASKS:
			if (v.type != XTI_MAP)
				return xti_bad(in, "compare masks: expected a map");
			struct xti_keys ids = { 0 };
			for (uint64_t j = 0; j < v.u; j++) {
				uint64_t id, mask;
				TRY(xti_map_key_once(in, &ids, "compare masks", &id, &e));
				TRY(xti_uint(in, &e, &mask));
				if (id < XT_FIELD_ID_LIMIT)
					masks[id] = mask;
			}
			break;
		case XTK_H_EXTRA: TRY(get_kv_map(in, &v, a, &h->extra, &h->n_extra)); break;
		case XTK_H_INITIAL_VCPUS: TRY(get_initial_vcpus(in, &v, h, &n_initial, a)); break;
		default: TRY(xti_skip(in, &v));	/* field names (XTK_H_FIELDS) are for other readers */
		}
	}
	if (!have_version)
		return xti_bad(in, "header has no format version");
	TRY(default_vcpus(in, &h->vm, a));
	if (n_initial + 1 != h->vm.n_vcpus)
		return xti_bad(in, "header: initial states of %zu vCPUs, but %u vCPUs", n_initial + 1,
			       h->vm.n_vcpus);
	return 0;
}
