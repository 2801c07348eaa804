#!/usr/bin/python3
"""Independent reference values for actsh's evaluation scores.

Writes fixture.json next to this script: perplexities (ml-act's parallel
mode), lm-evaluation-harness log-likelihoods, zero-shot judge scores
(ml-act's evaluate_0shot.py) and the concept judge's p(yes) (the paper's
concept induction) of the embedded model "tiny", computed here
with nothing from actsh but the model's files:

  * GPT-2's forward pass written out in torch, in float64, from
    tiny/data/model/model.safetensors (read by hand: no safetensors
    package), with an optional affine map at one point;
  * byte-level BPE in plain Python from tokenizer.json's vocab and merges
    (no tokenizers package);
  * the scores, following the semantics of ml-act's act/utils/perplexity.py
    (parallel mode), act/evaluations/evaluate_0shot.py and
    lm-evaluation-harness's HFLM (_encode_pair, _loglikelihood_tokens).

The Go tests (act/eval_reference_test.go) recompute every value with
actsh's float32 engine and compare.

Run from the repository root with Debian's python3-torch (1.13) and
python3-regex:

    /usr/bin/python3 act/testdata/eval_reference/make_fixture.py
"""

import json
import math
import os
import struct

import numpy as np
import regex
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
MODEL = os.path.join(ROOT, "tiny", "data", "model")
DT = torch.float64


# ---------------------------------------------------------------- weights

def read_safetensors(path):
    """Every tensor of a safetensors file, as float64 torch tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    dtypes = {"F32": np.float32, "F64": np.float64, "F16": np.float16}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        a = np.frombuffer(body[lo:hi], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.tensor(a.astype(np.float64))
    return out


# ---------------------------------------------------------------- tokenizer

def byte_alphabet():
    """GPT-2's reversible map from bytes to printable characters: the
    printable Latin-1 bytes stand for themselves, the others are moved to
    256, 257, ... in byte order."""
    keep = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAC + 1)) | set(range(0xAE, 0xFF + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


# The ByteLevel pre-tokenizer's split (use_regex): contractions, letters,
# digits and other runs, each with at most one leading space, then spaces.
SPLIT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


class BPE:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        model = tj["model"]
        assert model["type"] == "BPE"
        assert tj["pre_tokenizer"]["type"] == "ByteLevel" and not tj["pre_tokenizer"]["add_prefix_space"]
        self.vocab = model["vocab"]
        self.inverse = {i: s for s, i in self.vocab.items()}
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.rank = {m: i for i, m in enumerate(merges)}
        self.added = {t["content"]: t["id"] for t in tj["added_tokens"]}
        for t, i in self.added.items():
            self.inverse[i] = t
        # tiny's post-processor is ByteLevel only: no BOS or EOS is added,
        # so encode(text, add_special_tokens=True) equals the plain ids.
        assert tj["post_processor"] is None or tj["post_processor"]["type"] == "ByteLevel"
        self.to_char = byte_alphabet()
        self.to_byte = {c: b for b, c in self.to_char.items()}

    def _word(self, word):
        symbols = [self.to_char[b] for b in word.encode("utf-8")]
        while len(symbols) > 1:
            best = min(range(len(symbols) - 1), key=lambda i: self.rank.get((symbols[i], symbols[i + 1]), math.inf))
            pair = (symbols[best], symbols[best + 1])
            if pair not in self.rank:
                break
            merged, i = [], 0
            while i < len(symbols):
                if i < len(symbols) - 1 and (symbols[i], symbols[i + 1]) == pair:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return [self.vocab[s] for s in symbols]

    def encode(self, text):
        """Ids of text; added tokens (<|endoftext|>) are matched first."""
        ids = []
        pattern = "(" + "|".join(regex.escape(t) for t in sorted(self.added, key=len, reverse=True)) + ")"
        for part in regex.split(pattern, text):
            if part in self.added:
                ids.append(self.added[part])
            elif part:
                for word in SPLIT.findall(part):
                    ids.extend(self._word(word))
        return ids

    def decode(self, ids):
        """Text of ids, special tokens included (skip_special_tokens=False)."""
        out, buf = [], []
        for i in ids:
            tok = self.inverse[i]
            if i in self.added.values():
                out.append(bytes(buf).decode("utf-8", errors="replace"))
                buf = []
                out.append(tok)
            else:
                buf.extend(self.to_byte[c] for c in tok)
        out.append(bytes(buf).decode("utf-8", errors="replace"))
        return "".join(out)


# ---------------------------------------------------------------- GPT-2

class GPT2:
    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            self.cfg = json.load(f)
        w = read_safetensors(os.path.join(folder, "model.safetensors"))
        self.w = {k[len("transformer.") :] if k.startswith("transformer.") else k: v for k, v in w.items()}
        self.layers = self.cfg["n_layer"]
        self.heads = self.cfg["n_head"]
        self.eps = self.cfg["layer_norm_epsilon"]
        self.positions = self.cfg["n_positions"]

    def ln(self, x, name):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def conv1d(self, x, name):  # GPT-2's Conv1D: weight [in, out]
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def forward(self, ids, mask=None, steer=None):
        """Logits [B, T, V] of right-padded ids [B, T] (mask: 1 = real
        token). steer = (point, w, b, lam) replaces that point's output z by
        (1 - lam)·z + lam·(w·z + b) at every position."""
        ids = torch.as_tensor(ids)
        B, T = ids.shape
        if mask is None:
            mask = torch.ones(B, T, dtype=torch.long)
        x = self.w["wte.weight"][ids] + self.w["wpe.weight"][torch.arange(T)]
        hd = x.shape[-1] // self.heads
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        allowed = causal[None, None] & (torch.as_tensor(mask)[:, None, None, :] == 1)

        def point(name, z):
            if steer is not None and steer[0] == name:
                _, sw, sb, lam = steer
                return (1 - lam) * z + lam * (sw * z + sb)
            return z

        for i in range(self.layers):
            p = "h.%d." % i
            a = point("transformer." + p + "ln_1", self.ln(x, p + "ln_1"))
            q, k, v = self.conv1d(a, p + "attn.c_attn").split(x.shape[-1], dim=-1)
            q, k, v = (t.view(B, T, self.heads, hd).transpose(1, 2) for t in (q, k, v))
            s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            s = s.masked_fill(~allowed, -1e300)
            y = torch.softmax(s, dim=-1) @ v
            y = y.transpose(1, 2).reshape(B, T, -1)
            x = x + point("transformer." + p + "attn.c_proj", self.conv1d(y, p + "attn.c_proj"))
            h = point("transformer." + p + "ln_2", self.ln(x, p + "ln_2"))
            u = self.conv1d(h, p + "mlp.c_fc")
            u = 0.5 * u * (1 + torch.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u**3)))
            x = x + point("transformer." + p + "mlp.c_proj", self.conv1d(u, p + "mlp.c_proj"))
        x = self.ln(x, "ln_f")
        return x @ self.w["wte.weight"].T


# ---------------------------------------------------------------- scores

def perplexity_parallel(model, tok, pad_id, texts, prompts, max_length, steer):
    """ml-act's _parallel_perplexity_batch: prompt+text joined, encoded with
    the tokenizer's special tokens, truncated to max_length tokens, right
    padded, one forward pass with the attention mask; the perplexity is exp
    of the mean cross-entropy of tokens 1..n-1 (mask[:, 1:] weights)."""
    joined = texts if prompts is None else [p + s for p, s in zip(prompts, texts)]
    seqs = [tok.encode(t)[:max_length] for t in joined]
    T = max(len(s) for s in seqs)
    ids = torch.tensor([s + [pad_id] * (T - len(s)) for s in seqs])
    mask = torch.tensor([[1] * len(s) + [0] * (T - len(s)) for s in seqs])
    logits = model.forward(ids, mask, steer)
    ce = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none"
    ).view(len(seqs), -1)
    m = mask[:, 1:].to(DT)
    ppl = torch.exp((m * ce).sum(-1) / m.sum(-1))  # 0/0 = NaN for one-token texts
    return seqs, [None if math.isnan(v) else v for v in ppl.tolist()]


def harness_split(tok, ctx, cont, prefix_id):
    """lm-evaluation-harness's HFLM._encode_pair (no special tokens for
    GPT-2): trailing whitespace of the context moves to the continuation;
    the continuation's ids are those of the joint encoding after the
    context's own ids. An empty context is the prefix token."""
    n = len(ctx) - len(ctx.rstrip())
    if n > 0:
        ctx, cont = ctx[:-n], ctx[-n:] + cont
    if ctx == "":
        return [prefix_id], tok.encode(cont)
    whole = tok.encode(ctx + cont)
    c = tok.encode(ctx)
    return c, whole[len(c) :]


def loglikelihood(model, tok, prefix_id, ctx, conts, steer):
    out = []
    for cont in conts:
        c, k = harness_split(tok, ctx, cont, prefix_id)
        seq = (c + k)[-(model.positions + 1) :]
        logits = model.forward(torch.tensor([seq[:-1]]), None, steer)[0]
        lp = torch.log_softmax(logits, dim=-1)
        n = len(k)
        rows = lp[-n:]
        out.append({"ctx_ids": c, "cont_ids": k, "value": float(sum(rows[j, k[j]] for j in range(n)))})
    return out


SUFFIX = "\nYou can only output one of these answers: ({a}). Do not provide explanations, elaborations, or any other information, just ({a})."


def judge_messages(system, answers, sentence, sentence2=None, prompt=None, prepend=None):
    """ml-act's evaluate_0shot: the system prompt, stripped, gets the line
    about the allowed answers; the user turn is the sentence (prefixed by
    prepend[0]), with the prompt and a second sentence in its modes."""
    sys = system.strip() + SUFFIX.format(a=", ".join(answers))
    s1 = sentence if prepend is None else "%s %s" % (prepend[0], sentence)
    s2 = sentence2
    if prepend is not None and s2 is not None:
        s2 = "%s %s" % (prepend[1], s2)
    if s2 is None and prompt is None:
        user = s1
    elif s2 is None:
        user = "Prompt: %s\nContinuation: %s" % (prompt, s1)
    elif prompt is None:
        user = "%s\n%s" % (s1, s2)
    else:
        user = "Prompt: %s\n%s\n%s" % (prompt, s1, s2)
    return [{"role": "system", "content": sys}, {"role": "user", "content": user}]


def render_tiny(messages):
    """tiny/data/model/chat_template.jinja with add_generation_prompt."""
    return "<|endoftext|>" + "".join("%s: %s\n" % (m["role"], m["content"].strip()) for m in messages) + "assistant:\n"


def zero_shot(model, tok, text, answers, topk=10):
    """The judge's score of one rendered prompt: the prompt's ids without
    special tokens (the template holds its own BOS; actsh keeps the last
    n_positions of a longer prompt), the raw logits of each answer's first
    own token, and the softmax over the top-k tokens joined with the answer
    tokens (ml-act's compute_topk_softmax)."""
    ids = tok.encode(text)[-model.positions :]
    row = model.forward(torch.tensor([ids]))[0, -1]
    answer_ids = [tok.encode(a)[0] for a in answers]
    order = torch.argsort(row, descending=True)
    top = set(order[:topk].tolist())
    union = sorted(top | set(answer_ids))
    sm = torch.softmax(row[union], 0)
    greedy = int(order[0])
    decoded = tok.decode([greedy]).replace("<|eot_id|>", "")
    logits = [float(row[a]) for a in answer_ids]
    # Margins that keep a float32 engine's choices the same as ours. Two
    # near-equal tokens at the top-k border may swap without changing the
    # softmax noticeably, unless one of them is an answer token.
    assert float(row[order[0]] - row[order[1]]) > 2e-3, "greedy token too close to the next"
    border = {int(order[topk - 1]), int(order[topk])}
    if border & set(answer_ids):
        assert float(row[order[topk - 1]] - row[order[topk]]) > 2e-3, "an answer token at the top-k border"
    return {
        "ids": ids,
        "answer_ids": answer_ids,
        "answer": decoded,
        "answer_id": greedy,
        "logits": logits,
        "softmax": [float(sm[union.index(a)]) for a in answer_ids],
        "choice": answers.index(decoded) if decoded in answers else 1,
        "logit_choice": int(np.argmax(logits)),
    }


# The concept judge (the paper's concept induction): our system prompt,
# written independently of act.ConceptJudgePrompt (the Go test compares),
# with the concept's name and WordNet definition filled in.
CONCEPT_PROMPT = 'You are a chatbot who answers whether the provided text is about a given concept. The concept is "{concept}": {definition}.'

# The glosses of the concepts' first noun senses, as WordNet 3.0 has them
# (checked against Debian's wordnet-base when it is installed).
DEFINITIONS = {
    "food": "any substance that can be metabolized by an animal to give energy and build tissue",
    "money": "the most common medium of exchange; functions as legal tender",
}


def wordnet30_first_gloss(lemma, root="/usr/share/wordnet"):
    """The gloss of lemma's first noun sense in a WordNet 3.0 dict folder,
    without its examples, or None when the folder is missing."""
    try:
        with open(os.path.join(root, "index.noun")) as f:
            index = f.read()
        with open(os.path.join(root, "data.noun")) as f:
            data = f.read()
    except OSError:
        return None
    line = next(l for l in index.split("\n") if l.startswith(lemma + " "))
    fields = line.split()
    offset = fields[-int(fields[2])]
    entry = data[data.index("\n" + offset + " ") + 1 :]
    gloss = entry[: entry.index("\n")].split("| ", 1)[1]
    return gloss.split('; "')[0].strip()


# ---------------------------------------------------------------- cases

def main():
    torch.manual_seed(0)
    model = GPT2(MODEL)
    tok = BPE(os.path.join(MODEL, "tokenizer.json"))
    eot = tok.added["<|endoftext|>"]  # BOS = EOS = pad (ml-act's get_model pads with BOS)
    D = model.w["wte.weight"].shape[1]
    g = torch.Generator().manual_seed(7)
    w = 1 + 0.5 * torch.randn(D, generator=g, dtype=DT)
    b = 0.5 * torch.randn(D, generator=g, dtype=DT)
    # float32 values, so that Go's float32 map is exactly this one.
    w, b = w.float().double(), b.float().double()
    point = "transformer.h.1.ln_2"

    def steer(lam):
        return None if lam == 0 else (point, w, b, lam)

    texts = [
        "The President of the United States said that the Congress would meet in the spring.",
        "Call me Ishmael.",
        "It was the best of times, it was the worst of times; the people of the nation had gathered in the capital "
        "to hear the message of the government on the state of the Union, and on the treaties made with foreign powers.",
        "The",
        "Café — naïve façade, 1893: 42% of the   men said \"no\".",
    ]
    prompts = ["Once upon a time", "The man said that", "In the year 1850,", "He thought", "We have"]
    conts = [" there was a king who lived in a castle.", " he would go home.", " the Congress passed a law.", " of the sea.", " \n the money"]

    ppl = []
    for lam in (0, 0.5, 1):
        for name, tx, pr, n in (
            ("texts", texts, None, 50),
            ("texts, truncated", texts, None, 8),
            ("prompts", conts, prompts, 128),
            ("prompts, truncated", conts, prompts, 7),
        ):
            seqs, want = perplexity_parallel(model, tok, eot, tx, pr, n, steer(lam))
            ppl.append({"name": "%s, lambda %g" % (name, lam), "texts": tx, "prompts": pr, "truncate": n,
                        "lambda": lam, "ids": seqs, "want": want})

    ll = []
    for lam in (0, 0.5):
        for ctx, cs in (
            ("The capital of the United States is", [" Washington", " the city of New York", " a"]),
            ("Question: Is the sea large?\nAnswer: ", ["Yes", "No, it is small."]),
            ("", ["The people", "Once upon a time there was a ship."]),
        ):
            res = loglikelihood(model, tok, eot, ctx, cs, steer(lam))
            ll.append({"name": "%r, lambda %g" % (ctx[:20], lam), "context": ctx, "continuations": cs, "lambda": lam,
                       "ctx_ids": [r["ctx_ids"] for r in res], "cont_ids": [r["cont_ids"] for r in res],
                       "want": [r["value"] for r in res]})

    sentences = [
        "The bank paid the money.",
        "The ship sailed at dawn.",
        "Taxes rose.",
        "He counted the dollars and the gold in the Treasury before the Congress met to vote on the budget of the year.",
    ]
    zs = []
    for name, system, answers, kw in (
        ("sentence", "Money?", ["Yes", "No"], {}),
        ("sentence, long system prompt", "You are a chatbot who answers whether the provided sentence contains toxic language or not.",
         ["Yes", "No"], {}),
        ("sentence_prompt", "Money?", ["Yes", "No"], {"prompts": ["Once", "The man said", "We", "In 1850"]}),
        ("2sentences, prepend", "Same topic?", ["Yes", "No"],
         {"second": ["Gold.", "Water.", "Rates.", "Ships."], "prepend": ["(Q1)", "(Q2)"]}),
        ("2sentences_prompt, three answers", "Money?", ["Yes", "No", "Maybe"],
         {"second": ["Gold.", "Water.", "Rates.", "Ships."], "prompts": ["Once", "The man said", "We", "In 1850"]}),
    ):
        rendered, want = [], []
        for i, s in enumerate(sentences):
            msgs = judge_messages(system, answers, s,
                                  sentence2=kw["second"][i] if "second" in kw else None,
                                  prompt=kw["prompts"][i] if "prompts" in kw else None,
                                  prepend=kw.get("prepend"))
            text = render_tiny(msgs)
            rendered.append(text)
            want.append(zero_shot(model, tok, text, answers))
        zs.append({"name": name, "system": system, "answers": answers, "sentences": sentences,
                   "prompts": kw.get("prompts"), "second": kw.get("second"), "prepend": kw.get("prepend"),
                   "rendered": rendered, "want": want})

    # Prompts that fit the model's 64 positions (ml-act's suffix alone
    # does not leave room on tiny): the scores of a rendered text as it is.
    raw = []
    for answers, msgs in (
        (["Yes", "No"], [{"role": "user", "content": "Is the bank rich? Answer Yes or No."}]),
        (["Yes", "No"], [{"role": "system", "content": "Answer Yes or No."}, {"role": "user", "content": "The ship sailed."}]),
        (["The", "It", "We"], [{"role": "user", "content": "Write a sentence about the sea."}]),
    ):
        text = render_tiny(msgs)
        r = zero_shot(model, tok, text, answers)
        assert len(r["ids"]) < model.positions
        raw.append({"text": text, "answers": answers, "want": r})

    # The concept judge: p(yes) of each text, the name of a OneSec
    # sense-key concept ("money-1_21_00__") shown as its lemma.
    for lemma, gloss in DEFINITIONS.items():
        wn = wordnet30_first_gloss(lemma)
        assert wn is None or wn == gloss, (lemma, wn)
    concept = []
    for name, lemma in (("food", "food"), ("money-1_21_00__", "money")):
        system = CONCEPT_PROMPT.format(concept=lemma, definition=DEFINITIONS[lemma])
        rendered, want = [], []
        for s in sentences:
            text = render_tiny(judge_messages(system, ["Yes", "No"], s))
            rendered.append(text)
            want.append(zero_shot(model, tok, text, ["Yes", "No"]))
        concept.append({"concept": name, "system": system, "sentences": sentences, "rendered": rendered, "want": want})

    fixture = {
        "about": "made by make_fixture.py (independent torch float64 GPT-2, plain-Python BPE) on the embedded model tiny",
        "model": "tiny",
        "steer": {"point": point, "w": w.tolist(), "b": b.tolist()},
        "perplexity": ppl,
        "loglikelihood": ll,
        "zero_shot": zs,
        "zero_shot_raw": raw,
        "concept": concept,
    }
    with open(os.path.join(HERE, "fixture.json"), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote fixture.json: %d perplexity, %d log-likelihood, %d + %d zero-shot, %d concept judge cases" % (len(ppl), len(ll), len(zs), len(raw), len(concept)))


if __name__ == "__main__":
    main()
