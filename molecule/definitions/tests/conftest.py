import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "lib"))
# host.ansible() runs the collection's own module on the broker.
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(HERE, "..", "..", "..", "collections"))
