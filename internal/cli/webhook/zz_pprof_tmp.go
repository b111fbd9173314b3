package webhook

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if a := os.Getenv("KW_PPROF"); a != "" {
		go http.ListenAndServe(a, nil)
	}
}
