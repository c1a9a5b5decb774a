// SPDX-License-Identifier: MIT
/*
 * The built-in scenarios: each guest in guests/ with the recorder options
 * it needs.  A scenario's guest sets up its own GDT, IDT and local APIC, so
 * none asks for exitrace's default IDT.  The guests' labels named here
 * (hw_bp0, wp_data0, ...) are their ELF symbols; port 0x81 is the doorbell
 * a guest writes to have an IRQ injected (guests/rt/rt.h).
 */
#include <string.h>

#include "exitrace.h"
#include "guest_images.h"
#include "scenarios.h"

#define IMAGE(name) .image = guest_image_##name, .size = sizeof(guest_image_##name)
/* none needs more than a fraction of a second; a HLT that never wakes must not hang a test */
#define TIMEOUT_MS 60000

static const struct scenario scenarios[] = {
	{
		.name = "sti-irq",
		.summary = "IRQ pending while IF=0, then STI: taken after the next instruction (try --block-irq)",
		IMAGE(sti_irq),
		.irqchip = XT_IRQCHIP_KERNEL,
		.irqs = { "0x30@io:0x81" },
		.n_irqs = 1,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "sti-irq-noidt",
		.summary = "the seed case: sti-irq without an IDT, the IRQ's arrival shuts the vCPU down",
		IMAGE(sti_irq_noidt),
		.irqchip = XT_IRQCHIP_KERNEL,
		.irqs = { "0x30@io:0x81" },
		.n_irqs = 1,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "mov-ss",
		.summary = "single-step over MOV SS, whose shadow holds the #DB for one instruction",
		IMAGE(mov_ss),
		.irqchip = XT_IRQCHIP_KERNEL,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "popf-if",
		.summary = "PUSHF; BTS $9; POPF sets IF without a shadow: a pending self-IPI is taken at once",
		IMAGE(popf_if),
		.irqchip = XT_IRQCHIP_KERNEL,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "sw-bp",
		.summary = "INT3 with KVM_GUESTDBG_USE_SW_BP: a DEBUG exit with exception 3 at the INT3",
		IMAGE(sw_bp),
		.irqchip = XT_IRQCHIP_KERNEL,
		.sw_bp = true,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "hw-bp",
		.summary = "execute breakpoints in DR0-DR3 (KVM_GUESTDBG_USE_HW_BP), each passed twice",
		IMAGE(hw_bp),
		.irqchip = XT_IRQCHIP_KERNEL,
		.hw_bp = { { "hw_bp0", 0, 1 }, { "hw_bp1", 0, 1 }, { "hw_bp2", 0, 1 }, { "hw_bp3", 0, 1 } },
		.n_hw_bp = 4,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "watchpoint",
		.summary = "data-write breakpoints in DR0-DR3 on four 8-byte variables, each written once",
		IMAGE(watchpoint),
		.irqchip = XT_IRQCHIP_KERNEL,
		.hw_bp = { { "wp_data0", 1, 8 }, { "wp_data1", 1, 8 }, { "wp_data2", 1, 8 },
			   { "wp_data3", 1, 8 } },
		.n_hw_bp = 4,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "dr7-gd",
		.summary = "DR7.GD set, then MOV to DR0: #DB with DR6.BD through the guest's IDT",
		IMAGE(dr7_gd),
		.irqchip = XT_IRQCHIP_KERNEL,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
		.capture = XT_CAPTURE_DEBUGREGS,
	},
	{
		.name = "lapic-timer",
		.summary = "periodic local APIC timer, 1 ms, waking a HLT loop: five interrupts, each EOIed "
			   "(wall-clock timed: does not replay identically)",
		IMAGE(lapic_timer),
		.irqchip = XT_IRQCHIP_KERNEL,
		.max_steps = 1000000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "exceptions",
		.summary = "#UD, #GP(0x50), #PF (write, CR2 4 GiB) and #DE through the guest's IDT",
		IMAGE(exceptions),
		.irqchip = XT_IRQCHIP_KERNEL,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "io-mmio-cpuid-rdtsc-hlt",
		.summary = "the everyday exits: port I/O, serial, MMIO, CPUID, RDTSC, STI; HLT woken by an IRQ",
		IMAGE(io_mmio_cpuid_rdtsc_hlt),
		.irqchip = XT_IRQCHIP_KERNEL,
		.irqs = { "0x32@io:0x81" },
		.n_irqs = 1,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "ipi",
		.summary = "2 vCPUs: vCPU 0 starts vCPU 1 (INIT, SIPI), then sends it IPI 0xf0 while its IF=0: taken after STI's shadow",
		IMAGE(ipi),
		.irqchip = XT_IRQCHIP_KERNEL,
		.vcpus = 2,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "init-sipi",
		.summary = "2 vCPUs: vCPU 1 started by INIT and SIPI, halted, put back to wait-for-SIPI by INIT, started again",
		IMAGE(init_sipi),
		.irqchip = XT_IRQCHIP_KERNEL,
		.vcpus = 2,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{
		.name = "ipi-hlt",
		.summary = "2 vCPUs: vCPU 1 executes STI; HLT and vCPU 0's IPI 0xf0 wakes it into its handler",
		IMAGE(ipi_hlt),
		.irqchip = XT_IRQCHIP_KERNEL,
		.vcpus = 2,
		.max_steps = 20000,
		.timeout_ms = TIMEOUT_MS,
	},
	{ 0 },
};

const struct scenario *scenario_find(const char *name)
{
	for (size_t i = 0; scenarios[i].name; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

size_t scenario_all(const struct scenario **out)
{
	*out = scenarios;
	size_t n = 0;
	while (scenarios[n].name)
		n++;
	return n;
}
