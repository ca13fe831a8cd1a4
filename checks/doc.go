// Package checks is the pure verdict engine: Observation + Policy + History +
// now → Report.
//
// Imports: the standard library only. No I/O, no clock, no project imports.
package checks
