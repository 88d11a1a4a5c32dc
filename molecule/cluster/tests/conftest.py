import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "lib"))

import pytest  # noqa: E402
import rabbitmq_probe as probe  # noqa: E402

# Fixtures shared by test_cluster.py, test_khepri.py and test_upgrade.py
# (cluster_classic runs the same files).


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def members(hostvars):
    return sorted(hostvars["groups"]["rabbitmq"])


@pytest.fixture(scope="module")
def admin(hostvars):
    return hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"]


@pytest.fixture(scope="module")
def addresses(members):
    return {name: probe.docker_address(name) for name in members}


@pytest.fixture()
def once(host, members):
    """Cluster-wide tests run on the first member only."""
    if host.backend.get_hostname() != members[0]:
        pytest.skip("cluster-wide test: runs once, on %s" % members[0])
