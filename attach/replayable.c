// SPDX-License-Identifier: MIT
/*
 * Whether `exitrace replay` can re-run a VM's trace: the trace has the
 * slots, the CPUID, the irqchip mode, each vCPU's registers, segments and
 * events at the first KVM_RUN, the VMM's injections and its answers to
 * reads.  Anything else the VMM sets (MSRs, FPU, an in-kernel PIT, irqfds,
 * routes, a vCPU's state once the guest ran, ...) is not in it.  Before the
 * trace opens such a call is remembered, and the header says the trace
 * cannot be replayed and why; after, it is a note "not replayable: ..."
 * at the step it precedes, where replay stops (SPEC 6, note).
 */
#include <stdio.h>
#include <string.h>

#include "attach.h"

enum use { READS, BEFORE_ONLY, EVENT, NOT_IN_TRACE };

struct known {
	unsigned long req;
	const char *name;
	enum use use;
};

#define K(r, u) { r, #r, u }
static const struct known known[] = {
	K(KVM_RUN, READS), K(KVM_CHECK_EXTENSION, READS), K(KVM_GET_API_VERSION, READS),
	K(KVM_GET_VCPU_MMAP_SIZE, READS), K(KVM_GET_REGS, READS), K(KVM_GET_SREGS, READS),
	K(KVM_GET_FPU, READS), K(KVM_GET_LAPIC, READS), K(KVM_GET_VCPU_EVENTS, READS),
	K(KVM_GET_DEBUGREGS, READS), K(KVM_GET_XSAVE, READS), K(KVM_GET_XCRS, READS),
	K(KVM_GET_MP_STATE, READS), K(KVM_GET_CPUID2, READS), K(KVM_GET_TSC_KHZ, READS),
	K(KVM_GET_CLOCK, READS), K(KVM_GET_IRQCHIP, READS), K(KVM_GET_PIT2, READS),
	K(KVM_GET_DIRTY_LOG, READS), K(KVM_GET_MSRS, READS), K(KVM_TRANSLATE, READS),
	K(KVM_GET_SUPPORTED_CPUID, READS), K(KVM_GET_MSR_INDEX_LIST, READS),
	K(KVM_SET_SIGNAL_MASK, READS), K(KVM_GET_STATS_FD, READS), K(KVM_GET_SREGS2, READS),
	K(KVM_GET_XSAVE2, READS), K(KVM_GET_DEVICE_ATTR, READS), K(KVM_HAS_DEVICE_ATTR, READS),
	K(KVM_GET_EMULATED_CPUID, READS), K(KVM_GET_MSR_FEATURE_INDEX_LIST, READS),
	K(KVM_GET_SUPPORTED_HV_CPUID, READS), K(KVM_GET_NESTED_STATE, READS),
	K(KVM_SET_USER_MEMORY_REGION, BEFORE_ONLY), K(ATT_SET_USER_MEMORY_REGION2, BEFORE_ONLY),
	K(KVM_CREATE_IRQCHIP, BEFORE_ONLY),
	K(KVM_CREATE_VCPU, BEFORE_ONLY), K(KVM_SET_TSS_ADDR, BEFORE_ONLY),
	K(KVM_SET_IDENTITY_MAP_ADDR, BEFORE_ONLY), K(KVM_SET_CPUID2, BEFORE_ONLY),
	K(KVM_SET_REGS, BEFORE_ONLY), K(KVM_SET_SREGS, BEFORE_ONLY), K(KVM_SET_VCPU_EVENTS, BEFORE_ONLY),
	K(KVM_SET_GUEST_DEBUG, BEFORE_ONLY),
	K(KVM_INTERRUPT, EVENT), K(KVM_NMI, EVENT), K(KVM_SIGNAL_MSI, EVENT),
	K(KVM_SET_MSRS, NOT_IN_TRACE), K(KVM_SET_FPU, NOT_IN_TRACE), K(KVM_SET_XSAVE, NOT_IN_TRACE),
	K(KVM_SET_XCRS, NOT_IN_TRACE), K(KVM_SET_DEBUGREGS, NOT_IN_TRACE), K(KVM_SET_LAPIC, NOT_IN_TRACE),
	K(KVM_SET_MP_STATE, NOT_IN_TRACE), K(KVM_SET_TSC_KHZ, NOT_IN_TRACE), K(KVM_SET_CLOCK, NOT_IN_TRACE),
	K(KVM_CREATE_PIT2, NOT_IN_TRACE), K(KVM_SET_PIT2, NOT_IN_TRACE), K(KVM_SET_IRQCHIP, NOT_IN_TRACE),
	K(KVM_IRQFD, NOT_IN_TRACE), K(KVM_IOEVENTFD, NOT_IN_TRACE), K(KVM_SET_GSI_ROUTING, NOT_IN_TRACE),
	K(KVM_IRQ_LINE, NOT_IN_TRACE), K(KVM_IRQ_LINE_STATUS, NOT_IN_TRACE),
	K(KVM_SET_NESTED_STATE, NOT_IN_TRACE), K(KVM_SET_BOOT_CPU_ID, NOT_IN_TRACE),
	K(KVM_SET_SREGS2, NOT_IN_TRACE), K(KVM_X86_SETUP_MCE, NOT_IN_TRACE),
	K(KVM_X86_SET_MSR_FILTER, NOT_IN_TRACE), K(KVM_REGISTER_COALESCED_MMIO, NOT_IN_TRACE),
	K(KVM_UNREGISTER_COALESCED_MMIO, NOT_IN_TRACE), K(KVM_CREATE_DEVICE, NOT_IN_TRACE),
	K(KVM_SET_DEVICE_ATTR, NOT_IN_TRACE), K(KVM_KVMCLOCK_CTRL, NOT_IN_TRACE),
	K(KVM_ENABLE_CAP, NOT_IN_TRACE), K(KVM_SET_NR_MMU_PAGES, NOT_IN_TRACE),
};
#undef K

/*
 * The kernel takes the request as 32 bits: a VMM that passes an int (QEMU
 * does) has _IOR requests sign-extended into the unsigned long.
 */
static const struct known *lookup(unsigned long req, char *hex, size_t size)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if ((uint32_t)known[i].req == (uint32_t)req)
			return &known[i];
	snprintf(hex, size, "ioctl 0x%x", (uint32_t)req);
	return NULL;
}

/* A split irqchip is the only capability replay sets up as the VMM did. */
static bool cap_replayed(unsigned long req, const void *arg)
{
	return (uint32_t)req == (uint32_t)KVM_ENABLE_CAP && arg &&
	       ((const struct kvm_enable_cap *)arg)->cap == KVM_CAP_SPLIT_IRQCHIP;
}

static void remember(struct att_vm *vm, const char *name)
{
	if (strstr(vm->replay_blockers, name))
		return;
	size_t len = strlen(vm->replay_blockers);
	snprintf(vm->replay_blockers + len, sizeof(vm->replay_blockers) - len, "%s%s", len ? ", " : "", name);
}

void att_replay_check(struct att_vm *vm, struct att_vcpu *v, unsigned long req, const void *arg, int ret)
{
	if (ret < 0)
		return;		/* a call that failed set nothing */
	char hex[32];
	const struct known *k = lookup(req, hex, sizeof(hex));
	enum use use = cap_replayed(req, arg) ? BEFORE_ONLY : k ? k->use : NOT_IN_TRACE;
	const char *name = k ? k->name : hex;
	/* private memory in a guest_memfd: neither its bytes nor its contents are ours to read */
	if ((uint32_t)req == (uint32_t)ATT_SET_USER_MEMORY_REGION2 &&
	    (((const struct att_memory_region2 *)arg)->flags & ATT_MEM_GUEST_MEMFD)) {
		use = NOT_IN_TRACE;
		name = "KVM_SET_USER_MEMORY_REGION2 with a guest_memfd";
	}
	if (use == READS || use == EVENT)
		return;
	pthread_mutex_lock(&vm->lock);
	if (vm->trace_state == 0 && use == NOT_IN_TRACE) {
		remember(vm, name);
	} else if (vm->trace_state == 1 && (!v || v->in_trace)) {
		if (vm->n_pending < ATT_PENDING_MAX) {
			struct att_pending *p = &vm->pending[vm->n_pending++];
			*p = (struct att_pending){ .target = v, .raw = true };
			snprintf(p->text, sizeof(p->text), "not replayable: before this step the VMM called %s, "
				 "which the trace does not hold", name);
		} else {
			vm->pending_lost++;
		}
	}
	pthread_mutex_unlock(&vm->lock);
}
