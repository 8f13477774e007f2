package stagebench

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU        string // model name from /proc/cpuinfo ("" when unknown)
	NumCPU     int
	GOMAXPROCS int
	GoVersion  string
	GOOS       string
	GOARCH     string
}

// ThisMachine describes the running process's machine.
func ThisMachine() Machine {
	return Machine{
		CPU:        cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
	}
}

// cpuModel returns the first "model name" of /proc/cpuinfo (Linux x86; "Model" or
// "Hardware" on some ARM kernels).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	fallback := ""
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			return strings.TrimSpace(v)
		case "Model", "Hardware":
			if fallback == "" {
				fallback = strings.TrimSpace(v)
			}
		}
	}
	return fallback
}

// loadAvg returns the 1, 5 and 15 minute load averages from /proc/loadavg, ok false where
// that file does not exist.
func loadAvg() (la [3]float64, ok bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return la, false
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return la, false
	}
	for i := range la {
		v, err := strconv.ParseFloat(string(f[i]), 64)
		if err != nil {
			return la, false
		}
		la[i] = v
	}
	return la, true
}
