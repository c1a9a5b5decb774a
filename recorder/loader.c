// SPDX-License-Identifier: MIT
/*
 * Loaders.  Every offset and size read from an image is checked against the
 * image and against guest memory before a byte is copied.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpu_setup.h"
#include "loader.h"
#include "rec_util.h"

#define MB_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_SEARCH 8192u
#define MB_PAGE_ALIGN (1u << 0)
#define MB_MEMORY_INFO (1u << 1)
#define MB_AOUT_KLUDGE (1u << 16)

struct segment {
	uint64_t gpa, file_off, filesz, memsz;
};

static int fits(struct kvm_vm *vm, const struct guest_image *img, uint64_t gpa, uint64_t len,
		struct xt_error *err)
{
	uint64_t limit = sys_area_base(vm);
	if (gpa > limit || len > limit - gpa)
		return rec_err(err, -EFBIG,
			       "%s: a range of 0x%llx bytes at 0x%llx does not fit in %llu MiB of guest memory "
			       "(exitrace keeps the top 64 KiB; try a larger --mem)",
			       img->name, (unsigned long long)len, (unsigned long long)gpa,
			       (unsigned long long)(vm->mem_size >> 20));
	return 0;
}

static int place(struct kvm_vm *vm, struct guest_image *img, const struct segment *s,
		 size_t n, struct xt_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].filesz > s[i].memsz || s[i].file_off > img->size ||
		    s[i].filesz > img->size - s[i].file_off)
			return rec_err(err, -ENOEXEC, "%s: segment %zu lies outside the file", img->name, i);
		int rc = fits(vm, img, s[i].gpa, s[i].memsz, err);
		if (rc)
			return rc;
	}
	struct guest_range *r = realloc(img->ranges, (img->n_ranges + n) * sizeof(*r));
	if (!r)
		return rec_err(err, -ENOMEM, "out of memory");
	img->ranges = r;
	for (size_t i = 0; i < n; i++) {
		r[img->n_ranges++] = (struct guest_range){ s[i].gpa, s[i].memsz };
		if (s[i].gpa + s[i].memsz > img->end)
			img->end = s[i].gpa + s[i].memsz;
		memcpy(vm->mem + s[i].gpa, img->data + s[i].file_off, s[i].filesz);
		memset(vm->mem + s[i].gpa + s[i].filesz, 0, s[i].memsz - s[i].filesz);
	}
	return 0;
}

/* Read the ELF program and section headers of either class into common form. */
struct elf_view {
	bool is64;
	uint64_t entry, phoff, shoff;
	unsigned phnum, phentsize, shnum, shentsize;
};

static int elf_view(const struct guest_image *img, struct elf_view *v, struct xt_error *err)
{
	const uint8_t *d = img->data;
	if (img->size < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG))
		return rec_err(err, -ENOEXEC, "%s: not an ELF file", img->name);
	if (d[EI_DATA] != ELFDATA2LSB)
		return rec_err(err, -ENOEXEC, "%s: not a little-endian ELF file", img->name);
	if (d[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr e;
		if (img->size < sizeof(e))
			return rec_err(err, -ENOEXEC, "%s: ELF header cut short", img->name);
		memcpy(&e, d, sizeof(e));
		if (e.e_machine != EM_X86_64)
			return rec_err(err, -ENOEXEC, "%s: ELF64 for machine %u, not x86-64", img->name,
				       e.e_machine);
		*v = (struct elf_view){ true, e.e_entry, e.e_phoff, e.e_shoff, e.e_phnum,
					e.e_phentsize, e.e_shnum, e.e_shentsize };
		if (v->phnum && v->phentsize < sizeof(Elf64_Phdr))
			return rec_err(err, -ENOEXEC, "%s: bad program header size", img->name);
	} else if (d[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr e;
		if (img->size < sizeof(e))
			return rec_err(err, -ENOEXEC, "%s: ELF header cut short", img->name);
		memcpy(&e, d, sizeof(e));
		if (e.e_machine != EM_386)
			return rec_err(err, -ENOEXEC, "%s: ELF32 for machine %u, not i386", img->name,
				       e.e_machine);
		*v = (struct elf_view){ false, e.e_entry, e.e_phoff, e.e_shoff, e.e_phnum,
					e.e_phentsize, e.e_shnum, e.e_shentsize };
		if (v->phnum && v->phentsize < sizeof(Elf32_Phdr))
			return rec_err(err, -ENOEXEC, "%s: bad program header size", img->name);
	} else {
		return rec_err(err, -ENOEXEC, "%s: unknown ELF class %u", img->name, d[EI_CLASS]);
	}
	if (v->phoff > img->size || (uint64_t)v->phnum * v->phentsize > img->size - v->phoff)
		return rec_err(err, -ENOEXEC, "%s: program headers lie outside the file", img->name);
	return 0;
}

static int elf_segments(const struct guest_image *img, const struct elf_view *v,
			struct segment **out, size_t *n, struct xt_error *err)
{
	struct segment *s = calloc(v->phnum ? v->phnum : 1, sizeof(*s));
	if (!s)
		return rec_err(err, -ENOMEM, "out of memory");
	size_t k = 0;
	for (unsigned i = 0; i < v->phnum; i++) {
		const uint8_t *p = img->data + v->phoff + (uint64_t)i * v->phentsize;
		if (v->is64) {
			Elf64_Phdr ph;
			memcpy(&ph, p, sizeof(ph));
			if (ph.p_type == PT_LOAD)
				s[k++] = (struct segment){ ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz };
		} else {
			Elf32_Phdr ph;
			memcpy(&ph, p, sizeof(ph));
			if (ph.p_type == PT_LOAD)
				s[k++] = (struct segment){ ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz };
		}
	}
	if (!k) {
		free(s);
		return rec_err(err, -ENOEXEC, "%s: no loadable segment", img->name);
	}
	*out = s;
	*n = k;
	return 0;
}

struct section {
	uint64_t type, off, size, link, entsize;
};

/* Section header i of either class; the caller has checked that it lies in the file. */
static struct section elf_section(const struct guest_image *img, const struct elf_view *v, uint64_t i)
{
	const uint8_t *p = img->data + v->shoff + i * v->shentsize;
	if (v->is64) {
		Elf64_Shdr sh;
		memcpy(&sh, p, sizeof(sh));
		return (struct section){ sh.sh_type, sh.sh_offset, sh.sh_size, sh.sh_link, sh.sh_entsize };
	}
	Elf32_Shdr sh;
	memcpy(&sh, p, sizeof(sh));
	return (struct section){ sh.sh_type, sh.sh_offset, sh.sh_size, sh.sh_link, sh.sh_entsize };
}

/*
 * Symbols are optional: a stripped or odd symbol table is simply not used.
 * They are looked up in the image itself, never copied: a table of a
 * million entries that all name one long string would otherwise cost a
 * million copies of it (a 1 MB ELF took 1 GB).
 */
bool loader_symbol(const struct guest_image *img, const char *name, uint64_t *addr)
{
	struct elf_view v;
	if (!img->elf || elf_view(img, &v, NULL))
		return false;
	size_t shsz = v.is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (!v.shnum || v.shentsize < shsz || v.shoff > img->size ||
	    (uint64_t)v.shnum * v.shentsize > img->size - v.shoff)
		return false;
	size_t want = strlen(name);
	for (unsigned i = 0; i < v.shnum; i++) {
		struct section tab = elf_section(img, &v, i);
		size_t symsz = v.is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
		if (tab.type != SHT_SYMTAB || tab.entsize < symsz || tab.link >= v.shnum ||
		    tab.off > img->size || tab.size > img->size - tab.off)
			continue;
		struct section str = elf_section(img, &v, tab.link);
		if (str.off > img->size || str.size > img->size - str.off)
			continue;
		size_t count = tab.size / tab.entsize;
		for (size_t j = 0; j < count; j++) {
			uint64_t at, value;
			const uint8_t *sp = img->data + tab.off + j * tab.entsize;
			if (v.is64) {
				Elf64_Sym sym;
				memcpy(&sym, sp, sizeof(sym));
				at = sym.st_name; value = sym.st_value;
			} else {
				Elf32_Sym sym;
				memcpy(&sym, sp, sizeof(sym));
				at = sym.st_name; value = sym.st_value;
			}
			/* the name and its NUL inside the string table */
			if (!at || at >= str.size || want >= str.size - at)
				continue;
			const char *s = (const char *)img->data + str.off + at;
			if (!memcmp(s, name, want + 1)) {
				*addr = value;
				return true;
			}
		}
		return false;
	}
	return false;
}

bool loader_loaded_in(const struct guest_image *img, uint64_t base, uint64_t len)
{
	for (size_t i = 0; i < img->n_ranges; i++) {
		const struct guest_range *r = &img->ranges[i];
		if (r->len && len && r->gpa < base + len && base < r->gpa + r->len)
			return true;
	}
	return false;
}

void loader_free(struct guest_image *img)
{
	free(img->ranges);
	img->ranges = NULL;
	img->n_ranges = 0;
	free(img->cmdline);
	img->cmdline = NULL;
}

static int load_elf(struct kvm_vm *vm, struct guest_image *img, struct xt_error *err)
{
	struct elf_view v = { 0 };
	struct segment *s = NULL;
	size_t n = 0;
	int rc = elf_view(img, &v, err);
	if (rc || (rc = elf_segments(img, &v, &s, &n, err)))
		return rc;
	rc = place(vm, img, s, n, err);
	if (!rc) {
		img->kind = v.is64 ? "elf64" : "elf32";
		img->mode = v.is64 ? XT_MODE_LONG : XT_MODE_PROT;
		img->entry = v.entry;
		img->load_addr = s[0].gpa;
		img->elf = true;
	}
	free(s);
	return rc;
}

/* The multiboot v1 header: its offset in the file, or -1. */
static long find_multiboot(const struct guest_image *img)
{
	size_t end = img->size < MB_SEARCH ? img->size : MB_SEARCH;
	for (size_t off = 0; off + 12 <= end; off += 4) {
		uint32_t w[3];
		memcpy(w, img->data + off, 12);
		if (w[0] == MB_MAGIC && (uint32_t)(w[0] + w[1] + w[2]) == 0)
			return (long)off;
	}
	return -1;
}

static int load_multiboot(struct kvm_vm *vm, struct guest_image *img, size_t hdr,
			  struct xt_error *err)
{
	uint32_t h[8];
	size_t have = img->size - hdr < sizeof(h) ? img->size - hdr : sizeof(h);
	memset(h, 0, sizeof(h));
	memcpy(h, img->data + hdr, have);
	uint32_t flags = h[1];
	uint32_t unsupported = flags & 0xffff & ~(MB_PAGE_ALIGN | MB_MEMORY_INFO);
	if (unsupported)
		return rec_err(err, -ENOEXEC, "%s: multiboot header requires features 0x%x exitrace does not provide (video mode or unknown)",
			       img->name, unsupported);
	img->multiboot = true;
	img->kind = "multiboot";
	img->mode = XT_MODE_PROT;
	if (!(flags & MB_AOUT_KLUDGE)) {
		int rc = load_elf(vm, img, err);
		if (rc)
			return rc;
		/* load_elf() set the mode from the ELF class */
		if (img->mode != XT_MODE_PROT)
			return rec_err(err, -ENOEXEC, "%s: a multiboot kernel must be ELF32 or give its load addresses",
				       img->name);
		img->kind = "multiboot";
		return 0;
	}
	if (have < sizeof(h))
		return rec_err(err, -ENOEXEC, "%s: multiboot header cut short", img->name);
	uint32_t header_addr = h[3], load_addr = h[4], load_end = h[5], bss_end = h[6], entry = h[7];
	if (load_addr > header_addr || header_addr - load_addr > hdr)
		return rec_err(err, -ENOEXEC, "%s: multiboot load address 0x%x is after the header at 0x%x",
			       img->name, load_addr, header_addr);
	uint64_t file_off = hdr - (header_addr - load_addr);
	uint64_t filesz = load_end ? (uint64_t)load_end - load_addr : img->size - file_off;
	if (load_end && load_end < load_addr)
		return rec_err(err, -ENOEXEC, "%s: multiboot load_end_addr before load_addr", img->name);
	uint64_t memsz = bss_end ? (uint64_t)bss_end - load_addr : filesz;
	if (memsz < filesz)
		return rec_err(err, -ENOEXEC, "%s: multiboot bss_end_addr before load_end_addr", img->name);
	struct segment s = { load_addr, file_off, filesz, memsz };
	int rc = place(vm, img, &s, 1, err);
	if (rc)
		return rc;
	img->entry = entry;
	img->load_addr = load_addr;
	return 0;
}

int loader_load(struct kvm_vm *vm, struct guest_image *img, const struct load_options *o,
		struct xt_error *err)
{
	int rc;
	/* zeroed memory runs as "add %al,(%rax)" for ever: an empty file is a mistake, not a guest */
	if (!img->size)
		return rec_err(err, -ENOEXEC, "%s is empty: no guest to run", img->name);
	long mb = find_multiboot(img);
	bool elf = img->size >= SELFMAG && !memcmp(img->data, ELFMAG, SELFMAG);
	if (o->have_load) {
		img->kind = "flat";
		img->mode = o->mode ? o->mode : XT_MODE_LONG;
		img->load_addr = o->load_addr;
		img->entry = o->load_addr;
		struct segment s = { o->load_addr, 0, img->size, img->size };
		rc = place(vm, img, &s, 1, err);
	} else if (mb >= 0) {
		rc = load_multiboot(vm, img, (size_t)mb, err);
	} else if (elf) {
		rc = load_elf(vm, img, err);
	} else {
		return rec_err(err, -ENOEXEC,
			       "%s is neither ELF nor multiboot: give --load ADDR for a flat binary",
			       img->name);
	}
	if (rc)
		return rc;
	if (o->have_entry)
		img->entry = o->entry;
	if (img->mode == XT_MODE_REAL && img->entry >= (1u << 20))
		return rec_err(err, -EINVAL, "%s: real mode entry 0x%llx is above 1 MiB", img->name,
			       (unsigned long long)img->entry);
	if (img->entry >= vm->mem_size)
		return rec_err(err, -EINVAL, "%s: entry 0x%llx is outside guest memory", img->name,
			       (unsigned long long)img->entry);
	return 0;
}

/* The MBI area (cpu_setup.h's SYS_MBI_*): where each part of the information block goes */
#define MBI_MMAP 0x80u
#define MBI_NAME 0x100u
#define MBI_CMDLINE 0x200u
#define MBI_MODS 0x1000u	/* LOADER_MODULES_MAX entries of 16 bytes */
#define MBI_MOD_STRINGS 0x1100u
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_INFO_NAME (1u << 9)

static char *multiboot_cmdline(const struct guest_image *img, const struct load_options *o)
{
	if (o->cmdline)
		return strdup(o->cmdline);
	if (!o->append || !o->append[0])
		return strdup(img->name);
	size_t n = strlen(img->name) + 1 + strlen(o->append) + 1;
	char *line = malloc(n);
	if (line)
		snprintf(line, n, "%s %s", img->name, o->append);
	return line;
}

/* Modules page-aligned from the kernel's end up, their list and strings in the MBI area. */
static int place_modules(struct kvm_vm *vm, struct guest_image *img, const struct load_options *o,
			 uint8_t *mbi, struct xt_error *err)
{
	if (o->n_modules > LOADER_MODULES_MAX)
		return rec_err(err, -E2BIG, "%zu multiboot modules; at most %d", o->n_modules, LOADER_MODULES_MAX);
	/*
	 * From 1 MiB at least: below it lie the VGA and BIOS areas and the
	 * ACPI tables, which the memory map does not give the kernel.
	 */
	uint64_t at = ((img->end > 0x100000 ? img->end : 0x100000) + 4095) & ~4095ull;
	size_t str = MBI_MOD_STRINGS;
	for (size_t i = 0; i < o->n_modules; i++) {
		struct boot_module *m = &o->modules[i];
		const char *s = m->cmdline ? m->cmdline : m->name;
		size_t sl = strlen(s) + 1;
		if (sl > SYS_MBI_SIZE - str)
			return rec_err(err, -E2BIG, "the multiboot modules' strings take more than %u bytes",
				       SYS_MBI_SIZE - MBI_MOD_STRINGS);
		struct guest_image as_image = { .name = m->name };
		int rc = fits(vm, &as_image, at, m->size, err);
		if (rc)
			return rc;
		/* the page under exitrace's area holds the initial stack */
		if (at + m->size > sys_area_base(vm) - 4096)
			return rec_err(err, -EFBIG, "%s: the module does not fit below the initial stack "
				       "(try a larger --mem)", m->name);
		memcpy(vm->mem + at, m->data, m->size);
		m->addr = at;
		uint32_t entry[4] = { (uint32_t)at, (uint32_t)(at + m->size),
				      (uint32_t)(sys_area_base(vm) + SYS_MBI_OFFSET + str), 0 };
		memcpy(mbi + MBI_MODS + 16 * i, entry, sizeof(entry));
		memcpy(mbi + str, s, sl);
		str += sl;
		at = (at + m->size + 4095) & ~4095ull;
	}
	return 0;
}

int loader_multiboot_regs(struct kvm_vm *vm, struct guest_image *img,
			  const struct load_options *o, struct xt_error *err)
{
	if (!img->multiboot)
		return 0;
	uint64_t mbi = sys_area_base(vm) + SYS_MBI_OFFSET;
	uint8_t *p = vm->mem + mbi;
	free(img->cmdline);
	img->cmdline = multiboot_cmdline(img, o);
	if (!img->cmdline)
		return rec_err(err, -ENOMEM, "out of memory");
	size_t cl = strlen(img->cmdline);
	if (cl + 1 > MBI_MODS - MBI_CMDLINE)
		return rec_err(err, -E2BIG, "the multiboot command line is %zu bytes; at most %u", cl,
			       MBI_MODS - MBI_CMDLINE - 1);
	memset(p, 0, SYS_MBI_SIZE);
	int rc = place_modules(vm, img, o, p, err);
	if (rc)
		return rc;
	uint64_t sys = sys_area_base(vm);
	uint32_t info[24] = { 0 };
	info[0] = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_NAME;
	/* with --mem near 1 MiB exitrace's area starts below 1 MiB: no memory above it, not 4 TiB */
	uint64_t upper = sys > 0x100000 ? sys - 0x100000 : 0;
	info[1] = 640;
	info[2] = (uint32_t)(upper / 1024);
	info[4] = (uint32_t)(mbi + MBI_CMDLINE);
	if (o->n_modules) {
		info[0] |= MB_INFO_MODS;
		info[5] = (uint32_t)o->n_modules;
		info[6] = (uint32_t)(mbi + MBI_MODS);
	}
	/* mmap: usable low memory, usable RAM above 1 MiB (if any), exitrace's reserved top */
	struct __attribute__((packed)) mb_mmap { uint32_t size; uint64_t base, len; uint32_t type; } map[3];
	size_t n_map = 0;
	map[n_map++] = (struct mb_mmap){ 20, 0, 0xa0000, 1 };
	if (upper)
		map[n_map++] = (struct mb_mmap){ 20, 0x100000, upper, 1 };
	map[n_map++] = (struct mb_mmap){ 20, sys, SYS_AREA_SIZE, 2 };
	size_t map_size = n_map * sizeof(map[0]);
	memcpy(p + MBI_MMAP, map, map_size);
	info[11] = (uint32_t)map_size;
	info[12] = (uint32_t)(mbi + MBI_MMAP);
	info[16] = (uint32_t)(mbi + MBI_NAME);
	memcpy(p, info, sizeof(info));
	memcpy(p + MBI_NAME, "exitrace", 9);
	memcpy(p + MBI_CMDLINE, img->cmdline, cl + 1);

	struct kvm_regs regs;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return rec_err(err, -errno, "KVM_GET_REGS: %s", strerror(errno));
	regs.rax = MB_BOOT_MAGIC;
	regs.rbx = mbi;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return rec_err(err, -errno, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}
