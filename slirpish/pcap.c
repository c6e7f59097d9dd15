// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* pcap.c - --pcap: every frame that crosses a guest link, in libpcap's file format. */

/*
 * Theory of operation
 *
 * The file is the classic libpcap format: a 24-byte global header (magic
 * 0xa1b2c3d4 in host byte order, version 2.4, LINKTYPE_ETHERNET), then one
 * 16-byte record header (real-time seconds and microseconds, captured and
 * original length) and the first snaplen bytes of each frame.
 *
 * Records collect in a buffer of PCAP_BUF_SIZE bytes written with write(2)
 * when it fills, when a second has passed since the last write, on
 * pcap_flush() and on pcap_close().  A failed write is logged once; capture
 * then stops for good and pcap_frame() does nothing.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slirpish/log.h"
#include "slirpish/pcap.h"
#include "slirpish/util.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_GLOBAL_HLEN 24
#define PCAP_REC_HLEN 16
#define PCAP_BUF_SIZE (256u << 10)

/**
 * struct pcap - an open capture file
 * @fd:		file descriptor
 * @path:	file name, for messages
 * @snaplen:	bytes kept of each frame
 * @failed:	a write failed: capture stopped
 * @len:	bytes waiting in @buf
 * @last_sec:	CLOCK_MONOTONIC second of the last write
 * @buf:	pending records
 */
struct pcap {
	int fd;
	char *path;
	unsigned snaplen;
	int failed;
	size_t len;
	time_t last_sec;
	uint8_t buf[PCAP_BUF_SIZE];
};

/* pcap_put32() / pcap_put16() - native-order stores (the magic tells readers the order). */
static void pcap_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void pcap_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* pcap_now_mono() - seconds of the monotonic clock. */
static time_t pcap_now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/**
 * pcap_write_out() - write the buffer to the file
 * @p:		capture
 *
 * On error, logs once and stops the capture.
 */
static void pcap_write_out(struct pcap *p)
{
	size_t off = 0;

	while (!p->failed && off < p->len) {
		ssize_t n = write(p->fd, p->buf + off, p->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err("pcap: writing %s: %s; capture stopped", p->path,
			    n < 0 ? strerror(errno) : "short write");
			p->failed = 1;
			break;
		}
		off += (size_t)n;
	}
	p->len = 0;
	p->last_sec = pcap_now_mono();
}

/**
 * pcap_open() - create (or truncate) a capture file and write its header
 * @path:	file name
 * @snaplen:	bytes kept of each frame; 0 means PCAP_SNAPLEN_DEFAULT
 * @err:	set to a positive errno on failure
 *
 * Return: the capture, or NULL.
 */
struct pcap *pcap_open(const char *path, unsigned snaplen, int *err)
{
	struct pcap *p = calloc(1, sizeof(*p));
	uint8_t *h;

	if (!p) {
		*err = ENOMEM;
		return NULL;
	}
	p->path = strdup(path);
	if (!p->path) {
		*err = ENOMEM;
		goto fail;
	}
	p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (p->fd < 0) {
		*err = errno;
		goto fail;
	}
	p->snaplen = snaplen ? snaplen : PCAP_SNAPLEN_DEFAULT;
	h = p->buf;
	pcap_put32(h, PCAP_MAGIC);
	pcap_put16(h + 4, PCAP_VERSION_MAJOR);
	pcap_put16(h + 6, PCAP_VERSION_MINOR);
	pcap_put32(h + 8, 0);		/* thiszone */
	pcap_put32(h + 12, 0);		/* sigfigs */
	pcap_put32(h + 16, p->snaplen);
	pcap_put32(h + 20, PCAP_LINKTYPE_ETHERNET);
	p->len = PCAP_GLOBAL_HLEN;
	pcap_write_out(p);
	if (p->failed) {
		*err = EIO;
		close(p->fd);
		goto fail;
	}
	return p;
fail:
	free(p->path);
	free(p);
	return NULL;
}

/**
 * pcap_frame() - append one frame to the capture
 * @p:		capture, or NULL (no capture: nothing to do)
 * @frame:	Ethernet frame
 * @len:	its length
 */
void pcap_frame(struct pcap *p, const uint8_t *frame, size_t len)
{
	struct timespec ts;
	size_t caplen;
	uint8_t *r;

	if (!p || p->failed)
		return;
	caplen = MIN(len, (size_t)p->snaplen);
	if (caplen > PCAP_BUF_SIZE - PCAP_REC_HLEN)
		caplen = PCAP_BUF_SIZE - PCAP_REC_HLEN;
	if (p->len + PCAP_REC_HLEN + caplen > PCAP_BUF_SIZE) {
		pcap_write_out(p);
		if (p->failed)
			return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	r = p->buf + p->len;
	pcap_put32(r, (uint32_t)ts.tv_sec);
	pcap_put32(r + 4, (uint32_t)(ts.tv_nsec / 1000));
	pcap_put32(r + 8, (uint32_t)caplen);
	pcap_put32(r + 12, (uint32_t)MIN(len, (size_t)UINT32_MAX));
	memcpy(r + PCAP_REC_HLEN, frame, caplen);
	p->len += PCAP_REC_HLEN + caplen;
	if (pcap_now_mono() != p->last_sec)
		pcap_write_out(p);
}

/**
 * pcap_flush() - write out what is buffered
 * @p:		capture, or NULL
 */
void pcap_flush(struct pcap *p)
{
	if (p && p->len)
		pcap_write_out(p);
}

/**
 * pcap_close() - flush and close the capture
 * @p:		capture, or NULL
 */
void pcap_close(struct pcap *p)
{
	if (!p)
		return;
	pcap_flush(p);
	if (close(p->fd) && !p->failed)
		err("pcap: closing %s: %s", p->path, strerror(errno));
	free(p->path);
	free(p);
}
