// Package configs holds the configuration model of icloudmon: structs,
// defaults, Load (YAML file + ICLOUDMON_* environment + flags through a local
// viper instance) and Validate. The directory also ships the templates users
// copy: icloudmon.example.yml, prometheus/alerts.yml, grafana/icloudmon.json
// and compose.yaml.
//
// Imports: no project package. It is the only package that imports viper.
package configs
