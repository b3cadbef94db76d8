#!/usr/bin/python3
"""Writes a deterministic corpus of short product listings and support
tickets for the TF-IDF and sparse logistic-regression benchmarks.

    gen_docs.py OUT.txt [--docs N] [--seed S]

OUT.txt holds one document per line (UTF-8, no embedded newlines); the topic
of each document (0..3) goes to OUT.labels.npy (int32). The vocabulary is a
few thousand words drawn with Zipf-like frequencies: a global distribution
shared by every topic, a per-topic one, English stop words, product codes and
numbers ("12-cup", "7-in-1", "x200", "$19.99"), mixed case, punctuation,
emoji and non-ASCII words (accents, German, Greek with a final sigma, CJK,
superscripts), so the tokenizer, the stop-word filter, the bigrams and the
max_features cut all do real work.
"""
import argparse

import numpy as np

N_TOPICS = 4

# Real words by topic (electronics, apparel, home/kitchen, account/billing
# tickets) ...
TOPIC_WORDS = [
    "wireless bluetooth headphones charger cable usb hdmi adapter laptop keyboard mouse monitor speaker "
    "battery router firmware screen tablet phone camera lens tripod earbuds dock drive ssd memory "
    "processor display pixel volume bass noise cancelling pairing signal wifi bandwidth port".split(),
    "cotton shirt jacket jeans sneakers hoodie dress socks wool sweater leggings scarf fabric sleeve "
    "collar zipper button waist size fit stretch denim linen boots sandals hat gloves belt pocket "
    "stitching hem lining waterproof breathable".split(),
    "knife spatula skillet blender kettle cutlery saucepan whisk colander toaster ladle grater pan pot "
    "lid oven microwave dishwasher stainless nonstick ceramic cast iron handle blade timer thermostat "
    "mug kitchen coffee grinder espresso".split(),
    "account password login invoice refund payment billing subscription charge card order delivery "
    "tracking shipment return exchange warranty support agent ticket update error crash app email "
    "verification code reset cancel renewal receipt".split(),
]
GENERIC = ("new best quality gift premium value pack set black white large small original popular model "
           "pro max mini ultra plus lite edition series classic smart portable compact durable heavy "
           "light soft hard fast slow easy great good bad broken missing wrong late early").split()
STOP = ("the and for with my is not it this to of a in on after can you i was be have has but or "
        "from at by an are as if so do no me your our we they please when which very too than "
        "again out up off all any some more most only also still even").split()
UNICODE_WORDS = ("café naïve crème brûlée Größe Straße Müller smörgåsbord jalapeño façade Ærø "
                 "ΟΔΟΣ Σοφία ΚΑΦΕΣ 東京 日本語 データ 커피 x² ½kg Ωmega İstanbul").split()
EMOJI = ["👍", "🔥", "✨", "😡", "📦", "™", "®", "—", "…"]
SYLLABLES = ("ka lo mi ra ten vo zu pel dor fi gan shu bri mox qua nel tor sa vin ek ul py "
             "dra ro be ci fu ha jo ku le mo na po re si ta ve wo xi yo za tri gle bor stan").split()


def zipf_weights(n, s=1.07, q=2.7):
    w = 1.0 / np.power(np.arange(n) + q, s)
    return w / w.sum()


def make_vocab(rng, n_words):
    """Pseudo-words (unique, deterministic) with a few accented variants."""
    words, seen = [], set()
    accents = {"a": "á", "e": "é", "o": "ö", "u": "ü", "n": "ñ"}
    while len(words) < n_words:
        k = rng.randint(2, 5)
        w = "".join(SYLLABLES[j] for j in rng.randint(0, len(SYLLABLES), size=k))
        if rng.random_sample() < 0.03:
            i = rng.randint(0, len(w))
            w = w[:i] + accents.get(w[i], w[i]) + w[i + 1:]
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def code_token(r, n, big):
    if r == 0:
        return f"{n}-cup"
    if r == 1:
        return "7-in-1"
    if r == 2:
        return f"x{n * 10}"
    if r == 3:
        return f"${n}.99"
    if r == 4:
        return f"#{big}"
    if r == 5:
        return f"v{n % 9 + 1}"
    if r == 6:
        return f"{n}GB"
    if r == 7:
        return "4K"
    return str(2015 + n % 12)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--vocab", type=int, default=4000, help="pseudo-words in the global vocabulary")
    a = ap.parse_args()

    rng = np.random.RandomState(a.seed)
    vocab = make_vocab(rng, a.vocab) + GENERIC + UNICODE_WORDS
    rng.shuffle(vocab)
    p_global = zipf_weights(len(vocab))
    # Each topic: its real words first, then 250 pseudo-words of its own, Zipf-weighted.
    topic_lists = []
    for t in range(N_TOPICS):
        own = [vocab[j] for j in rng.permutation(len(vocab))[:250]]
        topic_lists.append(TOPIC_WORDS[t] + own)
    p_topic = [zipf_weights(len(lst), s=0.9, q=1.5) for lst in topic_lists]
    p_stop = zipf_weights(len(STOP), s=0.8, q=1.0)

    topics = rng.choice(N_TOPICS, size=a.docs, p=[0.3, 0.25, 0.25, 0.2]).astype(np.int32)
    lengths = 3 + rng.poisson(8, size=a.docs)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    total = int(starts[-1])
    # Every random draw is made in bulk, then the lines are assembled.
    kind = rng.random_sample(total)
    case = rng.random_sample(total)
    punct = rng.random_sample(total)
    punct_i = rng.randint(0, 10, size=total)
    gi = rng.choice(len(vocab), size=total, p=p_global)
    si = rng.choice(len(STOP), size=total, p=p_stop)
    tok_topic = np.repeat(topics, lengths)
    ti = np.zeros(total, dtype=np.int64)
    for t in range(N_TOPICS):
        sel = np.flatnonzero(tok_topic == t)
        ti[sel] = rng.choice(len(topic_lists[t]), size=sel.size, p=p_topic[t])
    code_kind = rng.randint(0, 9, size=total)
    code_n = rng.randint(1, 100, size=total)
    code_big = rng.randint(1000, 99999, size=total)
    emoji_i = rng.randint(0, len(EMOJI), size=total)
    paren = rng.random_sample(a.docs) < 0.05
    puncts = [",", ".", "!", "...", " -", ":", "/", "?", "!!", ";"]
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        for d in range(a.docs):
            tl = topic_lists[topics[d]]
            toks = []
            for j in range(starts[d], starts[d + 1]):
                k = kind[j]
                if k < 0.22:
                    w = STOP[si[j]]
                elif k < 0.60:
                    w = tl[ti[j]]
                elif k < 0.94:
                    w = vocab[gi[j]]
                elif k < 0.985:
                    w = code_token(code_kind[j], code_n[j], code_big[j])
                else:
                    w = EMOJI[emoji_i[j]]
                u = case[j]
                if u < 0.08:
                    w = w.capitalize()
                elif u < 0.10:
                    w = w.upper()
                if punct[j] < 0.07:
                    w += puncts[punct_i[j]]
                toks.append(w)
            toks[0] = toks[0][:1].upper() + toks[0][1:]
            line = " ".join(toks)
            if paren[d]:
                line = f"({line})"
            f.write(line + "\n")
    stem = a.out[:-4] if a.out.endswith(".txt") else a.out
    np.save(stem + ".labels.npy", topics)


if __name__ == "__main__":
    main()
