package dataset

import (
	"bytes"
	"testing"
)

// FuzzReaders feeds arbitrary bytes to the CSV, JSONL and json-subsets
// parsers: they may fail, never panic.
func FuzzReaders(f *testing.F) {
	f.Add([]byte("text,label\nhello,pos\n\"multi\nline\",neg\n"))
	f.Add([]byte("{\"text\": \"a\", \"label\": \"b\"}\n{\"text\": 1}\n"))
	f.Add([]byte("{\"a\": [\"x\"], \"b\": []}"))
	f.Add([]byte("\"id\",\"comment_text\",\"toxic\"\n\"1\",\"x\",1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = scanCSV(bytes.NewReader(data), func(header map[string]int, cols []string) (func(int, []string) error, error) {
			idx, err := columns(header, cols, "text")
			if err != nil {
				return nil, err
			}
			return func(_ int, rec []string) error { _ = rec[idx[0]]; return nil }, nil
		})
		_ = scanLines(bytes.NewReader(data), func(int, []byte) error { return nil })
		_, _ = parseJSONSubsets("fuzz", data)
	})
}
