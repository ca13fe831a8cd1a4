package checks

import (
	"reflect"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/configs"
)

// TestValidChecksAreEvaluatedAsWritten: configs validates the thresholds,
// Policy only falls back to its defaults for values no valid configuration
// has. Each checks.* key is set, one at a time, to values around its
// bounds; every value configs accepts must reach the checks as written.
func TestValidChecksAreEvaluatedAsWritten(t *testing.T) {
	values := map[reflect.Kind][]any{
		reflect.Int64:   {-time.Hour, time.Duration(0), time.Nanosecond, time.Hour, 24 * time.Hour, 400 * 24 * time.Hour},
		reflect.Float64: {-0.5, 0.0, 0.01, 0.5, 1.0, 1.5, 99.0},
		reflect.Int:     {-1, 0, 1, 10, 200, 201},
		reflect.Bool:    {true, false},
	}
	typ := reflect.TypeFor[configs.Checks]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Tag.Get("mapstructure"), func(t *testing.T) {
			for _, v := range values[f.Type.Kind()] {
				cfg := configs.Default()
				acct := configs.DefaultAccount()
				acct.Name, acct.AppleID = "alice", "alice@example.com"
				folder := configs.DefaultFolder()
				folder.Path = "/photos/alice"
				acct.Folders = []configs.Folder{folder}
				cfg.Accounts = []configs.Account{acct}
				reflect.ValueOf(&cfg.Checks).Elem().Field(i).Set(reflect.ValueOf(v).Convert(f.Type))
				if cfg.Validate() != nil {
					continue
				}
				if p := Policy(cfg.Checks); p.sane() != p {
					t.Errorf("%v is valid, but the checks use %+v instead of %+v", v, p.sane(), p)
				}
			}
		})
	}
}
