/* SPDX-License-Identifier: MIT */
/*
 * Guest loaders: flat binaries, static ELF64 / ELF32, multiboot v1.  Each
 * checks the whole image against guest memory before writing anything, so
 * a guest that does not fit or is malformed fails before it runs.
 */
#ifndef XT_LOADER_H
#define XT_LOADER_H

#include "kvm_vm.h"

struct guest_symbol {
	char *name;
	uint64_t addr;
};

struct guest_image {
	const char *name;
	const uint8_t *data;
	size_t size;

	/* filled by loader_load() */
	const char *kind;	/* "flat", "elf64", "elf32", "multiboot" */
	uint32_t mode;		/* the CPU mode to enter */
	uint64_t load_addr, entry;
	bool multiboot;
	struct guest_symbol *syms;
	size_t n_syms;
};

struct load_options {
	uint32_t mode;		/* flat images: the mode (0: long) */
	bool have_load, have_entry;
	uint64_t load_addr, entry;	/* flat images; --entry also overrides ELF */
	const char *append;	/* multiboot command line */
};

/* Load img into vm's memory.  0 or -errno (-ENOEXEC: malformed, -EFBIG: does not fit). */
int loader_load(struct kvm_vm *vm, struct guest_image *img, const struct load_options *o,
		struct xt_error *err);

/* Set EAX/EBX for a multiboot kernel after cpu_setup(), writing the info block. */
int loader_multiboot_regs(struct kvm_vm *vm, const struct guest_image *img,
			  const struct load_options *o, struct xt_error *err);

/* An ELF symbol's address, or false. */
bool loader_symbol(const struct guest_image *img, const char *name, uint64_t *addr);

void loader_free(struct guest_image *img);

#endif
