# Entry points for people and CI. Each target installs what is missing
# (Debian 12, as root), configures, builds, and then does its job.
#   make run        build and run `eventbus demo`
#   make test       build and run every suite (unit, integration, fault)
#   make test-asan  the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-tsan  the same under ThreadSanitizer

SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=
# Suites run side by side: each starts its own servers on free ports, and
# most of their time is spent waiting on them.
CTEST_JOBS ?= $(JOBS)
# Under a sanitizer every thread runs several times slower: one suite at a
# time there, so the suites' deadlines keep their margin.
SANITIZER_CTEST_JOBS ?= 1
# Every tree compiles the suites' own code (tests/) at -Og; the code under
# test (framework/, plugins/) keeps -O2. It halves a suite file's compile.
TEST_TREE = -DEVENTBUS_TEST_OPTIMIZE=-Og
# The sanitizer trees: no bench (nothing there runs it) and line tables only
# (-g1: a sanitizer's stack trace still names file and line), which keeps
# their build a good part shorter on a fresh machine.
SANITIZER_TREE = -DEVENTBUS_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
DEPS = cmake make g++ pkg-config libpoco-dev libhiredis-dev libcppunit-dev redis-server redis-tools openssl
FUZZ_DEPS = clang libclang-rt-dev

FUZZ_SECONDS ?= 60
FUZZ_TARGETS = codec names config redactor

.PHONY: all deps build run test test-asan test-tsan test-fuzz test-unit clean

all: build

deps:
	@missing=""; \
	for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

# configure_and_build(<dir>, <extra cmake args>)
define configure_and_build
	cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(TEST_TREE) $(2)
	cmake --build $(1) -j$(JOBS)
endef

build: deps
	$(call configure_and_build,$(BUILD),)

run: build
	./$(BUILD)/bin/eventbus demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(CTEST_JOBS) $(CTEST_ARGS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(CTEST_JOBS) -L unit $(CTEST_ARGS)

test-asan: deps
	$(call configure_and_build,$(BUILD)-asan,-DEVENTBUS_SANITIZE=address $(SANITIZER_TREE))
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(SANITIZER_CTEST_JOBS) $(CTEST_ARGS)

test-tsan: deps
	$(call configure_and_build,$(BUILD)-tsan,-DEVENTBUS_SANITIZE=thread $(SANITIZER_TREE))
	cd $(BUILD)-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j$(SANITIZER_CTEST_JOBS) $(CTEST_ARGS)

# libFuzzer (clang) on each target for FUZZ_SECONDS, starting from the
# committed corpus; a crash fails the run and leaves its input in
# $(BUILD)-fuzz/crashes: copy it into fuzz/corpus/<target>/ as a regression.
test-fuzz: deps
	@$(MAKE) --no-print-directory deps DEPS="$(FUZZ_DEPS)"
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DEVENTBUS_SANITIZE=fuzzer -DEVENTBUS_BUILD_TESTS=OFF -DEVENTBUS_WITH_REDIS=OFF
	cmake --build $(BUILD)-fuzz -j$(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	mkdir -p $(BUILD)-fuzz/crashes
	set -e; for t in $(FUZZ_TARGETS); do \
	  rm -rf $(BUILD)-fuzz/corpus-$$t && cp -r fuzz/corpus/$$t $(BUILD)-fuzz/corpus-$$t; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=0 $(BUILD)-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -artifact_prefix=$(BUILD)-fuzz/crashes/$$t- -print_final_stats=1 $(BUILD)-fuzz/corpus-$$t 2>&1 | tail -12; \
	  test $${PIPESTATUS[0]} -eq 0; \
	done

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan $(BUILD)-fuzz
