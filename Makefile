# The project's entry points (README "Set-up"):
#   make        build build/tgr
#   make deps   install missing Debian/npm packages
#   make run    deps + build + serve on the embedded defaults with the demo account
#   make deb    the Debian package $(BUILD)/tgr_<version>_amd64.deb (scripts/deb.sh; needs `make deps-test`)
#   make test   deps + build + every test, then again under ASan+UBSan
#               then each fuzz target 20 s (build-fuzz, clang + libFuzzer)
#   make fuzz   each libFuzzer target FUZZ_SECONDS (60) from its corpus, with its figures
#   make test-valgrind   the whole suite once with the server under Valgrind (slow)
#   make bench  /healthz throughput beside nginx; a 100,000-dialog sync and a server idle with
#               1,000,000 contacts; a 1,000,000-contact audience;
#               pacing and engine CPU; clicks; analytics; results per person and CSV exports at
#               1,000,000 recipients; 1,000 accounts on one and two instances; the web app's first
#               page and Lighthouse; then bench/out/summary.json and a table against the previous
#               one (bench/summary.py; fails unless every target is met)
#   make soak   the chaos soak (tests/soak/soak.py): SOAK_MINUTES (30) of campaigns under SIGKILLs and faults
#   make telegram-errors   rewrite share/telegram-errors.json from src/core/tgerror.h
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Tests at once: most of a test's time is a server waiting (pacing, FloodWait, retries), not CPU —
# at -j2 the load stayed near 1.2 on two cores — so CTest runs twice as many as there are cores.
CTEST_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 )))
BUILD ?= build
SAN_BUILD ?= build-asan
# Under the sanitizers the PostgreSQL backend runs its storage test, the scale-out, restore and
# key-rotation scenarios; the other HTTP suites on PostgreSQL run in the normal build only (they
# exercise the same server code as on SQLite, and CI must stay under 15 minutes).
# SAN_EXCLUDE= runs everything.
SAN_EXCLUDE ?= -E 'http\.test_(sending|campaigns|analytics|foundation|telegram|telegram_text|media_s3|limits|login_limits|streams|metrics_token|uploads|backup|webhooks)\.pg'
FUZZ_SECONDS ?= 60

.PHONY: all build deb deps deps-test run test test-fast test-asan test-valgrind bench soak format clean telegram-errors

.PHONY: fuzz test-fuzz

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	@if [ -f web/package.json ] && [ -d web/node_modules ]; then cd web && npm run --silent build >/dev/null; \
	  elif [ -f web/package.json ]; then echo "web app not built: run 'make deps' first" >&2; fi

deps:
	@scripts/deps.sh

deps-test:
	@scripts/deps.sh test

deb: deps-test
	@scripts/deb.sh $(BUILD)

run: deps build
	$(BUILD)/tgr serve --demo

# Every test against the normal build, then the same tests against the sanitizer build.
test: deps-test build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(CTEST_JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-fuzz

test-fast: build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(CTEST_JOBS)

# The sanitizer build uses clang, so that both compilers' warnings are held to -Werror.
test-asan:
	@CC=$$(command -v clang || echo cc) cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTGR_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(SAN_BUILD) --output-on-failure -j$(CTEST_JOBS) $(SAN_EXCLUDE)

test-valgrind: deps-test
	@scripts/deps.sh valgrind
	@scripts/valgrind.sh

# libFuzzer targets (tests/fuzz, scripts/fuzz.sh): make test runs each 20 s, two at a time.
test-fuzz:
	@FUZZ_SECONDS=20 scripts/fuzz.sh test

fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# Every bench runs even when one fails (its command is listed in bench/out/.failed); each writes its
# figures to bench/out/NAME.json, and bench/summary.py merges them last (README "Benchmarks").
FAILED = >> bench/out/.failed
bench: build
	@scripts/deps.sh bench
	@mkdir -p bench/out && rm -f bench/out/.failed && date -u +%Y-%m-%dT%H:%M:%SZ > bench/out/.started
	@bench/run.sh || echo bench/run.sh $(FAILED)
	@python3 bench/sync.py || echo bench/sync.py $(FAILED)
	@node bench/wire.mjs || echo bench/wire.mjs $(FAILED)
	@$(BUILD)/bench_audience || echo bench_audience $(FAILED)
	@python3 bench/sending.py || echo bench/sending.py $(FAILED)
	@python3 bench/track.py || echo bench/track.py $(FAILED)
	@python3 bench/analytics.py || echo bench/analytics.py $(FAILED)
	@python3 bench/people.py || echo bench/people.py $(FAILED)
	@python3 bench/scaleout.py || echo bench/scaleout.py $(FAILED)
	@node bench/lighthouse/run.mjs || echo bench/lighthouse/run.mjs $(FAILED)
	@python3 bench/summary.py --since bench/out/.started

# The chaos soak; `make test` runs a 2-minute one (CTest soak.short, normal build only).
SOAK_MINUTES ?= 30
soak: build
	@SOAK_MINUTES=$(SOAK_MINUTES) TGR_BIN=$(BUILD)/tgr python3 tests/soak/soak.py

format:
	@scripts/format.sh

telegram-errors:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) --target telegram-errors

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
