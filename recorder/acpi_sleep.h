/* SPDX-License-Identifier: MIT */
/*
 * What the platform does when the guest writes SLP_EN (acpi_pm.h).  S3:
 * the machine suspends and, as no time passes for a guest that sleeps,
 * wakes at once; the firmware then resumes the CPU in real mode at the
 * FACS's firmware waking vector (CS = vector >> 4, IP = vector & 0xf),
 * with the rest of its registers as after a reset.  The recorder resumes
 * after the step that wrote SLP_EN and says so in a note; replay resumes
 * where that note says, so a trace through S3 replays whatever this
 * build's device code would make of the write.
 */
#ifndef XT_ACPI_SLEEP_H
#define XT_ACPI_SLEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "acpi_pm.h"
#include "kvm_vm.h"

/* How the note of a resume from S3 starts: replay redoes the resume where a recording's note says so. */
#define ACPI_S3_RESUMED_NOTE "ACPI S3: suspended, resumed"

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
