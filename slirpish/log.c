// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* log.c - leveled logging to stderr with a monotonic timestamp. */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "slirpish/log.h"

/* The one piece of process-wide state in logging: set once from options. */
static enum log_level log_level = LOG_INFO;

static const char *const log_names[] = { "error", "warning", "info", "debug" };

/**
 * log_set_level() - set the most verbose level that is printed
 * @level:	LOG_ERR .. LOG_DEBUG
 */
void log_set_level(enum log_level level)
{
	log_level = level;
}

/**
 * log_enabled() - tell whether messages of a level are printed
 * @level:	level to test
 *
 * Return: non-zero when enabled.
 */
int log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "slirpish %ld.%03ld %s: ", (long)ts.tv_sec,
		ts.tv_nsec / 1000000, log_names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/**
 * log_msg() - print one message when its level is enabled
 * @level:	severity
 * @fmt:	printf format, no trailing newline
 */
void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/**
 * die() - print an error and exit: for start-up and option errors only
 * @fmt:	printf format
 */
void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
