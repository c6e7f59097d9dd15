/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* pcap.h - --pcap: every frame that crosses a guest link, in libpcap's file format. */
#ifndef SLIRPISH_PCAP_H
#define SLIRPISH_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct pcap;

/* Default (and largest useful) capture length per frame. */
#define PCAP_SNAPLEN_DEFAULT 65535u

struct pcap *pcap_open(const char *path, unsigned snaplen, int *err);
void pcap_frame(struct pcap *p, const uint8_t *frame, size_t len);
void pcap_flush(struct pcap *p);
void pcap_close(struct pcap *p);

#endif /* SLIRPISH_PCAP_H */
