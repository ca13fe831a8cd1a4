// Package localindex keeps an incremental index of the local import folders
// (icloudpd, Windows import, Immich, PhotoPrism, Mac exports, flat folders),
// reads capture times from image and video headers, and matches cloud assets
// against local files with a stated confidence.
//
// Imports: no project package. Persistence goes through a small interface this
// package owns; the store package implements it.
package localindex
