#!/usr/bin/env python3
"""Cost of request tracing (issue 12): serving throughput of `sgl serve` with
--log-req-id (one JSON trace record per request, to a log file) and its status page data
(/server_status) polled every second, against a server with both off, in the same run.
Rounds alternate the order (plain, traced / traced, plain) so drift in the machine's load
falls on both alike; each round's paired ratio shows the noise. Besides throughput, the
server process's CPU time for the whole load (user + system, from /proc) is compared: on a
shared machine it moves far less with other processes' load than wall-clock throughput
does, and with --threads 1 (no spinning pool workers) it is the server's own work.
Usage: bench/trace_cost_bench.py [--rounds 4] [--num-prompts 200] [--output-len 32] ..."""
import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, proc, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def cpu_seconds(stat_path):
    """User + system CPU time of a process or thread so far."""
    fields = open(stat_path).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busiest_thread_cpu_seconds(pid):
    """The CPU time of the process's busiest thread: with --threads 1, the scheduler's (it
    also runs the model), the thread that bounds throughput."""
    return max(cpu_seconds(f"/proc/{pid}/task/{tid}/stat") for tid in os.listdir(f"/proc/{pid}/task"))


def poll_status(port, stop, counter):
    """What an open status page does: the page once, then its JSON every second."""
    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    while not stop.wait(1.0):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_status", timeout=5).read()
            counter[0] += 1
        except OSError:
            pass


def run_once(args, traced, workdir, tag):
    port = free_port()
    flags = ["--log-req-id", "--log-format", "json"] if traced else []
    log_path = os.path.join(workdir, f"server-{tag}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([args.sgl, "serve", "--model-path", args.model, "--port", str(port), "--threads",
                                 str(args.threads), "--max-running-requests", "128", *flags],
                                stdout=log, stderr=subprocess.STDOUT)
    stop, polls = threading.Event(), [0]
    try:
        wait_healthy(port, proc)
        poller = threading.Thread(target=poll_status, args=(port, stop, polls)) if traced else None
        if poller:
            poller.start()
        result_path = os.path.join(workdir, f"bench-{tag}.json")
        bench = subprocess.run([args.sgl, "bench", "serving", "--port", str(port), "--num-prompts", str(args.num_prompts),
                        "--random-input-len", str(args.input_len), "--random-output-len", str(args.output_len),
                        "--random-range-ratio", "1.0", "--max-concurrency", str(args.max_concurrency),
                        "--seed", "1", "--output-file", result_path],
                       check=False, capture_output=True, text=True, timeout=3600)
        if not os.path.exists(result_path):
            raise RuntimeError(f"{tag}: sgl bench serving failed:\n{bench.stdout}\n{bench.stderr}")
        stop.set()
        if poller:
            poller.join()
        cpu = cpu_seconds(f"/proc/{proc.pid}/stat")
        scheduler_cpu = busiest_thread_cpu_seconds(proc.pid)
        result = json.load(open(result_path))
    finally:
        stop.set()
        proc.terminate()
        proc.wait(60)
    records = sum(1 for line in open(log_path) if '"decode_ms"' in line)
    if traced and records < args.num_prompts:
        raise RuntimeError(f"only {records} trace records for {args.num_prompts} requests")
    if result.get("completed") != args.num_prompts:
        raise RuntimeError(f"{tag}: {result.get('completed')} of {args.num_prompts} completed")
    return {"output_tok_s": result["output_throughput"], "server_cpu_s": cpu, "scheduler_cpu_s": scheduler_cpu,
            "polls": polls[0],
            "trace_records": records}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sgl", default=os.path.join(ROOT, "build", "sgl"))
    p.add_argument("--model", default=os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--num-prompts", type=int, default=200)
    p.add_argument("--input-len", type=int, default=128)
    p.add_argument("--output-len", type=int, default=32)
    p.add_argument("--max-concurrency", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    runs = {"plain": [], "traced": []}
    cpu = {"plain": [], "traced": []}
    sched = {"plain": [], "traced": []}
    paired, paired_cpu = [], []
    with tempfile.TemporaryDirectory() as workdir:
        for r in range(args.rounds):
            order = ["plain", "traced"] if r % 2 == 0 else ["traced", "plain"]
            got = {}
            for mode in order:
                got[mode] = run_once(args, mode == "traced", workdir, f"{mode}-{r}")
                runs[mode].append(got[mode]["output_tok_s"])
                cpu[mode].append(got[mode]["server_cpu_s"])
                sched[mode].append(got[mode]["scheduler_cpu_s"])
                print(f"round {r + 1} {mode:6s} {got[mode]}", flush=True)
            paired.append(got["traced"]["output_tok_s"] / got["plain"]["output_tok_s"])
            paired_cpu.append(got["traced"]["server_cpu_s"] / got["plain"]["server_cpu_s"])
    mean = {m: statistics.mean(v) for m, v in runs.items()}
    summary = {
        "output_tok_s": runs, "mean": mean,
        "plain_cv": statistics.stdev(runs["plain"]) / mean["plain"] if len(runs["plain"]) > 1 else 0.0,
        "traced_over_plain": mean["traced"] / mean["plain"], "paired_ratios": paired,
        "paired_ratio_mean": statistics.mean(paired),
        "paired_ratio_stdev": statistics.stdev(paired) if len(paired) > 1 else 0.0,
        "server_cpu_s": cpu, "cpu_traced_over_plain": statistics.mean(cpu["traced"]) / statistics.mean(cpu["plain"]),
        "paired_cpu_ratios": paired_cpu,
        "paired_cpu_ratio_stdev": statistics.stdev(paired_cpu) if len(paired_cpu) > 1 else 0.0,
        "scheduler_cpu_s": sched,
        "scheduler_cpu_traced_over_plain": statistics.mean(sched["traced"]) / statistics.mean(sched["plain"]),
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
