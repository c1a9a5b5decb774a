// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "host_probe.h"

/* The vendor modules, in the order they are looked for. */
static const char *const vendor_modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm", "kvm_hv" };

static const long caps_used[] = {
	KVM_CAP_SYNC_REGS, KVM_CAP_SET_GUEST_DEBUG, KVM_CAP_SET_GUEST_DEBUG2, KVM_CAP_IRQCHIP,
	KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_SIGNAL_MSI, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_VCPU_EVENTS,
	KVM_CAP_DEBUGREGS, KVM_CAP_XSAVE, KVM_CAP_EXCEPTION_PAYLOAD, KVM_CAP_X86_TRIPLE_FAULT_EVENT,
	KVM_CAP_BINARY_STATS_FD, KVM_CAP_GET_TSC_KHZ, KVM_CAP_X2APIC_API, KVM_CAP_SET_TSS_ADDR,
	KVM_CAP_SET_IDENTITY_MAP_ADDR, KVM_CAP_NR_VCPUS, KVM_CAP_MAX_VCPUS, KVM_CAP_ADJUST_CLOCK,
};

static void copy_trimmed(char *dst, size_t size, const char *src)
{
	while (*src == ' ' || *src == '\t')
		src++;
	snprintf(dst, size, "%s", src);
	size_t n = strlen(dst);
	while (n && (dst[n - 1] == '\n' || dst[n - 1] == ' ' || dst[n - 1] == '\t'))
		dst[--n] = 0;
}

static void probe_cpu(struct host_info *hi)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\n')
			break;	/* first processor only */
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		char key[64];
		copy_trimmed(key, sizeof(key), line);
		const char *val = colon + 1;
		if (!strcmp(key, "vendor_id"))
			copy_trimmed(hi->vendor, sizeof(hi->vendor), val);
		else if (!strcmp(key, "model name"))
			copy_trimmed(hi->model_name, sizeof(hi->model_name), val);
		else if (!strcmp(key, "cpu family"))
			hi->host.cpu_family = (uint32_t)strtoul(val, NULL, 0);
		else if (!strcmp(key, "model"))
			hi->host.cpu_model = (uint32_t)strtoul(val, NULL, 0);
		else if (!strcmp(key, "stepping"))
			hi->host.cpu_stepping = (uint32_t)strtoul(val, NULL, 0);
		else if (!strcmp(key, "microcode"))
			hi->host.microcode = strtoull(val, NULL, 0);
	}
	fclose(f);
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct xt_kv *)a)->key, ((const struct xt_kv *)b)->key);
}

static void add_params(struct host_info *hi, const char *module)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", module);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[512], val[256];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(val, sizeof(val), f))
			val[0] = 0;
		fclose(f);
		char clean[256];
		copy_trimmed(clean, sizeof(clean), val);
		struct xt_kv *p = realloc(hi->params, (hi->n_params + 1) * sizeof(*p));
		if (!p)
			break;
		hi->params = p;
		char key[300];
		snprintf(key, sizeof(key), "%s.%s", module, e->d_name);
		p[hi->n_params].key = strdup(key);
		p[hi->n_params].value = strdup(clean);
		if (p[hi->n_params].key && p[hi->n_params].value)
			hi->n_params++;
	}
	closedir(d);
}

void host_probe(struct host_info *hi, const struct kvm_vm *vm)
{
	memset(hi, 0, sizeof(*hi));
	struct utsname u;
	if (uname(&u) == 0) {
		snprintf(hi->release, sizeof(hi->release), "%s", u.release);
		snprintf(hi->version, sizeof(hi->version), "%s", u.version);
		snprintf(hi->machine, sizeof(hi->machine), "%s", u.machine);
	}
	probe_cpu(hi);
	for (size_t i = 0; i < sizeof(vendor_modules) / sizeof(vendor_modules[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "/sys/module/%s", vendor_modules[i]);
		DIR *d = opendir(path);
		if (d) {
			closedir(d);
			snprintf(hi->module, sizeof(hi->module), "%s", vendor_modules[i]);
			break;
		}
	}
	add_params(hi, "kvm");
	if (hi->module[0])
		add_params(hi, hi->module);
	if (hi->n_params)
		qsort(hi->params, hi->n_params, sizeof(*hi->params), cmp_kv);

	size_t nc = 0;
	for (size_t i = 0; i < sizeof(caps_used) / sizeof(caps_used[0]) && nc < 32; i++)
		hi->caps[nc++] = (struct xt_cap){ (uint32_t)caps_used[i], kvm_sys_cap(vm, caps_used[i]) };

	hi->host = (struct xt_host){
		.kernel_release = hi->release, .kernel_version = hi->version, .machine = hi->machine,
		.cpu_vendor = hi->vendor, .cpu_model_name = hi->model_name,
		.cpu_family = hi->host.cpu_family, .cpu_model = hi->host.cpu_model,
		.cpu_stepping = hi->host.cpu_stepping, .microcode = hi->host.microcode,
		.kvm_module = hi->module[0] ? hi->module : "kvm", .kvm_params = hi->params,
		.n_kvm_params = hi->n_params, .api_version = vm->api_version, .caps = hi->caps,
		.n_caps = nc,
	};
}

void host_info_free(struct host_info *hi)
{
	for (size_t i = 0; i < hi->n_params; i++) {
		free((char *)hi->params[i].key);
		free((char *)hi->params[i].value);
	}
	free(hi->params);
	hi->params = NULL;
	hi->n_params = 0;
}
