/*
 * Long mode, flat: 500 rounds of an MMIO write and an MMIO read to
 * addresses no memory backs (the recorder answers reads with all-ones),
 * and an I/O write every 16th; then isa-debug-exit with 0 (status 1).
 * Deterministic, so two recordings of it are the same.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	mov	$0xd0000000, %rdi
	xor	%ecx, %ecx
1:	mov	%ecx, (%rdi)
	mov	8(%rdi), %rax
	inc	%ecx
	test	$15, %cl
	jnz	2f
	out	%al, $0x80
2:	cmp	$500, %ecx
	jne	1b
	xor	%eax, %eax
	out	%al, $0xf4
	hlt
