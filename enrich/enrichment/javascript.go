package enrichment

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/furrowdata/furrow/enrich/enrichment/jsonpath"
	"github.com/furrowdata/furrow/enrich/enrichment/lookup"
	"github.com/furrowdata/furrow/event"
)

// javascript_script_config (R108: JavascriptScriptEnrichment), on goja.
//
// The script (parameters.script, base64 as R108 decoded it: URL-safe or
// standard alphabet, padding optional, other characters ignored) is run
// once per event exactly as R108 ran it: the whole script, then
//
//	var $snowplow31337Out = JSON.stringify(process($snowplow31337In));
//
// in a fresh global scope, so top-level variables do not carry over from
// one event to the next. The event object has the JavaBean accessors Rhino
// saw on R108's EnrichedEvent POJO: getApp_id() … getTrue_tstamp() and
// getPii() (always null here), and the matching setters. String fields are
// JS strings, the POJO's Integer/Float/Byte fields JS numbers, null fields
// null; a setter stores String(value) (numbers printed as the POJO's type
// printed them), null or undefined clears the field.
//
// The result must be a JSON array: its elements become derived contexts in
// order (R108 did not validate them further; the shredder does). A thrown
// error, a compile error at start-up or a non-array result gives R108's
// messages: "Evaluating JavaScript script threw an exception: [...]",
// "JavaScript script must return an Array; got [...]".
//
// Runtimes are pooled (one per concurrently enriching goroutine). A script
// running longer than FURROW_JS_TIMEOUT (a Go duration, default 10s) or
// past the context's deadline is interrupted and the event fails; its
// runtime is discarded. Recursion deeper than 10000 calls fails the event
// instead of exhausting the stack.

const (
	jsVarIn          = "$snowplow31337In"
	jsVarOut         = "$snowplow31337Out"
	jsSourceName     = "user-defined-script"
	jsDefaultTimeout = 10 * time.Second
	jsMaxCallDepth   = 10000
	// JSTimeoutEnv names the environment variable holding the JavaScript
	// enrichment's per-event time limit (a Go duration, e.g. "2s").
	JSTimeoutEnv = "FURROW_JS_TIMEOUT"
)

type jsEnrichment struct {
	prog    *goja.Program
	timeout time.Duration
	pool    sync.Pool // *jsVM
}

// jsVM is one runtime with its event object; ev is the event being
// processed (nil between events).
type jsVM struct {
	rt  *goja.Runtime
	obj *goja.Object
	ev  *event.Event
}

// errJSTimeout is the interrupt value of a script that ran too long.
var errJSTimeout = errors.New("script interrupted")

func newJavaScript(cfg *JavaScriptConfig, env *Env) (JavaScript, error) {
	src := decodeBase64Lenient(cfg.Script)
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("parameters.script: the JavaScript script is empty")
	}
	wrapped := src + "\n\n// Immediately invoke using reserved args\nvar " + jsVarOut + " = JSON.stringify(process(" + jsVarIn + "));\n"
	prog, err := goja.Compile(jsSourceName, wrapped, false)
	if err != nil {
		return nil, r108Errorf("parameters.script: Error compiling JavaScript script: [%v]", err)
	}
	timeout := jsDefaultTimeout
	if s := os.Getenv(JSTimeoutEnv); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s=%q is not a positive Go duration", JSTimeoutEnv, s)
		}
		timeout = d
	}
	j := &jsEnrichment{prog: prog, timeout: timeout}
	j.pool.New = func() any { return newJSVM() }
	return j, nil
}

// decodeBase64Lenient decodes as Apache Commons Codec's Base64 did for
// R108's decodeBase64Url: both alphabets, characters outside them ignored,
// decoding stops at '=', a dangling sixth of a byte dropped, the bytes read
// as UTF-8 (malformed sequences replaced).
func decodeBase64Lenient(s string) string {
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=':
			i = len(s)
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			buf = append(buf, c)
		case c == '-':
			buf = append(buf, '+')
		case c == '_':
			buf = append(buf, '/')
		}
	}
	if len(buf)%4 == 1 {
		buf = buf[:len(buf)-1]
	}
	out, err := base64.RawStdEncoding.DecodeString(string(buf))
	if err != nil { // cannot happen after the filtering above
		return ""
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func newJSVM() *jsVM {
	vm := &jsVM{rt: goja.New()}
	vm.rt.SetMaxCallStackSize(jsMaxCallDepth)
	vm.obj = vm.rt.NewObject()
	for _, f := range event.Fields() {
		name := f.Name()
		bean := strings.ToUpper(name[:1]) + name[1:]
		typ := lookup.PojoType(f)
		_ = vm.obj.Set("get"+bean, func(goja.FunctionCall) goja.Value { return vm.get(f, typ) })
		_ = vm.obj.Set("set"+bean, func(c goja.FunctionCall) goja.Value {
			vm.set(f, typ, c.Argument(0))
			return goja.Undefined()
		})
	}
	_ = vm.obj.Set("getPii", func(goja.FunctionCall) goja.Value { return goja.Null() })
	_ = vm.obj.Set("setPii", func(goja.FunctionCall) goja.Value { return goja.Undefined() })
	return vm
}

func (vm *jsVM) get(f event.Field, typ lookup.JavaType) goja.Value {
	if vm.ev == nil {
		return goja.Null()
	}
	v := vm.ev.Fields[f]
	if v == "" {
		return goja.Null()
	}
	if typ != lookup.JavaString {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return vm.rt.ToValue(n)
		}
	}
	return vm.rt.ToValue(v)
}

func (vm *jsVM) set(f event.Field, typ lookup.JavaType, v goja.Value) {
	if vm.ev == nil {
		return
	}
	if goja.IsUndefined(v) || goja.IsNull(v) {
		vm.ev.Fields[f] = ""
		return
	}
	switch typ {
	case lookup.JavaInteger, lookup.JavaByte:
		n := v.ToFloat()
		if !math.IsNaN(n) && !math.IsInf(n, 0) {
			vm.ev.Fields[f] = strconv.FormatInt(int64(n), 10)
			return
		}
	case lookup.JavaFloat:
		n := v.ToFloat()
		if !math.IsNaN(n) && !math.IsInf(n, 0) {
			vm.ev.Fields[f] = jsonpath.JavaFloat(float32(n))
			return
		}
	}
	vm.ev.Fields[f] = v.String()
}

// Process runs the script on e.
func (j *jsEnrichment) Process(ctx context.Context, e *event.Event) ([]json.RawMessage, error) {
	vm := j.pool.Get().(*jsVM)
	vm.ev = e
	timer := time.AfterFunc(j.timeout, func() { vm.rt.Interrupt(errJSTimeout) })
	stopCtx := context.AfterFunc(ctx, func() { vm.rt.Interrupt(ctx.Err()) })

	_ = vm.rt.Set(jsVarIn, vm.obj)
	_ = vm.rt.Set(jsVarOut, goja.Undefined())
	_, err := vm.rt.RunProgram(j.prog)
	var out goja.Value
	if err == nil {
		out = vm.rt.Get(jsVarOut)
	}

	// Both stops succeeding means no interrupt ran or ever will: only then
	// may the runtime serve another event.
	timerStopped := timer.Stop()
	ctxStopped := stopCtx()
	vm.ev = nil
	if timerStopped && ctxStopped {
		j.pool.Put(vm)
	}
	if err != nil {
		return nil, j.describe(err)
	}
	return jsResult(out)
}

// describe renders a script failure as R108's message around Rhino's
// exception text.
func (j *jsEnrichment) describe(err error) error {
	const prefix = "Evaluating JavaScript script threw an exception: ["
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if ie.Value() == errJSTimeout {
			return r108Errorf("%sfurrow: script interrupted after the %s time limit (%s)]", prefix, j.timeout, JSTimeoutEnv)
		}
		return r108Errorf("%sfurrow: script interrupted: %v]", prefix, ie.Value())
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return r108Errorf("%sjava.lang.StackOverflowError: more than %d nested calls]", prefix, jsMaxCallDepth)
	}
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return r108Errorf("%s%v]", prefix, err)
	}
	line := 0
	for _, fr := range ex.Stack() {
		if p := fr.Position(); p.Line > 0 {
			line = p.Line
			break
		}
	}
	class, detail := "org.mozilla.javascript.JavaScriptException", "undefined"
	if v := ex.Value(); v != nil {
		detail = v.String()
		if o, ok := v.(*goja.Object); ok {
			if n := o.Get("name"); n != nil {
				switch n.String() {
				case "TypeError", "ReferenceError", "RangeError", "SyntaxError", "URIError", "EvalError", "InternalError":
					class = "org.mozilla.javascript.EcmaError"
				}
			}
		}
	}
	return r108Errorf("%s%s: %s (%s#%d)]", prefix, class, detail, jsSourceName, line)
}

// jsResult parses the JSON the script returned into its elements.
func jsResult(out goja.Value) ([]json.RawMessage, error) {
	if out == nil || goja.IsUndefined(out) {
		return nil, r108Error("JavaScript script must return an Array; got [undefined]")
	}
	s := out.String()
	t := strings.TrimLeft(s, " \t\r\n")
	if !strings.HasPrefix(t, "[") {
		return nil, r108Errorf("JavaScript script must return an Array; got [%s]", s)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal([]byte(s), &elems); err != nil {
		return nil, r108Errorf("Could not convert object returned from JavaScript script to Json: [%v]", err)
	}
	if len(elems) == 0 {
		return nil, nil
	}
	return elems, nil
}

// r108Error is a failure message worded exactly as R108 worded it
// (capitalized, unlike Go's usual error strings).
type r108Error string

func (e r108Error) Error() string { return string(e) }

func r108Errorf(format string, args ...any) error { return r108Error(fmt.Sprintf(format, args...)) }
