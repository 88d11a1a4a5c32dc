#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rabbitmq_config
short_description: A RabbitMQ node's configuration files as one checked, reversible change
version_added: 1.0.0
description:
  - Compares the desired configuration files of a node (C(rabbitmq.conf),
    C(advanced.config), C(rabbitmq-env.conf), the plugins file, TLS material,
    the Erlang cookie, systemd drop-ins...) with what is on disk and, when
    anything differs, checks the whole new set with the installed RabbitMQ's
    own code before any live file is replaced - C(rabbitmq.conf) is
    translated with cuttlefish and the schemas of every installed plugin (as
    the node does at boot), C(advanced.config) is read as Erlang terms and
    overlaid, the TLS key must belong to the certificate, the certificate must
    validate against the CA bundle and be valid for O(validate.tls_min_days)
    more days, and C(rabbitmq-env.conf) must be valid shell. C(rabbitmq.conf)
    must not contradict itself where cuttlefish would silently keep one value
    - a key given twice (a key of O(validate.sources) that the file also sets
    elsewhere), both C(X.relative) and C(X.absolute), or C(P = none) beside keys
    under C(P.). A failed check
    changes nothing and names the file, the key and the role variable it came
    from.
  - With O(state=staged), files whose change needs a restart are kept aside
    (O(work_dir)/staged, root only) instead of replacing the live ones, so a
    running node never reads them before its restart. O(state=promote) moves
    them into place (while the node is stopped) and keeps a backup of what
    they replace; O(state=rollback) puts that backup back;
    O(state=commit) drops it once the node is healthy; O(state=discard)
    forgets staged files.
  - One invocation per node and run when nothing changed; the check (one
    short Erlang VM run) only when something differs.
author:
  # ansible-test's validate-modules wants a GitHub handle, "(@name)"; the project has no public
  # account yet, which "(!UNKNOWN)" is the marker for.
  - mqops contributors (!UNKNOWN)
options:
  state:
    description:
      - V(staged) compares, checks and stages (or, with O(stage_restart=false), writes) the desired files.
      - V(promote) installs the staged files, keeping a backup.
      - V(rollback) restores the backup of the last promotion.
      - V(commit) deletes that backup.
      - V(discard) deletes staged files.
    type: str
    choices: [staged, promote, rollback, commit, discard]
    default: staged
  files:
    description: Desired files and directories (contents shown in diffs).
    type: list
    elements: dict
    default: []
    suboptions: &entry
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: A file with O(files[].content), a directory, or nothing at that path.
        type: str
        choices: [present, directory, absent]
        default: present
      content:
        description: Content of the file.
        type: str
      owner:
        description: Owner.
        type: str
      group:
        description: Group.
        type: str
      mode:
        description: Mode, as an octal string (V("0640")).
        type: str
      restart:
        description:
          - Whether the running node must restart to read a change of this file. When V(false) the file is
            written in place even when O(stage_restart) is set.
        type: bool
        default: true
      validate:
        description:
          - A command that checks the new content before anything is written, with C(%s) standing for a
            private copy of the file (as the C(validate) option of M(ansible.builtin.template)); run only when
            something differs. A non-zero exit refuses the whole set.
        type: str
  secret_files:
    description:
      - Like O(files), for files whose content is secret (keys, cookie). Their content never appears in the
        output or the diff.
    type: list
    elements: dict
    default: []
    suboptions: *entry
  stage_restart:
    description:
      - With O(state=staged), keep files that need a restart aside instead of writing them (the node is
        running). V(false) writes everything in place (the node is not running).
    type: bool
    default: true
  restart_free_only:
    description: With O(state=promote), promote only the staged files that do not need a restart.
    type: bool
    default: false
  validate:
    description:
      - Which of the desired files RabbitMQ reads, to check them before anything is written. Omit a key to
        skip that check.
    type: dict
    default: {}
    suboptions:
      rabbitmq_conf:
        description: Path of C(rabbitmq.conf) among the desired files.
        type: path
      advanced_config:
        description: Path of C(advanced.config) among the desired files.
        type: path
      env_file:
        description: Path of C(rabbitmq-env.conf) among the desired files (checked with C(sh -n)).
        type: path
      tls_cert:
        description: Path of the certificate (PEM, chain after the leaf).
        type: path
      tls_key:
        description: Path of its private key.
        type: path
      tls_ca:
        description: Path of the CA bundle.
        type: path
      tls_min_days:
        description: Refuse a certificate that expires within this many days.
        type: int
        default: 0
      variables:
        description: Role variable behind each checked path, named in messages.
        type: dict
        default: {}
      sources:
        description: Role variable behind C(rabbitmq.conf) keys, named in messages.
        type: dict
        default: {}
  plugins_dir:
    description:
      - RabbitMQ's plugins directory, whose schemas and code the check uses. Default - the newest
        C(/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins).
    type: path
  work_dir:
    description: Where staged files and backups live (created mode 0700).
    type: path
    default: /var/lib/mqops-rabbitmq
attributes:
  check_mode:
    support: full
    description: The check runs on a private copy; nothing is staged or written.
  diff_mode:
    support: full
    description: Per file; secret contents are never shown.
notes:
  - Needs C(escript) (Erlang) and an installed RabbitMQ for the checks.
"""

EXAMPLES = r"""
- name: Check and stage the node's configuration
  mqops.rabbitmq.rabbitmq_config:
    files:
      - path: /etc/rabbitmq/rabbitmq.conf
        content: "{{ lookup('ansible.builtin.template', 'rabbitmq.conf.j2') }}"
        owner: root
        group: rabbitmq
        mode: "0640"
    secret_files:
      - path: /var/lib/rabbitmq/.erlang.cookie
        content: "{{ cookie }}"
        owner: rabbitmq
        group: rabbitmq
        mode: "0400"
    validate:
      rabbitmq_conf: /etc/rabbitmq/rabbitmq.conf
      variables:
        /etc/rabbitmq/rabbitmq.conf: rabbitmq_server_config_extra
  register: config

- name: While the node is stopped, install the staged files
  mqops.rabbitmq.rabbitmq_config:
    state: promote

- name: The node did not come back healthy - put the previous files back
  mqops.rabbitmq.rabbitmq_config:
    state: rollback
"""

RETURN = r"""
pending:
  description: Paths that differ from the desired state (staged or written).
  returned: state=staged
  type: list
  elements: str
  sample: [/etc/rabbitmq/rabbitmq.conf]
written:
  description: Paths written in place by this invocation.
  returned: always
  type: list
  elements: str
staged:
  description: Paths kept aside until a restart promotes them.
  returned: state=staged
  type: list
  elements: str
restart_needed:
  description: Whether the node must restart to read the change (a restart file was staged, written or promoted).
  returned: always
  type: bool
restored:
  description: Paths put back by a rollback.
  returned: state=rollback
  type: list
  elements: str
checked:
  description: The checks that ran (V(rabbitmq.conf), V(advanced.config), V(tls), V(env)); empty when nothing differed.
  returned: state=staged
  type: list
  elements: str
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mqops.rabbitmq.plugins.module_utils import config_check as check
from ansible_collections.mqops.rabbitmq.plugins.module_utils import config_files as files


def _entries(module):
    entries = [files.Entry.from_params(p) for p in module.params["files"]]
    entries += [files.Entry.from_params(p, secret=True) for p in module.params["secret_files"]]
    seen = set()
    for entry in entries:
        if entry.path in seen:
            module.fail_json(msg="%s is listed more than once" % entry.path)
        seen.add(entry.path)
        if entry.state == "present" and entry.content is None:
            module.fail_json(msg="%s: state=present needs content" % entry.path)
    return entries


def _check(module, entries, work_dir):
    """Run the checks on a private copy of the desired files; fail on findings."""
    options = module.params["validate"] or {}
    wanted = dict((e.path, e) for e in entries if e.state == "present")
    conf, advanced, env = (options.get(k) for k in ("rabbitmq_conf", "advanced_config", "env_file"))
    tls = [options.get(k) for k in ("tls_cert", "tls_key", "tls_ca")]
    variables = options.get("variables") or {}
    checked = []
    if not any(p in wanted for p in [conf, advanced, env] + tls) and not any(e.validate for e in entries):
        return checked
    files.ensure_private_dir(work_dir)
    root = tempfile.mkdtemp(prefix="check-", dir=work_dir)
    try:
        for path, entry in wanted.items():
            copy = check.mirror_path(root, path)
            if not os.path.isdir(os.path.dirname(copy)):
                os.makedirs(os.path.dirname(copy))
            data = entry.data()
            if path == conf:
                data = check.rewrite_paths(data.decode("utf-8"), list(wanted), root).encode("utf-8")
            if entry.state == "present":
                files.write_file(copy, data, mode=0o600)
        messages = []
        if conf in wanted:
            # Contradictions cuttlefish would take silently (a key given twice...).
            messages += check.overlaps(wanted[conf].data().decode("utf-8"), options.get("sources") or {})
        for entry in entries:
            if entry.state != "present" or not entry.validate:
                continue
            if "%s" not in entry.validate:
                module.fail_json(msg="%s: validate must contain %%s (the file to check)" % entry.path)
            checked.append(entry.path)
            argv = [part.replace("%s", check.mirror_path(root, entry.path)) for part in entry.validate.split()]
            rc, out, err = module.run_command(argv)
            if rc != 0:
                messages.append("%s: %s refused it: %s" % (
                    entry.path, argv[0], " ".join((err or out).replace(root, "").split())[:1000]))
        if env in wanted:
            checked.append("env")
            rc, _out, err = module.run_command(["/bin/sh", "-n", check.mirror_path(root, env)])
            if rc != 0:
                messages.append("%s: not valid shell: %s%s" % (
                    os.path.basename(env), " ".join(err.replace(root, "").split()),
                    " [set by %s]" % variables[env] if variables.get(env) else ""))
        erlang = dict(
            conf=check.mirror_path(root, conf) if conf in wanted else None,
            advanced=check.mirror_path(root, advanced) if advanced in wanted else None,
            tls=dict(cert=check.mirror_path(root, tls[0]), key=check.mirror_path(root, tls[1]),
                     ca=check.mirror_path(root, tls[2])) if all(p in wanted for p in tls) else None,
        )
        if any(erlang.values()):
            plugins_dir = module.params["plugins_dir"] or check.find_plugins_dir()
            escript = module.get_bin_path("escript")
            if not plugins_dir or not os.path.isdir(plugins_dir) or not escript:
                module.fail_json(msg="Cannot check the configuration: no installed RabbitMQ plugins directory "
                                     "(%s) or no escript (Erlang) on this host." % (plugins_dir or check.PLUGINS_GLOB))
            script = os.path.join(root, "check.escript")
            files.write_file(script, check.ERLANG_CHECK.encode("utf-8"), mode=0o600)
            argv = check.command(escript, script, plugins_dir, days=options.get("tls_min_days") or 0, **erlang)
            rc, out, err = module.run_command(argv, environ_update=dict(ERL_LIBS=plugins_dir))
            errors, suggestions, done = check.parse_output(out)
            if rc != 0 or not done:
                module.fail_json(msg="The configuration check itself failed (rc=%s): %s" % (
                    rc, " ".join((err or out).replace(root, "").split())[-2000:]))
            checked += [name for name, value in (("rabbitmq.conf", erlang["conf"]),
                                                 ("advanced.config", erlang["advanced"]),
                                                 ("tls", erlang["tls"])) if value]
            names = dict(
                conf=(os.path.basename(conf or "rabbitmq.conf"), variables.get(conf)),
                advanced=(os.path.basename(advanced or "advanced.config"), variables.get(advanced)),
                tls=("TLS certificate/key/CA",
                     " / ".join(variables[p] for p in tls if variables.get(p)) or None),
            )
            for text in check.describe(errors, suggestions, names, options.get("sources") or {}):
                messages.append(text.replace(root, ""))
        if messages:
            module.fail_json(
                msg="The new configuration is refused; nothing was changed on this node. "
                    + " | ".join(messages),
                errors=messages,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return checked


def run_staged(module, work_dir):
    entries = _entries(module)
    pending = [(e, files.differences(e)) for e in entries]
    pending = [(e, d) for e, d in pending if d]
    result = dict(changed=bool(pending), pending=[e.path for e, _d in pending], written=[], staged=[],
                  restart_needed=any(e.restart for e, _d in pending), checked=[])
    if module._diff and pending:
        result["diff"] = [files.diff_item(e, d) for e, d in pending]
    if not pending:
        return result
    result["checked"] = _check(module, entries, work_dir)
    staged = files.Store(os.path.join(work_dir, "staged"))
    if module.check_mode:
        return result
    files.ensure_private_dir(work_dir)
    staged.clear()
    to_stage = [e for e, _d in pending if module.params["stage_restart"] and e.restart]
    for entry, _d in pending:
        if entry not in to_stage:
            files.apply_entry(entry)
            result["written"].append(entry.path)
    if to_stage:
        files.stage(to_stage, staged)
        result["staged"] = [e.path for e in to_stage]
    return result


def main():
    entry = dict(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["present", "directory", "absent"], default="present"),
        content=dict(type="str"),
        owner=dict(type="str"),
        group=dict(type="str"),
        mode=dict(type="str"),
        restart=dict(type="bool", default=True),
        validate=dict(type="str"),
    )
    secret_entry = dict(entry, content=dict(type="str", no_log=True))
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["staged", "promote", "rollback", "commit", "discard"], default="staged"),
            files=dict(type="list", elements="dict", default=[], options=entry),
            # The list is not a secret; its entries' content is (no_log in secret_entry).
            secret_files=dict(type="list", elements="dict", default=[], options=secret_entry, no_log=False),
            stage_restart=dict(type="bool", default=True),
            restart_free_only=dict(type="bool", default=False),
            validate=dict(type="dict", default={}, options=dict(
                rabbitmq_conf=dict(type="path"),
                advanced_config=dict(type="path"),
                env_file=dict(type="path"),
                tls_cert=dict(type="path"),
                tls_key=dict(type="path"),
                tls_ca=dict(type="path"),
                tls_min_days=dict(type="int", default=0),
                variables=dict(type="dict", default={}),
                sources=dict(type="dict", default={}),
            )),
            plugins_dir=dict(type="path"),
            work_dir=dict(type="path", default="/var/lib/mqops-rabbitmq"),
        ),
        supports_check_mode=True,
    )
    work_dir = module.params["work_dir"]
    state = module.params["state"]
    staged = files.Store(os.path.join(work_dir, "staged"))
    backup = files.Store(os.path.join(work_dir, "backup"))
    try:
        if state == "staged":
            result = run_staged(module, work_dir)
        elif state == "promote":
            records = staged.records()
            chosen = [r for r in records if not (module.params["restart_free_only"] and r.get("restart", True))]
            result = dict(changed=bool(chosen), written=[r["path"] for r in chosen],
                          restart_needed=any(r.get("restart", True) for r in chosen))
            if chosen and not module.check_mode:
                files.promote(staged, backup, module.params["restart_free_only"])
        elif state == "rollback":
            records = backup.records()
            result = dict(changed=bool(records), written=[], restored=[r["path"] for r in records],
                          restart_needed=bool(records))
            if records and not module.check_mode:
                result["restored"] = files.rollback(backup)
        else:
            store = backup if state == "commit" else staged
            result = dict(changed=store.exists(), written=[], restart_needed=False)
            if not module.check_mode:
                store.clear()
    except (IOError, OSError, KeyError, ValueError) as exc:
        module.fail_json(msg="%s: %s" % (state, exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
