# The two everyday commands: `make run` and `make test`. Both install missing system packages first.
GRAPH ?= graphs/dashtailor.yaml
MODELS ?= graphs/models

.PHONY: dependencies run test

dependencies:
	@./scripts/install-dependencies.sh

run: dependencies
	swift build -c release --product loom
	.build/release/loom run $(GRAPH) --models-dir $(MODELS) --input-directory graphs/input --output-directory output

test: dependencies
	swift build --build-tests
	swift test --skip-build
	scripts/test-embedding.sh

# Server checks outside `make test`: ComfyUI's web frontend in headless Chromium, ComfyUI clients from PyPI,
# a load test and a kill -9 restart. Each builds loom and uses a Python environment of its own under .build.
SCRIPTS_VENV = .build/scripts-venv
SCRIPTS_PYTHON = $(SCRIPTS_VENV)/bin/python
# The ComfyUI web frontend the browser test drives (1.58 reads the queue and history only through /api/jobs).
FRONTEND_VERSION = 1.58.1

template-check: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) scripts/template-check.py

.PHONY: loom-debug template-check browser-test client-test sdk-test script-test catapult-test autograph-test load-test kill-test server-checks fuzz

$(SCRIPTS_PYTHON):
	python3 -m venv $(SCRIPTS_VENV)
	$(SCRIPTS_PYTHON) -m pip install -q comfyui-frontend-package==$(FRONTEND_VERSION) comfy-api-simplified websocket-client

loom-debug: dependencies
	nice -n 15 swift build --product loom

browser-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) -m pip install -q comfyui-frontend-package==$(FRONTEND_VERSION) comfyui-workflow-templates
	scripts/browser-test.sh $(SCRIPTS_PYTHON)

client-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) scripts/pypi-client-test.py

sdk-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) -m pip install -q comfy-api-proxy comfy-sdk
	$(SCRIPTS_PYTHON) scripts/comfy-sdk-test.py

script-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) -m pip install -q "comfy-script[client]" tqdm
	$(SCRIPTS_PYTHON) scripts/comfy-script-test.py

autograph-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) -m pip install -q comfyui-autograph comfyui-workflow-templates
	$(SCRIPTS_PYTHON) scripts/autograph-test.py

catapult-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) -m pip install -q comfy-catapult
	$(SCRIPTS_PYTHON) scripts/comfy-catapult-test.py

load-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) scripts/load-test.py

kill-test: loom-debug $(SCRIPTS_PYTHON)
	$(SCRIPTS_PYTHON) scripts/kill-restart-test.py

server-checks: browser-test client-test sdk-test script-test catapult-test autograph-test load-test kill-test

# Mutated workflows, model files and images fed to Loom's readers for FUZZ_SECONDS (not part of `make test`).
# Any crash, hang or runaway allocation fails the target and leaves the input under .build/fuzz.
FUZZ_SECONDS ?= 120

fuzz: dependencies
	nice -n 10 swift build --product loom-fuzz
	scripts/fuzz.sh $(FUZZ_SECONDS)
