// SPDX-License-Identifier: MIT
/*
 * Zydis (libzydis) decodes and formats; the page walk is the recorder's own
 * (page_walk.c), run over the trace's initial memory.
 */
#include <Zydis/Zydis.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_code.h"
#include "page_walk.h"
#include "cli.h"
#include "symbols.h"

/*
 * Regions the reader does not hold are read back only up to this much:
 * info, dump, stat and diff promise to hold nothing of a header's big
 * regions beyond what they need (README, Reliability), and a forged header
 * may declare hundreds of MiB.  Above it only the held regions are used.
 */
#define LOAD_BOUND (32ull << 20)
#define IMAGE_BOUND (32ull << 20)
#define CACHE_SLOTS 8192	/* a power of two */

/*
 * The keys apart from the infos: a probe touches 24 bytes of a 192 KiB
 * array that stays in the cache, not a 400-byte slot.
 */
struct code_key {
	uint64_t linear, cr3;
	uint8_t used, paging;
};

struct code_slot {
	uint8_t bits;
	int8_t line_known;	/* 0: not asked yet, 1: none, 2: line holds it */
	char line[128];
	struct code_info info;
	char insn[80], sym[96], text[CODE_TEXT_MAX];
};

struct guest_code {
	uint8_t *mem;		/* an anonymous mapping of the VM's memory size, or NULL */
	uint64_t mem_size;
	struct symtab *syms;
	const char *syms_source;
	ZydisDecoder dec[6];	/* by enum mode below */
	ZydisFormatter fmt;
	struct code_key *keys;
	struct code_slot *cache;
};

enum mode { M_64, M_COMPAT32, M_COMPAT16, M_PROT32, M_PROT16, M_REAL };

static const ZydisMachineMode zmode[] = {
	[M_64] = ZYDIS_MACHINE_MODE_LONG_64, [M_COMPAT32] = ZYDIS_MACHINE_MODE_LONG_COMPAT_32,
	[M_COMPAT16] = ZYDIS_MACHINE_MODE_LONG_COMPAT_16, [M_PROT32] = ZYDIS_MACHINE_MODE_LEGACY_32,
	[M_PROT16] = ZYDIS_MACHINE_MODE_LEGACY_16, [M_REAL] = ZYDIS_MACHINE_MODE_REAL_16,
};
static const ZydisStackWidth zstack[] = {
	[M_64] = ZYDIS_STACK_WIDTH_64, [M_COMPAT32] = ZYDIS_STACK_WIDTH_32,
	[M_COMPAT16] = ZYDIS_STACK_WIDTH_16, [M_PROT32] = ZYDIS_STACK_WIDTH_32,
	[M_PROT16] = ZYDIS_STACK_WIDTH_16, [M_REAL] = ZYDIS_STACK_WIDTH_16,
};

static enum mode mode_of(const struct xt_state *s)
{
	int bits = gmem_code_bits(s);
	bool lma = s->sregs.efer & (1u << 10);
	if (bits == 64)
		return M_64;
	if (!(s->sregs.cr0 & 1))
		return M_REAL;
	if (bits == 32)
		return lma ? M_COMPAT32 : M_PROT32;
	return lma ? M_COMPAT16 : M_PROT16;
}

/* Every region the reader holds, copied by hand: the path that never reads a big region back. */
static void copy_held(struct guest_code *g, const struct xt_vm_config *vm)
{
	for (size_t i = 0; i < vm->n_memory; i++) {
		const struct xt_mem_region *m = &vm->memory[i];
		if (m->data && m->gpa < g->mem_size && m->size <= g->mem_size - m->gpa)
			memcpy(g->mem + m->gpa, m->data, m->size);
	}
}

static void load_memory(struct guest_code *g, struct xt_reader *r)
{
	const struct xt_vm_config *vm = &xt_reader_header(r)->vm;
	uint64_t unheld = 0;
	for (size_t i = 0; i < vm->n_memory; i++)
		if (!vm->memory[i].data)
			unheld += vm->memory[i].size;
	if (!vm->mem_size || vm->mem_size > (1ull << 40))
		return;
	/* untouched pages cost nothing: only what the regions hold is resident */
	void *p = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;
	g->mem = p;
	g->mem_size = vm->mem_size;
	if (unheld > LOAD_BOUND || xt_reader_load_memory(r, g->mem, g->mem_size) < 0) {
		/* a failed load may have written part: start again from zeros */
		madvise(g->mem, g->mem_size, MADV_DONTNEED);
		copy_held(g, vm);
	}
}

static void load_symbols(struct guest_code *g, struct xt_reader *r)
{
	const struct xt_image *img = &xt_reader_header(r)->image;
	if (img->data) {
		g->syms = symtab_from_image(img->data, img->size);
	} else if (img->size && img->size <= IMAGE_BOUND) {
		uint8_t *buf = malloc(img->size);
		if (buf && xt_reader_load_image(r, buf) == 0)
			g->syms = symtab_from_image(buf, img->size);
		free(buf);
	}
	if (g->syms)
		g->syms_source = "the trace's ELF image";
}

int guest_code_open(struct guest_code **out, struct xt_reader *r, const char *symbols_path,
		    char *msg, size_t msg_size)
{
	struct guest_code *g = calloc(1, sizeof(*g));
	*out = NULL;
	/*
	 * mmap, not calloc: a slot's pages cost memory only once a RIP lands
	 * there (calloc may clear the whole table, or MALLOC_PERTURB_ fill it).
	 */
	void *cache = mmap(NULL, CACHE_SLOTS * sizeof(*g->cache), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!g || cache == MAP_FAILED || !(g->keys = calloc(CACHE_SLOTS, sizeof(*g->keys)))) {
		if (cache != MAP_FAILED)
			munmap(cache, CACHE_SLOTS * sizeof(*g->cache));
		free(g);
		snprintf(msg, msg_size, "out of memory");
		return -1;
	}
	g->cache = cache;
	for (int m = M_64; m <= M_REAL; m++)
		ZydisDecoderInit(&g->dec[m], zmode[m], zstack[m]);
	ZydisFormatterInit(&g->fmt, ZYDIS_FORMATTER_STYLE_INTEL);
	/* "lgdt [0x201540]", "mov eax, 0x3": objdump's and gdb's plain numbers, not 16 padded digits */
	ZydisFormatterSetProperty(&g->fmt, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE, ZYDIS_PADDING_DISABLED);
	ZydisFormatterSetProperty(&g->fmt, ZYDIS_FORMATTER_PROP_ADDR_PADDING_RELATIVE, ZYDIS_PADDING_DISABLED);
	ZydisFormatterSetProperty(&g->fmt, ZYDIS_FORMATTER_PROP_DISP_PADDING, ZYDIS_PADDING_DISABLED);
	ZydisFormatterSetProperty(&g->fmt, ZYDIS_FORMATTER_PROP_IMM_PADDING, ZYDIS_PADDING_DISABLED);
	ZydisFormatterSetProperty(&g->fmt, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE);
	load_memory(g, r);
	if (symbols_path) {
		g->syms = symtab_from_file(symbols_path, msg, msg_size);
		if (!g->syms) {
			guest_code_close(g);
			return -1;
		}
		g->syms_source = symbols_path;
	} else {
		load_symbols(g, r);
	}
	*out = g;
	return 0;
}

void guest_code_close(struct guest_code *g)
{
	if (!g)
		return;
	if (g->mem)
		munmap(g->mem, g->mem_size);
	symtab_free(g->syms);
	munmap(g->cache, CACHE_SLOTS * sizeof(*g->cache));
	free(g->keys);
	free(g);
}

size_t guest_code_read_phys(const struct guest_code *g, uint64_t gpa, uint8_t *dst, size_t n)
{
	if (!g->mem || gpa >= g->mem_size)
		return 0;
	if (n > g->mem_size - gpa)
		n = (size_t)(g->mem_size - gpa);
	memcpy(dst, g->mem + gpa, n);
	return n;
}

/* Up to n bytes at a linear address, page by page; *unmapped when the walk failed. */
static size_t read_linear(const struct guest_code *g, const struct xt_sregs *sr, uint64_t linear,
			  uint8_t *dst, size_t n, bool *unmapped)
{
	size_t done = 0;
	*unmapped = false;
	while (done < n) {
		uint64_t gpa;
		if (pw_translate(g->mem, g->mem_size, sr, linear + done, &gpa) < 0) {
			*unmapped = done == 0;
			break;
		}
		size_t in_page = 4096 - ((linear + done) & 0xfff);
		size_t k = n - done < in_page ? n - done : in_page;
		size_t got = guest_code_read_phys(g, gpa, dst + done, k);
		done += got;
		if (got < k)
			break;
	}
	return done;
}

/*
 * A jump or call to a relative target: " <symbol+off>" after it, as objdump
 * writes it, where the guest's symbols name the target.
 */
static void name_branch_target(struct guest_code *g, struct code_slot *e, const ZydisDecodedInstruction *in,
			       const ZydisDecodedOperand *ops, uint64_t rip)
{
	if (in->meta.category != ZYDIS_CATEGORY_COND_BR && in->meta.category != ZYDIS_CATEGORY_UNCOND_BR &&
	    in->meta.category != ZYDIS_CATEGORY_CALL)
		return;
	for (unsigned i = 0; i < in->operand_count_visible; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		uint64_t target;
		const char *name;
		uint64_t off;
		if (op->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op->imm.is_relative ||
		    !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(in, op, rip, &target)) ||
		    !symtab_lookup(g->syms, target, &name, &off))
			continue;
		size_t len = strlen(e->insn);
		if (off)
			snprintf(e->insn + len, sizeof(e->insn) - len, " <%.40s+0x%llx>", name, (unsigned long long)off);
		else
			snprintf(e->insn + len, sizeof(e->insn) - len, " <%.40s>", name);
		return;
	}
}

static void decode(struct guest_code *g, struct code_slot *e, const struct xt_state *s, enum mode m,
		   uint64_t rip, uint64_t linear)
{
	struct code_info *ci = &e->info;
	memset(ci, 0, sizeof(*ci));
	ci->linear = linear;
	ci->bits = e->bits;
	ci->insn = e->insn;
	ci->sym = e->sym;
	e->insn[0] = e->sym[0] = 0;
	e->line_known = 0;

	const char *name;
	uint64_t off;
	if (symtab_lookup(g->syms, linear, &name, &off)) {
		if (off)
			snprintf(e->sym, sizeof(e->sym), "%.70s+0x%" PRIx64, name, off);
		else
			snprintf(e->sym, sizeof(e->sym), "%.90s", name);
	}

	uint8_t b[15] = { 0 };
	bool unmapped;
	size_t n = g->mem ? read_linear(g, &s->sregs, linear, b, sizeof(b), &unmapped) : 0;
	if (!g->mem) {
		ci->none = "initial memory not loaded";
		return;
	}
	if (unmapped) {
		ci->none = "unmapped in the initial page tables";
		return;
	}
	size_t nz = 0;
	for (size_t i = 0; i < n; i++)
		nz += b[i] != 0;
	if (!n || !nz) {
		/* zeros decode as "add [rax], al": code loaded or written later, not step 0's */
		ci->none = "not in initial memory";
		return;
	}
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&g->dec[m], b, n, &in, ops))) {
		ci->none = "no valid instruction in initial memory";
		return;
	}
	if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&g->fmt, &in, ops, in.operand_count_visible,
							    e->insn, sizeof(e->insn), rip, NULL))) {
		e->insn[0] = 0;
		ci->none = "no valid instruction in initial memory";
		return;
	}
	ci->len = in.length;
	memcpy(ci->bytes, b, in.length);
	name_branch_target(g, e, &in, ops, rip);
	switch (in.meta.category) {
	case ZYDIS_CATEGORY_COND_BR: case ZYDIS_CATEGORY_UNCOND_BR: case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET: case ZYDIS_CATEGORY_INTERRUPT: case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
		ci->branch = true;
		break;
	default:
		break;
	}
}

static char *put_text(char *p, const struct code_info *ci);

static void fill(struct guest_code *g, struct code_slot *e, const struct xt_state *s, enum mode m,
		 uint64_t rip, uint64_t linear)
{
	decode(g, e, s, m, rip, linear);
	char *end = put_text(e->text, &e->info);
	*end = 0;
	e->info.text = e->text;
	e->info.text_len = (uint16_t)(end - e->text);
}

const struct code_info *guest_code_at_rip(struct guest_code *g, const struct xt_state *s, uint64_t rip)
{
	uint8_t bits = (uint8_t)gmem_code_bits(s);
	uint64_t linear = bits == 64 ? rip : (s->sregs.cs.base + (rip & 0xffffffffull)) & 0xffffffffull;
	enum mode m = mode_of(s);
	uint8_t paging = (uint8_t)((s->sregs.cr0 >> 31) | (s->sregs.cr4 >> 4 & 2) | (uint8_t)m << 2);
	uint64_t cr3 = paging & 1 ? s->sregs.cr3 : 0;
	size_t h = (size_t)((linear ^ cr3 ^ (uint64_t)paging << 56) * 0x9e3779b97f4a7c15ull >> 40) &
		   (CACHE_SLOTS - 1);
	struct code_key *k = &g->keys[h];
	struct code_slot *e = &g->cache[h];
	if (!k->used || k->linear != linear || k->cr3 != cr3 || k->paging != paging) {
		*k = (struct code_key){ linear, cr3, 1, paging };
		e->bits = bits;
		fill(g, e, s, m, rip, linear);
	}
	return &e->info;
}

const struct code_info *guest_code_at(struct guest_code *g, const struct xt_state *s)
{
	return guest_code_at_rip(g, s, s->regs.rip);
}

bool guest_code_line(struct guest_code *g, uint64_t linear, char *buf, size_t size)
{
	const char *file;
	int line;
	buf[0] = 0;
	if (!symtab_line(g->syms, linear, &file, &line))
		return false;
	const char *base = strrchr(file, '/');
	snprintf(buf, size, "%s:%d", base ? base + 1 : file, line);
	return true;
}

struct symtab *guest_code_symbols(struct guest_code *g)
{
	return g->syms;
}

const char *guest_code_symbols_source(const struct guest_code *g)
{
	return g->syms_source;
}

char *put_code(char *p, const struct code_info *ci)
{
	memcpy(p, ci->text, ci->text_len);
	return p + ci->text_len;
}

/* "<sym> insn" or "<sym> (why there is none)": symbols.c bounds the name, Zydis the text. */
static char *put_text(char *p, const struct code_info *ci)
{
	size_t n;
	if (*ci->sym) {
		*p++ = '<';
		n = strlen(ci->sym);
		memcpy(p, ci->sym, n);
		p += n;
		*p++ = '>';
		*p++ = ' ';
	}
	if (ci->none) {
		*p++ = '(';
		n = strlen(ci->none);
		memcpy(p, ci->none, n);
		p += n;
		*p++ = ')';
		return p;
	}
	n = strlen(ci->insn);
	memcpy(p, ci->insn, n);
	return p + n;
}

/* The slot ci lives in, or NULL if ci is not (or no longer) a slot's. */
static struct code_slot *slot_of(struct guest_code *g, const struct code_info *ci)
{
	/* as integers: ci may be a copy elsewhere (code_keep), which C does not let pointers compare with */
	uintptr_t p = (uintptr_t)ci, first = (uintptr_t)&g->cache[0].info;
	if (p < first || p > (uintptr_t)&g->cache[CACHE_SLOTS - 1].info)
		return NULL;
	size_t i = (size_t)((p - first) / sizeof(struct code_slot));
	if (&g->cache[i].info != ci || g->keys[i].linear != ci->linear)
		return NULL;
	return &g->cache[i];
}

void json_code(FILE *o, struct guest_code *g, const struct code_info *ci)
{
	char buf[256];
	const char *line = NULL;
	struct code_slot *e = slot_of(g, ci);
	if (e) {
		/* DWARF is asked once per cached RIP: a JSON dump has one at every step */
		if (!e->line_known)
			e->line_known = guest_code_line(g, ci->linear, e->line, sizeof(e->line)) ? 2 : 1;
		line = e->line_known == 2 ? e->line : NULL;
	} else if (guest_code_line(g, ci->linear, buf, sizeof(buf))) {
		line = buf;
	}
	if (*ci->sym)
		fprintf(o, ",\"sym\":\"%s\"", ci->sym);	/* symbols.c lets no quote or control through */
	if (ci->none) {
		fprintf(o, ",\"insn\":null,\"no_insn\":\"%s\"", ci->none);
	} else {
		fprintf(o, ",\"insn\":\"%s\",\"insn_bytes\":\"", ci->insn);
		for (unsigned i = 0; i < ci->len; i++)
			fprintf(o, "%02x", ci->bytes[i]);
		fputs("\",\"code\":\"initial\"", o);
	}
	if (line) {
		fputs(",\"line\":", o);
		json_str(o, line);
	}
}

void code_keep(struct code_kept *k, const struct code_info *ci)
{
	k->info = *ci;
	snprintf(k->insn, sizeof(k->insn), "%s", ci->insn);
	snprintf(k->sym, sizeof(k->sym), "%s", ci->sym);
	memcpy(k->text, ci->text, ci->text_len);
	k->info.insn = k->insn;
	k->info.sym = k->sym;
	k->info.text = k->text;
}

void guest_code_mark_changed(struct guest_code *g, const struct code_info *ci)
{
	struct code_slot *e = slot_of(g, ci);
	if (!e || ci->none)
		return;
	/* len, bits and branch stay as decoded: the caller may still judge by them */
	e->info.none = "initial memory disagrees with what ran: the code may have changed since step 0";
	char *end = put_text(e->text, &e->info);
	*end = 0;
	e->info.text_len = (uint16_t)(end - e->text);
}
