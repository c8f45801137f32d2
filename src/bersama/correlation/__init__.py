"""Correlation: clusters of reports joined by shared observables, and scores (pure parts)."""
