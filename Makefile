# ccproxy — every target installs what it needs first (bun from npm when missing).
SHELL := /bin/bash
BUN := $(shell command -v bun 2>/dev/null || echo $(CURDIR)/node_modules/.bin/bun)
SOURCES := $(shell find src -type f) package.json bun.lock

.PHONY: install run dev test typecheck build bench release formula clean bun

bun:
	@command -v bun >/dev/null 2>&1 || { echo "installing bun from npm"; npm install -g bun >/dev/null 2>&1 || npm install --no-save bun; }

node_modules/.installed: package.json bun.lock | bun
	@$(BUN) install --frozen-lockfile
	@touch $@

install: node_modules/.installed

dist/ccproxy: node_modules/.installed $(SOURCES)
	@$(BUN) build --compile --minify src/main.ts --outfile dist/ccproxy

build: dist/ccproxy

run: build
	./dist/ccproxy

dev: install
	$(BUN) run dev

typecheck: install
	$(BUN) run typecheck

test: build
	$(BUN) test

bench: build
	$(BUN) run bench

release: install
	$(BUN) scripts/release.ts

formula: release
	$(BUN) scripts/formula.ts

clean:
	rm -rf dist node_modules
