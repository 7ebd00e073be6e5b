# Brightline. `make run` to try it, `make test` to test it; both set everything up first.
.PHONY: run test setup lint bench

run:
	scripts/run.sh

test:
	scripts/test.sh

setup:
	scripts/setup.sh

lint:
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy

bench:
	.venv/bin/python bench/bench_git_parse.py
	.venv/bin/python bench/bench_dora.py
