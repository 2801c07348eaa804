package act

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/actsh/actsh/engine/safetensors"
)

// What every evaluation step shares: it is skipped when its outputs exist
// for the same inputs (a marker file holds the key of those inputs), and a
// step that was killed resumes from a partial file of finished units of
// work.

// skipIfDone reports whether step name's outputs (relative to results_dir,
// the first the one it logs) exist and marker holds stepKey; then it
// records the skip and the files.
func (r *pipelineRun) skipIfDone(name, marker, stepKey string, outputs ...string) bool {
	have, err := os.ReadFile(marker)
	if err != nil || string(have) != stepKey {
		return false
	}
	for _, o := range outputs {
		if _, err := os.Stat(filepath.Join(r.resultsDir, o)); err != nil {
			return false
		}
	}
	r.logf("%s: %s exists for the same inputs, skipped", name, outputs[0])
	r.res.Skipped = append(r.res.Skipped, name)
	for _, o := range outputs {
		r.addFile(o)
	}
	return true
}

// stepLog is a resumable step's partial file: a {"key": stepKey} line,
// then one JSON record per finished unit of work, synced as it is written.
type stepLog struct {
	f    *os.File
	path string
}

// openStepLog returns the records an interrupted run with the same key
// left in path (none for a missing file or another key; a torn last line
// is cut off) and opens path to append more.
func openStepLog[T any](path, stepKey string) ([]T, *stepLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("pipeline: %w", err)
	}
	done, err := readPartialLines[T](path, stepKey)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline: %w", err)
	}
	l := &stepLog{f: f, path: path}
	if len(done) == 0 {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("pipeline: %w", err)
		}
		if err := l.add(map[string]string{"key": stepKey}); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return done, l, nil
}

// add appends one record and syncs it to disk.
func (l *stepLog) add(rec any) error {
	if _, err := fmt.Fprintf(l.f, "%s\n", mustJSON(rec)); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}

// close closes the file, keeping it for a later run.
func (l *stepLog) close() { l.f.Close() }

// finish records that the step's outputs are complete (marker ← stepKey)
// and removes the partial file.
func (l *stepLog) finish(marker, stepKey string) error {
	if err := writeMarker(marker, stepKey); err != nil {
		return err
	}
	l.f.Close()
	os.Remove(l.path)
	return nil
}

// writeMarker writes a step's marker file atomically.
func writeMarker(marker, stepKey string) error {
	if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := safetensors.WriteFileAtomic(marker, []byte(stepKey), 0o644); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}

// readPartialLines reads the records of a resumable step's partial file:
// a {"key": stepKey} line, then one JSON record per line. A file for other
// inputs, or none, gives nothing; a torn last line (the process died while
// writing it) is cut off the file.
func readPartialLines[T any](path, stepKey string) ([]T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	var out []T
	good := 0
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			var h struct{ Key string }
			if json.Unmarshal(line, &h) != nil || h.Key != stepKey {
				return nil, nil
			}
			first = false
			good += len(line) + 1
			continue
		}
		var rec T
		if json.Unmarshal(line, &rec) != nil || good+len(line)+1 > len(data) {
			break
		}
		out = append(out, rec)
		good += len(line) + 1
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
	}
	return out, nil
}
