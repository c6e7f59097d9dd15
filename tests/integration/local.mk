# tests/integration/local.mk - build rules for tests/integration (included from the top Makefile.am).
