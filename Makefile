# One entry per routine task; README.md's two commands are `make demo` and `make test` spelled out.
.PHONY: setup demo test lint bench
setup:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'
demo: setup
	.venv/bin/tradelens demo
test:
	bash .ci/run
lint:
	.venv/bin/ruff check analytics migrations tests benchmarks
	.venv/bin/ruff format --check analytics migrations tests benchmarks
bench: setup
	.venv/bin/python benchmarks/run.py
