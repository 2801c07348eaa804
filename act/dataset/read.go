package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// JigsawCategories are the toxicity flags of the Jigsaw data set, in the
// order ml-act checks them.
var JigsawCategories = []string{"toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"}

// RTPThreshold is the prompt toxicity from which a RealToxicityPrompts
// prompt counts as toxic (ml-act's evaluation splits at 0.5).
const RTPThreshold = 0.5

// ReadJSONSubsets reads ml-act's json-subsets format: one JSON object whose
// keys are subset names and whose values are lists of texts. Subsets keep
// the file's order.
func ReadJSONSubsets(path string) (*Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	ds, err := parseJSONSubsets(path, data)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return ds, nil
}

// ParseJSONSubsets is ReadJSONSubsets on a file's contents (for example
// an embedded one); name names the data set and its errors.
func ParseJSONSubsets(name string, data []byte) (*Dataset, error) {
	ds, err := parseJSONSubsets(name, data)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", name, err)
	}
	return ds, nil
}

func parseJSONSubsets(name string, data []byte) (*Dataset, error) {
	ds := New(name)
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(data, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("line %d: want an object {\"subset\": [texts...]}, found %v", lineAt(data, dec.InputOffset()), tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(data, dec, err)
		}
		key, _ := tok.(string)
		var texts []string
		if err := dec.Decode(&texts); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, fmt.Errorf("line %d: subset %q must be a list of strings", lineAt(data, te.Offset), key)
			}
			return nil, jsonErr(data, dec, err)
		}
		ds.Add(key, texts...)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(data, dec, err)
	}
	return ds, nil
}

// ReadJigsaw reads the Kaggle Jigsaw toxic comments CSV (columns
// comment_text and the [JigsawCategories]) as ml-act's JigsawDataset does.
// subsets are the requested labels, by default "toxic" and "non-toxic"
// (ml-act's toxicity task): a row goes to the first requested category it
// is flagged with (to "all" when "all" is requested, which requests every
// category), to "non-toxic" when it has no flag at all and "non-toxic" is
// requested, and is dropped otherwise.
func ReadJigsaw(path string, subsets ...string) (*Dataset, error) {
	if len(subsets) == 0 {
		subsets = []string{"toxic", "non-toxic"}
	}
	want := map[string]bool{}
	all := false
	for _, s := range subsets {
		switch {
		case s == "all":
			all = true
			for _, c := range JigsawCategories {
				want[c] = true
			}
		case s == "non-toxic" || slices.Contains(JigsawCategories, s):
			want[s] = true
		default:
			return nil, fmt.Errorf("dataset: jigsaw %s: unknown subset %q (want all, non-toxic or one of %s)", path, s, strings.Join(JigsawCategories, ", "))
		}
	}
	ds := New(path)
	for _, s := range subsets {
		if s == "all" || want[s] {
			ds.Add(s)
		}
	}
	err := readCSV(path, func(header map[string]int, cols []string) (func(line int, rec []string) error, error) {
		idx, err := columns(header, cols, append([]string{"comment_text"}, JigsawCategories...)...)
		if err != nil {
			return nil, err
		}
		return func(line int, rec []string) error {
			other := false
			for i, c := range JigsawCategories {
				v, err := strconv.ParseFloat(strings.TrimSpace(rec[idx[i+1]]), 64)
				if err != nil {
					return fmt.Errorf("line %d: column %s: %q is not a number", line, c, rec[idx[i+1]])
				}
				if v != 1 {
					continue
				}
				if want[c] {
					if all {
						c = "all"
					}
					ds.Add(c, rec[idx[0]])
					return nil
				}
				other = true
			}
			if !other && want["non-toxic"] {
				ds.Add("non-toxic", rec[idx[0]])
			}
			return nil
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// ReadRealToxicityPrompts reads RealToxicityPrompts as DExperts ships it
// (prompted_gens_gpt2.jsonl): one JSON object per line, the text in
// prompt.text, labelled "toxic" when prompt.toxicity ≥ [RTPThreshold] and
// "non-toxic" below. Lines whose prompt.toxicity is null are dropped, as
// ml-act does.
func ReadRealToxicityPrompts(path string) (*Dataset, error) {
	ds := New(path)
	ds.Add("toxic")
	ds.Add("non-toxic")
	err := readLines(path, func(line int, b []byte) error {
		var row struct {
			Prompt *struct {
				Text     *string  `json:"text"`
				Toxicity *float64 `json:"toxicity"`
			} `json:"prompt"`
		}
		if err := json.Unmarshal(b, &row); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if row.Prompt == nil || row.Prompt.Text == nil {
			return fmt.Errorf("line %d: no prompt.text", line)
		}
		if row.Prompt.Toxicity == nil {
			return nil
		}
		if *row.Prompt.Toxicity >= RTPThreshold {
			ds.Add("toxic", *row.Prompt.Text)
		} else {
			ds.Add("non-toxic", *row.Prompt.Text)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// ReadCOCOCaptions reads a COCO captions annotation file
// (captions_{train,val}2017.json): the captions of annotations[], in file
// order, in one subset "captions".
func ReadCOCOCaptions(path string) (*Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var doc struct {
		Annotations *[]struct {
			Caption *string `json:"caption"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, jsonErr(data, nil, err))
	}
	if doc.Annotations == nil {
		return nil, fmt.Errorf("dataset: %s: no \"annotations\" list (not a COCO captions file?)", path)
	}
	ds := New(path)
	ds.Add("captions")
	for i, a := range *doc.Annotations {
		if a.Caption == nil {
			return nil, fmt.Errorf("dataset: %s: annotation %d has no caption", path, i)
		}
		ds.Add("captions", *a.Caption)
	}
	return ds, nil
}

// ReadJSONL reads one JSON object per line: the text in textField and the
// subset in labelField (a string, number or boolean, written as Go's %v
// does). An empty labelField puts every text in one subset named after the
// file's stem. Blank lines are skipped.
func ReadJSONL(path, textField, labelField string) (*Dataset, error) {
	ds := New(path)
	err := readLines(path, func(line int, b []byte) error {
		var row map[string]any
		if err := json.Unmarshal(b, &row); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		text, ok := row[textField].(string)
		if !ok {
			return fmt.Errorf("line %d: no string field %q (fields: %s)", line, textField, strings.Join(keys(row), ", "))
		}
		label := stem(path)
		if labelField != "" {
			v, ok := row[labelField]
			if !ok || v == nil {
				return fmt.Errorf("line %d: no label field %q (fields: %s)", line, labelField, strings.Join(keys(row), ", "))
			}
			label = fmt.Sprint(v)
		}
		ds.Add(label, text)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// ReadCSV reads a CSV file with a header row: the text in column textCol
// and the subset in column labelCol. An empty labelCol puts every text in
// one subset named after the file's stem. Quoted fields may span lines.
func ReadCSV(path, textCol, labelCol string) (*Dataset, error) {
	ds := New(path)
	err := readCSV(path, func(header map[string]int, cols []string) (func(int, []string) error, error) {
		want := []string{textCol}
		if labelCol != "" {
			want = append(want, labelCol)
		}
		idx, err := columns(header, cols, want...)
		if err != nil {
			return nil, err
		}
		return func(_ int, rec []string) error {
			label := stem(path)
			if labelCol != "" {
				label = rec[idx[1]]
			}
			ds.Add(label, rec[idx[0]])
			return nil
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// ReadText reads one text per non-empty line into one subset named after
// the file's stem ("toxic.txt" gives subset "toxic").
func ReadText(path string) (*Dataset, error) {
	ds := New(path)
	ds.Add(stem(path))
	err := readLines(path, func(_ int, b []byte) error {
		ds.Add(stem(path), string(b))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// readLines calls fn with every non-blank line (without its line ending)
// and its 1-based number.
func readLines(path string, fn func(line int, b []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	if err := scanLines(f, fn); err != nil {
		return fmt.Errorf("dataset: %s: %w", path, err)
	}
	return nil
}

func scanLines(r io.Reader, fn func(line int, b []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if err := fn(line, b); err != nil {
			return err
		}
	}
	return sc.Err()
}

// readCSV opens a CSV file, hands its header to setup and every record,
// with the line it starts on, to the returned function.
func readCSV(path string, setup func(header map[string]int, cols []string) (func(int, []string) error, error)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	if err := scanCSV(f, setup); err != nil {
		return fmt.Errorf("dataset: %s: %w", path, err)
	}
	return nil
}

func scanCSV(r io.Reader, setup func(header map[string]int, cols []string) (func(int, []string) error, error)) error {
	cr := csv.NewReader(r)
	cols, err := cr.Read()
	if err == io.EOF {
		return errors.New("empty file (want a header row)")
	}
	if err != nil {
		return err
	}
	header := map[string]int{}
	for i, c := range cols {
		c = strings.TrimPrefix(c, "\ufeff")
		cols[i] = c
		if _, dup := header[c]; !dup {
			header[c] = i
		}
	}
	row, err := setup(header, cols)
	if err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		if err := row(line, rec); err != nil {
			return err
		}
	}
}

// columns returns the index of each wanted column, or an error naming the
// columns the file has.
func columns(header map[string]int, cols []string, want ...string) ([]int, error) {
	idx := make([]int, len(want))
	for i, w := range want {
		j, ok := header[w]
		if !ok {
			return nil, fmt.Errorf("no column %q (columns: %s)", w, strings.Join(cols, ", "))
		}
		idx[i] = j
	}
	return idx, nil
}

// jsonErr adds the line number to a JSON syntax error.
func jsonErr(data []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("line %d: %w", lineAt(data, se.Offset), err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("line %d: %w", lineAt(data, te.Offset), err)
	}
	if dec != nil && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)) {
		return fmt.Errorf("line %d: unexpected end of JSON", lineAt(data, dec.InputOffset()))
	}
	return err
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stem(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}
