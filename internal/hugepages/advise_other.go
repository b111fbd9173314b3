//go:build !linux

package hugepages

import "errors"

func advise([][]byte) (int, error) {
	return 0, errors.New("transparent huge pages are a Linux feature")
}
