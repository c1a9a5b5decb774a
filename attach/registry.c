// SPDX-License-Identifier: MIT
/*
 * Which of the VMM's descriptors are /dev/kvm, VMs and vCPUs, and what the
 * VMM told each VM.  Lookups run on every ioctl of the process, from any
 * thread, so they are one atomic load; changes take a lock.  Objects are
 * never freed while the process lives: a thread may still hold one when
 * another closes its descriptor.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"

static _Atomic(struct att_vm *) vm_by_fd[ATT_FD_MAX];
static _Atomic(struct att_vcpu *) vcpu_by_fd[ATT_FD_MAX];
static _Atomic(unsigned char) kvm_by_fd[ATT_FD_MAX];
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct att_vm *all_vms[256];
static size_t n_vms;
static uint32_t next_seq;

struct att_vm *att_vm_of(int fd)
{
	return atomic_load_explicit(&vm_by_fd[fd], memory_order_acquire);
}

struct att_vcpu *att_vcpu_of(int fd)
{
	return atomic_load_explicit(&vcpu_by_fd[fd], memory_order_acquire);
}

bool att_is_kvm(int fd)
{
	return atomic_load_explicit(&kvm_by_fd[fd], memory_order_relaxed);
}

void att_note_kvm(int fd)
{
	if (fd >= 0 && fd < ATT_FD_MAX)
		atomic_store(&kvm_by_fd[fd], 1);
}

struct att_vm *att_vm_new(int fd, int kvm_fd)
{
	if (fd >= ATT_FD_MAX)
		return NULL;
	struct att_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->fd = fd;
	vm->kvm_fd = kvm_fd;
	pthread_mutex_init(&vm->lock, NULL);
	att_note_kvm(kvm_fd);
	pthread_mutex_lock(&reg_lock);
	vm->seq = next_seq++;
	if (n_vms < sizeof(all_vms) / sizeof(all_vms[0]))
		all_vms[n_vms++] = vm;
	pthread_mutex_unlock(&reg_lock);
	atomic_store_explicit(&vm_by_fd[fd], vm, memory_order_release);
	return vm;
}

struct att_vcpu *att_vcpu_new(struct att_vm *vm, int fd, uint32_t id)
{
	if (fd >= ATT_FD_MAX)
		return NULL;
	struct att_vcpu *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->vm = vm;
	v->fd = fd;
	v->id = id;
	v->kv.vcpu_fd = fd;
	v->kv.vm_fd = vm->fd;
	v->kv.kvm_fd = vm->kvm_fd;
	v->last_exit = UINT32_MAX;
	pthread_mutex_lock(&vm->lock);
	if (vm->n_vcpus >= ATT_VCPUS_MAX) {
		pthread_mutex_unlock(&vm->lock);
		free(v);
		return NULL;
	}
	vm->vcpus[vm->n_vcpus++] = v;
	pthread_mutex_unlock(&vm->lock);
	atomic_store_explicit(&vcpu_by_fd[fd], v, memory_order_release);
	return v;
}

void att_forget(int fd)
{
	atomic_store(&vm_by_fd[fd], NULL);
	atomic_store(&vcpu_by_fd[fd], NULL);
	atomic_store(&kvm_by_fd[fd], 0);
}

size_t att_vms(struct att_vm **out, size_t max)
{
	pthread_mutex_lock(&reg_lock);
	size_t n = n_vms < max ? n_vms : max;
	memcpy(out, all_vms, n * sizeof(*out));
	pthread_mutex_unlock(&reg_lock);
	return n;
}

static void set_slot(struct att_vm *vm, const struct kvm_userspace_memory_region *r)
{
	size_t i;
	for (i = 0; i < vm->n_slots && vm->slots[i].slot != r->slot; i++)
		;
	if (r->memory_size == 0) {	/* deleting a slot (api.rst 4.35) */
		if (i < vm->n_slots)
			vm->slots[i] = vm->slots[--vm->n_slots];
		return;
	}
	if (i == vm->n_slots) {
		if (vm->n_slots == ATT_SLOTS_MAX)
			return;
		vm->n_slots++;
	}
	vm->slots[i] = (struct att_slot){ .slot = r->slot, .flags = r->flags,
		.gpa = r->guest_phys_addr, .size = r->memory_size, .uaddr = r->userspace_addr };
}

void att_learn_vm(struct att_vm *vm, unsigned long req, void *arg, int ret)
{
	if (ret < 0)
		return;
	pthread_mutex_lock(&vm->lock);
	switch (req) {
	case KVM_SET_USER_MEMORY_REGION:
		set_slot(vm, arg);
		att_guest_view_update(vm);
		break;
	case ATT_SET_USER_MEMORY_REGION2: {
		/* its first five fields are region 1's; a guest_memfd slot's memory is not at uaddr */
		const struct att_memory_region2 *r2 = arg;
		struct kvm_userspace_memory_region r = { r2->slot, r2->flags, r2->guest_phys_addr,
							 r2->memory_size, r2->userspace_addr };
		set_slot(vm, &r);
		att_guest_view_update(vm);
		break;
	}
	case KVM_CREATE_IRQCHIP:
		vm->irqchip = XT_IRQCHIP_KERNEL;
		break;
	case KVM_ENABLE_CAP:
		if (((const struct kvm_enable_cap *)arg)->cap == KVM_CAP_SPLIT_IRQCHIP)
			vm->irqchip = XT_IRQCHIP_SPLIT;
		break;
	}
	pthread_mutex_unlock(&vm->lock);
}

void att_learn_vcpu(struct att_vcpu *v, unsigned long req, void *arg, int ret)
{
	if (ret < 0)
		return;
	if (req == KVM_SET_CPUID2) {
		const struct kvm_cpuid2 *c = arg;
		struct xt_cpuid_entry *e = calloc(c->nent ? c->nent : 1, sizeof(*e));
		if (!e)
			return;
		for (uint32_t i = 0; i < c->nent; i++)
			e[i] = (struct xt_cpuid_entry){ c->entries[i].function, c->entries[i].index,
				c->entries[i].flags, c->entries[i].eax, c->entries[i].ebx,
				c->entries[i].ecx, c->entries[i].edx };
		pthread_mutex_lock(&v->vm->lock);
		free(v->cpuid);
		v->cpuid = e;
		v->n_cpuid = c->nent;
		pthread_mutex_unlock(&v->vm->lock);
	} else if (req == KVM_SET_GUEST_DEBUG) {
		const struct kvm_guest_debug *d = arg;
		pthread_mutex_lock(&v->vm->lock);	/* read by the trace's header and steps */
		v->our_debug = false;	/* --step: the VMM's settings win (stepping.c) */
		v->guest_debug = d->control;
		memcpy(v->debugreg, d->arch.debugreg, sizeof(v->debugreg));
		pthread_mutex_unlock(&v->vm->lock);
	}
}
