"""The shared vocabulary every other package builds on: typed configuration (params.yaml), the raw-data
contract, the project's exceptions, atomic byte-stable file output, repository paths, the stage runner, and
TensorFlow's process environment.

May import: nothing else in hhforecast.
"""
