# One entry point for people and CI. `make test` is what .ci/run runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections
# bench/definitions_bench.py: objects per kind (10,000 takes about an hour).
DEFS_BENCH_SIZES ?= 10,1000,10000
# Scenarios run at a time by `make molecule`, and groups of scenarios of
# which only one runs at a time (comma-separated, space between groups).
# On 2 cores the CPU is the limit, but the 3-node cluster scenarios' fault
# tests leave it about 40% idle while they wait for a cluster to fail and
# heal: the light scenarios (one-node brokers, migration) fill that, beside
# one heavy scenario at a time. Measured 2026-12-05 with every scenario
# allowed beside any other: 8 scenarios plus the integration tests in
# 1967 s against about 2230 s one after the other, but cluster_classic
# beside security took 1389 s (713 s alone) and security 1189 s (460 s
# alone): the heavy ones (the two cluster scenarios and security, whose bad
# inputs run three playbooks at a time) are never side by side. One job on
# machines where even that is too much: MOLECULE_JOBS=1 (output streamed).
MOLECULE_JOBS ?= 2
MOLECULE_APART ?= cluster,cluster_classic,security
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
# ansible-test on the built collection (tools/ansible_test.py), each
# ansible-core with the test requirements its ansible-test pins (--venv,
# cached in .cache/ansible-test). Measured on the 2-core VM (2026-12-04,
# another engineer's molecule runs alongside, load average 4-9), first run
# on a clean machine (empty cache, as in CI): sanity on all four versions
# 673 s (2.16 222, 2.17 230, 2.18 126, 2.19 95; the later ones reuse pip's
# download cache), on 2.16 and 2.19 alone 301 s; units on all four 227 s
# (45-63 s each). Once cached, sanity takes about 40 s per version. So
# ansible-test runs on the oldest and newest supported versions; the unit
# tests themselves also run on 2.16, 2.17 and 2.18 in `make galaxy`
# (tests/integration/test_ansible_core_range.py, each ansible-core's venv
# from `make prepare`, about 10 s each) and on 2.19 in `make unit`.
ANSIBLE_TEST_SANITY ?= 2.16 2.19
ANSIBLE_TEST_UNITS ?= 2.16 2.19

.PHONY: help prepare lint yamllint ansible-lint changelog-lint unit sanity molecule galaxy test sandbox sandbox-down bench clean

help:
	@echo "make prepare   - Docker engine, .venv with pinned tools, local base images"
	@echo "make test      - lint + unit tests + ansible-test + molecule (all scenarios) + galaxy install test"
	@echo "make lint      - yamllint, ansible-lint, changelog-lint (fragments, changelog.yaml, CHANGELOG.md)"
	@echo "make sanity    - ansible-test sanity and units on the built collection (ANSIBLE_TEST_SANITY/_UNITS versions)"
	@echo "make sandbox   - ansible-playbook site.yml (local sandbox cluster)"
	@echo "make sandbox-down - remove the sandbox's containers, network and secrets"
	@echo "make bench     - benchmarks (cluster converge, definitions vs community.rabbitmq, definitions alone)"
	@echo "make molecule SCENARIOS='default' - selected molecule scenarios"
	@echo "make molecule MOLECULE_JOBS=2 - two scenarios at a time (output in tests/output/molecule/*.log)"

prepare:
	tools/prepare.sh

# The commands are variables: make test runs them as one check (lint).
YAMLLINT = yamllint --strict .
ANSIBLE_LINT = ansible-lint --offline --strict
yamllint: prepare
	$(YAMLLINT)

ansible-lint: prepare
	$(ANSIBLE_LINT)

# The changelog fragments and changelogs/changelog.yaml are well-formed, and
# CHANGELOG.md is what changelog.yaml generates (it is never edited by hand).
# The version_added rule is a unit test (tests/unit/test_version_added.py).
CHANGELOG_LINT = antsibull-changelog lint \
	&& antsibull-changelog lint-changelog-yaml --strict changelogs/changelog.yaml \
	&& mkdir -p build \
	&& antsibull-changelog generate --output build/CHANGELOG.md --output-format md \
	&& { diff -u CHANGELOG.md build/CHANGELOG.md || { echo "CHANGELOG.md differs from what changelogs/changelog.yaml generates: add a fragment to changelogs/fragments/ instead of editing it (README.md, section Changelog and version_added)" >&2; exit 1; }; }
changelog-lint: prepare
	$(CHANGELOG_LINT)

lint: yamllint ansible-lint changelog-lint

unit: prepare
	python -m pytest tests/unit

# Zero findings in shipped code; tests/sanity/ignore-X.Y.txt only where a
# rule cannot apply, each line with its reason.
ANSIBLE_TEST = python tools/ansible_test.py sanity $(foreach v,$(ANSIBLE_TEST_SANITY),--core $(v)) \
	&& python tools/ansible_test.py units $(foreach v,$(ANSIBLE_TEST_UNITS),--core $(v))
sanity: prepare
	$(ANSIBLE_TEST)

# Every scenario runs even when one fails, MOLECULE_JOBS at a time (longest
# first; each one's output in tests/output/molecule/NAME.log); the failed
# scenarios' log tails and verifier tests are printed last, where a CI log's
# tail shows them (tools/run_scenarios.py).
SCENARIOS_RUN = rm -rf tests/output/molecule && python tools/run_scenarios.py --jobs $(MOLECULE_JOBS) \
	$(foreach g,$(MOLECULE_APART),--apart $(g)) $(SCENARIOS)
molecule: prepare
	$(SCENARIOS_RUN)

# Side by side: they mostly wait on apt, image boots and RabbitMQ starts
# (measured: 193 s and 97 s at 4 workers; their durations added up to 560 s).
GALAXY = python -m pytest -n 4 --dist load --durations=10 tests/integration
galaxy: prepare
	$(GALAXY)

# The unit tests first (seconds; a broken module stops the run before any
# container starts), then the scenarios, two lanes with the heavy ones
# apart. The heavy lane is the critical path; the light scenarios are done
# much earlier in the other lane, which then runs ansible-test, lint and the
# integration tests (run_scenarios.py --then) instead of their running
# before or after every scenario. Measured 2026-12-05 22:07, fresh clone:
# heavy lane 630 + 625 + 263 s; light lane 829 s of scenarios, then sanity
# 200 s, lint 25 s, integration 82 s, done before the heavy lane; make test
# 1577 s in all (13:07 the same day, before the no-op cuts: heavy lane
# 930 + 1002 + 485 s, make test 2512 s; the previous layout - lint before and the integration
# tests after the scenarios, ansible-test beside the first ones - took
# 2958 s in CI). make test fails if any of
# them failed, after all have run; each one's output is in
# tests/output/NAME.log.
test: unit
	$(SCENARIOS_RUN) \
	  --then 'sanity=$(ANSIBLE_TEST)' \
	  --then 'lint=$(YAMLLINT) && $(ANSIBLE_LINT) && $(CHANGELOG_LINT)' \
	  --then 'integration=$(GALAXY)'

sandbox: prepare
	ansible-playbook site.yml

sandbox-down: prepare
	ansible-playbook playbooks/sandbox_destroy.yml

bench: prepare
	python bench/cluster_bench.py
	python bench/run.py
	python bench/definitions_bench.py --sizes $(DEFS_BENCH_SIZES)

clean:
	rm -rf build mqops-rabbitmq-*.tar.gz .pytest_cache
