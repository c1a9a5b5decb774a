// SPDX-License-Identifier: MIT
/*
 * The options `exitrace record -- COMMAND` passes by environment.  They are
 * taken out of the environment again, and LD_PRELOAD set back to what it
 * was, so the VMM (and what it runs) sees the environment it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "attach.h"

struct att_options att_opt;

/* getenv() then unsetenv(): the value copied, since unsetenv frees nothing we may keep. */
static char *take(const char *name)
{
	const char *v = getenv(name);
	char *copy = v ? strdup(v) : NULL;
	unsetenv(name);
	return copy;
}

void att_options_load(void)
{
	char *out = take("EXITRACE_ATTACH_OUTPUT");
	char *run = take("EXITRACE_ATTACH_RUN");
	char *mem = take("EXITRACE_ATTACH_MEMORY_LIMIT");
	char *memory = take("EXITRACE_ATTACH_MEMORY");
	char *stale = take("EXITRACE_ATTACH_STALE");
	char *preload = take("EXITRACE_ATTACH_PRELOAD");
	char *borrow = take("EXITRACE_ATTACH_BORROW_SYNC_REGS");
	char *step = take("EXITRACE_ATTACH_STEP");
	char *at_port = take("EXITRACE_ATTACH_STEP_AT_PORT");
	char *after = take("EXITRACE_ATTACH_STEP_AFTER");
	char *time = take("EXITRACE_ATTACH_TIME");
	if (!out)
		return;		/* loaded, but not by exitrace: do nothing at all */
	/* "" marks an LD_PRELOAD the VMM did not have */
	if (preload && *preload)
		setenv("LD_PRELOAD", preload, 1);
	else
		unsetenv("LD_PRELOAD");
	free(preload);
	att_opt.run_id = run ? run : "";
	att_opt.memory_limit = mem ? strtoull(mem, NULL, 10) : (256ull << 20);
	att_opt.stale = !stale || strcmp(stale, "0") != 0;
	att_opt.borrow_sync_regs = !borrow || strcmp(borrow, "0") != 0;	/* the default: run_hook.c */
	att_opt.memory = !memory || !strcmp(memory, "full") ? ATT_MEMORY_FULL :
			 !strcmp(memory, "hash") ? ATT_MEMORY_HASH : ATT_MEMORY_NONE;
	free(memory);
	free(mem);
	free(stale);
	free(borrow);
	/* "1": single-step; "2": and block IRQs while stepping (KVM_GUESTDBG_BLOCKIRQ) */
	if (step && (!strcmp(step, "1") || !strcmp(step, "2")))
		att_opt.step = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
			       (!strcmp(step, "2") ? KVM_GUESTDBG_BLOCKIRQ : 0);
	free(step);
	att_opt.step_at_port = at_port ? (int32_t)(strtoul(at_port, NULL, 10) & 0xffff) : -1;
	att_opt.step_after = after ? strtoull(after, NULL, 10) : 0;
	free(at_port);
	free(after);
	att_opt.time = time && strcmp(time, "1") == 0;
	free(time);
	att_opt.output = out;
}
