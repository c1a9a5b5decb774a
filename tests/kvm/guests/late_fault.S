/*
# load: 0x100000
 * Long mode, flat: one I/O exit, then a long loop that makes no exit, then
 * an instruction this host's emulator cannot run (XGETBV: the step ends
 * in KVM_EXIT_INTERNAL_ERROR, suberror 1).  Under --no-step the exit
 * before the failing one is the OUT, far from it.
 */
	.code64
	.text
	.globl _start
_start:
	mov	$1, %al
	out	%al, $0x80
	mov	$100000, %ecx
1:	dec	%ecx
	jnz	1b
	xor	%ecx, %ecx
	.globl	fault
fault:	xgetbv
	mov	$1, %al
	out	%al, $0xf4
	hlt
