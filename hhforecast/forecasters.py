"""The module path that baselines pickled before the subpackages record; they still load for `hh rollback`.

New code imports `hhforecast.forecasting.forecasters`.
"""

from hhforecast.forecasting.forecasters import *  # noqa: F403
