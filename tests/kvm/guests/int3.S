/* Long mode, flat: an INT3 (this host's emulator cannot run it: INTERNAL_ERROR). */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	nop
	int3
	mov	$1, %al
	out	%al, $0xf4
