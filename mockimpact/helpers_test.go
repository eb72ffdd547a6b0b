package mockimpact

import (
	"reflect"
	"strconv"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func typeOf(v any) reflect.Type { return reflect.TypeOf(v) }
