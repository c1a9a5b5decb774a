/* SPDX-License-Identifier: MIT */
#ifndef XT_KVM_CAPS_H
#define XT_KVM_CAPS_H

/* "KVM_CAP_SYNC_REGS" for its number, or NULL for one this build does not know. */
const char *kvm_cap_name(unsigned cap);

#endif
