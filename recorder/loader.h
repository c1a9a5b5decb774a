/* SPDX-License-Identifier: MIT */
/*
 * Guest loaders: flat binaries, static ELF64 / ELF32, multiboot v1.  Each
 * checks the whole image against guest memory before writing anything, so
 * a guest that does not fit or is malformed fails before it runs.
 */
#ifndef XT_LOADER_H
#define XT_LOADER_H

#include "kvm_vm.h"

struct guest_image {
	const char *name;
	const uint8_t *data;
	size_t size;

	/* filled by loader_load() */
	const char *kind;	/* "flat", "elf64", "elf32", "multiboot" */
	uint32_t mode;		/* the CPU mode to enter */
	uint64_t load_addr, entry;
	uint64_t end;		/* one past the highest byte loaded (bss included) */
	/* every range loaded (bss included): an ELF's segments need be neither in order nor adjacent */
	struct guest_range { uint64_t gpa, len; } *ranges;
	size_t n_ranges;
	bool multiboot;
	char *cmdline;		/* the multiboot command line the kernel got (loader_multiboot_regs) */
	bool elf;		/* loaded as an ELF file: loader_symbol() reads its symbol table */
};

#define LOADER_MODULES_MAX 16

/* A multiboot module: a file the boot loader puts in memory for the kernel (an initrd). */
struct boot_module {
	const char *name;
	const uint8_t *data;
	size_t size;
	const char *cmdline;	/* its string in the module list; NULL: its name */
	uint64_t addr;		/* where loader_multiboot_regs() put it */
};

struct load_options {
	uint32_t mode;		/* flat images: the mode (0: long) */
	bool have_load, have_entry;
	uint64_t load_addr, entry;	/* flat images; --entry also overrides ELF */
	/*
	 * The multiboot command line, as boot loaders (GRUB, QEMU's -kernel)
	 * write it: the kernel's name, then append.  cmdline, if set, is the
	 * whole line instead.
	 */
	const char *append;
	const char *cmdline;
	struct boot_module *modules;
	size_t n_modules;
};

/* Load img into vm's memory.  0 or -errno (-ENOEXEC: malformed, -EFBIG: does not fit). */
int loader_load(struct kvm_vm *vm, struct guest_image *img, const struct load_options *o,
		struct xt_error *err);

/*
 * Set EAX/EBX for a multiboot kernel after cpu_setup(), writing the info
 * block, and put its modules in memory, page-aligned above the kernel
 * (o->modules[i].addr says where).
 */
int loader_multiboot_regs(struct kvm_vm *vm, struct guest_image *img,
			  const struct load_options *o, struct xt_error *err);

/* Did loader_load() put any byte of img in [base, base + len)? */
bool loader_loaded_in(const struct guest_image *img, uint64_t base, uint64_t len);

/* An ELF symbol's address, read from img->data (which must still be there), or false. */
bool loader_symbol(const struct guest_image *img, const char *name, uint64_t *addr);

void loader_free(struct guest_image *img);

#endif
