/* Long mode, flat: no IDT (limit 0), then UD2: #UD cannot be delivered -> shutdown. */
# load: 0x100000
	.code64
	.text
	.globl _start
_start:
	nop
	ud2
	hlt
