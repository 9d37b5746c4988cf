"""Forecasts in use: the model bundle, batch prediction (and `hh predict`'s logged run), the REST API, the
prediction log, the GTO registry with its promotion gate, the decision log, and the one runner of git (which
reporting's release and verification use too).

May import: core, dataprep, synth, forecasting, evaluation.
"""
