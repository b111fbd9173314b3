# kubeward developer tasks. `make test` is the whole suite CI runs.
GO ?= go
PKGS := ./...

.PHONY: all build test unit e2e lint fuzz bench rules-doc

all: build

# krusty imports Go's plugin package, which in a cgo build makes the linker
# export every symbol (118 MB instead of 51 MB); kubeward loads no plugins.
TAGS := kustomize_disable_go_plugin_support

build:
	$(GO) build -tags $(TAGS) -o bin/kubeward ./cmd/kubeward

## test: formatting, vet, unit + conformance + differential tests, then the
## end-to-end suite against a real kube-apiserver (built once into
## ~/.cache/kubeward-e2e; the first build takes 12-36 minutes).
test: lint unit e2e

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 $(PKGS)

e2e:
	./hack/e2e.sh

## bench: the hot-path benchmarks with their reference implementations.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/podsecurity ./internal/manifest ./internal/scan ./internal/admission ./internal/webhook ./internal/rbac ./internal/netpol

## fuzz: every fuzz target in turn for FUZZTIME each (default 10s), e.g.
## `make fuzz FUZZTIME=60s`. New inputs are minimized for at most 5s.
FUZZTIME ?= 10s
FUZZ_TARGETS := \
	internal/abac:FuzzParseLine internal/cli/config:FuzzParse \
	internal/admission:FuzzParseConfig internal/admission:FuzzParseExemptions internal/admission:FuzzParseAnyConfig \
	internal/auditpolicy:FuzzDecode internal/clusterconfig:FuzzArgs internal/clusterconfig:FuzzCheck internal/encryption:FuzzDecode \
	internal/auditlog:FuzzDecodeAndAnalyze internal/auditlog:FuzzHandler \
	internal/manifest:FuzzDecode internal/manifest:FuzzToJSON \
	internal/netpol:FuzzDifferential \
	internal/podsecurity:FuzzEvaluate internal/psp:FuzzDecode \
	internal/rbac:FuzzDecodeReviews \
	internal/secrets:FuzzClassify internal/secrets:FuzzWriteKeys internal/secrets:FuzzCredential \
	internal/webhook:FuzzFastDecode internal/webhook:FuzzHandler internal/webhook:FuzzReviewEnvelope
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "== $$pkg $$fn"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s; \
	done

## rules-doc: regenerate docs/rules.md from the rule registry.
rules-doc:
	$(GO) test ./internal/rules -run TestRulesDoc -update
