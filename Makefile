# The two commands (see README): `make run` and `make test`.
# Both install what is missing (scripts/setup) and build first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup build frontend run test test-unit test-integration bench fuzz install clean

all: build

setup:
	scripts/setup

build:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

frontend:
	@if [ -f frontend/package.json ]; then npm run build --prefix frontend; fi

run: setup build frontend
	scripts/run

test: setup build frontend
	scripts/test

# Unit tests alone need a MariaDB for the MySQL backend: scripts/test starts one.
test-unit: build
	eval "$$(scripts/mariadb-test-server start)" && trap 'scripts/mariadb-test-server stop "$$SOLGRID_TEST_MYSQL_DIR"' EXIT && \
	  cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

test-integration: build
	node --test --test-concurrency=1 tests/integration/

bench: build
	bench/http-ingest
	bench/realtime
	bench/cluster
	bench/auth-overhead
	bench/market
	build/matching-bench

# libFuzzer targets (clang, ASan, UBSan) for the network parsers, a minute each.
fuzz: setup
	scripts/fuzz --seconds $${FUZZ_SECONDS:-60}

# The binary, the dashboard, .env.example and the systemd unit under PREFIX
# (DESTDIR for packaging): docs/operations.md "Install".
PREFIX ?= /usr/local
install: build frontend
	DESTDIR=$(DESTDIR) cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) build-fuzz
