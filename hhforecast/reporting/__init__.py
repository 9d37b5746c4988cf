"""What readers see: the HTML report and its figures, the thesis figures and tables, the metric verification,
and what a release says.

May import: core, dataprep, synth, forecasting, evaluation, serving, ops.
"""
