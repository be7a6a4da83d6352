package main

import (
	"testing"
	"time"
)

// clockNow reads the virtual clock from the control API.
func clockNow(t *testing.T, url string) time.Time {
	t.Helper()
	code, out := control(t, url, "clock", "", nil)
	sec, ok := out["epochSeconds"].(float64)
	if code != 200 || !ok {
		t.Fatalf("clock: %d %v", code, out)
	}
	return time.UnixMilli(int64(sec * 1000))
}

// The virtual clock's offset survives a restart: expiries and limits
// computed on virtual time stay consistent. A reset drops it for good.
func TestClockOffsetSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	advance(t, s.URL, 48*time.Hour)
	s.Stop(t)

	s = startServer(t, data)
	if ahead := time.Until(clockNow(t, s.URL)); ahead < 47*time.Hour || ahead > 49*time.Hour {
		t.Fatalf("after a restart the clock is %v ahead of real time, want 48h", ahead)
	}
	if code, out := control(t, s.URL, "reset", "", map[string]any{}); code != 200 {
		t.Fatalf("reset: %d %v", code, out)
	}
	s.Stop(t)

	s = startServer(t, data)
	if ahead := time.Until(clockNow(t, s.URL)); ahead > time.Hour || ahead < -time.Hour {
		t.Fatalf("after a reset and a restart the clock is %v away from real time, want 0", ahead)
	}
}
