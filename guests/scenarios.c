// SPDX-License-Identifier: MIT
#include <string.h>

#include "scenarios.h"

static const struct scenario scenarios[] = { { 0 } };

const struct scenario *scenario_find(const char *name)
{
	for (size_t i = 0; scenarios[i].name; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

size_t scenario_all(const struct scenario **out)
{
	*out = scenarios;
	size_t n = 0;
	while (scenarios[n].name)
		n++;
	return n;
}
