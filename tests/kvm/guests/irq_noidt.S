/*
# load: 0x100000
 * Long mode, flat at 0x100000, like irq_wait.S but with no IDT of its own:
 * the local APIC enabled, IF=1, a loop of nops writing port 0x80, then
 * isa-debug-exit with r15.  An IRQ reaches a handler only when the recorder
 * builds one (--idt: its stubs EOI and return); without, delivery fails
 * and the vCPU shuts down.
 */
	.code64
	.text
	.globl _start
_start:
	mov	$0xfee000f0, %esi
	movl	$0x1ff, (%rsi)			/* SVR: APIC enabled, spurious 0xff */
	mov	$40, %ecx
	sti
loop:	nop
	nop
	out	%al, $0x80
	dec	%ecx
	jnz	loop
	cli
	mov	%r15b, %al
	out	%al, $0xf4
	hlt
