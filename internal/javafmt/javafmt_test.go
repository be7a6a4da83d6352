package javafmt

import (
	"math"
	"testing"
	"time"
)

func TestDouble(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{-1, "-1.0"},
		{100, "100.0"},
		{1694732, "1694732.0"},
		{1547210.1333333333, "1547210.1333333333"},
		{14.733333333333338, "14.733333333333338"},
		{0.19140625, "0.19140625"},
		{0.04915364583333333, "0.04915364583333333"},
		{0.13333333333333336, "0.13333333333333336"},
		{0.1, "0.1"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{0.00012345, "1.2345E-4"},
		{9999999, "9999999.0"},
		{9999999.5, "9999999.5"},
		{1e7, "1.0E7"},
		{12345678.9, "1.23456789E7"},
		{1e21, "1.0E21"},
		{-2.5e-7, "-2.5E-7"},
		{123.456, "123.456"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{math.MaxFloat64, "1.7976931348623157E308"},
	} {
		if got := Double(tc.in); got != tc.want {
			t.Errorf("Double(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTimestamp(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2016, 10, 28, 23, 44, 0, 0, time.UTC), "2016-10-28 23:44:00.0"},
		{time.Date(2016, 12, 13, 23, 53, 27, 0, time.UTC), "2016-12-13 23:53:27.0"},
		{time.UnixMilli(1477698240123), "2016-10-28 23:44:00.123"},
		{time.UnixMilli(1477698240120), "2016-10-28 23:44:00.12"},
		{time.UnixMilli(1477698240500), "2016-10-28 23:44:00.5"},
		{time.Date(2016, 10, 29, 1, 44, 0, 0, time.FixedZone("x", 2*3600)), "2016-10-28 23:44:00.0"},
	} {
		if got := Timestamp(tc.in); got != tc.want {
			t.Errorf("Timestamp(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
