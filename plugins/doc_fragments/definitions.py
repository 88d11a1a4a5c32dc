# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import option_table
from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import docs


class ModuleDocFragment(object):
    """The options of mqops.rabbitmq.rabbitmq_definitions that come from its object kinds.

    Rendered from the same option tables as the module's argument spec
    (module_utils/definitions/kinds/*.py, one per kind), so documentation
    and argument spec cannot disagree.
    """

    DOCUMENTATION = yaml.safe_dump({"options": docs(option_table())}, sort_keys=False, width=120)
