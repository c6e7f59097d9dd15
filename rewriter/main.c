// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* main.c - ulvm-rewrite: the command over the rewriter library. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "rewriter/image.h"
#include "rewriter/elf32.h"
#include "rewriter/rewrite.h"
#include "rewriter/sitetab.h"

static void rw_main_usage(FILE *f)
{
	fputs("usage: ulvm-rewrite [options] INPUT -o OUTPUT\n"
	      "       ulvm-rewrite --check IMAGE [--original INPUT]\n"
	      "       ulvm-rewrite --dump IMAGE_OR_SITES\n"
	      "Rewrite the sensitive instructions of an i386 kernel (bzImage or vmlinux ELF)\n"
	      "into stubs and traps the ulvm monitor emulates.\n"
	      "  -o, --output FILE      the rewritten ELF (patch area and site table appended;\n"
	      "                         always an ELF: a bzImage's payload is written decompressed)\n"
	      "  -s, --sites FILE       also write the site table alone\n"
	      "  -r, --report FILE      write the report there (it is also printed)\n"
	      "  -m, --system-map FILE  function boundaries from a System.map\n"
	      "      --patch-addr ADDR  guest VA of the patch area (default 0xff000000)\n"
	      "      --vcpu-addr ADDR   guest VA of the vCPU page (default 0xfffff000)\n"
	      "      --rewrite-rdtsc    also rewrite rdtsc/rdtscp (default: left native)\n"
	      "      --traps-only       no stubs: every site becomes an int3 trap\n"
	      "      --no-move-calls    never move a call into a stub (keeps stack traces whole)\n"
	      "  -c, --check IMAGE      verify a rewritten image\n"
	      "      --original INPUT   with --check: compare every byte with the original\n"
	      "  -d, --dump FILE        print a site table (a --sites file or a rewritten image)\n"
	      "  -q, --quiet            print only errors\n"
	      "  -h, --help             this text\n"
	      "  -V, --version          the version\n",
	      f);
}

static int rw_main_addr(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || end == s || x > 0xffffffffull || (x & 0xfff))
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static double rw_main_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * rw_main_dump() - print the site table of a --sites file or a rewritten image
 * @path:	the file
 *
 * Return: 0 or 1.
 */
static int rw_main_dump(const char *path)
{
	struct rw_err err = { 0, "" };
	const struct rw_elf_seg *sp;
	struct rw_sitetab t;
	struct rw_elf e;
	uint8_t *buf;
	size_t len, off = 0, n;
	int ret;

	if (rw_file_read(path, &buf, &len, &err)) {
		fprintf(stderr, "ulvm-rewrite: %s\n", err.msg);
		return 1;
	}
	n = len;
	if (len >= 4 && !memcmp(buf, "\177ELF", 4)) {
		ret = rw_elf_parse(&e, buf, len, &err);
		sp = ret ? NULL : rw_elf_segment_type(&e, ULVM_PT_SITES);
		if (sp) {
			off = sp->off;
			n = sp->filesz;
		}
		if (!ret)
			rw_elf_free(&e);
		if (!sp) {
			fprintf(stderr, "ulvm-rewrite: %s: %s\n", path,
				ret ? err.msg : "not a rewritten image: no site table");
			free(buf);
			return 1;
		}
	}
	ret = rw_sitetab_parse(&t, buf + off, n, &err);
	free(buf);
	if (ret) {
		fprintf(stderr, "ulvm-rewrite: %s: %s\n", path, err.msg);
		return 1;
	}
	rw_sitetab_dump(&t, stdout);
	rw_sitetab_free(&t);
	return 0;
}

/**
 * main() - parse options, rewrite or check
 *
 * Return: 0 on success, 1 on error or failed check, 2 on bad usage.
 */
int main(int argc, char **argv)
{
	enum { OPT_PATCH = 256, OPT_VCPU, OPT_RDTSC, OPT_TRAPS, OPT_ORIG, OPT_NOCALLS };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "sites", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "patch-addr", required_argument, NULL, OPT_PATCH },
		{ "vcpu-addr", required_argument, NULL, OPT_VCPU },
		{ "rewrite-rdtsc", no_argument, NULL, OPT_RDTSC },
		{ "traps-only", no_argument, NULL, OPT_TRAPS },
		{ "no-move-calls", no_argument, NULL, OPT_NOCALLS },
		{ "check", required_argument, NULL, 'c' },
		{ "original", required_argument, NULL, OPT_ORIG },
		{ "dump", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *sites = NULL, *report = NULL, *sysmap = NULL;
	const char *check = NULL, *original = NULL, *dump = NULL, *input;
	struct rw_opts opts = { 0 };
	struct rw_err err = { 0, "" };
	uint8_t *in = NULL, *map = NULL, *orig = NULL;
	size_t in_len = 0, map_len = 0, orig_len = 0;
	struct rw_image img;
	struct rw_out out;
	int quiet = 0, ch, ret;
	double t0;

	while ((ch = getopt_long(argc, argv, "o:s:r:m:c:d:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': output = optarg; break;
		case 's': sites = optarg; break;
		case 'r': report = optarg; break;
		case 'm': sysmap = optarg; break;
		case 'c': check = optarg; break;
		case 'd': dump = optarg; break;
		case 'q': quiet = 1; break;
		case OPT_ORIG: original = optarg; break;
		case OPT_RDTSC: opts.rewrite_rdtsc = 1; break;
		case OPT_TRAPS: opts.traps_only = 1; break;
		case OPT_NOCALLS: opts.no_move_calls = 1; break;
		case OPT_PATCH:
		case OPT_VCPU:
			if (rw_main_addr(optarg, ch == OPT_PATCH ? &opts.patch_vaddr : &opts.vcpu_vaddr)) {
				fprintf(stderr, "ulvm-rewrite: %s: not a page-aligned 32-bit address\n",
					optarg);
				return 2;
			}
			break;
		case 'h': rw_main_usage(stdout); return 0;
		case 'V': printf("ulvm-rewrite %s\n", PACKAGE_VERSION); return 0;
		default: rw_main_usage(stderr); return 2;
		}
	}

	if (dump)
		return rw_main_dump(dump);

	if (check) {
		struct rw_stats st;

		if (optind != argc) {
			rw_main_usage(stderr);
			return 2;
		}
		if (rw_file_read(check, &in, &in_len, &err) ||
		    (original && rw_file_read(original, &orig, &orig_len, &err))) {
			fprintf(stderr, "ulvm-rewrite: %s\n", err.msg);
			free(in);
			return 1;
		}
		ret = rw_check(in, in_len, orig, orig_len, &st, &err);
		if ((!quiet || ret) && rw_report_write(&st, NULL, 1, &err))
			ret = -EIO;
		free(in);
		free(orig);
		if (ret) {
			fprintf(stderr, "ulvm-rewrite: %s: check FAILED: %s\n", check, err.msg);
			return 1;
		}
		if (!quiet)
			printf("%s: check passed%s\n", check,
			       original ? " (bytes compared with the original)" : "");
		return 0;
	}

	if (optind + 1 != argc || !output) {
		rw_main_usage(stderr);
		return 2;
	}
	input = argv[optind];
	t0 = rw_main_now();
	if (rw_file_read(input, &in, &in_len, &err))
		goto fail;
	if (sysmap && rw_file_read(sysmap, &map, &map_len, &err))
		goto fail;
	opts.sysmap = (const char *)map;
	opts.sysmap_len = map_len;
	if (rw_image_load(&img, in, in_len, &err)) {
		fprintf(stderr, "ulvm-rewrite: %s: %s\n", input, err.msg);
		free(in);
		free(map);
		return 1;
	}
	free(in);
	in = NULL;
	ret = rw_rewrite(img.elf, img.len, &opts, &out, &err);
	rw_image_free(&img);
	if (ret) {
		fprintf(stderr, "ulvm-rewrite: %s: %s\n", input, err.msg);
		free(map);
		return 1;
	}
	if (rw_file_write(output, out.image, out.image_len, &err) ||
	    (sites && rw_file_write(sites, out.sitetab, out.sitetab_len, &err)) ||
	    rw_report_write(&out.stats, report, !quiet, &err)) {
		rw_out_free(&out);
		goto fail;
	}
	if (!quiet)
		printf("wrote %s (%zu bytes) in %.2f s\n", output, out.image_len, rw_main_now() - t0);
	rw_out_free(&out);
	free(map);
	return 0;
fail:
	fprintf(stderr, "ulvm-rewrite: %s\n", err.msg);
	free(in);
	free(map);
	return 1;
}
