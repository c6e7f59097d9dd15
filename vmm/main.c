// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* main.c - the ulvm command: option parsing for "ulvm run". */

#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vm.h"

static void main_usage(FILE *f)
{
	fprintf(f,
		"usage: ulvm run --kernel VMLINUZ [--initrd FILE] [--append \"...\"]\n"
		"                [--mem SIZE] [--net SOCKET] [--trace]\n"
		"  --kernel FILE   32-bit kernel: ELF32 executable or bzImage\n"
		"  --initrd FILE   initial ramdisk\n"
		"  --append TEXT   kernel command line\n"
		"  --mem SIZE      guest RAM, e.g. 256M (default), up to 3G\n"
		"  --net SOCKET    a network card (ulvmnet) linked to the daemon listening\n"
		"                  on this Unix socket: slirpish --socket SOCKET\n"
		"  --trace         print trap counts by kind at exit\n"
		"Console on stdin/stdout (ttyS0); Ctrl-A x quits.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "mem", required_argument, NULL, 'm' },
		{ "net", required_argument, NULL, 'n' },
		{ "trace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config cfg = { .mem_size = 256ull << 20 };
	static struct vm vm;
	int c, code;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		main_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "run")) {
		fprintf(stderr, "ulvm: unknown command '%s'\n", argv[1]);
		main_usage(stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "k:i:a:m:n:th", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel = optarg; break;
		case 'i': cfg.initrd = optarg; break;
		case 'a': cfg.cmdline = optarg; break;
		case 'n': cfg.net = optarg; break;
		case 't': cfg.trace = true; break;
		case 'h': main_usage(stdout); return 0;
		case 'm':
			if (mem_parse_size(optarg, &cfg.mem_size) ||
			    cfg.mem_size < (4ull << 20) || cfg.mem_size > (3ull << 30)) {
				fprintf(stderr, "ulvm: --mem '%s': give a size from 4M to 3G\n", optarg);
				return 2;
			}
			break;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ulvm: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!cfg.kernel) {
		fprintf(stderr, "ulvm: run: --kernel is required\n");
		main_usage(stderr);
		return 2;
	}
	if (vm_init(&vm, &cfg)) {
		vm_free(&vm);
		return 1;
	}
	code = vm_run(&vm);
	vm_free(&vm);
	return code;
}
