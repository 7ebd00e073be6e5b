"""Brightline: fair, evidence-based engineering performance management."""

__version__ = "0.1.0"
