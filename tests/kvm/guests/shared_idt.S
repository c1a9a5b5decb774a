/*
# load: 0x100000
 * Long mode, flat at 0x100000: all 256 IDT gates lead to one handler, so
 * the IDT cannot tell the vectors apart.  Five times, with IF=0: a write
 * to port 0x80 (--irq V@io:0x80 makes V pending then), a nop, then
 * sti; nop, after which the pending IRQ is taken.  The handler counts in
 * r15, EOIs and returns; the end is isa-debug-exit with r15 as status.
 */
	.code64
	.text
	.globl _start
_start:
	lea	idt(%rip), %rdi
	lea	handler(%rip), %rdx
	mov	$256, %ecx
1:	mov	%rdx, %rax
	mov	%ax, (%rdi)			/* offset 15:0 */
	movw	$0x08, 2(%rdi)			/* selector */
	movw	$0x8e00, 4(%rdi)		/* present, DPL 0, interrupt gate */
	shr	$16, %rax
	mov	%ax, 6(%rdi)			/* offset 31:16 */
	shr	$16, %rax
	mov	%eax, 8(%rdi)			/* offset 63:32 */
	add	$16, %rdi
	dec	%ecx
	jnz	1b
	lidt	idtr(%rip)
	mov	$0xfee000f0, %esi
	movl	$0x1ff, (%rsi)			/* SVR: APIC enabled, spurious 0xff */
	mov	$5, %ebx
loop:	cli
	out	%al, $0x80			/* --irq V@io:0x80 makes V pending here */
	nop
	sti
	nop					/* the STI shadow ends: V is taken after this */
	nop
	dec	%ebx
	jnz	loop
	cli
	mov	%r15b, %al
	out	%al, $0xf4
	hlt
handler:
	inc	%r15
	push	%rsi
	mov	$0xfee000b0, %esi
	movl	$0, (%rsi)			/* EOI */
	pop	%rsi
	iretq
	.align 16
idtr:	.word	256 * 16 - 1
	.quad	idt
	.align 16
idt:	.fill	256 * 16, 1, 0
