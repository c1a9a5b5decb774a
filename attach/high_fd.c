// SPDX-License-Identifier: MIT
/*
 * The trace file's descriptor, moved out of the VMM's way.  open() returns
 * the lowest free number, which the VMM's own next open() would have got:
 * a VMM that prints, passes or counts its descriptors would see the
 * difference.  Every source of the interposer (format/output.c, which
 * opens the trace, above all) is built with open() renamed to this
 * (attach/meson.build), so the descriptors we keep are high ones, near the
 * top of RLIMIT_NOFILE.  It calls openat(), which is not renamed.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/resource.h>

#include "attach.h"

int att_open_high(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	int fd = openat(AT_FDCWD, path, flags, mode);
	struct rlimit rl;
	if (fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 256)
		return fd;
	/* the top 64 numbers: above what VMMs open, below the limit so the VMM's last ones stay free */
	rlim_t base = rl.rlim_cur > 1u << 20 ? (1u << 20) - 64 : rl.rlim_cur - 64;
	int high = fcntl(fd, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, (int)base);
	if (high < 0)
		return fd;
	att_real.close(fd);
	return high;
}
