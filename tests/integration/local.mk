# tests/integration/local.mk - build rules for tests/integration (included from the top Makefile.am).
# A Debian guest on slirpish's stream socket: under QEMU (virtio-net), and
# under ulvm (its ulvmnet card; the guest driver is in guest-drivers/).
TESTS += tests/integration/qemu-guest/run.sh tests/integration/vmm-net/run.sh
EXTRA_DIST += tests/integration/qemu-guest/run.sh tests/integration/vmm-net/run.sh \
	guest-drivers/ulvmnet/Kbuild guest-drivers/ulvmnet/ulvmnet.c

# slirpish against real peers, the guest being a network namespace's own
# Linux stack on a TAP device (need root; skip with 77 otherwise).
SLIRPISH_INTEGRATION = \
	tests/integration/slirpish-dhcp-ping-dns/run.sh \
	tests/integration/slirpish-http/run.sh \
	tests/integration/slirpish-bulk/run.sh \
	tests/integration/slirpish-many-conns/run.sh \
	tests/integration/slirpish-half-close/run.sh \
	tests/integration/slirpish-portmap/run.sh \
	tests/integration/slirpish-bad-frames/run.sh \
	tests/integration/slirpish-pcap/run.sh \
	tests/integration/slirpish-slow-peer/run.sh \
	tests/integration/slirpish-limits/run.sh \
	tests/integration/slirpish-link-loss/run.sh \
	tests/integration/slirpish-udp/run.sh \
	tests/integration/slirpish-icmp/run.sh \
	tests/integration/slirpish-multi-guest/run.sh
TESTS += $(SLIRPISH_INTEGRATION)
EXTRA_DIST += $(SLIRPISH_INTEGRATION) tests/integration/lib.sh \
	tests/integration/slirpish-half-close/hc.py \
	tests/integration/slirpish-bad-frames/frames.py \
	tests/integration/slirpish-slow-peer/peer.py \
	tests/integration/slirpish-udp/udp.py \
	tests/bench/bench.sh tests/bench/nb.c
