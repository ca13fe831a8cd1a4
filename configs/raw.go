package configs

import (
	"fmt"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// converter turns a YAML document into the plain map that viper merges,
// checking every key and value type against the Config struct. It collects
// all problems with their line numbers instead of stopping at the first.
type converter struct {
	problems Problems
}

func (c *converter) fail(n *yaml.Node, key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.problems = append(c.problems, Problem{Key: key, Line: n.Line, Message: msg})
}

// convert returns the value of n for a field of type t; ok is false when the
// node is null (use the default) or wrong.
func (c *converter) convert(n *yaml.Node, t reflect.Type, key string) (any, bool) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, false
	}
	switch t {
	case durationType:
		return c.duration(n, key)
	case secretType:
		return c.scalar(n, key, "a string")
	}
	switch t.Kind() {
	case reflect.Struct:
		return c.mapping(n, t, key)
	case reflect.Slice:
		return c.sequence(n, t, key)
	case reflect.String:
		return c.scalar(n, key, "a string")
	case reflect.Bool:
		return c.typed(n, key, "!!bool", new(bool), "true or false")
	case reflect.Int:
		return c.typed(n, key, "!!int", new(int), "a whole number")
	case reflect.Float64:
		if n.Tag == "!!int" {
			return c.typed(n, key, "!!int", new(float64), "a number")
		}
		return c.typed(n, key, "!!float", new(float64), "a number")
	}
	c.fail(n, key, "cannot be set in the file")
	return nil, false
}

func (c *converter) scalar(n *yaml.Node, key, want string) (any, bool) {
	if n.Kind != yaml.ScalarNode {
		c.fail(n, key, "expected %s, got a %s", want, kindName(n))
		return nil, false
	}
	return n.Value, true
}

func (c *converter) typed(n *yaml.Node, key, tag string, dst any, want string) (any, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != tag {
		c.fail(n, key, "expected %s, got %s", want, describe(n))
		return nil, false
	}
	if err := n.Decode(dst); err != nil {
		c.fail(n, key, "expected %s, got %s", want, describe(n))
		return nil, false
	}
	return reflect.ValueOf(dst).Elem().Interface(), true
}

func (c *converter) duration(n *yaml.Node, key string) (any, bool) {
	if n.Kind != yaml.ScalarNode {
		c.fail(n, key, "expected a duration such as 6h or 7d, got a %s", kindName(n))
		return nil, false
	}
	if n.Tag == "!!int" && n.Value == "0" {
		return time.Duration(0), true
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		c.fail(n, key, "%s has no unit; write for example %ss or %sh", n.Value, n.Value, n.Value)
		return nil, false
	}
	d, err := ParseDuration(n.Value)
	if err != nil {
		c.fail(n, key, "%v", err)
		return nil, false
	}
	return d, true
}

func (c *converter) sequence(n *yaml.Node, t reflect.Type, key string) (any, bool) {
	if n.Kind != yaml.SequenceNode {
		c.fail(n, key, "expected a list, got %s", describe(n))
		return nil, false
	}
	out := make([]any, 0, len(n.Content))
	for i, item := range n.Content {
		v, ok := c.convert(item, t.Elem(), fmt.Sprintf("%s[%d]", key, i))
		if ok {
			out = append(out, v)
		} else if item.Tag == "!!null" {
			c.fail(item, fmt.Sprintf("%s[%d]", key, i), "empty list item; remove it")
		}
	}
	return out, true
}

func (c *converter) mapping(n *yaml.Node, t reflect.Type, key string) (any, bool) {
	if n.Kind != yaml.MappingNode {
		c.fail(n, key, "expected a mapping of keys, got %s", describe(n))
		return nil, false
	}
	out := make(map[string]any, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := joinKey(key, k.Value)
		field, ok := fieldByTag(t, k.Value)
		switch {
		case !ok:
			c.fail(k, sub, "unknown key; check the spelling against CONFIGURATION.md")
			continue
		case seen[k.Value]:
			c.fail(k, sub, "set twice; keep one")
			continue
		}
		seen[k.Value] = true
		if v, ok := c.convert(val, field.Type, sub); ok {
			out[k.Value] = v
		}
	}
	return out, true
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// fieldByTag finds the struct field whose mapstructure tag is name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("mapstructure"); tag == name && tag != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "value"
	}
}

// describe names the type of a node. It never quotes the value: a password
// typed into the wrong key must not end up in an error message.
func describe(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return "a " + kindName(n)
	}
	switch n.Tag {
	case "!!bool":
		return "true/false"
	case "!!int", "!!float":
		return "a number"
	default:
		return "a string"
	}
}
