// An HTTP server in Go, whose threads wait in epoll, park on futexes, compute and block in syscalls as
// any Go server's do: GET / answers, GET /cpu computes for 1.5 s, and a goroutine blocks in a read of
// stdin all along. It prints its port when it listens.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func compute(d time.Duration) int {
	n, end := 0, time.Now().Add(d)
	for time.Now().Before(end) {
		n++
	}
	return n
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, compute(1500*time.Millisecond)) })
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := os.Stdin.Read(buf); err != nil {
				os.Exit(0) // the test is over
			}
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	http.Serve(ln, nil)
}
