"""kNN peers for `tailwatch bench knn`: FAISS IndexFlatL2 and PyTorch cdist+min on the same bank and queries.

Reads bank.f32 (N x D) and queries.f32 (Q x D) from --dir, raw little-endian float32, and prints one JSON line per
peer: {"peer", "threads", "seconds" (best of --repeat), "checksum" (sum of min distances)}; with --gemm-size also a
numpy sgemm rate. One thread count per process: OpenBLAS fixes its threads when it loads (the caller sets
OPENBLAS_NUM_THREADS). A missing module prints {"peer", "error"} instead, so the Java side reports it.
"""
import argparse
import json
import sys
import time

import numpy as np


def timed(fn, repeat):
    fn()  # warm-up
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir")
    ap.add_argument("--n", type=int)
    ap.add_argument("--d", type=int)
    ap.add_argument("--q", type=int)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers", default="")
    ap.add_argument("--gemm-size", type=int, default=0, help="also time an n^3 numpy sgemm (0: no)")
    ap.add_argument("--ann-targets", default="",
                    help="recall targets for faiss-ivf / faiss-hnsw, against exact.f32 (Q exact distances)")
    ap.add_argument("--ivf-lists", type=int, default=0, help="faiss-ivf: nlist (the same as ours)")
    ap.add_argument("--hnsw-m", type=int, default=32)
    ap.add_argument("--hnsw-ef-construction", type=int, default=40)
    a = ap.parse_args()
    if a.gemm_size > 0:
        m = np.random.default_rng(1).standard_normal((a.gemm_size, a.gemm_size), dtype=np.float32)
        secs, _ = timed(lambda: m @ m, a.repeat)
        print(json.dumps({"peer": "numpy-sgemm", "version": np.__version__, "threads": a.threads,
                          "seconds": secs, "gflops": 2 * a.gemm_size ** 3 / secs / 1e9}), flush=True)
    peers = [p for p in a.peers.split(",") if p]
    if not peers:
        return 0
    bank = np.fromfile(f"{a.dir}/bank.f32", dtype="<f4").reshape(a.n, a.d)
    queries = np.fromfile(f"{a.dir}/queries.f32", dtype="<f4").reshape(a.q, a.d)
    threads = a.threads
    for peer in peers:
        try:
            if peer in ("faiss-ivf", "faiss-hnsw"):
                ann(peer, a, bank, queries, threads)
                continue
            if peer == "faiss":
                import faiss
                faiss.omp_set_num_threads(threads)
                index = faiss.IndexFlatL2(a.d)
                index.add(bank)
                secs, (dist, _) = timed(lambda: index.search(queries, 1), a.repeat)
                checksum = float(dist[:, 0].astype(np.float64).sum())
                version = faiss.__version__
            elif peer == "torch":
                import torch
                torch.set_num_threads(threads)
                b = torch.from_numpy(bank)
                qs = torch.from_numpy(queries)

                def run():
                    # chunks of the bank keep the [Q x chunk] distance block in memory, as our scorer does
                    best = torch.full((a.q,), float("inf"))
                    for s in range(0, a.n, 4096):
                        d = torch.cdist(qs, b[s:s + 4096]).pow_(2).min(dim=1).values
                        best = torch.minimum(best, d)
                    return best
                secs, best = timed(run, a.repeat)
                checksum = float(best.double().sum())
                version = torch.__version__
            else:
                raise ValueError(f"unknown peer {peer}")
            print(json.dumps({"peer": peer, "version": version, "threads": threads, "seconds": secs,
                              "checksum": checksum}), flush=True)
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            print(json.dumps({"peer": peer, "threads": threads, "error": f"{type(e).__name__}: {e}"}),
                  flush=True)


def recall(exact, dist):
    """Share of queries whose distance equals the exact one (1e-4 relative), as the Java side counts it."""
    return float(np.mean(np.abs(dist - exact) <= 1e-4 * (1 + np.abs(exact))))


def ann(peer, a, bank, queries, threads):
    """The smallest search effort (nprobe / efSearch, doubling) that reaches each recall target, and its time."""
    import faiss
    faiss.omp_set_num_threads(threads)
    exact = np.fromfile(f"{a.dir}/exact.f32", dtype="<f4")
    targets = sorted(float(t) for t in a.ann_targets.split(",") if t)
    t0 = time.perf_counter()
    if peer == "faiss-ivf":
        quantizer = faiss.IndexFlatL2(a.d)
        index = faiss.IndexIVFFlat(quantizer, a.d, a.ivf_lists)
        rng = np.random.default_rng(11)
        sample = bank[rng.choice(a.n, size=min(a.n, 64 * a.ivf_lists), replace=False)]
        index.train(sample)
        index.add(bank)
        knob, values = "nprobe", sorted({1 << i for i in range(0, 16) if (1 << i) < a.ivf_lists} | {a.ivf_lists})

        def setk(v):
            index.nprobe = v
    else:
        index = faiss.IndexHNSWFlat(a.d, a.hnsw_m)
        index.hnsw.efConstruction = a.hnsw_ef_construction
        index.add(bank)
        knob, values = "efSearch", [16, 32, 64, 128, 256, 512, 1024, 2048]

        def setk(v):
            index.hnsw.efSearch = v
    build = time.perf_counter() - t0
    pending = list(targets)
    for v in values:
        if not pending:
            break
        setk(v)
        secs, (dist, _) = timed(lambda: index.search(queries, 1), a.repeat)
        r = recall(exact, dist[:, 0])
        while pending and r >= pending[0]:
            print(json.dumps({"peer": peer, "version": faiss.__version__, "threads": threads, "target": pending[0],
                              "knob": knob, "value": v, "recall": r, "seconds": secs, "build_seconds": build}),
                  flush=True)
            pending.pop(0)
    for t in pending:
        print(json.dumps({"peer": peer, "version": faiss.__version__, "threads": threads, "target": t,
                          "knob": knob, "value": None, "recall": r, "seconds": secs, "build_seconds": build}),
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
