#!/usr/bin/python3
"""Mosquitto 2.0 (Debian's) as the store's store-and-forward: the sale JSON
of bench/bench_io.c published at QoS 1 from 1/8/64 clients, each waiting
for its PUBACK before the next sale (as a till waits for its 201), with
persistence on and a durable (clean_session=False) "central" subscriber
offline, so the broker must hold every message. Then the loss count: N
acknowledged messages, SIGKILL of the broker, restart, count what the
subscriber gets. Then the store-and-forward itself: a backlog of
100 000 messages queued on a "store" broker while its bridge to a second,
"central" broker is down (the central broker not running), then the
central broker started and the drain timed until central's durable
subscriber has every message. Prints "mqtt CLIENTS MSGS_PER_S",
"mqtt sigkill ..." and "mqtt drain ..." lines. Not part of ctest/CI.
Needs mosquitto, mosquitto-clients and python3-paho-mqtt (installed with
apt-get when missing); run with /usr/bin/python3.
Usage: bench/peers/mqtt.py [seconds-per-cell] [messages-before-kill] [backlog]"""
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
        ["/usr/bin/python3", "-c", "import paho.mqtt.client"], capture_output=True).returncode \
        or not shutil.which("mosquitto_sub"):
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
    def __init__(self, workdir, bridge_to=None, port=None):
        self.dir, self.port, self.proc = workdir, port or free_port(), None
        self.conf = os.path.join(workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            # Debian's defaults otherwise: autosave_interval 1800 s; no
            # per-message fsync exists in Mosquitto.
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\n"
                    "persistence_location %s/\nmax_queued_messages 0\nmax_queued_bytes 0\n"
                    "max_inflight_messages 0\nlog_dest file %s/broker.log\n"
                    % (self.port, workdir, workdir))
            if bridge_to:
                # The store's broker forwards sales/# at QoS 1 and queues
                # them while central is away (cleansession false); it
                # retries the connection every second.
                f.write("connection central\naddress 127.0.0.1:%d\ntopic sales/# out 1\n"
                        "cleansession false\nlocal_cleansession false\nrestart_timeout 1\n"
                        "notifications false\ntry_private true\nremote_clientid store-bridge\n"
                        % bridge_to)
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


def bridge_drain(work, backlog):
    """The backlog queued on the store broker with central down, then
    central up: (msgs/s first to last message, s from central's start to
    the first message, s from central's start to the last)."""
    cdir, sdir = os.path.join(work, "central"), os.path.join(work, "store")
    os.makedirs(cdir)
    os.makedirs(sdir)
    central = Broker(cdir).start()
    # central's durable subscriber exists before anything is forwarded
    subprocess.run(["mosquitto_sub", "-p", str(central.port), "-c", "-i", "central", "-q", "1",
                    "-t", "sales/#", "-E"], check=True)
    central.stop()  # SIGTERM: the session is saved; central is now "down"
    store = Broker(sdir, bridge_to=central.port).start()
    per = backlog // 8
    sent, _ = run_clients(store.port, 8, per, False)
    sent += run_clients(store.port, 1, backlog - 8 * per, False)[0] if backlog % 8 else 0
    central = Broker(cdir, port=central.port).start()
    t0 = time.monotonic()
    sub = subprocess.Popen(["mosquitto_sub", "-p", str(central.port), "-c", "-i", "central",
                            "-q", "1", "-t", "sales/#", "-C", str(sent), "-F", "%m"],
                           stdout=subprocess.PIPE)
    first = None
    got = 0
    for _ in sub.stdout:  # one line per message; mosquitto_sub exits at `sent`
        got += 1
        if first is None:
            first = time.monotonic()
    last = time.monotonic()
    sub.wait()
    store.stop()
    central.stop()
    if got != sent or first is None:
        raise SystemExit("bridge drain: %d of %d arrived" % (got, sent))
    return (got - 1) / max(last - first, 1e-9), first - t0, last - t0


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    n_kill = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    backlog = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
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
        shutil.rmtree(work)
        os.makedirs(work)
        rate, to_first, to_last = bridge_drain(work, backlog)
        print("mqtt drain %.0f msgs_per_s backlog %d first_after %.2f s all_after %.2f s"
              % (rate, backlog, to_first, to_last), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
