"""What the power-cut and disk-fault tests share: the agent run under the
power-cut shim (tests/powercut/shim.c), power cuts (SIGKILL, then
pc_restore), fault switching, and tills that keep each sale until the agent
answers for it, as a real POS does.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402

SHIM = os.environ.get("TS_PC_SHIM") or os.path.join(
    harness.SOURCE_DIR, "build", "tests", "powercut", "pc_shim.so")
RESTORE = os.environ.get("TS_PC_RESTORE") or os.path.join(
    harness.SOURCE_DIR, "build", "tests", "powercut", "pc_restore")
SANITIZED = os.environ.get("TS_SANITIZE", "0") in ("1", "ON", "TRUE")


def preload():
    """LD_PRELOAD for the shim. A sanitized agent needs its ASan runtime
    first in the search order; ASan's interceptors then reach the shim as
    the "real" functions, which reach libc."""
    if not SANITIZED:
        return SHIM
    cc = os.environ.get("CC", "cc")
    asan = subprocess.run([cc, "-print-file-name=libasan.so"], stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    if not os.path.isabs(asan):
        return None
    return asan + ":" + SHIM


class ShimAgent(harness.Agent):
    """An agent whose data_dir is watched by the shim; power_cut() kills it
    and rebuilds data_dir as a power cut could have left it."""

    def __init__(self, workdir, **kw):
        super().__init__(workdir, **kw)
        self.state = os.path.join(workdir, "pc-state")
        os.makedirs(self.state, exist_ok=True)
        os.makedirs(self.data_dir, exist_ok=True)
        pre = preload()
        if pre is None:
            raise unittest.SkipTest("sanitized agent, but no ASan runtime found to preload "
                                    "before the shim")
        self.env = dict(os.environ, LD_PRELOAD=pre, TS_PC_DIR=self.data_dir,
                        TS_PC_STATE=self.state)
        if SANITIZED:
            self.env["ASAN_OPTIONS"] = "verify_asan_link_order=0:" + self.env.get(
                "ASAN_OPTIONS", "")

    def set_fault(self, spec):
        """spec e.g. "write=EIO" or "fsync=ENOSPC"; "" switches faults off."""
        path = os.path.join(self.state, "fault")
        with open(path + ".tmp", "w") as f:
            f.write(spec)
        os.replace(path + ".tmp", path)  # the shim reads it whole or not at all

    def unsupported(self):
        path = os.path.join(self.state, "unsupported")
        return open(path).read() if os.path.exists(path) else ""

    def power_cut(self, seed):
        """SIGKILL, then pc_restore with seed; returns its figures (dict)."""
        self.kill(signal.SIGKILL)
        new = self.state + ".new"
        prev = self.state + ".prev"
        shutil.rmtree(new, ignore_errors=True)
        out = subprocess.run([RESTORE, "--seed", str(seed), self.state, self.data_dir, new],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if out.returncode != 0:
            raise AssertionError("pc_restore failed (seed %d): %s" % (seed, out.stderr))
        # The record of this cut is kept beside the new one, so a failure
        # can be replayed: pc_restore --seed N pc-state.prev data x
        shutil.rmtree(prev, ignore_errors=True)
        os.rename(self.state, prev)
        os.rename(new, self.state)
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", out.stdout)}


class Till(threading.Thread):
    """One register posting sales one after another on a kept-alive
    connection. A sale stays with the till until the agent answers 201 or
    200 for it (a cut connection or a 503 means "try again"), as the POS
    contract asks. acked: [(txn_id, seq, status)]."""

    def __init__(self, register, base, agent_fn):
        super().__init__(daemon=True)
        self.register = register
        self.n = base
        self.agent_fn = agent_fn
        self.acked = []
        self.refused = []  # (status, code) of 5xx answers
        self.bad = []      # anything a correct agent never answers
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.go = threading.Event()  # set while the agent is up
        self.unanswered = 0

    def run(self):
        conn = None
        while not self.stop.is_set():
            if not self.go.wait(0.05):
                conn = None
                continue
            agent = self.agent_fn()
            try:
                if conn is None:
                    conn = agent.conn(timeout=10)
                txn = harness.sample_txn(self.n, register=self.register, qty=1 + self.n % 3)
                status, _, body = agent.post_txn(txn, conn=conn)
            except (OSError, ValueError, AttributeError):
                conn = None
                self.unanswered += 1
                continue
            if status in (200, 201):
                with self.lock:
                    self.acked.append((txn["txn_id"], body["seq"], status))
                self.n += 1
            elif status in (503, 507):
                code = body.get("error", {}).get("code") if isinstance(body, dict) else None
                with self.lock:
                    self.refused.append((status, code))
            else:
                with self.lock:
                    self.bad.append((txn["txn_id"], status, body))
                self.n += 1

    def count(self):
        with self.lock:
            return len(self.acked)
