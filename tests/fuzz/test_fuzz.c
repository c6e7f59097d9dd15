// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_fuzz.c - slirpish's fuzz targets over deterministic pseudo-random inputs, in every make check. */

/*
 * The libFuzzer binaries (make fuzz-slirpish CC=clang) explore; this suite
 * replays a fixed-seed stream of mutations of valid frames and command
 * lines through the same entry points, so that every build exercises them
 * without clang.  The seed is fixed, so a failure reproduces exactly;
 * SLIRPISH_FUZZ_SEED varies it, SLIRPISH_FUZZ_CORPUS=DIR keeps the inputs
 * (the last one written is the one that failed; they also seed libFuzzer).
 */

#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "tests/unit/harness/harness.h"

#define TF_FRAMES 20000		/* frames in all */
#define TF_PER_INPUT 40		/* frames per daemon */
#define TF_CONF_INPUTS 5000
#define TF_SEEDS 12
#define TF_BUF (TF_PER_INPUT * 1700)

/* tf_rand() - xorshift64*: the deterministic source of every choice. */
static uint64_t tf_state;

static uint32_t tf_rand(void)
{
	tf_state ^= tf_state >> 12;
	tf_state ^= tf_state << 25;
	tf_state ^= tf_state >> 27;
	return (uint32_t)((tf_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static void tf_seed(uint64_t dflt)
{
	const char *e = getenv("SLIRPISH_FUZZ_SEED");

	tf_state = e ? strtoull(e, NULL, 0) : dflt;
	if (!tf_state)
		tf_state = 1;
}

/**
 * struct tf_seedframe - a valid frame that mutations start from
 * @data:	the frame
 * @len:	its length
 */
struct tf_seedframe {
	uint8_t data[1600];
	size_t len;
};

/* tf_seeds() - one frame of each kind the daemon handles. */
static void tf_seeds(struct tf_seedframe *s)
{
	static const uint8_t dnsq[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a',
					'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	static const char *const args[] = { "slirpish", "--fd", "1000", "--dns-forward",
					    "127.0.0.1", NULL };
	struct harness *h = calloc(1, sizeof(*h));
	const char *err = NULL;
	uint8_t l4[600], opt[24];
	int i = 0;

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(conf_parse(&h->conf, 5, (char **)(uintptr_t)args, &err), 0);
	memcpy(h->mac, "\x52\x54\x00\x12\x34\x56", 6);
	s[i].len = h_build_arp_request(h, s[i].data, H_GUEST, H_GW), i++;
	s[i].len = h_build_udp(h, s[i].data, H_GUEST, 40000, H_DNS, 53, dnsq, sizeof(dnsq)), i++;
	/* DHCP discover: BOOTP request, magic cookie, option 53 = 1. */
	memset(l4, 0, 300);
	l4[0] = 1, l4[1] = 1, l4[2] = 6;
	memcpy(l4 + 28, h->mac, 6);
	memcpy(l4 + 236, "\x63\x82\x53\x63\x35\x01\x01\xff", 8);
	s[i].len = h_build_udp(h, s[i].data, 0, 68, 0xffffffffu, 67, l4, 300), i++;
	s[i].len = h_build_icmp_echo(h, s[i].data, H_GUEST, H_GW, 7, 1, "ping", 4), i++;
	s[i].len = h_build_tcp_opt(h, s[i].data, H_GUEST, 40000, H_GW, 80, 1000, 0, H_TCP_SYN,
				   65535, 1460, 7, NULL, 0), i++;
	/* ACK fields are offsets from slirpish's ISN (fuzz_fix_ack()). */
	s[i].len = h_build_tcp(h, s[i].data, H_GUEST, 40000, H_GW, 80, 1001, 1,
			       H_TCP_ACK | H_TCP_PSH, 65535, "GET / HTTP/1.0\r\n\r\n", 18), i++;
	s[i].len = h_build_tcp(h, s[i].data, H_GUEST, 40000, H_GW, 80, 1019, 1,
			       H_TCP_ACK | H_TCP_FIN, 65535, NULL, 0), i++;
	s[i].len = h_build_udp(h, s[i].data, H_GUEST, 40001, 0x01020304u, 9, "x", 1), i++;
	s[i].len = h_build_tcp_opt(h, s[i].data, H_GUEST, 40002, 0x01020304u, 443, 7, 0, H_TCP_SYN,
				   1000, 536, -1, NULL, 0), i++;
	s[i].len = h_build_icmp_echo(h, s[i].data, H_GUEST, 0x01020304u, 8, 2, "abc", 3), i++;
	/* IPv4 with 4 bytes of options (ihl 6) carrying UDP. */
	memset(opt, 0, sizeof(opt));
	s[i].len = h_build_udp(h, s[i].data, H_GUEST, 40003, H_GW, 7, "opt", 3);
	memmove(s[i].data + 38, s[i].data + 34, s[i].len - 34);
	memcpy(s[i].data + 34, "\x01\x01\x01\x00", 4);
	s[i].data[14] = 0x46;
	s[i].data[17] = (uint8_t)(s[i].data[17] + 4);
	s[i].len += 4, i++;
	/* A fragment (more fragments set). */
	s[i].len = h_build_udp(h, s[i].data, H_GUEST, 40004, H_GW, 7, "frag", 4);
	s[i].data[20] = 0x20, i++;
	ck_assert_int_eq(i, TF_SEEDS);
	free(h);
}

/* tf_mutate() - a seed frame with a few random changes, into @out; its length. */
static size_t tf_mutate(const struct tf_seedframe *seed, uint8_t *out, size_t max)
{
	static const uint8_t magic[] = { 0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x45, 0x06, 0x11 };
	size_t len = MIN(seed->len, max), k = 1 + tf_rand() % 4, i;

	memcpy(out, seed->data, len);
	for (i = 0; i < k && len; i++) {
		size_t at = tf_rand() % len;

		switch (tf_rand() % 6) {
		case 0: out[at] ^= (uint8_t)(1u << (tf_rand() % 8)); break;
		case 1: out[at] = magic[tf_rand() % sizeof(magic)]; break;
		case 2: out[at] = (uint8_t)tf_rand(); break;
		case 3: len = at; break;	/* truncate */
		case 4: {			/* append random bytes */
			size_t add = MIN(tf_rand() % 64, max - len), j;

			for (j = 0; j < add; j++)
				out[len + j] = (uint8_t)tf_rand();
			len += add;
			break;
		}
		default:			/* a 16-bit field */
			if (at + 1 < len) {
				out[at] = (uint8_t)tf_rand();
				out[at + 1] = tf_rand() % 2 ? 0 : (uint8_t)tf_rand();
			}
			break;
		}
	}
	return len;
}

/*
 * tf_save() - with SLIRPISH_FUZZ_CORPUS=DIR, keep every input as DIR/<kind>-<n>:
 * a seed corpus for the libFuzzer binaries, or the input that failed.
 */
static void tf_save(const char *kind, unsigned n, const uint8_t *in, size_t len)
{
	const char *dir = getenv("SLIRPISH_FUZZ_CORPUS");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s-%05u", dir, kind, n);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(in, 1, len, f);
	fclose(f);
}

/* 20,000 mutated frames through fresh daemons, 40 at a time. */
START_TEST(test_fuzz_frames)
{
	struct tf_seedframe *seeds = calloc(TF_SEEDS, sizeof(*seeds));
	uint8_t *in = calloc(1, TF_BUF);
	unsigned done = 0, inputs = 0;

	ck_assert_ptr_nonnull(seeds);
	ck_assert_ptr_nonnull(in);
	/* Own network namespace if allowed; otherwise destinations are contained. */
	fuzz_isolate();
	tf_seed(0x51195eedULL);
	tf_seeds(seeds);
	while (done < TF_FRAMES) {
		uint32_t m = tf_rand() % 16;
		size_t len = 1;
		int j;

		/* Mostly frames with fixed checksums; sometimes raw or as they come. */
		in[0] = (uint8_t)(m < 10 ? FUZZ_FRAME_SPLIT16 | FUZZ_FRAME_FIX_CSUM :
				  m < 12 ? FUZZ_FRAME_SPLIT16 :
				  m < 14 ? FUZZ_FRAME_RAW | FUZZ_FRAME_FIX_CSUM :
				  FUZZ_FRAME_ONE | FUZZ_FRAME_FIX_CSUM);
		for (j = 0; j < TF_PER_INPUT && done < TF_FRAMES; j++, done++) {
			size_t hl = (in[0] & FUZZ_FRAME_MODE_MASK) == FUZZ_FRAME_RAW ? 4 : 2;
			size_t n = tf_mutate(&seeds[tf_rand() % TF_SEEDS], in + len + hl, 1600);

			if ((in[0] & FUZZ_FRAME_MODE_MASK) == FUZZ_FRAME_ONE) {
				/* one frame, no prefix */
				memmove(in + len, in + len + hl, n);
				len += n;
				done++;
				break;
			}
			if (hl == 4) {
				in[len++] = 0;
				in[len++] = 0;
				/* Now and then a lying length prefix. */
				if (tf_rand() % 64 == 0)
					n = (n + tf_rand() % 100) % 1600;
			}
			in[len++] = (uint8_t)(n >> 8);
			in[len++] = (uint8_t)n;
			len += n;
		}
		tf_save("frames", inputs++, in, len);
		fuzz_frame_input(in, len);
	}
	free(in);
	free(seeds);
}
END_TEST

/* tf_conf_token() - a piece of a command line: an option, a value, or noise. */
static const char *tf_conf_token(char *buf, size_t size)
{
	static const char *const tok[] = {
		"--socket", "/tmp/x.sock", "--fd", "3", "-1", "99999999999", "--tap", "tap0",
		"--netns", "/run/netns/x", "--net", "10.0.2.0/24", "192.168.0.0/16", "10.0.2.1/24",
		"--gateway", "10.0.2.2", "--dns", "10.0.2.3", "--guest-addr", "10.0.2.15",
		"--dns-forward", "1.1.1.1", "-m", "--mtu", "576", "65520", "65521", "-t", "-u",
		"8080", "8080:80", "127.0.0.1:8080:80", "::", "1:", ":1", "0:1", "1.2.3.4:1:2:3",
		"--pcap", "/dev/null", "--tcp-idle-timeout", "--udp-idle-timeout", "1", "0",
		"--max-flows", "16", "15", "--max-guests", "64", "65", "-d", "-q", "-dq", "-s",
		"--", "-", "", "--fd=4", "--net=10.0.0.0/8", "-t8080", "-m1500", "--unknown",
		"10.0.2.0/31", "255.255.255.255", "0.0.0.0", "--gateway=10.0.2.255",
	};
	const char *t = tok[tf_rand() % (sizeof(tok) / sizeof(tok[0]))];
	size_t len = strlen(t), i;

	if (tf_rand() % 4)
		return t;
	/* A mutated token. */
	len = MIN(len, size - 1);
	memcpy(buf, t, len);
	buf[len] = 0;
	for (i = 0; len && i < 2; i++)
		buf[tf_rand() % len] = (char)(tf_rand() % 2 ? '0' + tf_rand() % 10 : tf_rand() % 128 + 1);
	return buf;
}

/* 5,000 command lines and option values through the parsers. */
START_TEST(test_fuzz_conf)
{
	char tbuf[64];
	uint8_t in[1024];
	int i, out, saved = dup(1);

	ck_assert_int_ge(saved, 0);
	/* --help and --version print: keep the test log readable. */
	out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(out, 0);
	fflush(stdout);
	ck_assert_int_eq(dup2(out, 1), 1);
	close(out);
	tf_seed(0xc0f5eedULL);
	for (i = 0; i < TF_CONF_INPUTS; i++) {
		size_t len = 1;
		int n = 1 + (int)(tf_rand() % 8), j;

		in[0] = (uint8_t)(tf_rand() % 8);
		for (j = 0; j < n; j++) {
			const char *t = tf_conf_token(tbuf, sizeof(tbuf));
			size_t tl = strlen(t);

			if (len + tl + 1 > sizeof(in))
				break;
			memcpy(in + len, t, tl);
			len += tl;
			/* argv mode separates with NUL; the others take one string. */
			if ((in[0] & 3) == 0)
				in[len++] = 0;
			else if (j + 1 < n)
				in[len++] = tf_rand() % 2 ? ':' : '/';
		}
		tf_save("conf", (unsigned)i, in, len);
		fuzz_conf_input(in, len);
	}
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
}
END_TEST

/*
 * Found by fuzz_conf: conf_parse() resets getopt with optind = 1, which
 * leaves glibc's position inside a clustered option of the previous call
 * ("-hq" stopped at 'h').  The next conf_parse() then reads that old argv
 * (freed memory, under ASan a heap-use-after-free) and applies its 'q'.
 * Fix: optind = 0.
 */
START_TEST(test_fuzz_conf_getopt_state)
{
	char a1[] = "slirpish", a2[] = "--fd", a3[] = "3", a4[] = "-hq";
	char *argv1[] = { a1, a2, a3, a4, NULL }, *argv2[] = { a1, a2, a3, NULL };
	const char *err = NULL;
	struct conf conf;
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC), saved = dup(1);

	ck_assert_int_ge(out, 0);
	fflush(stdout);
	dup2(out, 1);
	ck_assert_int_eq(conf_parse(&conf, 4, argv1, &err), 1);	/* --help printed */
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(out);
	err = "";
	ck_assert_msg(conf_parse(&conf, 3, argv2, &err) == 0,
		      "a valid command line refused after \"-hq\": %s", err);
	ck_assert_msg(conf.log_level == LOG_INFO,
		      "log level %d: the previous command line's -q leaked in", conf.log_level);
}
END_TEST

Suite *slirpish_fuzz_suite(void);
Suite *slirpish_fuzz_suite(void)
{
	Suite *s = suite_create("slirpish_fuzz");
	TCase *tc = tcase_create("replay");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fuzz_frames);
	tcase_add_test(tc, test_fuzz_conf);
	tcase_add_test(tc, test_fuzz_conf_getopt_state);
	suite_add_tcase(s, tc);
	return s;
}
