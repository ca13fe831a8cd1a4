package configs

import (
	"bytes"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/icloudmon/icloudmon/secret"
)

// EnvPrefix starts every environment variable of the configuration.
const EnvPrefix = "ICLOUDMON"

// Keys returns every key of the configuration model in struct order, as
// dotted paths; keys inside lists use "[]" for the index, e.g.
// "accounts[].folders[].layout". Lists of structs are listed themselves
// ("accounts") and then their keys.
func Keys() []string {
	return appendKeys(nil, reflect.TypeFor[Config](), "")
}

func appendKeys(keys []string, t reflect.Type, prefix string) []string {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		key := joinKey(prefix, tag)
		keys = append(keys, key)
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != secretType:
			keys = keys[:len(keys)-1]
			keys = appendKeys(keys, f.Type, key)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct && f.Type.Elem() != secretType:
			keys = appendKeys(keys, f.Type.Elem(), key+"[]")
		}
	}
	return keys
}

// EnvName returns the environment variable for a key outside the accounts
// list: "checks.grace" → "ICLOUDMON_CHECKS_GRACE". Accounts are given as a
// whole in ICLOUDMON_ACCOUNTS (see CONFIGURATION.md).
func EnvName(key string) string {
	if strings.HasPrefix(key, "accounts") {
		return EnvPrefix + "_ACCOUNTS"
	}
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// plain converts a config value into the plain form viper holds: maps keyed
// by the mapstructure tags, []any, and leaves as they are (secrets revealed:
// the result only feeds viper's defaults and never gets printed).
func plain(v reflect.Value) any {
	switch {
	case v.Type() == secretType:
		return v.Interface().(secret.Secret).Reveal()
	case v.Kind() == reflect.Struct:
		m := make(map[string]any, v.NumField())
		for i := range v.NumField() {
			if tag := v.Type().Field(i).Tag.Get("mapstructure"); tag != "" && tag != "-" {
				m[tag] = plain(v.Field(i))
			}
		}
		return m
	case v.Kind() == reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	}
	return v.Interface()
}

// flatten turns nested maps into dotted keys (lists stay whole).
func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := joinKey(prefix, k)
		if sub, ok := v.(map[string]any); ok {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
}

// fillDefaults adds the keys of def that m lacks, recursing into maps.
func fillDefaults(m, def map[string]any) {
	for k, dv := range def {
		cur, ok := m[k]
		if !ok {
			m[k] = dv
			continue
		}
		if cm, ok := cur.(map[string]any); ok {
			if dm, ok := dv.(map[string]any); ok {
				fillDefaults(cm, dm)
			}
		}
	}
}

// YAML returns the effective configuration as YAML, in the order of
// CONFIGURATION.md, with every secret shown as "<secret>" (or "" when
// unset). Durations are written as ParseDuration reads them.
func (c *Config) YAML() ([]byte, error) {
	node, err := yamlNode(reflect.ValueOf(*c))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func yamlNode(v reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{}
	switch {
	case v.Type() == secretType:
		return n, n.Encode(v.Interface().(secret.Secret).String())
	case v.Type() == durationType:
		return n, n.Encode(FormatDuration(time.Duration(v.Int())))
	case v.Kind() == reflect.Struct:
		return structNode(v)
	case v.Kind() == reflect.Slice:
		return sliceNode(v)
	}
	return n, n.Encode(v.Interface())
}

func structNode(v reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := range v.NumField() {
		tag := v.Type().Field(i).Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		val, err := yamlNode(v.Field(i))
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: tag}, val)
	}
	return n, nil
}

func sliceNode(v reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if v.Type().Elem().Kind() != reflect.Struct || v.Type().Elem() == secretType {
		n.Style = yaml.FlowStyle
	}
	for i := range v.Len() {
		item, err := yamlNode(v.Index(i))
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, item)
	}
	return n, nil
}
