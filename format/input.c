// SPDX-License-Identifier: MIT
/*
 * Opening a trace to read: a file, or a stream ("-" for standard input, a
 * pipe, a FIFO, a process substitution's /dev/fd/N, a socket).
 *
 * The reader finds the footer through the trailer at the end of the file
 * and reads the header's long byte strings again when replay asks for
 * guest memory, so it reads at offsets.  A stream is therefore copied once
 * into an unlinked temporary file (in $TMPDIR, else /tmp) through a fixed
 * buffer: memory stays flat whatever the trace's length, the copy goes
 * when the reader closes it, and nothing is left behind if the process dies.
 * The copy stops after the first bytes when they are not a trace's file
 * mark, so /dev/zero or a mistaken pipe is refused at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xt_internal.h"

#define COPY_CHUNK (64u << 10)

static int tmp_file(struct xt_error *err)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* a file system without O_TMPFILE: a named file, unlinked at once */
	char path[4096];
	snprintf(path, sizeof(path), "%s/exitrace-in-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return xti_err(err, -errno, "cannot create a temporary file in %s to hold the input stream: %s",
			       dir, strerror(errno));
	unlink(path);
	return fd;
}

static bool could_be_trace(const uint8_t *p, size_t n)
{
	if (n >= 4 && xti_rd32(p) != XTI_SKIPPABLE_MAGIC)
		return false;
	return n < 16 || !memcmp(p + 8, XTI_FILE_MAGIC, 8);
}

/* Read up to n bytes from a blocking stream; returns the count or a negative errno. */
static ssize_t read_some(int fd, uint8_t *p, size_t n)
{
	for (;;) {
		ssize_t k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		return k < 0 ? -errno : k;
	}
}

/* Copy the stream in to a temporary file; its descriptor, or a negative errno. */
static int spool(int in, const char *name, struct xt_error *err)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	if (!buf)
		return xti_err(err, -ENOMEM, "out of memory");
	int out = tmp_file(err);
	if (out < 0) {
		free(buf);
		return out;
	}
	uint64_t total = 0;
	int rc = 0;
	for (;;) {
		ssize_t k = read_some(in, buf, COPY_CHUNK);
		if (k < 0) {
			rc = xti_err(err, (int)k, "reading %s at offset %llu: %s", name,
				     (unsigned long long)total, strerror((int)-k));
			break;
		}
		if (k == 0)
			break;
		for (ssize_t done = 0; done < k;) {
			ssize_t w = write(out, buf + done, (size_t)(k - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				int e = w < 0 ? errno : ENOSPC;
				rc = xti_err(err, -e, "copying %s to a temporary file: %s", name, strerror(e));
				break;
			}
			done += w;
		}
		if (rc)
			break;
		bool first = total < 16;
		total += (uint64_t)k;
		/* what is no trace stops here: the reader names the problem from these bytes */
		if (first && total >= 16) {
			uint8_t head[16];
			if (pread(out, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
			    !could_be_trace(head, sizeof(head)))
				break;
		}
	}
	free(buf);
	if (rc) {
		close(out);
		return rc;
	}
	return out;
}

int xti_open_input(const char *path, const char *name, uint64_t *size, struct xt_error *err)
{
	bool std_in = !strcmp(path, "-");
	int fd = std_in ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)
			/* a FIFO: open must not wait for a writer that may never come */
			: open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return xti_err(err, -errno, "cannot open %s: %s", name, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return xti_err(err, -e, "cannot stat %s: %s", name, strerror(e));
	}
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return fd;
	}
	if (std_in && isatty(fd)) {
		close(fd);
		return xti_err(err, -EINVAL, "standard input is a terminal: give a trace file, or pipe "
			       "or redirect one in");
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISSOCK(st.st_mode)) {
		close(fd);
		return xti_err(err, -EINVAL, "%s is not a regular file or a stream (it is %s)", name,
			       S_ISDIR(st.st_mode) ? "a directory" : "a block device or other special file");
	}
	/*
	 * A FIFO that no process has opened to write reads as empty at once
	 * (and is refused as empty); one with a writer is then read blocking.
	 */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return xti_err(err, -e, "cannot set up %s: %s", name, strerror(e));
	}
	int tmp = spool(fd, name, err);
	close(fd);
	if (tmp < 0)
		return tmp;
	if (fstat(tmp, &st) < 0) {
		int e = errno;
		close(tmp);
		return xti_err(err, -e, "cannot stat the copy of %s: %s", name, strerror(e));
	}
	*size = (uint64_t)st.st_size;
	return tmp;
}

int xt_input_open(const char *path, uint64_t *size, struct xt_error *err)
{
	if (!path || !size)
		return xti_err(err, -EINVAL, "xt_input_open: no path or no size");
	return xti_open_input(path, strcmp(path, "-") ? path : "standard input", size, err);
}
