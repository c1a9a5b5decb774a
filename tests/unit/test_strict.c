// SPDX-License-Identifier: MIT
/*
 * The reader on the classes of hostile input an independent tester found
 * (issue #15): every one of fixture.c's hostile traces is refused with a
 * message naming the problem and the byte offset, or (the edges that only
 * look wrong) read in full.  Each case failed on the reader before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fixture.h"
#include "test_util.h"
#include "xt_internal.h"

static char dir[] = "/tmp/xt-strict-XXXXXX";

static void spill(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TEST_ASSERT(fd >= 0 && write(fd, p, n) == (ssize_t)n, "write %s", path);
	close(fd);
}

/* Open, read every record, count: 0, or the first error (its message in *msg). */
static int read_whole(const char *path, char *msg, size_t size, uint64_t *steps, bool *complete)
{
	struct xt_reader *r;
	struct xt_error err = { 0 };
	int rc = xt_reader_open(&r, path, &err);
	if (rc) {
		snprintf(msg, size, "%s", err.msg);
		return rc;
	}
	xt_reader_set_keyframes(r, true);
	struct xt_record rec = XT_RECORD_INIT;
	while ((rc = xt_reader_next(r, &rec)) > 0)
		;
	if (!rc)
		rc = xt_reader_count_steps(r, steps);
	snprintf(msg, size, "%s", rc ? xt_reader_error(r)->msg : "");
	*complete = !xt_reader_truncated(r) && xt_reader_footer(r);
	xt_reader_close(r);
	return rc;
}

int main(void)
{
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	struct xti_buf f = { 0 };
	for (size_t i = 0; i < fx_hostile_count(); i++) {
		const struct fx_hostile *h = fx_hostile_make(i, &f);
		const char *path = test_path(dir, h->name);
		spill(path, f.p, f.len);
		char msg[sizeof(((struct xt_error *)0)->msg)];
		uint64_t steps = 0;
		bool complete = false;
		int rc = read_whole(path, msg, sizeof(msg), &steps, &complete);
		if (!h->want) {
			TEST_EQ_U64(0, rc, "%s is read: %s", h->name, msg);
			TEST_ASSERT(complete, "%s: complete", h->name);
			continue;
		}
		TEST_EQ_U64((uint64_t)-EBADMSG, (uint64_t)rc, "%s is refused (%s)", h->name, msg);
		TEST_CONTAINS(msg, h->want, "%s: the message names the problem", h->name);
		TEST_CONTAINS(msg, "offset", "%s: and the byte offset", h->name);
	}

	/* the edges, one by one */
	struct xt_reader *r;
	struct xt_error err;
	for (size_t i = 0; i < fx_hostile_count(); i++) {
		const struct fx_hostile *h = fx_hostile_make(i, &f);
		const char *path = test_path(dir, h->name);
		if (!strcmp(h->name, "footer-steps-2e63")) {
			/* a count of 2^63 or more was returned as a negative int64: an error without a message */
			TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "open: %s", err.msg);
			uint64_t steps = 0;
			TEST_EQ_U64(0, xt_reader_count_steps(r, &steps), "count: %s", xt_reader_error(r)->msg);
			TEST_EQ_U64(1ull << 63, steps, "the footer's count, whole");
			xt_reader_close(r);
		} else if (!strcmp(h->name, "lost-trailer")) {
			/* complete (spec 9) once the footer frame is met, for every tool alike */
			TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "open: %s", err.msg);
			TEST_ASSERT(xt_reader_truncated(r), "nothing read yet: no footer known");
			uint64_t steps = 0;
			TEST_EQ_U64(0, xt_reader_count_steps(r, &steps), "count: %s", xt_reader_error(r)->msg);
			TEST_EQ_U64(2, steps, "two steps");
			TEST_ASSERT(!xt_reader_truncated(r) && xt_reader_footer(r), "the footer frame was met");
			xt_reader_close(r);
		} else if (!strcmp(h->name, "bad-data-checksum")) {
			/* the footer is believed at open: only reading the frames finds the damage */
			TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "open: %s", err.msg);
			TEST_ASSERT(xt_reader_footer(r), "the footer is read at open");
			xt_reader_close(r);
		} else if (!strcmp(h->name, "simple-32-skipped")) {
			TEST_EQ_U64(0, xt_reader_open(&r, path, &err), "simple values 32 and 16 skipped: %s", err.msg);
			xt_reader_close(r);
		}
	}
	xti_buf_free(&f);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_ASSERT(system(cmd) == 0, "cleanup");
	return 0;
}
