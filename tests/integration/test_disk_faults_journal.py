"""Disk faults against the intake journal (storage.journal): EIO/ENOSPC on
write and on fdatasync answer 503, never a 201 for a sale whose flush
failed, and the agent recovers without a restart (test_disk_faults.py), then
a power cut while fdatasync fails loses no acknowledged sale."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import test_disk_faults as base  # noqa: E402
from powercut_common import harness  # noqa: E402


# Sales never go through LMDB's O_DSYNC meta-page writes with the journal
# (only checkpoints do), so "dsync_write" refuses nothing here.
base.FAULTS = [f for f in base.FAULTS if not f.startswith("dsync_write")]


class DiskFaultJournalTest(base.DiskFaultTest):
    def setUp(self):
        super().setUp()
        self.agent.config = harness.deep_merge(self.agent.config, {"storage": {"journal": True}})


if __name__ == "__main__":
    unittest.main()
