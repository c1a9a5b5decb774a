// SPDX-License-Identifier: MIT
/*
 * Every record type through the writer and back through the reader, field
 * by field, across many frame boundaries; then seeking to every step, and
 * to steps that had an injection.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"

#define STEPS 3000
#define CAPTURE (XT_CAPTURE_DEFAULT | XT_CAPTURE_LAPIC | XT_CAPTURE_DEBUGREGS | XT_CAPTURE_FPU)

static struct xt_state states[STEPS + 1];

static void check_header(const struct xt_header *want, const struct xt_header *got)
{
	TEST_EQ_U64(XT_FORMAT_ONE_VCPU_MAJOR, got->version_major, "major: one vCPU");
	TEST_EQ_U64(XT_FORMAT_ONE_VCPU_MINOR, got->version_minor, "minor: one vCPU");
	TEST_EQ_STR(want->tool_version, got->tool_version, "tool version");
	TEST_EQ_U64(want->argc, got->argc, "argc");
	for (size_t i = 0; i < want->argc; i++)
		TEST_EQ_STR(want->argv[i], got->argv[i], "argv[%zu]", i);
	TEST_EQ_U64(want->created_sec, got->created_sec, "created");
	TEST_EQ_U64(want->created_nsec, got->created_nsec, "created ns");

	const struct xt_host *wh = &want->host, *gh = &got->host;
	TEST_EQ_STR(wh->kernel_release, gh->kernel_release, "kernel");
	TEST_EQ_STR(wh->kernel_version, gh->kernel_version, "kernel version");
	TEST_EQ_STR(wh->machine, gh->machine, "machine");
	TEST_EQ_STR(wh->cpu_vendor, gh->cpu_vendor, "vendor");
	TEST_EQ_STR(wh->cpu_model_name, gh->cpu_model_name, "model name");
	TEST_EQ_U64(wh->cpu_family, gh->cpu_family, "family");
	TEST_EQ_U64(wh->cpu_model, gh->cpu_model, "model");
	TEST_EQ_U64(wh->cpu_stepping, gh->cpu_stepping, "stepping");
	TEST_EQ_U64(wh->microcode, gh->microcode, "microcode");
	TEST_EQ_STR(wh->kvm_module, gh->kvm_module, "module");
	TEST_EQ_U64(wh->n_kvm_params, gh->n_kvm_params, "params");
	for (size_t i = 0; i < wh->n_kvm_params; i++) {
		TEST_EQ_STR(wh->kvm_params[i].key, gh->kvm_params[i].key, "param %zu", i);
		TEST_EQ_STR(wh->kvm_params[i].value, gh->kvm_params[i].value, "param %zu", i);
	}
	TEST_EQ_U64(wh->api_version, gh->api_version, "api");
	TEST_EQ_U64(wh->n_caps, gh->n_caps, "caps");
	for (size_t i = 0; i < wh->n_caps; i++) {
		TEST_EQ_U64(wh->caps[i].cap, gh->caps[i].cap, "cap %zu", i);
		TEST_EQ_U64(wh->caps[i].value, gh->caps[i].value, "cap %zu value", i);
	}

	const struct xt_vm_config *wv = &want->vm, *gv = &got->vm;
	TEST_EQ_U64(wv->mem_size, gv->mem_size, "mem");
	TEST_EQ_U64(wv->cpu_mode, gv->cpu_mode, "mode");
	TEST_EQ_U64(wv->irqchip, gv->irqchip, "irqchip");
	TEST_EQ_U64(wv->guest_debug, gv->guest_debug, "guest debug");
	for (int i = 0; i < 8; i++)
		TEST_EQ_U64(wv->debugreg[i], gv->debugreg[i], "debugreg[%d]", i);
	TEST_EQ_U64(wv->capture, gv->capture, "capture");
	TEST_EQ_U64(wv->max_steps, gv->max_steps, "max steps");
	TEST_EQ_U64(wv->timeout_ms, gv->timeout_ms, "timeout");
	TEST_EQ_U64(wv->tsc_khz, gv->tsc_khz, "tsc");
	TEST_EQ_U64(wv->platform, gv->platform, "platform");
	TEST_ASSERT(gv->platform, "the fixture has a platform to round-trip");
	TEST_EQ_STR(wv->loader, gv->loader, "loader");
	TEST_EQ_STR(wv->scenario, gv->scenario, "scenario");
	TEST_EQ_STR(wv->append, gv->append, "append");
	TEST_EQ_U64(wv->load_addr, gv->load_addr, "load");
	TEST_EQ_U64(wv->entry, gv->entry, "entry");
	TEST_EQ_U64(wv->n_cpuid, gv->n_cpuid, "cpuid");
	TEST_ASSERT(!memcmp(wv->cpuid, gv->cpuid, wv->n_cpuid * sizeof(*wv->cpuid)), "cpuid entries");
	TEST_EQ_U64(wv->n_memory, gv->n_memory, "memory");
	for (size_t i = 0; i < wv->n_memory; i++) {
		TEST_EQ_U64(wv->memory[i].gpa, gv->memory[i].gpa, "region %zu", i);
		TEST_EQ_U64(wv->memory[i].size, gv->memory[i].size, "region %zu", i);
		TEST_ASSERT(!memcmp(wv->memory[i].data, gv->memory[i].data, wv->memory[i].size),
			    "region %zu bytes", i);
	}
	TEST_EQ_U64(wv->n_injections, gv->n_injections, "injections");
	for (size_t i = 0; i < wv->n_injections; i++) {
		TEST_EQ_U64(wv->injections[i].vector, gv->injections[i].vector, "inj %zu", i);
		TEST_EQ_U64(wv->injections[i].method, gv->injections[i].method, "inj %zu", i);
		TEST_EQ_U64(wv->injections[i].step, gv->injections[i].step, "inj %zu", i);
		TEST_EQ_U64(wv->injections[i].port, gv->injections[i].port, "inj %zu", i);
	}
	TEST_EQ_U64(wv->n_stats, gv->n_stats, "stats");
	for (size_t i = 0; i < wv->n_stats; i++)
		TEST_EQ_STR(wv->stats_names[i], gv->stats_names[i], "stat %zu", i);

	TEST_EQ_STR(want->image.name, got->image.name, "image name");
	TEST_EQ_U64(want->image.size, got->image.size, "image size");
	TEST_ASSERT(!memcmp(want->image.data, got->image.data, want->image.size), "image bytes");
	TEST_ASSERT(!memcmp(want->image.sha256, got->image.sha256, 32), "image hash");
	const struct xt_field *f = fx_state_differs(want->initial, got->initial, CAPTURE);
	TEST_ASSERT(!f, "initial state differs in %s", f ? f->name : "");
	TEST_EQ_U64(want->n_extra, got->n_extra, "extra");
	TEST_EQ_STR(want->extra[0].value, got->extra[0].value, "extra value");

	uint64_t masks[XT_FIELD_ID_LIMIT];
	xt_default_compare_masks(masks);
	for (unsigned id = 0; id < XT_FIELD_ID_LIMIT; id++)
		if (xt_field_by_id(id))
			TEST_EQ_U64(masks[id], got->compare_masks[id], "mask of field %u", id);
}

/*
 * An injection for step N precedes step record N.  Seeking to N starts at
 * the frame holding step N, so the injection must be in that frame even
 * when the frame is full by bytes right after the injection.
 */
static void test_inject_seek(const char *path)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_bytes = 1 };	/* every record fills a frame */
	TEST_ASSERT(xt_writer_open(&w, path, &fh.h, &opts, &err) == 0, "open: %s", err.msg);
	struct fx_rng rng = { 3 };
	struct xt_state s = fh.initial;
	for (uint64_t step = 1; step <= 20; step++) {
		if (step % 5 == 0) {
			struct xt_event ev;
			struct fx_event_storage st;
			fx_event(&rng, XT_EV_IRQ_INJECT, step, &ev, &st);
			TEST_ASSERT(xt_writer_event(w, &ev) == 0, "inject");
		}
		fx_step(&rng, &s, step, XT_CAPTURE_DEFAULT, false);
		TEST_ASSERT(xt_writer_step(w, &s) == 0, "step %" PRIu64, step);
	}
	struct xt_footer foot = { .end_reason = XT_END_MAX_STEPS };
	TEST_ASSERT(xt_writer_close(w, &foot, &err) == 0, "close: %s", err.msg);

	struct xt_reader *r;
	TEST_ASSERT(xt_reader_open(&r, path, &err) == 0, "reader open: %s", err.msg);
	for (uint64_t step = 5; step <= 20; step += 5) {
		struct xt_record rec = XT_RECORD_INIT;
		TEST_EQ_U64(0, xt_reader_seek(r, step), "seek %" PRIu64, step);
		TEST_EQ_U64(1, xt_reader_next(r, &rec), "read after seek to %" PRIu64, step);
		TEST_EQ_U64(XT_REC_EVENT, rec.type, "seek to %" PRIu64 ": the injection comes first", step);
		TEST_EQ_U64(XT_EV_IRQ_INJECT, rec.event->kind, "injection kind");
		TEST_EQ_U64(step, rec.event->step, "injection step");
		TEST_EQ_U64(1, xt_reader_next(r, &rec), "step after the injection");
		TEST_EQ_U64(XT_REC_STEP, rec.type, "then the step");
		TEST_EQ_U64(step, rec.step, "the injection's step");
	}
	xt_reader_close(r);
}

/* The writer never writes a frame larger than readers accept (64 MiB). */
static void test_frame_limits(const char *path)
{
	struct fx_header fh;
	fx_header_init(&fh, XT_CAPTURE_DEFAULT);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options big = { .size = sizeof(struct xt_writer_options), .frame_max_bytes = 64u << 20 };
	TEST_EQ_U64((uint64_t)-EINVAL, (uint64_t)xt_writer_open(&w, path, &fh.h, &big, &err),
		    "frames as large as the reader's limit");
	TEST_CONTAINS(err.msg, "at most", "the message names the limit");

	TEST_ASSERT(xt_writer_open(&w, path, &fh.h, NULL, &err) == 0, "open: %s", err.msg);
	struct fx_rng rng = { 5 };
	struct xt_state s = fh.initial;
	fx_step(&rng, &s, 1, XT_CAPTURE_DEFAULT, false);
	TEST_ASSERT(xt_writer_step(w, &s) == 0, "step 1");
	size_t huge = (64u << 20) + 1;
	uint8_t *data = calloc(1, huge);
	TEST_ASSERT(data, "calloc");
	struct xt_event ev = { .kind = XT_EV_CONSOLE, .step = 1 };
	ev.console.data = data;
	ev.console.len = huge;
	TEST_EQ_U64((uint64_t)-EFBIG, (uint64_t)xt_writer_event(w, &ev), "a console event over 64 MiB");
	free(data);
	ev.console.data = (const uint8_t *)"ok";
	ev.console.len = 2;
	TEST_ASSERT(xt_writer_event(w, &ev) == 0, "the writer is still usable: %s", xt_writer_error(w)->msg);
	ev = (struct xt_event){ .kind = XT_EV_INPUT, .step = 1 };
	ev.input.n = XT_INPUT_MAX_VALUES + 1;
	TEST_EQ_U64((uint64_t)-EINVAL, (uint64_t)xt_writer_event(w, &ev), "too many input values");
	fx_step(&rng, &s, 2, XT_CAPTURE_DEFAULT, false);
	TEST_ASSERT(xt_writer_step(w, &s) == 0, "step 2");
	struct xt_footer foot = { .end_reason = XT_END_MAX_STEPS };
	TEST_ASSERT(xt_writer_close(w, &foot, &err) == 0, "close: %s", err.msg);

	struct xt_reader *r;
	TEST_ASSERT(xt_reader_open(&r, path, &err) == 0, "reader open: %s", err.msg);
	struct xt_record rec = XT_RECORD_INIT;
	int rc, steps = 0, events = 0;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		steps += rec.type == XT_REC_STEP;
		if (rec.type == XT_REC_EVENT) {
			events++;
			TEST_EQ_U64(2, rec.event->console.len, "only the small event was written");
		}
	}
	TEST_EQ_U64(0, rc, "read: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(2, steps, "steps");
	TEST_EQ_U64(1, events, "events");
	xt_reader_close(r);
}

int main(void)
{
	char path[] = "/tmp/xt-roundtrip-XXXXXX";
	int fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	close(fd);

	struct fx_header fh;
	fx_header_init(&fh, CAPTURE);
	struct xt_writer *w;
	struct xt_error err = { 0 };
	/* small frames: many boundaries, some frames holding only events */
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 37 };
	TEST_ASSERT(xt_writer_open(&w, path, &fh.h, &opts, &err) == 0, "open: %s", err.msg);

	struct fx_rng rng = { 42 };
	states[0] = fh.initial;
	struct xt_event events[STEPS];
	struct fx_event_storage store[STEPS];
	size_t nev = 0;
	for (uint64_t step = 1; step <= STEPS; step++) {
		states[step] = states[step - 1];
		fx_step(&rng, &states[step], step, CAPTURE, true);
		/* every other step tells the writer which blocks it knows did not change */
		uint32_t same = 0;
		if (!memcmp(&states[step].sregs, &states[step - 1].sregs, sizeof(states[0].sregs)))
			same |= 1u << XT_BLOCK_SREGS;
		if (!memcmp(&states[step].events, &states[step - 1].events, sizeof(states[0].events)))
			same |= 1u << XT_BLOCK_EVENTS;
		int rc = step % 2 ? xt_writer_step_same(w, &states[step], same) : xt_writer_step(w, &states[step]);
		TEST_ASSERT(rc == 0, "step %" PRIu64, step);
		if (step % 5 == 0) {
			uint32_t kind = 1 + (uint32_t)(step / 5 % (XT_EV_KIND_LIMIT - 1));
			fx_event(&rng, kind, step, &events[nev], &store[nev]);
			TEST_ASSERT(xt_writer_event(w, &events[nev]) == 0, "event");
			nev++;
		}
		if (step == 1000)
			TEST_ASSERT(xt_writer_flush(w) == 0, "flush");
	}
	struct xt_footer foot = { .end_reason = XT_END_HLT, .end_code = 7,
				  .end_detail = "the guest halted", .duration_ns = 12345 };
	TEST_ASSERT(xt_writer_close(w, &foot, &err) == 0, "close: %s", err.msg);

	struct xt_reader *r;
	TEST_ASSERT(xt_reader_open(&r, path, &err) == 0, "reader open: %s", err.msg);
	TEST_ASSERT(!xt_reader_truncated(r), "a closed trace is complete");
	check_header(&fh.h, xt_reader_header(r));

	const struct xt_footer *f = xt_reader_footer(r);
	TEST_ASSERT(f, "footer");
	TEST_EQ_U64(STEPS, f->steps, "footer steps");
	TEST_EQ_U64(XT_END_HLT, f->end_reason, "end reason");
	TEST_EQ_U64(7, f->end_code, "end code");
	TEST_EQ_STR("the guest halted", f->end_detail, "end detail");
	TEST_EQ_U64(12345, f->duration_ns, "duration");
	TEST_ASSERT(!fx_state_differs(&states[STEPS], f->final, CAPTURE), "final state");
	uint64_t hist_total = 0, want_debug = 0;
	for (uint64_t s = 1; s <= STEPS; s++)
		want_debug += states[s].exit.reason == KVM_EXIT_DEBUG;
	for (size_t i = 0; i < f->n_hist; i++) {
		hist_total += f->hist[i].count;
		if (f->hist[i].reason == KVM_EXIT_DEBUG)
			TEST_EQ_U64(want_debug, f->hist[i].count, "DEBUG exits in histogram");
		if (i)
			TEST_ASSERT(f->hist[i - 1].reason < f->hist[i].reason, "histogram sorted");
	}
	TEST_EQ_U64(STEPS, hist_total, "histogram total");
	for (unsigned k = 1; k < XT_EV_KIND_LIMIT; k++) {
		uint64_t want = 0;
		for (size_t i = 0; i < nev; i++)
			want += events[i].kind == k;
		TEST_EQ_U64(want, f->event_counts[k], "event count of kind %u", k);
	}
	TEST_ASSERT(f->n_index > STEPS / 37, "many frames: %zu", f->n_index);

	/* sequential read: every step and event, in order, with keyframes at frame starts */
	xt_reader_set_keyframes(r, true);
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t step = 0, keyframes = 0;
	size_t ei = 0;
	int rc;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type == XT_REC_KEYFRAME) {
			TEST_EQ_U64(f->index[keyframes].first_step, rec.step, "keyframe %" PRIu64, keyframes);
			TEST_EQ_U64(f->index[keyframes].offset, rec.offset, "keyframe offset");
			TEST_ASSERT(!fx_state_differs(&states[rec.step], rec.state, CAPTURE),
				    "keyframe state at step %" PRIu64, rec.step);
			keyframes++;
		} else if (rec.type == XT_REC_STEP) {
			step++;
			TEST_EQ_U64(step, rec.step, "step number");
			const struct xt_field *d = fx_state_differs(&states[step], rec.state, CAPTURE);
			TEST_ASSERT(!d, "step %" PRIu64 ": field %s differs", step, d ? d->name : "");
			struct xt_field_set want;
			xt_state_diff(&states[step - 1], &states[step], CAPTURE, &want);
			TEST_ASSERT(!memcmp(&want, rec.changed, sizeof(want)),
				    "step %" PRIu64 ": changed set", step);
		} else {
			TEST_ASSERT(ei < nev, "too many events");
			TEST_ASSERT(fx_event_equal(&events[ei], rec.event), "event %zu (kind %u) differs", ei,
				    events[ei].kind);
			ei++;
		}
	}
	TEST_EQ_U64(0, rc, "end of trace: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(STEPS, step, "steps read");
	TEST_EQ_U64(nev, ei, "events read");
	TEST_EQ_U64(f->n_index, keyframes, "one keyframe per frame");
	xt_reader_set_keyframes(r, false);

	/* seeking: every step lands on the right state, decoded from its own frame only */
	for (uint64_t s = 1; s <= STEPS; s += 1 + s % 13) {
		TEST_EQ_U64(0, xt_reader_seek(r, s), "seek %" PRIu64 ": %s", s, xt_reader_error(r)->msg);
		do {
			TEST_EQ_U64(1, xt_reader_next(r, &rec), "read after seek to %" PRIu64, s);
		} while (rec.type != XT_REC_STEP);
		TEST_EQ_U64(s, rec.step, "seek target");
		TEST_ASSERT(!fx_state_differs(&states[s], rec.state, CAPTURE), "state after seek to %" PRIu64, s);
	}
	TEST_EQ_U64((uint64_t)-ERANGE, (uint64_t)xt_reader_seek(r, STEPS + 1), "seek past the end");
	uint64_t counted;
	TEST_EQ_U64(0, xt_reader_count_steps(r, &counted), "count: %s", xt_reader_error(r)->msg);
	TEST_EQ_U64(STEPS, counted, "count");
	size_t nframes = f->n_index;
	xt_reader_close(r);
	test_inject_seek(path);
	test_frame_limits(path);
	unlink(path);
	printf("round trip: %d steps, %zu events, %zu frames\n", STEPS, nev, nframes);
	return 0;
}
