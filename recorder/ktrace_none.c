// SPDX-License-Identifier: MIT
/* Built without libtracefs: --ktrace says so instead of recording nothing. */
#include <errno.h>

#include "ktrace.h"
#include "rec_util.h"

int ktrace_open(struct ktrace **out, pid_t pid, void (*notice)(const char *msg), struct xt_error *err)
{
	(void)pid;
	(void)notice;
	*out = NULL;
	return rec_err(err, -ENOTSUP, "--ktrace: this exitrace was built without libtracefs");
}

void ktrace_mark(struct ktrace *kt, uint64_t step)
{
	(void)kt;
	(void)step;
}

int ktrace_collect(struct ktrace *kt, struct xt_writer *w, struct xt_error *err)
{
	(void)kt;
	(void)w;
	(void)err;
	return 0;
}

void ktrace_close(struct ktrace *kt)
{
	(void)kt;
}
