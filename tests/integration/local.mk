# tests/integration/local.mk - build rules for tests/integration (included from the top Makefile.am).
TESTS += tests/integration/qemu-guest/run.sh
EXTRA_DIST += tests/integration/qemu-guest/run.sh
