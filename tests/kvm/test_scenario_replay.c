// SPDX-License-Identifier: MIT
/*
 * Every built-in scenario, recorded now, replays identically on this host
 * (exit 0, "identical") — except lapic-timer, whose interrupts come from the
 * local APIC timer in wall-clock time, so where they land in the steps
 * differs between any two runs; its listing says so.
 */
#include "kt.h"

int main(int argc, char **argv)
{
	kt_init(argc, argv);
	TEST_EQ_U64(0, kt_exitrace("scenarios"), "list");
	char list[8192];
	snprintf(list, sizeof(list), "%s", kt_out());
	TEST_CONTAINS(list, "does not replay identically", "the timer scenario says so");
	size_t replayed = 0;
	for (char *save, *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		if (sscanf(line, "%63s", name) != 1)
			continue;
		if (strstr(line, "does not replay identically"))
			continue;
		const char *out = kt_tmp("scenario.xtr");
		int status = kt_exitrace("record --scenario %s -o %s --quiet --console /dev/null", name, out);
		TEST_ASSERT(status != 2, "record %s: %s", name, kt_err());
		status = kt_exitrace("replay %s", out);
		TEST_EQ_U64(0, status, "%s replays identically; out: %s err: %s", name, kt_out(), kt_err());
		TEST_CONTAINS(kt_out(), "identical", "%s says so", name);
		replayed++;
	}
	TEST_ASSERT(replayed >= 10, "%zu scenarios replayed", replayed);
	return 0;
}
