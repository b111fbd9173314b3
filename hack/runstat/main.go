// Command runstat runs a command and writes its wall time and CPU time
// (user + system, of the command and the children it waited for) in
// seconds with millisecond precision, "WALL CPU", to the file named by -o.
// /usr/bin/time rounds wall time to 10 ms, a fiftieth of a scan here.
//
//	runstat -o FILE COMMAND [ARG...]
//
// The command's standard streams are runstat's; runstat exits with the
// command's exit code.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "file to write \"WALL CPU\" to")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: runstat -o FILE COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "runstat:", err)
		os.Exit(2)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "runstat: no resource usage on this system")
		os.Exit(2)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if err := os.WriteFile(*out, fmt.Appendf(nil, "%.3f %.3f\n", wall.Seconds(), cpu.Seconds()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "runstat:", err)
		os.Exit(2)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
