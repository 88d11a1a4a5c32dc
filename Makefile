# One entry point for people and CI. `make test` is what .ci/run runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections
# bench/definitions_bench.py: objects per kind (10,000 takes about an hour).
DEFS_BENCH_SIZES ?= 10,1000,10000
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: help prepare lint yamllint ansible-lint unit molecule galaxy test sandbox bench clean

help:
	@echo "make prepare   - Docker engine, .venv with pinned tools, local base images"
	@echo "make test      - lint + unit tests + molecule (all scenarios) + galaxy install test"
	@echo "make sandbox   - ansible-playbook site.yml (local sandbox cluster)"
	@echo "make bench     - benchmarks (cluster converge, definitions vs community.rabbitmq, definitions alone)"
	@echo "make molecule SCENARIOS='default' - selected molecule scenarios"

prepare:
	tools/prepare.sh

yamllint: prepare
	yamllint --strict .

ansible-lint: prepare
	ansible-lint --offline --strict

lint: yamllint ansible-lint

unit: prepare
	python -m pytest tests/unit

# Every scenario runs even when one fails; the failed verifier tests are
# printed last (tools/test_report.py), where a CI log's tail shows them.
molecule: prepare
	@failed=""; rm -rf tests/output/molecule; \
	for s in $(SCENARIOS); do \
	  echo "=== molecule test -s $$s"; \
	  start=$$(date +%s); \
	  if molecule test -s $$s; then result=passed; else result=FAILED; failed="$$failed $$s"; fi; \
	  echo "=== molecule test -s $$s $$result in $$(( $$(date +%s) - start )) s"; \
	done; \
	if [ -n "$$failed" ]; then \
	  for s in $$failed; do \
	    if [ -f tests/output/molecule/$$s.xml ]; then python tools/test_report.py tests/output/molecule/$$s.xml; \
	    else echo "=== $$s failed before its verifier ran (see its log above)"; fi; \
	  done; \
	  echo "=== failed scenarios:$$failed"; exit 1; \
	fi

galaxy: prepare
	python -m pytest tests/integration

test: lint unit molecule galaxy

sandbox: prepare
	ansible-playbook site.yml

bench: prepare
	python bench/cluster_bench.py
	python bench/run.py
	python bench/definitions_bench.py --sizes $(DEFS_BENCH_SIZES)

clean:
	rm -rf build mqops-rabbitmq-*.tar.gz .pytest_cache
