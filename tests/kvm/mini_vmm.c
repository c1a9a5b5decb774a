// SPDX-License-Identifier: MIT
/*
 * A small VMM of our own, written the way KVM selftests are: raw ioctls,
 * its own run loop, and a run page it never clears.  The attach tests run
 * it under `exitrace record -- ./mini_vmm` and compare what it prints (each
 * exit as it read it from kvm_run, stale bytes and all; the return values
 * and errno of its ioctls) with a run without exitrace: they must be the
 * same, byte for byte.
 *
 * VM 1 (no irqchip, one vCPU, real mode): OUT, an MMIO read the VMM
 * answers, OUT of what it read, INT3 under KVM_GUESTDBG_USE_SW_BP (a #BP
 * exit writes no debug.arch.dr6/dr7: what the VMM reads there is left from
 * the MMIO exit), then HLT three times: an IRQ by KVM_INTERRUPT after the
 * first, an NMI after the second.
 * VM 2 (in-kernel irqchip, two vCPUs on two threads): vCPU 0 single-steps
 * STI with an MSI pending, under KVM_GUESTDBG_SINGLESTEP|BLOCKIRQ, then
 * runs freely and takes the interrupt; vCPU 1 writes a few ports.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE 0x10000
#define CODE 0x1000

static int kvm;
static size_t run_size;
static bool use_region2;	/* "answers2": the slot by KVM_SET_USER_MEMORY_REGION2 (Linux 6.8) */

/* Not in the 6.1 headers: the layout of linux/kvm.h since 6.8. */
struct region2 {
	uint32_t slot, flags;
	uint64_t guest_phys_addr, memory_size, userspace_addr, guest_memfd_offset;
	uint32_t guest_memfd, pad1;
	uint64_t pad2[14];
};
#define SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct region2)
#define CAP_USER_MEMORY2 231

#define CHECK(e) do { if (!(e)) { printf("FAILED: %s (line %d): %s\n", #e, __LINE__, strerror(errno)); exit(2); } } while (0)

/* An ioctl whose result and errno go into the output, so a difference shows. */
static int xioctl(int fd, unsigned long req, void *arg, const char *name)
{
	errno = 0;
	int r = ioctl(fd, req, arg);
	printf("  %s = %d errno %d\n", name, r, r < 0 ? errno : 0);
	return r;
}

struct vm {
	int fd;
	uint8_t *mem;
};

struct vcpu {
	int fd;
	struct kvm_run *run;
};

static struct vm vm_create(bool irqchip)
{
	struct vm vm;
	CHECK((vm.fd = ioctl(kvm, KVM_CREATE_VM, 0)) >= 0);
	/* descriptors are observable too (relative to the first: a harness may pass others down) */
	printf("  vm fd kvm+%d\n", vm.fd - kvm);
	vm.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(vm.mem != MAP_FAILED);
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0,
		.memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)vm.mem };
	struct region2 r2 = { .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
			      .userspace_addr = (uintptr_t)vm.mem };
	if (use_region2)
		CHECK(ioctl(vm.fd, SET_USER_MEMORY_REGION2, &r2) == 0);
	else
		CHECK(ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	if (irqchip)
		CHECK(ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0) == 0);
	return vm;
}

static struct vcpu vcpu_create(struct vm *vm, unsigned id, uint64_t rip, uint64_t rsp)
{
	struct vcpu v;
	CHECK((v.fd = ioctl(vm->fd, KVM_CREATE_VCPU, id)) >= 0);
	v.run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd, 0);
	CHECK(v.run != MAP_FAILED);
	struct kvm_sregs s;
	CHECK(ioctl(v.fd, KVM_GET_SREGS, &s) == 0);
	s.cs.base = 0;
	s.cs.selector = 0;
	s.ds.base = s.es.base = s.ss.base = 0;
	s.ds.selector = s.es.selector = s.ss.selector = 0;
	CHECK(ioctl(v.fd, KVM_SET_SREGS, &s) == 0);
	struct kvm_regs regs = { .rip = rip, .rsp = rsp, .rflags = 2 };
	CHECK(ioctl(v.fd, KVM_SET_REGS, &regs) == 0);
	return v;
}

/* One exit as the VMM reads it, stale fields included: that is the point. */
static void print_exit(const char *who, struct kvm_run *run, int ret)
{
	printf("%s: KVM_RUN = %d exit %u", who, ret, run->exit_reason);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		printf(" io dir %u size %u port 0x%x count %u value 0x%x", run->io.direction, run->io.size,
		       run->io.port, run->io.count, *((uint8_t *)run + run->io.data_offset));
		break;
	case KVM_EXIT_MMIO:
		printf(" mmio addr 0x%llx len %u write %u", (unsigned long long)run->mmio.phys_addr,
		       run->mmio.len, run->mmio.is_write);
		break;
	case KVM_EXIT_DEBUG:
		printf(" debug exception %u pc 0x%llx dr6 0x%llx dr7 0x%llx", run->debug.arch.exception,
		       (unsigned long long)run->debug.arch.pc, (unsigned long long)run->debug.arch.dr6,
		       (unsigned long long)run->debug.arch.dr7);
		break;
	}
	printf("\n");
}

static void run_vm1(void)
{
	static const uint8_t code[] = {
		0xb0, 0x42,		/* mov al, 0x42 */
		0xe6, 0x80,		/* out 0x80, al */
		0xbb, 0x00, 0x20,	/* mov bx, 0x2000 */
		0x8e, 0xdb,		/* mov ds, bx */
		0xa0, 0x00, 0x00,	/* mov al, [0]: gpa 0x20000, no memory there: MMIO */
		0xe6, 0x81,		/* out 0x81, al */
		0xcc,			/* int3: a DEBUG exit, or (a host without sw-bp) vector 3 */
		0xfb,			/* sti */
		0xf4, 0xf4, 0xf4,	/* hlt x3: the VMM injects an IRQ, then an NMI */
	};
	/* mov al, N; out 0x85, al; iret: the handlers of vectors 2, 3 and 0x31 */
	static const uint8_t handler[] = { 0xb0, 0x00, 0xe6, 0x85, 0xcf };
	printf("vm1\n");
	struct vm vm = vm_create(false);
	memcpy(vm.mem + CODE, code, sizeof(code));
	const unsigned vectors[] = { 2, 3, 0x31 };
	for (unsigned i = 0; i < 3; i++) {
		uint16_t at = (uint16_t)(0x1100 + 0x10 * i);
		memcpy(vm.mem + at, handler, sizeof(handler));
		vm.mem[at + 1] = (uint8_t)vectors[i];
		memcpy(vm.mem + 4 * vectors[i], &at, 2);	/* IVT: offset, segment 0 */
	}
	struct vcpu v = vcpu_create(&vm, 0, CODE, 0x8000);
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP };
	xioctl(v.fd, KVM_SET_GUEST_DEBUG, &dbg, "KVM_SET_GUEST_DEBUG sw-bp");
	/* immediate_exit: KVM_RUN fails with EINTR before entering the guest (api.rst 5, kvm_run) */
	v.run->immediate_exit = 1;
	xioctl(v.fd, KVM_RUN, NULL, "KVM_RUN immediate_exit");
	v.run->immediate_exit = 0;
	int halts = 0;
	for (int i = 0; i < 16 && halts < 3; i++) {
		int r = ioctl(v.fd, KVM_RUN, 0);
		print_exit("vcpu0", v.run, r);
		if (r < 0)
			break;
		if (v.run->exit_reason == KVM_EXIT_MMIO && !v.run->mmio.is_write)
			memset(v.run->mmio.data, 0x5a, sizeof(v.run->mmio.data));
		if (v.run->exit_reason == KVM_EXIT_DEBUG) {
			/* the #BP exit leaves RIP at the INT3: step over it, as debug_regs does */
			struct kvm_regs regs;
			CHECK(ioctl(v.fd, KVM_GET_REGS, &regs) == 0);
			regs.rip += 1;
			xioctl(v.fd, KVM_SET_REGS, &regs, "KVM_SET_REGS rip+1");
		}
		if (v.run->exit_reason == KVM_EXIT_HLT && ++halts == 1) {
			printf("  ready_for_interrupt_injection %u if_flag %u\n",
			       v.run->ready_for_interrupt_injection, v.run->if_flag);
			struct kvm_interrupt irq = { .irq = 0x31 };
			xioctl(v.fd, KVM_INTERRUPT, &irq, "KVM_INTERRUPT");
			/* a vCPU made after the VM ran (hotplug), run once without entering the guest */
			struct vcpu late = vcpu_create(&vm, 1, CODE, 0x7000);
			late.run->immediate_exit = 1;
			xioctl(late.fd, KVM_RUN, NULL, "KVM_RUN of a late vCPU");
			close(late.fd);
		} else if (v.run->exit_reason == KVM_EXIT_HLT && halts == 2) {
			xioctl(v.fd, KVM_NMI, NULL, "KVM_NMI");
		}
	}
	close(v.fd);
	close(vm.fd);
}

static void *vcpu1_thread(void *p)
{
	struct vcpu *v = p;
	char *out = malloc(4096);
	size_t len = 0;
	for (int i = 0; i < 10; i++) {
		int r = ioctl(v->fd, KVM_RUN, 0);
		len += (size_t)snprintf(out + len, 4096 - len, "vcpu1: KVM_RUN = %d exit %u port 0x%x value 0x%x\n",
					r, v->run->exit_reason, v->run->io.port,
					*((uint8_t *)v->run + v->run->io.data_offset));
		if (r < 0 || v->run->exit_reason != KVM_EXIT_IO || v->run->io.port == 0x9f)
			break;
	}
	return out;
}

static void run_vm2(void)
{
	static const uint8_t code0[] = {
		0xb0, 0x01,		/* mov al, 1 */
		0xe6, 0x80,		/* out 0x80, al: the VMM sets up the IRQ and single-step */
		0xfb,			/* sti */
		0x90, 0x90, 0x90,	/* nop x3: single-stepped, IRQ blocked */
		0x90, 0x90,		/* nop x2: run freely, the IRQ is taken here */
		0xb0, 0x02,		/* mov al, 2 */
		0xe6, 0x84,		/* out 0x84, al: done */
		0xf4,
	};
	static const uint8_t handler[] = { 0xb0, 0x30, 0xe6, 0x82, 0xcf };	/* mov al,0x30; out 0x82,al; iret */
	static const uint8_t code1[] = {
		0xb0, 0x11, 0xe6, 0x90, 0xb0, 0x12, 0xe6, 0x90, 0xb0, 0x13, 0xe6, 0x90,
		0xe6, 0x9f, 0xf4,
	};
	printf("vm2\n");
	struct vm vm = vm_create(true);
	memcpy(vm.mem + CODE, code0, sizeof(code0));
	memcpy(vm.mem + 0x1100, handler, sizeof(handler));
	memcpy(vm.mem + 0x1200, code1, sizeof(code1));
	const uint8_t ivt30[4] = { 0x00, 0x11, 0x00, 0x00 };	/* vector 0x30 -> 0000:1100 */
	memcpy(vm.mem + 0x30 * 4, ivt30, 4);
	struct vcpu v0 = vcpu_create(&vm, 0, CODE, 0x8000);
	struct vcpu v1 = vcpu_create(&vm, 1, 0x1200, 0x7000);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	CHECK(ioctl(v1.fd, KVM_SET_MP_STATE, &mp) == 0);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, vcpu1_thread, &v1) == 0);

	int r = ioctl(v0.fd, KVM_RUN, 0);
	print_exit("vcpu0", v0.run, r);
	/* the local APIC software-enabled (SVR bit 8), then an MSI to APIC 0, vector 0x30 */
	struct kvm_lapic_state lapic;
	CHECK(ioctl(v0.fd, KVM_GET_LAPIC, &lapic) == 0);
	*(uint32_t *)(lapic.regs + 0xf0) = 0x1ff;
	xioctl(v0.fd, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC");
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
						  KVM_GUESTDBG_BLOCKIRQ };
	xioctl(v0.fd, KVM_SET_GUEST_DEBUG, &dbg, "KVM_SET_GUEST_DEBUG singlestep|blockirq");
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x30 };
	xioctl(vm.fd, KVM_SIGNAL_MSI, &msi, "KVM_SIGNAL_MSI");
	/* a line lowered that was never raised: an injection call that changes nothing */
	struct kvm_irq_level line = { .irq = 5, .level = 0 };
	xioctl(vm.fd, KVM_IRQ_LINE, &line, "KVM_IRQ_LINE");
	for (int i = 0; i < 5; i++) {
		r = ioctl(v0.fd, KVM_RUN, 0);
		print_exit("vcpu0", v0.run, r);
	}
	dbg.control = 0;
	xioctl(v0.fd, KVM_SET_GUEST_DEBUG, &dbg, "KVM_SET_GUEST_DEBUG off");
	for (int i = 0; i < 10; i++) {
		r = ioctl(v0.fd, KVM_RUN, 0);
		print_exit("vcpu0", v0.run, r);
		if (r < 0 || v0.run->exit_reason != KVM_EXIT_IO || v0.run->io.port == 0x84)
			break;
	}
	int next = dup(0);
	printf("  next fd kvm+%d\n", next - kvm);
	close(next);
	void *out;
	pthread_join(t, &out);
	fputs(out, stdout);
	free(out);
}

/*
 * "mini_vmm answers": a guest whose result depends on what its VMM answers
 * (INs of a byte and a word, a string IN, MMIO reads of a byte and a
 * word), and which writes the sum of it all (an MMIO write, then OUT
 * 0x84).  What the VMM answers is no constant: it counts its answers.  A
 * trace of it replays only if it holds those answers.
 */
static int run_answers(void)
{
	static const uint8_t code[] = {
		0xba, 0x60, 0x00,		/* mov dx, 0x60 */
		0xec,				/* in al, dx */
		0x88, 0xc3,			/* mov bl, al */
		0xed,				/* in ax, dx */
		0x00, 0xc3, 0x00, 0xe3,		/* add bl, al; add bl, ah */
		0xb8, 0x00, 0x20, 0x8e, 0xd8,	/* mov ax, 0x2000; mov ds, ax: gpa 0x20000, no memory */
		0xa0, 0x00, 0x00,		/* mov al, [0]: an MMIO read */
		0x00, 0xc3,			/* add bl, al */
		0xa1, 0x02, 0x00,		/* mov ax, [2]: an MMIO read of a word */
		0x00, 0xc3, 0x00, 0xe3,		/* add bl, al; add bl, ah */
		0x88, 0x1e, 0x04, 0x00,		/* mov [4], bl: an MMIO write */
		0x31, 0xc0, 0x8e, 0xc0,		/* xor ax, ax; mov es, ax */
		0xbf, 0x00, 0x30,		/* mov di, 0x3000 */
		0xb9, 0x04, 0x00, 0xfc,		/* mov cx, 4; cld */
		0xf3, 0x6c,			/* rep insb: a string IN */
		0x26, 0xa0, 0x03, 0x30,		/* mov al, es:[0x3003] */
		0x00, 0xc3,			/* add bl, al */
		0x88, 0xd8, 0xe6, 0x84,		/* mov al, bl; out 0x84, al */
		0xf4,				/* hlt */
	};
	printf("answers\n");
	struct vm vm = vm_create(false);
	memcpy(vm.mem + CODE, code, sizeof(code));
	struct vcpu v = vcpu_create(&vm, 0, CODE, 0x8000);
	unsigned answers = 0;
	for (int i = 0; i < 64; i++) {
		int r = ioctl(v.fd, KVM_RUN, 0);
		print_exit("vcpu0", v.run, r);
		if (r < 0 || v.run->exit_reason == KVM_EXIT_HLT ||
		    (v.run->exit_reason == KVM_EXIT_IO && v.run->io.port == 0x84))
			break;
		uint8_t *data = NULL;
		size_t n = 0;
		if (v.run->exit_reason == KVM_EXIT_IO && v.run->io.direction == KVM_EXIT_IO_IN) {
			data = (uint8_t *)v.run + v.run->io.data_offset;
			n = (size_t)v.run->io.size * v.run->io.count;
		} else if (v.run->exit_reason == KVM_EXIT_MMIO && !v.run->mmio.is_write) {
			data = v.run->mmio.data;
			n = v.run->mmio.len;
		} else if (v.run->exit_reason == KVM_EXIT_MMIO) {
			printf("  written 0x%02x\n", v.run->mmio.data[0]);
		}
		for (size_t k = 0; k < n; k++)
			data[k] = (uint8_t)(0x11 * (answers + 1) + k);
		if (n)
			printf("  answer %u: %zu bytes from 0x%02x\n", answers++, n, data[0]);
	}
	printf("done\n");
	return 0;
}

/*
 * "mini_vmm io N": N OUTs in a loop, for the overhead of attach mode
 * (exits per second with and without exitrace).  The rate goes to stderr,
 * the count to stdout.
 */
static int run_io(uint32_t n)
{
	uint8_t code[] = {
		0x66, 0xb9, 0, 0, 0, 0,	/* mov ecx, n */
		0xe6, 0x80,		/* out 0x80, al */
		0x66, 0x49,		/* dec ecx */
		0x75, 0xfa,		/* jnz out */
		0xe6, 0x84,		/* out 0x84, al */
		0xf4,
	};
	memcpy(code + 2, &n, 4);
	struct vm vm = vm_create(false);
	memcpy(vm.mem + CODE, code, sizeof(code));
	struct vcpu v = vcpu_create(&vm, 0, CODE, 0x8000);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t exits = 0;
	for (;;) {
		int r = ioctl(v.fd, KVM_RUN, 0);
		exits++;
		if (r < 0 || v.run->exit_reason != KVM_EXIT_IO || v.run->io.port == 0x84)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("io: %llu exits\n", (unsigned long long)exits);
	fprintf(stderr, "io: %llu exits in %.3f s: %.0f exits/s\n", (unsigned long long)exits, s,
		(double)exits / s);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("no /dev/kvm\n");
		return 77;
	}
	CHECK((run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) > 0);
	if (argc > 1 && !strcmp(argv[1], "answers"))
		return run_answers();
	if (argc > 1 && !strcmp(argv[1], "answers2")) {
		if (ioctl(kvm, KVM_CHECK_EXTENSION, CAP_USER_MEMORY2) <= 0) {
			printf("no KVM_CAP_USER_MEMORY2\n");
			return 77;
		}
		use_region2 = true;
		return run_answers();
	}
	if (argc > 2 && !strcmp(argv[1], "io"))
		return run_io((uint32_t)strtoul(argv[2], NULL, 0));
	if (argc > 1 && !strcmp(argv[1], "killed")) {
		/* a VMM that dies mid-run: after N exits, SIGKILL (no exit handlers run) */
		run_io(3);
		raise(SIGKILL);
	}
	bool only1 = argc > 1 && !strcmp(argv[1], "vm1");
	/* the environment is observable too: exitrace's variables must be gone, LD_PRELOAD as it was */
	const char *pre = getenv("LD_PRELOAD"), *out = getenv("EXITRACE_ATTACH_OUTPUT");
	printf("env LD_PRELOAD %s, EXITRACE_ATTACH_OUTPUT %s\n", pre ? pre : "(unset)", out ? out : "(unset)");
	run_vm1();
	if (!only1)
		run_vm2();
	printf("done\n");
	return 3;	/* a status of its own, which exitrace must pass on */
}
