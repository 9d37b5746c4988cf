"""Unattended operation: monitoring of error, drift and collection, the status `hh monitor` reports, the run
log's runs, alerts, and the raw-folder check.

May import: core, dataprep, synth, forecasting, evaluation, serving.
"""
