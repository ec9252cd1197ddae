"""Issue 13, agent side: the store recovers by itself.

- Stale readers: LMDB readers killed inside their read transaction
  (mdb_dump piped to a reader that stops reading, then SIGKILL; and
  --export-pending runs killed the same way) must not pin the map: posting
  goes on with a small map, no restart, and the cleared slots are counted.
- Full disk on a small tmpfs with the default 1 GiB map: sales are refused
  (507 or 503, with Retry-After), and taken again once central has acked,
  without a restart.
- A stalled disk (the test-only writer hook blocks the writer thread before
  its commit): /healthz and /v1/status still answer from memory.
- A +2 h wall-clock step (test-only clock offset file) does not prune
  acknowledged sales early."""
import json
import os
import signal
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import uplink_common  # noqa: E402

PER_BATCH = 50


def batch(b, note=3000):
    txns = []
    for i in range(PER_BATCH):
        t = harness.sample_txn(b * PER_BATCH + i)
        t["note"] = "p" * note
        txns.append(t)
    return {"transactions": txns}


def post_until_taken(test, agent, central, b, refusals):
    """Posts batch b as a till would: on 507/503 wait for central to catch up
    and retry. Returns the number of refused answers on the way."""
    for _ in range(40):
        status, headers, body = agent.request("POST", "/v1/transactions:batch", batch(b))
        test.assertEqual(status, 200, body)
        codes = {r["status"] for r in body["results"]}
        test.assertLessEqual(codes, {200, 201, 503, 507}, body)
        if not codes & {503, 507}:
            return
        refusals.append(b)
        st = agent.status()
        test.assertIn("sales_refused", [i["code"] for i in st["headline"]["issues"]])
        done = st["queue"]["last_seq"]
        harness.wait_for(lambda: central.acked_through() >= done, 60, "central to catch up")
    test.fail("batch %d never taken although central acked everything: %s %s" % (
        b, body["results"][0], agent.status()["storage"]))


def blocked_in_pipe_write(pid):
    try:
        with open("/proc/%d/wchan" % pid) as f:
            w = f.read()
        return "pipe_write" in w or "pipe_wait" in w
    except OSError:
        return False


def kill_stuck_reader(cmd):
    """Starts cmd with a stdout pipe nobody reads, waits until it blocks
    writing (inside its read transaction for mdb_dump), kills it."""
    r, w = os.pipe()
    p = subprocess.Popen(cmd, stdout=w, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        harness.wait_for(lambda: blocked_in_pipe_write(p.pid) or p.poll() is not None, 30,
                         "the reader to block on its pipe")
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        os.close(r)


class StaleReaders(unittest.TestCase):
    def test_killed_readers_do_not_pin_the_map(self):
        workdir = harness.make_workdir("stale")
        certs = harness.make_certs(workdir)
        central = uplink_common.CentralProc(workdir, certs)
        agent = uplink_common.agent_for(workdir, certs, central,
                                        {"storage": {"map_size_mb": 16}})
        try:
            agent.start()
            refusals = []
            for b in range(10):  # enough data for the dumps to fill a pipe
                post_until_taken(self, agent, central, b, refusals)
            store = os.path.join(agent.data_dir, "store")
            # exports first: each one's open clears slots it finds dead, as
            # any LMDB process does; the dumps' slots are left for the agent
            for _ in range(4):
                kill_stuck_reader([harness.BIN, "--export-pending", agent.config_path])
            for _ in range(4):
                kill_stuck_reader(["mdb_dump", "-a", store])
            # about three maps' worth flows through while those slots are dead
            for b in range(10, 330):
                post_until_taken(self, agent, central, b, refusals)
            total = 330 * PER_BATCH
            harness.wait_for(lambda: central.acked_through() == total, 60, "central")
            self.assertEqual([seq for seq, _ in central.txns()], list(range(1, total + 1)))
            _, _, metrics = agent.request("GET", "/metrics")
            cleared = harness.Scrape(metrics).value("tillsync_storage_stale_readers_cleared_total")
            self.assertGreaterEqual(cleared, 4, "the mdb_dump slots were found and cleared")
            self.assertTrue(any("event=store.stale_readers_cleared" in l
                                for l in agent.log_lines()))
            print("stale slots cleared: %d, refused batches: %d" % (cleared, len(refusals)))
        finally:
            agent.kill()
            central.stop()
            harness.cleanup(workdir)


class FullDisk(unittest.TestCase):
    def test_full_disk_recovers_after_acks_without_restart(self):
        workdir = harness.make_workdir("fulldisk")
        mnt = os.path.join(workdir, "small")
        os.makedirs(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mnt],
                           stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            if os.environ.get("CI"):
                self.fail("CI runs as root and must be able to mount a tmpfs")
            self.skipTest("needs root to mount a small tmpfs")
        certs = harness.make_certs(workdir)
        central = uplink_common.CentralProc(workdir, certs, down=True)
        agent = uplink_common.agent_for(workdir, certs, central,
                                        {"data_dir": os.path.join(mnt, "data"),
                                         "storage": {"map_size_mb": 1024}})
        try:
            agent.start()
            # central away: the disk fills with pending sales until refused
            for b in range(200):
                status, headers, body = agent.request("POST", "/v1/transactions:batch",
                                                      batch(b))
                codes = {r["status"] for r in body["results"]}
                self.assertLessEqual(codes, {201, 503, 507}, body)
                if codes & {503, 507}:
                    break
            else:
                self.fail("the disk never filled")
            one, hdrs, _ = agent.post_txn(harness.sample_txn(99999))
            self.assertIn(one, (503, 507))
            self.assertIn("retry-after", hdrs)
            self.assertEqual(agent.request("GET", "/healthz")[0], 503)
            st = agent.status()
            self.assertIn("sales_refused", [i["code"] for i in st["headline"]["issues"]])
            # central back: its acks free the space, no restart
            central.cmd("come_up")
            held = st["queue"]["pending"]
            harness.wait_for(lambda: agent.status()["queue"]["pending"] == 0, 60,
                             "central to ack the %d held sales" % held)
            refusals = []
            for b2 in range(b, b + 40):  # more than the disk holds again
                post_until_taken(self, agent, central, b2, refusals)
            self.assertEqual(agent.request("GET", "/healthz")[0], 200)
            self.assertEqual(agent.proc.poll(), None)
            print("held when full: %d sales; refused batches after recovery: %d"
                  % (held, len(refusals)))
        finally:
            agent.kill()
            central.stop()
            subprocess.run(["umount", "-l", mnt])
            harness.cleanup(workdir)


class StalledDisk(unittest.TestCase):
    def test_status_answers_while_the_writer_is_blocked(self):
        workdir = harness.make_workdir("stall")
        fifo = os.path.join(workdir, "writer.fifo")
        os.mkfifo(fifo)
        agent = harness.Agent(workdir)
        os.environ["TILLSYNC_TEST_WRITER_FIFO"] = fifo
        try:
            agent.start()
        finally:
            del os.environ["TILLSYNC_TEST_WRITER_FIFO"]
        result = {}

        def post():
            result["post"] = agent.post_txn(harness.sample_txn(1))[0]
        t = threading.Thread(target=post)
        try:
            t.start()
            # the writer now waits on the FIFO, before its commit
            harness.wait_for(lambda: agent.status()["storage"] is not None, 30, "status")
            for path in ("/healthz", "/v1/status", "/"):
                c = agent.conn(timeout=60)
                status = agent.request("GET", path, conn=c)[0]
                c.close()
                self.assertIn(status, (200, 503), path)
            self.assertNotIn("post", result, "the POST must wait for its commit")
            with open(fifo, "w") as f:  # release the writer
                f.write("x")
            t.join(60)
            self.assertEqual(result.get("post"), 201)
        finally:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                os.write(fd, b"x" * 64)
                os.close(fd)
            except OSError:
                pass
            agent.kill()
            t.join(10)
            harness.cleanup(workdir)


class ClockStep(unittest.TestCase):
    def test_forward_step_does_not_prune_acked_sales_early(self):
        workdir = harness.make_workdir("clock")
        offset = os.path.join(workdir, "clock_offset_ms")
        with open(offset, "w") as f:
            f.write("0")
        certs = harness.make_certs(workdir)
        central = uplink_common.CentralProc(workdir, certs)
        # retention 0.005 h = 18 s; the prune timer runs every 4.5 s
        agent = uplink_common.agent_for(workdir, certs, central,
                                        {"storage": {"acked_retention_h": 0.005}})
        os.environ["TILLSYNC_TEST_CLOCK_OFFSET_FILE"] = offset
        try:
            agent.start()
        finally:
            del os.environ["TILLSYNC_TEST_CLOCK_OFFSET_FILE"]
        try:
            for i in range(5):
                self.assertEqual(agent.post_txn(harness.sample_txn(i))[0], 201)
            harness.wait_for(lambda: central.acked_through() == 5, 30, "central")
            harness.wait_for(lambda: agent.status()["queue"]["pending"] == 0, 30, "ack")
            with open(offset, "w") as f:
                f.write(str(2 * 3600 * 1000))
            # two prune runs under the stepped clock (well inside the 18 s)
            n = len(agent.log_lines())
            harness.wait_for(lambda: len([l for l in agent.log_lines()[n:]
                                          if "event=txnlog.prune_done" in l]) >= 2, 30,
                             "two prune runs")
            for i in range(5):
                txn_id = harness.sample_txn(i)["txn_id"]
                self.assertEqual(agent.request("GET", "/v1/transactions/" + txn_id)[0], 200,
                                 "acked %s pruned early by a clock step" % txn_id)
            self.assertFalse([l for l in agent.log_lines()[n:] if "event=txnlog.pruned" in l])
        finally:
            agent.kill()
            central.stop()
            harness.cleanup(workdir)


if __name__ == "__main__":
    unittest.main()
