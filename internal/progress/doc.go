// Package progress reports the progress of long work (response extraction,
// generation) on a writer, usually os.Stderr.
//
// # Modes
//
// On a terminal a [Bar] redraws one line in place with \r: a bar, the
// count, the rate and the time left. On anything else (a log file, a pipe,
// a notebook's captured stderr) it writes plain lines such as
//
//	responses: 128/512 samples
//
// at most every [Every], and a last line when done. A nil writer, or
// [Disabled], makes it silent.
//
//	bar := progress.New(os.Stderr, "responses", len(texts))
//	for ... { ...; bar.Add(len(batch)) }
//	bar.Done()
//
// A Bar is safe for use by several goroutines.
package progress
