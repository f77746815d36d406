"""Scenario files shipped with petra (default.yaml: the default scenarios of `petra run`)."""
