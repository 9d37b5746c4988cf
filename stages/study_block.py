"""Run one block of the simulation study (study/dvc.yaml stage `worlds`): FAMILY FIRST -> its JSON.

A block is study.block_size worlds numbered from FIRST; its fits share one pool, so the workers'
start-up (Python, TensorFlow) is paid once per block, not once per world.
"""

from __future__ import annotations

import argparse

from hhforecast.core import config, io, paths
from hhforecast.core.errors import ConfigError
from hhforecast.core.stage import run, say
from hhforecast.forecasting import forecasters
from hhforecast.simulation import worlds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("family")
    parser.add_argument("first", type=int, help="the block's first world (one of study.blocks)")
    args = parser.parse_args()
    params = config.load()
    study = config.study_section(params)
    if args.first not in study.blocks:
        raise ConfigError(f"study.blocks: no block starts at world {args.first} (blocks: {study.blocks})")
    specs = [worlds.world_spec(params, args.family, world) for world in study.block(args.first)]
    results = worlds.run_worlds(specs, params.split, params.monitor, study.backend, study.scheduler, study.n_jobs)
    io.write_json_atomic(
        io.rounded({"family": args.family, "worlds": results}), paths.study_block(args.family, args.first)
    )
    ratios = ", ".join(f"{r['models'][forecasters.NETWORK]['ratio']:.3f}" for r in results)
    say("study", f"{args.family} worlds {specs[0].world}-{specs[-1].world}: network ratio {ratios}")


if __name__ == "__main__":
    run(main, "study")
