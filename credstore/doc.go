// Package credstore finds the Apple ID password (OS keychain, secret file,
// environment) and keeps each account's opaque session blob (OS keychain, or
// a 0600 file in data_dir/sessions). It is the only package that imports
// go-keyring.
//
// # Passwords
//
// LookupPassword tries the sources an account enables, in this order: the
// OS keychain (service "icloudmon", user = Apple ID), a secret file (Docker
// secrets such as /run/secrets/alice_icloud; one trailing newline is
// trimmed), an environment variable. It returns the value as a Secret and
// the name of the source that supplied it; Notes say why earlier sources
// were skipped. A file readable by every user is used but noted, except
// under /run/secrets, where 0444 is Docker's and Podman's default inside
// the container. SetPassword and DeletePassword serve `icloudmon password`.
//
// # The keychain
//
// Every keychain call has a deadline (KeychainTimeout): go-keyring can block
// forever. After a timeout the stuck call is left to finish on its own and
// further calls fail at once until it does. An unusable keychain (no D-Bus
// session, as in containers; no Secret Service; locked; not answering) gives
// an error matching ErrKeychainUnavailable in plain words, for example "no OS
// keychain available (no D-Bus session); use a secret file or env instead",
// and lookups move on to the next source; ErrNotFound is distinct. On Linux,
// when no session bus address exists at all, go-keyring is not called: godbus
// would otherwise run dbus-launch and leave a dbus-daemon behind.
//
// # Sessions
//
// SessionStore keeps one blob per account, in the Mode chosen: ModeAuto
// (keychain when it works, otherwise the file; Load returns the newer copy
// when both exist, and a successful keychain save deletes the file copy),
// ModeKeychain, or ModeFile (never touches D-Bus; for containers). Files are
// data_dir/sessions/<account>.json, mode 0600 in a 0700 directory, written
// atomically (temp file in the same directory, fsync, rename, fsync of the
// directory). A session file or directory that others can read is still
// used, but its mode is reset to 0600/0700 and a warning is logged. A
// damaged file is reported and left as it is. Account names must be configs
// labels (lower-case letters, digits, "_" and "-"), so no name can leave the
// sessions directory.
//
// # Sign-in record
//
// SignIns is the per-account record of password sign-in attempts that every
// process sharing data_dir consults (data_dir/sessions/<account>.signins.json,
// written like a session file), with Lock: an exclusive OS file lock on
// <account>.signins.lock (flock on Unix, LockFileEx on Windows) that the
// kernel releases when the holder exits, however it exits. icloudapi owns
// the content.
//
// No password or session value ever appears in an error, a note or a log.
//
// Imports: no project package.
package credstore
