"""hh-forecast: weekly unscheduled-maintenance man-hours from fleet utilization."""

__version__ = "0.1.0"
