#!/usr/bin/python3
"""Writes fixture.json: NLTK's word tokens and Texygen-style Self-BLEU.

The Go tests (act/selfbleu_test.go) check act.WordTokens and
act.SelfBLEUScores against it. Run with Debian's NLTK (python3-nltk, 3.8):

    /usr/bin/python3 act/testdata/selfbleu/make_fixture.py

Tokenisation is nltk.word_tokenize(text, preserve_line=True): Texygen calls
word_tokenize(text), whose sentence splitter needs the Punkt data, which
this project does not depend on. Self-BLEU is Texygen's loop: each text is
the hypothesis of sentence_bleu against all the others, with uniform
weights and SmoothingFunction().method1, averaged in order.
"""

import json
import os
import random
import sys

import nltk
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu


def tokens(text):
    return nltk.word_tokenize(text, preserve_line=True)


def self_bleu(texts, order):
    refs = [tokens(t) for t in texts]
    weights = tuple(1.0 / order for _ in range(order))
    smooth = SmoothingFunction().method1
    scores = []
    for i, hyp in enumerate(refs):
        others = refs[:i] + refs[i + 1:]
        scores.append(float(sentence_bleu(others, hyp, weights, smoothing_function=smooth)))
    total = 0.0
    for s in scores:
        total += s
    return scores, total / len(scores)


SETS = {
    "simple": [
        "the cat sat on the mat",
        "the cat sat on a mat",
        "a dog ran in the park",
        "the dog sat on the mat",
    ],
    "repeated": [
        "I love this movie.",
        "I love this movie.",
        "I love this movie.",
        "What a film!",
    ],
    "identical": ["Once upon a time there was a giraffe."] * 3,
    "short": ["Hi", "Hi", "Hello there", "ok", "Hi there", "there"],
    "no_overlap": ["alpha beta", "gamma delta", "epsilon"],
    "empty": ["", "   ", "the end", "the end.", "end", "\n"],
    "brevity_ties": [
        "a b",
        "a b c d",
        "a b c d e f",
        "b c d e",
        "a b c d e f g h i",
        "c",
    ],
    "punctuation": [
        'He said, "I can\'t believe it\'s 3,000 dollars!" (really...)',
        "She said: 'you're gonna love it' -- and we didn't.",
        "Cannot, won't, shouldn't; gimme $3.88 @ 5% & more'n that?!",
        "\"Quoted\" text [with brackets] {and braces} <and angles>.",
        "I wanna go... we gotta go. Lemme see 'tis the season!",
        "It's 10:30, isn't it? Yes: it's 10:30.",
        "The end.",
    ],
    "non_ascii": [
        "Le café est très naïve, n'est-ce pas ?",
        "“Smart quotes” and ‘single ones’ — «guillemets» too.",
        "日本語のテキストです。それは良い。",
        "Emoji 🙂 are tokens too 🙂.",
        "Cafe\u0301 with a combining accent, and İstanbul's ſtreets.",
        "non\u00a0breaking\u2003spaces\u3000here",
        "Le café est bon.",
        "Straße, Ærø, Ωmega: 3½ ٣ items",
    ],
    "multi_sentence": [
        "Once upon a time, there was a girl. She liked to play outside. Then she went home.\nThe end.",
        "Once upon a time, there was a boy. He liked to read books. Then he went to sleep.",
        "The weather today is sunny. Tomorrow it will rain, they say.",
        "I think that the movie was good, but the ending was too long. Still, I'd watch it again.",
        "Once upon a time there was a dog who liked to play outside all day long.",
    ],
}


def random_set(rng, n):
    words = ["the", "a", "cat", "dog", "sat", "ran", "on", "in", "mat", "park",
             "big", "small", "red", "blue", "it", "was", "is", "and", "then", "home",
             "very", "happy", "sad", "day", "night"]
    punct = [".", ",", "!", "?", ";"]
    texts = []
    for _ in range(n):
        k = rng.randrange(0, 31)
        parts = []
        for _ in range(k):
            parts.append(rng.choice(words))
            if rng.random() < 0.1:
                parts[-1] += rng.choice(punct)
        texts.append(" ".join(parts))
    return texts


# Pieces for the tokenizer fuzz: the characters and words its rules treat
# specially, ASCII and not.
PIECES = list("abcntsdmſİıE12٣²_é.,:;'\"`«»“”‘’„()[]{}<>-?!*$@#%&") + [
    " ", " ", " ", "\n", "\t", "\u00a0", "\u2003", "\x1c", "\u0301", "..", "...",
    "--", "''", "``", "can", "not", "CanNot", "gon", "na", "wan", "'t", "is", "was",
    "IS", "'T", "more", "'n", "d", "'ye", "gim", "gİm", "me", "lem", "got", "ta",
    "'s", "'S", "'re", "'RE", "n't", "N'T", "'ll", "'ve", "'m", "'d", "'a", "'em",
    "word", "Hello", "3,000", "3.88", "U.S.", "café",
]


def fuzz(rng, n):
    out = []
    for _ in range(n):
        out.append("".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 14))))
    return out


TOKEN_CASES = [
    "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.",
    "They'll save and invest more.",
    "hi, my name can't hello,",
    '"Hello," she said.',
    "'Tis the season. 'twas the night; d'ye see? more'n enough",
    "I wanna go now and gonna stay, gotta run, lemme in, gimme that",
    "wanna",
    "a:\n",
    "a,",
    "end.\n",
    "end .",
    "end..",
    "He's 'a' 'em 'ab' 'm 'ſ 'İ'",
    "",
    "   ",
    "\x1c\x1d",
    "end.\x1c",
    "gİmme now, 'tİs 'TıS, ſ 'tis 'tiſ 'twaſ, CANNOT, Gonİa",
    "a wanna-be, wanna/x, wanna\u00a0go, wanna",
    "1,٣٤ and a:٣ but b:c",
]


def main():
    rng = random.Random(14)
    sets = dict(SETS)
    sets["random"] = random_set(rng, 40)
    out = {
        "made_by": "act/testdata/selfbleu/make_fixture.py",
        "nltk": nltk.__version__,
        "python": sys.version.split()[0],
        "tokens": [],
        "sets": [],
    }
    for text in TOKEN_CASES + [t for s in sets.values() for t in s] + fuzz(rng, 300):
        out["tokens"].append({"text": text, "tokens": tokens(text)})
    for name, texts in sets.items():
        orders = []
        for order in (1, 2, 3, 4, 5):
            scores, mean = self_bleu(texts, order)
            orders.append({"order": order, "scores": scores, "mean": mean})
        out["sets"].append({"name": name, "texts": texts, "orders": orders})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixture.json")
    with open(path, "w") as f:
        f.write(dumps(out))


def dumps(out):
    """JSON with one tokenised text or one Self-BLEU order per line."""
    line = lambda v: json.dumps(v, ensure_ascii=True)
    lines = ["{"]
    for key in ("made_by", "nltk", "python"):
        lines.append(f" {line(key)}: {line(out[key])},")
    lines.append(' "tokens": [')
    lines.append(",\n".join("  " + line(t) for t in out["tokens"]))
    lines.append(" ],")
    lines.append(' "sets": [')
    sets = []
    for s in out["sets"]:
        orders = ",\n".join("    " + line(o) for o in s["orders"])
        sets.append(f'  {{"name": {line(s["name"])}, "texts": {line(s["texts"])}, "orders": [\n{orders}\n  ]}}')
    lines.append(",\n".join(sets))
    lines.append(" ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
