// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* conf.c - command-line options of slirpish, their defaults and their checks. */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slirpish/conf.h"
#include "slirpish/dns.h"

#define CONF_DEFAULT_NET 0x0a000200u /* 10.0.2.0 */
#define CONF_DEFAULT_RESOLV "/etc/resolv.conf"

/* Error text of the last failed conf_parse(): start-up only, one thread. */
static char conf_errbuf[256];

/**
 * conf_usage() - print --help
 * @out:	stream
 */
void conf_usage(FILE *out)
{
	fputs(
"Usage: slirpish [OPTION]... LINK...\n"
"Give guests (virtual machines, or network namespaces through a TAP device)\n"
"a network with no privileges: their TCP, UDP and ICMP echo are relayed\n"
"through ordinary sockets of the host.\n"
"\n"
"Guest links (at least one):\n"
"  -s, --socket PATH        listen on a Unix stream socket; each connection is\n"
"                           a guest speaking QEMU's -netdev stream framing\n"
"      --fd N               an inherited, connected stream socket (same framing)\n"
"      --tap IFNAME         attach to TAP device IFNAME (created if missing)\n"
"      --netns NAME|PATH    open the TAP inside this network namespace (name\n"
"                           under /run/netns, or a path); slirpish itself keeps\n"
"                           relaying through the namespace it was started in\n"
"\n"
"Virtual network (QEMU user-networking defaults):\n"
"      --net ADDR/LEN       network (default 10.0.2.0/24)\n"
"      --gateway ADDR       gateway, reaches the host's loopback (default .2)\n"
"      --dns ADDR           DNS server, forwards to the host's (default .3)\n"
"      --guest-addr ADDR    address handed out by DHCP (default .15)\n"
"      --dns-forward ADDR   upstream DNS server (repeatable; default: the\n"
"                           nameservers of the resolv.conf file)\n"
"      --resolv-conf FILE   where to read nameservers (default /etc/resolv.conf)\n"
"  -m, --mtu N              MTU advertised by DHCP, 576..65520 (default 1500)\n"
"\n"
"Port maps (repeatable; default address 127.0.0.1):\n"
"  -t [ADDR:]HOSTPORT[:GUESTPORT]   host TCP port to a guest port\n"
"  -u [ADDR:]HOSTPORT[:GUESTPORT]   host UDP port to a guest port\n"
"\n"
"Other:\n"
"      --pcap FILE          write every frame crossing a guest link to FILE\n"
"      --tcp-idle-timeout S close idle TCP connections after S seconds (3600)\n"
"      --udp-idle-timeout S close idle UDP flows after S seconds (180)\n"
"      --max-flows N        size of the flow table (16384)\n"
"      --max-guests N       most guests served at once (16)\n"
"  -d, --debug              log every flow event\n"
"  -q, --quiet              log errors only\n"
"  -h, --help               this text\n"
"  -V, --version            version\n"
"\n"
"SIGUSR1 prints the counters (frames, drops and why) to standard error.\n",
	      out);
}

/**
 * conf_parse_ip4() - parse a dotted-quad IPv4 address
 * @s:		text
 * @addr:	result, host order
 *
 * Return: 0, or -1 when @s is not exactly a dotted quad.
 */
int conf_parse_ip4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

/* conf_parse_uint() - parse a decimal number in [min, max]; 0 or -1. */
static int conf_parse_uint(const char *s, unsigned long min, unsigned long max,
			   unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/**
 * conf_parse_prefix() - parse ADDR/LEN into a network address and length
 * @s:		text, e.g. "10.0.2.0/24"
 * @net:	network address with host bits cleared, host order
 * @len:	prefix length, 8..30
 *
 * Return: 0, or -1 on malformed input or host bits set.
 */
int conf_parse_prefix(const char *s, uint32_t *net, unsigned *len)
{
	char buf[32];
	const char *slash = s ? strchr(s, '/') : NULL;
	unsigned long l;
	uint32_t a, mask;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (conf_parse_ip4(buf, &a) || conf_parse_uint(slash + 1, 8, 30, &l))
		return -1;
	mask = ~0u << (32 - l);
	if (a & ~mask)
		return -1;
	*net = a;
	*len = (unsigned)l;
	return 0;
}

/**
 * conf_parse_portmap() - parse [ADDR:]HOSTPORT[:GUESTPORT]
 * @spec:	text
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @map:	result; the guest port defaults to the host port, the address to 127.0.0.1
 *
 * Return: 0, or -1 on malformed input.
 */
int conf_parse_portmap(const char *spec, uint8_t proto, struct conf_portmap *map)
{
	char buf[64], *parts[3], *save = NULL, *tok;
	unsigned n = 0;
	unsigned long hp, gp;
	uint32_t bind = INADDR_LOOPBACK;

	if (!spec || !*spec || strlen(spec) >= sizeof(buf))
		return -1;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (n == 3)
			return -1;
		parts[n++] = tok;
	}
	/* An empty field ("8080::80") is malformed. */
	if (n == 0 || strstr(spec, "::") || spec[0] == ':' || spec[strlen(spec) - 1] == ':')
		return -1;
	if (strchr(parts[0], '.')) {
		if (conf_parse_ip4(parts[0], &bind) || n < 2)
			return -1;
		memmove(parts, parts + 1, sizeof(parts[0]) * --n);
	}
	if (n > 2 || conf_parse_uint(parts[0], 1, 65535, &hp))
		return -1;
	gp = hp;
	if (n == 2 && conf_parse_uint(parts[1], 1, 65535, &gp))
		return -1;
	map->proto = proto;
	map->bind = bind;
	map->host_port = (uint16_t)hp;
	map->guest_port = (uint16_t)gp;
	return 0;
}

/**
 * conf_netmask() - netmask of the virtual network
 * @conf:	configuration
 *
 * Return: mask, host order.
 */
uint32_t conf_netmask(const struct conf *conf)
{
	return ~0u << (32 - conf->prefix_len);
}

/* conf_fail() - format an error for conf_parse()'s caller; returns -1. */
__attribute__((format(printf, 2, 3)))
static int conf_fail(const char **errmsg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(conf_errbuf, sizeof(conf_errbuf), fmt, ap);
	va_end(ap);
	*errmsg = conf_errbuf;
	return -1;
}

enum {
	OPT_FD = 256, OPT_TAP, OPT_NETNS, OPT_NET, OPT_GW, OPT_DNS, OPT_GUEST,
	OPT_DNS_FWD, OPT_RESOLV, OPT_PCAP, OPT_TCP_IDLE, OPT_UDP_IDLE,
	OPT_MAX_FLOWS, OPT_MAX_GUESTS,
};

static const struct option conf_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "tap", required_argument, NULL, OPT_TAP },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "net", required_argument, NULL, OPT_NET },
	{ "gateway", required_argument, NULL, OPT_GW },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "guest-addr", required_argument, NULL, OPT_GUEST },
	{ "dns-forward", required_argument, NULL, OPT_DNS_FWD },
	{ "resolv-conf", required_argument, NULL, OPT_RESOLV },
	{ "mtu", required_argument, NULL, 'm' },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "tcp-idle-timeout", required_argument, NULL, OPT_TCP_IDLE },
	{ "udp-idle-timeout", required_argument, NULL, OPT_UDP_IDLE },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "max-guests", required_argument, NULL, OPT_MAX_GUESTS },
	{ "debug", no_argument, NULL, 'd' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* conf_defaults() - QEMU user-networking defaults. */
static void conf_defaults(struct conf *conf)
{
	static const uint8_t mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

	memset(conf, 0, sizeof(*conf));
	conf->fd = -1;
	conf->net = CONF_DEFAULT_NET;
	conf->prefix_len = 24;
	conf->host_loopback = INADDR_LOOPBACK;
	conf->mtu = 1500;
	memcpy(conf->gw_mac, mac, sizeof(mac));
	conf->tcp_idle_s = 3600;
	conf->udp_idle_s = 180;
	conf->max_flows = 16384;
	conf->max_guests = 16;
	conf->log_level = LOG_INFO;
}

/* conf_in_net() - is @a a usable host address of the virtual network? */
static int conf_in_net(const struct conf *conf, uint32_t a)
{
	uint32_t mask = conf_netmask(conf);

	return (a & mask) == conf->net && (a & ~mask) != 0 && (a & ~mask) != ~mask;
}

/* conf_check() - fill derived defaults and check the whole; 0 or -1. */
static int conf_check(struct conf *conf, const char *resolv, const char **errmsg)
{
	int n;

	if (!conf->socket_path && conf->fd < 0 && !conf->tap_if)
		return conf_fail(errmsg, "no guest link: give --socket, --fd or --tap (see --help)");
	if (conf->netns && !conf->tap_if)
		return conf_fail(errmsg, "--netns needs --tap");
	if (!conf->gw)
		conf->gw = conf->net + 2;
	if (!conf->dns)
		conf->dns = conf->net + 3;
	if (!conf->guest_addr)
		conf->guest_addr = conf->net + 15;
	if (!conf_in_net(conf, conf->gw) || !conf_in_net(conf, conf->dns) ||
	    !conf_in_net(conf, conf->guest_addr))
		return conf_fail(errmsg, "--gateway, --dns and --guest-addr must be host addresses of --net");
	if (conf->gw == conf->guest_addr || conf->dns == conf->guest_addr)
		return conf_fail(errmsg, "--guest-addr must differ from the gateway and DNS addresses");
	if (!conf->n_resolvers) {
		n = dns_resolvers_load(resolv, conf->resolvers, CONF_RESOLVERS_MAX);
		if (n < 0)
			return conf_fail(errmsg, "cannot read %s: %s", resolv, strerror(-n));
		conf->n_resolvers = (unsigned)n;
	}
	return 0;
}

/* conf_add_map() - parse and append one port map; 0 or -1. */
static int conf_add_map(struct conf *conf, const char *spec, uint8_t proto,
			const char **errmsg)
{
	unsigned i;
	struct conf_portmap m;

	if (conf->n_maps == CONF_MAPS_MAX)
		return conf_fail(errmsg, "too many port maps (at most %d)", CONF_MAPS_MAX);
	if (conf_parse_portmap(spec, proto, &m))
		return conf_fail(errmsg, "bad port map '%s': want [ADDR:]HOSTPORT[:GUESTPORT]", spec);
	for (i = 0; i < conf->n_maps; i++)
		if (conf->maps[i].proto == proto && conf->maps[i].host_port == m.host_port &&
		    conf->maps[i].bind == m.bind)
			return conf_fail(errmsg, "port map '%s' given twice", spec);
	conf->maps[conf->n_maps++] = m;
	return 0;
}

/* conf_set_uint() - parse a bounded number option into @out; 0 or -1. */
static int conf_set_uint(const char *name, const char *arg, unsigned long min,
			 unsigned long max, unsigned *out, const char **errmsg)
{
	unsigned long v;

	if (conf_parse_uint(arg, min, max, &v))
		return conf_fail(errmsg, "--%s wants a number from %lu to %lu, not '%s'",
				 name, min, max, arg);
	*out = (unsigned)v;
	return 0;
}

/* conf_set_addr() - parse an address option into @out; 0 or -1. */
static int conf_set_addr(const char *name, const char *arg, uint32_t *out,
			 const char **errmsg)
{
	if (conf_parse_ip4(arg, out))
		return conf_fail(errmsg, "--%s wants an IPv4 address, not '%s'", name, arg);
	return 0;
}

/* conf_option() - apply one option; 0, 1 (help/version printed) or -1. */
static int conf_option(struct conf *conf, int opt, const char *arg, const char **resolv,
		       const char **errmsg)
{
	unsigned v = 0;

	switch (opt) {
	case 's': conf->socket_path = arg; return 0;
	case OPT_FD:
		if (conf_set_uint("fd", arg, 0, INT_MAX, &v, errmsg))
			return -1;
		conf->fd = (int)v;
		return 0;
	case OPT_TAP:
		if (!*arg || strlen(arg) >= 16)
			return conf_fail(errmsg, "--tap wants an interface name of 1 to 15 characters");
		conf->tap_if = arg;
		return 0;
	case OPT_NETNS: conf->netns = arg; return 0;
	case OPT_NET:
		if (conf_parse_prefix(arg, &conf->net, &conf->prefix_len))
			return conf_fail(errmsg, "--net wants ADDR/LEN (LEN 8..30, no host bits), not '%s'", arg);
		return 0;
	case OPT_GW: return conf_set_addr("gateway", arg, &conf->gw, errmsg);
	case OPT_DNS: return conf_set_addr("dns", arg, &conf->dns, errmsg);
	case OPT_GUEST: return conf_set_addr("guest-addr", arg, &conf->guest_addr, errmsg);
	case OPT_DNS_FWD:
		if (conf->n_resolvers == CONF_RESOLVERS_MAX)
			return conf_fail(errmsg, "at most %d --dns-forward", CONF_RESOLVERS_MAX);
		return conf_set_addr("dns-forward", arg, &conf->resolvers[conf->n_resolvers++], errmsg);
	case OPT_RESOLV: *resolv = arg; return 0;
	case 'm': return conf_set_uint("mtu", arg, CONF_MTU_MIN, CONF_MTU_MAX, &conf->mtu, errmsg);
	case 't': return conf_add_map(conf, arg, IPPROTO_TCP, errmsg);
	case 'u': return conf_add_map(conf, arg, IPPROTO_UDP, errmsg);
	case OPT_PCAP: conf->pcap_path = arg; return 0;
	case OPT_TCP_IDLE: return conf_set_uint("tcp-idle-timeout", arg, 1, 86400 * 7, &conf->tcp_idle_s, errmsg);
	case OPT_UDP_IDLE: return conf_set_uint("udp-idle-timeout", arg, 1, 86400 * 7, &conf->udp_idle_s, errmsg);
	case OPT_MAX_FLOWS: return conf_set_uint("max-flows", arg, 16, 1u << 20, &conf->max_flows, errmsg);
	case OPT_MAX_GUESTS: return conf_set_uint("max-guests", arg, 1, 64, &conf->max_guests, errmsg);
	case 'd': conf->log_level = LOG_DEBUG; return 0;
	case 'q': conf->log_level = LOG_ERR; return 0;
	case 'h': conf_usage(stdout); return 1;
	case 'V': printf("slirpish (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 1;
	default:
		return conf_fail(errmsg, "unknown option (see --help)");
	}
}

/**
 * conf_parse() - parse the command line into @conf
 * @conf:	result
 * @argc:	argument count
 * @argv:	arguments
 * @errmsg:	set to a message on failure
 *
 * Return: 0 to run, 1 when --help or --version was printed, -1 on error.
 */
int conf_parse(struct conf *conf, int argc, char **argv, const char **errmsg)
{
	const char *resolv = CONF_DEFAULT_RESOLV;
	int opt, ret;

	conf_defaults(conf);
	optind = 0; /* 0, not 1: glibc then also forgets a half-read option group */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:m:t:u:dqhV", conf_options, NULL)) != -1) {
		if (opt == '?')
			return conf_fail(errmsg, "unknown option '%s' (see --help)", argv[optind - 1]);
		if (opt == ':')
			return conf_fail(errmsg, "option '%s' needs an argument", argv[optind - 1]);
		ret = conf_option(conf, opt, optarg, &resolv, errmsg);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return conf_fail(errmsg, "unexpected argument '%s' (see --help)", argv[optind]);
	return conf_check(conf, resolv, errmsg);
}
