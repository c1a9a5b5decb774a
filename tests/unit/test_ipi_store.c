// SPDX-License-Identifier: MIT
/*
 * The destination of a MOV store, which tells the recorder that a step
 * wrote the local APIC's ICR (an IPI): the addressing forms compilers emit
 * for it in 16-, 32- and 64-bit code, and nothing for other instructions.
 */
#include <string.h>

#include "ipi_watch.h"
#include "test_util.h"

static struct xt_state regs(void)
{
	struct xt_state s;
	memset(&s, 0, sizeof(s));
	s.regs.rax = 0xfee00000;
	s.regs.rcx = 0xfee00300;
	s.regs.rdx = 0x100;
	s.regs.rbx = 0x1000;
	s.regs.rsi = 0x20;
	s.regs.rbp = 0x2000;
	s.regs.r9 = 0xfee00000;
	s.regs.rip = 0x401000;
	s.sregs.ds.base = 0x10000;
	s.sregs.ss.base = 0x20000;
	s.sregs.fs.base = 0x7000000;
	return s;
}

static void want(const char *what, const char *bytes, size_t n, int bits, uint64_t linear)
{
	struct xt_state s = regs();
	uint64_t got = 0;
	TEST_ASSERT(ipi_store_target((const uint8_t *)bytes, n, bits, &s, &got), "%s: a store", what);
	TEST_EQ_U64(linear, got, "%s: its address", what);
}

static void not_store(const char *what, const char *bytes, size_t n, int bits)
{
	struct xt_state s = regs();
	uint64_t got;
	TEST_ASSERT(!ipi_store_target((const uint8_t *)bytes, n, bits, &s, &got), "%s: no store", what);
}

int main(void)
{
	/* 64-bit: segment bases other than FS and GS do not apply */
	want("mov [rcx], eax", "\x89\x01", 2, 64, 0xfee00300);
	want("mov [rax+0x300], esi", "\x89\xb0\x00\x03\x00\x00", 6, 64, 0xfee00300);
	want("mov [rax+rdx*2+0x100], esi", "\x89\xb4\x50\x00\x01\x00\x00", 7, 64, 0xfee00300);
	want("mov [r9+0x300], eax (REX.B)", "\x41\x89\x81\x00\x03\x00\x00", 7, 64, 0xfee00300);
	want("mov dword [rax+0x300], 0x40f0", "\xc7\x80\x00\x03\x00\x00\xf0\x40\x00\x00", 10, 64, 0xfee00300);
	/* RIP-relative: from the end of the instruction, immediate included */
	want("mov dword [rip+0x10], 1", "\xc7\x05\x10\x00\x00\x00\x01\x00\x00\x00", 10, 64, 0x401000 + 10 + 0x10);
	want("mov [rip-4], eax", "\x89\x05\xfc\xff\xff\xff", 6, 64, 0x401000 + 6 - 4);
	want("movabs [0xfee00300], eax", "\xa3\x00\x03\xe0\xfe\x00\x00\x00\x00", 9, 64, 0xfee00300);
	want("mov fs:[rsi], eax", "\x64\x89\x06", 3, 64, 0x7000020);
	want("mov [rsp+8], eax (SIB, no index)", "\x89\x44\x24\x08", 4, 64, 8);
	/* 32-bit: DS base, SS for EBP and ESP bases, absolute disp32 */
	want("mov [0xfee00300], eax", "\x89\x05\x00\x03\xe0\xfe", 6, 32, (0x10000 + 0xfee00300ull) & 0xffffffff);
	want("mov [ebp+4], eax", "\x89\x45\x04", 3, 32, 0x20000 + 0x2004);
	want("mov [ebx+esi*4], eax", "\x89\x04\xb3", 3, 32, 0x10000 + 0x1000 + 0x80);
	want("mov [0x300], eax (A3, moffs32)", "\xa3\x00\x03\x00\x00", 5, 32, 0x10300);
	/* 16-bit: the ModRM table, offsets wrap at 64 KiB */
	want("mov [bx+si], ax", "\x89\x00", 2, 16, 0x10000 + 0x1020);
	want("mov [bp+di+2], ax", "\x89\x43\x02", 3, 16, 0x20000 + 0x2002);
	want("mov [0x0300], ax", "\x89\x06\x00\x03", 4, 16, 0x10300);
	want("mov [bx-2], ax (wraps)", "\x89\x47\xfe", 3, 16, 0x10000 + 0x0ffe);
	want("mov [ebx], eax (67: 32-bit address in 16-bit code)", "\x67\x66\x89\x03", 4, 16, 0x11000);

	not_store("mov eax, [rcx] (a load)", "\x8b\x01", 2, 64);
	not_store("mov ecx, eax (registers)", "\x89\xc1", 2, 64);
	not_store("C7 /1 (not MOV)", "\xc7\x08\x00\x00\x00\x00", 6, 64);
	not_store("add [rcx], eax", "\x01\x01", 2, 64);
	not_store("truncated", "\x89\x80\x00", 3, 64);
	not_store("empty", "", 0, 64);
	return 0;
}
