// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* stats.c - names of the counters and their printout (on SIGUSR1 and at exit). */

#include "config.h"

#include <assert.h>
#include <inttypes.h>

#include "slirpish/stats.h"

static const char *const stats_names[] = {
#define STATS_NAME(id, desc) #id,
	STATS_LIST(STATS_NAME)
#undef STATS_NAME
};

static const char *const stats_descs[] = {
#define STATS_DESC(id, desc) desc,
	STATS_LIST(STATS_DESC)
#undef STATS_DESC
};

static_assert(sizeof(stats_names) / sizeof(stats_names[0]) == STAT_COUNT,
	      "stats name table out of step");

/**
 * stats_name() - short name of a counter, e.g. "BAD_IP_CSUM"
 * @id:		counter
 *
 * Return: static string.
 */
const char *stats_name(enum stat_id id)
{
	return id < STAT_COUNT ? stats_names[id] : "?";
}

/**
 * stats_desc() - one-line description of a counter
 * @id:		counter
 *
 * Return: static string.
 */
const char *stats_desc(enum stat_id id)
{
	return id < STAT_COUNT ? stats_descs[id] : "?";
}

/**
 * stats_print() - print every counter, one "name value  # description" line each
 * @s:		counters
 * @out:	stream
 */
void stats_print(const struct stats *s, FILE *out)
{
	int i;

	for (i = 0; i < STAT_COUNT; i++)
		fprintf(out, "%-22s %12" PRIu64 "  # %s\n", stats_names[i], s->v[i],
			stats_descs[i]);
	fflush(out);
}
