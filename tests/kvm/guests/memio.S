/*
 * Long mode, flat: a loop with memory traffic and an I/O write every 16
 * iterations (the benchmark's second guest).  Runs until stopped.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	mov	$0x200000, %rdi
	xor	%ecx, %ecx
1:	mov	%rcx, (%rdi,%rcx,8)
	add	(%rdi), %rax
	inc	%ecx
	and	$0xfff, %ecx
	test	$15, %cl
	jnz	1b
	out	%al, $0x80
	jmp	1b
