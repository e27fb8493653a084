#!/usr/bin/env python3
"""Multi-turn image chat with the radix cache on vs off (issue 9's benchmark).

For each mode, starts `sgl serve` on MODEL_DIR (e.g. the random GLM-4.1V-shaped model of
tools/make_glm4v_bench_model.py) and holds a 3-turn chat about one image (MODEL_DIR/image.png,
sent as a data: URL every turn, as clients do) through streamed /v1/chat/completions.
Each answer is constrained to lowercase letters so its text tokenizes back to the same
tokens in the next turn's prompt. Per turn: prompt tokens, cached tokens, TTFT (request
sent -> first content chunk) and total time, and from the server's trace record (--log-req-id
--log-format json) the image preprocess and vision encode ms and whether the encoder cache
served the image; then the sums. Prints a Markdown table.
    python3 bench/vlm_multiturn_bench.py build/sgl MODEL_DIR [--threads 2] [--answer-tokens 16] [--server-args '...']
"""
import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

QUESTIONS = ["Describe this picture in detail.", "What colors do you see in it?", "Is there a shape in the middle?"]


def start_server(sgl, model, threads, extra, log):
    proc = subprocess.Popen([sgl, "serve", "--model-path", model, "--port", "0", "--threads", str(threads),
                             "--max-total-tokens", "16384", "--log-req-id", "--log-format", "json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 600
    seen = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(r"at http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [log.append(line) for line in proc.stdout], daemon=True).start()
            return proc, int(m.group(1))
    proc.kill()
    raise RuntimeError("server did not start:\n" + "".join(seen[-20:]))


def trace_of(log, rid):
    for _ in range(200):
        for line in log:
            if f'"{rid}"' in line and "{" in line:
                return json.loads(line[line.index("{"):])
        time.sleep(0.05)
    return {}


def chat_turn(port, messages, answer_tokens, rid):
    body = {"model": "default", "messages": messages, "max_tokens": answer_tokens, "temperature": 0,
            "regex": f"[a-z]{{{answer_tokens}}}", "stream": True, "stream_options": {"include_usage": True}}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                 headers={"Content-Type": "application/json", "X-Request-Id": rid})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(response.read().decode())
    ttft, text, usage = None, "", None
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[6:])
        for choice in event.get("choices", []):
            content = choice.get("delta", {}).get("content")
            if content:
                ttft = ttft if ttft is not None else time.perf_counter() - start
                text += content
        if event.get("usage"):
            usage = event["usage"]
    total = time.perf_counter() - start
    conn.close()
    return {"ttft": ttft, "total": total, "text": text, "prompt": usage["prompt_tokens"],
            "cached": usage["prompt_tokens_details"]["cached_tokens"]}


def run_mode(args, radix_on):
    log = []
    extra = args.server_args.split() + ([] if radix_on else ["--disable-radix-cache"])
    proc, port = start_server(args.sgl, args.model, args.threads, extra, log)
    try:
        with open(os.path.join(args.model, "image.png"), "rb") as f:
            url = "data:image/png;base64," + base64.b64encode(f.read()).decode()
        messages, turns = [], []
        for i, question in enumerate(QUESTIONS):
            content = [{"type": "image_url", "image_url": {"url": url}}] if i == 0 else []
            messages.append({"role": "user", "content": content + [{"type": "text", "text": question}]})
            rid = f"radix-{'on' if radix_on else 'off'}-turn{i + 1}"
            turn = chat_turn(port, messages, args.answer_tokens, rid)
            trace = trace_of(log, rid)
            turn["preprocess_ms"] = trace.get("image_preprocess_ms", 0)
            turn["encode_ms"] = trace.get("vision_encode_ms", 0)
            turn["encoder_hit"] = trace.get("encoder_cache_hit", False)
            messages.append({"role": "assistant", "content": turn["text"]})
            turns.append(turn)
        return turns
    finally:
        proc.terminate()
        proc.wait(60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sgl")
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--answer-tokens", type=int, default=16)
    parser.add_argument("--server-args", default="", help="more `sgl serve` flags, space-separated")
    args = parser.parse_args()
    results = {mode: run_mode(args, mode == "on") for mode in ["on", "off"]}
    print("| radix cache | turn | prompt tokens | cached tokens | image preprocess ms | vision encode ms "
          "| encoder cache hit | TTFT s | total s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for mode, turns in results.items():
        for i, t in enumerate(turns):
            print(f"| {mode} | {i + 1} | {t['prompt']} | {t['cached']} | {t['preprocess_ms']:.0f} | {t['encode_ms']:.0f} "
                  f"| {'yes' if t['encoder_hit'] else 'no'} | {t['ttft']:.2f} | {t['total']:.2f} |")
        print(f"| {mode} | all | {sum(t['prompt'] for t in turns)} | {sum(t['cached'] for t in turns)} | | | "
              f"| {sum(t['ttft'] for t in turns):.2f} | {sum(t['total'] for t in turns):.2f} |")
    on, off = results["on"], results["off"]
    for i in range(1, len(on)):
        print(f"turn {i + 1}: TTFT off/on {off[i]['ttft'] / on[i]['ttft']:.2f}x, "
              f"total off/on {off[i]['total'] / on[i]['total']:.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
