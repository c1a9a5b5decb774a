/* Long mode, flat: spin forever (for --max-steps, --timeout, SIGINT). */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
1:	inc	%rax
	dec	%rcx
	jmp	1b
