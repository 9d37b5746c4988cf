"""Forecasts in use: the model bundle, batch prediction, the REST API, the prediction log, the GTO registry
with its promotion gate, and the decision log.

May import: core, dataprep, synth, forecasting, evaluation.
"""
