/* A static ELF64, entered in long mode: print "elf64\n", isa-debug-exit 5. */
# load: 0x200000
	.code64
	.text
	.globl _start
_start:
	mov	$0x3f8, %dx
	lea	msg(%rip), %rsi
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	mov	$5, %al
	out	%al, $0xf4
	hlt
msg:	.asciz	"elf64\n"
