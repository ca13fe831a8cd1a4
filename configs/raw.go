package configs

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/icloudmon/icloudmon/secret"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[secret.Secret]()
)

// converter turns a YAML document into the plain map that viper merges,
// checking every key and value type against the Config struct. It collects
// all problems with their line numbers instead of stopping at the first,
// notes where each key is written and which keys had a value it could not
// use (their default is used instead).
type converter struct {
	problems Problems
	pos      map[string]position
	failed   []string
}

// position is where a key (or a list item) is written in a YAML document.
type position struct{ line, column int }

// add reports a problem at node n.
func (c *converter) add(n *yaml.Node, key, msg string) {
	c.problems = append(c.problems, Problem{Key: key, Line: n.Line, Column: n.Column, Message: msg})
}

// fail reports a value that cannot be used.
func (c *converter) fail(n *yaml.Node, key, format string, args ...any) {
	c.add(n, key, fmt.Sprintf(format, args...))
	c.failed = append(c.failed, key)
}

func (c *converter) at(key string, n *yaml.Node) {
	c.pos[key] = position{n.Line, n.Column}
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
		ik := fmt.Sprintf("%s[%d]", key, i)
		c.at(ik, item)
		v, ok := c.convert(item, t.Elem(), ik)
		if !ok && item.Tag == "!!null" {
			c.fail(item, ik, "empty list item; remove it")
		}
		// A bad item keeps its place (as the zero value), so that the
		// indexes of the items after it stay those of the file.
		out = append(out, v)
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
			c.add(k, sub, unknownKey(t, k.Value))
			continue
		case seen[k.Value]:
			c.add(k, sub, "set twice; keep one")
			continue
		}
		seen[k.Value] = true
		c.at(sub, k)
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

// unknownKey is the message for a key that struct t does not have: a close
// spelling of one of its keys, else the places where a key of that name
// belongs, else a pointer to the documentation. Only known key names are
// suggested, never the value.
func unknownKey(t reflect.Type, name string) string {
	if s := closestField(t, name); s != "" {
		return "unknown key; did you mean " + s + "?"
	}
	var elsewhere []string
	for _, k := range Keys() {
		// Every key on the way counts: "password" is accounts[].password.
		for p := k; p != ""; p = parentKey(p) {
			if p[strings.LastIndexAny(p, ".]")+1:] == name && !slices.Contains(elsewhere, p) {
				elsewhere = append(elsewhere, p)
			}
		}
	}
	if len(elsewhere) > 0 {
		return "unknown key here; did you mean " + strings.Join(elsewhere, " or ") + "?"
	}
	return "unknown key; check the spelling against CONFIGURATION.md"
}

// closestField returns the key of t nearest to name when it is a likely
// misspelling: case, "-" or " " for "_", or one or two typing errors (one
// for short names).
func closestField(t reflect.Type, name string) string {
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(name))
	limit := 2
	if len(norm) <= 4 {
		limit = 1
	}
	best, bestDist := "", limit+1
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		if d := editDistance(norm, tag, bestDist); d < bestDist {
			best, bestDist = tag, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or limit when it is
// limit or more.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
