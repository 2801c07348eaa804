package tokenizer

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LoadSentencePiece builds the tokenizer of a T5 checkpoint folder from
// SentencePiece's model, spiece.model, with the tokenizer_config.json and
// special_tokens_map.json beside it, for folders without tokenizer.json.
// It builds what transformers' T5Converter gives T5TokenizerFast: the
// model's pieces and scores, then <extra_id_N> for N from extra_ids-1
// (default 100) down to 0, as a Unigram vocabulary with the model's unk_id;
// the control pieces, the user-defined ones and the special tokens (</s>,
// <unk>, <pad>, additional_special_tokens, else the extra ids) as added
// tokens, matched before normalization; the normalizer Sequence of the
// precompiled charsmap, a right strip and runs of spaces made one ▁; the
// Metaspace pre-tokenizer and decoder (prepend_scheme "always", or "first"
// when legacy is false, or "never" when add_prefix_space is false); and
// $A </s> as the template.
//
// The class comes from tokenizer_config.json's tokenizer_class (T5Tokenizer
// or MT5Tokenizer), else from config.json's model_type (t5, mt5, umt5);
// others, and SentencePiece models other than Unigram, are errors.
func LoadSentencePiece(dir string) (*Tokenizer, error) {
	t, err := loadSentencePiece(dir)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", dir, err)
	}
	return t, nil
}

func loadSentencePiece(dir string) (*Tokenizer, error) {
	model, err := os.ReadFile(filepath.Join(dir, "spiece.model"))
	if err != nil {
		return nil, err
	}
	var cfg slowConfig
	for _, f := range []string{"config.json", "special_tokens_map.json", "tokenizer_config.json"} {
		b, err := readOptional(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		if len(b) > 0 {
			// Later files override earlier ones, key by key.
			if err := json.Unmarshal(b, &cfg); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	class := strings.TrimSuffix(cfg.TokenizerClass, "Fast")
	if class == "" {
		switch cfg.ModelType {
		case "t5", "mt5", "umt5":
			class = "T5Tokenizer"
		}
	}
	if class != "T5Tokenizer" && class != "MT5Tokenizer" {
		return nil, fmt.Errorf("no tokenizer.json, and spiece.model is read for T5Tokenizer only (tokenizer_class %q, model_type %q)",
			cfg.TokenizerClass, cfg.ModelType)
	}
	m, err := parseSentencePiece(model)
	if err != nil {
		return nil, fmt.Errorf("spiece.model: %w", err)
	}
	return t5Tokenizer(m, cfg)
}

// Piece types of SentencePiece's ModelProto.SentencePiece.Type (2 is
// unknown, 5 unused, 6 byte).
const (
	pieceNormal      = 1
	pieceControl     = 3
	pieceUserDefined = 4
)

// spModel is the part of SentencePiece's ModelProto the conversion reads.
type spModel struct {
	pieces    []spPiece
	modelType int // TrainerSpec.model_type: 1 Unigram, 2 BPE, 3 word, 4 char
	unkID     int
	charsmap  []byte // NormalizerSpec.precompiled_charsmap
}

type spPiece struct {
	piece string
	score float32
	typ   int
}

// parseSentencePiece reads a serialized ModelProto: pieces (field 1:
// piece 1, score 2, type 3), trainer_spec (field 2: model_type 3, unk_id
// 40) and normalizer_spec (field 3: precompiled_charsmap 2). Protobuf's
// defaults apply to absent fields (type NORMAL, model_type UNIGRAM,
// unk_id 0).
func parseSentencePiece(b []byte) (*spModel, error) {
	m := &spModel{modelType: 1}
	err := protoFields(b, func(field int, v uint64, data []byte) error {
		switch field {
		case 1:
			p := spPiece{typ: pieceNormal}
			err := protoFields(data, func(field int, v uint64, data []byte) error {
				switch field {
				case 1:
					p.piece = string(data)
				case 2:
					p.score = math.Float32frombits(uint32(v))
				case 3:
					p.typ = int(v)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("piece %d: %w", len(m.pieces), err)
			}
			m.pieces = append(m.pieces, p)
		case 2:
			err := protoFields(data, func(field int, v uint64, _ []byte) error {
				switch field {
				case 3:
					m.modelType = int(v)
				case 40:
					m.unkID = int(int32(v))
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("trainer_spec: %w", err)
			}
		case 3:
			err := protoFields(data, func(field int, _ uint64, data []byte) error {
				if field == 2 {
					m.charsmap = data
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("normalizer_spec: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(m.pieces) == 0 {
		return nil, fmt.Errorf("no pieces")
	}
	return m, nil
}

// protoFields calls f for each field of the protobuf message b with its
// number and its value: v for varint and fixed-size fields, data for
// length-delimited ones (messages, strings, bytes, packed arrays).
func protoFields(b []byte, f func(field int, v uint64, data []byte) error) error {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("bad field tag")
		}
		b = b[n:]
		field, wire := tag>>3, tag&7
		if field == 0 || field > 1<<29 {
			return fmt.Errorf("bad field number %d", field)
		}
		var v uint64
		var data []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return fmt.Errorf("field %d: bad varint", field)
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return fmt.Errorf("field %d: truncated", field)
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			size, n := binary.Uvarint(b)
			if n <= 0 || size > uint64(len(b)-n) {
				return fmt.Errorf("field %d: bad length", field)
			}
			data, b = b[n:n+int(size)], b[n+int(size):]
		case 5:
			if len(b) < 4 {
				return fmt.Errorf("field %d: truncated", field)
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return fmt.Errorf("field %d: wire type %d is not supported", field, wire)
		}
		if err := f(int(field), v, data); err != nil {
			return err
		}
	}
	return nil
}

// t5Tokenizer builds T5TokenizerFast's tokenizer.json from m and the
// folder's configuration, as transformers converts it, and parses it.
func t5Tokenizer(m *spModel, cfg slowConfig) (*Tokenizer, error) {
	if m.modelType != 1 {
		return nil, fmt.Errorf("SentencePiece model_type %d is not supported (only Unigram, 1)", m.modelType)
	}
	if m.unkID < 0 || m.unkID >= len(m.pieces) {
		return nil, fmt.Errorf("unk_id %d is outside the %d pieces", m.unkID, len(m.pieces))
	}
	extra := 100
	if cfg.ExtraIDs != nil {
		extra = *cfg.ExtraIDs
	}
	if extra < 0 || extra > 1<<20 {
		return nil, fmt.Errorf("extra_ids %d is out of range", extra)
	}
	vocab := make([]any, 0, len(m.pieces)+extra)
	ids := make(map[string]int, len(m.pieces)+extra)
	for _, p := range m.pieces {
		ids[p.piece] = len(vocab)
		vocab = append(vocab, []any{p.piece, float64(p.score)})
	}
	for i := extra - 1; i >= 0; i-- {
		tok := fmt.Sprintf("<extra_id_%d>", i)
		ids[tok] = len(vocab)
		vocab = append(vocab, []any{tok, 0.0})
	}
	eosID, ok := ids["</s>"]
	if !ok {
		return nil, fmt.Errorf(`"</s>", T5's end-of-sequence token, is not a piece`)
	}

	// The converter's added tokens: control pieces (special) and
	// user-defined ones (not special), then transformers' special tokens.
	var added []map[string]any
	seen := map[string]bool{}
	next := len(vocab)
	add := func(content string, special bool) {
		if content == "" || seen[content] {
			return
		}
		seen[content] = true
		id, ok := ids[content]
		if !ok {
			id, next = next, next+1
		}
		added = append(added, map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false,
			"rstrip": false, "normalized": false, "special": special})
	}
	for _, p := range m.pieces {
		if p.typ == pieceControl || p.typ == pieceUserDefined {
			add(p.piece, p.typ == pieceControl)
		}
	}
	if len(cfg.Decoder) > 0 {
		dec, err := t5DecoderTokens(cfg.Decoder, ids, len(vocab))
		if err != nil {
			return nil, err
		}
		for _, a := range dec {
			if c := a["content"].(string); !seen[c] {
				seen[c] = true
				added = append(added, a)
				next = max(next, a["id"].(int)+1)
			}
		}
	}
	def := func(t slowToken, name string) string {
		if t.Content == "" {
			return name
		}
		return t.Content
	}
	eos, unk, pad := def(cfg.EOS, "</s>"), def(cfg.Unk, "<unk>"), def(cfg.Pad, "<pad>")
	for _, s := range []string{eos, unk, pad} {
		add(s, true)
	}
	if len(cfg.Extra) > 0 {
		for _, s := range cfg.Extra {
			add(s.Content, true)
		}
	} else {
		for i := range extra {
			add(fmt.Sprintf("<extra_id_%d>", i), true)
		}
	}

	scheme := "always"
	if cfg.AddPrefixSpace != nil && !*cfg.AddPrefixSpace {
		scheme = "never"
	} else if cfg.Legacy != nil && !*cfg.Legacy {
		scheme = "first"
	}
	normalizers := []any{
		map[string]any{"type": "Strip", "strip_left": false, "strip_right": true},
		map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " {2,}"}, "content": "▁"},
	}
	if len(m.charsmap) > 0 {
		normalizers = append([]any{map[string]any{"type": "Precompiled", "precompiled_charsmap": m.charsmap}}, normalizers...)
	}
	metaspace := map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": scheme, "split": true}
	a := map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}
	end := map[string]any{"SpecialToken": map[string]any{"id": "</s>", "type_id": 0}}
	j := map[string]any{
		"version":       "1.0",
		"added_tokens":  added,
		"normalizer":    map[string]any{"type": "Sequence", "normalizers": normalizers},
		"pre_tokenizer": metaspace,
		"post_processor": map[string]any{"type": "TemplateProcessing", "single": []any{a, end},
			"special_tokens": map[string]any{"</s>": map[string]any{"id": "</s>", "ids": []int{eosID}, "tokens": []string{"</s>"}}}},
		"decoder": metaspace,
		"model":   map[string]any{"type": "Unigram", "unk_id": m.unkID, "vocab": vocab, "byte_fallback": false},
	}
	data, err := json.Marshal(j) // []byte values become base64, as the charsmap is written
	if err != nil {
		return nil, err
	}
	c := Config{EOSToken: eos, PadToken: pad, UnkToken: unk, TokenizerClass: cfg.TokenizerClass}
	c.CleanUpTokenizationSpaces = cfg.Cleanup != nil && *cfg.Cleanup
	return parse(data, c)
}

// t5DecoderTokens lists tokenizer_config.json's added_tokens_decoder as
// added tokens, by id: an entry whose content is a piece must have its id,
// and one that is not must have an id past the vocabulary.
func t5DecoderTokens(d map[string]addedDecoder, ids map[string]int, size int) ([]map[string]any, error) {
	byID := map[int]addedDecoder{}
	order := make([]int, 0, len(d))
	for k, a := range d {
		id, err := strconv.Atoi(k)
		if err != nil || id < 0 || id > 1<<30 {
			return nil, fmt.Errorf("added_tokens_decoder key %q is not an id", k)
		}
		if v, ok := ids[a.Content]; ok && v != id || !ok && id < size {
			return nil, fmt.Errorf("added_tokens_decoder gives %q id %d, spiece.model does not", a.Content, id)
		}
		byID[id] = a
		order = append(order, id)
	}
	sort.Ints(order)
	out := make([]map[string]any, 0, len(order))
	for _, id := range order {
		a := byID[id]
		out = append(out, map[string]any{"id": id, "content": a.Content, "single_word": a.SingleWord, "lstrip": a.LStrip,
			"rstrip": a.RStrip, "normalized": a.Normalized, "special": a.Special})
	}
	return out, nil
}
