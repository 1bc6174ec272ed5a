package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAPIConcurrent measures what the issue asks of the API: requests per second and
// the p50/p99 latency of get, list (100 and 1000 pods, JSON and Table) and patch with 1, 10
// and 50 concurrent clients over HTTP (each with its own connection), the server logging to
// a file like the player's. b.N requests are shared by the clients.
func BenchmarkAPIConcurrent(b *testing.B) {
	for _, n := range []int{100, 1000} {
		// Room for 50 concurrent writes: with the default 16 the rest get 429 (by design,
		// see Options.MaxMutatingInFlight), and the patch benchmark would measure refusals.
		// The request log goes to a file, as the player's --log does.
		logFile, err := os.Create(filepath.Join(b.TempDir(), "kubetutor.log"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { logFile.Close() })
		opts := api.Options{MaxMutatingInFlight: 64, Logf: log.New(logFile, "", log.LstdFlags|log.Lmicroseconds).Printf}
		st, plain := benchServerWith(b, n, opts)
		// The simulator itself serves TLS, where client-go and kubectl speak HTTP/2: the
		// same handler on the same store, behind httptest's TLS server with HTTP/2 on.
		opts.Token, opts.Clock = testToken, clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 47, 0, time.UTC))
		tlsSrv := httptest.NewUnstartedServer(api.New(st, opts))
		tlsSrv.EnableHTTP2 = true
		tlsSrv.StartTLS()
		b.Cleanup(tlsSrv.Close)
		ops := []struct {
			name   string
			method string
			path   string
			accept string
			body   string
			srv    *httptest.Server
		}{
			{"Get", http.MethodGet, "/api/v1/namespaces/default/pods/web-7", "application/json", "", plain},
			{"GetTLS", http.MethodGet, "/api/v1/namespaces/default/pods/web-7", "application/json", "", tlsSrv},
			{"ListJSON", http.MethodGet, "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx", "application/json", "", plain},
			{"ListTable", http.MethodGet, "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx", tableAccept, "", plain},
			{"Patch", http.MethodPatch, "/api/v1/namespaces/default/pods/web-7", "application/json", `{"metadata":{"labels":{"round":"%d"}}}`, plain},
		}
		for _, op := range ops {
			if n != 100 && (op.name == "Get" || op.name == "GetTLS" || op.name == "Patch") {
				continue // the size of the namespace does not matter to them
			}
			srv := op.srv
			for _, clients := range []int{1, 10, 50} {
				name := fmt.Sprintf("%s/clients=%d", op.name, clients)
				if op.name == "ListJSON" || op.name == "ListTable" {
					name = fmt.Sprintf("%s%d/clients=%d", op.name, n, clients)
				}
				b.Run(name, func(b *testing.B) {
					lat := make([]time.Duration, b.N)
					var next sync.Mutex
					i := 0
					take := func() int {
						next.Lock()
						defer next.Unlock()
						if i >= b.N {
							return -1
						}
						i++
						return i - 1
					}
					// Each client has its own connection, as 50 kubectls would (one shared
					// Transport made the clients queue on its lock), opened before the
					// clock starts: the steady state, not 50 TLS handshakes at once.
					conns := make([]*http.Client, clients)
					for c := range conns {
						tr := srv.Client().Transport.(*http.Transport).Clone()
						defer tr.CloseIdleConnections()
						conns[c] = &http.Client{Transport: tr}
						resp, err := conns[c].Get(srv.URL + "/healthz")
						if err != nil {
							b.Fatal(err)
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					b.ReportAllocs()
					cpu0 := cpuTime(b)
					b.ResetTimer()
					var wg sync.WaitGroup
					errs := make(chan error, clients)
					for c := 0; c < clients; c++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							client := conns[c]
							for k := take(); k >= 0; k = take() {
								var body io.Reader
								if op.body != "" {
									body = bytes.NewBufferString(fmt.Sprintf(op.body, k))
								}
								req, _ := http.NewRequest(op.method, srv.URL+op.path, body)
								req.Header.Set("Accept", op.accept)
								req.Header.Set("Authorization", "Bearer "+testToken)
								if op.body != "" {
									req.Header.Set("Content-Type", "application/strategic-merge-patch+json")
								}
								t := time.Now()
								resp, err := client.Do(req)
								if err != nil {
									errs <- err
									return
								}
								_, err = io.Copy(io.Discard, resp.Body)
								resp.Body.Close()
								lat[k] = time.Since(t)
								if err != nil || resp.StatusCode != http.StatusOK {
									errs <- fmt.Errorf("%s %s: %d %v", op.method, op.path, resp.StatusCode, err)
									return
								}
							}
						}()
					}
					wg.Wait()
					b.StopTimer()
					// CPU of the whole process (server and clients) per request: less
					// sensitive than req/s to the other work sharing the machine.
					b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
					close(errs)
					for err := range errs {
						b.Fatal(err)
					}
					sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
					b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
				})
			}
		}
	}
}

// BenchmarkWatchLatency: the time from a store write to the event at each of 1, 10 or 50
// client-go watchers over HTTP (p50/p99 over all deliveries).
func BenchmarkWatchLatency(b *testing.B) {
	for _, clients := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			st, srv := benchServer(b, 1)
			cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, BearerToken: testToken, QPS: -1})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ws []watch.Interface
			for c := 0; c < clients; c++ {
				w, err := cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{LabelSelector: "app=nginx",
					ResourceVersion: strconv.FormatUint(st.ResourceVersion(), 10)})
				if err != nil {
					b.Fatal(err)
				}
				defer w.Stop()
				ws = append(ws, w)
			}
			obj, err := st.Get(podsRes, "default", "web-0")
			if err != nil {
				b.Fatal(err)
			}
			p := obj.(*corev1.Pod)
			p.ResourceVersion = ""
			lat := make([]time.Duration, 0, b.N*clients)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				round := strconv.Itoa(i)
				p.Labels["round"] = round
				t := time.Now()
				if _, err := st.Update(podsRes, p, store.UpdateOptions{}); err != nil {
					b.Fatal(err)
				}
				for _, w := range ws {
					ev, ok := <-w.ResultChan()
					if !ok || ev.Type != watch.Modified || ev.Object.(*corev1.Pod).Labels["round"] != round {
						b.Fatalf("watch got %v (open %v), want MODIFIED round %s", ev.Type, ok, round)
					}
					lat = append(lat, time.Since(t))
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}

var _ = httptest.NewServer
