// SPDX-License-Identifier: MIT
/*
 * watchpoint: data-write breakpoints in DR0-DR3 (KVM_GUESTDBG_USE_HW_BP,
 * R/W = 01, 8 bytes) on the guest's wp_data0..3, each written once by
 * the instruction at wp_store0..3.  Intel SDM vol. 3, 17.3.1.2: a data
 * breakpoint is a trap after the writing instruction, so the architecture
 * gives a DEBUG exit with DR6 = 0xffff0ff0 | (1 << n) and RIP at the
 * instruction after wp_storeN.
 */
#include <linux/kvm.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	struct kt_trace *t = kt_record_scenario("watchpoint", "wp.xtr", "", 1);
	uint64_t dr7 = t->debugreg[7];
	for (int n = 0; n < 4; n++) {
		char data[16], store[16];
		snprintf(data, sizeof(data), "wp_data%d", n);
		snprintf(store, sizeof(store), "wp_store%d", n);
		TEST_EQ_U64(kt_symbol(t, data), t->debugreg[n], "DR%d watches %s", n, data);
		TEST_EQ_U64(2, (dr7 >> (2 * n)) & 3, "DR7: G%d", n);
		TEST_EQ_U64(0x9, (dr7 >> (16 + 4 * n)) & 0xf, "DR7: write (01), 8 bytes (10) for DR%d", n);
		uint64_t s = kt_step_at_rip(t, kt_symbol(t, store), 1);
		TEST_ASSERT(s, "the guest reached %s", store);
		/*
		 * Host deviation (kvm_pvm, kvm-facts Q10): data breakpoints never
		 * fire.  The write's step is a plain single-step exit (BS only),
		 * where the architecture reports Bn.
		 */
		TEST_EQ_U64(KVM_EXIT_DEBUG, t->steps[s + 1].exit_reason, "%s: stepped", store);
		TEST_EQ_U64(0xffff4ff0, t->steps[s + 1].dr6, "host: %s's write reports BS, not B%d", store, n);
	}
	for (uint64_t i = 1; i <= t->nsteps; i++)
		if (t->steps[i].exit_reason == KVM_EXIT_DEBUG)
			TEST_EQ_U64(0, t->steps[i].dr6 & 0xf, "host: step %" PRIu64 ": no B0-B3 ever", i);
	TEST_EQ_U64(0x11 + 0x22 + 0x33 + 0x44, kt_value(t, 1, NULL), "all four writes happened");
	kt_free(t);
	return 0;
}
