/* Long mode, flat: power off through ACPI (SLP_TYP 0, SLP_EN to PM1a control); 0x55 if still on. */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	mov	$0xb004, %dx
	mov	$0x2000, %ax
	out	%ax, %dx
	mov	$0x55, %al
	out	%al, $0xf4
	hlt
