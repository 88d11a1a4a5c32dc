# One entry point for people and CI. `make test` is what .ci/run runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: help prepare lint yamllint ansible-lint unit molecule galaxy test sandbox bench clean

help:
	@echo "make prepare   - Docker engine, .venv with pinned tools, local base images"
	@echo "make test      - lint + unit tests + molecule (all scenarios) + galaxy install test"
	@echo "make sandbox   - ansible-playbook site.yml (local sandbox cluster)"
	@echo "make bench     - benchmarks (cluster converge, definitions vs community.rabbitmq)"
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

molecule: prepare
	@for s in $(SCENARIOS); do \
	  echo "=== molecule test -s $$s"; \
	  start=$$(date +%s); \
	  molecule test -s $$s; \
	  echo "=== molecule test -s $$s passed in $$(( $$(date +%s) - start )) s"; \
	done

galaxy: prepare
	python -m pytest tests/integration

test: lint unit molecule galaxy

sandbox: prepare
	ansible-playbook site.yml

bench: prepare
	python bench/cluster_bench.py
	python bench/run.py

clean:
	rm -rf build mqops-rabbitmq-*.tar.gz .pytest_cache
