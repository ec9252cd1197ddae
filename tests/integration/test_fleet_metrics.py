"""fleet/: every metric the Grafana dashboard and the Prometheus alert rules
use is one a running agent exports (with central and Odoo configured, so
every family appears), with the label values they match on, so the fleet
views cannot drift from /metrics. The rules' unit tests
(fleet/prometheus/*.test.yml) feed series of the same names and labels,
and give every alert a case where it fires and one where it must not. The
rules also pass `promtool check rules` and `promtool test rules` where
Debian's prometheus package is installed (CI installs it)."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import status_scenarios as sc  # noqa: E402
from status_scenarios import harness  # noqa: E402

FLEET = os.path.join(harness.SOURCE_DIR, "fleet")
DASHBOARDS = sorted(glob.glob(os.path.join(FLEET, "grafana", "*.json")))
RULE_TESTS = sorted(glob.glob(os.path.join(FLEET, "prometheus", "*.test.yml")))
RULES = sorted(set(glob.glob(os.path.join(FLEET, "prometheus", "*.yml"))) - set(RULE_TESTS))

# Names the agent does not export yet (none today). A name added here is
# checked to still be missing, so the list cannot go stale.
NOT_YET_EXPORTED = set()
# Prometheus's own series, not the agent's.
PROMETHEUS_OWN = {"up"}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"instance", "job"}
# Labels whose value differs from store to store: a rule test's input must
# carry them, with any value.
FREE_VALUED = {"store_id", "version"}
SERIES = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$')

NAME = re.compile(r"\b(tillsync_[a-zA-Z0-9_]+|up)\b(\{[^}]*\})?")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"]*)"')  # "=" only: not =~ != !~


def yaml_module():
    try:
        import yaml
        return yaml
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        import yaml  # python3-yaml (scripts/install-deps.sh)
        return yaml


def dashboard_exprs(path):
    """Every PromQL text in a dashboard: panel targets and variable queries."""
    out = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("expr", "definition") and isinstance(x, str):
                    out.append(x)
                elif k == "query" and isinstance(x, str) and x != "prometheus":
                    out.append(x)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    with open(path) as f:
        walk(json.load(f))
    return out


def rule_exprs(path):
    with open(path) as f:
        doc = yaml_module().safe_load(f)
    return [r["expr"] for g in doc["groups"] for r in g["rules"]]


def rule_names(path):
    with open(path) as f:
        doc = yaml_module().safe_load(f)
    return [r["alert"] for g in doc["groups"] for r in g["rules"] if "alert" in r]


def rule_tests(path):
    with open(path) as f:
        return yaml_module().safe_load(f)["tests"]


def uses(exprs):
    """{(metric name, ((label, value), ...)) } of every selector; only exact
    matchers on fixed values count (a $variable or =~ is the user's)."""
    found = set()
    for e in exprs:
        for m in NAME.finditer(e):
            name, braces = m.group(1), m.group(2) or ""
            labels = tuple(sorted((k, v) for k, v in MATCHER.findall(braces) if "$" not in v))
            found.add((name, labels))
    return found


class FleetMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sc = sc.AllGood()
        try:
            cls.sc.start()
            code, _, body = cls.sc.agent.request("GET", "/metrics")
            assert code == 200, (code, body)
            cls.scrape = harness.Scrape(body)
        except BaseException:
            cls.sc.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def exported(self, name, labels):
        """True when /metrics has a sample of name (or a histogram's series)
        with those label values."""
        for (sample, sample_labels) in self.scrape.samples:
            if sample not in (name, name + "_bucket", name + "_count", name + "_sum") and \
                    not (name.endswith("_bucket") and sample == name):
                continue
            if set(labels) <= set(sample_labels):
                return True
        return False

    def check(self, what, exprs):
        self.assertTrue(exprs, "no expressions in " + what)
        used = uses(exprs)
        self.assertTrue(any(n.startswith("tillsync_") for n, _ in used), what)
        missing = []
        for name, labels in sorted(used):
            if name in PROMETHEUS_OWN or name in NOT_YET_EXPORTED:
                continue
            if not self.exported(name, labels):
                missing.append("%s%s" % (name, dict(labels) if labels else ""))
        self.assertEqual(missing, [], "%s uses what /metrics does not have" % what)
        return used

    def test_dashboards(self):
        self.assertTrue(DASHBOARDS)
        for path in DASHBOARDS:
            used = self.check(os.path.relpath(path, FLEET), dashboard_exprs(path))
            print("%s: %d metric selectors" % (os.path.basename(path), len(used)))

    def test_dashboard_variables(self):
        for path in DASHBOARDS:
            with open(path) as f:
                d = json.load(f)
            variables = {v["name"]: v for v in d["templating"]["list"]}
            self.assertEqual(variables["datasource"]["type"], "datasource")
            self.assertEqual(variables["datasource"]["query"], "prometheus")
            self.assertIn("store", variables)
            self.assertIn("instance", variables)
            self.assertIsNone(d.get("id"))  # importable into any Grafana
            for p in d["panels"]:
                self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])

    def test_rules(self):
        self.assertTrue(RULES)
        for path in RULES:
            used = self.check(os.path.relpath(path, FLEET), rule_exprs(path))
            print("%s: %d metric selectors" % (os.path.basename(path), len(used)))

    def test_not_yet_exported_is_still_needed(self):
        """The allow-list holds only names the fleet files use and the agent
        lacks: once the agent exports one, this fails until it is removed."""
        used = {n for p in DASHBOARDS for n, _ in uses(dashboard_exprs(p))}
        used |= {n for p in RULES for n, _ in uses(rule_exprs(p))}
        for name in NOT_YET_EXPORTED:
            self.assertIn(name, used)
            self.assertFalse(self.exported(name, ()), name + " is exported now: "
                             "remove it from NOT_YET_EXPORTED")

    def test_rule_test_inputs(self):
        """The unit tests' input series are shaped like the agent's: each is
        a sample on /metrics with the same label names (less those Prometheus
        adds) and the same values, but for labels that vary by store."""
        self.assertTrue(RULE_TESTS)
        for path in RULE_TESTS:
            series = [s["series"] for t in rule_tests(path) for s in t["input_series"]]
            unlike = [s for s in series if not self.shaped_like_agent(s)]
            self.assertEqual(unlike, [], "%s feeds series unlike /metrics"
                             % os.path.relpath(path, FLEET))
            print("%s: %d input series, all shaped like /metrics" % (os.path.basename(path),
                                                                      len(series)))

    def shaped_like_agent(self, series):
        m = SERIES.match(series)
        self.assertIsNotNone(m, series)
        name = m.group(1)
        labels = dict(MATCHER.findall(m.group(2) or ""))
        if name in PROMETHEUS_OWN:
            return TARGET_LABELS <= set(labels)
        if not TARGET_LABELS <= set(labels):
            return False  # a scraped series always has them
        want = {k: v for k, v in labels.items() if k not in TARGET_LABELS}
        for (sample, sample_labels) in self.scrape.samples:
            got = dict(sample_labels)
            if sample == name and set(got) == set(want) and \
                    all(got[k] == v for k, v in want.items() if k not in FREE_VALUED):
                return True
        return False

    def test_rule_tests_cover_every_alert(self):
        """Every alert has a case where it fires and one where it does not."""
        fires, quiet = set(), set()
        for path in RULE_TESTS:
            for t in rule_tests(path):
                for c in t.get("alert_rule_test", []):
                    (fires if c.get("exp_alerts") else quiet).add(c["alertname"])
        alerts = {a for p in RULES for a in rule_names(p)}
        self.assertEqual(sorted(alerts - fires), [], "alerts never seen firing")
        self.assertEqual(sorted(alerts - quiet), [], "alerts never seen quiet")
        print("rule tests: %d alerts, each seen firing and quiet" % len(alerts))

    def test_promtool_test_rules(self):
        promtool = shutil.which("promtool")
        if not promtool:
            print("promtool not installed (Debian's prometheus package): rule tests not run")
            self.skipTest("promtool not installed")
        self.assertTrue(RULE_TESTS)
        r = subprocess.run([promtool, "test", "rules", *RULE_TESTS], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        print(r.stdout.decode())
        self.assertEqual(r.returncode, 0, r.stdout.decode())

    def test_promtool_check_rules(self):
        promtool = shutil.which("promtool")
        if not promtool:
            print("promtool not installed (Debian's prometheus package): rules not checked")
            self.skipTest("promtool not installed")
        r = subprocess.run([promtool, "check", "rules", *RULES], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        print(r.stdout.decode())
        self.assertEqual(r.returncode, 0, r.stdout.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
