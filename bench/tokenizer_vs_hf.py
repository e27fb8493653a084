#!/usr/bin/env python3
"""Tokenizer throughput, ours vs HF `tokenizers`, same corpus, same machine, same run.

Builds a corpus (the golden texts, tests/fixtures/tokenizers/golden.json, plus generated
English-like prose, code and multilingual lines; deterministic), then for each tokenizer
runs build/bench/bench_tokenizer and times `tokenizers` (in worker processes, so that
RAYON_NUM_THREADS can differ) on the same documents: encode one
document at a time (one thread), encode_batch (all threads), decode of whole documents,
and per-token id_to_token+decode (what a streaming detokenizer pays). Checks that both give
the same ids (a checksum), then prints a Markdown table.

  python3 bench/tokenizer_vs_hf.py [--threads N] [--rounds R] [--docs N] [names...]
"""
import argparse, json, os, random, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tokenizers")


def corpus(n_docs):
    rng = random.Random(1234)
    golden = json.load(open(os.path.join(FIXTURES, "golden.json"), encoding="utf-8"))["corpus"]
    words = ("the of and to in is was for on that with as by at from his her it an were are which this be "
             "tokenizer model serving request batch cache token prefix decode schedule memory kernel").split()
    code = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { s += a[i]; }\n",
            "import numpy as np\narr = np.zeros((3, 4), dtype=np.float32)\n", "SELECT id, name FROM t WHERE x > 10;\n"]
    docs = []
    for i in range(n_docs):
        parts = []
        for _ in range(rng.randint(5, 40)):
            kind = rng.random()
            if kind < 0.6:
                parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(5, 25))).capitalize() + ". ")
            elif kind < 0.8:
                parts.append(rng.choice(code))
            else:
                parts.append(rng.choice(golden) + "\n")
        docs.append("".join(parts))
    return docs


def checksum(all_ids):
    c = 0
    for ids in all_ids:
        for i in ids:
            c = (c * 1000003 + i + 1) % (1 << 64)
    return c


def best(rounds, body):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return min(times)


def hf(path, docs, rounds):
    """Runs in a worker process whose RAYON_NUM_THREADS is already set."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.no_truncation()
    out = {}
    all_ids = []
    out["encode_single_s"] = best(rounds, lambda: all_ids.__setitem__(slice(None), [tok.encode(d, add_special_tokens=False).ids for d in docs]))
    out["encode_batch_s"] = best(rounds, lambda: tok.encode_batch(docs, add_special_tokens=False))
    out["decode_s"] = best(rounds, lambda: [tok.decode(ids, skip_special_tokens=False) for ids in all_ids])
    out["token_bytes_s"] = best(rounds, lambda: [tok.decode([i]) for ids in all_ids for i in ids])
    out["tokens"] = sum(len(i) for i in all_ids)
    out["checksum"] = str(checksum(all_ids))
    return out


def hf_in_worker(path, corpus_path, threads, rounds):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    cmd = [sys.executable, __file__, "--hf-worker", path, corpus_path, str(rounds)]
    return json.loads(subprocess.check_output(cmd, env=env))


def fixture_path(name, tmp):
    plain = os.path.join(FIXTURES, name + ".tokenizer.json")
    if os.path.exists(plain):
        return plain
    import tarfile
    with tarfile.open(plain + ".tar.xz") as tar:
        tar.extractall(tmp)
    return os.path.join(tmp, name + ".tokenizer.json")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--hf-worker":
        docs = json.load(open(sys.argv[3], encoding="utf-8"))
        print(json.dumps(hf(sys.argv[2], docs, int(sys.argv[4]))))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "bench", "bench_tokenizer"))
    ap.add_argument("names", nargs="*", default=["llama3", "qwen2", "gemma3", "bert", "xlmr"])
    args = ap.parse_args()
    docs = corpus(args.docs)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    print(f"corpus: {len(docs)} documents, {mb:.2f} MB; batch threads {args.threads}; best of {args.rounds}\n")
    print("One thread: sgl Encode per document vs HF encode_batch with RAYON_NUM_THREADS=1 (no per-call Python\n"
          "overhead) and HF encode() per document (what a Python server pays). Batch: all threads, encode_batch.\n"
          "Decode: whole documents. Per token: sgl TokenBytes vs HF decode([id]) (includes a Python call).\n")
    print("| tokenizer | tokens | encode 1 thread MB/s: sgl / HF batch@1 / HF encode() | ratio vs HF batch@1 "
          "| encode batch MB/s: sgl / HF | ratio | decode Mtok/s: sgl / HF | ratio | per-token ns: sgl / HF | ratio |")
    print("| --- | ---: | --- | ---: | --- | ---: | --- | ---: | --- | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        corpus_path = os.path.join(tmp, "corpus.json")
        json.dump(docs, open(corpus_path, "w", encoding="utf-8"), ensure_ascii=False)
        for name in args.names:
            path = fixture_path(name, tmp)
            ours = json.loads(subprocess.check_output([args.binary, path, corpus_path, str(args.threads), str(args.rounds)]))
            one = hf_in_worker(path, corpus_path, 1, args.rounds)
            many = hf_in_worker(path, corpus_path, args.threads, args.rounds)
            same = "" if ours["checksum"] == one["checksum"] and ours["tokens"] == one["tokens"] else " (IDS DIFFER)"
            tok = ours["tokens"]
            sgl1, hfb1, hfe1 = mb / ours["encode_single_s"], mb / one["encode_batch_s"], mb / one["encode_single_s"]
            sgln, hfn = mb / ours["encode_batch_s"], mb / many["encode_batch_s"]
            sgld, hfd = tok / 1e6 / ours["decode_s"], tok / 1e6 / one["decode_s"]
            sglt, hft = ours["token_bytes_s"] * 1e9 / tok, one["token_bytes_s"] * 1e9 / tok
            print(f"| {name}{same} | {tok} | {sgl1:.1f} / {hfb1:.1f} / {hfe1:.1f} | {sgl1 / hfb1:.2f}x | "
                  f"{sgln:.1f} / {hfn:.1f} | {sgln / hfn:.2f}x | {sgld:.1f} / {hfd:.1f} | {sgld / hfd:.2f}x | "
                  f"{sglt:.0f} / {hft:.0f} | {hft / sglt:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
