"""Unattended operation: monitoring of error, drift and collection, alerts, and the raw-folder check.

May import: core, dataprep, synth, forecasting, evaluation, serving.
"""
