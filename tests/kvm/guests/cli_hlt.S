/* Long mode, flat: halt with interrupts disabled. */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	cli
	nop
	hlt
	mov	$1, %al
	out	%al, $0xf4
