"""The simulation study: many synthetic worlds per scenario family, every model fitted and scored on each,
the statistics across worlds, and the study's tables and figure.

May import: core, dataprep, synth, forecasting, evaluation, serving, ops, reporting.
"""
