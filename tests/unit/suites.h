/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* suites.h - every unit suite of the runner, one SUITE(name) line each:
 * name_suite() is defined in tests/unit/<area>/test_<area>.c. */
SUITE(csum)
SUITE(frame)
SUITE(conf)
SUITE(ip4)
SUITE(arp)
SUITE(dhcp)
SUITE(dns)
SUITE(pcap)
SUITE(udp)
SUITE(icmp)
SUITE(vmm)
SUITE(rewriter)
SUITE(tcp)
SUITE(slirpish_fuzz)
