// Package rules assembles kubeward's one built-in rule registry from the
// rules each engine declares. Every surface (scan, webhook, audit, rbac)
// takes rule metadata from here.
package rules

import (
	"sync"

	"github.com/kubeward/kubeward/internal/apiversions"
	"github.com/kubeward/kubeward/internal/audit"
	"github.com/kubeward/kubeward/internal/auditlog"
	"github.com/kubeward/kubeward/internal/clusterconfig"
	"github.com/kubeward/kubeward/internal/finding"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/secrets"
	"github.com/kubeward/kubeward/internal/tenancy"
)

// all lists the rule sets of every engine. Add an engine's Rules here, once.
func all() [][]finding.Rule {
	return [][]finding.Rule{
		apiversions.Rules(),
		podsecurity.Rules(),
		rbac.Rules(),
		audit.Rules(),
		secrets.Rules(),
		clusterconfig.Rules(),
		tenancy.Rules(),
		auditlog.Rules(),
	}
}

var builtin = sync.OnceValues(func() (*finding.Registry, error) {
	var rs []finding.Rule
	for _, set := range all() {
		rs = append(rs, set...)
	}
	return finding.NewRegistry(rs...)
})

// Builtin returns the validated registry of every built-in rule. It panics
// if the built-in rules are invalid, which the registry test prevents.
func Builtin() *finding.Registry {
	r, err := builtin()
	if err != nil {
		panic("kubeward: invalid built-in rules: " + err.Error())
	}
	return r
}
