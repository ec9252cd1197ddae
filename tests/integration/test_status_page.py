"""GET / (the store manager's page) without a browser: the page the agent
serves is the one in agent/www/status.html, with no-store, a strict CSP
whose hashes match the page's own inline script and style, nothing loaded
from outside the agent; and with a status token, the page itself stays open
while its data (/v1/status, /metrics) needs the token."""
import base64
import hashlib
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402

PAGE_SOURCE = os.path.join(harness.SOURCE_DIR, "agent", "www", "status.html")


def csp_directives(header):
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def inline_hash(page, tag):
    m = re.search(r"<%s>(.*?)</%s>" % (tag, tag), page, re.S)
    assert m, "no <%s> block in the page" % tag
    digest = hashlib.sha256(m.group(1).encode("utf-8")).digest()
    return "'sha256-%s'" % base64.b64encode(digest).decode()


class StatusPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir("status-page")
        cls.agent = harness.Agent(cls.workdir).start()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        harness.cleanup(cls.workdir)

    def test_serves_the_embedded_page(self):
        status, headers, body = self.agent.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertEqual(headers.get("x-content-type-options"), "nosniff")
        # The source, with the word tables (agent/www/i18n/) in place of
        # its marker, as agent/www/embed.cmake puts them at build time.
        m = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', body, re.S)
        self.assertIsNotNone(m, "the word tables are not in the page")
        tables = json.loads(m.group(1))
        i18n_dir = os.path.join(os.path.dirname(PAGE_SOURCE), "i18n")
        for lang in ("en", "fr", "de", "es", "nl"):
            with open(os.path.join(i18n_dir, lang + ".json"), encoding="utf-8") as f:
                self.assertEqual(tables[lang], json.load(f), lang)
        with open(PAGE_SOURCE, encoding="utf-8") as f:
            self.assertEqual(body[:m.start()] + "<!--i18n-tables-->" + body[m.end():], f.read(),
                             "the agent serves another page than the source")

    def test_csp_allows_exactly_the_inline_script_and_style(self):
        status, headers, body = self.agent.request("GET", "/")
        self.assertEqual(status, 200)
        csp = csp_directives(headers["content-security-policy"])
        self.assertEqual(csp["default-src"], ["'self'"])
        self.assertEqual(csp["script-src"], [inline_hash(body, "script")])
        self.assertEqual(csp["style-src"], [inline_hash(body, "style")])
        self.assertEqual(csp["connect-src"], ["'self'"])
        self.assertEqual(csp["frame-ancestors"], ["'none'"])
        self.assertNotIn("'unsafe-inline'", headers["content-security-policy"])
        self.assertNotIn("'unsafe-eval'", headers["content-security-policy"])

    def test_nothing_from_outside_the_agent(self):
        _, _, body = self.agent.request("GET", "/")
        # No absolute or protocol-relative URL in src/href/url()/fetch().
        refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", body)
        refs += re.findall(r"""url\(\s*["']?([^)"']*)""", body)
        refs += re.findall(r"""fetch\(\s*["']([^"']*)["']""", body)
        self.assertTrue(refs, "the page fetches nothing?")
        for ref in refs:
            self.assertFalse(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", ref, re.I),
                             "outside reference in the page: " + ref)
        self.assertNotRegex(body, r"<(?:iframe|object|embed)\b")
        self.assertNotRegex(body, r"@import")

    def test_refreshes_from_v1_status(self):
        _, _, body = self.agent.request("GET", "/")
        self.assertIn('fetch("/v1/status"', body)
        self.assertNotRegex(body, r"http-equiv\s*=\s*[\"']refresh", "no full-page reload")


class StatusPageWithToken(unittest.TestCase):
    TOKEN = "manager-token-7f3a"

    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir("status-token")
        cls.agent = harness.Agent(cls.workdir, overrides={
            "status_token_sha256": harness.sha256_hex(cls.TOKEN)}).start()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        harness.cleanup(cls.workdir)

    def test_page_is_open_its_data_is_not(self):
        status, _, body = self.agent.request("GET", "/")
        self.assertEqual(status, 200, "the page must load without the token to ask for it")
        self.assertIn("<form id=\"token-box\"", body)
        for path in ("/v1/status", "/metrics"):
            status, headers, _ = self.agent.request("GET", path)
            self.assertEqual(status, 401, path)
            status, _, _ = self.agent.request("GET", path, token="wrong-token")
            self.assertEqual(status, 401, path)
            status, _, _ = self.agent.request("GET", path, token=self.TOKEN)
            self.assertEqual(status, 200, path)
        status, _, _ = self.agent.request("GET", "/healthz")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
