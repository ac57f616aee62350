# mamori — top-level commands. `make demo` and `make test` do all set-up themselves.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup build test tidy test-asan fuzz-build fuzz-smoke bench demo format clean

all: build

setup:
	./scripts/setup

# Debug information is line tables and function names (-g1): what a backtrace or a sanitizer
# report needs, at a third less compile time than full -g, which CI pays on every clean build.
# Full debug information: make CMAKE_FLAGS='-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g -DNDEBUG"'.
$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 600

# clang-tidy on the sources changed since TIDY_BASE (default: the commit before HEAD).
TIDY_BASE ?= HEAD~1
tidy: build
	./scripts/tidy $(TIDY_BASE)

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer (Debug: -O0, assertions
# on). Tried and dropped: -O1, which took longer to compile than the tests it saved and makes
# GCC 12 report libstdc++'s std::regex as maybe-uninitialized.
test-asan: setup
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMAMORI_SANITIZE=ON \
	  -DMAMORI_BENCH=OFF -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest -j $(JOBS) --output-on-failure --timeout 900

# libFuzzer targets (clang-16); `make fuzz-smoke` runs each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
fuzz-build: setup
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAMORI_FUZZ=ON \
	  -DMAMORI_TESTS=OFF -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16
	cmake --build build-fuzz -j $(JOBS)

fuzz-smoke: fuzz-build
	./scripts/fuzz-all $(FUZZ_SECONDS)

bench: build
	./scripts/bench-all

demo: build
	./scripts/demo

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz
