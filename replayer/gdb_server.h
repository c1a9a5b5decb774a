/* SPDX-License-Identifier: MIT */
/*
 * exitrace replay --gdb: a gdb remote-protocol server on a replay.  gdb
 * connects, reads registers and memory at the replay's step, steps and
 * continues forward and back (bs, bc), with breakpoints and watchpoints
 * that exitrace checks after each step; monitor commands move to a step
 * and say where the replay is.  The trace is only read.
 */
#ifndef XT_GDB_SERVER_H
#define XT_GDB_SERVER_H

#include <stdio.h>

#include "replay.h"

struct gdb_server_options {
	const struct replay_options *replay;
	const char *tcp;		/* [HOST:]PORT, or NULL */
	const char *unix_path;		/* or a Unix socket */
	uint64_t checkpoint_every;	/* steps between checkpoints */
	uint64_t checkpoint_mem;	/* bytes they may use */
	FILE *log;			/* where the server says what it does */
};

/* Serve one gdb session.  0 when gdb detached or closed, -errno with err set. */
int gdb_serve(const struct gdb_server_options *o, struct xt_error *err);

#endif
