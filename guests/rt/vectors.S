/* SPDX-License-Identifier: MIT */
/*
 * One 16-byte stub per vector, at rt_vectors + 16 * vector: it pushes a
 * zero where the CPU pushes no error code, then the vector, and joins the
 * common path, which saves the general registers and calls rt_dispatch()
 * with them (struct rt_frame).  The stubs are 16 bytes apart so that "RIP
 * within a few bytes of the gate's target" names one vector only.
 */
	.text
	.code64
	.altmacro

	.macro	stub v
	.balign	16
	.if	(\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	pushq	$\v
	.else
	pushq	$0
	pushq	$\v
	.endif
	jmp	rt_isr_common
	.endm

	.balign	16
	.globl	rt_vectors
rt_vectors:
	.set	vec, 0
	.rept	256
	stub	%vec
	.set	vec, vec + 1
	.endr

rt_isr_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rbx
	push	%rbp
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	cld
	call	rt_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$16, %rsp		/* vector and error code */
	.globl	rt_iret
rt_iret:
	iretq

	.section .note.GNU-stack, "", @progbits
