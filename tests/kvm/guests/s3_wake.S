/*
 * Long mode, flat: the CMOS RTC and an ACPI S3 round trip as kvm-unit-tests'
 * s3 makes it.  Report RTC register B (0x80), the seconds register (0x84),
 * register D (0x88), an alarm register read back (0x8c) and how many polls
 * of register A it took to see UIP set and then clear (0x90, 0 if never);
 * then copy a real-mode resume stub to 0x1000, put 0x1000 in the FACS's
 * waking vector and write SLP_TYP 1 (S3) with SLP_EN to PM1a control.
 * The stub leaves through isa-debug-exit with 9; going on without waking
 * leaves with 0x55.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	mov	$0x0b, %al
	call	rtc_in
	out	%eax, $0x80
	xor	%al, %al
	call	rtc_in
	out	%eax, $0x84
	mov	$0x0d, %al
	call	rtc_in
	out	%eax, $0x88
	mov	$0x01, %al		/* the seconds alarm: "don't care" */
	out	%al, $0x70
	mov	$0xc0, %al
	out	%al, $0x71
	mov	$0x01, %al
	call	rtc_in
	out	%eax, $0x8c

	xor	%ebx, %ebx		/* polls until UIP is seen set, then clear */
	mov	$3000000, %ecx
1:	inc	%ebx
	dec	%ecx
	jz	no_uip
	mov	$0x0a, %al
	call	rtc_in
	test	$0x80, %al
	jz	1b
2:	inc	%ebx
	dec	%ecx
	jz	no_uip
	mov	$0x0a, %al
	call	rtc_in
	test	$0x80, %al
	jnz	2b
	jmp	3f
no_uip:
	xor	%ebx, %ebx
3:	mov	%ebx, %eax
	out	%eax, $0x90

	lea	resume(%rip), %rsi	/* the resume stub to 0x1000 */
	mov	$0x1000, %edi
	mov	$resume_end - resume, %ecx
	cld
	rep movsb
	mov	$0xe010c, %edi		/* FACS firmware_waking_vector */
	movl	$0x1000, (%rdi)
	mov	$0xb004, %dx		/* PM1a control: SLP_TYP 1, SLP_EN */
	mov	$0x2400, %ax
	out	%ax, %dx
	mov	$0x55, %al
	out	%al, $0xf4
	hlt

/* RTC register %al into %eax */
rtc_in:
	out	%al, $0x70
	xor	%eax, %eax
	in	$0x71, %al
	ret

	.code16
resume:
	mov	$9, %al
	out	%al, $0xf4
	hlt
resume_end:
