# Conveniences; the README's two commands (scripts/demo.sh, scripts/test.sh) need no make.
.PHONY: build test demo install bench bench-detect bench-restore eval train export fixtures inspect fuzz asan tsan soak
build:
	bash scripts/build.sh
test:
	bash scripts/test.sh
demo:
	bash scripts/demo.sh
install:
	bash scripts/install.sh
# The whole element in real pipelines (docs/BENCHMARKS.md, docs/bench-fps.png).
bench: build
	swift build -c release --product swiftvr-bench
	python3 scripts/bench.py
bench-detect:
	bash scripts/bench-detect.sh
bench-restore:
	bash scripts/bench-restore.sh
# The evaluation table (docs/EVAL.md); MODEL=path to score a restoration model other than the shipped one.
eval: build
	python3 training/evaluate.py $(if $(MODEL),--model $(MODEL))
# Train (resumes from ~/.cache/swiftvr/restorer.pt); export the checkpoint with the best worst-family gain
# as the shipped model and remake the golden fixture from it.
train:
	python3 training/train.py
export:
	python3 -m swiftvr_train.export $(HOME)/.cache/swiftvr/restorer-best.pt models/swiftvr-restorer.safetensors
	python3 training/fixtures/make_golden_fixture.py
# libFuzzer + ASan on each reader and the frame path (docs/RELIABILITY.md); SECONDS per target.
fuzz:
	bash scripts/fuzz.sh $(or $(SECONDS),60)
# The suite and a real pipeline under AddressSanitizer / ThreadSanitizer (docs/RELIABILITY.md).
asan:
	bash scripts/sanitize.sh address
tsan:
	bash scripts/sanitize.sh thread
# Long runs and storms in real pipelines, a table of frames, ERRORs, deadlocks and RSS (docs/RELIABILITY.md).
soak: build
	GST_PLUGIN_PATH=$(CURDIR)/.build/release /usr/bin/python3 scripts/soak.py
inspect: build
	GST_PLUGIN_PATH=$(CURDIR)/.build/release gst-inspect-1.0 swiftvr
# Regenerate the committed test fixtures and the converted detector (needs training/pyproject.toml).
fixtures:
	python3 training/convert_centerface.py
	python3 training/fixtures/make_op_fixtures.py
	python3 training/fixtures/make_centerface_fixtures.py
	python3 training/fixtures/make_golden_fixture.py
	python3 training/fixtures/make_restorer_fixtures.py
	python3 training/fixtures/make_invalid_restorers.py
