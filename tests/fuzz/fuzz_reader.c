// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the trace reader on arbitrary bytes.
 *
 * The reader must turn any file into records or an error: no crash, leak,
 * hang or unbounded allocation.  Beyond what the sanitizers see, the target
 * checks the promises xt_reader.h makes (steps count up by one, a seek lands
 * on the step asked for, an error has a message) and reads every byte of
 * every string and array the reader hands out, so a length that does not
 * match its buffer shows up in ASan rather than in a tool months later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exitrace.h"
#include "fuzz.h"
#include "xt_util.h"

/* Records read after a seek: enough to cross into the next frame now and then. */
#define AFTER_SEEK 24

#define CHECK(e)                                                                       \
	do {                                                                           \
		if (!(e)) {                                                            \
			fprintf(stderr, "%s:%d: the reader broke a promise: %s\n",     \
				__FILE__, __LINE__, #e);                               \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* Reads land here so the compiler cannot drop them. */
static volatile uint64_t sink;

static void touch(const void *p, size_t n)
{
	CHECK(n == 0 || p != NULL);
	const uint8_t *b = p;
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + b[i];
	sink += h;
}

/* Text the reader hands out is UTF-8 with no NUL inside (it refuses other text). */
static void touch_str(const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	touch(s, n + 1);
	for (size_t i = 0; i < n;) {
		size_t k = xt_utf8_len((const uint8_t *)s + i, n - i);
		CHECK(k > 0);
		i += k;
	}
}

/* A string the format requires: never NULL. */
static void touch_req_str(const char *s)
{
	CHECK(s != NULL);
	touch_str(s);
}

static void touch_state(const struct xt_state *s)
{
	CHECK(s != NULL);
	touch(s, sizeof(*s));
	const struct xt_field *table;
	size_t n = xt_fields(&table);
	for (size_t id = 0; id < n; id++) {
		const struct xt_field *f = &table[id];
		if (f->name && f->kind == XT_KIND_BLOB) {
			uint32_t len;
			const uint8_t *p = xt_field_blob(s, f, &len);
			CHECK(len <= f->cap);
			touch(p, len);
		}
	}
}

static void touch_kvs(const struct xt_kv *kv, size_t n)
{
	touch(kv, n * sizeof(*kv));
	for (size_t i = 0; i < n; i++) {
		CHECK(kv[i].key && kv[i].value);
		touch_str(kv[i].key);
		touch_str(kv[i].value);
	}
}

static void touch_header(const struct xt_header *h)
{
	CHECK(h != NULL);
	/* a newer major version is refused at open */
	CHECK(h->version_major <= XT_FORMAT_MAJOR);
	touch_str(h->tool_version);
	touch(h->argv, h->argc * sizeof(*h->argv));
	for (size_t i = 0; i < h->argc; i++)
		touch_str(h->argv[i]);

	const struct xt_host *host = &h->host;
	touch_str(host->kernel_release);
	touch_str(host->kernel_version);
	touch_str(host->machine);
	touch_str(host->cpu_vendor);
	touch_str(host->cpu_model_name);
	touch_str(host->kvm_module);
	touch_kvs(host->kvm_params, host->n_kvm_params);
	touch(host->caps, host->n_caps * sizeof(*host->caps));

	const struct xt_vm_config *vm = &h->vm;
	touch_str(vm->loader);
	touch_str(vm->scenario);
	touch_str(vm->append);
	touch(vm->cpuid, vm->n_cpuid * sizeof(*vm->cpuid));
	touch(vm->memory, vm->n_memory * sizeof(*vm->memory));
	/* regions of 64 KiB or more are not held: touch_lazy() reads them */
	for (size_t i = 0; i < vm->n_memory; i++)
		if (vm->memory[i].data || vm->memory[i].size < (64u << 10))
			touch(vm->memory[i].data, vm->memory[i].size);
	touch(vm->memory_digests, vm->n_memory * sizeof(*vm->memory_digests));
	touch(vm->injections, vm->n_injections * sizeof(*vm->injections));
	touch(vm->stats_names, vm->n_stats * sizeof(*vm->stats_names));
	for (size_t i = 0; i < vm->n_stats; i++) {
		CHECK(vm->stats_names[i]);
		touch_str(vm->stats_names[i]);
	}

	touch_str(h->image.name);
	if (h->image.data || h->image.size < (64u << 10))
		touch(h->image.data, h->image.size);
	touch_state(h->initial);
	CHECK(vm->n_vcpus >= 1 && vm->n_vcpus <= XT_VCPUS_MAX);
	touch(vm->apic_ids, vm->n_vcpus * sizeof(*vm->apic_ids));
	for (uint32_t v = 1; v < vm->n_vcpus; v++)
		touch_state(&h->initial_vcpus[v - 1]);
	touch_kvs(h->extra, h->n_extra);
	CHECK(h->compare_masks != NULL);
	touch(h->compare_masks, XT_FIELD_ID_LIMIT * sizeof(*h->compare_masks));
}

/* The bytes of the header the reader does not hold, read again (when small enough to hold here). */
static void touch_lazy(struct xt_reader *r)
{
	const struct xt_header *h = xt_reader_header(r);
	const uint64_t most = 16u << 20;
	uint64_t end = 0;
	for (size_t i = 0; i < h->vm.n_memory; i++) {
		const struct xt_mem_region *m = &h->vm.memory[i];
		if (m->gpa > most || m->size > most - m->gpa)
			return;
		end = m->gpa + m->size > end ? m->gpa + m->size : end;
	}
	uint8_t *mem = calloc(1, end + 1);
	CHECK(mem != NULL);
	int rc = xt_reader_load_memory(r, mem, end);
	CHECK(rc == 0 || xt_reader_error(r)->msg[0]);
	touch(mem, end);
	free(mem);
	if (h->image.size <= most) {
		uint8_t *im = malloc(h->image.size + 1);
		CHECK(im != NULL);
		rc = xt_reader_load_image(r, im);
		CHECK(rc == 0 || xt_reader_error(r)->msg[0]);
		if (rc == 0)
			touch(im, h->image.size);
		free(im);
	}
}

static void touch_index(const struct xt_frame_index *ix, size_t n, uint64_t file_size)
{
	touch(ix, n * sizeof(*ix));
	for (size_t i = 0; i < n; i++) {
		CHECK(ix[i].offset < file_size);
		CHECK(i == 0 || ix[i].offset > ix[i - 1].offset);
	}
}

static void touch_footer(const struct xt_footer *f, uint64_t file_size, uint32_t n_vcpus)
{
	/* tools print these without looking: a footer lacking them is refused */
	touch_req_str(f->end_detail);
	touch(f->hist, f->n_hist * sizeof(*f->hist));
	touch_state(f->final);
	touch_index(f->index, f->n_index, file_size);
	/* a summary per vCPU when there are several, adding up to the whole */
	CHECK(f->n_vcpus == (n_vcpus > 1 ? n_vcpus : 0));
	uint64_t sum = 0;
	for (size_t v = 0; v < f->n_vcpus; v++) {
		touch(f->vcpus[v].hist, f->vcpus[v].n_hist * sizeof(*f->vcpus[v].hist));
		touch_state(f->vcpus[v].final);
		sum += f->vcpus[v].steps;
	}
	CHECK(f->n_vcpus == 0 || sum == f->steps);
}

static void touch_event(const struct xt_event *ev)
{
	CHECK(ev != NULL);
	switch (ev->kind) {
	case XT_EV_CONSOLE:
		touch(ev->console.data, ev->console.len);
		break;
	case XT_EV_INPUT:
		CHECK(ev->input.n <= XT_INPUT_MAX_VALUES);
		touch(ev->input.v, ev->input.n * sizeof(ev->input.v[0]));
		break;
	case XT_EV_KTRACE:
		touch_req_str(ev->ktrace.name);
		touch(ev->ktrace.fields, ev->ktrace.n_fields * sizeof(*ev->ktrace.fields));
		for (size_t i = 0; i < ev->ktrace.n_fields; i++) {
			CHECK(ev->ktrace.fields[i].name);
			touch_str(ev->ktrace.fields[i].name);
			touch_str(ev->ktrace.fields[i].str);
		}
		break;
	case XT_EV_NOTE:
		touch_req_str(ev->note.text);
		break;
	case XT_EV_STATS:
		touch(ev->stats.index, ev->stats.n * sizeof(*ev->stats.index));
		touch(ev->stats.delta, ev->stats.n * sizeof(*ev->stats.delta));
		break;
	default:
		touch(ev, sizeof(*ev));
	}
}

static void check_error(const struct xt_reader *r, int rc)
{
	const struct xt_error *e = xt_reader_error(r);
	CHECK(e->code == rc);
	CHECK(e->msg[0] != '\0');
	CHECK(memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
}

/* Each vCPU's last step number among its own steps; UINT64_MAX: not known (after a seek). */
static uint64_t vcpu_steps[XT_VCPUS_MAX];

static void forget_vcpu_steps(uint64_t v)
{
	for (size_t i = 0; i < XT_VCPUS_MAX; i++)
		vcpu_steps[i] = v;
}

/*
 * One record: checked against the step the reader should be at (*step is
 * the last step seen; UINT64_MAX when not known yet, just after a seek).
 */
static void check_record(const struct xt_reader *r, const struct xt_record *rec, uint64_t *step)
{
	CHECK(rec->offset < xt_reader_file_size(r));
	CHECK(rec->vcpu < xt_reader_header(r)->vm.n_vcpus);
	switch (rec->type) {
	case XT_REC_STEP:
		CHECK(*step == UINT64_MAX || rec->step == *step + 1);
		*step = rec->step;
		/* the state handed out is the step's vCPU's; its own numbers count up by one */
		CHECK(rec->state == xt_reader_vcpu_state(r, rec->vcpu));
		CHECK(rec->vcpu_step >= 1 && rec->vcpu_step <= rec->step);
		CHECK(vcpu_steps[rec->vcpu] == UINT64_MAX || rec->vcpu_step == vcpu_steps[rec->vcpu] + 1);
		vcpu_steps[rec->vcpu] = rec->vcpu_step;
		touch_state(rec->state);
		CHECK(rec->changed != NULL);
		touch(rec->changed, sizeof(*rec->changed));
		break;
	case XT_REC_KEYFRAME:
		/* a frame starts where the previous one ended */
		CHECK(*step == UINT64_MAX || rec->step == *step);
		*step = rec->step;
		touch_state(rec->state);
		break;
	case XT_REC_EVENT:
		CHECK(rec->vcpu == rec->event->vcpu);
		touch_event(rec->event);
		/*
		 * an event belongs to the step before it or (an injection) to the
		 * step after; ktrace events (and unknown kinds) may come late
		 */
		CHECK(rec->step == rec->event->step);
		CHECK(*step == UINT64_MAX || rec->step <= *step + 1);
		CHECK(*step == UINT64_MAX || rec->step >= *step || rec->event->kind == XT_EV_KTRACE ||
		      rec->event->kind == 0 || rec->event->kind >= XT_EV_KIND_LIMIT);
		break;
	default:
		CHECK(!"a record of an unknown type");
	}
}

/* Read the whole trace; returns the last step number, or a negative errno. */
static int64_t read_all(struct xt_reader *r)
{
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t step = 0;
	int rc;
	forget_vcpu_steps(0);
	while ((rc = xt_reader_next(r, &rec)) > 0)
		check_record(r, &rec, &step);
	if (rc < 0) {
		check_error(r, rc);
		return rc;
	}
	CHECK(rc == 0);
	/* the end stays the end */
	CHECK(xt_reader_next(r, &rec) == 0);
	return (int64_t)step;
}

static void seek_and_read(struct xt_reader *r, uint64_t target)
{
	int rc = xt_reader_seek(r, target);
	if (rc < 0) {
		check_error(r, rc);
		return;
	}
	CHECK(rc == 0);
	struct xt_record rec = XT_RECORD_INIT;
	uint64_t step = UINT64_MAX;
	bool seen_step = false;
	forget_vcpu_steps(target > 1 ? UINT64_MAX : 0);
	for (int i = 0; i < AFTER_SEEK; i++) {
		rc = xt_reader_next(r, &rec);
		if (rc <= 0) {
			if (rc < 0)
				check_error(r, rc);
			return;
		}
		if (rec.type == XT_REC_STEP && !seen_step) {
			/* "the next step record returned is step" (0 means from the start) */
			CHECK(rec.step == (target ? target : 1));
			seen_step = true;
		}
		/* a seek skips the events of earlier steps */
		if (rec.type == XT_REC_EVENT && !seen_step && target > 1)
			CHECK(rec.step >= target);
		check_record(r, &rec, &step);
	}
}

static void fuzz_reader(const char *path, size_t size)
{
	struct xt_reader *r;
	struct xt_error err;
	memset(&err, 0, sizeof(err));
	int rc = xt_reader_open(&r, path, &err);
	if (rc < 0) {
		CHECK(r == NULL);
		CHECK(err.code == rc);
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(rc == 0 && r != NULL);
	CHECK(xt_reader_file_size(r) == size);
	touch_header(xt_reader_header(r));
	touch_lazy(r);
	const struct xt_footer *foot = xt_reader_footer(r);
	CHECK(xt_reader_truncated(r) == (foot == NULL));
	if (foot)
		touch_footer(foot, size, xt_reader_header(r)->vm.n_vcpus);

	xt_reader_set_keyframes(r, true);
	int64_t last = read_all(r);
	xt_reader_set_keyframes(r, false);

	uint64_t steps = 0;
	rc = xt_reader_count_steps(r, &steps);
	if (rc < 0)
		check_error(r, rc);
	/* without a footer to believe, counting is reading again */
	else if (last >= 0 && !xt_reader_footer(r))
		CHECK(rc == 0 && steps == (uint64_t)last);
	size_t n;
	const struct xt_frame_index *ix = xt_reader_index(r, &n);
	touch_index(ix, n, size);

	/* the reader may have met a footer frame on the way (one without a trailer) */
	foot = xt_reader_footer(r);
	CHECK(xt_reader_truncated(r) == (foot == NULL));
	if (foot)
		touch_footer(foot, size, xt_reader_header(r)->vm.n_vcpus);

	uint64_t top = steps > 0 ? steps : last > 0 ? (uint64_t)last : 0;
	const uint64_t targets[] = { 0, 1, 2, top / 2, top > 0 ? top - 1 : 0, top, top + 1,
				     UINT64_MAX };
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		seek_and_read(r, targets[i]);

	xt_reader_close(r);
}

/* The reader takes a path: a memfd is a file with no disk behind it, made once. */
static int input_fd = -1;
static char input_path[64];

static void put_input(const uint8_t *data, size_t size)
{
	if (input_fd < 0) {
		input_fd = memfd_create("xt-fuzz-input", MFD_CLOEXEC);
		if (input_fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	}
	if (ftruncate(input_fd, 0) < 0) {
		perror("ftruncate");
		abort();
	}
	size_t done = 0;
	while (done < size) {
		ssize_t k = pwrite(input_fd, data + done, size - done, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			perror("pwrite");
			abort();
		}
		done += (size_t)k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	put_input(data, size);
	fuzz_reader(input_path, size);
	return 0;
}
