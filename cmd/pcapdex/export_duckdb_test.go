package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
)

// duckdbCaptures are the corpus captures whose export DuckDB reads back: HTTP between a few
// hosts, a peer-to-peer capture with a thousand flows (timestamps in 1970), and a pcapng
// file of two interfaces whose traffic spans three hours.
var duckdbCaptures = []string{"example.pcap", "gnutella.pcap", "pcapng-example.pcapng"}

// duckdbNodePath returns the node_modules folder holding @duckdb/node-api
// ($PCAPDEX_DUCKDB_NODE_PATH, set by .ci/run) or skips the test.
func duckdbNodePath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("PCAPDEX_DUCKDB_NODE_PATH")
	if p == "" {
		t.Skip("PCAPDEX_DUCKDB_NODE_PATH is not set (.ci/run installs @duckdb/node-api and sets it)")
	}
	if _, err := os.Stat(filepath.Join(p, "@duckdb", "node-api")); err != nil {
		t.Skipf("no @duckdb/node-api in %s: %v", p, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	return p
}

// duckdb runs queries with DuckDB and returns each one's rows as comma-joined lines.
func duckdb(t *testing.T, nodePath string, queries []string) [][]string {
	t.Helper()
	qf := filepath.Join(t.TempDir(), "queries.json")
	b, _ := json.Marshal(queries)
	if err := os.WriteFile(qf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "../../export/testdata/duckdb-query.cjs", qf)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("duckdb: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var rows [][]string
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("duckdb output: %v\n%s", err, out)
	}
	return rows
}

// csvBody returns pcapdex's CSV output without its header line, each line cut to its first
// n fields (n <= 0: all).
func csvBody(t *testing.T, out string, n int) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")[1:]
	for i, l := range lines {
		if n > 0 {
			f := strings.Split(l, ",")
			l = strings.Join(f[:n], ",")
		}
		// An empty string prints as "" in CSV, as nothing from the DuckDB script.
		lines[i] = strings.ReplaceAll(l, `,""`, ",")
	}
	return lines
}

// snapshot lists every file under dir with its size and modification time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		m[p] = fmt.Sprint(st.Size(), st.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sortTop orders "addr,flows,packets,bytes" lines by bytes (largest first), then address,
// so that ties rank alike whichever engine broke them.
func sortTop(lines []string) {
	key := func(l string) (uint64, netip.Addr) {
		f := strings.Split(l, ",")
		b, _ := strconv.ParseUint(f[3], 10, 64)
		a, _ := netip.ParseAddr(f[0])
		return b, a
	}
	slices.SortFunc(lines, func(x, y string) int {
		bx, ax := key(x)
		by, ay := key(y)
		return cmp.Or(cmp.Compare(by, bx), ax.Compare(ay))
	})
}

// TestExportDuckDB exports three corpus captures to Parquet and asks DuckDB what pcapdex's
// own commands answer: the flows of a host, bytes per hour and the top 20 sources. A
// rerun of the export writes nothing.
func TestExportDuckDB(t *testing.T) {
	nodePath := duckdbNodePath(t)
	corpus := testcorpus.Dir(t)
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	var caps []string
	for _, name := range duckdbCaptures {
		b, err := os.ReadFile(filepath.Join(corpus, name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		caps = append(caps, p)
	}
	export := func() {
		for _, table := range []string{"flows", "series"} {
			if _, se, code := runCLI(t, append([]string{"export", "--table", table, "-o", lake, "--jobs", "2"}, caps...)...); code != 0 {
				t.Fatalf("export --table %s: exit %d\n%s", table, code, se)
			}
		}
	}
	export()
	before := snapshot(t, lake)
	export()
	if after := snapshot(t, lake); !maps_equal(before, after) {
		t.Errorf("a rerun of the export changed the output directory:\nbefore %v\nafter  %v", before, after)
	}

	flows := fmt.Sprintf("read_parquet('%s/flows/**/*.parquet', hive_partitioning = true)", lake)
	series := fmt.Sprintf("read_parquet('%s/series/**/*.parquet', hive_partitioning = true)", lake)
	epoch := func(col string) string {
		return fmt.Sprintf("printf('%%d.%%09d', %s // 1000000000, %s %% 1000000000)", col, col)
	}
	const flowCols = "flow_id,community_id,proto,orig_h,orig_p,resp_h,resp_p,ts,orig_pkts,resp_pkts,orig_ip_bytes,resp_ip_bytes,conn_state,history"
	for _, p := range caps {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			out, se, code := runCLI(t, "top", p, "--by", "src", "-n", "0", "--format", "csv")
			if code != 0 {
				t.Fatalf("top: exit %d: %s", code, se)
			}
			top := csvBody(t, out, 4)
			host := strings.Split(top[0], ",")[0]
			out, se, code = runCLI(t, "flows", p, "--format", "csv", "--time", "epoch", "--columns", flowCols, "host", host)
			if code != 0 {
				t.Fatalf("flows: exit %d: %s", code, se)
			}
			hostFlows := csvBody(t, out, 0)
			out, se, code = runCLI(t, "timeline", p, "--bucket", "1h", "--format", "csv", "--time", "epoch")
			if code != 0 {
				t.Fatalf("timeline: exit %d: %s", code, se)
			}
			var perHour []string
			for _, l := range csvBody(t, out, 0) {
				if !strings.Contains(l, ",0,") {
					perHour = append(perHour, l)
				}
			}
			q := []string{
				fmt.Sprintf(`select flow_id, community_id, proto, orig_h, orig_p, resp_h, resp_p, %s, orig_pkts,
					resp_pkts, orig_ip_bytes, resp_ip_bytes, conn_state, history from %s
					where capture = '%s' and (orig_h = '%s' or resp_h = '%s') order by flow_id`,
					epoch("ts_ns"), flows, name, host, host),
				fmt.Sprintf(`select %s, sum(packets), sum(bytes) from (select ts_ns // 3600000000000 * 3600000000000 as h,
					packets, bytes from %s where capture = '%s') group by h order by h`, epoch("h"), series, name),
				fmt.Sprintf(`select orig_h, count(*), sum(orig_pkts + resp_pkts), sum(orig_ip_bytes + resp_ip_bytes)
					from %s where capture = '%s' group by orig_h`, flows, name),
			}
			got := duckdb(t, nodePath, q)
			if len(hostFlows) == 0 {
				t.Errorf("no flows of host %s", host)
			}
			sameLines(t, "flows of host "+host, got[0], hostFlows)
			if len(perHour) == 0 {
				t.Errorf("no hour with traffic")
			}
			sameLines(t, "bytes per hour", got[1], perHour)
			sortTop(got[2])
			sortTop(top)
			n := min(20, len(top))
			sameLines(t, "top 20 sources", got[2][:min(20, len(got[2]))], top[:n])
			t.Logf("%s: host %s has %d flows; %d hours with traffic; %d sources", name, host, len(hostFlows), len(perHour), len(top))
		})
	}
}

func maps_equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// sameLines reports the first difference between DuckDB's lines and pcapdex's.
func sameLines(t *testing.T, what string, duck, own []string) {
	t.Helper()
	for i := range max(len(duck), len(own)) {
		var d, o string
		if i < len(duck) {
			d = duck[i]
		}
		if i < len(own) {
			o = own[i]
		}
		if d != o {
			t.Errorf("%s: row %d of %d/%d differs:\nduckdb  %q\npcapdex %q", what, i+1, len(duck), len(own), d, o)
			return
		}
	}
}
