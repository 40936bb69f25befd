"""Shared test settings. Keep this file small: fixtures live beside the tests that use them.

Hypothesis profiles (no test sets ``max_examples`` itself):

* ``dev`` (the default): a quick run while developing, 100 examples per property test.
* ``ci``: thousands of examples, loaded when ``CI`` is set (``.ci/run`` sets ``CI=true``) or when
  ``HYPOTHESIS_PROFILE=ci``. Like Hypothesis's own CI settings it is derandomized (a CI failure
  reproduces on rerun), keeps no example database and prints the blob that replays a failure.

``HYPOTHESIS_PROFILE`` names a profile explicitly and wins over ``CI``.
"""

from hypothesis import HealthCheck, settings

from tests.support.properties import hypothesis_profile

# No deadline and no too-slow health check: a busy machine must not turn a property test into a flake.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=100, **_COMMON)
settings.register_profile("ci", max_examples=2000, derandomize=True, database=None, print_blob=True, **_COMMON)
settings.load_profile(hypothesis_profile())
