// SPDX-License-Identifier: MIT
/* exitrace scenarios: the built-in guests, one line each. */
#include <string.h>

#include "cli.h"
#include "scenarios.h"

int cmd_scenarios(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			cli_print_usage(stdout, "scenarios");
			return XT_EXIT_OK;
		}
		return cli_usage_error("scenarios", "takes no arguments ('%s')", argv[1]);
	}
	const struct scenario *all;
	size_t n = scenario_all(&all);
	int width = 0;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(all[i].name) > width)
			width = (int)strlen(all[i].name);
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %s\n", width, all[i].name, all[i].summary);
	return XT_EXIT_OK;
}
