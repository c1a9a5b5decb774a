/* SPDX-License-Identifier: MIT */
/*
 * The built-in scenarios: small guests (freestanding C and asm in guests/,
 * built by meson and embedded in the binary) with the recorder options
 * each one needs.  `exitrace scenarios` lists them; `exitrace record
 * --scenario NAME` applies them, and the user's own options on top.
 */
#ifndef XT_SCENARIOS_H
#define XT_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scenario_bp {
	const char *symbol;	/* a label in the guest */
	uint32_t rw;		/* 0 execute, 1 write, 3 read/write */
	uint32_t len;
};

struct scenario {
	const char *name;
	const char *summary;
	const uint8_t *image;	/* a static ELF */
	size_t size;
	uint32_t irqchip;	/* enum xt_irqchip */
	bool idt;		/* exitrace's default IDT (--idt) */
	bool sw_bp;		/* KVM_GUESTDBG_USE_SW_BP */
	bool block_irq;
	struct scenario_bp hw_bp[4];
	size_t n_hw_bp;
	const char *irqs[4];	/* --irq specs */
	size_t n_irqs;
	uint64_t max_steps;	/* a bound in case the guest misbehaves */
	uint64_t timeout_ms;	/* and one for a vCPU that blocks inside KVM_RUN */
	uint32_t capture;	/* XT_CAPTURE_* sets beyond the default */
	uint32_t vcpus;		/* 0: one */
};

const struct scenario *scenario_find(const char *name);
/* All scenarios, in listing order; returns the count. */
size_t scenario_all(const struct scenario **out);

#endif
