"""Scores that carry their noise: point and interval metrics, expected errors under the exact distribution,
the rolling-origin backtest, paired comparisons, and the results table generated from them.

May import: core, dataprep, synth, forecasting.
"""
