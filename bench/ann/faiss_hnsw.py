#!/usr/bin/python3
"""FAISS HNSW reference for bench/ann: same vectors, same queries, same ground truth as ours.

Run with Debian's /usr/bin/python3 (python3-faiss). Matrix files: int32 rows, int32 cols, then
row-major float32 (vectors) or int32 (ground-truth ids). Prints one JSON object on stdout.
Search is a batch call per efSearch (FAISS's normal use; the per-query loop runs in C++),
timed with omp_set_num_threads(1) and then (2).
"""
import argparse, json, sys, time
import numpy as np
import faiss


def read_matrix(path, dtype):
    with open(path, 'rb') as f:
        rows, cols = np.frombuffer(f.read(8), dtype=np.int32)
        data = np.frombuffer(f.read(), dtype=dtype)
    return data.reshape(int(rows), int(cols))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--base', required=True)
    p.add_argument('--queries', required=True)
    p.add_argument('--gt', required=True)
    p.add_argument('--metric', choices=['l2', 'ip'], required=True)
    p.add_argument('--M', type=int, default=32)
    p.add_argument('--efc', type=int, default=200)
    p.add_argument('--efs', default='16,32,64,128,256,512')
    p.add_argument('--threads', default='1,2')
    p.add_argument('--build-threads', type=int, default=1)
    p.add_argument('--repeat', type=int, default=1, help='search passes per point (best is kept)')
    p.add_argument('--truth-only', type=int, default=0, metavar='K',
                   help='only compute the exact top-K with IndexFlat (BLAS, all cores) and write it to --gt')
    a = p.parse_args()

    xb = np.ascontiguousarray(read_matrix(a.base, np.float32))
    xq = np.ascontiguousarray(read_matrix(a.queries, np.float32))
    if a.truth_only:
        flat = faiss.IndexFlatL2(xb.shape[1]) if a.metric == 'l2' else faiss.IndexFlatIP(xb.shape[1])
        flat.add(xb)
        t = time.perf_counter()
        _, ids = flat.search(xq, a.truth_only)
        s = time.perf_counter() - t
        with open(a.gt, 'wb') as f:
            f.write(np.array(ids.shape, dtype=np.int32).tobytes())
            f.write(ids.astype(np.int32).tobytes())
        print(json.dumps({'truthSeconds': s, 'threads': faiss.omp_get_max_threads()}))
        return
    gt = read_matrix(a.gt, np.int32)
    k = gt.shape[1]
    d = xb.shape[1]
    metric = faiss.METRIC_L2 if a.metric == 'l2' else faiss.METRIC_INNER_PRODUCT
    index = faiss.IndexHNSWFlat(d, a.M, metric)
    index.hnsw.efConstruction = a.efc
    faiss.omp_set_num_threads(a.build_threads)
    t = time.perf_counter()
    index.add(xb)
    build_s = time.perf_counter() - t
    print(f'faiss: built {xb.shape[0]}x{d} in {build_s:.1f} s', file=sys.stderr, flush=True)

    points = []
    for threads in [int(x) for x in a.threads.split(',')]:
        faiss.omp_set_num_threads(threads)
        for ef in [int(x) for x in a.efs.split(',')]:
            index.hnsw.efSearch = ef
            index.search(xq[: min(50, len(xq))], k)  # warm-up
            best = None
            for _ in range(a.repeat):
                t = time.perf_counter()
                _, ids = index.search(xq, k)
                s = time.perf_counter() - t
                best = s if best is None else min(best, s)
            hits = sum(len(set(ids[i].tolist()) & set(gt[i].tolist())) for i in range(len(xq)))
            recall = hits / (len(xq) * k)
            points.append({'threads': threads, 'ef': ef, 'recall': recall, 'qps': len(xq) / best})
            print(f'faiss: threads {threads} ef {ef}: recall {recall:.4f} qps {len(xq) / best:.0f}', file=sys.stderr, flush=True)

    print(json.dumps({
        'library': 'faiss', 'version': faiss.__version__, 'index': f'IndexHNSWFlat(M={a.M})',
        'efConstruction': a.efc, 'buildThreads': a.build_threads, 'buildSeconds': build_s,
        'search': 'one batch call per efSearch over all queries', 'points': points,
    }))


if __name__ == '__main__':
    main()
