/* A static ELF32, entered in protected mode: print "elf32\n", isa-debug-exit 6. */
# load: 0x300000
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
2:	mov	$6, %al
	out	%al, $0xf4
	hlt
msg:	.asciz	"elf32\n"
