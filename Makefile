# Conveniences; the README's two commands (scripts/demo.sh, scripts/test.sh) need no make.
.PHONY: build test demo install bench-detect fixtures inspect
build:
	bash scripts/build.sh
test:
	bash scripts/test.sh
demo:
	bash scripts/demo.sh
install:
	bash scripts/install.sh
bench-detect:
	bash scripts/bench-detect.sh
inspect: build
	GST_PLUGIN_PATH=$(CURDIR)/.build/release gst-inspect-1.0 swiftvr
# Regenerate the committed test fixtures and the converted detector (needs training/requirements.txt).
fixtures:
	python3 training/convert_centerface.py
	python3 training/fixtures/make_op_fixtures.py
	python3 training/fixtures/make_centerface_fixtures.py
