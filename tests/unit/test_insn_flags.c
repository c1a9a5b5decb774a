// SPDX-License-Identifier: MIT
/*
 * The RFLAGS bits replay takes from the recording: those the SDM leaves
 * undefined, for the instruction and operands at hand, and no others.
 */
#include "insn_flags.h"
#include "test_util.h"

#define CF XT_RFLAGS_CF
#define PF XT_RFLAGS_PF
#define AF XT_RFLAGS_AF
#define ZF XT_RFLAGS_ZF
#define SF XT_RFLAGS_SF
#define OF XT_RFLAGS_OF

static void want(const char *what, const char *bytes, size_t n, int bits, uint64_t rcx, uint32_t flags)
{
	uint32_t got = insn_undefined_flags((const uint8_t *)bytes, n, bits, rcx);
	TEST_ASSERT(got == flags, "%s: undefined 0x%x, want 0x%x", what, got, flags);
}

int main(void)
{
	/* logic: AF only */
	want("xor eax, eax", "\x31\xc0", 2, 64, 0, AF);
	want("or rax, rdx", "\x48\x09\xd0", 3, 64, 0, AF);
	want("and eax, 7", "\x83\xe0\x07", 3, 64, 0, AF);
	want("test al, 1", "\xa8\x01", 2, 64, 0, AF);
	want("test byte [rax], 1", "\xf6\x00\x01", 3, 64, 0, AF);
	want("xor r8, 0x55 (group 1 /6)", "\x49\x83\xf0\x55", 4, 64, 0, AF);
	want("add eax, 7 (group 1 /0) defines every flag", "\x83\xc0\x07", 3, 64, 0, 0);
	want("cmp (group 1 /7)", "\x83\xf8\x07", 3, 64, 0, 0);
	want("add rax, r8", "\x4c\x01\xc0", 3, 64, 0, 0);
	want("0x82 is invalid in 64-bit mode", "\x82\xc8\x01", 3, 64, 0, 0);
	want("0x82 /1 is OR in 32-bit mode", "\x82\xc8\x01", 3, 32, 0, AF);

	/* shifts by an immediate: the count decides */
	want("shl rdx, 32", "\x48\xc1\xe2\x20", 4, 64, 0, AF | OF);
	want("shl rdx, 1 (D1)", "\x48\xd1\xe2", 3, 64, 0, AF);
	want("shl edx, 1 (C1 with 1)", "\xc1\xe2\x01", 3, 64, 0, AF);
	want("shl edx, 32 masks to 0: no flag changes", "\xc1\xe2\x20", 3, 64, 0, 0);
	want("shl rdx, 0", "\x48\xc1\xe2\x00", 4, 64, 0, 0);
	want("shl al, 9: CF too (count >= 8 bits)", "\xc0\xe0\x09", 3, 64, 0, AF | OF | CF);
	want("sar al, 9: CF is the sign", "\xc0\xf8\x09", 3, 64, 0, AF | OF);
	want("shl word [bx+si+0x1234], 3 (16-bit addressing)", "\xc1\xa0\x34\x12\x03", 5, 16, 0, AF | OF);
	want("shl dword [rsp+8], 1 (SIB, disp8)", "\xc1\x64\x24\x08\x01", 5, 64, 0, AF);
	want("shl dword [rip+x], 1 (disp32)", "\xc1\x25\x00\x00\x00\x00\x01", 7, 64, 0, AF);
	want("shl cut before its count: any count", "\xc1\xe2", 2, 64, 0, AF | OF | CF);
	want("shl al, 0x21 with REX.W: a byte's count is masked to 5 bits (1)", "\x48\xc0\xe0\x21", 4, 64, 0, AF);
	want("shl al, cl with REX.W, cl=0x21", "\x48\xd2\xe0", 3, 64, 0x21, AF);
	want("rol eax, 1", "\xd1\xc0", 2, 64, 0, 0);
	want("rol eax, 4", "\xc1\xc0\x04", 3, 64, 0, OF);

	/* shifts by CL: RCX before the instruction */
	want("shr rax, cl with cl=0x83 (masked 3)", "\x48\xd3\xe8", 3, 64, 0x83, AF | OF);
	want("shr rax, cl with cl=1", "\x48\xd3\xe8", 3, 64, 1, AF);
	want("shr eax, cl with cl=0x20 (masked 0)", "\xd3\xe8", 2, 64, 0x20, 0);
	want("shr rax, cl with cl=0x20 (64-bit: 32)", "\x48\xd3\xe8", 3, 64, 0x20, AF | OF);

	/* double shifts */
	want("shld eax, edx, 4", "\x0f\xa4\xd0\x04", 4, 64, 0, AF | OF);
	want("shrd ax, dx, cl with cl=17 (> 16 bits)", "\x66\x0f\xad\xd0", 4, 64, 17, XT_RFLAGS_ARITH);

	/* multiply, divide */
	want("mul rcx", "\x48\xf7\xe1", 3, 64, 0, SF | ZF | AF | PF);
	want("imul eax, ecx, 3", "\x6b\xc1\x03", 3, 64, 0, SF | ZF | AF | PF);
	want("imul eax, ecx", "\x0f\xaf\xc1", 3, 64, 0, SF | ZF | AF | PF);
	want("div rcx", "\x48\xf7\xf1", 3, 64, 0, XT_RFLAGS_ARITH);
	want("neg eax", "\xf7\xd8", 2, 64, 0, 0);

	/* bit tests and scans, control registers */
	want("bt eax, 3", "\x0f\xba\xe0\x03", 4, 64, 0, OF | SF | AF | PF);
	want("bts [rax], ecx", "\x0f\xab\x08", 3, 64, 0, OF | SF | AF | PF);
	want("bsf eax, ecx", "\x0f\xbc\xc1", 3, 64, 0, CF | OF | SF | AF | PF);
	want("tzcnt eax, ecx", "\xf3\x0f\xbc\xc1", 4, 64, 0, CF | OF | SF | AF | PF);
	want("mov cr0, rax", "\x0f\x22\xc0", 3, 64, 0, XT_RFLAGS_ARITH);
	want("mov rax, dr6", "\x0f\x21\xf0", 3, 64, 0, XT_RFLAGS_ARITH);

	/* BCD outside 64-bit mode only */
	want("aam", "\xd4\x0a", 2, 32, 0, OF | AF | CF);
	want("aaa", "\x37", 1, 16, 0, OF | SF | ZF | PF);
	want("daa in 64-bit mode is invalid", "\x27", 1, 64, 0, 0);

	/* BMI */
	want("andn eax, ebx, ecx", "\xc4\xe2\x60\xf2\xc1", 5, 64, 0, AF | PF);
	want("bextr eax, ecx, ebx", "\xc4\xe2\x60\xf7\xc1", 5, 64, 0, AF | SF | PF);
	want("shlx (66) leaves none", "\xc4\xe2\x61\xf7\xc1", 5, 64, 0, 0);
	want("les in 32-bit mode is not VEX", "\xc4\x06", 2, 32, 0, 0);

	/* prefixes */
	want("REX before a legacy prefix does not count: shl dx, 0x21 masks to 1", "\x48\x66\xc1\xe2\x21", 5, 64, 0, AF);
	want("operand-size prefix: shl dx, 16 masks to 16", "\x66\xc1\xe2\x10", 4, 64, 0, AF | OF | CF);
	want("nothing", "", 0, 64, 0, 0);
	want("nop", "\x90", 1, 64, 0, 0);
	return 0;
}
