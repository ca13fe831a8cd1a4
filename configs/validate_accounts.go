package configs

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

func (v *validator) accounts(accounts []Account) {
	if len(accounts) == 0 {
		v.add("accounts", "no account is configured; add one under accounts: (see configs/icloudmon.example.yml) or set %s", AccountsEnv)
		return
	}
	names := map[string]int{}
	ids := map[string]int{}
	for i, a := range accounts {
		key := fmt.Sprintf("accounts[%d]", i)
		v.accountName(key+".name", a.Name, names, i)
		v.appleID(key+".apple_id", a.AppleID, ids, i, accounts)
		v.password(key+".password", a.Password)
		v.oneOf(key+".region", a.Region, regions)
		v.endpoints(key+".endpoints", a.Endpoints)
		v.libraries(key+".libraries", a.Libraries)
		v.oneOf(key+".hidden", a.Hidden, hiddenRules)
		v.folders(key+".folders", a.Folders)
		v.folderLibraries(key, a)
	}
}

func (v *validator) accountName(key, name string, seen map[string]int, i int) {
	switch {
	case name == "":
		v.add(key, "is empty; set a short label such as \"alice\" (metrics and messages use it instead of the Apple ID)")
		return
	case !validLabel(name):
		v.add(key, "%q is not a valid label; use up to 63 lower-case letters, digits, \"_\" and \"-\", for example %q", name, FolderName(name))
		return
	}
	if j, dup := seen[name]; dup {
		v.add(key, "%q is also the name of accounts[%d]; give every account its own name", name, j)
		return
	}
	seen[name] = i
}

func (v *validator) appleID(key, id string, seen map[string]int, i int, accounts []Account) {
	if strings.TrimSpace(id) == "" {
		v.add(key, "is empty; set the Apple ID (e-mail address or phone number) of this account")
		return
	}
	norm := strings.ToLower(strings.TrimSpace(id))
	if j, dup := seen[norm]; dup {
		v.add(key, "is the same Apple ID as accounts[%d] (%s); watch each Apple ID once", j, accounts[j].Name)
		return
	}
	seen[norm] = i
}

func (v *validator) password(key string, p Password) {
	if !p.Keyring && p.File == "" && p.Env == "" {
		v.add(key, "no password source: keyring is false and file and env are empty; "+
			"set keyring: true (then run \"icloudmon password set\"), file or env")
	}
	if p.Env != "" && !envVarRE.MatchString(p.Env) {
		v.add(key+".env", "%q is not an environment variable name; give the NAME of the variable that holds the password, for example ALICE_ICLOUD_PASSWORD", p.Env)
	}
}

func (v *validator) endpoints(key string, e Endpoints) {
	for _, ep := range []struct{ name, val, example string }{
		{"auth", e.Auth, "https://idmsa.apple.com/appleauth/auth"},
		{"setup", e.Setup, "https://setup.icloud.com/setup/ws/1"},
		{"home", e.Home, "https://www.icloud.com"},
	} {
		if ep.val != "" {
			v.httpURL(key+"."+ep.name, ep.val, false, true, ep.example)
		}
	}
}

func (v *validator) libraries(key string, libs []string) {
	if len(libs) == 0 {
		v.add(key, "is empty; use [personal], [shared] or [all]")
	}
	for i, l := range libs {
		v.oneOf(fmt.Sprintf("%s[%d]", key, i), l, libraries)
	}
}

func (v *validator) folders(key string, folders []Folder) {
	names := map[string]int{}
	paths := map[string]int{}
	for i, f := range folders {
		fk := fmt.Sprintf("%s[%d]", key, i)
		v.absPath(fk+".path", f.Path, "/photos/alice")
		if f.Path != "" {
			if j, dup := paths[filepath.Clean(f.Path)]; dup {
				v.add(fk+".path", "%q is also the path of %s[%d]; list each folder once", f.Path, key, j)
			} else {
				paths[filepath.Clean(f.Path)] = i
			}
		}
		v.folderName(fk+".name", f.Name, names, key, i)
		v.oneOf(fk+".layout", f.Layout, layoutNames())
		v.oneOf(fk+".renditions", f.Renditions, renditions)
		v.ignore(fk+".ignore", f.Ignore)
	}
}

// folderLibraries checks that every folder holds libraries the account
// monitors: personal, shared or all, each of them in accounts[].libraries.
func (v *validator) folderLibraries(key string, a Account) {
	monitored := map[string]bool{}
	for _, l := range a.Libraries {
		monitored[l] = true
		if l == LibraryAll {
			monitored[LibraryPersonal], monitored[LibraryShared] = true, true
		}
	}
	for i, f := range a.Folders {
		fk := fmt.Sprintf("%s.folders[%d].libraries", key, i)
		if len(f.Libraries) == 0 {
			v.add(fk, "is empty; use [all] (the default: every library of the account), [personal] or [shared]")
			continue
		}
		for j, l := range f.Libraries {
			lk := fmt.Sprintf("%s[%d]", fk, j)
			switch {
			case l == LibraryHidden:
				v.add(lk, "hidden is not a library of its own; say that your importer fetches hidden items with hidden in %s.libraries", key)
			case l != LibraryPersonal && l != LibraryShared && l != LibraryAll:
				v.add(lk, "%q is not a library; use personal, shared or all", l)
			case !monitored[l] && l != LibraryAll:
				v.add(lk, "%s is not compared with any folder because %s.libraries does not include it; add %s there, or remove it from this folder", l, key, l)
			}
		}
	}
}

func (v *validator) folderName(key, name string, seen map[string]int, listKey string, i int) {
	if name == "" {
		return // reported with the path
	}
	if !validLabel(name) {
		v.add(key, "%q is not a valid label; use up to 63 lower-case letters, digits, \"_\" and \"-\", for example %q", name, FolderName(name))
		return
	}
	if j, dup := seen[name]; dup {
		v.add(key, "%q is also the name of %s[%d]; set a different name: on one of them", name, listKey, j)
		return
	}
	seen[name] = i
}

func (v *validator) ignore(key string, patterns []string) {
	for i, p := range patterns {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			v.add(fmt.Sprintf("%s[%d]", key, i), "%q is not a glob pattern; write for example \"*.tmp\" or \"@eaDir/*\"", p)
		}
	}
}
