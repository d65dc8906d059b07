"""Shared kernel: money, exchange rates, fiscal calendar, clock, errors and settings."""
