"""The models: the Keras network, the baselines behind one fit/predict interface, calibrated prediction
ranges, and what the train stage records about a fit.

May import: core, dataprep, synth.
"""
