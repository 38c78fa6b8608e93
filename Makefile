# The two everyday commands: `make run` and `make test`. Both install missing system packages first.
GRAPH ?= graphs/dashtailor-composite.yaml

.PHONY: dependencies run test

dependencies:
	@./scripts/install-dependencies.sh

run: dependencies
	swift build -c release --product loom
	.build/release/loom run $(GRAPH) --input-directory graphs/input --output-directory output

test: dependencies
	swift build --build-tests
	swift test --skip-build
