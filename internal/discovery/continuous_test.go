package discovery

import (
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	e := &ContinuousExport{Start: t0}
	for _, c := range []struct {
		now  time.Time
		want string
	}{{t0, ContinuousStartInProgress}, {t0.Add(ContinuousTransitionTime - time.Millisecond), ContinuousStartInProgress}, {t0.Add(ContinuousTransitionTime), ContinuousActive}} {
		if got := e.Status(c.now); got != c.want {
			t.Errorf("status at %v = %s, want %s", c.now, got, c.want)
		}
	}
	e.Stop = t0.Add(time.Hour)
	if got := e.Status(e.Stop); got != ContinuousStopInProgress {
		t.Errorf("status at stop = %s", got)
	}
	if got := e.Status(e.Stop.Add(ContinuousTransitionTime)); got != ContinuousInactive {
		t.Errorf("status after stop = %s", got)
	}
}
