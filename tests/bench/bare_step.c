// SPDX-License-Identifier: MIT
/*
 * The physical limit the recorder is measured against: the same guest, set
 * up the same way as `exitrace record` does, single-stepped by a bare
 * KVM_RUN loop that reads nothing.  Prints steps and steps/s.
 *
 * usage: bare_step GUEST.bin LOAD_ADDR STEPS [sync]
 *   sync: also ask for kvm_run->s.regs (regs, sregs, events) on every exit
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "cpu_setup.h"
#include "kvm_vm.h"
#include "loader.h"
#include "rec_util.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s GUEST LOAD_ADDR STEPS [sync]\n", argv[0]);
		return 2;
	}
	uint64_t load = strtoull(argv[2], NULL, 0), steps = strtoull(argv[3], NULL, 0);
	bool sync = argc > 4 && !strcmp(argv[4], "sync");
	struct xt_error err = { 0 };
	uint8_t *image;
	size_t size;
	struct kvm_vm vm;
	struct xt_cpuid_entry *cpuid;
	size_t ncpuid;
	if (rec_read_file(argv[1], 1 << 26, &image, &size, &err) ||
	    kvm_vm_open(&vm, 64ull << 20, XT_IRQCHIP_KERNEL, &err) ||
	    kvm_vm_supported_cpuid(&vm, &cpuid, &ncpuid, &err) ||
	    kvm_vm_set_cpuid(&vm, cpuid, ncpuid, &err)) {
		fprintf(stderr, "bare_step: %s\n", err.msg);
		return 2;
	}
	struct guest_image img = { .name = argv[1], .data = image, .size = size };
	struct load_options lo = { .have_load = true, .load_addr = load, .mode = XT_MODE_LONG };
	uint64_t dr[8] = { 0 };
	if (loader_load(&vm, &img, &lo, &err) ||
	    cpu_setup(&vm, img.mode, img.entry, cpu_default_stack(&vm, img.mode, img.entry), false, &err) ||
	    kvm_vm_set_guest_debug(&vm, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, dr, &err)) {
		fprintf(stderr, "bare_step: %s\n", err.msg);
		return 2;
	}
	vm.run->kvm_valid_regs = sync ? KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS : 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t n = 0;
	while (n < steps) {
		if (ioctl(vm.vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("KVM_RUN");
			return 2;
		}
		/* I/O and MMIO are answered with whatever is in kvm_run: the guest ignores it */
		uint32_t reason = vm.run->exit_reason;
		if (reason != KVM_EXIT_DEBUG && reason != KVM_EXIT_IO && reason != KVM_EXIT_MMIO) {
			fprintf(stderr, "bare_step: exit %u at step %llu: the bench guest must only step\n",
				reason, (unsigned long long)n);
			return 2;
		}
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%llu steps %.3f s %.0f steps/s\n", (unsigned long long)n, s, (double)n / s);
	kvm_vm_close(&vm);
	free(cpuid);
	free(image);
	return 0;
}
