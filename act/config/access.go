package config

import (
	"strings"
)

// get returns the resolved value at a dotted key.
func (c *Config) get(key string) (*node, error) {
	r := &resolver{c: c, visiting: map[string]bool{}}
	n, real, err := r.lookup(strings.Split(key, "."))
	if err != nil {
		return nil, err
	}
	v, _, err := r.value(n, real)
	return v, err
}

// Has reports whether key exists (its value may be null).
func (c *Config) Has(key string) bool {
	_, err := c.get(key)
	return err == nil
}

// IsNull reports whether key is missing or null.
func (c *Config) IsNull(key string) bool {
	v, err := c.get(key)
	return err != nil || v.kind == kNull
}

func (c *Config) typed(key string, want kind) (*node, error) {
	v, err := c.get(key)
	if err != nil {
		return nil, err
	}
	if v.kind != want && !(want == kFloat && v.kind == kInt) {
		return nil, errorf(key, "%s expects %s, got %s", key, want, v.flow())
	}
	return v, nil
}

// String returns the string at key; numbers and booleans are given as
// text. A null or a section is an error naming the key.
func (c *Config) String(key string) (string, error) {
	v, err := c.get(key)
	if err != nil {
		return "", err
	}
	switch v.kind {
	case kString:
		return v.s, nil
	case kInt, kFloat, kBool:
		return v.flow(), nil
	}
	return "", errorf(key, "%s expects a string, got %s", key, v.flow())
}

// OptString is String where null gives "".
func (c *Config) OptString(key string) (string, error) {
	if v, err := c.get(key); err == nil && v.kind == kNull {
		return "", nil
	}
	return c.String(key)
}

// Int returns the integer at key.
func (c *Config) Int(key string) (int, error) {
	v, err := c.typed(key, kInt)
	if err != nil {
		return 0, err
	}
	return int(v.i), nil
}

// OptInt is Int where null gives def.
func (c *Config) OptInt(key string, def int) (int, error) {
	if v, err := c.get(key); err == nil && v.kind == kNull {
		return def, nil
	}
	return c.Int(key)
}

// Float returns the number at key.
func (c *Config) Float(key string) (float64, error) {
	v, err := c.typed(key, kFloat)
	if err != nil {
		return 0, err
	}
	if v.kind == kInt {
		return float64(v.i), nil
	}
	return v.f, nil
}

// Bool returns the boolean at key.
func (c *Config) Bool(key string) (bool, error) {
	v, err := c.typed(key, kBool)
	if err != nil {
		return false, err
	}
	return v.b, nil
}

// Strings returns the list of strings at key (list items resolved; a
// single string gives a list of one; null gives nil).
func (c *Config) Strings(key string) ([]string, error) {
	v, err := c.get(key)
	if err != nil {
		return nil, err
	}
	switch v.kind {
	case kNull:
		return nil, nil
	case kString:
		return []string{v.s}, nil
	case kList:
	default:
		return nil, errorf(key, "%s expects a list of strings, got %s", key, v.flow())
	}
	full, err := (&resolver{c: c, visiting: map[string]bool{}}).deep(v, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(full.items))
	for i, it := range full.items {
		switch it.kind {
		case kString:
			out[i] = it.s
		case kInt, kFloat, kBool:
			out[i] = it.flow()
		default:
			return nil, errorf(key, "%s expects a list of strings; item %d is %s", key, i, it.flow())
		}
	}
	return out, nil
}

// Keys returns the keys of the section at key, in order.
func (c *Config) Keys(key string) ([]string, error) {
	v, err := c.get(key)
	if err != nil {
		return nil, err
	}
	if v.kind != kMap {
		return nil, errorf(key, "%s expects a section, got %s", key, v.flow())
	}
	return append([]string(nil), v.keys...), nil
}

// Set changes (or adds) the value at key to a Go scalar, []string or nil,
// as a program would before running a config (for example the pipeline's
// fast mode).
func (c *Config) Set(key string, value any) error {
	var v *node
	switch x := value.(type) {
	case nil:
		v = &node{kind: kNull}
	case string:
		v = strNode(x)
	case int:
		v = &node{kind: kInt, i: int64(x)}
	case float64:
		v = &node{kind: kFloat, f: x}
	case bool:
		v = &node{kind: kBool, b: x}
	case []string:
		v = &node{kind: kList, items: []*node{}}
		for _, s := range x {
			v.items = append(v.items, strNode(s))
		}
	default:
		return errorf(key, "config: cannot set %s to a %T", key, value)
	}
	return c.apply(override{raw: key, op: opForceAdd, key: key, value: v, hasValue: true})
}
