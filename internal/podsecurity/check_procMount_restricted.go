package podsecurity

// procMount_restricted (restricted, v1.35+; replaces procMount)
//
// Reads:   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
// Allows:  unset, "Default", whatever spec.hostUsers says: the restricted
//          level keeps the pre-v1.35 baseline rule without the user-namespace relaxation.

import (
	"github.com/kubeward/kubeward/internal/finding"
)

var checkProcMountRestricted = checkDef{
	id:          "procMount_restricted",
	level:       LevelRestricted,
	title:       "Containers must keep the default /proc mask, even in a user namespace",
	severity:    finding.SeverityMedium,
	description: "At the restricted level containers must leave securityContext.procMount unset or Default, including in pods that run in a user namespace (hostUsers: false).",
	remediation: "Remove securityContext.procMount or set it to Default.",
	versions: []versioned{
		{minVersion: 35, fn: procMountStrict("procMount_restricted"), overrides: []string{"procMount"}},
	},
}
