"""AI FinOps: govern AI spend from the finance team's Google Sheet."""

__version__ = "0.1.0"
