/*
 * Long mode, flat: drive QEMU's pc-testdev as kvm-unit-tests does.  Report
 * on ports 0x80-0x90 what the scratch port (0xe0) gives back, a qword
 * written to and read from the MMIO window at 0xff000000, and a byte that
 * REP INSB from the scratch port put in the window; then route IOAPIC pin
 * 4 to vector 0x40, pulse IRQ line 4 through port 0x2004, and let the
 * interrupt in (record with --idt).  isa-debug-exit 7.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	mov	$0xff, %al		/* mask both 8259s: the IOAPIC alone delivers */
	out	%al, $0x21
	out	%al, $0xa1
	mov	$0xfee000f0, %edi	/* local APIC SVR: software-enabled */
	movl	$0x1ff, (%rdi)

	mov	$0x12345678, %eax	/* the scratch register */
	out	%eax, $0xe0
	xor	%eax, %eax
	in	$0xe0, %al
	out	%eax, $0x80		/* 0x78 */
	in	$0xe0, %eax
	out	%eax, $0x84		/* 0x12345678 */

	mov	$0xff000000, %edi	/* the MMIO window is memory */
	mov	$0x1122334455667788, %rax
	mov	%rax, 8(%rdi)
	mov	8(%rdi), %rbx
	mov	%ebx, %eax
	out	%eax, $0x88		/* 0x55667788 */
	shr	$32, %rbx
	mov	%ebx, %eax
	out	%eax, $0x8c		/* 0x11223344 */

	mov	$0x9999, %ax		/* string I/O from the scratch port into the window */
	mov	$0xe0, %dx
	out	%ax, %dx
	lea	0x100(%rdi), %rdi
	mov	$16, %ecx
	cld
	rep insb
	mov	$0xff00010f, %esi
	movzbl	(%rsi), %eax
	out	%eax, $0x90		/* 0x99 */

	mov	$0xfec00000, %esi	/* IOAPIC: pin 4 -> vector 0x40, edge, fixed, APIC 0 */
	movl	$0x18, (%rsi)
	movl	$0x40, 0x10(%rsi)
	movl	$0x19, (%rsi)
	movl	$0, 0x10(%rsi)

	mov	$0x2004, %dx		/* pc-testdev: IRQ line 4 up, then down */
	mov	$1, %al
	out	%al, %dx
	xor	%al, %al
	out	%al, %dx
	sti
	nop
	nop
	cli
	mov	$7, %al
	out	%al, $0xf4
	hlt
