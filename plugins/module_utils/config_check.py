# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Check what a RabbitMQ node will read at its next boot, with its own code.

RabbitMQ translates ``rabbitmq.conf`` with cuttlefish and the schemas of
every application in its plugins directory, overlays ``advanced.config``
(Erlang terms) and opens its TLS files at boot. A mistake in any of them
stops the node from starting. This module runs the same translation with
the installed RabbitMQ's own code (an escript, ``ERLANG_CHECK``) on a copy
of the files, before any of them replaces the live ones, and turns the
findings into messages that name the file, the key and the role variable
the key came from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

PLUGINS_GLOB = "/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins"

# Run with ERL_LIBS=<plugins dir>. Arguments are key=value pairs: plugins,
# conf, advanced, cert, key, ca, days. Prints "ERROR\t<topic>\t<text>" per
# finding, "LOG\t<text>" for what cuttlefish logs (its "did you mean"
# suggestions), then "DONE". Debian ships no Erlang headers, so the
# public_key records are matched as tuples.
ERLANG_CHECK = r"""%% -*- erlang -*-
main(Args) ->
    Opts = maps:from_list([list_to_tuple(string:split(A, "=")) || A <- Args]),
    logger:set_handler_config(default, formatter,
        {logger_formatter, #{single_line => true, template => ["LOG\t", msg, "\n"]}}),
    Conf = run(fun() -> check_conf(Opts) end, "conf"),
    Adv = run(fun() -> check_advanced(Opts) end, "advanced"),
    run(fun() -> check_overlay(Conf, Adv) end, "advanced"),
    run(fun() -> check_tls(Opts) end, "tls"),
    io:format("DONE~n"),
    halt(0).

run(Fun, Topic) ->
    try Fun() of
        {errors, Errors} -> [report(Topic, E) || E <- Errors], error;
        Value -> Value
    catch
        throw:{errors, Errors} -> [report(Topic, E) || E <- Errors], error;
        Class:Reason -> report(Topic, io_lib:format("~0tp:~0tp", [Class, Reason])), error
    end.

report(Topic, Text) ->
    Flat = unicode:characters_to_list(iolist_to_binary(io_lib:format("~ts", [Text]))),
    io:format("ERROR\t~ts\t~ts~n", [Topic, string:join(string:lexemes(Flat, "\r\n\t"), " ")]).

text(Chars) -> unicode:characters_to_list(iolist_to_binary(Chars)).

%% rabbitmq.conf, with the schemas of every application in the plugins
%% directory, as RabbitMQ's prelaunch phase loads them.
check_conf(#{"plugins" := Dir, "conf" := File}) ->
    Schemas = lists:sort(filelib:wildcard(filename:join([Dir, "*", "priv", "schema", "*.schema"]))),
    Schema = cuttlefish_schema:files(Schemas),
    case cuttlefish_conf:files([File]) of
        {errorlist, Errors} ->
            {errors, [text(cuttlefish_error:xlate(E)) || E <- Errors]};
        Conf ->
            case cuttlefish_generator:map(Schema, Conf) of
                {error, _Phase, {errorlist, Errors}} ->
                    {errors, [text(cuttlefish_error:xlate(E)) || E <- Errors]};
                Config ->
                    proplists:delete(vm_args, Config)
            end
    end;
check_conf(_) -> none.

%% advanced.config: exactly one list of {Application, [Settings]} terms.
check_advanced(#{"advanced" := File}) ->
    case file:consult(File) of
        {ok, [Terms]} when is_list(Terms) ->
            case [T || T <- Terms, not (is_tuple(T) andalso tuple_size(T) =:= 2
                                        andalso is_atom(element(1, T)) andalso is_list(element(2, T)))] of
                [] -> Terms;
                Bad -> {errors, [io_lib:format("not an {application, [settings]} pair: ~0tp", [B]) || B <- Bad]}
            end;
        {ok, Other} ->
            {errors, [io_lib:format("must hold exactly one list of terms ending with a dot; found ~b term(s)",
                                    [length(Other)])]};
        {error, {Line, Mod, Term}} ->
            {errors, [io_lib:format("line ~p: ~ts", [Line, Mod:format_error(Term)])]};
        {error, Reason} ->
            {errors, [file:format_error(Reason)]}
    end;
check_advanced(_) -> none.

check_overlay(Conf, Adv) when is_list(Conf), is_list(Adv) ->
    _ = cuttlefish_advanced:overlay(Conf, Adv),
    ok;
check_overlay(_, _) -> ok.

%% TLS: the key belongs to the certificate, the certificate (with the chain
%% in its file) validates against the CA bundle, and it is valid now and for
%% at least Days more days.
check_tls(#{"cert" := CertFile, "key" := KeyFile, "ca" := CaFile} = Opts) ->
    Days = list_to_integer(maps:get("days", Opts, "0")),
    [Leaf | Chain] = pem_certs(CertFile, "certificate"),
    CAs = pem_certs(CaFile, "CA bundle"),
    Key = pem_key(KeyFile),
    Otp = public_key:pkix_decode_cert(Leaf, otp),
    case key_errors(Key, Otp) ++ expiry_errors(Otp, Days) ++ chain_errors(Leaf, Chain, CAs) of
        [] -> ok;
        Errors -> {errors, Errors}
    end;
check_tls(_) -> none.

pem_certs(File, What) ->
    {ok, Bin} = file:read_file(File),
    case [Der || {'Certificate', Der, not_encrypted} <- public_key:pem_decode(Bin)] of
        [] -> throw({errors, [What ++ ": no PEM certificate found"]});
        Ders -> Ders
    end.

pem_key(File) ->
    {ok, Bin} = file:read_file(File),
    case public_key:pem_decode(Bin) of
        [{_, _, not_encrypted} = Entry | _] -> public_key:pem_entry_decode(Entry);
        [_ | _] -> throw({errors, ["key: encrypted private keys are not supported"]});
        [] -> throw({errors, ["key: no PEM private key found"]})
    end.

%% #'OTPCertificate'{tbsCertificate = #'OTPTBSCertificate'{subjectPublicKeyInfo =
%%   #'OTPSubjectPublicKeyInfo'{algorithm = #'PublicKeyAlgorithm'{parameters = P}, subjectPublicKey = K}}}
key_errors(Key, {'OTPCertificate', TBS, _, _}) ->
    {'OTPSubjectPublicKeyInfo', {'PublicKeyAlgorithm', _, Params}, Public} = element(8, TBS),
    PublicKey = case Public of
                    {'RSAPublicKey', _, _} -> Public;
                    _ -> {Public, Params}
                end,
    Msg = <<"mqops key check">>,
    Matches = try public_key:verify(Msg, sha256, public_key:sign(Msg, sha256, Key), PublicKey)
              catch _:_ -> false
              end,
    case Matches of
        true -> [];
        false -> ["the private key does not belong to the certificate (their public keys differ)"]
    end.

%% #'OTPTBSCertificate'.validity = #'Validity'{notBefore, notAfter}
expiry_errors({'OTPCertificate', TBS, _, _}, Days) ->
    {'Validity', NotBefore, NotAfter} = element(6, TBS),
    Now = calendar:datetime_to_gregorian_seconds(calendar:universal_time()),
    Start = pubkey_cert:time_str_2_gregorian_sec(NotBefore),
    End = pubkey_cert:time_str_2_gregorian_sec(NotAfter),
    Left = (End - Now) div 86400,
    if
        Start > Now -> ["the certificate is not valid yet"];
        End =< Now -> ["the certificate has expired"];
        Left < Days -> [io_lib:format("the certificate expires in ~b day(s), within ~b", [Left, Days])];
        true -> []
    end.

chain_errors(Leaf, Chain, CAs) ->
    Path = lists:reverse([Leaf | Chain]),
    Results = [public_key:pkix_path_validation(CA, Path, []) || CA <- CAs],
    case [ok || {ok, _} <- Results] of
        [_ | _] -> [];
        [] ->
            case lists:usort([R || {error, {bad_cert, R}} <- Results]) -- [cert_expired] of
                [] -> [];
                Reasons -> [io_lib:format("the certificate does not validate against the CA bundle (~0tp)",
                                          [Reasons])]
            end
    end.
"""

_TRIED = re.compile(r"You've tried to set (\S+), but there is no setting with that name")
_SETTING = re.compile(r"^[A-Za-z0-9_.$-]+$")
_KEY_IN_ERROR = re.compile(r"(?:for|variable|setting|key)[: ]+([A-Za-z0-9_.$-]+)")


def conf_settings(text):
    """(line number, key, value) of each setting of a rabbitmq.conf text."""
    settings = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        settings.append((number, key.strip(), value.strip()))
    return settings


def overlaps(text, sources=None):
    """Settings of a rabbitmq.conf text that contradict each other, as messages.

    Cuttlefish takes such a file without a word and keeps one of the values:
    a key given twice (a ``rabbitmq_server_config_extra`` key the role also
    writes from its own variables), both ``X.relative`` and ``X.absolute``
    (the memory watermark and the disk limit are one or the other), and a
    ``P = none`` (listeners closed) beside keys under ``P.``. ``sources``
    (key -> variable) names where a key came from; the role's own lines are
    quoted, values from ``sources`` are not (they may be secrets).
    """
    sources = sources or {}
    settings = conf_settings(text)
    by_key = {}
    for number, key, value in settings:
        by_key.setdefault(key, []).append((number, value))

    def origin(key):
        return sources.get(key) or "the role's own variables"

    def shown(key):
        if key in sources:
            return "%s (line %d)" % (key, by_key[key][-1][0])
        number, value = by_key[key][0]
        return "%s = %s (line %d)" % (key, value, number)

    messages = []
    for key in sorted(by_key):
        lines = by_key[key]
        if len(lines) > 1:
            if key in sources:
                number, value = lines[0]
                messages.append(
                    "rabbitmq.conf: %s is set by %s and by the role's own variables (%s = %s, line %d); RabbitMQ "
                    "would keep only one of them. Set it with the role's variable for it (the role's README lists "
                    "them) and remove it from %s." % (key, sources[key], key, value, number, sources[key]))
            else:
                messages.append("rabbitmq.conf: %s is set %d times (lines %s)."
                                % (key, len(lines), ", ".join(str(n) for n, _v in lines)))
    for key in sorted(by_key):
        stem, _dot, last = key.rpartition(".")
        if last == "relative" and stem + ".absolute" in by_key:
            other = stem + ".absolute"
            extra = [k for k in (key, other) if k in sources]
            advice = "Give one of them only." if len(extra) != 1 else (
                "Set it with the role's variable for it (the role's README lists them) and remove %s from %s."
                % (extra[0], sources[extra[0]]))
            messages.append(
                "rabbitmq.conf: %s and %s are both set (%s; %s), by %s and %s; RabbitMQ uses one or the other. %s"
                % (key, other, shown(key), shown(other), origin(key), origin(other), advice))
        under = sorted(k for k in by_key if k.startswith(key + "."))
        if under and any(value == "none" for _n, value in by_key[key]):
            messages.append(
                "rabbitmq.conf: %s = none (set by %s) closes those listeners, but %s set %s; RabbitMQ would "
                "keep only one of them." % (key, origin(key), " and ".join(sorted(set(origin(k) for k in under))),
                                            ", ".join(under)))
    return messages


def version_key(path):
    """Sort key for rabbitmq_server-<version> directories: 3.10.8 < 4.0.5."""
    match = re.search(r"rabbitmq_server-([0-9][0-9.]*)", path)
    if not match:
        return ()
    return tuple(int(part) for part in match.group(1).strip(".").split(".") if part)


def find_plugins_dir(pattern=PLUGINS_GLOB):
    """The plugins directory of the newest installed RabbitMQ, or None."""
    candidates = sorted(glob.glob(pattern), key=version_key)
    return candidates[-1] if candidates else None


def mirror_path(root, path):
    """Where ``path`` lives under the check's private copy ``root``."""
    return os.path.join(root, path.lstrip("/"))


def rewrite_paths(text, paths, root):
    """Point every managed file path in ``text`` at its copy under ``root``.

    The live rabbitmq.conf names the live TLS files (and cuttlefish checks
    they are readable); the check must read the new ones instead. Longest
    paths first and in one pass, so /a/b.pem.key is not cut by /a/b.pem.
    """
    if not paths:
        return text
    pattern = re.compile("|".join(re.escape(p) for p in sorted(paths, key=len, reverse=True)))
    return pattern.sub(lambda match: mirror_path(root, match.group(0)), text)


def command(escript, script, plugins_dir, conf=None, advanced=None, tls=None, days=0):
    """The argument vector of one check run."""
    argv = [escript, script, "plugins=" + plugins_dir]
    if conf:
        argv.append("conf=" + conf)
    if advanced:
        argv.append("advanced=" + advanced)
    if tls:
        argv += ["cert=" + tls["cert"], "key=" + tls["key"], "ca=" + tls["ca"], "days=%d" % int(days or 0)]
    return argv


def parse_output(stdout):
    """(errors by topic, suggestions by unknown key, completed) from the escript's output."""
    errors = {}
    suggestions = {}
    current = None
    done = False
    for line in stdout.splitlines():
        if line == "DONE":
            done = True
            continue
        parts = line.split("\t", 2)
        if parts[0] == "ERROR" and len(parts) == 3:
            text = parts[2].strip()
            if text.endswith("syntax error before:"):
                text += " the end of the file (a missing closing bracket or final dot?)"
            errors.setdefault(parts[1], []).append(text)
        elif parts[0] == "LOG" and len(parts) >= 2:
            message = parts[-1].strip()
            tried = _TRIED.search(message)
            if tried:
                current = tried.group(1)
                suggestions.setdefault(current, [])
            elif current and _SETTING.match(message):
                suggestions[current].append(message)
            elif not message.startswith("Did you mean"):
                current = None
    return errors, suggestions, done


def _source(text, sources):
    """The variable a key mentioned in ``text`` came from, if known."""
    for key in _KEY_IN_ERROR.findall(text) + re.findall(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_$-]+)+", text):
        if key in sources:
            return sources[key]
    return None


def describe(errors, suggestions, files, sources=None):
    """One message per finding: the file, the variable it came from, RabbitMQ's words.

    ``files``: topic -> (file name, variable) for conf, advanced and tls.
    ``sources``: rabbitmq.conf key -> variable that set it.
    """
    sources = sources or {}
    messages = []
    for topic in ("conf", "advanced", "tls"):
        name, variable = files.get(topic, (topic, None))
        for text in errors.get(topic, []):
            unknown = re.search(r"unknown variable: (\S+)", text)
            origin = _source(text, sources) or variable
            line = "%s: %s" % (name, text)
            if unknown and suggestions.get(unknown.group(1)):
                line += " (did you mean %s?)" % ", ".join(suggestions[unknown.group(1)])
            if origin:
                line += " [set by %s]" % origin
            messages.append(line)
    for topic in sorted(set(errors) - {"conf", "advanced", "tls"}):
        messages.extend("%s: %s" % (topic, text) for text in errors[topic])
    return messages
