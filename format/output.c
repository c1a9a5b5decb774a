// SPDX-License-Identifier: MIT
/*
 * Opening a file to write a trace (or a guest's console) to, without the
 * ways that goes wrong on a shared machine: a symbolic link or a hard link
 * planted where others can create names, a FIFO nobody reads (open() would block for
 * ever), a device truncated, two writers interleaving their frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xt_internal.h"
#include "xt_writer.h"

#define OUT_FLAGS (O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC)

/*
 * Can others create or replace names in the directory of path's last
 * component?  Then a symbolic link there may be someone else's trap.
 */
static bool dir_open_to_others(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	struct stat st;
	if (stat(dir, &st) < 0)
		return true;	/* cannot tell: take the safe side */
	return (st.st_mode & (S_ISVTX | S_IWOTH)) != 0;
}

static const char *kind_name(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISBLK(m) ? "a block device" : "not a regular file";
}

/*
 * "-": standard output, written as it is.  A trace's offsets count from its
 * first byte, so a file there must be written from its start; a terminal
 * would only show binary.
 */
static int open_stdout(struct xt_error *err)
{
	if (isatty(STDOUT_FILENO))
		return xti_err(err, -EINVAL, "standard output is a terminal: redirect it to a file or a pipe "
			       "(a trace is binary)");
	int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return xti_err(err, -errno, "cannot write to standard output: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t at = lseek(fd, 0, SEEK_CUR);
		int fl = fcntl(fd, F_GETFL);
		if (at != 0 || (fl >= 0 && (fl & O_APPEND) && st.st_size)) {
			close(fd);
			return xti_err(err, -EINVAL, "standard output is a file written from offset %lld, not from "
				       "its start: a trace's offsets count from its first byte (use > not >>)",
				       (long long)(at > 0 ? at : st.st_size));
		}
	}
	return fd;
}

int xt_open_output(const char *path, struct xt_error *err)
{
	if (!strcmp(path, "-"))
		return open_stdout(err);
	int fd = open(path, OUT_FLAGS | O_NOFOLLOW, 0644);
	if (fd < 0 && errno == ELOOP) {
		/* the last component is a symbolic link: followed only where no one else can have put it */
		if (dir_open_to_others(path))
			return xti_err(err, -ELOOP, "%s is a symbolic link in a directory others can write to: "
				       "not followed (give the path it points to)", path);
		fd = open(path, OUT_FLAGS, 0644);
	}
	if (fd < 0) {
		int e = errno;
		if (e == ENXIO)
			return xti_err(err, -e, "cannot write to %s: it is a FIFO that no process reads", path);
		return xti_err(err, -e, "cannot create %s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return xti_err(err, -e, "cannot stat %s: %s", path, strerror(e));
	}
	if (S_ISREG(st.st_mode)) {
		/*
		 * Where others can create names, an existing file may be their
		 * trap too: a hard link to a file of ours, or a file of theirs
		 * (what the kernel's fs.protected_regular refuses).
		 */
		if ((st.st_nlink > 1 || st.st_uid != geteuid()) && dir_open_to_others(path)) {
			close(fd);
			return xti_err(err, -EPERM, "%s is in a directory others can write to and %s: not truncated "
				       "(remove it first)", path,
				       st.st_nlink > 1 ? "has other hard links" : "belongs to another user");
		}
		/* the lock first: a second writer must not truncate what the first is writing */
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			close(fd);
			return xti_err(err, -EBUSY, "%s is being written by another exitrace (it holds the "
				       "file's lock): not overwritten", path);
		}	/* a file system without flock() (ENOLCK, EOPNOTSUPP): written unlocked, as before */
		if (ftruncate(fd, 0) < 0) {
			int e = errno;
			close(fd);
			return xti_err(err, -e, "cannot truncate %s: %s", path, strerror(e));
		}
	} else if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISSOCK(st.st_mode)) {
		close(fd);
		return xti_err(err, -EINVAL, "cannot write to %s: it is %s", path, kind_name(st.st_mode));
	}
	/* a stream (pipe, /dev/null, a terminal) is written as it is, never truncated */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return xti_err(err, -e, "cannot set up %s: %s", path, strerror(e));
	}
	return fd;
}
