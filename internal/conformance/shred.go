package conformance

import "context"

// RunShred runs one shred fixture.
func (r *Runner) RunShred(_ context.Context, fx *ShredFixture) *Result {
	return &Result{Spec: fx.Name, Kind: "shred", Skipped: "furrow shred is issue 4 (not built yet)"}
}
