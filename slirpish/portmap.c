// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* portmap.c - -t/-u port maps: host listeners whose clients reach a guest port.
 *
 * A TCP listener's accepted connections become connections from the
 * gateway address to the guest (tcp_map_accept()); a UDP listener's
 * datagrams become datagrams from the gateway address (udp_map_input()).
 * Both lead to guest_primary(): the oldest connected guest.
 */

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slirpish/guest.h"
#include "slirpish/log.h"
#include "slirpish/portmap.h"
#include "slirpish/tcp.h"
#include "slirpish/udp.h"

#define PORTMAP_ACCEPT_BUDGET 32
#define PORTMAP_UDP_BUDGET 64

/**
 * struct portmap - one listener
 * @c:		daemon context
 * @map:	its configuration
 * @fd:		listening (TCP) or bound (UDP) socket
 * @w:		readable watcher
 */
struct portmap {
	struct ctx *c;
	const struct conf_portmap *map;
	int fd;
	ev_io w;
};

/* portmap_tcp_cb() - accept pending connections on a TCP map. */
static void portmap_tcp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct portmap *pm = container_of(w, struct portmap, w);
	int i;

	for (i = 0; i < PORTMAP_ACCEPT_BUDGET; i++) {
		int fd = accept4(pm->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				warn("port map %u: accept: %s", pm->map->host_port, strerror(errno));
			return;
		}
		STAT_INC(&pm->c->stats, TCP_PORTMAP_ACCEPTED);
		tcp_map_accept(pm->c, fd, pm->map->guest_port);
	}
}

/* portmap_udp_cb() - relay pending datagrams of a UDP map. */
static void portmap_udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct portmap *pm = container_of(w, struct portmap, w);
	static uint8_t buf[65536];
	int i;

	for (i = 0; i < PORTMAP_UDP_BUDGET; i++) {
		struct sockaddr_in from;
		socklen_t sl = sizeof(from);
		ssize_t n = recvfrom(pm->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &sl);

		if (n < 0)
			return;
		udp_map_input(pm->c, pm->fd, pm->map->guest_port, buf, (size_t)n, &from);
	}
}

/* portmap_open() - open one listener; 0 or -errno. */
static int portmap_open(struct ctx *c, struct portmap *pm)
{
	const struct conf_portmap *m = pm->map;
	int tcp = m->proto == IPPROTO_TCP, one = 1, fd;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(m->bind);
	sa.sin_port = htons(m->host_port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (tcp && listen(fd, 128) < 0)) {
		int e = errno;

		close(fd);
		return -e;
	}
	pm->c = c;
	pm->fd = fd;
	ev_io_init(&pm->w, tcp ? portmap_tcp_cb : portmap_udp_cb, fd, EV_READ);
	ev_io_start(c->loop, &pm->w);
	return 0;
}

/**
 * portmap_open_all() - open a listener for every configured port map
 * @c:		daemon context
 * @errmsg:	set on failure
 *
 * Return: 0, or -errno (every listener opened so far is closed again).
 */
int portmap_open_all(struct ctx *c, const char **errmsg)
{
	static char buf[128];
	const struct conf *conf = c->conf;
	unsigned i;
	int ret;

	if (!conf->n_maps)
		return 0;
	c->maps = calloc(conf->n_maps, sizeof(*c->maps));
	if (!c->maps)
		return -ENOMEM;
	for (i = 0; i < conf->n_maps; i++) {
		c->maps[i].fd = -1;
		c->maps[i].map = &conf->maps[i];
	}
	for (i = 0; i < conf->n_maps; i++) {
		ret = portmap_open(c, &c->maps[i]);
		if (ret < 0) {
			const struct conf_portmap *m = &conf->maps[i];

			snprintf(buf, sizeof(buf), "cannot listen on %s port %u.%u.%u.%u:%u: %s",
				 m->proto == IPPROTO_TCP ? "TCP" : "UDP", m->bind >> 24,
				 (m->bind >> 16) & 0xff, (m->bind >> 8) & 0xff, m->bind & 0xff,
				 m->host_port, strerror(-ret));
			*errmsg = buf;
			portmap_close_all(c);
			return ret;
		}
	}
	return 0;
}

/**
 * portmap_close_all() - close every port-map listener
 * @c:		daemon context
 */
void portmap_close_all(struct ctx *c)
{
	unsigned i;

	if (!c->maps)
		return;
	for (i = 0; i < c->conf->n_maps; i++) {
		if (c->maps[i].fd < 0)
			continue;
		ev_io_stop(c->loop, &c->maps[i].w);
		close(c->maps[i].fd);
	}
	free(c->maps);
	c->maps = NULL;
}
