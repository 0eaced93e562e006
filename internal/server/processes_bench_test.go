package server

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"vigil/internal/engine"
	"vigil/internal/proctree"
	"vigil/internal/store"
)

// BenchmarkProcessTree is issue 17's tree figure: the tree around an
// alert's Python parent (7 shell children, ancestors, siblings) built from
// a store holding VIGIL_BENCH_EVENTS process events (default 100,000;
// docs/investigate.md records 1,000,000) on 100 hosts, each process a
// start and an end event of Defend's shape (~900 bytes). It reports the
// store's disk use per million events (disk-MB/Mevents).
//
//	VIGIL_BENCH_EVENTS=1000000 go test ./internal/server -run '^$' -bench BenchmarkProcessTree -benchtime 200x
func BenchmarkProcessTree(b *testing.B) {
	n := 100_000
	if v := os.Getenv("VIGIL_BENCH_EVENTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	st, focus, bytes := benchStore(b, n)
	srv := &Server{store: st}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr, err := proctree.Build(storeSource{st}, focus[i%len(focus)], proctree.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.markNodes(tr.Nodes, nil); err != nil {
			b.Fatal(err)
		}
		if len(tr.Nodes) < 8 {
			b.Fatalf("%d nodes", len(tr.Nodes))
		}
	}
	b.ReportMetric(float64(bytes)/1e6/(float64(n)/1e6), "disk-MB/Mevents")
}

// benchStores holds the filled stores by size: the benchmark function
// runs more than once (b.N=1 first), the fill once.
type benchFill struct {
	dir   string
	st    *store.Store
	focus []string
	bytes int64
}

var benchStores = map[int]benchFill{}

// TestMain removes the benchmark's stores (a million events are 1.6 GB).
func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range benchStores {
		c.st.Close()
		os.RemoveAll(c.dir)
	}
	os.Exit(code)
}

// benchStore opens (filling on first use) a store of n process events,
// its Python parents, and its size on disk. It stays open for the process.
func benchStore(b *testing.B, n int) (*store.Store, []string, int64) {
	if c, ok := benchStores[n]; ok {
		return c.st, c.focus, c.bytes
	}
	dir, err := os.MkdirTemp("", "vigil-bench-")
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		b.Fatal(err)
	}
	focus := fillProcesses(b, st, n)
	var bytes int64
	for _, f := range []string{"vigil.db", "vigil.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			bytes += fi.Size()
		}
	}
	benchStores[n] = benchFill{dir, st, focus, bytes}
	return st, focus, bytes
}

// fillProcesses stores n process events: per host an init, sessions
// under it, and per session a shell with a Python child that runs seven
// shells (the seed rule's shape), the rest random processes under random
// parents. It returns the Python parents.
func fillProcesses(b *testing.B, st *store.Store, n int) []string {
	const hosts = 100
	rng := rand.New(rand.NewPCG(1, 2))
	var batch []store.ProcessEvent
	var focus []string
	t0 := int64(1795165200000)
	count := 0
	add := func(host, id, parent, name, cmd string, pid int, at int64) {
		for _, end := range []bool{false, true} {
			if count >= n {
				return
			}
			typ, at := "start", at
			if end {
				typ, at = "end", at+60_000
			}
			src := defendProcess(host, id, parent, name, cmd, typ, pid, at)
			batch = append(batch, store.ProcessEvent{DocID: fmt.Sprintf("%s-%s", id, typ), Index: processIndex, Time: at, Host: host,
				EntityID: id, ParentEntityID: parent, Source: []byte(src)})
			count++
		}
		if len(batch) >= 5000 {
			if err := st.PutProcesses(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	perHost := make([][]string, hosts)
	for h := 0; count < n; h = (h + 1) % hosts {
		host := "host-" + strconv.Itoa(h)
		at := t0 + int64(count)*10
		if perHost[h] == nil {
			init := host + "-init"
			add(host, init, "", "systemd", "/sbin/init", 1, at)
			perHost[h] = []string{init}
		}
		pid := 100 + len(perHost[h])
		id := fmt.Sprintf("%s-%d", host, count)
		if rng.IntN(20) == 0 { // a session: bash, python, seven shells
			add(host, id, perHost[h][0], "bash", "-bash", pid, at)
			py := id + "-py"
			add(host, py, id, "python3", "python3 job.py", pid+1, at+1)
			focus = append(focus, py)
			for k := range 7 {
				add(host, fmt.Sprintf("%s-sh%d", py, k), py, "sh", "sh -c whoami", pid+2+k, at+2+int64(k))
			}
			perHost[h] = append(perHost[h], id)
			continue
		}
		parent := perHost[h][rng.IntN(len(perHost[h]))]
		add(host, id, parent, "worker", "/usr/bin/worker --run", pid, at)
		if len(perHost[h]) < 5000 {
			perHost[h] = append(perHost[h], id)
		}
	}
	if err := st.PutProcesses(batch); err != nil {
		b.Fatal(err)
	}
	if len(focus) == 0 {
		b.Fatal("no session")
	}
	return focus
}

// defendProcess is a process event of Elastic Defend's shape (~900 bytes).
func defendProcess(host, id, parent, name, cmd, typ string, pid int, at int64) string {
	return fmt.Sprintf(`{"@timestamp":%q,"agent":{"id":"agent-%s","type":"endpoint","version":"8.15.2"},"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"},"ecs":{"version":"8.11.0"},"event":{"action":"exec","category":["process"],"dataset":"endpoint.events.process","kind":"event","module":"endpoint","outcome":"success","type":[%q]},"host":{"architecture":"x86_64","hostname":%q,"id":%q,"name":%q,"os":{"family":"ubuntu","full":"Ubuntu 22.04.4","kernel":"5.15.0-105-generic","name":"Ubuntu","platform":"ubuntu","type":"linux","version":"22.04.4"}},"process":{"Ext":{"ancestry":[%q]},"args":["%s"],"args_count":1,"command_line":%q,"entity_id":%q,"executable":"/usr/bin/%s","name":%q,"parent":{"entity_id":%q,"pid":%d},"pid":%d,"user":{"id":"0","name":"root"},"working_directory":"/"},"user":{"id":"0","name":"root"}}`,
		apiTime(at), host, typ, host, host, host, parent, name, cmd, id, name, name, parent, pid-1, pid)
}

// BenchmarkProcessCapture is the process store's share of ingest: the
// lines of accepted requests (all Defend process events, as under
// bench/serve-load) handed to the process writer, keyed and written to the
// store. It reports the writer's cost per event (ns/event).
//
//	go test ./internal/server -run '^$' -bench BenchmarkProcessCapture -count 4
func BenchmarkProcessCapture(b *testing.B) {
	const batch, batches = 500, 8
	reqs := make([][]procLine, batches)
	for r := range reqs {
		for i := range batch {
			n := r*batch + i
			host := "host-" + strconv.Itoa(n%50)
			id := fmt.Sprintf("%s-%d", host, n)
			reqs[r] = noteProcess(reqs[r], []byte(defendProcess(host, id, host+"-init", "sh", "sh -c whoami", "start", 100+n, 1795165200000+int64(n))), processIndex, "", nil)
		}
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "vigil.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w := newProcWriter(st, (&engine.Catalog{}).DecoderMapping(), func(err error) { b.Error(err) }, func() bool { return false })
	defer w.close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range reqs { // the same ids again: the store skips them, the writer still keys them
			w.put(r)
		}
		w.flush()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch*batches), "ns/event")
}
