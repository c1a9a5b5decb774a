// SPDX-License-Identifier: MIT
/* Names of the format's enumerations, as dump, diff and --json print them. */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "xt_records.h"

#ifndef XT_VERSION
#define XT_VERSION "0.0.0"
#endif

#define NAME_OF(table, v)                                                      \
	((v) < sizeof(table) / sizeof(table[0]) && table[v] ? table[v] : "unknown")

static const char *const end_names[] = {
	[XT_END_UNKNOWN] = "unknown",
	[XT_END_HLT] = "hlt",
	[XT_END_DEBUG_EXIT] = "debug-exit",
	[XT_END_SHUTDOWN] = "shutdown",
	[XT_END_FAIL_ENTRY] = "fail-entry",
	[XT_END_INTERNAL_ERROR] = "internal-error",
	[XT_END_RUN_ERROR] = "run-error",
	[XT_END_MAX_STEPS] = "max-steps",
	[XT_END_TIMEOUT] = "timeout",
	[XT_END_SIGNAL] = "signal",
	[XT_END_SYSTEM_EVENT] = "system-event",
	[XT_END_UNHANDLED_EXIT] = "unhandled-exit",
	[XT_END_IO_ERROR] = "io-error",
};
_Static_assert(sizeof(end_names) / sizeof(end_names[0]) == XT_END_REASON_LIMIT,
	       "end reason names out of step with enum xt_end_reason");

static const char *const event_names[] = {
	[XT_EV_IRQ_INJECT] = "irq-inject",
	[XT_EV_IRQ_TAKEN] = "irq-taken",
	[XT_EV_CONSOLE] = "console",
	[XT_EV_INPUT] = "input",
	[XT_EV_KTRACE] = "ktrace",
	[XT_EV_NOTE] = "note",
	[XT_EV_STATS] = "stats",
	[XT_EV_IPI] = "ipi",
	[XT_EV_MP_STATE] = "mp-state",
};
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) == XT_EV_KIND_LIMIT,
	       "event names out of step with enum xt_event_kind");

static const char *const taken_types[] = {
	[XT_TAKEN_EXTERNAL] = "external", [XT_TAKEN_NMI] = "nmi",
	[XT_TAKEN_EXCEPTION] = "exception", [XT_TAKEN_SOFTWARE] = "software",
};
static const char *const outcomes[] = {
	[XT_TAKEN_HANDLER] = "handler", [XT_TAKEN_SHUTDOWN] = "shutdown",
	[XT_TAKEN_FAILED] = "failed",
};
static const char *const methods[] = {
	[XT_INJECT_INTERRUPT] = "kvm-interrupt", [XT_INJECT_MSI] = "msi",
	[XT_INJECT_NMI] = "nmi", [XT_INJECT_PIT] = "pit",
};
/* KVM_MP_STATE_* (x86's) */
static const char *const mp_states[] = {
	"runnable", "uninitialized", "init-received", "halted", "sipi-received",
};
static const char *const icr_modes[] = {
	"fixed", "lowest-priority", "smi", NULL, "nmi", "init", "startup", NULL,
};
static const char *const icr_shorthands[] = { "none", "self", "all", "all-but-self" };
static const char *const inputs[] = {
	[XT_INPUT_RDTSC] = "rdtsc", [XT_INPUT_RDTSCP] = "rdtscp",
	[XT_INPUT_RDRAND] = "rdrand", [XT_INPUT_RDSEED] = "rdseed",
	[XT_INPUT_RDPID] = "rdpid", [XT_INPUT_IN] = "in", [XT_INPUT_ANSWER] = "answer",
};
static const char *const modes[] = {
	[XT_MODE_REAL] = "real", [XT_MODE_PROT] = "prot", [XT_MODE_LONG] = "long",
};
static const char *const irqchips[] = {
	[XT_IRQCHIP_NONE] = "none", [XT_IRQCHIP_KERNEL] = "kernel",
	[XT_IRQCHIP_SPLIT] = "split",
};

size_t xt_taken_candidates_str(char *buf, size_t size, const struct xt_event *ev)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (unsigned v = 0; v < 256; v++) {
		if (!xt_taken_candidate(ev, v))
			continue;
		unsigned end = v;
		while (end < 255 && xt_taken_candidate(ev, end + 1))
			end++;
		char part[24];
		int n;
		if (end >= v + 2)
			n = snprintf(part, sizeof(part), "%s0x%x-0x%x", len ? "|" : "", v, end);
		else
			n = snprintf(part, sizeof(part), "%s0x%x", len ? "|" : "", v), end = v;
		if (len + (size_t)n < size)
			memcpy(buf + len, part, (size_t)n + 1);
		else if (len < size)
			buf[len] = 0;
		len += (size_t)n;
		v = end;
	}
	return len;
}

const char *xt_end_reason_name(uint32_t v) { return NAME_OF(end_names, v); }
const char *xt_event_kind_name(uint32_t v) { return NAME_OF(event_names, v); }
const char *xt_taken_type_name(uint32_t v) { return NAME_OF(taken_types, v); }
const char *xt_taken_outcome_name(uint32_t v) { return NAME_OF(outcomes, v); }
const char *xt_inject_method_name(uint32_t v) { return NAME_OF(methods, v); }
const char *xt_input_what_name(uint32_t v) { return NAME_OF(inputs, v); }
const char *xt_mp_state_name(uint32_t v) { return NAME_OF(mp_states, v); }
const char *xt_icr_mode_name(uint32_t v) { return NAME_OF(icr_modes, v); }
const char *xt_icr_shorthand_name(uint32_t v) { return NAME_OF(icr_shorthands, v); }
const char *xt_cpu_mode_name(uint32_t v) { return NAME_OF(modes, v); }
const char *xt_irqchip_name(uint32_t v) { return NAME_OF(irqchips, v); }

void xt_default_compare_masks(uint64_t masks[XT_FIELD_ID_LIMIT])
{
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++) {
		const struct xt_field *f = xt_field_by_id(id);
		masks[id] = f ? f->compare_mask : 0;
	}
}

const char *xt_version(void)
{
	return XT_VERSION;
}

size_t xt_guest_debug_str(char *buf, size_t size, uint32_t flags)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ KVM_GUESTDBG_ENABLE, "ENABLE" },
		{ KVM_GUESTDBG_SINGLESTEP, "SINGLESTEP" },
		{ KVM_GUESTDBG_USE_SW_BP, "USE_SW_BP" },
		{ KVM_GUESTDBG_USE_HW_BP, "USE_HW_BP" },
		{ KVM_GUESTDBG_INJECT_DB, "INJECT_DB" },
		{ KVM_GUESTDBG_INJECT_BP, "INJECT_BP" },
		{ KVM_GUESTDBG_BLOCKIRQ, "BLOCKIRQ" },
	};
	size_t len = 0;
	uint32_t rest = flags;
	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((flags & names[i].bit) && len < size) {
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "|" : "", names[i].name);
			rest &= ~names[i].bit;
		}
	}
	if (rest && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%s0x%x", len ? "|" : "", rest);
	if (!flags && size)
		len = (size_t)snprintf(buf, size, "0");
	return len;
}

struct bit_name {
	uint32_t bit;
	const char *name;
};

/* The names of the bits set in v, joined by ',' (what snprintf would return). */
static size_t bit_names(char *buf, size_t size, uint32_t v, const struct bit_name *names, size_t n)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		if ((v & names[i].bit) && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "", names[i].name);
	return len;
}

size_t xt_capture_str(char *buf, size_t size, uint32_t capture)
{
	static const struct bit_name names[] = {
		{ 1u << XT_BLOCK_REGS, "regs" }, { 1u << XT_BLOCK_SREGS, "sregs" },
		{ 1u << XT_BLOCK_EVENTS, "events" }, { 1u << XT_BLOCK_EXIT, "exit" },
		{ XT_CAPTURE_DEBUGREGS, "debugregs" }, { XT_CAPTURE_LAPIC, "lapic" },
		{ XT_CAPTURE_FPU, "fpu" }, { XT_CAPTURE_TIME, "time" }, { XT_CAPTURE_STATS, "stats" },
	};
	return bit_names(buf, size, capture, names, sizeof(names) / sizeof(names[0]));
}

size_t xt_platform_str(char *buf, size_t size, uint32_t platform)
{
	static const struct bit_name names[] = {
		{ XT_PLATFORM_PIT, "pit" }, { XT_PLATFORM_PIC, "pic" }, { XT_PLATFORM_IVT, "ivt" },
	};
	if (!platform)
		return (size_t)snprintf(buf, size, "none");
	return bit_names(buf, size, platform, names, sizeof(names) / sizeof(names[0]));
}

bool xt_kvm_param_is_apicv(const char *key)
{
	const char *dot = strrchr(key, '.');
	const char *name = dot ? dot + 1 : key;
	return !strcmp(name, "enable_apicv") || !strcmp(name, "avic") || !strcmp(name, "enable_ipiv");
}

const char *xt_header_extra(const struct xt_header *h, const char *key)
{
	for (size_t i = 0; h && key && i < h->n_extra; i++)
		if (h->extra[i].key && !strcmp(h->extra[i].key, key))
			return h->extra[i].value;
	return NULL;
}
