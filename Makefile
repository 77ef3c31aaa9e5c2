# campaign-as-code — `make` lists the targets.
SWIFT        ?= swift
CONFIG       ?= debug
BIN          := .build/$(CONFIG)/campaign
FUZZ_SECONDS ?= 600
FUZZ_BUILD   := .build-fuzz
BENCH_FILES  ?= 10000
# Release builds link the Swift runtime and Foundation statically: one self-contained binary that starts in about
# half the time (no dynamic symbol binding against the Swift libraries).
RELEASE      := -c release --static-swift-stdlib

.DEFAULT_GOAL := help
.PHONY: help setup build test run demo dist bench fuzz clean

help: ## List the targets
	@echo "campaign-as-code — make targets:"
	@awk -F':.*## ' '/^[a-z-]+:.*## / { printf "  %-8s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

setup: ## Install what a fresh machine lacks (libyaml-dev, postgresql, nodejs, jsonschema, check-jsonschema), resolve Swift packages
	@if ! pkg-config --exists yaml-0.1 2>/dev/null; then \
		echo "installing libyaml-dev"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libyaml-dev pkg-config; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		echo "installing postgresql (the tests start a throwaway server of their own)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql; \
	fi
	@if ! command -v node >/dev/null 2>&1; then \
		echo "installing nodejs (runs the pull-request workflow's comment script in a test)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs; \
	fi
	@python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install --quiet jsonschema
	@python3 -c "import check_jsonschema" 2>/dev/null || python3 -m pip install --quiet check-jsonschema
	$(SWIFT) package resolve

build: ## Build the tools (debug; CONFIG=release for an optimised, statically linked build)
	$(SWIFT) build $(if $(filter release,$(CONFIG)),$(RELEASE),-c $(CONFIG))

test: ## Run every test
	$(SWIFT) test

run: build ## Validate the bundled campaigns/ and print their compiled requests
	$(BIN) validate campaigns
	$(BIN) compile campaigns

demo: build ## Start the sandbox, then plan -> apply -> plan (no changes) -> status on campaigns/, and stop it
	bash scripts/demo.sh

dist: ## Release assets for the GitHub action: dist/campaign-VERSION-linux-ARCH.tar.gz and its .sha256
	$(SWIFT) build $(RELEASE) --product campaign
	bash scripts/dist.sh .build/release/campaign dist

bench: ## Benchmarks, each side by side with its baseline (prints ratios)
	$(SWIFT) build $(RELEASE) --product campaign
	$(SWIFT) build $(RELEASE) --product campaign-sandbox
	$(SWIFT) build $(RELEASE) --product campaign-client-bench
	python3 bench/bench.py --files $(BENCH_FILES)

fuzz: ## Fuzz the YAML front end with libFuzzer for FUZZ_SECONDS (default 600)
	$(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --product YAMLFuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	mkdir -p fuzz-corpus
	cp Tests/CampaignTests/Fixtures/yaml/*.yaml fuzz-corpus/ 2>/dev/null || true
	cp campaigns/*.yaml fuzz-corpus/ 2>/dev/null || true
	$(FUZZ_BUILD)/release/YAMLFuzz fuzz-corpus -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=4096 -print_final_stats=1

clean: ## Remove build products, the bench corpus and fuzz output
	rm -rf .build $(FUZZ_BUILD) bench/out fuzz-corpus dist
