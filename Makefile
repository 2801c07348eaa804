# The test command of the README's quick start. It installs what the tests
# need on a fresh machine, then runs them.
export GOMLX_NO_AUTO_INSTALL := 1
GO ?= go

.PHONY: test check setup

setup:
	@./scripts/setup

test: setup check
	$(GO) test ./...

# Static checks that CI also runs: formatting, vet, generated code up to date.
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
