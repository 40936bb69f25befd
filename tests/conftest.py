"""Shared test settings. Keep this file small: fixtures live beside the tests that use them."""

from hypothesis import HealthCheck, settings

# Property tests run thousands of examples; a slow CI machine must not turn that into a flake.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
