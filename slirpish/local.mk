# slirpish/local.mk - the slirpish daemon and the library its unit tests link.
noinst_LIBRARIES += slirpish/libslirpish.a
slirpish_libslirpish_a_SOURCES = \
	slirpish/util.c slirpish/util.h slirpish/pkt.h slirpish/ctx.h \
	slirpish/log.c slirpish/log.h \
	slirpish/stats.c slirpish/stats.h \
	slirpish/csum.c slirpish/csum.h \
	slirpish/conf.c slirpish/conf.h \
	slirpish/guest.c slirpish/guest.h \
	slirpish/tap.c slirpish/tap.h \
	slirpish/eth.c slirpish/eth.h \
	slirpish/arp.c slirpish/arp.h \
	slirpish/ip4.c slirpish/ip4.h \
	slirpish/nat.c slirpish/nat.h \
	slirpish/flow.c slirpish/flow.h \
	slirpish/tcp.c slirpish/tcp_data.c slirpish/tcp.h slirpish/tcp_conn.h \
	slirpish/udp.c slirpish/udp.h \
	slirpish/icmp.c slirpish/icmp.h \
	slirpish/dhcp.c slirpish/dhcp.h \
	slirpish/dns.c slirpish/dns.h \
	slirpish/portmap.c slirpish/portmap.h \
	slirpish/pcap.c slirpish/pcap.h \
	slirpish/daemon.c slirpish/daemon.h
slirpish_libslirpish_a_CFLAGS = $(AM_CFLAGS) $(LIBEV_CFLAGS)

bin_PROGRAMS += slirpish/slirpish
slirpish_slirpish_SOURCES = slirpish/main.c
slirpish_slirpish_CFLAGS = $(AM_CFLAGS) $(LIBEV_CFLAGS)
slirpish_slirpish_LDADD = slirpish/libslirpish.a $(LIBEV_LIBS)

# Unit tests of slirpish (suites named in tests/unit/suites.h).
tests_unit_runner_SOURCES += \
	tests/unit/harness/harness.c tests/unit/harness/harness.h
tests_unit_runner_LDADD += slirpish/libslirpish.a $(LIBEV_LIBS)
tests_unit_runner_SOURCES += \
	tests/unit/csum/test_csum.c tests/unit/frame/test_frame.c \
	tests/unit/conf/test_conf.c tests/unit/ip4/test_ip4.c \
	tests/unit/arp/test_arp.c tests/unit/dhcp/test_dhcp.c \
	tests/unit/dns/test_dns.c tests/unit/pcap/test_pcap.c \
	tests/unit/udp/test_udp.c tests/unit/icmp/test_icmp.c

# TCP relay suite.
tests_unit_runner_SOURCES += tests/unit/tcp/test_tcp.c

# Fuzz targets of slirpish: replayed over deterministic inputs by the runner
# (suite slirpish_fuzz), explored by libFuzzer with clang:
#   make fuzz-slirpish CC=clang
#   ./slirpish-fuzz-frame -max_len=4096 CORPUS_DIR ; ./slirpish-fuzz-conf CORPUS_DIR
tests_unit_runner_SOURCES += tests/fuzz/fuzz.h tests/fuzz/fuzz_frame.c \
	tests/fuzz/fuzz_conf.c tests/fuzz/test_fuzz.c
SLIRPISH_FUZZ_CFLAGS = $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS) \
	$(LIBEV_CFLAGS) -DFUZZ_LIBFUZZER -g -O1 -fsanitize=fuzzer,address,undefined
SLIRPISH_FUZZ_LIB_SRCS = $(addprefix $(srcdir)/,$(filter %.c,$(slirpish_libslirpish_a_SOURCES)))
fuzz-slirpish:
	$(CC) $(SLIRPISH_FUZZ_CFLAGS) $(CHECK_CFLAGS) -o slirpish-fuzz-frame \
		$(srcdir)/tests/fuzz/fuzz_frame.c $(srcdir)/tests/unit/harness/harness.c \
		$(SLIRPISH_FUZZ_LIB_SRCS) $(LIBEV_LIBS) $(CHECK_LIBS)
	$(CC) $(SLIRPISH_FUZZ_CFLAGS) -o slirpish-fuzz-conf \
		$(srcdir)/tests/fuzz/fuzz_conf.c $(SLIRPISH_FUZZ_LIB_SRCS) $(LIBEV_LIBS)
.PHONY: fuzz-slirpish
CLEANFILES += slirpish-fuzz-frame slirpish-fuzz-conf
