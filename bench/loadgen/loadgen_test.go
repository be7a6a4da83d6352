package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := percentile(ds, c.q); got != c.want {
			t.Errorf("percentile(1..100 ms, %g) = %s, want %s", c.q, got, c.want)
		}
	}
	if got := percentile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("percentile of one value = %d, want 7", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of none = %d, want 0", got)
	}
	// Three values: p50 is the second, p99 the third.
	three := []time.Duration{1, 2, 3}
	if percentile(three, 0.5) != 2 || percentile(three, 0.99) != 3 {
		t.Errorf("percentiles of 1,2,3: p50 %d p99 %d", percentile(three, 0.5), percentile(three, 0.99))
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{1, 2, 10}); got != 2 {
		t.Errorf("median odd = %g", got)
	}
	if got := median([]float64{1, 2, 4, 10}); got != 3 {
		t.Errorf("median even = %g", got)
	}
	if got := median(nil); got != 0 {
		t.Errorf("median none = %g", got)
	}
}

func TestParseMemStatus(t *testing.T) {
	rss, hwm := parseMemStatus("Name:\tposeidon\nVmHWM:\t   40960 kB\nVmRSS:\t   20480 kB\nThreads: 9\n")
	if rss != 20 || hwm != 40 {
		t.Errorf("rss %g hwm %g, want 20 and 40 MiB", rss, hwm)
	}
}

func TestPickOp(t *testing.T) {
	counts := map[string]int{}
	for w := range 100 {
		counts[mixedWeights[pickOp(w)].op]++
	}
	for _, x := range mixedWeights {
		if counts[x.op] != x.pct {
			t.Errorf("%s picked %d times of 100, want %d", x.op, counts[x.op], x.pct)
		}
	}
}

func TestErrorCode(t *testing.T) {
	h := http.Header{}
	h.Set("X-Amzn-ErrorType", "InvalidParameterValueException:http://internal.amazon.com/")
	if got := errorCode(h, nil); got != "InvalidParameterValueException" {
		t.Errorf("header code = %q", got)
	}
	if got := errorCode(http.Header{}, []byte(`{"__type":"com.amazonaws.logs#ResourceNotFoundException"}`)); got != "ResourceNotFoundException" {
		t.Errorf("body code = %q", got)
	}
	if got := errorCode(http.Header{}, []byte(`oops`)); got != "(none)" {
		t.Errorf("no code = %q", got)
	}
}

func TestNumAndRatio(t *testing.T) {
	for _, c := range []struct {
		v    float64
		prec int
		want string
	}{{1234567.891, 1, "1,234,567.9"}, {999, 0, "999"}, {1000, 0, "1,000"}, {-12345, 0, "-12,345"}, {0.125, 3, "0.125"}} {
		if got := num(c.v, c.prec); got != c.want {
			t.Errorf("num(%g, %d) = %q, want %q", c.v, c.prec, got, c.want)
		}
	}
	if got := ratio(1396, 9168); got != "**0.15×**" {
		t.Errorf("ratio = %q", got)
	}
	if got := ratio(1396, 80); got != "**17×**" {
		t.Errorf("ratio = %q", got)
	}
	if got := ratio(1, 0); got != "—" {
		t.Errorf("ratio by 0 = %q", got)
	}
}

func TestSpliceDoc(t *testing.T) {
	doc := "# Performance\n\nIntro.\n\n## Scale\n\nKept.\n"
	sec := docBegin + "\n## Side by side\n\nA.\n" + docEnd + "\n"
	once := spliceDoc(doc, sec)
	if !strings.HasPrefix(once, "# Performance\n\nIntro.\n\n"+docBegin) || !strings.HasSuffix(once, "## Scale\n\nKept.\n") {
		t.Fatalf("first splice:\n%s", once)
	}
	sec2 := strings.Replace(sec, "A.", "B.", 1)
	twice := spliceDoc(once, sec2)
	if strings.Contains(twice, "A.") || !strings.Contains(twice, "B.") || strings.Count(twice, docBegin) != 1 || !strings.HasSuffix(twice, "## Scale\n\nKept.\n") {
		t.Fatalf("second splice:\n%s", twice)
	}
}

func TestReadLogs(t *testing.T) {
	dir := t.TempDir()
	scale := "scale: sqlite: FindExportTasks (DescribeExportTasks)        shallow p50  0.664ms p99  8.714ms | deep (90%) p50  0.690ms p99  7.002ms | deep/shallow p99 0.80\n"
	if err := os.WriteFile(filepath.Join(dir, "scale.log"), []byte(scale), 0o644); err != nil {
		t.Fatal(err)
	}
	d, _ := readScale(filepath.Join(dir, "scale.log"))
	if len(d) != 1 || d[0].store != "sqlite" || d[0].what != "FindExportTasks (DescribeExportTasks)" || d[0].s99 != "8.714ms" || d[0].ratio != "0.80" {
		t.Errorf("readScale = %+v", d)
	}
	export := "kind         exports       rows     rows/s   csv-MiB   zip-MiB  export-s  build-s  flate-s    ratio   build/fl  heap-MiB   rss-MiB\n" +
		"summary            1       1000     50000       1.0       0.2     0.100    0.090    0.080     1.25       1.12       3.0      40.0\n"
	if err := os.WriteFile(filepath.Join(dir, "export.log"), []byte(export), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, table := readExport(filepath.Join(dir, "export.log"))
	if len(rows) != 1 || rows[0].kind != "summary" || rows[0].ratio != 1.25 || rows[0].rss != "40.0" || !strings.Contains(table, "kind") {
		t.Errorf("readExport = %+v, %q", rows, table)
	}
}
