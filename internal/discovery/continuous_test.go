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

// A recorded failure or end is the status whatever the clock says; a
// recorded ACTIVE stays ACTIVE (the clock moved back) until a stop.
func TestStatusRecorded(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		e    ContinuousExport
		want string
	}{
		{ContinuousExport{Start: t0, State: ContinuousStartInProgress}, ContinuousStartInProgress},
		{ContinuousExport{Start: t0, State: ContinuousActive}, ContinuousActive},
		{ContinuousExport{Start: t0, Stop: t0, State: ContinuousStartFailed}, ContinuousStartFailed},
		{ContinuousExport{Start: t0, Stop: t0, State: ContinuousStopFailed}, ContinuousStopFailed},
		{ContinuousExport{Start: t0, Stop: t0, State: ContinuousActive}, ContinuousStopInProgress},
		{ContinuousExport{Start: t0, Stop: t0, State: ContinuousInactive}, ContinuousInactive},
	} {
		if got := c.e.Status(t0); got != c.want {
			t.Errorf("status of %+v = %s, want %s", c.e, got, c.want)
		}
	}
}
