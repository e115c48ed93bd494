package pipeline

import "errors"

// IsPermanent reports whether err is a task error that retrying cannot fix
// (a corrupt or undecodable input object). The local Engine does not retry
// such tasks; a cluster coordinator uses this to do the same with the
// errors its workers report.
func IsPermanent(err error) bool { return errors.Is(err, errPermanent) }
