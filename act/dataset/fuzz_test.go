package dataset

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReaders feeds arbitrary bytes to every reader through a file: they
// may fail, never panic.
func FuzzReaders(f *testing.F) {
	f.Add([]byte("text,label\nhello,pos\n\"multi\nline\",neg\n"))
	f.Add([]byte("{\"text\": \"a\", \"label\": \"b\"}\n{\"text\": 1}\n"))
	f.Add([]byte("{\"a\": [\"x\"], \"b\": []}"))
	f.Add([]byte("\"id\",\"comment_text\",\"toxic\",\"severe_toxic\",\"obscene\",\"threat\",\"insult\",\"identity_hate\"\n\"1\",\"x\",1,0,0,0,0,0\n"))
	f.Add([]byte("{\"prompt\": {\"text\": \"p\", \"toxicity\": null}}\n{\"prompt\": {\"text\": \"q\", \"toxicity\": 0.7}}\n"))
	f.Add([]byte("{\"annotations\": [{\"caption\": \"c\"}, {}]}"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "input.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ReadJSONSubsets(p)
		ReadJigsaw(p)
		ReadJigsaw(p, "all", "non-toxic")
		ReadRealToxicityPrompts(p)
		ReadCOCOCaptions(p)
		ReadJSONL(p, "text", "label")
		ReadCSV(p, "text", "label")
		ReadText(p)
	})
}
