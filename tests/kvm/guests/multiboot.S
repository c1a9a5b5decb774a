/*
 * A multiboot v1 kernel (ELF32): report EAX on port 0x80 and mem_upper on
 * port 0x84, echo the command line to the serial port, isa-debug-exit 7.
 */
# load: 0x100000
	.code32
	.text
	.globl _start
	.align 4
mb_header:
	.long	0x1BADB002
	.long	0x00000003		/* page-align modules, memory information */
	.long	-(0x1BADB002 + 0x00000003)
_start:
	mov	$0x80, %dx
	out	%eax, %dx		/* the boot magic */
	mov	8(%ebx), %eax		/* mem_upper, KiB */
	mov	$0x84, %dx
	out	%eax, %dx
	mov	16(%ebx), %esi		/* the command line */
	mov	$0x3f8, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	mov	$7, %al
	out	%al, $0xf4
	hlt
