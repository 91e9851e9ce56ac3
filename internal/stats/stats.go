package stats

import (
	"math"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of sorted, by the
// nearest-rank rule: the smallest value with at least p% of the values at
// or below it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted))/100)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
