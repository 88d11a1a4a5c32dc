# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Declarative RabbitMQ definitions, for the rabbitmq_definitions module.

A run goes: validate -> read state -> plan -> apply.

- ``kinds/``: one module per object kind (its options, identity, defaults,
  rules, how it reads from an export, how it is imported and deleted).
  ``kinds/__init__.py`` lists them; nothing else names a kind.
- ``model.py``: a declared object, errors, versions, small helpers.
- ``values.py``, ``queue_arguments.py``, ``policy_keys.py``, ``uris.py``:
  the value rules kinds share (pure functions).
- ``state.py``: reading the broker (GET /api/definitions) into
  ``{kind: {key: value}}``.
- ``validation.py``: declarations into objects, and every rule checked
  before anything is changed.
- ``planning.py``: the difference, as an ordered plan of requests.
- ``applying.py``: sending the plan, and putting the broker back when part
  of it is refused.

This file holds no code: AnsiballZ ships every module a module imports,
and only those.
"""
