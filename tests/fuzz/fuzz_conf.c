// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* fuzz_conf.c - fuzz target: slirpish's command-line and option-value parsers. */

/*
 * The first byte chooses the parser: conf_parse() on an argv made of the
 * NUL-separated rest, or conf_parse_portmap() / conf_parse_prefix() /
 * conf_parse_ip4() on the rest as one string.  Whatever a parser accepts
 * must satisfy the invariants its callers rely on (checked with abort()
 * so that the same code serves libFuzzer and the unit runner).
 *
 * conf_parse() is given "--dns-forward 127.0.0.1" first unless bit 2 of
 * the mode byte is set: without it conf_parse() reads /etc/resolv.conf.
 * --resolv-conf is dropped in every case, so that no input names a file
 * (a FIFO would block the fuzzer).
 */

#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slirpish/conf.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_CONF_ARGS 32
#define FUZZ_CONF_MAX 4096

/* fuzz_conf_check() - abort() with a message when an invariant does not hold. */
static void fuzz_conf_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_conf: invariant broken: %s\n", what);
		abort();
	}
}

/* fuzz_conf_valid() - what an accepted configuration guarantees. */
static void fuzz_conf_valid(const struct conf *conf)
{
	uint32_t mask = conf_netmask(conf);
	unsigned i;

	fuzz_conf_check(conf->prefix_len >= 8 && conf->prefix_len <= 30, "prefix length");
	fuzz_conf_check((conf->net & ~mask) == 0, "network has host bits");
	fuzz_conf_check((conf->gw & mask) == conf->net, "gateway outside the network");
	fuzz_conf_check((conf->dns & mask) == conf->net, "DNS outside the network");
	fuzz_conf_check((conf->guest_addr & mask) == conf->net, "guest outside the network");
	fuzz_conf_check(conf->guest_addr != conf->gw && conf->guest_addr != conf->dns,
			"guest address collides");
	fuzz_conf_check(conf->mtu >= CONF_MTU_MIN && conf->mtu <= CONF_MTU_MAX, "MTU range");
	fuzz_conf_check(conf->n_maps <= CONF_MAPS_MAX, "map count");
	fuzz_conf_check(conf->n_resolvers <= CONF_RESOLVERS_MAX, "resolver count");
	fuzz_conf_check(conf->socket_path || conf->fd >= 0 || conf->tap_if, "no guest link");
	fuzz_conf_check(conf->max_flows >= 16, "max-flows");
	fuzz_conf_check(conf->max_guests >= 1, "max-guests");
	for (i = 0; i < conf->n_maps; i++)
		fuzz_conf_check(conf->maps[i].host_port && conf->maps[i].guest_port &&
				(conf->maps[i].proto == IPPROTO_TCP ||
				 conf->maps[i].proto == IPPROTO_UDP), "port map");
}

/* fuzz_conf_argv() - conf_parse() on the NUL-separated strings of @s. */
static void fuzz_conf_argv(char *s, size_t len, int resolv)
{
	char *argv[FUZZ_CONF_ARGS + 4];
	const char *errmsg = NULL;
	struct conf conf;
	int argc = 0, ret;
	size_t off = 0;

	argv[argc++] = (char *)(uintptr_t)"slirpish";
	if (!resolv) {
		argv[argc++] = (char *)(uintptr_t)"--dns-forward";
		argv[argc++] = (char *)(uintptr_t)"127.0.0.1";
	}
	while (off < len && argc < FUZZ_CONF_ARGS) {
		char *a = s + off;

		off += strlen(a) + 1;
		if (!strncmp(a, "--r", 3))
			continue;
		argv[argc++] = a;
	}
	argv[argc] = NULL;
	if (getenv("SLIRPISH_FUZZ_GETOPT_RESET")) {
		/* Work around the stale getopt state of conf_parse() (it sets
		 * optind = 1, not 0) to look for other bugs past it. */
		static char *none[] = { (char *)(uintptr_t)"x", NULL };

		optind = 0;
		getopt(1, none, "");
	}
	ret = conf_parse(&conf, argc, argv, &errmsg);
	fuzz_conf_check(ret >= -1 && ret <= 1, "conf_parse return value");
	if (ret < 0)
		fuzz_conf_check(errmsg && *errmsg, "error without a message");
	if (ret == 0)
		fuzz_conf_valid(&conf);
}

/**
 * fuzz_conf_input() - one fuzz input through the configuration parsers
 * @data:	mode byte, then the text
 * @size:	its length
 *
 * Return: 0 (broken invariants abort).
 */
int fuzz_conf_input(const uint8_t *data, size_t size)
{
	struct conf_portmap map;
	uint32_t a, net;
	unsigned len;
	char *s;

	if (!size || size > FUZZ_CONF_MAX)
		return 0;
	/* A copy with a terminating NUL: every string of it ends in bounds. */
	s = malloc(size);
	if (!s)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_conf_argv(s, size - 1, !!(data[0] & 4));
		break;
	case 1:
		if (conf_parse_portmap(s, data[0] & 4 ? IPPROTO_UDP : IPPROTO_TCP, &map) == 0)
			fuzz_conf_check(map.host_port && map.guest_port, "portmap ports");
		break;
	case 2:
		if (conf_parse_prefix(s, &net, &len) == 0) {
			fuzz_conf_check(len >= 8 && len <= 30, "prefix length");
			fuzz_conf_check((net & ~(~0u << (32 - len))) == 0, "prefix host bits");
		}
		break;
	default:
		conf_parse_ip4(s, &a);
		break;
	}
	free(s);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_conf_input(data, size);
}
#endif
