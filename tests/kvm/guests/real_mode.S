/* Real mode, flat at 0x7c00 (CS=0): print "real\n", then isa-debug-exit 3. */
# load: 0x7c00
	.code16
	.text
	.globl _start
_start:
	mov	$0x3f8, %dx
	mov	$msg, %si
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	mov	$3, %al
	out	%al, $0xf4
	hlt
msg:	.asciz	"real\n"
