// SPDX-License-Identifier: MIT
/*
 * The pure pieces: the field table (every field is seen by the delta
 * encoder when it changes), exit-reason names, SHA-256, skipping CBOR.
 */
#include <errno.h>
#include <linux/kvm.h>

#include "test_util.h"
#include "xt_internal.h"

#define ALL_BLOCKS ((1u << XT_NBLOCKS) - 1)

static void test_table(void)
{
	const struct xt_field *table;
	size_t n = xt_fields(&table), count = 0;
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *f = &table[id];
		if (!f->name)
			continue;
		count++;
		TEST_EQ_U64(id, f->id, "field %s sits at its id", f->name);
		TEST_ASSERT(xt_field_by_name(f->name) == f, "name %s is unique", f->name);
		TEST_ASSERT(xt_field_by_id((unsigned)id) == f, "lookup by id %zu", id);

		/* changing exactly this field is seen as exactly this change */
		static struct xt_state a, b;
		memset(&a, 0, sizeof(a));
		b = a;
		if (f->kind == XT_KIND_U64) {
			xt_field_put(&b, f, 0x1234);
		} else {
			*(uint32_t *)((char *)&b + f->len_offset) = 1;
			((uint8_t *)&b)[f->offset] = 0x55;
		}
		struct xt_field_set set;
		xt_state_diff(&a, &b, ALL_BLOCKS, &set);
		for (size_t other = 0; other < n; other++)
			TEST_EQ_U64(other == id, xt_field_set_has(&set, (unsigned)other),
				    "changing %s: field %zu in the changed set", f->name, other);
		xt_state_diff(&a, &b, ALL_BLOCKS & ~(1u << f->block), &set);
		TEST_ASSERT(!xt_field_set_has(&set, (unsigned)id), "%s: not captured, not seen", f->name);
	}
	TEST_ASSERT(count > 140, "%zu fields", count);
	TEST_ASSERT(!xt_field_by_name("no-such-field"), "unknown name");
	TEST_ASSERT(!xt_field_by_id(0) && !xt_field_by_id(999), "unknown ids");
	TEST_EQ_STR("rip", xt_field_by_id(XT_F_RIP)->name, "rip");
	TEST_EQ_STR("cs.selector", xt_field_by_id(XT_F_CS_SELECTOR)->name, "cs.selector");
	TEST_EQ_STR("ss.attr", xt_field_by_id(XT_F_SS_ATTR)->name, "ss.attr");
	TEST_EQ_STR("debug.dr6", xt_field_by_id(XT_F_DEBUG_DR6)->name, "dr6");
	TEST_EQ_STR("lapic.irr[0]", xt_field_by_id(XT_F_LAPIC_IRR0)->name, "irr");
	TEST_EQ_STR("lapic.timer_divide", xt_field_by_id(XT_F_LAPIC_TIMER_DIVIDE)->name, "dcr");
	TEST_EQ_U64(KVM_EXIT_IO, xt_field_by_id(XT_F_IO_PORT)->exit_reason, "io.port belongs to IO");
	TEST_EQ_U64(0xe00f, xt_field_by_id(XT_F_DEBUG_DR6)->compare_mask, "dr6 mask");
	TEST_EQ_U64(~0ull & ~0x10100ull, xt_field_by_id(XT_F_RFLAGS)->compare_mask, "rflags mask");
}

static void test_exit_names(void)
{
	TEST_EQ_STR("DEBUG", xt_exit_reason_name(KVM_EXIT_DEBUG), "debug");
	TEST_EQ_STR("SHUTDOWN", xt_exit_reason_name(KVM_EXIT_SHUTDOWN), "shutdown");
	TEST_EQ_STR("FAIL_ENTRY", xt_exit_reason_name(KVM_EXIT_FAIL_ENTRY), "fail entry");
	TEST_EQ_STR("RUN_FAILED", xt_exit_reason_name(XT_EXIT_RUN_FAILED), "run failed");
	TEST_ASSERT(!xt_exit_reason_name(5000), "unknown");
	TEST_EQ_U64(KVM_EXIT_HLT, xt_exit_reason_by_name("hlt"), "by name");
	TEST_EQ_U64(KVM_EXIT_INTERNAL_ERROR, xt_exit_reason_by_name("KVM_EXIT_INTERNAL_ERROR"), "prefix");
	TEST_EQ_U64(XT_EXIT_RUN_FAILED, xt_exit_reason_by_name("run_failed"), "pseudo");
	TEST_EQ_U64((uint64_t)-1, xt_exit_reason_by_name("bogus"), "bogus");
	TEST_EQ_STR("shutdown", xt_end_reason_name(XT_END_SHUTDOWN), "end name");
	char buf[128];
	xt_guest_debug_str(buf, sizeof(buf), KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ);
	TEST_EQ_STR("ENABLE|SINGLESTEP|BLOCKIRQ", buf, "guest-debug names");
	xt_guest_debug_str(buf, sizeof(buf), KVM_GUESTDBG_ENABLE | 0x40000000u);
	TEST_EQ_STR("ENABLE|0x40000000", buf, "an unknown bit stays a number");
	xt_guest_debug_str(buf, sizeof(buf), 0);
	TEST_EQ_STR("0", buf, "no guest debug");
	xt_guest_debug_str(buf, 8, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP);
	TEST_EQ_U64(7, strlen(buf), "cut to the buffer");
	xt_capture_str(buf, sizeof(buf), XT_CAPTURE_DEFAULT | XT_CAPTURE_LAPIC | XT_CAPTURE_STATS);
	TEST_EQ_STR("regs,sregs,events,exit,lapic,stats", buf, "capture names");
	TEST_ASSERT(xt_kvm_param_is_apicv("kvm_intel.enable_apicv") && xt_kvm_param_is_apicv("kvm_amd.avic") &&
		    !xt_kvm_param_is_apicv("kvm.halt_poll_ns"), "which parameters decide the interrupt path");
	TEST_EQ_STR("unknown", xt_end_reason_name(999), "end name out of range");
}

static void test_utf8(void)
{
	TEST_EQ_U64(1, xt_utf8_len((const uint8_t *)"a", 1), "ASCII");
	TEST_EQ_U64(2, xt_utf8_len((const uint8_t *)"\xc3\xa9", 2), "e-acute");
	TEST_EQ_U64(3, xt_utf8_len((const uint8_t *)"\xe2\x82\xac", 3), "euro sign");
	TEST_EQ_U64(4, xt_utf8_len((const uint8_t *)"\xf0\x9f\x98\x80", 4), "an emoji");
	TEST_EQ_U64(0, xt_utf8_len((const uint8_t *)"\xff", 1), "0xff is never UTF-8");
	TEST_EQ_U64(0, xt_utf8_len((const uint8_t *)"\xc3", 1), "cut short");
	TEST_EQ_U64(0, xt_utf8_len((const uint8_t *)"\xc0\xaf", 2), "overlong");
	TEST_EQ_U64(0, xt_utf8_len((const uint8_t *)"\xed\xa0\x80", 3), "a surrogate");
	TEST_EQ_U64(0, xt_utf8_len((const uint8_t *)"\xf4\x90\x80\x80", 4), "past U+10FFFF");
	TEST_EQ_U64(0, xt_utf8_len((const uint8_t *)"\xe2\x28\xa1", 3), "a bad continuation");
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256(void)
{
	uint8_t d[32];
	char h[65];
	xt_sha256("", 0, d);
	hex(d, h);
	TEST_EQ_STR("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", h, "empty");
	xt_sha256("abc", 3, d);
	hex(d, h);
	TEST_EQ_STR("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", h, "abc");
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	xt_sha256(m, strlen(m), d);
	hex(d, h);
	TEST_EQ_STR("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", h, "448 bits");
	static uint8_t million[1000000];
	memset(million, 'a', sizeof(million));
	xt_sha256(million, sizeof(million), d);
	hex(d, h);
	TEST_EQ_STR("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", h, "a million a");
}

static int skip_all(const uint8_t *p, size_t n, size_t *consumed)
{
	struct xt_error err = { 0 };
	struct xti_in in = { .p = p, .start = p, .end = p + n, .err = &err };
	struct xti_tok t;
	int rc = xti_next(&in, &t);
	if (!rc)
		rc = xti_skip(&in, &t);
	*consumed = (size_t)(in.p - p);
	return rc;
}

static void test_cbor_skip(void)
{
	size_t used;
	/* [1, {"a": [h'0102', -5]}, 2.5, null] then a trailing 7 */
	const uint8_t nested[] = { 0x84, 0x01, 0xa1, 0x61, 'a', 0x82, 0x42, 1, 2, 0x24,
				   0xf9, 0x41, 0x00, 0xf6, 0x07 };
	TEST_EQ_U64(0, skip_all(nested, sizeof(nested), &used), "nested");
	TEST_EQ_U64(sizeof(nested) - 1, used, "stops after the item");
	/* indefinite array of an indefinite string and a tag: [_ (_ "ab" "c"), 1(5)] */
	const uint8_t indef[] = { 0x9f, 0x7f, 0x62, 'a', 'b', 0x61, 'c', 0xff, 0xc1, 0x05, 0xff, 0x00 };
	TEST_EQ_U64(0, skip_all(indef, sizeof(indef), &used), "indefinite");
	TEST_EQ_U64(sizeof(indef) - 1, used, "indefinite length");
	/* too deep */
	uint8_t deep[64];
	memset(deep, 0x81, sizeof(deep));
	deep[63] = 0x00;
	TEST_EQ_U64((uint64_t)-EBADMSG, (uint64_t)skip_all(deep, sizeof(deep), &used), "depth limit");
	/* a count bigger than the bytes left */
	const uint8_t lie[] = { 0x9a, 0xff, 0xff, 0xff, 0xff, 0x00 };
	TEST_EQ_U64((uint64_t)-EBADMSG, (uint64_t)skip_all(lie, sizeof(lie), &used), "lying count");
	/* a stray break */
	const uint8_t brk[] = { 0xff };
	TEST_EQ_U64((uint64_t)-EBADMSG, (uint64_t)skip_all(brk, 1, &used), "stray break");
	/* cut short */
	const uint8_t cut[] = { 0x82, 0x01 };
	TEST_EQ_U64((uint64_t)-EBADMSG, (uint64_t)skip_all(cut, 2, &used), "cut short");
}

int main(void)
{
	test_table();
	test_exit_names();
	test_sha256();
	test_utf8();
	test_cbor_skip();
	return 0;
}
