// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* RTLD_NEXT */
/* Both names are defined below; with 64-bit offsets the headers would rename mmap to mmap64. */
#undef _FILE_OFFSET_BITS
/*
 * The only symbols libexitrace-attach.so exports (attach.map): ioctl, mmap,
 * mmap64 and close.  Each forwards to the next definition (libc's) with the
 * same arguments, and looks only at calls on descriptors it learned are
 * /dev/kvm, a VM or a vCPU; every other call costs one array lookup.  What
 * the VMM gets back is what the real call returned, errno included.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attach.h"

struct att_real att_real;
static pid_t owner;
/* Set while our own code runs on this thread: its ioctls are not the VMM's. */
static __thread int inside;

static void resolve(void)
{
	att_real.ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	att_real.mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	att_real.close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (!att_real.ioctl || !att_real.mmap || !att_real.close) {
		fprintf(stderr, "exitrace-attach: cannot find libc's ioctl, mmap or close: %s\n", dlerror());
		abort();
	}
}

/* A child of fork() has the VMs' descriptors but not our writer threads: it records nothing. */
static void forked_child(void)
{
	att_opt.output = NULL;
}

/*
 * A preloaded library has no other moment to run before main(): the options
 * must be read, and the variables that carried them removed, before the VMM
 * can look at its environment.
 */
__attribute__((constructor)) static void attach_init(void)
{
	resolve();
	owner = getpid();
	att_options_load();
	pthread_atfork(NULL, NULL, forked_child);
}

/* Traces still open when the VMM exits (most never close their VM fd) get their footer here. */
__attribute__((destructor)) static void attach_fini(void)
{
	if (getpid() != owner || !att_opt.output)
		return;
	inside = 1;
	struct att_vm *vms[256];
	size_t n = att_vms(vms, 256);
	for (size_t i = 0; i < n; i++)
		att_trace_close(vms[i], "the VMM exited");
	inside = 0;
}

__attribute__((visibility("default"))) int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (!att_real.ioctl)
		resolve();
	if (inside || !att_opt.output || fd < 0 || fd >= ATT_FD_MAX)
		return att_real.ioctl(fd, req, arg);

	struct att_vcpu *v = att_vcpu_of(fd);
	if (v) {
		if (req == KVM_RUN) {
			inside = 1;
			int ret = att_run(v, req, arg);
			int e = errno;
			inside = 0;
			errno = e;
			return ret;
		}
		int ret = att_real.ioctl(fd, req, arg);
		int e = errno;
		inside = 1;
		att_learn_vcpu(v, req, arg, ret);
		att_note_injection(v->vm, v, req, arg, ret < 0 ? -e : ret);
		att_replay_check(v->vm, v, req, arg, ret);
		inside = 0;
		errno = e;
		return ret;
	}
	struct att_vm *vm = att_vm_of(fd);
	if (vm) {
		int ret = att_real.ioctl(fd, req, arg);
		int e = errno;
		inside = 1;
		if (req == KVM_CREATE_VCPU && ret >= 0)
			att_vcpu_new(vm, ret, (uint32_t)(uintptr_t)arg);
		att_learn_vm(vm, req, arg, ret);
		att_note_injection(vm, NULL, req, arg, ret < 0 ? -e : ret);
		att_replay_check(vm, NULL, req, arg, ret);
		inside = 0;
		errno = e;
		return ret;
	}
	if (req == KVM_CREATE_VM) {
		int ret = att_real.ioctl(fd, req, arg);
		int e = errno;
		if (ret >= 0) {
			inside = 1;
			att_vm_new(ret, fd);
			inside = 0;
		}
		errno = e;
		return ret;
	}
	return att_real.ioctl(fd, req, arg);
}

__attribute__((visibility("default")))
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (!att_real.mmap)
		resolve();
	void *p = att_real.mmap(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED || inside || !att_opt.output || fd < 0 || fd >= ATT_FD_MAX || off != 0)
		return p;
	struct att_vcpu *v = att_vcpu_of(fd);
	/* the first mapping is the run page (api.rst 4.3); a VMM that maps it twice sees one page */
	if (v && !v->run) {
		v->run = p;
		v->kv.run = p;
		v->kv.run_size = len;
	}
	return p;
}

/* glibc's mmap64 is mmap on 64-bit hosts; a VMM built with _FILE_OFFSET_BITS=64 may call it. */
__attribute__((visibility("default")))
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

__attribute__((visibility("default"))) int close(int fd)
{
	if (!att_real.close)
		resolve();
	if (!inside && att_opt.output && fd >= 0 && fd < ATT_FD_MAX) {
		struct att_vm *vm = att_vm_of(fd);
		if (vm || att_vcpu_of(fd) || att_is_kvm(fd)) {
			int e = errno;
			inside = 1;
			att_forget(fd);
			/* the VM lives on while vCPU fds hold it, but the VMM is done with it */
			if (vm)
				att_trace_close(vm, "the VMM closed the VM");
			inside = 0;
			errno = e;
		}
	}
	return att_real.close(fd);
}
