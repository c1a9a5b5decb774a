/* SPDX-License-Identifier: MIT */
/*
 * Entry from exitrace's ELF loader in 64-bit mode: our own GDT (same
 * selectors as exitrace's: 0x08 code, 0x10 data, so nothing else changes),
 * our own stack, then main() and isa-debug-exit with what it returns.
 */
	.section .text.start, "ax"
	.code64
	.globl	_start
_start:
	lea	rt_stack_top(%rip), %rsp
	lgdt	rt_gdtr(%rip)
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %fs
	mov	%eax, %gs
	mov	%eax, %ss
	pushq	$0x08
	lea	1f(%rip), %rax
	push	%rax
	lretq				/* reload CS from the new GDT */
1:	call	main
	mov	%eax, %edi
	call	rt_exit

	.section .rodata
	.balign	16
rt_gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf93000000ffff	/* 0x10: data, 4 GiB */
rt_gdt_end:
	.balign	16
	.globl	rt_gdtr
rt_gdtr:
	.word	rt_gdt_end - rt_gdt - 1
	.quad	rt_gdt

	.section .bss
	.balign	16
rt_stack:
	.skip	16384
	.globl	rt_stack_top
rt_stack_top:

	.section .note.GNU-stack, "", @progbits
