// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* util.c - logging and the always-on ASSERT of the monitor. */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/util.h"

/**
 * util_log() - print one line to stderr, "ulvm: [lvl: ]message"
 * @lvl:	"error", "warning" or NULL for plain information
 * @fmt:	printf format
 */
void util_log(const char *lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (lvl)
		fprintf(stderr, "ulvm: %s: ", lvl);
	else
		fputs("ulvm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/**
 * util_die() - report a start-up error and exit with status 1
 * @fmt:	printf format
 */
void util_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ulvm: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void util_assert_fail(const char *expr, const char *file, int line,
		      const char *func)
{
	fprintf(stderr, "ulvm: ASSERT(%s) failed at %s:%d in %s()\n",
		expr, file, line, func);
	abort();
}
