# A thin front door over CMake. Newcomers type `make demo` and `make check`.
SHELL := /bin/bash
BUILD ?= build
CHECK_BUILD ?= build-check
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages the build and the tests need.
DEPS := build-essential cmake pkg-config libuv1-dev libcurl4-openssl-dev libcjson-dev libpq-dev \
        libinih-dev libcmocka-dev libssl-dev libhttp-parser-dev postgresql postgresql-client restic cppcheck \
        chromium prometheus curl openssl python3 wrk clang libclang-rt-14-dev libseccomp-dev \
        libwebsockets-dev libwebsockets-evlib-uv

.PHONY: all deps build demo check test asan lint bench bench-vs bench-sweep clean fuzz

all: build

# Installs only what is missing; needs root (or sudo) the first time.
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@# The console's browser tests: Node and npm (Debian's, unless a Node is already there), then
	@# puppeteer-core from npm (it drives Debian's chromium; no browser is downloaded).
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; \
	fi
	@[ -d tests/console/node_modules/puppeteer-core ] || \
	  (cd tests/console && npm install --no-audit --no-fund --ignore-scripts --loglevel=error)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	@mkdir -p out
	@echo "== gordon run: ema_cross + 3 overlays + drawdown breaker on real S&P 500 and USD/CHF bars =="
	./$(BUILD)/gordon run --config examples/demo.ini --quiet
	@echo
	@echo "== gordon ablate: walk-forward, every overlay toggled, on real USD/CHF 30m bars =="
	./$(BUILD)/gordon ablate --config examples/ablate.ini --out out/ablation

# cppcheck and the room check over everything, then the whole suite under
# AddressSanitizer + UndefinedBehaviorSanitizer with -Werror.
check: deps
	cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGD_SANITIZE=ON -DGD_WERROR=ON
	cmake --build $(CHECK_BUILD) -j$(JOBS)
	$(MAKE) --no-print-directory lint
	cd $(CHECK_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS)

# make check, then its record for `gordon preflight` ("make e2e passed at the
# installed version"): E2E_RECORD gets the tested binary's version, the
# outcome, the time and the number of tests, passed or not.
E2E_RECORD ?= out/e2e.json
.PHONY: e2e
e2e:
	@rc=0; $(MAKE) --no-print-directory check || rc=$$?; \
	n=$$(cd $(CHECK_BUILD) 2>/dev/null && ctest -N | sed -n 's/^Total Tests: //p'); \
	bash tests/e2e_record.sh ./$(CHECK_BUILD)/gordon $(E2E_RECORD) $$rc $${n:-0}; exit $$rc

lint:
	bash tests/lint_rooms.sh
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -D__GNUC__ -I host -I sdk/include \
	  -i tests/console/node_modules host sdk strategies plugins tests bench

# Every libFuzzer target (tests/fuzz/) in turn, FUZZ_SECONDS each (default 20);
# FUZZ_TARGETS picks some. A long run: make fuzz FUZZ_SECONDS=3600.
FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?= $(shell sh tests/fuzz/run_fuzz.sh list)
fuzz:
	@rc=0; for t in $(FUZZ_TARGETS); do \
	  FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run_fuzz.sh $$t || rc=1; \
	done; exit $$rc

bench: build
	./$(BUILD)/bench/bench_replay
	./$(BUILD)/bench/bench_ablate
	./$(BUILD)/bench/bench_journal
	./$(BUILD)/bench/bench_venue
	./$(BUILD)/bench/bench_live
	bash bench/db.sh $(BUILD)
	bash bench/ops.sh $(BUILD)/gordon

# bench_replay here beside a reference commit's, alternating (REV=...).
REV ?= 9743a12
bench-vs: build
	bash bench/replay_vs.sh $(REV) 8 $(BUILD)

# The testnet soak (issue 16): the daemon on the venue's test network for
# DURATION, then its record in trading.soak_runs, passed or failed against
# the gate. CONFIG: a testnet configuration with [executor] kind = venue and
# [db] dsn (default: the installed one).
CONFIG ?= /etc/gordon/gordon.ini
DURATION ?= 72h
.PHONY: soak
soak: build
	./$(BUILD)/gordon soak --config $(CONFIG) --duration $(DURATION)

clean:
	rm -rf $(BUILD) $(CHECK_BUILD)

# Debian packages gordon and gordon-sdk-dev into build-deb/ (installs dpkg-dev,
# debhelper and the build dependencies if missing). check-deb also runs lintian and
# installs, exercises and purges them in a clean Debian root (needs root).
.PHONY: deb check-deb
deb:
	bash packaging/check_deb.sh --build-only

# Issue 18's sweep: 10 M bars x 8 configurations x 16 parameter sets at
# --jobs 1, --jobs 2 and as 4 shards merged (about 5 minutes).
bench-sweep: build
	bash bench/ablate_sweep.sh $(BUILD)

check-deb:
	bash packaging/check_deb.sh
