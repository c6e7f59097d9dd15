// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* runner.c - the single Check runner over every unit suite (tests/unit/suites.h). */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUITE(name) Suite *name##_suite(void);
#include "tests/unit/suites.h"
#undef SUITE

/**
 * struct runner_suite - one entry of the suite table
 * @name:	area name, as given to SUITE()
 * @make:	constructor of the area's Check suite
 */
struct runner_suite {
	const char *name;
	Suite *(*make)(void);
};

static const struct runner_suite runner_suites[] = {
#define SUITE(name) { #name, name##_suite },
#include "tests/unit/suites.h"
#undef SUITE
	{ NULL, NULL }
};

/**
 * main() - run every suite, or only those named on the command line
 *
 * Return: 0 when every test passed, 1 otherwise.
 */
int main(int argc, char **argv)
{
	SRunner *sr = NULL;
	int failed, i, j;

	for (i = 0; runner_suites[i].name; i++) {
		int wanted = argc < 2;

		for (j = 1; j < argc; j++)
			if (!strcmp(argv[j], runner_suites[i].name))
				wanted = 1;
		if (!wanted)
			continue;
		if (!sr)
			sr = srunner_create(runner_suites[i].make());
		else
			srunner_add_suite(sr, runner_suites[i].make());
	}
	if (!sr) {
		fprintf(stderr, "runner: no such suite\n");
		return 1;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	printf("%d passed, %d failed\n", srunner_ntests_run(sr) - failed, failed);
	srunner_free(sr);
	return failed ? 1 : 0;
}
