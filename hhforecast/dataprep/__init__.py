"""From raw exports to the validated weekly dataset: ingest, clean, ISO weeks, daily and weekly tables, the
dataset's columns, schema and splits, and the physical bounds on a week's features.

May import: core.
"""
