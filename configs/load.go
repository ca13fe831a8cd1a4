package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/icloudmon/icloudmon/secret"
)

// ConfigEnv names the config file when Load gets an empty path.
const ConfigEnv = EnvPrefix + "_CONFIG"

// AccountsEnv holds the whole accounts list as YAML (or JSON) and replaces
// the file's accounts when set.
const AccountsEnv = EnvPrefix + "_ACCOUNTS"

// Load builds the configuration from, in rising priority: the defaults, the
// YAML file at path (ICLOUDMON_CONFIG when path is empty; with neither, no
// file is read), the ICLOUDMON_* environment, and the flags of flags that
// were set and whose name is a key with "-" for "_" (--data-dir, --listen,
// --checks.grace). flags may be nil. It uses a viper instance of its own.
//
// Load checks everything in one pass and returns every problem at once as
// Problems, in file order (see Problem): YAML syntax, unknown keys, values
// of the wrong type (file, environment and flags), *_file secrets that
// cannot be read and the rules of Validate. A value that cannot be read is
// replaced by its default for the other checks, and rules that depend on it
// are not reported. When the file cannot be read or is not YAML, nothing
// else of it can be checked, so Validate's rules are skipped.
//
// With problems, Load still returns the configuration as far as it could be
// read (nil when the file could not be read or parsed), like go/parser's
// partial trees: use it only for best effort, such as the healthcheck's
// listen address.
func Load(path string, flags *pflag.FlagSet) (*Config, error) {
	if path == "" {
		path = os.Getenv(ConfigEnv)
	}
	l := &loader{path: path, fromEnv: map[string]string{}, fromFlag: map[string]string{}}
	v := viper.New()
	setDefaults(v)
	if path != "" {
		l.readFile(v)
	}
	l.bindEnv(v)
	l.envAccounts(v)
	l.bindFlags(v, flags)
	cfg := l.decode(v)
	if cfg != nil {
		l.resolveDataDir(cfg)
		l.validate(cfg)
	}
	for i := range l.ps {
		l.locate(&l.ps[i])
	}
	sortProblems(l.ps, path)
	if l.broken {
		cfg = nil
	}
	return cfg, l.ps.errOrNil()
}

// loader holds what Load learns on the way: the problems, where each key of
// the file is written, which keys the environment and the flags set, and
// which keys had a value that could not be used.
type loader struct {
	path string
	ps   Problems
	// pos maps the keys of the file (accounts[0].apple_id) to their place.
	pos map[string]position
	// failed keys had a value that could not be read; their default is
	// used, so rules that involve them are not reported.
	failed []string
	// broken is set when the file could not be read or parsed at all.
	broken      bool
	fromEnv     map[string]string // key → the variable that set it
	fromFlag    map[string]string // key → the flag that set it
	accountsEnv bool              // ICLOUDMON_ACCOUNTS replaced the accounts
}

func setDefaults(v *viper.Viper) {
	flat := map[string]any{}
	flatten("", plain(reflect.ValueOf(Default())).(map[string]any), flat)
	for k, val := range flat {
		v.SetDefault(k, val)
	}
}

// readFile reads and checks the YAML file and merges it, with the
// per-account and per-folder defaults filled in.
func (l *loader) readFile(v *viper.Viper) {
	data, err := os.ReadFile(l.path) //nolint:gosec // G703: the operator chooses the config file.
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		l.broken = true
		l.ps = append(l.ps, Problem{Source: l.path, Message: fmt.Sprintf(
			"cannot read the config file: %v; check the path given with --config or %s", err, ConfigEnv)})
		return
	}
	p := parseYAML(data, reflect.TypeFor[Config](), "")
	for i := range p.problems {
		p.problems[i].Source = l.path
	}
	l.ps = append(l.ps, p.problems...)
	l.pos, l.failed, l.broken = p.pos, append(l.failed, p.failed...), p.broken
	cm, _ := p.value.(map[string]any)
	if cm == nil {
		return
	}
	fillAccountDefaults(cm["accounts"])
	if err := v.MergeConfigMap(cm); err != nil {
		l.broken = true
		l.ps = append(l.ps, Problem{Source: l.path, Message: err.Error()})
	}
}

// parsed is a YAML document converted for a type by parseYAML.
type parsed struct {
	value    any // nil for an empty document
	problems Problems
	pos      map[string]position
	failed   []string
	// broken: not YAML, or not the kind of value wanted at the top, so
	// nothing of it could be read.
	broken bool
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// maxBisectLines bounds the documents whose syntax errors are located by
// syntaxErrorLine (configuration files are far shorter).
const maxBisectLines = 5000

// syntaxErrorLine finds the line of a YAML syntax error. yaml.v3 reports
// the line where the enclosing mapping or sequence began (an error on line
// 4 of a top-level mapping is "line 1"), so this parses ever longer
// prefixes of data, line by line, and returns the last line of the
// shortest prefix that fails with the same message; 0 when none does (the
// caller keeps yaml's line).
func syntaxErrorLine(data []byte, msg string) int {
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > maxBisectLines {
		return 0
	}
	prefix := ""
	for i, ln := range lines {
		prefix += ln
		var doc yaml.Node
		err := yaml.Unmarshal([]byte(prefix), &doc)
		if err == nil {
			continue
		}
		m := yamlLineRE.ReplaceAllString(err.Error(), "")
		if strings.TrimPrefix(m, "yaml: ") == msg {
			return i + 1
		}
	}
	return 0
}

// parseYAML parses data and converts it for type t; key is the key of the
// whole document ("" for the file, "accounts" for ICLOUDMON_ACCOUNTS).
func parseYAML(data []byte, t reflect.Type, key string) parsed {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 stops at the first syntax error and returns no tree.
		msg, line := err.Error(), 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		if l := syntaxErrorLine(data, msg); l > 0 {
			line = l
		}
		return parsed{broken: true, failed: []string{key}, problems: Problems{{Key: key, Line: line,
			Message: "not valid YAML: " + msg + " (the other keys are checked once this is fixed)"}}}
	}
	if len(doc.Content) == 0 {
		return parsed{}
	}
	c := &converter{pos: map[string]position{}}
	c.at(key, doc.Content[0])
	v, ok := c.convert(doc.Content[0], t, key)
	return parsed{value: v, problems: c.problems, pos: c.pos, failed: c.failed, broken: !ok && slices.Contains(c.failed, key)}
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

// bindEnv checks every ICLOUDMON_* variable of a key outside the accounts
// list and binds those whose value can be read; a bad one is a problem and
// leaves the key at its file or default value.
func (l *loader) bindEnv(v *viper.Viper) {
	for _, k := range Keys() {
		env := EnvName(k)
		val, ok := os.LookupEnv(env)
		if !ok || val == "" || strings.HasPrefix(k, "accounts") {
			continue
		}
		if l.bindValue(k, env, val, func() error { return v.BindEnv(k, env) }) {
			l.fromEnv[k] = env
		}
	}
}

// bindValue checks raw, the value that source (a variable or a flag) gives
// key, and binds it with bind. A value that cannot be read is a problem and
// leaves key at its file or default value.
func (l *loader) bindValue(key, source, raw string, bind func() error) bool {
	t, _ := keyType(key)
	if _, err := decodeHook(nil, t, raw); err != nil {
		l.ps = append(l.ps, Problem{Key: key, Source: source, Message: err.Error()})
		l.failed = append(l.failed, key)
		return false
	}
	if err := bind(); err != nil {
		l.ps = append(l.ps, Problem{Key: key, Source: source, Message: err.Error()})
		return false
	}
	return true
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

// envAccounts reads ICLOUDMON_ACCOUNTS, a YAML or JSON list of accounts,
// which replaces the accounts of the file.
func (l *loader) envAccounts(v *viper.Viper) {
	s, ok := os.LookupEnv(AccountsEnv)
	if !ok || strings.TrimSpace(s) == "" {
		return
	}
	l.accountsEnv = true
	p := parseYAML([]byte(s), reflect.TypeFor[[]Account](), "accounts")
	for _, pr := range p.problems {
		// The key path says where in the value; lines of an environment
		// variable would only confuse.
		pr.Source, pr.Line, pr.Column = AccountsEnv, 0, 0
		l.ps = append(l.ps, pr)
	}
	l.failed = append(l.failed, p.failed...)
	if p.broken {
		return
	}
	list, _ := p.value.([]any)
	if list == nil {
		list = []any{}
	}
	fillAccountDefaults(list)
	v.Set("accounts", list)
}

// bindFlags binds every set flag whose name matches a key outside the
// accounts list and whose value can be read; other flags (--config,
// --account, --output) are left alone.
func (l *loader) bindFlags(v *viper.Viper, flags *pflag.FlagSet) {
	if flags == nil {
		return
	}
	known := map[string]bool{}
	for _, k := range Keys() {
		known[k] = !strings.HasPrefix(k, "accounts")
	}
	flags.Visit(func(f *pflag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if !known[key] {
			return
		}
		flag := "--" + f.Name
		if l.bindValue(key, flag, f.Value.String(), func() error { return v.BindPFlag(key, f) }) {
			l.fromFlag[key] = flag
		}
	})
}

// decode unmarshals the merged values, resolves the file references and
// reads the *_file secrets. Every value was checked before, so an error of
// the decoder is not expected; it is reported all the same.
func (l *loader) decode(v *viper.Viper) *Config {
	cfg := &Config{}
	err := v.Unmarshal(cfg, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = decodeHook
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = false
	})
	if err != nil {
		l.ps = append(l.ps, decodeProblems(err)...)
		l.broken = true
		return nil
	}
	cfg.File = l.path
	deriveFolderNames(cfg)
	if l.path != "" {
		resolvePaths(cfg, filepath.Dir(l.path))
	}
	l.ps = append(l.ps, readSecretFiles(cfg)...)
	return cfg
}

// validate applies the rules of Validate unless the file could not be read,
// leaving out the problems that involve a key whose value was not read.
func (l *loader) validate(cfg *Config) {
	if l.broken {
		return
	}
	for _, p := range cfg.problems() {
		if !l.involvesFailed(p) {
			l.ps = append(l.ps, p)
		}
	}
}

func (l *loader) involvesFailed(p Problem) bool {
	for _, k := range append([]string{p.Key}, p.related...) {
		for _, f := range l.failed {
			if covers(k, f) {
				return true
			}
		}
	}
	return false
}

// locate fills in where a problem's value came from, unless it is known:
// the key itself, else a related key, else the nearest enclosing key that
// is set; else the file (or nothing, without a file).
func (l *loader) locate(p *Problem) {
	if p.Source != "" {
		return
	}
	for _, k := range append([]string{p.Key}, p.related...) {
		if l.setAt(p, k) {
			return
		}
	}
	for k := parentKey(p.Key); k != ""; k = parentKey(k) {
		if l.setAt(p, k) {
			return
		}
	}
	p.Source = l.path
}

// setAt sets the source of p to where key got its value, if it was set.
func (l *loader) setAt(p *Problem, key string) bool {
	if l.accountsEnv && (key == "accounts" || within(key, "accounts")) {
		p.Source = AccountsEnv
		return true
	}
	if src, ok := l.fromFlag[key]; ok {
		p.Source = src
		return true
	}
	if src, ok := l.fromEnv[key]; ok {
		p.Source = src
		return true
	}
	if pos, ok := l.pos[key]; ok && l.path != "" {
		p.Source, p.Line, p.Column = l.path, pos.line, pos.column
		return true
	}
	return false
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
		return secret.New(s), nil
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

// decodeProblems turns mapstructure's joined errors into Problems.
func decodeProblems(err error) Problems {
	var ps Problems
	for _, e := range leafErrors(err) {
		var de *mapstructure.DecodeError
		if errors.As(e, &de) {
			ps = append(ps, Problem{Key: de.Name(), Message: de.Unwrap().Error()})
			continue
		}
		ps = append(ps, Problem{Message: e.Error()})
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
