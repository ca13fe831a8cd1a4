package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// ConfigEnv names the config file when Load gets an empty path.
const ConfigEnv = EnvPrefix + "_CONFIG"

// AccountsEnv holds the whole accounts list as YAML (or JSON) and replaces
// the file's accounts when set.
const AccountsEnv = EnvPrefix + "_ACCOUNTS"

// sourceEnvFlags names values that came from the environment or flags.
const sourceEnvFlags = "environment or flags"

// Load builds the configuration from, in rising priority: the defaults, the
// YAML file at path (ICLOUDMON_CONFIG when path is empty; with neither, no
// file is read), the ICLOUDMON_* environment, and the flags of flags that
// were set and whose name is a key with "-" for "_" (--data-dir, --listen,
// --checks.grace). flags may be nil. It uses a viper instance of its own.
//
// Unknown keys and values of the wrong type are errors; secrets given as
// *_file are read here. Load does not apply the rules of Validate.
func Load(path string, flags *pflag.FlagSet) (*Config, error) {
	if path == "" {
		path = os.Getenv(ConfigEnv)
	}
	v := viper.New()
	setDefaults(v)
	if path != "" {
		m, err := readFile(path)
		if err != nil {
			return nil, err
		}
		if err := v.MergeConfigMap(m); err != nil {
			return nil, &LoadError{Source: "config file " + path, Err: err}
		}
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if ps := envProblems(); len(ps) > 0 {
		return nil, &LoadError{Source: "environment", Problems: ps}
	}
	if err := envAccounts(v); err != nil {
		return nil, err
	}
	if err := bindFlags(v, flags); err != nil {
		return nil, err
	}
	return decode(v, path)
}

func setDefaults(v *viper.Viper) {
	flat := map[string]any{}
	flatten("", plain(reflect.ValueOf(Default())).(map[string]any), flat)
	for k, val := range flat {
		v.SetDefault(k, val)
	}
}

// readFile reads and checks the YAML file and returns it as a plain map
// with the per-account and per-folder defaults filled in.
func readFile(path string) (map[string]any, error) {
	source := "config file " + path
	data, err := os.ReadFile(path) //nolint:gosec // G703: the operator chooses the config file.
	if err != nil {
		return nil, &LoadError{Source: source, Err: fmt.Errorf("%w; check the path given with --config or %s", err, ConfigEnv)}
	}
	m, err := parseYAML(data, reflect.TypeFor[Config](), "")
	if err != nil {
		return nil, sourced(source, err)
	}
	if m == nil {
		return map[string]any{}, nil
	}
	cm := m.(map[string]any)
	fillAccountDefaults(cm["accounts"])
	return cm, nil
}

// parseYAML parses data and converts it for type t; nil for an empty
// document.
func parseYAML(data []byte, t reflect.Type, key string) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	c := &converter{}
	v, _ := c.convert(doc.Content[0], t, key)
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	return v, nil
}

func sourced(source string, err error) error {
	var ps Problems
	if errors.As(err, &ps) {
		return &LoadError{Source: source, Problems: ps}
	}
	return &LoadError{Source: source, Err: err}
}

func fillAccountDefaults(accounts any) {
	list, _ := accounts.([]any)
	for _, a := range list {
		am, ok := a.(map[string]any)
		if !ok {
			continue
		}
		fillDefaults(am, plain(reflect.ValueOf(DefaultAccount())).(map[string]any))
		folders, _ := am["folders"].([]any)
		for _, f := range folders {
			if fm, ok := f.(map[string]any); ok {
				fillDefaults(fm, plain(reflect.ValueOf(DefaultFolder())).(map[string]any))
			}
		}
	}
}

// envProblems checks every ICLOUDMON_* variable of a key outside the
// accounts list, so that all bad values are reported at once.
func envProblems() Problems {
	var ps Problems
	for _, k := range Keys() {
		env := EnvName(k)
		val, ok := os.LookupEnv(env)
		if !ok || val == "" || strings.HasPrefix(k, "accounts") {
			continue
		}
		t, _ := keyType(k)
		if _, err := decodeHook(nil, t, val); err != nil {
			ps = append(ps, Problem{Key: k, Message: fmt.Sprintf("%v (set by %s)", err, env)})
		}
	}
	return ps
}

// keyType returns the Go type of a dotted key outside lists.
func keyType(key string) (reflect.Type, bool) {
	t := reflect.TypeFor[Config]()
	for name := range strings.SplitSeq(key, ".") {
		f, ok := fieldByTag(t, name)
		if !ok {
			return nil, false
		}
		t = f.Type
	}
	return t, true
}

// envAccounts reads ICLOUDMON_ACCOUNTS, a YAML or JSON list of accounts.
func envAccounts(v *viper.Viper) error {
	s, ok := os.LookupEnv(AccountsEnv)
	if !ok || strings.TrimSpace(s) == "" {
		return nil
	}
	list, err := parseYAML([]byte(s), reflect.TypeFor[[]Account](), "accounts")
	if err != nil {
		return sourced(AccountsEnv, err)
	}
	if list == nil {
		list = []any{}
	}
	fillAccountDefaults(list)
	v.Set("accounts", list)
	return nil
}

// bindFlags binds every flag whose name matches a key outside the accounts
// list; other flags (--config, --account, --output) are left alone.
func bindFlags(v *viper.Viper, flags *pflag.FlagSet) error {
	if flags == nil {
		return nil
	}
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k] = !strings.HasPrefix(k, "accounts")
	}
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if key := strings.ReplaceAll(f.Name, "-", "_"); known[key] && err == nil {
			err = v.BindPFlag(key, f)
		}
	})
	return err
}

func decode(v *viper.Viper, path string) (*Config, error) {
	cfg := &Config{}
	err := v.Unmarshal(cfg, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = decodeHook
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = false
	})
	if err != nil {
		return nil, &LoadError{Source: "flags", Problems: decodeProblems(err)}
	}
	cfg.File = path
	deriveFolderNames(cfg)
	if path != "" {
		resolvePaths(cfg, filepath.Dir(path))
	}
	if ps := readSecretFiles(cfg); len(ps) > 0 {
		source := sourceEnvFlags
		if path != "" {
			source = "config file " + path
		}
		return nil, &LoadError{Source: source, Problems: ps}
	}
	return cfg, nil
}

// decodeHook converts the strings that come from the environment and from
// string flags into the field types.
func decodeHook(_ reflect.Type, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok {
		return data, nil
	}
	switch {
	case to == durationType:
		return ParseDuration(s)
	case to == secretType:
		return NewSecret(s), nil
	case to.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("expected true or false, got %q", s)
		}
		return b, nil
	case to.Kind() == reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("expected a whole number, got %q", s)
		}
		return n, nil
	case to.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("expected a number, got %q", s)
		}
		return f, nil
	case to.Kind() == reflect.Slice:
		return strings.Fields(s), nil
	}
	return s, nil
}

// decodeProblems turns mapstructure's joined errors into Problems. The file
// and the environment are checked before, so what is left comes from flags.
func decodeProblems(err error) Problems {
	var ps Problems
	for _, e := range leafErrors(err) {
		var de *mapstructure.DecodeError
		if errors.As(e, &de) {
			flag := "--" + strings.ReplaceAll(de.Name(), "_", "-")
			ps = append(ps, Problem{Key: de.Name(), Message: fmt.Sprintf("%v (set by %s)", de.Unwrap(), flag)})
			continue
		}
		ps = append(ps, Problem{Key: "?", Message: e.Error()})
	}
	return ps
}

func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}
