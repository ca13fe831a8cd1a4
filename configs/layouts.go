package configs

import "slices"

// Layout is one value of accounts[].folders[].layout: what the layout says
// about the importer that fills the folder. layoutTable is the one list of
// layouts; validation, the matcher (through cmd) and the remediation texts
// of local_copy read it, so a new layout is one row.
type Layout struct {
	// Name is the configuration value.
	Name string
	// Importer is how remediation names the importer ("the importer
	// (immich)"); empty for layouts that name none (auto, flat). Whether
	// the folder of such a layout renames files is judged from the copies
	// found there.
	Importer string
	// RenamesFiles is set when the importer gives every file a new name
	// and keeps the bytes it was given: copies are found by capture time
	// and must agree in size with a version of the photo. Immich stores
	// uploads as upload/<user>/xx/yy/<uuid>.<ext> and verifies size and
	// checksum when its storage template moves them
	// (server/src/cores/storage.core.ts); PhotoPrism's import renames to
	// YYYYMMDD_HHMMSS_<crc32> and moves or copies the file as is
	// (internal/photoprism/import.go, import_worker.go). Windows "Apple
	// Devices" and Mac Photos/osxphotos exports keep Apple's IMG_NNNN stem
	// (converted files change only the extension). docs/checks.md lists
	// the same (TestRenamingLayoutsDocumented).
	RenamesFiles bool
	// Hint says where to look when the importer seems stuck; empty for the
	// generic advice (check that it runs and is signed in).
	Hint string
}

// layoutTable lists every layout; the first is the default.
var layoutTable = []Layout{
	{Name: LayoutAuto},
	{Name: LayoutICloudPD, Importer: "icloudpd"},
	{Name: LayoutImmich, Importer: "immich", RenamesFiles: true,
		Hint: "Open the Immich app on the iPhone and check that backup is on and not waiting (background app refresh, Wi-Fi, battery)."},
	{Name: LayoutPhotoPrism, Importer: "photoprism", RenamesFiles: true,
		Hint: "Check that whatever feeds PhotoPrism still runs (its import or sync job, or the upload app on the iPhone) and look at its log."},
	{Name: LayoutWindows, Importer: "windows"},
	{Name: LayoutOSXPhotos, Importer: "mac"}, // Mac Photos exports, by hand or with osxphotos
	{Name: LayoutFlat},
}

// Layouts returns every layout (a fresh slice).
func Layouts() []Layout { return slices.Clone(layoutTable) }

// LayoutNamed returns the layout of a configuration value; ok is false for
// a value that is no layout (Validate rejects it).
func LayoutNamed(name string) (l Layout, ok bool) {
	i := slices.IndexFunc(layoutTable, func(l Layout) bool { return l.Name == name })
	if i < 0 {
		return Layout{}, false
	}
	return layoutTable[i], true
}

// layoutNames are the configuration values, in table order.
func layoutNames() []string {
	names := make([]string, len(layoutTable))
	for i, l := range layoutTable {
		names[i] = l.Name
	}
	return names
}
