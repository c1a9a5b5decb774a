// SPDX-License-Identifier: MIT
/* KVM capabilities by name, for what a trace's host record holds by number. */
#include <linux/kvm.h>
#include <stddef.h>

#include "kvm_caps.h"

#define CAP(name) { name, #name }

static const struct {
	unsigned cap;
	const char *name;
} caps[] = {
	CAP(KVM_CAP_IRQCHIP), CAP(KVM_CAP_SET_TSS_ADDR), CAP(KVM_CAP_NR_VCPUS),
	CAP(KVM_CAP_SYNC_REGS), CAP(KVM_CAP_SET_GUEST_DEBUG), CAP(KVM_CAP_SET_GUEST_DEBUG2),
	CAP(KVM_CAP_SPLIT_IRQCHIP), CAP(KVM_CAP_SIGNAL_MSI), CAP(KVM_CAP_IMMEDIATE_EXIT),
	CAP(KVM_CAP_VCPU_EVENTS), CAP(KVM_CAP_DEBUGREGS), CAP(KVM_CAP_XSAVE),
	CAP(KVM_CAP_EXCEPTION_PAYLOAD), CAP(KVM_CAP_X86_TRIPLE_FAULT_EVENT),
	CAP(KVM_CAP_BINARY_STATS_FD), CAP(KVM_CAP_GET_TSC_KHZ), CAP(KVM_CAP_X2APIC_API),
	CAP(KVM_CAP_SET_IDENTITY_MAP_ADDR), CAP(KVM_CAP_MAX_VCPUS), CAP(KVM_CAP_ADJUST_CLOCK),
	CAP(KVM_CAP_USER_MEMORY), CAP(KVM_CAP_PIT2), CAP(KVM_CAP_XCRS), CAP(KVM_CAP_MP_STATE),
};

const char *kvm_cap_name(unsigned cap)
{
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (caps[i].cap == cap)
			return caps[i].name;
	return NULL;
}
