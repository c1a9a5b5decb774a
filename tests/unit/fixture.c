// SPDX-License-Identifier: MIT
#include <linux/kvm.h>
#include <string.h>
#include <zstd.h>

#include "fixture.h"
#include "test_util.h"
#include "xt_internal.h"

uint64_t fx_rand(struct fx_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

void fx_header_vcpus(struct fx_header *fh, uint32_t n)
{
	if (n < 1 || n > FX_VCPUS) {
		fprintf(stderr, "fx_header_vcpus: %u vCPUs, at most %d\n", n, FX_VCPUS);
		exit(1);
	}
	for (uint32_t v = 0; v < n; v++)
		fh->apic_ids[v] = 2 * v;
	for (uint32_t v = 1; v < n; v++) {
		struct xt_state *s = &fh->initial_vcpus[v - 1];
		*s = fh->initial;
		s->regs.rip = 0x100000 + 0x1000 * v;
		s->regs.rsp = 0x200000 + 0x10000 * v;
		s->lapic.id = fh->apic_ids[v] << 24;
	}
	fh->h.vm.n_vcpus = n;
	fh->h.vm.apic_ids = fh->apic_ids;
	fh->h.initial_vcpus = n > 1 ? fh->initial_vcpus : NULL;
}

void fx_header_init(struct fx_header *fh, uint32_t capture)
{
	memset(fh, 0, sizeof(*fh));
	struct xt_header *h = &fh->h;
	struct xt_state *s = &fh->initial;

	s->regs.rip = 0x100000;
	s->regs.rsp = 0x200000;
	s->regs.rflags = 0x2;
	s->regs.rcx = 1000;
	s->sregs.cs = (struct xt_segment){ 0, 0xffffffff, 0x8, 0xa09b };
	s->sregs.ss = (struct xt_segment){ 0, 0xffffffff, 0x10, 0xc093 };
	s->sregs.cr0 = 0x80050033;
	s->sregs.cr3 = 0x1000;
	s->sregs.cr4 = 0x20;
	s->sregs.efer = 0x500;
	s->sregs.apic_base = 0xfee00900;
	s->sregs.gdt_base = 0x500;
	s->sregs.gdt_limit = 0x1f;
	s->exit.reason = XT_EXIT_NONE;
	s->lapic.svr = 0x1ff;
	s->fpu.len = XT_FPU_SIZE;
	s->fpu.data[24] = 0x80;	/* mxcsr 0x1f80 */
	s->fpu.data[25] = 0x1f;

	fh->argv[0] = "exitrace";
	fh->argv[1] = "record";
	fh->argv[2] = "--scenario";
	fh->argv[3] = "fixture";
	h->tool_version = "0.1.0-test";
	h->argv = fh->argv;
	h->argc = 4;
	h->created_sec = 1795000000;
	h->created_nsec = 123456789;

	fh->params[0] = (struct xt_kv){ "kvm.halt_poll_ns", "200000" };
	fh->params[1] = (struct xt_kv){ "kvm_intel.enable_apicv", "Y" };
	fh->params[2] = (struct xt_kv){ "kvm_intel.ept", "Y" };
	fh->caps[0] = (struct xt_cap){ KVM_CAP_SYNC_REGS, 7 };
	fh->caps[1] = (struct xt_cap){ KVM_CAP_SET_GUEST_DEBUG2, 0x1f0003 };
	fh->caps[2] = (struct xt_cap){ KVM_CAP_IMMEDIATE_EXIT, -1 };
	h->host = (struct xt_host){
		.kernel_release = "6.1.0-test", .kernel_version = "#1 SMP", .machine = "x86_64",
		.cpu_vendor = "GenuineIntel", .cpu_model_name = "Test CPU @ 1.00GHz",
		.cpu_family = 6, .cpu_model = 0x55, .cpu_stepping = 7, .microcode = 0x5003604,
		.kvm_module = "kvm_intel", .kvm_params = fh->params, .n_kvm_params = 3,
		.api_version = 12, .caps = fh->caps, .n_caps = 3,
	};

	fh->cpuid[0] = (struct xt_cpuid_entry){ 0, 0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 };
	fh->cpuid[1] = (struct xt_cpuid_entry){ 7, 0, 1, 0, 0x9c2fbb, 0x4, 0xbc000400 };
	for (size_t i = 0; i < sizeof(fh->mem0); i++)
		fh->mem0[i] = (uint8_t)(0x90 + (i & 1));
	for (size_t i = 0; i < sizeof(fh->mem1); i++)
		fh->mem1[i] = (uint8_t)(i * 7);
	fh->memory[0] = (struct xt_mem_region){ 0x100000, fh->mem0, sizeof(fh->mem0) };
	fh->memory[1] = (struct xt_mem_region){ 0x1000, fh->mem1, sizeof(fh->mem1) };
	fh->inj[0] = (struct xt_injection){ 0x30, XT_INJECT_MSI, 5, -1 };
	fh->inj[1] = (struct xt_injection){ 0x31, XT_INJECT_INTERRUPT, 0, 0x80 };
	fh->stats[0] = "exits";
	fh->stats[1] = "halt_exits";
	h->vm = (struct xt_vm_config){
		.mem_size = 64ull << 20, .cpu_mode = XT_MODE_LONG, .irqchip = XT_IRQCHIP_KERNEL,
		.guest_debug = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ,
		.debugreg = { 0x100010, 0, 0, 0, 0, 0, 0, 0x401 },
		.capture = capture, .max_steps = 1000000, .timeout_ms = 60000, .tsc_khz = 2000000,
		.loader = "elf64", .scenario = "fixture", .append = "console=ttyS0",
		.load_addr = 0x100000, .entry = 0x100000,
		.cpuid = fh->cpuid, .n_cpuid = 2, .memory = fh->memory, .n_memory = 2,
		.injections = fh->inj, .n_injections = 2, .stats_names = fh->stats, .n_stats = 2,
		.platform = XT_PLATFORM_PIT | XT_PLATFORM_PIC,
		.time_hz = capture & XT_CAPTURE_TIME ? 2000000000 : 0,
	};
	for (size_t i = 0; i < sizeof(fh->image); i++)
		fh->image[i] = (uint8_t)(i ^ 0x5a);
	h->image.name = "fixture.elf";
	h->image.data = fh->image;
	h->image.size = sizeof(fh->image);
	xt_sha256(fh->image, sizeof(fh->image), h->image.sha256);
	h->initial = s;
	fh->extra[0] = (struct xt_kv){ "note", "made by the test fixture" };
	h->extra = fh->extra;
	h->n_extra = 1;
}

static void set_blob(uint8_t *dst, uint32_t *len, struct fx_rng *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = (uint8_t)fx_rand(r);
	*len = n;
}

void fx_step(struct fx_rng *r, struct xt_state *s, uint64_t step, uint32_t capture, bool busy)
{
	/* the loop: inc rax; dec rcx; jnz back (three instructions) */
	static const uint64_t len[3] = { 3, 3, 2 };
	unsigned k = step % 3;
	s->regs.rip = k == 2 ? s->regs.rip - 6 : s->regs.rip + len[k];
	if (k == 0)
		s->regs.rax++;
	if (k == 1)
		s->regs.rcx--;
	s->regs.rflags = 0x202 | (k == 1 ? 0x4 : 0);
	s->exit.reason = KVM_EXIT_DEBUG;
	s->exit.debug_exception = 1;
	s->exit.debug_dr6 = 0xffff4ff0;
	s->exit.debug_dr7 = 0x400;
	s->exit.debug_pc = s->regs.rip;
	if (capture & XT_CAPTURE_TIME) {
		/* a KVM_RUN of a few thousand ticks and a gap of a few hundred before it */
		s->time.run += 3000 + (step * 37 % 500);
		s->time.out += 400 + (step * 11 % 90);
	}
	if (!busy || step % 7)
		return;

	uint64_t x = fx_rand(r);
	switch (x % 8) {
	case 0:
		s->exit.reason = KVM_EXIT_IO;
		s->exit.io_direction = x >> 8 & 1;
		s->exit.io_size = 1;
		s->exit.io_port = 0x3f8 + (x >> 9 & 7);
		s->exit.io_count = 1;
		set_blob(s->exit.io_data, &s->exit.io_data_len, r, 1);
		break;
	case 1:
		s->exit.reason = KVM_EXIT_MMIO;
		s->exit.mmio_addr = 0xd0000000 + (x >> 8 & 0xff8);
		s->exit.mmio_len = 4;
		s->exit.mmio_is_write = x >> 20 & 1;
		set_blob(s->exit.mmio_data, &s->exit.mmio_data_len, r, 4);
		break;
	case 2:
		s->regs.r8 = fx_rand(r);
		s->regs.r15 = fx_rand(r);
		s->sregs.ds.selector = x >> 8 & 0xfff8;
		s->sregs.cr2 = fx_rand(r);
		break;
	case 3:
		s->events.interrupt_shadow = !s->events.interrupt_shadow;
		s->events.interrupt_nr = x >> 8 & 0xff;
		s->events.exception_payload = fx_rand(r);
		break;
	case 4:
		s->exit.reason = KVM_EXIT_INTERNAL_ERROR;
		s->exit.internal_suberror = 1;
		set_blob(s->exit.internal_data, &s->exit.internal_data_len, r, 24);
		break;
	case 5:
		if (capture & XT_CAPTURE_LAPIC) {
			s->lapic.irr[1] ^= 1ull << (x >> 8 & 63);
			s->lapic.timer_current = x >> 16;
		}
		if (capture & XT_CAPTURE_DEBUGREGS)
			s->dregs.dr0 = x;
		break;
	case 6:
		if (capture & XT_CAPTURE_FPU)
			s->fpu.data[x >> 8 & 0xff] = (uint8_t)x;
		s->exit.reason = KVM_EXIT_HLT;
		break;
	case 7:
		s->exit.reason = XT_EXIT_RUN_FAILED;
		s->exit.run_ret = (uint64_t)-1;
		s->exit.run_errno = 4;
		break;
	}
	if (s->exit.reason != XT_EXIT_RUN_FAILED) {
		s->exit.run_ret = 0;
		s->exit.run_errno = 0;
	}
}

void fx_event(struct fx_rng *r, uint32_t kind, uint64_t step, struct xt_event *ev,
	      struct fx_event_storage *st)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->step = step;
	uint64_t x = fx_rand(r);
	switch (kind) {
	case XT_EV_IRQ_INJECT:
		ev->inject.method = XT_INJECT_MSI;
		ev->inject.vector = 0x30 + (x & 15);
		ev->inject.result = x & 16 ? -22 : 0;
		ev->inject.port = x & 32 ? 0x80 : -1;
		break;
	case XT_EV_IRQ_TAKEN:
		ev->taken.vector = (uint32_t)(x & 0xff);
		ev->taken.type = XT_TAKEN_EXTERNAL;
		ev->taken.outcome = XT_TAKEN_HANDLER;
		ev->taken.evidence = XT_EVIDENCE_STACK_FRAME | XT_EVIDENCE_IDT;
		ev->taken.rip_before = 0x100010;
		ev->taken.rip_after = 0x110001;
		ev->taken.handler = 0x110000;
		ev->taken.has_error_code = x >> 8 & 1;
		ev->taken.error_code = ev->taken.has_error_code ? x >> 16 : 0;
		break;
	case XT_EV_CONSOLE:
		memcpy(st->bytes, "hello, \"world\"\n", 15);
		ev->console.data = st->bytes;
		ev->console.len = 15;
		break;
	case XT_EV_INPUT:
		ev->input.what = XT_INPUT_RDTSC;
		ev->input.n = 2;
		ev->input.v[0] = (struct xt_input_value){ XT_F_RAX, x & 0xffffffff };
		ev->input.v[1] = (struct xt_input_value){ XT_F_RDX, x >> 32 };
		if (x & 0x100) {	/* an attached VMM's answer to a read */
			ev->input.what = XT_INPUT_ANSWER;
			ev->input.n = 0;
			memcpy(st->bytes, "\x11\x22\x33\x44", 4);
			ev->input.data = st->bytes;
			ev->input.data_len = 1 + (x >> 9 & 3);
		}
		break;
	case XT_EV_KTRACE:
		ev->ktrace.name = "kvm:kvm_apic_accept_irq";
		ev->ktrace.ts_ns = x >> 4;
		ev->ktrace.cpu = 1;
		st->fields[0] = (struct xt_ktrace_field){ "apicid", NULL, 0 };
		st->fields[1] = (struct xt_ktrace_field){ "vec", NULL, 0x30 };
		st->fields[2] = (struct xt_ktrace_field){ "dm", "Fixed", 0 };
		ev->ktrace.fields = st->fields;
		ev->ktrace.n_fields = 3;
		break;
	case XT_EV_NOTE:
		strcpy(st->text, "a note");
		ev->note.text = st->text;
		break;
	case XT_EV_STATS:
		st->index[0] = 0;
		st->index[1] = 1;
		st->delta[0] = 1;
		st->delta[1] = -3;
		ev->stats.index = st->index;
		ev->stats.delta = st->delta;
		ev->stats.n = 2;
		break;
	case XT_EV_IPI:
		ev->ipi.icr = (x & 1 ? 0x0000000200000000ull : 0x0100000000000000ull) | 0x40f0 | (x & 0x700);
		ev->ipi.x2apic = x & 1;
		break;
	case XT_EV_MP_STATE:
		ev->mp.from = 2;
		ev->mp.to = 0;
		ev->mp.by_sipi = x & 2 ? 1 : 0;
		ev->mp.sipi_vector = ev->mp.by_sipi && (x & 4) ? 0x9a : 0;
		break;
	}
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

struct xt_event fx_taken(uint64_t step)
{
	struct xt_event ev = { .kind = XT_EV_IRQ_TAKEN, .step = step };
	ev.taken.vector = 0x30;
	ev.taken.type = XT_TAKEN_EXTERNAL;
	ev.taken.outcome = XT_TAKEN_HANDLER;
	ev.taken.evidence = XT_EVIDENCE_STACK_FRAME | XT_EVIDENCE_IDT;
	ev.taken.rip_before = 0x1000;
	ev.taken.rip_after = 0x2003;
	ev.taken.handler = 0x2000;
	return ev;
}

bool fx_event_equal(const struct xt_event *a, const struct xt_event *b)
{
	if (a->kind != b->kind || a->step != b->step || a->vcpu != b->vcpu)
		return false;
	switch (a->kind) {
	case XT_EV_IRQ_INJECT:
		return a->inject.method == b->inject.method && a->inject.vector == b->inject.vector &&
		       a->inject.result == b->inject.result && a->inject.port == b->inject.port;
	case XT_EV_IRQ_TAKEN:
		return !memcmp(&a->taken, &b->taken, sizeof(a->taken));
	case XT_EV_CONSOLE:
		return a->console.len == b->console.len &&
		       !memcmp(a->console.data, b->console.data, a->console.len);
	case XT_EV_INPUT:
		if (a->input.what != b->input.what || a->input.n != b->input.n ||
		    !a->input.data != !b->input.data || a->input.data_len != b->input.data_len ||
		    (a->input.data && memcmp(a->input.data, b->input.data, a->input.data_len)))
			return false;
		for (uint32_t i = 0; i < a->input.n; i++)
			if (a->input.v[i].field != b->input.v[i].field ||
			    a->input.v[i].value != b->input.v[i].value)
				return false;
		return true;
	case XT_EV_KTRACE:
		if (!str_eq(a->ktrace.name, b->ktrace.name) || a->ktrace.ts_ns != b->ktrace.ts_ns ||
		    a->ktrace.cpu != b->ktrace.cpu || a->ktrace.n_fields != b->ktrace.n_fields)
			return false;
		for (size_t i = 0; i < a->ktrace.n_fields; i++) {
			const struct xt_ktrace_field *x = &a->ktrace.fields[i], *y = &b->ktrace.fields[i];
			if (!str_eq(x->name, y->name) || !str_eq(x->str, y->str) ||
			    (!x->str && x->num != y->num))
				return false;
		}
		return true;
	case XT_EV_NOTE:
		return str_eq(a->note.text, b->note.text);
	case XT_EV_STATS:
		if (a->stats.n != b->stats.n)
			return false;
		for (size_t i = 0; i < a->stats.n; i++)
			if (a->stats.index[i] != b->stats.index[i] || a->stats.delta[i] != b->stats.delta[i])
				return false;
		return true;
	case XT_EV_IPI:
		return a->ipi.icr == b->ipi.icr && a->ipi.x2apic == b->ipi.x2apic;
	case XT_EV_MP_STATE:
		return a->mp.from == b->mp.from && a->mp.to == b->mp.to &&
		       a->mp.by_sipi == b->mp.by_sipi && a->mp.sipi_vector == b->mp.sipi_vector;
	}
	return false;
}

const struct xt_field *fx_state_differs(const struct xt_state *a, const struct xt_state *b,
					uint32_t capture)
{
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *f = &table[id];
		if (f->name && (capture & (1u << f->block)) && !xt_field_equal(a, b, f))
			return f;
	}
	return NULL;
}

void fx_put_mark(struct xti_buf *f, uint16_t major, uint16_t minor)
{
	uint8_t m[XTI_FILE_MARK_SIZE];
	xti_file_mark(m, major, minor);
	xti_put_raw(f, m, sizeof(m));
}

void fx_put_frame(struct xti_buf *f, const struct xti_buf *b)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(b->len);
	TEST_ASSERT(c && !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) &&
		    xti_buf_reserve(f, bound), "out of memory");
	size_t n = ZSTD_compress2(c, f->p + f->len, bound, b->p, b->len);
	TEST_ASSERT(!ZSTD_isError(n), "compress: %s", ZSTD_getErrorName(n));
	f->len += n;
	ZSTD_freeCCtx(c);
}

/* ---- hostile traces ---- */

/*
 * What to do to a small complete trace: mark, header, one data frame
 * (keyframe at step 0, two steps, a note event), footer, trailer.
 */
struct tweak {
	const uint8_t *header_pair;	/* one more key/value pair for the header, raw CBOR */
	size_t header_pair_len;
	bool header_major0;		/* header key 1 says 0.x */
	bool header_twice;		/* a second header record in the header frame */
	bool dup_extra;			/* header key 11 (a text-keyed map) holds a key twice */
	const uint8_t *data_tail;	/* raw records after the note event */
	size_t data_tail_len;
	int footer;			/* 0 the writer's; 1 without final; 2 steps 2^63 */
	uint32_t mark_len;		/* the file mark's length field, 0: 12 */
	bool no_trailer;
	bool bad_data_checksum;
};

static void put_small_footer(struct xti_buf *b, const struct tweak *t, uint64_t frame0,
			     const struct xt_state *final)
{
	if (!t->footer) {
		const struct xt_frame_index ix[1] = { { frame0, 0, 2 } };
		/* what the data holds, or readers that check the footer call the trace inconsistent */
		const struct xt_hist_entry hist[1] = { { final->exit.reason, 2 } };
		struct xt_footer foot = { .steps = 2, .end_reason = XT_END_HLT, .end_detail = "hlt",
					  .final = final, .index = ix, .n_index = 1, .hist = hist, .n_hist = 1 };
		foot.event_counts[XT_EV_NOTE] = 1;
		xti_put_footer(b, &foot, XT_CAPTURE_DEFAULT);
		return;
	}
	/* by hand: the writer always writes every key */
	uint64_t steps = t->footer == 2 ? 1ull << 63 : 2;
	xti_put_map(b, t->footer == 2 ? 6 : 5);
	xti_put_uint(b, XTK_TYPE);
	xti_put_uint(b, XT_REC_FOOTER);
	xti_put_uint(b, XTK_F_STEPS);
	xti_put_uint(b, steps);
	xti_put_uint(b, XTK_F_END_REASON);
	xti_put_uint(b, XT_END_HLT);
	xti_put_uint(b, XTK_F_END_DETAIL);
	xti_put_text(b, "hand-made");
	if (t->footer == 2) {
		xti_put_uint(b, XTK_F_FINAL);
		xti_put_state(b, final, XT_CAPTURE_DEFAULT);
	}
	xti_put_uint(b, XTK_F_INDEX);
	xti_put_array(b, 1);
	xti_put_array(b, 3);
	xti_put_uint(b, frame0);
	xti_put_uint(b, 0);
	xti_put_uint(b, steps);
}

static void small_trace(struct xti_buf *f, const struct tweak *t)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	fh.h.vm.n_memory = 1;
	fh.h.image.size = 16;
	xt_sha256(fh.image, 16, fh.h.image.sha256);
	const struct xt_kv extra[2] = { { "same", "one" }, { "same", "two" } };
	if (t->dup_extra) {
		fh.h.extra = extra;
		fh.h.n_extra = 2;
	}
	struct xti_buf b = { 0 }, h = { 0 };
	fx_put_mark(f, XT_FORMAT_ONE_VCPU_MAJOR, XT_FORMAT_ONE_VCPU_MINOR);
	if (t->mark_len)
		xti_le32(f->p + 4, t->mark_len);

	xti_put_header(&h, &fh.h);
	TEST_ASSERT(h.p[0] == 0xac && h.p[3] == XTK_H_VERSION && h.p[5] == XT_FORMAT_ONE_VCPU_MAJOR,
		    "the header starts {0: 1, 1: [major, ...");
	if (t->header_major0)
		h.p[5] = 0;
	xti_put_map(&b, 12 + (t->header_pair != NULL));
	xti_put_raw(&b, h.p + 1, 2);
	if (t->header_pair)
		xti_put_raw(&b, t->header_pair, t->header_pair_len);
	xti_put_raw(&b, h.p + 3, h.len - 3);
	if (t->header_twice)
		xti_put_raw(&b, h.p, h.len);
	fx_put_frame(f, &b);

	uint64_t frame0 = f->len;
	b.len = 0;
	xti_put_map(&b, 5);
	xti_put_uint(&b, XTK_TYPE); xti_put_uint(&b, XT_REC_KEYFRAME);
	xti_put_uint(&b, XTK_K_STEP); xti_put_uint(&b, 0);
	xti_put_uint(&b, XTK_K_FRAME); xti_put_uint(&b, 0);
	xti_put_uint(&b, XTK_K_TIME); xti_put_uint(&b, 0);
	xti_put_uint(&b, XTK_K_STATE);
	xti_put_state(&b, &fh.initial, XT_CAPTURE_DEFAULT);
	for (int i = 0; i < 2; i++) {
		xti_put_map(&b, 2);
		xti_put_uint(&b, XTK_TYPE); xti_put_uint(&b, XT_REC_STEP);
		xti_put_uint(&b, XT_F_RIP); xti_put_int(&b, 1);
	}
	xti_put_map(&b, 4);
	xti_put_uint(&b, XTK_TYPE); xti_put_uint(&b, XT_REC_EVENT);
	xti_put_uint(&b, XTK_E_KIND); xti_put_uint(&b, XT_EV_NOTE);
	xti_put_uint(&b, XTK_E_STEP); xti_put_uint(&b, 2);
	xti_put_uint(&b, 3); xti_put_text(&b, "two steps");
	if (t->data_tail)
		xti_put_raw(&b, t->data_tail, t->data_tail_len);
	fx_put_frame(f, &b);
	/* the last 4 bytes of a zstd frame are its content checksum */
	if (t->bad_data_checksum)
		f->p[f->len - 1] ^= 0x55;

	uint64_t footer_at = f->len;
	struct xt_state final = fh.initial;
	final.regs.rip += 2;
	b.len = 0;
	put_small_footer(&b, t, frame0, &final);
	fx_put_frame(f, &b);
	if (!t->no_trailer) {
		uint8_t tr[XTI_TRAILER_SIZE];
		xti_trailer(tr, footer_at);
		xti_put_raw(f, tr, sizeof(tr));
	}
	TEST_ASSERT(!f->oom && !b.oom && !h.oom, "out of memory");
	xti_buf_free(&b);
	xti_buf_free(&h);
}

#define RAW(...) .header_pair = (const uint8_t[]){ __VA_ARGS__ }, \
	.header_pair_len = sizeof((const uint8_t[]){ __VA_ARGS__ })
#define TAIL(...) .data_tail = (const uint8_t[]){ __VA_ARGS__ }, \
	.data_tail_len = sizeof((const uint8_t[]){ __VA_ARGS__ })

static const struct {
	struct fx_hostile h;
	struct tweak t;
} hostile[] = {
	{ { "ok-small", NULL }, { 0 } },
	{ { "footer-no-final", "footer without its final state" }, { .footer = 1 } },
	{ { "footer-steps-2e63", NULL }, { .footer = 2 } },
	{ { "header-version-0", "major 0 is not valid" }, { .header_major0 = true } },
	{ { "header-twice", "the header frame holds more than the header record" },
	  { .header_twice = true } },
	{ { "dup-key-header", "header: key 2 appears twice" }, { RAW(0x02, 0x61, 0x78) } },
	{ { "dup-key-text", "key \"same\" appears twice" }, { .dup_extra = true } },
	/* step {0: 3, rip: 1, rip: 2} */
	{ { "dup-key-step", "step: key 17 appears twice" },
	  { TAIL(0xa3, 0x00, 0x03, 0x11, 0x01, 0x11, 0x02) } },
	/* header key 200: {_ 1: 2, 3 } */
	{ { "indef-map-odd", "ends after a key without its value" },
	  { RAW(0x18, 0xc8, 0xbf, 0x01, 0x02, 0x03, 0xff) } },
	/* header key 200: (_ h'00', "a") */
	{ { "indef-bytes-text-chunk", "holds a chunk of another type" },
	  { RAW(0x18, 0xc8, 0x5f, 0x41, 0x00, 0x61, 0x61, 0xff) } },
	{ { "text-not-utf8", "text is not UTF-8" }, { RAW(0x18, 0xc8, 0x62, 0x61, 0xff) } },
	{ { "text-overlong-utf8", "text is not UTF-8" }, { RAW(0x18, 0xc8, 0x62, 0xc0, 0xaf) } },
	{ { "text-nul", "text holds a NUL byte" }, { RAW(0x18, 0xc8, 0x63, 0x61, 0x00, 0x62) } },
	/* the note's text, in a record a tool would print */
	{ { "text-nul-note", "text holds a NUL byte" },
	  { TAIL(0xa4, 0x00, 0x04, 0x01, 0x06, 0x02, 0x02, 0x03, 0x62, 0x61, 0x00) } },
	{ { "simple-24-in-2-bytes", "not well-formed" }, { RAW(0x18, 0xc8, 0xf8, 0x18) } },
	/* simple values 32 and 16 are well-formed: skipped like any unknown value */
	{ { "simple-32-skipped", NULL }, { RAW(0x18, 0xc8, 0x82, 0xf8, 0x20, 0xf0) } },
	/* a note for step 9 after step 2, one for step 1 after step 2 */
	{ { "event-outside-frame", "a note event for step 9 after step 2" },
	  { TAIL(0xa4, 0x00, 0x04, 0x01, 0x06, 0x02, 0x09, 0x03, 0x61, 0x78) } },
	{ { "event-late", "a note event for step 1 after step 2" },
	  { TAIL(0xa4, 0x00, 0x04, 0x01, 0x06, 0x02, 0x01, 0x03, 0x61, 0x78) } },
	/* a ktrace event for step 0 after step 2: tracefs is read in batches */
	{ { "event-ktrace-late", NULL },
	  { TAIL(0xa7, 0x00, 0x04, 0x01, 0x05, 0x02, 0x00, 0x03, 0x61, 0x6b, 0x04, 0x00, 0x05, 0x00,
		 0x06, 0xa0) } },
	/* a note without its text */
	{ { "event-no-text", "note event without its key 3" },
	  { TAIL(0xa3, 0x00, 0x04, 0x01, 0x06, 0x02, 0x02) } },
	/* an injection for step 3 whose result, 2^40, was cut to 32 bits (0) */
	{ { "inject-result-2e40", "irq-inject result 1099511627776 does not fit 32 bits" },
	  { TAIL(0xa6, 0x00, 0x04, 0x01, 0x01, 0x02, 0x03, 0x03, 0x01, 0x04, 0x18, 0x30, 0x05, 0x1b,
		 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00) } },
	{ { "mark-length", "the file mark says its content is 13 bytes" }, { .mark_len = 13 } },
	/* complete by the spec (section 9): a footer frame met while reading */
	{ { "lost-trailer", NULL }, { .no_trailer = true } },
	/* opens (the footer is believed) but reading the frames fails */
	{ { "bad-data-checksum", "checksum" }, { .bad_data_checksum = true } },
};

size_t fx_hostile_count(void)
{
	return sizeof(hostile) / sizeof(hostile[0]);
}

const struct fx_hostile *fx_hostile_make(size_t i, struct xti_buf *f)
{
	TEST_ASSERT(i < fx_hostile_count(), "hostile trace %zu", i);
	f->len = 0;
	small_trace(f, &hostile[i].t);
	return &hostile[i].h;
}
