"""Power cuts against the intake journal (storage.journal, docs/intake-journal.md).

The same run as test_powercut.py (400 cuts by default, TS_PC_CUTS): every
acknowledged sale survives with its seq, central ends with every seq once,
in order. The shim watches data_dir/journal/ as it watches the store.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import test_powercut as base  # noqa: E402
from powercut_common import harness  # noqa: E402


class PowerCutJournalTest(base.PowerCutTest):
    def setUp(self):
        super().setUp()
        self.agent.config = harness.deep_merge(self.agent.config, {"storage": {"journal": True}})

    def test_power_cuts(self):
        super().test_power_cuts()
        self.assertIn("txnlog.journal_replayed", "\n".join(self.agent.lines))


if __name__ == "__main__":
    unittest.main()
