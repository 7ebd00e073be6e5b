# Brightline. `make run` to try it, `make test` to test it; both set everything up first.
.PHONY: run test setup lint bench

run:
	scripts/run.sh

test:
	scripts/test.sh

setup:
	scripts/setup.sh

lint: setup
	.venv/bin/ruff check src tests bench tools
	.venv/bin/mypy

# Each benchmark prints ratios measured in one run; none is a pass/fail test (these machines are noisy).
bench: setup
	.venv/bin/python bench/bench_git_parse.py
	.venv/bin/python bench/bench_ingest.py
	.venv/bin/python bench/bench_dora.py
	.venv/bin/python bench/bench_embeddings.py
	.venv/bin/python bench/bench_nlp.py
	.venv/bin/python bench/bench_insights.py
	.venv/bin/python bench/narrative_eval.py
	.venv/bin/python bench/themes_eval.py --all
