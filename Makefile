# The test command of the README's quick start. It installs what the tests
# need on a fresh machine, then runs them.
export GOMLX_NO_AUTO_INSTALL := 1
GO ?= go

.PHONY: test check setup notebooks-setup notebooks notebooks-clear

setup:
	@./scripts/setup

# The shell's and the notebooks' packages run every recipe and notebook end
# to end on the embedded models: over go test's default 10-minute limit per
# package on a busy 2-core machine, hence the longer one.
test: setup check
	$(GO) test -timeout 30m ./...

# Jupyter (Debian packages; as root), GoNB, gopls and goimports, and the
# "gonb" kernel: what opening and testing the notebooks needs.
notebooks-setup:
	@./notebooks/setup

# Execute every notebook headless and check its outputs.
notebooks: notebooks-setup
	$(GO) test -count=1 -v -run 'TestSaved|TestExecute' ./notebooks

# Clear the notebooks' outputs, execution counts and timings before committing.
notebooks-clear:
	jupyter nbconvert --clear-output --inplace $(foreach f,execution collapsed scrolled,--ClearOutputPreprocessor.remove_metadata_fields=$(f)) notebooks/*.ipynb

# Static checks that CI also runs: formatting, vet, generated code up to date.
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
