"""Bersama: a federated cybercrime intelligence exchange for ASEAN agencies and partners."""

__version__ = "0.1.0"
