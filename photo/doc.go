// Package photo is the shared vocabulary of icloudmon for one cloud photo
// and the matcher's verdict about it: Asset, Kind, Part, Resource, Match
// and Confidence. icloudapi builds Assets from CloudKit records, localindex
// matches them against local files, checks judges the Matches; all three
// speak these types, so an asset reaches its verdict without adapters.
//
// Imports: the standard library only, no project package (design §1).
package photo
