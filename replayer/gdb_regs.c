// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "gdb_packet.h"
#include "gdb_regs.h"
#include "page_walk.h"

enum reg_src {
	SRC_GPR,	/* xt_regs word at offset */
	SRC_SREGS,	/* xt_sregs word at offset */
	SRC_PC,		/* gdb_pc() */
	SRC_FLAGS,
	SRC_SEL,	/* an xt_segment's selector, offset of the segment */
	SRC_ST,		/* x87 register index */
	SRC_FCW, SRC_FSW, SRC_FTAG, SRC_FISEG, SRC_FIOFF, SRC_FOSEG, SRC_FOOFF, SRC_FOP,
	SRC_XMM,	/* index */
	SRC_MXCSR,
};

struct reg_def {
	const char *name;
	unsigned bits;
	const char *type;
	const char *feature;	/* the feature it starts, or NULL to stay in the last */
	enum reg_src src;
	size_t arg;
};

#define GPR(n, f) { #n, 64, "int64", NULL, SRC_GPR, offsetof(struct xt_regs, f) }
#define GPR32(n, f) { #n, 32, "int32", NULL, SRC_GPR, offsetof(struct xt_regs, f) }
#define SEL(n) { #n, 32, "int32", NULL, SRC_SEL, offsetof(struct xt_sregs, n) }
#define SYS(n, f) { #n, 64, "int64", NULL, SRC_SREGS, offsetof(struct xt_sregs, f) }
#define ST(i) { "st" #i, 80, "i387_ext", NULL, SRC_ST, i }
#define XMM(i) { "xmm" #i, 128, "vec128", NULL, SRC_XMM, i }
#define X87 \
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7), \
	{ "fctrl", 32, "int", NULL, SRC_FCW, 0 }, { "fstat", 32, "int", NULL, SRC_FSW, 0 }, \
	{ "ftag", 32, "int", NULL, SRC_FTAG, 0 }, { "fiseg", 32, "int", NULL, SRC_FISEG, 0 }, \
	{ "fioff", 32, "int", NULL, SRC_FIOFF, 0 }, { "foseg", 32, "int", NULL, SRC_FOSEG, 0 }, \
	{ "fooff", 32, "int", NULL, SRC_FOOFF, 0 }, { "fop", 32, "int", NULL, SRC_FOP, 0 }
#define SYSREGS \
	{ "cs_base", 64, "int64", "org.exitrace.x86.sys", SRC_SREGS, offsetof(struct xt_sregs, cs.base) }, \
	SYS(ss_base, ss.base), SYS(ds_base, ds.base), SYS(es_base, es.base), \
	SYS(cr0, cr0), SYS(cr2, cr2), SYS(cr3, cr3), SYS(cr4, cr4), SYS(cr8, cr8), SYS(efer, efer), \
	SYS(gdt_base, gdt_base), SYS(idt_base, idt_base)

static const struct reg_def amd64_regs[] = {
	{ "rax", 64, "int64", "org.gnu.gdb.i386.core", SRC_GPR, offsetof(struct xt_regs, rax) },
	GPR(rbx, rbx), GPR(rcx, rcx), GPR(rdx, rdx), GPR(rsi, rsi), GPR(rdi, rdi),
	{ "rbp", 64, "data_ptr", NULL, SRC_GPR, offsetof(struct xt_regs, rbp) },
	{ "rsp", 64, "data_ptr", NULL, SRC_GPR, offsetof(struct xt_regs, rsp) },
	GPR(r8, r8), GPR(r9, r9), GPR(r10, r10), GPR(r11, r11), GPR(r12, r12), GPR(r13, r13),
	GPR(r14, r14), GPR(r15, r15),
	{ "rip", 64, "code_ptr", NULL, SRC_PC, 0 },
	{ "eflags", 32, "i386_eflags", NULL, SRC_FLAGS, 0 },
	SEL(cs), SEL(ss), SEL(ds), SEL(es), SEL(fs), SEL(gs),
	X87,
	{ "xmm0", 128, "vec128", "org.gnu.gdb.i386.sse", SRC_XMM, 0 },
	XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7), XMM(8), XMM(9), XMM(10),
	XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
	{ "mxcsr", 32, "i386_mxcsr", NULL, SRC_MXCSR, 0 },
	{ "fs_base", 64, "int", "org.gnu.gdb.i386.segments", SRC_SREGS, offsetof(struct xt_sregs, fs.base) },
	{ "gs_base", 64, "int", NULL, SRC_SREGS, offsetof(struct xt_sregs, gs.base) },
	SYSREGS,
};

static const struct reg_def i386_regs[] = {
	{ "eax", 32, "int32", "org.gnu.gdb.i386.core", SRC_GPR, offsetof(struct xt_regs, rax) },
	GPR32(ecx, rcx), GPR32(edx, rdx), GPR32(ebx, rbx),
	{ "esp", 32, "data_ptr", NULL, SRC_GPR, offsetof(struct xt_regs, rsp) },
	{ "ebp", 32, "data_ptr", NULL, SRC_GPR, offsetof(struct xt_regs, rbp) },
	GPR32(esi, rsi), GPR32(edi, rdi),
	{ "eip", 32, "code_ptr", NULL, SRC_PC, 0 },
	{ "eflags", 32, "i386_eflags", NULL, SRC_FLAGS, 0 },
	SEL(cs), SEL(ss), SEL(ds), SEL(es), SEL(fs), SEL(gs),
	X87,
	{ "xmm0", 128, "vec128", "org.gnu.gdb.i386.sse", SRC_XMM, 0 },
	XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	{ "mxcsr", 32, "i386_mxcsr", NULL, SRC_MXCSR, 0 },
	SYSREGS,
	{ "ip", 64, "int64", NULL, SRC_GPR, offsetof(struct xt_regs, rip) },
};

static const struct reg_def *table(enum gdb_arch a, size_t *n)
{
	if (a == GDB_ARCH_AMD64) {
		*n = sizeof(amd64_regs) / sizeof(amd64_regs[0]);
		return amd64_regs;
	}
	*n = sizeof(i386_regs) / sizeof(i386_regs[0]);
	return i386_regs;
}

/* The types the standard x86 features name: eflags in the core feature, the rest in sse. */
static const char core_types[] =
	"<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" end=\"0\"/>"
	"<field name=\"\" start=\"1\" end=\"1\"/><field name=\"PF\" start=\"2\" end=\"2\"/>"
	"<field name=\"AF\" start=\"4\" end=\"4\"/><field name=\"ZF\" start=\"6\" end=\"6\"/>"
	"<field name=\"SF\" start=\"7\" end=\"7\"/><field name=\"TF\" start=\"8\" end=\"8\"/>"
	"<field name=\"IF\" start=\"9\" end=\"9\"/><field name=\"DF\" start=\"10\" end=\"10\"/>"
	"<field name=\"OF\" start=\"11\" end=\"11\"/><field name=\"NT\" start=\"14\" end=\"14\"/>"
	"<field name=\"RF\" start=\"16\" end=\"16\"/><field name=\"VM\" start=\"17\" end=\"17\"/>"
	"<field name=\"AC\" start=\"18\" end=\"18\"/><field name=\"VIF\" start=\"19\" end=\"19\"/>"
	"<field name=\"VIP\" start=\"20\" end=\"20\"/><field name=\"ID\" start=\"21\" end=\"21\"/></flags>";
static const char sse_types[] =
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/><vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/><vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/><vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	"<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
	"<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
	"<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
	"<field name=\"uint128\" type=\"uint128\"/></union>"
	"<flags id=\"i386_mxcsr\" size=\"4\"><field name=\"IE\" start=\"0\" end=\"0\"/>"
	"<field name=\"DE\" start=\"1\" end=\"1\"/><field name=\"ZE\" start=\"2\" end=\"2\"/>"
	"<field name=\"OE\" start=\"3\" end=\"3\"/><field name=\"UE\" start=\"4\" end=\"4\"/>"
	"<field name=\"PE\" start=\"5\" end=\"5\"/><field name=\"DAZ\" start=\"6\" end=\"6\"/>"
	"<field name=\"IM\" start=\"7\" end=\"7\"/><field name=\"DM\" start=\"8\" end=\"8\"/>"
	"<field name=\"ZM\" start=\"9\" end=\"9\"/><field name=\"OM\" start=\"10\" end=\"10\"/>"
	"<field name=\"UM\" start=\"11\" end=\"11\"/><field name=\"PM\" start=\"12\" end=\"12\"/>"
	"<field name=\"FZ\" start=\"15\" end=\"15\"/></flags>";

static void build_xml(enum gdb_arch a, char *buf, size_t cap)
{
	size_t n, len = 0;
	const struct reg_def *t = table(a, &n);
	len += (size_t)snprintf(buf + len, cap - len,
				"<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
				"<target version=\"1.0\"><architecture>%s</architecture>",
				a == GDB_ARCH_AMD64 ? "i386:x86-64" : "i386");
	for (size_t i = 0; i < n && len < cap; i++) {
		if (t[i].feature) {
			if (i)
				len += (size_t)snprintf(buf + len, cap - len, "</feature>");
			len += (size_t)snprintf(buf + len, cap - len, "<feature name=\"%s\">", t[i].feature);
			if (!strcmp(t[i].feature, "org.gnu.gdb.i386.core"))
				len += (size_t)snprintf(buf + len, cap - len, "%s", core_types);
			else if (!strcmp(t[i].feature, "org.gnu.gdb.i386.sse"))
				len += (size_t)snprintf(buf + len, cap - len, "%s", sse_types);
		}
		bool sys = t[i].src == SRC_SREGS && strcmp(t[i].name, "fs_base") && strcmp(t[i].name, "gs_base");
		len += (size_t)snprintf(buf + len, cap - len,
					"<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%zu\"%s/>", t[i].name,
					t[i].bits, t[i].type, i, sys || !strcmp(t[i].name, "ip") ? " group=\"system\"" : "");
	}
	if (len < cap)
		snprintf(buf + len, cap - len, "</feature></target>");
}

const char *gdb_target_xml(enum gdb_arch a)
{
	static char xml[2][16384];
	char *x = xml[a == GDB_ARCH_I386];
	if (!x[0])
		build_xml(a, x, sizeof(xml[0]));
	return x;
}

uint64_t gdb_pc(enum gdb_arch a, const struct xt_state *s)
{
	if (a == GDB_ARCH_AMD64)
		return s->regs.rip;
	return gmem_code_linear(s);
}

/* The abridged tag of FXSAVE (a bit a register: 1 in use) as the full x87 tag word (00 valid, 11 empty). */
static uint32_t full_tag(uint8_t abridged)
{
	uint32_t tag = 0;
	for (int i = 0; i < 8; i++)
		if (!(abridged >> i & 1))
			tag |= 3u << (2 * i);
	return tag;
}

static size_t one_reg(const struct reg_def *d, enum gdb_arch a, const struct xt_state *s,
		      const struct kvm_fpu *f, char *out)
{
	uint8_t buf[16] = { 0 };
	uint64_t v = 0;
	switch (d->src) {
	case SRC_GPR: memcpy(&v, (const char *)&s->regs + d->arg, 8); break;
	case SRC_SREGS: memcpy(&v, (const char *)&s->sregs + d->arg, 8); break;
	case SRC_PC: v = gdb_pc(a, s); break;
	case SRC_FLAGS: v = s->regs.rflags; break;
	case SRC_SEL: v = ((const struct xt_segment *)((const char *)&s->sregs + d->arg))->selector; break;
	case SRC_ST: memcpy(buf, f->fpr[d->arg], 10); break;
	case SRC_FCW: v = f->fcw; break;
	case SRC_FSW: v = f->fsw; break;
	case SRC_FTAG: v = full_tag(f->ftwx); break;
	case SRC_FISEG: v = a == GDB_ARCH_AMD64 ? 0 : (f->last_ip >> 32) & 0xffff; break;
	case SRC_FIOFF: v = a == GDB_ARCH_AMD64 ? f->last_ip : f->last_ip & 0xffffffff; break;
	case SRC_FOSEG: v = a == GDB_ARCH_AMD64 ? 0 : (f->last_dp >> 32) & 0xffff; break;
	case SRC_FOOFF: v = a == GDB_ARCH_AMD64 ? f->last_dp : f->last_dp & 0xffffffff; break;
	case SRC_FOP: v = f->last_opcode; break;
	case SRC_XMM: memcpy(buf, f->xmm[d->arg], 16); break;
	case SRC_MXCSR: v = f->mxcsr; break;
	}
	if (d->src != SRC_ST && d->src != SRC_XMM)
		memcpy(buf, &v, 8);
	return gdb_hex(out, buf, d->bits / 8);	/* little-endian, as gdb reads registers */
}

size_t gdb_regs_hex(enum gdb_arch a, const struct xt_state *s, const struct kvm_fpu *fpu, char *out)
{
	size_t n, len = 0;
	const struct reg_def *t = table(a, &n);
	for (size_t i = 0; i < n; i++)
		len += one_reg(&t[i], a, s, fpu, out + len);
	out[len] = 0;
	return len;
}

size_t gdb_reg_hex(enum gdb_arch a, unsigned r, const struct xt_state *s, const struct kvm_fpu *fpu, char *out)
{
	size_t n;
	const struct reg_def *t = table(a, &n);
	if (r >= n)
		return 0;
	size_t len = one_reg(&t[r], a, s, fpu, out);
	out[len] = 0;
	return len;
}
