// t5.mjs completes engine/tokenizer/testdata/t5.golden.jsonl.gz, written by
// scripts/golden-t5/make.py with SentencePiece's ids, with the ids and
// decodings of Hugging Face tokenizers itself (the Rust library, 0.22.2,
// through @anush008/tokenizers) for T5TokenizerFast's tokenizer.json:
//
//   ids, ids_plain          encode with and without </s>
//   decoded, decoded_skip   decode keeping or skipping special tokens, then
//                           transformers' clean-up (the config sets it)
//   legacy                  ids without </s> for the layout of older files:
//                           Precompiled then " {2,}" → " ", no Strip,
//                           Metaspace with add_prefix_space instead of
//                           prepend_scheme
//   tiny                    ids with </s> for testdata/flux-tiny/tokenizer_2
//
// and prints how many lines differ from SentencePiece's ids, with the
// first few. Run after make.py: node t5.mjs
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";

const { Tokenizer } = createRequire(import.meta.url)("@anush008/tokenizers");
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const testdata = path.join(root, "engine/tokenizer/testdata");
const gz = (name) => zlib.gunzipSync(fs.readFileSync(path.join(testdata, name))).toString("utf8");

const json = JSON.parse(gz("t5.tokenizer.json.gz"));
const legacyJSON = structuredClone(json);
legacyJSON.normalizer.normalizers = [
  json.normalizer.normalizers[0],
  { type: "Replace", pattern: { Regex: " {2,}" }, content: " " },
];
legacyJSON.pre_tokenizer = { type: "Metaspace", replacement: "▁", add_prefix_space: true };
legacyJSON.decoder = { type: "Metaspace", replacement: "▁", add_prefix_space: true };
const tinyJSON = fs.readFileSync(path.join(root, "testdata/flux-tiny/tokenizer_2/tokenizer.json"), "utf8");

const hf = Tokenizer.fromString(JSON.stringify(json));
const legacy = Tokenizer.fromString(JSON.stringify(legacyJSON));
const tiny = Tokenizer.fromString(tinyJSON);

// cleanUp is transformers' clean_up_tokenization.
function cleanUp(s) {
  for (const [a, b] of [[" .", "."], [" ?", "?"], [" !", "!"], [" ,", ","], [" ' ", "'"],
    [" n't", "n't"], [" 'm", "'m"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"]]) {
    s = s.replaceAll(a, b);
  }
  return s;
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const rows = [];
const diff = { spm: [], tiny: [] };
for (const line of gz("t5.golden.jsonl.gz").split("\n")) {
  if (!line) continue;
  const g = JSON.parse(line);
  const enc = async (t, text, special) => Array.from((await t.encode(text, null, { addSpecialTokens: special })).getIds());
  const ids = await enc(hf, g.text, true);
  const idsPlain = await enc(hf, g.text, false);
  const dec = async (skip) => ids.length === 0 ? "" : cleanUp(await hf.decode(ids, skip));
  const tinyIDs = await enc(tiny, g.text, true);
  if (!same(idsPlain, g.ids_spm)) diff.spm.push([g.text, idsPlain, g.ids_spm]);
  if (!same(tinyIDs.slice(0, -1), g.tiny_spm)) diff.tiny.push([g.text, tinyIDs, g.tiny_spm]);
  rows.push(JSON.stringify({
    text: g.text, ids, ids_plain: idsPlain, decoded: await dec(false), decoded_skip: await dec(true),
    ids_spm: g.ids_spm, legacy: await enc(legacy, g.text, false), tiny: tinyIDs, tiny_spm: g.tiny_spm,
  }));
}
fs.writeFileSync(path.join(testdata, "t5.golden.jsonl.gz"), zlib.gzipSync(rows.join("\n") + "\n", { level: 9 }));
for (const [k, d] of Object.entries(diff)) {
  console.log(`${k}: ${d.length} of ${rows.length} lines differ from SentencePiece`);
  for (const x of d.slice(0, 40)) console.log("  " + JSON.stringify(x));
}
