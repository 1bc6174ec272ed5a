package main

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Where the binary's resident pages are: with KUBETUTOR_BENCH_SYMS naming the same build as
// KUBETUTOR_BENCH_BIN without -s -w (the linker lays both out alike, only the symbol table and
// debug sections are added at the end), the idle benchmarks print, at the end of their window,
// the process's resident pages of the binary's mappings (/proc/PID/pagemap, needs root) by ELF
// section and by Go package (each page's bytes shared among the symbols it holds). This only
// reports (on stderr); it asserts nothing.

// residentReport prints the breakdown for pid; top is the number of packages listed.
func residentReport(tb testing.TB, pid int, bin, syms string, top int) {
	tb.Helper()
	f, err := elf.Open(syms)
	if err != nil {
		tb.Fatalf("KUBETUTOR_BENCH_SYMS: %v", err)
	}
	defer f.Close()
	elfSyms, err := f.Symbols()
	if err != nil {
		tb.Fatalf("KUBETUTOR_BENCH_SYMS has no symbol table (build it without -s): %v", err)
	}
	type sec struct {
		name       string
		start, end uint64
	}
	var secs []sec
	for _, s := range f.Sections {
		if s.Addr != 0 && s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 {
			secs = append(secs, sec{s.Name, s.Addr, s.Addr + s.Size})
		}
	}
	secOf := func(a uint64) string {
		for _, s := range secs {
			if a >= s.start && a < s.end {
				return s.name
			}
		}
		return "(between sections)"
	}
	type sym struct {
		start, end uint64
		pkg        string
	}
	var ss []sym
	for _, s := range elfSyms {
		if s.Size == 0 || s.Value == 0 {
			continue
		}
		ss = append(ss, sym{s.Value, s.Value + s.Size, symbolPackage(s.Name)})
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].start < ss[j].start })

	maps := binaryMappings(tb, pid, bin, secs[0].start, secs[len(secs)-1].end)
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		tb.Fatalf("pagemap: %v", err)
	}
	defer pm.Close()

	const page = 4096
	bySec := map[string][2]float64{} // resident bytes: file-backed, anonymous
	byPkg := map[string]map[string]float64{}
	add := func(pkg, section string, n float64) {
		if byPkg[pkg] == nil {
			byPkg[pkg] = map[string]float64{}
		}
		byPkg[pkg][section] += n
	}
	for _, m := range maps {
		n := (m[1] - m[0]) / page
		buf := make([]byte, 8*n)
		if _, err := pm.ReadAt(buf, int64(m[0]/page*8)); err != nil && err != io.EOF {
			tb.Fatalf("reading pagemap: %v", err)
		}
		for i := uint64(0); i < n; i++ {
			e := binary.LittleEndian.Uint64(buf[8*i:])
			if e&(1<<63) == 0 {
				continue
			}
			a := m[0] + i*page
			section := secOf(a)
			v := bySec[section]
			if e&(1<<61) != 0 {
				v[0] += page
			} else {
				v[1] += page
			}
			bySec[section] = v
			// Share the page among the symbols it holds; bytes no symbol covers are the
			// section's own (padding, unnamed tables).
			covered := uint64(0)
			j := sort.Search(len(ss), func(k int) bool { return ss[k].end > a })
			for ; j < len(ss) && ss[j].start < a+page; j++ {
				lo, hi := max(ss[j].start, a), min(ss[j].end, a+page)
				if hi > lo {
					add(ss[j].pkg, section, float64(hi-lo))
					covered += hi - lo
				}
			}
			if covered < page {
				add("("+section+", no symbol)", section, float64(page-covered))
			}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "resident pages of %s by section (MB file-backed + anonymous / section size):\n", filepath.Base(bin))
	for _, s := range secs {
		v := bySec[s.name]
		fmt.Fprintf(&b, "  %-14s %6.2f + %5.2f / %6.2f\n", s.name, v[0]/1e6, v[1]/1e6, float64(s.end-s.start)/1e6)
	}
	type row struct {
		pkg   string
		total float64
		parts map[string]float64
	}
	var rows []row
	for p, parts := range byPkg {
		t := 0.0
		for _, v := range parts {
			t += v
		}
		rows = append(rows, row{p, t, parts})
	}
	print := func(title string, rows []row) {
		sort.Slice(rows, func(i, j int) bool { return rows[i].total > rows[j].total })
		fmt.Fprintf(&b, "by %s (MB resident; .text / .rodata / .gopclntab / data+bss):\n", title)
		for i, r := range rows {
			if i == top {
				break
			}
			data := r.total - r.parts[".text"] - r.parts[".rodata"] - r.parts[".gopclntab"]
			fmt.Fprintf(&b, "  %-60s %6.2f  %5.2f / %5.2f / %5.2f / %5.2f\n", r.pkg, r.total/1e6,
				r.parts[".text"]/1e6, r.parts[".rodata"]/1e6, r.parts[".gopclntab"]/1e6, data/1e6)
		}
	}
	print("package", rows)
	// The same by module (k8s.io/api, github.com/charmbracelet/glamour; "std" for Go's own).
	byMod := map[string]*row{}
	for _, r := range rows {
		m := moduleOf(r.pkg)
		if byMod[m] == nil {
			byMod[m] = &row{pkg: m, parts: map[string]float64{}}
		}
		byMod[m].total += r.total
		for k, v := range r.parts {
			byMod[m].parts[k] += v
		}
	}
	var mods []row
	for _, r := range byMod {
		mods = append(mods, *r)
	}
	print("module", mods)
	// Straight to stderr: the testing package cuts a benchmark's long logs.
	fmt.Fprint(os.Stderr, b.String())
}

// binaryMappings returns the address ranges of pid's mappings of bin, and the anonymous ones
// inside [lo, hi) (the binary's .bss and .noptrbss).
func binaryMappings(tb testing.TB, pid int, bin string, lo, hi uint64) [][2]uint64 {
	tb.Helper()
	abs, _ := filepath.Abs(bin)
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][2]uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		start, end, ok := strings.Cut(fl[0], "-")
		if !ok {
			continue
		}
		s, _ := strconv.ParseUint(start, 16, 64)
		e, _ := strconv.ParseUint(end, 16, 64)
		path := ""
		if len(fl) >= 6 {
			path = fl[5]
		}
		if path == abs || (path == "" && s < hi && e > lo) {
			out = append(out, [2]uint64{s, e})
		}
	}
	return out
}

// symbolPackage is the Go package a symbol belongs to: "k8s.io/api/core/v1.(*Pod).Marshal"
// and "type:*k8s.io/api/core/v1.Pod" are k8s.io/api/core/v1; the linker's own symbols
// (go:func.*, runtime.pclntab's tables) keep their name.
func symbolPackage(name string) string {
	for _, p := range []string{"type:.eq.", "type:.hash.", "type:.namedata.", "type:.importpath.", "type:", "go:itab.", "go:info."} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			name = rest
			break
		}
	}
	if strings.HasPrefix(name, "go:") {
		return name
	}
	name = strings.TrimLeft(name, "*[]0123456789")
	head := name
	if k := strings.IndexByte(head, '['); k > 0 { // a generic's type arguments name other packages
		head = head[:k]
	}
	if i := strings.LastIndexByte(head, '/'); i >= 0 {
		if j := strings.IndexByte(head[i:], '.'); j >= 0 {
			return name[:i+j]
		}
		return head
	}
	if j := strings.IndexByte(head, '.'); j > 0 {
		return name[:j]
	}
	return name
}

// moduleOf shortens a package path to its module's usual root: the first two path elements
// under a host name with a dot (three under github.com, gopkg.in keeps two), "std" for a
// path without a dot in its first element.
func moduleOf(pkg string) string {
	if strings.HasPrefix(pkg, "(") || strings.HasPrefix(pkg, "go:") {
		return pkg
	}
	el := strings.Split(pkg, "/")
	if !strings.Contains(el[0], ".") {
		if el[0] == "vendor" {
			return "std (vendored)"
		}
		return "std"
	}
	n := 2
	if el[0] == "github.com" || el[0] == "sigs.k8s.io" {
		n = 3
	}
	if len(el) < n {
		n = len(el)
	}
	return strings.Join(el[:n], "/")
}
