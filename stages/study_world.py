"""Run one world of the simulation study (study/dvc.yaml stage `world`): FAMILY WORLD -> its JSON."""
from __future__ import annotations

import argparse

from hhforecast import config, io, paths, study
from hhforecast.stage import run, say


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("family")
    parser.add_argument("world", type=int)
    args = parser.parse_args()
    params = config.load()
    spec = study.world_spec(params, args.family, args.world)
    settings = params.study
    [result] = study.run_worlds([spec], params.split, params.monitor, settings.backend, settings.scheduler,
                                settings.n_jobs)
    io.write_json_atomic(io.rounded(result), paths.study_world(args.family, args.world))
    say("study", f"{spec.label}: network ratio {result['models'][study.NETWORK]['ratio']:.3f}")


if __name__ == "__main__":
    run(main, "study")
