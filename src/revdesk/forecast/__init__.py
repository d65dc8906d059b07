"""Forecasting: methods side by side, submission roll-up, honest backtests, accuracy tracking."""
