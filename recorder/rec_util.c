// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rec_util.h"

int rec_err(struct xt_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	xt_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int rec_read_file(const char *path, size_t max, uint8_t **data, size_t *size,
		  struct xt_error *err)
{
	/* not blocking: a FIFO would wait for a writer in open(); it is refused below */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return rec_err(err, -errno, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return rec_err(err, -e, "cannot stat %s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return rec_err(err, -EINVAL, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return rec_err(err, -EFBIG, "%s is %lld bytes; at most %zu allowed", path,
			       (long long)st.st_size, max);
	}
	uint8_t *p = malloc((size_t)st.st_size + 1);
	if (!p) {
		close(fd);
		return rec_err(err, -ENOMEM, "out of memory reading %s", path);
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, p + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			free(p);
			close(fd);
			return rec_err(err, -e, "reading %s: %s", path, strerror(e));
		}
		got += (size_t)k;
	}
	close(fd);
	*data = p;
	*size = got;
	return 0;
}

bool rec_parse_u64(const char *s, const char **end, uint64_t *v)
{
	if (!s || !isdigit((unsigned char)s[0]))
		return false;
	/*
	 * Decimal, or hex after 0x: never octal, so "010" is ten as a reader
	 * of --max-steps 010 or --mem 0100M expects, not eight.
	 */
	int base = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2]) ? 16 : 10;
	char *e;
	errno = 0;
	unsigned long long x = strtoull(s, &e, base);
	if (errno)
		return false;
	if (end)
		*end = e;
	*v = x;
	return true;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void rec_own_before_run(struct rec_own_time *o)
{
	if (!o->returned_at)
		return;
	o->ns += now_ns() - o->returned_at;
	o->samples++;
	o->returned_at = 0;
}

void rec_own_after_run(struct rec_own_time *o, uint64_t done)
{
	if (done % REC_OWN_SAMPLE_EVERY == 0)
		o->returned_at = now_ns();
}
