package httpjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkMembers reads data, the JSON of a value of type t, and refuses
// what encoding/json would take silently: a member given twice in one
// object (the last would win: {"token":"a","Token":"b"} sets b), and a
// member whose name matches a field only without regard to case. A
// syntax error is left to the decoding that follows.
func checkMembers(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := walkMembers(dec, t, "")
	if _, syntax := err.(memberError); syntax || err == nil {
		return err
	}
	return nil
}

// memberError is a refusal of checkMembers (other errors are the
// decoder's, reported by the decoding).
type memberError string

func (e memberError) Error() string { return string(e) }

func walkMembers(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) || t.Kind() == reflect.Interface) {
		t = nil // decodes itself: its members are its business
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			if seen[k] && t != nil {
				return memberError(fmt.Sprintf("member %q is given twice", path+k))
			}
			seen[k] = true
			var sub reflect.Type
			switch {
			case t != nil && t.Kind() == reflect.Struct:
				if exact := exactName(t, k); exact != "" && exact != k {
					return memberError(fmt.Sprintf("unknown field %q (did you mean %q? names are case-sensitive)", path+k, exact))
				}
				sub, _ = memberType(t, k)
			case t != nil && t.Kind() == reflect.Map:
				sub = t.Elem()
			}
			if err := walkMembers(dec, sub, path+k+"."); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkMembers(dec, elem, path); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// exactName is the member name of struct t that name matches without
// regard to case, as the field spells it; "" for none.
func exactName(t reflect.Type, name string) string {
	for _, n := range memberNames(t) {
		if n == name {
			return n
		}
	}
	for _, n := range memberNames(t) {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return ""
}
