/*
 * Real mode, flat at 0x7c00 (CS=0), left to the platform a BIOS leaves:
 * check the master PIC's mask (IRQ 0 and the cascade open), then three
 * times `sti; hlt` until the PIT's IRQ 0 has come through the default
 * IVT's handler (which sends the EOI and returns: nothing else tells the
 * guest, so it looks for the FLAGS word an interrupt frame leaves just
 * below its stack).  Single-stepped, HLT completes at once and the loop
 * spins until the tick; without steps HLT waits in KVM for it.  Then read
 * channel 0's counter (KVM answers: no exit holds the value) and
 * isa-debug-exit 3; 5 if the PIC was not as a BIOS leaves it.
 */
# load: 0x7c00
	.code16
	.text
	.globl _start
_start:
	xor	%ax, %ax
	mov	%ax, %ds
	in	$0x21, %al
	cmp	$0xfa, %al
	jne	bad
	mov	$3, %cx
	mov	%sp, %bp
tick:	movw	$0, -2(%bp)
	sti
wait:	hlt
	cmpw	$0, -2(%bp)
	je	wait
	cli
	loop	tick
	mov	$0, %al		/* latch channel 0 */
	out	%al, $0x43
	in	$0x40, %al
	mov	%al, %bl
	in	$0x40, %al
	mov	%al, %bh
	mov	$3, %al
	out	%al, $0xf4
	hlt
bad:	mov	$5, %al
	out	%al, $0xf4
	hlt
