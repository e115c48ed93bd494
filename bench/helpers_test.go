package bench

import "github.com/furrowdata/furrow/event"

func appendTSV(dst []byte, e *event.Event) []byte { return event.AppendTSV(dst, e) }
