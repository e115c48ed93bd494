//go:build !unix

package shuffle

import "time"

// processCPU is unknown here: CPU metrics are left out.
func processCPU() time.Duration { return 0 }
