/*
# load: 0x100000
 * Long mode, flat at 0x100000: an IDT whose vector 0x30 handler counts in
 * r15, EOIs and returns; the local APIC enabled; then IF=1 and a loop of
 * nops ending after 40 iterations with isa-debug-exit (r15 as status).
 */
	.code64
	.text
	.globl _start
_start:
	lea	idt(%rip), %rdi
	lea	handler(%rip), %rax
	mov	%ax, 0x300(%rdi)		/* gate 0x30: offset 15:0 */
	movw	$0x08, 0x302(%rdi)		/* selector */
	movw	$0x8e00, 0x304(%rdi)		/* present, DPL 0, interrupt gate */
	shr	$16, %rax
	mov	%ax, 0x306(%rdi)		/* offset 31:16 */
	shr	$16, %rax
	mov	%eax, 0x308(%rdi)		/* offset 63:32 */
	lidt	idtr(%rip)
	mov	$0xfee000f0, %esi
	movl	$0x1ff, (%rsi)			/* SVR: APIC enabled, spurious 0xff */
	mov	$40, %ecx
	sti
loop:	nop
	nop
	out	%al, $0x80			/* a marker: --irq V@io:0x80 fires here */
	dec	%ecx
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
