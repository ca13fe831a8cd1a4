// Package credstore finds the Apple ID password (OS keychain, secret file,
// environment) and keeps each account's opaque session blob (OS keychain, or
// a 0600 file in data_dir/sessions). It is the only package that imports
// go-keyring.
//
// Imports: no project package.
package credstore
