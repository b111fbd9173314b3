// Command kubeward enforces and audits the Kubernetes security model: Pod
// Security Standards, Pod Security Admission, RBAC and more. See README.md.
package main

import (
	"os"

	"github.com/kubeward/kubeward/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
