// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_pcap.c - capture files: written, read back byte for byte, and by tshark when present. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "slirpish/pcap.h"
#include "tests/unit/harness/harness.h"

#define PCAP_TEST_SNAP 64

static char pcap_test_path[64];

static void pcap_setup(void)
{
	int fd;

	strcpy(pcap_test_path, "/tmp/slirpish-test-pcap.XXXXXX");
	fd = mkstemp(pcap_test_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void pcap_teardown(void)
{
	unlink(pcap_test_path);
}

/* pcap_test_read() - the whole file; its length in @len (caller frees). */
static uint8_t *pcap_test_read(size_t *len)
{
	FILE *f = fopen(pcap_test_path, "rb");
	struct stat st;
	uint8_t *b;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	b = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(b);
	*len = fread(b, 1, (size_t)st.st_size + 1, f);
	ck_assert_uint_eq(*len, (size_t)st.st_size);
	fclose(f);
	return b;
}

static uint32_t pcap_test_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t pcap_test_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* pcap_test_frame() - a plausible Ethernet frame of @len bytes, tagged with @tag. */
static void pcap_test_frame(uint8_t *f, size_t len, uint8_t tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		f[i] = (uint8_t)(tag + i * 13);
	f[12] = 0x88;	/* a local experimental ethertype: no dissector complains */
	f[13] = 0xb5;
}

START_TEST(test_pcap_file_format)
{
	static const size_t lens[] = { 60, 14, 1514, 64, 65 };
	uint8_t frames[5][1514], *b;
	struct pcap *p;
	size_t len, off, i;
	time_t before = time(NULL), after;
	int e = 0;

	p = pcap_open(pcap_test_path, PCAP_TEST_SNAP, &e);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < 5; i++) {
		pcap_test_frame(frames[i], lens[i], (uint8_t)i);
		pcap_frame(p, frames[i], lens[i]);
	}
	pcap_close(p);
	after = time(NULL);

	b = pcap_test_read(&len);
	ck_assert_uint_ge(len, 24);
	ck_assert_uint_eq(pcap_test_u32(b), 0xa1b2c3d4u);
	ck_assert_uint_eq(pcap_test_u16(b + 4), 2);
	ck_assert_uint_eq(pcap_test_u16(b + 6), 4);
	ck_assert_uint_eq(pcap_test_u32(b + 8), 0);
	ck_assert_uint_eq(pcap_test_u32(b + 16), PCAP_TEST_SNAP);
	ck_assert_uint_eq(pcap_test_u32(b + 20), 1);	/* LINKTYPE_ETHERNET */
	off = 24;
	for (i = 0; i < 5; i++) {
		size_t cap = lens[i] < PCAP_TEST_SNAP ? lens[i] : PCAP_TEST_SNAP;

		ck_assert_uint_le(off + 16 + cap, len);
		ck_assert_uint_ge(pcap_test_u32(b + off), (uint32_t)before);
		ck_assert_uint_le(pcap_test_u32(b + off), (uint32_t)after);
		ck_assert_uint_lt(pcap_test_u32(b + off + 4), 1000000);
		ck_assert_uint_eq(pcap_test_u32(b + off + 8), cap);
		ck_assert_uint_eq(pcap_test_u32(b + off + 12), lens[i]);
		ck_assert_mem_eq(b + off + 16, frames[i], cap);
		off += 16 + cap;
	}
	ck_assert_uint_eq(off, len);
	free(b);
}
END_TEST

/* Many frames: the buffer fills and is written out more than once, nothing lost. */
START_TEST(test_pcap_many_frames)
{
	uint8_t f[1514], *b;
	struct pcap *p;
	size_t len, off, i, n = 2000;
	int e = 0;

	p = pcap_open(pcap_test_path, 0, &e);	/* 0: the default snaplen */
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++) {
		pcap_test_frame(f, 100 + i % 1400, (uint8_t)i);
		f[0] = (uint8_t)i;
		f[1] = (uint8_t)(i >> 8);
		pcap_frame(p, f, 100 + i % 1400);
	}
	pcap_close(p);
	b = pcap_test_read(&len);
	ck_assert_uint_eq(pcap_test_u32(b + 16), PCAP_SNAPLEN_DEFAULT);
	for (off = 24, i = 0; off < len; i++) {
		ck_assert_uint_eq(pcap_test_u32(b + off + 8), 100 + i % 1400);
		ck_assert_uint_eq(b[off + 16], (uint8_t)i);
		ck_assert_uint_eq(b[off + 17], (uint8_t)(i >> 8));
		off += 16 + pcap_test_u32(b + off + 8);
	}
	ck_assert_uint_eq(i, n);
	ck_assert_uint_eq(off, len);
	free(b);
}
END_TEST

START_TEST(test_pcap_errors)
{
	int e = 0;

	ck_assert_ptr_null(pcap_open("/nonexistent-dir/x.pcap", 0, &e));
	ck_assert_int_eq(e, ENOENT);
	/* A device that refuses every write: the header cannot be written. */
	if (access("/dev/full", W_OK) == 0) {
		e = 0;
		ck_assert_ptr_null(pcap_open("/dev/full", 0, &e));
		ck_assert_int_ne(e, 0);
	}
	/* No capture: every call is a no-op. */
	pcap_frame(NULL, (const uint8_t *)"x", 1);
	pcap_flush(NULL);
	pcap_close(NULL);
}
END_TEST

/* tshark (when installed) reads the file and sees every frame with its length. */
START_TEST(test_pcap_tshark)
{
	static const char *const tsharks[] = { "/usr/bin/tshark", "/usr/local/bin/tshark" };
	static const size_t lens[] = { 60, 1514, 42 };
	const char *tshark = NULL;
	char cmd[256], line[64];
	uint8_t f[1514];
	struct pcap *p;
	FILE *out;
	size_t i;
	int e = 0, status;

	for (i = 0; i < 2; i++)
		if (access(tsharks[i], X_OK) == 0)
			tshark = tsharks[i];
	if (!tshark) {
		fprintf(stderr, "test_pcap_tshark: tshark not installed, skipped\n");
		return;
	}
	p = pcap_open(pcap_test_path, 0, &e);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < 3; i++) {
		pcap_test_frame(f, lens[i], (uint8_t)i);
		pcap_frame(p, f, lens[i]);
	}
	pcap_close(p);
	snprintf(cmd, sizeof(cmd), "%s -r %s -T fields -e frame.len 2>/dev/null", tshark,
		 pcap_test_path);
	out = popen(cmd, "r");
	ck_assert_ptr_nonnull(out);
	for (i = 0; fgets(line, sizeof(line), out); i++) {
		ck_assert_uint_lt(i, 3);
		ck_assert_uint_eq(strtoul(line, NULL, 10), lens[i]);
	}
	status = pclose(out);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "tshark failed: %d", status);
	ck_assert_uint_eq(i, 3);
}
END_TEST

/* pcap_test_tshark_arp() - if tshark exists, it dissects the capture as request then reply. */
static void pcap_test_tshark_arp(void)
{
	char cmd[256], out[64] = "";
	FILE *p;
	size_t n;

	if (access("/usr/bin/tshark", X_OK))
		return;
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/tshark -r %s -T fields -e arp.opcode -e arp.src.proto_ipv4 2>/dev/null",
		 pcap_test_path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_str_eq(out, "1\t10.0.2.15\n2\t10.0.2.2\n");
}

/* Through the daemon with --pcap: the guest's request and slirpish's reply are both captured. */
START_TEST(test_pcap_daemon)
{
	const char *args[] = { "--pcap", pcap_test_path, NULL };
	struct harness *h = h_setup(args);
	struct hframe *r = malloc(sizeof(*r));
	uint8_t req[64], *b;
	size_t len, rlen;

	ck_assert_ptr_nonnull(r);
	rlen = h_build_arp_request(h, req, H_GUEST, H_GW);
	h_send(h, req, rlen);
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	h_teardown(h);		/* pcap_close() flushes */
	pcap_test_tshark_arp();
	b = pcap_test_read(&len);
	ck_assert_uint_eq(len, 24 + 16 + rlen + 16 + r->len);
	ck_assert_uint_eq(pcap_test_u32(b + 24 + 8), rlen);
	ck_assert_mem_eq(b + 24 + 16, req, rlen);
	ck_assert_uint_eq(pcap_test_u32(b + 24 + 16 + rlen + 8), r->len);
	ck_assert_mem_eq(b + 24 + 16 + rlen + 16, r->data, r->len);
	free(b);
	free(r);
}
END_TEST

Suite *pcap_suite(void);
Suite *pcap_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, pcap_setup, pcap_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pcap_file_format);
	tcase_add_test(tc, test_pcap_many_frames);
	tcase_add_test(tc, test_pcap_errors);
	tcase_add_test(tc, test_pcap_tshark);
	tcase_add_test(tc, test_pcap_daemon);
	suite_add_tcase(s, tc);
	return s;
}
