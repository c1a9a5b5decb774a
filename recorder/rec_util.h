/* SPDX-License-Identifier: MIT */
/* Small helpers shared by recorder/ and replayer/: errors as values. */
#ifndef XT_REC_UTIL_H
#define XT_REC_UTIL_H

#include "exitrace.h"

/* Fill err (if not NULL) with code and a message; returns code. */
int rec_err(struct xt_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read a whole file (at most max bytes); caller frees.  0 or -errno. */
int rec_read_file(const char *path, size_t max, uint8_t **data, size_t *size,
		  struct xt_error *err);

#endif
