package repl

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Limits of printed results.
const (
	maxRows  = 12 // rows of a table before "…"
	maxCols  = 8  // columns of a table, elements of a vector
	maxShort = 80 // characters of a field value in a summary
)

// Format returns how the shell prints a result: Go syntax for basic values
// (strings quoted), String() or Error() when the value has one, slices of
// slices of numbers as a compact table with their shape, long vectors
// shortened, and structs as a one-line summary of their exported fields
// (never a raw dump). It returns "" for no value.
func Format(v reflect.Value) string {
	if !v.IsValid() {
		return ""
	}
	if s, ok := stringer(v); ok {
		return s
	}
	t := v.Type()
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if isNumeric(t.Elem()) {
			return vector(v, true)
		}
		if e := t.Elem(); (e.Kind() == reflect.Slice || e.Kind() == reflect.Array) && isNumeric(e.Elem()) {
			return table(v)
		}
		return list(v)
	case reflect.Pointer:
		if v.IsNil() {
			return "nil"
		}
		if t.Elem().Kind() == reflect.Struct {
			return "&" + summary(v.Elem())
		}
	case reflect.Struct:
		return summary(v)
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Interface:
		if v.IsNil() {
			return "nil"
		}
		return Format(v.Elem())
	}
	if isNumeric(t) && v.CanInterface() {
		return fmt.Sprint(v.Interface())
	}
	return shortValue(v, 400)
}

// stringer calls String or Error when the value has one (recovering from
// a nil receiver).
func stringer(v reflect.Value) (s string, ok bool) {
	if !v.CanInterface() {
		return "", false
	}
	defer func() {
		if recover() != nil {
			s, ok = "", false
		}
	}()
	switch x := v.Interface().(type) {
	case error:
		return x.Error(), true
	case fmt.Stringer:
		return x.String(), true
	}
	return "", false
}

func isNumeric(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func num(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Float32:
		return strconv.FormatFloat(v.Float(), 'g', 4, 32)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', 4, 64)
	}
	return fmt.Sprint(v.Interface())
}

// vector prints [a b c … y z] with at most maxCols elements, followed by
// its length when shortened (and withLen).
func vector(v reflect.Value, withLen bool) string {
	n := v.Len()
	var parts []string
	for i := 0; i < n; i++ {
		if n > maxCols && i == maxCols-2 {
			parts = append(parts, "…")
			i = n - 2
		}
		parts = append(parts, num(v.Index(i)))
	}
	s := "[" + strings.Join(parts, " ") + "]"
	if withLen && n > maxCols {
		s += fmt.Sprintf(" (len %d)", n)
	}
	return s
}

// table prints a matrix with its shape and right-aligned columns.
func table(v reflect.Value) string {
	rows := v.Len()
	cols := 0
	for i := 0; i < rows; i++ {
		cols = max(cols, v.Index(i).Len())
	}
	elem := v.Type().Elem().Elem()
	var b strings.Builder
	fmt.Fprintf(&b, "[%d][%d]%s", rows, cols, elem)
	colIdx := make([]int, 0, maxCols)
	for j := 0; j < cols; j++ {
		if cols > maxCols && j == maxCols-2 {
			colIdx = append(colIdx, -1)
			j = cols - 2
		}
		colIdx = append(colIdx, j)
	}
	var cells [][]string
	for i := 0; i < rows; i++ {
		if rows > maxRows && i == maxRows-2 {
			cells = append(cells, nil)
			i = rows - 2
		}
		r := v.Index(i)
		row := make([]string, len(colIdx))
		for k, j := range colIdx {
			switch {
			case j < 0:
				row[k] = "…"
			case j < r.Len():
				row[k] = num(r.Index(j))
			}
		}
		cells = append(cells, row)
	}
	width := make([]int, len(colIdx))
	for _, row := range cells {
		for k, c := range row {
			width[k] = max(width[k], len([]rune(c)))
		}
	}
	for _, row := range cells {
		b.WriteString("\n ")
		if row == nil {
			b.WriteString(" ⋮")
			continue
		}
		for k, c := range row {
			fmt.Fprintf(&b, " %*s", width[k], c)
		}
	}
	return b.String()
}

// summary prints a struct as Type{Field: value, ...} with short values.
func summary(v reflect.Value) string {
	t := v.Type()
	var parts []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		parts = append(parts, f.Name+": "+shortValue(v.Field(i), maxShort/2))
		if len(parts) == 8 {
			parts = append(parts, "…")
			break
		}
	}
	return typeName(t) + "{" + strings.Join(parts, ", ") + "}"
}

// typeName is t's name, or a short form for interpreted (unnamed) types.
func typeName(t reflect.Type) string {
	s := t.String()
	if len(s) > 40 && t.Kind() == reflect.Struct {
		return "struct{…}"
	}
	return s
}

// shortValue prints v in at most n characters: sizes for containers,
// types for nested structs.
func shortValue(v reflect.Value, n int) string {
	if !v.IsValid() {
		return "nil"
	}
	if s, ok := stringer(v); ok {
		return clip(s, n)
	}
	switch v.Kind() {
	case reflect.String:
		return clip(strconv.Quote(v.String()), n)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return "nil"
		}
		if isNumeric(v.Type().Elem()) && v.Len() <= maxCols {
			return vector(v, false)
		}
		if e := v.Type().Elem(); (e.Kind() == reflect.Slice || e.Kind() == reflect.Array) && v.Len() > 0 {
			return fmt.Sprintf("[%d][%d]%s", v.Len(), v.Index(0).Len(), e.Elem())
		}
		return fmt.Sprintf("[%d]%s", v.Len(), v.Type().Elem())
	case reflect.Map:
		if v.Len() <= 4 && v.Len() > 0 {
			keys := v.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
			var parts []string
			for _, k := range keys {
				parts = append(parts, shortValue(k, 20)+": "+shortValue(v.MapIndex(k), 20))
			}
			return clip("map["+strings.Join(parts, ", ")+"]", n)
		}
		return fmt.Sprintf("map[%d entries]", v.Len())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "nil"
		}
		if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			return "&" + typeName(v.Elem().Type()) + "{…}"
		}
		return shortValue(v.Elem(), n)
	case reflect.Struct:
		return typeName(v.Type()) + "{…}"
	case reflect.Func:
		if v.IsNil() {
			return "nil"
		}
		return v.Type().String()
	case reflect.Chan:
		return v.Type().String()
	}
	if isNumeric(v.Type()) {
		return num(v)
	}
	if v.CanInterface() {
		return clip(fmt.Sprint(v.Interface()), n)
	}
	return v.Type().String()
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// list prints a slice of non-numbers element by element (at most maxRows).
func list(v reflect.Value) string {
	if v.Kind() == reflect.Slice && v.IsNil() {
		return "nil"
	}
	var parts []string
	for i := 0; i < v.Len(); i++ {
		if i == maxRows {
			parts = append(parts, fmt.Sprintf("… (len %d)", v.Len()))
			break
		}
		parts = append(parts, shortValue(v.Index(i), maxShort))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
