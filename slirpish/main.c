// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* main.c - slirpish: a network for guests, with no privileges (entry point). */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "slirpish/conf.h"
#include "slirpish/daemon.h"
#include "slirpish/log.h"

/**
 * main() - parse options, run the daemon until a signal or the last guest leaves
 *
 * Return: 0 on a clean exit, 1 on a start-up error.
 */
int main(int argc, char **argv)
{
	static struct conf conf;
	static struct ctx c;
	const char *errmsg = NULL;
	struct ev_loop *loop;
	int ret;

	ret = conf_parse(&conf, argc, argv, &errmsg);
	if (ret > 0)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "slirpish: %s\n", errmsg);
		return 1;
	}
	log_set_level(conf.log_level);
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop)
		die("cannot create the event loop");
	if (daemon_init(&c, &conf, loop) < 0)
		return 1;
	ev_run(loop, 0);
	if (log_enabled(LOG_DEBUG))
		stats_print(&c.stats, stderr);
	daemon_fini(&c);
	ev_loop_destroy(loop);
	return 0;
}
