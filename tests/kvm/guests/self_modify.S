/*
 * Long mode, flat: the guest overwrites an instruction before running it
 * (the 5-byte mov becomes five nops), so the trace's initial memory holds
 * code that never ran as it is there: `show` must doubt it.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	movl	$0x90909090, patch(%rip)
	movb	$0x90, patch+4(%rip)
patch:
	movl	$1, %eax
	movl	$0, %eax
	outb	%al, $0xf4
	hlt
