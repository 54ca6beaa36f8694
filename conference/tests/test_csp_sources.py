"""Templates and scripts keep to the Content-Security-Policy (settings.CONTENT_SECURITY_POLICY):
no inline scripts, styles or event handlers, nothing evaluated from strings. The browser tests
check the rendered pages in Chromium; this finds what they do not visit."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

ROOT = Path(settings.BASE_DIR)
TEMPLATE_RULES = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}
SCRIPT_RULES = {
    "eval": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\b"),
    "string timer": re.compile(r"\bset(?:Timeout|Interval)\s*\(\s*['\"`]"),
    "style attribute": re.compile(r"setAttribute\(\s*['\"]style['\"]|\.style\.cssText|cssText\s*="),
    "inline handler": re.compile(r"setAttribute\(\s*['\"]on[a-z]+['\"]"),
    "HTML from strings": re.compile(r"\.(?:innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write"),
}


class CspSourcesTestCase(SimpleTestCase):
    def scan(self, files: list[Path], rules: dict[str, re.Pattern[str]]) -> list[str]:
        found = []
        for path in files:
            for n, line in enumerate(path.read_text().splitlines(), 1):
                found += [f"{path}:{n}: {what}" for what, rule in rules.items() if rule.search(line)]
        return found

    def test_templates(self) -> None:
        files = sorted((ROOT / "templates").rglob("*.html"))
        self.assertTrue(files)
        self.assertEqual(self.scan(files, TEMPLATE_RULES), [])

    def test_scripts(self) -> None:
        files = sorted((ROOT / "static").rglob("*.js"))
        self.assertTrue(files)
        self.assertEqual(self.scan(files, SCRIPT_RULES), [])

    def test_the_rules_find_what_they_look_for(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        bad = Path(tmp.name) / "probe.html"
        bad.write_text('<script>x()</script><p style="color:red" onclick="y()">')
        found = self.scan([bad], TEMPLATE_RULES)
        self.assertEqual(len(found), 3, found)

    def test_the_policy(self) -> None:
        directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
        for name in ("default-src", "script-src", "style-src"):
            self.assertEqual(directives[name], ["'self'"], name)
        self.assertEqual(directives["object-src"], ["'none'"])
