# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Calls to the local node's CLI tools, kept to as few as possible.

Each rabbitmqctl call boots an Erlang VM (about a second), so callers read
the whole state once (a definitions export) and write changes in one import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pwd
import shutil
import tempfile


class RabbitmqCliError(Exception):
    def __init__(self, cmd, rc, stdout, stderr):
        self.cmd = cmd
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        super(RabbitmqCliError, self).__init__(
            "%s failed (rc=%s): %s" % (" ".join(cmd), rc, (stderr or stdout or "").strip())
        )


def _cli_user(name="rabbitmq"):
    """The account Debian's rabbitmqctl wrapper switches to, when root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


class RabbitmqCtl(object):
    """A thin runner around ``rabbitmqctl`` using AnsibleModule.run_command."""

    def __init__(self, module, node=None, timeout=None):
        self.module = module
        self.node = node
        self.timeout = timeout
        self.binary = module.get_bin_path("rabbitmqctl", required=True)

    def command(self, *args):
        cmd = [self.binary, "-q"]
        if self.node:
            cmd += ["-n", self.node]
        if self.timeout:
            cmd += ["-t", str(self.timeout)]
        return cmd + list(args)

    def run(self, *args):
        cmd = self.command(*args)
        rc, out, err = self.module.run_command(cmd)
        if rc != 0:
            raise RabbitmqCliError(cmd, rc, out, err)
        return out

    def export_definitions(self):
        """All definitions of the cluster as a dict, in one CLI call."""
        cmd = self.command("export_definitions", "-", "--format", "json")
        out = self.run("export_definitions", "-", "--format", "json")
        try:
            return json.loads(out)
        except ValueError:
            raise RabbitmqCliError(cmd, 0, out, "the export is not JSON")

    def import_definitions(self, definitions):
        """Import a definitions document from a private temporary file.

        The document may hold password hashes, so it never goes on a command
        line: it is written to a 0600 file in a fresh 0700 directory, owned by
        the user the CLI runs as (Debian's wrapper switches to ``rabbitmq``),
        and removed whatever happens. (Standard input is not an option: the
        4.0 CLI does not read it when started by the wrapper.)
        """
        directory = tempfile.mkdtemp(prefix="mqops-definitions-")
        try:
            path = os.path.join(directory, "definitions.json")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(definitions, handle)
            owner = _cli_user()
            if owner is not None:
                os.chown(directory, owner.pw_uid, owner.pw_gid)
                os.chown(path, owner.pw_uid, owner.pw_gid)
            self.run("import_definitions", path, "--format", "json")
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def delete_user(self, name):
        self.run("delete_user", name)
