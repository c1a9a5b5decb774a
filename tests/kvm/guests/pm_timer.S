/*
 * Long mode, flat: find the ACPI tables as a test kernel does (scan the
 * BIOS area for the RSDP, follow the RSDT to the FADT), report the RSDP's
 * address on port 0x80 and the FADT's PM timer port on 0x84, then read
 * the PM timer twice, each read next to an RDTSC, some 60 000 steps
 * apart.  isa-debug-exit 7; 0x77 when a table is missing.
 */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	mov	$0xe0000, %esi
1:	cmpl	$0x20445352, (%rsi)	/* "RSD " */
	jne	2f
	cmpl	$0x20525450, 4(%rsi)	/* "PTR " */
	je	found_rsdp
2:	add	$16, %esi
	cmp	$0x100000, %esi
	jb	1b
	jmp	missing

found_rsdp:
	mov	%esi, %eax
	out	%eax, $0x80
	mov	16(%rsi), %edi		/* the RSDT */
	mov	4(%rdi), %ecx		/* its length */
	lea	(%rdi,%rcx), %ecx	/* its end */
	lea	36(%rdi), %ebx		/* its first entry */
3:	cmp	%ecx, %ebx
	jae	missing
	mov	(%rbx), %edi
	cmpl	$0x50434146, (%rdi)	/* "FACP" */
	je	found_fadt
	add	$4, %ebx
	jmp	3b

found_fadt:
	mov	76(%rdi), %eax		/* PM_TMR_BLK */
	out	%eax, $0x84
	mov	%eax, %edx
	in	%dx, %eax
	mov	%eax, %r8d
	mov	%edx, %r10d
	rdtsc
	mov	%r10d, %edx
	mov	$20000, %ecx
4:	dec	%ecx
	jnz	4b
	in	%dx, %eax
	mov	%eax, %r9d
	rdtsc
	mov	$7, %al
	out	%al, $0xf4
	hlt

missing:
	mov	$0x77, %al
	out	%al, $0xf4
	hlt
