// SPDX-License-Identifier: MIT
/* exitrace scenarios: the built-in guests, one line each. */
#include <string.h>

#include "cli.h"
#include "scenarios.h"

int cmd_scenarios(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cli_print_usage(stdout, "scenarios");
			return XT_EXIT_OK;
		}
		if (strcmp(argv[i], "--json"))
			return cli_usage_error("scenarios", "takes only --json ('%s')", argv[i]);
		json = true;
	}
	const struct scenario *all;
	size_t n = scenario_all(&all);
	if (json) {
		json_top(stdout, "scenarios");
		fputs(",\"scenarios\":[", stdout);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
			json_str(stdout, all[i].name);
			fputs(",\"summary\":", stdout);
			json_str(stdout, all[i].summary);
			fputc('}', stdout);
		}
		fputs("]}\n", stdout);
		return XT_EXIT_OK;
	}
	int width = 0;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(all[i].name) > width)
			width = (int)strlen(all[i].name);
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %s\n", width, all[i].name, all[i].summary);
	return XT_EXIT_OK;
}
