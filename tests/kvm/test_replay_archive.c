// SPDX-License-Identifier: MIT
/*
 * The archive use case for real: `exitrace check tests/data` replays every
 * archived trace (recorded by tests/data/rerecord.sh) and each must come
 * out identical, as TAP with one `ok` line per trace.
 */
#include <dirent.h>

#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	const char *dir = kt_arg(1);
	size_t traces = 0;
	DIR *d = opendir(dir);
	TEST_ASSERT(d, "open %s", dir);
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		traces += n > 4 && !strcmp(e->d_name + n - 4, ".xtr");
	}
	closedir(d);
	TEST_ASSERT(traces >= 10, "the archive holds its traces: %zu", traces);

	int status = kt_exitrace("check %s", dir);
	fputs(kt_out(), stderr);	/* the TAP report, for the test log */
	TEST_EQ_U64(0, status, "every archived trace replays identically; stderr: %s", kt_err());
	char plan[32];
	snprintf(plan, sizeof(plan), "1..%zu\n", traces);
	TEST_ASSERT(!strncmp(kt_out(), plan, strlen(plan)), "the plan: %s", plan);
	size_t ok = 0;
	for (const char *p = kt_out(); (p = strstr(p, "\nok ")); p++)
		ok++;
	TEST_EQ_U64(traces, ok, "one ok line per trace");
	TEST_ASSERT(!strstr(kt_out(), "not ok"), "none failed");
	return 0;
}
