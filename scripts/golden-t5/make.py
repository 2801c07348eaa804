#!/usr/bin/python3
"""Makes the T5 (SentencePiece Unigram) tokenizer test data.

Trains two tiny SentencePiece Unigram models on text the repository ships
(nmt_nfkc normalization, so spiece.model carries a real precompiled
charsmap), converts each to the tokenizer.json that transformers'
T5TokenizerFast saves (T5Converter's layout, written here by hand), and
writes the golden texts with SentencePiece's own ids:

  engine/tokenizer/testdata/t5.spiece.model.gz            the model, 400 pieces
  engine/tokenizer/testdata/t5.tokenizer.json.gz          its tokenizer.json
  engine/tokenizer/testdata/t5.tokenizer_config.json.gz   T5Tokenizer's config
  engine/tokenizer/testdata/t5.special_tokens_map.json.gz
  engine/tokenizer/testdata/t5.golden.jsonl.gz            {text, ids_spm, tiny_spm}
  testdata/flux-tiny/tokenizer_2/                         the same for 96 pieces

Run with Debian's python3 (python3-sentencepiece, python3-protobuf) from the
repository root: /usr/bin/python3 scripts/golden-t5/make.py
then `node t5.mjs` in scripts/golden-tokenizers adds Hugging Face
tokenizers' ids and decodings to the golden lines.
"""

import base64
import glob
import gzip
import json
import os
import random
import tempfile

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TESTDATA = os.path.join(ROOT, "engine", "tokenizer", "testdata")
FLUX = os.path.join(ROOT, "testdata", "flux-tiny", "tokenizer_2")

# A few lines beyond the repository's English prose, so that the main model
# has accented letters and some other scripts among its pieces.
EXTRA = [
    "A café in Zürich serves crème brûlée to a naïve señor from São Paulo.",
    "Ångström, Æsir, Øresund, Łódź, Škoda, Çorum and İstanbul are names.",
    "The Greek word λόγος means word, and σοφία means wisdom.",
    "Москва — столица России, а Київ — столиця України.",
    "東京と大阪は日本の都市です。",
    "한국어 문장도 조금 있습니다.",
    "Les élèves étudient à l'école; les garçons jouent au football.",
    "Über allen Gipfeln ist Ruh, in allen Wipfeln spürest du kaum einen Hauch.",
]


def corpus():
    """Returns the training lines: every sentence-like string of the tiny
    model's concept sets and the COCO kit."""
    lines = []

    def walk(x):
        if isinstance(x, str):
            if " " in x and len(x) >= 15:
                lines.append(" ".join(x.split()))
        elif isinstance(x, list):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for y in x.values():
                walk(y)

    files = sorted(glob.glob(os.path.join(ROOT, "tiny/data/concepts/*.json")))
    files += sorted(glob.glob(os.path.join(ROOT, "testdata/coco/*.json")))
    files += sorted(glob.glob(os.path.join(ROOT, "testdata/coco/coco_captions_2017/*.json")))
    for f in files:
        with open(f, encoding="utf-8") as r:
            walk(json.load(r))
    lines = sorted(set(lines))
    return lines


def train(lines, vocab_size, coverage):
    """Trains a Unigram model with T5's special pieces (<pad> 0, </s> 1,
    <unk> 2, no <s>) and returns the bytes of its spiece.model."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "corpus.txt")
        with open(src, "w", encoding="utf-8") as w:
            w.write("\n".join(lines) + "\n")
        spm.SentencePieceTrainer.train(
            input=src, model_prefix=os.path.join(d, "spiece"), model_type="unigram",
            vocab_size=vocab_size, character_coverage=coverage,
            normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
            num_threads=1, shuffle_input_sentence=False, minloglevel=2)
        m = model_pb2.ModelProto()
        with open(os.path.join(d, "spiece.model"), "rb") as r:
            m.ParseFromString(r.read())
    # The temporary paths the trainer records would change the bytes from
    # run to run.
    del m.trainer_spec.input[:]
    m.trainer_spec.input.append("corpus.txt")
    m.trainer_spec.model_prefix = "spiece"
    return m.SerializeToString()


def added(id, content):
    return {"id": id, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": True}


def convert(model, extra_ids):
    """Returns the tokenizer.json of T5TokenizerFast converted from the slow
    tokenizer of spiece.model (transformers' T5Converter with
    SpmConverter's normalizer, pre-tokenizer and decoder): the pieces and
    their scores then <extra_id_N> from N = extra_ids-1 down to 0 as the
    Unigram vocabulary, the control pieces and the special tokens as added
    tokens (special, not normalized), the precompiled charsmap then a right
    strip and runs of spaces to one ▁, Metaspace (always) and $A </s>."""
    m = model_pb2.ModelProto()
    m.ParseFromString(model)
    assert m.trainer_spec.model_type == model_pb2.TrainerSpec.UNIGRAM
    vocab = [[p.piece, p.score] for p in m.pieces]
    vocab += [[f"<extra_id_{i}>", 0.0] for i in range(extra_ids - 1, -1, -1)]
    ids = {p: i for i, (p, _) in enumerate(vocab)}
    specials = {p.piece for p in m.pieces if p.type == model_pb2.ModelProto.SentencePiece.CONTROL}
    specials |= {"</s>", "<unk>", "<pad>"} | {f"<extra_id_{i}>" for i in range(extra_ids)}
    tokens = sorted((ids[s], s) for s in specials)
    normalizers = [
        {"type": "Strip", "strip_left": False, "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"},
    ]
    if m.normalizer_spec.precompiled_charsmap:
        normalizers.insert(0, {"type": "Precompiled", "precompiled_charsmap":
                               base64.b64encode(m.normalizer_spec.precompiled_charsmap).decode()})
    metaspace = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    eos = ids["</s>"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(i, s) for i, s in tokens],
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [eos], "tokens": ["</s>"]}},
        },
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": m.trainer_spec.unk_id, "vocab": vocab, "byte_fallback": False},
    }


def configs(tok, extra_ids, max_length):
    """Returns T5Tokenizer's tokenizer_config.json and special_tokens_map.json
    as save_pretrained writes them for FLUX.1's tokenizer_2."""
    extra = [f"<extra_id_{i}>" for i in range(extra_ids)]
    decoder = {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
               for a in tok["added_tokens"]}
    config = {
        "add_prefix_space": True,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": extra,
        "clean_up_tokenization_spaces": True,
        "eos_token": "</s>",
        "extra_ids": extra_ids,
        "legacy": True,
        "model_max_length": max_length,
        "pad_token": "<pad>",
        "sp_model_kwargs": {},
        "tokenizer_class": "T5Tokenizer",
        "unk_token": "<unk>",
    }

    def special(s):
        return {"content": s, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}

    smap = {"additional_special_tokens": extra, "eos_token": special("</s>"),
            "pad_token": special("<pad>"), "unk_token": special("<unk>")}
    return config, smap


def dumps(x):
    return json.dumps(x, ensure_ascii=False, indent=2) + "\n"


def write_gz(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(TESTDATA, name), "wb") as f:
        # mtime 0 keeps the bytes the same from run to run.
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
            g.write(data)


HAND = [
    "",
    " ",
    "   ",
    "\t\n",
    "Hello world",
    "Hello world.",
    "hello",
    "A red fox sitting in the snow.",
    "  leading spaces",
    "trailing spaces   ",
    "  both  ",
    "many     inner      spaces",
    "tab\tseparated\tvalues",
    "line one\nline two\r\nline three\rend",
    "no\u00a0break\u00a0space",
    "ideographic\u3000space",
    "thin\u2009space and en\u2002space",
    "zero\u200bwidth\u200bspace",
    "soft\u00adhyphen",
    "byte\ufefforder mark",
    "ＦＵＬＬ－ＷＩＤＴＨ ｌｅｔｔｅｒｓ ａｎｄ ０１２３４５６７８９",
    "ﾊﾝｶｸ ｶﾀｶﾅ ｶﾞｷﾞ",
    "ﬁne ﬂour, ﬀ ligatures",
    "x² + y³ = z⁴, H₂O",
    "½ cup, ¼ inch, ¾ mile",
    "™ © ® ℃ ℉ № ℡",
    "① ② ③ ⑩ ⑳",
    "Ⅰ Ⅱ Ⅲ Ⅻ ⅻ",
    "㍻ ㌔ ㎏ ㎞",
    "Ω ohm vs Ω omega, K kelvin vs K",
    "e\u0301 vs é, n\u0303 vs ñ, u\u0308 vs ü",
    "Ａ\u0301 full-width with accent",
    "ﬁ\u0301 ligature with accent",
    "a\u0301\u0302\u0303 stacked marks",
    "café naïve résumé",
    "Zürich, São Paulo, Łódź",
    "λόγος σοφία",
    "Москва столица",
    "東京と大阪",
    "北京欢迎你",
    "한국어 문장",
    "\u1100\u1161\u11a8 jamo",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "สวัสดีครับ",
    "😀 😂 👍🏽 ❤️ 🇫🇷 👨‍👩‍👧",
    "emoji😀inside",
    "xyz😀😀😀abc",
    "🙂🙃",
    "</s>",
    "hello</s>",
    "hello </s> world",
    "<pad><unk></s>",
    "<extra_id_0> fills <extra_id_1> the blanks <extra_id_99>",
    "<extra_id_100> is not a token",
    "<s> is not special in T5",
    "▁ already a metaspace",
    "▁▁double",
    "under_score and ▁mixed ▁",
    "\x00nul\x07bell\x1bescape",
    "\ue000 private use",
    "\ufffd replacement",
    "1234567890 3.14159 1,000,000",
    "user@example.com https://example.com/path?q=1&r=2",
    "def f(x): return x ** 2  # code",
    "\"quoted\" and 'single' and «guillemets» and „low“",
    "It's, isn't, we'll, they're, I'm, you've, he'd",
    "Hello , world ! Is it ? Yes .",
    "don ' t",
    "a photograph of an astronaut riding a horse, highly detailed, 8k",
    "watercolor painting of a lighthouse at dusk",
    "A",
    "a",
    ".",
    "!!!???...",
    "—–-",
    "………",
    "Ⓐⓑⓒ",
    "ｶﾞ",
    "ǅ ǆ ǈ",
    "İstanbul ı i̇",
    "ß ẞ ſ",
    "\u2028line\u2029para",
    "\u0085next line",
    "\u000bvertical\u000cform feed",
    "mixed ＡＢＣ abc ＡＢＣ",
    "🇺🇸🇬🇧",
    "1️⃣ #️⃣",
    "©️ ®️",
]

POOL = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'\"()-")
    + [" "] * 12
    + ["  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2009", "\u200b", "\u00ad", "\ufeff"]
    + list("ＡＺａｚ０９！（）ｶﾞﾟﬁﬂ½²³™℃①Ⅻ㍻ΩKéñüÅλσМж東京한\u1100\u1161\u0301\u0308\u0327\u0303")
    + ["😀", "👍🏽", "❤️", "🇫🇷", "👨‍👩‍👧", "\x07", "\ue000", "</s>", "<pad>", "<extra_id_3>", "▁"]
)


def texts(lines, rng):
    """Returns the golden texts: HAND, 900 corpus lines, 1100 random mixes."""
    out = list(HAND)
    out += rng.sample(lines, 900)
    for _ in range(1100):
        n = rng.randint(1, 24)
        out.append("".join(rng.choice(POOL) for _ in range(n)))
    return out


def main():
    rng = random.Random(5)
    lines = corpus()

    model = train(lines + EXTRA * 20, 400, 1.0)
    tok = convert(model, 100)
    config, smap = configs(tok, 100, 512)
    write_gz("t5.spiece.model.gz", model)
    write_gz("t5.tokenizer.json.gz", json.dumps(tok, ensure_ascii=False))
    write_gz("t5.tokenizer_config.json.gz", dumps(config))
    write_gz("t5.special_tokens_map.json.gz", dumps(smap))
    sp = spm.SentencePieceProcessor(model_proto=model)

    # The tiny FLUX pipeline's tokenizer_2: 96 pieces and no extra ids, so
    # that every id fits the tiny T5 encoder's vocab_size (96). The English
    # lines only, and 99.8% of their characters (the rarest, such as "7",
    # "K" and "Q", become <unk>), leave room for 29 pieces longer than one
    # character.
    model = train(lines, 96, 0.998)
    tok = convert(model, 0)
    config, smap = configs(tok, 0, 512)
    os.makedirs(FLUX, exist_ok=True)
    with open(os.path.join(FLUX, "spiece.model"), "wb") as f:
        f.write(model)
    for name, x in [("tokenizer.json", tok), ("tokenizer_config.json", config), ("special_tokens_map.json", smap)]:
        with open(os.path.join(FLUX, name), "w", encoding="utf-8") as f:
            f.write(dumps(x))
    tiny = spm.SentencePieceProcessor(model_proto=model)
    rows = [json.dumps({"text": t, "ids_spm": sp.encode(t), "tiny_spm": tiny.encode(t)}, ensure_ascii=False)
            for t in texts(lines, rng)]
    write_gz("t5.golden.jsonl.gz", "\n".join(rows) + "\n")
    print("t5: %d pieces; flux-tiny tokenizer_2: %d pieces" % (len(sp), len(tok["model"]["vocab"])))


if __name__ == "__main__":
    main()
