// SPDX-License-Identifier: MIT
/* The recorder's instruction recogniser: the kinds it must tell apart, with prefixes. */
#include "insn.h"
#include "test_util.h"

static struct insn dec(const char *bytes, size_t n, int bits)
{
	struct insn in;
	insn_decode((const uint8_t *)bytes, n, bits, &in);
	return in;
}

int main(void)
{
	struct insn in = dec("\x0f\x31", 2, 64);
	TEST_ASSERT(in.kind == INSN_RDTSC && in.len == 2, "rdtsc");
	in = dec("\x0f\x01\xf9", 3, 64);
	TEST_ASSERT(in.kind == INSN_RDTSCP && in.len == 3, "rdtscp");
	in = dec("\x48\x0f\xc7\xf0", 4, 64);
	TEST_ASSERT(in.kind == INSN_RDRAND && in.len == 4 && in.reg == 0 && in.opsize == 64, "rdrand rax");
	in = dec("\x49\x0f\xc7\xf9", 4, 64);
	TEST_ASSERT(in.kind == INSN_RDSEED && in.reg == 9 && in.opsize == 64, "rdseed r9");
	in = dec("\x66\x0f\xc7\xf3", 4, 64);
	TEST_ASSERT(in.kind == INSN_RDRAND && in.reg == 3 && in.opsize == 16, "rdrand bx");
	in = dec("\xf3\x0f\xc7\xf8", 4, 64);
	TEST_ASSERT(in.kind == INSN_RDPID && in.reg == 0, "rdpid");
	in = dec("\x0f\xc7\x30", 3, 64);
	TEST_ASSERT(in.kind == INSN_OTHER, "0F C7 /6 with memory is not rdrand (vmptrld)");
	in = dec("\xcd\x30", 2, 64);
	TEST_ASSERT(in.kind == INSN_INT && in.vector == 0x30 && in.len == 2, "int 0x30");
	in = dec("\xcc", 1, 64);
	TEST_ASSERT(in.kind == INSN_INT3 && in.vector == 3, "int3");
	in = dec("\xce", 1, 64);
	TEST_ASSERT(in.kind == INSN_OTHER, "into is invalid in 64-bit mode");
	in = dec("\xce", 1, 32);
	TEST_ASSERT(in.kind == INSN_INTO && in.vector == 4, "into in 32-bit mode");
	in = dec("\x0f\x0b", 2, 16);
	TEST_ASSERT(in.kind == INSN_UD2 && in.vector == 6, "ud2");
	in = dec("\xf4", 1, 64);
	TEST_ASSERT(in.kind == INSN_HLT && in.len == 1, "hlt");
	in = dec("\x48\xcf", 2, 64);
	TEST_ASSERT(in.kind == INSN_IRET && in.len == 2, "iretq");
	in = dec("\x0f\x01\x38", 3, 64);
	TEST_ASSERT(in.kind == INSN_INVLPG, "invlpg [rax]");
	in = dec("\x0f\x01\xf8", 3, 64);
	TEST_ASSERT(in.kind == INSN_OTHER, "0F 01 /7 with a register is swapgs, not invlpg");
	in = dec("\x0f\x22\xd8", 3, 64);
	TEST_ASSERT(in.kind == INSN_MOV_CR3, "mov cr3, rax");
	in = dec("\x0f\x22\xc0", 3, 64);
	TEST_ASSERT(in.kind == INSN_OTHER, "mov cr0, rax is not a CR3 load");
	in = dec("\x2e\x3e\x0f\x31", 4, 32);
	TEST_ASSERT(in.kind == INSN_RDTSC && in.len == 4, "prefixes count in the length");
	in = dec("\x0f", 1, 64);
	TEST_ASSERT(in.kind == INSN_OTHER, "cut short");
	in = dec("\x90", 1, 64);
	TEST_ASSERT(in.kind == INSN_OTHER, "nop");
	in = dec("\xe4\x40", 2, 16);
	TEST_ASSERT(in.kind == INSN_IN && in.vector == 0x40 && in.len == 2, "in al, 0x40");
	in = dec("\x66\xe5\x21", 3, 16);
	TEST_ASSERT(in.kind == INSN_IN && in.vector == 0x21 && in.len == 3, "in eax, 0x21 (16-bit code)");
	in = dec("\xec", 1, 32);
	TEST_ASSERT(in.kind == INSN_IN && in.vector == INSN_PORT_DX && in.len == 1, "in al, dx");
	in = dec("\xe4", 1, 16);
	TEST_ASSERT(in.kind == INSN_OTHER, "in al, imm8 cut short");
	return 0;
}
