/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* fuzz.h - slirpish's fuzz entry points, shared by the libFuzzer binaries and the unit runner. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* First byte of a fuzz_frame_input(): how the rest reaches the guest link. */
#define FUZZ_FRAME_ONE		0	/* the rest is one frame */
#define FUZZ_FRAME_SPLIT16	1	/* frames, each after a 2-byte big-endian length */
#define FUZZ_FRAME_RAW		2	/* raw link bytes (the input writes the 4-byte prefixes) */
#define FUZZ_FRAME_SPLIT8	3	/* frames, each after a 1-byte length */
#define FUZZ_FRAME_MODE_MASK	3
#define FUZZ_FRAME_FIX_CSUM	4	/* recompute IPv4 and TCP/UDP/ICMP checksums first */

int fuzz_isolate(void);
int fuzz_frame_input(const uint8_t *data, size_t size);
int fuzz_conf_input(const uint8_t *data, size_t size);

#endif /* TESTS_FUZZ_FUZZ_H */
