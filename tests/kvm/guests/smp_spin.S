/*
 * Long mode, flat, for record --vcpus N: the BSP copies a real-mode spin
 * loop to 0x8000, starts every other vCPU there with INIT and a start-up
 * IPI (vector 0x08) to all-but-self, then spins itself, so that every vCPU
 * is runnable at every turn of the lock-step (the bench's rows).
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	lea	ap_code(%rip), %rsi
	mov	$0x8000, %edi
	mov	$(ap_end - ap_code), %ecx
	rep movsb
	mov	$0xfee00000, %ebx
	movl	$0x1ff, 0xf0(%rbx)		/* SVR: software-enable the local APIC */
	movl	$0x000c4500, 0x300(%rbx)	/* INIT, all but self */
	movl	$0x000c4608, 0x300(%rbx)	/* start-up, vector 0x08, all but self */
1:	inc	%rax
	dec	%rcx
	jmp	1b

	.code16
ap_code:
	cli
2:	inc	%ax
	dec	%cx
	jmp	2b
ap_end:
