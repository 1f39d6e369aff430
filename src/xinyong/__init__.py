"""xinyong: a public credit information system built with the safeguards the real one lacks."""

__version__ = "0.1.0"
