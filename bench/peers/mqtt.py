#!/usr/bin/python3
"""Mosquitto 2.0 (Debian's) as the store's store-and-forward: the sale JSON
of bench/bench_io.c published at QoS 1 from 1/8/64 clients, each waiting
for its PUBACK before the next sale (as a till waits for its 201), with
persistence on and a durable (clean_session=False) "central" subscriber
offline, so the broker must hold every message. Then the loss count: N
acknowledged messages, SIGKILL of the broker, restart, count what the
subscriber gets. Prints "mqtt CLIENTS MSGS_PER_S" and "mqtt sigkill ..."
lines. Not part of ctest/CI. Needs mosquitto and python3-paho-mqtt
(installed with apt-get when missing); run with /usr/bin/python3.
Usage: bench/peers/mqtt.py [seconds-per-cell] [messages-before-kill]"""
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

if not shutil.which("mosquitto") or subprocess.run(
        ["/usr/bin/python3", "-c", "import paho.mqtt.client"], capture_output=True).returncode:
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "mosquitto",
                    "mosquitto-clients", "python3-paho-mqtt"], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
import paho.mqtt.client as mqtt  # noqa: E402

SALE = ('{"txn_id":"B-%d","type":"sale","register_id":"R1",'
        '"occurred_at":"2026-11-22T10:15:00+01:00","currency":"EUR",'
        '"lines":[{"sku":"SKU-1","qty":1,"unit_price":1299,"amount":1299}],'
        '"payments":[{"method":"cash","amount":1299}],"total":1299}')


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    def __init__(self, workdir):
        self.dir, self.port, self.proc = workdir, free_port(), None
        self.conf = os.path.join(workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            # Debian's defaults otherwise: autosave_interval 1800 s; no
            # per-message fsync exists in Mosquitto.
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\n"
                    "persistence_location %s/\nmax_queued_messages 0\nmax_queued_bytes 0\n"
                    "max_inflight_messages 0\nlog_dest file %s/broker.log\n"
                    % (self.port, workdir, workdir))
        os.chmod(workdir, 0o777)

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf])
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return self
            except OSError:
                time.sleep(0.02)  # startup poll of a peer's port, not test synchronisation
        raise RuntimeError("mosquitto did not start")

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait()


def durable_subscriber(port, on_msg=None):
    c = mqtt.Client(client_id="central", clean_session=False)
    if on_msg:
        c.on_message = on_msg
    c.connect("127.0.0.1", port)
    c.subscribe("sales/#", qos=1)
    return c


def publisher(port, n_or_secs, by_time, first_id, out):
    c = mqtt.Client(client_id="till-%d" % first_id, clean_session=True)
    c.max_inflight_messages_set(1)
    c.connect("127.0.0.1", port)
    c.loop_start()
    sent, t0 = 0, time.monotonic()
    while (time.monotonic() - t0 < n_or_secs) if by_time else sent < n_or_secs:
        info = c.publish("sales/R1", SALE % (first_id + sent), qos=1)
        info.wait_for_publish()  # the PUBACK: the broker's "stored"
        sent += 1
    out.put((sent, time.monotonic() - t0))
    c.disconnect()
    c.loop_stop()


def run_clients(port, clients, amount, by_time):
    q = mp.Queue()
    procs = [mp.Process(target=publisher, args=(port, amount, by_time, (i + 1) * 10**9, q))
             for i in range(clients)]
    for p in procs:
        p.start()
    res = [q.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in res), max(r[1] for r in res)


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    n_kill = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    work = tempfile.mkdtemp(prefix="tillsync-peer-mqtt-")
    try:
        b = Broker(work).start()
        sub = durable_subscriber(b.port)  # registers the session, then goes away
        sub.loop(0.5)
        sub.disconnect()
        for clients in (1, 8, 64):
            sent, took = run_clients(b.port, clients, secs, True)
            print("mqtt %d %.0f" % (clients, sent / took), flush=True)
        b.stop()
        shutil.rmtree(work)
        os.makedirs(work)
        # The loss count: every one of n_kill publishes was PUBACKed.
        b = Broker(work).start()
        sub = durable_subscriber(b.port)
        sub.loop(0.5)
        sub.disconnect()
        sent, _ = run_clients(b.port, 1, n_kill, False)
        b.stop(signal.SIGKILL)
        b = Broker(work).start()
        got = []
        sub = durable_subscriber(b.port, lambda c, u, m: got.append(m.mid))
        quiet = time.monotonic()
        while time.monotonic() - quiet < 2:  # until 2 s pass with nothing new
            n = len(got)
            sub.loop(0.2)
            if len(got) != n:
                quiet = time.monotonic()
        sub.disconnect()
        b.stop()
        print("mqtt sigkill acknowledged %d delivered_after_restart %d lost %d"
              % (sent, len(got), sent - len(got)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
