// Package sandboxtest helps test a sandbox: a TCP server that the host
// itself reaches, for the tests that a sandbox has no network.
package sandboxtest

import (
	"net"
	"strconv"
	"testing"
)

// Listen starts a TCP server on every interface that accepts and closes
// each connection until the test ends. It returns the server's port and
// the addresses the host reaches it by: the loopback address and the first
// other IPv4 address of the host, if any. A sandbox that reaches none of
// them has no network to the host.
func Listen(t testing.TB) (port string, hosts []string) {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	candidates := []string{"127.0.0.1"}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && !ip.IP.IsLoopback() {
				candidates = append(candidates, ip.IP.String())
				break
			}
		}
	}
	for _, h := range candidates {
		c, err := net.Dial("tcp", net.JoinHostPort(h, port))
		if err != nil {
			t.Logf("sandboxtest: the host cannot reach %s:%s itself (%v); not probing it", h, port, err)
			continue
		}
		c.Close()
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		t.Fatalf("sandboxtest: the host reaches its own server on port %s by none of %v", port, candidates)
	}
	return port, hosts
}
