// SPDX-License-Identifier: MIT
/*
 * Symbols through elfutils: libelf walks the symbol table, libdw answers
 * file:line.  The ELF is opened from memory (elf_memory) because the trace
 * carries it, not a file.
 */
#include <fcntl.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols.h"

struct sym {
	uint64_t addr, size;
	const char *name;	/* into t->image's string table */
	bool func, global;
};

struct symtab {
	uint8_t *image;		/* our copy: the Elf and the names point into it */
	Elf *elf;
	Dwarf *dw;		/* NULL: no DWARF (or not opened yet) */
	bool dw_tried;		/* opened on the first question: most commands never ask */
	struct sym *v;
	size_t n;
};

/* A symbol of code: a function or an assembler label, never a section, file or data name. */
static bool code_symbol(const GElf_Sym *s, const char *name)
{
	int type = GELF_ST_TYPE(s->st_info);
	if (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS || !name || !*name)
		return false;
	if (name[0] == '.' && name[1] == 'L')
		return false;	/* the assembler's local labels */
	/*
	 * The ELF comes from a trace, which may be hostile: a name is printed
	 * as it is everywhere, so only printable ASCII without quotes passes
	 * (what C and assembler names are).
	 */
	for (const char *p = name; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			return false;
	return type == STT_FUNC || type == STT_NOTYPE;
}

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address the name a reader knows wins: global before local, function before label */
	if (x->global != y->global)
		return x->global ? 1 : -1;
	if (x->func != y->func)
		return x->func ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int read_symbols(struct symtab *t)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(t->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		size_t count = sh.sh_size / sh.sh_entsize;
		t->v = calloc(count ? count : 1, sizeof(*t->v));
		if (!t->v)
			return -ENOMEM;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s))
				continue;
			const char *name = elf_strptr(t->elf, sh.sh_link, s.st_name);
			if (!code_symbol(&s, name))
				continue;
			t->v[t->n++] = (struct sym){ s.st_value, s.st_size, name,
						     GELF_ST_TYPE(s.st_info) == STT_FUNC,
						     GELF_ST_BIND(s.st_info) != STB_LOCAL };
		}
		break;
	}
	if (!t->n)
		return -ENOENT;
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
	return 0;
}

/* t->image holds size bytes: the Elf and its symbols, or NULL (t freed). */
static struct symtab *open_image(struct symtab *t, size_t size)
{
	elf_version(EV_CURRENT);
	t->elf = elf_memory((char *)t->image, size);
	if (!t->elf || elf_kind(t->elf) != ELF_K_ELF || read_symbols(t) < 0) {
		symtab_free(t);
		return NULL;
	}
	return t;
}

struct symtab *symtab_from_image(const uint8_t *data, size_t size)
{
	if (!data || size < 4 || memcmp(data, "\177ELF", 4))
		return NULL;
	struct symtab *t = calloc(1, sizeof(*t));
	if (!t || !(t->image = malloc(size))) {
		free(t);
		return NULL;
	}
	memcpy(t->image, data, size);
	return open_image(t, size);
}

struct symtab *symtab_from_file(const char *path, char *msg, size_t msg_size)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* a FIFO or device would be waited on or read for ever: regular files only */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msg_size, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	/*
	 * Read once into the buffer the symbols keep, after the magic: a
	 * 4 GiB sparse file of zeros took 4 GiB and 17 s to be refused, and
	 * an ELF was held twice (read, then copied).  Not mapped: a file cut
	 * short under a mapping is SIGBUS, under read() a short read.
	 */
	size_t size = (size_t)st.st_size, got = 0;
	char magic[4];
	struct symtab *t = NULL;
	uint8_t *buf = NULL;
	if (size >= 4 && pread(fd, magic, 4, 0) == 4 && !memcmp(magic, "\177ELF", 4))
		buf = malloc(size);
	while (buf && got < size) {
		ssize_t k = pread(fd, buf + got, size - got, (off_t)got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (buf && got == size && (t = calloc(1, sizeof(*t)))) {
		t->image = buf;	/* the symbols' now */
		t = open_image(t, size);
	} else {
		free(buf);
	}
	if (!t)
		snprintf(msg, msg_size, "%s: not an ELF file with a symbol table", path);
	return t;
}

void symtab_free(struct symtab *t)
{
	if (!t)
		return;
	if (t->dw)
		dwarf_end(t->dw);
	if (t->elf)
		elf_end(t->elf);
	free(t->v);
	free(t->image);
	free(t);
}

/* An address this far past a label with no size is taken to be in no symbol. */
#define UNSIZED_REACH 0x100000

bool symtab_lookup(const struct symtab *t, uint64_t addr, const char **name, uint64_t *off)
{
	if (!t || !t->n || addr < t->v[0].addr)
		return false;
	size_t lo = 0, hi = t->n;	/* the last symbol at or below addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* the best-named of the symbols at that address sorts last */
	const struct sym *s = &t->v[lo];
	uint64_t d = addr - s->addr;
	if ((s->size && d >= s->size && s->func) || (!s->size && d >= UNSIZED_REACH))
		return false;
	*name = s->name;
	*off = d;
	return true;
}

bool symtab_find(const struct symtab *t, const char *name, uint64_t *addr, uint64_t *end)
{
	for (size_t i = 0; t && i < t->n; i++) {
		if (strcmp(t->v[i].name, name))
			continue;
		*addr = t->v[i].addr;
		*end = t->v[i].size ? t->v[i].addr + t->v[i].size : t->v[i].addr + 1;
		if (!t->v[i].size)	/* a label reaches to the next symbol */
			for (size_t j = i + 1; j < t->n; j++)
				if (t->v[j].addr > t->v[i].addr) {
					*end = t->v[j].addr;
					break;
				}
		return true;
	}
	return false;
}

bool symtab_line(struct symtab *t, uint64_t addr, const char **file, int *line)
{
	Dwarf_Die cu;
	if (t && !t->dw_tried) {
		t->dw_tried = true;
		t->dw = dwarf_begin_elf(t->elf, DWARF_C_READ, NULL);	/* NULL: no DWARF, symbols only */
	}
	if (!t || !t->dw || !dwarf_addrdie(t->dw, addr, &cu))
		return false;
	Dwarf_Line *l = dwarf_getsrc_die(&cu, addr);
	if (!l || dwarf_lineno(l, line) != 0)
		return false;
	*file = dwarf_linesrc(l, NULL, NULL);
	return *file != NULL;
}

bool symtab_has_lines(struct symtab *t)
{
	const char *file;
	int line;
	if (t && !t->dw_tried)
		symtab_line(t, 0, &file, &line);	/* opens the DWARF */
	return t && t->dw;
}
