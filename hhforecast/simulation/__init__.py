"""The simulation study: many synthetic worlds per scenario family, every model fitted and scored on each,
the statistics across worlds, and the study's tables and figure.

One synthetic world cannot say when a network beats simple models: on the default world linear
regression's expected MAE is within a fraction of a percent of the oracle's. Many worlds can, if they
differ where a network might help, and if every comparison carries its interval.

The parts, none importing another (the study's settings are config.study_section, the level whose
coverage it reports config.STUDY_LEVEL), so the summary stage loads neither the worlds nor what they need:
  worlds      each world's spec and seeds, what one world yields, the parallel backends
  statistics  the blocks' world results, t intervals, paired tests, Holm's correction, the per-family summary
              (metrics/study.json)
  output      reports/study.md's tables and sentences, the figure, the thesis's study table

May import: core, dataprep, synth, forecasting, evaluation, serving, ops, reporting.
"""
