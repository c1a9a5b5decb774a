/*
 * A multiboot v1 kernel (ELF32) that looks at what a boot loader and the
 * platform give it: echo the command line, then each module's string, a
 * colon and the module's bytes (text), to the serial port; report the
 * first module's start on port 0x90; then ask fw_cfg for its signature
 * (echoed), and report the CPU count (0x80), the RAM size (0x84, low 32
 * bits), the file directory's count (0x88), the ID (0x8c) and a byte of
 * an item that does not exist (0x8e).  isa-debug-exit 7.
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
	mov	%ebx, %ebp		/* the information block */
	mov	16(%ebp), %esi		/* the command line */
	call	puts
	mov	$'\n', %al
	call	putc

	mov	20(%ebp), %ecx		/* mods_count */
	mov	24(%ebp), %edi		/* mods_addr */
	test	%ecx, %ecx
	jz	fw_cfg
	mov	(%edi), %eax
	mov	$0x90, %dx
	out	%eax, %dx		/* the first module's start */
1:	mov	8(%edi), %esi		/* its string */
	call	puts
	mov	$':', %al
	call	putc
	mov	(%edi), %esi		/* its bytes, start to end */
	mov	4(%edi), %ebx
2:	cmp	%ebx, %esi
	jae	3f
	lodsb
	call	putc
	jmp	2b
3:	mov	$'\n', %al
	call	putc
	add	$16, %edi
	dec	%ecx
	jnz	1b

fw_cfg:
	mov	$0x0000, %ax		/* signature: "QEMU" */
	call	select
	mov	$4, %ecx
1:	in	%dx, %al
	call	putc
	dec	%ecx
	jnz	1b
	mov	$'\n', %al
	call	putc

	mov	$0x0005, %ax		/* NB_CPUS, 16 bits */
	mov	$2, %ecx
	call	read_item
	mov	$0x80, %dx
	out	%eax, %dx
	mov	$0x0003, %ax		/* RAM_SIZE: the low 4 of its 8 bytes */
	mov	$4, %ecx
	call	read_item
	mov	$0x84, %dx
	out	%eax, %dx
	mov	$0x0019, %ax		/* the file directory's count (big-endian) */
	mov	$4, %ecx
	call	read_item
	mov	$0x88, %dx
	out	%eax, %dx
	mov	$0x0001, %ax		/* ID */
	mov	$4, %ecx
	call	read_item
	mov	$0x8c, %dx
	out	%eax, %dx
	mov	$0x1234, %ax		/* no such item */
	mov	$1, %ecx
	call	read_item
	mov	$0x8e, %dx
	out	%al, %dx

	mov	$7, %al
	out	%al, $0xf4
	hlt

/* select item %ax; leaves %dx at the data port */
select:
	mov	$0x510, %dx
	out	%ax, %dx
	inc	%dx
	ret

/* item %ax, %ecx bytes of it (1-4), little-endian into %eax */
read_item:
	call	select
	xor	%ebx, %ebx
	shl	$3, %ecx		/* bits */
	push	%ecx
	xor	%ecx, %ecx
1:	in	%dx, %al
	movzbl	%al, %eax
	shl	%cl, %eax
	or	%eax, %ebx
	add	$8, %ecx
	cmp	(%esp), %ecx
	jb	1b
	pop	%ecx
	mov	%ebx, %eax
	ret

/* the NUL-terminated string at %esi to the serial port */
puts:
1:	lodsb
	test	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	ret

putc:
	push	%edx
	mov	$0x3f8, %dx
	out	%al, %dx
	pop	%edx
	ret
