"""Benchmarks of fastapi-db: the CLI and the generated app against baselines."""
