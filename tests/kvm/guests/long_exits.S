/* Long mode, flat at 0x100000: a known instruction sequence and every everyday exit. */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	mov	$0x1111, %rax		/* 0x100000, 7 bytes */
	mov	$0x2222, %rbx		/* 0x100007, 7 bytes */
	add	%rbx, %rax		/* 0x10000e, 3 bytes */
	nop				/* 0x100011 */
	mov	$0x3f8, %dx		/* 0x100012, 4 bytes */
	mov	$'L', %al		/* 0x100016 */
	out	%al, %dx		/* 0x100018: serial THR */
	mov	$'\n', %al
	out	%al, %dx
	mov	$0x3fd, %dx
	in	%dx, %al		/* serial LSR: transmitter empty */
	mov	%al, %r8b
	mov	$0x1234, %dx
	in	%dx, %eax		/* unclaimed: all-ones */
	mov	%eax, %r9d
	mov	$0xd0000000, %esi
	movl	$0xdeadbeef, (%rsi)	/* unbacked MMIO write */
	mov	4(%rsi), %ecx		/* unbacked MMIO read: all-ones */
	rdtsc
	mov	$42, %al
	out	%al, $0xf4		/* isa-debug-exit: status 85 */
	hlt
