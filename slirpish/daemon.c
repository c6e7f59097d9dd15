// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* daemon.c - bring slirpish up on a libev loop (links, listeners, signals) and take it down.
 *
 * The loop's prepare watcher is the one place where deferred work happens:
 * output queued during the iteration is flushed to every guest link, and
 * flows and guests closed during it are recycled.  When no guest is left
 * and nothing can bring a new one (no --socket listener), the loop ends.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "slirpish/daemon.h"
#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/log.h"
#include "slirpish/pcap.h"
#include "slirpish/portmap.h"
#include "slirpish/tap.h"
#include "slirpish/tcp.h"

/* daemon_accept_cb() - a new guest connects to the --socket listener. */
static void daemon_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctx *c = container_of(w, struct ctx, listen_w);
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			warn("accept on %s: %s", c->conf->socket_path, strerror(errno));
		return;
	}
	guest_add(c, fd, GUEST_STREAM);
}

/* daemon_listen() - listen on the --socket path; fd or -errno. */
static int daemon_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by an earlier run is replaced; anything else is not. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* daemon_signal_cb() - SIGUSR1 prints counters and flows; SIGINT/SIGTERM stop. */
static void daemon_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ctx *c = w->data;

	if (w->signum == SIGUSR1) {
		fprintf(stderr, "slirpish: counters (%u flows in use)\n", flow_count(c));
		stats_print(&c->stats, stderr);
		flow_dump(c, stderr);
		return;
	}
	info("signal %d: exiting", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* daemon_prepare_cb() - flush output, recycle closed flows and guests. */
static void daemon_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct ctx *c = container_of(w, struct ctx, prepare_w);
	unsigned i, open = 0;

	tcp_flush_acks(c);
	guest_flush_all(c);
	flow_sweep(c);
	guest_sweep(c);
	if (c->pcap)
		pcap_flush(c->pcap);
	for (i = 0; i < CTX_GUESTS_MAX; i++)
		open += c->guests[i] != NULL;
	if (!open && c->listen_fd < 0) {
		info("no guest link left: exiting");
		ev_break(loop, EVBREAK_ALL);
	}
}

/* daemon_netns_cb() - the TAP's namespace file changed: gone? Then so is the guest.
 *
 * Our TAP descriptor keeps the namespace alive after `ip netns del`, and
 * nothing wakes its readers: the namespace's file is watched instead. */
static void daemon_netns_cb(struct ev_loop *loop, ev_stat *w, int revents)
{
	struct ctx *c = container_of(w, struct ctx, netns_w);
	unsigned i;

	if (w->attr.st_nlink)
		return;
	for (i = 0; i < CTX_GUESTS_MAX; i++)
		if (c->guests[i] && c->guests[i]->kind == GUEST_TAP)
			guest_close(c->guests[i], "its network namespace is gone");
	ev_ref(loop);
	ev_stat_stop(loop, w);
}

static void daemon_syserr_cb(const char *msg)
{
	/* libev only calls this for errors it cannot recover from. */
	die("libev: %s: %s", msg, strerror(errno));
}

/* daemon_signals() - install the signal watchers. */
static void daemon_signals(struct ctx *c)
{
	ev_signal *sw[] = { &c->sigusr1_w, &c->sigint_w, &c->sigterm_w };
	int signums[] = { SIGUSR1, SIGINT, SIGTERM };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < ARRAY_SIZE(sw); i++) {
		ev_signal_init(sw[i], daemon_signal_cb, signums[i]);
		sw[i]->data = c;
		ev_signal_start(c->loop, sw[i]);
		/* Signals must not keep the loop alive on their own. */
		ev_unref(c->loop);
	}
}

/* daemon_links() - open the guest links of the configuration; 0 or -1. */
static int daemon_links(struct ctx *c, const char **errmsg)
{
	static char buf[256];
	const struct conf *conf = c->conf;

	if (conf->socket_path) {
		c->listen_fd = daemon_listen(conf->socket_path);
		if (c->listen_fd < 0) {
			snprintf(buf, sizeof(buf), "cannot listen on %s: %s", conf->socket_path,
				 strerror(-c->listen_fd));
			*errmsg = buf;
			c->listen_fd = -1;
			return -1;
		}
		ev_io_init(&c->listen_w, daemon_accept_cb, c->listen_fd, EV_READ);
		ev_io_start(c->loop, &c->listen_w);
		info("listening for guests on %s", conf->socket_path);
	}
	if (conf->fd >= 0) {
		int type;
		socklen_t sl = sizeof(type);

		if (getsockopt(conf->fd, SOL_SOCKET, SO_TYPE, &type, &sl) < 0 || type != SOCK_STREAM) {
			snprintf(buf, sizeof(buf), "--fd %d is not a stream socket", conf->fd);
			*errmsg = buf;
			return -1;
		}
		if (!guest_add(c, conf->fd, GUEST_STREAM))
			return (*errmsg = "cannot add the --fd guest"), -1;
	}
	if (conf->tap_if) {
		unsigned mtu = conf->mtu;
		int vnet = 0, fd = tap_open(conf->tap_if, conf->netns, &vnet, &mtu, errmsg);
		struct guest *g;

		if (fd < 0 || !(g = guest_add(c, fd, GUEST_TAP)))
			return -1;
		g->vnet = vnet;
		g->mtu = mtu;
		info("attached to TAP device %s%s%s", conf->tap_if, conf->netns ? " in " : "",
		     conf->netns ? conf->netns : "");
		if (conf->netns) {
			tap_netns_path(conf->netns, c->netns_path, sizeof(c->netns_path));
			ev_stat_init(&c->netns_w, daemon_netns_cb, c->netns_path, 1.);
			ev_stat_start(c->loop, &c->netns_w);
			ev_unref(c->loop);
		}
	}
	return 0;
}

/**
 * daemon_init() - set up every part of the daemon on @loop
 * @c:		context to fill (zeroed by the caller)
 * @conf:	configuration, kept for the daemon's lifetime
 * @loop:	libev loop
 *
 * On failure an error is logged and everything set up is torn down.
 *
 * Return: 0, or -1.
 */
int daemon_init(struct ctx *c, const struct conf *conf, struct ev_loop *loop)
{
	const char *errmsg = "out of memory";
	int e;

	c->loop = loop;
	c->conf = conf;
	c->listen_fd = -1;
	c->peek_off = -1;
	ev_set_syserr_cb(daemon_syserr_cb);
	if (flow_table_init(c, conf->max_flows) < 0 || tcp_init(c) < 0)
		goto fail;
	if (conf->pcap_path) {
		c->pcap = pcap_open(conf->pcap_path, GUEST_FRAME_MAX, &e);
		if (!c->pcap) {
			err("cannot write %s: %s", conf->pcap_path, strerror(e));
			goto fail_quiet;
		}
	}
	if (portmap_open_all(c, &errmsg) < 0 || daemon_links(c, &errmsg) < 0)
		goto fail;
	if (!conf->n_resolvers)
		warn("no IPv4 nameserver known: DNS queries to the virtual server will fail");
	daemon_signals(c);
	ev_prepare_init(&c->prepare_w, daemon_prepare_cb);
	ev_prepare_start(loop, &c->prepare_w);
	ev_unref(loop);
	return 0;
fail:
	err("%s", errmsg);
fail_quiet:
	daemon_fini(c);
	return -1;
}

/**
 * daemon_fini() - close every guest, flow and listener and free the state
 * @c:		context
 */
void daemon_fini(struct ctx *c)
{
	if (c->flows)
		guest_close_all(c);
	if (c->flows)
		flow_sweep(c);
	portmap_close_all(c);
	if (c->listen_fd >= 0) {
		ev_io_stop(c->loop, &c->listen_w);
		close(c->listen_fd);
		c->listen_fd = -1;
		if (c->conf->socket_path)
			unlink(c->conf->socket_path);
	}
	if (ev_is_active(&c->netns_w)) {
		ev_ref(c->loop);
		ev_stat_stop(c->loop, &c->netns_w);
	}
	if (ev_is_active(&c->prepare_w)) {
		ev_ref(c->loop);
		ev_prepare_stop(c->loop, &c->prepare_w);
	}
	if (ev_is_active(&c->sigusr1_w)) {
		ev_ref(c->loop);
		ev_signal_stop(c->loop, &c->sigusr1_w);
		ev_ref(c->loop);
		ev_signal_stop(c->loop, &c->sigint_w);
		ev_ref(c->loop);
		ev_signal_stop(c->loop, &c->sigterm_w);
	}
	if (c->pcap) {
		pcap_close(c->pcap);
		c->pcap = NULL;
	}
	flow_table_free(c);
	tcp_fini(c);
}
