/* SPDX-License-Identifier: MIT */
/*
 * What the platform does when the guest writes SLP_EN (acpi_pm.h).  S3:
 * the machine suspends and, as no time passes for a guest that sleeps,
 * wakes at once; the firmware then resumes the CPU in real mode at the
 * FACS's firmware waking vector (CS = vector >> 4, IP = vector & 0xf),
 * with the rest of its registers as after a reset.  The recorder and
 * replay do the same after the same step, so a trace through S3 replays.
 */
#ifndef XT_ACPI_SLEEP_H
#define XT_ACPI_SLEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "acpi_pm.h"
#include "kvm_vm.h"

/*
 * Resume vm's vCPU from S3 after the step whose state is *s: the new state
 * goes into kvm_run's sync registers (KVM sets it at the next KVM_RUN) and
 * into *s.  Returns the waking vector, or 0 when the FACS holds none and
 * nothing was changed.
 */
uint32_t acpi_s3_resume(struct kvm_vm *vm, struct xt_state *s);

/*
 * The sleep pm->sleep_requested asks for, carried out (and the request
 * cleared) the one way the recorder and replay both take: S3 resumes
 * (acpi_s3_resume()), other types but S5 are ignored.  What happened goes
 * into note.  Returns true for S5: the machine is off.
 */
bool acpi_sleep_carry_out(struct kvm_vm *vm, struct acpi_pm *pm, struct xt_state *s, char *note,
			  size_t size);

#endif
