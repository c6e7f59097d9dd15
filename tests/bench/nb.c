// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* nb.c - tiny TCP request/response (RR) and connect/request/response (CRR) benchmark.
 *   nb srv PORT [BINDADDR]            epoll echo server (runs until killed)
 *   nb rr  HOST PORT SECONDS [SIZE]   one connection, SIZE-byte ping-pong, prints latency stats (us)
 *   nb crr HOST PORT SECONDS          new connection per 1-byte transaction, prints conn/s
 * With NB_SRV_CLOSE=1 in the environment of both, the server closes each
 * connection after its first answer and the crr client waits for that FIN
 * before closing: TIME_WAIT then stays on the server, and the client does not
 * run out of ephemeral ports.
 * Output is one line: key=value pairs. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *m) { perror(m); exit(1); }

static int cmpd(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct sockaddr_in mkaddr(const char *host, int port) {
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) { fprintf(stderr, "bad addr %s\n", host); exit(1); }
	return sa;
}

static int readn(int fd, char *b, int n) {
	int got = 0;
	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return -1;
		got += r;
	}
	return got;
}

static int srv_close_after_reply;

static int srv(int port, const char *bind_addr) {
	int one = 1, ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = mkaddr(bind_addr ? bind_addr : "0.0.0.0", port);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (void *)&sa, sizeof sa) < 0) die("bind");
	if (listen(ls, 4096) < 0) die("listen");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	static char buf[65536];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof buf);
			if (r == 0 || (r < 0 && errno != EAGAIN)) { close(fd); continue; }
			if (r < 0) continue;
			ssize_t off = 0;
			while (off < r) { /* small messages: spin on EAGAIN is fine */
				ssize_t w = write(fd, buf + off, r - off);
				if (w < 0) { if (errno == EAGAIN) continue; close(fd); break; }
				off += w;
			}
			if (srv_close_after_reply && off == r) close(fd);
		}
	}
}

static int rr(const char *host, int port, double secs, int size) {
	struct sockaddr_in sa = mkaddr(host, port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (void *)&sa, sizeof sa) < 0) die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char *b = calloc(1, size);
	size_t cap = 1 << 22, n = 0;
	double *lat = malloc(cap * sizeof *lat);
	/* warm-up */
	for (int i = 0; i < 100; i++) { if (write(fd, b, size) != size || readn(fd, b, size) < 0) die("rr warmup"); }
	double t0 = now(), end = t0 + secs, t;
	do {
		double s = now();
		if (write(fd, b, size) != size) die("write");
		if (readn(fd, b, size) < 0) die("read");
		t = now();
		if (n < cap) lat[n++] = (t - s) * 1e6;
	} while (t < end);
	qsort(lat, n, sizeof *lat, cmpd);
	double sum = 0;
	for (size_t i = 0; i < n; i++) sum += lat[i];
	printf("rr_trans=%zu rr_per_s=%.0f rr_mean_us=%.1f rr_p50_us=%.1f rr_p99_us=%.1f\n", n, n / (t - t0),
	       sum / n, lat[n / 2], lat[(size_t)(n * 0.99)]);
	return 0;
}

static int crr(const char *host, int port, double secs) {
	struct sockaddr_in sa = mkaddr(host, port);
	char b = 'x';
	long n = 0, fail = 0;
	double t0 = now(), end = t0 + secs, t;
	do {
		int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) die("socket");
		if (connect(fd, (void *)&sa, sizeof sa) < 0) { fail++; close(fd); if (fail > 1000) die("connect"); goto next; }
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (write(fd, &b, 1) != 1 || readn(fd, &b, 1) != 1) fail++;
		else n++;
		if (srv_close_after_reply) { /* the server closes: wait for its FIN, close passively */
			char t;
			while (read(fd, &t, 1) > 0)
				;
		}
		close(fd);
	next:
		t = now();
	} while (t < end);
	printf("crr_conns=%ld crr_per_s=%.0f crr_fail=%ld\n", n, n / (t - t0), fail);
	return 0;
}

int main(int argc, char **argv) {
	srv_close_after_reply = getenv("NB_SRV_CLOSE") && atoi(getenv("NB_SRV_CLOSE"));
	if (argc >= 3 && !strcmp(argv[1], "srv")) return srv(atoi(argv[2]), argc > 3 ? argv[3] : NULL);
	if (argc >= 5 && !strcmp(argv[1], "rr")) return rr(argv[2], atoi(argv[3]), atof(argv[4]), argc > 5 ? atoi(argv[5]) : 1);
	if (argc >= 5 && !strcmp(argv[1], "crr")) return crr(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: nb srv PORT [ADDR] | nb rr HOST PORT SECS [SIZE] | nb crr HOST PORT SECS\n");
	return 2;
}
