//go:build tools

// Package deps pins modules the project depends on before every package that
// uses them has landed, so that `go mod tidy` keeps them. Remove an import
// from here once a real package imports it.
package deps

import (
	_ "github.com/abema/go-mp4"
	_ "github.com/evanoberholster/imagemeta"
	_ "github.com/go-resty/resty/v2"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/nicholas-fedor/shoutrrr"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "github.com/zalando/go-keyring"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "golang.org/x/text/unicode/norm"
	_ "modernc.org/sqlite"
)
