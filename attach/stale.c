// SPDX-License-Identifier: MIT
/*
 * Stale run-page data, named.  KVM writes only the fields of kvm_run's exit
 * union that the exit reason needs, and not always all of them (a #BP exit
 * leaves debug.arch.dr6 and dr7; a single-step its emulator completes
 * leaves dr7): what a VMM reads there may be left from an earlier exit, as
 * the "exception 1" of the seed was.  Before KVM_RUN the union is saved and
 * filled with a pattern; after it, a field still holding the pattern was
 * not written: it is named, and every byte KVM did not write gets its old
 * value back, so the VMM reads exactly what it would have read.
 *
 * Limit: a field KVM writes with exactly the pattern (0xa5 in every byte)
 * reads as not written and the VMM sees the old value.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"

#define PATTERN 0xa5
#define UNION_OFF offsetof(struct kvm_run, io)
#define UNION_LEN 256u	/* the union's padding member, char padding[256] */
_Static_assert(offsetof(struct kvm_run, kvm_valid_regs) >= UNION_OFF + UNION_LEN,
	       "the exit union is 256 bytes before kvm_valid_regs");

struct exit_field {
	uint32_t reason;
	const char *name;
	size_t off, len;	/* in kvm_run */
};

#define F(r, member) { KVM_EXIT_##r, #member, offsetof(struct kvm_run, member), \
		       sizeof(((struct kvm_run *)0)->member) }
/* The fields each exit reason has (api.rst section 5, "struct kvm_run"); pad is no field. */
static const struct exit_field fields[] = {
	F(IO, io.direction), F(IO, io.size), F(IO, io.port), F(IO, io.count), F(IO, io.data_offset),
	F(MMIO, mmio.phys_addr), F(MMIO, mmio.data), F(MMIO, mmio.len), F(MMIO, mmio.is_write),
	F(DEBUG, debug.arch.exception), F(DEBUG, debug.arch.pc), F(DEBUG, debug.arch.dr6),
	F(DEBUG, debug.arch.dr7),
	F(FAIL_ENTRY, fail_entry.hardware_entry_failure_reason), F(FAIL_ENTRY, fail_entry.cpu),
	F(INTERNAL_ERROR, internal.suberror), F(INTERNAL_ERROR, internal.ndata),
	F(SYSTEM_EVENT, system_event.type), F(SYSTEM_EVENT, system_event.ndata),
};
#undef F

/*
 * Bytes of the union at its start the next KVM_RUN reads as the VMM's
 * answer to the exit it completes; they are never filled.  UNION_LEN: an
 * exit whose answer we do not know, left alone.
 */
static size_t inputs(uint32_t last_exit)
{
	switch (last_exit) {
	case UINT32_MAX:	/* no exit yet */
	case KVM_EXIT_IO:	/* an IN's data is in the data page, not the union */
	case KVM_EXIT_DEBUG:
	case KVM_EXIT_HLT:
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_FAIL_ENTRY:
	case KVM_EXIT_INTERNAL_ERROR:
	case KVM_EXIT_SYSTEM_EVENT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
	case KVM_EXIT_SET_TPR:
		return 0;
	case KVM_EXIT_MMIO:	/* a read's mmio.data (api.rst: "the data ... filled in by userspace") */
		return offsetof(struct kvm_run, mmio.is_write) + 1 - UNION_OFF;
	default:
		return UNION_LEN;
	}
}

void att_stale_before(const struct att_vcpu *v, struct att_stale *s, bool again)
{
	uint8_t *u = (uint8_t *)v->run + UNION_OFF;
	s->from = inputs(v->last_exit);
	/*
	 * The copy is the VMM's view, taken before the first of the KVM_RUNs
	 * one VMM call makes (several under --step): what the last of them
	 * did not write is given back from it.  --step keeps it even with
	 * --no-stale: the exits it hides must leave no trace in the run page.
	 */
	if (!again) {
		s->keep = att_opt.stale || v->our_debug;
		if (s->keep)
			memcpy(s->saved, u, UNION_LEN);
	}
	s->armed = s->keep && s->from < UNION_LEN;
	if (s->armed)
		memset(u + s->from, PATTERN, UNION_LEN - s->from);
}

static bool unwritten(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != PATTERN)
			return false;
	return true;
}

/*
 * Which bytes of the union are some field of an exit reason: bit i of
 * word w is byte 8w + i.  Made once per reason; reasons above 63 have no
 * fields in the table.
 */
struct field_bytes {
	uint8_t word[UNION_LEN / 8];
};

static struct field_bytes field_table[64];
static pthread_once_t field_table_once = PTHREAD_ONCE_INIT;

static void make_field_table(void)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t off = fields[i].off - UNION_OFF;
		for (size_t b = off; b < off + fields[i].len; b++)
			field_table[fields[i].reason].word[b / 8] |= (uint8_t)(1u << (b % 8));
	}
}

static const struct field_bytes *field_bytes_of(uint32_t reason)
{
	static const struct field_bytes none;
	pthread_once(&field_table_once, make_field_table);
	return reason < 64 ? &field_table[reason] : &none;
}

void att_stale_after(const struct att_vcpu *v, const struct att_stale *s, bool exited, char *buf,
		     size_t size)
{
	buf[0] = 0;
	if (!s->armed)
		return;
	uint8_t *u = (uint8_t *)v->run + UNION_OFF;
	uint32_t reason = v->run->exit_reason;
	size_t len = 0;
	for (size_t i = 0; exited && i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct exit_field *f = &fields[i];
		size_t off = f->off - UNION_OFF;
		if (f->reason != reason || off < s->from)
			continue;
		if (!unwritten(u + off, f->len))
			continue;
		memcpy(u + off, s->saved + off, f->len);
		/* a read's mmio.data is the VMM's to fill, not KVM's: never stale, always restored */
		bool input = reason == KVM_EXIT_MMIO && f->off == offsetof(struct kvm_run, mmio.data) &&
			     !v->run->mmio.is_write;
		if (input || !att_opt.stale)
			continue;
		int k = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", f->name);
		if (k > 0 && (size_t)k < size - len)
			len += (size_t)k;
	}
	/*
	 * The bytes of no field of this exit (other reasons' members, padding):
	 * by 8-byte word, so a value KVM wrote with one 0xa5 byte in it stays.
	 * Most words are whole: one compare each.
	 */
	const struct field_bytes *fb = field_bytes_of(exited ? reason : UINT32_MAX);
	const uint64_t pattern = 0x0101010101010101ull * PATTERN;
	for (size_t w = 0; w < UNION_LEN; w += 8) {
		if (w + 8 <= s->from)
			continue;
		uint8_t mask = fb->word[w / 8];
		if (!mask && w >= s->from) {
			uint64_t word;
			memcpy(&word, u + w, 8);
			if (word == pattern)
				memcpy(u + w, s->saved + w, 8);
			continue;
		}
		bool all = true;
		for (size_t i = w; i < w + 8; i++)
			if (i >= s->from && !(mask >> (i - w) & 1) && u[i] != PATTERN)
				all = false;
		if (!all)
			continue;
		for (size_t i = w; i < w + 8; i++)
			if (i >= s->from && !(mask >> (i - w) & 1))
				u[i] = s->saved[i];
	}
}
