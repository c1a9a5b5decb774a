// SPDX-License-Identifier: MIT
/*
 * A trace cut at every byte offset opens (once its header is whole), says
 * it is truncated, and yields exactly the steps of its complete frames.
 * A trace with any one byte flipped gives an error naming an offset, or
 * reads correctly (a flip the format does not depend on), never a crash.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"

#define STEPS 60
#define CAPTURE XT_CAPTURE_DEFAULT

static struct xt_state states[STEPS + 1];

static uint8_t *slurp(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	struct stat st;
	fstat(fd, &st);
	uint8_t *p = malloc((size_t)st.st_size);
	TEST_ASSERT(read(fd, p, (size_t)st.st_size) == st.st_size, "read");
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

/* The cut copies live in memory (a memfd): thousands of them must not wait on a disk. */
static int cut_fd = -1;

static void spill(const char *path, const uint8_t *p, size_t n)
{
	(void)path;
	TEST_ASSERT(ftruncate(cut_fd, 0) == 0, "ftruncate");
	TEST_ASSERT(pwrite(cut_fd, p, n, 0) == (ssize_t)n, "pwrite");
}

/* Read everything; returns steps read, or a negative errno (then err holds the message). */
static int64_t read_all(const char *path, struct xt_error *err, bool *truncated, bool check_states)
{
	struct xt_reader *r;
	int rc = xt_reader_open(&r, path, err);
	if (rc < 0)
		return rc;
	struct xt_record rec = XT_RECORD_INIT;
	int64_t steps = 0;
	while ((rc = xt_reader_next(r, &rec)) > 0) {
		if (rec.type != XT_REC_STEP)
			continue;
		steps++;
		TEST_EQ_U64(steps, rec.step, "steps in order");
		if (check_states) {
			const struct xt_field *f = fx_state_differs(&states[steps], rec.state, CAPTURE);
			TEST_ASSERT(!f, "step %" PRId64 ": %s differs", steps, f ? f->name : "");
		}
	}
	*truncated = xt_reader_truncated(r);
	if (rc < 0) {
		*err = *xt_reader_error(r);
		steps = rc;
	}
	xt_reader_close(r);
	return steps;
}

int main(void)
{
	char path[] = "/tmp/xt-trunc-XXXXXX", cut[64];
	close(mkstemp(path));
	cut_fd = memfd_create("xt-cut", 0);
	TEST_ASSERT(cut_fd >= 0, "memfd_create");
	snprintf(cut, sizeof(cut), "/proc/self/fd/%d", cut_fd);

	struct fx_header fh;
	fx_header_init(&fh, CAPTURE);
	/* a small header keeps the every-offset loop short */
	fh.h.vm.n_memory = 1;
	fh.h.image.size = 16;
	struct xt_writer *w;
	struct xt_error err = { 0 };
	struct xt_writer_options opts = { .size = sizeof(struct xt_writer_options), .frame_max_steps = 7 };
	TEST_ASSERT(xt_writer_open(&w, path, &fh.h, &opts, &err) == 0, "open: %s", err.msg);
	struct fx_rng rng = { 7 };
	states[0] = fh.initial;
	for (uint64_t s = 1; s <= STEPS; s++) {
		states[s] = states[s - 1];
		fx_step(&rng, &states[s], s, CAPTURE, true);
		TEST_ASSERT(xt_writer_step(w, &states[s]) == 0, "step");
		if (s % 4 == 0) {
			struct xt_event ev;
			struct fx_event_storage st;
			fx_event(&rng, XT_EV_CONSOLE, s, &ev, &st);
			TEST_ASSERT(xt_writer_event(w, &ev) == 0, "event");
		}
	}
	struct xt_footer foot = { .end_reason = XT_END_MAX_STEPS };
	TEST_ASSERT(xt_writer_close(w, &foot, &err) == 0, "close: %s", err.msg);

	/* where each frame ends, from the complete trace's index */
	struct xt_reader *r;
	TEST_ASSERT(xt_reader_open(&r, path, &err) == 0, "open: %s", err.msg);
	size_t nframes;
	const struct xt_frame_index *ix = xt_reader_index(r, &nframes);
	struct xt_frame_index frames[64];
	TEST_ASSERT(nframes < 64, "frames");
	memcpy(frames, ix, nframes * sizeof(*ix));
	uint64_t footer_at = 0;
	{
		size_t n;
		uint8_t *all = slurp(path, &n);
		footer_at = 0;
		for (int i = 0; i < 8; i++)
			footer_at |= (uint64_t)all[n - 8 + i] << (8 * i);
		free(all);
	}
	xt_reader_close(r);

	size_t size;
	uint8_t *full = slurp(path, &size);
	uint64_t header_end = frames[0].offset;
	printf("trace: %zu bytes, header ends at %" PRIu64 ", %zu frames, footer at %" PRIu64 "\n", size,
	       header_end, nframes, footer_at);

	for (size_t n = 0; n <= size; n++) {
		spill(cut, full, n);
		bool truncated = false;
		memset(&err, 0, sizeof(err));
		int64_t got = read_all(cut, &err, &truncated, true);
		if (n < header_end) {
			TEST_ASSERT(got < 0, "a cut at %zu inside the header must not open", n);
			TEST_ASSERT(err.msg[0], "cut at %zu: an error message", n);
			if (n == 0)
				TEST_CONTAINS(err.msg, "empty", "cut at 0");
			else if (n < 16)
				TEST_CONTAINS(err.msg, "not an exitrace trace", "cut at %zu", n);
			else
				TEST_CONTAINS(err.msg, "cut short", "cut at %zu", n);
			continue;
		}
		TEST_ASSERT(got >= 0, "cut at %zu: %s", n, err.msg);
		uint64_t want = 0;
		for (size_t i = 0; i < nframes; i++) {
			uint64_t end = i + 1 < nframes ? frames[i + 1].offset : footer_at;
			if (end <= n)
				want += frames[i].nsteps;
		}
		TEST_EQ_U64(want, got, "steps recovered from a cut at %zu", n);
		/* the footer frame ends 24 bytes before the end: a whole footer makes it complete */
		bool footer_whole = n >= size - 24;
		TEST_EQ_U64(!footer_whole, truncated, "truncated flag for a cut at %zu", n);
	}

	/* every byte flipped, one at a time */
	uint8_t *flip = malloc(size);
	size_t errors = 0, clean = 0;
	for (size_t n = 0; n < size; n++) {
		memcpy(flip, full, size);
		flip[n] ^= 0x41;
		spill(cut, flip, size);
		bool truncated;
		memset(&err, 0, sizeof(err));
		int64_t got = read_all(cut, &err, &truncated, false);
		if (got < 0) {
			TEST_ASSERT(err.msg[0], "flip at %zu: a message", n);
			TEST_ASSERT(err.has_offset, "flip at %zu: the error names an offset: %s", n, err.msg);
			errors++;
		} else {
			clean++;
		}
	}
	printf("flipped each of %zu bytes: %zu errors, %zu read anyway\n", size, errors, clean);
	TEST_ASSERT(errors > size * 9 / 10, "checksums catch nearly all flips");

	free(flip);
	free(full);
	unlink(path);
	close(cut_fd);
	return 0;
}
