"""Django's test runner, except that a run that found no tests fails."""

from __future__ import annotations

import unittest
from typing import Any

from django.test.runner import DiscoverRunner


class Runner(DiscoverRunner):
    def run_suite(self, suite: unittest.TestSuite, **kwargs: Any) -> unittest.TextTestResult:
        if suite.countTestCases() == 0:
            raise SystemExit("no tests found: refusing to report success")
        return super().run_suite(suite, **kwargs)
