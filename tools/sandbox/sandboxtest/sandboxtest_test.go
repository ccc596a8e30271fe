package sandboxtest

import (
	"net"
	"slices"
	"testing"
)

func TestListen(t *testing.T) {
	port, hosts := Listen(t)
	if !slices.Contains(hosts, "127.0.0.1") {
		t.Errorf("hosts %v lack the loopback address", hosts)
	}
	for _, h := range hosts {
		c, err := net.Dial("tcp", net.JoinHostPort(h, port))
		if err != nil {
			t.Errorf("%s:%s: %v", h, port, err)
			continue
		}
		c.Close()
	}
}
