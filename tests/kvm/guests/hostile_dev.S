/*
 * Long mode, flat: a guest that goes at the platform devices with what a
 * test kernel seldom does.  fw_cfg: the file directory and an unknown
 * item read far past their ends by REP INS of each width, the selector
 * written by REP OUTSW, the read-only data port written, accesses that
 * straddle the device's ports.  pc-testdev: IRQ lines out of range and
 * dwords at the last line, REP OUTSB at a line, REP INSL from the scratch
 * port.  The MMIO window: qwords at its end and across it, either way.
 * The RTC: index 0xff, writes to the read-only C and D, a word OUT that
 * selects and writes CMOS 0x0e (reported on port 0x80), REP INSB/OUTSW.
 * ACPI PM: dwords at 0xb000/0xb002/0xb00a/0xb00b, SLP_TYP 7 and 2 with
 * SLP_EN, S3 with a waking vector at 1 MiB and without one by REP OUTSW.  Then S3 for real, with
 * SLP_EN written as the high byte of PM1a control (0xb005): the real-mode
 * resume stub sleeps again the same way until it has woken 8 times,
 * reports the count on port 0x84 and leaves with isa-debug-exit 9; a
 * guest that never slept leaves with 0x55.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	cld
	/* fw_cfg: file directory, read far past its end with string I/O of each width */
	mov	$0x19, %ax
	mov	$0x510, %dx
	out	%ax, %dx
	inc	%dx
	mov	$0x200000, %edi
	mov	$8192, %ecx
	rep insb
	mov	$0x510, %dx
	mov	$0xffff, %ax
	out	%ax, %dx
	inc	%dx
	mov	$0x200000, %edi
	mov	$3000, %ecx
	rep insw
	mov	$0x510, %dx
	mov	$0x200000, %edi
	mov	$2000, %ecx
	rep insl
	mov	$0x200000, %esi		/* selector written by outsw, many times */
	mov	$0x510, %dx
	mov	$2048, %ecx
	rep outsw
	mov	$0x511, %dx		/* writes to the read-only data port */
	mov	$0x200000, %esi
	mov	$4096, %ecx
	rep outsb
	mov	$0x50f, %dx		/* an access that straddles the device's first port */
	in	%dx, %eax
	mov	$0x511, %dx
	in	%dx, %eax
	/* pc-testdev IRQ lines: out of range and straddling */
	mov	$0x2017, %dx
	mov	$1, %eax
	out	%eax, %dx
	xor	%eax, %eax
	out	%eax, %dx
	mov	$0x2018, %dx
	mov	$1, %al
	out	%al, %dx
	mov	$0x2000, %dx
	in	%dx, %eax
	mov	$0x200000, %esi
	movl	$0, (%rsi)
	mov	$0x2000, %dx
	mov	$64, %ecx
	rep outsb
	/* the scratch port with string I/O */
	mov	$0xe0, %dx
	mov	$0x200000, %edi
	mov	$1024, %ecx
	rep insl
	mov	$0xe3, %dx
	in	%dx, %eax
	/* the MMIO window: 8-byte accesses at and across its end */
	mov	$0xff000ff8, %edi
	mov	$0x1122334455667788, %rax
	mov	%rax, (%rdi)
	mov	(%rdi), %rbx
	mov	$0xff000ffc, %edi
	mov	%rax, (%rdi)
	mov	(%rdi), %rbx
	mov	$0xff000fff, %edi
	mov	%rax, (%rdi)
	mov	(%rdi), %rbx
	mov	$0xfefffffc, %edi
	mov	(%rdi), %rbx
	mov	%rax, (%rdi)
	mov	$0xff000f00, %esi	/* copy out of the window across its end */
	mov	$0x200000, %edi
	mov	$0x200, %ecx
	rep movsb
	/* RTC: every index, odd widths, string I/O, read-only registers */
	mov	$0xff, %al
	out	%al, $0x70
	in	$0x71, %al
	mov	$0x0c, %al
	out	%al, $0x70
	mov	$0xff, %al
	out	%al, $0x71
	mov	$0x0d, %al
	out	%al, $0x70
	xor	%al, %al
	out	%al, $0x71
	mov	$0x70, %dx
	mov	$0x0a, %eax
	out	%eax, %dx
	in	%dx, %eax
	mov	$0x71, %dx
	mov	$0x200000, %edi
	mov	$512, %ecx
	rep insb
	mov	$0x70, %dx
	mov	$0x200000, %esi
	mov	$512, %ecx
	rep outsw
	mov	$0x70, %dx		/* a word OUT: index 0x0e, then its data */
	mov	$0x5a0e, %ax
	out	%ax, %dx
	in	$0x71, %al
	movzbl	%al, %eax
	out	%eax, $0x80
	/* ACPI PM: odd widths and sleep types that are no PC's */
	mov	$0xb000, %dx
	mov	$0xffffffff, %eax
	out	%eax, %dx
	in	%dx, %eax
	mov	$0xb002, %dx
	out	%eax, %dx
	mov	$0xb00a, %dx
	in	%dx, %eax
	mov	$0xb00b, %dx
	in	%dx, %eax
	mov	$0xb004, %dx
	mov	$0x3c00 | 0x2000, %eax	/* SLP_TYP 7 + SLP_EN */
	out	%ax, %dx
	mov	$0x0800 | 0x2000, %eax	/* SLP_TYP 2 */
	out	%eax, %dx
	mov	$0xb005, %dx		/* SLP_EN in the high byte alone */
	mov	$0x24, %al
	out	%al, %dx
	movl	$0x100000, 0xe010c	/* S3 with a waking vector real mode cannot reach */
	mov	$0xb005, %dx
	mov	$0x24, %al
	out	%al, %dx
	movl	$0, 0xe010c
	mov	$0xb004, %dx		/* S3 without a waking vector, twice, by string I/O */
	mov	$0x200000, %esi
	movl	$0x24002400, (%rsi)
	mov	$2, %ecx
	rep outsw
	lea	resume(%rip), %rsi	/* S3 for real: the stub to 0x1000, its vector in the FACS */
	mov	$0x1000, %edi
	mov	$resume_end - resume, %ecx
	rep movsb
	movw	$0, 0x2000
	movl	$0x1000, 0xe010c
	mov	$0xb005, %dx
	mov	$0x24, %al
	out	%al, %dx
	mov	$0x55, %al
	out	%al, $0xf4
	hlt

	.code16
resume:
	incw	0x2000
	cmpw	$8, 0x2000
	jae	1f
	mov	$0xb005, %dx
	mov	$0x24, %al
	out	%al, %dx
	mov	$0x66, %al
	out	%al, $0xf4
1:	mov	0x2000, %ax
	out	%ax, $0x84
	mov	$9, %al
	out	%al, $0xf4
	hlt
resume_end:
