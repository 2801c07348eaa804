package act

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/internal/progress"
)

// clipScoreStep is the clip_score evaluation's plan: ml-act's
// calculate_clip_score.py. It reads every **/*.png under input_folder
// (by default what text-to-image-generation writes,
// results_dir/generate_with_hooks_diffusion) with the .json beside it,
// groups the images by prompt id, compares each with the id's unsteered
// image (strength 0) through the CLIP judge ([CLIP.Compare]) and writes
// results_dir/calculate_clip_score/clip_score.csv: the JSON fields as
// pandas writes ml-act's frame (index first, the images grouped by id),
// then the six score columns.
type clipScoreStep struct {
	input, modelPath, dir string
}

// clipImageProducer writes the images clip_score reads by default.
const clipImageProducer = "text-to-image-generation"

func planClipScore(p *pipelinePlan) (func(r *pipelineRun) error, error) {
	g := &getter{c: p.cfg}
	const s = "clip_score."
	st := &clipScoreStep{input: filepath.Join(p.resultsDir, "generate_with_hooks_diffusion"), modelPath: DefaultCLIP}
	results := p.resultsDir
	if p.cfg.Has(s + "input_folder") {
		st.input = g.str(s + "input_folder")
	}
	if p.cfg.Has(s + "model_path") {
		st.modelPath = g.str(s + "model_path")
	}
	if p.cfg.Has(s + "results_dir") {
		results = g.str(s + "results_dir")
	}
	if g.err != nil {
		return nil, g.err
	}
	switch {
	case st.modelPath == "":
		return nil, &config.Error{Key: s + "model_path", Msg: "clip_score.model_path is empty: name the judge, a CLIPModel (" + DefaultCLIP + " or a folder)"}
	case st.input == "":
		return nil, &config.Error{Key: s + "input_folder", Msg: "clip_score.input_folder is empty: name the folder of PNG images and their JSON files"}
	}
	st.dir = filepath.Join(results, "calculate_clip_score")

	// The images: checked now unless text-to-image-generation writes them
	// in this run (listed after clip_score, it is moved before it).
	if dir, err := p.cfg.String("text_to_image_generation.results_dir"); err == nil {
		out := filepath.Join(dir, "generate_with_hooks_diffusion")
		if within(st.input, out) || within(out, st.input) {
			if p.planned(clipImageProducer) {
				return st.run, nil
			}
			if p.listed(clipImageProducer) {
				p.runAfter("clip_score", clipImageProducer)
				return st.run, nil
			}
		}
	}
	if _, err := os.Stat(st.input); err != nil {
		return nil, fmt.Errorf("clip_score.input_folder=%s does not exist: the text-to-image-generation evaluation writes it (list it before clip_score, e.g. \"evaluation=['text-to-image-generation','clip_score']\"), or point clip_score.input_folder at a folder of PNG images with their JSON files", st.input)
	}
	pngs, err := findPNGs(st.input)
	if err != nil {
		return nil, fmt.Errorf("clip_score.input_folder=%s: %w", st.input, err)
	}
	if len(pngs) == 0 {
		return nil, fmt.Errorf("clip_score.input_folder=%s holds no .png images (ml-act: \"No images found in input folder.\")", st.input)
	}
	return st.run, nil
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	a, errA := filepath.Abs(path)
	b, errB := filepath.Abs(dir)
	if errA != nil || errB != nil {
		return false
	}
	rel, err := filepath.Rel(b, a)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// findPNGs lists the .png files below dir as ml-act's
// sorted(Path(dir).glob("**/*.png")) does: every depth, hidden names
// included, ordered by path components.
func findPNGs(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".png") {
			out = append(out, path)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b string) int {
		return slices.Compare(strings.Split(filepath.ToSlash(a), "/"), strings.Split(filepath.ToSlash(b), "/"))
	})
	return out, err
}

// clipFrame is ml-act's data frame: the JSON fields of every image, one
// row per image in file order, columns in the order they first appear.
type clipFrame struct {
	pngs []string
	cols []string
	vals map[string][]pyValue
	sum  string // SHA-256 of the images and JSON files, in order
}

// readClipFrame reads the images' JSON files as ml-act does: a list
// extends its column by its values (one per image: ml-act's generator
// writes one-element lists), any other value is appended.
func readClipFrame(dir string) (*clipFrame, error) {
	pngs, err := findPNGs(dir)
	if err != nil {
		return nil, err
	}
	if len(pngs) == 0 {
		return nil, fmt.Errorf("%s holds no .png images (ml-act: \"No images found in input folder.\")", dir)
	}
	f := &clipFrame{pngs: pngs, vals: map[string][]pyValue{}}
	h := sha256.New()
	for i, p := range pngs {
		img, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		js := strings.TrimSuffix(p, ".png") + ".json"
		data, err := os.ReadFile(js)
		if err != nil {
			return nil, fmt.Errorf("%s has no JSON file beside it: %w", p, err)
		}
		rel, _ := filepath.Rel(dir, p)
		for _, b := range [][]byte{[]byte(rel), img, data} {
			s := sha256.Sum256(b)
			h.Write(s[:])
		}
		fields, err := pyObject(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", js, err)
		}
		for _, kv := range fields {
			if _, ok := f.vals[kv.key]; !ok {
				if i > 0 {
					return nil, fmt.Errorf("%s has the field %q, which %s has not (ml-act's frame needs the same fields in every file)", js, kv.key, strings.TrimSuffix(pngs[0], ".png")+".json")
				}
				f.cols = append(f.cols, kv.key)
			}
			if kv.val.kind == jsonList {
				if len(kv.val.items) != 1 {
					return nil, fmt.Errorf("%s: %q holds %d values; ml-act's reader spreads a list over the images, so each must hold one", js, kv.key, len(kv.val.items))
				}
				f.vals[kv.key] = append(f.vals[kv.key], kv.val.items[0])
			} else {
				f.vals[kv.key] = append(f.vals[kv.key], kv.val)
			}
		}
		for _, c := range f.cols {
			if len(f.vals[c]) != i+1 {
				return nil, fmt.Errorf("%s has no field %q (ml-act's frame needs the same fields in every file)", js, c)
			}
		}
	}
	f.sum = hex.EncodeToString(h.Sum(nil))
	for _, c := range []string{"id", "original_prompt", "conditional_prompt", "strength", "src_subsets", "dst_subsets"} {
		if _, ok := f.vals[c]; !ok {
			return nil, fmt.Errorf("%s: no field %q (ml-act's generator writes id, original_prompt, conditional_prompt, strength, src_subsets, dst_subsets, …)", strings.TrimSuffix(pngs[0], ".png")+".json", c)
		}
	}
	return f, nil
}

// clipGroup is one prompt id's images: row indices in file order, the
// unsteered one first among those at strength 0.
type clipGroup struct {
	rows      []int
	unsteered int
}

// groups splits the rows by id in order of first appearance, as ml-act's
// df["id"].unique(), checking what the comparison needs.
func (f *clipFrame) groups() ([]clipGroup, error) {
	var out []clipGroup
	index := map[string]int{}
	for r, id := range f.vals["id"] {
		k, ok := id.key()
		if !ok {
			return nil, fmt.Errorf("%s: id is %s; want a number or a string", f.json(r), id.str())
		}
		g, ok := index[k]
		if !ok {
			g = len(out)
			index[k] = g
			out = append(out, clipGroup{unsteered: -1})
		}
		out[g].rows = append(out[g].rows, r)
		if s := f.vals["strength"][r]; out[g].unsteered < 0 && s.isZero() {
			out[g].unsteered = r
		}
	}
	for _, g := range out {
		if g.unsteered < 0 {
			return nil, fmt.Errorf("id %s has no image at strength 0 (%s …): ml-act compares every image of an id with its unsteered one", f.vals["id"][g.rows[0]].str(), f.pngs[g.rows[0]])
		}
		for _, r := range g.rows {
			for _, c := range []string{"conditional_prompt", "src_subsets", "dst_subsets"} {
				if f.vals[c][r].kind != jsonString {
					return nil, fmt.Errorf("%s: %s is %s; want a string (or a list of one)", f.json(r), c, f.vals[c][r].str())
				}
			}
		}
		if o := f.vals["original_prompt"][g.unsteered]; o.kind != jsonString {
			return nil, fmt.Errorf("%s: original_prompt is %s; want a string", f.json(g.unsteered), o.str())
		}
	}
	return out, nil
}

func (f *clipFrame) json(r int) string { return strings.TrimSuffix(f.pngs[r], ".png") + ".json" }

// condition is the concept of row r's zero-shot score, as ml-act picks
// it: the source subset when "none" is in the destination subset (a
// substring test, the lists being read as their one string), else the
// destination subset.
func (f *clipFrame) condition(r int) string {
	if strings.Contains(f.vals["dst_subsets"][r].s, "none") {
		return f.vals["src_subsets"][r].s
	}
	return f.vals["dst_subsets"][r].s
}

// csScores is one finished id in the resumable partial file.
type csScores struct {
	Group  int          `json:"g"`
	Scores [][6]float64 `json:"s"`
}

func (st *clipScoreStep) run(r *pipelineRun) error {
	csvPath := filepath.Join(st.dir, "clip_score.csv")
	rel, _ := filepath.Rel(r.resultsDir, csvPath)
	f, err := readClipFrame(st.input)
	if err != nil {
		return fmt.Errorf("pipeline: clip_score.input_folder=%s: %w", st.input, err)
	}
	groups, err := f.groups()
	if err != nil {
		return fmt.Errorf("pipeline: clip_score.input_folder=%s: %w", st.input, err)
	}
	stepKey := key("clip_score/1", st.modelPath, f.sum)
	marker := filepath.Join(st.dir, ".clip_score.key")
	if r.skipIfDone("clip_score", marker, stepKey, rel) {
		return nil
	}
	recs, log, err := openStepLog[csScores](csvPath+".partial", stepKey)
	if err != nil {
		return err
	}
	defer log.close()
	scores := make([][6]float64, len(f.pngs))
	done := map[int]bool{}
	for _, rec := range recs {
		if rec.Group < len(groups) && len(rec.Scores) == len(groups[rec.Group].rows) {
			for i, row := range groups[rec.Group].rows {
				scores[row] = rec.Scores[i]
			}
			done[rec.Group] = true
		}
	}
	r.logf("clip_score: %d images of %d prompts in %s, judge %s", len(f.pngs), len(groups), st.input, st.modelPath)
	var judge *CLIP
	texts := map[string][]float32{}
	bar := progress.New(r.log, "clip_score", len(f.pngs)).Unit("images")
	defer bar.Done()
	for gi, g := range groups {
		if done[gi] {
			bar.Add(len(g.rows))
			continue
		}
		if err := r.ctx.Err(); err != nil {
			return fmt.Errorf("pipeline: clip_score interrupted (it resumes on the next run): %w", err)
		}
		var got [][6]float64
		err := catch(func() {
			if judge == nil {
				judge = LoadCLIP(st.modelPath)
			}
			got = st.compare(r, judge, f, g, texts)
		})
		if err != nil {
			return fmt.Errorf("pipeline: clip_score (clip_score.model_path=%s): %w", st.modelPath, err)
		}
		for i, row := range g.rows {
			scores[row] = got[i]
		}
		if err := log.add(csScores{Group: gi, Scores: got}); err != nil {
			return err
		}
		bar.Add(len(g.rows))
		pipelineEvent("clip_score")
	}
	bar.Done()
	if err := r.writeResult(rel, f.table(groups, scores)); err != nil {
		return err
	}
	if err := log.finish(marker, stepKey); err != nil {
		return err
	}
	var zs float64
	for _, s := range scores {
		zs += s[5]
	}
	r.logf("clip_score: mean conditional zero-shot score %.4f over %d images, %s", zs/float64(len(scores)), len(scores), rel)
	return nil
}

// compare scores one id's images; texts caches the embeddings of the
// texts already seen.
func (st *clipScoreStep) compare(r *pipelineRun, judge *CLIP, f *clipFrame, g clipGroup, texts map[string][]float32) [][6]float64 {
	imgs := make([]image.Image, len(g.rows))
	var want []string
	need := func(s string) {
		if _, ok := texts[s]; !ok && !slices.Contains(want, s) {
			want = append(want, s)
		}
	}
	original := f.vals["original_prompt"][g.unsteered].s
	need(original)
	unsteered := 0
	for i, row := range g.rows {
		imgs[i] = readPNG(f.pngs[row])
		if row == g.unsteered {
			unsteered = i
		}
		need(f.vals["conditional_prompt"][row].s)
		for _, z := range zeroShotPrompts(f.condition(row)) {
			need(z)
		}
	}
	if len(want) > 0 {
		for i, e := range judge.EmbedTexts(want, withContext(r.ctx)) {
			texts[want[i]] = e
		}
	}
	embs := judge.EmbedImages(imgs, withContext(r.ctx))
	out := make([][6]float64, len(g.rows))
	for i, row := range g.rows {
		z := zeroShotPrompts(f.condition(row))
		s := compareEmbeddings(embs[unsteered], embs[i], texts[original], texts[f.vals["conditional_prompt"][row].s], texts[z[0]], texts[z[1]])
		copy(out[i][:], s.values())
	}
	return out
}

func readPNG(path string) image.Image {
	fh, err := os.Open(path)
	if err != nil {
		fail("%w", err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		fail("%s: %w", path, err)
	}
	return img
}

// table is clip_score.csv as pandas writes ml-act's concatenated frame:
// the index (each image's position in file order) and the JSON fields,
// the rows grouped by id, then the score columns; values as pandas
// prints each column's dtype (int64, float64, bool or object, None and NaN
// empty), the scores being float32.
func (f *clipFrame) table(groups []clipGroup, scores [][6]float64) []byte {
	cols := slices.Clone(f.cols)
	scoreAt := make([]int, len(clipScoreColumns))
	for k, name := range clipScoreColumns {
		if i := slices.Index(cols, name); i >= 0 {
			scoreAt[k] = i // ml-act's df_id[k] = v overwrites a field of that name in place
		} else {
			scoreAt[k] = len(cols)
			cols = append(cols, name)
		}
	}
	text := make([][]string, len(cols)) // [column][row]
	for c, name := range f.cols {
		text[c] = pyColumn(f.vals[name])
	}
	for k, c := range scoreAt {
		text[c] = make([]string, len(f.pngs))
		for row := range f.pngs {
			x := float32(scores[row][k])
			if math.IsNaN(float64(x)) {
				continue
			}
			text[c][row] = pyFloat(float64(x), 32)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append([]string{""}, cols...))
	for _, g := range groups {
		for _, row := range g.rows {
			line := []string{strconv.Itoa(row)}
			for c := range cols {
				line = append(line, text[c][row])
			}
			w.Write(line)
		}
	}
	w.Flush()
	return b.Bytes()
}

// pyValue is a JSON value as Python's json.load gives it.
type pyValue struct {
	kind  byte
	s     string  // jsonString; an int's digits
	f     float64 // jsonInt, jsonFloat
	b     bool
	items []pyValue // jsonList
	keys  []string  // jsonDict, in order
}

const (
	jsonNull byte = iota
	jsonBool
	jsonInt
	jsonFloat
	jsonString
	jsonList
	jsonDict
)

// pyField is one key of a JSON object with its value.
type pyField struct {
	key string
	val pyValue
}

// pyObject reads a JSON object's fields in order (a repeated key keeps
// its first place and its last value, as Python's dict).
func pyObject(data []byte) ([]pyField, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readPy(dec)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if v.kind != jsonDict {
		return nil, fmt.Errorf("not a JSON object")
	}
	out := make([]pyField, len(v.keys))
	for i, k := range v.keys {
		out[i] = pyField{k, v.items[i]}
	}
	return out, nil
}

func readPy(dec *json.Decoder) (pyValue, error) {
	t, err := dec.Token()
	if err != nil {
		return pyValue{}, err
	}
	switch t := t.(type) {
	case nil:
		return pyValue{kind: jsonNull}, nil
	case bool:
		return pyValue{kind: jsonBool, b: t}, nil
	case string:
		return pyValue{kind: jsonString, s: t}, nil
	case json.Number:
		if !strings.ContainsAny(string(t), ".eE") {
			f, _ := strconv.ParseFloat(string(t), 64)
			return pyValue{kind: jsonInt, s: string(t), f: f}, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return pyValue{}, err
		}
		return pyValue{kind: jsonFloat, f: f}, nil
	case json.Delim:
		v := pyValue{kind: jsonList}
		if t == '{' {
			v.kind = jsonDict
		}
		for dec.More() {
			var k string
			if v.kind == jsonDict {
				kt, err := dec.Token()
				if err != nil {
					return pyValue{}, err
				}
				k = kt.(string)
			}
			item, err := readPy(dec)
			if err != nil {
				return pyValue{}, err
			}
			if i := slices.Index(v.keys, k); v.kind == jsonDict && i >= 0 {
				v.items[i] = item
				continue
			}
			v.items = append(v.items, item)
			if v.kind == jsonDict {
				v.keys = append(v.keys, k)
			}
		}
		_, err := dec.Token() // the closing delimiter
		return v, err
	}
	return pyValue{}, fmt.Errorf("unexpected token %v", t)
}

// key is a canonical form for Python's == between ids: numbers (and
// booleans) by value, strings by text.
func (v pyValue) key() (string, bool) {
	switch v.kind {
	case jsonInt, jsonFloat:
		return "n" + strconv.FormatFloat(v.f, 'g', -1, 64), !math.IsNaN(v.f)
	case jsonBool:
		return "n" + strconv.Itoa(btoi(v.b)), true
	case jsonString:
		return "s" + v.s, true
	}
	return "", false
}

// isZero is Python's v == 0.
func (v pyValue) isZero() bool {
	return (v.kind == jsonInt || v.kind == jsonFloat) && v.f == 0 || v.kind == jsonBool && !v.b
}

// str is Python's str(v) (repr inside containers); None is "None".
func (v pyValue) str() string {
	switch v.kind {
	case jsonNull:
		return "None"
	case jsonBool:
		return map[bool]string{true: "True", false: "False"}[v.b]
	case jsonInt:
		return v.s
	case jsonFloat:
		return pyFloat(v.f, 64)
	case jsonString:
		return v.s
	}
	parts := make([]string, len(v.items))
	for i, it := range v.items {
		parts[i] = it.repr()
		if v.kind == jsonDict {
			parts[i] = pyValue{kind: jsonString, s: v.keys[i]}.repr() + ": " + parts[i]
		}
	}
	if v.kind == jsonDict {
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// repr is Python's repr(v) for strings (quoted, simple escapes), str
// otherwise.
func (v pyValue) repr() string {
	if v.kind != jsonString {
		return v.str()
	}
	q := "'"
	if strings.Contains(v.s, "'") && !strings.Contains(v.s, `"`) {
		q = `"`
	}
	s := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(v.s)
	if q == "'" {
		s = strings.ReplaceAll(s, "'", `\'`)
	}
	return q + s + q
}

// pyColumn prints a column as pandas' to_csv does for the dtype it infers
// from the values: int64 (ints), float64 (numbers with or without None:
// ints print as floats, None as ""), bool, or object (each value's str,
// None as "").
func pyColumn(vals []pyValue) []string {
	has := map[byte]int{}
	for _, v := range vals {
		has[v.kind]++
	}
	n := len(vals)
	numeric := has[jsonInt]+has[jsonFloat]+has[jsonNull] == n && has[jsonInt]+has[jsonFloat] > 0
	out := make([]string, n)
	for i, v := range vals {
		switch {
		case v.kind == jsonNull:
		case numeric && has[jsonInt] < n:
			out[i] = pyFloat(v.f, 64)
		default:
			out[i] = v.str()
		}
	}
	return out
}

// pyFloat prints x as Python's repr (bits 64) or numpy's str of a float32
// (bits 32): the shortest digits that read back, positional for
// 1e-4 ≤ |x| < 1e16 (with ".0" for whole numbers), else scientific.
func pyFloat(x float64, bits int) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	if a := math.Abs(x); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(x, 'e', -1, bits)
	}
	s := strconv.FormatFloat(x, 'f', -1, bits)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
