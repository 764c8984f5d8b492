package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxDepth bounds the nesting of a document. Vault's responses nest three or
// four levels deep; the bound keeps hostile input from costing stack.
const maxDepth = 32

// object is a decoded JSON object. Numbers stay json.Number so that integer
// seconds are read exactly and a fraction can be reported, not rounded.
type object map[string]any

// syntaxError is a file that is not one well-formed JSON value. Field is
// set when the problem belongs to a key (a key given twice).
type syntaxError struct {
	Field  string
	Offset int64 // byte offset, -1 when unknown
	Msg    string
	eof    bool
}

func (e *syntaxError) Error() string { return e.Msg }

// position renders a byte offset as "line L, column C".
func position(data []byte, off int64) string {
	if off < 0 || off > int64(len(data)) {
		return ""
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

// decode reads exactly one JSON value. Unlike encoding/json it refuses a
// key repeated in one object (which value would be meant is a guess) and
// anything after the value.
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, "", 0)
	if err != nil {
		// The streaming decoder's offsets are relative to the token it
		// was reading; decoding the whole file places a syntax error exactly.
		var se *syntaxError
		var syn *json.SyntaxError
		if errors.As(err, &se) && se.Field == "" && !se.eof && errors.As(json.Unmarshal(data, new(any)), &syn) {
			return nil, &syntaxError{Offset: max(syn.Offset-1, 0), Msg: "invalid JSON: " + strings.TrimPrefix(syn.Error(), "json: ")}
		}
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &syntaxError{Offset: -1, Msg: "invalid JSON: more than one value in the file (a response is one JSON object)"}
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, path string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(dec, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxDepth {
		return nil, &syntaxError{Field: path, Offset: -1, Msg: fmt.Sprintf("nested more than %d levels deep; Vault's responses nest a few levels", maxDepth)}
	}
	switch d {
	case '{':
		obj := object{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, jsonError(dec, err)
			}
			key := kt.(string) // the decoder only yields string keys inside an object
			if _, dup := obj[key]; dup {
				return nil, &syntaxError{Field: join(path, key), Offset: -1, Msg: fmt.Sprintf("the key %q appears twice in %s, so its value is ambiguous; keep one", key, where(path))}
			}
			v, err := decodeValue(dec, join(path, key), depth+1)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		if _, err := dec.Token(); err != nil {
			return nil, jsonError(dec, err)
		}
		return obj, nil
	case '[':
		var arr []any
		for i := 0; dec.More(); i++ {
			v, err := decodeValue(dec, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, jsonError(dec, err)
		}
		if arr == nil {
			arr = []any{}
		}
		return arr, nil
	}
	return nil, &syntaxError{Offset: -1, Msg: fmt.Sprintf("invalid JSON: unexpected %q", string(d))}
}

func jsonError(dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &syntaxError{Offset: -1, Msg: "invalid JSON: unexpected end of file (is the file cut short?)", eof: true}
	case errors.As(err, &syn):
		return &syntaxError{Offset: -1, Msg: "invalid JSON: " + strings.TrimPrefix(syn.Error(), "json: ")}
	}
	return &syntaxError{Offset: -1, Msg: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func where(path string) string {
	if path == "" {
		return "the top-level object"
	}
	return path
}

// jsonType names a decoded value's JSON type for error messages, with the
// value when it is short.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case json.Number:
		return "number " + x.String()
	case string:
		if len(x) > 40 {
			x = x[:37] + "..."
		}
		return fmt.Sprintf("string %q", x)
	case object:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}
