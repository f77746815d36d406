"""Ensembles: Monte Carlo over elasticities and intensities, one Dask task per draw (`petra ensemble`).

The `uncertainty` rules are part of the scenario-file schema (`petra.projection.uncertainty_rules`).
Modules: `distributions` (pure sampling of a rule), `sampling`
(reproducible per-draw streams, applying a draw to a dataset), `task` (one draw: calibrate, project,
post-process), `store` (output folder, manifest, resume), `summary` (quantiles, IAMC, fan chart),
`run` (Dask orchestration), `cli`.
"""
