# Thin wrapper over CMake so that the README's commands work on a machine
# with only a C compiler, make and CMake.  Real build logic is in CMakeLists.txt.
BUILD    ?= build
JOBS     ?= 2
PREFIX   ?= /usr/local
CMAKE    ?= cmake
CTEST    ?= ctest

.PHONY: all build demo test asan tsan valgrind sanitize bench install clean

all: build

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j$(JOBS)

# Build everything and run the tour.
demo: build
	./$(BUILD)/tools/rcgc tour

# Build and run every test.
test: build
	$(CTEST) --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# AddressSanitizer + UndefinedBehaviorSanitizer: every test, once with the
# default allocator and once with RCGC_MALLOC=malloc so that ASan sees each
# object as its own allocation.
asan:
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRCGC_SANITIZE=address,undefined
	$(CMAKE) --build build-asan -j$(JOBS)
	$(CTEST) --test-dir build-asan --output-on-failure -j$(JOBS)
	RCGC_MALLOC=malloc $(CTEST) --test-dir build-asan --output-on-failure -j$(JOBS)

# ThreadSanitizer over the tests that use several threads.
tsan:
	$(CMAKE) -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DRCGC_SANITIZE=thread
	$(CMAKE) --build build-tsan -j$(JOBS)
	$(CTEST) --test-dir build-tsan --output-on-failure -L threads

# Valgrind memcheck over every test, in malloc mode (RCGC_TEST_QUICK shrinks
# the 10-million-object tests so the run stays short).
valgrind: build
	RCGC_MALLOC=malloc RCGC_TEST_QUICK=1 $(CTEST) --test-dir $(BUILD) --output-on-failure \
	  -j$(JOBS) -T memcheck --overwrite MemoryCheckCommand=$$(command -v valgrind) \
	  --overwrite MemoryCheckCommandOptions="--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/.ci/valgrind.supp"

# The sanitizer suite run by CI after `make test` (Valgrind only when installed).
sanitize: asan tsan
	if command -v valgrind >/dev/null; then $(MAKE) valgrind; else echo 'valgrind not installed: skipped'; fi

bench:
	$(CMAKE) -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRCGC_BUILD_TESTS=OFF -DRCGC_FAULT_INJECTION=OFF
	$(CMAKE) --build build-bench -j$(JOBS)
	bash bench/run.sh build-bench
	mkdir -p $(BUILD)/bench && cp build-bench/bench/results.json $(BUILD)/bench/results.json
	@echo "results: $(BUILD)/bench/results.json, build-bench/bench/bench.log, bench/RESULTS.md"

install: build
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-tsan build-bench
