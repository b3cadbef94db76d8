# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 (as root).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build-asan
CTEST_FLAGS ?= --output-on-failure

.PHONY: all deps test-deps build demo test test-fast asan bench clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the bundled demo data: compare each modality with early and late fusion.
demo: build
	./$(BUILD)/mmfuse_demo_data data/demo/products.csv --media
	./$(BUILD)/mmfuse evaluate data/demo/products.csv --target category

# Every test: the normal build, then the whole suite again under ASan + UBSan.
test: test-deps build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)
	$(MAKE) asan

test-fast: test-deps build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)

asan: test-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMM_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  MMFUSE_SANITIZED=1 ctest $(CTEST_FLAGS) -j $(JOBS)

bench: build
	@scripts/install-deps.sh --bench
	bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
