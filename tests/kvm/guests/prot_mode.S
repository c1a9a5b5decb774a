/* 32-bit protected mode, flat at 0x100000: print "prot\n", then isa-debug-exit 4. */
# load: 0x100000
	.code32
	.text
	.globl _start
_start:
	mov	$0x3f8, %dx
	mov	$msg, %esi
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	mov	$4, %al
	out	%al, $0xf4
	hlt
msg:	.asciz	"prot\n"
