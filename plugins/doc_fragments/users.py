# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import docs
from ansible_collections.mqops.rabbitmq.plugins.module_utils.user_options import CLI_USERS_OPTION


class ModuleDocFragment(object):
    """The ``users`` option of mqops.rabbitmq.rabbitmq_cli_users.

    Its entries share their options (and their text) with the ``users`` of
    mqops.rabbitmq.rabbitmq_definitions: both come from
    module_utils/user_options.py, rendered like the argument specs.
    """

    DOCUMENTATION = yaml.safe_dump({"options": docs({"users": CLI_USERS_OPTION})}, sort_keys=False, width=120)
