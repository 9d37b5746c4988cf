"""The simulation study: many synthetic worlds per scenario family, every model fitted and scored on each,
the statistics across worlds, and the study's tables and figure.

One synthetic world cannot say when a network beats simple models: on the default world linear
regression's expected MAE is within a fraction of a percent of the oracle's. Many worlds can, if they
differ where a network might help, and if every comparison carries its interval.

The parts, each importing only those before it:
  worlds      the study's settings, each world's spec and seeds, what one world yields, the parallel backends
  statistics  t intervals, paired tests, Holm's correction, the per-family summary (metrics/study.json)
  output      reports/study.md's tables and sentences, and the figure

May import: core, dataprep, synth, forecasting, evaluation, serving, ops, reporting.
"""
