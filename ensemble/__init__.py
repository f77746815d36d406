"""Ensembles: Monte Carlo over elasticities and intensities, one Dask task per draw (`petra ensemble`).

Modules: `distributions` (the scenario file's `uncertainty` rules, pure sampling), `sampling`
(reproducible per-draw streams, applying a draw to a dataset), `task` (one draw: calibrate, project,
post-process), `store` (output folder, manifest, resume), `summary` (quantiles, IAMC, fan chart),
`run` (Dask orchestration), `cli`. This module imports nothing heavy: the scenario-file schema
imports `petra.ensemble.distributions`.
"""
