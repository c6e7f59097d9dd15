/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* ctx.h - the daemon's context: one per process, passed first to every function. */
#ifndef SLIRPISH_CTX_H
#define SLIRPISH_CTX_H

#include <ev.h>

#include "slirpish/conf.h"
#include "slirpish/stats.h"

struct guest;
struct flow_table;
struct pcap;
struct portmap;
struct tcp_conn;
struct tcp_batch;

#define CTX_GUESTS_MAX 64

/**
 * struct ctx - state of the whole daemon
 * @loop:	the libev loop
 * @conf:	configuration, read-only after start-up
 * @stats:	counters, printed on SIGUSR1
 * @guests:	guest links by id; NULL slots are free
 * @flows:	the flow table shared by all guests (flows carry their guest)
 * @pcap:	capture file, or NULL
 * @maps:	port-map listeners
 * @listen_fd:	--socket listener, or -1
 * @listen_w:	watcher of @listen_fd
 * @sigusr1_w:	prints the counters
 * @sigint_w:	SIGINT: clean exit
 * @sigterm_w:	SIGTERM: clean exit
 * @netns_w:	--netns: notices when the namespace goes away
 * @netns_path:	its file
 * @prepare_w:	before the loop blocks: flush guest output, sweep dead flows
 * @tcp_acks:	TCP connections with an ACK to send before the loop blocks
 * @tcp_blocked: TCP connections stopped because their guest link was full
 * @tcp_batch:	guest TCP payload waiting to be written with one sendmsg()
 * @ip4_id:	identification of the next fragmented datagram to a guest
 * @peek_off:	the host kernel supports SO_PEEK_OFF on TCP sockets (-1: not yet known)
 */
struct ctx {
	struct ev_loop *loop;
	const struct conf *conf;
	struct stats stats;
	struct guest *guests[CTX_GUESTS_MAX];
	struct flow_table *flows;
	struct pcap *pcap;
	struct portmap *maps;
	int listen_fd;
	ev_io listen_w;
	ev_signal sigusr1_w;
	ev_signal sigint_w;
	ev_signal sigterm_w;
	ev_stat netns_w;
	char netns_path[256];
	ev_prepare prepare_w;
	struct tcp_conn *tcp_acks;
	struct tcp_conn *tcp_blocked;
	struct tcp_batch *tcp_batch;
	int peek_off;
	uint16_t ip4_id;
};

#endif /* SLIRPISH_CTX_H */
