/*
 * Long mode, flat: RDTSC and RDRAND in a loop.  Their values steer a branch,
 * index a table, land in memory and in the exit status, so a replay that
 * did not feed back the recorded values would go another way.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	xor	%r8, %r8
	xor	%r9, %r9
	lea	table(%rip), %rsi
	lea	sums(%rip), %rdi
	mov	$24, %ecx
1:	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	add	%rax, %r8
	test	$1, %al
	jz	2f
	xor	$0x55, %r8		/* taken on odd TSC values only */
2:	and	$7, %eax
	add	(%rsi,%rax,8), %r9	/* a table entry chosen by the TSC */
	rdrand	%rax
	setc	%bl
	add	%rax, %r8
	movzbl	%bl, %ebx
	add	%rbx, %r9
	mov	%r8, (%rdi)
	add	$8, %rdi
	dec	%ecx
	jnz	1b
	mov	%r8b, %al
	xor	%r9b, %al
	or	$1, %al			/* the status ((al << 1) | 1) & 0xff is then never 1 */
	out	%al, $0xf4		/* isa-debug-exit: status from the values */
	hlt
	.align 8
table:	.quad	1, 2, 3, 5, 8, 13, 21, 34
sums:	.fill	24, 8, 0
