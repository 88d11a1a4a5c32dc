# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of modules that talk to the RabbitMQ management HTTP API.

    The matching argument spec is API_ARGUMENT_SPEC in
    plugins/module_utils/http_api.py.
    """

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the management HTTP API, as seen from the host the module
        runs on. The default is the local node's management listener, so the
        module runs on a broker host and needs nothing installed there
        (the HTTP client is Ansible's own, shipped with the module).
    type: str
    default: http://127.0.0.1:15672
  api_user:
    description:
      - User to log in as. It needs the C(administrator) tag to read and
        write definitions.
    type: str
    default: admin
  api_password:
    description:
      - Password of O(api_user). Keep it in Ansible Vault.
    type: str
    required: true
  api_timeout:
    description:
      - Seconds to wait for each HTTP request. Reads answer in milliseconds;
        imports are split into requests of bounded size that take seconds
        (at most 25 new virtual hosts, which start their own processes, per
        request).
    type: int
    default: 300
notes:
  - Requires the C(rabbitmq_management) plugin on the node.
  - Requests go through Ansible's C(ansible.module_utils.urls) (C(open_url)),
    so proxies set in the environment (C(https_proxy), C(no_proxy)) apply as
    for M(ansible.builtin.uri), except to a loopback O(api_url) (see
    O(use_proxy)).
"""

    # Read-only modules that ask the node's own API when given one and the
    # CLI otherwise (mqops.rabbitmq.management_api.optional_login):
    # OPTIONAL_API_ARGUMENT_SPEC in plugins/module_utils/http_api.py; each
    # module documents its own api_url (no default: without it, the CLI).
    OPTIONAL_LOGIN = r"""
options:
  api_user:
    description: User to log in to the API as (it needs the C(monitoring) or C(administrator) tag).
    type: str
    default: admin
  api_password:
    description: Password of O(api_user). Without it the API is not used.
    type: str
  api_timeout:
    description: Seconds each API request may take.
    type: int
    default: 10
"""

    # How a module reaches an https:// api_url, and through which proxy
    # (mqops.rabbitmq.management_api.tls): every module with api_url.
    TLS = r"""
options:
  validate_certs:
    description:
      - Verify the server certificate when O(api_url) is C(https://).
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle (PEM) to verify the server certificate with, instead of the
        system's. A path on the host the module runs on.
    type: path
  client_cert:
    description:
      - Client certificate (PEM) to present to an V(https://) O(api_url)
        (mutual TLS), for a management listener that requires one
        (RabbitMQ's C(management.ssl.verify = verify_peer) and
        C(management.ssl.fail_if_no_peer_cert = true)). Basic
        authentication with O(api_user) still applies.
      - A path on the host the module runs on (the managed node, or the
        host it is delegated to), like O(client_key) and O(ca_path).
      - Requires O(client_key). Both may name the same file when it holds
        the certificate and its key. Checked before any request - a missing
        file, a key that does not belong to the certificate or an
        encrypted key is an error naming the option, nothing is changed.
    type: path
  client_key:
    description:
      - Private key (PEM, unencrypted) of O(client_cert). Its path is shown
        in messages, never its contents; keep the file readable only by the
        user the module runs as.
      - Requires O(client_cert).
    type: path
  use_proxy:
    description:
      - Reach a remote O(api_url) through the proxy the environment names
        (C(https_proxy), C(http_proxy), C(no_proxy)), as
        M(ansible.builtin.uri) does. V(false) ignores those variables.
      - A loopback O(api_url) (C(localhost), C(127.0.0.0/8), C(::1)), the
        node's own listener, is never reached through a proxy.
    type: bool
    default: true
"""
