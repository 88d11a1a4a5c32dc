# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A RabbitMQ node's configuration files as one set: compare, stage, promote, roll back.

Files that need a node restart are not written over the live ones while
the node runs: they are *staged* (kept aside, owner-only), then *promoted*
by the restart procedure while the node is stopped, with a *backup* of what
they replace, so that a node that does not come back healthy can be *rolled
back* to exactly the files it ran with. All state lives under one work
directory (root only):

    <work>/staged/manifest.json   entries waiting for promotion
    <work>/staged/<n>             their contents
    <work>/backup/manifest.json   what promotion replaced (until commit)
    <work>/backup/<n>             the replaced contents
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import hashlib
import json
import os
import pwd
import shutil
import stat
import tempfile

MANIFEST = "manifest.json"


class Entry(object):
    """One desired path: a file with content, a directory, or absent."""

    def __init__(self, path, state="present", content=None, owner=None, group=None, mode=None,
                 restart=True, secret=False, validate=None):
        if not os.path.isabs(path):
            raise ValueError("path %r is not absolute" % path)
        self.path = os.path.normpath(path)
        self.state = state
        self.content = content
        self.owner = owner
        self.group = group
        self.mode = mode
        self.restart = restart
        self.secret = secret
        self.validate = validate

    @classmethod
    def from_params(cls, params, secret=False):
        return cls(params["path"], params.get("state") or "present", params.get("content"),
                   params.get("owner"), params.get("group"), params.get("mode"),
                   params.get("restart", True), secret, params.get("validate"))

    def to_record(self):
        return dict(path=self.path, state=self.state, owner=self.owner, group=self.group,
                    mode=self.mode, restart=self.restart, secret=self.secret)

    @classmethod
    def from_record(cls, record, content=None):
        return cls(record["path"], record["state"], content, record.get("owner"), record.get("group"),
                   record.get("mode"), record.get("restart", True), record.get("secret", False))

    def data(self):
        content = self.content or ""
        return content.encode("utf-8") if not isinstance(content, bytes) else content


# --- reading the live state -----------------------------------------------------------


def _mode(value):
    if value is None:
        return None
    return int(str(value), 8) if not isinstance(value, int) else value


def live_attributes(path):
    """(kind, owner, group, mode) of what is at path; kind None when nothing is."""
    try:
        st = os.lstat(path)
    except OSError:
        return None, None, None, None
    kind = "directory" if stat.S_ISDIR(st.st_mode) else "file"
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return kind, owner, group, stat.S_IMODE(st.st_mode)


def read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def fingerprint(path):
    """What differences() compares of a path, without its contents: kind, owner, group, mode and, for a
    file, the SHA-256 of its contents (None when unreadable). Small enough to return to a play."""
    kind, owner, group, mode = live_attributes(path)
    result = dict(kind=kind, owner=owner, group=group, mode=mode)
    if kind == "file":
        data = read_bytes(path)
        result["sha256"] = hashlib.sha256(data).hexdigest() if data is not None else None
    return result


def differences_from(entry, live):
    """What differs between the entry and a path's fingerprint(): a list of words, empty when in sync."""
    kind = live.get("kind")
    if entry.state == "absent":
        return ["exists"] if kind else []
    wanted = "directory" if entry.state == "directory" else "file"
    if kind != wanted:
        return ["missing"] if kind is None else ["kind"]
    diffs = []
    if wanted == "file" and live.get("sha256") != hashlib.sha256(entry.data()).hexdigest():
        diffs.append("content")
    if entry.owner and entry.owner != live.get("owner"):
        diffs.append("owner")
    if entry.group and entry.group != live.get("group"):
        diffs.append("group")
    if entry.mode is not None and _mode(entry.mode) != live.get("mode"):
        diffs.append("mode")
    return diffs


def differences(entry):
    """What differs between the entry and the live path: a list of words, empty when in sync."""
    return differences_from(entry, fingerprint(entry.path))


def in_sync(entries, fingerprints):
    """Whether every entry (dicts as rabbitmq_config takes them) matches the fingerprint() of its path in
    ``fingerprints`` ({path: fingerprint}). False when a path was not fingerprinted or an entry cannot be
    compared (content that is not a string): the caller then asks the node itself."""
    live = dict((os.path.normpath(path), value) for path, value in (fingerprints or {}).items())
    for params in entries:
        try:
            entry = Entry.from_params(params)
            if entry.content is not None and not isinstance(entry.content, str):
                return False
            if entry.path not in live or differences_from(entry, live[entry.path]):
                return False
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
    return True


def diff_item(entry, diffs):
    """An Ansible diff item for one entry (secrets never shown).

    A leading comment line gives kind, owner, group and mode when those
    change (or the path appears or disappears).
    """
    kind, owner, group, mode = live_attributes(entry.path)
    show_attrs = bool(set(diffs) & set(["missing", "kind", "exists", "owner", "group", "mode"]))

    def attrs(kind_, owner_, group_, mode_):
        if not show_attrs or kind_ is None:
            return ""
        return "# %s %s:%s %s\n" % (kind_, owner_ or "-", group_ or "-", "%04o" % mode_ if mode_ is not None else "-")

    before = attrs(kind, owner, group, mode)
    after = "" if entry.state == "absent" else attrs(
        "directory" if entry.state == "directory" else "file", entry.owner or owner, entry.group or group,
        _mode(entry.mode) if entry.mode is not None else mode)
    if entry.secret:
        before += "(secret content, not shown)\n" if kind == "file" else ""
        if entry.state == "present":
            after += "(secret content%s, not shown)\n" % (
                " changed" if set(diffs) & set(["content", "missing", "kind"]) else "")
    else:
        live = read_bytes(entry.path) if kind == "file" else None
        before += live.decode("utf-8", "replace") if live is not None else ""
        after += entry.data().decode("utf-8", "replace") if entry.state == "present" else ""
    return dict(before_header=entry.path, after_header=entry.path, before=before, after=after)


# --- writing --------------------------------------------------------------------------


def _ids(owner, group):
    uid = pwd.getpwnam(owner).pw_uid if owner else -1
    gid = grp.getgrnam(group).gr_gid if group else -1
    return uid, gid


def write_file(path, data, owner=None, group=None, mode=None):
    """Replace path atomically (temporary file in the same directory, then rename)."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".mqops-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        uid, gid = _ids(owner, group)
        os.chown(tmp, uid, gid)
        if mode is not None:
            os.chmod(tmp, _mode(mode))
        elif os.path.exists(path):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        else:
            os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply_entry(entry):
    """Make the live path match the entry."""
    if entry.state == "absent":
        if os.path.isdir(entry.path) and not os.path.islink(entry.path):
            shutil.rmtree(entry.path)
        elif os.path.lexists(entry.path):
            os.unlink(entry.path)
        return
    if entry.state == "directory":
        if not os.path.isdir(entry.path):
            os.makedirs(entry.path)
        uid, gid = _ids(entry.owner, entry.group)
        os.chown(entry.path, uid, gid)
        if entry.mode is not None:
            os.chmod(entry.path, _mode(entry.mode))
        return
    write_file(entry.path, entry.data(), entry.owner, entry.group, entry.mode)


class Store(object):
    """A directory of entries with a manifest: the staged set, or the backup."""

    def __init__(self, directory):
        self.directory = directory

    def _manifest_path(self):
        return os.path.join(self.directory, MANIFEST)

    def records(self):
        try:
            with open(self._manifest_path()) as handle:
                return json.load(handle)
        except (IOError, OSError, ValueError):
            return []

    def content(self, record):
        blob = record.get("blob")
        return read_bytes(os.path.join(self.directory, blob)) if blob else None

    def save(self, records, contents):
        """Replace the store with these records; contents: blob -> bytes."""
        self.clear()
        os.makedirs(self.directory, 0o700)
        for blob, data in contents.items():
            write_file(os.path.join(self.directory, blob), data, mode=0o600)
        write_file(self._manifest_path(), json.dumps(records, indent=1, sort_keys=True).encode("utf-8"), mode=0o600)

    def clear(self):
        if os.path.isdir(self.directory):
            shutil.rmtree(self.directory)

    def exists(self):
        return os.path.exists(self._manifest_path())


def ensure_private_dir(path):
    if not os.path.isdir(path):
        os.makedirs(path, 0o700)
    os.chmod(path, 0o700)


def stage(entries, store):
    """Keep the entries aside for promote()."""
    records, contents = [], {}
    for number, entry in enumerate(entries):
        record = entry.to_record()
        if entry.state == "present":
            record["blob"] = "%04d" % number
            contents[record["blob"]] = entry.data()
        records.append(record)
    store.save(records, contents)


def snapshot(paths):
    """(records, contents) describing what is at each path now, for a rollback."""
    records, contents = [], {}
    for number, path in enumerate(paths):
        kind, owner, group, mode = live_attributes(path)
        record = dict(path=path, kind=kind, owner=owner, group=group, mode="%04o" % mode if mode is not None else None)
        if kind == "file":
            record["blob"] = "%04d" % number
            contents[record["blob"]] = read_bytes(path)
        records.append(record)
    return records, contents


def promote(staged, backup, restart_free_only=False):
    """Move staged entries into place, keeping a backup of what they replace.

    Returns the promoted entries. A backup that already exists (an earlier
    promote of the same change) is extended, never overwritten: it holds the
    files the node last ran with.
    """
    records = staged.records()
    chosen = [r for r in records if not (restart_free_only and r.get("restart", True))]
    if not chosen:
        return []
    old_records = backup.records()
    old_contents = dict((r["blob"], backup.content(r)) for r in old_records if r.get("blob"))
    known = set(r["path"] for r in old_records)
    new_paths = [r["path"] for r in chosen if r["path"] not in known]
    # Files inside a directory about to be removed are backed up too.
    for record in chosen:
        if record["state"] == "absent" and os.path.isdir(record["path"]):
            for root, _dirs, names in os.walk(record["path"]):
                new_paths.extend(os.path.join(root, name) for name in sorted(names)
                                 if os.path.join(root, name) not in known)
    fresh_records, fresh_contents = snapshot(new_paths)
    for record in fresh_records:
        if record.get("blob"):
            blob = "b%04d" % (len(old_records) + int(record["blob"]))
            fresh_contents[blob] = fresh_contents.pop(record["blob"])
            record["blob"] = blob
    backup.save(old_records + fresh_records, dict(old_contents, **fresh_contents))
    promoted = []
    for record in chosen:
        entry = Entry.from_record(record, staged.content(record))
        apply_entry(entry)
        promoted.append(entry)
    remaining = [r for r in records if r not in chosen]
    if remaining:
        staged.save(remaining, dict((r["blob"], staged.content(r)) for r in remaining if r.get("blob")))
    else:
        staged.clear()
    return promoted


def rollback(backup):
    """Put back what the last promotion(s) replaced; returns the restored paths."""
    records = backup.records()
    restored = []
    # Directories first (outermost first), then files; paths that did not
    # exist are removed, deepest first.
    for record in sorted(records, key=lambda r: (r.get("kind") != "directory", r["path"])):
        if record.get("kind") == "directory":
            apply_entry(Entry(record["path"], "directory", owner=record.get("owner"),
                              group=record.get("group"), mode=record.get("mode")))
            restored.append(record["path"])
        elif record.get("kind") == "file":
            parent = os.path.dirname(record["path"])
            if not os.path.isdir(parent):
                os.makedirs(parent)
            write_file(record["path"], backup.content(record) or b"", record.get("owner"),
                       record.get("group"), record.get("mode"))
            restored.append(record["path"])
    for record in sorted(records, key=lambda r: r["path"], reverse=True):
        if record.get("kind") is None and os.path.lexists(record["path"]):
            apply_entry(Entry(record["path"], "absent"))
            restored.append(record["path"])
    backup.clear()
    return restored
